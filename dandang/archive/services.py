"""Writes of the performance archive: entries, their workflow, evidence, the guard's flags and the
counted scores.  Every service checks the actor's right, validates everything before writing,
and audits itself in the same transaction (partition: the cadre's county).

Workflow (issue 4, point 2)::

    draft ──submit──▶ submitted ──verify──▶ verified ──revoke──▶ revoked
      ▲                 │  │
      │    returned ◀───┘  └──reject──▶ rejected
      │      │ (amend, submit again)
      └──────┘
    draft | submitted | returned ──withdraw (author)──▶ withdrawn

Every transition names the version of the entry it was decided on: a stale version is a
:class:`Conflict`, so two verifiers cannot both win.  Nobody verifies an entry they recorded or
one about themself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from dandang.archive import formalism, scoring
from dandang.archive.duplicates import near_duplicates_refresh
from dandang.archive.models import (
    ArchiveEntry,
    ArchiveFlag,
    ArchiveScore,
    ArchiveTask,
    Difficulty,
    Evidence,
    Method,
    OutcomeMetric,
    Polarity,
    Status,
    evidence_path,
)
from dandang.archive.rules import ArchiveRules
from dandang.archive.selectors import entries_for_scoring, entries_sharing
from dandang.core.audit import audit_bulk, audit_record
from dandang.core.decisions import decision_languages, decision_record_create
from dandang.core.errors import Conflict, PermissionDenied, ValidationFailed
from dandang.core.notifications import notification_send, register_message
from dandang.core.rulebooks import Rulebook, rulebook_effective
from dandang.core.validation import clean_or_fail, snapshot
from dandang.org.models import Cadre, Organization, RoleGrant, Tenure, User
from dandang.org.roles import Cap, Role
from dandang.org.selectors import has_capability

register_message("archive_submitted", _("%(cadre)s submitted the archive entry “%(title)s” for verification."))
register_message("archive_returned", _("Your archive entry “%(title)s” was returned for more information: %(note)s"))
register_message("archive_verified", _("Your archive entry “%(title)s” was verified."))
register_message("archive_rejected", _("Your archive entry “%(title)s” was rejected: %(note)s"))
register_message("archive_revoked", _("Your verified archive entry “%(title)s” was revoked: %(note)s"))

ENTRY_FIELDS = [
    "cadre",
    "occurred_on",
    "category",
    "title",
    "description",
    "polarity",
    "task",
    "share_percent",
    "difficulty",
    "status",
    "version",
]
EDITABLE = {"occurred_on", "category", "title", "description", "polarity", "task", "share_percent", "difficulty"}
LIVE = (Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.VERIFIED)
INVALID = _("Some fields are not valid.")


def invalid(detail: dict[str, list[str]]) -> ValidationFailed:
    return ValidationFailed(INVALID, detail=detail)


# --- rulebook --------------------------------------------------------------------------------


def archive_rules(organization: Organization | None = None) -> tuple[Rulebook, ArchiveRules]:
    book = rulebook_effective("archive", organization)
    return book, book.content


def guard_rules(rules: ArchiveRules) -> formalism.GuardRules:
    return formalism.GuardRules(
        process_trace_kinds=frozenset(code for code, kind in rules.evidence_kinds.items() if kind.process_trace),
        max_total_share_percent=rules.max_total_share_percent,
    )


def score_rules(rules: ArchiveRules) -> scoring.ScoreRules:
    return scoring.ScoreRules(
        entry_points=rules.entry_points,
        category_weights=dict(rules.category_weights),
        difficulty_multipliers=dict(rules.difficulty_multipliers),
    )


# --- permissions -----------------------------------------------------------------------------


def _is_self(actor: Any, cadre: Cadre) -> bool:
    return actor is not None and getattr(actor, "cadre_id", None) == cadre.pk


def can_record(actor: Any, cadre: Cadre, polarity: str) -> bool:
    """The cadre records their own entries, positive and negative; a unit leader or the
    organization department records entries for the cadres of their jurisdiction; a negative entry
    may also be recorded by discipline inspection."""
    if actor is None:
        return True  # system jobs (imports run by a checked actor, the demo)
    if _is_self(actor, cadre):
        return True
    capability = Cap.ARCHIVE_RECORD_NEGATIVE if polarity == Polarity.NEGATIVE else Cap.ARCHIVE_RECORD
    return has_capability(actor, capability, cadre.org)


def can_verify(actor: Any, entry: ArchiveEntry) -> bool:
    if actor is None or entry.author_id == getattr(actor, "pk", None) or _is_self(actor, entry.cadre):
        return False
    return has_capability(actor, Cap.ARCHIVE_VERIFY, entry.cadre.org)


def _require_author(actor: Any, entry: ArchiveEntry) -> None:
    if actor is not None and entry.author_id != actor.pk:
        raise PermissionDenied(_("Only the person who recorded this entry can change it."))


def _require_verifier(actor: Any, entry: ArchiveEntry) -> None:
    if actor is not None and (entry.author_id == actor.pk or _is_self(actor, entry.cadre)):
        raise PermissionDenied(_("Nobody verifies an entry they recorded or an entry about themself."))
    if actor is not None and not has_capability(actor, Cap.ARCHIVE_VERIFY, entry.cadre.org):
        raise PermissionDenied(_("Your role does not allow verifying archive entries of this cadre."))


def _lock(entry: ArchiveEntry, version: int | None, allowed: Callable[[ArchiveEntry], None]) -> ArchiveEntry:
    """The entry locked for the transition, after ``allowed`` (which raises PermissionDenied) and
    then the version check: someone who may not act learns nothing from a stale version."""
    locked = (
        ArchiveEntry.objects.select_for_update(of=("self",))
        .select_related("cadre", "cadre__org", "task", "organization")
        .get(pk=entry.pk)
    )
    allowed(locked)
    if version is not None and int(version) != locked.version:
        raise Conflict(_("This entry was changed by someone else meanwhile; reload it and try again."))
    return locked


def _require_status(entry: ArchiveEntry, *allowed: str) -> None:
    if entry.status not in allowed:
        raise Conflict(
            _("This is not possible while the entry is %(status)s.") % {"status": Status(entry.status).label}
        )


# --- validation ------------------------------------------------------------------------------


@dataclass
class MetricIn:
    indicator: str
    unit: str
    actual: Decimal | None = None
    baseline: Decimal | None = None
    target: Decimal | None = None


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(str(value)) from None
    if not number.is_finite():
        raise ValueError(str(value))
    return number


def parse_metrics(rows: Iterable[Any]) -> tuple[list[MetricIn], dict[str, list[str]]]:
    """Metrics from dicts (API, forms, import); every problem under ``metrics.N.field``."""
    out: list[MetricIn] = []
    problems: dict[str, list[str]] = {}
    limit = Decimal(10) ** 14
    for i, row in enumerate(rows):
        key = f"metrics.{i}"
        if not isinstance(row, dict):
            problems[key] = [gettext("A metric has an indicator, a unit and numbers.")]
            continue
        indicator = str(row.get("indicator") or "").strip()
        unit = str(row.get("unit") or "").strip()
        if not indicator:
            problems[f"{key}.indicator"] = [gettext("Name the indicator.")]
        elif len(indicator) > 200:
            problems[f"{key}.indicator"] = [gettext("At most 200 characters.")]
        if not unit:
            problems[f"{key}.unit"] = [gettext("Give the unit of measure.")]
        elif len(unit) > 32:
            problems[f"{key}.unit"] = [gettext("At most 32 characters.")]
        numbers: dict[str, Decimal | None] = {}
        for name in ("baseline", "target", "actual"):
            try:
                numbers[name] = _decimal(row.get(name))
            except ValueError:
                problems[f"{key}.{name}"] = [gettext("Enter a number.")]
                continue
            value = numbers[name]
            if value is not None and (abs(value) >= limit or value.as_tuple().exponent < -4):  # type: ignore[operator]
                problems[f"{key}.{name}"] = [gettext("At most 14 digits before and 4 after the decimal point.")]
        out.append(MetricIn(indicator=indicator, unit=unit, **numbers))
    if len(out) > 20:
        problems["metrics"] = [gettext("At most 20 metrics per entry.")]
    return out, problems


def tenure_on(cadre: Cadre, day: dt.date) -> Tenure | None:
    """The tenure covering ``day`` (the latest started, when two overlap)."""
    return (
        Tenure.objects.filter(cadre=cadre, start__lte=day)
        .filter(Q(end__isnull=True) | Q(end__gte=day))
        .select_related("post", "post__organization")
        .order_by("-start", "-id")
        .first()
    )


def _check_fields(entry: ArchiveEntry, today: dt.date) -> None:
    detail: dict[str, list[str]] = {}
    if entry.occurred_on and entry.occurred_on > today:
        detail["occurred_on"] = [gettext("An achievement is recorded after it happened: the date is in the future.")]
    elif entry.occurred_on and entry.occurred_on < entry.cadre.birth_date:
        detail["occurred_on"] = [gettext("The date is before the cadre was born.")]
    for name in ("title", "description"):
        if not str(getattr(entry, name) or "").strip():
            detail[name] = [gettext("This field is required.")]
    if entry.share_percent is not None and entry.task_id is None:
        detail["share_percent"] = [gettext("A contribution share is claimed of a task: choose the task.")]
    if detail:
        raise invalid(detail)
    clean_or_fail(entry, exclude=["cadre", "author", "tenure", "post", "organization", "task"])


def _place(entry: ArchiveEntry) -> None:
    """The post and organization the cadre held on the entry's date."""
    entry.year = entry.occurred_on.year
    entry.quarter = (entry.occurred_on.month - 1) // 3 + 1
    tenure = tenure_on(entry.cadre, entry.occurred_on)
    if tenure is not None:
        entry.tenure, entry.post, entry.organization = tenure, tenure.post, tenure.post.organization
    else:
        entry.tenure, entry.post, entry.organization = None, None, entry.cadre.org


