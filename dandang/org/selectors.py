"""Reads of jurisdiction, posts, cadres, tenures and grants — every one scoped to the viewer.

The viewer's active role grants are turned into a filter: a grant with descendants becomes a
prefix match on the materialized path, a grant without them an exact match.  An object outside
the viewer's jurisdiction is reported as :class:`NotFound`, never as forbidden.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.lookups import DataContains
from django.db import connections
from django.db.models import F, Func, Q, QuerySet, TextField, Value
from django.utils.translation import gettext_lazy as _

from dandang.core.errors import NotFound, PermissionDenied
from dandang.core.models import PublishedRulebook
from dandang.org.models import ApiToken, Cadre, Organization, Post, RoleGrant, Tenure, User
from dandang.org.roles import Cap, Role, roles_with

_GRANTS_CACHE = "_dandang_grants"


def viewer_grants(viewer: Any) -> list[RoleGrant]:
    """The viewer's active grants, cached on the user object for the request."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return []
    cached = getattr(viewer, _GRANTS_CACHE, None)
    if cached is None:
        cached = list(
            RoleGrant.objects.filter(user_id=viewer.pk, revoked_at__isnull=True).select_related("organization")
        )
        setattr(viewer, _GRANTS_CACHE, cached)
    return cached


def forget_grants(viewer: Any) -> None:
    if hasattr(viewer, _GRANTS_CACHE):
        delattr(viewer, _GRANTS_CACHE)


def viewer_roles(viewer: Any) -> set[str]:
    roles = {g.role for g in viewer_grants(viewer)}
    if getattr(viewer, "cadre_id", None):
        roles.add(Role.CADRE)
    return roles


def scope_q(viewer: Any, capability: str, *, path: str = "path", pk: str = "id") -> Q | None:
    """A filter for what ``viewer`` may reach with ``capability``; None when nothing."""
    allowed = roles_with(capability)
    q: Q | None = None
    for grant in viewer_grants(viewer):
        if grant.role not in allowed:
            continue
        part = (
            Q(**{f"{path}__startswith": grant.organization.path})
            if grant.include_descendants
            else Q(**{pk: grant.organization_id})
        )
        q = part if q is None else q | part
    return q


def _scoped(qs: QuerySet[Any], viewer: Any, capability: str, *, path: str, pk: str) -> QuerySet[Any]:
    q = scope_q(viewer, capability, path=path, pk=pk)
    return qs.none() if q is None else qs.filter(q)


def has_capability(viewer: Any, capability: str, organization: Organization) -> bool:
    """Whether ``viewer`` holds ``capability`` over ``organization``."""
    allowed = roles_with(capability)
    for grant in viewer_grants(viewer):
        if grant.role not in allowed:
            continue
        if grant.organization_id == organization.pk:
            return True
        if grant.include_descendants and organization.path.startswith(grant.organization.path):
            return True
    return False


def has_any_capability(viewer: Any, capability: str) -> bool:
    allowed = roles_with(capability)
    return any(g.role in allowed for g in viewer_grants(viewer))


def require_capability(viewer: Any, capability: str, organization: Organization) -> None:
    if not has_capability(viewer, capability, organization):
        raise PermissionDenied(_("Your role does not allow this action in this organization."))


# --- organizations -------------------------------------------------------------------------


def organizations_visible(viewer: Any) -> QuerySet[Organization]:
    return _scoped(Organization.objects.all(), viewer, Cap.ORG_VIEW, path="path", pk="id")


