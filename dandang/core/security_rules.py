"""The ``security`` rulebook: login lockout and password length.

Settings point django-axes and the password validators here (``AXES_FAILURE_LIMIT``,
``AXES_COOLOFF_TIME``, ``AUTH_PASSWORD_VALIDATORS``), so the numbers live in the rulebook, not in
code, and a deployment-wide override published by the security administrator takes effect without
a restart.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.password_validation import MinimumLengthValidator
from pydantic import BaseModel, ConfigDict, Field

from dandang.core.rulebooks import rulebook_effective


class LoginLockout(BaseModel):
    model_config = ConfigDict(extra="forbid")

    failure_limit: int = Field(ge=1, le=100)
    cooloff_minutes: int = Field(ge=1, le=7 * 24 * 60)


class PasswordRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_length: int = Field(ge=8, le=128)


class SecurityRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login_lockout: LoginLockout
    password: PasswordRules


def security_rules() -> SecurityRules:
    """The deployment-wide rules in force (security is not set per jurisdiction)."""
    rules: SecurityRules = rulebook_effective("security").content
    return rules


def login_failure_limit(request: Any = None, credentials: Any = None) -> int:
    """``AXES_FAILURE_LIMIT``: failed logins before the username is locked from that address."""
    return security_rules().login_lockout.failure_limit


def login_cooloff(request: Any = None) -> dt.timedelta:
    """``AXES_COOLOFF_TIME``: how long a lockout lasts."""
    return dt.timedelta(minutes=security_rules().login_lockout.cooloff_minutes)


class RulebookMinimumLengthValidator(MinimumLengthValidator):
    """Django's minimum-length check with the length read from the rulebook when used."""

    def __init__(self) -> None:  # the length is not a setting
        pass

    @property
    def min_length(self) -> int:  # type: ignore[override]
        return security_rules().password.min_length
