"""Fuzzing of the JSON API ``/api/v1/`` with schemathesis, on PostgreSQL.

The schema is the one the application serves (``/api/v1/openapi.json``), loaded through the WSGI
application itself: every request goes through the whole middleware stack to the test database,
with no network.  ``test_api`` is one test per operation of the document (``test_api[POST
/api/v1/cadres]``…) running schemathesis' phases: the schema's examples, the coverage phase
(boundary values, missing and wrongly typed fields, unexpected methods) and ``FUZZ_EXAMPLES``
random cases (20 in ``make test``, 200 in ``make fuzz``), valid and invalid, from a fixed seed
(``FUZZ_SEED``), so that a run is reproducible.  ``test_roster_import`` fuzzes the multipart import
with roster files built by hypothesis.

Every request carries the bearer token of ``staff_a`` (organization-department staff over county A
of :func:`dandang.testing.build_world`).  :func:`aim` points generated ids, usernames and national ID
numbers at the fixture world (see :data:`TARGETS`), so that most requests find real objects — in the
caller's jurisdiction or outside it — and reach the services instead of stopping at a 404.  Every
response must pass :data:`CHECKS`: no 5xx; the status code, the content type and the body as the
document declares them for the operation.

The world is built once per module, in a transaction rolled back at the end; each operation runs in
a savepoint of its own (the ``db`` fixture), so that every operation starts from the same world.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from config.wsgi import application
from dandang.testing import make_id_number

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
SEED = int(os.environ.get("FUZZ_SEED", "20250603"))

# Values taken from earlier responses (ids, mostly) are not reused: they depend on the database
# sequences, hence on the tests that ran before on the worker, and would make a run depend on more
# than the seed.  ``aim`` points the cases at the fixture world instead.
_NO_RESPONSE_DATA = {"enabled": True, "extra-data-sources": {"responses": False}}
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"mode": "all", "max-examples": EXAMPLES},
        "phases": {"examples": _NO_RESPONSE_DATA, "coverage": _NO_RESPONSE_DATA, "fuzzing": _NO_RESPONSE_DATA},
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no example database: a run depends on the seed only
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.fuzz,
    # Hypothesis warns when it renders a large case (a roster file) for its report.
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]


# --- the fixture world ---------------------------------------------------------------------


@dataclass(repr=False)
class Targets:
    """Real values of the fixture world that generated values are replaced with."""

    token: str = ""
    ids: dict[str, list[int]] = field(default_factory=dict)
    usernames: list[str] = field(default_factory=list)
    # The versions the archive entries have: a step names the version it was decided on.
    versions: list[int] = field(default_factory=list)
    id_numbers: list[str] = field(default_factory=list)
    roster_xlsx: bytes = b""
    roster_csv: dict[str, bytes] = field(default_factory=dict)
    # County A, for roster rows that refer to registered organizations, posts and cadres.
    codes_a: list[str] = field(default_factory=list)
    posts_a: list[tuple[str, str]] = field(default_factory=list)
    id_numbers_a: list[str] = field(default_factory=list)

    def __repr__(self) -> str:  # shown with every failing example: keep it short
        return f"Targets({', '.join(f'{k}: {len(v)}' for k, v in self.ids.items())})"


# The kind of object each id parameter or field names.  An operation whose parameters follow these
# names is aimed at the world as it is; a new kind of object needs a line here and in ``fuzz_world``.
TARGETS = {
    "org_id": "organization",
    "organization_id": "organization",
    "parent_id": "organization",
    "post_id": "post",
    "cadre_id": "cadre",
    "tenure_id": "tenure",
    "grant_id": "grant",
    "entry_id": "archive_entry",
    "task_id": "archive_task",
    "evidence_id": "archive_evidence",
}


def archive_world(world: Any) -> None:
    """Archive entries in every state, with evidence, for cadres inside (A1 by cadre_a1, A3 by staff_a
    — the caller may amend that one) and outside (B1 by staff_b) the caller's county, and a task on
    each side: built through the services."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dandang.archive import services as archive

    for key, author, task_org in (
        ("A1", "cadre_a1", "A-bureau"),
        ("A3", "staff_a", None),
        ("B1", "staff_b", "B-bureau"),
    ):
        task = (
            archive.archive_task_create(actor=None, organization=world.orgs[task_org], name="防汛抢险", year=2024)
            if task_org
            else None
        )
        for state in ("draft", "submitted", "verified"):
            entry = archive.archive_entry_create(
                actor=None,
                cadre=world.cadres[key],
                author=world.user(author),
                occurred_on=dt.date(2024, 7, 10),
                category="key_tasks",
                title=f"{key} {state}",
                description=f"{key}：汛期转移群众 300 人（{state}）。",
                task=task,
                share_percent=Decimal("60") if task else None,
                metrics=[{"indicator": "转移群众", "unit": "人", "target": "250", "actual": "300"}],
            )
            upload = SimpleUploadedFile(f"{key}-{state}.pdf", f"fuzz evidence {key} {state}".encode())
            archive.archive_evidence_add(actor=None, entry=entry, upload=upload, kind="acceptance_report")
            if state != "draft":
                entry = archive.archive_entry_submit(actor=None, entry=entry)
            if state == "verified":
                archive.archive_entry_verify(
                    actor=None,
                    entry=entry,
                    method="site_visit",
                    scores={"completion": 90, "authenticity": 95, "difficulty": 80, "contribution": 60},
                )


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Targets]:
    """The fixture world and a token of ``staff_a``, built once for the module and rolled back.
    Uploaded files go to a temporary media directory."""
    from dandang.archive.models import ArchiveEntry, ArchiveTask, Evidence
    from dandang.org import importing
    from dandang.org.models import Cadre, Organization, Post, RoleGrant, Tenure
    from dandang.org.services import api_token_create
    from dandang.testing import build_world

    media = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("fuzz-media")))
    media.enable()
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = build_world()
            archive_world(world)
            staff = world.user("staff_a")
            _, token = api_token_create(actor=None, name="fuzz", user=staff)
            parent = importing.template_parent(staff)
            targets = Targets(
                token=token,
                ids={
                    "organization": sorted(Organization.objects.values_list("pk", flat=True)),
                    "post": sorted(Post.objects.values_list("pk", flat=True)),
                    "cadre": sorted(Cadre.objects.values_list("pk", flat=True)),
                    "tenure": sorted(Tenure.objects.values_list("pk", flat=True)),
                    "grant": sorted(RoleGrant.objects.values_list("pk", flat=True)),
                    "archive_entry": sorted(ArchiveEntry.objects.values_list("pk", flat=True)),
                    "archive_task": sorted(ArchiveTask.objects.values_list("pk", flat=True)),
                    "archive_evidence": sorted(Evidence.objects.values_list("pk", flat=True)),
                },
                usernames=sorted(u.username for u in world.users.values()),
                versions=sorted(set(ArchiveEntry.objects.values_list("version", flat=True))),
                id_numbers=sorted(Cadre.objects.values_list("id_number", flat=True)),
                roster_xlsx=importing.roster_template_xlsx(parent=parent),
                roster_csv={k: importing.roster_template_csv(k, parent=parent) for k in importing.KINDS},
                codes_a=sorted(o.code for k, o in world.orgs.items() if k.startswith("A")),
                posts_a=sorted((p.organization.code, p.title) for k, p in world.posts.items() if k.startswith("A")),
                id_numbers_a=sorted(c.id_number for k, c in world.cadres.items() if k.startswith("A")),
            )
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            media.disable()
            raise
    yield targets
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)
    media.disable()


