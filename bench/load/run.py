"""Load test driver (``make load``): PostgreSQL database, gunicorn, locust, figures, verdict.

    python bench/load/run.py                      # 50 users for 60 s against the database dandang_load
    python bench/load/run.py -u 10 -t 10s --database dandang_loadsmoke_1 --drop --max-p95-ms 0

1. Creates the database (on the server of ``DATABASE_URL``, default the local PostgreSQL) when it
   does not exist, migrates it and loads the demo county when it holds no organizations.
2. Starts gunicorn on a free loopback port (``config.wsgi``, ``DJANGO_DEBUG=0``, persistent
   database connections as in production).  Static files are not served — locust asks only for
   the dynamic pages and the API, which is what the server's workers spend their time on.
3. Runs locust headless as its own process (``bench/load/locustfile.py``) and reads its CSV.
4. Stops gunicorn and locust whatever happens, prints requests per second, p50/p95/p99 and the
   error count per request kind and in total, and writes the summary as JSON.

Exits 1 when the target is missed: any error, no request at all, or a p95 above ``--max-p95-ms``
(0: not checked — the smoke run in ``make test`` checks errors only, the machine being busy with
the other tests).  Nothing here imports Django or locust: both run in their own processes.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/dandang"
DEFAULT_DATABASE = "dandang_load"
BIN = Path(sys.executable).parent


@dataclass
class Row:
    name: str
    method: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    average: float
    maximum: float


@dataclass
class Summary:
    users: int
    duration: str
    workers: int
    database: str
    load_before: float = 0.0  # the machine's 1-minute load average when the run began
    # CPU seconds the server spent during the run (gunicorn's processes, the database's backends):
    # a figure the other programs on a shared machine disturb much less than the response times.
    app_cpu: float | None = None
    db_cpu: float | None = None
    requests: int = 0
    failures: int = 0
    rps: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    rows: list[Row] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def cpu_ms_per_request(self) -> float | None:
        if self.app_cpu is None or self.db_cpu is None or not self.requests:
            return None
        return (self.app_cpu + self.db_cpu) * 1000 / self.requests

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed, "cpu_ms_per_request": self.cpu_ms_per_request}


# --- database ------------------------------------------------------------------------------


def database_url(server_url: str, name: str) -> str:
    """``server_url`` with its database name replaced by ``name``."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path="/" + name))


def _admin_connection(server_url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(database_url(server_url, "postgres"), autocommit=True)


def database_ensure(server_url: str, name: str) -> bool:
    """Create ``name`` when it does not exist; True when it was created."""
    with _admin_connection(server_url) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def database_drop(server_url: str, name: str) -> None:
    with _admin_connection(server_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def database_prepare(env: dict[str, str]) -> None:
    """Migrate, then load the demo county when the database holds no organizations.  (The system
    checks run in ``make test`` already; skipped here they save seconds of every smoke run.)"""
    _manage(env, "migrate", "--no-input", "-v", "0", "--skip-checks")
    _manage(env, "demo", "--if-empty", "--skip-checks")


# --- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(process: subprocess.Popen[Any] | None, *, grace: float = 10.0) -> None:
    """End ``process`` and its children (it leads its own session): TERM, then KILL."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)


def process_cpu(pids: set[int] | None = None, *, group: int | None = None) -> dict[int, float]:
    """CPU seconds (user + system) of each process in ``pids`` or in process group ``group``, read
    from /proc (Linux; empty elsewhere)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return {}
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, float] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit() or (pids is not None and int(entry.name) not in pids):
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if group is None or int(fields[2]) == group:
            found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    return found


def database_backends(server_url: str, name: str) -> set[int]:
    """Process ids of the server's backends connected to ``name`` (the server runs on this machine
    when the URL is a loopback address; otherwise the ids mean nothing here)."""
    with _admin_connection(server_url) as conn:
        return {row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name])}


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def _ready(url: str, process: subprocess.Popen[Any], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # loopback only
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout:.0f} s")


def gunicorn_start(env: dict[str, str], workers: int, log: Path) -> tuple[subprocess.Popen[Any], str]:
    """gunicorn on a free loopback port; retried when another process took the port first."""
    last: Exception | None = None
    for _attempt in range(3):
        port = free_port()
        host = f"http://127.0.0.1:{port}"
        with log.open("ab") as out:
            process = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "config.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(workers),
                    "--worker-class",
                    "sync",
                    "--timeout",
                    "60",
                    "--graceful-timeout",
                    "5",
                    "--no-control-socket",  # the default control socket is one path per machine
                    "--preload",  # import the application once, then fork the workers
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            _ready(host + "/accounts/login/", process, timeout=30)
            return process, host
        except RuntimeError as exc:
            last = exc
            stop(process)
    raise RuntimeError(f"gunicorn did not start: {last} (see {log})")


