"""API of the org app: thin — fetch through a selector, call a service, serialise.

Every operation declares each status it can answer (see :func:`answers`); every error has the
shape :class:`~dandang.org.schemas.ErrorOut`.  Objects outside the caller's jurisdiction are 404.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema, Status

from dandang.core.audit import access_log_record
from dandang.core.errors import ValidationFailed
from dandang.org import selectors, services
from dandang.org.models import Cadre, Organization, Post, RoleGrant, Tenure
from dandang.org.roles import Cap
from dandang.org.schemas import (
    CadreCreateIn,
    CadreFilter,
    CadreOut,
    CadrePage,
    CadreUpdateIn,
    ErrorOut,
    OrganizationCreateIn,
    OrganizationFilter,
    OrganizationOut,
    OrganizationPage,
    OrganizationUpdateIn,
    PageIn,
    PostCreateIn,
    PostFilter,
    PostOut,
    PostPage,
    PostUpdateIn,
    RoleGrantCreateIn,
    RoleGrantOut,
    RoleGrantPage,
    RoleGrantUpdateIn,
    TenureCreateIn,
    TenureFilter,
    TenureOut,
    TenurePage,
    TenureUpdateIn,
)

router = Router()

ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request: the body is not JSON (`malformed_json`), not sent as application/json "
    "(`unsupported_content_type`) or too large (`request_too_large`).",
    401: "Not logged in and no valid bearer token (`unauthenticated`); a revoked token is refused.",
    403: "The CSRF check of a session request failed (`csrf_failed`), or the caller's role does not allow "
    "this in this organization (`forbidden`).",
    404: "Absent, or outside the caller's jurisdiction — the two look the same (`not_found`).",
    409: "Conflicts with existing data (`conflict`).",
    422: "A field is not valid (`invalid`); `detail` maps each field to its messages.",
}


def answers(ok: int, schema: type[Schema], *errors: int) -> dict[str, Any]:
    """``response`` and ``openapi_extra`` for an operation answering ``ok`` or one of ``errors``."""
    response: dict[int, Any] = {ok: schema, **dict.fromkeys(errors, ErrorOut)}
    extra = {"responses": {code: {"description": ERROR_DESCRIPTIONS[code]} for code in errors}}
    return {"response": response, "openapi_extra": extra}


# Every operation is authenticated (401); a query or path value can be invalid (422).  Unsafe
# methods also answer a malformed body (400) and a failed CSRF check (403).
LIST = (401, 422)
DETAIL = (401, 404, 422)
WRITE = (400, 401, 403, 404, 422)


def _page(qs: Any, page: PageIn) -> tuple[int, list[Any]]:
    return qs.count(), list(qs[page.offset : page.offset + page.limit])


def _user(request: HttpRequest) -> Any:
    return request.user


def _changes(payload: Schema) -> dict[str, Any]:
    """The fields a PATCH sends; at least one."""
    changes = payload.model_dump(exclude_unset=True)
    if not changes:
        raise ValidationFailed(
            _("Some fields are not valid."), detail={"(request)": [str(_("Send at least one field to change."))]}
        )
    return changes


# --- organizations -------------------------------------------------------------------------


def _org_out(org: Organization) -> dict[str, Any]:
    return {
        "id": org.pk,
        "code": org.code,
        "name": org.name,
        "parent_id": org.parent_id,
        "path": org.path,
        "depth": org.depth,
        "level": org.level,
        "kind": org.kind,
        "staff_size": org.staff_size,
        "sector": org.sector,
    }


@router.get("/organizations", tags=["organizations"], **answers(200, OrganizationPage, *LIST))
def organization_list(request: HttpRequest, filters: Query[OrganizationFilter]) -> Any:
    """Organizations in the caller's jurisdiction, in tree order."""
    qs = selectors.organization_list(_user(request), q=filters.q, parent_id=filters.parent_id)
    count, rows = _page(qs, filters)
    return {"count": count, "items": [_org_out(o) for o in rows]}


