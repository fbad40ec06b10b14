"""What the jurisdiction matrix (tests/test_jurisdiction_matrix.py) must know about each route.

The matrix takes the list of routes from the URL resolver and the list of operations from the
OpenAPI document; this registry only says, for each of them, how to find the object *inside* the
viewers' jurisdiction (county A, or the bureau of county A that ``leader_a`` leads) and the one
*outside* it (county B), which roles may see and change it, and what to send for a write.  A route
or an operation that is missing here fails the matrix, and so does an entry whose route is gone.

Every role of :class:`dandang.org.roles.Role` is played by one user of the fixture world, holding
that role over county A (``leader_a``: over the county A bureau); ``cadre_a1`` is the cadre 张伟军
himself; ``nobody`` has a login and no role; ``anonymous`` is not logged in.

Unless an entry says otherwise (``expect``), the expected status is:

* not logged in: 401 (API) or a redirect to the login page (pages);
* lists and plain pages: 200, with the inside object shown to ``readers`` only and the outside
  object to nobody;
* reads of one object: 200 for ``readers`` inside, else 404 — outside is 404 for everyone;
* writes: outside 404; inside ``ok`` for ``writers``, 403 for the other ``readers`` (they can see
  the object, their role may not change it), 404 for everyone else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from dandang.archive import services as archive_services
from dandang.archive.models import ArchiveEntry, ArchiveTask, Evidence
from dandang.core.rulebooks import shipped_rulebook_text
from dandang.org.models import RoleGrant, Tenure
from dandang.org.roles import Role
from dandang.testing import World, make_id_number
from dandang.tolerance import services as tolerance_services
from dandang.tolerance.models import CorrectionItem, ToleranceCase

INSIDE, OUTSIDE = "inside", "outside"
NOBODY, ANONYMOUS = "nobody", "anonymous"

# The user who plays each role (all over county A).
ROLE_USERS: dict[str, str] = {
    Role.ORG_STAFF: "staff_a",
    Role.COMMITTEE_MEMBER: "committee_a",
    Role.DISCIPLINE: "discipline_a",
    Role.UNIT_LEADER: "leader_a",
    Role.CADRE: "cadre_a1",
    Role.PARTY_OFFICE: "party_office_a",
    Role.ISSUING_DEPARTMENT: "issuing_a",
    Role.GRASSROOTS_REPORTER: "reporter_a",
    Role.TASK_COMMANDER: "commander_a",
    Role.ASSESSMENT_TEAM: "team_a",
    Role.CARE_OFFICER: "care_a",
    Role.COUNTY_LEADER: "county_leader_a",
    Role.AUDITOR: "auditor_a",
    Role.SYSTEM_ADMIN: "sysadmin_a",
    Role.SECURITY_ADMIN: "security_a",
    Role.AUDIT_ADMIN: "audit_admin_a",
}
PLAYERS: dict[str, str | None] = {**ROLE_USERS, NOBODY: "nobody", ANONYMOUS: None}

R = Role
CADRE_VIEWERS = frozenset(
    {
        R.ORG_STAFF,
        R.COMMITTEE_MEMBER,
        R.DISCIPLINE,
        R.UNIT_LEADER,
        R.COUNTY_LEADER,
        R.AUDITOR,
        R.CARE_OFFICER,
        R.TASK_COMMANDER,
        R.ASSESSMENT_TEAM,
    }
)
# …and the cadre, who sees their own record.
CADRE_AND_SELF = CADRE_VIEWERS | {R.CADRE}
ORG_VIEWERS = CADRE_VIEWERS | {
    R.PARTY_OFFICE,
    R.ISSUING_DEPARTMENT,
    R.GRASSROOTS_REPORTER,
    R.SECURITY_ADMIN,
    R.SYSTEM_ADMIN,
}
GRANT_VIEWERS = frozenset({R.ORG_STAFF, R.SECURITY_ADMIN, R.AUDITOR})
GRANT_WRITERS = frozenset({R.ORG_STAFF, R.SECURITY_ADMIN})
STAFF = frozenset({R.ORG_STAFF})
EVERYONE = frozenset([*ROLE_USERS, NOBODY])


@dataclass(frozen=True)
class Entry:
    """How the matrix exercises one route (``web:<name>``) or API operation (``api:<operationId>``)."""

    shape: str  # "list", "detail", "write" or "page"
    readers: frozenset[str] = frozenset()
    writers: frozenset[str] = frozenset()
    # The object the route is about, inside or outside: for a write that creates, the object the body
    # refers to (the parent organization, the cadre…).  None: the route is about no object.
    target: Callable[[World, str], Any] | None = None
    # Instead of ``target``, for objects that belong to the caller: (world, side, username) -> object.
    target_for: Callable[[World, str, str], Any] | None = None
    # URL parameters (path parameters of the operation, or reverse() kwargs of the route).
    params: Callable[[Any], dict[str, Any]] = field(default=lambda obj: {})
    method: str = "GET"  # pages: the method to try (the API's comes from the OpenAPI document)
    body: Callable[[World, Any], Any] | None = None
    multipart: bool = False
    ok: int = 200
    query: str = ""
    # What identifies the target in a list or page: the API compares ids, pages look for this text.
    mark: Callable[[Any], str] | None = None
    # (role, side) -> status, where the rule in the module docstring does not fit.
    expect: Callable[[str, str], int] | None = None
    # Tables a refused request may still write, each with the reason.
    may_change: dict[str, str] = field(default_factory=dict)
    sides: tuple[str, ...] = (INSIDE, OUTSIDE)
    # Reachable without logging in (the anonymous rule does not apply; ``expect`` decides).
    public: bool = False


def side_key(side: str) -> str:
    return "A" if side == INSIDE else "B"


def org(key: str) -> Callable[[World, str], Any]:
    return lambda w, side: w.orgs[f"{side_key(side)}-{key}" if key else side_key(side)]


def post(key: str) -> Callable[[World, str], Any]:
    return lambda w, side: w.posts[f"{side_key(side)}-{key}"]


def cadre(w: World, side: str) -> Any:
    return w.cadres[f"{side_key(side)}1"]


def tenure(w: World, side: str) -> Any:
    return Tenure.objects.get(cadre=cadre(w, side))


def grant(w: World, side: str) -> Any:
    return RoleGrant.objects.get(user=w.users[f"leader_{side_key(side).lower()}"])


def cadre_and_post(w: World, side: str) -> tuple[Any, Any]:
    return cadre(w, side), w.posts[f"{side_key(side)}-clerk"]


def _new_cadre(w: World, org_: Any) -> dict[str, Any]:
    birth = dt.date(1991, 3, 9)
    return {
        "name": "赵敏",
        "gender": "female",
        "birth_date": birth.isoformat(),
        "ethnicity": "汉族",
        "education": "master",
        "id_number": make_id_number(901, birth, org_.code[:6]),
        "organization_id": org_.pk,
    }


def _roster_csv(w: World, org_: Any) -> dict[str, Any]:
    data = f"post_key,organization_code,title\np1,{org_.code},矩阵测试岗位\n".encode()
    return {"file": ("posts.csv", data, "text/csv")}


def _archive_csv(w: World, cadre_: Any) -> dict[str, Any]:
    # One entry about the cadre (the importer is its author); the outside cadre is a row error.
    data = f"id_number,occurred_on,category,title,description\n{cadre_.id_number},2026-01-10,duties,矩阵导入,矩阵测试\n"
    return {"file": ("entries.csv", data.encode(), "text/csv")}


def _rulebook_upload(w: World, org_: Any) -> dict[str, Any]:
    text = shipped_rulebook_text("security").encode()
    upload = ("security.yaml", text, "text/yaml")
    return {"rulebook": "security", "organization": org_.pk, "note": "矩阵", "file": upload}


def _importer_expect(ok_inside: int, ok_outside: int, denied: int) -> Callable[[str, str], int]:
    # An import names organizations by code in the file: one outside the jurisdiction is a row
    # error (the whole file is refused), not a 404.
    def expect(role: str, side: str) -> int:
        if role != R.ORG_STAFF:
            return denied
        return ok_inside if side == INSIDE else ok_outside

    return expect


# --- the performance archive: entries of cadre A1 (recorded by cadre_a1 himself) and of cadre B1
# (recorded by staff_b), one per workflow state, made on first use in each case's savepoint.  Both
# sides are made together, so that a list is checked against an outside object that exists.

ARCHIVE_READERS = CADRE_AND_SELF
ARCHIVE_RECORDERS = frozenset({R.ORG_STAFF, R.UNIT_LEADER, R.CADRE})
ARCHIVE_VERIFIERS = frozenset({R.ORG_STAFF, R.UNIT_LEADER})
AUTHOR = frozenset({R.CADRE})


def _archive_entry_of(w: World, side: str, state: str) -> ArchiveEntry:
    who = cadre(w, side)
    title = f"矩阵条目 {state}"
    found = ArchiveEntry.objects.filter(cadre=who, title=title).first()
    if found is not None:
        return found
    entry = archive_services.archive_entry_create(
        actor=None,
        cadre=who,
        author=w.users["cadre_a1" if side == INSIDE else "staff_b"],
        occurred_on=dt.date(2024, 5, 20),
        category="duties",
        title=title,
        description=f"{who.name}：全年完成辖区道路硬化 12 公里。",
        metrics=[{"indicator": "道路硬化", "unit": "公里", "actual": "12"}],
    )
    if state == "evidence":
        # Fixed bytes per side: the stored file is the same in every run (stored under its hash).
        data = f"matrix evidence {side}".encode()
        archive_services.archive_evidence_add(
            actor=None, entry=entry, upload=SimpleUploadedFile("验收报告.pdf", data), kind="acceptance_report"
        )
    if state in ("submitted", "verified"):
        entry = archive_services.archive_entry_submit(actor=None, entry=entry)
    if state == "verified":
        archive_services.archive_entry_verify(
            actor=None,
            entry=entry,
            method="document_review",
            scores={"completion": 90, "authenticity": 90, "difficulty": 80, "contribution": 100},
        )
    return ArchiveEntry.objects.get(pk=entry.pk)


def archive_entry(state: str) -> Callable[[World, str], Any]:
    def target(w: World, side: str) -> Any:
        both = {s: _archive_entry_of(w, s, state) for s in (INSIDE, OUTSIDE)}
        return both[side]

    return target


def archive_evidence(w: World, side: str) -> Any:
    return Evidence.objects.get(entry=archive_entry("evidence")(w, side))


def archive_task(w: World, side: str) -> Any:
    tasks = {}
    for s in (INSIDE, OUTSIDE):
        bureau = w.orgs[f"{side_key(s)}-bureau"]
        tasks[s] = ArchiveTask.objects.filter(organization=bureau, name="矩阵任务").first() or (
            archive_services.archive_task_create(actor=None, organization=bureau, name="矩阵任务", year=2024)
        )
    return tasks[side]


def _archive_note(w: World, e: Any) -> dict[str, Any]:
    return {"version": e.version, "note": "矩阵测试"}


def _entry_mark(e: Any) -> str:
    # Both sides' entries of one state share a title: pages mark each table row with its id.
    return f'data-entry="{e.pk}"'


def _archive_page(allowed: frozenset[str], denied: int) -> Callable[[str, str], int]:
    """A page about an inside object that only ``allowed`` may use: the object's other readers get
    ``denied``; everyone else, and everyone outside, 404."""

    def expect(role: str, side: str) -> int:
        if side == OUTSIDE:
            return 404
        if role in allowed:
            return 200
        return denied if role in ARCHIVE_READERS else 404

    return expect


def _archive_form(w: World, e: Any) -> dict[str, Any]:
    """What the entry form posts (the metrics table: one value per row of each column)."""
    return {
        "category": "key_tasks",
        "occurred_on": "2024-06-30",
        "title": "矩阵网页条目",
        "description": "完成防汛物资储备，储备沙袋两万条。",
        "polarity": "positive",
        "difficulty": "hard",
        "metric_indicator": "储备沙袋",
        "metric_unit": "条",
        "metric_actual": "20000",
        **({"version": e.version} if isinstance(e, ArchiveEntry) else {}),
    }


def _archive_step(prefix: str) -> Callable[[World, Any], dict[str, Any]]:
    return lambda w, e: {f"{prefix}-note": "矩阵测试", f"{prefix}-version": e.version}


def _only_staff(ok: int, denied: int) -> Callable[[str, str], int]:
    return lambda role, side: ok if role == R.ORG_STAFF else denied


# --- tolerance cases: one case of cadre A1 and one of cadre B1 per workflow state, opened by the
# system (no proposer: every decider may determine), made on first use in each case's savepoint.

TOL_READERS = frozenset(
    {R.ORG_STAFF, R.DISCIPLINE, R.UNIT_LEADER, R.COMMITTEE_MEMBER, R.COUNTY_LEADER, R.AUDITOR, R.CADRE}
)
TOL_HANDLERS = frozenset({R.ORG_STAFF, R.DISCIPLINE})
TOL_FACTS = {
    "context": "reform_pilot",
    "explicit_prohibition_breached": False,
    "personal_gain": False,
    "collusion": False,
    "intentional": False,
    "procedure_followed": True,
    "objected_to_collective_decision": False,
    "force_majeure": False,
    "loss_recovered": "none",
    "cooperated_with_investigation": True,
    "repeat_after_correction": False,
    "obstructed_investigation": False,
    "consequence": "minor",
}
TOL_NARRATIVE = {
    "motivation_attitude": "出于公心",
    "objective_conditions": "政策边界不明",
    "procedure_method": "集体决策",
    "nature_degree": "程序瑕疵",
    "consequences_recovery": "未造成损失",
}


def _recent() -> dt.date:
    # The services read today's date: an application is due within one month of its decision.
    return tolerance_services.today() - dt.timedelta(days=3)


def _tolerance_case_of(w: World, side: str, state: str) -> ToleranceCase:
    who = cadre(w, side)
    matter = f"矩阵容错 {state}"
    found = ToleranceCase.objects.filter(cadre=who, matter=matter).first()
    if found is not None:
        return found
    case = tolerance_services.tolerance_case_apply(
        actor=None,
        cadre=who,
        matter=matter,
        matter_date=_recent(),
        decision_date=_recent(),
        statement="矩阵测试",
    )
    if state != "applied":
        case = tolerance_services.tolerance_case_accept(actor=None, case=case)
    if state in ("proposed", "determined"):
        case = tolerance_services.tolerance_case_propose(
            actor=None, case=case, document={"facts": TOL_FACTS, "narrative": TOL_NARRATIVE}, report="矩阵报告"
        )
    if state == "determined":
        case = tolerance_services.tolerance_case_determine(actor=None, case=case, outcome="exempt")
        tolerance_services.correction_item_add(
            actor=None, case=case, owner="矩阵", task="矩阵纠错", deadline=_recent() + dt.timedelta(days=30)
        )
    return ToleranceCase.objects.get(pk=case.pk)


def tolerance_case(state: str) -> Callable[[World, str], Any]:
    def target(w: World, side: str) -> Any:
        both = {s: _tolerance_case_of(w, s, state) for s in (INSIDE, OUTSIDE)}
        return both[side]

    return target


def correction_item(w: World, side: str) -> Any:
    return CorrectionItem.objects.get(case=tolerance_case("determined")(w, side))


def _tol_application(w: World, c: Any) -> dict[str, Any]:
    day = _recent().isoformat()
    return {"matter": "矩阵申请", "matter_date": day, "decision_date": day, "statement": "矩阵理由"}


def _case_mark(c: Any) -> str:
    return f'data-case="{c.pk}"'


def _tol_page(allowed: frozenset[str], denied: int) -> Callable[[str, str], int]:
    def expect(role: str, side: str) -> int:
        if side == OUTSIDE:
            return 404
        if role in allowed:
            return 200
        return denied if role in TOL_READERS else 404

    return expect


def _tol_step(prefix: str, **fields: Any) -> Callable[[World, Any], dict[str, Any]]:
    return lambda w, c: {f"{prefix}-version": c.version, **{f"{prefix}-{k}": v for k, v in fields.items()}}


def _tol_web_facts(w: World, c: Any) -> dict[str, Any]:
    facts = {k: ("true" if v is True else "false" if v is False else v) for k, v in TOL_FACTS.items()}
    narrative = {f"narrative_{k}": v for k, v in TOL_NARRATIVE.items()}
    return {"version": c.version, "report": "矩阵报告", **facts, **narrative}


def _closable(w: World, side: str) -> Any:
    both = {}
    for s_ in (INSIDE, OUTSIDE):
        case = tolerance_case("determined")(w, s_)
        CorrectionItem.objects.filter(case=case, done_on__isnull=True).update(done_on=_recent())
        both[s_] = case
    return both[side]


def _everyone(status: int) -> Callable[[str, str], int]:
    return lambda role, side: status


API: dict[str, Entry] = {
    # --- organizations
    "dandang_org_api_organization_list": Entry("list", ORG_VIEWERS, target=org("bureau")),
    "dandang_org_api_organization_detail": Entry(
        "detail", ORG_VIEWERS, target=org("bureau"), params=lambda o: {"org_id": o.pk}
    ),
    "dandang_org_api_organization_create": Entry(
        "write",
        ORG_VIEWERS,
        STAFF,
        target=org("bureau"),
        body=lambda w, o: {
            "code": f"{o.code}-X9",
            "name": "矩阵测试科",
            "parent_id": o.pk,
            "level": "county",
            "kind": "government_department",
        },
        ok=201,
    ),
    "dandang_org_api_organization_update": Entry(
        "write",
        ORG_VIEWERS,
        STAFF,
        target=org("bureau"),
        params=lambda o: {"org_id": o.pk},
        body=lambda w, o: {"staff_size": 99, "sector": "matrix"},
    ),
    # --- posts
    "dandang_org_api_post_list": Entry("list", ORG_VIEWERS, target=post("head")),
    "dandang_org_api_post_detail": Entry(
        "detail", ORG_VIEWERS, target=post("head"), params=lambda p: {"post_id": p.pk}
    ),
    "dandang_org_api_post_create": Entry(
        "write",
        ORG_VIEWERS,
        STAFF,
        target=org("bureau"),
        body=lambda w, o: {"organization_id": o.pk, "title": "副局长", "is_leading": True},
        ok=201,
    ),
    "dandang_org_api_post_update": Entry(
        "write",
        ORG_VIEWERS,
        STAFF,
        target=post("head"),
        params=lambda p: {"post_id": p.pk},
        body=lambda w, p: {"title": "局长（矩阵）", "is_hardship": True},
    ),
    # --- cadres
    "dandang_org_api_cadre_list": Entry("list", CADRE_AND_SELF, target=cadre),
    "dandang_org_api_cadre_detail": Entry("detail", CADRE_AND_SELF, target=cadre, params=lambda c: {"cadre_id": c.pk}),
    "dandang_org_api_cadre_create": Entry("write", ORG_VIEWERS, STAFF, target=org("bureau"), body=_new_cadre, ok=201),
    "dandang_org_api_cadre_update": Entry(
        "write",
        CADRE_AND_SELF,
        STAFF,
        target=cadre,
        params=lambda c: {"cadre_id": c.pk},
        body=lambda w, c: {"name": "张伟", "education": "doctorate"},
    ),
    # --- tenures
    "dandang_org_api_tenure_list": Entry("list", CADRE_AND_SELF, target=tenure),
    "dandang_org_api_tenure_detail": Entry(
        "detail", CADRE_AND_SELF, target=tenure, params=lambda t: {"tenure_id": t.pk}
    ),
    "dandang_org_api_tenure_create": Entry(
        "write",
        # The cadre must be visible (cadre viewers; the cadre himself sees his record but not the post).
        CADRE_VIEWERS,
        STAFF,
        target=cadre_and_post,
        body=lambda w, cp: {"cadre_id": cp[0].pk, "post_id": cp[1].pk, "start": "2024-03-01", "reason": "transfer"},
        ok=201,
    ),
    "dandang_org_api_tenure_update": Entry(
        "write",
        CADRE_AND_SELF,
        STAFF,
        target=tenure,
        params=lambda t: {"tenure_id": t.pk},
        body=lambda w, t: {"end": "2025-06-30", "end_reason": "retirement"},
    ),
    # --- role grants
    "dandang_org_api_role_grant_list": Entry("list", GRANT_VIEWERS, target=grant),
    "dandang_org_api_role_grant_detail": Entry(
        "detail", GRANT_VIEWERS, target=grant, params=lambda g: {"grant_id": g.pk}
    ),
    "dandang_org_api_role_grant_create": Entry(
        "write",
        ORG_VIEWERS,
        GRANT_WRITERS,
        target=org("bureau"),
        body=lambda w, o: {"username": "nobody", "role": "auditor", "organization_id": o.pk},
        ok=201,
    ),
    "dandang_org_api_role_grant_update": Entry(
        "write",
        GRANT_VIEWERS,
        GRANT_WRITERS,
        target=grant,
        params=lambda g: {"grant_id": g.pk},
        body=lambda w, g: {"include_descendants": False},
    ),
    # --- roster import (names organizations by code inside the file)
    "dandang_org_api_import_roster_import": Entry(
        "write",
        target=org("bureau"),
        body=_roster_csv,
        multipart=True,
        expect=_importer_expect(201, 422, 403),
    ),
    "dandang_org_api_import_roster_template": Entry("page", expect=_only_staff(200, 403), sides=(INSIDE,)),
    # --- performance archive: entries and their workflow (only the author changes an entry; the
    # verifiers decide on it, never about themselves; the organization department revokes)
    "dandang_archive_api_entry_list": Entry("list", ARCHIVE_READERS, target=archive_entry("draft")),
    "dandang_archive_api_entry_detail": Entry(
        "detail", ARCHIVE_READERS, target=archive_entry("draft"), params=lambda e: {"entry_id": e.pk}
    ),
    "dandang_archive_api_entry_create": Entry(
        "write",
        ARCHIVE_READERS,
        ARCHIVE_RECORDERS,
        target=cadre,
        body=lambda w, c: {
            "cadre_id": c.pk,
            "occurred_on": "2024-06-30",
            "category": "key_tasks",
            "title": "矩阵新条目",
            "description": "完成防汛物资储备。",
        },
        ok=201,
    ),
    "dandang_archive_api_entry_update": Entry(
        "write",
        ARCHIVE_READERS,
        AUTHOR,
        target=archive_entry("draft"),
        params=lambda e: {"entry_id": e.pk},
        body=lambda w, e: {"version": e.version, "title": "矩阵条目（改）"},
    ),
    "dandang_archive_api_entry_submit": Entry(
        "write",
        ARCHIVE_READERS,
        AUTHOR,
        target=archive_entry("draft"),
        params=lambda e: {"entry_id": e.pk},
        body=lambda w, e: {"version": e.version},
    ),
    "dandang_archive_api_entry_withdraw": Entry(
        "write",
        ARCHIVE_READERS,
        AUTHOR,
        target=archive_entry("draft"),
        params=lambda e: {"entry_id": e.pk},
        body=lambda w, e: {"version": e.version, "reason": "矩阵测试"},
    ),
    "dandang_archive_api_entry_return": Entry(
        "write",
        ARCHIVE_READERS,
        ARCHIVE_VERIFIERS,
        target=archive_entry("submitted"),
        params=lambda e: {"entry_id": e.pk},
        body=_archive_note,
    ),
    "dandang_archive_api_entry_reject": Entry(
        "write",
        ARCHIVE_READERS,
        ARCHIVE_VERIFIERS,
        target=archive_entry("submitted"),
        params=lambda e: {"entry_id": e.pk},
        body=_archive_note,
    ),
    "dandang_archive_api_entry_verify": Entry(
        "write",
        ARCHIVE_READERS,
        ARCHIVE_VERIFIERS,
        target=archive_entry("submitted"),
        params=lambda e: {"entry_id": e.pk},
        body=lambda w, e: {
            "version": e.version,
            "method": "site_visit",
            "scores": {"completion": 90, "authenticity": 95, "difficulty": 80, "contribution": 100},
        },
    ),
    "dandang_archive_api_entry_revoke": Entry(
        "write",
        ARCHIVE_READERS,
        STAFF,
        target=archive_entry("verified"),
        params=lambda e: {"entry_id": e.pk},
        body=_archive_note,
    ),
    # --- archive evidence
    "dandang_archive_api_evidence_upload": Entry(
        "write",
        ARCHIVE_READERS,
        AUTHOR,
        target=archive_entry("draft"),
        params=lambda e: {"entry_id": e.pk},
        body=lambda w, e: {
            "file": ("统计表.csv", b"indicator,actual\nroad_km,12\n", "text/csv"),
            "kind": "statistics",
            "version": e.version,
        },
        multipart=True,
        ok=201,
    ),
    "dandang_archive_api_evidence_download": Entry(
        "detail", ARCHIVE_READERS, target=archive_evidence, params=lambda i: {"evidence_id": i.pk}
    ),
    "dandang_archive_api_evidence_remove": Entry(
        "write",
        ARCHIVE_READERS,
        AUTHOR,
        # The entry (the evidence is gone after a successful removal): its only evidence item.
        target=archive_entry("evidence"),
        params=lambda e: {"evidence_id": Evidence.objects.get(entry=e).pk},
        # The entry's version: created (1), the evidence attached (2).
        query="version=2",
    ),
    "dandang_archive_api_evidence_kinds": Entry("list"),
    # --- archive tasks and counted scores
    "dandang_archive_api_task_list": Entry("list", ARCHIVE_READERS, target=archive_task),
    "dandang_archive_api_task_detail": Entry(
        "detail", ARCHIVE_READERS, target=archive_task, params=lambda t: {"task_id": t.pk}
    ),
    "dandang_archive_api_task_create": Entry(
        "write",
        # The organization must be visible: its viewers, and the cadre (his own and those above it).
        ORG_VIEWERS | {R.CADRE},
        ARCHIVE_RECORDERS,
        target=org("bureau"),
        body=lambda w, o: {"organization_id": o.pk, "name": "矩阵新任务", "year": 2024},
        ok=201,
    ),
    "dandang_archive_api_cadre_archive_scores": Entry(
        "detail", ARCHIVE_READERS, target=cadre, params=lambda c: {"cadre_id": c.pk}
    ),
    # --- archive import (names cadres by ID number inside the file)
    "dandang_archive_api_import_archive_import": Entry(
        "write", target=cadre, body=_archive_csv, multipart=True, expect=_importer_expect(201, 422, 403)
    ),
    "dandang_archive_api_import_archive_template": Entry("page", expect=_only_staff(200, 403), sides=(INSIDE,)),
    # --- tolerance cases (the cadre applies; the organization department and discipline inspection
    # handle and decide, never about themselves)
    "dandang_tolerance_api_case_list": Entry("list", TOL_READERS, target=tolerance_case("applied")),
    "dandang_tolerance_api_case_detail": Entry(
        "detail", TOL_READERS, target=tolerance_case("applied"), params=lambda c: {"case_id": c.pk}
    ),
    "dandang_tolerance_api_case_apply": Entry(
        "write",
        CADRE_AND_SELF,
        AUTHOR,
        target=cadre,
        body=lambda w, c: {"cadre_id": c.pk, **_tol_application(w, c)},
        ok=201,
    ),
    "dandang_tolerance_api_review_open": Entry(
        "write",
        CADRE_AND_SELF,
        TOL_HANDLERS,
        target=cadre,
        body=lambda w, c: {
            "cadre_id": c.pk,
            "matter_id": "m1",
            "matter": "矩阵问责",
            "matter_date": _recent().isoformat(),
        },
        ok=201,
    ),
    "dandang_tolerance_api_case_accept": Entry(
        "write",
        TOL_READERS,
        TOL_HANDLERS,
        target=tolerance_case("applied"),
        params=lambda c: {"case_id": c.pk},
        body=lambda w, c: {"version": c.version, "note": "矩阵受理"},
    ),
    "dandang_tolerance_api_case_refuse": Entry(
        "write",
        TOL_READERS,
        TOL_HANDLERS,
        target=tolerance_case("applied"),
        params=lambda c: {"case_id": c.pk},
        body=lambda w, c: {"version": c.version, "note": "矩阵不予受理"},
    ),
    "dandang_tolerance_api_case_extend": Entry(
        "write",
        TOL_READERS,
        TOL_HANDLERS,
        target=tolerance_case("investigating"),
        params=lambda c: {"case_id": c.pk},
        body=lambda w, c: {"version": c.version, "reason": "矩阵延期"},
    ),
    "dandang_tolerance_api_case_propose": Entry(
        "write",
        TOL_READERS,
        TOL_HANDLERS,
        target=tolerance_case("investigating"),
        params=lambda c: {"case_id": c.pk},
        body=lambda w, c: {"version": c.version, "facts": TOL_FACTS, "narrative": TOL_NARRATIVE, "report": "矩阵"},
    ),
    "dandang_tolerance_api_case_determine": Entry(
        "write",
        TOL_READERS,
        TOL_HANDLERS,
        target=tolerance_case("proposed"),
        params=lambda c: {"case_id": c.pk},
        body=lambda w, c: {"version": c.version, "outcome": "exempt"},
    ),
    "dandang_tolerance_api_case_close": Entry(
        "write",
        TOL_READERS,
        TOL_HANDLERS,
        # A determined case whose correction item is done (the target's item is marked done first).
        target=lambda w, side: _closable(w, side),
        params=lambda c: {"case_id": c.pk},
        body=lambda w, c: {"version": c.version},
    ),
    "dandang_tolerance_api_correction_item_add": Entry(
        "write",
        TOL_READERS,
        TOL_HANDLERS,
        target=tolerance_case("determined"),
        params=lambda c: {"case_id": c.pk},
        body=lambda w, c: {
            "owner": "矩阵",
            "task": "矩阵任务",
            "deadline": (_recent() + dt.timedelta(days=20)).isoformat(),
        },
        ok=201,
    ),
    "dandang_tolerance_api_correction_item_done": Entry(
        "write",
        TOL_READERS,
        TOL_HANDLERS,
        target=correction_item,
        params=lambda i: {"item_id": i.pk},
        body=lambda w, i: {"done_on": _recent().isoformat(), "note": "完成"},
    ),
    "dandang_tolerance_api_follow_up_visit_add": Entry(
        "write",
        TOL_READERS,
        TOL_HANDLERS,
        target=tolerance_case("determined"),
        params=lambda c: {"case_id": c.pk},
        body=lambda w, c: {"visited_on": tolerance_services.today().isoformat(), "visitors": "矩阵", "notes": "回访"},
        ok=201,
    ),
    "dandang_tolerance_api_exemption_notice": Entry(
        "detail",
        TOL_READERS,
        target=tolerance_case("determined"),
        params=lambda c: {"case_id": c.pk},
        may_change={"core_accesslog": "the read of the notice is logged"},
    ),
}


WEB: dict[str, Entry] = {
    "home": Entry("page", sides=(INSIDE,)),
    "inbox": Entry("page", sides=(INSIDE,)),
    "login": Entry("page", expect=lambda role, side: 200 if role == ANONYMOUS else 302, sides=(INSIDE,), public=True),
    "language_set": Entry(
        "write",
        method="POST",
        body=lambda w, o: {"language": "en"},
        # Everyone sets their own language; no jurisdiction is involved.
        expect=_everyone(302),
        sides=(INSIDE,),
    ),
    "inbox_read": Entry(
        "write",
        method="POST",
        # Inside: a notice to the caller; outside: one to staff_b.  Only the addressee may mark it.
        # (``world.notices`` is filled by the matrix: username -> notice, and "staff_b".)
        target_for=lambda w, side, username: w.notices[username if side == INSIDE else "staff_b"],
        params=lambda n: {"pk": n.pk},
        expect=lambda role, side: 302 if side == INSIDE else 404,
    ),
    "org:tree": Entry("page", ORG_VIEWERS, target=org("bureau"), mark=lambda o: o.name),
    "org:org_detail": Entry(
        "detail", ORG_VIEWERS, target=org("bureau"), params=lambda o: {"pk": o.pk}, mark=lambda o: o.name
    ),
    "org:org_children": Entry("detail", ORG_VIEWERS, target=org("bureau"), params=lambda o: {"pk": o.pk}),
    "org:cadre_list": Entry("list", CADRE_AND_SELF, target=cadre, mark=lambda c: c.name),
    "org:cadre_detail": Entry(
        "detail",
        CADRE_AND_SELF,
        target=cadre,
        params=lambda c: {"pk": c.pk},
        mark=lambda c: c.name,
        # The page answers POST as GET, and a dossier read is logged (outside the audit chains).
        may_change={"core_accesslog": "the dossier read is logged"},
    ),
    "org:holidays": Entry("page", sides=(INSIDE,)),
    "org:roster_import": Entry("page", expect=_only_staff(200, 404), sides=(INSIDE,)),
    "org:rulebooks": Entry("page", expect=_only_staff(200, 404), sides=(INSIDE,)),
    "org:rulebook_download": Entry(
        "page",
        params=lambda o: {"rulebook_id": "security", "version": 1},
        expect=_only_staff(200, 404),
        sides=(INSIDE,),
    ),
    "org:roster_template": Entry("page", expect=_only_staff(200, 404), sides=(INSIDE,)),
    "org:roster_template_csv": Entry(
        "page", params=lambda o: {"kind": "posts"}, expect=_only_staff(200, 404), sides=(INSIDE,)
    ),
    # --- performance archive pages
    "archive:entry_list": Entry("list", ARCHIVE_READERS, target=archive_entry("draft"), mark=_entry_mark),
    "archive:my_archive": Entry(
        "list",
        AUTHOR,
        target=archive_entry("draft"),
        mark=_entry_mark,
        # A user who is not a cadre has no archive of their own.
        expect=lambda role, side: 200 if role == R.CADRE else 404,
    ),
    "archive:queue": Entry(
        "list",
        ARCHIVE_VERIFIERS,
        target=archive_entry("submitted"),
        mark=_entry_mark,
        expect=lambda role, side: 200 if role in ARCHIVE_VERIFIERS else 404,
    ),
    "archive:metric_row": Entry("page", sides=(INSIDE,)),
    "archive:import": Entry("page", expect=_only_staff(200, 404), sides=(INSIDE,)),
    "archive:import_template_xlsx": Entry("page", expect=_only_staff(200, 404), sides=(INSIDE,)),
    "archive:import_template_csv": Entry("page", expect=_only_staff(200, 404), sides=(INSIDE,)),
    "archive:entry_detail": Entry(
        "detail",
        ARCHIVE_READERS,
        target=archive_entry("draft"),
        params=lambda e: {"pk": e.pk},
        mark=lambda e: e.title,
    ),
    "archive:entry_edit": Entry(
        "detail",
        ARCHIVE_READERS,
        target=archive_entry("draft"),
        params=lambda e: {"pk": e.pk},
        mark=lambda e: e.title,
        expect=_archive_page(AUTHOR, 403),
    ),
    "archive:entry_create": Entry(
        "detail",
        ARCHIVE_READERS,
        target=cadre,
        params=lambda c: {"pk": c.pk},
        mark=lambda c: c.name,
        # Discipline inspection records negative entries (the form offers it only those).
        expect=_archive_page(ARCHIVE_RECORDERS | {R.DISCIPLINE}, 403),
    ),
    "archive:entry_submit": Entry(
        "write",
        ARCHIVE_READERS,
        AUTHOR,
        target=archive_entry("draft"),
        params=lambda e: {"pk": e.pk},
        method="POST",
        body=lambda w, e: {"version": e.version},
        ok=302,
    ),
    "archive:entry_withdraw": Entry(
        "write",
        ARCHIVE_READERS,
        AUTHOR,
        target=archive_entry("draft"),
        params=lambda e: {"pk": e.pk},
        method="POST",
        body=lambda w, e: {"version": e.version},
        ok=302,
    ),
    "archive:entry_return": Entry(
        "write",
        ARCHIVE_READERS,
        ARCHIVE_VERIFIERS,
        target=archive_entry("submitted"),
        params=lambda e: {"pk": e.pk},
        method="POST",
        body=_archive_step("return"),
        ok=302,
    ),
    "archive:entry_reject": Entry(
        "write",
        ARCHIVE_READERS,
        ARCHIVE_VERIFIERS,
        target=archive_entry("submitted"),
        params=lambda e: {"pk": e.pk},
        method="POST",
        body=_archive_step("reject"),
        ok=302,
    ),
    "archive:entry_verify": Entry(
        "write",
        ARCHIVE_READERS,
        ARCHIVE_VERIFIERS,
        target=archive_entry("submitted"),
        params=lambda e: {"pk": e.pk},
        method="POST",
        body=lambda w, e: {
            "version": e.version,
            "method": "site_visit",
            "difficulty": "hard",
            "score_completion": 90,
            "score_authenticity": 95,
            "score_difficulty": 80,
            "score_contribution": 100,
        },
        ok=302,
    ),
    "archive:entry_revoke": Entry(
        "write",
        ARCHIVE_READERS,
        STAFF,
        target=archive_entry("verified"),
        params=lambda e: {"pk": e.pk},
        method="POST",
        body=_archive_step("revoke"),
        ok=302,
    ),
    "archive:evidence_add": Entry(
        "write",
        ARCHIVE_READERS,
        AUTHOR,
        target=archive_entry("draft"),
        params=lambda e: {"pk": e.pk},
        method="POST",
        body=lambda w, e: {
            "file": ("统计表.csv", b"indicator,actual\nroad_km,12\n", "text/csv"),
            "kind": "statistics",
            "version": e.version,
        },
        multipart=True,
        ok=302,
    ),
    "archive:evidence_remove": Entry(
        "write",
        ARCHIVE_READERS,
        AUTHOR,
        # The entry (the evidence is gone after a successful removal): its only evidence item.
        target=archive_entry("evidence"),
        params=lambda e: {"pk": Evidence.objects.get(entry=e).pk},
        method="POST",
        body=lambda w, e: {"version": e.version},
        ok=302,
    ),
    "archive:evidence_download": Entry(
        "detail",
        ARCHIVE_READERS,
        target=archive_evidence,
        params=lambda i: {"pk": i.pk},
        may_change={"core_accesslog": "the download of a dossier's file is logged"},
    ),
    "archive:task_create": Entry(
        "write",
        ARCHIVE_READERS,
        ARCHIVE_RECORDERS,
        target=cadre,
        params=lambda c: {"pk": c.pk},
        method="POST",
        body=lambda w, c: {"task_name": "矩阵网页任务", "task_year": 2024},
    ),
    "archive:dossier": Entry(
        "detail",
        ARCHIVE_READERS,
        target=cadre,
        params=lambda c: {"pk": c.pk},
        mark=lambda c: c.name,
        may_change={"core_accesslog": "the dossier read is logged"},
    ),
    "archive:card_pdf": Entry(
        "detail",
        ARCHIVE_READERS,
        target=cadre,
        params=lambda c: {"pk": c.pk},
        may_change={"core_accesslog": "the dossier read is logged"},
    ),
    "archive:card_xlsx": Entry(
        "detail",
        ARCHIVE_READERS,
        target=cadre,
        params=lambda c: {"pk": c.pk},
        may_change={"core_accesslog": "the dossier read is logged"},
    ),
    # --- tolerance pages
    "tolerance:case_list": Entry(
        "list",
        TOL_READERS,
        target=tolerance_case("applied"),
        mark=_case_mark,
        expect=lambda role, side: 200 if role in TOL_READERS else 404,
    ),
    "tolerance:apply": Entry("page", expect=lambda role, side: 200 if role == R.CADRE else 404, sides=(INSIDE,)),
    "tolerance:case_detail": Entry(
        "detail", TOL_READERS, target=tolerance_case("applied"), params=lambda c: {"pk": c.pk}, mark=lambda c: c.matter
    ),
    "tolerance:case_accept": Entry(
        "write",
        TOL_READERS,
        TOL_HANDLERS,
        target=tolerance_case("applied"),
        params=lambda c: {"pk": c.pk},
        method="POST",
        body=_tol_step("accept", note="矩阵"),
        ok=302,
    ),
    "tolerance:case_refuse": Entry(
        "write",
        TOL_READERS,
        TOL_HANDLERS,
        target=tolerance_case("applied"),
        params=lambda c: {"pk": c.pk},
        method="POST",
        body=_tol_step("refuse", note="矩阵"),
        ok=302,
    ),
    "tolerance:case_extend": Entry(
        "write",
        TOL_READERS,
        TOL_HANDLERS,
        target=tolerance_case("investigating"),
        params=lambda c: {"pk": c.pk},
        method="POST",
        body=_tol_step("extend", reason="矩阵"),
        ok=302,
    ),
    "tolerance:case_propose": Entry(
        "detail",
        TOL_READERS,
        target=tolerance_case("investigating"),
        params=lambda c: {"pk": c.pk},
        expect=_tol_page(TOL_HANDLERS, 403),
    ),
    "tolerance:extra_facts": Entry(
        "detail", TOL_READERS, target=tolerance_case("investigating"), params=lambda c: {"pk": c.pk}
    ),
    "tolerance:case_determine": Entry(
        "write",
        TOL_READERS,
        TOL_HANDLERS,
        target=tolerance_case("proposed"),
        params=lambda c: {"pk": c.pk},
        method="POST",
        body=_tol_step("determine", outcome="exempt"),
        ok=302,
    ),
    "tolerance:case_close": Entry(
        "write",
        TOL_READERS,
        TOL_HANDLERS,
        target=lambda w, side: _closable(w, side),
        params=lambda c: {"pk": c.pk},
        method="POST",
        body=_tol_step("close"),
        ok=302,
    ),
    "tolerance:correction_add": Entry(
        "write",
        TOL_READERS,
        TOL_HANDLERS,
        target=tolerance_case("determined"),
        params=lambda c: {"pk": c.pk},
        method="POST",
        body=lambda w, c: {
            "correction-owner": "矩阵",
            "correction-task": "矩阵任务",
            "correction-deadline": (_recent() + dt.timedelta(days=20)).isoformat(),
        },
        ok=302,
    ),
    "tolerance:correction_done": Entry(
        "write",
        TOL_READERS,
        TOL_HANDLERS,
        target=correction_item,
        params=lambda i: {"pk": i.pk},
        method="POST",
        body=lambda w, i: {"done-done_on": _recent().isoformat()},
        ok=302,
    ),
    "tolerance:follow_up_add": Entry(
        "write",
        TOL_READERS,
        TOL_HANDLERS,
        target=tolerance_case("determined"),
        params=lambda c: {"pk": c.pk},
        method="POST",
        body=lambda w, c: {
            "visit-visited_on": tolerance_services.today().isoformat(),
            "visit-visitors": "矩阵",
            "visit-notes": "回访",
        },
        ok=302,
    ),
    "tolerance:notice_pdf": Entry(
        "detail",
        TOL_READERS,
        target=tolerance_case("determined"),
        params=lambda c: {"pk": c.pk},
        may_change={"core_accesslog": "the read of the notice is logged"},
    ),
    "tolerance:cadre_cases": Entry(
        "detail",
        CADRE_AND_SELF,
        target=cadre,
        params=lambda c: {"pk": c.pk},
        mark=lambda c: c.name,
        # The cadre's other readers (care officer, task commander…) may not read tolerance cases.
        expect=_tol_page(TOL_READERS, 404),
        may_change={"core_accesslog": "the dossier read is logged"},
    ),
}

# Writes of pages, tried in addition to the page's GET above: (route, entry).
WEB_WRITES: dict[str, Entry] = {
    "org:holidays": Entry(
        "write",
        method="POST",
        body=lambda w, o: {"year": 2199, "holidays": "2199-01-01", "workdays": "", "source": "matrix"},
        # The holiday table is national: only staff of a top-level organization publish it.
        expect=_everyone(403),
        sides=(INSIDE,),
    ),
    "org:roster_import": Entry(
        "write",
        method="POST",
        target=org("bureau"),
        body=lambda w, o: {"sheet": "posts", **_roster_csv(w, o)},
        multipart=True,
        expect=_importer_expect(200, 422, 404),
        may_change={"core_notification": "the importer is told of the refused file in their inbox"},
    ),
    "org:rulebooks": Entry(
        "write",
        method="POST",
        target=org(""),
        body=_rulebook_upload,
        multipart=True,
        # Staff publish for an organization of their own jurisdiction; county B is not among the
        # organizations the form offers them (the form is shown again, 422, nothing written).
        expect=_importer_expect(302, 422, 404),
    ),
    "archive:import": Entry(
        "write",
        method="POST",
        target=cadre,
        body=lambda w, c: _archive_csv(w, c),
        multipart=True,
        expect=_importer_expect(200, 422, 404),
        may_change={"core_notification": "the importer is told of the refused file in their inbox"},
    ),
    "archive:entry_create": Entry(
        "write",
        ARCHIVE_READERS,
        ARCHIVE_RECORDERS,
        target=cadre,
        params=lambda c: {"pk": c.pk},
        method="POST",
        body=_archive_form,
        ok=302,
    ),
    "archive:entry_edit": Entry(
        "write",
        ARCHIVE_READERS,
        AUTHOR,
        target=archive_entry("draft"),
        params=lambda e: {"pk": e.pk},
        method="POST",
        body=_archive_form,
        ok=302,
    ),
    "tolerance:apply": Entry(
        "write",
        CADRE_AND_SELF,
        AUTHOR,
        method="POST",
        body=_tol_application,
        expect=lambda role, side: 302 if role == R.CADRE else 404,
        sides=(INSIDE,),
    ),
    "tolerance:case_propose": Entry(
        "write",
        TOL_READERS,
        TOL_HANDLERS,
        target=tolerance_case("investigating"),
        params=lambda c: {"pk": c.pk},
        method="POST",
        body=_tol_web_facts,
        ok=302,
    ),
}


# --- name clearing and the tolerance lists (issue 5): entries kept in their own module ----------
from tests import matrix_registry_clearing as _clearing  # noqa: E402

API.update(_clearing.API)
WEB.update(_clearing.WEB)
WEB_WRITES.update(_clearing.WEB_WRITES)
