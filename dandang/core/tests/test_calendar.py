"""The calendar in force: chinese-calendar for the years it covers, the rulebook's holiday table
beyond, weekends only (provisional) past both."""

import datetime as dt

import chinese_calendar
import pytest
from django.template import Context, Template
from django.utils import translation

from dandang.core.calendar import (
    add_working_days,
    calendar_years,
    date_list_parse,
    holiday_table,
    holiday_year_publish,
    package_years,
    working_days_between,
)
from dandang.core.errors import ValidationFailed
from dandang.core.models import AuditEvent, PublishedRulebook
from dandang.core.workdays import Deadline

D = dt.date
pytestmark = pytest.mark.django_db

SPRING_FESTIVAL_2026 = [D(2026, 2, d) for d in range(15, 24)]
NOTICE_2027 = "国务院办公厅关于2027年部分节假日安排的通知（测试数据）"


def test_package_table_for_spring_festival_2026():
    """The facts the other tests rely on, read from the package itself."""
    for day in SPRING_FESTIVAL_2026:
        assert day in chinese_calendar.constants.holidays, day
    assert D(2026, 2, 14) in chinese_calendar.constants.workdays  # Saturday, adjusted working day
    assert D(2026, 2, 28) in chinese_calendar.constants.workdays  # Saturday, adjusted working day
    assert D(2026, 2, 14).weekday() == 5 and D(2026, 2, 28).weekday() == 5
    assert D(2026, 2, 24) not in chinese_calendar.constants.holidays


def test_across_spring_festival_2026():
    assert add_working_days(D(2026, 2, 13), 1) == Deadline(D(2026, 2, 14), False)  # the working Saturday
    assert add_working_days(D(2026, 2, 14), 1) == Deadline(D(2026, 2, 24), False)  # nine days off
    assert add_working_days(D(2026, 2, 12), 5) == Deadline(D(2026, 2, 26), False)
    # 13 Feb (Fri) to 28 Feb: 14th, 24th–27th and the working Saturday 28th.
    count = working_days_between(D(2026, 2, 13), D(2026, 2, 28))
    assert (count.days, count.provisional) == (6, False)
    # Backwards across the festival.
    assert add_working_days(D(2026, 2, 24), -1) == Deadline(D(2026, 2, 14), False)


def test_adjusted_working_saturday_counts():
    # Without the adjustment Friday 27 Feb + 1 would be Monday 2 March.
    assert add_working_days(D(2026, 2, 27), 1) == Deadline(D(2026, 2, 28), False)
    # An ordinary Saturday does not count.
    assert add_working_days(D(2026, 3, 6), 1) == Deadline(D(2026, 3, 9), False)


def test_national_day_2025():
    for day in range(1, 9):
        assert D(2025, 10, day) in chinese_calendar.constants.holidays
    assert add_working_days(D(2025, 9, 30), 1) == Deadline(D(2025, 10, 9), False)
    assert add_working_days(D(2025, 9, 26), 1) == Deadline(D(2025, 9, 28), False)  # working Sunday
    assert add_working_days(D(2025, 10, 10), 1) == Deadline(D(2025, 10, 11), False)  # working Saturday
    assert working_days_between(D(2025, 9, 26), D(2025, 10, 12)).days == 6  # 28, 29, 30 Sep; 9, 10, 11 Oct


def _publish_2027():
    return holiday_year_publish(
        actor=None,
        year=2027,
        holidays=[D(2027, 1, 1), *[D(2027, 2, d) for d in range(6, 13)]],
        workdays=[D(2027, 2, 14)],
        source=NOTICE_2027,
    )


def test_deadline_into_an_uncovered_year_is_provisional_until_the_table_is_published():
    assert 2027 not in package_years(), "chinese-calendar now covers 2027: move this test to the next uncovered year"
    start = D(2026, 12, 25)  # Friday
    # Weekends only: 28–31 Dec, then Fri 1 Jan 2027 counts, then 4–8 Jan.
    provisional = add_working_days(start, 10)
    assert provisional == Deadline(D(2027, 1, 8), True)
    assert working_days_between(start, D(2027, 1, 8)).provisional is True
    # Staying inside 2026 is firm.
    assert add_working_days(start, 4) == Deadline(D(2026, 12, 31), False)

    row = _publish_2027()
    assert row.ref == "calendar@2"
    firm = add_working_days(start, 10)
    assert firm == Deadline(D(2027, 1, 11), False)  # New Year's Day is now a holiday
    count = working_days_between(start, D(2027, 1, 11))
    assert (count.days, count.provisional) == (10, False)
    # The published year's festival (Sat 6 – Fri 12 Feb) does not count, its working Sunday does.
    assert add_working_days(D(2027, 2, 5), 1) == Deadline(D(2027, 2, 14), False)
    assert 2027 in holiday_table().years


