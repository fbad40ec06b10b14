"""Forms of the tolerance pages: they parse what a person typed; the rules are checked by the
services (:mod:`dandang.tolerance.services`).  The investigation form has the structure of the
case facts (:mod:`dandang.tolerance.facts`): the thirteen facts, the industry-list item with the
extra facts it declares, and the five judging factors — all required here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dandang.tolerance.explain import FACT_LABELS, VALUE_LABELS, label_language
from dandang.tolerance.facts import NARRATIVE_FIELDS
from dandang.tolerance.kernel import BOOLEAN_FACTS, ENUM_FACTS, FACT_NAMES
from dandang.tolerance.models import CaseStatus, Origin, Outcome
from dandang.tolerance.rules import ExtraFact, ListItem, ToleranceRules

ANY = ("", _("Any"))
YES_NO = [("", "—"), ("true", _("yes")), ("false", _("no"))]
EXTRA_PREFIX = "extra_"

NARRATIVE_LABELS: dict[str, Any] = {
    "motivation_attitude": _("Motivation and attitude (动机态度)"),
    "objective_conditions": _("Objective conditions (客观条件)"),
    "procedure_method": _("Procedure and method (程序方法)"),
    "nature_degree": _("Nature and degree (性质程度)"),
    "consequences_recovery": _("Consequences and loss recovered (后果影响及挽回损失)"),
}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class VersionField(forms.IntegerField):
    """The version of the case the person read: a stale one is refused by the service."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=2_000_000_000, widget=forms.HiddenInput, **kwargs)


def _text(label: Any, limit: int, *, rows: int = 3, required: bool = True, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=limit,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("Cadre"), required=False, max_length=50)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[ANY, *CaseStatus.choices])
    origin = forms.ChoiceField(label=_("Origin"), required=False, choices=[ANY, *Origin.choices])
    outcome = forms.ChoiceField(label=_("Determination"), required=False, choices=[ANY, *Outcome.choices])
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class ApplyForm(forms.Form):
    matter = _text(_("Matter"), 2000, rows=4, help_text=_("What happened, and what the decision holds against you."))
    matter_date = forms.DateField(label=_("Date of the matter"), widget=DateInput())
    decision_reference = forms.CharField(label=_("Reference of the decision"), max_length=100, required=False)
    decision_date = forms.DateField(
        label=_("Date of the decision"),
        widget=DateInput(),
        help_text=_("Apply within one month of the accountability, discipline or handling decision."),
    )
    statement = _text(_("Why the error should be tolerated"), 5000, rows=6)


class NoteForm(forms.Form):
    version = VersionField()
    note = _text(_("Notice to the applicant"), 2000, required=False)

    def __init__(self, *args: Any, required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].required = required


class ExtendForm(forms.Form):
    version = VersionField()
    reason = _text(_("Why the investigation needs more time"), 2000)


class DetermineForm(forms.Form):
    version = VersionField()
    outcome = forms.ChoiceField(label=_("Determination"), choices=[("", "—"), *Outcome.choices])
    reason = _text(
        _("Reason for departing from the recommendation"),
        5000,
        required=False,
        help_text=_("Required when the determination is not the recommendation."),
    )
    note = _text(_("Determination note"), 5000, required=False)


class CloseForm(forms.Form):
    version = VersionField()
    note = _text(_("Closing note"), 2000, required=False)


class CorrectionForm(forms.Form):
    owner = forms.CharField(label=_("Owner"), max_length=100)
    task = _text(_("Task"), 2000, rows=2)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput())


class DoneForm(forms.Form):
    done_on = forms.DateField(label=_("Done on"), widget=DateInput())
    note = forms.CharField(label=_("How it was done"), max_length=2000, required=False)


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("Date of the visit"), widget=DateInput())
    visitors = forms.CharField(label=_("Visited by"), max_length=200)
    notes = _text(_("What was discussed"), 5000)


# --- the investigation's findings ------------------------------------------------------------


def _label(texts: dict[str, str]) -> str:
    return texts.get(label_language()) or texts.get("en") or next(iter(texts.values()), "")


def item_choices(rules: ToleranceRules) -> list[Any]:
    """The industry-list items, grouped by list, labelled with code and scenario."""
    out: list[Any] = [("", _("— no item invoked —"))]
    for industry_list in rules.lists:
        out.append(
            (
                _label(industry_list.title),
                [(item.code, f"{item.code} · {_label(item.scenario)}") for item in industry_list.items],
            )
        )
    return out


