"""Return the tasks of dead workers to the queue (dandang.core.task_reaper).

Run it every few minutes from cron or a systemd timer, beside ``manage.py db_worker``::

    */5 * * * *  cd /srv/dandang && .venv/bin/python manage.py tasks_reap

A task still marked running ``settings.DANDANG_TASK_LEASE_SECONDS`` after a worker claimed it is
made ready again (or failed, after ``DANDANG_TASK_MAX_ATTEMPTS`` claims).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dandang.core.task_reaper import tasks_reap_stale


class Command(BaseCommand):
    help = "Return tasks left running by a dead worker to the queue (older than the task lease)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=None,
            metavar="SECONDS",
            help="the lease: reap tasks claimed longer ago than this (default DANDANG_TASK_LEASE_SECONDS)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seconds = options["older_than"]
        if seconds is None:
            seconds = settings.DANDANG_TASK_LEASE_SECONDS
        if seconds < 0:
            raise CommandError("--older-than must be zero or more seconds")
        result = tasks_reap_stale(older_than=timedelta(seconds=seconds))
        self.stdout.write(f"tasks returned to the queue: {result.requeued}; marked failed: {result.failed}")
