"""Pages of tolerance cases: the case list (overdue steps highlighted), the cadre's application,
a case with the steps the viewer may take, the investigation form, a cadre's tolerance record and
the exemption notice.

Thin interfaces: parse the request, read through the viewer-scoped selectors, write through the
services.  Outside the viewer's jurisdiction a selector raises NotFound (404); a role that may see
but not act gets the service's PermissionDenied (403); a stale version or a step the case's state
does not allow is shown on the case's page with status 409, invalid input beside its field (422).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.middleware import HtmxDetails

from dandang.core.audit import access_log_record
from dandang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from dandang.org.roles import Cap
from dandang.org.selectors import cadre_get, cadre_search, has_any_capability
from dandang.tolerance import selectors, services
from dandang.tolerance.explain import label_language
from dandang.tolerance.facts import NARRATIVE_FIELDS
from dandang.tolerance.forms import (
    NARRATIVE_LABELS,
    ApplyForm,
    CaseFilterForm,
    CloseForm,
    CorrectionForm,
    DetermineForm,
    DoneForm,
    ExtendForm,
    NoteForm,
    ProposeForm,
    VisitForm,
)
from dandang.tolerance.models import CaseStatus, ToleranceCase
from dandang.tolerance.notice import exemption_notice_pdf, has_notice

PAGE_SIZE = 50


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _overdue(case: ToleranceCase) -> bool:
    return case.is_open and case.due_date is not None and case.due_date < services.today()


# --- lists -----------------------------------------------------------------------------------


@never_cache
@login_required
@require_safe
def case_list(request: HtmxHttpRequest) -> HttpResponse:
    """The cases of the viewer's jurisdiction (a cadre: their own), overdue steps highlighted."""
    viewer: Any = request.user
    if not has_any_capability(viewer, Cap.TOLERANCE_VIEW) and not getattr(viewer, "cadre_id", None):
        raise NotFound(_("Page not found."))
    form = CaseFilterForm(request.GET or None)
    filters = form.filters()
    qs = selectors.case_list(
        viewer,
        status=filters.get("status", ""),
        origin=filters.get("origin", ""),
        outcome=filters.get("outcome", ""),
        overdue_on=services.today() if filters.get("overdue") else None,
    )
    if filters.get("q"):
        qs = qs.filter(cadre__in=cadre_search(viewer, q=filters["q"]).values("pk"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "rows": [(c, _overdue(c)) for c in page.object_list],
        "filtered": bool(filters),
        "action": request.path,
        "may_apply": bool(getattr(viewer, "cadre_id", None)),
    }
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    response = render(request, "tolerance/_case_results.html" if partial else "tolerance/case_list.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@never_cache
@login_required
@require_safe
def cadre_cases(request: HttpRequest, pk: int) -> HttpResponse:
    """A cadre's tolerance record (shown from the cadre's page): every case, its determination,
    and the exemptions that shield the cadre, year by year."""
    viewer: Any = request.user
    cadre = cadre_get(viewer, pk)
    cases = list(selectors.case_list(viewer, cadre=cadre))
    if not cases and not (
        has_any_capability(viewer, Cap.TOLERANCE_VIEW) or getattr(viewer, "cadre_id", None) == cadre.pk
    ):
        raise NotFound(_("Page not found."))
    context = {
        "cadre": cadre,
        "rows": [(c, _overdue(c)) for c in cases],
        "shields": selectors.exemptions_for(viewer, cadre),
    }
    response = render(request, "tolerance/cadre_cases.html", context)
    access_log_record(viewer=viewer, object_type="cadre", object_id=cadre.pk, what="tolerance")
    return response


# --- the application ---------------------------------------------------------------------------


def _apply_errors(form: forms.Form, exc: ValidationFailed) -> None:
    for key, problems in (exc.detail or {}).items() if isinstance(exc.detail, dict) else []:
        for problem in problems:
            form.add_error(key if key in form.fields else None, str(problem))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    """A cadre applies for error tolerance for themself."""
    viewer: Any = request.user
    if not getattr(viewer, "cadre_id", None):
        raise NotFound(_("Your account is not linked to a cadre record."))
    cadre = cadre_get(viewer, viewer.cadre_id)
    form = ApplyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case = services.tolerance_case_apply(actor=viewer, cadre=cadre, **form.cleaned_data)
            except ValidationFailed as exc:
                _apply_errors(form, exc)
                status = 422
            except Conflict as exc:
                form.add_error(None, str(exc.message))
                status = 409
            else:
                messages.success(
                    request, _("Your application was registered; acceptance is decided within the time limit.")
                )
                return redirect("tolerance:case_detail", pk=case.pk)
        else:
            status = 422
    return render(request, "tolerance/apply.html", {"form": form, "cadre": cadre}, status=status)


# --- one case --------------------------------------------------------------------------------


def _detail_context(request: HttpRequest, case: ToleranceCase, **bound: Any) -> dict[str, Any]:
    viewer: Any = request.user
    machine = services.machine_for(case)
    actions = {t.action for t in machine.available(viewer, case)}
    initial = {"version": case.version}
    may_correct = case.status == CaseStatus.DETERMINED and services.may_handle(viewer, case)
    record = case.recommendation
    explanation = ""
    if record is not None and isinstance(record.explanation, dict):
        explanation = record.explanation.get(label_language()) or next(iter(record.explanation.values()), "")
    today = services.today()
    items = selectors.correction_items_of(case)
    return {
        "case": case,
        "overdue": _overdue(case),
        "actions": actions,
        "waiting_for": services.WAITING_FOR.get(case.status),
        "explanation": explanation,
        "narrative": [
            (NARRATIVE_LABELS[name], narrative.get(name, ""))
            for name in NARRATIVE_FIELDS
            if isinstance(narrative := (case.case_document or {}).get("narrative"), dict)
        ],
        "items": [(i, i.done_on is None and i.deadline < today) for i in items],
        "visits": selectors.follow_up_visits_of(case),
        "may_correct": may_correct,
        "may_visit": case.status in (CaseStatus.DETERMINED, CaseStatus.CLOSED) and services.may_handle(viewer, case),
        "has_notice": has_notice(case),
        "is_proposer": case.proposed_by_id is not None and case.proposed_by_id == viewer.pk,
        "accept_form": bound.get("accept") or NoteForm(initial=initial, prefix="accept"),
        "refuse_form": bound.get("refuse") or NoteForm(initial=initial, prefix="refuse", required=True),
        "extend_form": bound.get("extend") or ExtendForm(initial=initial, prefix="extend"),
        "determine_form": bound.get("determine")
        or DetermineForm(initial={**initial, "outcome": case.recommended_outcome}, prefix="determine"),
        "close_form": bound.get("close") or CloseForm(initial=initial, prefix="close"),
        "correction_form": bound.get("correction") or CorrectionForm(prefix="correction"),
        "done_form": DoneForm(initial={"done_on": today}, prefix="done"),
        "visit_form": bound.get("visit") or VisitForm(prefix="visit"),
        "error": bound.get("error"),
    }


@never_cache
@login_required
@require_safe
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(request.user, pk)
    return render(request, "tolerance/case_detail.html", _detail_context(request, case))


def _refused(request: HttpRequest, pk: int, exc: Conflict | ValidationFailed, **bound: Any) -> HttpResponse:
    case = selectors.case_get(request.user, pk)
    context = _detail_context(request, case, error=str(exc.message), **bound)
    return render(request, "tolerance/case_detail.html", context, status=exc.status)


def _step(
    request: HttpRequest,
    pk: int,
    form: forms.Form,
    do: Callable[[Any, ToleranceCase, dict[str, Any]], Any],
    done: Any,
    slot: str,
) -> HttpResponse:
    """One step: the case read through the viewer's scope, the form parsed, the service called."""
    case = selectors.case_get(request.user, pk)
    if not form.is_valid():
        problem = ValidationFailed(_("Some fields are not valid."), detail=form.errors.get_json_data())
        return _refused(request, pk, problem, **{slot: form})
    try:
        do(request.user, case, form.cleaned_data)
    except ValidationFailed as exc:
        _apply_errors(form, exc)
        return _refused(request, pk, exc, **{slot: form})
    except Conflict as exc:
        return _refused(request, pk, exc)
    messages.success(request, done)
    return redirect("tolerance:case_detail", pk=pk)


@login_required
@require_POST
def case_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        NoteForm(request.POST, prefix="accept"),
        lambda actor, case, data: services.tolerance_case_accept(
            actor=actor, case=case, version=data["version"], note=data["note"]
        ),
        _("The application was accepted and the applicant notified; the investigation has started."),
        "accept",
    )


@login_required
@require_POST
def case_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        NoteForm(request.POST, prefix="refuse", required=True),
        lambda actor, case, data: services.tolerance_case_refuse(
            actor=actor, case=case, version=data["version"], note=data["note"]
        ),
        _("The application was not accepted; the applicant was notified."),
        "refuse",
    )


