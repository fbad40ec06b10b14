"""The archive import page and its template downloads.  Thin: the checks and the writes are in
:mod:`dandang.archive.importing`, shared with the API and ``manage.py import_archive``.  Only
users who may import archive entries somewhere see these pages; to everyone else they do not
exist (404)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from dandang.archive import importing
from dandang.core.errors import NotFound, ValidationFailed
from dandang.core.notifications import notification_send, register_message
from dandang.org.roles import Cap
from dandang.org.selectors import has_any_capability

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COUNT_LABELS = {"entries": _("Entries"), "metrics": _("Outcome metrics"), "tasks": _("Tasks created")}

register_message("archive_import_done", _("Archive import finished: %(rows)s entries written as drafts."))
register_message("archive_import_failed", _("Archive import refused: %(errors)s problems; nothing was changed."))


class ArchiveImportForm(forms.Form):
    file = forms.FileField(
        label=_("File of archive entries"),
        help_text=_("An .xlsx workbook or a .csv file made from the template, one entry per row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


def _require_importer(request: HttpRequest) -> None:
    if not has_any_capability(request.user, Cap.ARCHIVE_IMPORT):
        raise NotFound(_("Page not found."))


@login_required
@require_http_methods(["GET", "POST"])
def archive_import(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    actor: Any = request.user
    result: importing.ImportResult | None = None
    status = 200
    if request.method == "POST":
        form = ArchiveImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = importing.archive_import(actor=actor, filename=upload.name or "", data=upload.read())
            except ValidationFailed as exc:
                form.add_error("file", str(exc.message))
                status = 422
            if result is not None and result.ok:
                notification_send(
                    user=actor,
                    kind="notice",
                    message="archive_import_done",
                    params={"rows": result.counts.get("entries", 0)},
                )
            else:
                problems = len(result.errors) if result is not None else 1
                notification_send(
                    user=actor, kind="notice", message="archive_import_failed", params={"errors": problems}
                )
                status = 422
        else:
            status = 422
    else:
        form = ArchiveImportForm()
    errors = [
        {"sheet": e.sheet, "row": e.row, "column": importing.column_header(e.column), "reason": e.reason}
        for e in (result.errors if result is not None else [])
    ]
    counts = (
        [(COUNT_LABELS[k], result.counts.get(k, 0)) for k in importing.COUNT_KINDS]
        if result is not None and result.ok
        else []
    )
    context = {"form": form, "result": result, "errors": errors, "counts": counts}
    if request.headers.get("HX-Request"):
        # htmx swaps the result and the form in place; it swaps 2xx answers only.
        return render(request, "archive/_import_result.html", context)
    return render(request, "archive/archive_import.html", context, status=status)


@login_required
@require_GET
def archive_template_xlsx(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    response = HttpResponse(importing.archive_template_xlsx(actor=request.user), content_type=XLSX)  # type: ignore[arg-type]
    response["Content-Disposition"] = 'attachment; filename="archive-template.xlsx"'
    return response


@login_required
@require_GET
def archive_template_csv(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    response = HttpResponse(importing.archive_template_csv(actor=request.user), content_type="text/csv")  # type: ignore[arg-type]
    response["Content-Disposition"] = 'attachment; filename="archive-template.csv"'
    return response
