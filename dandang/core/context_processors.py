from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from dandang.core.notifications import inbox_unread_count


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {"inbox_unread": inbox_unread_count(user) if user is not None else 0}
