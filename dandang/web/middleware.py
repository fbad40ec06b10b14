"""Web pages map the one error family (dandang.core.errors) to error pages.

The API maps it its own way (JSON ``{"code", "message", "detail"}``), so API paths are left alone.
An object outside the viewer's jurisdiction raises NotFound and becomes the same 404 page as an
object that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

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
