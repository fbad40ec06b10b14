"""API of the performance archive (实绩档案): entries and their workflow, evidence, tasks, counted
scores.  Thin — fetch through a selector, call a service, serialise (see :mod:`dandang.org.api`).

Every operation declares each status it can answer (:func:`answers`); every error has the shape
:class:`~dandang.org.schemas.ErrorOut`.  An object outside the caller's jurisdiction is 404; a role
that may not do something is 403 (nobody verifies their own entry); a stale ``version`` is 409.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import FileResponse, HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from dandang.archive import selectors, services
from dandang.archive.flags import flag_reason
from dandang.archive.models import ArchiveEntry, ArchiveFlag, ArchiveScore, ArchiveTask, Evidence
from dandang.archive.schemas import (
    EntryCreateIn,
    EntryDetailOut,
    EntryFilter,
    EntryPage,
    EntryUpdateIn,
    EvidenceKindFilter,
    EvidenceKindsOut,
    EvidenceOut,
    EvidenceRemoveIn,
    EvidenceUploadIn,
    NoteIn,
    ScoreFilter,
    ScorePage,
    TaskCreateIn,
    TaskFilter,
    TaskOut,
    TaskPage,
    VerifyIn,
    VersionIn,
    WithdrawIn,
)
from dandang.core.audit import access_log_record
from dandang.core.errors import NotFound, ValidationFailed
from dandang.org import selectors as org_selectors
from dandang.org.models import Cadre, Organization
from dandang.org.schemas import ErrorOut, PageIn

router = Router(tags=["archive"])

ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request: the body is not JSON (`malformed_json`), not sent as application/json "
    "(`unsupported_content_type`) or too large (`request_too_large`).",
    401: "Not logged in and no valid bearer token (`unauthenticated`); a revoked token is refused.",
    403: "The CSRF check of a session request failed (`csrf_failed`), or the caller may not do this to this "
    "entry (`forbidden`): the role does not allow it, only the author changes an entry, nobody verifies an "
    "entry they recorded or one about themself.",
    404: "Absent, or outside the caller's jurisdiction — the two look the same (`not_found`).",
    409: "`conflict`: the `version` sent is not the entry's (someone changed it meanwhile: reload), the entry's "
    "status does not allow this step, or the name is taken.",
    422: "A field is not valid (`invalid`); `detail` maps each field to its messages.",
}


def answers(ok: int, schema: type[Schema], *errors: int) -> dict[str, Any]:
    """``response`` and ``openapi_extra`` for an operation answering ``ok`` or one of ``errors``."""
    response: dict[int, Any] = {ok: schema, **dict.fromkeys(errors, ErrorOut)}
    extra = {"responses": {code: {"description": ERROR_DESCRIPTIONS[code]} for code in errors}}
    return {"response": response, "openapi_extra": extra}


LIST = (401, 404, 422)  # a filter naming an object outside the jurisdiction is 404
DETAIL = (401, 404, 422)
WRITE = (400, 401, 403, 404, 422)
STEP = (*WRITE, 409)  # a write that names the entry's version


def _page(qs: Any, page: PageIn) -> tuple[int, list[Any]]:
    return qs.count(), list(qs[page.offset : page.offset + page.limit])


def _user(request: HttpRequest) -> Any:
    return request.user


def _changes(payload: Schema, *, keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields a PATCH sends besides ``keep``; at least one."""
    changes = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if k not in keep}
    if not changes:
        raise ValidationFailed(
            _("Some fields are not valid."), detail={"(request)": [str(_("Send at least one field to change."))]}
        )
    return changes


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _language() -> str:
    return (translation.get_language() or "zh-hans").lower()


def _in_language(texts: dict[str, str]) -> str:
    """The text of ``texts`` (language code → text) in the caller's language, else the first."""
    if not texts:
        return ""
    language = _language()
    for code, text in texts.items():
        if code.lower() == language:
            return text
    for code, text in texts.items():
        if code.lower().split("-")[0] == language.split("-")[0]:
            return text
    return next(iter(texts.values()))