@router.get("/organizations/{org_id}", tags=["organizations"], **answers(200, OrganizationOut, *DETAIL))
def organization_detail(request: HttpRequest, org_id: int) -> Any:
    """One organization."""
    return _org_out(selectors.organization_get(_user(request), org_id))


@router.post("/organizations", tags=["organizations"], **answers(201, OrganizationOut, *WRITE, 409))
def organization_create(request: HttpRequest, payload: OrganizationCreateIn) -> Any:
    """Add an organization under a parent in the caller's jurisdiction (organization-department staff).
    409 when the code is taken."""
    viewer = _user(request)
    parent = selectors.organization_get(viewer, payload.parent_id)
    org = services.organization_create(
        actor=viewer,
        code=payload.code,
        name=payload.name,
        parent=parent,
        level=payload.level,
        kind=payload.kind,
        staff_size=payload.staff_size,
        sector=payload.sector,
    )
    return Status(201, _org_out(org))


@router.patch("/organizations/{org_id}", tags=["organizations"], **answers(200, OrganizationOut, *WRITE))
def organization_update(request: HttpRequest, org_id: int, payload: OrganizationUpdateIn) -> Any:
    """Change name, kind, staff size or sector; code, parent and level are fixed."""
    viewer = _user(request)
    org = selectors.organization_get(viewer, org_id)
    return _org_out(services.organization_update(actor=viewer, organization=org, **_changes(payload)))


# --- posts ---------------------------------------------------------------------------------


def _post_out(post: Post) -> dict[str, Any]:
    return {
        "id": post.pk,
        "organization_id": post.organization_id,
        "title": post.title,
        "is_leading": post.is_leading,
        "rank": post.rank,
        "is_hardship": post.is_hardship,
    }


@router.get("/posts", tags=["posts"], **answers(200, PostPage, *LIST))
def post_list(request: HttpRequest, filters: Query[PostFilter]) -> Any:
    """Posts of the organizations in the caller's jurisdiction."""
    qs = selectors.posts_visible(_user(request)).order_by("organization__path", "id")
    if filters.organization_id is not None:
        qs = qs.filter(organization_id=filters.organization_id)
    count, rows = _page(qs, filters)
    return {"count": count, "items": [_post_out(p) for p in rows]}


@router.get("/posts/{post_id}", tags=["posts"], **answers(200, PostOut, *DETAIL))
def post_detail(request: HttpRequest, post_id: int) -> Any:
    """One post."""
    return _post_out(selectors.post_get(_user(request), post_id))


@router.post("/posts", tags=["posts"], **answers(201, PostOut, *WRITE))
def post_create(request: HttpRequest, payload: PostCreateIn) -> Any:
    """Add a post to an organization (organization-department staff)."""
    viewer = _user(request)
    org = selectors.organization_get(viewer, payload.organization_id)
    post = services.post_create(
        actor=viewer,
        organization=org,
        title=payload.title,
        is_leading=payload.is_leading,
        rank=payload.rank,
        is_hardship=payload.is_hardship,
    )
    return Status(201, _post_out(post))


@router.patch("/posts/{post_id}", tags=["posts"], **answers(200, PostOut, *WRITE))
def post_update(request: HttpRequest, post_id: int, payload: PostUpdateIn) -> Any:
    """Change a post's title, rank or flags."""
    viewer = _user(request)
    post = selectors.post_get(viewer, post_id)
    return _post_out(services.post_update(actor=viewer, post=post, **_changes(payload)))


# --- cadres --------------------------------------------------------------------------------


def _cadre_out(viewer: Any, cadre: Cadre) -> dict[str, Any]:
    return {
        "id": cadre.pk,
        "name": cadre.name,
        "name_pinyin": cadre.name_pinyin,
        "name_initials": cadre.name_initials,
        "gender": cadre.gender,
        "birth_date": cadre.birth_date,
        "ethnicity": cadre.ethnicity,
        "education": cadre.education,
        "party_join_date": cadre.party_join_date,
        "id_number": selectors.cadre_id_number_for(viewer, cadre),
        "organization_id": cadre.org_id,
        "post_id": cadre.post_id,
    }


