"""Pages of the performance archive: the entry lists (all entries, "my archive", the verification
queue), an entry with the workflow actions the viewer may take, and a cadre's dossier timeline.

Thin interfaces: parse the request, read through the viewer-scoped selectors, write through the
services.  Outside the viewer's jurisdiction a selector raises NotFound (404); a role that may see
but not act gets the service's PermissionDenied (403); a stale version or a step the entry's state
does not allow is shown on the entry's page with status 409, invalid input beside its field with 422.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django_htmx.middleware import HtmxDetails

from dandang.archive import services
from dandang.archive.display import FLAG_LABELS, flag_views, kind_choices, kind_labels, short_flags
from dandang.archive.forms import EntryFilterForm, NoteForm, VerifyForm, VersionForm
from dandang.archive.models import ArchiveEntry, Category, Evidence, Polarity, Status
from dandang.archive.selectors import (
    can_view_flags,
    entries_to_verify,
    entry_detail,
    entry_flags_for,
    entry_get,
    entry_list,
    entry_timeline,
    evidence_get,
    scores_for,
)
from dandang.core.audit import access_log_record
from dandang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from dandang.org.models import Cadre, Tenure
from dandang.org.roles import Cap
from dandang.org.selectors import (
    cadre_career,
    cadre_get,
    cadre_search,
    has_any_capability,
    has_capability,
    organization_get,
    organization_roots,
    organizations_visible,
)

PAGE_SIZE = 50
DOSSIER_PAGE_SIZE = 50
# What a row of the dossier's entry table reads (archive/_dossier_table.html).
DOSSIER_FIELDS = (
    "id",
    "cadre_id",
    "occurred_on",
    "title",
    "category",
    "polarity",
    "status",
    "counted_value",
    "post",
    "post__title",
    "organization",
    "organization__name",
)
ORG_FILTER_LIMIT = 300


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def recordable_polarities(viewer: Any, cadre: Cadre) -> list[str]:
    return [p for p in Polarity.values if services.can_record(viewer, cadre, p)]


# --- entry lists -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryRow:
    entry: ArchiveEntry
    flags: list[tuple[str, Any]]
    url: str = ""
    category: str = ""
    polarity: str = ""
    status: str = ""


def _rows(viewer: Any, entries: list[ArchiveEntry]) -> list[EntryRow]:
    """Table rows: the flags the viewer may see (one query), the entry's link and its labels in
    the reader's language — each label translated once per page, not once per row."""
    flags = entry_flags_for(viewer, entries)  # one query, only what the viewer may see
    categories = {value: str(label) for value, label in Category.choices}
    polarities = {value: str(label) for value, label in Polarity.choices}
    statuses = {value: str(label) for value, label in Status.choices}
    return [
        EntryRow(
            entry=e,
            flags=short_flags(flags.get(e.pk, [])),
            url=reverse("archive:entry_detail", args=[e.pk]),
            category=categories.get(e.category, e.category),
            polarity=polarities.get(e.polarity, e.polarity),
            status=statuses.get(e.status, e.status),
        )
        for e in entries
    ]


def _org_options(viewer: Any, selected: Any) -> list[Any]:
    roots = [r.pk for r in organization_roots(viewer)]
    options = list(
        organizations_visible(viewer)
        .filter(Q(pk__in=roots) | Q(parent_id__in=roots))
        .order_by("path")[:ORG_FILTER_LIMIT]
    )
    if selected is not None and all(o.pk != selected.pk for o in options):
        options.append(selected)
    return options


def _filtered(viewer: Any, filters: dict[str, Any], base: QuerySet[ArchiveEntry] | None = None) -> Any:
    """Entries matching the filters; the cadre and organization named are read through the
    viewer's scope (404 outside)."""
    cadre = cadre_get(viewer, filters["cadre"]) if filters.get("cadre") else None
    organization = organization_get(viewer, filters["org"]) if filters.get("org") else None
    qs = entry_list(
        viewer,
        cadre=cadre,
        organization=organization,
        year=filters.get("year"),
        quarter=filters.get("quarter"),
        category=filters.get("category", ""),
        polarity=filters.get("polarity", ""),
        status=filters.get("status", ""),
        flag=filters.get("flag", ""),
    )
    if base is not None:  # the queue: the longest waiting first
        qs = qs.filter(pk__in=base.values("pk")).order_by("submitted_at", "id")
    if filters.get("q"):
        qs = qs.filter(cadre__in=cadre_search(viewer, q=filters["q"]).values("pk"))
    return qs, cadre, organization


