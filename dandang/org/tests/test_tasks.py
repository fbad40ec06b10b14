"""The holiday-table reminder: from December 1st, every user who may publish the table gets one
to-do per missing year, once."""

import datetime as dt
import signal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from dandang.core.calendar import holiday_year_publish, package_years
from dandang.core.models import Notification
from dandang.org import services
from dandang.org.calendar_admin import holiday_table_publishers, holiday_years_missing
from dandang.org.roles import Role
from dandang.org.tasks import holiday_table_check

pytestmark = pytest.mark.django_db

D = dt.date
DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def _2027_uncovered():
    assert 2027 not in package_years(), "chinese-calendar now covers 2027: move these tests to the next year"


@pytest.fixture
def worker_signals():
    """db_worker installs its own SIGINT/SIGTERM handlers; give pytest its own back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def reminders():
    return list(Notification.objects.filter(message="holidays_missing").order_by("user__username"))


def test_who_is_reminded(world):
    # Organization-department staff of a top-level organization (the city) only: not county staff,
    # not other roles at the top, not a revoked grant.
    other = services.user_create(actor=None, username="care_city", password=None)
    services.role_grant_create(actor=None, user=other, role=Role.CARE_OFFICER, organization=world.orgs["city"])
    former = services.user_create(actor=None, username="former_city", password=None)
    grant = services.role_grant_create(actor=None, user=former, role=Role.ORG_STAFF, organization=world.orgs["city"])
    services.role_grant_update(actor=None, grant=grant, revoke=True)
    assert [u.username for u in holiday_table_publishers()] == ["staff_city"]


def test_missing_years_from_december_first():
    assert holiday_years_missing(D(2026, 11, 30)) == []
    assert holiday_years_missing(D(2026, 12, 1)) == [2027]
    assert holiday_years_missing(D(2027, 3, 1)) == [2027]  # the year has begun without its table
    holiday_year_publish(actor=None, year=2027, holidays=[D(2027, 1, 1)], workdays=[], source="test")
    assert holiday_years_missing(D(2026, 12, 1)) == []


def test_nothing_before_december(world):
    result = holiday_table_check.enqueue("2026-11-30")
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 0
    assert reminders() == []


def test_from_december_first_a_todo_once(world):
    result = holiday_table_check.enqueue("2026-12-01")
    assert result.status == TaskResultStatus.SUCCESSFUL and result.return_value == 1
    [note] = reminders()
    assert note.user == world.user("staff_city")
    assert note.kind == Notification.Kind.TODO
    assert note.params == {"year": 2027}
    assert note.link == "/holidays/"
    assert note.due_date == D(2026, 12, 31)
    assert note.dedupe_key == "holidays_missing:2027"
    # Idempotent: the next days deliver nothing new.
    assert holiday_table_check.enqueue("2026-12-02").return_value == 0
    assert holiday_table_check.enqueue("2026-12-15").return_value == 0
    assert len(reminders()) == 1


def test_a_new_publisher_is_reminded_on_the_next_run(world):
    holiday_table_check.enqueue("2026-12-01")
    newcomer = services.user_create(actor=None, username="staff_city2", password=None)
    services.role_grant_create(actor=None, user=newcomer, role=Role.ORG_STAFF, organization=world.orgs["city"])
    assert holiday_table_check.enqueue("2026-12-02").return_value == 1
    assert [n.user.username for n in reminders()] == ["staff_city", "staff_city2"]


def test_no_reminder_once_the_table_is_published(world):
    holiday_year_publish(actor=None, year=2027, holidays=[D(2027, 1, 1)], workdays=[], source="test")
    assert holiday_table_check.enqueue("2026-12-01").return_value == 0
    assert reminders() == []


@pytest.mark.django_db(transaction=True)
def test_through_the_database_backend_and_db_worker(world, worker_signals):
    """The worker closes and reopens its connection between tasks, as in production: the test
    commits for real (transactional database) so that nothing is lost when it does."""
    with override_settings(TASKS=DATABASE_BACKEND):
        result = holiday_table_check.enqueue("2026-12-01")
        row = DBTaskResult.objects.get(id=result.id)
        assert row.status == TaskResultStatus.READY
        assert row.task_path == "dandang.org.tasks.holiday_table_check"
        assert reminders() == []  # nothing happens until a worker runs it
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
        result.refresh()
        assert result.status == TaskResultStatus.SUCCESSFUL
        assert result.return_value == 1
        assert [n.user.username for n in reminders()] == ["staff_city"]
        # Run again: idempotent.
        holiday_table_check.enqueue("2026-12-01")
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
        assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == 2
        assert len(reminders()) == 1


def test_run_periodic_tasks_enqueues_the_reminder(world, capsys):
    with override_settings(TASKS=DATABASE_BACKEND):
        call_command("run_periodic_tasks")
        # Every periodic task of the settings is enqueued (later apps add their own).
        paths = sorted(DBTaskResult.objects.values_list("task_path", flat=True))
        assert paths == sorted(settings.DANDANG_PERIODIC_TASKS)
        [row] = DBTaskResult.objects.filter(task_path="dandang.org.tasks.holiday_table_check")
        assert row.status == TaskResultStatus.READY
    assert "enqueued dandang.org.tasks.holiday_table_check" in capsys.readouterr().out


# --- roster_import_task: a stored roster file imported in the background ----------------------


@pytest.fixture
def stored_roster(tmp_path):
    from dandang.org.tests.import_files import good_rows, roster_xlsx

    store = tmp_path / "imports"
    store.mkdir()
    (store / "roster.xlsx").write_bytes(roster_xlsx(**good_rows()))
    with override_settings(MEDIA_ROOT=tmp_path):
        yield "roster.xlsx"


def roster_rows():
    from dandang.core.models import AuditEvent
    from dandang.org.models import Cadre, Organization, Post, Tenure

    return [m.objects.count() for m in (Organization, Post, Cadre, Tenure, AuditEvent)]


def test_roster_import_task_imports_a_stored_file_once(world, stored_roster):
    from dandang.org.tasks import roster_import_task

    before = roster_rows()
    result = roster_import_task.enqueue(stored_roster, "staff_a")
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {
        "counts": {"organizations": 3, "posts": 3, "cadres": 2, "tenures": 3},
        "error_count": 0,
        "errors": [],
    }
    written = roster_rows()
    assert written == [before[0] + 3, before[1] + 3, before[2] + 2, before[3] + 3, before[4] + 1]

    # Idempotent: run again (a duplicate delivery, a retry after a lost worker), it refuses the file.
    again = roster_import_task.enqueue(stored_roster, "staff_a")
    assert again.status == TaskResultStatus.SUCCESSFUL
    assert again.return_value["counts"] == {}
    assert again.return_value["error_count"] == len(again.return_value["errors"]) > 0
    assert roster_rows() == written


def test_roster_import_task_respects_the_importer_jurisdiction(world, stored_roster):
    from dandang.org.tasks import roster_import_task

    before = roster_rows()
    result = roster_import_task.enqueue(stored_roster, "staff_b")  # the file is county A's
    assert result.return_value["counts"] == {}
    assert result.return_value["error_count"] > 0
    assert roster_rows() == before


@pytest.mark.parametrize("name", ["../roster.xlsx", "/etc/passwd", "", "missing.xlsx"])
def test_roster_import_task_reads_only_the_store(world, stored_roster, name):
    from dandang.org.tasks import roster_import_task

    before = roster_rows()
    result = roster_import_task.enqueue(name)
    assert result.status == TaskResultStatus.FAILED
    assert roster_rows() == before
