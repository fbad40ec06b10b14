"""Forms of the archive's pages: they parse what a person typed; the rules are checked by the
services (:mod:`dandang.archive.services`), whose errors :func:`add_service_errors` puts beside
the fields they concern."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from itertools import zip_longest
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dandang.archive.display import flag_choices
from dandang.archive.models import ArchiveTask, Category, Difficulty, Method, Polarity, Status
from dandang.archive.rules import ArchiveRules
from dandang.archive.services import REVIEW_DIMENSIONS
from dandang.core.errors import ValidationFailed
from dandang.core.widgets import InlineSelect

ANY = ("", _("Any"))
METRIC_FIELDS = ("indicator", "unit", "baseline", "target", "actual")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class VersionField(forms.IntegerField):
    """The version of the entry the person read: a stale one is refused by the service."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=2_000_000_000, widget=forms.HiddenInput, **kwargs)


# --- the entry ---------------------------------------------------------------------------------


class EntryForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    occurred_on = forms.DateField(label=_("Date"), widget=DateInput())
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What was done and what changed because of it — results, not activities."),
    )
    polarity = forms.ChoiceField(label=_("Positive or negative"), choices=Polarity.choices, initial=Polarity.POSITIVE)
    task = forms.ModelChoiceField(
        label=_("Task or project"),
        queryset=ArchiveTask.objects.none(),
        required=False,
        empty_label=_("— none —"),
        help_text=_("When several cadres share one task, each claims a share of it."),
    )
    share_percent = forms.DecimalField(
        label=_("Contribution share (%)"),
        required=False,
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal(100),
        help_text=_("Your part of the task in percent; empty: the whole of it."),
    )
    difficulty = forms.ChoiceField(label=_("Difficulty"), choices=Difficulty.choices, initial=Difficulty.ORDINARY)
    version = VersionField(required=False)

    def __init__(self, *args: Any, tasks: Any, polarities: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["task"].queryset = tasks  # type: ignore[attr-defined]
        # Only the polarities the person may record are offered; another one sent anyway is refused
        # by the service (403), not silently changed.
        self.fields["polarity"].widget.choices = [c for c in Polarity.choices if c[0] in polarities]  # type: ignore[attr-defined]
        if polarities and Polarity.POSITIVE not in polarities:
            self.fields["polarity"].initial = polarities[0]


class TaskForm(forms.Form):
    task_name = forms.CharField(label=_("New task or project"), max_length=200)
    task_year = forms.IntegerField(label=_("Year"), min_value=1950, max_value=2100)


@dataclass
class MetricRow:
    """One row of the outcome metrics table as typed, with the problems the service found in it."""

    indicator: str = ""
    unit: str = ""
    baseline: str = ""
    target: str = ""
    actual: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in METRIC_FIELDS}

    def is_blank(self) -> bool:
        return not any(str(getattr(self, name)).strip() for name in METRIC_FIELDS)


def metric_rows_from_post(data: Any) -> list[MetricRow]:
    """The rows of the metrics table (``metric_<field>`` repeated once per row); empty rows are
    left out — clearing a row removes it."""
    columns = [data.getlist(f"metric_{name}") for name in METRIC_FIELDS]
    rows = [
        MetricRow(indicator=i.strip(), unit=u.strip(), baseline=b.strip(), target=t.strip(), actual=a.strip())
        for i, u, b, t, a in zip_longest(*columns, fillvalue="")
    ]
    return [row for row in rows if not row.is_blank()]


def metric_rows_from_entry(metrics: list[Any]) -> list[MetricRow]:
    def text(value: Any) -> str:
        return "" if value is None else format(value.normalize(), "f")

    return [
        MetricRow(
            indicator=m.indicator, unit=m.unit, baseline=text(m.baseline), target=text(m.target), actual=text(m.actual)
        )
        for m in metrics
    ]


# --- evidence ----------------------------------------------------------------------------------


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File"))
    kind = forms.ChoiceField(label=_("Kind of evidence"))
    source = forms.CharField(label=_("Source"), max_length=200, required=False)
    dated = forms.DateField(label=_("Date of the evidence"), required=False, widget=DateInput())
    version = VersionField()

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "evidence_%s")  # beside the entry form on one page
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("— choose —")), *kinds]  # type: ignore[attr-defined]
        self.fields["dated"].widget.attrs["max"] = timezone.localdate().isoformat()


# --- workflow ----------------------------------------------------------------------------------


class VersionForm(forms.Form):
    version = VersionField()


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    version = VersionField()


