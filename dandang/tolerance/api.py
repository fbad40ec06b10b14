"""API of tolerance cases (容错纠错): the case workflow, correction plan, follow-up visits and the
exemption notice.  Thin — fetch through a selector, call a service, serialise.

An object outside the caller's jurisdiction is 404; a role that may not take a step is 403
(nobody decides a case they proposed, nobody handles their own case); a stale ``version`` or a
step the case's state does not allow is 409; invalid input is 422.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from dandang.core.audit import access_log_record
from dandang.org import selectors as org_selectors
from dandang.org.schemas import ErrorOut
from dandang.tolerance import selectors, services
from dandang.tolerance.explain import label_language
from dandang.tolerance.models import CorrectionItem, FollowUpVisit, ToleranceCase
from dandang.tolerance.notice import exemption_notice_pdf, has_notice
from dandang.tolerance.schemas import (
    ApplyIn,
    CaseDetailOut,
    CaseFilter,
    CasePage,
    CorrectionDoneIn,
    CorrectionItemIn,
    CorrectionItemOut,
    DetermineIn,
    ExtendIn,
    FollowUpVisitIn,
    FollowUpVisitOut,
    ProposeIn,
    RefuseIn,
    ReviewOpenIn,
    VersionNoteIn,
)

router = Router(tags=["tolerance"])

ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request: the body is not JSON (`malformed_json`), not sent as application/json "
    "(`unsupported_content_type`) or too large (`request_too_large`).",
    401: "Not logged in and no valid bearer token (`unauthenticated`); a revoked token is refused.",
    403: "The CSRF check of a session request failed (`csrf_failed`), or the caller may not take this step "
    "(`forbidden`): a cadre applies for themself only; the organization department and discipline inspection "
    "handle and decide; nobody handles their own case or decides a case they proposed.",
    404: "Absent, or outside the caller's jurisdiction — the two look the same (`not_found`).",
    409: "`conflict`: the `version` sent is not the case's (someone changed it meanwhile: reload), the case's "
    "status does not allow this step, the investigation was extended once already, a case about the same "
    "decision is open, or correction items are not done.",
    422: "A field is not valid (`invalid`); `detail` maps each field to its messages.",
}


def answers(ok: int, schema: type[Schema], *errors: int) -> dict[str, Any]:
    response: dict[int, Any] = {ok: schema, **dict.fromkeys(errors, ErrorOut)}
    extra = {"responses": {code: {"description": ERROR_DESCRIPTIONS[code]} for code in errors}}
    return {"response": response, "openapi_extra": extra}


LIST = (401, 404, 422)
DETAIL = (401, 404, 422)
WRITE = (400, 401, 403, 404, 422)
STEP = (*WRITE, 409)


def _overdue(case: ToleranceCase, today: dt.date) -> bool:
    return case.is_open and case.due_date is not None and case.due_date < today


def _case_out(case: ToleranceCase, today: dt.date) -> dict[str, Any]:
    return {
        "id": case.pk,
        "cadre_id": case.cadre_id,
        "cadre_name": case.cadre.name,
        "organization_id": case.cadre.org_id,
        "origin": case.origin,
        "matter_type": case.matter_type,
        "matter_id": case.matter_id,
        "matter": case.matter,
        "matter_date": case.matter_date,
        "decision_reference": case.decision_reference,
        "decision_date": case.decision_date,
        "status": case.status,
        "version": case.version,
        "due_date": case.due_date,
        "due_provisional": case.due_provisional,
        "overdue": _overdue(case, today),
        "opened_on": case.opened_on,
        "recommended_outcome": case.recommended_outcome or None,
        "outcome": case.outcome or None,
        "decided_on": case.decided_on,
        "departs_from_recommendation": case.departs,
        "exemption_notice_url": f"/api/v1/tolerance/cases/{case.pk}/exemption-notice" if has_notice(case) else None,
    }


def _item_out(item: CorrectionItem, today: dt.date) -> dict[str, Any]:
    return {
        "id": item.pk,
        "owner": item.owner,
        "task": item.task,
        "deadline": item.deadline,
        "done_on": item.done_on,
        "done_note": item.done_note,
        "overdue": item.done_on is None and item.deadline < today,
    }


def _visit_out(visit: FollowUpVisit) -> dict[str, Any]:
    return {"id": visit.pk, "visited_on": visit.visited_on, "visitors": visit.visitors, "notes": visit.notes}


def _recommendation_out(case: ToleranceCase) -> dict[str, Any] | None:
    record = case.recommendation
    if record is None:
        return None
    texts = record.explanation if isinstance(record.explanation, dict) else {}
    language = label_language()
    outcome = record.outcome.get("outcome") if isinstance(record.outcome, dict) else None
    return {
        "outcome": outcome or case.recommended_outcome,
        "fired": list(record.fired or []),
        "explanation": texts.get(language) or next(iter(texts.values()), ""),
        "rulebook": record.rulebook_id,
        "rulebook_version": record.rulebook_version,
        "decision_id": record.pk,
    }


def _detail(viewer: Any, pk: int) -> dict[str, Any]:
    case = selectors.case_get(viewer, pk)
    today = services.today()
    out = _case_out(case, today)
    machine = services.machine_for(case)
    actions = [t.action for t in machine.available(viewer, case)]
    if case.status == "determined" and services.may_handle(viewer, case):
        actions += ["correction_item_add", "correction_item_done", "follow_up_visit_add"]
    elif case.status == "closed" and services.may_handle(viewer, case):
        actions += ["follow_up_visit_add"]
    out.update(
        {
            "statement": case.statement,
            "acceptance_note": case.acceptance_note,
            "extension_reason": case.extension_reason,
            "proposal_note": case.proposal_note,
            "departure_reason": case.departure_reason,
            "determination_note": case.determination_note,
            "closing_note": case.closing_note,
            "case_document": case.case_document,
            "recommendation": _recommendation_out(case),
            "proposed_by": case.proposed_by.username if case.proposed_by else None,
            "decided_by": case.decided_by.username if case.decided_by else None,
            "correction_items": [_item_out(i, today) for i in selectors.correction_items_of(case)],
            "follow_up_visits": [_visit_out(v) for v in selectors.follow_up_visits_of(case)],
            "actions": actions,
        }
    )
    return out


def _user(request: HttpRequest) -> Any:
    return request.user


@router.get("/tolerance/cases", **answers(200, CasePage, *LIST))
def case_list(request: HttpRequest, filters: Query[CaseFilter]) -> Any:
    """Tolerance cases of the cadres in the caller's jurisdiction (a cadre: their own), newest first."""
    viewer = _user(request)
    cadre = org_selectors.cadre_get(viewer, filters.cadre_id) if filters.cadre_id is not None else None
    org = (
        org_selectors.organization_get(viewer, filters.organization_id) if filters.organization_id is not None else None
    )
    today = services.today()
    qs = selectors.case_list(
        viewer,
        cadre=cadre,
        organization=org,
        status=filters.status or "",
        origin=filters.origin or "",
        outcome=filters.outcome or "",
        overdue_on=today if filters.overdue else None,
    )
    rows = list(qs[filters.offset : filters.offset + filters.limit])
    return {"count": qs.count(), "items": [_case_out(c, today) for c in rows]}


