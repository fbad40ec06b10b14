"""Case facts — one structure everywhere (the case form, the API, the sandbox; issue 5 point 2).

``facts``: the thirteen required facts (strict types: ``"true"`` is not a boolean, no unknown
field) and ``extra``, the facts the invoked list item declares, validated against that item's
declaration; ``industry_item``: the code of the item invoked, if any; ``narrative``: the five
judging factors as text (optional here, required by the case form).  Narrative never changes the
outcome.

:func:`case_from_document` validates a whole document against a rulebook and returns the
kernel's :class:`~dandang.tolerance.kernel.Facts`, or raises :class:`CaseInputError` listing every
problem as ``(field path, message)`` — ``facts.personal_gain``, ``facts.extra.fund_loss_ratio``,
``industry_item``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr
from pydantic import ValidationError as PydanticValidationError

from dandang.core.validation import pydantic_problems
from dandang.tolerance.kernel import Facts, Value
from dandang.tolerance.rules import ExtraFact, ListItem, ToleranceRules

NARRATIVE_FIELDS = (
    "motivation_attitude",
    "objective_conditions",
    "procedure_method",
    "nature_degree",
    "consequences_recovery",
)


class CaseFacts(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    context: Literal["reform_pilot", "exploratory_trial", "development_promotion", "emergency", "routine"]
    explicit_prohibition_breached: StrictBool
    personal_gain: StrictBool
    collusion: StrictBool
    intentional: StrictBool
    procedure_followed: StrictBool
    objected_to_collective_decision: StrictBool
    force_majeure: StrictBool
    loss_recovered: Literal["none", "partial", "full"]
    cooperated_with_investigation: StrictBool
    repeat_after_correction: StrictBool
    obstructed_investigation: StrictBool
    consequence: Literal["none", "minor", "major", "egregious"]
    # Checked against the invoked item's declaration by case_from_document.
    extra: dict[StrictStr, Any] = {}


class Narrative(BaseModel):
    """The five judging factors (动机态度, 客观条件, 程序方法, 性质程度, 后果影响及挽回损失)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    motivation_attitude: StrictStr = ""
    objective_conditions: StrictStr = ""
    procedure_method: StrictStr = ""
    nature_degree: StrictStr = ""
    consequences_recovery: StrictStr = ""

    def missing(self) -> list[str]:
        """The factors left empty (the case form requires all five)."""
        return [name for name in NARRATIVE_FIELDS if not getattr(self, name).strip()]


class CaseDocument(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    facts: CaseFacts
    industry_item: StrictStr | None = None
    narrative: Narrative | None = None


class CaseInputError(Exception):
    """The problems of a case document, each ``(field path, message)``."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{key}: {message}" for key, message in problems))


@dataclass(frozen=True)
class Case:
    facts: Facts
    industry_item: str | None
    narrative: Narrative | None
    item: ListItem | None = None


def extra_value(fact: ExtraFact, value: Any) -> Value:
    """The value of an extra fact typed exactly as declared; raises ValueError with a message in
    the active language.  Booleans only as true/false; integers only as integers; decimals as
    JSON numbers or numeric strings, converted exactly; choices among the declared codes."""
    if fact.type == "boolean":
        if not isinstance(value, bool):
            raise ValueError(_("Enter true or false."))
        return value
    if fact.type == "choice":
        choices = list(fact.choices or {})
        if not isinstance(value, str) or value not in choices:
            raise ValueError(_("Choose one of: %(expected)s.") % {"expected": ", ".join(choices)})
        return value
    number: int | Decimal
    if fact.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(_("Enter a whole number."))
        number = value
    else:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
            raise ValueError(_("Enter a number."))
        try:
            # A float is read through its shortest text ("0.85"): no binary error is compared.
            number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
    if fact.minimum is not None and number < fact.minimum:
        raise ValueError(_("Enter a number greater than or equal to %(ge)s.") % {"ge": fact.minimum})
    if fact.maximum is not None and number > fact.maximum:
        raise ValueError(_("Enter a number less than or equal to %(le)s.") % {"le": fact.maximum})
    return number


def check_extra(extra: dict[str, Any], item: ListItem | None) -> tuple[dict[str, Value], list[tuple[str, str]]]:
    """The extra facts typed as the item declares them, and the problems: an unknown key, a
    wrong type or an out-of-range value, or a declared fact missing."""
    declared = item.declared() if item is not None else {}
    typed: dict[str, Value] = {}
    problems: list[tuple[str, str]] = []
    for name, value in extra.items():
        if name not in declared:
            if item is None:
                message = _("Unknown fact: no industry list item is invoked.")
            else:
                message = _("Unknown fact: item %(item)s declares no such fact.") % {"item": item.code}
            problems.append((f"facts.extra.{name}", message))
            continue
        try:
            typed[name] = extra_value(declared[name], value)
        except ValueError as exc:
            problems.append((f"facts.extra.{name}", str(exc)))
    for name in declared:
        if name not in extra:
            code = item.code if item is not None else ""
            problems.append(
                (f"facts.extra.{name}", _("This field is required: item %(item)s declares it.") % {"item": code})
            )
    return typed, problems


def case_from_document(document: Any, rules: ToleranceRules) -> Case:
    """Validate a case document (``facts``, ``industry_item``, ``narrative``) against ``rules``."""
    try:
        parsed = CaseDocument.model_validate(document)
    except PydanticValidationError as exc:
        raise CaseInputError(pydantic_problems(exc)) from None
    item: ListItem | None = None
    typed: dict[str, Value] = {}
    problems: list[tuple[str, str]] = []
    if parsed.industry_item is not None:
        found = rules.item(parsed.industry_item)
        if found is None:
            problems.append(
                ("industry_item", _("No industry list item is called %(code)s.") % {"code": parsed.industry_item})
            )
        else:
            item = found[1]
    if not problems:
        typed, extra_problems = check_extra(parsed.facts.extra, item)
        problems += extra_problems
    if problems:
        raise CaseInputError(problems)
    values = parsed.facts.model_dump(exclude={"extra"})
    return Case(
        facts=Facts(**values, extra=typed),
        industry_item=parsed.industry_item,
        narrative=parsed.narrative,
        item=item,
    )