def _list_page(
    request: HtmxHttpRequest,
    *,
    title: Any,
    intro: Any,
    fields: tuple[str, ...],
    base: QuerySet[ArchiveEntry] | None = None,
    fixed: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    empty: tuple[Any, Any] = ("", ""),
) -> HttpResponse:
    viewer = request.user
    may_flags = has_any_capability(viewer, Cap.ARCHIVE_FLAGS_VIEW)
    form = EntryFilterForm(request.GET or None, fields=fields, may_see_flags=may_flags)
    filters = {**form.filters(), **(fixed or {})}
    qs, cadre, organization = _filtered(viewer, filters, base)
    form.set_organizations(_org_options(viewer, organization) if "org" in fields else [])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "title": title,
        "intro": intro,
        "form": form,
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "rows": _rows(viewer, list(page.object_list)),
        "may_see_flags": may_flags,
        "cadre": cadre,
        "filtered": any(k in form.fields and filters.get(k) for k in filters),
        "empty_title": empty[0],
        "empty_text": empty[1],
        "action": request.path,
        **(extra or {}),
    }
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    response = render(request, "archive/_entry_results.html" if partial else "archive/entry_list.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_safe
def entry_list_page(request: HtmxHttpRequest) -> HttpResponse:
    return _list_page(
        request,
        title=_("Performance archive"),
        intro=_("Entries of the cadres in your jurisdiction. Only verified entries count."),
        fields=("q", "org", "year", "quarter", "category", "polarity", "status", "cadre"),
        empty=(
            _("No archive entries"),
            _("Entries appear here once cadres of your jurisdiction record them."),
        ),
    )


@login_required
@require_safe
def my_archive(request: HtmxHttpRequest) -> HttpResponse:
    viewer: Any = request.user
    if not getattr(viewer, "cadre_id", None):
        raise NotFound(_("Your account is not linked to a cadre record."))
    cadre = cadre_get(viewer, viewer.cadre_id)
    return _list_page(
        request,
        title=_("My archive"),
        intro=_(
            "Record what you achieved — in numbers — with the evidence, and submit it for verification. "
            "Only verified entries count, and meetings held, documents issued or photos taken are not results."
        ),
        fields=("year", "quarter", "category", "polarity", "status"),
        fixed={"cadre": cadre.pk},
        extra={"own_cadre": cadre},
        empty=(
            _("Your archive is empty"),
            _("Record your first entry: what you achieved, with its result in numbers."),
        ),
    )


@login_required
@require_safe
def queue(request: HtmxHttpRequest) -> HttpResponse:
    viewer = request.user
    if not has_any_capability(viewer, Cap.ARCHIVE_VERIFY):
        raise NotFound(_("Page not found."))
    return _list_page(
        request,
        title=_("Verification queue"),
        intro=_("Entries submitted for verification in your jurisdiction, oldest first."),
        fields=("q", "org", "year", "quarter", "category", "polarity"),
        base=entries_to_verify(viewer),
        empty=(_("Nothing to verify"), _("Submitted entries of the cadres in your jurisdiction appear here.")),
        extra={"ordering": "queue"},
    )


# --- one entry ---------------------------------------------------------------------------------


ACTIONS_OF_AUTHOR = (Status.DRAFT, Status.RETURNED)


def _detail_context(request: HttpRequest, entry: ArchiveEntry, **bound: Any) -> dict[str, Any]:
    viewer: Any = request.user
    _book, rules = services.archive_rules(entry.cadre.org)
    kinds = kind_choices(rules)
    is_author = entry.author_id == viewer.pk
    may_decide = entry.status == Status.SUBMITTED and services.can_verify(viewer, entry)
    may_revoke = entry.status == Status.VERIFIED and has_capability(viewer, Cap.ARCHIVE_REVOKE, entry.cadre.org)
    initial = {"version": entry.version}
    evidence: list[Evidence] = entry.evidence_list  # type: ignore[attr-defined]
    verify_form = bound.get("verify") or VerifyForm(
        initial={**initial, "difficulty": entry.difficulty}, rules=rules, evidence=evidence, kinds=kinds
    )
    return {
        "entry": entry,
        "metrics": entry.metric_list,  # type: ignore[attr-defined]
        "evidence": evidence,
        "kind_labels": kind_labels(rules),
        "flags": flag_views(viewer, entry.flag_list, rules, entry_id=entry.pk),  # type: ignore[attr-defined]
        "may_see_flags": can_view_flags(viewer, entry.cadre),
        "is_author": is_author,
        "may_edit": is_author and entry.status in ACTIONS_OF_AUTHOR,
        "may_withdraw": is_author and entry.status in (*ACTIONS_OF_AUTHOR, Status.SUBMITTED),
        "may_decide": may_decide,
        "may_revoke": may_revoke,
        "version_form": VersionForm(initial=initial),
        "verify_form": verify_form if may_decide else None,
        "return_form": bound.get("return") or NoteForm(initial=initial, prefix="return"),
        "reject_form": bound.get("reject") or NoteForm(initial=initial, prefix="reject"),
        "revoke_form": bound.get("revoke") or NoteForm(initial=initial, prefix="revoke"),
        "error": bound.get("error"),
        "score_range": (rules.review_score_min, rules.review_score_max),
    }


@never_cache
@login_required
@require_safe
def entry_page(request: HttpRequest, pk: int) -> HttpResponse:
    entry = entry_detail(request.user, pk)
    return render(request, "archive/entry_detail.html", _detail_context(request, entry))


def _refused(request: HttpRequest, pk: int, exc: Conflict | ValidationFailed, **bound: Any) -> HttpResponse:
    """The entry's page again, as it is now, with why the step was refused."""
    entry = entry_detail(request.user, pk)
    context = _detail_context(request, entry, error=str(exc.message), **bound)
    return render(request, "archive/entry_detail.html", context, status=exc.status)


def _step(
    request: HttpRequest,
    pk: int,
    form_class: Callable[..., forms.Form],
    do: Callable[[Any, ArchiveEntry, forms.Form], Any],
    done: Any,
    *,
    slot: str = "",
    prefix: str | None = None,
) -> HttpResponse:
    """One workflow step: the entry read through the viewer's scope, the form parsed, the service
    called with the version the person read."""
    entry = entry_get(request.user, pk)
    form = form_class(request.POST, prefix=prefix)
    if not form.is_valid():
        problem = ValidationFailed(_("Some fields are not valid."), detail=form.errors.get_json_data())
        return _refused(request, pk, problem, **({slot: form} if slot else {}))
    try:
        do(request.user, entry, form)
    except ValidationFailed as exc:
        for key, problems in (exc.detail or {}).items() if isinstance(exc.detail, dict) else []:
            for problem in problems:
                form.add_error(key if key in form.fields else None, str(problem))
        return _refused(request, pk, exc, **({slot: form} if slot else {}))
    except Conflict as exc:
        return _refused(request, pk, exc)
    messages.success(request, done)
    return redirect("archive:entry_detail", pk=pk)


@login_required
@require_POST
def entry_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        VersionForm,
        lambda actor, entry, form: services.archive_entry_submit(
            actor=actor, entry=entry, version=form.cleaned_data["version"]
        ),
        _("The entry was submitted for verification."),
    )


