"""A small case machine (DESIGN.md "Cases"), shared by the tolerance, accountability, adjustment,
name-clearing and appeal cases.

A case is a model with a ``status`` and a ``version``.  Its workflow is an explicit table of
:class:`Transition` rows — from which state, by which action, to which state, who may take it (a
callback that checks the actor's capability on the case), the fields the step needs and the time
limit of the *next* step, in working days or in months.  :meth:`CaseMachine.check` refuses a step
with the error of the one error family: the actor's role (:class:`PermissionDenied`), a step the
state does not allow or a stale version (:class:`Conflict`, so that two deciders cannot both win),
a missing field (:class:`ValidationFailed`).  :meth:`CaseMachine.advance` moves the case and
returns the next step's deadline.

Deadlines come from the working-day calendar in force (:mod:`dandang.core.calendar`): a period in
working days counts working days only; a period in months ends on the same day of the month (the
last day of a shorter month) and, when that day is a rest day, on the next working day.  A date
beyond the calendar's coverage is computed on weekends only and marked provisional.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dandang.core.calendar import working_calendar
from dandang.core.errors import Conflict, PermissionDenied, ValidationFailed
from dandang.core.workdays import Deadline, WorkingCalendar

STALE = _("This case was changed by someone else meanwhile; reload it and try again.")


@dataclass(frozen=True)
class Period:
    """A time limit: ``working_days`` working days, or ``months`` calendar months."""

    working_days: int = 0
    months: int = 0

    def __post_init__(self) -> None:
        if self.working_days < 0 or self.months < 0 or bool(self.working_days) == bool(self.months):
            raise ValueError("a period is a positive number of working days or of months, not both")


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` months later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def deadline_after(start: dt.date, period: Period, calendar: WorkingCalendar | None = None) -> Deadline:
    """The last day of ``period`` counted from ``start`` (``start`` itself not counted)."""
    cal = calendar or working_calendar()
    if period.working_days:
        return cal.add_working_days(start, period.working_days)
    end = add_months(start, period.months)
    provisional = not cal.covers(end)
    if not cal.is_workday(end):  # a limit ending on a rest day runs to the next working day
        later = cal.add_working_days(end, 1)
        end, provisional = later.date, provisional or later.provisional
    return Deadline(end, provisional)


Allowed = Callable[[Any, Any], bool]


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    allowed: Allowed  # (actor, case) -> may this actor take this step on this case
    requires: tuple[str, ...] = ()  # fields the step needs (non-blank)
    next_due: Period | None = None  # the time limit of the step that follows; None: no deadline
    # The limit counts from the case's current due date instead of the day of the step (an
    # extension adds to the limit it extends).
    from_due: bool = False


class CaseMachine:
    """The transition table of one kind of case."""

    def __init__(self, transitions: Iterable[Transition], *, labels: Mapping[str, Any] | None = None) -> None:
        self.transitions = tuple(transitions)
        self._by_step: dict[tuple[str, str], Transition] = {}
        for t in self.transitions:
            if (t.source, t.action) in self._by_step:
                raise ValueError(f"two transitions for {t.action} from {t.source}")
            self._by_step[(t.source, t.action)] = t
        self.labels = dict(labels or {})  # state -> label, for messages

    @property
    def states(self) -> list[str]:
        seen: dict[str, None] = {}
        for t in self.transitions:
            seen.setdefault(t.source)
            seen.setdefault(t.target)
        return list(seen)

    @property
    def actions(self) -> list[str]:
        return list(dict.fromkeys(t.action for t in self.transitions))

    def transition(self, state: str, action: str) -> Transition | None:
        return self._by_step.get((state, action))

    def available(self, actor: Any, case: Any) -> list[Transition]:
        """The steps ``actor`` may take on ``case`` now."""
        return [t for t in self.transitions if t.source == case.status and t.allowed(actor, case)]

    def may(self, actor: Any, case: Any, action: str) -> bool:
        t = self.transition(case.status, action)
        return t is not None and t.allowed(actor, case)

    def check(
        self, *, actor: Any, case: Any, action: str, version: int | None, fields: Mapping[str, Any] | None = None
    ) -> Transition:
        """The transition ``action`` from the case's state, if ``actor`` may take it now with
        ``fields``.  The right comes first (someone who may not act learns nothing more), then the
        state, the version and the fields."""
        candidates = [t for t in self.transitions if t.action == action]
        if not candidates:
            raise ValueError(f"unknown action {action}")
        current = self.transition(case.status, action)
        if not (current or candidates[0]).allowed(actor, case):
            raise PermissionDenied(_("Your role does not allow this step on this case."))
        if current is None:
            label = self.labels.get(case.status, case.status)
            raise Conflict(gettext("This step is not possible while the case is %(status)s.") % {"status": label})
        if version is not None and int(version) != case.version:
            raise Conflict(STALE)
        given = fields or {}
        missing = [name for name in current.requires if _blank(given.get(name))]
        if missing:
            raise ValidationFailed(
                _("Some fields are not valid."), detail={name: [gettext("This field is required.")] for name in missing}
            )
        return current

    def advance(self, case: Any, transition: Transition, *, today: dt.date) -> Deadline | None:
        """Move ``case`` along ``transition`` (not saved) and return the next step's deadline."""
        case.status = transition.target
        case.version += 1
        if transition.next_due is None:
            return None
        start = case.due_date if transition.from_due and getattr(case, "due_date", None) else today
        return deadline_after(start, transition.next_due)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}
