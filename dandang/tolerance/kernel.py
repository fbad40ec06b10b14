"""The tolerance decision (kernel): may this mistake be tolerated? (issue 5, POLICY.md §5)

Pure Python: no Django, plain frozen dataclasses in and out.  The national default semantics of
the Accountability Regulations (问责条例 2019) Art. 17 and 18 and the exclusions of the local
measures, in this order:

a. **Exclusions** → ``not_tolerated``, naming every exclusion hit (``personal_gain``,
   ``collusion``, ``intentional``, ``explicit_prohibition_breached``,
   ``obstructed_investigation``, and ``repeat_after_correction`` unless ``force_majeure``).
b. **Grounds**: (1) ``ground_reform`` — a reform context and ``procedure_followed``, closed by an
   egregious consequence without force majeure (``egregious_closes_reform_ground``);
   (2) ``ground_objection``; (3) ``ground_force_majeure`` — force majeure and
   ``procedure_followed``; (4) ``ground_industry_item`` — the invoked list item's own conditions
   all hold and none of its own exclusions does; it grants the item's outcome.  An item's own
   exclusion closes only ground (4).
c. **Mitigation** when not exempt: ``mitigation_loss_recovered`` (loss partly or fully recovered),
   ``mitigation_cooperation``; ``reduced`` when the loss is fully recovered and the cadre
   cooperated, otherwise ``lighter``.
d. Otherwise ``no_ground`` → ``not_tolerated``.

When several steps grant an outcome the most favourable stands (exempt, reduced, lighter); the
step that decided is the earliest step granting it.  ``fired`` lists, in order, every rule that
held in the deciding step and in the steps before it.  The explanation is structured data (rule
id, whether it held, parameters) — every exclusion, every ground with why it failed, the
mitigation, the item and the rulebook; an interface renders it in the reader's language.

Numbers of an item's extra facts are compared exactly, as ``int`` or ``Decimal``, never floats.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

CONTEXTS = ("reform_pilot", "exploratory_trial", "development_promotion", "emergency", "routine")
REFORM_CONTEXTS = ("reform_pilot", "exploratory_trial", "development_promotion")
LOSS_RECOVERED = ("none", "partial", "full")  # an ordinal scale
CONSEQUENCES = ("none", "minor", "major", "egregious")  # an ordinal scale
BOOLEAN_FACTS = (
    "explicit_prohibition_breached",
    "personal_gain",
    "collusion",
    "intentional",
    "procedure_followed",
    "objected_to_collective_decision",
    "force_majeure",
    "cooperated_with_investigation",
    "repeat_after_correction",
    "obstructed_investigation",
)
# The thirteen facts of every case, in the order of issue 5.
FACT_NAMES = (
    "context",
    "explicit_prohibition_breached",
    "personal_gain",
    "collusion",
    "intentional",
    "procedure_followed",
    "objected_to_collective_decision",
    "force_majeure",
    "loss_recovered",
    "cooperated_with_investigation",
    "repeat_after_correction",
    "obstructed_investigation",
    "consequence",
)
ENUM_FACTS: dict[str, tuple[str, ...]] = {
    "context": CONTEXTS,
    "loss_recovered": LOSS_RECOVERED,
    "consequence": CONSEQUENCES,
}
ORDINAL_FACTS = ("loss_recovered", "consequence")

EXCLUSIONS = (
    "personal_gain",
    "collusion",
    "intentional",
    "explicit_prohibition_breached",
    "obstructed_investigation",
    "repeat_after_correction",
)
GROUNDS = ("ground_reform", "ground_objection", "ground_force_majeure", "ground_industry_item")
EGREGIOUS_CLOSES_REFORM_GROUND = "egregious_closes_reform_ground"
MITIGATIONS = ("mitigation_loss_recovered", "mitigation_cooperation")
NO_GROUND = "no_ground"

EXEMPT = "exempt"
REDUCED = "reduced"
LIGHTER = "lighter"
NOT_TOLERATED = "not_tolerated"
OUTCOMES = (EXEMPT, REDUCED, LIGHTER, NOT_TOLERATED)  # most favourable first
ITEM_OUTCOMES = (EXEMPT, REDUCED, LIGHTER)

OPERATORS = ("eq", "ne", "le", "lt", "ge", "gt", "in")
ORDER_OPERATORS = ("le", "lt", "ge", "gt")

Value = bool | int | Decimal | str


# --- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """The thirteen facts of a case and the extra facts of the invoked list item (already
    validated: enums among their values, numbers as ``int`` or ``Decimal``)."""

    context: str
    explicit_prohibition_breached: bool
    personal_gain: bool
    collusion: bool
    intentional: bool
    procedure_followed: bool
    objected_to_collective_decision: bool
    force_majeure: bool
    loss_recovered: str
    cooperated_with_investigation: bool
    repeat_after_correction: bool
    obstructed_investigation: bool
    consequence: str
    extra: Mapping[str, Value] = field(default_factory=dict)

    def value(self, name: str) -> Value:
        if name in FACT_NAMES:
            result: Value = getattr(self, name)
            return result
        return self.extra[name]


@dataclass(frozen=True)
class Predicate:
    """``fact op value``; for ``in`` the value is a tuple.  Ordering operators on the ordinal facts
    (``loss_recovered``, ``consequence``) compare positions on their scale."""

    fact: str
    op: str
    value: Value | tuple[Value, ...]


@dataclass(frozen=True)
class Item:
    code: str
    list_code: str
    outcome: str
    conditions: tuple[Predicate, ...] = ()
    exclusions: tuple[Predicate, ...] = ()


@dataclass(frozen=True)
class Policy:
    """What the kernel reads from a ``tolerance`` rulebook."""

    rulebook: str  # "id@version"
    reform_contexts: tuple[str, ...] = REFORM_CONTEXTS
    # Consequences that close the reform ground unless force majeure (national default:
    # egregious only; a stricter jurisdiction adds "major").
    reform_closing_consequences: tuple[str, ...] = ("egregious",)
    items: Mapping[str, Item] = field(default_factory=dict)


# --- outputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """One line of the explanation: a rule, whether it held, and its parameters.

    ``rule`` is a rule id, or one of ``item`` (the list item invoked), ``outcome`` and
    ``rulebook``.  For a ground that failed, ``params["because"]`` lists why, each entry a dict
    with a ``why`` code and its parameters."""

    step: str  # "exclusion", "ground", "mitigation", "outcome", "item", "rulebook"
    rule: str
    held: bool
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    outcome: str
    fired: tuple[str, ...]
    deciding_step: str  # "exclusion", "ground", "mitigation", "none"
    explanation: tuple[Reason, ...]
    rulebook: str
    item: str | None = None


class UnknownItem(KeyError):
    """The case invokes an item code the rulebook does not hold."""


# --- predicates -----------------------------------------------------------------------------


def _rank(fact: str, value: Value) -> int:
    return ENUM_FACTS[fact].index(str(value))


def _ordered(fact: str, actual: Value, expected: Value) -> tuple[Any, Any]:
    if fact in ORDINAL_FACTS:
        return _rank(fact, actual), _rank(fact, expected)
    if isinstance(actual, bool) or isinstance(expected, bool):
        raise TypeError(f"{fact}: booleans have no order")
    if not isinstance(actual, int | Decimal) or not isinstance(expected, int | Decimal):
        raise TypeError(f"{fact}: only numbers and ordinal facts have an order")
    return actual, expected


def _same(actual: Value, expected: Value) -> bool:
    # ``True == 1`` in Python: a boolean only equals a boolean.
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual is expected
    return actual == expected


def predicate_holds(predicate: Predicate, facts: Facts) -> bool:
    actual = facts.value(predicate.fact)
    op, expected = predicate.op, predicate.value
    if op == "in":
        assert isinstance(expected, tuple)
        return any(_same(actual, option) for option in expected)
    assert not isinstance(expected, tuple)
    if op == "eq":
        return _same(actual, expected)
    if op == "ne":
        return not _same(actual, expected)
    left, right = _ordered(predicate.fact, actual, expected)
    if op == "le":
        return bool(left <= right)
    if op == "lt":
        return bool(left < right)
    if op == "ge":
        return bool(left >= right)
    if op == "gt":
        return bool(left > right)
    raise ValueError(f"unknown operator {op!r}")


def _described(predicate: Predicate, facts: Facts) -> dict[str, Any]:
    value = list(predicate.value) if isinstance(predicate.value, tuple) else predicate.value
    return {"fact": predicate.fact, "op": predicate.op, "value": value, "actual": facts.value(predicate.fact)}


# --- the decision ---------------------------------------------------------------------------


def _better(a: str, b: str) -> bool:
    return OUTCOMES.index(a) < OUTCOMES.index(b)


def decide(facts: Facts, policy: Policy, industry_item: str | None = None) -> Decision:
    """Decide ``facts`` under ``policy``, invoking the list item ``industry_item`` if given.
    Raises :class:`UnknownItem` for an item code the rulebook does not hold."""
    item: Item | None = None
    if industry_item is not None:
        try:
            item = policy.items[industry_item]
        except KeyError:
            raise UnknownItem(industry_item) from None

    reasons: list[Reason] = []
    if item is not None:
        reasons.append(Reason("item", "item", True, {"code": item.code, "list": item.list_code}))

    # a. Exclusions.
    hits: list[str] = []
    for name in EXCLUSIONS:
        if not getattr(facts, name):
            continue
        if name == "repeat_after_correction" and facts.force_majeure:
            reasons.append(Reason("exclusion", name, False, {"excused_by": "force_majeure"}))
            continue
        hits.append(name)
        reasons.append(Reason("exclusion", name, True))
    if hits:
        reasons.append(Reason("outcome", NOT_TOLERATED, True, {"deciding_step": "exclusion", "rules": list(hits)}))
        reasons.append(Reason("rulebook", "rulebook", True, {"ref": policy.rulebook}))
        return Decision(NOT_TOLERATED, tuple(hits), "exclusion", tuple(reasons), policy.rulebook, industry_item)

    # b. Grounds.
    ground_rules: list[str] = []
    ground_outcome: str | None = None

    because: list[dict[str, Any]] = []
    if facts.context not in policy.reform_contexts:
        because.append({"why": "context_not_reform", "context": facts.context})
    if not facts.procedure_followed:
        because.append({"why": "procedure_not_followed"})
    if not because and facts.consequence in policy.reform_closing_consequences and not facts.force_majeure:
        ground_rules.append(EGREGIOUS_CLOSES_REFORM_GROUND)
        reasons.append(Reason("ground", EGREGIOUS_CLOSES_REFORM_GROUND, True, {"consequence": facts.consequence}))
        because.append({"why": "closed_by_consequence", "consequence": facts.consequence})
    if because:
        reasons.append(Reason("ground", "ground_reform", False, {"because": because}))
    else:
        ground_rules.append("ground_reform")
        ground_outcome = EXEMPT
        reasons.append(Reason("ground", "ground_reform", True, {"context": facts.context}))

    if facts.objected_to_collective_decision:
        ground_rules.append("ground_objection")
        ground_outcome = EXEMPT
        reasons.append(Reason("ground", "ground_objection", True))
    else:
        reasons.append(Reason("ground", "ground_objection", False, {"because": [{"why": "no_objection"}]}))

    because = []
    if not facts.force_majeure:
        because.append({"why": "no_force_majeure"})
    if not facts.procedure_followed:
        because.append({"why": "procedure_not_followed"})
    if because:
        reasons.append(Reason("ground", "ground_force_majeure", False, {"because": because}))
    else:
        ground_rules.append("ground_force_majeure")
        ground_outcome = EXEMPT
        reasons.append(Reason("ground", "ground_force_majeure", True))

    if item is None:
        reasons.append(Reason("ground", "ground_industry_item", False, {"because": [{"why": "no_item"}]}))
    else:
        because = [
            {"why": "item_condition_failed", **_described(p, facts)}
            for p in item.conditions
            if not predicate_holds(p, facts)
        ]
        because += [
            {"why": "item_exclusion_held", **_described(p, facts)} for p in item.exclusions if predicate_holds(p, facts)
        ]
        if because:
            reasons.append(Reason("ground", "ground_industry_item", False, {"code": item.code, "because": because}))
        else:
            ground_rules.append("ground_industry_item")
            if ground_outcome is None or _better(item.outcome, ground_outcome):
                ground_outcome = item.outcome
            reasons.append(Reason("ground", "ground_industry_item", True, {"code": item.code, "outcome": item.outcome}))

    def finish(outcome: str, fired: list[str], step: str) -> Decision:
        reasons.append(Reason("outcome", outcome, True, {"deciding_step": step}))
        reasons.append(Reason("rulebook", "rulebook", True, {"ref": policy.rulebook}))
        return Decision(outcome, tuple(fired), step, tuple(reasons), policy.rulebook, industry_item)

    if ground_outcome == EXEMPT:
        return finish(EXEMPT, ground_rules, "ground")

    # c. Mitigation (not exempt).
    mitigation_rules: list[str] = []
    if facts.loss_recovered in ("partial", "full"):
        mitigation_rules.append("mitigation_loss_recovered")
        reasons.append(
            Reason("mitigation", "mitigation_loss_recovered", True, {"loss_recovered": facts.loss_recovered})
        )
    else:
        reasons.append(
            Reason("mitigation", "mitigation_loss_recovered", False, {"loss_recovered": facts.loss_recovered})
        )
    if facts.cooperated_with_investigation:
        mitigation_rules.append("mitigation_cooperation")
        reasons.append(Reason("mitigation", "mitigation_cooperation", True))
    else:
        reasons.append(Reason("mitigation", "mitigation_cooperation", False))
    mitigation_outcome: str | None = None
    if mitigation_rules:
        full = facts.loss_recovered == "full" and facts.cooperated_with_investigation
        mitigation_outcome = REDUCED if full else LIGHTER

    if ground_outcome is not None and (mitigation_outcome is None or not _better(mitigation_outcome, ground_outcome)):
        return finish(ground_outcome, ground_rules, "ground")
    if mitigation_outcome is not None:
        return finish(mitigation_outcome, ground_rules + mitigation_rules, "mitigation")

    # d. Nothing holds.
    return finish(NOT_TOLERATED, [*ground_rules, NO_GROUND], "none")
