import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings


def test_run_periodic_tasks_refuses_what_is_not_a_task():
    with override_settings(DANDANG_PERIODIC_TASKS=["dandang.core.nowhere.task"]), pytest.raises(CommandError) as exc:
        call_command("run_periodic_tasks")
    assert "cannot import periodic task dandang.core.nowhere.task" in str(exc.value)
    not_a_task = ["dandang.core.rulebooks.rulebook_publish"]
    with override_settings(DANDANG_PERIODIC_TASKS=not_a_task), pytest.raises(CommandError, match="is not a task"):
        call_command("run_periodic_tasks")


def test_every_periodic_task_is_a_task():
    from django.conf import settings
    from django.utils.module_loading import import_string
    from django_tasks.base import Task

    assert settings.DANDANG_PERIODIC_TASKS
    for path in settings.DANDANG_PERIODIC_TASKS:
        assert isinstance(import_string(path), Task), path
