"""The archive's workflow through its services: who may do what, in which state, with which input;
that a refused action changes nothing; the guard's flags and the scores kept up to date; every
write audited and the people concerned notified.

Fixture world (``dandang.testing``): A1 (user ``cadre_a1``), A3 and A4 work in the A-bureau, where
``leader_a`` is the unit leader; ``staff_a`` and ``discipline_a`` hold county A; B1 is in county B.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from dandang.archive import services
from dandang.archive.models import ArchiveEntry, ArchiveFlag, ArchiveScore, Evidence, OutcomeMetric, Status
from dandang.core.audit import audit_verify
from dandang.core.errors import Conflict, PermissionDenied, ValidationFailed
from dandang.core.models import AuditEvent, Notification
from dandang.org import services as org_services
from dandang.org.roles import Role
from dandang.testing import fresh, row_counts

from .archive_helpers import METRIC, SCORES, attach, entry, submitted, unique_text, upload, verified, verify
from .archive_helpers import media as media  # fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

EVERYONE = [
    "cadre_a1",
    "leader_a",
    "staff_a",
    "discipline_a",
    "county_leader_a",
    "auditor_a",
    "committee_a",
    "staff_city",
    "leader_b",
    "staff_b",
    "nobody",
]


def state(e: ArchiveEntry) -> tuple[Any, ...]:
    e = fresh(e)
    return (
        {f.attname: getattr(e, f.attname) for f in e._meta.concrete_fields},
        sorted(ArchiveFlag.objects.filter(entry=e).values_list("code", "params")),
        list(Evidence.objects.filter(entry=e).order_by("id").values()),
        list(OutcomeMetric.objects.filter(entry=e).order_by("id").values()),
    )


@contextmanager
def unchanged(*entries: ArchiveEntry):
    """Nothing at all is written: every table's row count, and each entry as re-read."""
    counts = row_counts()
    before = [state(e) for e in entries]
    scores = list(ArchiveScore.objects.order_by("id").values())
    yield
    assert row_counts() == counts
    assert [state(e) for e in entries] == before
    assert list(ArchiveScore.objects.order_by("id").values()) == scores


def own(world, **kw) -> ArchiveEntry:
    """A draft that cadre A1 records about themself."""
    return entry(world, cadre="A1", actor="cadre_a1", **kw)


def own_submitted(world, **kw) -> ArchiveEntry:
    return submitted(world, cadre="A1", actor="cadre_a1", **kw)


def files_in(media_root: Path) -> list[str]:
    return sorted(str(p.relative_to(media_root)) for p in Path(media_root).rglob("*") if p.is_file())


# --- recording --------------------------------------------------------------------------------

RECORD_POSITIVE = {"cadre_a1", "leader_a", "staff_a", "staff_city"}
RECORD_NEGATIVE = {"cadre_a1", "leader_a", "staff_a", "staff_city", "discipline_a"}


@pytest.mark.parametrize("username", EVERYONE)
@pytest.mark.parametrize("polarity", ["positive", "negative"])
def test_who_records_an_entry(world, username, polarity):
    allowed = RECORD_NEGATIVE if polarity == "negative" else RECORD_POSITIVE
    kwargs = {"cadre": "A1", "actor": username, "polarity": polarity}
    if username in allowed:
        e = entry(world, **kwargs)
        assert (e.status, e.version, e.author_id, e.polarity) == ("draft", 1, world.user(username).pk, polarity)
    else:
        with unchanged(), pytest.raises(PermissionDenied):
            entry(world, **kwargs)


def test_a_cadre_records_only_about_themself(world):
    with unchanged(), pytest.raises(PermissionDenied):
        entry(world, cadre="A3", actor="cadre_a1")


def test_discipline_cannot_turn_its_negative_entry_positive(world):
    e = entry(world, actor="discipline_a", polarity="negative")
    with unchanged(e), pytest.raises(PermissionDenied):
        services.archive_entry_update(actor=world.user("discipline_a"), entry=e, polarity="positive")


def test_create_stores_the_fields_metrics_and_place(world):
    e = entry(world, cadre="A3", occurred_on=dt.date(2025, 8, 20), category="key_tasks", difficulty="very_hard")
    e.refresh_from_db()
    tenure = world.cadres["A3"].tenures.get()
    assert (e.year, e.quarter) == (2025, 3)
    assert (e.tenure_id, e.post_id, e.organization_id) == (
        tenure.pk,
        world.posts["A-clerk"].pk,
        world.orgs["A-bureau"].pk,
    )
    assert list(e.metrics.values("indicator", "unit", "baseline", "target", "actual")) == [
        {
            "indicator": "新增就业岗位",
            "unit": "个",
            "baseline": Decimal(10),
            "target": Decimal(50),
            "actual": Decimal(60),
        }
    ]
    assert (e.counted_value, e.flag_codes) == (None, [])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"occurred_on": timezone.localdate() + dt.timedelta(days=1)}, "occurred_on"),
        ({"occurred_on": dt.date(1970, 1, 1)}, "occurred_on"),  # before the cadre was born
        ({"title": "   "}, "title"),
        ({"description": ""}, "description"),
        ({"category": "heroics"}, "category"),
        ({"polarity": "neutral"}, "polarity"),
        ({"difficulty": "impossible"}, "difficulty"),
        ({"share_percent": Decimal(50)}, "share_percent"),  # a share of no task
        ({"title": "长" * 201}, "title"),
        ({"metrics": [{"indicator": "", "unit": "个", "actual": "1"}]}, "metrics.0.indicator"),
        ({"metrics": [{"indicator": "产值", "unit": "", "actual": "1"}]}, "metrics.0.unit"),
        ({"metrics": [{"indicator": "产值", "unit": "万元", "actual": "很多"}]}, "metrics.0.actual"),
        ({"metrics": [{"indicator": "产值", "unit": "万元", "baseline": "1e20"}]}, "metrics.0.baseline"),
        ({"metrics": [{"indicator": "产值", "unit": "万元", "target": "0.00001"}]}, "metrics.0.target"),
        ({"metrics": [{"indicator": "产值", "unit": "万元", "actual": "NaN"}]}, "metrics.0.actual"),
        ({"metrics": ["60个"]}, "metrics.0"),
        ({"metrics": [METRIC] * 21}, "metrics"),
    ],
    ids=lambda v: "-" if isinstance(v, dict) else v,
)
def test_bad_input_is_refused_field_by_field(world, changes, field):
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        entry(world, **changes)
    assert field in exc.value.detail, exc.value.detail
    # Amending a draft with the same input is refused the same way.
    e = entry(world)
    with unchanged(e), pytest.raises(ValidationFailed) as exc:
        services.archive_entry_update(actor=world.user("leader_a"), entry=e, version=e.version, **changes)
    assert field in exc.value.detail


