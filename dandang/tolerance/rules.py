"""The schema of the ``tolerance`` rulebook (``dandang/rulebooks/tolerance.yaml``).

Pure pydantic.  The rulebook holds the national default — the grounds of Art. 17 and the
mitigation of Art. 18 of the Accountability Regulations (问责条例 2019) and the exclusions of the
local measures, as labelled data with their sources — and the industry tolerance lists
(容错清单): each item with a code unique across the rulebook, a sector, a scenario, the extra facts
it declares, its own conditions and exclusions (predicates over the thirteen case facts and its
extra facts) and the outcome it allows.  :func:`tolerance_policy` turns it into the plain
dataclasses of the kernel (:mod:`dandang.tolerance.kernel`).

Numbers are exact: a decimal bound or value is written as a string (``"0.8"``) or an integer;
a binary float in the rulebook is refused.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from dandang.core.rulebook_schema import both_languages as _both_languages
from dandang.core.rulebook_schema import exactly as _exactly
from dandang.tolerance.kernel import (
    BOOLEAN_FACTS,
    CONSEQUENCES,
    CONTEXTS,
    EXCLUSIONS,
    FACT_NAMES,
    ITEM_OUTCOMES,
    MITIGATIONS,
    OPERATORS,
    ORDER_OPERATORS,
    ORDINAL_FACTS,
    REFORM_CONTEXTS,
    Item,
    Policy,
    Predicate,
    Value,
)
from dandang.tolerance.kernel import ENUM_FACTS as KERNEL_ENUM_FACTS

NATIONAL_GROUNDS = ("ground_reform", "ground_objection", "ground_force_majeure", "ground_industry_item")
EXTRA_TYPES = ("integer", "decimal", "boolean", "choice")

Code = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$", max_length=40)]
FactName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]


class Labelled(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: dict[str, str]

    @field_validator("label")
    @classmethod
    def _label(cls, label: dict[str, str]) -> dict[str, str]:
        return _both_languages(label)


class Provision(BaseModel):
    """One rule of the national default, for reading: what it says and where it comes from."""

    model_config = ConfigDict(extra="forbid")

    label: dict[str, str]
    text: dict[str, str]
    source: str = Field(min_length=1)

    @field_validator("label", "text")
    @classmethod
    def _languages(cls, value: dict[str, str]) -> dict[str, str]:
        return _both_languages(value)


class NationalDefault(BaseModel):
    """Art. 17 grounds, Art. 18 mitigation and the exclusions.  The semantics are the kernel's;
    two parameters are the jurisdiction's: which contexts count as reform and exploration, and
    which consequences close that ground (national default: ``egregious`` only; a jurisdiction
    following the stricter local wording "no major loss" adds ``major``)."""

    model_config = ConfigDict(extra="forbid")

    reform_contexts: list[Literal[CONTEXTS]] = Field(min_length=1)  # type: ignore[valid-type]
    reform_closing_consequences: list[Literal[CONSEQUENCES]] = Field(min_length=1)  # type: ignore[valid-type]
    grounds: dict[str, Provision]
    mitigation: dict[str, Provision]
    exclusions: dict[str, Provision]

    @field_validator("reform_contexts", "reform_closing_consequences")
    @classmethod
    def _no_repeats(cls, values: list[str]) -> list[str]:
        if len(set(values)) != len(values):
            raise ValueError("names a value twice")
        return values

    @field_validator("grounds")
    @classmethod
    def _grounds(cls, grounds: dict[str, Provision]) -> dict[str, Provision]:
        return _exactly(NATIONAL_GROUNDS, grounds)

    @field_validator("mitigation")
    @classmethod
    def _mitigation(cls, mitigation: dict[str, Provision]) -> dict[str, Provision]:
        return _exactly(MITIGATIONS, mitigation)

    @field_validator("exclusions")
    @classmethod
    def _exclusions(cls, exclusions: dict[str, Provision]) -> dict[str, Provision]:
        return _exactly(EXCLUSIONS, exclusions)


def _exact_number(value: Any, *, where: str) -> Decimal:
    if isinstance(value, bool | float):
        raise ValueError(f'{where}: write a decimal as a string ("0.8") or an integer, never a float')
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{where}: {value!r} is not a number") from None
        if not number.is_finite():
            raise ValueError(f"{where}: {value!r} is not a finite number")
        return number
    raise ValueError(f"{where}: {value!r} is not a number")


class ExtraFact(BaseModel):
    """A fact an item declares for its own conditions (for example a fund's loss ratio)."""

    model_config = ConfigDict(extra="forbid")

    name: FactName
    type: Literal["integer", "decimal", "boolean", "choice"]
    minimum: Any = None
    maximum: Any = None
    choices: dict[Code, Labelled] | None = None
    label: dict[str, str]

    @field_validator("label")
    @classmethod
    def _label(cls, label: dict[str, str]) -> dict[str, str]:
        return _both_languages(label)

    @field_validator("name")
    @classmethod
    def _not_a_case_fact(cls, name: str) -> str:
        if name in FACT_NAMES or name == "extra":
            raise ValueError(f"{name} is one of the thirteen case facts; an extra fact needs its own name")
        return name

    @model_validator(mode="after")
    def _bounds_and_choices(self) -> ExtraFact:
        numeric = self.type in ("integer", "decimal")
        for bound in ("minimum", "maximum"):
            value = getattr(self, bound)
            if value is None:
                continue
            if not numeric:
                raise ValueError(f"{bound}: only an integer or decimal fact has bounds")
            number = _exact_number(value, where=bound)
            if self.type == "integer" and number != number.to_integral_value():
                raise ValueError(f"{bound}: an integer fact needs an integer bound")
            setattr(self, bound, int(number) if self.type == "integer" else number)
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError("minimum is above maximum")
        if self.type == "choice" and not self.choices:
            raise ValueError("choices: a choice fact lists its choices")
        if self.type != "choice" and self.choices is not None:
            raise ValueError("choices: only a choice fact has choices")
        return self


class Condition(BaseModel):
    """``fact op value`` over a case fact or one of the item's extra facts."""

    model_config = ConfigDict(extra="forbid")

    fact: FactName
    op: Literal["eq", "ne", "le", "lt", "ge", "gt", "in"]
    value: Any


def _typed(value: Any, fact: str, declared: dict[str, ExtraFact], where: str) -> Value:
    """One comparison value, typed as the fact it compares with."""
    if fact in BOOLEAN_FACTS:
        if not isinstance(value, bool):
            raise ValueError(f"{where}: {fact} is true or false")
        return value
    if fact in KERNEL_ENUM_FACTS:
        if value not in KERNEL_ENUM_FACTS[fact]:
            raise ValueError(f"{where}: {fact} is one of {', '.join(KERNEL_ENUM_FACTS[fact])}")
        return str(value)
    extra = declared[fact]
    if extra.type == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"{where}: {fact} is true or false")
        return value
    if extra.type == "choice":
        if value not in (extra.choices or {}):
            raise ValueError(f"{where}: {fact} is one of {', '.join(extra.choices or {})}")
        return str(value)
    number = _exact_number(value, where=where)
    if extra.type == "integer":
        if number != number.to_integral_value():
            raise ValueError(f"{where}: {fact} is an integer")
        return int(number)
    return number


