"""Helpers that turn Django model validation and pydantic errors into the one error family, with
messages in the active language."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError as PydanticValidationError

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


# Messages for pydantic's error types, so that field errors too are in the caller's language.
FIELD_MESSAGES: dict[str, Any] = {
    "missing": _("This field is required."),
    "extra_forbidden": _("This field is not allowed here."),
    "int_parsing": _("Enter a whole number."),
    "int_type": _("Enter a whole number."),
    "int_from_float": _("Enter a whole number."),
    "bool_parsing": _("Enter true or false."),
    "bool_type": _("Enter true or false."),
    "string_type": _("Enter text."),
    "date_parsing": _("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": _("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_inexact": _("Enter a date as YYYY-MM-DD."),
    "date_type": _("Enter a date as YYYY-MM-DD."),
    "string_too_short": _("Enter at least %(min_length)s characters."),
    "string_too_long": _("Enter at most %(max_length)s characters."),
    "string_nul": _("Text may not contain the NUL character."),
    "greater_than_equal": _("Enter a number greater than or equal to %(ge)s."),
    "less_than_equal": _("Enter a number less than or equal to %(le)s."),
    "enum": _("Choose one of: %(expected)s."),
    "literal_error": _("Choose one of: %(expected)s."),
    "model_attributes_type": _("Send a JSON object."),
    "dict_type": _("Send a JSON object."),
    "model_type": _("Send a JSON object."),
    "list_type": _("Send a list."),
    "too_long": _("Send at most %(max_length)s items."),
    "decimal_parsing": _("Enter a number."),
    "decimal_type": _("Enter a number."),
    "finite_number": _("Enter a number."),
    "decimal_max_digits": _("Enter a number of at most %(max_digits)s digits."),
    "decimal_max_places": _("Enter at most %(decimal_places)s digits after the decimal point."),
    "decimal_whole_digits": _("Enter at most %(whole_digits)s digits before the decimal point."),
    "greater_than": _("Enter a number greater than %(gt)s."),
    "less_than": _("Enter a number less than %(lt)s."),
}


def pydantic_field_message(err: dict[str, Any]) -> str:
    template = FIELD_MESSAGES.get(str(err.get("type", "")))
    if template is None:
        return str(err.get("msg", ""))
    try:
        return str(template) % dict(err.get("ctx") or {})
    except (KeyError, TypeError, ValueError):
        return str(err.get("msg", ""))


def pydantic_problems(
    exc: PydanticValidationError, prefix: str = "", *, translated: bool = True
) -> list[tuple[str, str]]:
    """Every error of ``exc`` as ``(key path, message)``; the path is dotted and starts with
    ``prefix``, "(document)" for the whole document.  ``translated``: the message in the active
    language (else pydantic's own English, for start-up errors read by operators)."""
    out = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"])
        message = pydantic_field_message(dict(err)) if translated else str(err["msg"])
        out.append((f"{prefix}{key}" if key else prefix.rstrip(".") or "(document)", message))
    return out