def _write_metrics(entry: ArchiveEntry, metrics: list[MetricIn]) -> None:
    OutcomeMetric.objects.filter(entry=entry).delete()
    OutcomeMetric.objects.bulk_create(
        [
            OutcomeMetric(
                entry=entry, indicator=m.indicator, unit=m.unit, baseline=m.baseline, target=m.target, actual=m.actual
            )
            for m in metrics
        ]
    )


def _metrics_snapshot(entry: ArchiveEntry) -> list[dict[str, Any]]:
    return [
        {"indicator": m.indicator, "unit": m.unit, "baseline": m.baseline, "target": m.target, "actual": m.actual}
        for m in OutcomeMetric.objects.filter(entry=entry).order_by("id")
    ]


def _audit(
    actor: Any, action: str, entry: ArchiveEntry, before: Any = None, after: Any = None, reason: str = ""
) -> None:
    audit_record(
        actor=actor,
        action=action,
        partition=entry.cadre.org.audit_partition,
        object_type="archive_entry",
        object_id=entry.pk,
        before=before,
        after=after,
        reason=reason,
    )


def _bump(entry: ArchiveEntry) -> None:
    entry.version += 1


# --- tasks -----------------------------------------------------------------------------------


@transaction.atomic
def archive_task_create(*, actor: User | None, organization: Organization, name: str, year: int) -> ArchiveTask:
    """A task or project that entries of several cadres can belong to."""
    if actor is not None and not (
        has_capability(actor, Cap.ARCHIVE_RECORD, organization)
        or (actor.cadre_id and actor.cadre is not None and actor.cadre.org_path.startswith(organization.path))
    ):
        raise PermissionDenied(_("Your role does not allow creating tasks in this organization."))
    name = name.strip()
    detail: dict[str, list[str]] = {}
    if not name:
        detail["name"] = [gettext("This field is required.")]
    elif len(name) > 200:
        detail["name"] = [gettext("At most 200 characters.")]
    if not 1950 <= int(year) <= timezone.localdate().year + 1:
        detail["year"] = [gettext("Enter a year between 1950 and next year.")]
    if detail:
        raise invalid(detail)
    if ArchiveTask.objects.filter(organization=organization, year=year, name=name).exists():
        raise Conflict(_("This organization already has a task of that name in that year."))
    try:
        with transaction.atomic():
            task = ArchiveTask.objects.create(organization=organization, name=name, year=year, created_by=actor)
    except IntegrityError:
        raise Conflict(_("This organization already has a task of that name in that year.")) from None
    audit_record(
        actor=actor,
        action="archive.task.create",
        partition=organization.audit_partition,
        object_type="archive_task",
        object_id=task.pk,
        after={"organization": organization.code, "name": name, "year": year},
    )
    return task


