"""A tolerance recommendation is stored as a decision record, explained in both languages."""

from __future__ import annotations

import pytest

from dandang.core.models import DecisionRecord
from dandang.core.rulebooks import shipped_rulebook
from dandang.tolerance.evaluation import tolerance_evaluate
from dandang.tolerance.services import tolerance_recommendation_record
from dandang.tolerance.tests.test_sandbox import FUND

pytestmark = pytest.mark.django_db


def test_the_recommendation_is_stored_with_inputs_rulebook_fired_and_both_explanations():
    document = {**FUND, "narrative": {"motivation_attitude": "出于公心"}}
    evaluation = tolerance_evaluate(document, shipped_rulebook("tolerance"))
    record = tolerance_recommendation_record(actor=None, evaluation=evaluation, subject_type="test", subject_id=1)
    stored = DecisionRecord.objects.get(pk=record.pk)
    assert (stored.kernel, stored.rulebook_id, stored.rulebook_version) == ("tolerance", "tolerance", 1)
    assert stored.fired == ["ground_industry_item"]
    assert stored.outcome == {"outcome": "exempt", "deciding_step": "ground"}
    assert stored.inputs["industry_item"] == "HB-GQ-06"
    # Exact decimals are stored as text, never as floats.
    assert stored.inputs["facts"]["extra"] == {"fund_loss_ratio": "0.8", "known_risks_reported": True}
    assert stored.inputs["narrative"]["motivation_attitude"] == "出于公心"
    assert "免责情形 ground_industry_item" in stored.explanation["zh-hans"]
    assert "Ground ground_industry_item" in stored.explanation["en"]
