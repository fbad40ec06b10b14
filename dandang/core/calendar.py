"""The working-day calendar in force: holidays from ``chinese-calendar`` for the years it covers,
extended by the holiday table of the ``calendar`` rulebook that staff publish each December from
the State Council's schedule (国务院办公厅关于部分节假日安排的通知).

A date beyond both is computed on weekends only and every answer that touched it is marked
provisional (DESIGN.md "Cases").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import chinese_calendar
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field, model_validator

from dandang.core.errors import ValidationFailed
from dandang.core.rulebooks import rulebook_effective, rulebook_publish
from dandang.core.workdays import DayCount, Deadline, HolidayTable, WorkingCalendar

PACKAGE = "chinese-calendar"
# A range written in a list of dates: 2027-02-06..2027-02-12 (inclusive).
RANGE_SEPARATOR = ".."
_LIST_SEPARATORS = re.compile(r"[\s,;，、；]+")
# A holiday period longer than this is certainly a typing mistake (the longest, Spring Festival,
# is nine days).
_LONGEST_RANGE_DAYS = 31


class HolidayYear(BaseModel):
    model_config = ConfigDict(extra="forbid")

    holidays: list[dt.date] = Field(default_factory=list)
    workdays: list[dt.date] = Field(default_factory=list)
    source: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> HolidayYear:
        clash = set(self.holidays) & set(self.workdays)
        if clash:
            raise ValueError(f"dates both holiday and working day: {sorted(clash)}")
        for d in self.workdays:
            if d.weekday() < 5:
                raise ValueError(f"{d} is a weekday; only weekend days can be adjusted working days")
        return self


class CalendarRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    years: dict[int, HolidayYear] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _dates_in_their_year(self) -> CalendarRules:
        for year, table in self.years.items():
            for d in [*table.holidays, *table.workdays]:
                if d.year != year:
                    raise ValueError(f"{d} is listed under year {year}")
        return self


def package_years() -> frozenset[int]:
    """The years the installed ``chinese-calendar`` package knows."""
    return frozenset(d.year for d in chinese_calendar.constants.holidays)


def holiday_table() -> HolidayTable:
    """The package's table, with the rulebook's years added (a rulebook year overrides)."""
    rules: CalendarRules = rulebook_effective("calendar").content
    override = set(rules.years)
    holidays = {d for d in chinese_calendar.constants.holidays if d.year not in override}
    workdays = {d for d in chinese_calendar.constants.workdays if d.year not in override}
    for table in rules.years.values():
        holidays.update(table.holidays)
        workdays.update(table.workdays)
    return HolidayTable(frozenset(holidays), frozenset(workdays), frozenset(package_years() | override))


def working_calendar() -> WorkingCalendar:
    return WorkingCalendar(holiday_table())


def add_working_days(start: dt.date, n: int) -> Deadline:
    return working_calendar().add_working_days(start, n)


def working_days_between(start: dt.date, end: dt.date) -> DayCount:
    return working_calendar().working_days_between(start, end)


def year_covered(year: int) -> bool:
    return year in holiday_table().years


@dataclass(frozen=True)
class CalendarYear:
    """One year of the table and where its dates come from, for the holiday page."""

    year: int
    origin: str  # "package" or "rulebook"
    reference: str  # "chinese-calendar 1.11.0" or the rulebook version, "calendar@3"
    holidays: list[dt.date]
    workdays: list[dt.date]
    source: str


def calendar_years() -> list[CalendarYear]:
    rulebook = rulebook_effective("calendar")
    rules: CalendarRules = rulebook.content
    package_ref = f"{PACKAGE} {getattr(chinese_calendar, '__version__', '')}".strip()
    out = []
    for year in sorted(package_years() | set(rules.years)):
        if year in rules.years:
            t = rules.years[year]
            out.append(CalendarYear(year, "rulebook", rulebook.ref, sorted(t.holidays), sorted(t.workdays), t.source))
        else:
            out.append(
                CalendarYear(
                    year,
                    "package",
                    package_ref,
                    sorted(d for d in chinese_calendar.constants.holidays if d.year == year),
                    sorted(d for d in chinese_calendar.constants.workdays if d.year == year),
                    PACKAGE,
                )
            )
    return out


def date_list_parse(text: str) -> tuple[list[dt.date], list[str]]:
    """Dates and inclusive ranges, separated by commas, spaces or new lines:
    ``2027-01-01, 2027-02-06..2027-02-12``.  Returns the sorted distinct dates and a message for
    every item that could not be read (all of them, not only the first)."""
    dates: set[dt.date] = set()
    errors: list[str] = []

    def one(item: str) -> dt.date | None:
        try:
            return dt.date.fromisoformat(item)
        except ValueError:
            errors.append(gettext("“%(item)s” is not a date written as YYYY-MM-DD.") % {"item": item})
            return None

    for item in _LIST_SEPARATORS.split(text.strip()):
        if not item:
            continue
        if RANGE_SEPARATOR in item:
            first_text, _sep, last_text = item.partition(RANGE_SEPARATOR)
            first, last = one(first_text), one(last_text)
            if first is None or last is None:
                continue
            if last < first:
                errors.append(gettext("The range “%(item)s” ends before it starts.") % {"item": item})
                continue
            if (last - first).days >= _LONGEST_RANGE_DAYS:
                errors.append(
                    gettext("The range “%(item)s” is longer than %(days)s days.")
                    % {"item": item, "days": _LONGEST_RANGE_DAYS}
                )
                continue
            dates.update(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
        else:
            day = one(item)
            if day is not None:
                dates.add(day)
    return sorted(dates), errors


def _holiday_year_problems(
    year: int, holidays: list[dt.date], workdays: list[dt.date], source: str
) -> dict[str, list[str]]:
    detail: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        detail.setdefault(field, []).append(message)

    if not 2000 <= year <= 2199:
        add("year", gettext("Give a year between 2000 and 2199."))
    if not source.strip():
        add("source", gettext("Name the State Council notice the dates come from."))
    if not holidays:
        add("holidays", gettext("List at least one public holiday."))
    for field, dates in (("holidays", holidays), ("workdays", workdays)):
        outside = sorted({d for d in dates if d.year != year})
        if outside:
            add(
                field,
                gettext("These dates are not in %(year)s: %(dates)s.")
                % {"year": year, "dates": ", ".join(d.isoformat() for d in outside)},
            )
    weekdays = sorted({d for d in workdays if d.weekday() < 5})
    if weekdays:
        add(
            "workdays",
            gettext("Only a Saturday or Sunday can be an adjusted working day: %(dates)s.")
            % {"dates": ", ".join(d.isoformat() for d in weekdays)},
        )
    both = sorted(set(holidays) & set(workdays))
    if both:
        add(
            "workdays",
            gettext("These dates are listed both as holiday and as working day: %(dates)s.")
            % {"dates": ", ".join(d.isoformat() for d in both)},
        )
    return detail


@transaction.atomic
def holiday_year_publish(
    *, actor: Any, year: int, holidays: list[dt.date], workdays: list[dt.date], source: str
) -> Any:
    """Add (or replace) one year of the holiday table as a new deployment-wide version of the
    calendar rulebook; the other years are carried over unchanged.  Every problem is reported at
    once and nothing is written.  Callers check that the actor may publish the national
    calendar."""
    detail = _holiday_year_problems(year, holidays, workdays, source)
    if detail:
        raise ValidationFailed(_("Some fields are not valid."), detail=detail)
    current = rulebook_effective("calendar")
    document = dict(current.raw)
    content = dict(document.get("content") or {})
    years = {int(k): v for k, v in (content.get("years") or {}).items()}
    years[year] = {
        "holidays": [d.isoformat() for d in sorted(set(holidays))],
        "workdays": [d.isoformat() for d in sorted(set(workdays))],
        "source": source.strip(),
    }
    content["years"] = {str(k): years[k] for k in sorted(years)}
    document["content"] = content
    return rulebook_publish(
        actor=actor, document=document, organization=None, source_name=f"holidays {year}", note=source.strip()
    )
