"""Bulk import of archive entries (issue 4, point 6) from .xlsx or .csv, with the roster import's
validation: the file is read by :mod:`dandang.core.tabular` (encodings, sheets, size and row
limits), every error is reported with sheet, row, column and reason, and a file with any error
changes nothing (DESIGN.md "Nothing lost on bad input").

The file format, one row per entry (column keys, Chinese names, English labels — a header may use
any of them; the template's headers are in the user's language):

``id_number`` 身份证号 (the cadre, registered and within the importer's jurisdiction),
``occurred_on`` 日期, ``category`` 类别 (the eight categories of POLICY.md §1), ``title`` 标题,
``description`` 内容, ``polarity`` 正反 (default positive), ``task`` 任务, ``share_percent``
贡献占比, ``difficulty`` 难度 (default ordinary), one outcome metric — ``indicator`` 指标,
``unit`` 单位, ``baseline`` 基线值, ``target`` 目标值, ``actual`` 实际值 — and ``author`` 填报人.

Decisions (documented in the template's notes):

- **One metric per row.**  An entry with more metrics gets them on its page before it is submitted.
- **Tasks by name.**  A task is looked up by name and year in the organization the cadre served in
  on the entry's date, then in the organizations above it (the nearest first), as a cadre claims a
  share of a task set up above them; when there is none, the import creates it in the cadre's
  organization of that date.  A share needs a task, and is a percentage above 0 and at most 100.
- **Drafts.**  Entries are imported as drafts recorded by ``author`` (a username; by default the
  importer): they still need evidence, submission and verification before they count.  The author
  must be someone who may record the entry (the cadre, or a unit leader or organization staff over
  them; a negative entry also discipline inspection), since only the author amends and submits it.
- **Duplicates.**  Two rows of the same cadre, date and title, or a row repeating a live entry
  already in the archive, are errors: importing a file twice writes it once.

Only organization-department staff import (``Cap.ARCHIVE_IMPORT``), over every cadre of the file.
The write is set-based — on PostgreSQL the rows are streamed with ``COPY`` by a writer thread
while the next chunk of the file is checked; elsewhere ``bulk_create`` in batches — and audited as
one bulk event per county-level partition carrying a digest of every row written there.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dandang.archive.models import (
    ArchiveEntry,
    ArchiveTask,
    Category,
    Difficulty,
    OutcomeMetric,
    Polarity,
    Status,
)
from dandang.core import tabular
from dandang.core.audit import RowsDigest, audit_bulk
from dandang.core.errors import Conflict, PermissionDenied
from dandang.core.tabular import Column, ImportResult, RowError, SheetSpec, Table, choice_vocabulary, chunks
from dandang.org.models import Cadre, Organization, Tenure, User
from dandang.org.roles import Cap
from dandang.org.selectors import has_any_capability, has_capability, scope_q

KIND = "entries"
CHUNK = 5000  # rows checked, then written, at a time

COLUMNS = (
    Column(
        "id_number",
        "身份证号",
        True,
        _("National ID number of the cadre, registered and within your jurisdiction; store it as text."),
        label=_("Cadre ID number"),
    ),
    Column("occurred_on", "日期", True, tabular.DATE_HELP, label=_("Date")),
    Column("category", "类别", True, _("Category of the entry."), "category", label=_("Category")),
    Column("title", "标题", True, _("Short title, at most 200 characters."), label=_("Title")),
    Column(
        "description",
        "内容",
        True,
        _("What was done and achieved, specifically, at most 5,000 characters."),
        label=_("Description"),
    ),
    Column(
        "polarity",
        "正反",
        False,
        _("Positive (an achievement) or negative (a failure, a sanction); empty: positive."),
        "polarity",
        label=_("Polarity"),
    ),
    Column(
        "task",
        "任务",
        False,
        _(
            "Task or project the entry belongs to, by name: found in the cadre's organization of that date or "
            "above it, else created there."
        ),
        label=_("Task or project"),
    ),
    Column(
        "share_percent",
        "贡献占比",
        False,
        _("The cadre's share of the task in percent, above 0 and at most 100 (needs a task); empty: all of it."),
        label=_("Contribution share (%)"),
    ),
    Column(
        "difficulty",
        "难度",
        False,
        _("Difficulty of the work; empty: ordinary."),
        "difficulty",
        label=_("Difficulty"),
    ),
    Column("indicator", "指标", False, _("Outcome metric: what was measured."), label=_("Indicator")),
    Column("unit", "单位", False, _("Outcome metric: unit of measure (needed with an indicator)."), label=_("Unit")),
    Column("baseline", "基线值", False, _("Outcome metric: the value before, a number."), label=_("Baseline")),
    Column("target", "目标值", False, _("Outcome metric: the value aimed at, a number."), label=_("Target")),
    Column("actual", "实际值", False, _("Outcome metric: the value reached, a number."), label=_("Actual")),
    Column(
        "author",
        "填报人",
        False,
        _("Username of the person who recorded the entry and will submit it; empty: you."),
        label=_("Recorded by (username)"),
    ),
)
SPEC = SheetSpec(KIND, "实绩", ("entry", "archive", "实绩档案", "档案", "条目", "实绩纪实"), COLUMNS)
SPECS = {KIND: SPEC}

# Words people type for the choices, besides the value and the labels in every language: part of
# the file format (what a county's spreadsheets say), not interface text.
_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "category": {
        Category.POLITICAL: ("政治表现", "政治表现和学习", "政治", "政治素质"),
        Category.DUTIES: ("主责主业", "主要职责", "本职工作", "岗位职责"),
        Category.KEY_TASKS: ("重点任务", "急难险重", "重点和急难险重任务", "重点、急难险重任务", "急难险重任务"),
        Category.INNOVATION: ("创新工作", "改革创新", "创新"),
        Category.ASSIGNED: ("交办任务", "领导交办", "临时交办", "领导交办任务"),
        Category.PUBLIC: ("民意信访", "民意", "信访", "群众评价", "民意和信访"),
        Category.HONOURS: ("奖惩", "表彰", "处分", "表彰奖励", "表彰和处分"),
        Category.OTHER: ("其他",),
    },
    "polarity": {
        Polarity.POSITIVE: ("正面", "正向", "实绩"),
        Polarity.NEGATIVE: ("负面", "反面", "负向", "问题"),
    },
    "difficulty": {
        Difficulty.ORDINARY: ("一般", "普通"),
        Difficulty.HARD: ("较难", "困难"),
        Difficulty.VERY_HARD: ("很难", "艰巨", "特别困难"),
    },
}
_CHOICES: dict[str, type[models.TextChoices]] = {
    "category": Category,
    "polarity": Polarity,
    "difficulty": Difficulty,
}
LIVE = (Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.VERIFIED)


def allowed_values(vocabulary: str) -> list[str]:
    """What the template offers for a choice column: the first Chinese alias and the value."""
    values = list(_CHOICES[vocabulary].values)
    return [_ALIASES[vocabulary][v][0] for v in values] + values


def column_header(key: str, language: str | None = None) -> str:
    """A column's header in ``language`` (default: the active one): the Chinese name, else the label."""
    column = next((c for c in COLUMNS if c.key == key), None)
    if column is None:
        return key
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    if language.startswith("zh"):
        return column.zh
    with translation.override(language):
        return str(column.label)


