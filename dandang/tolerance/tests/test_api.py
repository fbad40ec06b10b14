"""The tolerance API: the workflow end to end over JSON, errors in the one shape, the caller's
language, jurisdiction (404 outside) and nothing changed on a refused step."""

from __future__ import annotations

import pytest
from django.test import Client

from dandang.testing import row_counts
from dandang.tolerance.models import ToleranceCase
from dandang.tolerance.tests.helpers import DECISION_DAY, FACTS, NARRATIVE, applied, case_in, today

pytestmark = [pytest.mark.usefixtures("shared_world", "today")]
__all__ = ["today"]


def api(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def post(client, path, body):
    return client.post(f"/api/v1{path}", body, content_type="application/json")


APPLICATION = {
    "matter": "推进试点中的程序瑕疵",
    "matter_date": "2026-06-15",
    "decision_reference": "甲纪发〔2026〕99号",
    "decision_date": DECISION_DAY.isoformat(),
    "statement": "属于改革探索中的无意过失。",
}


def test_the_workflow_over_the_api(world):
    cadre = world.cadres["A1"]
    me, staff, discipline = api(world.user("cadre_a1")), api(world.user("staff_a")), api(world.user("discipline_a"))
    r = post(me, "/tolerance/cases", {"cadre_id": cadre.pk, **APPLICATION})
    assert r.status_code == 201, r.content
    case = r.json()
    assert case["status"] == "applied" and case["due_date"] == "2026-10-12" and case["actions"] == []
    pk = case["id"]
    detail = staff.get(f"/api/v1/tolerance/cases/{pk}").json()
    assert detail["actions"] == ["accept", "refuse"]
    r = post(staff, f"/tolerance/cases/{pk}/accept", {"version": 1, "note": "予以受理"})
    assert r.status_code == 200 and r.json()["status"] == "investigating"
    body = {"version": 2, "facts": FACTS, "narrative": NARRATIVE, "report": "调查报告"}
    r = post(staff, f"/tolerance/cases/{pk}/propose", body)
    assert r.status_code == 200, r.content
    proposed = r.json()
    assert proposed["recommendation"]["outcome"] == "exempt"
    assert "ground_reform" in proposed["recommendation"]["fired"]
    assert "Ground ground_reform" in proposed["recommendation"]["explanation"]
    # The proposer may not decide; another member of the deciding body does.
    r = post(staff, f"/tolerance/cases/{pk}/determine", {"version": 3, "outcome": "exempt"})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = post(discipline, f"/tolerance/cases/{pk}/determine", {"version": 3, "outcome": "lighter"})
    assert r.status_code == 422 and "reason" in r.json()["detail"]
    r = post(discipline, f"/tolerance/cases/{pk}/determine", {"version": 3, "outcome": "exempt"})
    assert r.status_code == 200 and r.json()["outcome"] == "exempt"
    assert r.json()["exemption_notice_url"] == f"/api/v1/tolerance/cases/{pk}/exemption-notice"
    r = post(
        staff,
        f"/tolerance/cases/{pk}/correction-items",
        {"owner": "县农业农村局", "task": "完善流程", "deadline": "2026-10-30"},
    )
    assert r.status_code == 201
    item = r.json()["id"]
    r = post(staff, f"/tolerance/cases/{pk}/close", {"version": 4})
    assert r.status_code == 409 and r.json()["code"] == "conflict"
    assert post(staff, f"/tolerance/correction-items/{item}/done", {"done_on": "2026-09-21"}).status_code == 200
    r = post(
        staff,
        f"/tolerance/cases/{pk}/follow-up-visits",
        {"visited_on": "2026-09-21", "visitors": "组织部", "notes": "回访"},
    )
    assert r.status_code == 201
    r = post(staff, f"/tolerance/cases/{pk}/close", {"version": 4})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    listed = me.get("/api/v1/tolerance/cases").json()
    assert [c["id"] for c in listed["items"]] == [pk]


def test_a_late_application_is_refused_in_the_callers_language(world, today):
    import datetime as dt

    today["value"] = dt.date(2026, 10, 20)
    me = api(world.user("cadre_a1"), "zh-hans")
    before = row_counts()
    r = post(me, "/tolerance/cases", {"cadre_id": world.cadres["A1"].pk, **APPLICATION})
    assert r.status_code == 422
    assert "一个月" in r.json()["detail"]["decision_date"][0]
    assert row_counts() == before


def test_jurisdiction_and_stale_versions(world):
    case = applied(world)
    outside = api(world.user("staff_b"))
    assert outside.get(f"/api/v1/tolerance/cases/{case.pk}").status_code == 404
    assert post(outside, f"/tolerance/cases/{case.pk}/accept", {"version": 1}).status_code == 404
    assert outside.get("/api/v1/tolerance/cases").json()["count"] == 0
    staff = api(world.user("staff_a"))
    before = row_counts()
    r = post(staff, f"/tolerance/cases/{case.pk}/accept", {"version": 5})
    assert r.status_code == 409 and row_counts() == before
    r = post(staff, f"/tolerance/cases/{case.pk}/accept", {"version": 1, "surprise": 1})
    assert r.status_code == 422


def test_list_filters(world):
    case_in(world, "determined")
    ex = post(
        api(world.user("discipline_a")),
        "/tolerance/reviews",
        {"cadre_id": world.cadres["A2"].pk, "matter_id": "9", "matter": "问责启动", "matter_date": "2026-08-01"},
    )
    assert ex.status_code == 201 and ex.json()["status"] == "investigating"
    staff = api(world.user("staff_a"))
    assert staff.get("/api/v1/tolerance/cases?origin=ex_officio").json()["count"] == 1
    assert staff.get("/api/v1/tolerance/cases?outcome=exempt").json()["count"] == 1
    assert staff.get("/api/v1/tolerance/cases?overdue=true").json()["count"] == 0
    assert staff.get(f"/api/v1/tolerance/cases?cadre_id={world.cadres['A2'].pk}").json()["count"] == 1
    assert ToleranceCase.objects.count() == 2
