"""Fault drill: PostgreSQL restarts while requests run.

On a cluster of its own (never the shared server), behind gunicorn with persistent connections
(``DATABASE_CONN_MAX_AGE``) and health checks:

1. a restart while every worker is idle: each worker's persistent connection is dead, and the
   health check replaces it — the next request in every worker succeeds;
2. a restart while a request runs in every worker (a page, an API call and the loop's request):
   each answers a clean 503 page (the API its JSON error) — no hung connection, no crashed worker
   — and the application then serves again by itself, without a restart.

To have requests truly in flight, in every worker, the drill holds locks that they wait on (the
session table for pages, the API token table for the API) until it sees them all waiting.
"""

from __future__ import annotations

import contextlib
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from django.contrib.sessions.models import Session

from dandang.org.models import ApiToken
from tests.drills.harness import (
    PYTHON,
    Database,
    HttpClient,
    Response,
    children,
    django_env,
    django_python,
    free_port,
    log_tail,
    manage,
    other_backends,
    running,
    throwaway_cluster,
    timed,
    wait_until,
)

pytestmark = [pytest.mark.postgres_only, pytest.mark.drill]

USER, PASSWORD = "drill_staff", "drill-password-2025"
SETUP = f"""from dandang.org import services
user = services.user_create(actor=None, username="{USER}", password="{PASSWORD}")
print(services.api_token_create(actor=None, user=user, name="drill")[1])"""
PAGE, API = "/", "/api/v1/organizations"
ENGLISH = {"Accept-Language": "en"}
# One worker for each request held in flight (a page, an API call) and one for the loop's request.
WORKERS = 3


