"""API of the org app: thin — fetch through a selector, call a service, serialise."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from dandang.org import selectors, services
from dandang.org.models import Cadre, Organization, Post, RoleGrant, Tenure
from dandang.org.schemas import (
    CadreCreateIn,
    CadreOut,
    CadreUpdateIn,
    ErrorOut,
    OrganizationCreateIn,
    OrganizationOut,
    OrganizationUpdateIn,
    PostCreateIn,
    PostOut,
    PostUpdateIn,
    RoleGrantCreateIn,
    RoleGrantOut,
    RoleGrantUpdateIn,
    TenureCreateIn,
    TenureOut,
    TenureUpdateIn,
)

router = Router()

READ_ERRORS: dict[int, Any] = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
LIST_ERRORS: dict[int, Any] = {401: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


class PageIn(Schema):
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=10_000_000)


class OrganizationFilter(PageIn):
    q: str = Field(default="", max_length=100)
    parent_id: int | None = None


class CadreFilter(PageIn):
    q: str = Field(default="", max_length=50, description="Name, pinyin or pinyin initials.")
    organization_id: int | None = None


class TenureFilter(PageIn):
    cadre_id: int | None = None


class OrganizationPage(Schema):
    count: int
    items: list[OrganizationOut]


class PostPage(Schema):
    count: int
    items: list[PostOut]


class CadrePage(Schema):
    count: int
    items: list[CadreOut]


class TenurePage(Schema):
    count: int
    items: list[TenureOut]


class RoleGrantPage(Schema):
    count: int
    items: list[RoleGrantOut]


def _page(qs: Any, page: PageIn) -> tuple[int, list[Any]]:
    return qs.count(), list(qs[page.offset : page.offset + page.limit])


def _user(request: HttpRequest) -> Any:
    return request.user


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


@router.get("/organizations", response={200: OrganizationPage, **LIST_ERRORS}, tags=["organizations"])
def organization_list(request: HttpRequest, filters: Query[OrganizationFilter]) -> Any:
    qs = selectors.organization_list(_user(request), q=filters.q, parent_id=filters.parent_id)
    count, rows = _page(qs, filters)
    return {"count": count, "items": [_org_out(o) for o in rows]}


@router.get("/organizations/{org_id}", response={200: OrganizationOut, **READ_ERRORS}, tags=["organizations"])
def organization_detail(request: HttpRequest, org_id: int) -> Any:
    return _org_out(selectors.organization_get(_user(request), org_id))


@router.post("/organizations", response={201: OrganizationOut, **WRITE_ERRORS}, tags=["organizations"])
def organization_create(request: HttpRequest, payload: OrganizationCreateIn) -> Any:
    parent = selectors.organization_get(_user(request), payload.parent_id)
    org = services.organization_create(
        actor=_user(request),
        code=payload.code,
        name=payload.name,
        parent=parent,
        level=payload.level,
        kind=payload.kind,
        staff_size=payload.staff_size,
        sector=payload.sector,
    )
    return 201, _org_out(org)


@router.patch("/organizations/{org_id}", response={200: OrganizationOut, **WRITE_ERRORS}, tags=["organizations"])
def organization_update(request: HttpRequest, org_id: int, payload: OrganizationUpdateIn) -> Any:
    org = selectors.organization_get(_user(request), org_id)
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    return _org_out(services.organization_update(actor=_user(request), organization=org, **changes))


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


class PostFilter(PageIn):
    organization_id: int | None = None


@router.get("/posts", response={200: PostPage, **LIST_ERRORS}, tags=["posts"])
def post_list(request: HttpRequest, filters: Query[PostFilter]) -> Any:
    qs = selectors.posts_visible(_user(request)).order_by("organization__path", "id")
    if filters.organization_id is not None:
        qs = qs.filter(organization_id=filters.organization_id)
    count, rows = _page(qs, filters)
    return {"count": count, "items": [_post_out(p) for p in rows]}


@router.get("/posts/{post_id}", response={200: PostOut, **READ_ERRORS}, tags=["posts"])
def post_detail(request: HttpRequest, post_id: int) -> Any:
    return _post_out(selectors.post_get(_user(request), post_id))


@router.post("/posts", response={201: PostOut, **WRITE_ERRORS}, tags=["posts"])
def post_create(request: HttpRequest, payload: PostCreateIn) -> Any:
    org = selectors.organization_get(_user(request), payload.organization_id)
    post = services.post_create(
        actor=_user(request),
        organization=org,
        title=payload.title,
        is_leading=payload.is_leading,
        rank=payload.rank,
        is_hardship=payload.is_hardship,
    )
    return 201, _post_out(post)


@router.patch("/posts/{post_id}", response={200: PostOut, **WRITE_ERRORS}, tags=["posts"])
def post_update(request: HttpRequest, post_id: int, payload: PostUpdateIn) -> Any:
    post = selectors.post_get(_user(request), post_id)
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    return _post_out(services.post_update(actor=_user(request), post=post, **changes))


# --- cadres --------------------------------------------------------------------------------


def _cadre_out(viewer: Any, cadre: Cadre, *, show_id: bool | None = None) -> dict[str, Any]:
    if show_id is None:
        show_id = selectors.can_view_id_number(viewer, cadre)
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
        "id_number": cadre.id_number if show_id else selectors.mask_id_number(cadre.id_number),
        "organization_id": cadre.org_id,
        "post_id": cadre.post_id,
    }


@router.get("/cadres", response={200: CadrePage, **LIST_ERRORS}, tags=["cadres"])
def cadre_list(request: HttpRequest, filters: Query[CadreFilter]) -> Any:
    viewer = _user(request)
    org = selectors.organization_get(viewer, filters.organization_id) if filters.organization_id else None
    qs = selectors.cadre_search(viewer, q=filters.q, organization=org)
    count, rows = _page(qs, filters)
    return {"count": count, "items": [_cadre_out(viewer, c) for c in rows]}


@router.get("/cadres/{cadre_id}", response={200: CadreOut, **READ_ERRORS}, tags=["cadres"])
def cadre_detail(request: HttpRequest, cadre_id: int) -> Any:
    viewer = _user(request)
    return _cadre_out(viewer, selectors.cadre_get(viewer, cadre_id))


@router.post("/cadres", response={201: CadreOut, **WRITE_ERRORS}, tags=["cadres"])
def cadre_create(request: HttpRequest, payload: CadreCreateIn) -> Any:
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
    return 201, _cadre_out(viewer, cadre)


@router.patch("/cadres/{cadre_id}", response={200: CadreOut, **WRITE_ERRORS}, tags=["cadres"])
def cadre_update(request: HttpRequest, cadre_id: int, payload: CadreUpdateIn) -> Any:
    viewer = _user(request)
    cadre = selectors.cadre_get(viewer, cadre_id)
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    return _cadre_out(viewer, services.cadre_update(actor=viewer, cadre=cadre, **changes))


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
        "end_reason": t.end_reason,
    }


@router.get("/tenures", response={200: TenurePage, **LIST_ERRORS}, tags=["tenures"])
def tenure_list(request: HttpRequest, filters: Query[TenureFilter]) -> Any:
    qs = selectors.tenures_visible(_user(request)).order_by("cadre_id", "start", "id")
    if filters.cadre_id is not None:
        qs = qs.filter(cadre_id=filters.cadre_id)
    count, rows = _page(qs, filters)
    return {"count": count, "items": [_tenure_out(t) for t in rows]}


@router.get("/tenures/{tenure_id}", response={200: TenureOut, **READ_ERRORS}, tags=["tenures"])
def tenure_detail(request: HttpRequest, tenure_id: int) -> Any:
    return _tenure_out(selectors.tenure_get(_user(request), tenure_id))


@router.post("/tenures", response={201: TenureOut, **WRITE_ERRORS}, tags=["tenures"])
def tenure_create(request: HttpRequest, payload: TenureCreateIn) -> Any:
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
    return 201, _tenure_out(tenure)


@router.patch("/tenures/{tenure_id}", response={200: TenureOut, **WRITE_ERRORS}, tags=["tenures"])
def tenure_update(request: HttpRequest, tenure_id: int, payload: TenureUpdateIn) -> Any:
    viewer = _user(request)
    tenure = selectors.tenure_get(viewer, tenure_id)
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    return _tenure_out(services.tenure_update(actor=viewer, tenure=tenure, **changes))


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


@router.get("/role-grants", response={200: RoleGrantPage, **LIST_ERRORS}, tags=["role grants"])
def role_grant_list(request: HttpRequest, filters: Query[PageIn]) -> Any:
    qs = selectors.grants_visible(_user(request)).order_by("organization__path", "id")
    count, rows = _page(qs, filters)
    return {"count": count, "items": [_grant_out(g) for g in rows]}


@router.get("/role-grants/{grant_id}", response={200: RoleGrantOut, **READ_ERRORS}, tags=["role grants"])
def role_grant_detail(request: HttpRequest, grant_id: int) -> Any:
    return _grant_out(selectors.grant_get(_user(request), grant_id))


@router.post("/role-grants", response={201: RoleGrantOut, **WRITE_ERRORS}, tags=["role grants"])
def role_grant_create(request: HttpRequest, payload: RoleGrantCreateIn) -> Any:
    viewer = _user(request)
    org = selectors.organization_get(viewer, payload.organization_id)
    user = selectors.user_by_username(payload.username)
    grant = services.role_grant_create(
        actor=viewer, user=user, role=payload.role, organization=org, include_descendants=payload.include_descendants
    )
    return 201, _grant_out(grant)


@router.patch("/role-grants/{grant_id}", response={200: RoleGrantOut, **WRITE_ERRORS}, tags=["role grants"])
def role_grant_update(request: HttpRequest, grant_id: int, payload: RoleGrantUpdateIn) -> Any:
    viewer = _user(request)
    grant = selectors.grant_get(viewer, grant_id)
    updated = services.role_grant_update(
        actor=viewer, grant=grant, include_descendants=payload.include_descendants, revoke=payload.revoke
    )
    return _grant_out(updated)
