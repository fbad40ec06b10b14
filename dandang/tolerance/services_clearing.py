"""Writes of name clearing (澄清正名, issue 5 point 7; POLICY.md §5, after a provincial discipline
commission's measure and Jiangxi's exclusions).

The rules:

* Only a report found **seriously untrue, untrue, fabricated or false** qualifies; one found
  "unproven but not excluded" (查无实据但不能排除) — or substantiated — does not.
* At least one **trigger** must be recorded: an effect on selection, election, transfer or
  commendation; harm to personal or property rights; repeated reports after a conclusion.
* Jiangxi's **exclusions** refuse it: no adverse effect yet, not yet verifiable, only routine
  interviews.
* It clears only the **specific allegation**: one case per allegation of a report.
* **谁核实、谁澄清** — whoever verified clears: the finding is recorded by discipline inspection over
  the cadre's organization, and only a decider of that same verifying body clears or refuses.
  Proposing and deciding are different people.
* The **publication scope** (within the unit, the Party organization, a public notice) and its
  date are recorded; the cadre is told in their inbox.

Workflow: opened → verified (finding) → cleared | refused (refused also straight from opened).
Every step names the case's version: a stale one is a :class:`Conflict`.  Every write is audited
in the same transaction (partition: the cadre's county).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dandang.core.audit import audit_record
from dandang.core.errors import Conflict, PermissionDenied, ValidationFailed
from dandang.core.notifications import notification_send, register_message
from dandang.core.validation import snapshot
from dandang.org.models import Cadre, Organization, RoleGrant, User
from dandang.org.roles import Cap, roles_with
from dandang.org.selectors import has_capability, viewer_grants
from dandang.tolerance.models_clearing import (
    QUALIFYING_FINDINGS,
    ClearingStatus,
    Exclusion,
    Finding,
    NameClearingCase,
    PublicationScope,
    RefusalGround,
    Trigger,
)

register_message(
    "clearing_cleared",
    _(
        "Your name was cleared (澄清正名): the allegation “%(allegation)s” (report %(reference)s) was found "
        "untrue. It never counts against you."
    ),
)

INVALID = _("Some fields are not valid.")
STATE_FIELDS = ["status", "version"]


def _invalid(detail: dict[str, list[str]]) -> ValidationFailed:
    return ValidationFailed(INVALID, detail=detail)


def _is_self(actor: Any, cadre: Cadre) -> bool:
    return actor is not None and getattr(actor, "cadre_id", None) == cadre.pk


def _covering_grants(actor: Any, capability: str, organization: Organization) -> list[RoleGrant]:
    """The actor's grants that give ``capability`` over ``organization``, the nearest first."""
    allowed = roles_with(capability)
    found = [
        g
        for g in viewer_grants(actor)
        if g.role in allowed
        and (
            g.organization_id == organization.pk
            or (g.include_descendants and organization.path.startswith(g.organization.path))
        )
    ]
    return sorted(found, key=lambda g: len(g.organization.path), reverse=True)


def can_propose(actor: Any, cadre: Cadre) -> bool:
    return not _is_self(actor, cadre) and has_capability(actor, Cap.CLEARING_PROPOSE, cadre.org)


def can_verify(actor: Any, case: NameClearingCase) -> bool:
    return not _is_self(actor, case.cadre) and has_capability(actor, Cap.CLEARING_VERIFY, case.cadre.org)


def can_decide(actor: Any, case: NameClearingCase) -> bool:
    """Discipline inspection over the cadre's organization, of the body that verified (when it is
    verified), never the proposer nor the cadre."""
    if actor is None:
        return True
    if _is_self(actor, case.cadre) or case.opened_by_id == actor.pk:
        return False
    grants = _covering_grants(actor, Cap.CLEARING_DECIDE, case.cadre.org)
    if case.verifying_body_id is None:
        return bool(grants)
    return any(g.organization_id == case.verifying_body_id for g in grants)


def _require_decider(actor: Any, case: NameClearingCase) -> None:
    if actor is None:
        return
    if _is_self(actor, case.cadre):
        raise PermissionDenied(_("Nobody decides a name-clearing case about themself."))
    if case.opened_by_id == actor.pk:
        raise PermissionDenied(_("Proposing and deciding are different people: someone else must decide this case."))
    if not can_decide(actor, case):
        raise PermissionDenied(
            _("Only the body that verified the report clears the name (谁核实、谁澄清): your role does not allow it.")
        )


