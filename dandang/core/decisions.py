"""Decision records: every kernel result is stored with its inputs, the rulebook version, the
rules fired, the outcome and the explanation in every language (DESIGN.md "Rulebooks"), so that a
decision made in 2026 can be re-explained in 2031 even after the rulebook has moved on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dandang.core.audit import to_json_value
from dandang.core.errors import ValidationFailed
from dandang.core.models import DecisionRecord
from dandang.core.rulebooks import Rulebook


def decision_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


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
    """Store a kernel's decision.  The explanation must be given in every language of the
    deployment (the record is read years later by whoever asks).  The caller's service audits the
    decision it makes from it."""
    detail: dict[str, list[str]] = {}
    missing = [code for code in decision_languages() if not str(explanation.get(code, "")).strip()]
    if missing:
        detail["explanation"] = [
            gettext("The explanation is missing in: %(languages)s.") % {"languages": ", ".join(missing)}
        ]
    if not kernel.strip():
        detail["kernel"] = [gettext("Name the kernel that decided.")]
    for field, value in (("inputs", inputs), ("outcome", outcome)):
        if value is None:
            detail[field] = [gettext("A decision record needs its %(field)s.") % {"field": field}]
    if detail:
        raise ValidationFailed(_("Some fields are not valid."), detail=detail)
    return DecisionRecord.objects.create(
        kernel=kernel,
        subject_type=subject_type,
        subject_id=str(subject_id),
        inputs=to_json_value(inputs),
        rulebook_id=rulebook.id,
        rulebook_version=rulebook.version,
        fired=[str(rule) for rule in fired],
        outcome=to_json_value(outcome),
        explanation={code: str(text) for code, text in explanation.items()},
        created_by=actor if getattr(actor, "pk", None) else None,
    )
