"""Enqueue the periodic background tasks (django-tasks has no scheduler of its own).

Run it once a day from cron or a systemd timer, for example::

    15 2 * * *  cd /srv/dandang && .venv/bin/python manage.py run_periodic_tasks

``manage.py db_worker`` then executes what was enqueued.  Every periodic task is idempotent, so
running this command more often, or twice, does no harm.  First it returns the tasks of dead
workers to the queue (``tasks_reap``, which should also run every few minutes on its own).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from dandang.core.task_reaper import task_lease, tasks_reap_stale


class Command(BaseCommand):
    help = "Enqueue the periodic tasks of settings.DANDANG_PERIODIC_TASKS (run daily from cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        tasks = []
        for path in settings.DANDANG_PERIODIC_TASKS:
            try:
                task = import_string(path)
            except ImportError as exc:
                raise CommandError(f"cannot import periodic task {path}: {exc}") from None
            if not hasattr(task, "enqueue"):
                raise CommandError(f"{path} is not a task (decorate it with django_tasks.task)")
            tasks.append((path, task))
        reaped = tasks_reap_stale(older_than=task_lease())
        if reaped.requeued or reaped.failed:
            self.stdout.write(f"tasks returned to the queue: {reaped.requeued}; marked failed: {reaped.failed}")
        for path, task in tasks:
            result = task.enqueue()
            self.stdout.write(f"enqueued {path} ({result.id})")
