"""API schemas of the org app: one input and one output schema per operation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field


class ErrorOut(Schema):
    code: str
    message: str
    detail: Any = None


class OrganizationOut(Schema):
    id: int
    code: str
    name: str
    parent_id: int | None
    path: str
    depth: int
    level: str
    kind: str
    staff_size: int
    sector: str


class OrganizationCreateIn(Schema):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    parent_id: int
    level: str
    kind: str
    staff_size: int = Field(default=0, ge=0)
    sector: str = Field(default="", max_length=64)


class OrganizationUpdateIn(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    kind: str | None = None
    staff_size: int | None = Field(default=None, ge=0)
    sector: str | None = Field(default=None, max_length=64)


class PostOut(Schema):
    id: int
    organization_id: int
    title: str
    is_leading: bool
    rank: str
    is_hardship: bool


class PostCreateIn(Schema):
    organization_id: int
    title: str = Field(min_length=1, max_length=100)
    is_leading: bool = False
    rank: str = Field(default="", max_length=64)
    is_hardship: bool = False


class PostUpdateIn(Schema):
    title: str | None = Field(default=None, min_length=1, max_length=100)
    is_leading: bool | None = None
    rank: str | None = Field(default=None, max_length=64)
    is_hardship: bool | None = None


class CadreOut(Schema):
    id: int
    name: str
    name_pinyin: str
    name_initials: str
    gender: str
    birth_date: dt.date
    ethnicity: str
    education: str
    party_join_date: dt.date | None
    id_number: str = Field(
        description="Masked (330102********1234) unless the caller is organization-department staff."
    )
    organization_id: int
    post_id: int | None


class CadreCreateIn(Schema):
    name: str = Field(min_length=1, max_length=50)
    gender: str
    birth_date: dt.date
    ethnicity: str = Field(min_length=1, max_length=32)
    education: str
    id_number: str = Field(min_length=1, max_length=18)
    organization_id: int
    party_join_date: dt.date | None = None


class CadreUpdateIn(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=50)
    gender: str | None = None
    birth_date: dt.date | None = None
    ethnicity: str | None = Field(default=None, min_length=1, max_length=32)
    education: str | None = None
    id_number: str | None = Field(default=None, min_length=1, max_length=18)
    party_join_date: dt.date | None = None


class TenureOut(Schema):
    id: int
    cadre_id: int
    post_id: int
    organization_id: int
    start: dt.date
    end: dt.date | None
    start_reason: str
    end_reason: str


class TenureCreateIn(Schema):
    cadre_id: int
    post_id: int
    start: dt.date
    reason: str
    end_previous: bool = True


class TenureUpdateIn(Schema):
    start: dt.date | None = None
    end: dt.date | None = None
    start_reason: str | None = None
    end_reason: str | None = None


class RoleGrantOut(Schema):
    id: int
    username: str
    role: str
    organization_id: int
    include_descendants: bool
    revoked: bool


class RoleGrantCreateIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    role: str
    organization_id: int
    include_descendants: bool = True


class RoleGrantUpdateIn(Schema):
    include_descendants: bool | None = None
    revoke: bool = False
