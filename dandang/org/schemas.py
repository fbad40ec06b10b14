"""API schemas of the org app: one input and one output schema per operation.

Input schemas forbid unknown fields, so that a misspelt field in a PATCH is a 422 rather than a
silent no-op.  Choice fields use the models' choices, so that the OpenAPI document lists the
allowed values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from dandang.org.models import Cadre, Organization, Tenure
from dandang.org.roles import Role


class TextIn(Schema):
    """Input whose text may not contain the NUL character: PostgreSQL cannot store it (or compare
    with it), and Django's forms refuse it too (``ProhibitNullCharactersValidator``)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise PydanticCustomError("string_nul", "Text may not contain the NUL character.")
        return value


class InSchema(TextIn):
    model_config = ConfigDict(extra="forbid")


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def unset(**kwargs: Any) -> Any:
    """A PATCH field: absent means unchanged; an explicit null is refused (422) by its type."""
    return Field(default=None, json_schema_extra=_drop_default, **kwargs)


class ErrorOut(Schema):
    """Every error of the API has this shape."""

    code: str = Field(
        description="Stable machine-readable code: malformed_json, unsupported_content_type, request_too_large, "
        "unauthenticated, csrf_failed, forbidden, not_found, conflict, invalid."
    )
    message: str = Field(description="A sentence for people, in the caller's language (Accept-Language).")
    detail: Any = Field(default=None, description="For `invalid`: an object mapping each field to its messages.")


class PageIn(TextIn):
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=10_000_000)


# --- organizations -------------------------------------------------------------------------


class OrganizationOut(Schema):
    id: int
    code: str
    name: str
    parent_id: int | None
    path: str
    depth: int
    level: Organization.Level
    kind: Organization.Kind
    staff_size: int
    sector: str


class OrganizationFilter(PageIn):
    q: str = Field(default="", max_length=100, description="Part of the name, or the start of the code.")
    parent_id: int | None = None


class OrganizationPage(Schema):
    count: int
    items: list[OrganizationOut]


class OrganizationCreateIn(InSchema):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    parent_id: int
    level: Organization.Level
    kind: Organization.Kind
    staff_size: int = Field(default=0, ge=0, le=2_000_000_000)
    sector: str = Field(default="", max_length=64)


class OrganizationUpdateIn(InSchema):
    name: str = unset(min_length=1, max_length=100)
    kind: Organization.Kind = unset()
    staff_size: int = unset(ge=0, le=2_000_000_000)
    sector: str = unset(max_length=64)


# --- posts ---------------------------------------------------------------------------------


class PostOut(Schema):
    id: int
    organization_id: int
    title: str
    is_leading: bool
    rank: str
    is_hardship: bool


class PostFilter(PageIn):
    organization_id: int | None = None


class PostPage(Schema):
    count: int
    items: list[PostOut]


class PostCreateIn(InSchema):
    organization_id: int
    title: str = Field(min_length=1, max_length=100)
    is_leading: bool = False
    rank: str = Field(default="", max_length=64)
    is_hardship: bool = False


class PostUpdateIn(InSchema):
    title: str = unset(min_length=1, max_length=100)
    is_leading: bool = unset()
    rank: str = unset(max_length=64)
    is_hardship: bool = unset()


# --- cadres --------------------------------------------------------------------------------


class CadreOut(Schema):
    id: int
    name: str
    name_pinyin: str
    name_initials: str
    gender: Cadre.Gender
    birth_date: dt.date
    ethnicity: str
    education: Cadre.Education
    party_join_date: dt.date | None
    id_number: str = Field(
        description="Masked (330102********1234) unless the caller is organization-department staff."
    )
    organization_id: int
    post_id: int | None


class CadreFilter(PageIn):
    q: str = Field(default="", max_length=50, description="Name, pinyin or pinyin initials.")
    organization_id: int | None = Field(
        default=None, description="Only cadres in this organization and beneath it (404 when outside)."
    )


class CadrePage(Schema):
    count: int
    items: list[CadreOut]


class CadreCreateIn(InSchema):
    name: str = Field(min_length=1, max_length=50)
    gender: Cadre.Gender
    birth_date: dt.date
    ethnicity: str = Field(min_length=1, max_length=32)
    education: Cadre.Education
    id_number: str = Field(min_length=1, max_length=18, description="GB 11643: 17 digits and a check character.")
    organization_id: int
    party_join_date: dt.date | None = None


class CadreUpdateIn(InSchema):
    name: str = unset(min_length=1, max_length=50)
    gender: Cadre.Gender = unset()
    birth_date: dt.date = unset()
    ethnicity: str = unset(min_length=1, max_length=32)
    education: Cadre.Education = unset()
    id_number: str = unset(min_length=1, max_length=18)
    party_join_date: dt.date | None = Field(default=None, description="null clears it.")


# --- tenures -------------------------------------------------------------------------------


class TenureOut(Schema):
    id: int
    cadre_id: int
    post_id: int
    organization_id: int
    start: dt.date
    end: dt.date | None
    start_reason: Tenure.Reason
    end_reason: Tenure.Reason | None = Field(description="null while the tenure is open.")


class TenureFilter(PageIn):
    cadre_id: int | None = None


class TenurePage(Schema):
    count: int
    items: list[TenureOut]


class TenureCreateIn(InSchema):
    cadre_id: int
    post_id: int
    start: dt.date
    reason: Tenure.Reason
    end_previous: bool = Field(default=True, description="End the cadre's open tenures the day before (a transfer).")


class TenureUpdateIn(InSchema):
    start: dt.date = unset()
    end: dt.date | None = Field(default=None, description="null reopens the tenure.")
    start_reason: Tenure.Reason = unset()
    end_reason: Tenure.Reason = unset(description="Required when the tenure ends.")


# --- role grants ---------------------------------------------------------------------------


class RoleGrantOut(Schema):
    id: int
    username: str
    role: Role
    organization_id: int
    include_descendants: bool
    revoked: bool


class RoleGrantPage(Schema):
    count: int
    items: list[RoleGrantOut]


class RoleGrantCreateIn(InSchema):
    username: str = Field(min_length=1, max_length=150)
    role: Role
    organization_id: int
    include_descendants: bool = True


class RoleGrantUpdateIn(InSchema):
    include_descendants: bool | None = None
    revoke: bool = Field(default=False, description="Revoke the grant (it is kept, never deleted).")