SCORE_LABELS = {
    "completion": _("Completion"),
    "authenticity": _("Authenticity"),
    "difficulty": _("Difficulty"),
    "contribution": _("Contribution"),
}


class VerifyForm(forms.Form):
    method = forms.ChoiceField(label=_("Verification method"), choices=[("", _("— choose —")), *Method.choices])
    difficulty = forms.ChoiceField(label=_("Difficulty of the work"), choices=Difficulty.choices)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = VersionField()

    def __init__(self, *args: Any, rules: ArchiveRules, evidence: list[Any], kinds: list[tuple[str, str]], **kw: Any):
        super().__init__(*args, **kw)
        for name in REVIEW_DIMENSIONS:
            self.fields[f"score_{name}"] = forms.IntegerField(
                label=SCORE_LABELS[name], min_value=rules.review_score_min, max_value=rules.review_score_max
            )
        self.evidence = evidence
        for item in evidence:
            self.fields[f"kind_{item.pk}"] = forms.ChoiceField(
                label=item.filename, choices=kinds, initial=item.effective_kind
            )

    def score_fields(self) -> list[forms.BoundField]:
        return [self[f"score_{name}"] for name in REVIEW_DIMENSIONS]

    def kind_fields(self) -> list[tuple[Any, forms.BoundField]]:
        return [(item, self[f"kind_{item.pk}"]) for item in self.evidence]

    def scores(self) -> dict[str, int]:
        return {name: self.cleaned_data[f"score_{name}"] for name in REVIEW_DIMENSIONS}

    def evidence_kinds(self) -> dict[int, str]:
        return {item.pk: self.cleaned_data[f"kind_{item.pk}"] for item in self.evidence}


# --- filters -----------------------------------------------------------------------------------


class EntryFilterForm(forms.Form):
    """The filters of the entry tables; ``flag`` only for those who may see flags."""

    q = forms.CharField(
        label=_("Cadre"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, pinyin or initials"), "autocomplete": "off"}
        ),
    )
    org = forms.IntegerField(label=_("Organization"), required=False, min_value=1, widget=InlineSelect)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1950, max_value=2100)
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[ANY, *[(q, f"Q{q}") for q in (1, 2, 3, 4)]],
        widget=InlineSelect,
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[ANY, *Category.choices], widget=InlineSelect
    )
    polarity = forms.ChoiceField(
        label=_("Positive or negative"), required=False, choices=[ANY, *Polarity.choices], widget=InlineSelect
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[ANY, *Status.choices], widget=InlineSelect)
    flag = forms.ChoiceField(label=_("Guard flag"), required=False, widget=InlineSelect)
    cadre = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, fields: tuple[str, ...], may_see_flags: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if may_see_flags:
            self.fields["flag"].choices = [ANY, *flag_choices()]  # type: ignore[attr-defined]
        keep = set(fields) | ({"flag"} if may_see_flags else set())
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]

    def set_organizations(self, organizations: list[Any]) -> None:
        if "org" not in self.fields:
            return
        top = min((o.depth for o in organizations), default=0)
        choices: list[tuple[Any, Any]] = [("", _("All organizations"))]
        choices += [(o.pk, "\u3000" * (o.depth - top) + o.name) for o in organizations]
        self.fields["org"].widget.choices = choices  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """The valid filters (an invalid one is shown beside its field and ignored)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v not in (None, "")}


# --- errors of the services ----------------------------------------------------------------------


def add_service_errors(form: forms.Form, exc: ValidationFailed, aliases: dict[str, str] | None = None) -> None:
    """The service's ``{field: [messages]}`` beside the form's fields; anything else above them."""
    aliases = aliases or {}
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    for key, messages in detail.items():
        if str(key).startswith("metrics."):
            continue  # shown in the metrics table
        name = aliases.get(str(key), str(key))
        for message in messages if isinstance(messages, list | tuple) else [messages]:
            form.add_error(name if name in form.fields else None, str(message))
    if not detail:
        form.add_error(None, str(exc.message))


def attach_metric_errors(rows: list[MetricRow], detail: Any) -> list[str]:
    """Put ``metrics.N.field`` problems on their rows; return those about the table as a whole."""
    general: list[str] = []
    if not isinstance(detail, dict):
        return general
    for key, messages in detail.items():
        parts = str(key).split(".")
        if parts[0] != "metrics":
            continue
        items = [str(m) for m in (messages if isinstance(messages, list | tuple) else [messages])]
        if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(rows):
            rows[int(parts[1])].errors.setdefault(parts[2] if len(parts) > 2 else "indicator", []).extend(items)
        else:
            general.extend(items)
    return general
