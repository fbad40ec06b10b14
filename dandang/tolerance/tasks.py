"""Background tasks of the tolerance app (django-tasks).  Periodic ones are listed in
``settings.DANDANG_PERIODIC_TASKS`` and enqueued daily by ``manage.py run_periodic_tasks``; each
is idempotent (a task run again after a crash delivers nothing twice)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from dandang.tolerance.services import tolerance_reminders_send


@task()
def tolerance_reminders(today: str = "") -> int:
    """Remind the people an overdue tolerance case or correction item waits for.  ``today`` (ISO
    date) is for tests and back-fills; empty means today.  One reminder per person, step and
    deadline."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    return tolerance_reminders_send(today=day)
