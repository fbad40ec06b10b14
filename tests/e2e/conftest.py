"""Browser end-to-end tests: pytest-playwright driving Debian's Chromium against ``live_server``.

Every test here runs on PostgreSQL only (marked ``postgres_only`` and ``browser``).  Pages open in a
Chinese browser (``zh-CN``) unless a test asks otherwise with
``@pytest.mark.browser_context_args(locale="en-US")``.  When a test fails, the page it left behind is
saved as ``artifacts/e2e/<test-name>.png`` and ``.html``.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Model
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

# Playwright's sync API runs an asyncio event loop in the test thread; Django's ORM would refuse to
# run in it ("You cannot call this from an async context").  The tests never touch the database
# from a coroutine, so the check is switched off for this directory.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# A test's steps wait at most this long for the page (the machine is shared and may be slow).
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)

REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    # Never `playwright install` (it cannot download here): Debian's chromium package.
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    # Relative addresses (page.goto("/orgs/")) go to this worker's live server.
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "zh-CN"}  # a Chinese browser unless a test says otherwise


@pytest.fixture
def new_page(new_context: Callable[..., BrowserContext]) -> Callable[..., Page]:
    """A page in a browser context of its own (its own cookies: another user), e.g.
    ``new_page(locale="en-US")``; closed after the test."""

    def _new_page(**context_args: Any) -> Page:
        page: Page = new_context(**context_args).new_page()
        page.set_default_timeout(TIMEOUT_MS)
        return page

    return _new_page


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


class WorldSnapshot:
    """The rows ``build_world()`` writes, kept in memory after the first build in a worker process
    and inserted again, as they were, after each test's flush: a browser test needs the world
    committed (the live server runs in another thread), and building it through the services for
    every test would cost seconds each."""

    def __init__(self) -> None:
        self.world: Any = None
        self.rows: list[tuple[type[Model], list[Model]]] = []

    @staticmethod
    def _models() -> list[type[Model]]:
        from django.apps import apps

        return [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]

    def build(self) -> Any:
        from dandang.testing import build_world, row_counts

        before = row_counts()
        world = build_world()
        after = row_counts()
        # Only tables that were empty after the flush are copied (not, e.g., the content types that
        # the flush re-creates); a table that already had rows must not have been touched.
        touched = {table for table in after if after[table] != before[table]}
        if any(before[table] for table in touched):
            raise RuntimeError(f"build_world() changed tables that the flush does not empty: {sorted(touched)}")
        self.rows = [
            (model, list(model._base_manager.order_by("pk")))
            for model in self._models()
            if model._meta.db_table in touched
        ]
        self.world = world
        return copy.deepcopy(world)

    def restore(self) -> Any:
        # Raw inserts keep every value as stored (timestamps, audit hashes); PostgreSQL checks the
        # foreign keys at commit (Django declares them deferrable), so the order does not matter.
        with transaction.atomic():
            for model, objects in self.rows:
                fields = model._meta.local_concrete_fields
                for start in range(0, len(objects), 500):
                    model._base_manager._insert(objects[start : start + 500], fields=fields, raw=True)  # type: ignore[attr-defined]
            # As loaddata does: the id sequences continue after the restored rows.
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [model for model, _ in self.rows]):
                    cursor.execute(sql)
        return copy.deepcopy(self.world)


WORLD = WorldSnapshot()


@pytest.fixture
def world(transactional_db: None) -> Any:
    """The fixture world of ``dandang.testing.build_world()`` (users ``staff_a``, ``leader_a``…, with
    password ``pw-<username>``), committed so that the live server's thread sees it.  A live server
    needs ``transactional_db``: every table is emptied after each test."""
    return WORLD.restore() if WORLD.world is not None else WORLD.build()


@pytest.fixture
def login(page: Page, live_server: LiveServer) -> Callable[..., Page]:
    """``login("staff_a")`` signs a user in on ``page`` (or on the page given as ``on=``) and returns
    that page.  It sets a session cookie directly, which is quicker than the form; the login form
    itself is tested in test_login.py."""
    from django.conf import settings
    from django.test import Client

    from dandang.org.models import User

    def _login(username: str, on: Page | None = None) -> Page:
        target = on or page
        client = Client()
        client.force_login(User.objects.get(username=username))
        name = settings.SESSION_COOKIE_NAME
        target.context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": live_server.url}])
        return target

    return _login


# --- artifacts of a failing test -----------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test item, for ``e2e_failure_artifacts``."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


def artifact_stem(item: pytest.Item) -> str:
    """``test_name`` (with its parameters) made safe as a file name."""
    return re.sub(r"[^\w.-]+", "_", item.name).strip("_")[:150]


def open_pages(browser: Browser) -> Iterator[Page]:
    for context in browser.contexts:
        for page in context.pages:
            if not page.is_closed():
                yield page


@pytest.fixture(autouse=True)
def e2e_failure_artifacts(
    request: pytest.FixtureRequest, browser: Browser, new_context: Callable[..., BrowserContext]
) -> Iterator[None]:
    """After a failed test, save a screenshot and the HTML of every page still open.  It depends on
    ``new_context`` so that it is torn down before the browser contexts are closed."""
    yield
    call = request.node.stash.get(REPORTS, {}).get("call")
    if call is None or not call.failed:
        return
    folder = Path(request.config.rootpath) / "artifacts" / "e2e"
    folder.mkdir(parents=True, exist_ok=True)
    stem = artifact_stem(request.node)
    for number, page in enumerate(open_pages(browser), start=1):
        name = stem if number == 1 else f"{stem}-{number}"
        try:
            page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
            (folder / f"{name}.html").write_text(page.content(), encoding="utf-8")
        except Exception as exc:  # the page may be gone with the failure; keep the test's own error
            (folder / f"{name}.error.txt").write_text(repr(exc), encoding="utf-8")
