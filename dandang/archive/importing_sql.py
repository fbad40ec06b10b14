# ruff: noqa: S608 - the SQL built here names tables and columns only; every value is a parameter
"""The set-based path of the archive import on PostgreSQL (issue 4, point 6; docs/benchmarks.md
"The archive import").

A .csv file whose header is clean is streamed once through the shared reader
(:mod:`dandang.core.tabular`: encodings, blank rows, the row limit) into a temporary staging table
of text columns with the row number, by ``COPY``.  Then one query checks every row in SQL: the
cadre within the importer's jurisdiction, the date, the choices, the numbers, the lengths, the
duplicates (in the file and in the archive), the author; the author's right to record is checked
per distinct (author, organization, polarity).  When every row is clean, the tasks are resolved
(per distinct organization, year and name), the entries and their metrics are written with
``INSERT … SELECT`` and the audit digest of each county-level partition is computed in SQL, the
same as :class:`dandang.core.audit.RowsDigest` over the rows the Python path writes.

The checks here are *at least as strict* as the Python checker, never less: anything they cannot
accept for sure (a date or a number in a rarer spelling, a choice spelled otherwise, any error)
makes :func:`import_csv` return None, its work is rolled back, and the caller runs the Python
checker over the file, which words every error (sheet, row, column, reason) in the user's
language — or writes the file when the spelling was merely unusual.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from dandang.archive.models import ArchiveEntry, ArchiveTask, OutcomeMetric, Polarity, Status
from dandang.core import tabular
from dandang.core.audit import RowsDigest
from dandang.core.tabular import Table, choice_vocabulary
from dandang.org.models import Cadre, Organization, User
from dandang.org.roles import Cap
from dandang.org.selectors import has_capability, scope_q

if TYPE_CHECKING:
    from dandang.archive.importing import _Partition

_STAGE = "archive_import_stage"
_ROWS = "archive_import_rows"
_TASKS = "archive_import_tasks"


class _Digest(RowsDigest):
    """A digest computed by the database."""

    def __init__(self, hexdigest: str, count: int) -> None:
        super().__init__()
        self._hex, self.count = hexdigest, count

    def hexdigest(self) -> str:
        return self._hex


def import_csv(table: Table, actor: User | None, chunk: int) -> dict[str, _Partition] | None:
    """Import the rows of ``table`` (a .csv read with ``stream=True`` whose header has no error):
    what each partition received, or None when the Python checker must decide (nothing is then
    left of this attempt, and ``table`` must be read again)."""
    from dandang.archive import importing as imp

    scope = scope_q(actor, Cap.ARCHIVE_IMPORT, path="org_path", pk="org_id") if actor is not None else Q()
    if scope is None:
        return None
    at = tabular.Rows(table, imp.SPEC, []).index
    keys = [c.key for c in imp.COLUMNS if c.key in at]
    positions = [at[k] for k in keys]
    with connection.cursor() as cursor:
        # One large query over the file: JIT compiling costs more than it saves, and the sorts
        # (row order, duplicates) fit in memory.  Restored afterwards.
        cursor.execute("SELECT current_setting('jit'), current_setting('work_mem')")
        saved = cursor.fetchone()
        cursor.execute("SELECT set_config('jit', 'off', true), set_config('work_mem', '256MB', true)")
    try:
        with transaction.atomic():
            try:
                partitions = _run(table, actor, scope, keys, positions, chunk)
            except DatabaseError:
                partitions = None  # a cell the SQL could not take: the Python checker says why
            if partitions is None:
                transaction.set_rollback(True)
            return partitions
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_STAGE}, {_ROWS}, {_TASKS}")
            cursor.execute("SELECT set_config('jit', %s, true), set_config('work_mem', %s, true)", list(saved))


def _stage(table: Table, keys: list[str], positions: list[int]) -> int:
    """COPY the rows into the staging table; returns how many."""
    columns = ", ".join(f'"{k}" text' for k in keys)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {_STAGE} (line integer NOT NULL, {columns}, day date) ON COMMIT DROP")
    raw = connection.connection
    assert raw is not None
    count = 0
    names = ", ".join(["line", *(f'"{k}"' for k in keys), "day"])
    # The cells stripped (None when empty) as the Python checker strips them, and the date when
    # it is written YYYY-MM-DD (any other spelling: None, and the row goes to the Python checker).
    day_at = keys.index("occurred_on")
    with raw.cursor() as cursor, cursor.copy(f"COPY {_STAGE} ({names}) FROM STDIN") as copy:
        last = max(positions)
        for line, values in table.rows:
            if len(values) > last:
                cells = [values[p].strip() or None for p in positions]
            else:
                size = len(values)
                cells = [(values[p].strip() or None) if p < size else None for p in positions]
            text = cells[day_at]
            day = None
            if text is not None and len(text) == 10:
                try:
                    day = dt.date.fromisoformat(text)
                except ValueError:
                    day = None
            copy.write_row([line, *cells, day])
            count += 1
    return count


def _cell(keys: list[str], key: str) -> str:
    if key not in keys:
        return "NULL::text"
    return f's."{key}"'


def _run(
    table: Table, actor: User | None, scope: Q, keys: list[str], positions: list[int], chunk: int
) -> dict[str, _Partition] | None:
    from dandang.archive import importing as imp

    count = _stage(table, keys, positions)
    if count == 0:
        return None
    limits = imp._Limits()
    today = timezone.localdate()
    cadres_sql, cadre_params = (
        Cadre.objects.filter(scope).values("id", "id_number", "birth_date", "org_id").query.sql_with_params()
    )
    params: dict[str, Any] = {"today": today, "actor": getattr(actor, "pk", None)}
    # The choices: every spelling the Python checker accepts as it is (or lower-cased) → value.
    choice_sql: dict[str, str] = {}
    for name, choices in imp._CHOICES.items():
        vocabulary = choice_vocabulary(choices, imp._ALIASES[name])
        pairs = []
        for i, (spelling, value) in enumerate(sorted(vocabulary.items())):
            params[f"{name}_k{i}"], params[f"{name}_v{i}"] = spelling, value
            pairs.append(f"(%({name}_k{i})s, %({name}_v{i})s)")
        choice_sql[name] = ", ".join(pairs)
    for i, p in enumerate(cadre_params):
        params[f"cadre_{i}"] = p
    numbered_cadres = cadres_sql.replace("%", "%%").replace("%%s", "%s")
    for i in range(len(cadre_params)):
        numbered_cadres = numbered_cadres.replace("%s", f"%(cadre_{i})s", 1)
    params["live"] = list(LIVE_VALUES)
    params["title_max"], params["description_max"] = limits.title, limits.description
    params["task_max"], params["indicator_max"], params["unit_max"] = limits.task, limits.indicator, limits.unit
    params["chunk"] = chunk
    number = r"^-?[0-9]{1,14}(\.[0-9]{1,4})?$"
    params["number_re"] = number
    params["share_re"] = r"^[0-9]{1,3}(\.[0-9]{1,2})?[%％]?$"
    c = {k: _cell(keys, k) for k in (col.key for col in imp.COLUMNS)}
    entry_seq = f"pg_get_serial_sequence('{ArchiveEntry._meta.db_table}', 'id')"
    sql = f"""
