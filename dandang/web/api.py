"""The JSON API ``/api/v1/`` (django-ninja): one NinjaAPI, a router per app, one error shape.

Every error is ``{"code", "message", "detail"}`` with a message in the caller's language
(``LocaleMiddleware`` runs for /api/v1/ as for every page: the user's chosen language, else
``Accept-Language``).  Every status an operation can answer is declared in the OpenAPI document.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.types import DictStrAny

from dandang.core.errors import ApplicationError
from dandang.core.validation import pydantic_field_message
from dandang.org.api_auth import SessionAuth, TokenAuth


class UnsupportedContentType(ValueError):
    pass


class JsonParser(Parser):
    """Request bodies are JSON and say so (``Content-Type: application/json``)."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        content_type = (request.content_type or "").lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise UnsupportedContentType(content_type)
        data = json.loads(request.body)
        return data  # type: ignore[no-any-return]


api = NinjaAPI(
    title="Dandang API",
    version="1.0.0",
    description=(
        "Dandang (担当) — cadre positive-incentive system. Every list and every object is scoped to the "
        "caller's jurisdiction: an object outside it answers 404, exactly like one that does not exist. "
        "Authenticate with `Authorization: Bearer <token>` (issued by `manage.py api_token_create`) or with "
        "the browser session, which needs the `X-CSRFToken` header on POST and PATCH. Errors are "
        '`{"code", "message", "detail"}`; `message` is in the language of `Accept-Language` '
        "(zh-hans or en)."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    parser=JsonParser(),
)


def error_response(request: HttpRequest, status: int, code: str, message: Any, detail: Any = None) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": str(message), "detail": detail}, status=status)


@api.exception_handler(ApplicationError)
def _application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    detail: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", [])]
        if loc[:1] == ["file"]:  # ("file", <field>): an uploaded file's field
            loc = loc[1:]
        loc = [p for p in loc if p not in ("body", "payload", "query", "path", "filters", "form")]
        detail.setdefault(".".join(loc) or "(request)", []).append(pydantic_field_message(err))
    return error_response(request, 422, "invalid", _("The request is not valid."), detail)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "unauthenticated", _("Log in or send a valid API token."))


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(request, 400, "request_too_large", _("The request body is too large."))


@api.exception_handler(RawPostDataException)
def _body_already_read(request: HttpRequest, exc: RawPostDataException) -> HttpResponse:
    # A multipart form sent to an operation that takes a JSON body.
    return error_response(
        request, 400, "unsupported_content_type", _("Send the request body as JSON (application/json).")
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # ninja wraps any failure of the body parser in a 400; say which one it was.
        if isinstance(exc.__cause__, UnsupportedContentType):
            return error_response(
                request, 400, "unsupported_content_type", _("Send the request body as JSON (application/json).")
            )
        if isinstance(exc.__cause__, RequestDataTooBig):
            return _too_large(request, exc.__cause__)
        return error_response(request, 400, "malformed_json", _("The request body is not valid JSON."))
    return error_response(request, exc.status_code, "error", exc.message)


from dandang.archive.api import router as archive_router  # noqa: E402
from dandang.archive.api_import import router as archive_import_router  # noqa: E402
from dandang.org.api import router as org_router  # noqa: E402
from dandang.org.api_import import router as import_router  # noqa: E402
from dandang.tolerance.api import router as tolerance_router  # noqa: E402
from dandang.tolerance.api_clearing import router as clearing_router  # noqa: E402

api.add_router("/", org_router)
api.add_router("/", import_router)
api.add_router("/", archive_router)
api.add_router("/", archive_import_router)
api.add_router("/", clearing_router)
api.add_router("/", tolerance_router)