def _lock(case: NameClearingCase, version: int | None) -> NameClearingCase:
    locked = (
        NameClearingCase.objects.select_for_update(of=("self",))
        .select_related("cadre", "cadre__org", "verifying_body")
        .get(pk=case.pk)
    )
    if version is not None and int(version) != locked.version:
        raise Conflict(_("This case was changed by someone else meanwhile; reload it and try again."))
    return locked


def _require_status(case: NameClearingCase, *allowed: str) -> None:
    if case.status not in allowed:
        raise Conflict(
            _("This is not possible while the case is %(status)s.") % {"status": ClearingStatus(case.status).label}
        )


def _audit(
    actor: Any, action: str, case: NameClearingCase, *, before: Any = None, after: Any = None, reason: str = ""
) -> None:
    audit_record(
        actor=actor,
        action=action,
        partition=case.cadre.org.audit_partition,
        object_type="name_clearing_case",
        object_id=case.pk,
        before=before,
        after=after,
        reason=reason,
    )


def _text(value: Any, field: str, limit: int, detail: dict[str, list[str]], *, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        detail[field] = [gettext("This field is required.")]
    elif len(text) > limit:
        detail[field] = [gettext("At most %(limit)s characters.") % {"limit": limit}]
    return text


def _codes(values: Iterable[Any] | None, known: type[Any], field: str, detail: dict[str, list[str]]) -> list[str]:
    """Distinct codes of ``known`` in the given order; every unknown one is reported."""
    out: list[str] = []
    unknown: list[str] = []
    for value in values or ():
        code = str(value)
        if code not in known.values:
            unknown.append(code)
        elif code not in out:
            out.append(code)
    if unknown:
        detail[field] = [
            gettext("Unknown: %(codes)s. Choose among: %(known)s.")
            % {"codes": ", ".join(unknown), "known": ", ".join(known.values)}
        ]
    return out


def _exclusions_refuse(exclusions: list[str], detail: dict[str, list[str]]) -> None:
    if exclusions:
        labels = gettext("; ").join(str(Exclusion(code).label) for code in exclusions)
        detail["exclusions"] = [
            gettext("Name clearing does not apply: %(exclusions)s. Refuse the case instead.") % {"exclusions": labels}
        ]


def _date(value: Any, field: str, detail: dict[str, list[str]], *, required: bool) -> dt.date | None:
    if value in (None, ""):
        if required:
            detail[field] = [gettext("This field is required.")]
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value))
        except ValueError:
            detail[field] = [gettext("Enter a date as YYYY-MM-DD.")]
            return None
    if value > timezone.localdate():
        detail[field] = [gettext("The date cannot be in the future.")]
    return value


# --- open ------------------------------------------------------------------------------------


@transaction.atomic
def clearing_case_open(
    *,
    actor: Any,
    cadre: Cadre,
    allegation: str,
    report_reference: str,
    triggers: Iterable[str],
    report_received_on: dt.date | None = None,
    trigger_note: str = "",
    exclusions: Iterable[str] = (),
) -> NameClearingCase:
    """Propose clearing one allegation of one report (discipline inspection or the organization
    department over the cadre's organization; nobody about themself).  At least one trigger; any
    Jiangxi exclusion refuses it.  One case per allegation of a report: a second live case for the
    same allegation is a conflict."""
    if actor is not None and not can_propose(actor, cadre):
        raise PermissionDenied(_("Your role does not allow proposing name clearing for this cadre."))
    detail: dict[str, list[str]] = {}
    allegation = _text(allegation, "allegation", 2000, detail)
    reference = _text(report_reference, "report_reference", 100, detail)
    note = _text(trigger_note, "trigger_note", 2000, detail, required=False)
    received = _date(report_received_on, "report_received_on", detail, required=False)
    chosen = _codes(triggers, Trigger, "triggers", detail)
    if not chosen and "triggers" not in detail:
        detail["triggers"] = [
            gettext(
                "Record at least one trigger: an effect on selection, election, transfer or commendation; harm to "
                "personal or property rights; or repeated reports after a conclusion."
            )
        ]
    _exclusions_refuse(_codes(exclusions, Exclusion, "exclusions", detail), detail)
    if detail:
        raise _invalid(detail)
    twin = (
        NameClearingCase.objects.filter(cadre=cadre, report_reference=reference, allegation=allegation)
        .exclude(status=ClearingStatus.REFUSED)
        .exists()
    )
    if twin:
        raise Conflict(_("This allegation of this report already has a name-clearing case."))
    case = NameClearingCase.objects.create(
        cadre=cadre,
        allegation=allegation,
        report_reference=reference,
        report_received_on=received,
        triggers=chosen,
        trigger_note=note,
        opened_by=actor if getattr(actor, "pk", None) else None,
    )
    case.cadre = cadre
    _audit(
        actor,
        "clearing.open",
        case,
        after={
            "cadre": cadre.pk,
            "report_reference": reference,
            "allegation": allegation,
            "triggers": chosen,
            **snapshot(case, STATE_FIELDS),
        },
    )
    return case


