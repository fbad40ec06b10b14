"""The JSON API of the performance archive: the whole workflow through the API, who may do what
(403 and nothing changed), stale versions (409), jurisdiction (404), flags hidden from the cadre,
bad input (422 with field detail), evidence files, tasks, scores and evidence kinds.

Every call goes through :func:`call`, which fails when the status answered is not declared for the
operation in the OpenAPI document, or when an error body is not ``{"code","message","detail"}``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import typing
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dandang.archive import formalism, services
from dandang.archive.models import ArchiveEntry, ArchiveScore, ArchiveTask, Evidence
from dandang.archive.schemas import FlagCode
from dandang.core.models import AccessLog, AuditEvent
from dandang.testing import fresh, row_counts

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

_SCHEMA: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def schema() -> dict[str, Any]:
    if not _SCHEMA:
        response = Client().get("/api/v1/openapi.json", headers={"Accept-Language": "en"})
        assert response.status_code == 200
        _SCHEMA.update(response.json())
    return _SCHEMA


def declared(method: str, url: str) -> set[int]:
    path = url.split("?", 1)[0]
    for template, operations in schema()["paths"].items():
        if re.match("^" + re.sub(r"\{[^}]+\}", r"[^/]+", template) + "$", path) and method.lower() in operations:
            return {int(code) for code in operations[method.lower()]["responses"]}
    raise AssertionError(f"{method} {url} is not an operation of the OpenAPI document")


def call(client: Client, method: str, url: str, body: Any = None, *, multipart: bool = False, **extra: Any) -> Any:
    kwargs: dict[str, Any] = dict(extra)
    if multipart:
        kwargs["data"] = body
    elif body is not None:
        kwargs["content_type"] = "application/json"
        kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body, default=str)
    response = getattr(client, method.lower())(url, **kwargs)
    assert response.status_code in declared(method, url), (method, url, response.status_code, response.content)
    if response.status_code >= 400:
        data = response.json()
        assert set(data) == {"code", "message", "detail"}, data
        assert data["code"] and data["message"]
    return response


def as_user(world: Any, username: str, language: str = "en") -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(world.user(username))
    return client


USERS = ("staff_a", "leader_a", "cadre_a1", "discipline_a", "auditor_a", "party_office_a", "nobody")


@pytest.fixture
def c(world: Any) -> dict[str, Client]:
    """Logged-in clients, made before a test counts rows (logging in writes a session)."""
    return {username: as_user(world, username) for username in USERS}


def state() -> dict[str, int]:
    return row_counts()


def entry_body(world: Any, cadre: str = "A1", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "cadre_id": world.cadres[cadre].pk,
        "occurred_on": "2024-05-20",
        "category": "key_tasks",
        "title": "汛期转移群众",
        "description": "组织转移低洼地带群众 1,200 人，无一伤亡。",
        "difficulty": "hard",
        "metrics": [{"indicator": "转移群众", "unit": "人", "target": 1000, "actual": "1200"}],
    }
    body.update(overrides)
    return body


def upload(name: str = "验收报告.pdf", data: bytes = b"%PDF-1.4 acceptance report", kind: str = "acceptance_report"):
    return {"file": SimpleUploadedFile(name, data, content_type="application/pdf"), "kind": kind}


def make_entry(world: Any, *, cadre: str = "A1", author: str = "cadre_a1", status: str = "draft", **fields: Any):
    """An entry built through the services (as its author, then the system for the workflow)."""
    values: dict[str, Any] = {
        "occurred_on": dt.date(2024, 5, 20),
        "category": "duties",
        "title": f"条目{cadre}{status}",
        "description": f"{cadre} 完成年度重点工作，指标全部达成。",
        "metrics": [{"indicator": "完成率", "unit": "%", "actual": "100"}],
        **fields,
    }
    entry = services.archive_entry_create(actor=None, cadre=world.cadres[cadre], author=world.user(author), **values)
    if status in ("submitted", "verified"):
        entry = services.archive_entry_submit(actor=None, entry=entry)
    if status == "verified":
        entry = services.archive_entry_verify(
            actor=None,
            entry=entry,
            method="document_review",
            scores={"completion": 90, "authenticity": 90, "difficulty": 80, "contribution": 85},
        )
    return ArchiveEntry.objects.get(pk=entry.pk)


VERIFY = {
    "method": "site_visit",
    "scores": {"completion": 95, "authenticity": 90, "difficulty": 85, "contribution": 100},
}


# --- the whole workflow --------------------------------------------------------------------


def test_workflow_create_evidence_submit_return_amend_submit_verify(world, c):
    cadre = c["cadre_a1"]
    leader = c["leader_a"]

    r = call(cadre, "POST", "/api/v1/archive/entries", entry_body(world))
    assert r.status_code == 201, r.content
    entry = r.json()
    assert entry["status"] == "draft" and entry["version"] == 1 and entry["author"] == "cadre_a1"
    assert entry["post_id"] == world.posts["A-head"].pk and entry["post_title"] == "局长"
    assert (entry["year"], entry["quarter"]) == (2024, 2)
    assert entry["metrics"] == [
        {"indicator": "转移群众", "unit": "人", "baseline": None, "target": "1000.0000", "actual": "1200.0000"}
    ]
    assert entry["flags"] is None  # the cadre does not see the guard's flags
    eid = entry["id"]

    r = call(
        cadre,
        "POST",
        f"/api/v1/archive/entries/{eid}/evidence",
        {**upload(), "source": "县应急管理局", "dated": "2024-06-01", "version": 1},
        multipart=True,
    )
    assert r.status_code == 201, r.content
    evidence = r.json()
    stored = Evidence.objects.get(pk=evidence["id"])
    assert evidence["filename"] == "验收报告.pdf" and evidence["kind"] == "acceptance_report"
    assert evidence["confirmed_kind"] is None and len(evidence["sha256"]) == 64 == len(stored.sha256)

    r = call(cadre, "POST", f"/api/v1/archive/entries/{eid}/submit", {"version": 2})
    assert r.json()["status"] == "submitted" and r.json()["version"] == 3

    r = call(leader, "GET", f"/api/v1/archive/entries/{eid}")
    assert r.json()["flags"] == []  # the leader sees the flags: evidence and a metric, nothing raised

    r = call(
        leader, "POST", f"/api/v1/archive/entries/{eid}/return", {"version": 3, "note": "请补充群众转移台账以外的证明"}
    )
    assert r.json()["status"] == "returned" and r.json()["decided_by"] == "leader_a"
    assert r.json()["decision_note"] == "请补充群众转移台账以外的证明"

    r = call(
        cadre,
        "PATCH",
        f"/api/v1/archive/entries/{eid}",
        {"version": 4, "description": "组织转移群众 1,200 人，无一伤亡；附县应急局验收。", "share_percent": None},
    )
    assert r.status_code == 200 and r.json()["version"] == 5
    assert r.json()["description"].startswith("组织转移群众")
    r = call(cadre, "POST", f"/api/v1/archive/entries/{eid}/submit", {"version": 5})
    assert r.json()["status"] == "submitted"

    r = call(
        leader,
        "POST",
        f"/api/v1/archive/entries/{eid}/verify",
        {**VERIFY, "version": 6, "evidence_kinds": {str(stored.pk): "third_party"}, "note": "实地核实"},
    )
    assert r.status_code == 200, r.content
    verified = r.json()
    assert verified["status"] == "verified" and verified["method"] == "site_visit"
    assert verified["scores"] == {"completion": 95, "authenticity": 90, "difficulty": 85, "contribution": 100}
    assert verified["evidence"][0]["confirmed_kind"] == "third_party"
    # 10 points × key tasks 1.5 × hard 1.0 × whole share.
    assert verified["counted_value"] == "15.00"

    actions = list(AuditEvent.objects.filter(object_type="archive_entry", object_id=str(eid)).values_list("action"))
    assert [a for (a,) in actions] == [
        "archive.entry.create",
        "archive.evidence.add",
        "archive.entry.submit",
        "archive.entry.return",
        "archive.entry.update",
        "archive.entry.submit",
        "archive.entry.verify",
    ]

    # The counted scores: quarter 2 and the whole year, explained in the caller's language.
    r = call(cadre, "GET", f"/api/v1/cadres/{world.cadres['A1'].pk}/archive-scores?year=2024")
    by_quarter = {s["quarter"]: s for s in r.json()["items"]}
    assert by_quarter[2]["score"] == "15.00" and by_quarter[0]["score"] == "15.00"
    assert by_quarter[0]["entries_counted"] == 1 and by_quarter[1]["score"] == "0.00"
    assert "whole year" in by_quarter[0]["explanation"] and by_quarter[0]["rulebook"] == "archive"
    zh = as_user(world, "cadre_a1", "zh-hans")
    r = call(zh, "GET", f"/api/v1/cadres/{world.cadres['A1'].pk}/archive-scores?year=2024")
    explanation = {s["quarter"]: s["explanation"] for s in r.json()["items"]}[0]
    decision = ArchiveScore.objects.get(cadre=world.cadres["A1"], year=2024, quarter=0).decision
    assert explanation == decision.explanation["zh-hans"] and "汛期转移群众" in explanation
    assert by_quarter[0]["explanation"] == decision.explanation["en"]


def test_negative_entry_by_discipline_inspection_not_a_positive_one(world, c):
    discipline = c["discipline_a"]
    r = call(
        discipline,
        "POST",
        "/api/v1/archive/entries",
        entry_body(world, polarity="negative", category="honours", title="违规发放补贴", metrics=[]),
    )
    assert r.status_code == 201, r.content
    assert r.json()["polarity"] == "negative" and r.json()["author"] == "discipline_a"

    before = state()
    r = call(discipline, "POST", "/api/v1/archive/entries", entry_body(world))
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert state() == before

    # The auditor reads the archive but records nothing.
    r = call(c["auditor_a"], "POST", "/api/v1/archive/entries", entry_body(world, polarity="negative"))
    assert r.status_code == 403 and state() == before


def test_self_verification_refused_and_nothing_changes(world, c):
    entry = make_entry(world, status="submitted")
    cadre = c["cadre_a1"]
    before, row = state(), fresh(entry).__dict__.copy()
    for step, body in (
        ("verify", {**VERIFY, "version": entry.version}),
        ("return", {"version": entry.version, "note": "自己退回"}),
        ("reject", {"version": entry.version, "note": "自己驳回"}),
    ):
        r = call(cadre, "POST", f"/api/v1/archive/entries/{entry.pk}/{step}", body)
        assert r.status_code == 403, (step, r.content)
    assert state() == before
    after = fresh(entry).__dict__.copy()
    row.pop("_state"), after.pop("_state")
    assert after == row

    # A leader who recorded the entry does not verify it either.
    own = make_entry(world, cadre="A3", author="leader_a", status="submitted", title="领导代录")
    before = state()
    r = call(c["leader_a"], "POST", f"/api/v1/archive/entries/{own.pk}/verify", {**VERIFY, "version": 2})
    assert r.status_code == 403 and "Nobody verifies" in r.json()["message"]
    assert state() == before and fresh(own).status == "submitted"
    # …and a role without the verifier's capability is refused (it may read the entry).
    r = call(c["discipline_a"], "POST", f"/api/v1/archive/entries/{own.pk}/verify", {**VERIFY, "version": 2})
    assert r.status_code == 403 and state() == before


def test_only_the_author_changes_an_entry(world, c):
    entry = make_entry(world)
    staff = c["staff_a"]
    before = state()
    for method, url, body in (
        ("PATCH", f"/api/v1/archive/entries/{entry.pk}", {"version": 1, "title": "改"}),
        ("POST", f"/api/v1/archive/entries/{entry.pk}/submit", {"version": 1}),
        ("POST", f"/api/v1/archive/entries/{entry.pk}/withdraw", {"version": 1}),
    ):
        r = call(staff, method, url, body)
        assert r.status_code == 403, (url, r.content)
    r = call(staff, "POST", f"/api/v1/archive/entries/{entry.pk}/evidence", {**upload(), "version": 1}, multipart=True)
    assert r.status_code == 403
    assert state() == before and fresh(entry).version == 1


def test_stale_version_is_a_conflict_and_changes_nothing(world, c):
    entry = make_entry(world, status="submitted")  # version 2
    leader = c["leader_a"]
    before = state()
    r = call(leader, "POST", f"/api/v1/archive/entries/{entry.pk}/verify", {**VERIFY, "version": 1})
    assert r.status_code == 409 and r.json()["code"] == "conflict"
    r = call(leader, "POST", f"/api/v1/archive/entries/{entry.pk}/return", {"version": 7, "note": "补充"})
    assert r.status_code == 409
    assert state() == before and fresh(entry).status == "submitted"

    draft = make_entry(world, title="草稿")
    cadre = c["cadre_a1"]
    before = state()
    r = call(cadre, "PATCH", f"/api/v1/archive/entries/{draft.pk}", {"version": 2, "title": "新标题"})
    assert r.status_code == 409
    r = call(cadre, "POST", f"/api/v1/archive/entries/{draft.pk}/evidence", {**upload(), "version": 9}, multipart=True)
    assert r.status_code == 409
    assert state() == before and fresh(draft).title == "草稿"

    # A step the status does not allow is a conflict too: a draft is not verified.
    r = call(leader, "POST", f"/api/v1/archive/entries/{draft.pk}/verify", {**VERIFY, "version": 1})
    assert r.status_code == 409 and state() == before


def test_outside_the_jurisdiction_is_not_found(world, c):
    theirs = make_entry(world, cadre="B1", author="staff_b")
    item = services.archive_evidence_add(
        actor=None, entry=theirs, upload=SimpleUploadedFile("b.pdf", b"county B file"), kind="statistics"
    )
    theirs = services.archive_entry_submit(actor=None, entry=fresh(theirs))
    staff = c["staff_a"]
    before = state()
    for method, url, body in (
        ("GET", f"/api/v1/archive/entries/{theirs.pk}", None),
        ("POST", f"/api/v1/archive/entries/{theirs.pk}/verify", {**VERIFY, "version": 3}),
        ("POST", f"/api/v1/archive/entries/{theirs.pk}/reject", {"version": 3, "note": "越权"}),
        ("GET", f"/api/v1/archive/evidence/{item.pk}/file", None),
        ("DELETE", f"/api/v1/archive/evidence/{item.pk}?version=3", None),
        ("GET", f"/api/v1/cadres/{world.cadres['B1'].pk}/archive-scores", None),
        ("GET", f"/api/v1/archive/entries?cadre_id={world.cadres['B1'].pk}", None),
        ("POST", "/api/v1/archive/entries", entry_body(world, cadre="B1")),
    ):
        r = call(staff, method, url, body)
        assert r.status_code == 404 and r.json()["code"] == "not_found", (url, r.content)
    assert state() == before
    r = call(staff, "GET", "/api/v1/archive/entries?limit=200")
    assert theirs.pk not in {e["id"] for e in r.json()["items"]}

    # A leader's jurisdiction is his bureau: A2, deputy head of a town of the county, is not his.
    town = make_entry(world, cadre="A2", author="staff_a", title="镇上的条目")
    assert world.cadres["A2"].org == world.orgs["A-t1"]
    r = call(c["leader_a"], "GET", f"/api/v1/archive/entries/{town.pk}")
    assert r.status_code == 404
    r = call(c["staff_a"], "GET", f"/api/v1/archive/entries/{town.pk}")
    assert r.status_code == 200
    r = call(c["nobody"], "GET", f"/api/v1/archive/entries/{town.pk}")
    assert r.status_code == 404


def test_flags_are_hidden_from_the_cadre(world, c):
    # Only a photo trail and no metric: a process trace, no measurable result.
    entry = make_entry(world, metrics=[], title="拍照留痕")
    services.archive_evidence_add(
        actor=None, entry=entry, upload=SimpleUploadedFile("p.jpg", b"photo"), kind="photo_trail"
    )
    entry = services.archive_entry_submit(actor=None, entry=fresh(entry))
    assert set(entry.flag_codes) == {"process_trace", "no_metric"}

    cadre = c["cadre_a1"]
    r = call(cadre, "GET", f"/api/v1/archive/entries/{entry.pk}")
    assert r.json()["flags"] is None
    r = call(cadre, "GET", "/api/v1/archive/entries")
    assert [e["flags"] for e in r.json()["items"]] == [None]
    r = call(cadre, "GET", "/api/v1/archive/entries?flag=process_trace")
    assert r.json() == {"count": 0, "items": []}  # filtering by a flag would reveal it

    leader = c["leader_a"]
    r = call(leader, "GET", f"/api/v1/archive/entries/{entry.pk}")
    flags = {f["code"]: f for f in r.json()["flags"]}
    assert set(flags) == {"process_trace", "no_metric"}
    assert "Photo trail" in flags["process_trace"]["reason"] and "counts zero" in flags["process_trace"]["reason"]
    assert flags["process_trace"]["params"] == {"kinds": ["photo_trail"]}
    r = call(leader, "GET", "/api/v1/archive/entries?flag=process_trace")
    assert [e["id"] for e in r.json()["items"]] == [entry.pk]
    assert {f["code"] for f in r.json()["items"][0]["flags"]} == {"process_trace", "no_metric"}
    zh = call(as_user(world, "staff_a", "zh-hans"), "GET", f"/api/v1/archive/entries/{entry.pk}")
    reason = {f["code"]: f["reason"] for f in zh.json()["flags"]}["process_trace"]
    assert "拍照留痕" in reason

    # Verified, it counts zero.
    r = call(leader, "POST", f"/api/v1/archive/entries/{entry.pk}/verify", {**VERIFY, "version": entry.version})
    assert r.json()["counted_value"] == "0.00"


def test_bad_input_is_422_with_field_detail_and_changes_nothing(world, c):
    cadre = c["cadre_a1"]
    url = "/api/v1/archive/entries"
    before = state()
    cases = [
        (entry_body(world, category="heroics"), "category"),
        (entry_body(world, title="报\x00告"), "title"),
        (entry_body(world, share_percent="150"), "share_percent"),
        (entry_body(world, metrics=[{"indicator": "", "unit": "人"}]), "metrics.0.indicator"),
        (entry_body(world, metrics=[{"indicator": "x", "unit": "人", "actual": "lots"}]), "metrics.0.actual"),
        ({**entry_body(world), "colour": "red"}, "colour"),
        (entry_body(world, occurred_on="2024-02-30"), "occurred_on"),
        # Checked by the service: the future, and a share without a task.
        (entry_body(world, occurred_on=(dt.date.today() + dt.timedelta(days=3)).isoformat()), "occurred_on"),
        (entry_body(world, share_percent="50"), "share_percent"),
    ]
    for body, field in cases:
        r = call(cadre, "POST", url, body)
        assert r.status_code == 422, (field, r.content)
        assert r.json()["code"] == "invalid" and field in r.json()["detail"], (field, r.json())
    assert state() == before

    entry = make_entry(world, status="submitted")
    leader = c["leader_a"]
    before = state()
    r = call(
        leader,
        "POST",
        f"/api/v1/archive/entries/{entry.pk}/verify",
        {
            **VERIFY,
            "scores": {**VERIFY["scores"], "completion": 101},
            "evidence_kinds": {"999999": "statistics"},
            "version": 2,
        },
    )
    assert r.status_code == 422
    assert set(r.json()["detail"]) == {"scores.completion", "evidence_kinds.999999"}
    r = call(leader, "POST", f"/api/v1/archive/entries/{entry.pk}/return", {"version": 2, "note": ""})
    assert r.status_code == 422 and "note" in r.json()["detail"]
    r = call(leader, "POST", f"/api/v1/archive/entries/{entry.pk}/verify", {"version": 2, "method": "guess"})
    assert r.status_code == 422 and {"method", "scores"} <= set(r.json()["detail"])
    assert state() == before and fresh(entry).status == "submitted"

    draft = make_entry(world, title="草稿")
    before = state()
    r = call(cadre, "PATCH", f"/api/v1/archive/entries/{draft.pk}", {"version": 1})
    assert r.status_code == 422 and "(request)" in r.json()["detail"]
    r = call(cadre, "PATCH", f"/api/v1/archive/entries/{draft.pk}", {"version": 1, "title": None})
    assert r.status_code == 422 and "title" in r.json()["detail"]
    r = call(
        cadre,
        "POST",
        f"/api/v1/archive/entries/{draft.pk}/evidence",
        {**upload(kind="rumour"), "version": 1},
        multipart=True,
    )
    assert r.status_code == 422 and "kind" in r.json()["detail"]
    r = call(
        cadre,
        "POST",
        f"/api/v1/archive/entries/{draft.pk}/evidence",
        {**upload(data=b""), "version": 1},
        multipart=True,
    )
    assert r.status_code == 422 and "file" in r.json()["detail"]
    r = call(
        cadre,
        "POST",
        f"/api/v1/archive/entries/{draft.pk}/evidence",
        {"kind": "statistics", "version": 1},
        multipart=True,
    )
    assert r.status_code == 422 and "file" in r.json()["detail"]
    r = call(cadre, "POST", f"/api/v1/archive/entries/{draft.pk}/submit", "{not json")
    assert r.status_code == 400 and r.json()["code"] == "malformed_json"
    assert state() == before


# --- evidence --------------------------------------------------------------------------------


def test_evidence_download_and_remove(world, c):
    entry = make_entry(world)
    cadre = c["cadre_a1"]
    data = b"<html><script>alert(1)</script></html>"
    r = call(
        cadre,
        "POST",
        f"/api/v1/archive/entries/{entry.pk}/evidence",
        {
            "file": SimpleUploadedFile("台账\x01.html", data, content_type="text/html"),
            "kind": "statistics",
            "version": 1,
        },
        multipart=True,
    )
    assert r.status_code == 201
    item = r.json()
    assert item["filename"] == "台账.html"  # control characters dropped

    leader = c["leader_a"]
    r = call(leader, "GET", item["download_url"])
    assert r.status_code == 200 and b"".join(r.streaming_content) == data
    assert r["Content-Type"] == "application/octet-stream" and r["X-Content-Type-Options"] == "nosniff"
    assert (
        r["Content-Disposition"].startswith("attachment;") and "filename*=utf-8''%E5%8F%B0" in r["Content-Disposition"]
    )
    assert AccessLog.objects.filter(object_type="archive_evidence", object_id=str(item["id"])).count() == 1
    r = call(c["nobody"], "GET", item["download_url"])
    assert r.status_code == 404

    # The same bytes again are stored once.
    r = call(
        cadre,
        "POST",
        f"/api/v1/archive/entries/{entry.pk}/evidence",
        {"file": SimpleUploadedFile("copy.html", data), "kind": "statistics", "version": 2},
        multipart=True,
    )
    assert Evidence.objects.get(pk=r.json()["id"]).file.name == Evidence.objects.get(pk=item["id"]).file.name

    before = state()
    r = call(leader, "DELETE", f"/api/v1/archive/evidence/{item['id']}?version=3")
    assert r.status_code == 403 and state() == before
    r = call(cadre, "DELETE", f"/api/v1/archive/evidence/{item['id']}?version=2")
    assert r.status_code == 409 and state() == before
    r = call(cadre, "DELETE", f"/api/v1/archive/evidence/{item['id']}?version=3")
    assert r.status_code == 200 and r.json()["version"] == 4 and len(r.json()["evidence"]) == 1
    assert not Evidence.objects.filter(pk=item["id"]).exists()
    r = call(cadre, "DELETE", f"/api/v1/archive/evidence/{item['id']}?version=4")
    assert r.status_code == 404


# --- the other steps --------------------------------------------------------------------------


def test_withdraw_reject_revoke(world, c):
    cadre = c["cadre_a1"]
    draft = make_entry(world, status="submitted", title="撤回")
    r = call(cadre, "POST", f"/api/v1/archive/entries/{draft.pk}/withdraw", {"version": 2, "reason": "重复录入"})
    assert r.json()["status"] == "withdrawn"

    submitted = make_entry(world, status="submitted", title="驳回")
    r = call(
        c["staff_a"],
        "POST",
        f"/api/v1/archive/entries/{submitted.pk}/reject",
        {"version": 2, "note": "无实际成效"},
    )
    assert r.json()["status"] == "rejected" and r.json()["decision_note"] == "无实际成效"

    verified = make_entry(world, status="verified", title="撤销")
    assert ArchiveScore.objects.get(cadre=world.cadres["A1"], year=2024, quarter=0).score > 0
    before = state()
    r = call(
        c["leader_a"],
        "POST",
        f"/api/v1/archive/entries/{verified.pk}/revoke",
        {"version": 3, "note": "经核查不实"},
    )
    assert r.status_code == 403 and state() == before  # only the organization department revokes
    r = call(
        c["staff_a"],
        "POST",
        f"/api/v1/archive/entries/{verified.pk}/revoke",
        {"version": 3, "note": "经核查不实"},
    )
    assert r.json()["status"] == "revoked" and r.json()["counted_value"] is None
    assert ArchiveScore.objects.get(cadre=world.cadres["A1"], year=2024, quarter=0).score == 0


def test_list_filters_and_pagination(world, c):
    first = make_entry(world, status="verified", title="一季度", occurred_on=dt.date(2024, 2, 1))
    second = make_entry(
        world, title="负面", polarity="negative", occurred_on=dt.date(2023, 8, 1), author="discipline_a"
    )
    other = make_entry(world, cadre="A3", author="staff_a", title="别人", category="innovation")
    staff = c["staff_a"]
    a1 = world.cadres["A1"].pk

    def ids(query: str) -> list[int]:
        return [e["id"] for e in call(staff, "GET", f"/api/v1/archive/entries?{query}").json()["items"]]

    assert ids(f"cadre_id={a1}") == [first.pk, second.pk]  # newest first
    assert ids("year=2023") == [second.pk]
    assert ids("quarter=1") == [first.pk]
    assert ids("polarity=negative") == [second.pk]
    assert ids("status=verified") == [first.pk]
    assert ids("category=innovation") == [other.pk]
    assert ids(f"organization_id={world.orgs['A-bureau'].pk}") == [other.pk, first.pk, second.pk]
    assert ids(f"organization_id={world.orgs['A-bureau'].pk}&limit=1&offset=1") == [first.pk]
    r = call(staff, "GET", "/api/v1/archive/entries?limit=1")
    assert r.json()["count"] == 3 and len(r.json()["items"]) == 1
    r = call(staff, "GET", "/api/v1/archive/entries?quarter=5&status=lost")
    assert r.status_code == 422 and {"quarter", "status"} <= set(r.json()["detail"])
    r = call(staff, "GET", f"/api/v1/archive/entries?organization_id={world.orgs['B'].pk}")
    assert r.status_code == 404


def test_list_query_count_does_not_grow_with_entries(world, c, django_assert_max_num_queries):
    for i in range(3):
        make_entry(world, title=f"条目{i}")
    staff = c["staff_a"]
    call(staff, "GET", "/api/v1/archive/entries")  # warm the session and the rulebook cache
    with django_assert_max_num_queries(12) as few:
        call(staff, "GET", "/api/v1/archive/entries")
    for i in range(12):
        make_entry(world, cadre="A3" if i % 2 else "A1", author="staff_a", title=f"更多{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        call(staff, "GET", "/api/v1/archive/entries")


# --- tasks, kinds ------------------------------------------------------------------------------


def test_tasks(world, c):
    leader = c["leader_a"]
    bureau = world.orgs["A-bureau"]
    r = call(leader, "POST", "/api/v1/archive/tasks", {"organization_id": bureau.pk, "name": "防汛抢险", "year": 2024})
    assert r.status_code == 201
    task = r.json()
    assert ArchiveTask.objects.filter(pk=task["id"], organization=bureau).exists()
    before = state()
    r = call(leader, "POST", "/api/v1/archive/tasks", {"organization_id": bureau.pk, "name": "防汛抢险", "year": 2024})
    assert r.status_code == 409 and state() == before
    r = call(
        c["party_office_a"],
        "POST",
        "/api/v1/archive/tasks",
        {"organization_id": bureau.pk, "name": "另一项", "year": 2024},
    )
    assert r.status_code == 403 and state() == before
    r = call(
        leader, "POST", "/api/v1/archive/tasks", {"organization_id": world.orgs["B"].pk, "name": "x", "year": 2024}
    )
    assert r.status_code == 404 and state() == before

    # A cadre sets up a task in the county above him (not a county he has no post in).
    cadre = c["cadre_a1"]
    r = call(
        cadre, "POST", "/api/v1/archive/tasks", {"organization_id": world.orgs["A"].pk, "name": "招商", "year": 2024}
    )
    assert r.status_code == 201
    r = call(
        cadre, "POST", "/api/v1/archive/tasks", {"organization_id": world.orgs["A-t1"].pk, "name": "y", "year": 2024}
    )
    assert r.status_code == 404
    r = call(cadre, "GET", "/api/v1/archive/tasks?year=2024")
    assert {t["name"] for t in r.json()["items"]} == {"防汛抢险", "招商"}
    r = call(cadre, "GET", f"/api/v1/archive/tasks/{task['id']}")
    assert r.json()["name"] == "防汛抢险"

    # Shares of one task: the entry names it.
    r = call(cadre, "POST", "/api/v1/archive/entries", entry_body(world, task_id=task["id"], share_percent="60.5"))
    assert r.status_code == 201 and r.json()["task_id"] == task["id"] and r.json()["share_percent"] == "60.50"
    b_task = services.archive_task_create(actor=None, organization=world.orgs["B"], name="乙县任务", year=2024)
    r = call(cadre, "GET", f"/api/v1/archive/tasks/{b_task.pk}")
    assert r.status_code == 404
    r = call(cadre, "POST", "/api/v1/archive/entries", entry_body(world, task_id=b_task.pk))
    assert r.status_code == 404


def test_evidence_kinds_for_the_form(world, c):
    r = call(c["cadre_a1"], "GET", "/api/v1/archive/evidence-kinds")
    kinds = {k["code"]: k for k in r.json()["items"]}
    assert r.json()["rulebook"] == "archive"
    assert kinds["photo_trail"] == {"code": "photo_trail", "label": "Photo trail", "process_trace": True}
    assert kinds["statistics"]["process_trace"] is False
    r = call(
        as_user(world, "staff_a", "zh-hans"), "GET", f"/api/v1/archive/evidence-kinds?cadre_id={world.cadres['A2'].pk}"
    )
    assert {k["code"]: k["label"] for k in r.json()["items"]}["photo_trail"] == "拍照留痕"
    r = call(c["staff_a"], "GET", f"/api/v1/archive/evidence-kinds?cadre_id={world.cadres['B1'].pk}")
    assert r.status_code == 404


def test_flag_codes_of_the_schema_are_the_kernels():
    assert set(typing.get_args(FlagCode)) == set(formalism.FLAG_CODES)


def test_unauthenticated(world):
    r = call(Client(), "GET", "/api/v1/archive/entries")
    assert r.status_code == 401
