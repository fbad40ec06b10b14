"""Evaluating a tolerance case: validate the facts against a rulebook, run the kernel, explain.

``tolerance_evaluate`` is what the case workflow, the API and the sandbox share;
``sandbox_evaluate`` is the evaluator of ``manage.py evaluate tolerance FILE.json`` (registered in
:class:`~dandang.tolerance.apps.ToleranceConfig`).  Nothing here reads or writes the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from dandang.core.evaluate import EvaluationContext, EvaluationError, rulebook_from_reference
from dandang.core.rulebooks import Rulebook
from dandang.tolerance.explain import explain
from dandang.tolerance.facts import Case, CaseInputError, case_from_document
from dandang.tolerance.kernel import Decision, decide
from dandang.tolerance.rules import ToleranceRules, tolerance_policy

RULEBOOK_ID = "tolerance"


@dataclass(frozen=True)
class Evaluation:
    case: Case
    decision: Decision
    rulebook: Rulebook

    @property
    def rules(self) -> ToleranceRules:
        rules: ToleranceRules = self.rulebook.content
        return rules


def tolerance_rules(book: Rulebook) -> ToleranceRules:
    if not isinstance(book.content, ToleranceRules):
        raise EvaluationError([("rulebook", _("%(ref)s is not a tolerance rulebook.") % {"ref": book.ref})])
    return book.content


def tolerance_evaluate(document: Any, book: Rulebook) -> Evaluation:
    """Validate the case document (``facts``, ``industry_item``, ``narrative``) against ``book``
    and decide it.  Raises :class:`~dandang.tolerance.facts.CaseInputError` naming every field
    at fault."""
    rules = tolerance_rules(book)
    case = case_from_document(document, rules)
    decision = decide(case.facts, tolerance_policy(rules, book.ref), case.industry_item)
    return Evaluation(case=case, decision=decision, rulebook=book)


def sandbox_evaluate(document: Any, context: EvaluationContext) -> dict[str, Any]:
    """``{"facts", "industry_item"?, "narrative"?, "rulebook"?}`` → ``{"outcome", "fired",
    "explanation", "rulebook"}``; the explanation in the active language."""
    if not isinstance(document, dict):
        raise EvaluationError([("(document)", _("Send a JSON object."))])
    case_document = {key: value for key, value in document.items() if key != "rulebook"}
    book = rulebook_from_reference(document.get("rulebook"), default=RULEBOOK_ID, context=context)
    try:
        evaluation = tolerance_evaluate(case_document, book)
    except CaseInputError as exc:
        raise EvaluationError(exc.problems) from None
    decision = evaluation.decision
    return {
        "outcome": decision.outcome,
        "fired": list(decision.fired),
        "explanation": explain(decision, evaluation.rules),
        "rulebook": book.ref,
    }
