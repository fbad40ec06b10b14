"""Pages of name clearing (澄清正名): the list of cases, a case with the steps the viewer may take,
the form that opens one for a cadre, and the cadre-facing page of cleared allegations.

Thin interfaces: parse the request, read through the viewer-scoped selectors, write through the
services.  Outside the viewer's jurisdiction a selector raises NotFound (404); a role that may see
but not act gets the service's PermissionDenied (403); a stale version or a step the case's state
does not allow is shown on the case's page with status 409, invalid input beside its field with 422.
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
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.middleware import HtmxDetails

from dandang.core.audit import access_log_record
from dandang.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed
from dandang.org.roles import Cap
from dandang.org.selectors import cadre_get, has_any_capability
from dandang.tolerance import services_clearing as services
from dandang.tolerance.forms_clearing import CaseFilterForm, ClearForm, OpenForm, RefuseForm, VerifyForm
from dandang.tolerance.models_clearing import (
    ClearingStatus,
    Exclusion,
    Finding,
    NameClearingCase,
    PublicationScope,
    RefusalGround,
    Trigger,
)
from dandang.tolerance.selectors_clearing import (
    can_view_clearing_cases,
    cleared_for,
    clearing_case_get,
    clearing_case_list,
)

PAGE_SIZE = 50


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _labels(choices: Any, codes: list[str]) -> list[str]:
    known = dict(choices.choices)
    return [str(known.get(code, code)) for code in codes]


def _add_errors(form: forms.Form, exc: ValidationFailed) -> None:
    for key, problems in (exc.detail or {}).items() if isinstance(exc.detail, dict) else []:
        for problem in problems:
            form.add_error(key if key in form.fields else None, str(problem))
    if not isinstance(exc.detail, dict) or not exc.detail:
        form.add_error(None, str(exc.message))


# --- the list ----------------------------------------------------------------------------------


@login_required
@require_safe
def case_list(request: HtmxHttpRequest) -> HttpResponse:
    viewer = request.user
    if not has_any_capability(viewer, Cap.CLEARING_VIEW):
        raise NotFound(_("Page not found."))
    form = CaseFilterForm(request.GET or None)
    filters = form.filters()
    qs = clearing_case_list(viewer, status=filters["status"], q=filters["q"])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    statuses = dict(ClearingStatus.choices)
    context = {
        "form": form,
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "rows": [(case, str(statuses.get(case.status, case.status))) for case in page.object_list],
        "filtered": any(filters.values()),
        "action": request.path,
    }
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    response = render(
        request, "tolerance/clearing/_case_results.html" if partial else "tolerance/clearing/case_list.html", context
    )
    patch_vary_headers(response, ("HX-Request",))
    return response


# --- opening a case ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def case_open(request: HttpRequest, pk: int) -> HttpResponse:
    viewer: Any = request.user
    cadre = cadre_get(viewer, pk)
    if not services.can_propose(viewer, cadre):
        raise PermissionDenied(_("Your role does not allow proposing name clearing for this cadre."))
    status = 200
    if request.method == "POST":
        form = OpenForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = services.clearing_case_open(
                    actor=viewer,
                    cadre=cadre,
                    allegation=data["allegation"],
                    report_reference=data["report_reference"],
                    report_received_on=data["report_received_on"],
                    triggers=data["triggers"],
                    trigger_note=data["trigger_note"],
                    exclusions=data["exclusions"],
                )
            except ValidationFailed as exc:
                _add_errors(form, exc)
                status = exc.status
            except Conflict as exc:
                form.add_error(None, str(exc.message))
                status = exc.status
            else:
                messages.success(request, _("The name-clearing case was opened."))
                return redirect("tolerance_clearing:case_detail", pk=case.pk)
        else:
            status = 422
    else:
        form = OpenForm()
    return render(request, "tolerance/clearing/case_open.html", {"cadre": cadre, "form": form}, status=status)


# --- one case ----------------------------------------------------------------------------------


def _detail_context(request: HttpRequest, case: NameClearingCase, **bound: Any) -> dict[str, Any]:
    viewer: Any = request.user
    initial = {"version": case.version}
    today = timezone.localdate()
    may_verify = case.status == ClearingStatus.OPENED and services.can_verify(viewer, case)
    may_decide = case.status in (ClearingStatus.OPENED, ClearingStatus.VERIFIED) and services.can_decide(viewer, case)
    return {
        "case": case,
        "triggers": _labels(Trigger, case.triggers),
        "finding": dict(Finding.choices).get(case.finding, "") if case.finding else "",
        "scope": dict(PublicationScope.choices).get(case.publication_scope, "") if case.publication_scope else "",
        "grounds": _labels(RefusalGround, case.refusal_grounds),
        "may_verify": may_verify,
        "may_clear": may_decide and case.status == ClearingStatus.VERIFIED,
        "may_refuse": may_decide,
        "verify_form": bound.get("verify") or VerifyForm(initial={**initial, "verified_on": today}),
        "clear_form": bound.get("clear") or ClearForm(initial={**initial, "published_on": today}, prefix="clear"),
        "refuse_form": bound.get("refuse") or RefuseForm(initial=initial, prefix="refuse"),
        "error": bound.get("error"),
        "exclusion_labels": [str(label) for _code, label in Exclusion.choices],
    }


@never_cache
@login_required
@require_safe
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = clearing_case_get(request.user, pk)
    return render(request, "tolerance/clearing/case_detail.html", _detail_context(request, case))


def _step(
    request: HttpRequest,
    pk: int,
    form_class: Callable[..., forms.Form],
    do: Callable[[Any, NameClearingCase, dict[str, Any]], Any],
    done: Any,
    *,
    may: Callable[[Any, NameClearingCase], bool],
    slot: str,
    prefix: str | None = None,
) -> HttpResponse:
    """One workflow step: the case read through the viewer's scope, the form parsed, the service
    called with the version the person read.  Refused: the case's page again, as it is now."""
    case = clearing_case_get(request.user, pk)
    form = form_class(request.POST, prefix=prefix)
    error: ApplicationError | None = None
    if not form.is_valid():
        # The right to act comes before the input: someone who may not act is refused (403)
        # whatever they sent.
        if not may(request.user, case):
            raise PermissionDenied(_("Your role does not allow this step of the case."))
        error = ValidationFailed(_("Some fields are not valid."))
    else:
        try:
            do(request.user, case, form.cleaned_data)
        except ValidationFailed as exc:
            _add_errors(form, exc)
            error = exc
        except Conflict as exc:
            error = exc
    if error is None:
        messages.success(request, done)
        return redirect("tolerance_clearing:case_detail", pk=pk)
    fresh = clearing_case_get(request.user, pk)
    bound = {slot: form} if isinstance(error, ValidationFailed) else {}
    context = _detail_context(request, fresh, error=str(error.message), **bound)
    return render(request, "tolerance/clearing/case_detail.html", context, status=error.status)