# --- entries ---------------------------------------------------------------------------------


@transaction.atomic
def archive_entry_create(
    *,
    actor: User | None,
    cadre: Cadre,
    occurred_on: dt.date,
    category: str,
    title: str,
    description: str,
    polarity: str = Polarity.POSITIVE,
    task: ArchiveTask | None = None,
    share_percent: Decimal | None = None,
    difficulty: str = Difficulty.ORDINARY,
    metrics: Iterable[Any] = (),
    author: User | None = None,
) -> ArchiveEntry:
    """Record a draft entry.  ``author`` defaults to ``actor`` (an import names the person who
    recorded it)."""
    if not can_record(actor, cadre, polarity):
        if polarity == Polarity.NEGATIVE:
            raise PermissionDenied(
                _(
                    "Negative entries are recorded by the cadre, the unit leader, the organization department "
                    "or discipline inspection."
                )
            )
        raise PermissionDenied(_("Your role does not allow recording archive entries for this cadre."))
    author = author or actor
    if author is None:
        raise invalid({"author": [gettext("An entry needs the person who recorded it.")]})
    parsed, problems = parse_metrics(list(metrics))
    entry = ArchiveEntry(
        cadre=cadre,
        occurred_on=occurred_on,
        category=category,
        title=(title or "").strip(),
        description=(description or "").strip(),
        polarity=polarity,
        task=task,
        share_percent=share_percent,
        difficulty=difficulty,
        author=author,
    )
    try:
        _check_fields(entry, timezone.localdate())
    except ValidationFailed as exc:
        raise invalid({**exc.detail, **problems}) from None
    if problems:
        raise invalid(problems)
    _place(entry)
    entry.save()
    _write_metrics(entry, parsed)
    _audit(
        actor,
        "archive.entry.create",
        entry,
        after={**snapshot(entry, ENTRY_FIELDS), "metrics": _metrics_snapshot(entry)},
    )
    return entry


