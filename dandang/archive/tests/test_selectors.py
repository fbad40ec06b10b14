"""Reads of the archive, scoped to the viewer: outside the jurisdiction is NotFound, a cadre sees
their own archive, the dossier follows the cadre on a transfer, and the guard's flags are shown to
verifiers and organization staff only."""

import datetime as dt

import pytest
from django.test import override_settings

from dandang.archive import selectors, services
from dandang.archive.models import ArchiveEntry, ArchiveTask
from dandang.core.errors import NotFound
from dandang.org import services as org_services

from .archive_helpers import attach, entry, submitted, verified
from .archive_helpers import media as media  # fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

# Who reads the archive of a cadre of the A-bureau (A1, A3, A4).
READERS_A = {
    "cadre_a1",  # their own (A1) only
    "leader_a",
    "staff_a",
    "discipline_a",
    "county_leader_a",
    "auditor_a",
    "committee_a",
    "commander_a",
    "team_a",
    "care_a",
    "staff_city",
}
NOT_READERS = [
    "leader_b",
    "staff_b",
    "discipline_b",
    "county_leader_b",
    "auditor_b",
    "party_office_a",
    "issuing_a",
    "audit_admin_a",
    "nobody",
]
FLAG_VIEWERS = {"leader_a", "staff_a", "discipline_a", "committee_a", "staff_city"}


