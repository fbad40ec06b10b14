"""Backup helpers.  The full drill (demo county, pg_dump/pg_restore, audit_verify on the copy) is
tests/drills/test_backup_restore.py; these pin down the helpers' own promises."""

import sqlite3

import pytest
from django.contrib.sessions.models import Session
from django.db import connection

from dandang.core.backup import BackupError, pg_dump, sqlite_backup, table_row_counts
from dandang.core.models import AuditEvent


def make_db(path, rows):
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")
        db.executemany("INSERT INTO item (name) VALUES (?)", [(f"n{i}",) for i in range(rows)])
    db.close()


def test_sqlite_backup_copies_a_live_database(tmp_path):
    live, copy = tmp_path / "live.sqlite3", tmp_path / "copy.sqlite3"
    make_db(live, 50)
    writer = sqlite3.connect(live, isolation_level=None)
    try:
        writer.execute("INSERT INTO item (name) VALUES ('committed, still in the WAL')")
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO item (name) VALUES ('not committed')")
        sqlite_backup(live, copy)
    finally:
        writer.rollback()
        writer.close()
    with sqlite3.connect(copy) as db:
        names = [n for (n,) in db.execute("SELECT name FROM item ORDER BY id")]
    db.close()
    assert len(names) == 51 and names[-1] == "committed, still in the WAL"
    assert not (tmp_path / "copy.sqlite3.partial").exists()


def test_sqlite_backup_replaces_an_older_copy(tmp_path):
    live, copy = tmp_path / "live.sqlite3", tmp_path / "copy.sqlite3"
    make_db(live, 3)
    copy.write_bytes(b"an older backup")
    sqlite_backup(live, copy)
    with sqlite3.connect(copy) as db:
        assert db.execute("SELECT COUNT(*) FROM item").fetchone()[0] == 3
    db.close()


def test_sqlite_backup_of_a_missing_database_creates_nothing(tmp_path):
    with pytest.raises(BackupError, match="no SQLite database"):
        sqlite_backup(tmp_path / "missing.sqlite3", tmp_path / "copy.sqlite3")
    assert list(tmp_path.iterdir()) == []


def test_sqlite_backup_of_a_file_that_is_not_a_database(tmp_path):
    (tmp_path / "notes.sqlite3").write_bytes(b"not a database at all, just some text" * 20)
    with pytest.raises(BackupError, match="SQLite backup"):
        sqlite_backup(tmp_path / "notes.sqlite3", tmp_path / "copy.sqlite3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.sqlite3"]


def test_pg_dump_failure_names_the_problem_and_leaves_no_file(tmp_path):
    unreachable = {"NAME": "nowhere", "HOST": "127.0.0.1", "PORT": 1, "USER": "nobody", "PASSWORD": "secret"}
    with pytest.raises(BackupError) as exc:
        pg_dump(database=unreachable, dst=tmp_path / "x.dump")
    assert "pg_dump failed" in str(exc.value)
    assert "secret" not in str(exc.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_table_row_counts_covers_every_table(world):
    counts = table_row_counts()
    assert set(counts) == set(connection.introspection.table_names())
    assert counts[AuditEvent._meta.db_table] == AuditEvent.objects.count() > 0
    assert counts[Session._meta.db_table] == Session.objects.count()
