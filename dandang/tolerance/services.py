"""Tolerance services (writes): the kernel's recommendation stored as a decision record, and the
case workflow (issue 5 points 4–6; POLICY.md §5).

Workflow — the transition table is :func:`case_machine`; the time limits come from the
``procedure`` section of the effective ``tolerance`` rulebook (Qianhai 2019)::

    (the cadre applies, within one month of the decision it concerns)
      applied ──accept (10 working days, written notice)──▶ investigating ──propose──▶ proposed
         └──refuse (written notice)──▶ not_accepted        │  ▲ extend: once,             │
    (ex officio, when accountability starts) ──────────────┘  └ at most one month         │
                                                                                           ▼
                        closed ◀──close (every correction item done)── determined ◀──determine

Ex officio reviews (Dali: tolerance is examined whenever accountability starts) skip acceptance.
The investigation is due within one month of acceptance (or of opening), extended once by at most
one month.  The proposal records the facts in the structure of :mod:`dandang.tolerance.facts`
(all five narrative factors required) and the kernel's recommendation as a decision record; the
determination is made by the body that holds to account ("谁追责问责，谁负责容错", Jining), never by
the person who proposed, and a determination departing from the recommendation must say why.  The
conclusion goes to the cadre and their Party organization, is reported to discipline inspection
and copied to the organization department (Guiyang 2024).  Then correction (纠错): the plan's items
with owner and deadline, and follow-up visits (回访教育).

Every service checks the actor's right, validates everything before writing, audits itself in
the same transaction (partition: the cadre's county) and, for a step, names the case version it
was decided on (a stale one is a :class:`Conflict`).  ``actor`` None is the system.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dandang.core.audit import audit_record
from dandang.core.cases import CaseMachine, Period, Transition, deadline_after
from dandang.core.decisions import decision_record_create
from dandang.core.errors import Conflict, PermissionDenied, ValidationFailed
from dandang.core.models import DecisionRecord, Notification
from dandang.core.notifications import notification_send, register_message
from dandang.core.rulebooks import Rulebook, rulebook_effective
from dandang.core.validation import snapshot
from dandang.core.workdays import Deadline
from dandang.org.models import Cadre, User
from dandang.org.roles import Cap, Role
from dandang.org.selectors import has_capability
from dandang.tolerance.evaluation import Evaluation, tolerance_evaluate
from dandang.tolerance.explain import explain_in_every_language
from dandang.tolerance.facts import NARRATIVE_FIELDS, CaseInputError
from dandang.tolerance.models import (
    CaseStatus,
    CorrectionItem,
    FollowUpVisit,
    MatterType,
    Origin,
    Outcome,
    ToleranceCase,
)
from dandang.tolerance.rules import Procedure, ToleranceRules
from dandang.tolerance.selectors import (
    capability_holders,
    cases_due_by,
    correction_items_due_by,
    open_case_for_matter,
    users_holding,
)

KERNEL = "tolerance"
INVALID = _("Some fields are not valid.")

S = CaseStatus
CASE_FIELDS = [
    "status",
    "version",
    "due_date",
    "due_provisional",
    "origin",
    "matter_type",
    "matter_id",
    "matter",
    "matter_date",
    "decision_reference",
    "decision_date",
]

register_message(
    "tolerance_applied", _("%(cadre)s applied for error tolerance: “%(matter)s”. Decide on acceptance by %(due)s.")
)
register_message(
    "tolerance_accepted",
    _("Your application for error tolerance “%(matter)s” was accepted; the investigation is due by %(due)s. %(note)s"),
)
register_message(
    "tolerance_not_accepted", _("Your application for error tolerance “%(matter)s” was not accepted: %(note)s")
)
register_message(
    "tolerance_opened", _("An ex officio tolerance review of %(cadre)s was opened: “%(matter)s”, due by %(due)s.")
)
register_message(
    "tolerance_proposed",
    _("The tolerance case of %(cadre)s (“%(matter)s”) awaits your determination by %(due)s; recommended: %(outcome)s."),
)
register_message("tolerance_determined_cadre", _("Determination of your tolerance case “%(matter)s”: %(outcome)s."))
register_message(
    "tolerance_determined_party",
    _("For the Party organization: the tolerance case of %(cadre)s (“%(matter)s”) was determined: %(outcome)s."),
)
register_message(
    "tolerance_determined_report",
    _("Report to discipline inspection: the tolerance case of %(cadre)s (“%(matter)s”) was determined: %(outcome)s."),
)
register_message(
    "tolerance_determined_copy",
    _(
        "Copy to the organization department: the tolerance case of %(cadre)s (“%(matter)s”) was determined: "
        "%(outcome)s."
    ),
)
register_message(
    "tolerance_overdue",
    _("Overdue since %(due)s: the tolerance case of %(cadre)s (“%(matter)s”) waits for: %(step)s."),
)
register_message(
    "tolerance_correction_overdue",
    _("Overdue since %(due)s: correction item “%(task)s” (%(owner)s) of the tolerance case of %(cadre)s."),
)

# What each waiting state waits for, for reminders and pages.
WAITING_FOR: dict[str, Any] = {
    S.APPLIED: _("the decision on acceptance"),
    S.INVESTIGATING: _("the investigation"),
    S.PROPOSED: _("the determination"),
}


def invalid(detail: dict[str, list[str]]) -> ValidationFailed:
    return ValidationFailed(INVALID, detail=detail)


_AS_OF: ContextVar[dt.date | None] = ContextVar("tolerance_as_of", default=None)


def today() -> dt.date:
    """The day the services work on: today, or the day of :func:`as_of`."""
    return _AS_OF.get() or timezone.localdate()


@contextmanager
def as_of(day: dt.date) -> Iterator[None]:
    """Take the steps inside as on ``day`` (the demo's history of cases, a back-fill of paper
    cases): deadlines, the one-month rule and the dates recorded count from that day."""
    token = _AS_OF.set(day)
    try:
        yield
    finally:
        _AS_OF.reset(token)


# --- the recommendation ---------------------------------------------------------------------


@transaction.atomic
def tolerance_recommendation_record(
    *, actor: Any, evaluation: Evaluation, subject_type: str = "", subject_id: Any = ""
) -> DecisionRecord:
    """Store the kernel's recommendation: the case document as given (facts, extra facts, item,
    narrative), the rulebook version, the rules fired, the outcome and the explanation in every
    language of the deployment — so that it can be re-explained years later."""
    case = evaluation.case
    inputs = {
        "facts": {**{k: v for k, v in vars(case.facts).items() if k != "extra"}, "extra": dict(case.facts.extra)},
        "industry_item": case.industry_item,
        "narrative": case.narrative.model_dump() if case.narrative is not None else None,
    }
    decision = evaluation.decision
    return decision_record_create(
        actor=actor,
        kernel=KERNEL,
        rulebook=evaluation.rulebook,
        inputs=inputs,
        fired=list(decision.fired),
        outcome={"outcome": decision.outcome, "deciding_step": decision.deciding_step},
        explanation=explain_in_every_language(decision, evaluation.rules),
        subject_type=subject_type,
        subject_id=subject_id,
    )


# --- rights and the transition table ---------------------------------------------------------


def is_self(actor: Any, case: ToleranceCase) -> bool:
    return actor is not None and getattr(actor, "cadre_id", None) == case.cadre_id


def may_apply(actor: Any, case: ToleranceCase) -> bool:
    """The cadre applies for themself."""
    return actor is None or is_self(actor, case)


def may_handle(actor: Any, case: ToleranceCase) -> bool:
    """The bodies that hold to account (organization department, discipline inspection) handle
    cases of their jurisdiction — never one about themself."""
    if actor is None:
        return True
    return not is_self(actor, case) and has_capability(actor, Cap.TOLERANCE_HANDLE, case.cadre.org)


def may_extend(actor: Any, case: ToleranceCase) -> bool:
    return may_handle(actor, case) and not case.extension_reason


def may_decide(actor: Any, case: ToleranceCase) -> bool:
    """The deciding body, never the person who proposed (proposing and deciding are different
    people) nor the cadre."""
    if actor is None:
        return True
    if is_self(actor, case) or (case.proposed_by_id is not None and case.proposed_by_id == actor.pk):
        return False
    return has_capability(actor, Cap.TOLERANCE_DECIDE, case.cadre.org)


def case_machine(procedure: Procedure) -> CaseMachine:
    """The tolerance case's transition table under a rulebook's time limits.  Creation is a step
    from no state ("")."""
    acceptance = Period(working_days=procedure.acceptance_working_days)
    investigation = Period(months=procedure.investigation_months)
    extension = Period(months=procedure.extension_months)
    determination = Period(working_days=procedure.determination_working_days)
    T = Transition
    return CaseMachine(
        [
            T("", "apply", S.APPLIED, may_apply, ("matter", "matter_date", "decision_date", "statement"), acceptance),
            T("", "open", S.INVESTIGATING, may_handle, ("matter", "matter_date"), investigation),
            T(S.APPLIED, "accept", S.INVESTIGATING, may_handle, (), investigation),
            T(S.APPLIED, "refuse", S.NOT_ACCEPTED, may_handle, ("note",)),
            T(S.INVESTIGATING, "extend", S.INVESTIGATING, may_extend, ("reason",), extension, from_due=True),
            T(S.INVESTIGATING, "propose", S.PROPOSED, may_handle, ("facts", "report"), determination),
            T(S.PROPOSED, "determine", S.DETERMINED, may_decide, ("outcome",)),
            T(S.DETERMINED, "close", S.CLOSED, may_handle),
        ],
        labels=dict(CaseStatus.choices),
    )


def tolerance_rules(case_or_cadre: ToleranceCase | Cadre) -> tuple[Rulebook, ToleranceRules]:
    cadre = case_or_cadre.cadre if isinstance(case_or_cadre, ToleranceCase) else case_or_cadre
    book = rulebook_effective("tolerance", cadre.org)
    return book, book.content


def machine_for(case_or_cadre: ToleranceCase | Cadre) -> CaseMachine:
    return case_machine(tolerance_rules(case_or_cadre)[1].procedure)


def _lock(case: ToleranceCase) -> ToleranceCase:
    return ToleranceCase.objects.select_for_update(of=("self",)).select_related("cadre", "cadre__org").get(pk=case.pk)


def _audit(
    actor: Any, action: str, case: ToleranceCase, before: Any = None, after: Any = None, reason: str = ""
) -> None:
    audit_record(
        actor=actor,
        action=action,
        partition=case.cadre.org.audit_partition,
        object_type="tolerance_case",
        object_id=case.pk,
        before=before,
        after=after,
        reason=reason,
    )


def _set_due(case: ToleranceCase, due: Deadline | None) -> None:
    case.due_date = due.date if due is not None else None
    case.due_provisional = due.provisional if due is not None else False


def _text(value: Any, field: str, limit: int, detail: dict[str, list[str]], *, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        detail.setdefault(field, []).append(gettext("This field is required."))
    elif len(text) > limit:
        detail.setdefault(field, []).append(gettext("At most %(limit)s characters.") % {"limit": limit})
    return text


def _link(case: ToleranceCase) -> str:
    return reverse("tolerance:case_detail", args=[case.pk])


def _params(case: ToleranceCase, **more: Any) -> dict[str, Any]:
    return {"cadre": case.cadre.name, "matter": case.matter[:80], **more}


def _outcome_label(value: str) -> str:
    # Stored as the code; the inbox renders the message in the reader's language, so the outcome
    # is named in both (the notice is short).
    return {
        "exempt": "免责 exemption",
        "reduced": "减轻 reduced",
        "lighter": "从轻 lighter",
        "not_tolerated": "不予容错 not tolerated",
    }.get(value, value)


def _cadre_user(case: ToleranceCase) -> list[User]:
    return list(User.objects.filter(cadre_id=case.cadre_id, is_active=True))


def _staff(case: ToleranceCase, capability: str, *, besides: Any = None) -> list[User]:
    """Holders of ``capability`` over the cadre's organization, without the cadre and ``besides``
    (the person who took the step)."""
    return [
        u
        for u in capability_holders(capability, case.cadre.org)
        if u.cadre_id != case.cadre_id and u.pk != getattr(besides, "pk", None)
    ]


def _notify(
    users: list[User], case: ToleranceCase, message: str, *, kind: str, due_date: dt.date | None = None, **params: Any
) -> None:
    for user in users:
        notification_send(
            user=user,
            kind=kind,
            message=message,
            params=_params(case, **params),
            link=_link(case),
            due_date=due_date,
            dedupe_key=f"{message}:{case.pk}:{case.version}",
        )


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else ""


# --- opening ---------------------------------------------------------------------------------


def _matter_problems(
    *, matter: str, matter_date: Any, decision_reference: str, decision_date: Any, today: dt.date
) -> dict[str, list[str]]:
    detail: dict[str, list[str]] = {}
    _text(matter, "matter", 2000, detail)
    _text(decision_reference, "decision_reference", 100, detail, required=False)
    for field, value in (("matter_date", matter_date), ("decision_date", decision_date)):
        if value is not None and not isinstance(value, dt.date):
            detail.setdefault(field, []).append(gettext("Enter a date as YYYY-MM-DD."))
        elif isinstance(value, dt.date) and value > today:
            detail.setdefault(field, []).append(gettext("The date is in the future."))
    if isinstance(matter_date, dt.date) and isinstance(decision_date, dt.date) and decision_date < matter_date:
        detail.setdefault("decision_date", []).append(gettext("The decision cannot precede the matter it concerns."))
    return detail


@transaction.atomic
def tolerance_case_apply(
    *,
    actor: User | None,
    cadre: Cadre,
    matter: str,
    matter_date: dt.date | None,
    decision_date: dt.date | None,
    statement: str,
    decision_reference: str = "",
) -> ToleranceCase:
    """The cadre's own application (Qianhai 2019): within one month of the accountability,
    discipline or handling decision it concerns — a later one is refused, saying until when it
    could have been made.  Acceptance is then due within ten working days."""
    day = today()
    book, rules = tolerance_rules(cadre)
    machine = case_machine(rules.procedure)
    matter, statement, reference = (matter or "").strip(), (statement or "").strip(), (decision_reference or "").strip()
    case = ToleranceCase(
        cadre=cadre,
        origin=Origin.APPLICATION,
        matter_type=MatterType.DECISION,
        matter_id=reference,
        matter=matter,
        matter_date=matter_date,  # type: ignore[misc]  # required: checked before the case is saved
        decision_reference=reference,
        decision_date=decision_date,
        statement=statement,
        status="",
        version=0,
        opened_by=actor,
        opened_on=day,
    )
    fields = {"matter": matter, "matter_date": matter_date, "decision_date": decision_date, "statement": statement}
    try:
        transition = machine.check(actor=actor, case=case, action="apply", version=None, fields=fields)
    except PermissionDenied:
        raise PermissionDenied(_("A cadre applies for error tolerance for themself.")) from None
    detail = _matter_problems(
        matter=matter, matter_date=matter_date, decision_reference=reference, decision_date=decision_date, today=day
    )
    _text(statement, "statement", 5000, detail)
    if isinstance(decision_date, dt.date) and "decision_date" not in detail:
        limit = deadline_after(decision_date, Period(months=rules.procedure.application_months))
        if day > limit.date:
            detail["decision_date"] = [
                gettext(
                    "An application is made within one month of the decision it concerns: for a decision of "
                    "%(decided)s the last day was %(last)s."
                )
                % {"decided": decision_date.isoformat(), "last": limit.date.isoformat()}
            ]
    if detail:
        raise invalid(detail)
    if reference and open_case_for_matter(cadre, MatterType.DECISION, reference) is not None:
        raise Conflict(_("A tolerance case about this decision is already open."))
    _set_due(case, machine.advance(case, transition, today=day))
    case.save()
    _audit(actor, "tolerance.case.apply", case, after={**snapshot(case, CASE_FIELDS), "rulebook": book.ref})
    _notify(
        _staff(case, Cap.TOLERANCE_HANDLE),
        case,
        "tolerance_applied",
        kind=Notification.Kind.TODO,
        due_date=case.due_date,
        due=_iso(case.due_date),
    )
    return case


@transaction.atomic
def tolerance_review_open(
    *,
    actor: User | None,
    cadre: Cadre,
    matter_type: str,
    matter_id: Any,
    matter: str,
    matter_date: dt.date,
    decision_reference: str = "",
    decision_date: dt.date | None = None,
) -> ToleranceCase:
    """An ex officio tolerance review (Dali: examined whenever accountability starts).  The
    accountability case calls this when it starts, with its own type and id; the review skips the
    acceptance step, runs alongside the accountability verification and is due within one month.
    Idempotent: an open review of the same matter is returned as it is."""
    if matter_type not in MatterType.values:
        raise invalid(
            {"matter_type": [gettext("Choose one of: %(expected)s.") % {"expected": ", ".join(MatterType.values)}]}
        )
    matter_id = str(matter_id or "").strip()
    if len(matter_id) > 64:
        raise invalid({"matter_id": [gettext("At most %(limit)s characters.") % {"limit": 64}]})
    day = today()
    book, rules = tolerance_rules(cadre)
    machine = case_machine(rules.procedure)
    matter = (matter or "").strip()
    case = ToleranceCase(
        cadre=cadre,
        origin=Origin.EX_OFFICIO,
        matter_type=matter_type,
        matter_id=matter_id,
        matter=matter,
        matter_date=matter_date,
        decision_reference=(decision_reference or "").strip(),
        decision_date=decision_date,
        status="",
        version=0,
        opened_by=actor,
        opened_on=day,
    )
    transition = machine.check(
        actor=actor, case=case, action="open", version=None, fields={"matter": matter, "matter_date": matter_date}
    )
    detail = _matter_problems(
        matter=matter,
        matter_date=matter_date,
        decision_reference=case.decision_reference,
        decision_date=decision_date,
        today=day,
    )
    if detail:
        raise invalid(detail)
    if matter_id:
        existing = open_case_for_matter(cadre, matter_type, matter_id)
        if existing is not None:
            return existing
    _set_due(case, machine.advance(case, transition, today=day))
    case.save()
    _audit(actor, "tolerance.case.open", case, after={**snapshot(case, CASE_FIELDS), "rulebook": book.ref})
    _notify(
        _staff(case, Cap.TOLERANCE_HANDLE, besides=actor),
        case,
        "tolerance_opened",
        kind=Notification.Kind.TODO,
        due_date=case.due_date,
        due=_iso(case.due_date),
    )
    return case


# --- steps -----------------------------------------------------------------------------------


def _step(
    actor: Any, case: ToleranceCase, action: str, version: int | None, fields: dict[str, Any]
) -> tuple[ToleranceCase, Transition]:
    locked = _lock(case)
    transition = machine_for(locked).check(actor=actor, case=locked, action=action, version=version, fields=fields)
    return locked, transition


STEP_FIELDS = ["status", "version", "due_date", "due_provisional"]


@transaction.atomic
def tolerance_case_accept(
    *, actor: User | None, case: ToleranceCase, version: int | None = None, note: str = ""
) -> ToleranceCase:
    """Accept an application (within ten working days, with written notice to the applicant): the
    investigation starts and is due within one month."""
    detail: dict[str, list[str]] = {}
    note = _text(note, "note", 2000, detail, required=False)
    locked, transition = _step(actor, case, "accept", version, {"note": note})
    if detail:
        raise invalid(detail)
    before = snapshot(locked, STEP_FIELDS)
    day = today()
    _set_due(locked, machine_for(locked).advance(locked, transition, today=day))
    locked.accepted_by, locked.accepted_on, locked.acceptance_note = actor, day, note
    locked.save()
    _audit(actor, "tolerance.case.accept", locked, before=before, after=snapshot(locked, STEP_FIELDS), reason=note)
    _notify(
        _cadre_user(locked),
        locked,
        "tolerance_accepted",
        kind=Notification.Kind.NOTICE,
        due=_iso(locked.due_date),
        note=note,
    )
    return locked


@transaction.atomic
def tolerance_case_refuse(
    *, actor: User | None, case: ToleranceCase, note: str, version: int | None = None
) -> ToleranceCase:
    """Do not accept an application, with a written notice saying why."""
    detail: dict[str, list[str]] = {}
    note = _text(note, "note", 2000, detail)
    locked, transition = _step(actor, case, "refuse", version, {"note": note})
    if detail:
        raise invalid(detail)
    before = snapshot(locked, STEP_FIELDS)
    day = today()
    _set_due(locked, machine_for(locked).advance(locked, transition, today=day))
    locked.accepted_by, locked.accepted_on, locked.acceptance_note = actor, day, note
    locked.save()
    _audit(actor, "tolerance.case.refuse", locked, before=before, after=snapshot(locked, STEP_FIELDS), reason=note)
    _notify(_cadre_user(locked), locked, "tolerance_not_accepted", kind=Notification.Kind.NOTICE, note=note)
    return locked


@transaction.atomic
def tolerance_case_extend(
    *, actor: User | None, case: ToleranceCase, reason: str, version: int | None = None
) -> ToleranceCase:
    """Extend the investigation once, by at most one month from its current deadline."""
    detail: dict[str, list[str]] = {}
    reason = _text(reason, "reason", 2000, detail)
    locked = _lock(case)
    if locked.status == S.INVESTIGATING and locked.extension_reason and may_handle(actor, locked):
        raise Conflict(_("The investigation was extended once already; it cannot be extended again."))
    locked, transition = _step(actor, locked, "extend", version, {"reason": reason})
    if detail:
        raise invalid(detail)
    before = snapshot(locked, STEP_FIELDS)
    _set_due(locked, machine_for(locked).advance(locked, transition, today=today()))
    locked.extended_by, locked.extension_reason = actor, reason
    locked.save()
    _audit(actor, "tolerance.case.extend", locked, before=before, after=snapshot(locked, STEP_FIELDS), reason=reason)
    return locked


def case_document_evaluate(document: Any, book: Rulebook) -> Evaluation:
    """The investigation's findings checked as the case form requires them: the facts of
    :mod:`dandang.tolerance.facts` against the rulebook (every problem named by its path, such as
    ``facts.personal_gain``) and all five narrative factors."""
    problems: list[tuple[str, str]] = []
    evaluation: Evaluation | None = None
    try:
        evaluation = tolerance_evaluate(document, book)
    except CaseInputError as exc:
        problems = list(exc.problems)
    narrative = document.get("narrative") if isinstance(document, dict) else None
    if isinstance(narrative, dict) or narrative is None:
        for name in NARRATIVE_FIELDS:
            value = (narrative or {}).get(name)
            if not isinstance(value, str) or not value.strip():
                key = f"narrative.{name}"
                if all(k != key for k, _m in problems):
                    problems.append((key, gettext("This field is required.")))
    if problems or evaluation is None:
        detail: dict[str, list[str]] = {}
        for key, message in problems:
            detail.setdefault(key, []).append(str(message))
        raise invalid(detail)
    return evaluation


@transaction.atomic
def tolerance_case_propose(
    *, actor: User | None, case: ToleranceCase, document: Any, report: str, version: int | None = None
) -> ToleranceCase:
    """Close the investigation with its findings — the facts, the industry-list item invoked and
    the five judging factors — and the kernel's recommendation, stored as a decision record.  The
    determination is then due within the rulebook's limit."""
    detail: dict[str, list[str]] = {}
    report = _text(report, "report", 5000, detail)
    locked, transition = _step(actor, case, "propose", version, {"facts": document, "report": report})
    book, _rules = tolerance_rules(locked)
    try:
        evaluation = case_document_evaluate(document, book)
    except ValidationFailed as exc:
        raise invalid({**exc.detail, **detail}) from None
    if detail:
        raise invalid(detail)
    before = snapshot(locked, STEP_FIELDS)
    day = today()
    record = tolerance_recommendation_record(
        actor=actor, evaluation=evaluation, subject_type="tolerance_case", subject_id=locked.pk
    )
    _set_due(locked, machine_for(locked).advance(locked, transition, today=day))
    locked.case_document = record.inputs
    locked.recommendation = record
    locked.recommended_outcome = evaluation.decision.outcome
    locked.proposed_by, locked.proposed_on, locked.proposal_note = actor, day, report
    locked.save()
    _audit(
        actor,
        "tolerance.case.propose",
        locked,
        before=before,
        after={
            **snapshot(locked, STEP_FIELDS),
            "recommended_outcome": locked.recommended_outcome,
            "decision_record": record.pk,
            "rulebook": book.ref,
        },
        reason=report,
    )
    _notify(
        _staff(locked, Cap.TOLERANCE_DECIDE, besides=actor),
        locked,
        "tolerance_proposed",
        kind=Notification.Kind.TODO,
        due_date=locked.due_date,
        due=_iso(locked.due_date),
        outcome=_outcome_label(locked.recommended_outcome),
    )
    return locked