@transaction.atomic
def archive_entry_update(
    *, actor: User | None, entry: ArchiveEntry, version: int | None = None, **changes: Any
) -> ArchiveEntry:
    """Amend a draft or a returned entry (the author).  ``metrics``, when given, replaces them all."""
    unknown = sorted(set(changes) - EDITABLE - {"metrics"})
    if unknown:
        raise invalid({name: [gettext("This field cannot be changed here.")] for name in unknown})
    locked = _lock(entry, version, lambda e: _require_author(actor, e))
    _require_status(locked, Status.DRAFT, Status.RETURNED)
    if "polarity" in changes and not can_record(actor, locked.cadre, changes["polarity"]):
        raise PermissionDenied(_("Your role does not allow recording archive entries of this polarity for this cadre."))
    before = {**snapshot(locked, ENTRY_FIELDS), "metrics": _metrics_snapshot(locked)}
    # The entries that shared its task before the change: their over-claim flags may go.
    claim_changed = bool({"task", "share_percent"} & set(changes))
    partners = [e for e in entries_sharing(locked) if e.pk != locked.pk] if claim_changed else []
    metrics = changes.pop("metrics", None)
    problems: dict[str, list[str]] = {}
    parsed: list[MetricIn] = []
    if metrics is not None:
        parsed, problems = parse_metrics(list(metrics))
    for key, value in changes.items():
        setattr(locked, key, value.strip() if isinstance(value, str) else value)
    try:
        _check_fields(locked, timezone.localdate())
    except ValidationFailed as exc:
        raise invalid({**exc.detail, **problems}) from None
    if problems:
        raise invalid(problems)
    _place(locked)
    _bump(locked)
    locked.save()
    if metrics is not None:
        _write_metrics(locked, parsed)
    if claim_changed:
        archive_guard_refresh(entries=[locked, *partners])
    if locked.status == Status.RETURNED and "description" in changes:
        near_duplicates_refresh(entries=[locked])  # a returned entry is still in play
    _audit(
        actor,
        "archive.entry.update",
        locked,
        before=before,
        after={**snapshot(locked, ENTRY_FIELDS), "metrics": _metrics_snapshot(locked)},
    )
    return locked


def _evidence_limit() -> int:
    return int(getattr(settings, "DANDANG_EVIDENCE_MAX_BYTES", 20 * 1024 * 1024))


def _printable(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")


def file_sha256(upload: Any) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b""):
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


@transaction.atomic
def archive_evidence_add(
    *,
    actor: User | None,
    entry: ArchiveEntry,
    upload: Any,
    kind: str,
    source: str = "",
    dated: dt.date | None = None,
    version: int | None = None,
) -> Evidence:
    """Attach a file to a draft or returned entry (its author), stored under its SHA-256."""
    locked = _lock(entry, version, lambda e: _require_author(actor, e))
    _require_status(locked, Status.DRAFT, Status.RETURNED)
    _, rules = archive_rules(locked.cadre.org)
    detail: dict[str, list[str]] = {}
    if kind not in rules.evidence_kinds:
        detail["kind"] = [gettext("Choose a kind of evidence from the list.")]
    if upload is None or not getattr(upload, "name", ""):
        detail["file"] = [gettext("Choose a file.")]
    source = (source or "").strip()
    if len(source) > 200:
        detail["source"] = [gettext("At most 200 characters.")]
    if dated is not None and dated > timezone.localdate():
        detail["dated"] = [gettext("The date is in the future.")]
    if detail:
        raise invalid(detail)
    sha, size = file_sha256(upload)
    if size == 0:
        raise invalid({"file": [gettext("The file is empty.")]})
    if size > _evidence_limit():
        raise invalid(
            {"file": [gettext("The file is larger than %(limit)s.") % {"limit": filesizeformat(_evidence_limit())}]}
        )
    if locked.evidence.count() >= 20:
        raise invalid({"file": [gettext("At most 20 evidence files per entry.")]})
    # Control characters (NUL: PostgreSQL cannot store it) are dropped from what the client named.
    filename = _printable(str(upload.name).replace("\\", "/").rsplit("/", 1)[-1])[:200] or "file"
    item = Evidence(
        entry=locked,
        filename=filename,
        content_type=_printable(str(getattr(upload, "content_type", "") or ""))[:100],
        size=size,
        sha256=sha,
        kind=kind,
        source=source,
        dated=dated,
        uploaded_by=actor,
    )
    existing = Evidence.objects.filter(sha256=sha).exclude(file="").first()
    stored = evidence_path(item, filename)
    if existing is not None and existing.file.storage.exists(existing.file.name or ""):
        item.file.name = existing.file.name  # the same bytes are stored once
    elif item.file.storage.exists(stored):
        item.file.name = stored  # stored earlier under its hash (by an item removed since)
    else:
        item.file.save(filename, File(upload), save=False)
    item.save()
    _bump(locked)
    locked.save(update_fields=["version"])
    _audit(
        actor,
        "archive.evidence.add",
        locked,
        after={"evidence": item.pk, "filename": filename, "sha256": sha, "size": size, "kind": kind, "source": source},
    )
    return item


