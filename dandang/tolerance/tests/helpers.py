"""Shared steps of the tolerance case tests: cases brought to each state through the real services,
on a pinned day (the services read the day through ``services.today``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dandang.testing import World
from dandang.tolerance import services
from dandang.tolerance.facts import NARRATIVE_FIELDS
from dandang.tolerance.models import ToleranceCase

TODAY = dt.date(2026, 9, 21)  # a Monday before the Mid-Autumn and National Day holidays
DECISION_DAY = dt.date(2026, 9, 2)

FACTS: dict[str, Any] = {
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
NARRATIVE = {name: f"{name}：经调查属实。" for name in NARRATIVE_FIELDS}
EXEMPT_DOCUMENT: dict[str, Any] = {"facts": FACTS, "narrative": NARRATIVE}
NOT_TOLERATED_DOCUMENT: dict[str, Any] = {"facts": {**FACTS, "personal_gain": True}, "narrative": NARRATIVE}


@pytest.fixture
def today(monkeypatch):
    """Pin the services' day (deadlines and the one-month rule depend on it)."""
    day = {"value": TODAY}
    monkeypatch.setattr(services, "today", lambda: day["value"])
    return day


def applied(w: World, **overrides: Any) -> ToleranceCase:
    kwargs: dict[str, Any] = {
        "actor": w.user("cadre_a1"),
        "cadre": w.cadres["A1"],
        "matter": "推进农村产权流转交易试点中，因政策边界不明确导致一宗交易程序瑕疵。",
        "matter_date": dt.date(2026, 6, 15),
        "decision_reference": "甲纪发〔2026〕12号",
        "decision_date": DECISION_DAY,
        "statement": "属于改革探索中的无意过失，已按民主决策程序决策。",
    }
    kwargs.update(overrides)
    return services.tolerance_case_apply(**kwargs)


def case_in(w: World, state: str, *, document: dict[str, Any] | None = None, outcome: str = "exempt") -> ToleranceCase:
    """A case of cadre A1 in ``state``: applied, not_accepted, investigating, proposed, determined
    or closed (staff_a handles and proposes, discipline_a decides)."""
    case = applied(w)
    if state == "applied":
        return case
    staff, discipline = w.user("staff_a"), w.user("discipline_a")
    if state == "not_accepted":
        return services.tolerance_case_refuse(actor=staff, case=case, note="不属于容错申请范围。", version=case.version)
    case = services.tolerance_case_accept(actor=staff, case=case, note="予以受理。", version=case.version)
    if state == "investigating":
        return case
    case = services.tolerance_case_propose(
        actor=staff,
        case=case,
        document=document or EXEMPT_DOCUMENT,
        report="调查报告：事实清楚。",
        version=case.version,
    )
    if state == "proposed":
        return case
    reason = "" if outcome == case.recommended_outcome else "综合考虑，作出不同认定。"
    case = services.tolerance_case_determine(
        actor=discipline, case=case, outcome=outcome, reason=reason, version=case.version
    )
    if state == "determined":
        return case
    return services.tolerance_case_close(actor=staff, case=case, version=case.version)