def log_in(client: HttpClient) -> None:
    form = client.get("/accounts/login/")
    assert form.status == 200, form.status
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
    assert token, "no CSRF token on the login page"
    body = urlencode({"username": USER, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)})
    answer = client.request(
        "POST", "/accounts/login/", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert answer.status == 302 and "sessionid" in client.cookies, (answer.status, answer.body[:500])


class Traffic(threading.Thread):
    """Requests in a loop, page and API in turn, each recorded with its time or its exception."""

    def __init__(self, client: HttpClient, bearer: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.client, self.bearer = client, bearer
        self.stop = threading.Event()
        self.results: list[tuple[float, str, Response | Exception]] = []

    def run(self) -> None:
        turn = 0
        while not self.stop.is_set():
            path = PAGE if turn % 2 == 0 else API
            turn += 1
            try:
                outcome: Response | Exception = self.client.get(path, **self.bearer)
            except Exception as exc:  # a hung or dropped connection is what the drill looks for
                outcome = exc
            self.results.append((time.monotonic(), path, outcome))
            time.sleep(0.02)


def hold_in_flight(
    db: Database,
    client: HttpClient,
    requests: list[tuple[str, dict[str, str]]],
    *,
    waiting: int,
    then: Callable[[], None],
) -> list[Response | Exception]:
    """Send ``requests`` at once while holding the tables they read; once ``waiting`` requests wait
    on the database (one per worker), call ``then``, release the tables and collect the answers."""
    answers: list[Response | Exception] = [RuntimeError("no answer")] * len(requests)

    def send(i: int, path: str, headers: dict[str, str]) -> None:
        try:
            answers[i] = client.get(path, **headers)
        except Exception as exc:
            answers[i] = exc

    blocker = db.connect(autocommit=False)
    threads = [threading.Thread(target=send, args=(i, p, h)) for i, (p, h) in enumerate(requests)]
    try:
        blocker.execute(f'LOCK TABLE "{Session._meta.db_table}", "{ApiToken._meta.db_table}" IN ACCESS EXCLUSIVE MODE')
        for thread in threads:
            thread.start()
        try:
            wait_until(
                lambda: len(other_backends(db, waiting_on_lock=True)) == waiting,
                timeout=30,
                what=f"{waiting} requests waiting on the database",
            )
        except AssertionError as exc:
            # A request that did not wait answered at once: say how.
            raise AssertionError(f"{exc}; answers so far: {[status(a) for a in answers]}") from None
        then()
    finally:
        with contextlib.suppress(Exception):  # after a restart the session is gone already
            blocker.rollback()
        with contextlib.suppress(Exception):
            blocker.close()
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive(), f"a request hung: {thread.name}"
    return answers


def assert_clean_503(answer: Response | Exception, *, api: bool) -> None:
    assert isinstance(answer, Response), f"the request failed without an answer: {answer!r}"
    assert answer.status == 503, (answer.status, answer.body[:300])
    assert answer.headers.get("retry-after")
    if api:
        assert answer.content_type.startswith("application/json")
        assert answer.json()["code"] == "database_unavailable"
    else:
        assert answer.content_type.startswith("text/html")
        assert '<html lang="en">' in answer.body
        assert "The database is unavailable for a moment" in answer.body


def status(answer: Response | Exception) -> int | str:
    return answer.status if isinstance(answer, Response) else repr(answer)


def test_requests_survive_a_postgres_restart(tmp_path):
    with throwaway_cluster() as cluster:
        with cluster.server.connect() as admin:
            admin.execute("CREATE DATABASE dandang")
        db = Database(name="dandang", host="127.0.0.1", port=cluster.port, user="postgres")
        env = django_env(
            db.url,
            tmp_path,
            DATABASE_CONN_MAX_AGE="600",  # persistent connections: each must notice the restart
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
        )
        manage("migrate", "--no-input", "-v0", env=env)
        token = django_python(SETUP, env=env).split()[-1]
        bearer = {"Authorization": f"Bearer {token}"}

        port = free_port()
        log = tmp_path / "gunicorn.log"
        server_command = [
            PYTHON, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", str(WORKERS), "--timeout", "30", "--graceful-timeout", "5",
        ]  # fmt: skip
        with running(server_command, env=env, log=log) as server:
            client = HttpClient(port=port, timeout=25)
            try:
                with timed("gunicorn up"):
                    wait_until(lambda: _answers(client), timeout=45, what="gunicorn to serve")
                log_in(client)
                everywhere = [(PAGE, {}), (API, bearer), (PAGE, {})][:WORKERS]
                # Every worker opens its persistent connection.
                warm = hold_in_flight(db, client, everywhere, waiting=WORKERS, then=lambda: None)
                assert [status(a) for a in warm] == [200] * WORKERS
                workers = children(server.pid)
                assert len(workers) == WORKERS

                # 1. Restart while idle: every persistent connection is dead; health checks replace them.
                with timed("pg_ctl restart -m fast (idle)"):
                    cluster.restart()
                after_idle = hold_in_flight(db, client, everywhere, waiting=WORKERS, then=lambda: None)
                assert [status(a) for a in after_idle] == [200] * WORKERS

                # 2. Restart with a request in flight in every worker, and a loop of requests throughout.
                traffic = Traffic(client, bearer)
                traffic.start()
                held = [(PAGE, ENGLISH), (API, {**ENGLISH, **bearer})]
                restarted_at = time.monotonic()
                with timed("pg_ctl restart -m fast (in flight)"):
                    page, api = hold_in_flight(db, client, held, waiting=WORKERS, then=cluster.restart)
                assert_clean_503(page, api=False)
                assert_clean_503(api, api=True)

                # Back by itself: the next requests succeed without restarting anything.
                with timed("recovery"):
                    wait_until(lambda: client.get(PAGE).status == 200, timeout=20, what="the application to recover")
                recovered = hold_in_flight(db, client, everywhere, waiting=WORKERS, then=lambda: None)
                assert [status(a) for a in recovered] == [200] * WORKERS
                traffic.stop.set()
                traffic.join(30)

                # The loop saw only 200s and clean 503s, never a dropped or hung connection.
                seen = [(path, status(o)) for _t, path, o in traffic.results]
                print(f"[drill] loop: {Counter(s for _p, s in seen)}", file=sys.stderr)
                assert all(s in (200, 503) for _p, s in seen), seen
                assert any(t > restarted_at and status(o) == 200 for t, _p, o in traffic.results)
                for _t, path, outcome in traffic.results:
                    if isinstance(outcome, Response) and outcome.status == 503:
                        assert outcome.content_type.startswith("application/json" if path == API else "text/html")
                # No worker crashed or was killed for timing out.
                assert server.poll() is None
                assert children(server.pid) == workers
            except AssertionError as exc:
                tails = f"--- gunicorn ---\n{log_tail(log)}\n--- postgres ---\n{log_tail(cluster.log)}"
                raise AssertionError(f"{exc}\n{tails}") from exc


def _answers(client: HttpClient) -> bool:
    try:
        return client.get("/accounts/login/").status == 200
    except OSError:
        return False
