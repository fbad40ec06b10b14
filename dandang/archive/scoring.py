"""The counted score (kernel): what verified archive entries are worth (POLICY.md §7).

Pure Python.  One entry is worth ``entry_points × category weight × difficulty multiplier ×
share`` (the share as a fraction; no share: the whole), negative for a negative entry, zero when
the formalism guard zeroed it (a process trace only).  A period's score is the sum over the
verified entries dated in it.  Decimal arithmetic throughout, rounded to cents half-up at the end
of each entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class ScoreRules:
    entry_points: Decimal
    category_weights: dict[str, Decimal]
    difficulty_multipliers: dict[str, Decimal]


@dataclass(frozen=True)
class ScoredEntry:
    id: int
    category: str
    difficulty: str
    negative: bool = False
    share_percent: Decimal | None = None
    zeroed: bool = False  # the guard's verdict: a process trace, not a result


@dataclass(frozen=True)
class EntryValue:
    id: int
    value: Decimal
    # The factors, for the explanation: (points, weight, multiplier, share fraction, sign).
    points: Decimal
    weight: Decimal
    multiplier: Decimal
    share: Decimal
    sign: int
    zeroed: bool


@dataclass(frozen=True)
class ScoreResult:
    total: Decimal
    counted: int  # entries that count (verified and not zeroed)
    lines: list[EntryValue] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)


def entry_value(entry: ScoredEntry, rules: ScoreRules) -> EntryValue:
    weight = rules.category_weights[entry.category]
    multiplier = rules.difficulty_multipliers[entry.difficulty]
    share = HUNDRED if entry.share_percent is None else entry.share_percent
    fraction = share / HUNDRED
    sign = -1 if entry.negative else 1
    if entry.zeroed:
        value = Decimal(0).quantize(CENT)
    else:
        value = (sign * rules.entry_points * weight * multiplier * fraction).quantize(CENT, rounding=ROUND_HALF_UP)
    return EntryValue(
        id=entry.id,
        value=value,
        points=rules.entry_points,
        weight=weight,
        multiplier=multiplier,
        share=fraction,
        sign=sign,
        zeroed=entry.zeroed,
    )


def score(entries: Iterable[ScoredEntry], rules: ScoreRules) -> ScoreResult:
    ordered = sorted(entries, key=lambda e: e.id)
    lines = [entry_value(e, rules) for e in ordered]
    fired: set[str] = set()
    for entry in ordered:
        fired.add(f"category_weights.{entry.category}")
        fired.add(f"difficulty_multipliers.{entry.difficulty}")
        if entry.zeroed:
            fired.add("zeroed.process_trace")
        if entry.negative:
            fired.add("negative")
        if entry.share_percent is not None:
            fired.add("share")
    total = sum((line.value for line in lines), Decimal(0)).quantize(CENT)
    counted = sum(1 for line in lines if not line.zeroed)
    return ScoreResult(total=total, counted=counted, lines=lines, fired=sorted(fired))
