"""Keeping the national holiday table up to date (DESIGN.md "Cases": staff extend the holiday
table each December from the State Council's schedule).

At the services level of ``org`` because the right to publish depends on role grants, which
``core`` cannot see: only organization-department staff holding the rulebook-publishing
capability over a top-level organization (one without a parent) may publish the table that the
whole deployment uses.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dandang.core.calendar import holiday_table, holiday_year_publish
from dandang.core.errors import PermissionDenied
from dandang.core.models import Notification, PublishedRulebook
from dandang.core.notifications import notification_send
from dandang.org.models import User
from dandang.org.roles import Cap, roles_with
from dandang.org.selectors import viewer_grants

# The State Council publishes the next year's schedule in the autumn; from this day on a missing
# table is a to-do for the staff who keep it.
REMINDER_FROM = (12, 1)


def holiday_table_may_publish(viewer: Any) -> bool:
    """Whether ``viewer`` may publish the national holiday table."""
    allowed = roles_with(Cap.RULEBOOK_PUBLISH)
    return any(g.role in allowed and g.organization.parent_id is None for g in viewer_grants(viewer))


def holiday_table_publishers() -> QuerySet[User]:
    """System-level: the active users who may publish the table (called from the reminder job)."""
    return (
        User.objects.filter(
            is_active=True,
            grants__role__in=roles_with(Cap.RULEBOOK_PUBLISH),
            grants__revoked_at__isnull=True,
            grants__organization__parent__isnull=True,
        )
        .distinct()
        .order_by("pk")
    )


@transaction.atomic
def holiday_table_publish(
    *, actor: User | None, year: int, holidays: list[dt.date], workdays: list[dt.date], source: str
) -> PublishedRulebook:
    """Publish one year of public holidays and adjusted working days (a new version of the
    ``calendar`` rulebook, audited).  ``actor`` None is the system (the command line)."""
    if actor is not None and not holiday_table_may_publish(actor):
        raise PermissionDenied(
            _("Only organization-department staff of a top-level organization may publish the holiday table.")
        )
    row: PublishedRulebook = holiday_year_publish(
        actor=actor, year=year, holidays=holidays, workdays=workdays, source=source
    )
    return row


def holiday_years_missing(today: dt.date) -> list[int]:
    """The years that need a table now: this year if it is missing, and from December 1st the
    coming year."""
    covered = holiday_table().years
    wanted = [today.year]
    if (today.month, today.day) >= REMINDER_FROM:
        wanted.append(today.year + 1)
    return [year for year in wanted if year not in covered]


def holiday_table_reminders_send(*, today: dt.date) -> int:
    """Put a to-do in the inbox of every user who may publish the table, once per year missing
    (the deduplication key makes a second run deliver nothing).  Returns how many were delivered."""
    delivered = 0
    years = holiday_years_missing(today)
    if not years:
        return 0
    link = reverse("org:holidays")
    for user in holiday_table_publishers():
        for year in years:
            due = dt.date(year - 1, 12, 31)
            note = notification_send(
                user=user,
                kind=Notification.Kind.TODO,
                message="holidays_missing",
                params={"year": year},
                link=link,
                due_date=due if due >= today else None,
                dedupe_key=f"holidays_missing:{year}",
            )
            delivered += note is not None
    return delivered