@pytest.fixture
def token(fuzz_world: Targets, db: Any) -> Iterator[str]:
    """The bearer token, inside the operation's own savepoint (``db``).

    Django's request handler closes the database connection before and after each request when it
    is not in autocommit mode, which would end the test transaction: as Django's test client does,
    the handler is kept from doing that while the operation runs.
    """
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)  # thousands of 4xx answers are expected; a 5xx still shows
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield fuzz_world.token
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
        request_log.setLevel(level)


# --- aiming generated cases at the world ---------------------------------------------------


# Ids from here on name no row of the test database: PostgreSQL sequences are not rolled back, so a
# small generated id may or may not hit a row depending on the tests that ran before on the worker.
ABSENT = 10**12


def _date(value: Any) -> dt.date | None:
    """A generated birth date that an ID number can carry (the years 1900-2099), else None."""
    try:
        date = dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return date if date is not None and 1900 <= date.year < 2100 else None


def aim(case: schemathesis.Case, targets: Targets) -> None:
    """Replace generated ids, archive entry versions, usernames and national ID numbers by real ones,
    four times out of five; the rest stay as generated (unknown users, bad check digits) or, for an id, name no object
    (:data:`ABSENT`).  Only values of the right type are replaced, so that an invalid case stays
    invalid.

    The choices come from a generator seeded with the case itself: the same case is always aimed the
    same way, which hypothesis needs to replay and shrink a failing case.
    """
    body = case.body if isinstance(case.body, dict | list | str | bytes | int | float | None) else "(no body)"
    rng = random.Random(repr((case.operation.label, case.path_parameters, case.query, body)))
    for values in (case.path_parameters, case.query, case.body):
        if not isinstance(values, dict):
            continue
        for name, value in list(values.items()):
            if name in TARGETS and isinstance(value, int) and not isinstance(value, bool):
                options: list[Any] = targets.ids[TARGETS[name]]
            elif name == "version" and isinstance(value, int) and not isinstance(value, bool) and targets.versions:
                options = targets.versions
            elif name == "username" and isinstance(value, str) and 1 <= len(value) <= 150:
                options = targets.usernames
            elif name == "id_number" and isinstance(value, str) and 1 <= len(value) <= 18:
                # A new number carries the birth date sent with it, as a real one does.
                birth = _date(values.get("birth_date")) or dt.date(1955, 1, 1) + dt.timedelta(rng.randrange(18_000))
                fresh_number = make_id_number(rng.randrange(900, 1000), birth)
                options = [*targets.id_numbers, fresh_number, fresh_number]
            else:
                continue
            if rng.randrange(5):
                values[name] = rng.choice(options)
            elif name in TARGETS and 0 < value < ABSENT:
                # Not a real object: an id past every row, whatever ids the tests before used up.
                values[name] = ABSENT + value