@login_required
@require_POST
def entry_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        VersionForm,
        lambda actor, entry, form: services.archive_entry_withdraw(
            actor=actor, entry=entry, version=form.cleaned_data["version"]
        ),
        _("The entry was withdrawn."),
    )


@login_required
@require_POST
def entry_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        NoteForm,
        lambda actor, entry, form: services.archive_entry_return(
            actor=actor, entry=entry, note=form.cleaned_data["note"], version=form.cleaned_data["version"]
        ),
        _("The entry was returned to its author for more information."),
        slot="return",
        prefix="return",
    )


@login_required
@require_POST
def entry_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        NoteForm,
        lambda actor, entry, form: services.archive_entry_reject(
            actor=actor, entry=entry, note=form.cleaned_data["note"], version=form.cleaned_data["version"]
        ),
        _("The entry was rejected."),
        slot="reject",
        prefix="reject",
    )


@login_required
@require_POST
def entry_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        NoteForm,
        lambda actor, entry, form: services.archive_entry_revoke(
            actor=actor, entry=entry, note=form.cleaned_data["note"], version=form.cleaned_data["version"]
        ),
        _("The verified entry was revoked; it no longer counts."),
        slot="revoke",
        prefix="revoke",
    )


VERIFY_ALIASES = {f"scores.{name}": f"score_{name}" for name in services.REVIEW_DIMENSIONS}


