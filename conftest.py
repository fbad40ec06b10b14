"""Project-wide pytest configuration."""

from __future__ import annotations

import os

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


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    from dandang.testing import build_world

    return build_world()