@router.get("/tolerance/cases/{case_id}", **answers(200, CaseDetailOut, *DETAIL))
def case_detail(request: HttpRequest, case_id: int) -> Any:
    """One case with the kernel's recommendation, the correction plan, the follow-up visits and the
    steps the caller may take."""
    return _detail(_user(request), case_id)


@router.post("/tolerance/cases", **answers(201, CaseDetailOut, *STEP))
def case_apply(request: HttpRequest, payload: ApplyIn) -> Any:
    """A cadre applies for error tolerance for themself, within one month of the decision it concerns
    (a later application is refused, 422 on `decision_date`).  Acceptance is due within ten working days."""
    viewer = _user(request)
    cadre = org_selectors.cadre_get(viewer, payload.cadre_id)
    case = services.tolerance_case_apply(
        actor=viewer,
        cadre=cadre,
        matter=payload.matter,
        matter_date=payload.matter_date,
        decision_reference=payload.decision_reference,
        decision_date=payload.decision_date,
        statement=payload.statement,
    )
    return Status(201, _detail(viewer, case.pk))


@router.post("/tolerance/reviews", **answers(201, CaseDetailOut, *STEP))
def review_open(request: HttpRequest, payload: ReviewOpenIn) -> Any:
    """Open an ex officio tolerance review (organization department, discipline inspection): no
    acceptance step, the investigation is due within one month.  An open review of the same matter is
    answered as it is."""
    viewer = _user(request)
    cadre = org_selectors.cadre_get(viewer, payload.cadre_id)
    case = services.tolerance_review_open(
        actor=viewer,
        cadre=cadre,
        matter_type=payload.matter_type,
        matter_id=payload.matter_id,
        matter=payload.matter,
        matter_date=payload.matter_date,
        decision_reference=payload.decision_reference,
        decision_date=payload.decision_date,
    )
    return Status(201, _detail(viewer, case.pk))


@router.post("/tolerance/cases/{case_id}/accept", **answers(200, CaseDetailOut, *STEP))
def case_accept(request: HttpRequest, case_id: int, payload: VersionNoteIn) -> Any:
    """Accept an application (written notice to the applicant); the investigation is due in one month."""
    viewer = _user(request)
    case = selectors.case_get(viewer, case_id)
    services.tolerance_case_accept(actor=viewer, case=case, version=payload.version, note=payload.note)
    return _detail(viewer, case_id)


@router.post("/tolerance/cases/{case_id}/refuse", **answers(200, CaseDetailOut, *STEP))
def case_refuse(request: HttpRequest, case_id: int, payload: RefuseIn) -> Any:
    """Do not accept an application, saying why (written notice to the applicant)."""
    viewer = _user(request)
    case = selectors.case_get(viewer, case_id)
    services.tolerance_case_refuse(actor=viewer, case=case, version=payload.version, note=payload.note)
    return _detail(viewer, case_id)


