"""Reading import files (.xlsx and .csv) and reporting their problems — shared by every import
(the roster, :mod:`dandang.org.importing`; archive entries, :mod:`dandang.archive.importing`).

DESIGN.md "Nothing lost on bad input": an import reads the file into :class:`Table` objects (a
file that cannot be read at all raises :class:`ValidationFailed`), checks every cell and every row,
and reports each problem as a :class:`RowError` with sheet, row, column and reason; only a file
without a single error is written.  What a file may hold is described by :class:`SheetSpec` objects
(columns with their keys, Chinese names, help and vocabulary), so that the same reader serves
every kind of import.

The limits are settings: ``DANDANG_IMPORT_MAX_ROWS`` and ``DANDANG_IMPORT_MAX_BYTES``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dandang.core.errors import ValidationFailed

DEFAULT_MAX_ROWS = 100_000
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
LOOKUP_CHUNK = 900  # stays under SQLite's bound-parameter limit on old builds
NOTES_NAMES = frozenset({"notes", "说明", "readme", "填表说明"})
TRUE_WORDS = frozenset({"是", "yes", "y", "true", "1", "√", "t"})
FALSE_WORDS = frozenset({"否", "no", "n", "false", "0", "×", "f"})
DATE_HELP = _("A date: YYYY-MM-DD (also 1980/1/2, 1980.01.02 or an Excel date cell).")


# --- the file format -----------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of an import sheet.  A header names it by its key ("birth_date"), its Chinese name
    ("出生日期") or, when it has one, its ``label`` in any language ("Date of birth")."""

    key: str
    zh: str
    required: bool
    help: Promise
    vocabulary: str = ""
    label: Promise | None = None

    @property
    def header(self) -> str:
        return f"{self.key} {self.zh}"


@dataclass(frozen=True)
class SheetSpec:
    kind: str
    zh: str
    aliases: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def title(self) -> str:
        return f"{self.kind} {self.zh}"

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def norm(value: str) -> str:
    """Lower case, full-width brackets made ASCII, spaces dropped: how aliases and headers compare."""
    return re.sub(r"\s+", "", value.strip().lower().replace("（", "(").replace("）", ")"))


def words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s/()（）:：*、,，]+", text.strip().lower()) if w]


def label_spellings(label: Promise) -> set[str]:
    """A lazy label in every language of the site, normalized."""
    out: set[str] = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            out.add(norm(str(label)))
    return out


