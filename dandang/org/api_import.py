"""API of the roster import: upload a file, download the template.  Thin — the checks and the
writes are in :mod:`dandang.org.importing`, shared with the web page and ``manage.py import_roster``."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from dandang.core.errors import PermissionDenied, ValidationFailed
from dandang.org import importing
from dandang.org.roles import Cap
from dandang.org.schemas import ErrorOut
from dandang.org.selectors import has_any_capability

router = Router(tags=["roster import"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RowErrorOut(Schema):
    sheet: str = Field(description="The sheet as named in the file (for a CSV file: the kind of rows).")
    row: int = Field(description="The row as the spreadsheet numbers it (the header is row 1); 0: the whole sheet.")
    column: str = Field(description="The column key, e.g. birth_date; empty for the whole row or sheet.")
    reason: str = Field(description="What is wrong, in the caller's language.")


class RosterImportErrorDetail(Schema):
    errors: list[RowErrorOut] = Field(default=[], description="Every problem found in the rows.")
    file: list[str] = Field(default=[], description="Why the file itself cannot be read.")
    sheet: list[str] = Field(default=[], description="Why the sheet option is not understood.")


class RosterImportErrorOut(Schema):
    code: str
    message: str
    detail: RosterImportErrorDetail | None = None


class RosterImportOut(Schema):
    counts: dict[str, int] = Field(description="Rows written per kind: organizations, posts, cadres, tenures.")
    rows: int = Field(description="Rows written in all.")


class TemplateIn(Schema):
    format: Literal["xlsx", "csv"] = "xlsx"
    sheet: Literal["organizations", "posts", "cadres", "tenures"] = Field(
        default="organizations", description="With format=csv: which kind of rows."
    )


@router.post(
    "/roster-imports",
    response={
        201: RosterImportOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        409: ErrorOut,
        422: RosterImportErrorOut,
    },
    summary="Import a roster file",
    description=(
        "Upload an .xlsx workbook (sheets organizations, posts, cadres, tenures — see the template) or a .csv "
        "file of one kind (detected from its header row, or named by `sheet`). Every row is checked first; "
        "a file with any error changes nothing and answers 422 with every error (sheet, row, column, reason). "
        "Only new rows are written: an organization code or ID number already registered is an error."
    ),
)
def roster_import(request: HttpRequest, file: File[UploadedFile], sheet: Form[str] = "") -> Any:
    result = importing.roster_import(
        actor=request.user,  # type: ignore[arg-type]
        filename=file.name or "",
        data=file.read(),
        sheet=sheet.strip() or None,
    )
    if not result.ok:
        raise ValidationFailed(
            _("The file has %(count)s errors; nothing was changed.") % {"count": len(result.errors)},
            detail={"errors": [e.as_dict() for e in result.errors]},
        )
    return Status(201, {"counts": result.counts, "rows": result.total})


@router.get(
    "/roster-imports/template",
    response={401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Download the roster import template",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The template: an .xlsx workbook, or one CSV file (UTF-8 with BOM).",
                "content": {
                    XLSX: {"schema": {"type": "string", "format": "binary"}},
                    "text/csv": {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def roster_template(request: HttpRequest, params: Query[TemplateIn]) -> HttpResponse:
    if not has_any_capability(request.user, Cap.ROSTER_IMPORT):
        raise PermissionDenied(_("Your role does not allow importing a roster."))
    parent = importing.template_parent(request.user)  # type: ignore[arg-type]
    if params.format == "csv":
        response = HttpResponse(importing.roster_template_csv(params.sheet, parent=parent), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="roster-{params.sheet}.csv"'
        return response
    response = HttpResponse(importing.roster_template_xlsx(parent=parent), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="roster-template.xlsx"'
    return response