@pytest.fixture(scope="module")
def archive_made(shared_world, django_db_blocker, tmp_path_factory):
    """A1's own entry (a process trace only, verified), an A3 entry, a B1 entry, A-bureau task:
    made once for the module, in the shared world's transaction (its evidence files in a media
    directory of the module); each test reads them afresh (``archive``)."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")), django_db_blocker.unblock():
        world = shared_world.reloaded()
        a1 = verified(world, cadre="A1", actor="cadre_a1", verifier="leader_a", kinds=("photo_trail",))
        a3 = submitted(world, cadre="A3", actor="leader_a", category="key_tasks", polarity="negative")
        b1 = submitted(world, cadre="B1", actor="staff_b", kinds=("meeting_held",))
        task = services.archive_task_create(
            actor=world.user("staff_a"), organization=world.orgs["A-bureau"], name="防汛", year=2025
        )
    return {"a1": a1.pk, "a3": a3.pk, "b1": b1.pk, "task": task.pk}


@pytest.fixture
def archive(world, archive_made, media):
    entries = ArchiveEntry.objects.in_bulk([archive_made[k] for k in ("a1", "a3", "b1")])
    return {
        **{k: entries[archive_made[k]] for k in ("a1", "a3", "b1")},
        "task": ArchiveTask.objects.get(pk=archive_made["task"]),
    }


@pytest.mark.parametrize("username", sorted(READERS_A) + NOT_READERS)
def test_who_reads_an_entry(world, archive, username):
    viewer = world.user(username)
    a1, a3 = archive["a1"], archive["a3"]
    visible = set(selectors.entries_visible(viewer).values_list("pk", flat=True))
    if username == "cadre_a1":
        assert visible == {a1.pk}
    elif username in READERS_A:
        assert {a1.pk, a3.pk} <= visible
        assert (archive["b1"].pk in visible) == (username == "staff_city")  # the city holds both counties
    else:
        assert a1.pk not in visible and a3.pk not in visible
    for e in (a1, a3):
        if e.pk in visible:
            assert selectors.entry_get(viewer, e.pk) == e
            assert selectors.entry_detail(viewer, e.pk).pk == e.pk
            assert selectors.evidence_get(viewer, e.evidence.get().pk).entry_id == e.pk
        else:
            with pytest.raises(NotFound):
                selectors.entry_get(viewer, e.pk)
            with pytest.raises(NotFound):
                selectors.entry_detail(viewer, e.pk)
            with pytest.raises(NotFound):
                selectors.evidence_get(viewer, e.evidence.get().pk)
    scores = selectors.scores_for(viewer, world.cadres["A1"])
    assert scores.exists() == (a1.pk in visible)


def test_county_b_sees_nothing_of_county_a(world, archive):
    staff_b = world.user("staff_b")
    assert set(selectors.entries_visible(staff_b)) == {archive["b1"]}
    assert list(selectors.entry_list(staff_b, organization=world.orgs["A"])) == []
    for e in (archive["a1"], archive["a3"]):
        with pytest.raises(NotFound):
            selectors.entry_get(staff_b, e.pk)
    with pytest.raises(NotFound):
        selectors.task_get(staff_b, archive["task"].pk)
    assert not selectors.scores_for(staff_b, world.cadres["A1"]).exists()
    assert archive["task"] not in selectors.tasks_visible(staff_b)


def test_a_unit_leader_sees_their_unit_only(world, archive, media):
    a2 = entry(world, cadre="A2", actor="staff_a")  # A2 serves in a township, not the bureau
    leader = world.user("leader_a")
    with pytest.raises(NotFound):
        selectors.entry_get(leader, a2.pk)
    assert selectors.entry_get(world.user("staff_a"), a2.pk) == a2


@pytest.mark.parametrize("bad", ["abc", None, "", -1, 10**30, "1; drop table"])
def test_a_malformed_id_is_not_found(world, archive, bad):
    staff = world.user("staff_a")
    for get in (selectors.entry_get, selectors.entry_detail, selectors.evidence_get, selectors.task_get):
        with pytest.raises(NotFound):
            get(staff, bad)


def test_a_cadre_sees_their_own_entries_only(world, archive, media):
    me = world.user("cadre_a1")
    mine = entry(world, cadre="A1", actor="staff_a", title="由组织部门记录")  # recorded by someone else, still mine
    assert set(selectors.entry_list(me)) == {archive["a1"], mine}
    assert list(selectors.entry_list(me, cadre=world.cadres["A3"])) == []
    with pytest.raises(NotFound):
        selectors.entry_get(me, archive["a3"].pk)
    assert selectors.scores_for(me, world.cadres["A1"]).exists()
    assert not selectors.scores_for(me, world.cadres["A3"]).exists()


def test_after_a_transfer_the_whole_archive_moves_to_the_new_county(world, archive, media):
    a3 = world.cadres["A3"]
    old = [archive["a3"], verified(world, cadre="A3", occurred_on=dt.date(2024, 9, 1))]
    org_services.tenure_start(
        actor=None, cadre=a3, post=world.posts["B-clerk"], start=dt.date(2025, 7, 1), reason="transfer"
    )
    ids = {e.pk for e in old}
    for username in ("staff_b", "leader_b", "county_leader_b"):
        viewer = world.user(username)
        assert ids <= set(selectors.entries_visible(viewer).values_list("pk", flat=True))
        for e in old:
            got = selectors.entry_get(viewer, e.pk)
            # Where it happened stays as it was.
            assert got.organization == world.orgs["A-bureau"] and got.post == world.posts["A-clerk"]
        a3.refresh_from_db()
        assert selectors.scores_for(viewer, a3).filter(year=2024).exists()
    for username in ("staff_a", "leader_a", "county_leader_a"):
        viewer = world.user(username)
        assert not ids & set(selectors.entries_visible(viewer).values_list("pk", flat=True))
        for e in old:
            with pytest.raises(NotFound):
                selectors.entry_get(viewer, e.pk)
        assert not selectors.scores_for(viewer, a3).exists()
    # The city sees both sides.
    assert ids <= set(selectors.entries_visible(world.user("staff_city")).values_list("pk", flat=True))


@pytest.mark.parametrize("username", sorted(READERS_A))
def test_flags_are_shown_to_verifiers_and_organization_staff_only(world, archive, username):
    viewer = world.user(username)
    a1 = archive["a1"]
    assert "process_trace" in a1.flag_codes
    detail = selectors.entry_detail(viewer, a1.pk)
    flagged = selectors.entry_list(viewer, flag="process_trace")
    flags = selectors.entry_flags_for(viewer, [detail])
    if username in FLAG_VIEWERS:
        assert selectors.can_view_flags(viewer, world.cadres["A1"])
        assert [f.code for f in detail.flag_list] == ["process_trace"]
        assert a1 in flagged
        assert [f.code for f in flags[a1.pk]] == ["process_trace"]
    else:
        assert not selectors.can_view_flags(viewer, world.cadres["A1"])
        assert detail.flag_list == []
        assert list(flagged) == []  # the filter would reveal the flag
        assert flags == {}


def test_the_flag_filter_keeps_to_the_viewers_flag_jurisdiction(world, archive):
    # The city's organization staff see both counties' flags; county B's staff only B's.
    assert set(selectors.entry_list(world.user("staff_city"), flag="process_trace")) == {archive["a1"], archive["b1"]}
    assert set(selectors.entry_list(world.user("staff_b"), flag="process_trace")) == {archive["b1"]}
    assert set(selectors.entry_list(world.user("staff_a"), flag="process_trace")) == {archive["a1"]}
    assert list(selectors.entry_list(world.user("staff_a"), flag="over_claimed")) == []


def test_entry_list_filters(world, archive, media):
    staff = world.user("staff_a")
    q1 = entry(world, cadre="A4", occurred_on=dt.date(2024, 2, 1), category="innovation")
    a1, a3 = archive["a1"], archive["a3"]
    everything = list(selectors.entry_list(staff))
    assert set(everything) == {a1, a3, q1}
    assert everything == sorted(everything, key=lambda e: (e.occurred_on, e.pk), reverse=True)
    assert list(selectors.entry_list(staff, cadre=world.cadres["A4"])) == [q1]
    assert set(selectors.entry_list(staff, year=2025)) == {a1, a3}
    assert list(selectors.entry_list(staff, year=2024, quarter=1)) == [q1]
    assert list(selectors.entry_list(staff, category="key_tasks")) == [a3]
    assert list(selectors.entry_list(staff, polarity="negative")) == [a3]
    assert list(selectors.entry_list(staff, status="verified")) == [a1]
    assert set(selectors.entry_list(staff, status="draft")) == {q1}
    assert set(selectors.entry_list(staff, organization=world.orgs["A-bureau"])) == {a1, a3, q1}
    assert list(selectors.entry_list(staff, organization=world.orgs["A-t1"])) == []
    assert list(selectors.entry_list(staff, flag="process_trace", status="verified")) == [a1]


def test_tasks_of_the_jurisdiction_and_of_the_cadres_own_organizations(world, archive):
    county_task = services.archive_task_create(
        actor=world.user("staff_a"), organization=world.orgs["A"], name="全县", year=2025
    )
    town_task = services.archive_task_create(
        actor=world.user("staff_a"), organization=world.orgs["A-t1"], name="镇里", year=2025
    )
    me = world.user("cadre_a1")
    # A cadre claims a share of a task of their organization or above it, not of another unit.
    assert set(selectors.tasks_visible(me)) == {archive["task"], county_task}
    with pytest.raises(NotFound):
        selectors.task_get(me, town_task.pk)
    assert set(selectors.tasks_visible(world.user("staff_a"))) == {archive["task"], county_task, town_task}
    assert set(selectors.tasks_visible(world.user("leader_a"))) == {archive["task"]}
    assert list(selectors.tasks_visible(world.user("nobody"))) == []


def test_entry_detail_carries_metrics_and_evidence(world, archive, media):
    a3 = archive["a3"]
    attach_count = a3.evidence.count()
    detail = selectors.entry_detail(world.user("leader_a"), a3.pk)
    assert [m.indicator for m in detail.metric_list] == ["新增就业岗位"]
    assert len(detail.evidence_list) == attach_count == 1


def test_entry_list_query_count_does_not_grow_with_entries(world, archive, media, django_assert_max_num_queries):
    for _ in range(5):
        entry(world, cadre="A4")
    staff = world.user("staff_a")
    staff.refresh_from_db()
    with django_assert_max_num_queries(2):
        rows = list(selectors.entry_list(staff))
        shown = [(e.cadre.name, e.cadre.org.name, e.organization.name, e.author.username, e.post) for e in rows]
    assert len(shown) == 7


def test_system_selectors(world, archive, media):
    a1 = archive["a1"]
    assert list(selectors.entries_for_scoring(world.cadres["A1"].pk, 2025)) == [a1]
    assert list(selectors.entries_for_scoring(world.cadres["A3"].pk, 2025)) == []  # submitted only
    assert list(selectors.entries_sharing(a1)) == [a1]
    # Sharing: the same file, or the same task; a dead partner is left out but the entry itself stays.
    task = archive["task"]
    x = entry(world, cadre="A4", task=task)
    attach(world, x, content=b"shared")
    y = entry(world, cadre="A3")
    attach(world, y, content=b"shared")
    z = entry(world, cadre="A3", task=task)
    assert set(selectors.entries_sharing(x)) == {x, y, z}
    services.archive_entry_withdraw(actor=world.user("leader_a"), entry=z)
    assert set(selectors.entries_sharing(x)) == {x, y}
    assert set(selectors.entries_sharing(z)) == {z, x}
