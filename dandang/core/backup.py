"""Backups: a consistent copy of a live database, and the figures to check a restore against.

* SQLite — :func:`sqlite_backup` uses SQLite's online backup API, a consistent snapshot even while
  the application writes (a plain file copy of a database in WAL mode can lose or tear the last
  transactions);
* PostgreSQL — :func:`pg_dump` and :func:`pg_restore` run the client programs (custom format,
  restored in one transaction into an empty database); the connection comes from a Django
  ``DATABASES`` entry and its password travels in the environment, never on the command line.

A restore is checked with ``manage.py audit_verify`` (every hash chain intact) and with
:func:`table_row_counts` (equal on both sides).  The fault drill
``tests/drills/test_backup_restore.py`` does both.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections


class BackupError(Exception):
    """A backup or restore did not complete; the message carries the tool's own words."""


def sqlite_backup(src: str | Path, dst: str | Path) -> None:
    """Copy the SQLite database ``src`` to ``dst`` with the online backup API.  The copy is written
    beside ``dst`` and renamed into place only when complete and checked, so ``dst`` is never a
    half-written file."""
    source_path, target = Path(src), Path(dst)
    if not source_path.is_file():
        raise BackupError(f"no SQLite database at {source_path}")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # mode=rw: never create an empty database where the source was expected.
    source = sqlite3.connect(f"{source_path.resolve().as_uri()}?mode=rw", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            (check,) = copy.execute("PRAGMA quick_check").fetchone()
            if check != "ok":
                raise BackupError(f"the copy of {source_path} fails its integrity check: {check}")
        finally:
            copy.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"SQLite backup of {source_path} failed: {exc}") from exc
    finally:
        source.close()
    partial.replace(target)


def _pg_env(database: Mapping[str, Any]) -> dict[str, str]:
    """libpq's environment for a Django ``DATABASES`` entry (host, port, user, password, name)."""
    env = dict(os.environ)
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        value = database.get(key)
        if value:
            env[variable] = str(value)
        else:
            env.pop(variable, None)
    env["PGDATABASE"] = str(database["NAME"])
    return env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except OSError as exc:
        raise BackupError(f"{what}: cannot run {command[0]}: {exc}") from exc
    if done.returncode != 0:
        raise BackupError(f"{what} failed ({command[0]} exit {done.returncode}): {done.stderr.strip()}")


def pg_dump(*, database: Mapping[str, Any], dst: str | Path) -> None:
    """Dump the PostgreSQL database of ``database`` (a Django ``DATABASES`` entry) to ``dst`` in
    pg_dump's custom format — one consistent snapshot, taken while the application runs."""
    target = Path(dst)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={partial}"], _pg_env(database), "pg_dump")
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)


def pg_restore(*, src: str | Path, database: Mapping[str, Any]) -> None:
    """Restore the custom-format dump ``src`` into the empty PostgreSQL database of ``database``,
    in one transaction: on any error nothing is restored."""
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={database['NAME']}",
            str(src),
        ],
        _pg_env(database),
        "pg_restore",
    )


def table_row_counts(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """The number of rows of every table of the database ``using`` (Django's own tables
    included), to compare a restored database with its source."""
    connection = connections[using]
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 - a catalogue name
            counts[table] = cursor.fetchone()[0]
    return counts
