"""Project-wide pytest configuration."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        # PostgreSQL-only tests are deselected in the SQLite run (never skipped).
        selected, deselected = [], []
        for item in items:
            (deselected if item.get_closest_marker("postgres_only") else selected).append(item)
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = selected


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Under CI a skipped test fails the run: nothing may be skipped.
    if os.environ.get("CI", "").lower() == "true":
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
        if skipped and session.exitstatus == 0:
            session.exitstatus = 1
            if reporter:
                reporter.write_line(f"CI=true: {skipped} skipped test(s) fail the run", red=True)


@pytest.fixture(autouse=True)
def _deployment_language() -> Iterator[None]:
    """Every test starts in the deployment's default language (settings.LANGUAGE_CODE), whatever
    an earlier test in the same worker left active; a test that reads English says so with
    ``translation.override("en")``."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The fixture world built once for a test module, in a transaction rolled back at the end of
    the module.  A module opts in with ``pytest.mark.usefixtures("shared_world")`` in its
    ``pytestmark``: every test of the module then runs in a savepoint of that transaction (the
    ``db`` fixture), rolled back after the test, and ``world`` gives each test the world re-read
    from the database (fresh objects, no state cached on them by an earlier test).  Not for
    modules with transactional tests: they need real commits."""
    from dandang.testing import build_world, built_for_module

    yield from built_for_module(django_db_blocker, build_world)


def _transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server", "django_db_reset_sequences"} & set(request.fixturenames)
    )


@pytest.fixture
def world(request, db):  # type: ignore[no-untyped-def]
    from dandang.testing import build_world

    if "shared_world" in request.fixturenames:
        if _transactional(request):
            raise RuntimeError("a transactional test cannot use the shared world: it needs real commits")
        return request.getfixturevalue("shared_world").reloaded()
    return build_world()
