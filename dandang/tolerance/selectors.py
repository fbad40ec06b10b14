"""Reads of tolerance cases.

Interface selectors take the viewer: a case is visible to whoever may read tolerance cases of the
cadre's current organization (``Cap.TOLERANCE_VIEW``) and to the cadre themself.  Outside the
jurisdiction: :class:`NotFound`.

System-level selectors (no viewer) are called only from services — the case workflow, and the
later capabilities: the assessment reads :func:`tolerance_shields`, the accountability case reads
:func:`tolerance_determination` (tolerance never imports either).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from dandang.core.errors import NotFound
from dandang.org.models import Cadre, Organization, RoleGrant, User
from dandang.org.roles import Cap, roles_with
from dandang.org.selectors import scope_q
from dandang.tolerance.models import (
    OPEN_STATUSES,
    CaseStatus,
    CorrectionItem,
    FollowUpVisit,
    Outcome,
    ToleranceCase,
)

# What an exemption never counts against (Dali; POLICY.md §5 "Effects of a finding").
SHIELDED = ("annual_grade", "commendation", "promotion", "integrity_review")


def _scope(viewer: Any, capability: str = Cap.TOLERANCE_VIEW) -> Q | None:
    q = scope_q(viewer, capability, path="cadre__org_path", pk="cadre__org_id")
    own = getattr(viewer, "cadre_id", None)
    if own and capability == Cap.TOLERANCE_VIEW:
        q = Q(cadre_id=own) if q is None else q | Q(cadre_id=own)
    return q


def cases_visible(viewer: Any) -> QuerySet[ToleranceCase]:
    q = _scope(viewer)
    qs = ToleranceCase.objects.select_related("cadre", "cadre__org", "opened_by", "proposed_by", "decided_by")
    return qs.none() if q is None else qs.filter(q)


def case_get(viewer: Any, pk: Any) -> ToleranceCase:
    try:
        return cases_visible(viewer).get(pk=int(pk))
    except (ToleranceCase.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("Tolerance case not found.")) from None


def case_list(
    viewer: Any,
    *,
    cadre: Cadre | None = None,
    organization: Organization | None = None,
    status: str = "",
    origin: str = "",
    outcome: str = "",
    overdue_on: dt.date | None = None,
) -> QuerySet[ToleranceCase]:
    qs = cases_visible(viewer)
    if cadre is not None:
        qs = qs.filter(cadre=cadre)
    if organization is not None:
        qs = qs.filter(cadre__org_path__startswith=organization.path)
    if status:
        qs = qs.filter(status=status)
    if origin:
        qs = qs.filter(origin=origin)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if overdue_on is not None:
        qs = qs.filter(status__in=OPEN_STATUSES, due_date__lt=overdue_on)
    return qs.order_by("-opened_on", "-id")


def correction_items_of(case: ToleranceCase) -> list[CorrectionItem]:
    """The correction plan of a case the caller read through a scoped selector."""
    return list(CorrectionItem.objects.filter(case=case).order_by("deadline", "id"))


def follow_up_visits_of(case: ToleranceCase) -> list[FollowUpVisit]:
    return list(FollowUpVisit.objects.filter(case=case).order_by("visited_on", "id"))


def correction_item_get(viewer: Any, pk: Any) -> CorrectionItem:
    try:
        return CorrectionItem.objects.select_related("case", "case__cadre", "case__cadre__org").get(
            pk=int(pk), case__in=cases_visible(viewer).values("pk")
        )
    except (CorrectionItem.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("Correction item not found.")) from None


# --- system level (services only) ------------------------------------------------------------


def users_holding(roles: Iterable[str], organization: Organization) -> QuerySet[User]:
    """Active users holding one of ``roles`` over ``organization`` (on it, or above it with its
    descendants) — who is notified and reminded."""
    codes = [c for c in organization.path.strip("/").split("/") if c]
    grants = RoleGrant.objects.filter(role__in=list(roles), revoked_at__isnull=True).filter(
        Q(organization_id=organization.pk) | Q(include_descendants=True, organization__code__in=codes)
    )
    return User.objects.filter(is_active=True, pk__in=grants.values("user_id")).order_by("pk")


def capability_holders(capability: str, organization: Organization) -> QuerySet[User]:
    return users_holding(roles_with(capability), organization)


def open_case_for_matter(cadre: Cadre, matter_type: str, matter_id: str) -> ToleranceCase | None:
    return (
        ToleranceCase.objects.filter(
            cadre=cadre, matter_type=matter_type, matter_id=matter_id, status__in=OPEN_STATUSES
        )
        .order_by("-id")
        .first()
    )


def cases_due_by(day: dt.date) -> QuerySet[ToleranceCase]:
    """Open cases whose step is due on or before ``day`` (the reminder job)."""
    return (
        ToleranceCase.objects.filter(status__in=OPEN_STATUSES, due_date__lte=day)
        .select_related("cadre", "cadre__org")
        .order_by("due_date", "id")
    )


def correction_items_due_by(day: dt.date) -> QuerySet[CorrectionItem]:
    return (
        CorrectionItem.objects.filter(done_on__isnull=True, deadline__lte=day, case__status=CaseStatus.DETERMINED)
        .select_related("case", "case__cadre", "case__cadre__org")
        .order_by("deadline", "id")
    )


@dataclass(frozen=True)
class Shield:
    """An exemption that shields the cadre: the matter never counts against ``effects``."""

    case_id: int
    matter_type: str
    matter_id: str
    matter: str
    matter_date: dt.date
    decided_on: dt.date
    effects: tuple[str, ...] = SHIELDED


SHIELDING = Q(outcome=Outcome.EXEMPT, status__in=[CaseStatus.DETERMINED, CaseStatus.CLOSED])


def exemptions_for(viewer: Any, cadre: Cadre) -> list[tuple[int, ToleranceCase]]:
    """The exemptions of ``cadre`` the viewer may see, with each year they shield (the rule of
    :func:`tolerance_shields`), newest year first — for the cadre's tolerance record."""
    rows = case_list(viewer, cadre=cadre).filter(SHIELDING)
    out = [(year, c) for c in rows for year in sorted({c.matter_date.year, (c.decision_date or c.matter_date).year})]
    return sorted(out, key=lambda pair: (-pair[0], pair[1].pk))