CREATE TEMP TABLE {_ROWS} ON COMMIT DROP AS
WITH s AS (
  SELECT s.line,
    upper({c["id_number"]}) AS id_number, {c["occurred_on"]} AS day, {c["category"]} AS category,
    {c["title"]} AS title, {c["description"]} AS description, {c["polarity"]} AS polarity,
    {c["task"]} AS task, {c["share_percent"]} AS share, {c["difficulty"]} AS difficulty,
    {c["indicator"]} AS indicator, {c["unit"]} AS unit, {c["baseline"]} AS baseline,
    {c["target"]} AS target, {c["actual"]} AS actual, {c["author"]} AS author, s.day AS on_day
  FROM {_STAGE} s
), v AS (
  SELECT s.*,
    cat.v AS category_v, coalesce(pol.v, CASE WHEN s.polarity IS NULL THEN 'positive' END) AS polarity_v,
    coalesce(dif.v, CASE WHEN s.difficulty IS NULL THEN 'ordinary' END) AS difficulty_v,
    (s.indicator IS NOT NULL OR s.unit IS NOT NULL OR s.baseline IS NOT NULL OR s.target IS NOT NULL
      OR s.actual IS NOT NULL) AS has_metric,
    CASE WHEN s.share ~ %(share_re)s THEN rtrim(s.share, '%%％')::numeric END AS share_n,
    CASE WHEN s.baseline ~ %(number_re)s THEN s.baseline::numeric END AS baseline_n,
    CASE WHEN s.target ~ %(number_re)s THEN s.target::numeric END AS target_n,
    CASE WHEN s.actual ~ %(number_re)s THEN s.actual::numeric END AS actual_n
  FROM s
  LEFT JOIN (VALUES {choice_sql["category"]}) cat(k, v) ON cat.k = lower(s.category)
  LEFT JOIN (VALUES {choice_sql["polarity"]}) pol(k, v) ON pol.k = lower(s.polarity)
  LEFT JOIN (VALUES {choice_sql["difficulty"]}) dif(k, v) ON dif.k = lower(s.difficulty)
), r AS (
  SELECT v.*, c.id AS cadre_id, c.birth_date, c.org_id AS cadre_org_id,
    t.id AS tenure_id, t.post_id, coalesce(t.organization_id, c.org_id) AS organization_id,
    coalesce(u.id, CASE WHEN v.author IS NULL THEN %(actor)s END) AS author_id,
    count(*) OVER (PARTITION BY c.id, v.on_day, v.title COLLATE "C") AS same,
    row_number() OVER (ORDER BY v.line) - 1 AS position
  FROM v
  LEFT JOIN ({numbered_cadres}) c ON c.id_number = v.id_number
  LEFT JOIN LATERAL (
    SELECT t.id, t.post_id, p.organization_id FROM org_tenure t JOIN org_post p ON p.id = t.post_id
    WHERE t.cadre_id = c.id AND t.start <= v.on_day AND (t."end" IS NULL OR t."end" >= v.on_day)
    ORDER BY t.start DESC, t.id DESC LIMIT 1
  ) t ON true
  LEFT JOIN org_user u ON u.username = v.author AND u.is_active
)
SELECT nextval({entry_seq}) AS id, q.* FROM (
  SELECT r.line, r.position, r.position / %(chunk)s AS chunk, r.cadre_id, r.cadre_org_id, r.tenure_id, r.post_id,
    r.organization_id, r.on_day, r.category_v AS category, r.title, r.description, r.polarity_v AS polarity,
    r.task, r.share_n::numeric(5, 2) AS share, r.difficulty_v AS difficulty, r.has_metric, r.indicator, r.unit,
    r.baseline_n::numeric(18, 4) AS baseline, r.target_n::numeric(18, 4) AS target,
    r.actual_n::numeric(18, 4) AS actual,
    r.author_id
  FROM r
  WHERE r.cadre_id IS NOT NULL AND r.on_day IS NOT NULL AND r.on_day <= %(today)s AND r.on_day >= r.birth_date
    AND r.category_v IS NOT NULL AND r.polarity_v IS NOT NULL AND r.difficulty_v IS NOT NULL
    AND r.title IS NOT NULL AND char_length(r.title) <= %(title_max)s
    AND r.description IS NOT NULL AND char_length(r.description) <= %(description_max)s
    AND (r.task IS NULL OR char_length(r.task) <= %(task_max)s)
    AND (r.share IS NULL OR (r.task IS NOT NULL AND r.share_n > 0 AND r.share_n <= 100))
    AND (NOT r.has_metric OR (r.indicator IS NOT NULL AND char_length(r.indicator) <= %(indicator_max)s
         AND r.unit IS NOT NULL AND char_length(r.unit) <= %(unit_max)s
         AND (r.baseline IS NULL OR r.baseline_n IS NOT NULL)
         AND (r.target IS NULL OR r.target_n IS NOT NULL)
         AND (r.actual IS NULL OR r.actual_n IS NOT NULL)))
    AND (r.author IS NULL OR char_length(r.author) <= 150)
    AND r.author_id IS NOT NULL AND r.same = 1
    AND NOT EXISTS (
      SELECT 1 FROM {ArchiveEntry._meta.db_table} e
      WHERE e.cadre_id = r.cadre_id AND e.year = extract(year FROM r.on_day)::int AND e.occurred_on = r.on_day
        AND e.title = r.title AND e.status = ANY(%(live)s)
    )
  ORDER BY r.line
) q
"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount != count:
            return None  # some row is wrong, or spelled unusually: the Python checker decides
        if not _may_record(cursor, actor):
            return None
    tasks = _tasks(actor)
    return _write(tasks)