@transaction.atomic
def tolerance_case_determine(
    *,
    actor: User | None,
    case: ToleranceCase,
    outcome: str,
    reason: str = "",
    note: str = "",
    version: int | None = None,
) -> ToleranceCase:
    """The determination by the body that holds to account, with the kernel's recommendation in
    front of it: a determination that departs from it must state why (DESIGN.md "Humans decide,
    the system recommends").  Never by the person who proposed.  The conclusion goes to the cadre
    and their Party organization (the unit leaders), is reported to discipline inspection and
    copied to the organization department."""
    locked = _lock(case)
    if actor is not None and locked.proposed_by_id == actor.pk and locked.status == S.PROPOSED:
        raise PermissionDenied(_("Proposing and deciding are different people: you proposed this case."))
    detail: dict[str, list[str]] = {}
    reason = _text(reason, "reason", 5000, detail, required=False)
    note = _text(note, "note", 5000, detail, required=False)
    locked, transition = _step(actor, locked, "determine", version, {"outcome": outcome})
    if outcome not in Outcome.values:
        detail["outcome"] = [gettext("Choose one of: %(expected)s.") % {"expected": ", ".join(Outcome.values)}]
    elif outcome != locked.recommended_outcome and not reason:
        detail["reason"] = [
            gettext("The determination departs from the recommendation (%(recommended)s): say why.")
            % {"recommended": Outcome(locked.recommended_outcome).label if locked.recommended_outcome else "—"}
        ]
    if detail:
        raise invalid(detail)
    before = snapshot(locked, STEP_FIELDS)
    day = today()
    _set_due(locked, machine_for(locked).advance(locked, transition, today=day))
    locked.outcome = outcome
    locked.departure_reason = reason if outcome != locked.recommended_outcome else ""
    locked.determination_note = note
    locked.decided_by, locked.decided_on = actor, day
    locked.save()
    _audit(
        actor,
        "tolerance.case.determine",
        locked,
        before=before,
        after={
            **snapshot(locked, STEP_FIELDS),
            "outcome": outcome,
            "recommended_outcome": locked.recommended_outcome,
            "departs": locked.departs,
        },
        reason=reason or note,
    )
    label = _outcome_label(outcome)
    notice = Notification.Kind.NOTICE
    org = locked.cadre.org
    _notify(_cadre_user(locked), locked, "tolerance_determined_cadre", kind=notice, outcome=label)
    for roles, message in (
        ({Role.UNIT_LEADER}, "tolerance_determined_party"),
        ({Role.DISCIPLINE}, "tolerance_determined_report"),
        ({Role.ORG_STAFF}, "tolerance_determined_copy"),
    ):
        users = [u for u in users_holding(roles, org) if u.cadre_id != locked.cadre_id]
        _notify(users, locked, message, kind=notice, outcome=label)
    return locked