def test_a_share_above_100_is_refused(world):
    task = services.archive_task_create(
        actor=world.user("staff_a"), organization=world.orgs["A-bureau"], name="抗洪", year=2025
    )
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        entry(world, task=task, share_percent=Decimal("100.01"))
    assert "share_percent" in exc.value.detail or "__all__" in exc.value.detail
    assert entry(world, task=task, share_percent=Decimal(100)).share_percent == Decimal(100)


def test_update_refuses_fields_that_are_not_editable(world):
    e = entry(world)
    with unchanged(e), pytest.raises(ValidationFailed) as exc:
        services.archive_entry_update(
            actor=world.user("leader_a"), entry=e, status="verified", cadre=world.cadres["A4"]
        )
    assert sorted(exc.value.detail) == ["cadre", "status"]


def test_update_amends_and_replaces_metrics(world):
    e = entry(world)
    e = services.archive_entry_update(
        actor=world.user("leader_a"),
        entry=e,
        version=1,
        title=" 修订后的标题 ",
        metrics=[{"indicator": "群众满意度", "unit": "%", "actual": "96.5"}],
    )
    assert (e.title, e.version) == ("修订后的标题", 2)
    assert list(e.metrics.values_list("indicator", "actual")) == [("群众满意度", Decimal("96.5"))]


# --- the post held at the time (tenure) and the quarter --------------------------------------


def test_an_entry_is_placed_on_the_post_held_at_its_date(world):
    a3 = world.cadres["A3"]
    org_services.tenure_start(
        actor=None, cadre=a3, post=world.posts["B-clerk"], start=dt.date(2025, 7, 1), reason="transfer"
    )
    a3.refresh_from_db()
    world.cadres["A3"] = a3
    before = entry(world, cadre="A3", actor="staff_b", occurred_on=dt.date(2025, 6, 30))
    after = entry(world, cadre="A3", actor="staff_b", occurred_on=dt.date(2025, 7, 1))
    early = entry(world, cadre="A3", actor="staff_b", occurred_on=dt.date(2017, 12, 31))  # before any tenure
    assert (before.post_id, before.organization_id, before.quarter) == (
        world.posts["A-clerk"].pk,
        world.orgs["A-bureau"].pk,
        2,
    )
    assert (after.post_id, after.organization_id, after.quarter) == (
        world.posts["B-clerk"].pk,
        world.orgs["B-bureau"].pk,
        3,
    )
    assert before.tenure.end == dt.date(2025, 6, 30) and after.tenure.end is None
    assert (early.tenure, early.post, early.organization_id, early.year, early.quarter) == (
        None,
        None,
        world.orgs["B-bureau"].pk,
        2017,
        4,
    )
    # Moving the date moves the entry to the post and the quarter of the new date.
    moved = services.archive_entry_update(actor=world.user("staff_b"), entry=after, occurred_on=dt.date(2025, 1, 15))
    assert (moved.post_id, moved.year, moved.quarter) == (world.posts["A-clerk"].pk, 2025, 1)


@pytest.mark.parametrize(
    ("day", "quarter"), [((1, 1), 1), ((3, 31), 1), ((4, 1), 2), ((9, 30), 3), ((10, 1), 4), ((12, 31), 4)]
)
def test_quarter_of_the_date(world, day, quarter):
    e = entry(world, occurred_on=dt.date(2024, *day))
    assert (e.year, e.quarter) == (2024, quarter)


def test_today_is_allowed_tomorrow_is_not(world):
    assert entry(world, occurred_on=timezone.localdate()).occurred_on == timezone.localdate()
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        entry(world, occurred_on=timezone.localdate() + dt.timedelta(days=1))
    assert list(exc.value.detail) == ["occurred_on"]


# --- evidence ---------------------------------------------------------------------------------


def test_evidence_is_stored_under_its_hash_with_the_declared_kind(world, media):
    e = entry(world)
    item = services.archive_evidence_add(
        actor=world.user("leader_a"),
        entry=e,
        upload=upload(b"yield table 2025", name="C:\\docs\\产量统计.xlsx"),
        kind="statistics",
        source="县统计局",
        dated=dt.date(2025, 5, 1),
        version=1,
    )
    import hashlib

    sha = hashlib.sha256(b"yield table 2025").hexdigest()
    assert (item.sha256, item.size, item.filename, item.kind, item.confirmed_kind, item.source) == (
        sha,
        16,
        "产量统计.xlsx",
        "statistics",
        "",
        "县统计局",
    )
    assert item.file.name == f"archive/evidence/{sha[:2]}/{sha}"
    assert fresh(e).version == 2
    assert files_in(media) == [item.file.name]


def test_the_same_bytes_are_stored_once(world, media):
    a = attach(world, entry(world, cadre="A3"), content=b"same bytes")
    b = attach(world, entry(world, cadre="A3"), content=b"same bytes")
    c = attach(world, entry(world, cadre="A4"), kind="acceptance_report", content=b"same bytes")
    assert a.file.name == b.file.name == c.file.name
    assert len(files_in(media)) == 1
    with open(Path(media) / a.file.name, "rb") as fh:
        assert fh.read() == b"same bytes"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "selfie"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"upload": None}, "file"),
        ({"upload": upload(b"")}, "file"),
        ({"source": "来" * 201}, "source"),
        ({"dated": timezone.localdate() + dt.timedelta(days=1)}, "dated"),
    ],
    ids=["unknown-kind", "no-kind", "no-file", "empty-file", "long-source", "future-date"],
)
def test_bad_evidence_is_refused(world, media, kwargs, field):
    e = entry(world)
    args = {"actor": world.user("leader_a"), "entry": e, "upload": upload(), "kind": "statistics", **kwargs}
    with unchanged(e), pytest.raises(ValidationFailed) as exc:
        services.archive_evidence_add(**args)
    assert field in exc.value.detail
    assert files_in(media) == []


