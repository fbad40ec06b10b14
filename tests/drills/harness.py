"""What the fault drills share: throwaway databases and clusters, the application run as its own
processes (``manage.py``, ``db_worker``, gunicorn), and clean-up that always happens.

Every name is unique per process (``<prefix>_<pid>_<random>``) and every port comes from the
operating system, so drills run side by side under pytest-xdist.  A drill never touches the
database pytest-django created, nor any other database than the ones it creates here; it never
restarts the shared PostgreSQL server (:func:`throwaway_cluster` starts its own).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import psycopg
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
T = TypeVar("T")


def unique_name(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], T], *, timeout: float, what: str, interval: float = 0.1) -> T:
    """Call ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@contextlib.contextmanager
def timed(what: str) -> Iterator[None]:
    """Print how long a step took (shown with a failing drill's captured output)."""
    started = time.monotonic()
    try:
        yield
    finally:
        print(f"[drill] {what}: {time.monotonic() - started:.1f} s", file=sys.stderr)


# --- databases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    """A PostgreSQL database the drill owns; ``settings`` is shaped like a ``DATABASES`` entry."""

    name: str
    host: str
    port: int
    user: str
    password: str = ""

    @property
    def settings(self) -> dict[str, Any]:
        return {"NAME": self.name, "HOST": self.host, "PORT": self.port, "USER": self.user, "PASSWORD": self.password}

    @property
    def url(self) -> str:
        auth = quote(self.user) + (f":{quote(self.password)}" if self.password else "")
        return f"postgres://{auth}@{self.host}:{self.port}/{self.name}"

    def connect(self, *, autocommit: bool = True, dbname: str | None = None) -> psycopg.Connection[Any]:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname=dbname or self.name,
            autocommit=autocommit,
            connect_timeout=10,
        )

    def scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        with self.connect() as conn:
            row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
            return row[0] if row else None


def shared_server() -> Database:
    """The server of this test run (DATABASE_URL): drills create and drop their own databases on it."""
    db = settings.DATABASES["default"]
    assert "postgresql" in db["ENGINE"], "the drills run on PostgreSQL only (mark them postgres_only)"
    return Database(
        name="postgres",
        host=db.get("HOST") or "127.0.0.1",
        port=int(db.get("PORT") or 5432),
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or "",
    )