LIVE_VALUES = (Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.VERIFIED)


def _may_record(cursor: Any, actor: User | None) -> bool:
    """``services.can_record`` for every distinct (author, cadre's organization, polarity) of the
    rows whose author is not the cadre."""
    cursor.execute(
        f"SELECT DISTINCT r.author_id, r.cadre_org_id, r.polarity FROM {_ROWS} r "
        "JOIN org_user u ON u.id = r.author_id WHERE u.cadre_id IS DISTINCT FROM r.cadre_id"
    )
    wanted = cursor.fetchall()
    if not wanted:
        return True
    users = {u.pk: u for u in User.objects.filter(pk__in={w[0] for w in wanted})}
    orgs = Organization.objects.in_bulk({w[1] for w in wanted})
    for author_id, org_id, polarity in wanted:
        capability = Cap.ARCHIVE_RECORD_NEGATIVE if polarity == Polarity.NEGATIVE else Cap.ARCHIVE_RECORD
        if not has_capability(users[author_id], capability, orgs[org_id]):
            return False
    return True


def _tasks(actor: User | None) -> int:
    """Resolve the tasks the rows name (in the entry's organization or above it, the nearest
    first, else a new one in that organization, as the Python checker does) into the table of
    (organization, year, name) → task; returns how many were created."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT organization_id, extract(year FROM on_day)::int, task, min(line), min(chunk) FROM {_ROWS} "
            "WHERE task IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 4"
        )
        wanted = cursor.fetchall()
        cursor.execute(
            f"CREATE TEMP TABLE {_TASKS} (organization_id bigint, year integer, name text, task_id bigint, "
            "chunk integer, created boolean) ON COMMIT DROP"
        )
    if not wanted:
        return 0
    orgs = Organization.objects.in_bulk({w[0] for w in wanted})
    ancestors = {pk: list(reversed(o.path.strip("/").split("/"))) for pk, o in orgs.items()}
    codes = {code for chain in ancestors.values() for code in chain}
    by_code = dict(Organization.objects.filter(code__in=codes).values_list("code", "pk"))
    found: dict[tuple[int, int, str], int | ArchiveTask] = {}
    names = sorted({w[2] for w in wanted})
    years = sorted({w[1] for w in wanted})
    for part in tabular.chunks(names, 10_000):
        for pk, org_id, year, name in ArchiveTask.objects.filter(
            organization_id__in=list(by_code.values()), year__in=years, name__in=part
        ).values_list("pk", "organization_id", "year", "name"):
            found[(org_id, year, name)] = pk
    # In the order of the rows that first name them, as the Python checker meets them: a task
    # created for one organization is found by the rows of the organizations below it.
    rows: list[tuple[int, int, str, int | ArchiveTask, int, bool]] = []
    new: list[ArchiveTask] = []
    for org_id, year, name, _line, chunk in wanted:
        task: int | ArchiveTask | None = None
        for code in ancestors[org_id]:
            task = found.get((by_code.get(code, -1), year, name))
            if task is not None:
                break
        created = task is None
        if task is None:
            task = ArchiveTask(organization=orgs[org_id], name=name, year=year, created_by=actor)
            new.append(task)
            found[(org_id, year, name)] = task
            by_code.setdefault(orgs[org_id].code, org_id)
        rows.append((org_id, year, name, task, chunk, created))
    ArchiveTask.objects.bulk_create(new)
    raw = connection.connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f"COPY {_TASKS} FROM STDIN") as copy:
        for org_id, year, name, task, chunk, created in rows:
            copy.write_row((org_id, year, name, task if isinstance(task, int) else task.pk, chunk, created))
    return len(new)


def _write(created: int) -> dict[str, _Partition]:
    from dandang.archive.importing import _Partition

    entry, metric = ArchiveEntry._meta.db_table, OutcomeMetric._meta.db_table
    computed = {
        "id": "r.id",
        "cadre_id": "r.cadre_id",
        "tenure_id": "r.tenure_id",
        "post_id": "r.post_id",
        "organization_id": "r.organization_id",
        "occurred_on": "r.on_day",
        "year": "extract(year FROM r.on_day)::int",
        "quarter": "extract(quarter FROM r.on_day)::int",
        "category": "r.category",
        "title": "r.title",
        "description": "r.description",
        "polarity": "r.polarity",
        "task_id": "t.task_id",
        "share_percent": "r.share",
        "difficulty": "r.difficulty",
        "status": "%(status)s",
        "version": "1",
        "author_id": "r.author_id",
        "created_at": "%(now)s",
    }
    params: dict[str, Any] = {"status": Status.DRAFT, "now": timezone.now()}
    columns, values = [], []
    for f in ArchiveEntry._meta.concrete_fields:
        columns.append(connection.ops.quote_name(str(f.column)))
        if f.attname in computed:
            values.append(computed[f.attname])
        else:
            default = f.get_default()
            if isinstance(f, models.JSONField):
                default = json.dumps(default)
            params[f"d_{f.attname}"] = default
            values.append(f"%(d_{f.attname})s")
    join_task = (
        f"LEFT JOIN {_TASKS} t ON r.task IS NOT NULL AND t.organization_id = r.organization_id "
        "AND t.year = extract(year FROM r.on_day)::int AND t.name = r.task"
    )
    partitions: dict[str, _Partition] = defaultdict(_Partition)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {entry} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {_ROWS} r {join_task}",
            params,
        )
        cursor.execute(
            f"INSERT INTO {metric} (entry_id, indicator, unit, baseline, target, actual) "
            f"SELECT r.id, r.indicator, r.unit, r.baseline, r.target, r.actual FROM {_ROWS} r "
            "WHERE r.has_metric ORDER BY r.line"
        )
        # The digest of each partition: the rows as RowsDigest.add_plain lists them, chunk by
        # chunk: the tasks created, then the entries, then their metrics.
        cursor.execute(
            f"""