def test_evidence_over_the_size_limit_is_refused(world, media, settings):
    settings.DANDANG_EVIDENCE_MAX_BYTES = 16
    e = entry(world)
    with unchanged(e), pytest.raises(ValidationFailed) as exc:
        services.archive_evidence_add(
            actor=world.user("leader_a"), entry=e, upload=upload(b"x" * 17), kind="statistics"
        )
    assert list(exc.value.detail) == ["file"]
    assert "16" in str(exc.value.detail["file"][0]) and " 0 " not in str(exc.value.detail["file"][0])
    assert files_in(media) == []
    assert (
        services.archive_evidence_add(
            actor=world.user("leader_a"), entry=e, upload=upload(b"x" * 16), kind="statistics"
        ).size
        == 16
    )


def test_at_most_twenty_files(world, media):
    e = entry(world)
    for i in range(20):
        attach(world, e, content=f"file {i}".encode())
    with unchanged(e), pytest.raises(ValidationFailed) as exc:
        attach(world, e, content=b"one more")
    assert list(exc.value.detail) == ["file"]


def test_only_the_author_adds_or_removes_evidence_and_only_before_submission(world, media):
    e = entry(world)
    item = attach(world, e)
    for other in ("staff_a", "cadre_a1", "nobody"):
        with unchanged(e), pytest.raises(PermissionDenied):
            attach(world, e, actor=other)
        with unchanged(e), pytest.raises(PermissionDenied):
            services.archive_evidence_remove(actor=world.user(other), evidence=item)
    e = services.archive_entry_submit(actor=world.user("leader_a"), entry=e)
    with unchanged(e), pytest.raises(Conflict):
        attach(world, e)
    with unchanged(e), pytest.raises(Conflict):
        services.archive_evidence_remove(actor=world.user("leader_a"), evidence=item)


def test_removing_evidence_keeps_the_stored_file(world, media):
    e = entry(world)
    item = attach(world, e)
    e = services.archive_evidence_remove(actor=world.user("leader_a"), evidence=item, version=2)
    assert (e.version, e.evidence.count()) == (3, 0)
    assert files_in(media) == [item.file.name]


# --- the workflow ----------------------------------------------------------------------------


def test_the_whole_journey(world, media):
    """draft → submitted → returned → (amended) → submitted → verified → revoked."""
    e = own(world, category="key_tasks", difficulty="hard")
    attach(world, e, "photo_trail")
    e = services.archive_entry_submit(actor=world.user("cadre_a1"), entry=e, version=2)
    assert (e.status, e.version) == ("submitted", 3) and e.submitted_at is not None
    e = services.archive_entry_return(actor=world.user("leader_a"), entry=e, note="请补充验收报告", version=3)
    assert (e.status, e.version, e.decision_note, e.decided_by) == (
        "returned",
        4,
        "请补充验收报告",
        world.user("leader_a"),
    )
    attach(world, e, "acceptance_report")
    e = services.archive_entry_update(actor=world.user("cadre_a1"), entry=e, description=unique_text("补充"))
    e = services.archive_entry_submit(actor=world.user("cadre_a1"), entry=e, version=6)
    e = verify(world, e, "leader_a", version=7)
    assert (e.status, e.version, e.method) == ("verified", 8, "document_review")
    assert (e.score_completion, e.score_authenticity, e.score_difficulty, e.score_contribution) == (90, 85, 70, 80)
    assert e.counted_value == Decimal("15.00")
    e = services.archive_entry_revoke(actor=world.user("staff_a"), entry=e, note="经核查数据不实", version=8)
    assert (e.status, e.version, e.counted_value) == ("revoked", 9, None)
    assert ArchiveScore.objects.get(cadre=world.cadres["A1"], year=2025, quarter=0).score == Decimal("0.00")


def test_a_rejected_entry_stays_rejected(world, media):
    e = own_submitted(world)
    e = services.archive_entry_reject(actor=world.user("staff_a"), entry=e, note="与事实不符")
    assert (e.status, e.decision_note, e.counted_value) == ("rejected", "与事实不符", None)
    for call in (
        lambda: services.archive_entry_submit(actor=world.user("cadre_a1"), entry=e),
        lambda: services.archive_entry_withdraw(actor=world.user("cadre_a1"), entry=e),
        lambda: services.archive_entry_update(actor=world.user("cadre_a1"), entry=e, title="再试"),
        lambda: verify(world, e, "leader_a"),
    ):
        with unchanged(e), pytest.raises(Conflict):
            call()


VERIFIERS = {"leader_a", "staff_a", "staff_city"}


def _decide(world, action: str, username: str, e: ArchiveEntry, **kw) -> ArchiveEntry:
    actor = world.user(username)
    if action == "verify":
        return services.archive_entry_verify(actor=actor, entry=e, method="site_visit", scores=SCORES, **kw)
    call = {"return": services.archive_entry_return, "reject": services.archive_entry_reject}[action]
    return call(actor=actor, entry=e, note="说明理由", **kw)


@pytest.mark.parametrize("username", EVERYONE)
@pytest.mark.parametrize("action", ["verify", "return", "reject"])
def test_who_decides_on_a_submitted_entry(world, media, username, action):
    e = own_submitted(world)
    if username in VERIFIERS:
        done = _decide(world, action, username, e, version=e.version)
        assert done.status == {"verify": "verified", "return": "returned", "reject": "rejected"}[action]
        assert done.decided_by == world.user(username)
    else:
        with unchanged(e), pytest.raises(PermissionDenied):
            _decide(world, action, username, e)


@pytest.mark.parametrize("action", ["verify", "return", "reject"])
def test_nobody_decides_on_an_entry_they_recorded(world, media, action):
    e = submitted(world, cadre="A3", actor="leader_a")
    with unchanged(e), pytest.raises(PermissionDenied):
        _decide(world, action, "leader_a", e)
    assert _decide(world, action, "staff_a", e).decided_by == world.user("staff_a")


@pytest.mark.parametrize("action", ["verify", "return", "reject"])
def test_nobody_decides_on_an_entry_about_themself(world, media, action):
    # Cadre A1 heads the A-bureau and is given its unit-leader role: still not over their own entries.
    org_services.role_grant_create(
        actor=None, user=world.user("cadre_a1"), role=Role.UNIT_LEADER, organization=world.orgs["A-bureau"]
    )
    e = submitted(world, cadre="A1", actor="staff_a")
    with unchanged(e), pytest.raises(PermissionDenied):
        _decide(world, action, "cadre_a1", e)
    other = submitted(world, cadre="A3", actor="staff_a")
    assert _decide(world, action, "cadre_a1", other).decided_by == world.user("cadre_a1")
    assert not services.can_verify(world.user("cadre_a1"), e)
    assert services.can_verify(world.user("cadre_a1"), other)


