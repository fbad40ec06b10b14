"""The entry form: record an entry (a draft), amend a draft or a returned entry, its outcome
metrics (rows added and removed with htmx), its evidence files, and a task created on the spot.

Thin: the checks and the writes are the services'.  Invalid input is shown beside its field
(422) and nothing is saved; htmx requests get the fragment they replace, other requests the page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.middleware import HtmxDetails

from dandang.archive import services
from dandang.archive.display import kind_choices, kind_labels
from dandang.archive.forms import (
    EntryForm,
    EvidenceForm,
    MetricRow,
    TaskForm,
    VersionForm,
    add_service_errors,
    attach_metric_errors,
    metric_rows_from_entry,
    metric_rows_from_post,
)
from dandang.archive.models import ArchiveEntry, Status
from dandang.archive.selectors import entry_detail, evidence_get, tasks_for_cadre
from dandang.archive.views import recordable_polarities
from dandang.core.errors import Conflict, PermissionDenied, ValidationFailed
from dandang.org.models import Cadre
from dandang.org.selectors import cadre_get

ENTRY_FIELDS = ("category", "occurred_on", "title", "description", "polarity", "task", "share_percent", "difficulty")


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _require_author(viewer: Any, entry: ArchiveEntry) -> None:
    if entry.author_id != viewer.pk:
        raise PermissionDenied(_("Only the person who recorded this entry can change it."))


def _entry_form(viewer: Any, cadre: Cadre, data: Any = None, **kwargs: Any) -> EntryForm:
    return EntryForm(
        data, tasks=tasks_for_cadre(viewer, cadre), polarities=recordable_polarities(viewer, cadre), **kwargs
    )


def _form_context(
    request: HttpRequest,
    *,
    cadre: Cadre,
    form: EntryForm,
    rows: list[MetricRow],
    metric_errors: list[str],
    entry: ArchiveEntry | None = None,
    evidence_form: EvidenceForm | None = None,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "cadre": cadre,
        "form": form,
        "rows": rows or [MetricRow()],
        "metric_errors": metric_errors,
        "entry": entry,
        "task_form": TaskForm(initial={"task_year": timezone.localdate().year}),
    }
    if entry is not None:
        context.update(_evidence_context(entry, evidence_form))
    return context


def _evidence_context(entry: ArchiveEntry, form: EvidenceForm | None = None) -> dict[str, Any]:
    _book, rules = services.archive_rules(entry.cadre.org)
    return {
        "entry": entry,
        "evidence": list(entry.evidence.all()),
        "kind_labels": kind_labels(rules),
        "evidence_form": form or EvidenceForm(initial={"version": entry.version}, kinds=kind_choices(rules)),
        "version_form": VersionForm(initial={"version": entry.version}),
    }


def _save(request: HttpRequest, form: EntryForm, rows: list[MetricRow], save: Any) -> tuple[Any, list[str]]:
    """Call ``save(fields, metrics)`` if the form and the rows read well; else the problems go
    beside their fields and nothing is written."""
    _parsed, problems = services.parse_metrics([r.as_dict() for r in rows])
    if not form.is_valid() or problems:
        return None, attach_metric_errors(rows, problems)
    fields = {name: form.cleaned_data[name] for name in ENTRY_FIELDS}
    try:
        return save(fields, [r.as_dict() for r in rows]), []
    except ValidationFailed as exc:
        add_service_errors(form, exc)
        return None, attach_metric_errors(rows, exc.detail)


@login_required
@require_http_methods(["GET", "POST"])
def entry_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a draft entry for the cadre ``pk`` (the cadre themself, their unit leader, the
    organization department; negative entries also discipline inspection)."""
    viewer: Any = request.user
    cadre = cadre_get(viewer, pk)
    if not recordable_polarities(viewer, cadre):
        raise PermissionDenied(_("Your role does not allow recording archive entries for this cadre."))
    if request.method != "POST":
        form = _entry_form(viewer, cadre)
        context = _form_context(request, cadre=cadre, form=form, rows=[MetricRow()], metric_errors=[])
        return render(request, "archive/entry_form.html", context)
    form = _entry_form(viewer, cadre, request.POST)
    rows = metric_rows_from_post(request.POST)

    def save(fields: dict[str, Any], metrics: list[dict[str, str]]) -> ArchiveEntry:
        return services.archive_entry_create(actor=viewer, cadre=cadre, metrics=metrics, **fields)

    entry, metric_errors = _save(request, form, rows, save)
    if entry is not None:
        messages.success(
            request, gettext("The draft was saved. Attach the evidence, then submit the entry for verification.")
        )
        return redirect("archive:entry_edit", pk=entry.pk)
    context = _form_context(request, cadre=cadre, form=form, rows=rows, metric_errors=metric_errors)
    return render(request, "archive/entry_form.html", context, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Amend a draft or a returned entry (its author), and attach or remove its evidence."""
    viewer: Any = request.user
    entry = entry_detail(viewer, pk)
    _require_author(viewer, entry)
    if entry.status not in (Status.DRAFT, Status.RETURNED):
        raise Conflict(
            _("This is not possible while the entry is %(status)s.") % {"status": Status(entry.status).label}
        )
    if request.method != "POST":
        initial = {name: getattr(entry, name) for name in ENTRY_FIELDS if name != "task"}
        form = _entry_form(viewer, entry.cadre, initial={**initial, "task": entry.task_id, "version": entry.version})
        rows = metric_rows_from_entry(entry.metric_list)  # type: ignore[attr-defined]
        context = _form_context(request, cadre=entry.cadre, form=form, rows=rows, metric_errors=[], entry=entry)
        return render(request, "archive/entry_form.html", context)
    form = _entry_form(viewer, entry.cadre, request.POST)
    form.fields["version"].required = True
    rows = metric_rows_from_post(request.POST)
    status = 422

    def save(fields: dict[str, Any], metrics: list[dict[str, str]]) -> ArchiveEntry:
        return services.archive_entry_update(
            actor=viewer, entry=entry, version=form.cleaned_data["version"], metrics=metrics, **fields
        )

    try:
        saved, metric_errors = _save(request, form, rows, save)
    except Conflict as exc:
        form.add_error(None, str(exc.message))
        saved, metric_errors, status = None, [], exc.status
    if saved is not None:
        messages.success(request, gettext("The entry was saved."))
        return redirect("archive:entry_detail", pk=entry.pk)
    context = _form_context(request, cadre=entry.cadre, form=form, rows=rows, metric_errors=metric_errors, entry=entry)
    return render(request, "archive/entry_form.html", context, status=status)


@login_required
@require_safe
def metric_row(request: HttpRequest) -> HttpResponse:
    """A blank row of the metrics table (htmx "add a row")."""
    return render(request, "archive/_metric_row.html", {"row": MetricRow()})


# --- evidence ----------------------------------------------------------------------------------


def _evidence_answer(
    request: HtmxHttpRequest, entry_pk: int, *, form: EvidenceForm | None = None, error: str = "", status: int = 200
) -> HttpResponse:
    """htmx: the evidence section again (and the entry's new version for the other forms of the
    page); otherwise back to the form page."""
    entry = entry_detail(request.user, entry_pk)
    if not request.htmx:
        if status >= 400:
            rows = metric_rows_from_entry(entry.metric_list)  # type: ignore[attr-defined]
            initial = {name: getattr(entry, name) for name in ENTRY_FIELDS if name != "task"}
            entry_form = _entry_form(
                request.user, entry.cadre, initial={**initial, "task": entry.task_id, "version": entry.version}
            )
            context = _form_context(
                request,
                cadre=entry.cadre,
                form=entry_form,
                rows=rows,
                metric_errors=[],
                entry=entry,
                evidence_form=form,
            )
            context["evidence_error"] = error
            return render(request, "archive/entry_form.html", context, status=status)
        return redirect("archive:entry_edit", pk=entry.pk)
    context = {**_evidence_context(entry, form), "evidence_error": error, "oob": True}
    return render(request, "archive/_evidence.html", context, status=status)


@login_required
@require_POST
def evidence_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    viewer: Any = request.user
    entry = entry_detail(viewer, pk)
    _require_author(viewer, entry)
    _book, rules = services.archive_rules(entry.cadre.org)
    form = EvidenceForm(request.POST, request.FILES, kinds=kind_choices(rules))
    if not form.is_valid():
        return _evidence_answer(request, entry.pk, form=form, status=422)
    data = form.cleaned_data
    try:
        services.archive_evidence_add(
            actor=viewer,
            entry=entry,
            upload=data["file"],
            kind=data["kind"],
            source=data["source"],
            dated=data["dated"],
            version=data["version"],
        )
    except ValidationFailed as exc:
        add_service_errors(form, exc)
        return _evidence_answer(request, entry.pk, form=form, status=exc.status)
    except Conflict as exc:
        return _evidence_answer(request, entry.pk, form=form, error=str(exc.message), status=exc.status)
    if not request.htmx:
        messages.success(request, gettext("The file was attached."))
    return _evidence_answer(request, entry.pk)


@login_required
@require_POST
def evidence_remove(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    viewer: Any = request.user
    item = evidence_get(viewer, pk)
    _require_author(viewer, item.entry)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _evidence_answer(request, item.entry_id, error=gettext("Reload the page and try again."), status=422)
    try:
        services.archive_evidence_remove(actor=viewer, evidence=item, version=form.cleaned_data["version"])
    except Conflict as exc:
        return _evidence_answer(request, item.entry_id, error=str(exc.message), status=exc.status)
    if not request.htmx:
        messages.success(request, gettext("The file was removed from the entry."))
    return _evidence_answer(request, item.entry_id)


# --- a task created from the form --------------------------------------------------------------


@login_required
@require_POST
def task_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Create a task or project in the cadre's organization and answer the form's task field with
    it chosen (htmx)."""
    viewer: Any = request.user
    cadre = cadre_get(viewer, pk)
    task_form = TaskForm(request.POST)
    chosen = request.POST.get("task") or None
    status = 200
    if task_form.is_valid():
        try:
            task = services.archive_task_create(
                actor=viewer,
                organization=cadre.org,
                name=task_form.cleaned_data["task_name"],
                year=task_form.cleaned_data["task_year"],
            )
        except ValidationFailed as exc:
            add_service_errors(task_form, exc, aliases={"name": "task_name", "year": "task_year"})
            status = exc.status
        except Conflict as exc:
            task_form.add_error("task_name", str(exc.message))
            status = exc.status
        else:
            chosen = str(task.pk)
            task_form = TaskForm(initial={"task_year": task.year})
    else:
        status = 422
    form = _entry_form(viewer, cadre, initial={"task": chosen})
    return render(
        request, "archive/_task_field.html", {"form": form, "task_form": task_form, "cadre": cadre}, status=status
    )
