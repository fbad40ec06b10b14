"""The JSON API /api/v1/ of the org app: every operation, both kinds of authentication, every
documented error, jurisdiction, masking, pagination, query counts and nothing changed on refusal.

Every call goes through :func:`call`, which fails when the status answered is not declared for
that operation in the OpenAPI document, or when an error body is not ``{"code","message","detail"}``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils.translation import trans_real

from dandang.core.errors import Conflict, PermissionDenied, ValidationFailed
from dandang.core.models import AccessLog, AuditEvent
from dandang.org import selectors, services
from dandang.org.models import ApiToken, Cadre, Organization, Post, RoleGrant, Tenure
from dandang.testing import fresh, make_id_number, row_counts

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

_SCHEMA: dict[str, Any] = {}


def schema() -> dict[str, Any]:
    """The OpenAPI document as the API serves it (in English, as it is committed)."""
    if not _SCHEMA:
        response = Client().get("/api/v1/openapi.json", headers={"Accept-Language": "en"})
        assert response.status_code == 200
        _SCHEMA.update(response.json())
    return _SCHEMA


def declared(method: str, url: str) -> set[int]:
    path = url.split("?", 1)[0]
    for template, operations in schema()["paths"].items():
        if re.match("^" + re.sub(r"\{[^}]+\}", r"[^/]+", template) + "$", path):
            return {int(code) for code in operations[method.lower()]["responses"]}
    raise AssertionError(f"{method} {url} is not an operation of the OpenAPI document")


def call(client: Client, method: str, url: str, body: Any = None, **extra: Any) -> Any:
    """Call the API; assert the status is declared and an error has our shape."""
    kwargs: dict[str, Any] = dict(extra)
    if body is not None:
        kwargs.setdefault("content_type", "application/json")
        kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body, default=str)
    response = getattr(client, method.lower())(url, **kwargs)
    assert response.status_code in declared(method, url), (method, url, response.status_code, response.content)
    if response.status_code >= 400:
        data = response.json()
        assert set(data) == {"code", "message", "detail"}, data
        assert isinstance(data["code"], str) and data["code"]
        assert isinstance(data["message"], str) and data["message"]
    return response


def session(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bearer(user: Any, name: str = "test") -> tuple[Client, ApiToken, str]:
    token, secret = services.api_token_create(actor=None, user=user, name=name)
    return Client(headers={"Authorization": f"Bearer {secret}"}), token, secret


def state() -> tuple[dict[str, int], int]:
    return row_counts(), AuditEvent.objects.count()


def _cadre_body(world: Any, seq: int, **overrides: Any) -> dict[str, Any]:
    birth = dt.date(1990, 5, 17)
    body = {
        "name": "赵敏",
        "gender": "female",
        "birth_date": birth.isoformat(),
        "ethnicity": "汉族",
        "education": "master",
        "id_number": make_id_number(seq, birth),
        "organization_id": world.orgs["A-bureau"].pk,
    }
    body.update(overrides)
    return body


# --- happy paths (organization-department staff) -------------------------------------------


def test_organizations_list_detail_create_update(world):
    c = session(world.user("staff_a"))
    r = call(c, "GET", "/api/v1/organizations")
    assert r.status_code == 200
    codes = {o["code"] for o in r.json()["items"]}
    assert "330102" in codes and "330102-B1" in codes
    assert not any(code.startswith("330103") for code in codes)
    assert r.json()["count"] == len(codes) == Organization.objects.filter(path__startswith="330100/330102/").count()

    town = world.orgs["A-t1"]
    r = call(c, "GET", f"/api/v1/organizations/{town.pk}")
    assert r.json()["path"] == town.path and r.json()["level"] == "township"

    r = call(
        c,
        "POST",
        "/api/v1/organizations",
        {"code": "330102001009", "name": "新村", "parent_id": town.pk, "level": "village", "kind": "village"},
    )
    assert r.status_code == 201
    created = Organization.objects.get(code="330102001009")
    assert r.json()["id"] == created.pk and created.path == town.path + "330102001009/"
    assert AuditEvent.objects.filter(action="organization.create", object_id=str(created.pk)).exists()

    r = call(c, "PATCH", f"/api/v1/organizations/{created.pk}", {"name": "新村社区", "staff_size": 7})
    assert r.status_code == 200 and r.json()["name"] == "新村社区"
    assert fresh(created).staff_size == 7


def test_posts_list_detail_create_update(world):
    c = session(world.user("staff_a"))
    bureau = world.orgs["A-bureau"]
    r = call(c, "GET", f"/api/v1/posts?organization_id={bureau.pk}")
    assert {p["id"] for p in r.json()["items"]} == {world.posts["A-head"].pk, world.posts["A-clerk"].pk}
    r = call(c, "GET", f"/api/v1/posts/{world.posts['A-town'].pk}")
    assert r.json()["is_hardship"] is True

    r = call(c, "POST", "/api/v1/posts", {"organization_id": bureau.pk, "title": "副局长", "is_leading": True})
    assert r.status_code == 201
    post = Post.objects.get(pk=r.json()["id"])
    assert post.organization == bureau and post.is_leading
    r = call(c, "PATCH", f"/api/v1/posts/{post.pk}", {"rank": "副科级", "is_hardship": True})
    assert r.status_code == 200
    post = fresh(post)
    assert post.rank == "副科级" and post.is_hardship and post.title == "副局长"


def test_cadres_list_detail_create_update(world):
    c = session(world.user("staff_a"))
    r = call(c, "GET", "/api/v1/cadres?q=zwj")
    assert [item["name"] for item in r.json()["items"]] == ["张伟军"]
    a1 = world.cadres["A1"]
    r = call(c, "GET", f"/api/v1/cadres/{a1.pk}")
    assert r.json()["name"] == "张伟军" and r.json()["post_id"] == world.posts["A-head"].pk
    assert AccessLog.objects.filter(object_type="cadre", object_id=str(a1.pk), viewer=world.user("staff_a")).exists()

    r = call(c, "POST", "/api/v1/cadres", _cadre_body(world, 501))
    assert r.status_code == 201
    cadre = Cadre.objects.get(pk=r.json()["id"])
    assert cadre.name_initials == "zm" and cadre.org == world.orgs["A-bureau"]
    r = call(c, "PATCH", f"/api/v1/cadres/{cadre.pk}", {"education": "doctorate", "party_join_date": "2015-07-01"})
    assert r.status_code == 200
    assert fresh(cadre).education == "doctorate" and fresh(cadre).party_join_date == dt.date(2015, 7, 1)
    r = call(c, "PATCH", f"/api/v1/cadres/{cadre.pk}", {"party_join_date": None})
    assert r.status_code == 200 and fresh(cadre).party_join_date is None


def test_tenures_list_detail_create_update(world):
    c = session(world.user("staff_a"))
    a3 = world.cadres["A3"]
    r = call(c, "GET", f"/api/v1/tenures?cadre_id={a3.pk}")
    assert r.json()["count"] == 1
    old = r.json()["items"][0]
    assert old["end"] is None and old["end_reason"] is None
    r = call(c, "GET", f"/api/v1/tenures/{old['id']}")
    assert r.json()["post_id"] == world.posts["A-clerk"].pk

    r = call(
        c,
        "POST",
        "/api/v1/tenures",
        {"cadre_id": a3.pk, "post_id": world.posts["A-town"].pk, "start": "2024-01-02", "reason": "transfer"},
    )
    assert r.status_code == 201
    assert fresh(a3).org == world.orgs["A-t1"]
    ended = Tenure.objects.get(pk=old["id"])
    assert ended.end == dt.date(2024, 1, 1) and ended.end_reason == "transfer"

    r = call(c, "PATCH", f"/api/v1/tenures/{r.json()['id']}", {"end": "2025-06-30", "end_reason": "retirement"})
    assert r.status_code == 200 and r.json()["end_reason"] == "retirement"
    assert fresh(a3).post is None


def test_role_grants_list_detail_create_update(world):
    c = session(world.user("security_a"))
    r = call(c, "GET", "/api/v1/role-grants")
    usernames = {g["username"] for g in r.json()["items"]}
    assert {"staff_a", "leader_a"} <= usernames and "staff_b" not in usernames and "staff_city" not in usernames
    grant = RoleGrant.objects.get(user=world.user("leader_a"))
    r = call(c, "GET", f"/api/v1/role-grants/{grant.pk}")
    assert r.json()["role"] == "unit_leader"

    body = {"username": "nobody", "role": "auditor", "organization_id": world.orgs["A-t2"].pk}
    r = call(c, "POST", "/api/v1/role-grants", body)
    assert r.status_code == 201
    new = RoleGrant.objects.get(pk=r.json()["id"])
    assert new.user == world.user("nobody") and new.granted_by == world.user("security_a")

    r = call(c, "PATCH", f"/api/v1/role-grants/{new.pk}", {"include_descendants": False})
    assert r.status_code == 200 and fresh(new).include_descendants is False
    r = call(c, "PATCH", f"/api/v1/role-grants/{new.pk}", {"revoke": True})
    assert r.json()["revoked"] is True and fresh(new).revoked_at is not None


# --- authentication ------------------------------------------------------------------------


def test_unauthenticated_is_401_everywhere(world):
    c = Client()
    before = state()
    for method, url, body in (
        ("GET", "/api/v1/cadres", None),
        ("GET", f"/api/v1/cadres/{world.cadres['A1'].pk}", None),
        ("POST", "/api/v1/posts", {"organization_id": world.orgs["A"].pk, "title": "x"}),
        ("PATCH", f"/api/v1/posts/{world.posts['A-head'].pk}", {"title": "x"}),
    ):
        r = call(c, method, url, body)
        assert r.status_code == 401 and r.json()["code"] == "unauthenticated"
    assert state() == before


def test_token_auth_and_revoked_token(world):
    c, token, secret = bearer(world.user("staff_a"))
    assert token.key_hash == ApiToken.hash_key(secret) and secret not in token.key_hash
    r = call(c, "GET", "/api/v1/cadres")
    assert r.status_code == 200 and r.json()["count"] == 4
    r = call(c, "POST", "/api/v1/posts", {"organization_id": world.orgs["A-t2"].pk, "title": "党委委员"})
    assert r.status_code == 201  # a bearer token needs no CSRF token

    services.api_token_revoke(actor=world.user("staff_a"), token=token)
    before = state()
    r = call(c, "GET", "/api/v1/cadres")
    assert r.status_code == 401 and r.json()["code"] == "unauthenticated"
    r = call(c, "POST", "/api/v1/posts", {"organization_id": world.orgs["A-t2"].pk, "title": "党委副书记"})
    assert r.status_code == 401
    assert state() == before


def test_a_bad_token_is_401_even_with_a_session(world):
    c = session(world.user("staff_a"))
    r = call(c, "GET", "/api/v1/cadres", headers={"Authorization": "Bearer dd_wrong"})
    assert r.status_code == 401


def test_token_of_a_disabled_account_is_refused(world):
    user = world.user("staff_a")
    c, _token, _secret = bearer(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert call(c, "GET", "/api/v1/cadres").status_code == 401


def test_session_writes_need_the_csrf_token(world):
    c = Client(enforce_csrf_checks=True)
    c.force_login(world.user("staff_a"))
    body = {"organization_id": world.orgs["A-t2"].pk, "title": "党委委员"}
    assert call(c, "GET", "/api/v1/posts").status_code == 200  # safe methods need none
    before = state()
    r = call(c, "POST", "/api/v1/posts", body)
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
    r = call(c, "PATCH", f"/api/v1/posts/{world.posts['A-head'].pk}", {"title": "x"})
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
    assert state() == before

    secret = "a" * 32
    c.cookies[settings.CSRF_COOKIE_NAME] = secret
    r = call(c, "POST", "/api/v1/posts", body, headers={"X-CSRFToken": secret})
    assert r.status_code == 201


def test_commands_issue_and_revoke_a_token(world):
    out, err = io.StringIO(), io.StringIO()
    call_command("api_token_create", "staff_a", "reporting", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    assert secret.startswith("dd_") and secret not in err.getvalue()
    token = ApiToken.objects.get(user=world.user("staff_a"), name="reporting")
    assert token.key_hash == ApiToken.hash_key(secret)
    assert AuditEvent.objects.filter(action="api_token.create", object_id=str(token.pk), actor=None).exists()
    c = Client(headers={"Authorization": f"Bearer {secret}"})
    assert call(c, "GET", "/api/v1/organizations").status_code == 200

    with pytest.raises(CommandError):
        call_command("api_token_create", "staff_a", "reporting", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError):
        call_command("api_token_create", "no_such_user", "x", stdout=io.StringIO(), stderr=io.StringIO())
    assert ApiToken.objects.count() == 1

    call_command("api_token_revoke", "staff_a", "reporting", stdout=io.StringIO())
    assert fresh(token).revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoke", object_id=str(token.pk)).exists()
    assert call(c, "GET", "/api/v1/organizations").status_code == 401
    with pytest.raises(CommandError):
        call_command("api_token_revoke", "staff_a", "reporting", stdout=io.StringIO())


def test_token_services_refuse_others(world):
    staff = world.user("staff_a")
    token, _ = services.api_token_create(actor=staff, name="mine")
    before = state()
    with pytest.raises(PermissionDenied):
        services.api_token_create(actor=staff, user=world.user("leader_a"), name="theirs")
    with pytest.raises(PermissionDenied):
        services.api_token_revoke(actor=world.user("leader_a"), token=token)
    with pytest.raises(Conflict):
        services.api_token_create(actor=staff, name="mine")
    with pytest.raises(ValidationFailed):
        services.api_token_create(actor=staff, name="  ")
    assert state() == before
    services.api_token_revoke(actor=world.user("security_a"), token=token)  # a security administrator may
    assert fresh(token).revoked_at is not None


# --- jurisdiction and roles ----------------------------------------------------------------


def test_outside_the_jurisdiction_is_404_like_absent(world):
    c = session(world.user("staff_b"))
    for url, obj in (
        ("/api/v1/organizations/{}", world.orgs["A-bureau"]),
        ("/api/v1/posts/{}", world.posts["A-head"]),
        ("/api/v1/cadres/{}", world.cadres["A1"]),
        ("/api/v1/tenures/{}", Tenure.objects.filter(cadre=world.cadres["A1"]).get()),
        ("/api/v1/role-grants/{}", RoleGrant.objects.get(user=world.user("leader_a"))),
    ):
        outside = call(c, "GET", url.format(obj.pk))
        absent = call(c, "GET", url.format(10**9))
        assert outside.status_code == absent.status_code == 404, url
        assert outside.json() == absent.json(), url
        assert outside.json()["code"] == "not_found"


def test_writes_outside_the_jurisdiction_are_404_and_change_nothing(world):
    c = session(world.user("staff_b"))
    a1, head = world.cadres["A1"], world.posts["A-head"]
    before = state()
    for method, url, body in (
        ("POST", "/api/v1/posts", {"organization_id": world.orgs["A"].pk, "title": "x"}),
        ("PATCH", f"/api/v1/posts/{head.pk}", {"title": "x"}),
        ("POST", "/api/v1/cadres", _cadre_body(world, 502)),
        ("PATCH", f"/api/v1/cadres/{a1.pk}", {"name": "x"}),
        ("POST", "/api/v1/tenures", {"cadre_id": a1.pk, "post_id": head.pk, "start": "2024-01-01", "reason": "other"}),
        (
            "POST",
            "/api/v1/role-grants",
            {"username": "nobody", "role": "auditor", "organization_id": world.orgs["A"].pk},
        ),
    ):
        r = call(c, method, url, body)
        assert r.status_code == 404, (method, url, r.content)
    # staff of B cannot move a cadre of A into B either (the cadre is outside)
    r = call(
        c,
        "POST",
        "/api/v1/tenures",
        {"cadre_id": a1.pk, "post_id": world.posts["B-head"].pk, "start": "2024-01-01", "reason": "transfer"},
    )
    assert r.status_code == 404
    assert state() == before
    assert fresh(a1).name == "张伟军" and fresh(head).title == "局长"


def test_inside_without_the_capability_is_403_and_changes_nothing(world):
    leader = session(world.user("leader_a"))
    auditor = session(world.user("auditor_a"))
    bureau = world.orgs["A-bureau"]
    a1 = world.cadres["A1"]
    before = state()
    r = call(leader, "POST", "/api/v1/posts", {"organization_id": bureau.pk, "title": "副局长"})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = call(leader, "PATCH", f"/api/v1/cadres/{a1.pk}", {"name": "张三"})
    assert r.status_code == 403
    r = call(leader, "PATCH", f"/api/v1/organizations/{bureau.pk}", {"staff_size": 1})
    assert r.status_code == 403
    r = call(
        auditor, "POST", "/api/v1/role-grants", {"username": "nobody", "role": "auditor", "organization_id": bureau.pk}
    )
    assert r.status_code == 403
    # …and cannot probe usernames: an unknown user is refused the same way
    r = call(
        auditor, "POST", "/api/v1/role-grants", {"username": "ghost", "role": "auditor", "organization_id": bureau.pk}
    )
    assert r.status_code == 403
    assert state() == before
    assert fresh(a1).name == "张伟军" and fresh(bureau).staff_size == 30


def test_nobody_grants_themselves_a_role(world):
    c = session(world.user("security_a"))
    before = state()
    r = call(
        c,
        "POST",
        "/api/v1/role-grants",
        {"username": "security_a", "role": "org_staff", "organization_id": world.orgs["A"].pk},
    )
    assert r.status_code == 403
    assert state() == before


def test_id_number_masked_for_leader_shown_for_staff(world):
    a1 = world.cadres["A1"]
    staff = call(session(world.user("staff_a")), "GET", f"/api/v1/cadres/{a1.pk}").json()
    leader = call(session(world.user("leader_a")), "GET", f"/api/v1/cadres/{a1.pk}").json()
    assert staff["id_number"] == a1.id_number
    assert leader["id_number"] == a1.id_number[:6] + "********" + a1.id_number[-4:]
    assert a1.id_number[6:14] not in json.dumps(leader)
    listed = call(session(world.user("leader_a")), "GET", "/api/v1/cadres").json()["items"]
    assert listed and all("********" in item["id_number"] for item in listed)


def test_cadre_sees_only_themselves(world):
    c = session(world.user("cadre_a1"))
    r = call(c, "GET", "/api/v1/cadres")
    assert [item["id"] for item in r.json()["items"]] == [world.cadres["A1"].pk]
    assert "********" in r.json()["items"][0]["id_number"]
    assert call(c, "GET", f"/api/v1/cadres/{world.cadres['A2'].pk}").status_code == 404
    assert call(c, "GET", "/api/v1/organizations").json()["count"] == 0


def test_cadre_filter_by_organization_outside_is_404(world):
    c = session(world.user("staff_a"))
    r = call(c, "GET", f"/api/v1/cadres?organization_id={world.orgs['B'].pk}")
    assert r.status_code == 404
    r = call(c, "GET", f"/api/v1/cadres?organization_id={world.orgs['A-t1'].pk}")
    assert [item["name"] for item in r.json()["items"]] == ["王芳"]


# --- conflicts and bad values --------------------------------------------------------------


def test_duplicate_id_number_is_409_and_changes_nothing(world):
    c = session(world.user("staff_a"))
    taken = world.cadres["A2"].id_number
    before = state()
    r = call(c, "POST", "/api/v1/cadres", _cadre_body(world, 0, id_number=taken))
    assert r.status_code == 409 and r.json()["code"] == "conflict"
    r = call(c, "PATCH", f"/api/v1/cadres/{world.cadres['A1'].pk}", {"id_number": taken})
    assert r.status_code == 409
    assert state() == before
    assert fresh(world.cadres["A1"]).id_number == world.cadres["A1"].id_number


def test_other_conflicts(world):
    c = session(world.user("staff_a"))
    grant = RoleGrant.objects.get(user=world.user("leader_a"))
    a1 = world.cadres["A1"]
    before = state()
    r = call(
        c,
        "POST",
        "/api/v1/role-grants",
        {"username": "leader_a", "role": "unit_leader", "organization_id": world.orgs["A-bureau"].pk},
    )
    assert r.status_code == 409
    r = call(
        c,
        "POST",
        "/api/v1/tenures",
        {"cadre_id": a1.pk, "post_id": world.posts["A-head"].pk, "start": "2024-01-01", "reason": "other"},
    )
    assert r.status_code == 409
    r = call(
        c,
        "POST",
        "/api/v1/organizations",
        {
            "code": "330102-B1",
            "name": "重复",
            "parent_id": world.orgs["A"].pk,
            "level": "county",
            "kind": "government_department",
        },
    )
    assert r.status_code == 409
    assert state() == before
    services.role_grant_update(actor=None, grant=grant, revoke=True)
    r = call(c, "PATCH", f"/api/v1/role-grants/{grant.pk}", {"include_descendants": False})
    assert r.status_code == 409


BAD_VALUES = [  # (method, url, body, the field the 422 names)
    (
        "POST",
        "/api/v1/organizations",
        {"code": "X", "name": "x", "parent_id": "{A}", "level": "galaxy", "kind": "village"},
        "level",
    ),
    (
        "POST",
        "/api/v1/organizations",
        {"code": "X", "name": "x", "parent_id": "{A}", "level": "village", "kind": "village"},
        "level",
    ),
    ("POST", "/api/v1/cadres", "bad_check_digit", "id_number"),
    ("POST", "/api/v1/cadres", "short_id", "id_number"),
    ("POST", "/api/v1/cadres", "bad_date", "birth_date"),
    ("POST", "/api/v1/posts", {"organization_id": "{A}"}, "title"),
    ("POST", "/api/v1/posts", {"organization_id": "{A}", "title": "x", "colour": "red"}, "colour"),
    ("PATCH", "/api/v1/posts/{head}", {"title": None}, "title"),
    ("PATCH", "/api/v1/posts/{head}", {}, "(request)"),
    ("PATCH", "/api/v1/tenures/{tenure}", {"end": "2000-01-01", "end_reason": "retirement"}, "end"),
    ("PATCH", "/api/v1/tenures/{tenure}", {"end": "2025-01-01"}, "end_reason"),
    ("POST", "/api/v1/role-grants", {"username": "nobody", "role": "emperor", "organization_id": "{A}"}, "role"),
    ("POST", "/api/v1/role-grants", {"username": "nobody", "role": "cadre", "organization_id": "{A}"}, "role"),
    ("GET", "/api/v1/cadres?limit=1000", None, "limit"),
    ("GET", "/api/v1/cadres?offset=-1", None, "offset"),
    ("GET", "/api/v1/cadres/abc", None, "cadre_id"),
]


def test_bad_values_are_422_with_field_detail(world):
    c = session(world.user("staff_a"))
    for method, url, body, field in BAD_VALUES:
        _check_bad_value(world, c, method, url, body, field)


def _check_bad_value(world, c, method, url, body, field):
    ids = {
        "A": world.orgs["A"].pk,
        "head": world.posts["A-head"].pk,
        "tenure": Tenure.objects.filter(cadre=world.cadres["A1"]).get().pk,
    }
    if body == "bad_check_digit":
        good = make_id_number(777, dt.date(1990, 5, 17))
        body = _cadre_body(world, 0, id_number=good[:-1] + ("0" if good[-1] != "0" else "1"))
    elif body == "short_id":
        body = _cadre_body(world, 0, id_number="33010219900517")
    elif body == "bad_date":
        body = _cadre_body(world, 778, birth_date="1990-02-30")
    elif isinstance(body, dict):
        body = {k: ids[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v for k, v in body.items()}
    url = url.format(**ids)
    before = state()
    r = call(c, method, url, body)
    assert r.status_code == 422, (method, url, r.content)
    assert r.json()["code"] == "invalid"
    assert field in r.json()["detail"], (method, url, r.json())
    assert all(isinstance(m, str) and m for m in r.json()["detail"][field])
    assert state() == before


def test_malformed_or_non_json_body_is_400(world):
    c = session(world.user("staff_a"))
    before = state()
    for content_type, body, code in (
        ("application/json", '{"title": ', "malformed_json"),
        ("application/json", b"\xff\xfe", "malformed_json"),
        ("text/plain", '{"title": "x"}', "unsupported_content_type"),
        ("application/x-www-form-urlencoded", "title=x", "unsupported_content_type"),
    ):
        r = call(c, "POST", "/api/v1/posts", body, content_type=content_type)
        assert r.status_code == 400 and r.json()["code"] == code, (content_type, body)
        r = call(c, "PATCH", f"/api/v1/posts/{world.posts['A-head'].pk}", body, content_type=content_type)
        assert r.status_code == 400 and r.json()["code"] == code, (content_type, body)
    assert state() == before


def test_too_large_body_is_400(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = {"organization_id": world.orgs["A"].pk, "title": "x" * 200}
    for c in (session(world.user("staff_a")), bearer(world.user("staff_a"))[0]):
        before = state()
        r = call(c, "POST", "/api/v1/posts", body)
        assert r.status_code == 400 and r.json()["code"] == "request_too_large"
        assert state() == before


def test_multipart_body_is_400_not_500(world):
    for c in (session(world.user("staff_a")), bearer(world.user("staff_a"))[0]):
        before = state()
        r = c.post("/api/v1/posts", {"organization_id": world.orgs["A"].pk, "title": "x"})
        assert r.status_code == 400 and r.json()["code"] == "unsupported_content_type"
        assert state() == before


# --- found by fuzzing (tests/fuzz): PostgreSQL can neither store nor compare NUL -------------


def test_text_with_a_nul_character_is_422_not_500(world):
    c = session(world.user("staff_a"))
    ids = {"A": world.orgs["A"].pk, "head": world.posts["A-head"].pk}
    cases = [
        ("POST", "/api/v1/cadres", _cadre_body(world, 779, ethnicity="汉\x00族"), "ethnicity"),
        ("PATCH", f"/api/v1/cadres/{world.cadres['A1'].pk}", {"name": "\x00"}, "name"),
        (
            "POST",
            "/api/v1/organizations",
            {"code": "3301020019", "name": "新\x00村", "parent_id": ids["A"], "level": "township", "kind": "township"},
            "name",
        ),
        ("PATCH", f"/api/v1/posts/{ids['head']}", {"rank": "正科级\x00"}, "rank"),
        (
            "POST",
            "/api/v1/role-grants",
            {"username": "leader_a\x00", "role": "org_staff", "organization_id": ids["A"]},
            "username",
        ),
        ("GET", "/api/v1/cadres?q=%00", None, "q"),
        ("GET", "/api/v1/organizations?q=3301%00", None, "q"),
    ]
    for method, url, body, field in cases:
        before = state()
        r = call(c, method, url, body, headers={"Accept-Language": "en"})
        assert r.status_code == 422, (method, url, r.content)
        assert r.json()["detail"] == {field: ["Text may not contain the NUL character."]}, (method, url)
        assert state() == before
    # Without the NUL, the same request goes through.
    r = call(c, "POST", "/api/v1/cadres", _cadre_body(world, 779, ethnicity="汉族"))
    assert r.status_code == 201


def test_roster_import_of_a_utf16_csv_with_a_nul_character_is_422_not_500(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dandang.org import importing

    c = session(world.user("staff_a"))
    template = importing.roster_template_csv("organizations", parent=world.orgs["A"]).decode("utf-8-sig")
    header, example = template.splitlines()[:2]
    with_nul = example.replace("示例单位", "示例\x00单位")
    assert with_nul != example
    bad = f"{header}\r\n{with_nul}\r\n".encode("utf-16")
    before = state()
    r = call(
        c,
        "POST",
        "/api/v1/roster-imports",
        data={"file": SimpleUploadedFile("r.csv", bad)},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 422, r.content
    assert r.json()["detail"] == {"file": ["This is not a text (.csv) file."]}
    assert state() == before
    # Without the NUL, the same file imports.
    good = f"{header}\r\n{example}\r\n".encode("utf-16")
    r = call(c, "POST", "/api/v1/roster-imports", data={"file": SimpleUploadedFile("r.csv", good)})
    assert r.status_code == 201, r.content


# --- language ------------------------------------------------------------------------------


@pytest.fixture
def zh_catalog(monkeypatch):
    """Until the translation pass fills the catalog, give "Cadre not found." a Chinese text, so the
    test shows that the message follows the caller's language rather than what the catalog holds."""
    catalog = trans_real.translation("zh-hans")._catalog
    if not catalog.get("Cadre not found."):
        monkeypatch.setitem(catalog._catalogs[0], "Cadre not found.", "未找到该干部。")