@login_required
@require_POST
def case_verify(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        VerifyForm,
        lambda actor, case, data: services.clearing_case_verify(
            actor=actor,
            case=case,
            finding=data["finding"],
            summary=data["summary"],
            verified_on=data["verified_on"],
            exclusions=data["exclusions"],
            version=data["version"],
        ),
        _("The verification was recorded."),
        may=services.can_verify,
        slot="verify",
    )


@login_required
@require_POST
def case_clear(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        ClearForm,
        lambda actor, case, data: services.clearing_case_clear(
            actor=actor,
            case=case,
            publication_scope=data["publication_scope"],
            published_on=data["published_on"],
            note=data["note"],
            version=data["version"],
        ),
        _("The name was cleared; the cadre was told."),
        may=services.can_decide,
        slot="clear",
        prefix="clear",
    )


@login_required
@require_POST
def case_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        RefuseForm,
        lambda actor, case, data: services.clearing_case_refuse(
            actor=actor, case=case, grounds=data["grounds"], note=data["note"], version=data["version"]
        ),
        _("Name clearing was refused."),
        may=services.can_decide,
        slot="refuse",
        prefix="refuse",
    )


# --- the cadre's cleared allegations -------------------------------------------------------------


@never_cache
@login_required
@require_safe
def cadre_cleared(request: HttpRequest, pk: int) -> HttpResponse:
    """The allegations against a cadre that were cleared: shown as cleared (澄清正名), never
    counted against the cadre — to whoever may read the dossier, and to the cadre."""
    viewer: Any = request.user
    cadre = cadre_get(viewer, pk)
    scopes = dict(PublicationScope.choices)
    findings = dict(Finding.choices)
    rows = [
        (case, str(findings.get(case.finding, case.finding)), str(scopes.get(case.publication_scope, "")))
        for case in cleared_for(viewer, cadre)
    ]
    context = {
        "cadre": cadre,
        "rows": rows,
        "is_self": getattr(viewer, "cadre_id", None) == cadre.pk,
        "may_see_cases": can_view_clearing_cases(viewer, cadre),
        "may_propose": services.can_propose(viewer, cadre),
    }
    response = render(request, "tolerance/clearing/cadre_cleared.html", context)
    access_log_record(viewer=viewer, object_type="cadre", object_id=cadre.pk, what="cleared_allegations")
    return response
