"""Template filters of the archive's pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def exact(value: Any) -> str:
    """A decimal as typed, without trailing zeros or exponent ("60.0000" → "60"); "—" when empty."""
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


@register.filter
def label_of(labels: dict[str, Any], code: str) -> Any:
    """``labels[code]``, or the code itself when the rulebook does not name it."""
    return labels.get(code, code) if isinstance(labels, dict) else code
