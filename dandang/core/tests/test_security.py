"""Security basics (issue 2, point 11): argon2, login lockout from the security rulebook, CSRF,
and the production settings (check --deploy clean, HSTS, CSP, secure cookies)."""

import datetime as dt
import importlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.test import Client, override_settings
from django.urls import reverse

from dandang.core.rulebooks import rulebook_publish
from dandang.core.security_rules import login_cooloff, login_failure_limit

BASE_DIR = Path(settings.BASE_DIR)
ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
PRODUCTION_SECURITY = [
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
]


def random_secret() -> str:
    return secrets.token_urlsafe(60)[:60]


def security_override(**changes: int) -> dict:
    doc = yaml.safe_load((Path(settings.DANDANG_RULEBOOK_DIR) / "security.yaml").read_text(encoding="utf-8"))
    for key, value in changes.items():
        section, field = key.split("__")
        doc["content"][section][field] = value
    return doc


@pytest.fixture
def production(monkeypatch):
    """The module ``config.settings_production``, imported with a proper secret key."""
    monkeypatch.setenv("DJANGO_SECRET_KEY", random_secret())
    for name in ("DJANGO_SECURE_SSL_REDIRECT", "DJANGO_HSTS_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    sys.modules.pop("config.settings_production", None)
    module = importlib.import_module("config.settings_production")
    yield module
    sys.modules.pop("config.settings_production", None)


# --- production settings -------------------------------------------------------------------


def test_check_deploy_is_clean_under_production_settings():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AXES_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings_production", "DJANGO_SECRET_KEY": random_secret()})
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout
    assert "WARNING" not in done.stdout + done.stderr


@pytest.mark.parametrize("secret", [None, "too-short"])
def test_production_refuses_a_missing_or_short_secret_key(monkeypatch, secret):
    if secret is None:
        monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("DJANGO_SECRET_KEY", secret)
    sys.modules.pop("config.settings_production", None)
    try:
        with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
            importlib.import_module("config.settings_production")
    finally:
        sys.modules.pop("config.settings_production", None)


def test_production_hardening_values(production):
    assert production.DEBUG is False
    assert production.SECURE_HSTS_SECONDS >= 365 * 24 * 3600
    assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE
    assert production.SESSION_COOKIE_HTTPONLY
    assert production.SECURE_SSL_REDIRECT
    assert production.PASSWORD_HASHERS[0] == "dandang.core.hashers.DandangArgon2PasswordHasher"


@pytest.mark.django_db
def test_hsts_csp_and_secure_cookies_under_production_settings(production, client):
    values = {name: getattr(production, name) for name in PRODUCTION_SECURITY}
    with override_settings(**values):
        plain = client.get("/accounts/login/")
        assert plain.status_code == 301 and plain["Location"].startswith("https://")

        response = client.get("/accounts/login/", secure=True)
        assert response.status_code == 200
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert response.cookies["csrftoken"]["secure"] is True

        # Behind the reverse proxy, which terminates TLS and says so in X-Forwarded-Proto.
        proxied = client.get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})
        assert proxied.status_code == 200
        assert "Strict-Transport-Security" in proxied


