"""Tolerance services (writes).  The case workflow (issue 5 point 4) is not built yet; what is here
stores a kernel recommendation as a decision record."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from dandang.core.decisions import decision_record_create
from dandang.core.models import DecisionRecord
from dandang.tolerance.evaluation import Evaluation
from dandang.tolerance.explain import explain_in_every_language

KERNEL = "tolerance"


@transaction.atomic
def tolerance_recommendation_record(
    *, actor: Any, evaluation: Evaluation, subject_type: str = "", subject_id: Any = ""
) -> DecisionRecord:
    """Store the kernel's recommendation: the case document as given (facts, extra facts, item,
    narrative), the rulebook version, the rules fired, the outcome and the explanation in every
    language of the deployment — so that it can be re-explained years later."""
    case = evaluation.case
    inputs = {
        "facts": {**{k: v for k, v in vars(case.facts).items() if k != "extra"}, "extra": dict(case.facts.extra)},
        "industry_item": case.industry_item,
        "narrative": case.narrative.model_dump() if case.narrative is not None else None,
    }
    decision = evaluation.decision
    return decision_record_create(
        actor=actor,
        kernel=KERNEL,
        rulebook=evaluation.rulebook,
        inputs=inputs,
        fired=list(decision.fired),
        outcome={"outcome": decision.outcome, "deciding_step": decision.deciding_step},
        explanation=explain_in_every_language(decision, evaluation.rules),
        subject_type=subject_type,
        subject_id=subject_id,
    )