@contextlib.contextmanager
def throwaway_database(prefix: str, server: Database | None = None) -> Iterator[Database]:
    """A new empty database, dropped afterwards (with whatever still connects to it)."""
    server = server or shared_server()
    name = unique_name(prefix)
    with server.connect(dbname="postgres") as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Database(name=name, host=server.host, port=server.port, user=server.user, password=server.password)
    finally:
        with server.connect(dbname="postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def other_backends(db: Database, *, waiting_on_lock: bool = False) -> list[tuple[int, str]]:
    """(pid, query) of the sessions on ``db`` other than the one asking."""
    sql = "SELECT pid, query FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
    if waiting_on_lock:
        sql += " AND wait_event_type = 'Lock'"
    with db.connect(dbname="postgres") as conn:
        return [(pid, query) for pid, query in conn.execute(sql, (db.name,)).fetchall()]


# --- the application as processes -------------------------------------------------------------


def django_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a production-like process of the application on ``database_url``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_CORE_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",  # not the test settings (their tasks run at once)
            "DATABASE_URL": database_url,
            "DJANGO_DEBUG": "0",
            "DANDANG_VAR_DIR": str(var_dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("POSTGRES_TEST_NAME", None)
    env.update(extra)
    return env


def manage(
    *args: str, env: dict[str, str], check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    done = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    # Shown with a failing drill's captured output: where the time went.
    print(f"[drill] manage.py {' '.join(args)}: {time.monotonic() - started:.1f} s", file=sys.stderr)
    if check and done.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def django_python(code: str, *, env: dict[str, str], timeout: float = 60) -> str:
    """Run ``code`` in a new process with Django set up; its standard output."""
    started = time.monotonic()
    done = subprocess.run(
        [PYTHON, "-c", f"import django\ndjango.setup()\n{code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    print(f"[drill] python {code.splitlines()[-1][:60]}: {time.monotonic() - started:.1f} s", file=sys.stderr)
    if done.returncode != 0:
        raise AssertionError(f"python exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def row_counts(env: dict[str, str]) -> dict[str, int]:
    """Rows per table of the database of ``env`` (dandang.core.backup.table_row_counts)."""
    code = "import json\nfrom dandang.core.backup import table_row_counts\nprint(json.dumps(table_row_counts()))"
    return json.loads(django_python(code, env=env))  # type: ignore[no-any-return]


def inspect_database(env: dict[str, str]) -> dict[str, Any]:
    """What an operator checks on a restored copy, in one process: ``manage.py audit_verify``
    (``audit_ok``, its ``audit`` output) and the rows per table (``counts``)."""
    code = """import io, json
from django.core.management import call_command
from dandang.core.backup import table_row_counts
out = io.StringIO()
try:
    call_command("audit_verify", stdout=out, stderr=out)
    ok = True
except SystemExit:
    ok = False
print(json.dumps({"audit_ok": ok, "audit": out.getvalue(), "counts": table_row_counts()}))"""
    return json.loads(django_python(code, env=env).splitlines()[-1])  # type: ignore[no-any-return]


@contextlib.contextmanager
def running(command: list[str], *, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A long-running process (its own process group, output in ``log``), stopped afterwards:
    SIGTERM, then SIGKILL to the whole group if it lingers."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        stop_group(process)


def stop_group(process: subprocess.Popen[bytes], grace: float = 5) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(grace)


def children(pid: int) -> set[int]:
    """Process ids whose parent is ``pid`` (gunicorn's workers)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.add(int(entry.name))
    return found


def log_tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --- HTTP ---------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str
    seconds: float

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpClient:
    """A tiny thread-safe client: one connection per request, cookies sent explicitly."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    timeout: float = 20

    def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, body: str | None = None
    ) -> Response:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=sent)
            answer = conn.getresponse()
            text = answer.read().decode("utf-8", errors="replace")
            got = {k.lower(): v for k, v in answer.getheaders()}
            for k, v in answer.getheaders():
                if k.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
        finally:
            conn.close()
        return Response(answer.status, got, text, time.monotonic() - started)

    def get(self, path: str, **headers: str) -> Response:
        return self.request("GET", path, headers={k.replace("_", "-"): v for k, v in headers.items()})


# --- a PostgreSQL cluster of the drill's own ------------------------------------------------------


def postgres_bindir() -> Path:
    found = shutil.which("pg_config")
    if found:
        bindir = Path(subprocess.run([found, "--bindir"], capture_output=True, text=True, check=True).stdout.strip())
        if (bindir / "initdb").exists():
            return bindir
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    assert candidates, "initdb not found: install the PostgreSQL server package"
    return candidates[-1].parent


@dataclass
class Cluster:
    directory: Path
    port: int
    bindir: Path

    @property
    def server(self) -> Database:
        return Database(name="postgres", host="127.0.0.1", port=self.port, user="postgres")

    @property
    def log(self) -> Path:
        return self.directory / "postgres.log"

    def pg_ctl(self, *args: str, timeout: float = 60) -> None:
        command = [str(self.bindir / "pg_ctl"), "-D", str(self.directory / "data"), "-l", str(self.log), *args]
        done = subprocess.run(_as_postgres(command), capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise AssertionError(f"pg_ctl {' '.join(args)} failed:\n{done.stdout}{done.stderr}\n{log_tail(self.log)}")

    def restart(self) -> None:
        """Stop (fast: every session is terminated, as in a failover or an upgrade) and start again."""
        self.pg_ctl("restart", "-m", "fast", "-w", "-t", "30")


def _as_postgres(command: list[str]) -> list[str]:
    # The server refuses to run as root: as root, run it as the postgres account.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """``initdb`` a new cluster in a temporary directory and start it on a free port (trust
    authentication, 127.0.0.1 and a socket in that directory only); stopped and deleted afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="dd_drill_pg_"))
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(directory, account.pw_uid, account.pw_gid)
    bindir = postgres_bindir()
    cluster = Cluster(directory=directory, port=0, bindir=bindir)
    try:
        init = [str(bindir / "initdb"), "-D", str(directory / "data"), "-U", "postgres", "-A", "trust"]
        done = subprocess.run(
            _as_postgres([*init, "-E", "UTF8", "--no-locale", "--no-sync"]),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"initdb failed:\n{done.stdout}{done.stderr}"
        for attempt in range(3):  # another process may take the free port first
            cluster.port = free_port()
            options = (
                f"-p {cluster.port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=40"
            )
            try:
                cluster.pg_ctl("start", "-w", "-t", "30", "-o", options)
                break
            except AssertionError:
                if attempt == 2:
                    raise
        yield cluster
    finally:
        if (directory / "data" / "postmaster.pid").exists():
            with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
                cluster.pg_ctl("stop", "-m", "immediate", "-w", "-t", "30")
        shutil.rmtree(directory, ignore_errors=True)