@pytest.mark.parametrize("username", EVERYONE)
def test_only_the_author_submits_amends_and_withdraws(world, media, username):
    e = own(world)
    attach(world, e)
    e = fresh(e)
    calls = {
        "update": lambda: services.archive_entry_update(actor=world.user(username), entry=e, title="改"),
        "submit": lambda: services.archive_entry_submit(actor=world.user(username), entry=e),
        "withdraw": lambda: services.archive_entry_withdraw(actor=world.user(username), entry=e),
    }
    for name, call in calls.items():
        if username == "cadre_a1":
            assert call().author_id == world.user("cadre_a1").pk
            if name == "withdraw":
                assert fresh(e).status == "withdrawn"
            e = fresh(e)
            continue
        with unchanged(e), pytest.raises(PermissionDenied):
            call()


@pytest.mark.parametrize("status", ["draft", "submitted", "returned"])
def test_withdrawal_before_verification(world, media, status):
    e = own(world)
    attach(world, e)
    e = fresh(e)
    if status != "draft":
        e = services.archive_entry_submit(actor=world.user("cadre_a1"), entry=e)
    if status == "returned":
        e = services.archive_entry_return(actor=world.user("leader_a"), entry=e, note="补充")
    with unchanged(e), pytest.raises(PermissionDenied):
        services.archive_entry_withdraw(actor=world.user("leader_a"), entry=e)
    e = services.archive_entry_withdraw(actor=world.user("cadre_a1"), entry=e, reason="重复填报", version=e.version)
    assert (e.status, e.flag_codes, e.counted_value) == ("withdrawn", [], None)
    assert not ArchiveFlag.objects.filter(entry=e).exists()
    assert AuditEvent.objects.filter(action="archive.entry.withdraw", object_id=str(e.pk)).get().reason == "重复填报"


@pytest.mark.parametrize("status", ["verified", "rejected", "withdrawn", "revoked"])
def test_no_withdrawal_after_a_decision(world, media, status):
    e = own_submitted(world)
    if status == "verified":
        e = verify(world, e, "leader_a")
    elif status == "rejected":
        e = services.archive_entry_reject(actor=world.user("leader_a"), entry=e, note="不实")
    elif status == "withdrawn":
        e = services.archive_entry_withdraw(actor=world.user("cadre_a1"), entry=e)
    else:
        e = services.archive_entry_revoke(actor=world.user("staff_a"), entry=verify(world, e, "leader_a"), note="不实")
    with unchanged(e), pytest.raises(Conflict):
        services.archive_entry_withdraw(actor=world.user("cadre_a1"), entry=e)


def _transitions(world, e: ArchiveEntry) -> dict[str, Any]:
    author, leader, staff = e.author, world.user("leader_a"), world.user("staff_a")
    return {
        "update": lambda: services.archive_entry_update(actor=author, entry=e, title="改"),
        "evidence": lambda: services.archive_evidence_add(
            actor=author, entry=e, upload=upload(b"late"), kind="statistics"
        ),
        "submit": lambda: services.archive_entry_submit(actor=author, entry=e),
        "withdraw": lambda: services.archive_entry_withdraw(actor=author, entry=e),
        "return": lambda: services.archive_entry_return(actor=leader, entry=e, note="补充"),
        "reject": lambda: services.archive_entry_reject(actor=leader, entry=e, note="不实"),
        "verify": lambda: verify(world, e, "leader_a"),
        "revoke": lambda: services.archive_entry_revoke(actor=staff, entry=e, note="不实"),
    }


ALLOWED_FROM = {
    "draft": {"update", "evidence", "submit", "withdraw"},
    "submitted": {"withdraw", "return", "reject", "verify"},
    "returned": {"update", "evidence", "submit", "withdraw"},
    "verified": {"revoke"},
    "rejected": set(),
    "withdrawn": set(),
    "revoked": set(),
}


def _in_state(world, status: str) -> ArchiveEntry:
    e = own(world)
    attach(world, e)
    if status == "draft":
        return fresh(e)
    e = services.archive_entry_submit(actor=world.user("cadre_a1"), entry=e)
    steps = {
        "submitted": lambda: e,
        "returned": lambda: services.archive_entry_return(actor=world.user("leader_a"), entry=e, note="补充"),
        "verified": lambda: verify(world, e, "leader_a"),
        "rejected": lambda: services.archive_entry_reject(actor=world.user("leader_a"), entry=e, note="不实"),
        "withdrawn": lambda: services.archive_entry_withdraw(actor=world.user("cadre_a1"), entry=e),
        "revoked": lambda: services.archive_entry_revoke(
            actor=world.user("staff_a"), entry=verify(world, e, "leader_a"), note="不实"
        ),
    }
    return fresh(steps[status]())


@pytest.mark.parametrize("status", list(ALLOWED_FROM))
def test_transitions_from_each_state(world, media, status):
    """Every transition the state does not allow is a Conflict that changes nothing; every one it
    allows goes through."""
    for name in sorted(set(_transitions(world, own(world))) - ALLOWED_FROM[status]):
        e = _in_state(world, status)
        with unchanged(e), pytest.raises(Conflict):
            _transitions(world, e)[name]()
    for name in sorted(ALLOWED_FROM[status]):
        e = _in_state(world, status)
        _transitions(world, e)[name]()
        assert fresh(e).version == e.version + 1


@pytest.mark.parametrize("name", ["update", "evidence", "submit", "withdraw", "return", "reject", "verify", "revoke"])
def test_a_stale_version_is_a_conflict(world, media, name):
    status = {"update": "draft", "evidence": "draft", "submit": "draft", "revoke": "verified"}.get(name, "submitted")
    e = _in_state(world, status)
    stale = e.version - 1
    author, leader = e.author, world.user("leader_a")
    calls = {
        "update": lambda v: services.archive_entry_update(actor=author, entry=e, title="改", version=v),
        "evidence": lambda v: services.archive_evidence_add(
            actor=author, entry=e, upload=upload(b"v"), kind="statistics", version=v
        ),
        "submit": lambda v: services.archive_entry_submit(actor=author, entry=e, version=v),
        "withdraw": lambda v: services.archive_entry_withdraw(actor=author, entry=e, version=v),
        "return": lambda v: services.archive_entry_return(actor=leader, entry=e, note="补充", version=v),
        "reject": lambda v: services.archive_entry_reject(actor=leader, entry=e, note="不实", version=v),
        "verify": lambda v: verify(world, e, "leader_a", version=v),
        "revoke": lambda v: services.archive_entry_revoke(actor=world.user("staff_a"), entry=e, note="不实", version=v),
    }
    for version in (stale, e.version + 1, "x1" if name == "never" else 0):
        with unchanged(e), pytest.raises(Conflict):
            calls[name](version)
    calls[name](e.version)
    assert fresh(e).version == e.version + 1


