"""An unreachable database answers a clean 503 (page or API JSON), rendered without the database,
whether the error comes from a middleware (the session is read first) or from a view.  Other
errors keep the 500 page.  (The fault drill tests/drills/test_postgres_restart.py restarts a real
PostgreSQL under gunicorn.)"""

import re

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import InterfaceError, OperationalError
from django.test import Client

from dandang.core import context_processors

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


def client_for(user, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language, raise_request_exception=False)
    client.force_login(user)
    return client


def html_lang(response):
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def fail(exc):
    def raiser(*args, **kwargs):
        raise exc

    return raiser


def take_database_down(monkeypatch):
    """Reading the session — the first query of a logged-in request, in a middleware — fails."""
    monkeypatch.setattr(SessionStore, "load", fail(OperationalError("connection refused")))


def test_page_when_the_database_is_down(world, monkeypatch):
    client = client_for(world.user("staff_a"), "en")
    take_database_down(monkeypatch)
    response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert html_lang(response) == "en"
    assert "The database is unavailable for a moment" in body
    assert "Try again" in body


def test_page_in_the_language_of_the_browser(world, monkeypatch):
    client = client_for(world.user("staff_a"), "zh-hans")
    take_database_down(monkeypatch)
    response = client.get("/")
    assert response.status_code == 503
    assert html_lang(response) == "zh-hans"


def test_api_when_the_database_is_down(world, monkeypatch):
    client = client_for(world.user("staff_a"), "en")
    take_database_down(monkeypatch)
    response = client.get("/api/v1/organizations")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response.json() == {
        "code": "database_unavailable",
        "message": "The database is unavailable for a moment. Try again shortly.",
        "detail": None,
    }


def test_a_connection_lost_inside_a_view(world, monkeypatch):
    monkeypatch.setattr(context_processors, "inbox_unread_count", fail(InterfaceError("connection already closed")))
    response = client_for(world.user("staff_a"), "en").get("/")
    assert response.status_code == 503
    assert "The database is unavailable for a moment" in response.content.decode()


def test_other_errors_keep_the_500_page(world, monkeypatch):
    monkeypatch.setattr(context_processors, "inbox_unread_count", fail(RuntimeError("a bug")))
    response = client_for(world.user("staff_a"), "en").get("/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert not response.has_header("Retry-After")
