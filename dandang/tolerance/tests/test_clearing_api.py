"""The JSON API of name clearing: the whole way through the API, refusals with their rule (422 for
"unproven", no trigger, an exclusion), who may do what (403, nothing changed), stale versions
(409), jurisdiction (404), and the cadre's cleared allegations.  Every answer's status must be
declared in the OpenAPI document, every error has the one shape."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dandang.core.models import AccessLog, AuditEvent, Notification
from dandang.testing import World, row_counts
from dandang.tolerance.models_clearing import NameClearingCase

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

TODAY = timezone.localdate().isoformat()
BASE = "/api/v1/tolerance/clearing-cases"
_SCHEMA: dict[str, Any] = {}


def declared(method: str, url: str) -> set[int]:
    if not _SCHEMA:
        _SCHEMA.update(Client().get("/api/v1/openapi.json").json())
    path = url.split("?", 1)[0]
    for template, operations in _SCHEMA["paths"].items():
        if re.match("^" + re.sub(r"\{[^}]+\}", r"[^/]+", template) + "$", path) and method.lower() in operations:
            return {int(code) for code in operations[method.lower()]["responses"]}
    raise AssertionError(f"{method} {url} is not an operation of the OpenAPI document")


def call(client: Client, method: str, url: str, body: Any = None) -> Any:
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"content_type": "application/json", "data": json.dumps(body)}
    response = getattr(client, method.lower())(url, **kwargs)
    assert response.status_code in declared(method, url), (method, url, response.status_code, response.content)
    if response.status_code >= 400:
        assert set(response.json()) == {"code", "message", "detail"}
    return response


def as_user(world: World, username: str, language: str = "en") -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(world.user(username))
    return client


USERS = ("staff_a", "discipline_a", "cadre_a1", "auditor_a", "leader_a", "staff_b", "discipline_b", "nobody")


@pytest.fixture
def c(world: World) -> dict[str, Client]:
    return {username: as_user(world, username) for username in USERS}


def open_body(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "cadre_id": world.cadres["A1"].pk,
        "allegation": "举报其违规发放补贴",
        "report_reference": "XF-API-01",
        "report_received_on": "2026-01-05",
        "triggers": ["career_affected", "repeated_reports"],
        **overrides,
    }


def verify_body(version: int = 1, **overrides: Any) -> dict[str, Any]:
    return {"version": version, "finding": "untrue", "summary": "核查失实", "verified_on": TODAY, **overrides}


def test_the_whole_way_through_the_api(world: World, c: dict[str, Client]) -> None:
    response = call(c["staff_a"], "POST", BASE, open_body(world))
    assert response.status_code == 201
    case = response.json()
    assert case["status"] == "opened" and case["version"] == 1 and case["opened_by"] == "staff_a"
    assert [t["code"] for t in case["triggers"]] == ["career_affected", "repeated_reports"]
    url = f"{BASE}/{case['id']}"
    case = call(c["discipline_a"], "POST", f"{url}/verify", verify_body()).json()
    assert case["status"] == "verified" and case["finding"] == {"code": "untrue", "label": "Untrue (失实)"}
    assert case["verifying_body_id"] == world.orgs["A"].pk
    case = call(
        c["discipline_a"],
        "POST",
        f"{url}/clear",
        {"version": 2, "publication_scope": "public_notice", "published_on": TODAY},
    ).json()
    assert case["status"] == "cleared" and case["publication_scope"]["code"] == "public_notice"
    assert case["decided_by"] == "discipline_a"
    assert Notification.objects.filter(user=world.user("cadre_a1"), message="clearing_cleared").exists()
    # Reads: the list, one case, the cadre's cleared allegations (the cadre himself included).
    listed = call(c["auditor_a"], "GET", f"{BASE}?status=cleared").json()
    assert [item["id"] for item in listed["items"]] == [case["id"]]
    assert call(c["staff_a"], "GET", f"{BASE}?q=补贴").json()["count"] == 1
    assert call(c["staff_a"], "GET", f"{BASE}?q=zwj").json()["count"] == 1  # 张伟军 by pinyin initials
    assert call(c["staff_a"], "GET", f"{BASE}?q=无此内容").json()["count"] == 0
    mine = call(c["cadre_a1"], "GET", f"/api/v1/cadres/{world.cadres['A1'].pk}/cleared-allegations").json()
    assert mine["count"] == 1 and mine["items"][0]["allegation"] == "举报其违规发放补贴"
    assert mine["items"][0]["finding"]["code"] == "untrue"
    assert AccessLog.objects.filter(what="cleared_allegations", viewer=world.user("cadre_a1")).exists()
    # The cadre reads their cleared allegations, never the case file.
    assert call(c["cadre_a1"], "GET", url).status_code == 404
    assert call(c["cadre_a1"], "GET", BASE).json()["count"] == 0


def test_refusals_with_the_rule_in_the_callers_language(world: World, c: dict[str, Client]) -> None:
    before = row_counts()
    answer = call(c["staff_a"], "POST", BASE, open_body(world, triggers=[]))
    assert answer.status_code == 422 and "triggers" in answer.json()["detail"]
    answer = call(c["staff_a"], "POST", BASE, open_body(world, exclusions=["routine_interview"]))
    assert answer.status_code == 422 and "exclusions" in answer.json()["detail"]
    answer = call(c["staff_a"], "POST", BASE, open_body(world, extra="x"))
    assert answer.status_code == 422
    assert row_counts() == before
    case = call(c["staff_a"], "POST", BASE, open_body(world)).json()
    zh = as_user(world, "discipline_a", "zh-hans")
    before = row_counts()
    answer = call(zh, "POST", f"{BASE}/{case['id']}/verify", verify_body(finding="unproven"))
    assert answer.status_code == 422
    assert "查无实据但不能排除" in answer.json()["detail"]["finding"][0]
    assert "不符合澄清正名" in answer.json()["detail"]["finding"][0]
    assert row_counts() == before


@pytest.mark.parametrize("who", ["staff_a", "auditor_a"])
def test_readers_who_may_not_decide_get_403_and_nothing_changes(world: World, c: dict[str, Client], who: str) -> None:
    case = call(c["staff_a"], "POST", BASE, open_body(world)).json()
    url = f"{BASE}/{case['id']}"
    before = row_counts()
    assert call(c[who], "POST", f"{url}/verify", verify_body()).status_code == 403
    assert (
        call(c[who], "POST", f"{url}/refuse", {"version": 1, "grounds": ["no_trigger"], "note": "x"}).status_code == 403
    )
    assert row_counts() == before


@pytest.mark.parametrize("who", ["cadre_a1", "leader_a", "nobody", "staff_b", "discipline_b"])
def test_outside_the_case_jurisdiction_is_404(world: World, c: dict[str, Client], who: str) -> None:
    case = call(c["staff_a"], "POST", BASE, open_body(world)).json()
    url = f"{BASE}/{case['id']}"
    before = row_counts()
    assert call(c[who], "GET", url).status_code == 404
    assert call(c[who], "POST", f"{url}/verify", verify_body()).status_code == 404
    assert (
        call(
            c[who], "POST", f"{url}/clear", {"version": 1, "publication_scope": "unit", "published_on": TODAY}
        ).status_code
        == 404
    )
    assert row_counts() == before


def test_opening_for_a_cadre_outside_is_404_and_for_oneself_403(world: World, c: dict[str, Client]) -> None:
    before = row_counts()
    assert call(c["staff_b"], "POST", BASE, open_body(world)).status_code == 404
    assert call(c["cadre_a1"], "POST", BASE, open_body(world)).status_code == 403
    assert call(c["staff_a"], "POST", BASE, open_body(world, cadre_id=world.cadres["B1"].pk)).status_code == 404
    assert call(c["staff_a"], "GET", f"{BASE}?cadre_id={world.cadres['B1'].pk}").status_code == 404
    assert row_counts() == before


def test_stale_version_and_wrong_state_are_409(world: World, c: dict[str, Client]) -> None:
    case = call(c["staff_a"], "POST", BASE, open_body(world)).json()
    url = f"{BASE}/{case['id']}"
    call(c["discipline_a"], "POST", f"{url}/verify", verify_body())
    before = row_counts()
    assert call(c["discipline_a"], "POST", f"{url}/verify", verify_body(version=2)).status_code == 409
    stale = {"version": 1, "publication_scope": "unit", "published_on": TODAY}
    answer = call(c["discipline_a"], "POST", f"{url}/clear", stale)
    assert answer.status_code == 409 and answer.json()["code"] == "conflict"
    assert row_counts() == before
    assert NameClearingCase.objects.get(pk=case["id"]).version == 2
    # A second live case for the same allegation of the same report.
    assert call(c["staff_a"], "POST", BASE, open_body(world)).status_code == 409


def test_every_write_is_audited(world: World, c: dict[str, Client]) -> None:
    before = AuditEvent.objects.count()
    case = call(c["staff_a"], "POST", BASE, open_body(world)).json()
    call(
        c["discipline_a"],
        "POST",
        f"{BASE}/{case['id']}/refuse",
        {"version": 1, "grounds": ["no_adverse_effect"], "note": "尚未造成影响"},
    )
    assert AuditEvent.objects.count() == before + 2
    assert set(AuditEvent.objects.order_by("-id").values_list("action", flat=True)[:2]) == {
        "clearing.open",
        "clearing.refuse",
    }


def test_cleared_allegations_of_a_cadre_outside_are_404(world: World, c: dict[str, Client]) -> None:
    assert call(c["staff_a"], "GET", f"/api/v1/cadres/{world.cadres['B1'].pk}/cleared-allegations").status_code == 404
    assert call(c["cadre_a1"], "GET", f"/api/v1/cadres/{world.cadres['A2'].pk}/cleared-allegations").status_code == 404
    empty = call(c["leader_a"], "GET", f"/api/v1/cadres/{world.cadres['A1'].pk}/cleared-allegations")
    assert empty.status_code == 200 and empty.json() == {"count": 0, "items": []}