@pytest.mark.parametrize("name", ["submit", "return", "revoke"])
def test_someone_who_may_not_act_is_refused_before_the_version_is_compared(world, media, name):
    """A stale version from a role that may not act is a refusal (403), not a conflict (409) that
    would tell them the entry changed."""
    status = {"submit": "draft", "revoke": "verified"}.get(name, "submitted")
    e = _in_state(world, status)
    outsider = world.user("leader_b")
    calls = {
        "submit": lambda: services.archive_entry_submit(actor=outsider, entry=e, version=e.version - 1),
        "return": lambda: services.archive_entry_return(actor=outsider, entry=e, note="补充", version=e.version - 1),
        "revoke": lambda: services.archive_entry_revoke(actor=outsider, entry=e, note="不实", version=e.version - 1),
    }
    with unchanged(e), pytest.raises(PermissionDenied):
        calls[name]()


def test_two_verifiers_cannot_both_win(world, media):
    e = own_submitted(world)
    seen = e.version
    verify(world, e, "leader_a", version=seen)
    with unchanged(e), pytest.raises(Conflict):
        services.archive_entry_reject(actor=world.user("staff_a"), entry=e, note="不实", version=seen)


@pytest.mark.parametrize("action", ["return", "reject"])
@pytest.mark.parametrize("note", ["", "   ", "长" * 2001])
def test_return_and_reject_need_a_note(world, media, action, note):
    e = own_submitted(world)
    call = services.archive_entry_return if action == "return" else services.archive_entry_reject
    with unchanged(e), pytest.raises(ValidationFailed) as exc:
        call(actor=world.user("leader_a"), entry=e, note=note)
    assert list(exc.value.detail) == ["note"]


@pytest.mark.parametrize("note", ["", "  "])
def test_revoke_needs_a_note(world, media, note):
    e = verify(world, own_submitted(world), "leader_a")
    with unchanged(e), pytest.raises(ValidationFailed) as exc:
        services.archive_entry_revoke(actor=world.user("staff_a"), entry=e, note=note)
    assert list(exc.value.detail) == ["note"]


@pytest.mark.parametrize("username", EVERYONE)
def test_only_organization_staff_revoke(world, media, username):
    e = verify(world, own_submitted(world), "leader_a")
    if username in {"staff_a", "staff_city"}:
        assert services.archive_entry_revoke(actor=world.user(username), entry=e, note="不实").status == "revoked"
    else:
        with unchanged(e), pytest.raises(PermissionDenied):
            services.archive_entry_revoke(actor=world.user(username), entry=e, note="不实")


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"method": ""}, ["method"]),
        ({"method": "gut_feeling"}, ["method"]),
        ({"scores": {}}, ["scores.authenticity", "scores.completion", "scores.contribution", "scores.difficulty"]),
        ({"scores": {**SCORES, "completion": 101}}, ["scores.completion"]),
        ({"scores": {**SCORES, "authenticity": -1}}, ["scores.authenticity"]),
        ({"scores": {**SCORES, "difficulty": "七十"}}, ["scores.difficulty"]),
        ({"scores": {**SCORES, "difficulty": 70.5}}, ["scores.difficulty"]),
        ({"scores": {**SCORES, "contribution": True}}, ["scores.contribution"]),
        ({"scores": {**SCORES, "contribution": None}}, ["scores.contribution"]),
        ({"scores": {**SCORES, "charisma": 90}}, ["scores"]),
        ({"difficulty": "legendary"}, ["difficulty"]),
        ({"note": "长" * 2001}, ["note"]),
        ({"evidence_kinds": {"999999": "statistics"}}, ["evidence_kinds.999999"]),
        ({"evidence_kinds": {"abc": "statistics"}}, ["evidence_kinds.abc"]),
    ],
    ids=lambda v: "-" if isinstance(v, dict | list) else v,
)
def test_verify_needs_a_method_and_four_scores_in_range(world, media, kwargs, fields):
    e = own_submitted(world)
    args = {"actor": world.user("leader_a"), "entry": e, "method": "data_cross_check", "scores": SCORES, **kwargs}
    with unchanged(e), pytest.raises(ValidationFailed) as exc:
        services.archive_entry_verify(**args)
    assert sorted(exc.value.detail) == fields


def test_verify_accepts_the_bounds_and_numeric_strings(world, media):
    e = own_submitted(world)
    scores = {"completion": 0, "authenticity": 100, "difficulty": "55", "contribution": " 100 "}
    e = services.archive_entry_verify(actor=world.user("leader_a"), entry=e, method="public_evaluation", scores=scores)
    assert (e.score_completion, e.score_authenticity, e.score_difficulty, e.score_contribution) == (0, 100, 55, 100)


def test_verify_refuses_evidence_of_another_entry_and_an_unknown_kind(world, media):
    e = own_submitted(world)
    other = attach(world, entry(world, cadre="A3"))
    mine = e.evidence.get()
    with unchanged(e), pytest.raises(ValidationFailed) as exc:
        verify(world, e, "leader_a", evidence_kinds={other.pk: "statistics", mine.pk: "selfie"})
    assert sorted(exc.value.detail) == [f"evidence_kinds.{mine.pk}", f"evidence_kinds.{other.pk}"]


# --- the guard, through the services --------------------------------------------------------


def test_a_process_trace_only_entry_is_flagged_and_counts_zero(world, media):
    e = submitted(world, kinds=("photo_trail", "meeting_held"), category="key_tasks", difficulty="very_hard")
    assert "process_trace" in e.flag_codes
    flag = ArchiveFlag.objects.get(entry=e, code="process_trace")
    assert flag.params == {"kinds": ["meeting_held", "photo_trail"]}
    e = verify(world, e)
    assert (e.status, e.counted_value) == ("verified", Decimal("0.00"))
    score = ArchiveScore.objects.get(cadre=world.cadres["A3"], year=2025, quarter=0)
    assert (score.score, score.entries_counted) == (Decimal("0.00"), 0)


