"""Settings of the benchmark runner: the application's settings on a cached PostgreSQL database.

``BENCH_SCALE`` chooses the size of the generated roster (``small``: about 20,000 cadres,
``province``: about 200,000, the default) and with it the database ``dandang_bench_<scale>``;
``BENCH_DATABASE_URL`` overrides the database.
"""

from __future__ import annotations

import os

import dj_database_url

from config.settings import *  # noqa: F403

BENCH_SCALES = {"small": 20_000, "province": 200_000}
BENCH_SCALE = os.environ.get("BENCH_SCALE", "province")
if BENCH_SCALE not in BENCH_SCALES:
    raise SystemExit(f"BENCH_SCALE must be one of {', '.join(BENCH_SCALES)}, not {BENCH_SCALE!r}")
BENCH_CADRES = BENCH_SCALES[BENCH_SCALE]
BENCH_SEED = 2025

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/dandang_bench_{BENCH_SCALE}"),
        # Persistent connections, as a production deployment runs: the figures measure queries,
        # not connection set-up.
        conn_max_age=600,
        conn_health_checks=True,
    )
}
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ROOT_URLCONF = "bench.urls"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
AXES_ENABLED = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "ERROR"},
}