SELECT o.audit_partition, sum((x.kind = 0)::int), sum((x.kind = 1)::int), sum((x.kind = 2)::int),
  encode(sha256(convert_to(string_agg(x.line || E'\\n', '' ORDER BY x.chunk, x.kind, x.id), 'UTF8')), 'hex')
FROM (
  SELECT t.organization_id AS owner, t.chunk, 0 AS kind, t.task_id AS id,
    '["task",' || t.task_id || ',' || t.organization_id || ',' || t.year || ',' || to_json(t.name)::text || ']'
    AS line
  FROM {_TASKS} t WHERE t.created
  UNION ALL
  SELECT r.cadre_org_id, r.chunk, 1, r.id,
    '["entry",' || r.id || ',' || r.cadre_id || ',' || r.organization_id || ',"' || to_char(r.on_day, 'YYYY-MM-DD')
    || '",' || to_json(r.category)::text || ',' || to_json(r.polarity)::text || ','
    || to_json(r.difficulty)::text || ',' || coalesce(t.task_id::text, 'null') || ','
    || coalesce(to_json(r.share::text)::text, 'null') || ',' || r.author_id || ',' || to_json(r.title)::text || ']'
  FROM {_ROWS} r {join_task}
  UNION ALL
  SELECT r.cadre_org_id, r.chunk, 2, m.id,
    '["metric",' || m.id || ',' || r.id || ',' || to_json(m.indicator)::text || ',' || to_json(m.unit)::text || ','
    || coalesce(to_json(m.baseline::text)::text, 'null') || ','
    || coalesce(to_json(m.target::text)::text, 'null') || ','
    || coalesce(to_json(m.actual::text)::text, 'null') || ']'
  FROM {_ROWS} r JOIN {metric} m ON m.entry_id = r.id
) x JOIN org_organization o ON o.id = x.owner
GROUP BY o.audit_partition
"""
        )
        for partition, tasks, entries, metrics, digest in cursor.fetchall():
            part = partitions[partition]
            part.tasks, part.entries, part.metrics = int(tasks), int(entries), int(metrics)
            part.digest = _Digest(digest, part.tasks + part.entries + part.metrics)
    assert sum(p.tasks for p in partitions.values()) == created
    return partitions


__all__ = ["import_csv"]