# --- verify ----------------------------------------------------------------------------------


def _finding(value: Any, detail: dict[str, list[str]]) -> str:
    code = str(value or "")
    if not code:
        detail["finding"] = [gettext("This field is required.")]
    elif code not in Finding.values:
        detail["finding"] = [
            gettext("Unknown finding. Choose among: %(known)s.") % {"known": ", ".join(QUALIFYING_FINDINGS)}
        ]
    elif code == Finding.UNPROVEN:
        detail["finding"] = [
            gettext(
                "A report found unproven but not excluded (查无实据但不能排除) does not qualify for name clearing: "
                "only one found seriously untrue, untrue, fabricated or false does. Refuse the case instead."
            )
        ]
    elif code not in QUALIFYING_FINDINGS:
        detail["finding"] = [
            gettext(
                "A substantiated report does not qualify for name clearing: only one found seriously untrue, "
                "untrue, fabricated or false does. Refuse the case instead."
            )
        ]
    return code


@transaction.atomic
def clearing_case_verify(
    *,
    actor: Any,
    case: NameClearingCase,
    finding: str,
    summary: str,
    verified_on: dt.date | None,
    exclusions: Iterable[str] = (),
    version: int | None = None,
) -> NameClearingCase:
    """Record the verification of the report: the finding (seriously untrue, untrue, fabricated or
    false), what was done and when it concluded.  Discipline inspection over the cadre's
    organization; the organization of the grant it acts through is the verifying body, which alone
    may then clear."""
    locked = _lock(case, version)
    if actor is not None and not can_verify(actor, locked):
        raise PermissionDenied(_("Only discipline inspection over the cadre's organization records the verification."))
    _require_status(locked, ClearingStatus.OPENED)
    detail: dict[str, list[str]] = {}
    code = _finding(finding, detail)
    text = _text(summary, "summary", 5000, detail)
    day = _date(verified_on, "verified_on", detail, required=True)
    if day is not None and locked.report_received_on is not None and day < locked.report_received_on:
        detail.setdefault("verified_on", []).append(gettext("The verification cannot end before the report came in."))
    _exclusions_refuse(_codes(exclusions, Exclusion, "exclusions", detail), detail)
    if detail:
        raise _invalid(detail)
    before = snapshot(locked, STATE_FIELDS)
    grants = _covering_grants(actor, Cap.CLEARING_VERIFY, locked.cadre.org) if actor is not None else []
    locked.verifying_body = grants[0].organization if grants else locked.cadre.org
    locked.finding, locked.verification_summary, locked.verified_on = code, text, day
    locked.verified_by = actor if getattr(actor, "pk", None) else None
    locked.status = ClearingStatus.VERIFIED
    locked.version += 1
    locked.save(
        update_fields=[
            "finding",
            "verification_summary",
            "verified_on",
            "verified_by",
            "verifying_body",
            "status",
            "version",
        ]
    )
    _audit(
        actor,
        "clearing.verify",
        locked,
        before=before,
        after={
            "finding": code,
            "verified_on": day,
            "verifying_body": locked.verifying_body.code,
            **snapshot(locked, STATE_FIELDS),
        },
    )
    return locked


