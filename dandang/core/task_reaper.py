"""A lease on running background tasks: what a dead worker held goes back to the queue.

django-tasks' database backend marks a task RUNNING when a worker claims it, and only that worker
ever marks it finished.  A worker killed mid-task (out of memory, SIGKILL, a host reboot) leaves
its task RUNNING for ever, and no other worker takes it.  The backend keeps no heartbeat, so the
lease is the claim time: a task still RUNNING ``older_than`` after its last claim is presumed
abandoned and made READY again; once it has been claimed ``max_attempts`` times it is marked
FAILED instead (:class:`WorkerLost`), so that a task which kills its worker every time does not
loop for ever.

Two consequences, which every task must respect:

* the lease (``settings.DANDANG_TASK_LEASE_SECONDS``) must be longer than the longest task,
  or a slow but living worker's task runs a second time beside it;
* every task is idempotent — running it again after a crash has no further effect — because the
  crash may come after the task's own transaction committed and before the worker recorded the
  result (``dandang.org.tasks`` says how each one is).

``manage.py tasks_reap`` runs this (every few minutes from cron); ``run_periodic_tasks`` runs it
too.  The fault drill ``tests/drills/test_task_worker_killed.py`` kills a worker mid-job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)


class WorkerLost(Exception):
    """Recorded on a task whose worker died with it ``max_attempts`` times."""


@dataclass(frozen=True)
class ReapResult:
    requeued: int
    failed: int


def task_lease() -> timedelta:
    return timedelta(seconds=settings.DANDANG_TASK_LEASE_SECONDS)


@transaction.atomic
def tasks_reap_stale(*, older_than: timedelta, max_attempts: int | None = None) -> ReapResult:
    """Return every task RUNNING for longer than ``older_than`` since its last claim to READY, or
    mark it FAILED once it has been claimed ``max_attempts`` times (default
    ``settings.DANDANG_TASK_MAX_ATTEMPTS``).  Two set-based updates; a task its worker finishes
    meanwhile is no longer RUNNING and is left alone."""
    attempts = max_attempts if max_attempts is not None else settings.DANDANG_TASK_MAX_ATTEMPTS
    if attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    now = timezone.now()
    stale = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=now - older_than)
    # worker_ids lists one id per claim: an element at index attempts-1 means `attempts` claims.
    exhausted = stale.filter(**{f"worker_ids__{attempts - 1}__isnull": False})
    failed_ids = list(exhausted.values_list("id", flat=True))
    failed = exhausted.filter(id__in=failed_ids).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        return_value=None,
        exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
        traceback=f"WorkerLost: the worker died while running this task, {attempts} time(s); it is not retried.\n",
    )
    requeued_ids = list(stale.values_list("id", flat=True))
    requeued = stale.filter(id__in=requeued_ids).update(status=TaskResultStatus.READY)
    if requeued:
        logger.warning("returned %d abandoned task(s) to the queue: %s", requeued, ", ".join(map(str, requeued_ids)))
    if failed:
        logger.error(
            "marked %d task(s) failed after %d lost workers: %s", failed, attempts, ", ".join(map(str, failed_ids))
        )
    return ReapResult(requeued=requeued, failed=failed)
