"""The generic case machine: the transition table, the version check, the order of refusals, and
deadlines in working days and months across public holidays (the calendar in force)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from dandang.core.cases import CaseMachine, Period, Transition, add_months, deadline_after
from dandang.core.errors import Conflict, PermissionDenied, ValidationFailed
from dandang.core.workdays import HolidayTable, WorkingCalendar

D = dt.date
pytestmark = pytest.mark.django_db


@dataclass
class Case:
    status: str
    version: int = 1
    due_date: dt.date | None = None
    owner: str = "alice"


def owner_only(actor, case):
    return actor == case.owner


def anyone(actor, case):
    return True


MACHINE = CaseMachine(
    [
        Transition("open", "review", "reviewing", owner_only, ("note",), Period(working_days=10)),
        Transition("reviewing", "extend", "reviewing", owner_only, (), Period(months=1), from_due=True),
        Transition("reviewing", "decide", "decided", anyone, ("outcome",)),
    ],
    labels={"open": "Open", "decided": "Decided"},
)


def test_the_table_lists_states_and_actions():
    assert MACHINE.states == ["open", "reviewing", "decided"]
    assert MACHINE.actions == ["review", "extend", "decide"]
    assert [t.action for t in MACHINE.available("alice", Case("reviewing"))] == ["extend", "decide"]
    assert [t.action for t in MACHINE.available("bob", Case("reviewing"))] == ["decide"]
    assert MACHINE.may("alice", Case("open"), "review") and not MACHINE.may("bob", Case("open"), "review")


def test_a_table_with_two_rows_for_one_step_is_refused():
    with pytest.raises(ValueError):
        CaseMachine([Transition("a", "x", "b", anyone), Transition("a", "x", "c", anyone)])


@pytest.mark.parametrize(
    ("actor", "case", "version", "fields", "error"),
    [
        ("bob", Case("open"), 1, {"note": "n"}, PermissionDenied),  # the right first…
        ("bob", Case("open", version=9), 1, {}, PermissionDenied),  # …whatever else is wrong
        ("alice", Case("decided"), 1, {"note": "n"}, Conflict),  # a step the state does not allow
        ("alice", Case("open", version=2), 1, {"note": "n"}, Conflict),  # a stale version
        ("alice", Case("open"), 1, {"note": "  "}, ValidationFailed),  # a required field blank
        ("alice", Case("open"), 1, {}, ValidationFailed),
    ],
)
def test_refusals(actor, case, version, fields, error):
    with pytest.raises(error):
        MACHINE.check(actor=actor, case=case, action="review", version=version, fields=fields)


def test_the_state_conflict_names_the_state_and_a_missing_field_is_named():
    with pytest.raises(Conflict) as conflict:
        MACHINE.check(actor="alice", case=Case("decided"), action="review", version=None, fields={"note": "x"})
    assert "Decided" in str(conflict.value.message)
    with pytest.raises(ValidationFailed) as invalid:
        MACHINE.check(actor="bob", case=Case("reviewing"), action="decide", version=1, fields={})
    assert list(invalid.value.detail) == ["outcome"]


def test_advance_moves_the_case_bumps_the_version_and_computes_the_next_deadline():
    case = Case("open")
    step = MACHINE.check(actor="alice", case=case, action="review", version=1, fields={"note": "n"})
    due = MACHINE.advance(case, step, today=D(2026, 9, 21))
    assert (case.status, case.version) == ("reviewing", 2)
    # Ten working days from Monday 21 September 2026 cross the Mid-Autumn and National Day holidays
    # (25–27 September, 1–7 October) and count the adjusted working Saturday 10 October.
    assert due is not None and due.date == D(2026, 10, 12) and not due.provisional
    case.due_date = due.date
    extended = MACHINE.advance(
        case, MACHINE.check(actor="alice", case=case, action="extend", version=2), today=D(2026, 10, 1)
    )
    # One month from the current deadline (12 November), not from the day of the step.
    assert extended is not None and extended.date == D(2026, 11, 12)
    decided = MACHINE.advance(
        case,
        MACHINE.check(actor="x", case=case, action="decide", version=3, fields={"outcome": "ok"}),
        today=D(2026, 10, 1),
    )
    assert decided is None and case.status == "decided"


def test_an_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError):
        MACHINE.check(actor="alice", case=Case("open"), action="nonsense", version=1)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
        (D(2026, 12, 15), 1, D(2027, 1, 15)),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


def test_a_month_ending_on_a_holiday_runs_to_the_next_working_day():
    # Accepted 1 September 2026: one month ends on 1 October, National Day: due Thursday 8 October.
    due = deadline_after(D(2026, 9, 1), Period(months=1))
    assert due.date == D(2026, 10, 8) and not due.provisional
    # Ending on a Sunday: the Monday after.
    assert deadline_after(D(2026, 10, 8), Period(months=1)).date == D(2026, 11, 9)
    # An ordinary working day stays.
    assert deadline_after(D(2026, 3, 10), Period(months=1)).date == D(2026, 4, 10)


def test_beyond_the_calendar_a_deadline_is_provisional():
    table = HolidayTable(holidays=frozenset(), workdays=frozenset(), years=frozenset({2030}))
    cal = WorkingCalendar(table)
    assert deadline_after(D(2030, 12, 24), Period(working_days=3), cal).provisional is False
    assert deadline_after(D(2030, 12, 27), Period(working_days=3), cal).provisional is True
    late = deadline_after(D(2030, 12, 20), Period(months=1), cal)
    assert late.date == D(2031, 1, 20) and late.provisional


def test_a_period_is_days_or_months():
    for bad in ({}, {"working_days": 1, "months": 1}, {"working_days": -1}):
        with pytest.raises(ValueError):
            Period(**bad)
