"""The working-day calendar in force: holidays from ``chinese-calendar`` for the years it covers,
extended by the holiday table of the ``calendar`` rulebook that staff publish each December from
the State Council's schedule (国务院办公厅关于部分节假日安排的通知)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import chinese_calendar
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field, model_validator

from dandang.core.errors import ValidationFailed
from dandang.core.rulebooks import rulebook_effective, rulebook_publish
from dandang.core.workdays import DayCount, Deadline, HolidayTable, WorkingCalendar


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
    return frozenset(d.year for d in chinese_calendar.constants.holidays)


def holiday_table() -> HolidayTable:
    """The package's table, with the rulebook's years added (a rulebook year overrides)."""
    rules: CalendarRules = rulebook_effective("calendar").content
    pkg_years = package_years()
    override = set(rules.years)
    holidays = {d for d in chinese_calendar.constants.holidays if d.year not in override}
    workdays = {d for d in chinese_calendar.constants.workdays if d.year not in override}
    for table in rules.years.values():
        holidays.update(table.holidays)
        workdays.update(table.workdays)
    return HolidayTable(frozenset(holidays), frozenset(workdays), frozenset(pkg_years | override))


def working_calendar() -> WorkingCalendar:
    return WorkingCalendar(holiday_table())


def add_working_days(start: dt.date, n: int) -> Deadline:
    return working_calendar().add_working_days(start, n)


def working_days_between(start: dt.date, end: dt.date) -> DayCount:
    return working_calendar().working_days_between(start, end)


def calendar_years() -> list[dict[str, Any]]:
    """What each year's table comes from, for the holiday page."""
    rules: CalendarRules = rulebook_effective("calendar").content
    out = []
    for year in sorted(package_years() | set(rules.years)):
        if year in rules.years:
            t = rules.years[year]
            out.append(
                {
                    "year": year,
                    "origin": "rulebook",
                    "holidays": sorted(t.holidays),
                    "workdays": sorted(t.workdays),
                    "source": t.source,
                }
            )
        else:
            out.append(
                {
                    "year": year,
                    "origin": "package",
                    "holidays": sorted(d for d in chinese_calendar.constants.holidays if d.year == year),
                    "workdays": sorted(d for d in chinese_calendar.constants.workdays if d.year == year),
                    "source": "chinese-calendar",
                }
            )
    return out


@transaction.atomic
def holiday_year_publish(
    *, actor: Any, year: int, holidays: list[dt.date], workdays: list[dt.date], source: str
) -> Any:
    """Add (or replace) one year of the holiday table as a new deployment-wide version of the
    calendar rulebook.  Callers check that the actor may publish rulebooks."""
    if not source.strip():
        raise ValidationFailed(
            _("Some fields are not valid."),
            detail={"source": [str(_("Name the State Council notice the dates come from."))]},
        )
    if not holidays:
        raise ValidationFailed(
            _("Some fields are not valid."), detail={"holidays": [str(_("List at least one public holiday."))]}
        )
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