@transaction.atomic
def tolerance_case_close(
    *, actor: User | None, case: ToleranceCase, note: str = "", version: int | None = None
) -> ToleranceCase:
    """Close a determined case once every item of its correction plan is done."""
    detail: dict[str, list[str]] = {}
    note = _text(note, "note", 2000, detail, required=False)
    locked, transition = _step(actor, case, "close", version, {})
    if detail:
        raise invalid(detail)
    open_items = CorrectionItem.objects.filter(case=locked, done_on__isnull=True).count()
    if open_items:
        raise Conflict(
            gettext("%(count)s correction items are not done yet; the case closes once every item is done.")
            % {"count": open_items}
        )
    before = snapshot(locked, STEP_FIELDS)
    _set_due(locked, machine_for(locked).advance(locked, transition, today=today()))
    locked.closed_by, locked.closed_on, locked.closing_note = actor, today(), note
    locked.save()
    _audit(actor, "tolerance.case.close", locked, before=before, after=snapshot(locked, STEP_FIELDS), reason=note)
    return locked


# --- correction (纠错) and follow-up visits (回访教育) ------------------------------------------


ITEM_FIELDS = ["owner", "task", "deadline", "done_on", "done_note"]


def _require_correcting(actor: Any, case: ToleranceCase, *statuses: str) -> None:
    if not may_handle(actor, case):
        raise PermissionDenied(_("Your role does not allow this step on this case."))
    if case.status not in statuses:
        raise Conflict(
            gettext("This step is not possible while the case is %(status)s.")
            % {"status": CaseStatus(case.status).label}
        )


