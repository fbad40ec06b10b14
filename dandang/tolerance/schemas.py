"""API schemas of tolerance cases: one input and one output schema per operation (as in
:mod:`dandang.archive.schemas`: inputs forbid unknown fields and refuse the NUL character)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from dandang.org.schemas import InSchema, PageIn
from dandang.tolerance.models import CaseStatus, MatterType, Origin, Outcome

VERSION_DESCRIPTION = "The case's version as last read; another is answered 409 (someone changed it meanwhile)."


def version_field() -> Any:
    return Field(ge=1, le=2_000_000_000, description=VERSION_DESCRIPTION)


class CorrectionItemOut(Schema):
    id: int
    owner: str
    task: str
    deadline: dt.date
    done_on: dt.date | None
    done_note: str
    overdue: bool = Field(description="Not done and past its deadline.")


class FollowUpVisitOut(Schema):
    id: int
    visited_on: dt.date
    visitors: str
    notes: str


class RecommendationOut(Schema):
    outcome: Outcome
    fired: list[str]
    explanation: str = Field(description="Why, in the caller's language.")
    rulebook: str
    rulebook_version: int
    decision_id: int


class CaseOut(Schema):
    id: int
    cadre_id: int
    cadre_name: str
    organization_id: int = Field(description="The cadre's current organization (the case follows the cadre).")
    origin: Origin
    matter_type: MatterType
    matter_id: str
    matter: str
    matter_date: dt.date
    decision_reference: str
    decision_date: dt.date | None
    status: CaseStatus
    version: int
    due_date: dt.date | None = Field(description="When the step the case waits for is due; null when none.")
    due_provisional: bool = Field(description="The due date lies beyond the holiday table: weekends only.")
    overdue: bool
    opened_on: dt.date
    recommended_outcome: Outcome | None
    outcome: Outcome | None = Field(description="The determination, once made.")
    decided_on: dt.date | None
    departs_from_recommendation: bool
    exemption_notice_url: str | None = Field(description="The exemption notice (免责通报) PDF, for an exemption.")


class CaseDetailOut(CaseOut):
    statement: str
    acceptance_note: str
    extension_reason: str
    proposal_note: str
    departure_reason: str
    determination_note: str
    closing_note: str
    case_document: dict[str, Any] | None = Field(description="The facts, item and narrative as proposed.")
    recommendation: RecommendationOut | None
    proposed_by: str | None
    decided_by: str | None
    correction_items: list[CorrectionItemOut]
    follow_up_visits: list[FollowUpVisitOut]
    actions: list[str] = Field(description="The steps the caller may take now.")


class CasePage(Schema):
    count: int
    items: list[CaseOut]


class CaseFilter(PageIn):
    cadre_id: int | None = Field(default=None, description="Only this cadre's cases (404 when outside).")
    organization_id: int | None = Field(default=None, description="Cadres now in this organization and beneath it.")
    status: CaseStatus | None = None
    origin: Origin | None = None
    outcome: Outcome | None = None
    overdue: bool = Field(default=False, description="Only open cases whose step is overdue.")


class ApplyIn(InSchema):
    cadre_id: int = Field(description="The caller's own cadre record: a cadre applies for themself.")
    matter: str = Field(min_length=1, max_length=2000, description="What happened and what the decision holds.")
    matter_date: dt.date = Field(description="When the matter happened.")
    decision_reference: str = Field(default="", max_length=100, description="The decision's reference (文号).")
    decision_date: dt.date = Field(description="The decision's date; the application is due within one month.")
    statement: str = Field(min_length=1, max_length=5000, description="Why the error should be tolerated.")


class ReviewOpenIn(InSchema):
    cadre_id: int
    matter_type: MatterType = MatterType.ACCOUNTABILITY_CASE
    matter_id: str = Field(default="", max_length=64, description="The matter's id in its own capability.")
    matter: str = Field(min_length=1, max_length=2000)
    matter_date: dt.date
    decision_reference: str = Field(default="", max_length=100)
    decision_date: dt.date | None = None


class VersionNoteIn(InSchema):
    version: int = version_field()
    note: str = Field(default="", max_length=2000)


class RefuseIn(InSchema):
    version: int = version_field()
    note: str = Field(min_length=1, max_length=2000, description="Why not: the applicant reads it.")


class ExtendIn(InSchema):
    version: int = version_field()
    reason: str = Field(min_length=1, max_length=2000)


class ProposeIn(InSchema):
    version: int = version_field()
    facts: dict[str, Any] = Field(
        description="The thirteen case facts and `extra` (see `manage.py evaluate tolerance`), strictly typed."
    )
    industry_item: str | None = Field(default=None, max_length=40, description="The code of the list item invoked.")
    narrative: dict[str, Any] = Field(
        description="The five judging factors, all required: motivation_attitude, objective_conditions, "
        "procedure_method, nature_degree, consequences_recovery."
    )
    report: str = Field(min_length=1, max_length=5000, description="The investigation report.")


class DetermineIn(InSchema):
    version: int = version_field()
    outcome: Outcome
    reason: str = Field(
        default="", max_length=5000, description="Required when the outcome departs from the recommendation."
    )
    note: str = Field(default="", max_length=5000)


class CorrectionItemIn(InSchema):
    owner: str = Field(min_length=1, max_length=100)
    task: str = Field(min_length=1, max_length=2000)
    deadline: dt.date


class CorrectionDoneIn(InSchema):
    done_on: dt.date
    note: str = Field(default="", max_length=2000)


class FollowUpVisitIn(InSchema):
    visited_on: dt.date
    visitors: str = Field(min_length=1, max_length=200)
    notes: str = Field(min_length=1, max_length=5000)
