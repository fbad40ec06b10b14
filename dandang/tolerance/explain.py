"""The tolerance decision explained in words, in the active language (gettext).

The kernel returns its explanation as data (:class:`~dandang.tolerance.kernel.Reason`); this
module — not a kernel, it may use Django — turns it into sentences: every exclusion, every
ground with why it failed, the mitigation, the outcome, the list item and the rulebook version.
Labels of the national provisions, list items and extra facts come from the rulebook in the
active language; the rest from the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dandang.core.rulebooks import rulebook_label, rulebook_label_language
from dandang.tolerance.kernel import Decision, Reason
from dandang.tolerance.rules import IndustryList, ListItem, ToleranceRules

FACT_LABELS: dict[str, Any] = {
    "context": gettext_lazy("Context"),
    "explicit_prohibition_breached": gettext_lazy("An explicit prohibition was breached"),
    "personal_gain": gettext_lazy("Private gain sought"),
    "collusion": gettext_lazy("Collusion with others"),
    "intentional": gettext_lazy("Intentional"),
    "procedure_followed": gettext_lazy("Democratic decision procedure followed, or emergency action reported promptly"),
    "objected_to_collective_decision": gettext_lazy("Objected to the collective decision"),
    "force_majeure": gettext_lazy("Force majeure or the unforeseeable"),
    "loss_recovered": gettext_lazy("Loss recovered"),
    "cooperated_with_investigation": gettext_lazy("Cooperated with the investigation"),
    "repeat_after_correction": gettext_lazy("Same error repeated after correction"),
    "obstructed_investigation": gettext_lazy("Obstructed the investigation"),
    "consequence": gettext_lazy("Consequence"),
}

VALUE_LABELS: dict[str, dict[str, Any]] = {
    "context": {
        "reform_pilot": gettext_lazy("reform pilot"),
        "exploratory_trial": gettext_lazy("exploratory trial"),
        "development_promotion": gettext_lazy("promoting development"),
        "emergency": gettext_lazy("emergency"),
        "routine": gettext_lazy("routine work"),
    },
    "loss_recovered": {
        "none": gettext_lazy("not recovered"),
        "partial": gettext_lazy("partly recovered"),
        "full": gettext_lazy("fully recovered"),
    },
    "consequence": {
        "none": gettext_lazy("no consequence"),
        "minor": gettext_lazy("minor"),
        "major": gettext_lazy("major"),
        "egregious": gettext_lazy("egregious"),
    },
}

OUTCOME_LABELS: dict[str, Any] = {
    "exempt": gettext_lazy("exemption (免责)"),
    "reduced": gettext_lazy("reduced accountability (减轻)"),
    "lighter": gettext_lazy("lighter accountability (从轻)"),
    "not_tolerated": gettext_lazy("not tolerated (不予容错)"),
}

STEP_LABELS: dict[str, Any] = {
    "exclusion": gettext_lazy("decided by the exclusions"),
    "ground": gettext_lazy("decided by the grounds for exemption"),
    "mitigation": gettext_lazy("decided by the mitigation"),
    "none": gettext_lazy("no ground and no mitigation holds (no_ground)"),
}

OPERATORS: dict[str, str] = {"eq": "=", "ne": "≠", "le": "≤", "lt": "<", "ge": "≥", "gt": ">"}


label_language = rulebook_label_language
_text = rulebook_label


class _Labels:
    """Labels from the rulebook for one decision."""

    def __init__(self, rules: ToleranceRules | None, item_code: str | None) -> None:
        self.rules = rules
        found = rules.item(item_code) if rules is not None and item_code else None
        self.list: IndustryList | None = found[0] if found is not None else None
        self.item: ListItem | None = found[1] if found is not None else None

    def provision(self, rule: str) -> str:
        if self.rules is None:
            return rule
        national = self.rules.national
        for group in (national.grounds, national.mitigation, national.exclusions):
            if rule in group:
                return _text(group[rule].label)
        return rule

    def fact(self, name: str) -> str:
        if name in FACT_LABELS:
            return str(FACT_LABELS[name])
        if self.item is not None:
            declared = self.item.declared()
            if name in declared:
                return _text(declared[name].label)
        return name

    def value(self, fact: str, value: Any) -> str:
        if isinstance(value, list | tuple):
            return _("one of %(values)s") % {"values": _(", ").join(self.value(fact, v) for v in value)}
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if fact in VALUE_LABELS and value in VALUE_LABELS[fact]:
            return str(VALUE_LABELS[fact][value])
        if self.item is not None:
            declared = self.item.declared().get(fact)
            if declared is not None and declared.choices and value in declared.choices:
                return _text(declared.choices[value].label)
        if isinstance(value, Decimal):
            return format(value, "f")
        return str(value)

    def predicate(self, params: Mapping[str, Any]) -> str:
        fact, op, value = params["fact"], params["op"], params["value"]
        shown = self.value(fact, value)
        if op == "in":
            text = _("%(fact)s is %(value)s") % {"fact": self.fact(fact), "value": shown}
        else:
            text = f"{self.fact(fact)} {OPERATORS[op]} {shown}"
        return _("%(predicate)s (the case: %(actual)s)") % {
            "predicate": text,
            "actual": self.value(fact, params["actual"]),
        }


def _why(labels: _Labels, because: Mapping[str, Any]) -> str:
    why = because["why"]
    if why == "context_not_reform":
        return _("the context is %(context)s, not reform, exploration or promoting development") % {
            "context": labels.value("context", because["context"])
        }
    if why == "procedure_not_followed":
        return _("the democratic decision procedure was not followed and no emergency action was reported promptly")
    if why == "closed_by_consequence":
        return _("the consequence is %(consequence)s and was not caused by force majeure") % {
            "consequence": labels.value("consequence", because["consequence"])
        }
    if why == "no_objection":
        return _("the cadre did not object to the collective decision")
    if why == "no_force_majeure":
        return _("the loss was not caused by force majeure or the unforeseeable")
    if why == "no_item":
        return _("no industry list item is invoked")
    if why == "item_condition_failed":
        return _("a condition of the item is not met: %(predicate)s") % {"predicate": labels.predicate(because)}
    if why == "item_exclusion_held":
        return _("an exclusion of the item applies: %(predicate)s") % {"predicate": labels.predicate(because)}
    return str(why)


def _sentence(labels: _Labels, reason: Reason) -> str:
    rule, params = reason.rule, reason.params
    names = {"rule": rule, "label": labels.provision(rule)}
    if reason.step == "item":
        item = labels.item
        return _("Industry list item invoked: %(code)s (%(list)s) — %(scenario)s") % {
            "code": params["code"],
            "list": _text(labels.list.title) if labels.list is not None else params["list"],
            "scenario": _text(item.scenario) if item is not None else "",
        }
    if reason.step == "exclusion":
        if reason.held:
            return _("Exclusion %(rule)s (%(label)s) applies: the error cannot be tolerated.") % names
        return _("Exclusion %(rule)s (%(label)s) does not apply: the error was caused by force majeure.") % names
    if reason.step == "ground" and rule == "egregious_closes_reform_ground":
        return _(
            "Rule egregious_closes_reform_ground: a consequence judged %(consequence)s, without force majeure, "
            "closes the reform ground."
        ) % {"consequence": labels.value("consequence", params["consequence"])}
    if reason.step == "ground":
        if reason.held:
            if rule == "ground_industry_item":
                return _("Ground %(rule)s (%(label)s) holds: item %(code)s allows %(outcome)s.") % {
                    **names,
                    "code": params["code"],
                    "outcome": OUTCOME_LABELS[params["outcome"]],
                }
            return _("Ground %(rule)s (%(label)s) holds.") % names
        reasons = _("; ").join(_why(labels, because) for because in params.get("because", []))
        return _("Ground %(rule)s (%(label)s) does not hold: %(reasons)s.") % {**names, "reasons": reasons}
    if reason.step == "mitigation":
        if reason.held:
            return _("Mitigation %(rule)s (%(label)s) applies.") % names
        return _("Mitigation %(rule)s (%(label)s) does not apply.") % names
    if reason.step == "outcome":
        return _("Outcome: %(outcome)s, %(step)s.") % {
            "outcome": OUTCOME_LABELS[rule],
            "step": STEP_LABELS[params["deciding_step"]],
        }
    if reason.step == "rulebook":
        return _("Rulebook: %(ref)s.") % {"ref": params["ref"]}
    return rule


def explain(decision: Decision, rules: ToleranceRules | None) -> str:
    """The explanation in the active language, one sentence a line."""
    labels = _Labels(rules, decision.item)
    return "\n".join(_sentence(labels, reason) for reason in decision.explanation)


def explain_in_every_language(decision: Decision, rules: ToleranceRules | None) -> dict[str, str]:
    """For the decision record: the explanation in each language of the deployment."""
    out = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            out[code] = explain(decision, rules)
    return out