def _date(value: Any, field: str, detail: dict[str, list[str]]) -> dt.date | None:
    if value is None:
        detail.setdefault(field, []).append(gettext("This field is required."))
        return None
    if not isinstance(value, dt.date):
        detail.setdefault(field, []).append(gettext("Enter a date as YYYY-MM-DD."))
        return None
    return value


@transaction.atomic
def correction_item_add(
    *, actor: User | None, case: ToleranceCase, owner: str, task: str, deadline: dt.date | None
) -> CorrectionItem:
    """An item of the correction plan (纠错): who corrects what by when."""
    locked = _lock(case)
    _require_correcting(actor, locked, S.DETERMINED)
    detail: dict[str, list[str]] = {}
    owner = _text(owner, "owner", 100, detail)
    task = _text(task, "task", 2000, detail)
    day = _date(deadline, "deadline", detail)
    if day is not None and locked.decided_on is not None and day < locked.decided_on:
        detail.setdefault("deadline", []).append(gettext("The deadline is before the determination."))
    if detail:
        raise invalid(detail)
    assert day is not None
    item = CorrectionItem.objects.create(case=locked, owner=owner, task=task, deadline=day, created_by=actor)
    _audit(actor, "tolerance.correction.add", locked, after={"item": item.pk, **snapshot(item, ITEM_FIELDS)})
    return item


