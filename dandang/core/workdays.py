"""Working-day arithmetic — a kernel: plain Python, no Django.

A :class:`HolidayTable` says, for the years it covers, which weekdays are public holidays and
which weekend days are adjusted working days (调休).  Outside the covered years only weekends are
rest days and every answer that touched such a year is marked *provisional*.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class HolidayTable:
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    years: frozenset[int]


@dataclass(frozen=True)
class Deadline:
    date: dt.date
    provisional: bool


@dataclass(frozen=True)
class DayCount:
    days: int
    provisional: bool


class WorkingCalendar:
    def __init__(self, table: HolidayTable) -> None:
        self.table = table

    def covers(self, day: dt.date) -> bool:
        return day.year in self.table.years

    def is_workday(self, day: dt.date) -> bool:
        if day in self.table.workdays:
            return True
        if day in self.table.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, n: int) -> Deadline:
        """The ``n``-th working day after ``start`` (``start`` itself not counted).  ``n`` = 0
        gives ``start``; a negative ``n`` counts backwards."""
        step = 1 if n >= 0 else -1
        remaining = abs(n)
        day = start
        provisional = False
        while remaining:
            day += dt.timedelta(days=step)
            if not self.covers(day):
                provisional = True
            if self.is_workday(day):
                remaining -= 1
        return Deadline(day, provisional)

    def working_days_between(self, start: dt.date, end: dt.date) -> DayCount:
        """Working days after ``start`` up to and including ``end`` (negative when ``end`` is
        earlier)."""
        if end < start:
            count = self.working_days_between(end, start)
            return DayCount(-count.days, count.provisional)
        days = 0
        provisional = False
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if not self.covers(day):
                provisional = True
            if self.is_workday(day):
                days += 1
        return DayCount(days, provisional)