class _Labels:
    """Evidence kind labels in the caller's language, per effective rulebook (one look-up per
    organization in a request)."""

    def __init__(self) -> None:
        self._by_org: dict[int, dict[str, str]] = {}

    def for_cadre(self, cadre: Cadre) -> dict[str, str]:
        if cadre.org_id not in self._by_org:
            _book, rules = services.archive_rules(cadre.org)
            self._by_org[cadre.org_id] = {code: _in_language(k.label) for code, k in rules.evidence_kinds.items()}
        return self._by_org[cadre.org_id]


# --- entries -------------------------------------------------------------------------------


def _flag_out(flag: ArchiveFlag, labels: dict[str, str]) -> dict[str, Any]:
    params = flag.params if isinstance(flag.params, dict) else {}
    return {"code": flag.code, "reason": flag_reason(flag.code, params, labels), "params": params}


def _evidence_out(item: Evidence) -> dict[str, Any]:
    return {
        "id": item.pk,
        "entry_id": item.entry_id,
        "filename": item.filename,
        "content_type": item.content_type,
        "size": item.size,
        "sha256": item.sha256,
        "kind": item.kind,
        "confirmed_kind": item.confirmed_kind or None,
        "source": item.source,
        "dated": item.dated,
        "uploaded_at": item.uploaded_at,
        "download_url": f"/api/v1/archive/evidence/{item.pk}/file",
    }


def _entry_out(e: ArchiveEntry, flags: list[ArchiveFlag] | None, labels: _Labels) -> dict[str, Any]:
    verified = e.score_completion is not None
    return {
        "id": e.pk,
        "cadre_id": e.cadre_id,
        "cadre_name": e.cadre.name,
        "organization_id": e.organization_id,
        "post_id": e.post_id,
        "post_title": e.post.title if e.post is not None else "",
        "occurred_on": e.occurred_on,
        "year": e.year,
        "quarter": e.quarter,
        "category": e.category,
        "title": e.title,
        "description": e.description,
        "polarity": e.polarity,
        "task_id": e.task_id,
        "share_percent": _text(e.share_percent),
        "difficulty": e.difficulty,
        "status": e.status,
        "version": e.version,
        "author": e.author.username,
        "created_at": e.created_at,
        "submitted_at": e.submitted_at,
        "decided_by": e.decided_by.username if e.decided_by is not None else None,
        "decided_at": e.decided_at,
        "decision_note": e.decision_note,
        "method": e.method or None,
        "scores": {
            "completion": e.score_completion,
            "authenticity": e.score_authenticity,
            "difficulty": e.score_difficulty,
            "contribution": e.score_contribution,
        }
        if verified
        else None,
        "counted_value": _text(e.counted_value),
        "flags": None if flags is None else [_flag_out(f, labels.for_cadre(e.cadre)) for f in flags],
    }


def _detail(viewer: Any, pk: int) -> dict[str, Any]:
    entry = selectors.entry_detail(viewer, pk)
    flags = entry.flag_list if selectors.can_view_flags(viewer, entry.cadre) else None  # type: ignore[attr-defined]
    out = _entry_out(entry, flags, _Labels())
    out["metrics"] = [
        {
            "indicator": m.indicator,
            "unit": m.unit,
            "baseline": _text(m.baseline),
            "target": _text(m.target),
            "actual": _text(m.actual),
        }
        for m in entry.metric_list  # type: ignore[attr-defined]
    ]
    out["evidence"] = [_evidence_out(item) for item in entry.evidence_list]  # type: ignore[attr-defined]
    return out


@router.get("/archive/entries", **answers(200, EntryPage, *LIST))
def entry_list(request: HttpRequest, filters: Query[EntryFilter]) -> Any:
    """Archive entries of the cadres in the caller's jurisdiction (a cadre: their own), newest first.
    404 when ``cadre_id`` or ``organization_id`` is outside the jurisdiction."""
    viewer = _user(request)
    cadre = org_selectors.cadre_get(viewer, filters.cadre_id) if filters.cadre_id is not None else None
    org = (
        org_selectors.organization_get(viewer, filters.organization_id) if filters.organization_id is not None else None
    )
    qs = selectors.entry_list(
        viewer,
        cadre=cadre,
        organization=org,
        year=filters.year,
        quarter=filters.quarter,
        category=filters.category or "",
        polarity=filters.polarity or "",
        status=filters.status or "",
        flag=filters.flag or "",
    ).select_related("decided_by")
    count, rows = _page(qs, filters)
    flags = selectors.entry_flags_for(viewer, rows)
    labels = _Labels()
    return {"count": count, "items": [_entry_out(e, flags.get(e.pk), labels) for e in rows]}