@router.post("/tolerance/cases/{case_id}/extend", **answers(200, CaseDetailOut, *STEP))
def case_extend(request: HttpRequest, case_id: int, payload: ExtendIn) -> Any:
    """Extend the investigation, once, by at most one month."""
    viewer = _user(request)
    case = selectors.case_get(viewer, case_id)
    services.tolerance_case_extend(actor=viewer, case=case, version=payload.version, reason=payload.reason)
    return _detail(viewer, case_id)


@router.post("/tolerance/cases/{case_id}/propose", **answers(200, CaseDetailOut, *STEP))
def case_propose(request: HttpRequest, case_id: int, payload: ProposeIn) -> Any:
    """Close the investigation with the facts (as `manage.py evaluate tolerance` takes them), the
    industry-list item invoked, all five judging factors and the report; the kernel's recommendation
    is stored as a decision record."""
    viewer = _user(request)
    case = selectors.case_get(viewer, case_id)
    document: dict[str, Any] = {"facts": payload.facts, "narrative": payload.narrative}
    if payload.industry_item is not None:
        document["industry_item"] = payload.industry_item
    services.tolerance_case_propose(
        actor=viewer, case=case, version=payload.version, document=document, report=payload.report
    )
    return _detail(viewer, case_id)


@router.post("/tolerance/cases/{case_id}/determine", **answers(200, CaseDetailOut, *STEP))
def case_determine(request: HttpRequest, case_id: int, payload: DetermineIn) -> Any:
    """The determination (never by the person who proposed); `reason` is required when the outcome
    departs from the recommendation.  The cadre, their Party organization, discipline inspection and the
    organization department are notified."""
    viewer = _user(request)
    case = selectors.case_get(viewer, case_id)
    services.tolerance_case_determine(
        actor=viewer,
        case=case,
        version=payload.version,
        outcome=payload.outcome,
        reason=payload.reason,
        note=payload.note,
    )
    return _detail(viewer, case_id)


@router.post("/tolerance/cases/{case_id}/close", **answers(200, CaseDetailOut, *STEP))
def case_close(request: HttpRequest, case_id: int, payload: VersionNoteIn) -> Any:
    """Close a determined case once every correction item is done."""
    viewer = _user(request)
    case = selectors.case_get(viewer, case_id)
    services.tolerance_case_close(actor=viewer, case=case, version=payload.version, note=payload.note)
    return _detail(viewer, case_id)


@router.post("/tolerance/cases/{case_id}/correction-items", **answers(201, CorrectionItemOut, *STEP))
def correction_item_add(request: HttpRequest, case_id: int, payload: CorrectionItemIn) -> Any:
    """Add an item to the correction plan (纠错) of a determined case: owner, task, deadline."""
    viewer = _user(request)
    case = selectors.case_get(viewer, case_id)
    item = services.correction_item_add(
        actor=viewer, case=case, owner=payload.owner, task=payload.task, deadline=payload.deadline
    )
    return Status(201, _item_out(item, services.today()))


@router.post("/tolerance/correction-items/{item_id}/done", **answers(200, CorrectionItemOut, *STEP))
def correction_item_done(request: HttpRequest, item_id: int, payload: CorrectionDoneIn) -> Any:
    """Record that a correction item was done."""
    viewer = _user(request)
    item = selectors.correction_item_get(viewer, item_id)
    row = services.correction_item_done(actor=viewer, item=item, done_on=payload.done_on, note=payload.note)
    return _item_out(row, services.today())


@router.post("/tolerance/cases/{case_id}/follow-up-visits", **answers(201, FollowUpVisitOut, *STEP))
def follow_up_visit_add(request: HttpRequest, case_id: int, payload: FollowUpVisitIn) -> Any:
    """Record a follow-up visit (回访教育) after the determination."""
    viewer = _user(request)
    case = selectors.case_get(viewer, case_id)
    visit = services.follow_up_visit_add(
        actor=viewer, case=case, visited_on=payload.visited_on, visitors=payload.visitors, notes=payload.notes
    )
    return Status(201, _visit_out(visit))


@router.get(
    "/tolerance/cases/{case_id}/exemption-notice",
    response={401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    openapi_extra={
        "responses": {
            "200": {
                "description": "The exemption notice (免责通报) as a PDF in Chinese.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            },
            **{code: {"description": ERROR_DESCRIPTIONS[code]} for code in DETAIL},
        }
    },
)
def exemption_notice(request: HttpRequest, case_id: int) -> HttpResponse:
    """The exemption notice of a determined exemption (404 for any other case); the read is logged."""
    viewer = _user(request)
    case = selectors.case_get(viewer, case_id)
    content = exemption_notice_pdf(case)
    access_log_record(viewer=viewer, object_type="tolerance_case", object_id=case.pk, what="exemption_notice")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="exemption-notice-{case.pk}.pdf"'
    return response


__all__ = ["router"]
