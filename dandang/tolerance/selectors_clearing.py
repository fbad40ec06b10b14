"""Reads of name-clearing cases (澄清正名) — every one scoped to the viewer.

A case (with the report's verification) is read by those who may see name-clearing cases of the
cadre's current organization (``Cap.CLEARING_VIEW``: discipline inspection, the organization
department, auditors).  Cleared allegations are shown to whoever may read the cadre's dossier,
and to the cadre themself: once cleared, an allegation is published and never counts against the
cadre.  Outside the jurisdiction: :class:`NotFound`.

:func:`cleared_allegations` is system-level (no viewer), for the dossier and for later
capabilities (grading, commendation, promotion review), called only from services.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from dandang.core.errors import NotFound
from dandang.org.models import Cadre
from dandang.org.roles import Cap
from dandang.org.selectors import cadre_search, has_capability, scope_q
from dandang.tolerance.models_clearing import ClearingStatus, NameClearingCase

RELATED = ("cadre", "cadre__org", "opened_by", "verified_by", "verifying_body", "decided_by")


def clearing_cases_visible(viewer: Any) -> QuerySet[NameClearingCase]:
    q = scope_q(viewer, Cap.CLEARING_VIEW, path="cadre__org_path", pk="cadre__org_id")
    qs = NameClearingCase.objects.select_related(*RELATED)
    return qs.none() if q is None else qs.filter(q)


def clearing_case_get(viewer: Any, pk: Any) -> NameClearingCase:
    try:
        return clearing_cases_visible(viewer).get(pk=int(pk))
    except (NameClearingCase.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("Name-clearing case not found.")) from None


def clearing_case_list(
    viewer: Any, *, cadre: Cadre | None = None, status: str = "", q: str = ""
) -> QuerySet[NameClearingCase]:
    """Cases the viewer may see, newest first; ``q`` searches the cadre's name (characters or
    pinyin), the allegation and the report reference."""
    qs = clearing_cases_visible(viewer)
    if cadre is not None:
        qs = qs.filter(cadre=cadre)
    if status:
        qs = qs.filter(status=status)
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(cadre__in=cadre_search(viewer, q=q).values("pk"))
            | Q(allegation__icontains=q)
            | Q(report_reference__icontains=q)
        )
    return qs.order_by("-opened_at", "-id")


def can_view_clearing_cases(viewer: Any, cadre: Cadre) -> bool:
    return has_capability(viewer, Cap.CLEARING_VIEW, cadre.org)


def cleared_for(viewer: Any, cadre: Cadre) -> QuerySet[NameClearingCase]:
    """The cadre's cleared allegations, for a viewer who may read the cadre (the caller got
    ``cadre`` through :func:`dandang.org.selectors.cadre_get`: a dossier reader or the cadre)."""
    return cleared_allegations(cadre)


# --- system level (services and other capabilities only) ---------------------------------------


def cleared_allegations(cadre: Cadre) -> QuerySet[NameClearingCase]:
    """The allegations against ``cadre`` that were cleared (澄清正名), newest first.  Whatever reads
    a cadre's record for a judgement (grading, commendation, promotion, integrity review) treats
    these as cleared: they never count against the cadre."""
    return (
        NameClearingCase.objects.filter(cadre=cadre, status=ClearingStatus.CLEARED)
        .select_related("verifying_body")
        .order_by("-decided_at", "-id")
    )
