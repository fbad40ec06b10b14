"""The tolerance kernel, exhaustively (issue 5 point 3): exclusions alone and with every ground,
the most-favourable rule, egregious and force majeure, an item's own conditions and exclusions,
mitigation, ``fired`` exactly, exact numbers; properties with hypothesis."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dandang.tolerance.kernel import (
    CONSEQUENCES,
    CONTEXTS,
    EXCLUSIONS,
    LOSS_RECOVERED,
    Facts,
    Item,
    Policy,
    Predicate,
    UnknownItem,
    decide,
    predicate_holds,
)

REF = "tolerance@1"


def facts(**overrides) -> Facts:
    """A routine case where nothing holds: not tolerated, no ground."""
    base = {
        "context": "routine",
        "explicit_prohibition_breached": False,
        "personal_gain": False,
        "collusion": False,
        "intentional": False,
        "procedure_followed": False,
        "objected_to_collective_decision": False,
        "force_majeure": False,
        "loss_recovered": "none",
        "cooperated_with_investigation": False,
        "repeat_after_correction": False,
        "obstructed_investigation": False,
        "consequence": "none",
    }
    base.update(overrides)
    return Facts(**base)


def item(outcome="exempt", conditions=None, exclusions=(), code="T-1") -> Item:
    if conditions is None:
        conditions = (Predicate("ratio", "le", Decimal("0.8")),)
    return Item(
        code=code, list_code="test", outcome=outcome, conditions=tuple(conditions), exclusions=tuple(exclusions)
    )


def policy(*items: Item, **kwargs) -> Policy:
    return Policy(rulebook=REF, items={i.code: i for i in items}, **kwargs)


# Each ground, made to hold on its own (the industry item with its condition met).
GROUNDS = {
    "ground_reform": ({"context": "reform_pilot", "procedure_followed": True}, None),
    "ground_objection": ({"objected_to_collective_decision": True}, None),
    "ground_force_majeure": ({"force_majeure": True, "procedure_followed": True}, None),
    "ground_industry_item": ({"extra": {"ratio": Decimal("0.5")}}, "T-1"),
}


def run(fields: dict, code: str | None = None, the_policy: Policy | None = None):
    return decide(facts(**fields), the_policy or policy(item()), code)


# --- a. exclusions ---------------------------------------------------------------------------


def test_nothing_holds_no_ground():
    d = run({})
    assert (d.outcome, d.fired, d.deciding_step) == ("not_tolerated", ("no_ground",), "none")


@pytest.mark.parametrize("exclusion", EXCLUSIONS)
def test_every_exclusion_alone_is_not_tolerated(exclusion):
    d = run({exclusion: True})
    assert (d.outcome, d.fired, d.deciding_step) == ("not_tolerated", (exclusion,), "exclusion")
    assert [r.rule for r in d.explanation if r.step == "exclusion" and r.held] == [exclusion]


@pytest.mark.parametrize("ground", GROUNDS)
@pytest.mark.parametrize("exclusion", EXCLUSIONS)
def test_every_exclusion_with_every_ground_is_not_tolerated(exclusion, ground):
    fields, code = GROUNDS[ground]
    # The ground holds without the exclusion...
    assert run(fields, code).outcome == "exempt"
    d = run({**fields, exclusion: True}, code)
    if exclusion == "repeat_after_correction" and ground == "ground_force_majeure":
        # ...except a repeated error caused by force majeure: that exclusion is excused.
        assert (d.outcome, d.fired) == ("exempt", ("ground_force_majeure",))
        excused = [r for r in d.explanation if r.step == "exclusion"]
        assert [(r.rule, r.held, dict(r.params)) for r in excused] == [
            ("repeat_after_correction", False, {"excused_by": "force_majeure"})
        ]
    else:
        assert (d.outcome, d.fired, d.deciding_step) == ("not_tolerated", (exclusion,), "exclusion")


@pytest.mark.parametrize("exclusion", EXCLUSIONS)
def test_every_exclusion_with_every_ground_and_mitigation_at_once(exclusion):
    everything = {
        "context": "reform_pilot",
        "procedure_followed": True,
        "objected_to_collective_decision": True,
        "loss_recovered": "full",
        "cooperated_with_investigation": True,
        "extra": {"ratio": Decimal("0.1")},
        exclusion: True,
    }
    d = run(everything, "T-1")
    assert (d.outcome, d.fired) == ("not_tolerated", (exclusion,))


def test_all_exclusions_are_named_in_order():
    d = run(dict.fromkeys(EXCLUSIONS, True))
    assert d.fired == EXCLUSIONS
    assert d.outcome == "not_tolerated"


def test_all_exclusions_with_force_majeure_excuse_only_the_repeat():
    d = run({**dict.fromkeys(EXCLUSIONS, True), "force_majeure": True, "procedure_followed": True})
    assert d.fired == tuple(e for e in EXCLUSIONS if e != "repeat_after_correction")
    assert d.outcome == "not_tolerated"


def test_repeat_after_correction_with_force_majeure_but_no_ground_goes_on_to_the_next_steps():
    d = run({"repeat_after_correction": True, "force_majeure": True})
    # Force majeure without procedure_followed is no ground: nothing else holds.
    assert (d.outcome, d.fired) == ("not_tolerated", ("no_ground",))
    d = run({"repeat_after_correction": True, "force_majeure": True, "cooperated_with_investigation": True})
    assert (d.outcome, d.fired) == ("lighter", ("mitigation_cooperation",))


# --- b. grounds ------------------------------------------------------------------------------


@pytest.mark.parametrize("ground", GROUNDS)
def test_each_ground_alone_exempts(ground):
    fields, code = GROUNDS[ground]
    d = run(fields, code)
    assert (d.outcome, d.fired, d.deciding_step) == ("exempt", (ground,), "ground")


@pytest.mark.parametrize("context", ["reform_pilot", "exploratory_trial", "development_promotion"])
def test_reform_ground_needs_a_reform_context_and_the_procedure(context):
    assert run({"context": context, "procedure_followed": True}).fired == ("ground_reform",)
    assert run({"context": context}).fired == ("no_ground",)


@pytest.mark.parametrize("context", ["emergency", "routine"])
def test_reform_ground_is_closed_outside_reform_contexts(context):
    d = run({"context": context, "procedure_followed": True})
    assert (d.outcome, d.fired) == ("not_tolerated", ("no_ground",))
    (reform,) = [r for r in d.explanation if r.rule == "ground_reform"]
    assert not reform.held
    assert reform.params["because"] == [{"why": "context_not_reform", "context": context}]


def test_all_grounds_at_once_are_fired_in_order():
    fields = {
        "context": "exploratory_trial",
        "procedure_followed": True,
        "objected_to_collective_decision": True,
        "force_majeure": True,
        "extra": {"ratio": Decimal("0.8")},
    }
    d = run(fields, "T-1")
    assert d.fired == ("ground_reform", "ground_objection", "ground_force_majeure", "ground_industry_item")
    assert d.outcome == "exempt"


def test_force_majeure_ground_needs_the_procedure():
    d = run({"force_majeure": True})
    (fm,) = [r for r in d.explanation if r.rule == "ground_force_majeure"]
    assert fm.params["because"] == [{"why": "procedure_not_followed"}]
    assert d.fired == ("no_ground",)


# --- egregious consequence --------------------------------------------------------------------


def test_egregious_closes_the_reform_ground():
    d = run({"context": "reform_pilot", "procedure_followed": True, "consequence": "egregious"})
    assert (d.outcome, d.fired) == ("not_tolerated", ("egregious_closes_reform_ground", "no_ground"))
    (reform,) = [r for r in d.explanation if r.rule == "ground_reform"]
    assert reform.params["because"] == [{"why": "closed_by_consequence", "consequence": "egregious"}]


def test_egregious_with_mitigation_stays_mitigable():
    d = run(
        {
            "context": "reform_pilot",
            "procedure_followed": True,
            "consequence": "egregious",
            "loss_recovered": "full",
            "cooperated_with_investigation": True,
        }
    )
    assert d.outcome == "reduced"
    assert d.fired == ("egregious_closes_reform_ground", "mitigation_loss_recovered", "mitigation_cooperation")
    assert d.deciding_step == "mitigation"


def test_egregious_with_force_majeure_keeps_the_reform_ground_open():
    d = run({"context": "reform_pilot", "procedure_followed": True, "consequence": "egregious", "force_majeure": True})
    assert (d.outcome, d.fired) == ("exempt", ("ground_reform", "ground_force_majeure"))


def test_egregious_closes_only_the_reform_ground():
    d = run(
        {
            "context": "reform_pilot",
            "procedure_followed": True,
            "consequence": "egregious",
            "objected_to_collective_decision": True,
        }
    )
    assert (d.outcome, d.fired) == ("exempt", ("egregious_closes_reform_ground", "ground_objection"))
    d = run({"consequence": "egregious", "extra": {"ratio": Decimal("0")}}, "T-1")
    assert (d.outcome, d.fired) == ("exempt", ("ground_industry_item",))


def test_egregious_outside_a_reform_context_fires_nothing_it_did_not_close():
    d = run({"context": "routine", "procedure_followed": True, "consequence": "egregious"})
    assert d.fired == ("no_ground",)


@pytest.mark.parametrize("consequence", ["none", "minor", "major"])
def test_lesser_consequences_leave_the_reform_ground_open(consequence):
    d = run({"context": "reform_pilot", "procedure_followed": True, "consequence": consequence})
    assert d.fired == ("ground_reform",)


def test_a_stricter_jurisdiction_closes_the_reform_ground_on_a_major_consequence():
    strict = policy(item(), reform_closing_consequences=("major", "egregious"))
    d = run({"context": "reform_pilot", "procedure_followed": True, "consequence": "major"}, the_policy=strict)
    assert d.fired == ("egregious_closes_reform_ground", "no_ground")


# --- c. mitigation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loss", "cooperated", "outcome", "fired"),
    [
        ("full", True, "reduced", ("mitigation_loss_recovered", "mitigation_cooperation")),
        ("full", False, "lighter", ("mitigation_loss_recovered",)),
        ("partial", True, "lighter", ("mitigation_loss_recovered", "mitigation_cooperation")),
        ("partial", False, "lighter", ("mitigation_loss_recovered",)),
        ("none", True, "lighter", ("mitigation_cooperation",)),
        ("none", False, "not_tolerated", ("no_ground",)),
    ],
)
def test_mitigation_reduced_only_with_full_recovery_and_cooperation(loss, cooperated, outcome, fired):
    d = run({"loss_recovered": loss, "cooperated_with_investigation": cooperated})
    assert (d.outcome, d.fired) == (outcome, fired)


def test_an_exemption_makes_mitigation_moot():
    d = run({"objected_to_collective_decision": True, "loss_recovered": "full", "cooperated_with_investigation": True})
    assert (d.outcome, d.fired) == ("exempt", ("ground_objection",))
    assert not [r for r in d.explanation if r.step == "mitigation"]


# --- ground 4: the item's own conditions and exclusions; most favourable outcome ---------------


@pytest.mark.parametrize(
    ("granted", "loss", "cooperated", "outcome", "fired", "step"),
    [
        ("exempt", "full", True, "exempt", ("ground_industry_item",), "ground"),
        ("reduced", "none", False, "reduced", ("ground_industry_item",), "ground"),
        ("lighter", "none", False, "lighter", ("ground_industry_item",), "ground"),
        # The item grants less than the mitigation: the mitigation decides.
        (
            "lighter",
            "full",
            True,
            "reduced",
            ("ground_industry_item", "mitigation_loss_recovered", "mitigation_cooperation"),
            "mitigation",
        ),
        # The item grants more: the item decides and the later step is not listed.
        ("reduced", "partial", False, "reduced", ("ground_industry_item",), "ground"),
        # A tie: the earlier step decides.
        ("reduced", "full", True, "reduced", ("ground_industry_item",), "ground"),
        ("lighter", "partial", True, "lighter", ("ground_industry_item",), "ground"),
    ],
)
def test_the_most_favourable_outcome_stands(granted, loss, cooperated, outcome, fired, step):
    the_policy = policy(item(outcome=granted))
    fields = {"extra": {"ratio": Decimal("0.8")}, "loss_recovered": loss, "cooperated_with_investigation": cooperated}
    d = run(fields, "T-1", the_policy)
    assert (d.outcome, d.fired, d.deciding_step) == (outcome, fired, step)


def test_an_exemption_ground_beats_a_lesser_item():
    the_policy = policy(item(outcome="lighter"))
    d = run({"objected_to_collective_decision": True, "extra": {"ratio": Decimal("0")}}, "T-1", the_policy)
    assert (d.outcome, d.fired) == ("exempt", ("ground_objection", "ground_industry_item"))


def test_the_items_conditions_must_all_hold():
    the_item = item(conditions=[Predicate("ratio", "le", Decimal("0.8")), Predicate("procedure_followed", "eq", True)])
    d = run({"extra": {"ratio": Decimal("0.9")}}, "T-1", policy(the_item))
    assert (d.outcome, d.fired) == ("not_tolerated", ("no_ground",))
    (ground,) = [r for r in d.explanation if r.rule == "ground_industry_item"]
    assert ground.params["because"] == [
        {
            "why": "item_condition_failed",
            "fact": "ratio",
            "op": "le",
            "value": Decimal("0.8"),
            "actual": Decimal("0.9"),
        },
        {"why": "item_condition_failed", "fact": "procedure_followed", "op": "eq", "value": True, "actual": False},
    ]


def test_the_items_own_exclusion_closes_only_ground_four():
    the_item = item(exclusions=[Predicate("consequence", "ge", "major")])
    fields = {
        "context": "reform_pilot",
        "procedure_followed": True,
        "consequence": "major",
        "extra": {"ratio": Decimal("0")},
    }
    d = run(fields, "T-1", policy(the_item))
    assert (d.outcome, d.fired) == ("exempt", ("ground_reform",))
    (ground,) = [r for r in d.explanation if r.rule == "ground_industry_item"]
    assert not ground.held
    assert ground.params["because"] == [
        {"why": "item_exclusion_held", "fact": "consequence", "op": "ge", "value": "major", "actual": "major"}
    ]
    # Without the reform ground nothing else holds.
    d = run({**fields, "context": "routine"}, "T-1", policy(the_item))
    assert (d.outcome, d.fired) == ("not_tolerated", ("no_ground",))


def test_an_unknown_item_is_refused():
    with pytest.raises(UnknownItem):
        run({}, "NO-SUCH")


def test_the_explanation_names_every_ground_the_item_and_the_rulebook():
    d = run({"extra": {"ratio": Decimal("1")}}, "T-1")
    assert [(r.step, r.rule, r.held) for r in d.explanation] == [
        ("item", "item", True),
        ("ground", "ground_reform", False),
        ("ground", "ground_objection", False),
        ("ground", "ground_force_majeure", False),
        ("ground", "ground_industry_item", False),
        ("mitigation", "mitigation_loss_recovered", False),
        ("mitigation", "mitigation_cooperation", False),
        ("outcome", "not_tolerated", True),
        ("rulebook", "rulebook", True),
    ]
    assert d.explanation[-1].params == {"ref": REF}
    (reform,) = [r for r in d.explanation if r.rule == "ground_reform"]
    assert reform.params["because"] == [
        {"why": "context_not_reform", "context": "routine"},
        {"why": "procedure_not_followed"},
    ]


# --- predicates: exact numbers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "expected", "actual", "holds"),
    [
        ("le", Decimal("0.8"), Decimal("0.8"), True),
        ("le", Decimal("0.8"), Decimal("0.80000000000000000001"), False),
        ("lt", Decimal("0.8"), Decimal("0.8"), False),
        ("ge", Decimal("0.9"), Decimal("0.9"), True),
        ("gt", 5, 5, False),
        ("gt", 5, 6, True),
        ("eq", 1, Decimal("1.0"), True),
        ("ne", 3, 4, True),
        ("in", (1, 2, 3), 2, True),
        ("in", (1, 2, 3), 4, False),
        # A boolean never equals a number (True == 1 in Python).
        ("eq", True, 1, False),
        ("eq", 1, True, False),
        ("in", (True,), 1, False),
    ],
)
def test_predicates_compare_exactly(op, expected, actual, holds):
    assert predicate_holds(Predicate("x", op, expected), facts(extra={"x": actual})) is holds


@pytest.mark.parametrize(
    ("op", "value", "actual", "holds"),
    [
        ("le", "minor", "none", True),
        ("le", "minor", "major", False),
        ("ge", "major", "egregious", True),
        ("lt", "major", "major", False),
        ("gt", "none", "minor", True),
        ("in", ("minor", "major"), "major", True),
        ("ne", "none", "none", False),
    ],
)
def test_ordinal_consequence(op, value, actual, holds):
    assert predicate_holds(Predicate("consequence", op, value), facts(consequence=actual)) is holds


def test_loss_recovered_is_ordinal_too():
    assert predicate_holds(Predicate("loss_recovered", "ge", "partial"), facts(loss_recovered="full"))
    assert not predicate_holds(Predicate("loss_recovered", "ge", "partial"), facts(loss_recovered="none"))


def test_booleans_have_no_order():
    with pytest.raises(TypeError):
        predicate_holds(Predicate("personal_gain", "lt", True), facts())


# --- properties ------------------------------------------------------------------------------

fact_values = st.fixed_dictionaries(
    {
        "context": st.sampled_from(CONTEXTS),
        "explicit_prohibition_breached": st.booleans(),
        "personal_gain": st.booleans(),
        "collusion": st.booleans(),
        "intentional": st.booleans(),
        "procedure_followed": st.booleans(),
        "objected_to_collective_decision": st.booleans(),
        "force_majeure": st.booleans(),
        "loss_recovered": st.sampled_from(LOSS_RECOVERED),
        "cooperated_with_investigation": st.booleans(),
        "repeat_after_correction": st.booleans(),
        "obstructed_investigation": st.booleans(),
        "consequence": st.sampled_from(CONSEQUENCES),
        "extra": st.fixed_dictionaries({"ratio": st.decimals(min_value=0, max_value=1, places=3)}),
    }
)


@settings(max_examples=400, deadline=None)
@given(
    fields=fact_values,
    invoke=st.booleans(),
    granted=st.sampled_from(["exempt", "reduced", "lighter"]),
)
def test_any_exclusion_is_not_tolerated(fields, invoke, granted):
    d = decide(Facts(**fields), policy(item(outcome=granted)), "T-1" if invoke else None)
    hits = [
        name
        for name in EXCLUSIONS
        if fields[name] and not (name == "repeat_after_correction" and fields["force_majeure"])
    ]
    if hits:
        assert d.outcome == "not_tolerated"
        assert list(d.fired) == hits
    else:
        assert not set(d.fired) & set(EXCLUSIONS)
    assert d.outcome in ("exempt", "reduced", "lighter", "not_tolerated")
    assert d.fired
    assert d.explanation[-1].params == {"ref": REF}


@settings(max_examples=200, deadline=None)
@given(fields=fact_values)
def test_more_favourable_steps_never_lose(fields):
    """Adding an objection (a ground) never makes the outcome worse; adding an exclusion never
    makes it better."""
    order = ["exempt", "reduced", "lighter", "not_tolerated"]
    the_policy = policy(item())
    base = decide(Facts(**fields), the_policy, "T-1")
    objecting = decide(replace(Facts(**fields), objected_to_collective_decision=True), the_policy, "T-1")
    gaining = decide(replace(Facts(**fields), personal_gain=True), the_policy, "T-1")
    assert order.index(objecting.outcome) <= order.index(base.outcome)
    assert gaining.outcome == "not_tolerated"
