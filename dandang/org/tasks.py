"""Background tasks of the ``org`` app (django-tasks; run by ``manage.py db_worker``).

Periodic ones are listed in ``settings.DANDANG_PERIODIC_TASKS`` and enqueued daily by
``manage.py run_periodic_tasks``; each is idempotent.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from dandang.org.calendar_admin import holiday_table_reminders_send


@task()
def holiday_table_check(today: str = "") -> int:
    """Remind the staff who keep the holiday table when next year's is missing (from December
    1st).  ``today`` (ISO date) is for tests and back-fills; empty means today."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    return holiday_table_reminders_send(today=day)