def choice_vocabulary(choices: type[models.TextChoices], aliases: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Every accepted spelling of a choice (normalized) → its value: the value, the given aliases
    and the label in every language."""
    out: dict[str, str] = {}
    for value, label in zip(choices.values, choices.labels, strict=True):
        out[norm(value)] = value
        for alias in aliases.get(value, ()):
            out.setdefault(norm(alias), value)
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                out.setdefault(norm(str(label)), value)
    return out


def sheet_kind(name: str, specs: Mapping[str, SheetSpec]) -> str | None:
    """The kind a sheet (or an option) names: "cadres", "干部", "cadres 干部" → "cadres"."""
    for word in words(name):
        for spec in specs.values():
            if word in {spec.kind, spec.zh, *spec.aliases}:
                return spec.kind
    return None


def match_column(spec: SheetSpec, header: str) -> str | None:
    """The key of the column a header names, or None (unknown or ambiguous)."""
    whole = norm(header)
    for column in spec.columns:
        if column.label is not None and whole in label_spellings(column.label):
            return column.key
    ws = set(words(header))
    found = {c.key for c in spec.columns if c.key in ws or c.zh in ws}
    return found.pop() if len(found) == 1 else None


def detect_kind(header: list[str], specs: Mapping[str, SheetSpec]) -> str | None:
    """The kind whose columns the header names best; None when no kind or a tie."""
    scores = {kind: sum(1 for h in header if h and match_column(spec, h)) for kind, spec in specs.items()}
    best = max(scores.values())
    winners = [k for k, s in scores.items() if s == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem: ``row`` counts from 1 as the spreadsheet shows it (the header is usually row 1;
    0 means the whole sheet); ``column`` is the column key ("birth_date"), empty for the whole row.
    ``message`` stays lazy, so :attr:`reason` is worded in the language active when it is read."""

    sheet: str
    row: int
    column: str
    message: Promise
    params: dict[str, Any] = field(default_factory=dict)
    kind: str = ""

    @property
    def reason(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "reason": self.reason}

    def __str__(self) -> str:
        return f"{self.sheet}!{self.row}:{self.column}: {self.reason}"


@dataclass
class ImportResult:
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def sort_errors(errors: list[RowError], tables: Sequence[Table], specs: Mapping[str, SheetSpec]) -> None:
    """In file order: sheet, row, then the order of the columns in the spec."""
    order = {t.sheet: i for i, t in enumerate(tables)}
    column_order = {(k, c.key): i for k, s in specs.items() for i, c in enumerate(s.columns)}
    errors.sort(key=lambda e: (order.get(e.sheet, 99), e.row, column_order.get((e.kind, e.column), 99)))


# --- reading -------------------------------------------------------------------------------


@dataclass
class Table:
    """One sheet (or the one table of a .csv).  ``rows`` is a list, or — read with
    ``stream=True`` — an iterator that is consumed once."""

    sheet: str
    kind: str | None
    header_row: int
    header: list[str]
    rows: list[tuple[int, list[Any]]] | Iterator[tuple[int, list[Any]]]


def max_rows() -> int:
    return int(getattr(settings, "DANDANG_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def max_bytes() -> int:
    return int(getattr(settings, "DANDANG_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def unreadable(message: Promise, **params: Any) -> ValidationFailed:
    text = str(message) % params if params else str(message)
    return ValidationFailed(text, detail={"file": [text]})


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_tables(
    filename: str,
    data: bytes,
    specs: Mapping[str, SheetSpec],
    only: str | None = None,
    *,
    stream: bool = False,
) -> list[Table]:
    """The sheets of an .xlsx, or the one table of a .csv.  Raises :class:`ValidationFailed` for a
    file that cannot be imported (wrong type, damaged, empty, too large, too many rows).

    ``stream=True`` leaves the rows of a .csv file as an iterator (the row limit is then checked
    while it is read), so that a large file is not held twice in memory."""
    if not data:
        raise unreadable(_("The file is empty."))
    limit = max_bytes()
    if len(data) > limit:
        raise unreadable(_("The file is larger than %(limit)s; split it."), limit=filesizeformat(limit))
    ext = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if ext == "xls":
        raise unreadable(_("The old .xls format cannot be read: save the file as .xlsx (Excel Workbook)."))
    if ext in {"xlsx", "xlsm"} or (not ext and data[:4] == b"PK\x03\x04"):
        tables = _read_xlsx(data, specs, only)
    elif ext in {"csv", "txt"} or not ext:
        tables = [_read_csv(filename, data, specs, only, stream)]
    else:
        raise unreadable(_("Only .xlsx and .csv files can be imported."))
    listed = [t.rows for t in tables if isinstance(t.rows, list)]
    if len(listed) == len(tables) and not any(listed) and not any(t.kind is None for t in tables):
        raise unreadable(_("The file has no rows to import."))
    return tables


def count_guard(count: int) -> None:
    limit = max_rows()
    if count > limit:
        raise unreadable(_("The file has more than %(limit)s rows; split it into smaller files."), limit=limit)


def _table(sheet: str, rows: Iterable[tuple[int, Sequence[Any]]], kind: str | None, seen: int) -> Table | None:
    header: list[str] | None = None
    header_row = 0
    body: list[tuple[int, list[Any]]] = []
    for number, values in rows:
        if all(blank(v) for v in values):
            continue
        if header is None:
            header = ["" if v is None else str(v).strip() for v in values]
            header_row = number
            continue
        body.append((number, list(values)))
        count_guard(seen + len(body))
    if header is None:
        return None
    while header and not header[-1]:
        header.pop()
    return Table(sheet=sheet, kind=kind, header_row=header_row, header=header, rows=body)


def _streamed(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    """The data rows after the header, blank rows skipped, the row limit checked as they come."""
    limit = max_rows()
    count = 0
    try:
        for number, values in rows:
            for v in values:
                if v and not v.isspace():
                    break
            else:
                continue
            count += 1
            if count > limit:
                count_guard(count)
            yield number, values
    except csv.Error:
        raise unreadable(_("The CSV file could not be read: check its quotes.")) from None


def _read_xlsx(data: bytes, specs: Mapping[str, SheetSpec], only: str | None) -> list[Table]:
    import openpyxl  # imported here: only imports need it

    if data[:4] != b"PK\x03\x04":
        raise unreadable(_("This is not an Excel workbook (.xlsx). Save it from Excel as .xlsx or .csv."))
    tables: list[Table] = []
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheets = [ws for ws in book.worksheets if not set(words(ws.title)) & NOTES_NAMES]
            seen = 0
            for ws in sheets:
                kind = sheet_kind(ws.title, specs)
                if only and kind and kind != only:
                    continue
                ws.reset_dimensions()  # some writers record wrong dimensions; read every row
                rows = ((n, values) for n, values in enumerate(ws.iter_rows(values_only=True), start=1))
                table = _table(ws.title, rows, kind, seen)
                if table is None:
                    continue
                if table.kind is None:
                    table.kind = detect_kind(table.header, specs) or (only if only and len(sheets) == 1 else None)
                if only and table.kind not in (None, only):
                    continue
                seen += len(table.rows)  # type: ignore[arg-type]
                tables.append(table)
        finally:
            book.close()
    except ValidationFailed:
        raise
    except Exception:  # openpyxl raises many kinds of errors for damaged or foreign files
        raise unreadable(_("The Excel file could not be read; it may be damaged. Save it again as .xlsx.")) from None
    return tables


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel "Unicode text"), else GB18030 — what
    Chinese Excel writes for "CSV (comma delimited)"."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise unreadable(_("The text encoding of the file could not be recognized.")) from None
        if "\x00" in text:  # no text file holds NUL, and PostgreSQL can neither store nor compare it
            raise unreadable(_("This is not a text (.csv) file."))
        return text
    if b"\x00" in data:
        raise unreadable(_("This is not a text (.csv) file."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise unreadable(_("The text encoding of the file could not be recognized. Save it as “CSV UTF-8”."))


def _read_csv(filename: str, data: bytes, specs: Mapping[str, SheetSpec], only: str | None, stream: bool) -> Table:
    text = decode(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1)
    table: Table | None
    if stream:
        table = None
        try:
            for number, values in reader:
                if not all(blank(v) for v in values):
                    header = [v.strip() for v in values]
                    while header and not header[-1]:
                        header.pop()
                    table = Table(sheet="", kind=only, header_row=number, header=header, rows=_streamed(reader))
                    break
        except csv.Error:
            raise unreadable(_("The CSV file could not be read: check its quotes.")) from None
    else:
        try:
            rows = list(reader)
        except csv.Error:
            raise unreadable(_("The CSV file could not be read: check its quotes.")) from None
        table = _table("", rows, only, 0)
    if table is None:
        raise unreadable(_("The file has no rows to import."))
    if table.kind is None:
        table.kind = detect_kind(table.header, specs)
    table.sheet = table.kind or filename.rsplit("/", 1)[-1]
    return table


# --- cells ---------------------------------------------------------------------------------


class Rows:
    """The cells of one table by column key, with the errors of the file.  Unknown, repeated and
    missing columns are reported on the header row when the table is opened."""

    def __init__(self, table: Table, spec: SheetSpec, errors: list[RowError]) -> None:
        self.table, self.spec, self.errors = table, spec, errors
        self.index: dict[str, int] = {}
        for position, header in enumerate(table.header):
            if not header:
                continue
            key = match_column(spec, header)
            if key is None:
                self.error(table.header_row, header, _("Unknown column: %(header)s."), header=header)
            elif key in self.index:
                self.error(table.header_row, key, _("This column appears twice."))
            else:
                self.index[key] = position
        for column in spec.columns:
            if column.required and column.key not in self.index:
                self.error(table.header_row, column.key, _("This column is missing."))
        # Unreadable cells are recorded here; a later check on the same cell is then skipped.
        self.bad: set[tuple[int, str]] = set()

    def error(self, line: int, column: str, message: Promise, **params: Any) -> None:
        self.errors.append(RowError(self.table.sheet, line, column, message, params, self.spec.kind))

    def __iter__(self) -> Iterator[tuple[int, Callable[[str], Any]]]:
        for number, values in self.table.rows:

            def cell(key: str, values: list[Any] = values) -> Any:
                position = self.index.get(key)
                if position is None or position >= len(values):
                    return None
                value = values[position]
                if isinstance(value, str):
                    value = value.strip()
                    return value or None
                return value

            yield number, cell

    # typed readers: each returns None when the cell is empty or wrong (after recording why)

    def needs(self, key: str) -> bool:
        """Whether an empty cell is an error (a missing column is reported once, on the header)."""
        return self.spec.column(key).required and key in self.index

    def text(self, row: int, key: str, raw: Any, model: type[models.Model], field_name: str) -> str | None:
        if raw is None:
            if self.needs(key):
                self.error(row, key, _("This field is required."))
            return None
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if isinstance(raw, dt.datetime | dt.date):
            raw = raw.isoformat()
        value = str(raw).strip()
        limit = getattr(model._meta.get_field(field_name), "max_length", None)
        if limit is not None and len(value) > limit:
            self.error(row, key, _("At most %(limit)s characters."), limit=limit)
            return None
        return value

    def date(self, row: int, key: str, raw: Any) -> dt.date | None:
        if raw is None:
            if self.needs(key):
                self.error(row, key, _("This field is required."))
            return None
        value = parse_date(raw)
        if value is None:
            self.error(row, key, _("Not a date: write it as YYYY-MM-DD."))
        return value

    def integer(self, row: int, key: str, raw: Any, default: int) -> int | None:
        if raw is None:
            return default
        value: int | None = None
        if isinstance(raw, bool):
            value = None
        elif isinstance(raw, int):
            value = raw
        elif isinstance(raw, float) and raw.is_integer():
            value = int(raw)
        elif isinstance(raw, str) and re.fullmatch(r"\d+(\.0+)?", raw):
            value = int(raw.split(".")[0])
        if value is None or value < 0 or value > 2_000_000_000:
            self.error(row, key, _("Not a whole number of at least 0."))
            return None
        return value

    def boolean(self, row: int, key: str, raw: Any) -> bool | None:
        if raw is None:
            return False
        if isinstance(raw, bool):
            return raw
        text = norm(str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw))
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        self.error(row, key, _("Write 是 or 否 (yes or no)."))
        return None

    def choice(self, row: int, key: str, raw: Any, vocabulary: Mapping[str, str], allowed: Sequence[str]) -> str | None:
        """A value of a fixed list, spelled as ``vocabulary`` accepts; ``allowed`` is what the error
        message offers."""
        if raw is None:
            if self.needs(key):
                self.error(row, key, _("This field is required."))
            return None
        value = vocabulary.get(norm(str(raw)))
        if value is None:
            self.error(
                row, key, _("“%(value)s” is not one of: %(allowed)s."), value=str(raw), allowed=", ".join(allowed)
            )
        return value

    def code(self, row: int, key: str, raw: Any, model: type[models.Model], field_name: str) -> str | None:
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        return self.text(row, key, raw, model, field_name)


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date(raw: Any) -> dt.date | None:
    """A date from a cell: a date or datetime, "2026-03-01", "2026/3/1", "2026.3.1", "2026年3月1日",
    "20260301", "2026-03-01 00:00:00" — between 1900 and 2100; else None."""
    if isinstance(raw, dt.datetime):
        value = raw.date()
    elif isinstance(raw, dt.date):
        value = raw
    else:
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        text = str(raw).strip()
        if isinstance(raw, str) and " " in text:
            text = text.split(" ", 1)[0]  # "1980-01-02 00:00:00" from a text export
        match = _DATE_RE.match(text) or _COMPACT_DATE_RE.match(text)
        if match is None:
            return None
        try:
            value = dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
    return value if 1900 <= value.year <= 2100 else None


def chunks(values: Iterable[Any], size: int = LOOKUP_CHUNK) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
