"""The holiday table page: which years the working-day calendar knows and where each year's dates
come from, and — for the staff who keep it — a form to add next year's dates from the State
Council's notice.  Thin: reads from the calendar, writes through ``holiday_table_publish``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from dandang.core.calendar import calendar_years, date_list_parse
from dandang.core.errors import PermissionDenied, ValidationFailed
from dandang.org.calendar_admin import holiday_table_may_publish, holiday_table_publish, holiday_years_missing

DATES_HELP = _("Dates as YYYY-MM-DD and inclusive ranges as 2027-02-06..2027-02-12, separated by commas or new lines.")


class DateListField(forms.CharField):
    """A list of dates and ranges; every unreadable item is reported."""

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        dates, errors = date_list_parse(text or "")
        if errors:
            raise forms.ValidationError(errors)
        return dates


class HolidayYearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2199)
    holidays = DateListField(
        label=_("Public holidays"),
        help_text=DATES_HELP,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "2027-01-01, 2027-02-06..2027-02-12"}),
    )
    workdays = DateListField(
        label=_("Adjusted working days"),
        required=False,
        help_text=_("Saturdays and Sundays that are working days, in the same format as the holidays."),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "2027-02-14"}),
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=300,
        help_text=_("The State Council notice the dates come from, with its number and date."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def holidays(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    may_publish = holiday_table_may_publish(viewer)
    missing = holiday_years_missing(timezone.localdate())
    status = 200
    if request.method == "POST":
        if not may_publish:
            raise PermissionDenied(
                _("Only organization-department staff of a top-level organization may publish the holiday table.")
            )
        form = HolidayYearForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                row = holiday_table_publish(
                    actor=viewer,  # type: ignore[arg-type]
                    year=data["year"],
                    holidays=data["holidays"],
                    workdays=data["workdays"] or [],
                    source=data["source"],
                )
            except ValidationFailed as exc:
                for field, problems in (exc.detail or {}).items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
                if not exc.detail:
                    form.add_error(None, str(exc.message))
            else:
                messages.success(
                    request,
                    gettext("The holiday table for %(year)s was published as %(ref)s.")
                    % {"year": data["year"], "ref": row.ref},
                )
                return redirect("org:holidays")
        status = 422
    else:
        form = HolidayYearForm(initial={"year": missing[-1] if missing else timezone.localdate().year + 1})
    context = {
        "years": list(reversed(calendar_years())),
        "missing": missing,
        "may_publish": may_publish,
        "form": form if may_publish else None,
    }
    return render(request, "org/holidays.html", context, status=status)