@pytest.mark.django_db
def test_no_hsts_without_tls_in_development(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response
    assert "script-src 'self'" in response["Content-Security-Policy"]


# --- passwords -------------------------------------------------------------------------------


def test_argon2id_with_owasp_parameters_is_the_production_hasher():
    base = importlib.import_module("config.settings")
    assert base.PASSWORD_HASHERS[0] == "dandang.core.hashers.DandangArgon2PasswordHasher"
    # Django's own Argon2 hasher stays listed, so that hashes it made still verify.
    assert ARGON2 in base.PASSWORD_HASHERS
    from dandang.core.hashers import DandangArgon2PasswordHasher

    encoded = DandangArgon2PasswordHasher().encode("secret", "somesaltsalt")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert DandangArgon2PasswordHasher().verify("secret", encoded)
    assert not DandangArgon2PasswordHasher().verify("Secret", encoded)


@pytest.mark.django_db
def test_a_hash_with_other_argon2_parameters_verifies_and_is_upgraded_at_login(client):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import Argon2PasswordHasher

    User = get_user_model()  # core never imports org
    hashers = ["dandang.core.hashers.DandangArgon2PasswordHasher", ARGON2]
    with override_settings(PASSWORD_HASHERS=hashers):
        user = User.objects.create(username="old_hash")
        # A hash as Django's default Argon2 hasher made it (100 MiB, 8 lanes).
        user.password = Argon2PasswordHasher().encode("Correct-horse-9", Argon2PasswordHasher().salt())
        user.save(update_fields=["password"])
        assert "m=102400,t=2,p=8" in user.password
        assert client.post(reverse("login"), {"username": "old_hash", "password": "Correct-horse-9"}).status_code == 302
        user.refresh_from_db()
        assert "m=19456,t=2,p=1" in user.password
        # Refused password: nothing rehashed.
        before = user.password
        Client().post(reverse("login"), {"username": "old_hash", "password": "wrong"})
        user.refresh_from_db()
        assert user.password == before


@pytest.mark.django_db
def test_password_minimum_length_comes_from_the_security_rulebook():
    with pytest.raises(ValidationError) as exc:
        validate_password("Xk9#mQ2$z")  # 9 characters
    assert [e.code for e in exc.value.error_list] == ["password_too_short"]
    validate_password("Xk9#mQ2$zL")  # 10 characters: the shipped minimum
    rulebook_publish(actor=None, document=security_override(password__min_length=12))
    with pytest.raises(ValidationError):
        validate_password("Xk9#mQ2$zLp")  # 11 characters
    validate_password("Xk9#mQ2$zLp4")


# --- login lockout (django-axes, numbers from the security rulebook) ---------------------------


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.django_db
def test_axes_reads_the_security_rulebook():
    assert login_failure_limit() == 5
    assert login_cooloff() == dt.timedelta(minutes=30)
    rulebook_publish(actor=None, document=security_override(login_lockout__failure_limit=3))
    assert login_failure_limit() == 3


@pytest.mark.django_db
def test_five_failed_logins_lock_the_account(world, client):
    assert settings.AXES_ENABLED
    for _attempt in range(4):
        response = login(client, "staff_a", "wrong")
        assert response.status_code == 200  # the form again, with its error
    response = login(client, "staff_a", "wrong")
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    # Locked: even the right password is refused, and nobody is logged in.
    response = login(client, "staff_a", "pw-staff_a")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked.
    other = Client()
    assert login(other, "staff_b", "pw-staff_b").status_code == 302


@pytest.mark.django_db
def test_lockout_ends_after_the_cool_off(world, client):
    for _attempt in range(5):
        login(client, "staff_a", "wrong")
    assert login(client, "staff_a", "pw-staff_a").status_code == 429
    # 31 minutes later (the rulebook's cool-off is 30).
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31))
    assert login(client, "staff_a", "pw-staff_a").status_code == 302


@pytest.mark.django_db
def test_a_published_override_changes_the_failure_limit(world, client):
    rulebook_publish(actor=None, document=security_override(login_lockout__failure_limit=3))
    assert login(client, "staff_a", "wrong").status_code == 200
    assert login(client, "staff_a", "wrong").status_code == 200
    assert login(client, "staff_a", "wrong").status_code == 429


@pytest.mark.django_db
def test_a_successful_login_resets_the_count(world, client):
    for _attempt in range(4):
        login(client, "staff_a", "wrong")
    assert login(client, "staff_a", "pw-staff_a").status_code == 302
    client.logout()
    assert login(client, "staff_a", "wrong").status_code == 200  # counting starts again


# --- CSRF ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_csrf_is_enforced_on_the_login_form(world):
    client = Client(enforce_csrf_checks=True)
    refused = login(client, "staff_a", "pw-staff_a")
    assert refused.status_code == 403
    assert "_auth_user_id" not in client.session
    page = client.get(reverse("login"))
    token = page.cookies["csrftoken"].value
    accepted = client.post(
        reverse("login"), {"username": "staff_a", "password": "pw-staff_a", "csrfmiddlewaretoken": token}
    )
    assert accepted.status_code == 302


@pytest.mark.django_db
def test_csrf_header_is_accepted_for_htmx_requests(world):
    """htmx sends the token in X-CSRFToken (base.html sets hx-headers); without it a POST fails."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("staff_a"))
    token = client.get(reverse("home")).cookies["csrftoken"].value
    url = reverse("logout")
    assert client.post(url, headers={"HX-Request": "true"}).status_code == 403
    assert client.post(url, headers={"HX-Request": "true", "X-CSRFToken": token}).status_code == 302
