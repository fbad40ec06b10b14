"""The working-day kernel on a small hand-made table (no Django, no database)."""

import datetime as dt

import pytest

from dandang.core.workdays import HolidayTable, WorkingCalendar

D = dt.date
# 2030 is "covered": Mon 2030-04-01..Wed 04-03 holidays, Sat 04-06 an adjusted working day.
TABLE = HolidayTable(
    holidays=frozenset({D(2030, 4, 1), D(2030, 4, 2), D(2030, 4, 3)}),
    workdays=frozenset({D(2030, 4, 6)}),
    years=frozenset({2030}),
)
CAL = WorkingCalendar(TABLE)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2030, 3, 29), 0, D(2030, 3, 29)),  # zero days: the start itself
        (D(2030, 3, 29), 1, D(2030, 4, 4)),  # Fri -> skips the weekend and three holidays
        (D(2030, 4, 4), 2, D(2030, 4, 6)),  # Thu -> Fri, then the adjusted working Saturday
        (D(2030, 4, 6), 1, D(2030, 4, 8)),  # Sunday is still a rest day
        (D(2030, 4, 8), -3, D(2030, 4, 4)),  # backwards: Sat 6th, Fri 5th, Thu 4th
        (D(2030, 4, 4), -1, D(2030, 3, 29)),  # backwards over the holidays
    ],
)
def test_add_working_days(start, n, expected):
    result = CAL.add_working_days(start, n)
    assert result.date == expected
    assert result.provisional is False


def test_between_counts_days_after_start_up_to_end():
    assert CAL.working_days_between(D(2030, 3, 29), D(2030, 4, 8)).days == 4  # 4th, 5th, 6th, 8th
    assert CAL.working_days_between(D(2030, 4, 8), D(2030, 3, 29)).days == -4
    assert CAL.working_days_between(D(2030, 4, 8), D(2030, 4, 8)).days == 0


def test_an_uncovered_year_uses_weekends_only_and_is_provisional():
    result = CAL.add_working_days(D(2030, 12, 27), 3)  # Fri -> Mon 30, Tue 31, Wed 2031-01-01
    assert result.date == D(2031, 1, 1)
    assert result.provisional is True
    count = CAL.working_days_between(D(2030, 12, 27), D(2031, 1, 3))
    assert (count.days, count.provisional) == (5, True)
    # Staying inside the covered year is not provisional, even right at its end.
    assert CAL.add_working_days(D(2030, 12, 27), 2).provisional is False
