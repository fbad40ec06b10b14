"""The roster import page and the template downloads.  Thin: the checks and the writes are in
:mod:`dandang.org.importing`, shared with the API and ``manage.py import_roster``.  Only users who
may import a roster somewhere see these pages; to everyone else they do not exist (404)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from dandang.core.errors import NotFound, ValidationFailed
from dandang.core.notifications import notification_send
from dandang.org import importing
from dandang.org.roles import Cap
from dandang.org.selectors import has_any_capability

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KIND_LABELS = {
    "organizations": _("Organizations"),
    "posts": _("Posts"),
    "cadres": _("Cadres"),
    "tenures": _("Tenures"),
}


class RosterImportForm(forms.Form):
    file = forms.FileField(
        label=_("Roster file"),
        help_text=_("An .xlsx workbook made from the template, or a .csv file with one kind of rows."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    sheet = forms.ChoiceField(
        label=_("Kind of rows"),
        required=False,
        help_text=_("For a .csv file; when empty it is recognized from the header row."),
        choices=[("", _("Recognize from the header row")), *KIND_LABELS.items()],
    )


def _require_importer(request: HttpRequest) -> None:
    if not has_any_capability(request.user, Cap.ROSTER_IMPORT):
        raise NotFound(_("Page not found."))


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    actor: Any = request.user
    result: importing.ImportResult | None = None
    status = 200
    if request.method == "POST":
        form = RosterImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = importing.roster_import(
                    actor=actor,
                    filename=upload.name or "",
                    data=upload.read(),
                    sheet=form.cleaned_data["sheet"] or None,
                )
            except ValidationFailed as exc:
                form.add_error("file", str(exc.message))
                notification_send(user=actor, kind="notice", message="roster_import_failed", params={"errors": 1})
                status = 422
            else:
                if result.ok:
                    notification_send(
                        user=actor, kind="notice", message="roster_import_done", params={"rows": result.total}
                    )
                else:
                    notification_send(
                        user=actor,
                        kind="notice",
                        message="roster_import_failed",
                        params={"errors": len(result.errors)},
                    )
                    status = 422
        else:
            status = 422
    else:
        form = RosterImportForm()
    errors = [
        {"sheet": e.sheet, "row": e.row, "column": importing.column_header(e.kind, e.column), "reason": e.reason}
        for e in (result.errors if result is not None else [])
    ]
    counts = (
        [(KIND_LABELS[k], result.counts.get(k, 0)) for k in importing.KINDS] if result is not None and result.ok else []
    )
    context = {
        "form": form,
        "result": result,
        "errors": errors,
        "counts": counts,
        "csv_kinds": list(KIND_LABELS.items()),
    }
    return render(request, "org/roster_import.html", context, status=status)


@login_required
@require_GET
def roster_template(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    parent = importing.template_parent(request.user)  # type: ignore[arg-type]
    response = HttpResponse(importing.roster_template_xlsx(parent=parent), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="roster-template.xlsx"'
    return response


@login_required
@require_GET
def roster_template_csv(request: HttpRequest, kind: str) -> HttpResponse:
    _require_importer(request)
    if kind not in importing.KINDS:
        raise NotFound(_("Page not found."))
    parent = importing.template_parent(request.user)  # type: ignore[arg-type]
    response = HttpResponse(importing.roster_template_csv(kind, parent=parent), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="roster-{kind}.csv"'
    return response