@router.get("/archive/entries/{entry_id}", **answers(200, EntryDetailOut, *DETAIL))
def entry_detail(request: HttpRequest, entry_id: int) -> Any:
    """One entry with its metrics and evidence, and the guard's flags for those who may see them."""
    return _detail(_user(request), entry_id)


@router.post("/archive/entries", **answers(201, EntryDetailOut, *WRITE))
def entry_create(request: HttpRequest, payload: EntryCreateIn) -> Any:
    """Record a draft entry for a cadre: the caller's own (positive or negative), or — for a unit
    leader or organization-department staff — one of a cadre in their jurisdiction; a negative
    entry may also be recorded by discipline inspection.  403 for any other role."""
    viewer = _user(request)
    cadre = org_selectors.cadre_get(viewer, payload.cadre_id)
    task = selectors.task_get(viewer, payload.task_id) if payload.task_id is not None else None
    entry = services.archive_entry_create(
        actor=viewer,
        cadre=cadre,
        occurred_on=payload.occurred_on,
        category=payload.category,
        title=payload.title,
        description=payload.description,
        polarity=payload.polarity,
        task=task,
        share_percent=payload.share_percent,
        difficulty=payload.difficulty,
        metrics=[m.model_dump() for m in payload.metrics],
    )
    return Status(201, _detail(viewer, entry.pk))


@router.patch("/archive/entries/{entry_id}", **answers(200, EntryDetailOut, *STEP))
def entry_update(request: HttpRequest, entry_id: int, payload: EntryUpdateIn) -> Any:
    """Amend a draft or returned entry (its author).  ``metrics``, when sent, replaces them all."""
    viewer = _user(request)
    entry = selectors.entry_get(viewer, entry_id)
    changes = _changes(payload, keep=("version",))
    if "task_id" in changes:
        task_id = changes.pop("task_id")
        changes["task"] = selectors.task_get(viewer, task_id) if task_id is not None else None
    services.archive_entry_update(actor=viewer, entry=entry, version=payload.version, **changes)
    return _detail(viewer, entry.pk)


@router.post("/archive/entries/{entry_id}/submit", **answers(200, EntryDetailOut, *STEP))
def entry_submit(request: HttpRequest, entry_id: int, payload: VersionIn) -> Any:
    """Submit a draft or returned entry for verification (its author)."""
    viewer = _user(request)
    entry = selectors.entry_get(viewer, entry_id)
    services.archive_entry_submit(actor=viewer, entry=entry, version=payload.version)
    return _detail(viewer, entry.pk)


@router.post("/archive/entries/{entry_id}/withdraw", **answers(200, EntryDetailOut, *STEP))
def entry_withdraw(request: HttpRequest, entry_id: int, payload: WithdrawIn) -> Any:
    """Withdraw an entry before it is verified (its author)."""
    viewer = _user(request)
    entry = selectors.entry_get(viewer, entry_id)
    services.archive_entry_withdraw(actor=viewer, entry=entry, version=payload.version, reason=payload.reason)
    return _detail(viewer, entry.pk)


@router.post("/archive/entries/{entry_id}/return", **answers(200, EntryDetailOut, *STEP))
def entry_return(request: HttpRequest, entry_id: int, payload: NoteIn) -> Any:
    """Return a submitted entry to its author for more information (a verifier: the unit leader or
    organization-department staff, never the author or the cadre)."""
    viewer = _user(request)
    entry = selectors.entry_get(viewer, entry_id)
    services.archive_entry_return(actor=viewer, entry=entry, note=payload.note, version=payload.version)
    return _detail(viewer, entry.pk)


