"""The tolerance lists page (容错清单, issue 5 point 1): what the tolerance rulebook in force for the
viewer's organization says — the national grounds, mitigation and exclusions and every industry
list, item by item, with its conditions and exclusions in words — searchable by text (Chinese or
English), list and sector.  Any logged-in user reads it: rulebooks are not confidential.

The version shown is the one in force (``rulebook_effective``); the versions published for the
viewer's organization, its ancestors or the whole deployment are listed beneath, each one readable
as it was published (a published version is never edited, only superseded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from django_htmx.middleware import HtmxDetails

from dandang.core.errors import NotFound
from dandang.core.models import PublishedRulebook
from dandang.core.rulebooks import (
    Rulebook,
    RulebookError,
    parse_rulebook,
    rulebook_effective,
    rulebook_label,
    rulebook_versions,
    shipped_rulebook,
)
from dandang.org.models import Organization
from dandang.org.roles import Cap
from dandang.org.selectors import has_any_capability, viewer_organization
from dandang.tolerance.explain import OPERATORS, OUTCOME_LABELS, _Labels
from dandang.tolerance.rules import Condition, ExtraFact, ToleranceRules

RULEBOOK = "tolerance"
NATIONAL = "national"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@dataclass
class Row:
    """One item of the page: a national provision or an industry-list item."""

    code: str
    group: str  # "national" or the list's code
    kind: str  # "ground", "mitigation", "exclusion" or "item"
    kind_label: str
    sector: str
    sector_label: str
    title: str  # the provision's label, or the item's scenario
    text: str  # the provision's text, empty for an item
    conditions: list[str] = field(default_factory=list)
    exclusions: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    outcome: str = ""
    outcome_code: str = ""
    note: str = ""
    source: str = ""
    haystack: str = ""


@dataclass
class Group:
    code: str
    title: str
    example: bool
    note: str
    source: str
    rows: list[Row]


_in = rulebook_label


def _both(label: dict[str, str] | None) -> str:
    return " ".join((label or {}).values())


def _condition(labels: _Labels, condition: Condition) -> str:
    shown = labels.value(condition.fact, condition.value)
    if condition.op == "in":
        return gettext("%(fact)s is %(value)s") % {"fact": labels.fact(condition.fact), "value": shown}
    return f"{labels.fact(condition.fact)} {OPERATORS[condition.op]} {shown}"


EXTRA_TYPES = {
    "integer": _("whole number"),
    "decimal": _("number"),
    "boolean": _("yes or no"),
    "choice": _("choice"),
}


def _extra(fact: ExtraFact) -> str:
    parts = [str(EXTRA_TYPES.get(fact.type, fact.type))]
    if fact.minimum is not None:
        parts.append(f"≥ {fact.minimum}")
    if fact.maximum is not None:
        parts.append(f"≤ {fact.maximum}")
    if fact.choices:
        parts.append(gettext(", ").join(_in(choice.label) for choice in fact.choices.values()))
    return f"{_in(fact.label)} ({gettext('; ').join(parts)})"


def _national_rows(rules: ToleranceRules, source_title: str) -> list[Row]:
    national = rules.national
    kinds = (
        ("ground", _("Ground for exemption"), national.grounds, "exempt"),
        ("mitigation", _("Mitigation"), national.mitigation, "lighter_or_reduced"),
        ("exclusion", _("Exclusion"), national.exclusions, "not_tolerated"),
    )
    rows = []
    for kind, kind_label, provisions, outcome in kinds:
        for code, provision in provisions.items():
            rows.append(
                Row(
                    code=code,
                    group=NATIONAL,
                    kind=kind,
                    kind_label=str(kind_label),
                    sector="",
                    sector_label="",
                    title=_in(provision.label),
                    text=_in(provision.text),
                    outcome=str(_("lighter or reduced accountability (从轻或减轻)"))
                    if outcome == "lighter_or_reduced"
                    else str(OUTCOME_LABELS[outcome]),
                    outcome_code=outcome,
                    source=provision.source,
                    haystack=" ".join([code, _both(provision.label), _both(provision.text), source_title]),
                )
            )
    return rows


def rulebook_groups(rules: ToleranceRules) -> list[Group]:
    """The rulebook as the page shows it, in the active language."""
    groups = [
        Group(
            code=NATIONAL,
            title=gettext("National default: Accountability Regulations Art. 17 and 18, and the exclusions"),
            example=False,
            note="",
            source="",
            rows=_national_rows(rules, ""),
        )
    ]
    for industry_list in rules.lists:
        rows = []
        for item in industry_list.items:
            labels = _Labels(rules, item.code)
            sector = industry_list.sectors.get(item.sector)
            rows.append(
                Row(
                    code=item.code,
                    group=industry_list.code,
                    kind="item",
                    kind_label=gettext("List item"),
                    sector=item.sector,
                    sector_label=_in(sector.label) if sector is not None else item.sector,
                    title=_in(item.scenario),
                    text="",
                    conditions=[_condition(labels, c) for c in item.conditions],
                    exclusions=[_condition(labels, c) for c in item.exclusions],
                    extra=[_extra(fact) for fact in item.extra],
                    outcome=str(OUTCOME_LABELS[item.outcome]),
                    outcome_code=item.outcome,
                    note=_in(item.note),
                    haystack=" ".join(
                        [
                            item.code,
                            item.sector,
                            _both(item.scenario),
                            _both(sector.label if sector is not None else None),
                            _both(item.note),
                            *(_both(fact.label) for fact in item.extra),
                        ]
                    ),
                )
            )
        groups.append(
            Group(
                code=industry_list.code,
                title=_in(industry_list.title),
                example=industry_list.example,
                note=_in(industry_list.note),
                source=industry_list.source,
                rows=rows,
            )
        )
    return groups


def _matches(row: Row, words: list[str]) -> bool:
    haystack = f"{row.haystack} {row.title} {row.text} {' '.join(row.conditions + row.exclusions)}".casefold()
    return all(word in haystack for word in words)


def filter_groups(groups: list[Group], *, q: str = "", group: str = "", sector: str = "") -> list[Group]:
    """Groups with only the rows matching every word of ``q`` (either language), the list and the
    sector; groups left empty are dropped."""
    words = [w for w in q.casefold().split() if w]
    out = []
    for g in groups:
        if group and g.code != group:
            continue
        rows = [r for r in g.rows if (not sector or r.sector == sector) and (not words or _matches(r, words))]
        if rows:
            out.append(Group(g.code, g.title, g.example, g.note, g.source, rows))
    return out


# --- which version ---------------------------------------------------------------------------


def applicable_versions(organization: Organization | None) -> list[PublishedRulebook]:
    """Published versions of the tolerance rulebook that apply to ``organization``: those of the
    whole deployment and those published for it or an ancestor (never another jurisdiction's)."""
    codes = set(organization.path.strip("/").split("/")) if organization is not None else set()
    return [
        row
        for row in rulebook_versions(RULEBOOK)
        if row.organization is None or row.organization.code in codes  # type: ignore[union-attr]
    ]


def _version_book(row: PublishedRulebook) -> Rulebook:
    origin = row.organization.code if row.organization is not None else "deployment"
    return parse_rulebook(row.content, source=row.ref, origin=origin)


class ListFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    sector = forms.ChoiceField(label=_("Sector"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, groups: list[Group], rules: ToleranceRules, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Declared here: a class attribute named "list" would shadow the built-in in this class.
        self.fields["list"] = forms.ChoiceField(
            label=_("List"),
            required=False,
            choices=[("", gettext("All lists")), *((g.code, g.title) for g in groups)],
        )
        self.order_fields(["q", "list", "sector", "version"])
        sectors: dict[str, str] = {}
        for industry_list in rules.lists:
            for code, sector in industry_list.sectors.items():
                sectors.setdefault(code, _in(sector.label))
        self.fields["sector"].choices = [("", gettext("All sectors")), *sectors.items()]  # type: ignore[attr-defined]

    def filters(self) -> dict[str, str]:
        if not self.is_bound or not self.is_valid():
            return {"q": "", "list": "", "sector": ""}
        data = self.cleaned_data
        return {"q": data["q"].strip(), "list": data["list"], "sector": data["sector"]}


@login_required
@require_safe
def tolerance_lists(request: HtmxHttpRequest) -> HttpResponse:
    viewer = request.user
    organization = viewer_organization(viewer)
    versions = applicable_versions(organization)
    effective = rulebook_effective(RULEBOOK, organization)
    book = effective
    wanted = request.GET.get("version", "").strip()
    if wanted:
        row = next((v for v in versions if str(v.version) == wanted), None)
        shipped = shipped_rulebook(RULEBOOK)
        if wanted == str(shipped.version):
            book = shipped
        elif row is None and wanted != str(effective.version):
            raise NotFound(_("No such version of the tolerance rulebook applies here."))
        if row is not None:
            try:
                book = _version_book(row)
            except RulebookError:  # a version the current schema no longer reads
                raise NotFound(_("This version of the tolerance rulebook can no longer be read.")) from None
    rules: ToleranceRules = book.content
    groups = rulebook_groups(rules)
    form = ListFilterForm(request.GET or None, groups=groups, rules=rules)
    filters = form.filters()
    shown = filter_groups(groups, q=filters["q"], group=filters["list"], sector=filters["sector"])
    context = {
        "book": book,
        "book_title": _in(book.title),
        "effective": effective,
        "is_effective": book.version == effective.version,
        "organization": organization,
        "versions": versions,
        "form": form,
        "groups": shown,
        "count": sum(len(g.rows) for g in shown),
        "filtered": any(filters.values()),
        "may_publish": has_any_capability(viewer, Cap.RULEBOOK_PUBLISH),
        "shipped": shipped_rulebook(RULEBOOK),
        "action": request.path,
    }
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    template = "tolerance/lists/_results.html" if partial else "tolerance/lists/lists.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response
