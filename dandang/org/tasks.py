"""Background tasks of the ``org`` app (django-tasks; run by ``manage.py db_worker``).

Periodic ones are listed in ``settings.DANDANG_PERIODIC_TASKS`` and enqueued daily by
``manage.py run_periodic_tasks``.  Every task is idempotent — a worker killed mid-task has its task
run again (``dandang.core.task_reaper``), and running it twice must change nothing more.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from dandang.org.calendar_admin import holiday_table_reminders_send
from dandang.org.importing import roster_import
from dandang.org.selectors import user_by_username

# Stored roster files wait here (under MEDIA_ROOT) for roster_import_task.
IMPORT_STORE = "imports"
ERRORS_RETURNED = 500  # a task result holds the first errors only; the rest are counted


@task()
def holiday_table_check(today: str = "") -> int:
    """Remind the staff who keep the holiday table when next year's is missing (from December
    1st).  ``today`` (ISO date) is for tests and back-fills; empty means today.  Idempotent: one
    reminder per user and missing year."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    return holiday_table_reminders_send(today=day)


def import_store() -> Path:
    return Path(settings.MEDIA_ROOT) / IMPORT_STORE


@task()
def roster_import_task(name: str, username: str = "", sheet: str = "") -> dict[str, Any]:
    """Import the roster file ``name`` stored in :func:`import_store`, as ``username`` (empty: the
    system), with the same checks as the page, the API and ``import_roster`` — for files too large
    to check and write within a web request.

    Idempotent: the import writes all or nothing in one transaction, and a file already written
    is refused as a whole on a second run (every code and ID number it holds is registered), so a
    run repeated after a crash writes nothing twice.  Returns the rows written per kind, or the
    errors (the first :data:`ERRORS_RETURNED`) and their count; a file that cannot be read fails
    the task."""
    if not name or Path(name).name != name:
        raise ValueError(f"a file name in the import store is expected, not {name!r}")
    data = (import_store() / name).read_bytes()
    actor = user_by_username(username) if username else None
    result = roster_import(actor=actor, filename=name, data=data, sheet=sheet or None)
    return {
        "counts": result.counts,
        "error_count": len(result.errors),
        "errors": [error.as_dict() for error in result.errors[:ERRORS_RETURNED]],
    }
