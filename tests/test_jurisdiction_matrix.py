"""The jurisdiction matrix (issue 2 §3): every route × every role × inside/outside the jurisdiction.

The routes are *generated*: the named routes of our own views from the URL resolver, and every
path × method of the OpenAPI document.  ``tests/matrix_registry.py`` says, for each, how to find the
inside and the outside object and who may read and write it; a route or operation missing from the
registry fails (and so does a registry entry whose route is gone).

For each route, role and side the matrix asserts the status, that nothing of county B shows in any
answer (names, codes, usernames), that a list shows the inside object to its readers only and the
outside object to nobody, and — for every refused write — that nothing changed: the row count of
every table (the audit log included) and every field of the object are the same afterwards.  Page
routes without a registered write are also sent an empty POST (by staff, a unit leader and a user
without a role): nothing may change.

Speed: the world is built once per module inside an outer transaction (rolled back at the end);
pytest-django's ``db`` runs each test in a savepoint inside it, and each case of a test runs in a
savepoint of its own, rolled back afterwards.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from dandang.core.models import AuditEvent
from dandang.core.notifications import notification_send
from dandang.org import services
from dandang.org.models import RoleGrant
from dandang.org.roles import Role
from dandang.testing import World, build_world, built_for_module, row_counts
from tests import matrix_registry as reg

pytestmark = pytest.mark.django_db

# Routes of Django and third parties are not ours to cover; the API's URLs are covered through the
# OpenAPI document instead.
EXCLUDED_NAMESPACES = {"admin", "api"}


# --- discovery -----------------------------------------------------------------------------


def web_routes() -> tuple[dict[str, str], list[str]]:
    """``{route name: pattern}`` of every named route whose view is one of ours (``dandang.*``),
    and the patterns of our views that have no name."""
    named: dict[str, str] = {}
    unnamed: list[str] = []

    def walk(patterns: list[Any], prefix: str, namespaces: list[str]) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in EXCLUDED_NAMESPACES:
                    continue
                spaces = [*namespaces, pattern.namespace] if pattern.namespace else namespaces
                walk(pattern.url_patterns, prefix + str(pattern.pattern), spaces)
            elif isinstance(pattern, URLPattern):
                view = pattern.callback
                module = getattr(getattr(view, "view_class", view), "__module__", "") or ""
                if not module.startswith("dandang."):
                    continue
                if pattern.name:
                    named[":".join([*namespaces, pattern.name])] = prefix + str(pattern.pattern)
                else:
                    unnamed.append(prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns, "/", [])
    return named, unnamed


def openapi_schema() -> dict[str, Any]:
    from dandang.web.api import api

    return api.get_openapi_schema(path_prefix="/api/v1")


def api_operations() -> dict[str, tuple[str, str, set[int]]]:
    """``{operationId: (method, path, declared statuses)}`` of the OpenAPI document."""
    ops: dict[str, tuple[str, str, set[int]]] = {}
    for path, methods in openapi_schema()["paths"].items():
        for method, op in methods.items():
            ops[op["operationId"]] = (method.upper(), path, {int(code) for code in op["responses"]})
    return ops


def discovered() -> list[str]:
    named, _ = web_routes()
    return sorted([f"api:{op}" for op in api_operations()] + [f"web:{name}" for name in named])


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Read at collection time, after Django is set up: the routes as they are now.
    if "route" in metafunc.fixturenames:
        metafunc.parametrize("route", discovered())


# --- the world -----------------------------------------------------------------------------


class Matrix:
    def __init__(self, world: World) -> None:
        self.world = world
        self.tokens: dict[str, str] = {}
        self.clients: dict[str, Client] = {}
        self.outside_marks: list[str] = []


def _build() -> Matrix:
    world = build_world()
    m = Matrix(world)
    for role, username in reg.ROLE_USERS.items():
        user = world.users[username]
        holds = (
            user.cadre_id is not None
            if role == Role.CADRE
            else RoleGrant.objects.filter(user=user, role=role, revoked_at__isnull=True).exists()
        )
        assert holds, f"{username} should hold the role {role}"
    notices = {}
    for username in [u for u in reg.PLAYERS.values() if u] + ["staff_b"]:
        user = world.users[username]
        notices[username] = notification_send(user=user, kind="notice", message=_any_message(), params={})
        if username != "staff_b":
            m.tokens[username] = services.api_token_create(actor=None, user=user, name="matrix")[1]
            client = Client()
            client.force_login(user)
            m.clients[username] = client
    world.notices = notices  # type: ignore[attr-defined]
    m.clients[reg.ANONYMOUS] = Client()
    b_orgs = [o for key, o in world.orgs.items() if key.startswith("B")]
    m.outside_marks = sorted(
        {o.name for o in b_orgs}
        | {o.code for o in b_orgs}
        | {c.name for key, c in world.cadres.items() if key.startswith("B")}
        | {c.id_number[:10] for key, c in world.cadres.items() if key.startswith("B")}
        | {name for name in world.users if name.endswith("_b")}
    )
    return m


def _any_message() -> str:
    from dandang.core.notifications import MESSAGES

    return sorted(MESSAGES)[0]


@pytest.fixture(scope="module")
def matrix(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Matrix]:
    yield from built_for_module(django_db_blocker, _build)


@pytest.fixture
def m(matrix: Matrix, db: Any) -> Matrix:
    # ``db`` wraps each test in a savepoint inside the module's transaction: the world is rebuilt
    # for no test, and no test sees what another wrote.
    return matrix


# --- one case ------------------------------------------------------------------------------


def _values(obj: Any) -> Any:
    if obj is None:
        return None
    if isinstance(obj, tuple | list):
        return [_values(o) for o in obj]
    return type(obj).objects.filter(pk=obj.pk).values().get()


def _state(obj: Any, ignore: dict[str, str]) -> tuple[dict[str, int], Any]:
    counts = {table: n for table, n in row_counts().items() if table not in ignore}
    return counts, _values(obj)


def _text(response: Any) -> str:
    content_type = response.get("Content-Type", "")
    if "json" in content_type:
        return json.dumps(response.json(), ensure_ascii=False)
    if content_type.startswith(("text/", "application/xhtml")) or not content_type:
        return response.content.decode("utf-8", "replace")
    return ""  # binary downloads (xlsx) are checked for the status only


def _expected(entry: reg.Entry, is_api: bool, role: str, side: str) -> int:
    if role == reg.ANONYMOUS and not entry.public:
        return 401 if is_api else 302
    if entry.expect is not None:
        return entry.expect(role, side)
    if entry.shape in ("list", "page"):
        return 200
    visible = side == reg.INSIDE and role in entry.readers
    if entry.shape == "detail":
        return 200 if visible else 404
    if not visible:
        return 404
    return entry.ok if role in entry.writers else 403


def _body(m: Matrix, entry: reg.Entry, target: Any) -> Any:
    if entry.body is None:
        return {}
    body = entry.body(m.world, target)
    if entry.multipart:
        body = {
            k: SimpleUploadedFile(v[0], v[1], content_type=v[2]) if isinstance(v, tuple) else v for k, v in body.items()
        }
    return body


def run_case(m: Matrix, route: str, entry: reg.Entry, role: str, side: str) -> None:
    is_api = route.startswith("api:")
    username = reg.PLAYERS[role]
    target = _target(m, entry, side, username)
    params = entry.params(target)
    writes = entry.shape == "write"
    where = f"{route} as {role} ({username}), {side}"

    if is_api:
        method, path, declared = api_operations_cached()[route[4:]]
        url = path.format(**params)
        query = "&".join(q for q in (entry.query, "limit=200" if entry.shape == "list" else "") if q)
        if query:
            url += "?" + query
        client = Client(headers={"Authorization": f"Bearer {m.tokens[username]}"}) if username else Client()
    else:
        method, declared = entry.method, set()
        url = reverse(route[4:], kwargs=params or None)
        if writes and username:
            client = Client()  # a write may end or change the session: a session of its own
            client.force_login(m.world.users[username])
        else:
            client = m.clients[username or reg.ANONYMOUS]

    body = _body(m, entry, target) if writes or method != "GET" else None
    before = _state(target, entry.may_change) if writes else None
    audit_before = AuditEvent.objects.count()
    if method == "GET":
        response = client.get(url)
    elif entry.multipart or not is_api:
        response = client.post(url, body)
    else:
        response = client.generic(method, url, json.dumps(body), content_type="application/json")

    want = _expected(entry, is_api, role, side)
    assert response.status_code == want, f"{where}: {method} {url} answered {response.status_code}, not {want}: " + (
        response.content[:300].decode("utf-8", "replace")
    )
    if is_api:
        assert response.status_code in declared, f"{where}: {response.status_code} is not declared in OpenAPI"
        if response.status_code >= 400:
            error = response.json()
            assert set(error) == {"code", "message", "detail"}, f"{where}: error shape {error}"
    elif response.status_code == 302 and role == reg.ANONYMOUS and not entry.public:
        assert response["Location"].startswith(reverse("login")), f"{where}: redirected to {response['Location']}"

    text = _text(response)
    # What the caller sent may come back (an import names the codes it could not find): not a leak.
    sent = _sent_text(body) + url
    leaked = [mark for mark in m.outside_marks if mark in text and mark not in sent]
    assert not leaked, f"{where}: county B shows in the answer: {leaked}"

    if entry.shape == "list" and response.status_code == 200 and target is not None:
        inside_target = entry.target(m.world, reg.INSIDE) if entry.target else None
        outside_target = entry.target(m.world, reg.OUTSIDE) if entry.target else None
        if is_api:
            ids = {item["id"] for item in response.json()["items"]}
            assert outside_target.pk not in ids, f"{where}: the outside object is listed"
            listed = inside_target.pk in ids
            assert listed == (role in entry.readers), f"{where}: the inside object listed={listed}"
        elif entry.mark is not None:
            assert entry.mark(outside_target) not in text, f"{where}: the outside object is listed"
            shown = entry.mark(inside_target) in text
            assert shown == (role in entry.readers), f"{where}: inside object shown={shown}"
    elif entry.shape == "detail" and response.status_code == 200 and entry.mark is not None:
        assert entry.mark(target) in text, f"{where}: the page does not show its object"

    if writes:
        after = _state(target, entry.may_change)
        if response.status_code >= 400:
            assert after == before, f"{where}: a refused write changed something: {_diff(before, after)}"
        elif is_api:
            assert AuditEvent.objects.count() > audit_before, f"{where}: a write without an audit event"


def _sent_text(body: Any) -> str:
    if not body:
        return ""
    parts = []
    for value in body.values():
        if isinstance(value, SimpleUploadedFile):
            value.seek(0)
            parts.append(value.read().decode("utf-8", "replace"))
            value.seek(0)
        else:
            parts.append(json.dumps(value, ensure_ascii=False, default=str))
    return "\n".join(parts)


def _diff(before: Any, after: Any) -> str:
    counts_b, values_b = before
    counts_a, values_a = after
    changed = {
        t: (counts_b.get(t), counts_a.get(t))
        for t in set(counts_b) | set(counts_a)
        if counts_b.get(t) != counts_a.get(t)
    }
    return f"rows {changed}; object {values_b} -> {values_a}" if values_b != values_a else f"rows {changed}"


_OPS: dict[str, tuple[str, str, set[int]]] = {}


def api_operations_cached() -> dict[str, tuple[str, str, set[int]]]:
    if not _OPS:
        _OPS.update(api_operations())
    return _OPS


def _target(m: Matrix, entry: reg.Entry, side: str, username: str | None) -> Any:
    if entry.target_for is not None:
        return entry.target_for(m.world, side, username or "staff_a")
    if entry.target is not None:
        return entry.target(m.world, side)
    return None


def _probe_post(m: Matrix, route: str, role: str) -> None:
    """A page without a registered write is sent an empty POST: whatever it answers, nothing changes."""
    username = reg.PLAYERS[role]
    entry = reg.WEB[route[4:]]
    target = _target(m, entry, reg.INSIDE, username)
    url = reverse(route[4:], kwargs=entry.params(target) or None)
    before = _state(target, entry.may_change)
    response = m.clients[username or reg.ANONYMOUS].post(url, {})
    assert response.status_code < 500, f"{route} POST as {role}: {response.status_code}"
    after = _state(target, entry.may_change)
    assert after == before, f"{route}: an unregistered POST as {role} changed something: {_diff(before, after)}"


# --- the tests -----------------------------------------------------------------------------

# Who sends the empty POST to pages: the most powerful role, one with a narrow grant, and no role.
PROBE_ROLES = (Role.ORG_STAFF, Role.UNIT_LEADER, reg.NOBODY)


def test_route(route: str, m: Matrix) -> None:
    kind, name = route.split(":", 1)
    registry = reg.API if kind == "api" else reg.WEB
    if name not in registry:
        pytest.fail(
            f"{route} is not in tests/matrix_registry.py: say who may read and write it, inside and outside "
            "the jurisdiction, so that the matrix can check it"
        )
    entries = [registry[name]]
    if kind == "web" and name in reg.WEB_WRITES:
        entries.append(reg.WEB_WRITES[name])
    for entry in entries:
        # One answer of a list shows both sides: whether the inside object is there, the outside one not.
        sides = (reg.INSIDE,) if entry.shape in ("list", "page") else entry.sides
        for role in reg.PLAYERS:
            for side in sides:
                sid = transaction.savepoint()
                try:
                    run_case(m, route, entry, role, side)
                finally:
                    transaction.savepoint_rollback(sid)
    if kind == "web" and name not in reg.WEB_WRITES and entries[0].shape != "write" and not entries[0].public:
        for role in PROBE_ROLES:
            sid = transaction.savepoint()
            try:
                _probe_post(m, route, role)
            finally:
                transaction.savepoint_rollback(sid)


def test_registry_names_only_existing_routes() -> None:
    named, _ = web_routes()
    ops = api_operations()
    stale = sorted(
        [f"api:{k}" for k in reg.API if k not in ops]
        + [f"web:{k}" for k in {**reg.WEB, **reg.WEB_WRITES} if k not in named]
    )
    assert not stale, f"tests/matrix_registry.py names routes that no longer exist: {stale}"


def test_every_view_of_ours_has_a_route_name() -> None:
    _, unnamed = web_routes()
    assert not unnamed, f"routes without a name cannot be covered by the matrix: {unnamed}"


def test_every_role_is_played() -> None:
    assert set(reg.ROLE_USERS) == set(Role.values)
    assert set(reg.EVERYONE) == set(Role.values) | {reg.NOBODY}


def test_discovery_finds_both_kinds_of_route() -> None:
    routes = discovered()
    # The resolver walk and the OpenAPI walk must each find something, or the matrix proves nothing.
    assert any(r.startswith("api:") for r in routes) and any(r.startswith("web:") for r in routes)
    assert "web:org:cadre_detail" in routes and "api:dandang_org_api_cadre_detail" in routes
    assert not any(re.match(r"web:admin", r) for r in routes)
