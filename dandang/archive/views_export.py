"""Downloads of a cadre's archive card, as PDF and as .xlsx: read through the viewer's scope (404
outside the jurisdiction) and written to the access log like every dossier read."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from dandang.archive.export import card_pdf, card_read, card_xlsx
from dandang.core.audit import access_log_record
from dandang.org.selectors import cadre_get

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(viewer: Any, pk: int, what: str, content: bytes, content_type: str, suffix: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="archive-card-{pk}.{suffix}"'
    access_log_record(viewer=viewer, object_type="cadre", object_id=pk, what=what)
    return response


@never_cache
@login_required
@require_safe
def archive_card_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    cadre = cadre_get(request.user, pk)
    content = card_pdf(card_read(request.user, cadre))
    return _download(request.user, cadre.pk, "archive_card_pdf", content, "application/pdf", "pdf")


@never_cache
@login_required
@require_safe
def archive_card_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    cadre = cadre_get(request.user, pk)
    content = card_xlsx(card_read(request.user, cadre))
    return _download(request.user, cadre.pk, "archive_card_xlsx", content, XLSX, "xlsx")
