"""The schema of the ``archive`` rulebook (``dandang/rulebooks/archive.yaml``).

Pure pydantic: the kernels (:mod:`dandang.archive.formalism`, :mod:`dandang.archive.scoring`)
receive plain dataclasses built from it by :func:`guard_rules` and :func:`score_rules`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from dandang.core.rulebook_schema import both_languages
from dandang.core.rulebook_schema import exactly as _exactly

CATEGORIES = ("political", "duties", "key_tasks", "innovation", "assigned", "public", "honours", "other")
DIFFICULTIES = ("ordinary", "hard", "very_hard")


Weight = Annotated[Decimal, Field(ge=0)]


class EvidenceKindRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    process_trace: bool
    label: dict[str, str]

    @field_validator("label")
    @classmethod
    def _both_languages(cls, label: dict[str, str]) -> dict[str, str]:
        return both_languages(label)


class NearDuplicateRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shingle_size: int = Field(ge=1, le=10)
    threshold: Decimal = Field(gt=0, le=1)
    num_perm: int = Field(ge=16, le=512)


class ArchiveRules(BaseModel):
    """Each problem is reported under its own key (``content.category_weights.key_tasks``), so
    that ``rulebook_publish`` names what to fix."""

    model_config = ConfigDict(extra="forbid")

    entry_points: Decimal = Field(gt=0)
    category_weights: dict[str, Weight]
    difficulty_multipliers: dict[str, Weight]
    evidence_kinds: dict[str, EvidenceKindRule] = Field(min_length=1)
    near_duplicate: NearDuplicateRule
    max_total_share_percent: Decimal = Field(gt=0)
    review_score_min: int
    review_score_max: int

    @field_validator("category_weights")
    @classmethod
    def _all_categories(cls, weights: dict[str, Decimal]) -> dict[str, Decimal]:
        return _exactly(CATEGORIES, weights)

    @field_validator("difficulty_multipliers")
    @classmethod
    def _all_difficulties(cls, multipliers: dict[str, Decimal]) -> dict[str, Decimal]:
        return _exactly(DIFFICULTIES, multipliers)

    @field_validator("review_score_max")
    @classmethod
    def _range(cls, maximum: int, info: ValidationInfo) -> int:
        minimum = info.data.get("review_score_min")
        if minimum is not None and minimum >= maximum:
            raise ValueError(f"must be above review_score_min ({minimum})")
        return maximum
