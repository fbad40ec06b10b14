"""API of name clearing (澄清正名): cases and their workflow, and a cadre's cleared allegations.
Thin — fetch through a selector, call a service, serialise (see :mod:`dandang.archive.api`).

An object outside the caller's jurisdiction is 404; a role that may not do something is 403 (the
proposer never decides, only the body that verified clears); a stale ``version`` or a step the
case's state does not allow is 409; a finding that does not qualify, a missing trigger or an
exclusion is 422 with the rule in the caller's language.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from dandang.core.audit import access_log_record
from dandang.org import selectors as org_selectors
from dandang.org.schemas import ErrorOut
from dandang.tolerance import selectors_clearing as selectors
from dandang.tolerance import services_clearing as services
from dandang.tolerance.models_clearing import (
    ClearingStatus,
    Finding,
    NameClearingCase,
    PublicationScope,
    RefusalGround,
    Trigger,
)
from dandang.tolerance.schemas_clearing import (
    ClearedAllegationPage,
    ClearingCaseFilter,
    ClearingCaseOut,
    ClearingCasePage,
    ClearingClearIn,
    ClearingOpenIn,
    ClearingRefuseIn,
    ClearingVerifyIn,
)

router = Router(tags=["name clearing"])

ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request: the body is not JSON (`malformed_json`), not sent as application/json "
    "(`unsupported_content_type`) or too large (`request_too_large`).",
    401: "Not logged in and no valid bearer token (`unauthenticated`); a revoked token is refused.",
    403: "The CSRF check of a session request failed (`csrf_failed`), or the caller may not do this to this "
    "case (`forbidden`): the role does not allow it, the proposer never decides, only the body that verified "
    "clears (谁核实、谁澄清), nobody acts on a case about themself.",
    404: "Absent, or outside the caller's jurisdiction — the two look the same (`not_found`).",
    409: "`conflict`: the `version` sent is not the case's (someone changed it meanwhile: reload), the case's "
    "status does not allow this step, or the allegation already has a live case.",
    422: "A field is not valid (`invalid`); `detail` maps each field to its messages — among them a finding "
    "that does not qualify (unproven but not excluded, substantiated), no trigger, or an exclusion.",
}


def answers(ok: int, schema: type[Schema], *errors: int) -> dict[str, Any]:
    response: dict[int, Any] = {ok: schema, **dict.fromkeys(errors, ErrorOut)}
    extra = {"responses": {code: {"description": ERROR_DESCRIPTIONS[code]} for code in errors}}
    return {"response": response, "openapi_extra": extra}


LIST = (401, 404, 422)
DETAIL = (401, 404, 422)
WRITE = (400, 401, 403, 404, 409, 422)


def _label(choices: Any, code: str) -> dict[str, str] | None:
    if not code:
        return None
    try:
        return {"code": code, "label": str(choices(code).label)}
    except ValueError:
        return {"code": code, "label": code}


def _username(user: Any) -> str | None:
    return user.username if user is not None else None


def case_out(case: NameClearingCase) -> dict[str, Any]:
    return {
        "id": case.pk,
        "cadre_id": case.cadre_id,
        "cadre_name": case.cadre.name,
        "allegation": case.allegation,
        "report_reference": case.report_reference,
        "report_received_on": case.report_received_on,
        "triggers": [_label(Trigger, code) for code in case.triggers],
        "trigger_note": case.trigger_note,
        "status": case.status,
        "status_label": str(ClearingStatus(case.status).label),
        "version": case.version,
        "opened_by": _username(case.opened_by),
        "opened_at": case.opened_at,
        "finding": _label(Finding, case.finding),
        "verification_summary": case.verification_summary,
        "verified_on": case.verified_on,
        "verified_by": _username(case.verified_by),
        "verifying_body_id": case.verifying_body_id,
        "verifying_body_name": case.verifying_body.name if case.verifying_body is not None else None,
        "decided_by": _username(case.decided_by),
        "decided_at": case.decided_at,
        "publication_scope": _label(PublicationScope, case.publication_scope),
        "published_on": case.published_on,
        "refusal_grounds": [_label(RefusalGround, code) for code in case.refusal_grounds],
        "decision_note": case.decision_note,
    }


def _detail(viewer: Any, pk: int) -> dict[str, Any]:
    return case_out(selectors.clearing_case_get(viewer, pk))


@router.get("/tolerance/clearing-cases", **answers(200, ClearingCasePage, *LIST))
def clearing_case_list(request: HttpRequest, filters: Query[ClearingCaseFilter]) -> Any:
    """Name-clearing cases of the cadres in the caller's jurisdiction (discipline inspection, the
    organization department, auditors), newest first.  404 when ``cadre_id`` is outside."""
    viewer = request.user
    cadre = org_selectors.cadre_get(viewer, filters.cadre_id) if filters.cadre_id is not None else None
    qs = selectors.clearing_case_list(viewer, cadre=cadre, status=filters.status or "", q=filters.q)
    count = qs.count()
    rows = list(qs[filters.offset : filters.offset + filters.limit])
    return {"count": count, "items": [case_out(c) for c in rows]}


@router.get("/tolerance/clearing-cases/{case_id}", **answers(200, ClearingCaseOut, *DETAIL))
def clearing_case_detail(request: HttpRequest, case_id: int) -> Any:
    """One name-clearing case with its verification and decision."""
    return _detail(request.user, case_id)


@router.post("/tolerance/clearing-cases", **answers(201, ClearingCaseOut, *WRITE))
def clearing_case_open(request: HttpRequest, payload: ClearingOpenIn) -> Any:
    """Propose clearing one allegation of one report against a cadre (discipline inspection or the
    organization department over the cadre's organization).  At least one trigger; an exclusion
    refuses it (422)."""
    viewer = request.user
    cadre = org_selectors.cadre_get(viewer, payload.cadre_id)
    case = services.clearing_case_open(
        actor=viewer,
        cadre=cadre,
        allegation=payload.allegation,
        report_reference=payload.report_reference,
        report_received_on=payload.report_received_on,
        triggers=payload.triggers,
        trigger_note=payload.trigger_note,
        exclusions=payload.exclusions,
    )
    return Status(201, _detail(viewer, case.pk))


@router.post("/tolerance/clearing-cases/{case_id}/verify", **answers(200, ClearingCaseOut, *WRITE))
def clearing_case_verify(request: HttpRequest, case_id: int, payload: ClearingVerifyIn) -> Any:
    """Record the verification of the report (discipline inspection): the finding, a summary and
    the date it concluded.  "unproven" does not qualify (422)."""
    viewer = request.user
    case = selectors.clearing_case_get(viewer, case_id)
    services.clearing_case_verify(
        actor=viewer,
        case=case,
        finding=payload.finding,
        summary=payload.summary,
        verified_on=payload.verified_on,
        exclusions=payload.exclusions,
        version=payload.version,
    )
    return _detail(viewer, case.pk)


@router.post("/tolerance/clearing-cases/{case_id}/clear", **answers(200, ClearingCaseOut, *WRITE))
def clearing_case_clear(request: HttpRequest, case_id: int, payload: ClearingClearIn) -> Any:
    """Clear the name (a decider of the body that verified, not the proposer): where and when it is
    published.  The cadre is told in their inbox."""
    viewer = request.user
    case = selectors.clearing_case_get(viewer, case_id)
    services.clearing_case_clear(
        actor=viewer,
        case=case,
        publication_scope=payload.publication_scope,
        published_on=payload.published_on,
        note=payload.note,
        version=payload.version,
    )
    return _detail(viewer, case.pk)


@router.post("/tolerance/clearing-cases/{case_id}/refuse", **answers(200, ClearingCaseOut, *WRITE))
def clearing_case_refuse(request: HttpRequest, case_id: int, payload: ClearingRefuseIn) -> Any:
    """Refuse name clearing, with the grounds and why (a decider, not the proposer)."""
    viewer = request.user
    case = selectors.clearing_case_get(viewer, case_id)
    services.clearing_case_refuse(
        actor=viewer, case=case, grounds=payload.grounds, note=payload.note, version=payload.version
    )
    return _detail(viewer, case.pk)


@router.get("/cadres/{cadre_id}/cleared-allegations", **answers(200, ClearedAllegationPage, *DETAIL))
def cadre_cleared_allegations(request: HttpRequest, cadre_id: int) -> Any:
    """The allegations against a cadre that were cleared (澄清正名): whoever may read the cadre's
    dossier, and the cadre. A cleared allegation never counts against the cadre."""
    viewer = request.user
    cadre = org_selectors.cadre_get(viewer, cadre_id)
    rows = list(selectors.cleared_for(viewer, cadre))
    access_log_record(viewer=viewer, object_type="cadre", object_id=cadre.pk, what="cleared_allegations")
    return {
        "count": len(rows),
        "items": [
            {
                "id": c.pk,
                "allegation": c.allegation,
                "report_reference": c.report_reference,
                "finding": _label(Finding, c.finding),
                "publication_scope": _label(PublicationScope, c.publication_scope),
                "published_on": c.published_on,
                "verifying_body_name": c.verifying_body.name if c.verifying_body is not None else None,
            }
            for c in rows
        ],
    }
