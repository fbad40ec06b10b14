"""Language preference and Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

# Everything is served by the application itself (no CDN): scripts, styles and fonts from self.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class UserLanguageMiddleware:
    """A logged-in user's chosen language wins over the browser's Accept-Language.  Runs before
    LocaleMiddleware, which reads the language cookie we set here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        language = request.session.get("dandang_language") if hasattr(request, "session") else None
        if language and translation.check_for_language(language):
            request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = language
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", CSP)
        return response
