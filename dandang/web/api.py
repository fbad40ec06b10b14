"""The JSON API ``/api/v1/`` (django-ninja): one NinjaAPI, a router per app, one error shape."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from dandang.core.errors import ApplicationError
from dandang.org.api_auth import SessionAuth, TokenAuth

api = NinjaAPI(
    title="Dandang API",
    version="1.0.0",
    description="Dandang (担当) — cadre positive-incentive system. Every list is scoped to the caller's jurisdiction.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)


@api.exception_handler(ApplicationError)
def _application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    detail: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
        detail.setdefault(".".join(loc) or "(request)", []).append(str(err.get("msg", "")))
    body: dict[str, Any] = {"code": "invalid", "message": _("The request is not valid."), "detail": detail}
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    body = {"code": "unauthenticated", "message": _("Log in or send a valid API token."), "detail": None}
    return api.create_response(request, body, status=401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"code": "error", "message": str(exc), "detail": None}, status=exc.status_code)


from dandang.org.api import router as org_router  # noqa: E402

api.add_router("/", org_router)