@router.post("/archive/entries/{entry_id}/reject", **answers(200, EntryDetailOut, *STEP))
def entry_reject(request: HttpRequest, entry_id: int, payload: NoteIn) -> Any:
    """Reject a submitted entry (a verifier), saying why."""
    viewer = _user(request)
    entry = selectors.entry_get(viewer, entry_id)
    services.archive_entry_reject(actor=viewer, entry=entry, note=payload.note, version=payload.version)
    return _detail(viewer, entry.pk)


@router.post("/archive/entries/{entry_id}/verify", **answers(200, EntryDetailOut, *STEP))
def entry_verify(request: HttpRequest, entry_id: int, payload: VerifyIn) -> Any:
    """Verify a submitted entry (a verifier, never the author or the cadre): the method, the four
    review scores, each evidence item's kind confirmed or corrected.  The entry then counts."""
    viewer = _user(request)
    entry = selectors.entry_get(viewer, entry_id)
    services.archive_entry_verify(
        actor=viewer,
        entry=entry,
        method=payload.method,
        scores=payload.scores.model_dump(),
        evidence_kinds=dict(payload.evidence_kinds),
        difficulty=payload.difficulty,
        note=payload.note,
        version=payload.version,
    )
    return _detail(viewer, entry.pk)


@router.post("/archive/entries/{entry_id}/revoke", **answers(200, EntryDetailOut, *STEP))
def entry_revoke(request: HttpRequest, entry_id: int, payload: NoteIn) -> Any:
    """Revoke a verified entry found untrue (organization-department staff); it stops counting."""
    viewer = _user(request)
    entry = selectors.entry_get(viewer, entry_id)
    services.archive_entry_revoke(actor=viewer, entry=entry, note=payload.note, version=payload.version)
    return _detail(viewer, entry.pk)


# --- evidence ------------------------------------------------------------------------------


@router.post("/archive/entries/{entry_id}/evidence", **answers(201, EvidenceOut, *STEP))
def evidence_upload(
    request: HttpRequest, entry_id: int, file: File[UploadedFile], payload: Form[EvidenceUploadIn]
) -> Any:
    """Attach a file to a draft or returned entry (its author), as multipart/form-data.  It is stored
    under its SHA-256; the entry's version goes up by one."""
    viewer = _user(request)
    entry = selectors.entry_get(viewer, entry_id)
    item = services.archive_evidence_add(
        actor=viewer,
        entry=entry,
        upload=file,
        kind=payload.kind,
        source=payload.source,
        dated=payload.dated,
        version=payload.version,
    )
    return Status(201, _evidence_out(item))


@router.get(
    "/archive/evidence/{evidence_id}/file",
    response={401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file as uploaded, as an attachment named with its original file name.",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            },
            **{code: {"description": ERROR_DESCRIPTIONS[code]} for code in DETAIL},
        }
    },
)
def evidence_download(request: HttpRequest, evidence_id: int) -> FileResponse:
    """Download an evidence file (whoever may read the entry; the read is written to the access log).
    Always sent as an attachment, never shown inline."""
    viewer = _user(request)
    item = selectors.evidence_get(viewer, evidence_id)
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise NotFound(_("The file of this evidence is missing from the storage.")) from None
    access_log_record(viewer=viewer, object_type="archive_evidence", object_id=item.pk, what="download")
    # Served as bytes to download, whatever the uploader said it was: an uploaded HTML file must not
    # run in the application's origin.
    response = FileResponse(handle, as_attachment=True, filename=item.filename)
    response["Content-Type"] = "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.delete("/archive/evidence/{evidence_id}", **answers(200, EntryDetailOut, *STEP))
def evidence_remove(request: HttpRequest, evidence_id: int, params: Query[EvidenceRemoveIn]) -> Any:
    """Detach a file from a draft or returned entry (its author); answers the entry.  ``version`` is
    the entry's."""
    viewer = _user(request)
    item = selectors.evidence_get(viewer, evidence_id)
    entry = services.archive_evidence_remove(actor=viewer, evidence=item, version=params.version)
    return _detail(viewer, entry.pk)