@transaction.atomic
def archive_evidence_remove(*, actor: User | None, evidence: Evidence, version: int | None = None) -> ArchiveEntry:
    """Detach a file from a draft or returned entry (its author).  The stored file stays."""
    locked = _lock(evidence.entry, version, lambda e: _require_author(actor, e))
    _require_status(locked, Status.DRAFT, Status.RETURNED)
    before = {"evidence": evidence.pk, "filename": evidence.filename, "sha256": evidence.sha256, "kind": evidence.kind}
    # The other cadres' entries holding the same file lose their shared-evidence flag.
    partners = [e for e in entries_sharing(locked) if e.pk != locked.pk]
    Evidence.objects.filter(pk=evidence.pk).delete()
    _bump(locked)
    locked.save(update_fields=["version"])
    archive_guard_refresh(entries=[locked, *partners])
    _audit(actor, "archive.evidence.remove", locked, before=before)
    return locked


def _notify_verifiers(entry: ArchiveEntry) -> None:
    """Unit leaders of the cadre's organization get a to-do (organization staff see the queue)."""
    users = (
        RoleGrant.objects.filter(role=Role.UNIT_LEADER, organization_id=entry.cadre.org_id, revoked_at__isnull=True)
        .exclude(user_id=entry.author_id)
        .select_related("user")
    )
    for grant in users:
        if getattr(grant.user, "cadre_id", None) == entry.cadre_id:
            continue
        notification_send(
            user=grant.user,
            kind="todo",
            message="archive_submitted",
            params={"cadre": entry.cadre.name, "title": entry.title},
            link=f"/archive/entries/{entry.pk}/",
            dedupe_key=f"archive_submitted:{entry.pk}:{entry.version}",
        )


def _notify_author(entry: ArchiveEntry, message: str, note: str = "") -> None:
    notification_send(
        user=entry.author,
        kind="notice",
        message=message,
        params={"title": entry.title, "note": note},
        link=f"/archive/entries/{entry.pk}/",
        dedupe_key=f"{message}:{entry.pk}:{entry.version}",
    )


@transaction.atomic
def archive_entry_submit(*, actor: User | None, entry: ArchiveEntry, version: int | None = None) -> ArchiveEntry:
    locked = _lock(entry, version, lambda e: _require_author(actor, e))
    _require_status(locked, Status.DRAFT, Status.RETURNED)
    before = snapshot(locked, ["status", "version"])
    locked.status = Status.SUBMITTED
    locked.submitted_at = timezone.now()
    _bump(locked)
    locked.save(update_fields=["status", "submitted_at", "version"])
    archive_guard_refresh(entries=[locked])
    near_duplicates_refresh(entries=[locked])
    _audit(
        actor,
        "archive.entry.submit",
        locked,
        before=before,
        after=snapshot(locked, ["status", "version", "flag_codes"]),
    )
    _notify_verifiers(locked)
    return locked


@transaction.atomic
def archive_entry_withdraw(
    *, actor: User | None, entry: ArchiveEntry, version: int | None = None, reason: str = ""
) -> ArchiveEntry:
    locked = _lock(entry, version, lambda e: _require_author(actor, e))
    _require_status(locked, Status.DRAFT, Status.SUBMITTED, Status.RETURNED)
    before = snapshot(locked, ["status", "version"])
    locked.status = Status.WITHDRAWN
    _bump(locked)
    locked.save(update_fields=["status", "version"])
    near_duplicates_refresh(entries=[locked])  # its twins lose it (before the guard drops its flags)
    archive_guard_refresh(entries=[locked])
    _audit(
        actor,
        "archive.entry.withdraw",
        locked,
        before=before,
        after=snapshot(locked, ["status", "version"]),
        reason=reason,
    )
    return locked


def _note_required(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise invalid({"note": [gettext("Say why, so that the author knows what to do.")]})
    if len(note) > 2000:
        raise invalid({"note": [gettext("At most 2000 characters.")]})
    return note


@transaction.atomic
def archive_entry_return(
    *, actor: User | None, entry: ArchiveEntry, note: str, version: int | None = None
) -> ArchiveEntry:
    """Return a submitted entry to its author for more information."""
    locked = _lock(entry, version, lambda e: _require_verifier(actor, e))
    _require_status(locked, Status.SUBMITTED)
    note = _note_required(note)
    before = snapshot(locked, ["status", "version"])
    locked.status = Status.RETURNED
    locked.decided_by, locked.decided_at, locked.decision_note = actor, timezone.now(), note
    _bump(locked)
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "version"])
    _audit(
        actor, "archive.entry.return", locked, before=before, after=snapshot(locked, ["status", "version"]), reason=note
    )
    _notify_author(locked, "archive_returned", note)
    return locked