# --- checking ---------------------------------------------------------------------------------


def _field_limit(model: type[models.Model], name: str) -> int:
    return int(getattr(model._meta.get_field(name), "max_length", None) or 0)


@dataclass
class _Limits:
    title: int = _field_limit(ArchiveEntry, "title")
    description: int = _field_limit(ArchiveEntry, "description")
    task: int = _field_limit(ArchiveTask, "name")
    indicator: int = _field_limit(OutcomeMetric, "indicator")
    unit: int = _field_limit(OutcomeMetric, "unit")
    metric_whole: int = 14
    metric_places: int = 4


def _lookup_size() -> int:
    """Values per ``IN (…)`` lookup: SQLite's parameter limit on old builds, else larger."""
    return tabular.LOOKUP_CHUNK if connection.vendor == "sqlite" else 10_000


@dataclass
class _CadreInfo:
    pk: int
    birth_date: dt.date
    org_id: int
    # Tenures, the latest started first: (start, end, tenure id, post id, organization id).
    tenures: list[tuple[dt.date, dt.date | None, int, int, int]] = field(default_factory=list)

    def place(self, day: dt.date) -> tuple[int | None, int | None, int]:
        """(tenure, post, organization) on ``day``, as ``services._place`` decides."""
        for start, end, tenure_id, post_id, org_id in self.tenures:
            if start <= day and (end is None or end >= day):
                return tenure_id, post_id, org_id
        return None, None, self.org_id


@dataclass
class _Row:
    """A row that passed the cell checks (before the references are resolved)."""

    line: int
    id_number: str
    occurred_on: dt.date
    category: str
    title: str
    description: str
    polarity: str
    task: str | None
    share: Decimal | None
    difficulty: str
    metric: tuple[str, str, Decimal | None, Decimal | None, Decimal | None] | None
    author: str | None


_PERCENT_LIMIT = Decimal(100)


