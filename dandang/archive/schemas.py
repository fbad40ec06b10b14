"""API schemas of the performance archive: one input and one output schema per operation.

As in :mod:`dandang.org.schemas`: input schemas forbid unknown fields and refuse the NUL
character; choice fields use the models' choices.  Decimal numbers are answered as text ("12.50"),
so that no precision is lost on the way.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from dandang.archive.models import Category, Difficulty, Method, Polarity
from dandang.archive.models import Status as EntryStatus
from dandang.org.schemas import InSchema, PageIn, TextIn, unset

# The guard's flag codes (dandang.archive.formalism.FLAG_CODES; a test keeps the two equal).
FlagCode = Literal["process_trace", "no_evidence", "no_metric", "near_duplicate", "over_claimed", "shared_evidence"]

VERSION_DESCRIPTION = "The entry's version as last read; another is answered 409 (someone changed it meanwhile)."


def version_field() -> Any:
    return Field(ge=1, le=2_000_000_000, description=VERSION_DESCRIPTION)


# --- entries -------------------------------------------------------------------------------


class ReviewScoresOut(Schema):
    completion: int
    authenticity: int
    difficulty: int
    contribution: int


class FlagOut(Schema):
    code: FlagCode
    reason: str = Field(description="Why the guard raised it, in the caller's language.")
    params: dict[str, Any] = Field(description="The facts behind the reason: kinds, entry ids, totals.")


class MetricOut(Schema):
    indicator: str
    unit: str
    baseline: str | None
    target: str | None
    actual: str | None


class EvidenceOut(Schema):
    id: int
    entry_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    kind: str = Field(description="The kind the author declared (see GET /api/v1/archive/evidence-kinds).")
    confirmed_kind: str | None = Field(description="The kind the verifier confirmed or corrected it to; null before.")
    source: str
    dated: dt.date | None
    uploaded_at: dt.datetime
    download_url: str


class EntryOut(Schema):
    id: int
    cadre_id: int
    cadre_name: str
    organization_id: int = Field(description="Where the cadre served on the entry's date.")
    post_id: int | None
    post_title: str
    occurred_on: dt.date
    year: int
    quarter: int
    category: Category
    title: str
    description: str
    polarity: Polarity
    task_id: int | None
    share_percent: str | None = Field(description="The cadre's share of the task in percent; null: all of it.")
    difficulty: Difficulty
    status: EntryStatus
    version: int
    author: str = Field(description="Username of the person who recorded the entry.")
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    decided_by: str | None = Field(description="Username of the verifier who last decided, or who revoked it.")
    decided_at: dt.datetime | None
    decision_note: str
    method: Method | None
    scores: ReviewScoresOut | None = Field(description="The four review scores, once verified.")
    counted_value: str | None = Field(description="What the entry counts in the score once verified (0 when zeroed).")
    flags: list[FlagOut] | None = Field(
        description="The formalism guard's flags; null when the caller may not see them (only verifiers and "
        "organization-department staff may)."
    )


class EntryDetailOut(EntryOut):
    metrics: list[MetricOut]
    evidence: list[EvidenceOut]


class EntryPage(Schema):
    count: int
    items: list[EntryOut]


class EntryFilter(PageIn):
    cadre_id: int | None = Field(default=None, description="Only this cadre's entries (404 when outside).")
    organization_id: int | None = Field(
        default=None, description="Only cadres now in this organization and beneath it (404 when outside)."
    )
    year: int | None = Field(default=None, ge=1900, le=2200)
    quarter: int | None = Field(default=None, ge=1, le=4)
    category: Category | None = None
    polarity: Polarity | None = None
    status: EntryStatus | None = None
    flag: FlagCode | None = Field(
        default=None, description="Only entries with this flag (no entry for callers who may not see flags)."
    )


class MetricIn(InSchema):
    indicator: str = Field(min_length=1, max_length=200)
    unit: str = Field(min_length=1, max_length=32)
    baseline: Decimal | None = Field(default=None, max_digits=18, decimal_places=4)
    target: Decimal | None = Field(default=None, max_digits=18, decimal_places=4)
    actual: Decimal | None = Field(default=None, max_digits=18, decimal_places=4)


class EntryCreateIn(InSchema):
    cadre_id: int = Field(description="The cadre: the caller themself, or one in the caller's jurisdiction.")
    occurred_on: dt.date
    category: Category
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=5000)
    polarity: Polarity = Polarity.POSITIVE
    task_id: int | None = None
    share_percent: Decimal | None = Field(
        default=None, gt=0, le=100, max_digits=5, decimal_places=2, description="Percent of the task; needs task_id."
    )
    difficulty: Difficulty = Difficulty.ORDINARY
    metrics: list[MetricIn] = Field(default=[], max_length=20, description="成效数字化: results in numbers.")


class EntryUpdateIn(InSchema):
    version: int = version_field()
    occurred_on: dt.date = unset()
    category: Category = unset()
    title: str = unset(min_length=1, max_length=200)
    description: str = unset(min_length=1, max_length=5000)
    polarity: Polarity = unset()
    task_id: int | None = Field(default=None, description="null: no task.")
    share_percent: Decimal | None = Field(
        default=None, gt=0, le=100, max_digits=5, decimal_places=2, description="null: all of the task."
    )
    difficulty: Difficulty = unset()
    metrics: list[MetricIn] = unset(max_length=20, description="Replaces every metric of the entry.")


class VersionIn(InSchema):
    version: int = version_field()


class WithdrawIn(VersionIn):
    reason: str = Field(default="", max_length=2000)


class NoteIn(VersionIn):
    note: str = Field(min_length=1, max_length=2000, description="Why — the author reads it.")


class ReviewScoresIn(InSchema):
    """The four review dimensions (POLICY.md §1), each a whole number in the rulebook's range."""

    completion: int = Field(ge=-1_000_000, le=1_000_000)
    authenticity: int = Field(ge=-1_000_000, le=1_000_000)
    difficulty: int = Field(ge=-1_000_000, le=1_000_000)
    contribution: int = Field(ge=-1_000_000, le=1_000_000)