@login_required
@require_POST
def entry_verify(request: HttpRequest, pk: int) -> HttpResponse:
    entry = entry_detail(request.user, pk)
    _book, rules = services.archive_rules(entry.cadre.org)
    evidence: list[Evidence] = entry.evidence_list  # type: ignore[attr-defined]
    form = VerifyForm(request.POST, rules=rules, evidence=evidence, kinds=kind_choices(rules))
    if not form.is_valid():
        # The right to verify comes before the input: someone who may not verify is refused (403)
        # whatever they sent.
        if not services.can_verify(request.user, entry):
            raise PermissionDenied(
                _("Nobody verifies an entry they recorded or about themself, and only verifiers do.")
            )
        problem = ValidationFailed(_("Some fields are not valid."), detail=form.errors.get_json_data())
        return _refused(request, pk, problem, verify=form)
    try:
        services.archive_entry_verify(
            actor=request.user,  # type: ignore[arg-type]
            entry=entry,
            method=form.cleaned_data["method"],
            scores=form.scores(),
            evidence_kinds=form.evidence_kinds(),
            difficulty=form.cleaned_data["difficulty"],
            note=form.cleaned_data["note"],
            version=form.cleaned_data["version"],
        )
    except ValidationFailed as exc:
        aliases = {**VERIFY_ALIASES, **{f"evidence_kinds.{i.pk}": f"kind_{i.pk}" for i in evidence}}
        for key, problems in (exc.detail or {}).items() if isinstance(exc.detail, dict) else []:
            name = aliases.get(key, key)
            for problem in problems:
                form.add_error(name if name in form.fields else None, str(problem))
        return _refused(request, pk, exc, verify=form)
    except Conflict as exc:
        return _refused(request, pk, exc)
    messages.success(request, gettext("The entry was verified and counts from now on."))
    return redirect("archive:entry_detail", pk=pk)


@login_required
@require_safe
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    item = evidence_get(request.user, pk)
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise NotFound(_("The file of this evidence is missing from the storage.")) from None
    access_log_record(viewer=request.user, object_type="archive_evidence", object_id=item.pk, what="download")
    # Bytes to download whatever the uploader called them: an uploaded HTML file must never run in
    # the application's origin.
    response = FileResponse(handle, as_attachment=True, filename=item.filename)
    response["Content-Type"] = "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the dossier timeline ----------------------------------------------------------------------


@dataclass
class YearRow:
    year: int
    positive: int = 0
    negative: int = 0
    verified: int = 0
    pending: int = 0
    counted: Decimal = Decimal(0)

    @property
    def total(self) -> int:
        return self.positive + self.negative


@dataclass
class PostBlock:
    tenure: Tenure | None
    years: list[YearRow] = field(default_factory=list)

    @property
    def entries(self) -> int:
        return sum(y.total for y in self.years)

    @property
    def counted(self) -> Decimal:
        return sum((y.counted for y in self.years), Decimal(0))


@dataclass
class ScoreYear:
    year: int
    quarters: list[Any]  # ArchiveScore or None, Q1..Q4
    whole: Any
    frozen: bool


def _post_blocks(career: list[Tenure], timeline: list[dict[str, Any]], today: dt.date) -> list[PostBlock]:
    """The career post by post (newest first), and in each post year by year: the entries recorded,
    verified, awaiting verification, and what the verified ones count."""
    cells: dict[tuple[Any, int], YearRow] = {}
    for row in timeline:
        cell = cells.setdefault((row["tenure_id"], row["year"]), YearRow(year=row["year"]))
        n = row["entries"]
        if row["polarity"] == Polarity.NEGATIVE:
            cell.negative += n
        else:
            cell.positive += n
        if row["status"] == Status.VERIFIED:
            cell.verified += n
            cell.counted += row["counted"] or Decimal(0)
        elif row["status"] == Status.SUBMITTED:
            cell.pending += n
    blocks: list[PostBlock] = []
    known = {t.pk for t in career}
    for tenure in career:
        last = (tenure.end or today).year
        years = {y for (t, y) in cells if t == tenure.pk} | set(range(tenure.start.year, last + 1))
        blocks.append(
            PostBlock(
                tenure=tenure, years=[cells.get((tenure.pk, y)) or YearRow(year=y) for y in sorted(years, reverse=True)]
            )
        )
    # Entries dated outside every recorded tenure: one block, year by year.
    stray: dict[int, YearRow] = {}
    for (t, y), cell in cells.items():
        if t in known:
            continue
        merged = stray.setdefault(y, YearRow(year=y))
        merged.positive += cell.positive
        merged.negative += cell.negative
        merged.verified += cell.verified
        merged.pending += cell.pending
        merged.counted += cell.counted
    if stray:
        blocks.append(PostBlock(tenure=None, years=[stray[y] for y in sorted(stray, reverse=True)]))
    return blocks