def extra_field(fact: ExtraFact) -> forms.Field:
    label = _label(fact.label)
    if fact.type == "boolean":
        return forms.ChoiceField(label=label, choices=YES_NO)
    if fact.type == "choice":
        choices = [(code, _label(choice.label)) for code, choice in (fact.choices or {}).items()]
        return forms.ChoiceField(label=label, choices=[("", "—"), *choices])
    hint = []
    if fact.minimum is not None:
        hint.append(f"≥ {fact.minimum}")
    if fact.maximum is not None:
        hint.append(f"≤ {fact.maximum}")
    return forms.CharField(label=label, max_length=40, help_text=", ".join(hint))


class ProposeForm(forms.Form):
    """The facts, the industry item (with its extra facts, added for the item chosen) and the five
    narrative factors, and the investigation report."""

    version = VersionField()

    def __init__(self, *args: Any, rules: ToleranceRules, extra_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rules = rules
        for name in FACT_NAMES:
            label = FACT_LABELS[name]
            if name in BOOLEAN_FACTS:
                self.fields[name] = forms.ChoiceField(label=label, choices=YES_NO)
            else:
                values = VALUE_LABELS.get(name, {})
                choices = [(v, values.get(v, v)) for v in ENUM_FACTS[name]]
                self.fields[name] = forms.ChoiceField(label=label, choices=[("", "—"), *choices])
        # Choosing an item asks the server for the facts it declares (htmx).
        attrs = {"hx-get": extra_url, "hx-target": "#extra-facts", "hx-trigger": "change"} if extra_url else {}
        self.fields["industry_item"] = forms.ChoiceField(
            label=_("Industry list item invoked"),
            choices=item_choices(rules),
            required=False,
            widget=forms.Select(attrs=attrs),
        )
        for extra in self.extra_facts():
            self.fields[EXTRA_PREFIX + extra.name] = extra_field(extra)
        for name in NARRATIVE_FIELDS:
            self.fields[f"narrative_{name}"] = _text(NARRATIVE_LABELS[name], 2000, rows=2)
        self.fields["report"] = _text(_("Investigation report"), 5000, rows=5)

    def selected_item(self) -> ListItem | None:
        code = self.data.get("industry_item") if self.is_bound else self.initial.get("industry_item")
        found = self.rules.item(str(code)) if code else None
        return found[1] if found is not None else None

    def extra_facts(self) -> list[ExtraFact]:
        item = self.selected_item()
        return list(item.extra) if item is not None else []

    @property
    def fact_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in FACT_NAMES]

    @property
    def extra_fields(self) -> list[forms.BoundField]:
        return [self[EXTRA_PREFIX + f.name] for f in self.extra_facts()]

    @property
    def narrative_fields(self) -> list[forms.BoundField]:
        return [self[f"narrative_{name}"] for name in NARRATIVE_FIELDS]

    def document(self) -> dict[str, Any]:
        """The case document as :mod:`dandang.tolerance.facts` reads it (typed; the service checks
        it against the rulebook)."""
        data = self.cleaned_data
        facts: dict[str, Any] = {}
        for name in FACT_NAMES:
            value = data[name]
            facts[name] = value == "true" if name in BOOLEAN_FACTS else value
        extra: dict[str, Any] = {}
        for fact in self.extra_facts():
            raw = data.get(EXTRA_PREFIX + fact.name)
            if fact.type == "boolean":
                extra[fact.name] = raw == "true"
            elif fact.type == "integer":
                try:
                    extra[fact.name] = int(str(raw).strip())
                except ValueError:
                    extra[fact.name] = str(raw)  # refused with a message by the service
            else:
                extra[fact.name] = str(raw).strip()
        facts["extra"] = extra
        document: dict[str, Any] = {
            "facts": facts,
            "narrative": {name: data[f"narrative_{name}"] for name in NARRATIVE_FIELDS},
        }
        if data.get("industry_item"):
            document["industry_item"] = data["industry_item"]
        return document

    def field_for(self, path: str) -> str | None:
        """The form field of a service error's path (``facts.personal_gain``, ``narrative.x``)."""
        parts = path.split(".")
        if parts[:2] == ["facts", "extra"] and len(parts) > 2:
            name = EXTRA_PREFIX + parts[2]
        elif parts[0] == "facts" and len(parts) > 1:
            name = parts[1]
        elif parts[0] == "narrative" and len(parts) > 1:
            name = f"narrative_{parts[1]}"
        else:
            name = parts[0]
        return name if name in self.fields else None
