"""The lease on running tasks: what a dead worker held goes back to the queue, or fails after
too many lost workers; nothing else is touched.  (The fault drill tests/drills/
test_task_worker_killed.py kills a real worker.)"""

import datetime as dt
import signal

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from dandang.core.task_reaper import WorkerLost, tasks_reap_stale

pytestmark = pytest.mark.django_db

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
LEASE = dt.timedelta(minutes=15)


@task()
def drill_task() -> int:
    return 42


@pytest.fixture
def worker_signals():
    """db_worker installs its own SIGINT/SIGTERM handlers; give pytest its own back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def task(*, status=TaskResultStatus.RUNNING, claimed_ago=None, workers=1):
    """A task as the database backend stores it, claimed by ``workers`` workers in turn."""
    with override_settings(TASKS=DATABASE_BACKEND):
        row = DBTaskResult.objects.get(id=drill_task.enqueue().id)
    for n in range(workers):
        row.claim(f"worker-{n + 1}")
    if claimed_ago is not None:
        DBTaskResult.objects.filter(id=row.id).update(started_at=timezone.now() - claimed_ago)
    if status != TaskResultStatus.RUNNING:
        DBTaskResult.objects.filter(id=row.id).update(status=status)
    row.refresh_from_db()
    return row


def states():
    return {r.id: (r.status, r.worker_ids, r.finished_at) for r in DBTaskResult.objects.all()}


def test_a_task_running_past_its_lease_returns_to_the_queue():
    stale = task(claimed_ago=LEASE + dt.timedelta(seconds=1))
    fresh = task(claimed_ago=LEASE - dt.timedelta(seconds=5))
    done = task(status=TaskResultStatus.SUCCESSFUL, claimed_ago=LEASE * 2)
    failed = task(status=TaskResultStatus.FAILED, claimed_ago=LEASE * 2)
    waiting = task(workers=0)
    before = states()

    result = tasks_reap_stale(older_than=LEASE)
    assert (result.requeued, result.failed) == (1, 0)
    after = states()
    assert after[stale.id] == (TaskResultStatus.READY, ["worker-1"], None)
    # Everything else is as it was.
    for other in (fresh, done, failed, waiting):
        assert after[other.id] == before[other.id]
    # The queue offers it again, and a second pass finds nothing more to do.
    assert set(DBTaskResult.objects.ready().values_list("id", flat=True)) == {stale.id, waiting.id}
    result = tasks_reap_stale(older_than=LEASE)
    assert (result.requeued, result.failed) == (0, 0)


def test_the_counts_returned():
    task(claimed_ago=LEASE * 2)
    task(claimed_ago=LEASE * 2, workers=2)
    task(claimed_ago=LEASE * 2, workers=3)
    result = tasks_reap_stale(older_than=LEASE, max_attempts=3)
    assert (result.requeued, result.failed) == (2, 1)


def test_after_max_attempts_lost_workers_the_task_fails_instead():
    twice = task(claimed_ago=LEASE * 2, workers=2)
    thrice = task(claimed_ago=LEASE * 2, workers=3)
    with override_settings(DANDANG_TASK_MAX_ATTEMPTS=3):
        tasks_reap_stale(older_than=LEASE)
    twice.refresh_from_db()
    thrice.refresh_from_db()
    assert twice.status == TaskResultStatus.READY
    assert thrice.status == TaskResultStatus.FAILED
    assert thrice.finished_at is not None
    [error] = thrice.task_result.errors
    assert error.exception_class is WorkerLost
    assert "3 time(s)" in error.traceback


def test_max_attempts_must_be_positive():
    with pytest.raises(ValueError):
        tasks_reap_stale(older_than=LEASE, max_attempts=0)


@pytest.mark.django_db(transaction=True)
def test_the_reaped_task_runs_again_to_the_end(worker_signals):
    """Back in the queue, the next worker runs it: it succeeds, with both workers on record.  The
    worker closes its connection between tasks, so the test commits for real."""
    stale = task(claimed_ago=LEASE * 2)
    tasks_reap_stale(older_than=LEASE)
    with override_settings(TASKS=DATABASE_BACKEND):
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--worker-id", "w2", verbosity=0)
    stale.refresh_from_db()
    assert stale.status == TaskResultStatus.SUCCESSFUL
    assert stale.return_value == 42
    assert stale.worker_ids == ["worker-1", "w2"]


def test_the_command_uses_the_lease_setting_or_its_option(capsys):
    stale = task(claimed_ago=dt.timedelta(seconds=120))
    with override_settings(DANDANG_TASK_LEASE_SECONDS=900):
        call_command("tasks_reap")
    assert "tasks returned to the queue: 0; marked failed: 0" in capsys.readouterr().out
    stale.refresh_from_db()
    assert stale.status == TaskResultStatus.RUNNING
    call_command("tasks_reap", "--older-than", "60")
    assert "tasks returned to the queue: 1; marked failed: 0" in capsys.readouterr().out
    stale.refresh_from_db()
    assert stale.status == TaskResultStatus.READY
    with pytest.raises(CommandError):
        call_command("tasks_reap", "--older-than", "-1")


def test_run_periodic_tasks_reaps_first(capsys):
    stale = task(claimed_ago=dt.timedelta(hours=1))
    with override_settings(TASKS=DATABASE_BACKEND, DANDANG_TASK_LEASE_SECONDS=900):
        call_command("run_periodic_tasks")
    out = capsys.readouterr().out
    assert "tasks returned to the queue: 1; marked failed: 0" in out
    assert "enqueued dandang.org.tasks.holiday_table_check" in out
    stale.refresh_from_db()
    assert stale.status == TaskResultStatus.READY