def _ordered_fact(fact: str, declared: dict[str, ExtraFact]) -> bool:
    if fact in ORDINAL_FACTS:
        return True
    return fact in declared and declared[fact].type in ("integer", "decimal")


class ListItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    sector: Code
    scenario: dict[str, str]
    extra: list[ExtraFact] = Field(default_factory=list)
    conditions: list[Condition] = Field(min_length=1)
    exclusions: list[Condition] = Field(default_factory=list)
    outcome: Literal["exempt", "reduced", "lighter"]
    note: dict[str, str] | None = None

    @field_validator("scenario")
    @classmethod
    def _scenario(cls, scenario: dict[str, str]) -> dict[str, str]:
        return _both_languages(scenario)

    @field_validator("note")
    @classmethod
    def _note(cls, note: dict[str, str] | None) -> dict[str, str] | None:
        return None if note is None else _both_languages(note)

    @model_validator(mode="after")
    def _predicates(self) -> ListItem:
        declared: dict[str, ExtraFact] = {}
        for index, fact in enumerate(self.extra):
            if fact.name in declared:
                raise ValueError(f"extra.{index}.name: {fact.name} is declared twice")
            declared[fact.name] = fact
        for kind in ("conditions", "exclusions"):
            for index, condition in enumerate(getattr(self, kind)):
                where = f"{kind}.{index}"
                if condition.fact not in FACT_NAMES and condition.fact not in declared:
                    raise ValueError(f"{where}.fact: {condition.fact} is neither a case fact nor declared in extra")
                if condition.op in ORDER_OPERATORS and not _ordered_fact(condition.fact, declared):
                    raise ValueError(f"{where}.op: {condition.fact} has no order; use eq, ne or in")
                if condition.op == "in":
                    if not isinstance(condition.value, list) or not condition.value:
                        raise ValueError(f"{where}.value: 'in' needs a non-empty list")
                    condition.value = tuple(
                        _typed(v, condition.fact, declared, f"{where}.value") for v in condition.value
                    )
                else:
                    condition.value = _typed(condition.value, condition.fact, declared, f"{where}.value")
        return self

    def declared(self) -> dict[str, ExtraFact]:
        return {fact.name: fact for fact in self.extra}