class _Checker:
    """The checks of one import: cells row by row, then references chunk by chunk."""

    def __init__(self, table: Table, errors: list[RowError], actor: User | None) -> None:
        self.rows = tabular.Rows(table, SPEC, errors)
        self.errors, self.actor, self.sheet = errors, actor, table.sheet
        self.limits = _Limits()
        self.quanta = {places: Decimal(1).scaleb(-places) for places in (2, self.limits.metric_places)}
        self.vocab = {name: choice_vocabulary(choices, _ALIASES[name]) for name, choices in _CHOICES.items()}
        self.allowed = {name: ", ".join(allowed_values(name)) for name in _CHOICES}
        self.today = timezone.localdate()
        self.cadres: dict[str, _CadreInfo | None] = {}
        self.users: dict[str, User | None] = {}
        self.orgs: dict[int, Organization] = {}
        # (organization, year, name) → the task: its id, or a task this import creates.
        self.tasks: dict[tuple[int, int, str], int | ArchiveTask] = {}
        self.codes: dict[str, int] = {}  # organization code → id, for the tasks above an organization
        self.new_tasks: list[ArchiveTask] = []
        self.seen: dict[tuple[int, dt.date, str], int] = {}  # (cadre, date, title) → row
        self.pairs: set[tuple[int, int]] = set()  # (cadre, year) whose recorded entries are loaded
        self.existing: set[tuple[int, dt.date, str]] = set()
        self.rights: dict[tuple[int, int, str], bool] = {}
        self.scope = scope_q(actor, Cap.ARCHIVE_IMPORT, path="org_path", pk="org_id") if actor is not None else Q()
        index = self.rows.index
        self.at = {c.key: index.get(c.key, -1) for c in COLUMNS}
        self.positions = [self.at[c.key] for c in COLUMNS]

    def error(self, line: int, column: str, message: Promise, **params: Any) -> None:
        self.errors.append(RowError(self.sheet, line, column, message, params, KIND))

    # cells

    def _text(self, line: int, key: str, raw: Any, limit: int) -> str | None:
        if raw is None:
            return None
        if type(raw) is str and len(raw) <= limit and "\x00" not in raw:
            return raw  # the common case, first
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if isinstance(raw, dt.datetime | dt.date):
            raw = raw.isoformat()
        value = raw if isinstance(raw, str) else str(raw).strip()
        if len(value) > limit:
            self.error(line, key, _("At most %(limit)s characters."), limit=limit)
            return None
        if "\x00" in value:
            self.error(line, key, _("Text may not contain the NUL character."))
            return None
        return value

    def _required(self, line: int, key: str) -> None:
        if self.at[key] >= 0:  # a missing column is reported once, on the header
            self.error(line, key, _("This field is required."))

    def _choice(self, line: int, key: str, raw: Any, default: str | None) -> str | None:
        if raw is None:
            if default is None:
                self._required(line, key)
            return default
        vocabulary = self.vocab[key]
        value = vocabulary.get(raw) if isinstance(raw, str) else None
        if value is None:
            value = vocabulary.get(tabular.norm(str(raw)))
        if value is None:
            self.error(
                line, key, _("“%(value)s” is not one of: %(allowed)s."), value=str(raw), allowed=self.allowed[key]
            )
        return value

    def _number(self, line: int, key: str, raw: Any, *, whole: int, places: int) -> tuple[bool, Decimal | None]:
        """(ok, value) of a number cell: finite, at most ``whole`` digits before and ``places`` after
        the point."""
        if raw is None:
            return True, None
        if isinstance(raw, bool):
            value = None
        elif isinstance(raw, int):
            value = Decimal(raw)
        elif isinstance(raw, float):
            value = Decimal(repr(raw))
        else:
            try:
                value = Decimal(str(raw).replace(",", "").strip())
            except InvalidOperation:
                value = None
        if value is None or not value.is_finite():
            self.error(line, key, _("Enter a number."))
            return False, None
        exponent = value.as_tuple().exponent
        if isinstance(raw, float) and isinstance(exponent, int) and -exponent > places:
            value = round(value, places)  # a spreadsheet's binary fraction (0.1 + 0.2)
            exponent = value.as_tuple().exponent
        if abs(value) >= Decimal(10) ** whole or (isinstance(exponent, int) and -exponent > places):
            self.error(
                line,
                key,
                _("At most %(whole)s digits before and %(places)s after the decimal point."),
                whole=whole,
                places=places,
            )
            return False, None
        return True, value.quantize(self.quanta[places])  # as the column stores it

    def parse(self, line: int, values: list[Any]) -> _Row | None:
        """The cell checks of one row; None (with its errors recorded) when a cell is wrong."""
        before = len(self.errors)
        limits = self.limits
        size = len(values)
        # The cells in COLUMNS order, stripped, None when empty or absent (one pass: a million rows).
        (
            raw_id,
            raw_day,
            raw_category,
            raw_title,
            raw_description,
            raw_polarity,
            raw_task,
            raw_share,
            raw_difficulty,
            raw_indicator,
            raw_unit,
            raw_baseline,
            raw_target,
            raw_actual,
            raw_author,
        ) = [
            (v.strip() or None) if isinstance(v, str) else v
            for v in [values[i] if 0 <= i < size else None for i in self.positions]
        ]

        id_number: str | None = None
        if raw_id is None:
            self._required(line, "id_number")
        elif isinstance(raw_id, float) or (isinstance(raw_id, int) and len(str(raw_id)) != 18):
            self.error(
                line,
                "id_number",
                _("The ID number is stored as a number and has lost digits: format the column as text."),
            )
        else:
            id_number = str(raw_id).upper()

        day: dt.date | None = None
        if raw_day is None:
            self._required(line, "occurred_on")
        else:
            if isinstance(raw_day, str) and len(raw_day) == 10:
                try:
                    day = dt.date.fromisoformat(raw_day)
                except ValueError:
                    day = None
            if day is None:
                day = tabular.parse_date(raw_day)
            if day is None:
                self.error(line, "occurred_on", _("Not a date: write it as YYYY-MM-DD."))
            elif day > self.today:
                self.error(
                    line,
                    "occurred_on",
                    _("An achievement is recorded after it happened: the date is in the future."),
                )
                day = None

        category = self._choice(line, "category", raw_category, None)
        title = self._text(line, "title", raw_title, limits.title)
        if raw_title is None:
            self._required(line, "title")
        description = self._text(line, "description", raw_description, limits.description)
        if raw_description is None:
            self._required(line, "description")
        polarity = self._choice(line, "polarity", raw_polarity, Polarity.POSITIVE)
        task = self._text(line, "task", raw_task, limits.task)

        share: Decimal | None = None
        if raw_share is not None:
            text = raw_share.rstrip("%％ ") if isinstance(raw_share, str) else raw_share
            ok, share = self._number(line, "share_percent", text, whole=3, places=2)
            if ok and share is not None and not (0 < share <= _PERCENT_LIMIT):
                self.error(line, "share_percent", _("A share is above 0 and at most 100 (percent)."))
                share = None
            elif ok and share is not None and raw_task is None:
                self.error(line, "share_percent", _("A contribution share is claimed of a task: name the task."))
                share = None
        difficulty = self._choice(line, "difficulty", raw_difficulty, Difficulty.ORDINARY)

        metric = None
        if not (raw_indicator is None and raw_unit is None and raw_baseline is None and raw_target is None) or (
            raw_actual is not None
        ):
            indicator = self._text(line, "indicator", raw_indicator, limits.indicator)
            unit = self._text(line, "unit", raw_unit, limits.unit)
            whole, places = limits.metric_whole, limits.metric_places
            _ok, baseline = self._number(line, "baseline", raw_baseline, whole=whole, places=places)
            _ok, target = self._number(line, "target", raw_target, whole=whole, places=places)
            _ok, actual = self._number(line, "actual", raw_actual, whole=whole, places=places)
            if raw_indicator is None:
                self.error(line, "indicator", _("A metric needs its indicator: name it."))
            if raw_unit is None:
                self.error(line, "unit", _("A metric needs its unit of measure."))
            if indicator is not None and unit is not None:
                metric = (indicator, unit, baseline, target, actual)

        author = self._text(line, "author", raw_author, 150)
        if len(self.errors) > before:
            return None
        if not (id_number and day and category and title and description and polarity and difficulty):
            return None  # a required column is missing: reported once, on the header
        return _Row(
            line, id_number, day, category, title, description, polarity, task, share, difficulty, metric, author
        )

    # references

    def resolve(self, batch: list[_Row]) -> None:
        """Load what ``batch`` refers to and was not loaded yet: cadres (with their tenures) within
        the importer's jurisdiction, the live entries they already have in the years concerned,
        authors, tasks."""
        size = _lookup_size()
        numbers = sorted({r.id_number for r in batch} - set(self.cadres))
        found: dict[int, _CadreInfo] = {}
        org_ids: set[int] = set()
        for part in chunks(numbers, size):
            qs = Cadre.objects.filter(id_number__in=part)
            qs = qs.none() if self.scope is None else qs.filter(self.scope)
            for pk, number, birth, org_id in qs.values_list("pk", "id_number", "birth_date", "org_id"):
                info = _CadreInfo(pk=pk, birth_date=birth, org_id=org_id)
                self.cadres[number] = found[pk] = info
                org_ids.add(org_id)
        for number in numbers:
            self.cadres.setdefault(number, None)
        for part in chunks(sorted(found), size):
            tenures = Tenure.objects.filter(cadre_id__in=part).order_by("-start", "-id")
            for t in tenures.values_list("cadre_id", "start", "end", "id", "post_id", "post__organization_id"):
                found[t[0]].tenures.append((t[1], t[2], t[3], t[4], t[5]))
                org_ids.add(t[5])
        for part in chunks(sorted(org_ids - set(self.orgs)), size):
            self.orgs.update({o.pk: o for o in Organization.objects.filter(pk__in=part)})
        # Live entries already recorded, for the (cadre, year) pairs first named in this batch: no
        # entry of this import is among them yet.
        pairs = {(known.pk, r.occurred_on.year) for r in batch if (known := self.cadres.get(r.id_number))}
        pairs -= self.pairs
        self.pairs |= pairs
        years = sorted({year for _pk, year in pairs})
        for part in chunks(sorted({pk for pk, _year in pairs}), size):
            recorded = ArchiveEntry.objects.filter(cadre_id__in=part, year__in=years, status__in=LIVE)
            for cadre_id, year, day, title in recorded.values_list("cadre_id", "year", "occurred_on", "title"):
                if (cadre_id, year) in pairs:
                    self.existing.add((cadre_id, day, title))
        names = sorted({r.author for r in batch if r.author} - set(self.users))
        for part in chunks(names, size):
            for user in User.objects.filter(username__in=part, is_active=True):
                self.users[user.username] = user
        for name in names:
            self.users.setdefault(name, None)
        self._load_tasks(batch)

    def _ancestors(self, org_id: int) -> list[str]:
        """Codes of an organization and the ones above it, the nearest first."""
        return list(reversed(self.orgs[org_id].path.strip("/").split("/")))

    def _load_tasks(self, batch: list[_Row]) -> None:
        wanted: set[tuple[str, int, str]] = set()
        for r in batch:
            info = self.cadres.get(r.id_number)
            if r.task and info is not None:
                _t, _p, org_id = info.place(r.occurred_on)
                for code in self._ancestors(org_id):
                    wanted.add((code, r.occurred_on.year, r.task))
        if not wanted:
            return
        codes = sorted({w[0] for w in wanted})
        names = sorted({w[2] for w in wanted})
        years = sorted({w[1] for w in wanted})
        by_code = {code: pk for pk, code in Organization.objects.filter(code__in=codes).values_list("pk", "code")}
        for part in chunks(names):
            for pk, org_id, year, name in ArchiveTask.objects.filter(
                organization_id__in=list(by_code.values()), year__in=years, name__in=part
            ).values_list("pk", "organization_id", "year", "name"):
                self.tasks[(org_id, year, name)] = pk
        self.codes.update(by_code)

    def may_record(self, author: User, info: _CadreInfo, polarity: str) -> bool:
        """``services.can_record`` for a cadre known by id (cached per author, organization, polarity)."""
        if getattr(author, "cadre_id", None) == info.pk:
            return True
        key = (author.pk, info.org_id, polarity)
        if key not in self.rights:
            capability = Cap.ARCHIVE_RECORD_NEGATIVE if polarity == Polarity.NEGATIVE else Cap.ARCHIVE_RECORD
            self.rights[key] = has_capability(author, capability, self.orgs[info.org_id])
        return self.rights[key]

    def task_for(self, org_id: int, year: int, name: str) -> int | ArchiveTask:
        """The task of that name and year in ``org_id`` or above it (its id), else a new task in
        ``org_id`` (created once per import, before the chunk that first names it is written)."""
        for code in self._ancestors(org_id):
            found = self.tasks.get((self.codes.get(code, -1), year, name))
            if found is not None:
                return found
        task = ArchiveTask(organization=self.orgs[org_id], name=name, year=year, created_by=self.actor)
        self.new_tasks.append(task)
        self.tasks[(org_id, year, name)] = task
        self.codes.setdefault(self.orgs[org_id].code, org_id)
        return task

    def check(self, r: _Row) -> tuple[_CadreInfo, User, tuple[int | None, int | None, int]] | None:
        """The checks against the database of one parsed row."""
        info = self.cadres.get(r.id_number)
        if info is None:
            self.error(
                r.line,
                "id_number",
                _("No cadre with the ID number %(number)s within your jurisdiction."),
                number=r.id_number,
            )
            return None
        ok = True
        if r.occurred_on < info.birth_date:
            self.error(r.line, "occurred_on", _("The date is before the cadre was born."))
            ok = False
        key = (info.pk, r.occurred_on, r.title)
        if key in self.seen:
            self.error(
                r.line, "title", _("The same cadre, date and title are also in row %(row)s."), row=self.seen[key]
            )
            ok = False
        else:
            self.seen[key] = r.line
            if key in self.existing:
                self.error(r.line, "title", _("This entry (same cadre, date and title) is already in the archive."))
                ok = False
        author: User | None
        if r.author:
            author = self.users.get(r.author)
            if author is None:
                self.error(r.line, "author", _("No active user with the username %(name)s."), name=r.author)
                return None
        else:
            author = self.actor
            if author is None:
                self.error(r.line, "author", _("Name the person who recorded the entry (a username)."))
                return None
        if not self.may_record(author, info, r.polarity):
            self.error(
                r.line,
                "author",
                _("%(name)s may not record this entry for this cadre: name the cadre, a unit leader or staff."),
                name=author.username,
            )
            ok = False
        place = info.place(r.occurred_on)
        return (info, author, place) if ok else None