def test_the_verifier_corrects_a_declared_trace_into_a_result(world, media):
    e = submitted(world, kinds=("photo_trail",), difficulty="hard")
    assert "process_trace" in e.flag_codes
    item = e.evidence.get()
    e = verify(world, e, evidence_kinds={str(item.pk): "acceptance_report"})
    item.refresh_from_db()
    assert (item.kind, item.confirmed_kind, item.effective_kind) == (
        "photo_trail",
        "acceptance_report",
        "acceptance_report",
    )
    assert "process_trace" not in e.flag_codes
    assert not ArchiveFlag.objects.filter(entry=e, code="process_trace").exists()
    assert e.counted_value == Decimal("10.00")


def test_the_verifier_corrects_a_declared_result_into_a_trace(world, media):
    e = submitted(world, kinds=("statistics",), difficulty="hard")
    assert "process_trace" not in e.flag_codes
    item = e.evidence.get()
    e = verify(world, e, evidence_kinds={item.pk: "screenshot"})
    assert "process_trace" in e.flag_codes
    assert e.counted_value == Decimal("0.00")
    event = AuditEvent.objects.get(action="archive.entry.verify", object_id=str(e.pk))
    assert event.before["evidence_kinds"] == {str(item.pk): "statistics"}
    assert event.after["evidence_kinds"] == {str(item.pk): "screenshot"}


