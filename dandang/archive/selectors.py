"""Reads of the performance archive — every one scoped to the viewer.

The dossier follows the cadre: an entry is visible to whoever may read the archive of the cadre's
current organization (``Cap.ARCHIVE_VIEW``), and to the cadre themself.  The guard's flags are
shown to verifiers and organization-department staff only (``Cap.ARCHIVE_FLAGS_VIEW``).  Outside
the jurisdiction: :class:`NotFound`.

System-level selectors (no viewer) feed the kernels and are called only from services.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from dandang.archive.models import ArchiveEntry, ArchiveFlag, ArchiveScore, ArchiveTask, Evidence, OutcomeMetric
from dandang.core.errors import NotFound
from dandang.org.models import Cadre, Organization
from dandang.org.roles import Cap
from dandang.org.selectors import has_capability, organization_get, scope_q


def _cadre_scope(viewer: Any, capability: str, prefix: str = "cadre__") -> Q | None:
    q = scope_q(viewer, capability, path=f"{prefix}org_path", pk=f"{prefix}org_id")
    own = getattr(viewer, "cadre_id", None)
    if own:
        mine = Q(**{f"{prefix}id" if prefix else "id": own})
        q = mine if q is None else q | mine
    return q


def entries_visible(viewer: Any) -> QuerySet[ArchiveEntry]:
    q = _cadre_scope(viewer, Cap.ARCHIVE_VIEW)
    qs = ArchiveEntry.objects.select_related("cadre", "cadre__org", "post", "organization", "task", "author")
    return qs.none() if q is None else qs.filter(q)


def entry_get(viewer: Any, pk: Any) -> ArchiveEntry:
    try:
        return entries_visible(viewer).get(pk=int(pk))
    except (ArchiveEntry.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("Archive entry not found.")) from None


def entry_detail(viewer: Any, pk: Any) -> ArchiveEntry:
    """An entry with its metrics, evidence and (for those who may see them) flags prefetched."""
    entry = entry_get(viewer, pk)
    entry.metric_list = list(entry.metrics.all())  # type: ignore[attr-defined]
    entry.evidence_list = list(entry.evidence.all())  # type: ignore[attr-defined]
    entry.flag_list = list(entry.flags.all()) if can_view_flags(viewer, entry.cadre) else []  # type: ignore[attr-defined]
    return entry


def entry_list(
    viewer: Any,
    *,
    cadre: Cadre | None = None,
    organization: Organization | None = None,
    year: int | None = None,
    quarter: int | None = None,
    category: str = "",
    polarity: str = "",
    status: str = "",
    flag: str = "",
) -> QuerySet[ArchiveEntry]:
    qs = entries_visible(viewer)
    if cadre is not None:
        qs = qs.filter(cadre=cadre)
    if organization is not None:
        qs = qs.filter(cadre__org_path__startswith=organization.path)
    if year is not None:
        qs = qs.filter(year=year)
    if quarter is not None:
        qs = qs.filter(quarter=quarter)
    if category:
        qs = qs.filter(category=category)
    if polarity:
        qs = qs.filter(polarity=polarity)
    if status:
        qs = qs.filter(status=status)
    if flag:
        # Filtering by a flag reveals it: only for those who may see flags.
        flag_scope = scope_q(viewer, Cap.ARCHIVE_FLAGS_VIEW, path="cadre__org_path", pk="cadre__org_id")
        if flag_scope is None:
            return qs.none()
        qs = qs.filter(flag_scope, flags__code=flag)
    return qs.order_by("-occurred_on", "-id")


def can_view_flags(viewer: Any, cadre: Cadre) -> bool:
    return has_capability(viewer, Cap.ARCHIVE_FLAGS_VIEW, cadre.org)


def entry_flags_for(viewer: Any, entries: list[ArchiveEntry]) -> dict[int, list[ArchiveFlag]]:
    """The flags of ``entries`` the viewer may see, by entry id (one query)."""
    visible = [e.pk for e in entries if can_view_flags(viewer, e.cadre)]
    out: dict[int, list[ArchiveFlag]] = {pk: [] for pk in visible}
    for flag in ArchiveFlag.objects.filter(entry_id__in=visible).order_by("entry_id", "code"):
        out[flag.entry_id].append(flag)
    return out


def evidence_get(viewer: Any, pk: Any) -> Evidence:
    try:
        return Evidence.objects.select_related("entry").get(pk=int(pk), entry__in=entries_visible(viewer).values("pk"))
    except (Evidence.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("Evidence not found.")) from None


def scores_for(viewer: Any, cadre: Cadre) -> QuerySet[ArchiveScore]:
    """The counted scores of a cadre the viewer may see (the caller got ``cadre`` through a
    scoped selector)."""
    q = _cadre_scope(viewer, Cap.ARCHIVE_VIEW)
    qs = ArchiveScore.objects.filter(cadre=cadre).select_related("decision")
    return qs.none() if q is None else qs.filter(q).order_by("year", "quarter")


def tasks_visible(viewer: Any) -> QuerySet[ArchiveTask]:
    """Tasks of the organizations in the viewer's archive jurisdiction, and those of the viewer's
    own organization and its ancestors (a cadre claims a share of a task set up above them)."""
    q = scope_q(viewer, Cap.ARCHIVE_VIEW, path="organization__path", pk="organization_id")
    cadre = getattr(viewer, "cadre", None) if getattr(viewer, "cadre_id", None) else None
    if cadre is not None:
        codes = cadre.org_path.strip("/").split("/")
        mine = Q(organization__code__in=codes)
        q = mine if q is None else q | mine
    qs = ArchiveTask.objects.select_related("organization")
    return qs.none() if q is None else qs.filter(q)


def task_organization_get(viewer: Any, pk: Any) -> Organization:
    """An organization a task may be set up in: one the viewer sees, or — for a cadre — their own
    organization or one above it (the rule of :func:`tasks_visible`)."""
    try:
        return organization_get(viewer, pk)
    except NotFound:
        pass
    cadre = getattr(viewer, "cadre", None) if getattr(viewer, "cadre_id", None) else None
    if cadre is not None:
        try:
            return Organization.objects.get(pk=int(pk), code__in=cadre.org_path.strip("/").split("/"))
        except (Organization.DoesNotExist, ValueError, TypeError, OverflowError):
            pass
    raise NotFound(_("Organization not found."))


def task_get(viewer: Any, pk: Any) -> ArchiveTask:
    try:
        return tasks_visible(viewer).get(pk=int(pk))
    except (ArchiveTask.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("Task not found.")) from None


# --- pages: the verification queue and the dossier timeline -----------------------------------


def entries_to_verify(viewer: Any) -> QuerySet[ArchiveEntry]:
    """Submitted entries the viewer may verify: in their verification jurisdiction, neither
    recorded by them nor about themself (nobody verifies their own entry)."""
    q = scope_q(viewer, Cap.ARCHIVE_VERIFY, path="cadre__org_path", pk="cadre__org_id")
    qs = entries_visible(viewer).filter(status="submitted")
    if q is None:
        return qs.none()
    qs = qs.filter(q).exclude(author_id=getattr(viewer, "pk", None))
    own = getattr(viewer, "cadre_id", None)
    if own:
        qs = qs.exclude(cadre_id=own)
    return qs.order_by("submitted_at", "id")


def entry_timeline(viewer: Any, cadre: Cadre) -> list[dict[str, Any]]:
    """The cadre's entries the viewer may see, counted by tenure, year, quarter, polarity and
    status, with the sum of their counted values: one query whatever the number of entries."""
    rows = (
        entries_visible(viewer)
        .filter(cadre=cadre)
        .values("tenure_id", "year", "quarter", "polarity", "status")
        .annotate(entries=Count("id"), counted=Sum("counted_value"))
        .order_by("year", "quarter")
    )
    return [dict(row) for row in rows]


def entries_titled(viewer: Any, ids: list[Any]) -> dict[int, ArchiveEntry]:
    """Those of ``ids`` the viewer may see, by id (links to an entry's twins, one query)."""
    wanted = {int(i) for i in ids if isinstance(i, int) or (isinstance(i, str) and i.isdigit())}
    if not wanted:
        return {}
    return {e.pk: e for e in entries_visible(viewer).filter(pk__in=wanted)}


def tasks_for_cadre(viewer: Any, cadre: Cadre) -> QuerySet[ArchiveTask]:
    """The tasks an entry of ``cadre`` may belong to: those of the cadre's organization and its
    ancestors that the viewer may see, newest first."""
    codes = [c for c in cadre.org_path.strip("/").split("/") if c]
    return tasks_visible(viewer).filter(organization__code__in=codes).order_by("-year", "name", "id")


# --- system level (services only) ------------------------------------------------------------


def entries_for_scoring(cadre_id: int, year: int) -> QuerySet[ArchiveEntry]:
    return ArchiveEntry.objects.filter(cadre_id=cadre_id, year=year, status="verified")


def entries_sharing(entry: ArchiveEntry) -> QuerySet[ArchiveEntry]:
    """The live entries that share a task or an evidence file with ``entry``, and ``entry`` itself
    whatever its status (withdrawn, rejected or revoked, it must lose its own flags): what the
    over-claim and shared-evidence rules look at."""
    hashes = list(Evidence.objects.filter(entry=entry).values_list("sha256", flat=True))
    q = Q(evidence__sha256__in=hashes)
    if entry.task_id is not None:
        q |= Q(task_id=entry.task_id)
    return (
        ArchiveEntry.objects.filter(Q(pk=entry.pk) | (q & ~Q(status__in=["withdrawn", "rejected", "revoked"])))
        .distinct()
        .prefetch_related(
            Prefetch("evidence", queryset=Evidence.objects.only("id", "entry_id", "kind", "confirmed_kind", "sha256")),
            Prefetch("metrics", queryset=OutcomeMetric.objects.only("id", "entry_id", "actual")),
        )
    )