# --- writing ----------------------------------------------------------------------------------


class _Writer:
    """Writes checked rows, a chunk at a time.  On PostgreSQL the ids are reserved from the
    sequences and the rows streamed with ``COPY`` by a thread while the caller checks the next
    chunk (the caller touches the connection only after :meth:`wait`); elsewhere ``bulk_create``.

    A row of :attr:`template` order holds every column of ``archive_archiveentry``: the builder
    fills the ones an import sets, the others keep the model's defaults."""

    def __init__(self) -> None:
        self.copy = connection.vendor == "postgresql"
        self.thread: threading.Thread | None = None
        self.failure: BaseException | None = None
        fields = list(ArchiveEntry._meta.concrete_fields)
        self.attnames = [f.attname for f in fields]
        self.columns = [str(f.column) for f in fields]
        self.pos = {name: i for i, name in enumerate(self.attnames)}
        self.template: list[Any] = []
        for f in fields:
            value = f.get_default()
            if self.copy and isinstance(f, models.JSONField):
                value = json.dumps(value)  # COPY's text input of a jsonb column
            self.template.append(value)
        self.template[self.pos["created_at"]] = timezone.now()
        self.metric_columns = ["id", "entry_id", "indicator", "unit", "baseline", "target", "actual"]

    def reserve(self, model: type[models.Model], count: int) -> list[int]:
        """``count`` new ids of ``model`` (PostgreSQL: from its identity sequence)."""
        if count == 0:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, count],
            )
            return [row[0] for row in cursor.fetchall()]

    def wait(self) -> None:
        """Until the chunk being written is written; its failure is raised here."""
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure

    def write(self, entries: list[list[Any]], metrics: list[list[Any]]) -> None:
        """``entries`` in :attr:`template` order, ``id`` set on PostgreSQL; ``metrics`` as
        [id, index of the entry in ``entries``, indicator, unit, baseline, target, actual].  On
        return (``bulk_create``) or after :meth:`wait` (``COPY``) the entries hold their ids."""
        id_at = self.pos["id"]
        if not self.copy:
            objs = [ArchiveEntry(**dict(zip(self.attnames, row, strict=True))) for row in entries]
            ArchiveEntry.objects.bulk_create(objs, batch_size=500)
            for row, obj in zip(entries, objs, strict=True):
                row[id_at] = obj.pk
            for m in metrics:
                m[1] = entries[m[1]][id_at]
            made = [
                OutcomeMetric(entry_id=m[1], indicator=m[2], unit=m[3], baseline=m[4], target=m[5], actual=m[6])
                for m in metrics
            ]
            OutcomeMetric.objects.bulk_create(made, batch_size=500)
            for m, metric in zip(metrics, made, strict=True):
                m[0] = metric.pk
            return
        for m in metrics:
            m[1] = entries[m[1]][id_at]
        raw = connection.connection
        self.thread = threading.Thread(target=self._copy, args=(raw, entries, metrics), daemon=True)
        self.thread.start()

    def _sql(self, model: type[models.Model], columns: list[str]) -> str:
        quote = connection.ops.quote_name
        return f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"

    def _copy(self, raw: Any, entries: list[list[Any]], metrics: list[list[Any]]) -> None:
        try:
            with raw.cursor() as cursor:
                with cursor.copy(self._sql(ArchiveEntry, self.columns)) as copy:
                    for row in entries:
                        copy.write_row(row)
                if metrics:
                    with cursor.copy(self._sql(OutcomeMetric, self.metric_columns)) as copy:
                        for row in metrics:
                            copy.write_row(row)
        except BaseException as exc:  # handed to the caller's thread by wait()
            self.failure = exc


