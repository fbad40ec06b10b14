"""Decision records: every kernel result is stored with its inputs, the rulebook version, the
rules fired, the outcome and the explanation in every language (DESIGN.md "Rulebooks")."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from dandang.core.audit import to_json_value
from dandang.core.models import DecisionRecord
from dandang.core.rulebooks import Rulebook


@transaction.atomic
def decision_record_create(
    *,
    actor: Any,
    kernel: str,
    rulebook: Rulebook,
    inputs: Any,
    fired: list[str],
    outcome: Any,
    explanation: dict[str, str],
    subject_type: str = "",
    subject_id: Any = "",
) -> DecisionRecord:
    """Store a kernel's decision.  The caller's service audits the decision it makes from it."""
    return DecisionRecord.objects.create(
        kernel=kernel,
        subject_type=subject_type,
        subject_id=str(subject_id),
        inputs=to_json_value(inputs),
        rulebook_id=rulebook.id,
        rulebook_version=rulebook.version,
        fired=list(fired),
        outcome=to_json_value(outcome),
        explanation=dict(explanation),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