def test_an_item_not_named_is_confirmed_as_declared(world, media):
    e = submitted(world, kinds=("statistics", "photo_trail"))
    first, second = e.evidence.order_by("id")
    verify(world, e, evidence_kinds={second.pk: "third_party"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.confirmed_kind, second.confirmed_kind) == ("statistics", "third_party")


def test_mixed_evidence_counts(world, media):
    e = verified(world, kinds=("photo_trail", "statistics"), difficulty="hard")
    assert "process_trace" not in e.flag_codes
    assert e.counted_value == Decimal("10.00")


def test_no_evidence_and_no_metric_are_flagged(world, media):
    bare = services.archive_entry_submit(actor=world.user("leader_a"), entry=entry(world, metrics=[]))
    assert bare.flag_codes == ["no_evidence", "no_metric"]
    no_actual = submitted(world, metrics=[{"indicator": "覆盖率", "unit": "%", "target": "90"}])
    assert no_actual.flag_codes == ["no_metric"]
    clean = submitted(world)
    assert clean.flag_codes == []
    # Flags do not zero: the verifier decides.
    assert verify(world, bare).counted_value == Decimal("8.00")


def _task(world, name: str = "防汛抢险"):
    return services.archive_task_create(
        actor=world.user("staff_a"), organization=world.orgs["A-bureau"], name=name, year=2025
    )


def test_over_claimed_shares_are_flagged_and_cleared(world, media):
    task = _task(world)
    a = submitted(world, cadre="A3", task=task, share_percent=Decimal(60))
    assert "over_claimed" not in a.flag_codes
    b = submitted(world, cadre="A4", task=task, share_percent=Decimal(50))
    a.refresh_from_db()
    assert "over_claimed" in a.flag_codes and "over_claimed" in b.flag_codes
    flag = ArchiveFlag.objects.get(entry=a, code="over_claimed")
    assert flag.params == {"task_id": task.pk, "total": "110.00", "limit": "100", "entries": sorted([a.pk, b.pk])}
    # Over-claimed shares are flagged for the verifier, not zeroed.
    b = verify(world, b)
    assert b.counted_value == Decimal("4.00")
    # The other claim withdrawn: the flag goes from the remaining one.
    services.archive_entry_withdraw(actor=world.user("leader_a"), entry=a)
    b.refresh_from_db()
    assert "over_claimed" not in b.flag_codes
    assert not ArchiveFlag.objects.filter(code="over_claimed").exists()


def test_shares_of_exactly_100_are_not_flagged(world, media):
    task = _task(world)
    a = submitted(world, cadre="A3", task=task, share_percent=Decimal("33.33"))
    b = submitted(world, cadre="A4", task=task, share_percent=Decimal("66.67"))
    a.refresh_from_db()
    assert "over_claimed" not in a.flag_codes + b.flag_codes


@pytest.mark.parametrize("ending", ["reject", "withdraw", "revoke"])
def test_an_entry_out_of_the_game_clears_the_flags_it_caused(world, media, ending):
    task = _task(world)
    a = submitted(world, cadre="A3", task=task)  # claims the whole task
    b = submitted(world, cadre="A4", task=task, share_percent=Decimal(10))
    a.refresh_from_db()
    assert "over_claimed" in a.flag_codes and "over_claimed" in b.flag_codes
    if ending == "reject":
        a = services.archive_entry_reject(actor=world.user("staff_a"), entry=a, note="不实")
    elif ending == "withdraw":
        a = services.archive_entry_withdraw(actor=world.user("leader_a"), entry=a)
    else:
        a = services.archive_entry_revoke(actor=world.user("staff_a"), entry=verify(world, a), note="不实")
    assert (fresh(a).flag_codes, a.flag_codes) == ([], [])
    assert not ArchiveFlag.objects.filter(entry=a).exists()
    b.refresh_from_db()
    assert "over_claimed" not in b.flag_codes
    assert not ArchiveFlag.objects.filter(code="over_claimed").exists()


def test_the_same_file_across_cadres_is_flagged_not_within_one_cadre(world, media):
    a1 = entry(world, cadre="A3")
    attach(world, a1, content=b"one photo")
    a1 = services.archive_entry_submit(actor=world.user("leader_a"), entry=a1)
    a2 = entry(world, cadre="A3")
    attach(world, a2, content=b"one photo")
    a2 = services.archive_entry_submit(actor=world.user("leader_a"), entry=a2)
    a1.refresh_from_db()
    assert "shared_evidence" not in a1.flag_codes + a2.flag_codes  # one cadre's own file, twice
    b = entry(world, cadre="A4")
    attach(world, b, content=b"one photo")
    b = services.archive_entry_submit(actor=world.user("leader_a"), entry=b)
    for e in (a1, a2, b):
        e.refresh_from_db()
        assert "shared_evidence" in e.flag_codes
    sha = b.evidence.get().sha256
    assert ArchiveFlag.objects.get(entry=b, code="shared_evidence").params == {
        "files": [{"sha256": sha, "entries": sorted([a1.pk, a2.pk])}]
    }
    services.archive_entry_withdraw(actor=world.user("leader_a"), entry=b)
    a1.refresh_from_db()
    assert "shared_evidence" not in a1.flag_codes


def test_flags_are_kept_apart_from_the_other_guard_rules(world, media):
    # A near-duplicate flag (written by its own pass) survives a refresh of the other rules.
    e = submitted(world)
    ArchiveFlag.objects.create(entry=e, code="near_duplicate", params={"twins": []})
    services.archive_guard_refresh(entries=[e])
    e.refresh_from_db()
    assert "near_duplicate" in e.flag_codes
    assert ArchiveFlag.objects.filter(entry=e, code="near_duplicate").exists()


# --- scores ----------------------------------------------------------------------------------


def _year_score(world, cadre: str = "A3", year: int = 2025) -> Decimal:
    return ArchiveScore.objects.get(cadre=world.cadres[cadre], year=year, quarter=0).score


def test_scores_are_recomputed_on_verify_and_revoke(world, media):
    first = verified(world, difficulty="hard")
    assert _year_score(world) == Decimal("10.00")
    second = verified(world, difficulty="very_hard", category="innovation")
    assert _year_score(world) == Decimal("25.60")
    services.archive_entry_revoke(actor=world.user("staff_a"), entry=first, note="不实")
    assert _year_score(world) == Decimal("15.60")
    assert fresh(second).counted_value == Decimal("15.60")


def test_freeze_keeps_the_signed_off_score(world, media):
    verified(world, difficulty="hard")
    frozen = services.archive_scores_freeze(year=2025, cadre_ids=[world.cadres["A3"].pk, world.cadres["A4"].pk])
    assert frozen == 10  # four quarters and the year, for two cadres
    rows = ArchiveScore.objects.filter(year=2025)
    assert rows.count() == 10 and not rows.filter(frozen_at__isnull=True).exists()
    signed = {(r.cadre_id, r.quarter): (r.score, r.decision_id, r.frozen_at) for r in rows}
    late = verified(world, difficulty="hard")  # verified after sign-off, same year
    services.archive_entry_revoke(actor=world.user("staff_a"), entry=late, note="不实")
    verified(world, cadre="A4", difficulty="hard")
    assert {
        (r.cadre_id, r.quarter): (r.score, r.decision_id, r.frozen_at) for r in ArchiveScore.objects.filter(year=2025)
    } == signed
    assert _year_score(world) == Decimal("10.00")
    # Freezing again changes nothing.
    assert services.archive_scores_freeze(year=2025, cadre_ids=[world.cadres["A3"].pk]) == 0
    # Another year is still live.
    verified(world, occurred_on=dt.date(2024, 3, 3), difficulty="hard")
    assert _year_score(world, year=2024) == Decimal("10.00")


def test_freeze_refuses_unknown_cadres(world):
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.archive_scores_freeze(year=2025, cadre_ids=[world.cadres["A3"].pk, 987654])
    assert list(exc.value.detail) == ["cadre_ids"]


# --- audit and notifications ----------------------------------------------------------------


def _audited(action: str, call, actor=None, object_id=None) -> Any:
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    result = call()
    new = list(AuditEvent.objects.filter(id__gt=before).order_by("id"))
    assert [e.action for e in new if e.action == action] == [action], [e.action for e in new]
    assert all(e.action.startswith("archive.") for e in new), [e.action for e in new]
    event = next(e for e in new if e.action == action)
    assert event.actor_id == getattr(actor, "pk", None)
    if object_id is not None:
        assert event.object_id == str(object_id)
    return result


def test_every_write_is_audited_and_the_chain_verifies(world, media):
    staff, leader, me = world.user("staff_a"), world.user("leader_a"), world.user("cadre_a1")
    task = _audited("archive.task.create", lambda: _task(world), staff)
    e = _audited("archive.entry.create", lambda: own(world, task=task, share_percent=Decimal(30)), me)
    e = _audited("archive.entry.update", lambda: services.archive_entry_update(actor=me, entry=e, title="改"), me, e.pk)
    item = _audited("archive.evidence.add", lambda: attach(world, e, content=b"audited"), me, e.pk)
    _audited("archive.evidence.remove", lambda: services.archive_evidence_remove(actor=me, evidence=item), me, e.pk)
    attach(world, e, content=b"audited again")
    e = _audited("archive.entry.submit", lambda: services.archive_entry_submit(actor=me, entry=e), me, e.pk)
    e = _audited(
        "archive.entry.return", lambda: services.archive_entry_return(actor=leader, entry=e, note="补"), leader, e.pk
    )
    e = _audited("archive.entry.submit", lambda: services.archive_entry_submit(actor=me, entry=e), me, e.pk)
    e = _audited("archive.entry.verify", lambda: verify(world, e, "leader_a"), leader, e.pk)
    e = _audited(
        "archive.entry.revoke", lambda: services.archive_entry_revoke(actor=staff, entry=e, note="不实"), staff, e.pk
    )
    r = own_submitted(world)
    _audited(
        "archive.entry.reject", lambda: services.archive_entry_reject(actor=leader, entry=r, note="不实"), leader, r.pk
    )
    w = own(world)
    _audited("archive.entry.withdraw", lambda: services.archive_entry_withdraw(actor=me, entry=w), me, w.pk)
    _audited(
        "archive.scores.freeze",
        lambda: services.archive_scores_freeze(year=2025, cadre_ids=[world.cadres["A1"].pk], actor=staff),
        staff,
    )
    # Each event in the cadre's county chain, with what changed.
    events = AuditEvent.objects.filter(action__startswith="archive.")
    assert set(events.values_list("partition", flat=True)) == {"330102"}
    verify_event = events.get(action="archive.entry.verify")
    assert verify_event.before["status"] == "submitted" and verify_event.after["status"] == "verified"
    assert verify_event.after["scores"] == SCORES
    assert events.get(action="archive.entry.revoke").reason == "不实"
    freeze = events.get(action="archive.scores.freeze")
    assert (freeze.object_type, freeze.row_count) == ("bulk", 5)
    checked, broken = audit_verify()
    assert checked >= 1 and broken == []


def test_a_refused_write_leaves_no_audit_event(world, media):
    e = own_submitted(world)
    count = AuditEvent.objects.count()
    for call in (
        lambda: verify(world, e, "cadre_a1"),
        lambda: services.archive_entry_return(actor=world.user("leader_a"), entry=e, note=""),
        lambda: services.archive_entry_submit(actor=world.user("cadre_a1"), entry=e),
    ):
        with pytest.raises((PermissionDenied, ValidationFailed, Conflict)):
            call()
    assert AuditEvent.objects.count() == count
    assert audit_verify()[1] == []


def _inbox(world, username: str) -> list[tuple[str, str]]:
    return list(Notification.objects.filter(user=world.user(username)).order_by("id").values_list("kind", "message"))


def test_the_leader_gets_a_todo_on_submit_and_the_author_a_notice(world, media):
    e = own_submitted(world)
    assert _inbox(world, "leader_a") == [("todo", "archive_submitted")]
    todo = Notification.objects.get(user=world.user("leader_a"))
    assert todo.params == {"cadre": world.cadres["A1"].name, "title": e.title}
    assert todo.link == f"/archive/entries/{e.pk}/"
    assert _inbox(world, "staff_a") == [] and _inbox(world, "leader_b") == []
    e = services.archive_entry_return(actor=world.user("leader_a"), entry=e, note="请补充数据")
    assert _inbox(world, "cadre_a1") == [("notice", "archive_returned")]
    assert Notification.objects.get(user=world.user("cadre_a1")).params["note"] == "请补充数据"
    e = services.archive_entry_submit(actor=world.user("cadre_a1"), entry=e)
    assert _inbox(world, "leader_a") == [("todo", "archive_submitted")] * 2  # a new to-do for the new version
    e = verify(world, e, "leader_a")
    assert _inbox(world, "cadre_a1") == [("notice", "archive_returned"), ("notice", "archive_verified")]
    services.archive_entry_revoke(actor=world.user("staff_a"), entry=e, note="不实")
    assert _inbox(world, "cadre_a1")[-1] == ("notice", "archive_revoked")
    r = own_submitted(world)
    services.archive_entry_reject(actor=world.user("leader_a"), entry=r, note="不实")
    assert _inbox(world, "cadre_a1")[-1] == ("notice", "archive_rejected")


def test_the_leader_who_recorded_the_entry_gets_no_todo(world, media):
    submitted(world, cadre="A3", actor="leader_a")
    assert _inbox(world, "leader_a") == []


def test_a_refused_action_notifies_nobody(world, media):
    e = own(world)
    with unchanged(e), pytest.raises(PermissionDenied):
        services.archive_entry_submit(actor=world.user("leader_a"), entry=e)
    assert Notification.objects.count() == 0


# --- tasks -----------------------------------------------------------------------------------


@pytest.mark.parametrize("username", EVERYONE)
def test_who_creates_a_task(world, username):
    if username in {"leader_a", "staff_a", "staff_city", "cadre_a1"}:
        assert _task(world).organization == world.orgs["A-bureau"] if username == "staff_a" else True
        task = services.archive_task_create(
            actor=world.user(username), organization=world.orgs["A-bureau"], name=f"任务{username}", year=2025
        )
        assert task.created_by == world.user(username)
    else:
        with unchanged(), pytest.raises(PermissionDenied):
            services.archive_task_create(
                actor=world.user(username), organization=world.orgs["A-bureau"], name="任务", year=2025
            )


@pytest.mark.parametrize(
    ("name", "year", "field"),
    [
        ("", 2025, "name"),
        ("  ", 2025, "name"),
        ("长" * 201, 2025, "name"),
        ("任务", 1900, "year"),
        ("任务", 3000, "year"),
    ],
)
def test_a_task_needs_a_name_and_a_plausible_year(world, name, year, field):
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.archive_task_create(
            actor=world.user("staff_a"), organization=world.orgs["A-bureau"], name=name, year=year
        )
    assert list(exc.value.detail) == [field]


def test_a_task_name_is_unique_per_organization_and_year(world):
    _task(world)
    with unchanged(), pytest.raises(Conflict):
        _task(world)
    assert services.archive_task_create(
        actor=world.user("staff_a"), organization=world.orgs["A-bureau"], name="防汛抢险", year=2024
    )


def test_status_values_are_the_workflow(world):
    assert set(Status.values) == set(ALLOWED_FROM)


def test_amending_a_returned_claim_updates_the_flags_of_the_others(world, media):
    task, other_task = _task(world), _task(world, "乡村振兴示范点")
    a = submitted(world, cadre="A3", task=task, share_percent=Decimal(60))
    b = submitted(world, cadre="A4", task=task, share_percent=Decimal(50))
    b = services.archive_entry_return(actor=world.user("staff_a"), entry=b, note="请核实份额")
    b = services.archive_entry_update(actor=world.user("leader_a"), entry=b, share_percent=Decimal(40))
    a.refresh_from_db()
    assert "over_claimed" not in a.flag_codes + b.flag_codes
    b = services.archive_entry_update(actor=world.user("leader_a"), entry=b, share_percent=Decimal(45))
    a.refresh_from_db()
    assert "over_claimed" in a.flag_codes and "over_claimed" in b.flag_codes
    # Moved to another task: the first task's claims add up again.
    b = services.archive_entry_update(actor=world.user("leader_a"), entry=b, task=other_task)
    a.refresh_from_db()
    assert "over_claimed" not in a.flag_codes + b.flag_codes
    assert not ArchiveFlag.objects.filter(code="over_claimed").exists()


def test_removing_a_shared_file_clears_the_flag_of_the_other_cadre(world, media):
    a = entry(world, cadre="A3")
    attach(world, a, content=b"group photo")
    a = services.archive_entry_submit(actor=world.user("leader_a"), entry=a)
    b = entry(world, cadre="A4")
    item = attach(world, b, content=b"group photo")
    attach(world, b, content=b"own data")
    b = services.archive_entry_submit(actor=world.user("leader_a"), entry=b)
    a.refresh_from_db()
    assert "shared_evidence" in a.flag_codes
    b = services.archive_entry_return(actor=world.user("staff_a"), entry=b, note="照片不是本人的")
    services.archive_evidence_remove(actor=world.user("leader_a"), evidence=item)
    a.refresh_from_db()
    assert "shared_evidence" not in a.flag_codes
    assert not ArchiveFlag.objects.filter(code="shared_evidence").exists()
