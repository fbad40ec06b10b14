"""Smoke run of the load test (``make load``) inside ``make test``: the same driver
(bench/load/run.py) — a database of its own, gunicorn, locust as its own process — with 10 users for
10 seconds.  It checks that the scenario works end to end (logins, reads, audited writes, no
error, the audit chains intact afterwards), not the figures: the other tests share the machine."""

from __future__ import annotations

import os
from urllib.parse import quote

import pytest
from django.conf import settings

from bench.load.run import run_load

pytestmark = [pytest.mark.postgres_only, pytest.mark.load]


def _server_url() -> str:
    """The PostgreSQL server the tests use, as a URL (the database name is replaced by the driver)."""
    db = settings.DATABASES["default"]
    credentials = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/postgres"


def test_load_smoke(tmp_path):
    # A database per run and per xdist worker; dropped by the driver whatever happens.
    database = f"dandang_loadsmoke_{os.getpid()}"
    summary = run_load(
        users=10,
        spawn_rate=10,
        duration="10s",
        workers=2,
        server_url=_server_url(),
        database=database,
        drop=True,
        max_p95_ms=0,  # figures are measured by `make load` on a quiet machine
        think=(0.2, 1.0),  # short pauses: more of the scenario's steps in ten seconds
        out_dir=tmp_path,
    )
    assert summary.failures == 0, summary.errors
    assert summary.passed, summary.problems  # includes: audit chains intact after the concurrent writes
    counts = {row.name: row.requests for row in summary.rows}
    logins = counts.get("/accounts/login/ (log in)", 0)
    assert logins >= 1  # through the login page, with its CSRF token (a refused login is an error)
    browsing = summary.requests - logins - counts.get("/accounts/login/", 0)
    assert browsing > 0  # and then worked