# --- clear or refuse -------------------------------------------------------------------------


@transaction.atomic
def clearing_case_clear(
    *,
    actor: Any,
    case: NameClearingCase,
    publication_scope: str,
    published_on: dt.date | None,
    note: str = "",
    version: int | None = None,
) -> NameClearingCase:
    """Clear the name: the allegation is published as untrue within ``publication_scope`` on
    ``published_on``, and the cadre is told in their inbox.  A decider of the verifying body, not
    the proposer.  From then on the allegation never counts against the cadre."""
    locked = _lock(case, version)
    _require_decider(actor, locked)
    _require_status(locked, ClearingStatus.VERIFIED)
    if locked.finding not in QUALIFYING_FINDINGS or not locked.triggers:
        raise Conflict(_("This case does not qualify for name clearing; refuse it instead."))
    detail: dict[str, list[str]] = {}
    scope = str(publication_scope or "")
    if not scope:
        detail["publication_scope"] = [gettext("This field is required.")]
    elif scope not in PublicationScope.values:
        detail["publication_scope"] = [
            gettext("Choose one of: %(known)s.") % {"known": ", ".join(PublicationScope.values)}
        ]
    day = _date(published_on, "published_on", detail, required=True)
    if day is not None and locked.verified_on is not None and day < locked.verified_on:
        detail.setdefault("published_on", []).append(
            gettext("The name cannot be cleared before the verification concluded.")
        )
    text = _text(note, "note", 2000, detail, required=False)
    if detail:
        raise _invalid(detail)
    before = snapshot(locked, STATE_FIELDS)
    locked.status = ClearingStatus.CLEARED
    locked.publication_scope, locked.published_on, locked.decision_note = scope, day, text
    locked.decided_by = actor if getattr(actor, "pk", None) else None
    locked.decided_at = timezone.now()
    locked.version += 1
    locked.save(
        update_fields=[
            "status",
            "publication_scope",
            "published_on",
            "decision_note",
            "decided_by",
            "decided_at",
            "version",
        ]
    )
    _audit(
        actor,
        "clearing.clear",
        locked,
        before=before,
        after={"publication_scope": scope, "published_on": day, **snapshot(locked, STATE_FIELDS)},
        reason=text,
    )
    user = User.objects.filter(cadre_id=locked.cadre_id, is_active=True).first()
    if user is not None:
        notification_send(
            user=user,
            kind="notice",
            message="clearing_cleared",
            params={
                "allegation": locked.allegation[:80],
                "reference": locked.report_reference,
            },
            link=f"/cadres/{locked.cadre_id}/cleared-allegations/",
            dedupe_key=f"clearing_cleared:{locked.pk}",
        )
    return locked


@transaction.atomic
def clearing_case_refuse(
    *,
    actor: Any,
    case: NameClearingCase,
    grounds: Iterable[str],
    note: str,
    version: int | None = None,
) -> NameClearingCase:
    """Refuse name clearing, saying why: the finding does not qualify, no trigger, or an exclusion
    applies.  A decider of the verifying body (before verification: discipline inspection over
    the cadre's organization), not the proposer."""
    locked = _lock(case, version)
    _require_decider(actor, locked)
    _require_status(locked, ClearingStatus.OPENED, ClearingStatus.VERIFIED)
    detail: dict[str, list[str]] = {}
    chosen = _codes(grounds, RefusalGround, "grounds", detail)
    if not chosen and "grounds" not in detail:
        detail["grounds"] = [gettext("Name at least one ground for refusing.")]
    text = _text(note, "note", 2000, detail)
    if detail:
        raise _invalid(detail)
    before = snapshot(locked, STATE_FIELDS)
    locked.status = ClearingStatus.REFUSED
    locked.refusal_grounds, locked.decision_note = chosen, text
    locked.decided_by = actor if getattr(actor, "pk", None) else None
    locked.decided_at = timezone.now()
    locked.version += 1
    locked.save(update_fields=["status", "refusal_grounds", "decision_note", "decided_by", "decided_at", "version"])
    _audit(
        actor,
        "clearing.refuse",
        locked,
        before=before,
        after={"grounds": chosen, **snapshot(locked, STATE_FIELDS)},
        reason=text,
    )
    return locked
