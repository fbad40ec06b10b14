"""Web pages map the one error family (dandang.core.errors) to error pages.

The API maps it its own way (JSON ``{"code", "message", "detail"}``), so API paths are left alone.
An object outside the viewer's jurisdiction raises NotFound and becomes the same 404 page as an
object that does not exist.

:func:`server_error` (``handler500``) answers an unhandled error; when it is the database that is
unreachable (restarting, failing over, out of connections) it is a clean 503 page — or the API's
JSON error — saying to try again, rendered without touching the database.  Django reconnects by
itself on a later request (``conn_health_checks``); the fault drill
``tests/drills/test_postgres_restart.py`` restarts PostgreSQL under load.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import defaults

from dandang.core.errors import ApplicationError, NotFound, PermissionDenied


class ApplicationErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ApplicationError) or request.path.startswith("/api/"):
            return None
        if isinstance(exception, NotFound):
            template, status = "404.html", 404
        elif isinstance(exception, PermissionDenied):
            template, status = "403.html", 403
        else:
            # Conflicts (409) and refused input (422) keep their status on the generic error page.
            template = "400.html"
            status = exception.status if 400 <= exception.status < 500 else 400
        context = {"message": exception.message, "detail": _flat_detail(exception.detail)}
        return render(request, template, context, status=status)


def _flat_detail(detail: object) -> list[str]:
    """``{field: [messages]}`` (or a list, or a string) as lines to show under the message."""
    if not detail:
        return []
    if isinstance(detail, dict):
        lines: list[str] = []
        for field, messages in detail.items():
            items = messages if isinstance(messages, list | tuple) else [messages]
            lines.extend(f"{field}: {m}" for m in items)
        return lines
    if isinstance(detail, list | tuple):
        return [str(d) for d in detail]
    return [str(detail)]


# Errors of a database that cannot be reached or dropped the connection: worth retrying.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = "10"


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: Django calls it while handling the exception, so ``sys.exc_info()`` names it
    — whether it came from a view or from a middleware (the session is read before any view)."""
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_UNAVAILABLE):
        return database_unavailable(request)
    return defaults.server_error(request)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 without a database: no context processors, no session, the language from the cookie or
    ``Accept-Language`` (the user's saved choice needs the database)."""
    with translation.override(translation.get_language_from_request(request)):
        if request.path.startswith("/api/"):
            message = _("The database is unavailable for a moment. Try again shortly.")
            response: HttpResponse = JsonResponse(
                {"code": "database_unavailable", "message": message, "detail": None}, status=503
            )
        else:
            response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = RETRY_AFTER_SECONDS
    return response
