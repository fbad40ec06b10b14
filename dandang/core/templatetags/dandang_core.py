"""Template filters shared by every app's pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from dandang.core.workdays import DayCount, Deadline

register = template.Library()


@register.filter
def deadline_display(value: Any) -> SafeString | str:
    """A deadline as a date in the reader's format; a provisional one (it depends on a year the
    holiday table does not cover yet) is marked "(provisional)".  ``{{ case.due|deadline_display }}``"""
    if isinstance(value, Deadline):
        text = date_format(value.date, "DATE_FORMAT")
        provisional = value.provisional
    elif isinstance(value, dt.date):
        return date_format(value, "DATE_FORMAT")
    elif isinstance(value, DayCount):
        text, provisional = str(value.days), value.provisional
    else:
        return "" if value is None else str(value)
    if not provisional:
        return text
    return format_html(
        '{} <span class="provisional" title="{}">{}</span>',
        text,
        _("Computed on weekends only: the holiday table does not cover this year yet."),
        _("(provisional)"),
    )