def organization_get(viewer: Any, pk: Any) -> Organization:
    try:
        return organizations_visible(viewer).get(pk=int(pk))
    except (Organization.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Organization not found.")) from None


def organization_roots(viewer: Any) -> list[Organization]:
    """The top organizations of the viewer's jurisdiction (no visible ancestor among them)."""
    grants = [g for g in viewer_grants(viewer) if g.role in roles_with(Cap.ORG_VIEW)]
    orgs = sorted({g.organization.path: g.organization for g in grants}.values(), key=lambda o: o.path)
    roots: list[Organization] = []
    for org in orgs:
        if not any(org.path.startswith(r.path) for r in roots if r.path != org.path):
            roots.append(org)
    return roots


def organization_children(viewer: Any, parent: Organization) -> QuerySet[Organization]:
    return organizations_visible(viewer).filter(parent=parent).order_by("kind", "name")


def organization_ancestors(viewer: Any, org: Organization) -> list[Organization]:
    """The visible ancestors of ``org``, top first, for breadcrumbs."""
    codes = list(org.path.strip("/").split("/"))[:-1]
    found = {o.code: o for o in organizations_visible(viewer).filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


def organization_list(viewer: Any, *, q: str = "", parent_id: int | None = None) -> QuerySet[Organization]:
    qs = organizations_visible(viewer)
    if parent_id is not None:
        qs = qs.filter(parent_id=parent_id)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__istartswith=q))
    return qs.order_by("path")


# --- posts ---------------------------------------------------------------------------------


def posts_visible(viewer: Any) -> QuerySet[Post]:
    return _scoped(
        Post.objects.select_related("organization"),
        viewer,
        Cap.ORG_VIEW,
        path="organization__path",
        pk="organization_id",
    )


