"""Helpers that turn Django model validation into the one error family."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from dandang.core.errors import ValidationFailed


def clean_or_fail(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """``full_clean`` the instance; on failure raise :class:`ValidationFailed` whose detail maps
    each field to its messages in the active language."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        detail: dict[str, list[str]] = {
            field: [str(m) for m in messages] for field, messages in exc.message_dict.items()
        }
        raise ValidationFailed(_("Some fields are not valid."), detail=detail) from None


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """The values of ``fields`` for an audit event's before/after."""
    out: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        out[name] = getattr(instance, getattr(field, "attname", name))
    return out
