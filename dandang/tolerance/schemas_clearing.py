"""API schemas of name clearing (澄清正名): one input and one output schema per operation.

As in :mod:`dandang.archive.schemas`: input schemas forbid unknown fields and refuse the NUL
character.  Codes (finding, triggers, exclusions, scope, grounds) are plain strings checked by the
services, so that "unproven" is answered with the rule it breaks, not a bare enum error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from dandang.org.schemas import InSchema, PageIn
from dandang.tolerance.models_clearing import (
    ClearingStatus,
    Exclusion,
    Finding,
    PublicationScope,
    RefusalGround,
    Trigger,
)

VERSION_DESCRIPTION = "The case's version as last read; another is answered 409 (someone changed it meanwhile)."


def version_field() -> Any:
    return Field(ge=1, le=2_000_000_000, description=VERSION_DESCRIPTION)


def _codes(choices: Any) -> str:
    return ", ".join(f"`{value}`" for value in choices.values)


class CodeLabel(Schema):
    code: str
    label: str = Field(description="In the caller's language.")


class ClearingCaseOut(Schema):
    id: int
    cadre_id: int
    cadre_name: str
    allegation: str = Field(description="The one allegation the case clears.")
    report_reference: str
    report_received_on: dt.date | None
    triggers: list[CodeLabel]
    trigger_note: str
    status: ClearingStatus
    status_label: str
    version: int
    opened_by: str | None = Field(description="Username of the proposer.")
    opened_at: dt.datetime
    finding: CodeLabel | None
    verification_summary: str
    verified_on: dt.date | None
    verified_by: str | None
    verifying_body_id: int | None = Field(description="The body that verified: only it clears (谁核实、谁澄清).")
    verifying_body_name: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    publication_scope: CodeLabel | None
    published_on: dt.date | None
    refusal_grounds: list[CodeLabel]
    decision_note: str


class ClearingCasePage(Schema):
    count: int
    items: list[ClearingCaseOut]


class ClearingCaseFilter(PageIn):
    cadre_id: int | None = Field(default=None, description="Only this cadre's cases (404 when outside).")
    status: ClearingStatus | None = None
    q: str = Field(default="", max_length=100, description="Cadre name or pinyin, allegation or report reference.")


class ClearingOpenIn(InSchema):
    cadre_id: int
    allegation: str = Field(max_length=2000, description="The one specific allegation to clear.")
    report_reference: str = Field(max_length=100, description="The reference of the report (信访举报件).")
    report_received_on: dt.date | None = None
    triggers: list[str] = Field(max_length=10, description=f"At least one of {_codes(Trigger)}.")
    trigger_note: str = Field(default="", max_length=2000)
    exclusions: list[str] = Field(
        default=[], max_length=10, description=f"Any of {_codes(Exclusion)} refuses the case (422)."
    )


class ClearingVerifyIn(InSchema):
    version: int = version_field()
    finding: str = Field(
        max_length=32,
        description=f"One of {_codes(Finding)}; only seriously_untrue, untrue, fabricated or false qualify "
        "(`unproven` and `substantiated` are answered 422 with the rule).",
    )
    summary: str = Field(max_length=5000, description="What the verification did and found.")
    verified_on: dt.date
    exclusions: list[str] = Field(default=[], max_length=10, description=f"Any of {_codes(Exclusion)} refuses (422).")


class ClearingClearIn(InSchema):
    version: int = version_field()
    publication_scope: str = Field(max_length=32, description=f"One of {_codes(PublicationScope)}.")
    published_on: dt.date
    note: str = Field(default="", max_length=2000)


class ClearingRefuseIn(InSchema):
    version: int = version_field()
    grounds: list[str] = Field(max_length=10, description=f"At least one of {_codes(RefusalGround)}.")
    note: str = Field(max_length=2000, description="Why — required.")


class ClearedAllegationOut(Schema):
    id: int
    allegation: str
    report_reference: str
    finding: CodeLabel
    publication_scope: CodeLabel
    published_on: dt.date | None
    verifying_body_name: str | None


class ClearedAllegationPage(Schema):
    count: int
    items: list[ClearedAllegationOut]