@router.get("/cadres", tags=["cadres"], **answers(200, CadrePage, 401, 404, 422))
def cadre_list(request: HttpRequest, filters: Query[CadreFilter]) -> Any:
    """Cadres in the caller's jurisdiction; search by name, pinyin or pinyin initials ("zwj" finds 张伟军).
    404 when ``organization_id`` is outside the jurisdiction."""
    viewer = _user(request)
    org = selectors.organization_get(viewer, filters.organization_id) if filters.organization_id is not None else None
    qs = selectors.cadre_search(viewer, q=filters.q, organization=org)
    count, rows = _page(qs, filters)
    return {"count": count, "items": [_cadre_out(viewer, c) for c in rows]}


@router.get("/cadres/{cadre_id}", tags=["cadres"], **answers(200, CadreOut, *DETAIL))
def cadre_detail(request: HttpRequest, cadre_id: int) -> Any:
    """One cadre's basic facts (the read is written to the access log)."""
    viewer = _user(request)
    cadre = selectors.cadre_get(viewer, cadre_id)
    access_log_record(viewer=viewer, object_type="cadre", object_id=cadre.pk, what="api")
    return _cadre_out(viewer, cadre)


@router.post("/cadres", tags=["cadres"], **answers(201, CadreOut, *WRITE, 409))
def cadre_create(request: HttpRequest, payload: CadreCreateIn) -> Any:
    """Register a cadre in an organization (organization-department staff).  409 when the national ID
    number is already registered."""
    viewer = _user(request)
    org = selectors.organization_get(viewer, payload.organization_id)
    cadre = services.cadre_create(
        actor=viewer,
        name=payload.name,
        gender=payload.gender,
        birth_date=payload.birth_date,
        ethnicity=payload.ethnicity,
        education=payload.education,
        id_number=payload.id_number,
        organization=org,
        party_join_date=payload.party_join_date,
    )
    return Status(201, _cadre_out(viewer, cadre))


@router.patch("/cadres/{cadre_id}", tags=["cadres"], **answers(200, CadreOut, *WRITE, 409))
def cadre_update(request: HttpRequest, cadre_id: int, payload: CadreUpdateIn) -> Any:
    """Correct a cadre's facts.  409 when the new national ID number belongs to another cadre."""
    viewer = _user(request)
    cadre = selectors.cadre_get(viewer, cadre_id)
    return _cadre_out(viewer, services.cadre_update(actor=viewer, cadre=cadre, **_changes(payload)))


# --- tenures -------------------------------------------------------------------------------


def _tenure_out(t: Tenure) -> dict[str, Any]:
    return {
        "id": t.pk,
        "cadre_id": t.cadre_id,
        "post_id": t.post_id,
        "organization_id": t.post.organization_id,
        "start": t.start,
        "end": t.end,
        "start_reason": t.start_reason,
        "end_reason": t.end_reason or None,
    }


@router.get("/tenures", tags=["tenures"], **answers(200, TenurePage, *LIST))
def tenure_list(request: HttpRequest, filters: Query[TenureFilter]) -> Any:
    """Tenures of the cadres in the caller's jurisdiction — each one's whole career."""
    qs = selectors.tenures_visible(_user(request)).order_by("cadre_id", "start", "id")
    if filters.cadre_id is not None:
        qs = qs.filter(cadre_id=filters.cadre_id)
    count, rows = _page(qs, filters)
    return {"count": count, "items": [_tenure_out(t) for t in rows]}


@router.get("/tenures/{tenure_id}", tags=["tenures"], **answers(200, TenureOut, *DETAIL))
def tenure_detail(request: HttpRequest, tenure_id: int) -> Any:
    """One tenure."""
    return _tenure_out(selectors.tenure_get(_user(request), tenure_id))