@transaction.atomic
def archive_entry_reject(
    *, actor: User | None, entry: ArchiveEntry, note: str, version: int | None = None
) -> ArchiveEntry:
    locked = _lock(entry, version, lambda e: _require_verifier(actor, e))
    _require_status(locked, Status.SUBMITTED)
    note = _note_required(note)
    before = snapshot(locked, ["status", "version"])
    locked.status = Status.REJECTED
    locked.decided_by, locked.decided_at, locked.decision_note = actor, timezone.now(), note
    _bump(locked)
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "version"])
    near_duplicates_refresh(entries=[locked])  # its twins lose it (before the guard drops its flags)
    archive_guard_refresh(entries=[locked])
    _audit(
        actor, "archive.entry.reject", locked, before=before, after=snapshot(locked, ["status", "version"]), reason=note
    )
    _notify_author(locked, "archive_rejected", note)
    return locked


REVIEW_DIMENSIONS = ("completion", "authenticity", "difficulty", "contribution")


@transaction.atomic
def archive_entry_verify(
    *,
    actor: User | None,
    entry: ArchiveEntry,
    method: str,
    scores: dict[str, Any],
    evidence_kinds: dict[Any, str] | None = None,
    difficulty: str | None = None,
    note: str = "",
    version: int | None = None,
) -> ArchiveEntry:
    """Verify a submitted entry: the method, the four review scores, and each evidence item's
    kind confirmed or corrected (``evidence_kinds`` maps evidence ids to kinds; an item not named
    is confirmed as declared).  The verifier may correct the difficulty.  The entry then counts,
    and the cadre's scores of the year are recomputed."""
    locked = _lock(entry, version, lambda e: _require_verifier(actor, e))
    _require_status(locked, Status.SUBMITTED)
    _, rules = archive_rules(locked.cadre.org)
    detail: dict[str, list[str]] = {}
    if method not in Method.values:
        detail["method"] = [gettext("Choose how you verified the entry.")]
    scores = dict(scores or {})
    for name in REVIEW_DIMENSIONS:
        value = scores.get(name)
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().lstrip("-").isdigit():
            detail[f"scores.{name}"] = [gettext("Give a whole number.")]
            continue
        number = int(value)
        if not rules.review_score_min <= number <= rules.review_score_max:
            detail[f"scores.{name}"] = [
                gettext("Between %(min)s and %(max)s.") % {"min": rules.review_score_min, "max": rules.review_score_max}
            ]
        scores[name] = number
    extra = sorted(set(scores) - set(REVIEW_DIMENSIONS))
    if extra:
        detail["scores"] = [gettext("Unknown review dimension: %(names)s.") % {"names": ", ".join(map(str, extra))}]
    if difficulty is not None and difficulty not in Difficulty.values:
        detail["difficulty"] = [gettext("Choose a difficulty from the list.")]
    items = {item.pk: item for item in Evidence.objects.filter(entry=locked)}
    kinds: dict[int, str] = {}
    for key, kind in (evidence_kinds or {}).items():
        try:
            pk = int(key)
        except (TypeError, ValueError):
            pk = -1
        if pk not in items:
            detail[f"evidence_kinds.{key}"] = [gettext("This evidence does not belong to the entry.")]
        elif kind not in rules.evidence_kinds:
            detail[f"evidence_kinds.{key}"] = [gettext("Choose a kind of evidence from the list.")]
        else:
            kinds[pk] = kind
    note = (note or "").strip()
    if len(note) > 2000:
        detail["note"] = [gettext("At most 2000 characters.")]
    if detail:
        raise invalid(detail)
    before = {
        **snapshot(locked, ["status", "version", "difficulty"]),
        "evidence_kinds": {pk: i.effective_kind for pk, i in items.items()},
    }
    for pk, item in items.items():
        item.confirmed_kind = kinds.get(pk, item.kind)
    Evidence.objects.bulk_update(list(items.values()), ["confirmed_kind"])
    locked.status = Status.VERIFIED
    if difficulty is not None:
        locked.difficulty = difficulty
    locked.method = method
    locked.score_completion = scores["completion"]
    locked.score_authenticity = scores["authenticity"]
    locked.score_difficulty = scores["difficulty"]
    locked.score_contribution = scores["contribution"]
    locked.decided_by, locked.decided_at, locked.decision_note = actor, timezone.now(), note
    _bump(locked)
    locked.save()
    archive_guard_refresh(entries=[locked])
    locked.refresh_from_db()
    archive_scores_recompute(cadre=locked.cadre, year=locked.year)
    locked.refresh_from_db()
    _audit(
        actor,
        "archive.entry.verify",
        locked,
        before=before,
        after={
            **snapshot(locked, ["status", "version", "difficulty", "method", "counted_value", "flag_codes"]),
            "scores": {name: scores[name] for name in REVIEW_DIMENSIONS},
            "evidence_kinds": {pk: i.confirmed_kind for pk, i in items.items()},
        },
        reason=note,
    )
    _notify_author(locked, "archive_verified")
    return locked