# --- the tests -----------------------------------------------------------------------------

# Responses per operation, phase and status; conftest-free reporting: each test's figures travel
# in its report's user_properties to tests/fuzz/report.py (make fuzz prints them).
STATS: Counter[tuple[str, str, int]] = Counter()


@pytest.fixture(autouse=True)
def _record_stats(request: pytest.FixtureRequest) -> Iterator[None]:
    STATS.clear()
    yield
    request.node.user_properties.append(("fuzz", [[*key, count] for key, count in sorted(STATS.items())]))


def call_and_check(case: schemathesis.Case, token: str, content_type: str | None = None) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    response = case.call(headers=headers)
    phase = case.meta.phase.name.value if case.meta is not None else "explicit"
    STATS[(case.operation.label, phase, response.status_code)] += 1
    case.validate_response(response, checks=CHECKS, headers=headers)


@schema.parametrize()
@HYPOTHESIS
def test_api(case: schemathesis.Case, token: str, fuzz_world: Targets) -> None:
    aim(case, fuzz_world)
    call_and_check(case, token)


# Cell values that spreadsheets bring: control characters (NUL: PostgreSQL cannot store it), a byte
# order mark, a formula, blanks, a very long number.
AWKWARD = ["\x00", "\ufeff", "\u3000", "\t", "=1+1", " ", "9" * 40, "NULL", "-0"]


def cells(example: str) -> st.SearchStrategy[str]:
    """A changed cell: the template's value with something awkward added, something awkward alone,
    or any text."""
    awkward = st.sampled_from(AWKWARD)
    return st.one_of(
        st.tuples(awkward, st.sampled_from([example + "{}", "{}" + example])).map(lambda t: t[1].format(t[0])),
        awkward,
        st.text(max_size=30),
    )


