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

from dandang.org.models import RoleGrant, Tenure
from dandang.org.roles import Role
from dandang.testing import World, make_id_number

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


def _importer_expect(ok_inside: int, ok_outside: int, denied: int) -> Callable[[str, str], int]:
    # An import names organizations by code in the file: one outside the jurisdiction is a row
    # error (the whole file is refused), not a 404.
    def expect(role: str, side: str) -> int:
        if role != R.ORG_STAFF:
            return denied
        return ok_inside if side == INSIDE else ok_outside

    return expect


def _only_staff(ok: int, denied: int) -> Callable[[str, str], int]:
    return lambda role, side: ok if role == R.ORG_STAFF else denied


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
    "org:roster_template": Entry("page", expect=_only_staff(200, 404), sides=(INSIDE,)),
    "org:roster_template_csv": Entry(
        "page", params=lambda o: {"kind": "posts"}, expect=_only_staff(200, 404), sides=(INSIDE,)
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
}