@transaction.atomic
def archive_entry_revoke(
    *, actor: User | None, entry: ArchiveEntry, note: str, version: int | None = None
) -> ArchiveEntry:
    """A verified entry found untrue later is revoked by the organization department; it stops
    counting (unless the year's scores are frozen: they stand as signed off)."""

    def may_revoke(locked: ArchiveEntry) -> None:
        if actor is not None and not has_capability(actor, Cap.ARCHIVE_REVOKE, locked.cadre.org):
            raise PermissionDenied(_("Only the organization department revokes a verified entry."))

    locked = _lock(entry, version, may_revoke)
    _require_status(locked, Status.VERIFIED)
    note = _note_required(note)
    before = snapshot(locked, ["status", "version", "counted_value"])
    locked.status = Status.REVOKED
    locked.counted_value = None
    locked.decided_by, locked.decided_at, locked.decision_note = actor, timezone.now(), note
    _bump(locked)
    locked.save(update_fields=["status", "counted_value", "decided_by", "decided_at", "decision_note", "version"])
    near_duplicates_refresh(entries=[locked])  # its twins lose it (before the guard drops its flags)
    archive_guard_refresh(entries=[locked])
    archive_scores_recompute(cadre=locked.cadre, year=locked.year)
    _audit(
        actor, "archive.entry.revoke", locked, before=before, after=snapshot(locked, ["status", "version"]), reason=note
    )
    _notify_author(locked, "archive_revoked", note)
    return locked


# --- the guard -------------------------------------------------------------------------------


def _facts(entry: ArchiveEntry) -> formalism.EntryFacts:
    return formalism.EntryFacts(
        id=entry.pk,
        cadre_id=entry.cadre_id,
        evidence=tuple(formalism.EvidenceFact(kind=e.effective_kind, sha256=e.sha256) for e in entry.evidence.all()),
        metrics_with_actual=sum(1 for m in entry.metrics.all() if m.actual is not None),
        task_id=entry.task_id,
        share_percent=entry.share_percent,
    )


GUARD_CODES = [c for c in formalism.FLAG_CODES if c != formalism.NEAR_DUPLICATE]


def archive_guard_refresh(*, entries: Iterable[ArchiveEntry]) -> None:
    """Recompute every flag but the near-duplicate one for ``entries`` and the live entries that
    share a task or a file with them, and the counted value of the verified ones among them.
    Runs inside the calling service's transaction, which audits the change that caused it."""
    given = list(entries)
    group: dict[int, ArchiveEntry] = {}
    for entry in given:
        for other in entries_sharing(entry):
            group[other.pk] = other
    live = [e for e in group.values() if e.status in LIVE]
    dead = [pk for pk, e in group.items() if e.status not in LIVE]
    if not group:
        return
    # One rulebook for the group: the guard compares entries with each other.
    first = next(iter(group.values()))
    _, rules = archive_rules(first.cadre.org if first.cadre_id else None)
    result = formalism.guard([_facts(e) for e in live], guard_rules(rules))
    ArchiveFlag.objects.filter(entry_id__in=list(group), code__in=GUARD_CODES).delete()
    # An entry out of the game (withdrawn, rejected, revoked) carries no flag at all.
    ArchiveFlag.objects.filter(entry_id__in=dead).delete()
    ArchiveFlag.objects.bulk_create(
        [ArchiveFlag(entry_id=pk, code=f.code, params=f.params) for pk, flags in result.items() for f in flags]
    )
    twins = set(
        ArchiveFlag.objects.filter(entry_id__in=list(group), code=formalism.NEAR_DUPLICATE).values_list(
            "entry_id", flat=True
        )
    )
    srules = score_rules(rules)
    for entry in group.values():
        flags = result.get(entry.pk, [])
        entry.flag_codes = sorted(
            {f.code for f in flags} | ({formalism.NEAR_DUPLICATE} if entry.pk in twins else set())
        )
        if entry.status == Status.VERIFIED:
            entry.counted_value = scoring.entry_value(_scored(entry, formalism.counts_zero(flags)), srules).value
        else:
            entry.counted_value = None
    ArchiveEntry.objects.bulk_update(list(group.values()), ["flag_codes", "counted_value"])
    for entry in given:  # the caller's instances see the result
        entry.flag_codes, entry.counted_value = group[entry.pk].flag_codes, group[entry.pk].counted_value


def _scored(entry: ArchiveEntry, zeroed: bool) -> scoring.ScoredEntry:
    return scoring.ScoredEntry(
        id=entry.pk,
        category=entry.category,
        difficulty=entry.difficulty,
        negative=entry.polarity == Polarity.NEGATIVE,
        share_percent=entry.share_percent,
        zeroed=zeroed,
    )


# --- scores ----------------------------------------------------------------------------------