@router.get("/archive/evidence-kinds", **answers(200, EvidenceKindsOut, *DETAIL))
def evidence_kinds(request: HttpRequest, filters: Query[EvidenceKindFilter]) -> Any:
    """The kinds of evidence of the effective ``archive`` rulebook, for the upload form: the one in
    force for ``cadre_id``'s organization, else for the caller's own, else the deployment's."""
    viewer = _user(request)
    org: Organization | None
    if filters.cadre_id is not None:
        org = org_selectors.cadre_get(viewer, filters.cadre_id).org
    else:
        own = getattr(viewer, "cadre", None) if getattr(viewer, "cadre_id", None) else None
        org = own.org if own is not None else None
    book, rules = services.archive_rules(org)
    return {
        "rulebook": book.id,
        "rulebook_version": book.version,
        "items": [
            {"code": code, "label": _in_language(kind.label), "process_trace": kind.process_trace}
            for code, kind in rules.evidence_kinds.items()
        ],
    }


# --- tasks ---------------------------------------------------------------------------------


def _task_out(task: ArchiveTask) -> dict[str, Any]:
    return {"id": task.pk, "organization_id": task.organization_id, "name": task.name, "year": task.year}


@router.get("/archive/tasks", **answers(200, TaskPage, 401, 422))
def task_list(request: HttpRequest, filters: Query[TaskFilter]) -> Any:
    """Tasks and projects the caller may see: of the organizations in their jurisdiction, and of their
    own organization and those above it."""
    qs = selectors.tasks_visible(_user(request)).order_by("-year", "organization__path", "name", "id")
    if filters.organization_id is not None:
        qs = qs.filter(organization_id=filters.organization_id)
    if filters.year is not None:
        qs = qs.filter(year=filters.year)
    count, rows = _page(qs, filters)
    return {"count": count, "items": [_task_out(t) for t in rows]}


@router.get("/archive/tasks/{task_id}", **answers(200, TaskOut, *DETAIL))
def task_detail(request: HttpRequest, task_id: int) -> Any:
    """One task or project."""
    return _task_out(selectors.task_get(_user(request), task_id))


@router.post("/archive/tasks", **answers(201, TaskOut, *WRITE, 409))
def task_create(request: HttpRequest, payload: TaskCreateIn) -> Any:
    """Set up a task or project that entries of several cadres can claim shares of (a unit leader or
    organization-department staff in their jurisdiction; a cadre in their own organization or one
    above it).  409 when the organization has a task of that name that year."""
    viewer = _user(request)
    org = selectors.task_organization_get(viewer, payload.organization_id)
    task = services.archive_task_create(actor=viewer, organization=org, name=payload.name, year=payload.year)
    return Status(201, _task_out(task))


# --- counted scores ------------------------------------------------------------------------


def _score_out(score: ArchiveScore) -> dict[str, Any]:
    decision = score.decision
    return {
        "year": score.year,
        "quarter": score.quarter,
        "score": str(score.score),
        "entries_counted": score.entries_counted,
        "frozen": score.frozen_at is not None,
        "computed_at": score.computed_at,
        "explanation": _in_language(decision.explanation if isinstance(decision.explanation, dict) else {}),
        "decision_id": decision.pk,
        "rulebook": decision.rulebook_id,
        "rulebook_version": decision.rulebook_version,
    }


@router.get("/cadres/{cadre_id}/archive-scores", **answers(200, ScorePage, *DETAIL))
def cadre_archive_scores(request: HttpRequest, cadre_id: int, filters: Query[ScoreFilter]) -> Any:
    """A cadre's counted scores by year and quarter (quarter 0: the whole year), from verified
    entries only, each with the explanation of its decision record."""
    viewer = _user(request)
    cadre = org_selectors.cadre_get(viewer, cadre_id)
    qs = selectors.scores_for(viewer, cadre)
    if filters.year is not None:
        qs = qs.filter(year=filters.year)
    count, rows = _page(qs, filters)
    return {"count": count, "items": [_score_out(s) for s in rows]}