def test_a_rulebook_year_overrides_the_package():
    # A correction of a covered year replaces the package's dates for that year only.
    holiday_year_publish(actor=None, year=2026, holidays=[D(2026, 1, 1)], workdays=[], source="correction (test data)")
    assert add_working_days(D(2026, 2, 13), 1) == Deadline(D(2026, 2, 16), False)  # no festival, no working Sat
    assert add_working_days(D(2025, 9, 30), 1) == Deadline(D(2025, 10, 9), False)  # 2025 still from the package


def test_publishing_a_year_keeps_the_other_years_and_audits():
    _publish_2027()
    second = holiday_year_publish(
        actor=None, year=2028, holidays=[D(2028, 1, 1)], workdays=[], source="2028 notice (test data)"
    )
    assert second.ref == "calendar@3"
    years = second.content["content"]["years"]
    assert set(years) == {"2027", "2028"}
    assert years["2027"]["workdays"] == ["2027-02-14"]
    assert PublishedRulebook.objects.get(version=2).content["content"]["years"].keys() == {"2027"}
    events = AuditEvent.objects.filter(action="rulebook.publish").order_by("id")
    assert [e.object_id for e in events] == ["calendar@2", "calendar@3"]
    assert events[1].reason == "2028 notice (test data)"


def test_bad_holiday_years_are_refused_with_every_problem():
    with pytest.raises(ValidationFailed) as exc:
        holiday_year_publish(
            actor=None,
            year=2027,
            holidays=[D(2027, 1, 1), D(2028, 1, 3)],
            workdays=[D(2027, 2, 15), D(2027, 1, 1)],  # a Monday; and a date already a holiday
            source="  ",
        )
    detail = exc.value.detail
    assert set(detail) == {"source", "holidays", "workdays"}
    assert "2028-01-03" in detail["holidays"][0]
    assert any("2027-02-15" in m for m in detail["workdays"])
    assert any("2027-01-01" in m for m in detail["workdays"])
    with pytest.raises(ValidationFailed) as exc:
        holiday_year_publish(actor=None, year=1999, holidays=[], workdays=[], source="x")
    assert set(exc.value.detail) == {"year", "holidays"}
    assert not PublishedRulebook.objects.exists()
    assert not AuditEvent.objects.filter(action="rulebook.publish").exists()


def test_calendar_years_say_where_dates_come_from():
    _publish_2027()
    years = {y.year: y for y in calendar_years()}
    assert years[2026].origin == "package"
    assert years[2026].reference.startswith("chinese-calendar")
    assert D(2026, 2, 14) in years[2026].workdays
    assert years[2027].origin == "rulebook"
    assert years[2027].reference == "calendar@2"
    assert years[2027].source == NOTICE_2027
    assert years[2027].holidays[0] == D(2027, 1, 1)


@pytest.mark.parametrize(
    ("text", "dates", "errors"),
    [
        ("2027-01-01", [D(2027, 1, 1)], 0),
        ("2027-02-06..2027-02-08, 2027-01-01", [D(2027, 1, 1), D(2027, 2, 6), D(2027, 2, 7), D(2027, 2, 8)], 0),
        ("2027-01-01\n2027-01-02；2027-01-03、2027-01-01", [D(2027, 1, 1), D(2027, 1, 2), D(2027, 1, 3)], 0),
        ("", [], 0),
        ("2027-02-30, tomorrow, 2027-01-01", [D(2027, 1, 1)], 2),
        ("2027-02-12..2027-02-06", [], 1),
        ("2027-01-01..2027-03-01", [], 1),
        ("2027-01-01..", [], 1),
    ],
)
def test_date_list_parse(text, dates, errors):
    parsed, problems = date_list_parse(text)
    assert parsed == dates
    assert len(problems) == errors


def test_every_unreadable_item_is_named():
    _dates, problems = date_list_parse("2027-02-30, tomorrow")
    assert "2027-02-30" in problems[0] and "tomorrow" in problems[1]


def test_deadline_display_marks_provisional_deadlines():
    template = Template("{% load dandang_core %}{{ d|deadline_display }}")
    with translation.override("en"):
        firm = template.render(Context({"d": Deadline(D(2026, 2, 24), False)}))
        provisional = template.render(Context({"d": Deadline(D(2027, 1, 8), True)}))
        plain = template.render(Context({"d": D(2026, 2, 24)}))
    assert "(provisional)" not in firm and "Feb. 24, 2026" in firm
    assert "Jan. 8, 2027" in provisional
    assert '<span class="provisional"' in provisional and "(provisional)" in provisional
    assert plain == "Feb. 24, 2026"