@login_required
@require_POST
def case_extend(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        ExtendForm(request.POST, prefix="extend"),
        lambda actor, case, data: services.tolerance_case_extend(
            actor=actor, case=case, version=data["version"], reason=data["reason"]
        ),
        _("The investigation was extended."),
        "extend",
    )


@login_required
@require_POST
def case_determine(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        DetermineForm(request.POST, prefix="determine"),
        lambda actor, case, data: services.tolerance_case_determine(
            actor=actor,
            case=case,
            version=data["version"],
            outcome=data["outcome"],
            reason=data["reason"],
            note=data["note"],
        ),
        _("The case was determined; the cadre, the Party organization, discipline inspection and the organization "
          "department were notified."),
        "determine",
    )  # fmt: skip


@login_required
@require_POST
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        CloseForm(request.POST, prefix="close"),
        lambda actor, case, data: services.tolerance_case_close(
            actor=actor, case=case, version=data["version"], note=data["note"]
        ),
        _("The case was closed."),
        "close",
    )


@login_required
@require_POST
def correction_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        CorrectionForm(request.POST, prefix="correction"),
        lambda actor, case, data: services.correction_item_add(actor=actor, case=case, **data),
        _("The correction item was added to the plan."),
        "correction",
    )


@login_required
@require_POST
def correction_done(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.correction_item_get(request.user, pk)
    return _step(
        request,
        item.case_id,
        DoneForm(request.POST, prefix="done"),
        lambda actor, case, data: services.correction_item_done(
            actor=actor, item=item, done_on=data["done_on"], note=data["note"]
        ),
        _("The correction item was recorded as done."),
        "done",
    )


@login_required
@require_POST
def follow_up_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        VisitForm(request.POST, prefix="visit"),
        lambda actor, case, data: services.follow_up_visit_add(actor=actor, case=case, **data),
        _("The follow-up visit was recorded."),
        "visit",
    )