class VerifyIn(VersionIn):
    method: Method
    scores: ReviewScoresIn
    evidence_kinds: dict[str, str] = Field(
        default={},
        description="Evidence id → kind, to correct the kind the author declared; an item not named is "
        "confirmed as declared.",
    )
    difficulty: Difficulty | None = Field(default=None, description="The verifier's correction of the difficulty.")
    note: str = Field(default="", max_length=2000)


class EvidenceUploadIn(TextIn):
    """The fields sent with the file (multipart/form-data)."""

    kind: str = Field(min_length=1, max_length=32, description="A kind of GET /api/v1/archive/evidence-kinds.")
    source: str = Field(default="", max_length=200, description="Who issued it.")
    dated: dt.date | None = None
    version: int = version_field()


class EvidenceRemoveIn(TextIn):
    version: int = version_field()


# --- tasks ---------------------------------------------------------------------------------


class TaskOut(Schema):
    id: int
    organization_id: int
    name: str
    year: int


class TaskFilter(PageIn):
    organization_id: int | None = Field(default=None, description="Only tasks of this organization.")
    year: int | None = Field(default=None, ge=1900, le=2200)


class TaskPage(Schema):
    count: int
    items: list[TaskOut]


class TaskCreateIn(InSchema):
    organization_id: int = Field(description="In the caller's jurisdiction, or the caller's own organization.")
    name: str = Field(min_length=1, max_length=200)
    year: int = Field(ge=1900, le=2200)


# --- scores --------------------------------------------------------------------------------


class ScoreOut(Schema):
    year: int
    quarter: int = Field(description="1–4, or 0 for the whole year.")
    score: str
    entries_counted: int
    frozen: bool = Field(description="Frozen at the annual assessment's sign-off: never recomputed.")
    computed_at: dt.datetime
    explanation: str = Field(description="How the score was counted, in the caller's language.")
    decision_id: int
    rulebook: str
    rulebook_version: int


class ScoreFilter(PageIn):
    year: int | None = Field(default=None, ge=1900, le=2200)


class ScorePage(Schema):
    count: int
    items: list[ScoreOut]


# --- evidence kinds ------------------------------------------------------------------------


class EvidenceKindOut(Schema):
    code: str
    label: str = Field(description="In the caller's language.")
    process_trace: bool = Field(description="A process trace, not a result: alone, the entry counts zero.")


class EvidenceKindsOut(Schema):
    rulebook: str
    rulebook_version: int
    items: list[EvidenceKindOut]


class EvidenceKindFilter(TextIn):
    cadre_id: int | None = Field(
        default=None, description="The rulebook effective for this cadre's organization (404 when outside)."
    )
