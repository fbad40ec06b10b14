"""API of the archive import: upload a file of entries, download the template.  Thin — the checks
and the writes are in :mod:`dandang.archive.importing`, shared with the web page and
``manage.py import_archive``."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from dandang.archive import importing
from dandang.core.errors import PermissionDenied, ValidationFailed
from dandang.org.api_import import RowErrorOut
from dandang.org.roles import Cap
from dandang.org.schemas import ErrorOut
from dandang.org.selectors import has_any_capability

router = Router(tags=["archive import"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ArchiveImportErrorDetail(Schema):
    errors: list[RowErrorOut] = Field(default=[], description="Every problem found in the rows.")
    file: list[str] = Field(default=[], description="Why the file itself cannot be read.")


class ArchiveImportErrorOut(Schema):
    code: str
    message: str
    detail: ArchiveImportErrorDetail | None = None


class ArchiveImportOut(Schema):
    counts: dict[str, int] = Field(description="Rows written per kind: entries, metrics, tasks (created).")
    entries: int = Field(description="Entries written, as drafts.")


class ArchiveTemplateIn(Schema):
    format: Literal["xlsx", "csv"] = "xlsx"


@router.post(
    "/archive-imports",
    response={
        201: ArchiveImportOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        409: ErrorOut,
        422: ArchiveImportErrorOut,
    },
    summary="Import archive entries from a file",
    description=(
        "Upload an .xlsx workbook or a .csv file of archive entries, one per row (see the template: cadre ID "
        "number, date, category, title, description, polarity, task, share, difficulty, one outcome metric, "
        "author). Only organization-department staff import, for cadres within their jurisdiction. Every row "
        "is checked first; a file with any error changes nothing and answers 422 with every error (sheet, "
        "row, column, reason). The entries are written as drafts; tasks named and not found are created."
    ),
)
def archive_import(request: HttpRequest, file: File[UploadedFile]) -> Any:
    result = importing.archive_import(
        actor=request.user,  # type: ignore[arg-type]
        filename=file.name or "",
        data=file.read(),
    )
    if not result.ok:
        raise ValidationFailed(
            _("The file has %(count)s errors; nothing was changed.") % {"count": len(result.errors)},
            detail={"errors": [e.as_dict() for e in result.errors]},
        )
    return Status(201, {"counts": result.counts, "entries": result.counts["entries"]})


@router.get(
    "/archive-imports/template",
    response={401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Download the archive import template",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The template with headers in the caller's language: .xlsx, or CSV (UTF-8 with BOM).",
                "content": {
                    XLSX: {"schema": {"type": "string", "format": "binary"}},
                    "text/csv": {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def archive_template(request: HttpRequest, params: Query[ArchiveTemplateIn]) -> HttpResponse:
    if not has_any_capability(request.user, Cap.ARCHIVE_IMPORT):
        raise PermissionDenied(_("Your role does not allow importing archive entries."))
    actor: Any = request.user
    if params.format == "csv":
        response = HttpResponse(importing.archive_template_csv(actor=actor), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="archive-template.csv"'
        return response
    response = HttpResponse(importing.archive_template_xlsx(actor=actor), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="archive-template.xlsx"'
    return response