# --- the investigation's findings --------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_propose(request: HttpRequest, pk: int) -> HttpResponse:
    """The investigation form: the facts in the structure of the case facts, the industry item with
    its extra facts (fetched with htmx when the item changes), all five judging factors and the
    report; the kernel's recommendation is computed and stored when it is proposed."""
    viewer: Any = request.user
    case = selectors.case_get(viewer, pk)
    if not services.machine_for(case).may(viewer, case, "propose"):
        if case.status != CaseStatus.INVESTIGATING and services.may_handle(viewer, case):
            raise Conflict(
                _("This step is not possible while the case is %(status)s.") % {"status": case.get_status_display()}
            )
        raise PermissionDenied(_("Your role does not allow this step on this case."))
    _book, rules = services.tolerance_rules(case)
    form = ProposeForm(
        request.POST or None,
        rules=rules,
        initial={"version": case.version},
        extra_url=reverse("tolerance:extra_facts", args=[case.pk]),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.tolerance_case_propose(
                    actor=viewer,
                    case=case,
                    version=form.cleaned_data["version"],
                    document=form.document(),
                    report=form.cleaned_data["report"],
                )
            except ValidationFailed as exc:
                for key, problems in (exc.detail or {}).items() if isinstance(exc.detail, dict) else []:
                    for problem in problems:
                        form.add_error(form.field_for(key), str(problem))
                status = 422
            except Conflict as exc:
                form.add_error(None, str(exc.message))
                status = 409
            else:
                messages.success(
                    request, _("The findings and the recommendation were recorded; the case awaits its determination.")
                )
                return redirect("tolerance:case_detail", pk=case.pk)
        else:
            status = 422
    return render(request, "tolerance/propose.html", {"case": case, "form": form}, status=status)


@login_required
@require_safe
def extra_facts(request: HttpRequest, pk: int) -> HttpResponse:
    """The extra facts the chosen industry item declares (htmx: the investigation form asks for
    them when the item changes)."""
    case = selectors.case_get(request.user, pk)
    _book, rules = services.tolerance_rules(case)
    form = ProposeForm(initial={"industry_item": request.GET.get("industry_item", "")}, rules=rules)
    return render(request, "tolerance/_extra_facts.html", {"form": form})


# --- the exemption notice --------------------------------------------------------------------


@never_cache
@login_required
@require_safe
def notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(request.user, pk)
    content = exemption_notice_pdf(case)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="exemption-notice-{case.pk}.pdf"'
    access_log_record(viewer=request.user, object_type="tolerance_case", object_id=case.pk, what="exemption_notice")
    return response