@transaction.atomic
def correction_item_done(
    *, actor: User | None, item: CorrectionItem, done_on: dt.date | None, note: str = ""
) -> CorrectionItem:
    """Record that a correction item was done (on a day not in the future)."""
    locked = _lock(item.case)
    _require_correcting(actor, locked, S.DETERMINED)
    row = CorrectionItem.objects.select_for_update().get(pk=item.pk)
    if row.done_on is not None:
        raise Conflict(_("This correction item is recorded as done already."))
    detail: dict[str, list[str]] = {}
    day = _date(done_on, "done_on", detail)
    note = _text(note, "note", 2000, detail, required=False)
    if day is not None and day > today():
        detail.setdefault("done_on", []).append(gettext("The date is in the future."))
    if detail:
        raise invalid(detail)
    before = snapshot(row, ITEM_FIELDS)
    row.done_on, row.done_note = day, note
    row.save(update_fields=["done_on", "done_note"])
    _audit(
        actor, "tolerance.correction.done", locked, before={"item": row.pk, **before}, after=snapshot(row, ITEM_FIELDS)
    )
    return row


VISIT_FIELDS = ["visited_on", "visitors", "notes"]


@transaction.atomic
def follow_up_visit_add(
    *, actor: User | None, case: ToleranceCase, visited_on: dt.date | None, visitors: str, notes: str
) -> FollowUpVisit:
    """A follow-up visit (回访教育) to the cadre after the determination."""
    locked = _lock(case)
    _require_correcting(actor, locked, S.DETERMINED, S.CLOSED)
    detail: dict[str, list[str]] = {}
    day = _date(visited_on, "visited_on", detail)
    visitors = _text(visitors, "visitors", 200, detail)
    notes = _text(notes, "notes", 5000, detail)
    if day is not None and day > today():
        detail.setdefault("visited_on", []).append(gettext("The date is in the future."))
    elif day is not None and locked.decided_on is not None and day < locked.decided_on:
        detail.setdefault("visited_on", []).append(gettext("A follow-up visit comes after the determination."))
    if detail:
        raise invalid(detail)
    assert day is not None
    visit = FollowUpVisit.objects.create(case=locked, visited_on=day, visitors=visitors, notes=notes, created_by=actor)
    _audit(actor, "tolerance.follow_up.add", locked, after={"visit": visit.pk, **snapshot(visit, VISIT_FIELDS)})
    return visit


