"""``python -m bench`` (``make bench``): prepare the cached benchmark database, run every
``bench/bench_*.py`` module's ``run(ctx)``, print one table and write ``bench/results/latest.json``.

Run a subset with ``python -m bench cadre`` (modules whose name contains any of the words).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import pkgutil
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
HERE = Path(__file__).resolve().parent
MARKER_TABLE = "bench_marker"


def ensure_database() -> None:
    """Create the benchmark database when it does not exist (connecting to the server's
    ``postgres`` database to do so)."""
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        return
    params = {"host": db.get("HOST") or None, "port": db.get("PORT") or None, "user": db.get("USER") or None}
    if db.get("PASSWORD"):
        params["password"] = db["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **{k: v for k, v in params.items() if v}) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone()
        if not exists:
            print(f"creating database {db['NAME']}")
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def _marker() -> dict[str, Any] | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (key varchar(64) PRIMARY KEY, value text NOT NULL)")
        cursor.execute(f"SELECT value FROM {MARKER_TABLE} WHERE key = 'demo'")
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


def prepare_data() -> dict[str, Any]:
    """Migrate, then reuse the generated roster if the marker says it is there; else generate it."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from dandang.org.models import Cadre, Organization

    call_command("migrate", verbosity=0, interactive=False)
    wanted = {"scale": settings.BENCH_SCALE, "cadres": settings.BENCH_CADRES, "seed": settings.BENCH_SEED}
    marker = _marker()
    if marker and all(marker.get(k) == v for k, v in wanted.items()):
        print(f"reusing {connection.settings_dict['NAME']}: {marker['cadres']:,} cadres built {marker['built_at']}")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # statistics for indexes a new migration may have added
        return marker
    if Organization.objects.exists():
        raise SystemExit(
            f"{connection.settings_dict['NAME']} holds data but no matching marker: drop the database and run again"
        )
    began = time.monotonic()
    call_command("demo", scale="province", cadres=settings.BENCH_CADRES, seed=settings.BENCH_SEED)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    marker = {
        **wanted,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.monotonic() - began, 1),
        "rows": Cadre.objects.count(),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (key, value) VALUES ('demo', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [json.dumps(marker)],
        )
    return marker


def discover(words: list[str]) -> list[str]:
    names = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))
    return [n for n in names if not words or any(w in n for w in words)]


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:g} {unit}" if unit else f"{value:g}"


def print_table(results: list[Any]) -> None:
    header = ["name", "figure", "baseline", "ratio", "target", "verdict"]
    rows = [
        [
            r.name,
            _fmt(r.figure, r.unit),
            _fmt(r.baseline, r.unit),
            "—" if r.ratio is None else f"{r.ratio:.2f}×",
            r.target,
            r.verdict,
        ]
        for r in results
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    print(line)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(line)
    for row in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
    print(line)
    for r in results:
        if r.note:
            print(f"  {r.name}: {r.note}")


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(HERE.parent))
    import django

    ensure_database()
    django.setup()
    from django.conf import settings

    from bench.common import Context

    marker = prepare_data()
    ctx = Context(scale=settings.BENCH_SCALE, cadres=marker.get("rows", settings.BENCH_CADRES))
    results: list[Any] = []
    failures: list[str] = []
    for name in discover(argv):
        module = importlib.import_module(f"bench.{name}")
        print(f"running {name} …", flush=True)
        began = time.monotonic()
        try:
            results.extend(module.run(ctx))
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            failures.append(f"{name}: {exc!r}")
            print(f"  {name} failed: {exc!r}", flush=True)
        print(f"  {name} took {time.monotonic() - began:.1f} s", flush=True)
    print_table(results)
    try:
        revision = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE.parent, check=False
        ).stdout.strip()
    except OSError:
        revision = ""
    out = {
        "ran_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scale": settings.BENCH_SCALE,
        "database": settings.DATABASES["default"]["NAME"],
        "data": marker,
        "revision": revision,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()},
        "info": ctx.info,
        "results": [r.as_dict() for r in results],
        "errors": failures,
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "latest.json").write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    print(f"written {HERE / 'results' / 'latest.json'}")
    failed = [r.name for r in results if r.verdict == "FAIL"]
    if failed or failures:
        print(f"{len(failed)} benchmark(s) missed their target; {len(failures)} error(s)")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