def roster_files(targets: Targets) -> st.SearchStrategy[tuple[str, bytes]]:
    """Files for the roster import: the template workbook (valid rows — written once, then refused
    as duplicates); CSV files of one kind, UTF-8 with BOM or UTF-16 (Excel's "Unicode text"), whose
    cells are the template's or generated text; and unreadable bytes named .xlsx, .csv or nothing."""

    @st.composite
    def csv_file(draw: st.DrawFn) -> tuple[str, bytes]:
        kind = draw(st.sampled_from(sorted(targets.roster_csv)))
        header, example = list(csv.reader(targets.roster_csv[kind].decode("utf-8-sig").splitlines()))[:2]
        keys = [h.split(" ", 1)[0] for h in header]
        rows = []
        for _ in range(draw(st.integers(1, 2))):
            # The template's example made new (a new code or ID number, under a registered
            # organization of county A), with a cell or two changed: it passes most checks.
            row = dict(zip(keys, example, strict=True))
            if kind == "organizations":
                row["code"] = f"{row['parent_code']}-F{draw(st.integers(0, 99)):02d}"
            elif kind in ("posts", "cadres"):
                row["organization_code"] = draw(st.sampled_from(targets.codes_a))
            if kind == "cadres":
                birth = dt.date.fromisoformat(row["birth_date"])
                row["id_number"] = make_id_number(draw(st.integers(900, 999)), birth, row["id_number"][:6])
            elif kind == "tenures":
                row["id_number"] = draw(st.sampled_from(targets.id_numbers_a))
                row["organization_code"], row["post_title"] = draw(st.sampled_from(targets.posts_a))
            values = list(row.values())
            changed = draw(st.sets(st.integers(0, len(values) - 1), max_size=2))
            rows.append([draw(cells(v)) if i in changed else v for i, v in enumerate(values)])
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
        text = out.getvalue()
        if draw(st.booleans()):
            return "roster.csv", text.encode("utf-16", "surrogatepass")
        return "roster.csv", ("\ufeff" + text).encode("utf-8", "surrogatepass")

    garbage = st.tuples(st.sampled_from(["roster.xlsx", "roster.csv", "roster", "roster.pdf"]), st.binary(max_size=200))
    # Hypothesis favours the first choices: the CSV files, which reach the checks and the writes.
    return st.one_of(csv_file(), garbage, st.just(("roster.xlsx", targets.roster_xlsx)))


def multipart(body: dict[str, Any], filename: str, content: bytes) -> tuple[bytes, str]:
    """The form as the browser sends it: the generated ``sheet`` (when it is text) and the file
    under its own name (schemathesis names every file part ``file``)."""
    fields: MultiDict[str, Any] = MultiDict()
    if isinstance(body.get("sheet"), str):
        fields.add("sheet", body["sheet"].encode("utf-8", "replace").decode("utf-8"))
    fields.add("file", FileStorage(io.BytesIO(content), filename=filename, name="file"))
    boundary, data = encode_multipart(fields, boundary="dandang-fuzz-boundary")  # fixed: reproducible
    return data, f"multipart/form-data; boundary={boundary}"


@schema.include(path="/api/v1/roster-imports", method="POST").parametrize()
@schema.given(data=st.data())
@HYPOTHESIS
def test_roster_import(case: schemathesis.Case, data: st.DataObject, token: str, fuzz_world: Targets) -> None:
    content_type = None
    if isinstance(case.body, dict) and "file" in case.body:
        filename, content = data.draw(roster_files(fuzz_world), label="file")
        # The generated sheet option is almost never a kind: mostly leave it out, or name a kind.
        sheet = data.draw(st.sampled_from(["", "", "organizations", "cadres", case.body.get("sheet", "")]))
        case.body, content_type = multipart({"sheet": sheet}, filename, content)
    call_and_check(case, token, content_type)
