"""Test settings: a fast password hasher, tasks run at once, no lockout surprises."""

from __future__ import annotations

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DEBUG = False