def _score_years(scores: list[Any]) -> list[ScoreYear]:
    by_year: dict[int, dict[int, Any]] = defaultdict(dict)
    for s in scores:
        by_year[s.year][s.quarter] = s
    return [
        ScoreYear(
            year=year,
            quarters=[quarters.get(q) for q in (1, 2, 3, 4)],
            whole=quarters.get(0),
            frozen=any(s.frozen_at for s in quarters.values()),
        )
        for year, quarters in sorted(by_year.items(), reverse=True)
    ]


def _chart(scores: list[Any], timeline: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The counted score by quarter with the verified positive and negative entries' values:
    numbers as text (exact decimals), the chart's script reads them."""
    score = {(s.year, s.quarter): s.score for s in scores if s.quarter}
    positive: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    negative: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for row in timeline:
        if row["status"] != Status.VERIFIED:
            continue
        target = negative if row["polarity"] == Polarity.NEGATIVE else positive
        target[(row["year"], row["quarter"])] += row["counted"] or Decimal(0)
    years = {y for y, _q in score} | {y for y, _q in positive} | {y for y, _q in negative}
    if not years:
        return None
    quarters = [(y, q) for y in range(min(years), max(years) + 1) for q in (1, 2, 3, 4)]
    return {
        "labels": [f"{y} Q{q}" for y, q in quarters],
        "series": [
            {"name": str(_("Positive entries")), "kind": "positive", "data": [str(positive[k]) for k in quarters]},
            {"name": str(_("Negative entries")), "kind": "negative", "data": [str(negative[k]) for k in quarters]},
            {
                "name": str(_("Counted score")),
                "kind": "score",
                "data": [str(score.get(k, Decimal(0))) for k in quarters],
            },
        ],
    }


@never_cache
@login_required
@require_safe
def dossier(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A cadre's archive across the whole career (issue 4, point 5).  Its queries do not depend on
    the number of entries: the summary is one aggregate, the table one page and one flag query."""
    viewer: Any = request.user
    cadre = cadre_get(viewer, pk)
    may_flags = can_view_flags(viewer, cadre)
    form = EntryFilterForm(
        request.GET or None, fields=("category", "polarity", "status", "year"), may_see_flags=may_flags
    )
    filters = form.filters()
    entries = entry_list(
        viewer,
        cadre=cadre,
        year=filters.get("year"),
        category=filters.get("category", ""),
        polarity=filters.get("polarity", ""),
        status=filters.get("status", ""),
        flag=filters.get("flag", ""),
    )
    # The table shows a few columns of the entry, its post and its organization: nothing else is
    # read (the description and the joined cadre, task and author would grow every row).
    entries = entries.select_related(None).select_related("post", "organization").only(*DOSSIER_FIELDS)
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    timeline = [] if partial else entry_timeline(viewer, cadre)
    paginator = Paginator(entries, DOSSIER_PAGE_SIZE)
    if not partial and not any(filters.values()):
        # Unfiltered, the number of entries is the timeline's total: no second count.
        paginator.count = sum(row["entries"] for row in timeline)
    page = paginator.get_page(request.GET.get("page"))
    listed = list(page.object_list)
    for entry in listed:
        entry.cadre = cadre  # every row is this cadre's: no join, no query
    context: dict[str, Any] = {
        "cadre": cadre,
        "form": form,
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "rows": _rows(viewer, listed),
        "may_see_flags": may_flags,
        "filtered": any(filters.values()),
        "action": request.path,
    }
    if partial:
        response = render(request, "archive/_dossier_table.html", context)
    else:
        # The page shows the figures only: not the decision records, whose inputs list every
        # entry counted (their size grows with the archive).
        scores = list(
            scores_for(viewer, cadre).select_related(None).only("id", "year", "quarter", "score", "frozen_at")
        )
        context.update(
            {
                "blocks": _post_blocks(cadre_career(viewer, cadre), timeline, timezone.localdate()),
                "score_years": _score_years(scores),
                "chart": _chart(scores, timeline),
                "may_record": bool(recordable_polarities(viewer, cadre)),
                "flag_labels": FLAG_LABELS,
            }
        )
        response = render(request, "archive/dossier.html", context)
    patch_vary_headers(response, ("HX-Request",))
    access_log_record(viewer=viewer, object_type="cadre", object_id=cadre.pk, what="archive")
    return response
