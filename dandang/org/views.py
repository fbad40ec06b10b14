"""Pages of the jurisdiction tree, the cadre list and the cadre dossier.

Thin interfaces: parse the request, read through the viewer-scoped selectors, render.  Anything
outside the viewer's jurisdiction raises NotFound in the selector and becomes a 404 page
(dandang.web.middleware).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_htmx.middleware import HtmxDetails

from dandang.core.audit import access_log_record
from dandang.org.models import Cadre, Organization, Tenure
from dandang.org.roles import Cap
from dandang.org.selectors import (
    cadre_career,
    cadre_get,
    cadre_id_number_for,
    cadre_search,
    can_view_id_number,
    has_any_capability,
    has_capability,
    organization_ancestors,
    organization_children,
    organization_get,
    organization_roots,
    organizations_visible,
    posts_visible,
)

CADRE_PAGE_SIZE = 50
# The organization filter lists the viewer's top organizations and the level below them; deeper
# units are reached from their own page ("Cadres of this organization").
ORG_FILTER_LIMIT = 300


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _with_child_flag(qs: QuerySet[Organization]) -> QuerySet[Organization]:
    # Whether a node gets an "expand" control; the children themselves are read (scoped) on demand.
    return qs.annotate(child_count=Count("children"))


# --- organizations -------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeRoot:
    organization: Organization
    children: list[Organization]


@login_required
@require_safe
def tree(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    roots = [
        TreeRoot(organization=root, children=list(_with_child_flag(organization_children(viewer, root))))
        for root in organization_roots(viewer)
    ]
    return render(request, "org/tree.html", {"roots": roots})


@login_required
@require_safe
def org_children(request: HttpRequest, pk: int) -> HttpResponse:
    """The children of one node, as a fragment for the tree (loaded when the node is opened)."""
    viewer = request.user
    parent = organization_get(viewer, pk)
    children = list(_with_child_flag(organization_children(viewer, parent)))
    return render(request, "org/_tree_children.html", {"parent": parent, "children": children})


@login_required
@require_safe
def org_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = request.user
    org = organization_get(viewer, pk)
    can_cadres = has_capability(viewer, Cap.CADRE_VIEW, org)
    context = {
        "org": org,
        "ancestors": organization_ancestors(viewer, org),
        "children": list(_with_child_flag(organization_children(viewer, org))),
        "posts": list(posts_visible(viewer).filter(organization=org).order_by("-is_leading", "id")),
        "can_cadres": can_cadres,
        "cadre_count": cadre_search(viewer, organization=org).count() if can_cadres else None,
    }
    return render(request, "org/org_detail.html", context)


# --- cadre list ----------------------------------------------------------------------------


class CadreFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Name, pinyin or initials (zwj)"),
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
    )
    org = forms.IntegerField(label=_("Organization"), required=False, min_value=1, widget=forms.Select)
    gender = forms.ChoiceField(label=_("Gender"), required=False, choices=[("", _("Any")), *Cadre.Gender.choices])
    education = forms.ChoiceField(
        label=_("Education"), required=False, choices=[("", _("Any")), *Cadre.Education.choices]
    )
    leading = forms.ChoiceField(
        label=_("Post"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Leading post")), ("no", _("Non-leading post"))],
    )

    def set_organizations(self, organizations: list[Organization]) -> None:
        top = min((o.depth for o in organizations), default=0)
        choices: list[tuple[Any, Any]] = [("", _("All organizations"))]
        choices += [(o.pk, "\u3000" * (o.depth - top) + o.name) for o in organizations]
        self.fields["org"].widget.choices = choices  # type: ignore[attr-defined]


def _org_filter_options(viewer: Any, selected: Organization | None) -> list[Organization]:
    root_ids = [r.pk for r in organization_roots(viewer)]
    options = list(
        organizations_visible(viewer)
        .filter(Q(pk__in=root_ids) | Q(parent_id__in=root_ids))
        .order_by("path")[:ORG_FILTER_LIMIT]
    )
    if selected is not None and all(o.pk != selected.pk for o in options):
        options.append(selected)
    return options


@login_required
@require_safe
def cadre_list(request: HtmxHttpRequest) -> HttpResponse:
    viewer = request.user
    form = CadreFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # invalid fields are reported beside the field; the valid ones still filter
        filters = form.cleaned_data
    organization = organization_get(viewer, filters["org"]) if filters.get("org") else None
    form.set_organizations(_org_filter_options(viewer, organization))
    leading = {"yes": True, "no": False}.get(filters.get("leading") or "")
    cadres = cadre_search(
        viewer,
        q=filters.get("q") or "",
        organization=organization,
        gender=filters.get("gender") or "",
        education=filters.get("education") or "",
        leading=leading,
    )
    page = Paginator(cadres, CADRE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "organization": organization,
        "filtered": any(filters.get(k) for k in ("q", "org", "gender", "education", "leading")),
        "can_see_cadres": has_any_capability(viewer, Cap.CADRE_VIEW) or bool(getattr(viewer, "cadre_id", None)),
    }
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    response = render(request, "org/_cadre_results.html" if partial else "org/cadre_list.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


# --- dossier -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CareerRow:
    tenure: Tenure
    org_link: bool  # the viewer may open the organization's page


def _age(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


@never_cache
@login_required
@require_safe
def cadre_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = request.user
    cadre = cadre_get(viewer, pk)
    career = cadre_career(viewer, cadre)
    context = {
        "cadre": cadre,
        "id_number": cadre_id_number_for(viewer, cadre),
        "id_number_masked": not can_view_id_number(viewer, cadre),
        "age": _age(cadre.birth_date, timezone.localdate()),
        "org_link": has_capability(viewer, Cap.ORG_VIEW, cadre.org),
        "current": [t for t in career if t.end is None],
        "career": [
            CareerRow(tenure=t, org_link=has_capability(viewer, Cap.ORG_VIEW, t.post.organization)) for t in career
        ],
    }
    response = render(request, "org/cadre_detail.html", context)
    access_log_record(viewer=viewer, object_type="cadre", object_id=cadre.pk, what="dossier")
    return response