def test_error_messages_follow_accept_language(world, zh_catalog):
    c = session(world.user("staff_b"))
    url = f"/api/v1/cadres/{world.cadres['A1'].pk}"
    zh = call(c, "GET", url, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    en = call(c, "GET", url, headers={"Accept-Language": "en"})
    assert zh.status_code == en.status_code == 404
    assert en.json()["message"] == "Cadre not found."
    assert re.search(r"[\u4e00-\u9fff]", zh.json()["message"]), zh.json()
    assert zh.headers["Content-Language"] == "zh-hans" and en.headers["Content-Language"] == "en"


def test_field_messages_follow_accept_language(world):
    c = session(world.user("staff_a"))
    en = call(c, "GET", "/api/v1/cadres?limit=1000", headers={"Accept-Language": "en"})
    assert en.json()["detail"]["limit"] == ["Enter a number less than or equal to 200."]
    assert en.json()["message"] == "The request is not valid."


# --- lists: pagination and query counts ----------------------------------------------------


def _more_cadres(world: Any, n: int) -> None:
    for i in range(n):
        birth = dt.date(1980, 1, 1) + dt.timedelta(days=i)
        services.cadre_create(
            actor=None,
            name=f"测试{i:02d}",
            gender="male",
            birth_date=birth,
            ethnicity="汉族",
            education="bachelor",
            id_number=make_id_number(100 + i, birth),
            organization=world.orgs["A-bureau"],
        )


def test_pagination(world):
    _more_cadres(world, 10)
    c = session(world.user("staff_a"))
    everything = call(c, "GET", "/api/v1/cadres?limit=200").json()
    assert everything["count"] == 14 == len(everything["items"])
    page = call(c, "GET", "/api/v1/cadres?limit=5&offset=5").json()
    assert page["count"] == 14
    assert [item["id"] for item in page["items"]] == [item["id"] for item in everything["items"][5:10]]
    last = call(c, "GET", "/api/v1/cadres?limit=5&offset=10").json()
    assert len(last["items"]) == 4
    assert call(c, "GET", "/api/v1/cadres?offset=100").json()["items"] == []
    assert call(c, "GET", "/api/v1/cadres").json()["count"] == 14  # default limit 50


def _more_posts(world: Any, n: int) -> None:
    for i in range(n):
        services.post_create(actor=None, organization=world.orgs["A-t2"], title=f"岗位{i}")


def _more_organizations(world: Any, n: int) -> None:
    for i in range(n):
        services.organization_create(
            actor=None,
            code=f"330102002{i + 10:03d}",
            name=f"村{i}",
            parent=world.orgs["A-t2"],
            level="village",
            kind="village",
        )


def _more_tenures(world: Any, n: int) -> None:
    _more_cadres(world, n)
    for cadre in Cadre.objects.filter(name__startswith="测试"):
        services.tenure_start(
            actor=None, cadre=cadre, post=world.posts["A-clerk"], start=dt.date(2020, 1, 1), reason="appointment"
        )


@pytest.mark.parametrize(
    ("url", "grow"),
    [
        ("/api/v1/cadres", _more_cadres),
        ("/api/v1/tenures", _more_tenures),
        ("/api/v1/posts", _more_posts),
        ("/api/v1/organizations", _more_organizations),
    ],
)
def test_list_query_count_does_not_grow_with_limit(world, url, grow, django_assert_num_queries):
    grow(world, 50)
    c = session(world.user("staff_a"))
    call(c, "GET", url)  # warm the session

    def rows(limit: int) -> int:
        return len(call(c, "GET", f"{url}?limit={limit}").json()["items"])

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as five:
        assert rows(5) == 5
    with django_assert_num_queries(len(five.captured_queries)):
        assert rows(50) == 50


def test_openapi_declares_every_error_with_the_error_shape(db):
    schemas = schema()["components"]["schemas"]
    for path, operations in schema()["paths"].items():
        for method, operation in operations.items():
            codes = {int(c) for c in operation["responses"]}
            assert {401, 422} <= codes, (method, path)  # every operation authenticates and takes input
            if method in ("post", "put", "patch", "delete"):
                assert {400, 403} <= codes, (method, path)  # a body to parse, a CSRF check
            if "{" in path:
                assert 404 in codes, (method, path)
            for code, response in operation["responses"].items():
                if int(code) >= 400:
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    properties = schemas[ref.rsplit("/", 1)[1]]["properties"]
                    assert set(properties) == {"code", "message", "detail"}, (method, path, code)
                    assert response["description"]


def test_committed_openapi_document_is_current(db):
    with open(settings.BASE_DIR / "docs" / "openapi.json", encoding="utf-8") as fh:
        committed = json.load(fh)
    assert committed == schema(), "regenerate: manage.py export_openapi > docs/openapi.json"


def test_selectors_used_by_token_auth(world):
    _, token, secret = bearer(world.user("leader_a"))
    assert selectors.api_token_user(secret) == world.user("leader_a")
    assert selectors.api_token_user(secret + "x") is None
    assert selectors.api_token_by_name("leader_a", "test") == token