def locust_run(
    host: str, users: int, spawn_rate: float, duration: str, prefix: Path, env: dict[str, str], log: Path
) -> int:
    command = [
        str(BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        duration,
        "--stop-timeout",
        "10",
        "--host",
        host,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            return process.wait(timeout=_seconds(duration) + 120)
        finally:
            stop(process)


def _seconds(duration: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    total, number = 0, ""
    for char in duration:
        if char.isdigit():
            number += char
        else:
            total += int(number or 0) * units[char]
            number = ""
    return total + int(number or 0)


# --- figures -------------------------------------------------------------------------------


def _float(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 0.0


def read_stats(prefix: Path, summary: Summary) -> None:
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        summary.problems.append("locust wrote no statistics")
        return
    with stats.open(newline="", encoding="utf-8") as f:
        for line in csv.DictReader(f):
            row = Row(
                name=line["Name"],
                method=line["Type"],
                requests=int(line["Request Count"]),
                failures=int(line["Failure Count"]),
                rps=_float(line["Requests/s"]),
                p50=_float(line["50%"]),
                p95=_float(line["95%"]),
                p99=_float(line["99%"]),
                average=_float(line["Average Response Time"]),
                maximum=_float(line["Max Response Time"]),
            )
            if row.name == "Aggregated":
                summary.requests, summary.failures, summary.rps = row.requests, row.failures, row.rps
                summary.p50, summary.p95, summary.p99 = row.p50, row.p95, row.p99
            else:
                summary.rows.append(row)
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        with failures.open(newline="", encoding="utf-8") as f:
            summary.errors = [
                f"{line['Occurrences']}× {line['Method']} {line['Name']}: {line['Error']}" for line in csv.DictReader(f)
            ]


def judge(summary: Summary, max_p95_ms: float) -> None:
    if summary.requests == 0:
        summary.problems.append("no request was made")
    if summary.failures:
        summary.problems.append(f"{summary.failures} request(s) failed")
    if max_p95_ms and summary.p95 > max_p95_ms:
        summary.problems.append(f"p95 {summary.p95:.0f} ms is above the target {max_p95_ms:.0f} ms")


def print_summary(summary: Summary, max_p95_ms: float) -> None:
    header = ["request", "count", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    rows = [
        [f"{r.method} {r.name}", r.requests, r.failures, f"{r.rps:.1f}", r.p50, r.p95, r.p99, round(r.maximum)]
        for r in sorted(summary.rows, key=lambda r: -r.p95)
    ]
    rows.append(
        ["TOTAL", summary.requests, summary.failures, f"{summary.rps:.1f}", summary.p50, summary.p95, summary.p99, ""]
    )
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    rule = "  ".join("-" * w for w in widths)
    print(rule)
    for i, row in enumerate([header, *rows]):
        cells = [
            str(v).ljust(w) if j == 0 else str(v).rjust(w) for j, (v, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells))
        if i == 0 or i == len(rows) - 1:
            print(rule)
    print(rule)
    for error in summary.errors:
        print(f"error: {error}")
    if summary.cpu_ms_per_request is not None:
        cpus = os.cpu_count() or 1
        print(
            f"server CPU: gunicorn {summary.app_cpu:.1f} s + PostgreSQL {summary.db_cpu:.1f} s = "
            f"{summary.cpu_ms_per_request:.1f} ms per request; {cpus} free CPUs would serve about "
            f"{cpus * 1000 / summary.cpu_ms_per_request:.0f} requests/s of this mix"
        )
    target = f"0 errors and p95 ≤ {max_p95_ms:.0f} ms" if max_p95_ms else "0 errors"
    print(
        f"{summary.users} users, {summary.duration}, {summary.workers} gunicorn workers, database {summary.database}, "
        f"load average {summary.load_before:.1f} at start: "
        f"{summary.rps:.1f} requests/s, p50 {summary.p50:.0f} ms, p95 {summary.p95:.0f} ms, "
        f"p99 {summary.p99:.0f} ms, {summary.failures} errors in {summary.requests} requests"
    )
    print(f"target ({target}): {'met' if summary.passed else 'MISSED — ' + '; '.join(summary.problems)}")


# --- the run -------------------------------------------------------------------------------


def run_load(
    *,
    users: int = 50,
    spawn_rate: float = 10,
    duration: str = "60s",
    workers: int = 4,
    server_url: str | None = None,
    database: str = DEFAULT_DATABASE,
    drop: bool = False,
    max_p95_ms: float = 500,
    think: tuple[float, float] = (1.0, 3.0),
    settings: str = "config.settings",
    out_dir: Path | None = None,
) -> Summary:
    """The whole run; gunicorn and locust are stopped and (with ``drop``) the database dropped,
    whatever happens."""
    server_url = server_url or os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    if not server_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(f"the load test runs on PostgreSQL; DATABASE_URL is {server_url.split(':')[0]}")
    out = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="dandang-load-"))
    out.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(server_url, database),
        "DJANGO_SETTINGS_MODULE": settings,
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # Persistent connections, as a deployment runs them (one per worker), kept for the whole run.
        "DATABASE_CONN_MAX_AGE": "600",
        "DANDANG_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "DANDANG_LOAD_THINK_MIN": str(think[0]),
        "DANDANG_LOAD_THINK_MAX": str(think[1]),
    }
    summary = Summary(users=users, duration=duration, workers=workers, database=database)
    for stale in ("gunicorn.log", "locust.log", "locust_stats.csv", "locust_failures.csv", "summary.json"):
        (out / stale).unlink(missing_ok=True)
    gunicorn: subprocess.Popen[Any] | None = None
    began = time.monotonic()
    try:
        if database_ensure(server_url, database):
            print(f"created database {database}")
        database_prepare(env)
        prepared = time.monotonic()
        gunicorn, host = gunicorn_start(env, workers, out / "gunicorn.log")
        print(f"database ready in {prepared - began:.1f} s, gunicorn in {time.monotonic() - prepared:.1f} s")
        summary.load_before = os.getloadavg()[0]
        print(
            f"gunicorn ({workers} workers) on {host}; locust: {users} users, spawn rate {spawn_rate}/s, {duration}, "
            f"think time {think[0]:g}–{think[1]:g} s; load average {summary.load_before:.1f} on {os.cpu_count()} CPUs",
            flush=True,
        )
        local_db = urlsplit(server_url).hostname in {"127.0.0.1", "localhost", "::1"}
        app_before = process_cpu(group=gunicorn.pid)
        db_before = process_cpu(database_backends(server_url, database)) if local_db else {}
        started = time.monotonic()
        code = locust_run(host, users, spawn_rate, duration, out / "locust", env, out / "locust.log")
        print(f"locust ran {time.monotonic() - started:.1f} s", flush=True)
        summary.app_cpu = cpu_delta(app_before, process_cpu(group=gunicorn.pid))
        if local_db:
            summary.db_cpu = cpu_delta(db_before, process_cpu(database_backends(server_url, database)))
        read_stats(out / "locust", summary)
        if code not in (0, 1):  # 1: some request failed, counted above
            summary.problems.append(f"locust exited with {code} (see {out / 'locust.log'})")
        stop(gunicorn)
        # Concurrent audited writes must leave every chain intact.
        verify = subprocess.run(
            [sys.executable, "manage.py", "audit_verify", "--skip-checks"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if verify.returncode != 0:
            summary.problems.append(f"audit_verify failed after the run: {verify.stderr.strip() or verify.stdout}")
    finally:
        stop(gunicorn)
        if drop:
            database_drop(server_url, database)
    judge(summary, max_p95_ms)
    (out / "summary.json").write_text(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2) + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-u", "--users", type=int, default=int(os.environ.get("LOAD_USERS", "50")))
    parser.add_argument("-r", "--spawn-rate", type=float, default=float(os.environ.get("LOAD_SPAWN_RATE", "10")))
    parser.add_argument("-t", "--duration", default=os.environ.get("LOAD_DURATION", "60s"))
    parser.add_argument("-w", "--workers", type=int, default=int(os.environ.get("LOAD_WORKERS", "4")))
    parser.add_argument("--database", default=os.environ.get("LOAD_DATABASE", DEFAULT_DATABASE))
    parser.add_argument("--server-url", default=None, help="PostgreSQL server URL (default: DATABASE_URL)")
    parser.add_argument("--drop", action="store_true", help="drop the database afterwards")
    parser.add_argument("--max-p95-ms", type=float, default=500, help="p95 target in ms (0: not checked)")
    parser.add_argument(
        "--think", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN", "MAX"), help="think time in seconds"
    )
    parser.add_argument("--settings", default="config.settings", help="Django settings module of the server")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "load", help="CSV, logs and summary.json")
    args = parser.parse_args(argv)
    summary = run_load(
        users=args.users,
        spawn_rate=args.spawn_rate,
        duration=args.duration,
        workers=args.workers,
        server_url=args.server_url,
        database=args.database,
        drop=args.drop,
        max_p95_ms=args.max_p95_ms,
        think=tuple(args.think),
        settings=args.settings,
        out_dir=args.out,
    )
    print_summary(summary, args.max_p95_ms)
    print(f"details: {args.out}")
    return 0 if summary.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