def post_get(viewer: Any, pk: Any) -> Post:
    try:
        return posts_visible(viewer).get(pk=int(pk))
    except (Post.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Post not found.")) from None


# --- cadres --------------------------------------------------------------------------------

_ASCII_LETTERS = re.compile(r"^[A-Za-z]+$")


def cadres_visible(viewer: Any) -> QuerySet[Cadre]:
    q = scope_q(viewer, Cap.CADRE_VIEW, path="org_path", pk="org_id")
    own = getattr(viewer, "cadre_id", None)
    if own:
        q = Q(pk=own) if q is None else q | Q(pk=own)
    qs = Cadre.objects.select_related("org", "post")
    return qs.none() if q is None else qs.filter(q)


def cadre_get(viewer: Any, pk: Any) -> Cadre:
    try:
        return cadres_visible(viewer).get(pk=int(pk))
    except (Cadre.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Cadre not found.")) from None


def cadre_search(
    viewer: Any,
    *,
    q: str = "",
    organization: Organization | None = None,
    gender: str = "",
    education: str = "",
    leading: bool | None = None,
) -> QuerySet[Cadre]:
    """Search by name (Chinese characters), pinyin or pinyin initials ("zwj" finds 张伟军)."""
    qs = cadres_visible(viewer)
    q = q.strip()
    if q:
        if _ASCII_LETTERS.match(q):
            low = q.lower()
            qs = qs.filter(Q(name_initials__startswith=low) | Q(name_pinyin__startswith=low))
        else:
            qs = _name_contains(qs, q)
    if organization is not None:
        qs = qs.filter(org_path__startswith=organization.path)
    if gender:
        qs = qs.filter(gender=gender)
    if education:
        qs = qs.filter(education=education)
    if leading is not None:
        qs = qs.filter(post__is_leading=leading)
    return qs.order_by("org_path", "name", "id")


def _name_contains(qs: QuerySet[Cadre], q: str) -> QuerySet[Cadre]:
    """The cadres whose name contains ``q``.  On PostgreSQL the condition "the name holds every
    character of ``q``" is added: implied by the substring match, but answered by the GIN index on
    the name's characters (org migration 0002), so that a search for 王 reads the matching rows
    instead of scanning a province's roster.  For one character the two conditions are the same
    and the index's alone is used (stating both makes the planner believe matches twice as rare
    and choose a plan that sorts every match)."""
    contains = qs.filter(name__contains=q)
    if connections[qs.db].vendor != "postgresql":
        return contains
    array = ArrayField(TextField())
    name_chars = Func(F("name"), template="string_to_array(%(expressions)s, NULL)", output_field=array)
    chars = sorted({c for c in q if not c.isspace()})
    holds = DataContains(name_chars, Value(chars, output_field=array))
    return qs.filter(holds) if len(q) == 1 else contains.filter(holds)


def can_view_id_number(viewer: Any, cadre: Cadre) -> bool:
    return has_capability(viewer, Cap.CADRE_VIEW_ID_NUMBER, cadre.org)


def mask_id_number(value: str) -> str:
    """330102********1234 — the first six and the last four characters stay."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def cadre_id_number_for(viewer: Any, cadre: Cadre) -> str:
    return cadre.id_number if can_view_id_number(viewer, cadre) else mask_id_number(cadre.id_number)


# --- tenures -------------------------------------------------------------------------------


def tenures_visible(viewer: Any) -> QuerySet[Tenure]:
    """Tenures of the cadres the viewer may see — the whole career, wherever it was served."""
    return Tenure.objects.filter(cadre__in=cadres_visible(viewer).values("pk")).select_related(
        "post", "post__organization"
    )


def tenure_get(viewer: Any, pk: Any) -> Tenure:
    try:
        return tenures_visible(viewer).get(pk=int(pk))
    except (Tenure.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Tenure not found.")) from None


def cadre_career(viewer: Any, cadre: Cadre) -> list[Tenure]:
    return list(tenures_visible(viewer).filter(cadre=cadre).order_by("-start", "-id"))


# --- grants --------------------------------------------------------------------------------


def grants_visible(viewer: Any) -> QuerySet[RoleGrant]:
    return _scoped(
        RoleGrant.objects.select_related("user", "organization"),
        viewer,
        Cap.GRANT_VIEW,
        path="organization__path",
        pk="organization_id",
    )


def grant_get(viewer: Any, pk: Any) -> RoleGrant:
    try:
        return grants_visible(viewer).get(pk=int(pk))
    except (RoleGrant.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Role grant not found.")) from None


def user_by_username(username: str) -> User:
    """System-level lookup used by grant services (a grant names its user)."""
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise NotFound(_("User not found.")) from None


# --- API tokens ----------------------------------------------------------------------------


def api_token_user(key: str) -> User | None:
    """System-level: the active user an API token secret belongs to, or None (unknown, revoked,
    or the account disabled).  Only a hash of the secret is compared."""
    row = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    return row.user if row is not None else None


def api_token_by_name(username: str, name: str) -> ApiToken:
    """System-level (management commands): a user's active token by its name."""
    try:
        return ApiToken.objects.select_related("user").get(
            user__username=username, name=name.strip(), revoked_at__isnull=True
        )
    except ApiToken.DoesNotExist:
        raise NotFound(_("%(user)s has no active token named %(name)s.") % {"user": username, "name": name}) from None


# --- rulebooks -----------------------------------------------------------------------------


def viewer_organization(viewer: Any) -> Organization | None:
    """The organization whose rulebooks the viewer reads: their own as a cadre, else the top
    organization of their grants; None (the deployment's version) for a user with neither."""
    cadre = getattr(viewer, "cadre", None) if getattr(viewer, "cadre_id", None) else None
    if cadre is not None:
        return cadre.org  # type: ignore[no-any-return]
    grants = sorted(viewer_grants(viewer), key=lambda g: (len(g.organization.path), g.pk))
    return grants[0].organization if grants else None


def rulebook_publish_organizations(viewer: Any) -> QuerySet[Organization]:
    """The organizations ``viewer`` may publish a rulebook version for: those of their
    rulebook-publishing grants and, with descendants, everything beneath them."""
    return _scoped(Organization.objects.all(), viewer, Cap.RULEBOOK_PUBLISH, path="path", pk="id").order_by("path")


def rulebook_history(viewer: Any, rulebook_id: str) -> list[PublishedRulebook]:
    """The published versions of a rulebook that concern ``viewer``, newest first: deployment-wide
    ones, those of the organizations of the viewer's grants and their ancestors, and those of the
    organizations they may publish for — never another jurisdiction's."""
    codes: set[str] = set()
    for grant in viewer_grants(viewer):
        codes.update(grant.organization.path.strip("/").split("/"))
    q = Q(organization__isnull=True) | Q(organization__code__in=codes)
    beneath = scope_q(viewer, Cap.RULEBOOK_PUBLISH, path="organization__path", pk="organization_id")
    if beneath is not None:
        q |= beneath
    return list(
        PublishedRulebook.objects.filter(q, rulebook_id=rulebook_id)
        .select_related("organization", "published_by")
        .order_by("-version")
    )
