"""Fault drill: back up the demo county and restore it — PostgreSQL (pg_dump/pg_restore) and
SQLite (the online backup API) — then check the copy as an operator would: ``audit_verify`` passes
on it and every table holds as many rows as in the source.  The helpers under test are
dandang.core.backup."""

from __future__ import annotations

import sqlite3

import pytest

from dandang.core.backup import pg_dump, pg_restore, sqlite_backup
from dandang.core.models import AuditEvent
from dandang.org.models import Cadre, Tenure
from tests.drills.harness import django_env, inspect_database, manage, row_counts, throwaway_database

pytestmark = [pytest.mark.postgres_only, pytest.mark.drill]

DEMO_CADRES = "300"  # the demo county, smaller: the drill is about the copy, not the volume


def check_copy(source: dict[str, int], copy_env: dict[str, str]) -> None:
    copy = inspect_database(copy_env)
    assert copy["audit_ok"] and "audit chains intact" in copy["audit"], copy["audit"]
    assert copy["counts"] == source
    for model in (Cadre, Tenure, AuditEvent):
        assert source[model._meta.db_table] > 0, model


def test_pg_dump_and_restore(tmp_path):
    with throwaway_database("dd_drill_src") as src, throwaway_database("dd_drill_dst") as dst:
        src_env = django_env(src.url, tmp_path)
        manage("migrate", "--no-input", "-v0", env=src_env)
        manage("demo", "--cadres", DEMO_CADRES, env=src_env)
        source = row_counts(src_env)
        assert source[Cadre._meta.db_table] == int(DEMO_CADRES)

        dump = tmp_path / "dandang.dump"
        pg_dump(database=src.settings, dst=dump)
        assert dump.stat().st_size > 0 and not (tmp_path / "dandang.dump.partial").exists()
        pg_restore(src=dump, database=dst.settings)

        dst_env = django_env(dst.url, tmp_path)
        check_copy(source, dst_env)


def test_sqlite_online_backup(tmp_path):
    live = tmp_path / "live.sqlite3"
    env = django_env(f"sqlite:///{live}", tmp_path)
    manage("migrate", "--no-input", "-v0", env=env)
    manage("demo", "--cadres", DEMO_CADRES, env=env)

    # Online: another connection is writing.  Its committed change still sits in the WAL file (the
    # connection stays open, so no checkpoint moves it into the database file); its open
    # transaction is not committed.  The copy holds the first and not the second.
    writer = sqlite3.connect(live, isolation_level=None)
    try:
        assert writer.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute("INSERT INTO django_session VALUES ('drill-committed', 'x', '2999-01-01 00:00:00')")
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO django_session VALUES ('drill-uncommitted', 'x', '2999-01-01 00:00:00')")
        backup = tmp_path / "backup.sqlite3"
        sqlite_backup(live, backup)
    finally:
        writer.rollback()
        writer.close()

    with sqlite3.connect(backup) as copy:
        sessions = {key for (key,) in copy.execute("SELECT session_key FROM django_session")}
    copy.close()
    assert "drill-committed" in sessions and "drill-uncommitted" not in sessions
    check_copy(row_counts(env), django_env(f"sqlite:///{backup}", tmp_path))
