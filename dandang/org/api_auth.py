"""API authentication: a bearer token, or the browser session (with CSRF on unsafe methods).

Both raise errors of our own family, so that the API answers them in its one error shape:
a bearer token that is unknown or revoked is a 401 at once (it never falls back to the session),
and a session request whose CSRF check fails is a 403 ``csrf_failed``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from dandang.core.errors import PermissionDenied
from dandang.org import selectors


class TokenAuth(HttpBearer):
    """``Authorization: Bearer dd_…`` — a token issued with ``manage.py api_token_create``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = selectors.api_token_user(token)
        if user is None:
            raise AuthenticationError()
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The logged-in browser session.  Unsafe methods need the CSRF token (``X-CSRFToken``
    header), as every form and htmx request of the site does."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False):
            if not (request.content_type or "").startswith("multipart/"):
                # Keep the raw body readable for the JSON payload: the CSRF check parses form bodies.
                # (A multipart body is left to stream; a JSON operation answers it 400.)
                request.body  # noqa: B018
            if check_csrf(request) is not None:
                raise PermissionDenied(_("The CSRF check failed: reload the page and try again."), code="csrf_failed")
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover - __call__ decides
        return None
