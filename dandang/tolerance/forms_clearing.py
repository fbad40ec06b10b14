"""Forms of the name-clearing pages: they parse what a person typed; the rules (a qualifying
finding, at least one trigger, no exclusion, who may decide) are checked by the services, whose
errors the views put beside the fields they concern."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dandang.core.widgets import InlineSelect
from dandang.tolerance.models_clearing import (
    ClearingStatus,
    Exclusion,
    Finding,
    PublicationScope,
    RefusalGround,
    Trigger,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class VersionField(forms.IntegerField):
    """The version of the case the person read: a stale one is refused by the service."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=2_000_000_000, widget=forms.HiddenInput, **kwargs)


class OpenForm(forms.Form):
    allegation = forms.CharField(
        label=_("Allegation"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The one specific allegation to clear; a report with several allegations needs one case each."),
    )
    report_reference = forms.CharField(label=_("Report reference"), max_length=100)
    report_received_on = forms.DateField(label=_("Report received"), required=False, widget=DateInput())
    # Not required here: the service answers an empty choice with the rule.
    triggers = forms.MultipleChoiceField(
        label=_("Triggers"),
        choices=Trigger.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("At least one: why the cadre's name needs clearing."),
    )
    trigger_note = forms.CharField(
        label=_("How the report affected the cadre"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    exclusions = forms.MultipleChoiceField(
        label=_("Exclusions"),
        choices=Exclusion.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Any one of them means name clearing does not apply."),
    )


class VerifyForm(forms.Form):
    version = VersionField()
    finding = forms.ChoiceField(
        label=_("Finding"),
        choices=[("", "—"), *Finding.choices],
        required=False,
        help_text=_("Only a report found seriously untrue, untrue, fabricated or false qualifies."),
    )
    summary = forms.CharField(
        label=_("Verification summary"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    verified_on = forms.DateField(label=_("Verification concluded"), required=False, widget=DateInput())
    exclusions = forms.MultipleChoiceField(
        label=_("Exclusions"), choices=Exclusion.choices, required=False, widget=forms.CheckboxSelectMultiple
    )


class ClearForm(forms.Form):
    version = VersionField()
    publication_scope = forms.ChoiceField(
        label=_("Publication scope"), choices=[("", "—"), *PublicationScope.choices], required=False
    )
    published_on = forms.DateField(label=_("Published on"), required=False, widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RefuseForm(forms.Form):
    version = VersionField()
    grounds = forms.MultipleChoiceField(
        label=_("Grounds"), choices=RefusalGround.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("Why"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any")), *ClearingStatus.choices], required=False, widget=InlineSelect
    )

    def filters(self) -> dict[str, str]:
        if not self.is_bound or not self.is_valid():
            return {"q": "", "status": ""}
        return {"q": self.cleaned_data["q"].strip(), "status": self.cleaned_data["status"]}
