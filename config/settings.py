"""Dandang settings.

One settings module, driven by the environment, so that development, tests and production differ
only in variables.  ``config.settings_production`` tightens it for deployment.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DANDANG_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dandang-development-key-not-for-production-use-0123456789")
DEBUG = env_bool("DJANGO_DEBUG", True)
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "dandang.core",
    "dandang.org",
    "dandang.archive",
    "dandang.tolerance",
    "dandang.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dandang.core.middleware.UserLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dandang.web.middleware.ApplicationErrorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dandang.core.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "dandang" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dandang.core.context_processors.shell",
                "dandang.org.context_processors.navigation",
            ],
        },
    },
]

DEFAULT_SQLITE = f"sqlite:///{VAR_DIR / 'dandang.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", DEFAULT_SQLITE),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME") or None}
else:
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("POSTGRES_TEST_NAME", "test_dandang")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "dandang.core.hashers.DandangArgon2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Argon2id parameters: OWASP Password Storage Cheat Sheet, first configuration (m=19 MiB, t=2, p=1).
DANDANG_ARGON2_MEMORY_KIB = int(os.environ.get("DANDANG_ARGON2_MEMORY_KIB", "19456"))
DANDANG_ARGON2_TIME_COST = int(os.environ.get("DANDANG_ARGON2_TIME_COST", "2"))
DANDANG_ARGON2_PARALLELISM = int(os.environ.get("DANDANG_ARGON2_PARALLELISM", "1"))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # The minimum length comes from the security rulebook (dandang/rulebooks/security.yaml).
    {"NAME": "dandang.core.security_rules.RulebookMinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login lockout (django-axes): after the security rulebook's failure limit the username is locked from
# that address for its cool-off time (dandang/rulebooks/security.yaml; read at each login).
AXES_FAILURE_LIMIT = "dandang.core.security_rules.login_failure_limit"
AXES_COOLOFF_TIME = "dandang.core.security_rules.login_cooloff"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env_bool("AXES_ENABLED", True)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "dandang" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "dandang" / "static"]
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

TASKS = {
    "default": {
        "BACKEND": os.environ.get("DANDANG_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DANDANG_LOG_LEVEL", "WARNING")},
}

# The national rulebooks shipped with the code; validated at start-up.
DANDANG_RULEBOOK_DIR = BASE_DIR / "dandang" / "rulebooks"

# Roster import (dandang.org.importing): a larger file is refused as a whole — split it.
DANDANG_IMPORT_MAX_ROWS = int(os.environ.get("DANDANG_IMPORT_MAX_ROWS", "100000"))
DANDANG_IMPORT_MAX_BYTES = int(os.environ.get("DANDANG_IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))

# Tasks that `manage.py run_periodic_tasks` enqueues (run it daily from cron or a systemd timer;
# `manage.py db_worker` executes them).  Each is idempotent.
DANDANG_PERIODIC_TASKS = ["dandang.org.tasks.holiday_table_check", "dandang.tolerance.tasks.tolerance_reminders"]

# The lease on a running task (dandang.core.task_reaper): a task still marked running this long after
# a worker claimed it is presumed abandoned by a dead worker and returned to the queue by
# `manage.py tasks_reap` (and `run_periodic_tasks`).  Longer than the longest task; after
# DANDANG_TASK_MAX_ATTEMPTS claims it is marked failed instead.
DANDANG_TASK_LEASE_SECONDS = int(os.environ.get("DANDANG_TASK_LEASE_SECONDS", "900"))
DANDANG_TASK_MAX_ATTEMPTS = int(os.environ.get("DANDANG_TASK_MAX_ATTEMPTS", "3"))
