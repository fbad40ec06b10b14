"""The navigation of the web shell: only the entries the viewer's roles open.

Pages of later capabilities (the roster import, the holiday table) appear once their URL name
resolves, so the shell works before they exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dandang.org.roles import Cap
from dandang.org.selectors import has_any_capability


@dataclass(frozen=True)
class NavItem:
    name: str  # the URL name, also used to mark the current section
    label: str | Promise
    url: str
    active: bool


# (URL names to try in turn, label, capability or None for every logged-in user, URL names that
# count as "inside" the entry for marking the current section)
_ENTRIES: list[tuple[tuple[str, ...], Promise, str | None, tuple[str, ...]]] = [
    (("home",), _("Home"), None, ()),
    (("org:tree",), _("Organizations"), Cap.ORG_VIEW, ("org:org_detail", "org:org_children")),
    (("org:cadre_list",), _("Cadres"), Cap.CADRE_VIEW, ("org:cadre_detail",)),
    (
        ("archive:entry_list",),
        _("Performance archive"),
        Cap.ARCHIVE_VIEW,
        ("archive:entry_detail", "archive:dossier", "archive:entry_edit", "archive:entry_create"),
    ),
    (("archive:queue",), _("Verification queue"), Cap.ARCHIVE_VERIFY, ()),
    (
        ("tolerance:case_list",),
        _("Error tolerance"),
        Cap.TOLERANCE_VIEW,
        ("tolerance:case_detail", "tolerance:case_propose", "tolerance:cadre_cases"),
    ),
    (("tolerance_lists:lists",), _("Tolerance lists"), None, ()),
    (
        ("tolerance_clearing:case_list",),
        _("Name clearing"),
        Cap.CLEARING_VIEW,
        ("tolerance_clearing:case_detail", "tolerance_clearing:case_open"),
    ),
    (("org:roster_import",), _("Roster import"), Cap.ROSTER_IMPORT, ()),
    (("archive:import",), _("Archive import"), Cap.ARCHIVE_IMPORT, ()),
    (("core_holidays", "org:holidays"), _("Holiday table"), Cap.RULEBOOK_PUBLISH, ()),
    (("org:rulebooks",), _("Rulebooks"), Cap.RULEBOOK_PUBLISH, ()),
]


def _first_reversible(names: tuple[str, ...]) -> tuple[str, str] | None:
    for name in names:
        try:
            return name, reverse(name)
        except NoReverseMatch:
            continue
    return None


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_own_dossier": None}
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match is not None else ""
    items: list[NavItem] = []
    for names, label, capability, inside in _ENTRIES:
        if capability is not None and not has_any_capability(user, capability):
            continue
        found = _first_reversible(names)
        if found is None:
            continue
        name, url = found
        items.append(NavItem(name=name, label=label, url=url, active=current == name or current in inside))
    own = getattr(user, "cadre_id", None)
    # A cadre records their own archive entries (issue 4) whatever their grants.
    mine = _first_reversible(("archive:my_archive",)) if own else None
    if mine is not None:
        items.append(NavItem(name=mine[0], label=_("My archive"), url=mine[1], active=current == mine[0]))
    # …and applies for error tolerance and follows their own cases (issue 5).
    tolerance = _first_reversible(("tolerance:case_list",)) if own else None
    if tolerance is not None and not any(item.name == tolerance[0] for item in items):
        items.append(
            NavItem(
                name=tolerance[0],
                label=_("My tolerance cases"),
                url=tolerance[1],
                active=current in (tolerance[0], "tolerance:case_detail", "tolerance:apply"),
            )
        )
    own_url = reverse("org:cadre_detail", args=[own]) if own else None
    return {"nav_items": items, "nav_own_dossier": own_url}