def tolerance_shields(cadre: Cadre | int, year: int) -> list[Shield]:
    """System level (the assessment and incentive services call it): the exemptions that shield
    ``cadre`` in ``year`` — determined (or closed) cases with the outcome ``exempt`` whose matter
    happened, or whose decision was made, that year.  The matter never counts against the annual
    grade, commendation, promotion or integrity review (Dali; POLICY.md §5)."""
    cadre_id = cadre if isinstance(cadre, int) else cadre.pk
    rows = (
        ToleranceCase.objects.filter(SHIELDING, cadre_id=cadre_id)
        .filter(Q(matter_date__year=year) | Q(decision_date__year=year))
        .order_by("matter_date", "id")
    )
    return [
        Shield(
            case_id=c.pk,
            matter_type=c.matter_type,
            matter_id=c.matter_id,
            matter=c.matter,
            matter_date=c.matter_date,
            decided_on=c.decided_on or c.matter_date,
        )
        for c in rows
    ]


@dataclass(frozen=True)
class Determination:
    case_id: int
    outcome: str  # exempt | reduced | lighter | not_tolerated
    recommended_outcome: str
    decided_on: dt.date


def tolerance_determination(matter_type: str, matter_id: Any) -> Determination | None:
    """System level (the accountability case calls it): the determination of the latest
    determined tolerance case about the matter, or None while there is none — ``exempt``,
    ``reduced`` (减轻), ``lighter`` (从轻) or ``not_tolerated``."""
    case = (
        ToleranceCase.objects.filter(
            matter_type=matter_type,
            matter_id=str(matter_id),
            status__in=[CaseStatus.DETERMINED, CaseStatus.CLOSED],
        )
        .exclude(outcome="")
        .order_by("-decided_on", "-id")
        .first()
    )
    if case is None or case.decided_on is None:
        return None
    return Determination(
        case_id=case.pk,
        outcome=case.outcome,
        recommended_outcome=case.recommended_outcome,
        decided_on=case.decided_on,
    )