class IndustryList(BaseModel):
    """An industry tolerance list (容错清单).  ``example: true`` marks a list shipped as an example,
    which a jurisdiction replaces with its own (its ``note`` says so)."""

    model_config = ConfigDict(extra="forbid")

    code: Code
    title: dict[str, str]
    example: StrictBool
    note: dict[str, str]
    source: str = Field(min_length=1)
    sectors: dict[Code, Labelled] = Field(min_length=1)
    items: list[ListItem] = Field(min_length=1)

    @field_validator("title", "note")
    @classmethod
    def _languages(cls, value: dict[str, str]) -> dict[str, str]:
        return _both_languages(value)

    @model_validator(mode="after")
    def _sectors(self) -> IndustryList:
        for index, item in enumerate(self.items):
            if item.sector not in self.sectors:
                raise ValueError(f"items.{index}.sector: {item.sector} is not a sector of list {self.code}")
        return self


class Procedure(BaseModel):
    """The time limits of a tolerance case (Qianhai 2019, POLICY.md §5): an application within one
    month of the decision it concerns, acceptance decided within ten working days, the
    investigation within one month and extended once by at most one month.  POLICY.md sets no
    limit for the determination; Dandang's default gives the deciding body ten working days."""

    model_config = ConfigDict(extra="forbid")

    application_months: int = Field(default=1, ge=1, le=12)
    acceptance_working_days: int = Field(default=10, ge=1, le=60)
    investigation_months: int = Field(default=1, ge=1, le=12)
    extension_months: int = Field(default=1, ge=1, le=12)
    determination_working_days: int = Field(default=10, ge=1, le=60)


class ToleranceRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    national: NationalDefault
    lists: list[IndustryList] = Field(default_factory=list)
    procedure: Procedure = Field(default_factory=Procedure)

    @model_validator(mode="after")
    def _unique_codes(self) -> ToleranceRules:
        lists: set[str] = set()
        items: set[str] = set()
        for index, industry_list in enumerate(self.lists):
            if industry_list.code in lists:
                raise ValueError(f"lists.{index}.code: list {industry_list.code} appears twice")
            lists.add(industry_list.code)
            for position, item in enumerate(industry_list.items):
                if item.code in items:
                    raise ValueError(
                        f"lists.{index}.items.{position}.code: item {item.code} appears twice in the rulebook"
                    )
                items.add(item.code)
        return self

    def item(self, code: str) -> tuple[IndustryList, ListItem] | None:
        for industry_list in self.lists:
            for item in industry_list.items:
                if item.code == code:
                    return industry_list, item
        return None


def _predicates(conditions: list[Condition]) -> tuple[Predicate, ...]:
    return tuple(Predicate(fact=c.fact, op=c.op, value=c.value) for c in conditions)


def tolerance_policy(rules: ToleranceRules, ref: str) -> Policy:
    """The kernel's view of a validated rulebook (``ref`` is ``id@version``)."""
    items = {
        item.code: Item(
            code=item.code,
            list_code=industry_list.code,
            outcome=item.outcome,
            conditions=_predicates(item.conditions),
            exclusions=_predicates(item.exclusions),
        )
        for industry_list in rules.lists
        for item in industry_list.items
    }
    return Policy(
        rulebook=ref,
        reform_contexts=tuple(rules.national.reform_contexts),
        reform_closing_consequences=tuple(rules.national.reform_closing_consequences),
        items=items,
    )


__all__ = [
    "EXTRA_TYPES",
    "ITEM_OUTCOMES",
    "OPERATORS",
    "REFORM_CONTEXTS",
    "Condition",
    "ExtraFact",
    "IndustryList",
    "ListItem",
    "NationalDefault",
    "Procedure",
    "ToleranceRules",
    "tolerance_policy",
]
