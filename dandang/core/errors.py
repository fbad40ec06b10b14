"""One error family for every service; each interface maps it its own way.

Web pages show ``message`` as a form or page error, the API answers ``{"code", "message",
"detail"}`` with ``status``, management commands print the message and exit non-zero.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise


class ApplicationError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str | Promise, *, code: str | None = None, detail: Any = None) -> None:
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.detail = detail

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "detail": self.detail}


class ValidationFailed(ApplicationError):
    """Input that breaks a rule; ``detail`` maps field names to messages."""

    code = "invalid"
    status = 422


class NotFound(ApplicationError):
    """Absent, or outside the viewer's jurisdiction: both look the same to the viewer."""

    code = "not_found"
    status = 404


class PermissionDenied(ApplicationError):
    """Inside the viewer's jurisdiction but their role may not do this."""

    code = "forbidden"
    status = 403


class Conflict(ApplicationError):
    """A stale version or a uniqueness clash."""

    code = "conflict"
    status = 409