def _explain(
    result: scoring.ScoreResult, cadre: Cadre, year: int, quarter: int, titles: dict[int, str]
) -> dict[str, str]:
    out: dict[str, str] = {}
    for code in decision_languages():
        with translation.override(code):
            period = (
                gettext("%(year)s, whole year") % {"year": year}
                if quarter == 0
                else gettext("%(year)s, quarter %(quarter)s") % {"year": year, "quarter": quarter}
            )
            lines = [
                ngettext(
                    "%(cadre)s, %(period)s: %(total)s points from %(count)s verified entry.",
                    "%(cadre)s, %(period)s: %(total)s points from %(count)s verified entries.",
                    len(result.lines),
                )
                % {"cadre": cadre.name, "period": period, "total": result.total, "count": len(result.lines)}
            ]
            for line in result.lines:
                if line.zeroed:
                    lines.append(
                        gettext("“%(title)s”: 0 — its only evidence is a process trace, not a result.")
                        % {"title": titles.get(line.id, line.id)}
                    )
                else:
                    lines.append(
                        gettext(
                            "“%(title)s”: %(value)s = %(sign)s%(points)s points × category weight %(weight)s × "
                            "difficulty %(multiplier)s × share %(share)s."
                        )
                        % {
                            "title": titles.get(line.id, line.id),
                            "value": line.value,
                            "sign": "−" if line.sign < 0 else "",
                            "points": line.points,
                            "weight": line.weight,
                            "multiplier": line.multiplier,
                            "share": line.share.normalize(),
                        }
                    )
            out[code] = "\n".join(lines)
    return out


def archive_scores_recompute(*, cadre: Cadre, year: int, actor: User | None = None) -> list[ArchiveScore]:
    """The cadre's counted scores of ``year`` — quarters 1–4 and the whole year (0) — from the
    verified entries, each with its decision record.  Frozen scores are left as they are.  Runs
    inside the calling service's transaction (which audits the change that caused it)."""
    book, rules = archive_rules(cadre.org)
    srules = score_rules(rules)
    entries = list(entries_for_scoring(cadre.pk, year))
    frozen = set(
        ArchiveScore.objects.filter(cadre=cadre, year=year, frozen_at__isnull=False).values_list("quarter", flat=True)
    )
    titles = {e.pk: e.title for e in entries}
    rows: list[ArchiveScore] = []
    for quarter in (1, 2, 3, 4, 0):
        if quarter in frozen:
            continue
        chosen = [e for e in entries if quarter == 0 or e.quarter == quarter]
        scored = [_scored(e, formalism.PROCESS_TRACE in (e.flag_codes or [])) for e in chosen]
        result = scoring.score(scored, srules)
        decision = decision_record_create(
            actor=actor,
            kernel="archive.scoring",
            rulebook=book,
            inputs={"cadre": cadre.pk, "year": year, "quarter": quarter, "entries": [s.__dict__ for s in scored]},
            fired=result.fired,
            outcome={
                "total": str(result.total),
                "counted": result.counted,
                "lines": {line.id: str(line.value) for line in result.lines},
            },
            explanation=_explain(result, cadre, year, quarter, titles),
            subject_type="archive_score",
            subject_id=f"{cadre.pk}:{year}:{quarter}",
        )
        row, _created = ArchiveScore.objects.update_or_create(
            cadre=cadre,
            year=year,
            quarter=quarter,
            defaults={"score": result.total, "entries_counted": result.counted, "decision": decision},
        )
        rows.append(row)
    return rows


@transaction.atomic
def archive_scores_freeze(*, year: int, cadre_ids: Iterable[int], actor: User | None = None) -> int:
    """Freeze the counted scores of ``year`` for ``cadre_ids`` (the annual assessment calls this
    at sign-off): computed once more, then never again.  Audited as one bulk event per county.
    Returns the number of score rows frozen."""
    ids = sorted({int(i) for i in cadre_ids})
    cadres = list(Cadre.objects.filter(pk__in=ids).select_related("org"))
    missing = sorted(set(ids) - {c.pk for c in cadres})
    if missing:
        raise invalid({"cadre_ids": [gettext("Unknown cadres: %(ids)s.") % {"ids": ", ".join(map(str, missing[:20]))}]})
    now = timezone.now()
    by_partition: dict[str, list[Any]] = {}
    count = 0
    for cadre in cadres:
        archive_scores_recompute(cadre=cadre, year=year, actor=actor)
        rows = ArchiveScore.objects.filter(cadre=cadre, year=year, frozen_at__isnull=True)
        frozen = list(rows.values_list("cadre_id", "year", "quarter", "score"))
        count += rows.update(frozen_at=now)
        by_partition.setdefault(cadre.org.audit_partition, []).extend(frozen)
    for partition, rows_frozen in sorted(by_partition.items()):
        audit_bulk(
            actor=actor,
            action="archive.scores.freeze",
            partition=partition,
            rows=rows_frozen,
            after={"year": year, "cadres": len({r[0] for r in rows_frozen})},
        )
    return count
