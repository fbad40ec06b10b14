"""Small template helpers for the web shell."""

from __future__ import annotations

import datetime as dt

from django import template

register = template.Library()


@register.filter
def minutes(value: dt.timedelta | None) -> int:
    """A duration in whole minutes, rounded up (a lockout of 29.5 minutes reads "30")."""
    if not isinstance(value, dt.timedelta):
        return 0
    seconds = int(value.total_seconds())
    return -(-seconds // 60)
