"""Effects of a determination (issue 5 point 5): the shield of an exemption and the determination
the accountability case reads — system-level selectors, no viewer."""

from __future__ import annotations

import datetime as dt

import pytest

from dandang.tolerance import services
from dandang.tolerance.selectors import SHIELDED, tolerance_determination, tolerance_shields
from dandang.tolerance.tests.helpers import NOT_TOLERATED_DOCUMENT, case_in, today

pytestmark = [pytest.mark.usefixtures("shared_world", "today")]
__all__ = ["today"]


def test_an_exemption_shields_the_cadre_in_the_year_of_the_matter_and_of_the_decision(world):
    cadre = world.cadres["A1"]
    assert tolerance_shields(cadre, 2026) == []
    case = case_in(world, "determined")
    shields = tolerance_shields(cadre, 2026)
    assert [s.case_id for s in shields] == [case.pk]
    assert shields[0].effects == SHIELDED == ("annual_grade", "commendation", "promotion", "integrity_review")
    assert tolerance_shields(cadre.pk, 2026) == shields
    assert tolerance_shields(cadre, 2025) == [] and tolerance_shields(world.cadres["A2"], 2026) == []
    services.tolerance_case_close(actor=world.user("staff_a"), case=case, version=case.version)
    assert [s.case_id for s in tolerance_shields(cadre, 2026)] == [case.pk]  # closed: still shields


@pytest.mark.parametrize("state", ["applied", "investigating", "proposed", "not_accepted"])
def test_no_shield_before_the_determination(world, state):
    case_in(world, state)
    assert tolerance_shields(world.cadres["A1"], 2026) == []


@pytest.mark.parametrize("outcome", ["reduced", "lighter", "not_tolerated"])
def test_only_an_exemption_shields(world, outcome):
    case_in(world, "determined", outcome=outcome)
    assert tolerance_shields(world.cadres["A1"], 2026) == []


def test_the_determination_of_a_matter_for_the_accountability_case(world):
    assert tolerance_determination("accountability_case", 7) is None
    case = services.tolerance_review_open(
        actor=world.user("discipline_a"),
        cadre=world.cadres["A1"],
        matter_type="accountability_case",
        matter_id=7,
        matter="项目推进迟缓被启动问责",
        matter_date=dt.date(2026, 8, 1),
    )
    assert tolerance_determination("accountability_case", 7) is None  # still open
    case = services.tolerance_case_propose(
        actor=world.user("staff_a"),
        case=case,
        document={
            **NOT_TOLERATED_DOCUMENT,
            "facts": {
                **NOT_TOLERATED_DOCUMENT["facts"],
                "personal_gain": False,
                "context": "routine",
                "loss_recovered": "partial",
            },
        },
        report="部分挽回损失，积极配合调查。",
        version=case.version,
    )
    assert case.recommended_outcome == "lighter"
    services.tolerance_case_determine(
        actor=world.user("discipline_a"), case=case, outcome="lighter", version=case.version
    )
    found = tolerance_determination("accountability_case", "7")
    assert found is not None and (found.case_id, found.outcome, found.recommended_outcome) == (
        case.pk,
        "lighter",
        "lighter",
    )
    assert tolerance_determination("decision", "7") is None
    # An exemption of the same matter found later (say, on review) is what stands: the latest.
    assert tolerance_shields(world.cadres["A1"], 2026) == []