# --- reminders -------------------------------------------------------------------------------


def tolerance_reminders_send(*, today: dt.date) -> int:
    """Remind, in the inbox, the people a case waits for once its step is overdue: the handlers
    (acceptance, investigation) or the deciders (determination), and the handlers of an overdue
    correction item.  Idempotent: one reminder per person, case, step and deadline (the
    deduplication key), so the daily task may run any number of times.  Returns how many were
    delivered."""
    delivered = 0
    for case in cases_due_by(today - dt.timedelta(days=1)):
        capability = Cap.TOLERANCE_DECIDE if case.status == S.PROPOSED else Cap.TOLERANCE_HANDLE
        users = _staff(case, capability)
        if case.status == S.PROPOSED:
            users = [u for u in users if u.pk != case.proposed_by_id]
        for user in users:
            note = notification_send(
                user=user,
                kind=Notification.Kind.TODO,
                message="tolerance_overdue",
                params=_params(case, due=_iso(case.due_date), step=str(WAITING_FOR.get(case.status, ""))),
                link=_link(case),
                due_date=case.due_date,
                dedupe_key=f"tolerance_overdue:{case.pk}:{case.status}:{_iso(case.due_date)}",
            )
            delivered += note is not None
    for item in correction_items_due_by(today - dt.timedelta(days=1)):
        for user in _staff(item.case, Cap.TOLERANCE_HANDLE):
            note = notification_send(
                user=user,
                kind=Notification.Kind.TODO,
                message="tolerance_correction_overdue",
                params=_params(item.case, due=_iso(item.deadline), task=item.task[:80], owner=item.owner),
                link=_link(item.case),
                due_date=item.deadline,
                dedupe_key=f"tolerance_correction_overdue:{item.pk}:{_iso(item.deadline)}",
            )
            delivered += note is not None
    return delivered