def _constraints(mode: str) -> None:
    """On PostgreSQL, check foreign keys as each ``COPY`` ends (IMMEDIATE), so that the checks
    run while the next chunk is read, instead of all at the commit; DEFERRED again afterwards."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS ALL {mode}")


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@dataclass
class _Partition:
    """What one county-level partition received: its digest and its counts."""

    digest: RowsDigest = field(default_factory=RowsDigest)
    entries: int = 0
    metrics: int = 0
    tasks: int = 0


def _import(tables: list[Table], errors: list[RowError], actor: User | None) -> dict[str, _Partition]:
    """Check every row and, while no error has been found, write the checked chunks (the caller
    rolls everything back when an error turns up later).  Returns what each partition received."""
    writer = _Writer()
    pos = writer.pos
    template = writer.template
    template[pos["status"]], template[pos["version"]] = Status.DRAFT, 1
    partitions: dict[str, _Partition] = defaultdict(_Partition)
    checker: _Checker | None = None
    _constraints("IMMEDIATE")
    try:
        for table in tables:
            if table.kind != KIND:
                message = _("Cannot tell what this sheet holds: use the template's headers.")
                errors.append(RowError(table.sheet, table.header_row, "", message, kind=KIND))
                continue
            if checker is not None:
                message = _("A second sheet of entries: put all the entries in one sheet.")
                errors.append(RowError(table.sheet, 0, "", message, kind=KIND))
                continue
            checker = _Checker(table, errors, actor)
            for batch in chunks(table.rows, CHUNK):
                parsed = [r for r in (checker.parse(line, values) for line, values in batch) if r is not None]
                writer.wait()  # the connection is free again
                checker.resolve(parsed)
                written = _write_chunk(writer, checker, parsed, errors)
                if written is not None:
                    _digest(writer, partitions, *written)  # while the rows are being written
        writer.wait()
    finally:
        if writer.thread is not None:  # an exception in this thread: let the writer stop first
            writer.thread.join()
    if not errors:
        _constraints("DEFERRED")
    return partitions


def _write_chunk(
    writer: _Writer, checker: _Checker, parsed: list[_Row], errors: list[RowError]
) -> tuple[list[list[Any]], list[list[Any]], list[str], list[ArchiveTask]] | None:
    """Check ``parsed`` against the database and, if the file has no error so far, write it:
    (entries, metrics, the partition of each entry, the tasks created)."""
    pos = writer.pos
    at_cadre, at_tenure, at_post, at_org = pos["cadre_id"], pos["tenure_id"], pos["post_id"], pos["organization_id"]
    at_on, at_year, at_quarter = pos["occurred_on"], pos["year"], pos["quarter"]
    at_category, at_title, at_description = pos["category"], pos["title"], pos["description"]
    at_polarity, at_share, at_difficulty = pos["polarity"], pos["share_percent"], pos["difficulty"]
    at_task, at_author = pos["task_id"], pos["author_id"]
    template = writer.template
    tasks_before = len(checker.new_tasks)
    entries: list[list[Any]] = []
    metrics: list[list[Any]] = []
    owners: list[str] = []
    pending: list[tuple[list[Any], ArchiveTask]] = []  # entries of a task this import creates
    for r in parsed:
        checked = checker.check(r)
        if checked is None or errors:
            continue
        info, author, (tenure_id, post_id, org_id) = checked
        row = template.copy()
        day = r.occurred_on
        row[at_cadre], row[at_tenure], row[at_post], row[at_org] = info.pk, tenure_id, post_id, org_id
        row[at_on], row[at_year], row[at_quarter] = day, day.year, (day.month - 1) // 3 + 1
        row[at_category], row[at_title], row[at_description] = r.category, r.title, r.description
        row[at_polarity], row[at_share], row[at_difficulty] = r.polarity, r.share, r.difficulty
        row[at_author] = author.pk
        if r.task:
            task = checker.task_for(org_id, day.year, r.task)
            if isinstance(task, ArchiveTask):
                pending.append((row, task))
            else:
                row[at_task] = task
        if r.metric is not None:
            metrics.append([None, len(entries), *r.metric])
        entries.append(row)
        owners.append(checker.orgs[info.org_id].audit_partition)
    if errors or not entries:
        return None
    created = checker.new_tasks[tasks_before:]
    if created:
        ArchiveTask.objects.bulk_create(created)
    for row, task in pending:
        row[at_task] = task.pk
    if writer.copy:
        at_id = pos["id"]
        for row, pk in zip(entries, writer.reserve(ArchiveEntry, len(entries)), strict=True):
            row[at_id] = pk
        for metric, pk in zip(metrics, writer.reserve(OutcomeMetric, len(metrics)), strict=True):
            metric[0] = pk
    writer.write(entries, metrics)
    return entries, metrics, owners, created


def _digest(
    writer: _Writer,
    partitions: dict[str, _Partition],
    entries: list[list[Any]],
    metrics: list[list[Any]],
    owners: list[str],
    created: list[ArchiveTask],
) -> None:
    """Add the chunk's rows to the digests of their partitions (the cadre's county), as plain
    lists: the tasks created, the entries, their metrics."""
    pos = writer.pos
    at_id, at_cadre, at_on, at_task, at_share = (
        pos["id"],
        pos["cadre_id"],
        pos["occurred_on"],
        pos["task_id"],
        pos["share_percent"],
    )
    at_category, at_polarity, at_difficulty = pos["category"], pos["polarity"], pos["difficulty"]
    at_author, at_title, at_org = pos["author_id"], pos["title"], pos["organization_id"]
    for task in created:
        part = partitions[task.organization.audit_partition]
        part.tasks += 1
        part.digest.add_plain([["task", task.pk, task.organization_id, task.year, task.name]])
    rows: dict[str, list[list[str | int | None]]] = defaultdict(list)
    owner_of: dict[int, str] = {}
    for row, owner in zip(entries, owners, strict=True):
        owner_of[row[at_id]] = owner
        rows[owner].append(
            [
                "entry",
                row[at_id],
                row[at_cadre],
                row[at_org],
                row[at_on].isoformat(),
                row[at_category],
                row[at_polarity],
                row[at_difficulty],
                row[at_task],
                _text(row[at_share]),
                row[at_author],
                row[at_title],
            ]
        )
    for owner, part_rows in rows.items():
        partitions[owner].entries += len(part_rows)
    metric_rows: dict[str, list[list[str | int | None]]] = defaultdict(list)
    for m in metrics:
        metric_rows[owner_of[m[1]]].append(["metric", m[0], m[1], m[2], m[3], _text(m[4]), _text(m[5]), _text(m[6])])
    for owner, part_rows in metric_rows.items():
        partitions[owner].metrics += len(part_rows)
    for owner in sorted(set(rows) | set(metric_rows)):
        partitions[owner].digest.add_plain(rows[owner] + metric_rows[owner])


# --- the service -----------------------------------------------------------------------------


def _set_based(tables: list[Table]) -> bool:
    """Whether the file goes the set-based way (:mod:`dandang.archive.importing_sql`): on
    PostgreSQL, one streamed .csv table of entries whose header has no error."""
    if connection.vendor != "postgresql" or len(tables) != 1:
        return False
    table = tables[0]
    if table.kind != KIND or isinstance(table.rows, list):
        return False
    header_errors: list[RowError] = []
    tabular.Rows(table, SPEC, header_errors)
    return not header_errors


COUNT_KINDS = ("entries", "metrics", "tasks")


def archive_import(*, actor: User | None, filename: str, data: bytes) -> ImportResult:
    """Import archive entries from an .xlsx or .csv file as drafts (issue 4, point 6; DESIGN.md
    "Nothing lost on bad input").  Row errors are returned, not raised, and then nothing is
    written; a file that cannot be read raises :class:`ValidationFailed`; an actor who may not
    import archive entries anywhere, :class:`PermissionDenied`.  ``actor=None`` is the system (the
    command run without ``--user``): every row then names its author."""
    if actor is not None and not has_any_capability(actor, Cap.ARCHIVE_IMPORT):
        raise PermissionDenied(_("Your role does not allow importing archive entries."))
    tables = tabular.read_tables(filename, data, SPECS, stream=True)
    errors: list[RowError] = []
    try:
        with transaction.atomic():
            partitions: dict[str, _Partition] | None = None
            if _set_based(tables):
                from dandang.archive.importing_sql import import_csv

                partitions = import_csv(tables[0], actor, CHUNK)
                if partitions is None:  # an error, or a spelling only the Python checker takes
                    tables = tabular.read_tables(filename, data, SPECS, stream=True)
            if partitions is None:
                partitions = _import(tables, errors, actor)
            if errors:
                transaction.set_rollback(True)
            else:
                for partition in sorted(partitions):
                    part = partitions[partition]
                    audit_bulk(
                        actor=actor,
                        action="archive.import",
                        partition=partition,
                        rows=part.digest,
                        after={
                            "file": filename[-200:],
                            "counts": {"entries": part.entries, "metrics": part.metrics, "tasks": part.tasks},
                        },
                    )
    except DatabaseError:
        raise Conflict(_("The archive changed while the file was being imported; import it again.")) from None
    if errors:
        tabular.sort_errors(errors, tables, SPECS)
        return ImportResult(errors=errors)
    counts = dict.fromkeys(COUNT_KINDS, 0)
    for part in partitions.values():
        counts["entries"] += part.entries
        counts["metrics"] += part.metrics
        counts["tasks"] += part.tasks
    return ImportResult(counts=counts)


# --- the template ----------------------------------------------------------------------------


def _example(actor: User | None) -> list[Any]:
    """One example row, about the first cadre the importer may import for (so that the template
    imports as it is), else about a made-up ID number."""
    cadre: Cadre | None = None
    scope = scope_q(actor, Cap.ARCHIVE_IMPORT, path="org_path", pk="org_id") if actor is not None else Q()
    if scope is not None:
        cadre = Cadre.objects.filter(scope).order_by("id").first()
    number = cadre.id_number if cadre is not None else "330102198506159017"
    day = max(dt.date(timezone.localdate().year, 1, 15), cadre.birth_date if cadre else dt.date.min)
    return [
        number,
        day,
        _ALIASES["category"][Category.KEY_TASKS][0],
        "完成城区积涝点改造",
        "牵头实施城区12处积涝点改造，汛期未再发生道路积水，惠及居民约3万人。",
        _ALIASES["polarity"][Polarity.POSITIVE][0],
        "城区防汛能力提升工程",
        40,
        _ALIASES["difficulty"][Difficulty.HARD][0],
        "改造积涝点",
        "处",
        0,
        12,
        12,
        "",
    ]


def _notes(language: str) -> list[list[str]]:
    rows: list[list[str]] = []
    for column in COLUMNS:
        with translation.override("en"):
            english = str(column.help)
        with translation.override("zh-hans"):
            chinese = str(column.help)
        allowed = "、".join(allowed_values(column.vocabulary)) if column.vocabulary else ""
        rows.append(
            [
                column_header(column.key, language),
                column.key,
                column.zh,
                "是 yes" if column.required else "否 no",
                english,
                chinese,
                allowed,
            ]
        )
    return rows


def archive_template_xlsx(*, actor: User | None = None) -> bytes:
    """The import template: one sheet of entries with headers in the user's language and an
    example row, drop-down lists for the columns with fixed values, and a notes sheet."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    language = translation.get_language() or settings.LANGUAGE_CODE
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = SPEC.zh if language.startswith("zh") else SPEC.kind
    ws.append([column_header(c.key, language) for c in COLUMNS])
    ws.append(_example(actor))
    for position, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(position)
        ws.cell(row=1, column=position).font = Font(bold=True)
        ws.column_dimensions[letter].width = 40 if column.key == "description" else 16
        if column.key == "id_number":  # text: Excel would round an 18-digit number
            ws.column_dimensions[letter].number_format = "@"
            ws.cell(row=2, column=position).number_format = "@"
        if column.key == "occurred_on":
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
            ws.cell(row=2, column=position).number_format = "yyyy-mm-dd"
        if column.vocabulary:
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(allowed_values(column.vocabulary)) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="warning",
            )
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}{tabular.max_rows() + 1}")
    ws.freeze_panes = "A2"
    notes = book.create_sheet("notes 说明")
    notes.append(["header 表头", "key 键", "中文", "required 必填", "English", "中文说明", "allowed 可选值"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for row in _notes(language):
        notes.append(row)
    for letter, width in zip("ABCDEFG", (24, 16, 12, 14, 60, 40, 60), strict=True):
        notes.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def archive_template_csv(*, actor: User | None = None) -> bytes:
    """The template as CSV, UTF-8 with a byte-order mark so that Excel shows Chinese."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column_header(c.key, language) for c in COLUMNS])
    writer.writerow([v.isoformat() if isinstance(v, dt.date) else v for v in _example(actor)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
