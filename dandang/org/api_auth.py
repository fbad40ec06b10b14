"""API authentication: a session (with CSRF on writes) or a bearer token."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from dandang.org.models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        row = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=ApiToken.hash_key(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        request.user = row.user
        return row.user


class SessionAuth(NinjaSessionAuth):
    pass
