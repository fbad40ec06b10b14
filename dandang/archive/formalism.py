"""The formalism guard (kernel): which archive entries are process traces rather than results.

Pure Python — nothing from Django.  Takes plain dataclasses built by the services from the
entries and the ``archive`` rulebook, returns flags with their reasons as codes and parameters;
the services render them in every language.  Thresholds are compared exactly (Decimal).

Rules (issue 4, POLICY.md §1):

- ``process_trace``: every evidence item, as the verifier confirmed or corrected its kind (else as
  the cadre declared it), is a process trace (leader's instruction, meeting held, photo trail…):
  the entry counts zero, "process trace, not a result".
- ``no_evidence``: nothing is attached; the verifier's own check (a site visit, a talk) is then the
  only ground, and the flag says so.  It does not zero the entry: the verifier decides.
- ``no_metric``: no outcome metric with an actual value — "no measurable result".
- ``near_duplicate``: the description is nearly the same as another cadre's (see
  :mod:`dandang.archive.neardup`); the flag names the twins.
- ``over_claimed``: the contribution shares claimed for one task add up to more than the
  rulebook's maximum (100%); the flag names the entries and the total.
- ``shared_evidence``: the same evidence file (same SHA-256) is attached by different cadres.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

PROCESS_TRACE = "process_trace"
NO_EVIDENCE = "no_evidence"
NO_METRIC = "no_metric"
NEAR_DUPLICATE = "near_duplicate"
OVER_CLAIMED = "over_claimed"
SHARED_EVIDENCE = "shared_evidence"

FLAG_CODES = (PROCESS_TRACE, NO_EVIDENCE, NO_METRIC, NEAR_DUPLICATE, OVER_CLAIMED, SHARED_EVIDENCE)
# Flags that make an entry count zero.
ZEROING = frozenset({PROCESS_TRACE})


@dataclass(frozen=True)
class GuardRules:
    process_trace_kinds: frozenset[str]
    max_total_share_percent: Decimal


@dataclass(frozen=True)
class EvidenceFact:
    kind: str  # the confirmed kind when the verifier confirmed or corrected it, else the declared one
    sha256: str


@dataclass(frozen=True)
class EntryFacts:
    id: int
    cadre_id: int
    evidence: tuple[EvidenceFact, ...] = ()
    metrics_with_actual: int = 0
    task_id: int | None = None
    share_percent: Decimal | None = None  # None: the whole task claimed (100%)


@dataclass(frozen=True)
class Flag:
    code: str
    params: dict[str, object] = field(default_factory=dict)


def entry_flags(entry: EntryFacts, rules: GuardRules) -> list[Flag]:
    """The flags one entry raises on its own."""
    flags: list[Flag] = []
    if not entry.evidence:
        flags.append(Flag(NO_EVIDENCE))
    elif all(e.kind in rules.process_trace_kinds for e in entry.evidence):
        flags.append(Flag(PROCESS_TRACE, {"kinds": sorted({e.kind for e in entry.evidence})}))
    if entry.metrics_with_actual == 0:
        flags.append(Flag(NO_METRIC))
    return flags


def counts_zero(flags: Iterable[Flag]) -> bool:
    return any(f.code in ZEROING for f in flags)


def over_claimed(entries: Iterable[EntryFacts], rules: GuardRules) -> dict[int, Flag]:
    """Entries of tasks whose claimed shares add up to more than the maximum, with the task's
    total and the entries that claim it.  An entry with no share claims 100%."""
    by_task: dict[int, list[EntryFacts]] = defaultdict(list)
    for entry in entries:
        if entry.task_id is not None:
            by_task[entry.task_id].append(entry)
    out: dict[int, Flag] = {}
    for task_id, claims in by_task.items():
        total = sum((Decimal(100) if e.share_percent is None else e.share_percent for e in claims), Decimal(0))
        if total > rules.max_total_share_percent:
            ids = sorted(e.id for e in claims)
            for e in claims:
                out[e.id] = Flag(
                    OVER_CLAIMED,
                    {
                        "task_id": task_id,
                        "total": str(total),
                        "limit": str(rules.max_total_share_percent),
                        "entries": ids,
                    },
                )
    return out


def shared_evidence(entries: Iterable[EntryFacts]) -> dict[int, Flag]:
    """Entries attaching a file (by SHA-256) that another cadre's entry also attaches."""
    holders: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for entry in entries:
        for item in entry.evidence:
            holders[item.sha256][entry.cadre_id].add(entry.id)
    out: dict[int, dict[str, set[int]]] = defaultdict(dict)
    for sha, by_cadre in holders.items():
        if len(by_cadre) < 2:
            continue
        all_ids = {i for ids in by_cadre.values() for i in ids}
        for ids in by_cadre.values():
            for entry_id in ids:
                out[entry_id][sha] = all_ids - {entry_id}
    return {
        entry_id: Flag(
            SHARED_EVIDENCE,
            {"files": [{"sha256": sha, "entries": sorted(others)} for sha, others in sorted(shas.items())]},
        )
        for entry_id, shas in out.items()
    }


def guard(entries: Iterable[EntryFacts], rules: GuardRules) -> dict[int, list[Flag]]:
    """Every rule but the near-duplicate one, for a set of entries that share tasks and files
    (the service passes the entries of the tasks and files concerned)."""
    entries = list(entries)
    result: dict[int, list[Flag]] = {e.id: entry_flags(e, rules) for e in entries}
    for entry_id, flag in over_claimed(entries, rules).items():
        result[entry_id].append(flag)
    for entry_id, flag in shared_evidence(entries).items():
        result[entry_id].append(flag)
    return result