@router.post("/tenures", tags=["tenures"], **answers(201, TenureOut, *WRITE, 409))
def tenure_create(request: HttpRequest, payload: TenureCreateIn) -> Any:
    """The cadre takes a post (organization-department staff of both the cadre's and the post's
    organization).  409 when the cadre already holds the post."""
    viewer = _user(request)
    cadre = selectors.cadre_get(viewer, payload.cadre_id)
    post = selectors.post_get(viewer, payload.post_id)
    tenure = services.tenure_start(
        actor=viewer,
        cadre=cadre,
        post=post,
        start=payload.start,
        reason=payload.reason,
        end_previous=payload.end_previous,
    )
    return Status(201, _tenure_out(tenure))


@router.patch("/tenures/{tenure_id}", tags=["tenures"], **answers(200, TenureOut, *WRITE))
def tenure_update(request: HttpRequest, tenure_id: int, payload: TenureUpdateIn) -> Any:
    """Correct a tenure's dates or reasons, for example to close it on retirement."""
    viewer = _user(request)
    tenure = selectors.tenure_get(viewer, tenure_id)
    return _tenure_out(services.tenure_update(actor=viewer, tenure=tenure, **_changes(payload)))


# --- role grants ---------------------------------------------------------------------------


def _grant_out(g: RoleGrant) -> dict[str, Any]:
    return {
        "id": g.pk,
        "username": g.user.username,
        "role": g.role,
        "organization_id": g.organization_id,
        "include_descendants": g.include_descendants,
        "revoked": g.revoked_at is not None,
    }


@router.get("/role-grants", tags=["role grants"], **answers(200, RoleGrantPage, *LIST))
def role_grant_list(request: HttpRequest, filters: Query[PageIn]) -> Any:
    """Role grants over organizations in the caller's jurisdiction (staff, security administrators,
    auditors)."""
    qs = selectors.grants_visible(_user(request)).order_by("organization__path", "id")
    count, rows = _page(qs, filters)
    return {"count": count, "items": [_grant_out(g) for g in rows]}


@router.get("/role-grants/{grant_id}", tags=["role grants"], **answers(200, RoleGrantOut, *DETAIL))
def role_grant_detail(request: HttpRequest, grant_id: int) -> Any:
    """One role grant."""
    return _grant_out(selectors.grant_get(_user(request), grant_id))


@router.post("/role-grants", tags=["role grants"], **answers(201, RoleGrantOut, *WRITE, 409))
def role_grant_create(request: HttpRequest, payload: RoleGrantCreateIn) -> Any:
    """Grant a role over an organization.  409 when the user already holds it there."""
    viewer = _user(request)
    org = selectors.organization_get(viewer, payload.organization_id)
    # Checked before the user is looked up, so that a caller who may not grant cannot probe usernames.
    selectors.require_capability(viewer, Cap.GRANT_WRITE, org)
    user = selectors.user_by_username(payload.username)
    grant = services.role_grant_create(
        actor=viewer, user=user, role=payload.role, organization=org, include_descendants=payload.include_descendants
    )
    return Status(201, _grant_out(grant))


@router.patch("/role-grants/{grant_id}", tags=["role grants"], **answers(200, RoleGrantOut, *WRITE, 409))
def role_grant_update(request: HttpRequest, grant_id: int, payload: RoleGrantUpdateIn) -> Any:
    """Widen or narrow a grant, or revoke it.  409 when it is already revoked."""
    viewer = _user(request)
    grant = selectors.grant_get(viewer, grant_id)
    if payload.include_descendants is None and not payload.revoke:
        _changes(payload)  # nothing to change: 422
    updated = services.role_grant_update(
        actor=viewer, grant=grant, include_descendants=payload.include_descendants, revoke=payload.revoke
    )
    return _grant_out(updated)
