"""The formalism guard (kernel): every rule alone and combined, on plain dataclasses.

The service-level behaviour (declared kind corrected by the verifier, flags stored and refreshed)
is in ``test_services.py``; here the kernel is driven by the shipped rulebook's own numbers.
"""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dandang.archive import formalism
from dandang.archive.formalism import (
    NO_EVIDENCE,
    NO_METRIC,
    OVER_CLAIMED,
    PROCESS_TRACE,
    SHARED_EVIDENCE,
    EntryFacts,
    EvidenceFact,
    GuardRules,
)
from dandang.archive.rules import ArchiveRules
from dandang.archive.services import guard_rules
from dandang.core.rulebooks import shipped_rulebook

RULES = guard_rules(shipped_rulebook("archive").content)
TRACE_KINDS = sorted(RULES.process_trace_kinds)
RESULT_KINDS = sorted(set(shipped_rulebook("archive").content.evidence_kinds) - RULES.process_trace_kinds)


def ev(kind: str, sha: str = "") -> EvidenceFact:
    return EvidenceFact(kind=kind, sha256=sha or f"sha-{kind}")


def facts(entry_id: int = 1, cadre_id: int = 10, *evidence: EvidenceFact, **kw) -> EntryFacts:
    return EntryFacts(id=entry_id, cadre_id=cadre_id, evidence=tuple(evidence), **kw)


def codes(flags) -> list[str]:
    return sorted(f.code for f in flags)


# --- the shipped rulebook's process traces ------------------------------------------------------


def test_the_shipped_process_traces_are_those_of_policy_section_1():
    # 2024 规定 / 2019 中办减负通知: instructions, articles, meetings, documents, photo trails,
    # ledgers, study notes, screenshots, likes/votes/shares, study hours, online time.
    assert RULES.process_trace_kinds == {
        "leader_instruction",
        "article",
        "meeting_held",
        "document_issued",
        "photo_trail",
        "work_ledger",
        "study_notes",
        "screenshot",
        "likes_votes_shares",
        "study_hours",
        "online_time",
    }
    assert "statistics" in RESULT_KINDS and "acceptance_report" in RESULT_KINDS
    assert RULES.max_total_share_percent == Decimal("100")


# --- process trace, alone ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", TRACE_KINDS)
def test_a_single_process_trace_is_flagged_and_zeroes(kind):
    flags = formalism.entry_flags(facts(1, 10, ev(kind), metrics_with_actual=1), RULES)
    assert codes(flags) == [PROCESS_TRACE]
    assert flags[0].params == {"kinds": [kind]}
    assert formalism.counts_zero(flags)


def test_several_process_traces_only_name_every_kind_once():
    entry = facts(1, 10, ev("photo_trail", "a"), ev("meeting_held", "b"), ev("photo_trail", "c"), metrics_with_actual=2)
    flags = formalism.entry_flags(entry, RULES)
    assert codes(flags) == [PROCESS_TRACE]
    assert flags[0].params == {"kinds": ["meeting_held", "photo_trail"]}
    assert formalism.counts_zero(flags)


@pytest.mark.parametrize("kind", RESULT_KINDS)
def test_a_result_is_not_flagged(kind):
    flags = formalism.entry_flags(facts(1, 10, ev(kind), metrics_with_actual=1), RULES)
    assert flags == []
    assert not formalism.counts_zero(flags)


def test_mixed_evidence_is_not_a_process_trace():
    entry = facts(1, 10, ev("photo_trail"), ev("meeting_held"), ev("statistics"), metrics_with_actual=1)
    flags = formalism.entry_flags(entry, RULES)
    assert flags == []
    assert not formalism.counts_zero(flags)


def test_the_kind_given_to_the_kernel_decides_not_the_label():
    # The services pass the verifier's confirmed kind when there is one: a "statistics" file the
    # verifier corrected to "screenshot" is a trace; a "photo_trail" corrected to
    # "acceptance_report" is a result.
    assert codes(formalism.entry_flags(facts(1, 10, ev("screenshot"), metrics_with_actual=1), RULES)) == [PROCESS_TRACE]
    assert formalism.entry_flags(facts(1, 10, ev("acceptance_report"), metrics_with_actual=1), RULES) == []


def test_the_trace_kinds_come_from_the_rules():
    custom = GuardRules(process_trace_kinds=frozenset({"statistics"}), max_total_share_percent=Decimal(100))
    assert codes(formalism.entry_flags(facts(1, 10, ev("statistics"), metrics_with_actual=1), custom)) == [
        PROCESS_TRACE
    ]
    assert formalism.entry_flags(facts(1, 10, ev("photo_trail"), metrics_with_actual=1), custom) == []


# --- no evidence, no metric -------------------------------------------------------------------


def test_no_evidence_is_flagged_but_does_not_zero():
    flags = formalism.entry_flags(facts(1, 10, metrics_with_actual=1), RULES)
    assert codes(flags) == [NO_EVIDENCE]
    assert not formalism.counts_zero(flags)


def test_no_metric_with_an_actual_value_is_no_measurable_result():
    # A metric without its actual value is counted by the service as no metric: metrics_with_actual 0.
    flags = formalism.entry_flags(facts(1, 10, ev("statistics"), metrics_with_actual=0), RULES)
    assert codes(flags) == [NO_METRIC]
    assert not formalism.counts_zero(flags)


def test_nothing_at_all_raises_both():
    assert codes(formalism.entry_flags(facts(1, 10), RULES)) == [NO_EVIDENCE, NO_METRIC]


def test_process_trace_and_no_metric_together():
    flags = formalism.entry_flags(facts(1, 10, ev("work_ledger")), RULES)
    assert codes(flags) == [NO_METRIC, PROCESS_TRACE]
    assert formalism.counts_zero(flags)


# --- over-claimed shares ----------------------------------------------------------------------


def claims(*shares, task_id: int = 7) -> list[EntryFacts]:
    return [
        facts(i, 100 + i, ev("statistics", f"s{i}"), metrics_with_actual=1, task_id=task_id, share_percent=share)
        for i, share in enumerate(shares, start=1)
    ]


def test_shares_over_100_are_flagged_on_every_claim():
    out = formalism.over_claimed(claims(Decimal(60), Decimal(50)), RULES)
    assert sorted(out) == [1, 2]
    for flag in out.values():
        assert flag.code == OVER_CLAIMED
        assert flag.params == {"task_id": 7, "total": "110", "limit": "100", "entries": [1, 2]}


def test_shares_of_exactly_100_are_not_flagged():
    assert formalism.over_claimed(claims(Decimal("33.33"), Decimal("33.33"), Decimal("33.34")), RULES) == {}
    assert formalism.over_claimed(claims(Decimal(100)), RULES) == {}


def test_one_cent_over_is_flagged():
    out = formalism.over_claimed(claims(Decimal("50.01"), Decimal(50)), RULES)
    assert out[1].params["total"] == "100.01"


def test_no_share_claims_the_whole_task():
    assert formalism.over_claimed(claims(None), RULES) == {}
    out = formalism.over_claimed(claims(None, Decimal("0.01")), RULES)
    assert sorted(out) == [1, 2]
    assert out[1].params["total"] == "100.01"
    assert sorted(formalism.over_claimed(claims(None, None), RULES)) == [1, 2]


def test_shares_add_up_per_task_and_entries_without_a_task_are_left_out():
    entries = [
        *claims(Decimal(60), Decimal(30), task_id=1),
        facts(3, 103, task_id=2, share_percent=Decimal(70)),
        facts(4, 104, task_id=2, share_percent=Decimal(40)),
        facts(5, 105),  # no task: nothing to add up
        facts(6, 106),
    ]
    out = formalism.over_claimed(entries, RULES)
    assert sorted(out) == [3, 4]
    assert out[3].params["task_id"] == 2 and out[3].params["entries"] == [3, 4]


def test_the_limit_comes_from_the_rules():
    strict = GuardRules(process_trace_kinds=RULES.process_trace_kinds, max_total_share_percent=Decimal(90))
    assert formalism.over_claimed(claims(Decimal(50), Decimal(40)), strict) == {}
    assert sorted(formalism.over_claimed(claims(Decimal(50), Decimal("40.01")), strict)) == [1, 2]


cents = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2)


@given(shares=st.lists(st.one_of(st.none(), cents), min_size=1, max_size=6), limit=cents)
def test_over_claim_is_exactly_sum_above_limit(shares, limit):
    rules = GuardRules(process_trace_kinds=frozenset(), max_total_share_percent=limit)
    total = sum((Decimal(100) if s is None else s for s in shares), Decimal(0))
    out = formalism.over_claimed(claims(*shares), rules)
    if total > limit:
        assert sorted(out) == list(range(1, len(shares) + 1))
        assert {Decimal(f.params["total"]) for f in out.values()} == {total}
    else:
        assert out == {}


# --- shared evidence --------------------------------------------------------------------------


def test_the_same_file_attached_by_two_cadres_is_flagged_on_both():
    a = facts(1, 10, ev("statistics", "same"), metrics_with_actual=1)
    b = facts(2, 20, ev("acceptance_report", "same"), metrics_with_actual=1)
    out = formalism.shared_evidence([a, b])
    assert out[1].code == SHARED_EVIDENCE
    assert out[1].params == {"files": [{"sha256": "same", "entries": [2]}]}
    assert out[2].params == {"files": [{"sha256": "same", "entries": [1]}]}


def test_the_same_file_on_two_entries_of_one_cadre_is_not_flagged():
    a = facts(1, 10, ev("statistics", "same"), metrics_with_actual=1)
    b = facts(2, 10, ev("statistics", "same"), metrics_with_actual=1)
    assert formalism.shared_evidence([a, b]) == {}


def test_shared_file_across_three_entries_names_all_the_others():
    a = facts(1, 10, ev("statistics", "same"), ev("statistics", "own"))
    b = facts(2, 10, ev("statistics", "same"))
    c = facts(3, 30, ev("statistics", "same"))
    out = formalism.shared_evidence([a, b, c])
    # Once a second cadre holds the file, each entry of either cadre names every other holder.
    assert out[1].params == {"files": [{"sha256": "same", "entries": [2, 3]}]}
    assert out[2].params == {"files": [{"sha256": "same", "entries": [1, 3]}]}
    assert out[3].params == {"files": [{"sha256": "same", "entries": [1, 2]}]}


def test_several_shared_files_are_listed_in_hash_order():
    a = facts(1, 10, ev("statistics", "bbb"), ev("statistics", "aaa"))
    b = facts(2, 20, ev("statistics", "aaa"))
    c = facts(3, 30, ev("statistics", "bbb"))
    out = formalism.shared_evidence([a, b, c])
    assert out[1].params == {"files": [{"sha256": "aaa", "entries": [2]}, {"sha256": "bbb", "entries": [3]}]}
    assert sorted(out) == [1, 2, 3]


# --- all rules together -----------------------------------------------------------------------


def test_guard_combines_every_rule():
    entries = [
        # a process trace, on a task over-claimed, sharing a photo with entry 2's cadre
        facts(1, 10, ev("photo_trail", "photo"), task_id=5, share_percent=Decimal(80)),
        facts(2, 20, ev("statistics", "photo"), metrics_with_actual=1, task_id=5, share_percent=Decimal(30)),
        # nothing attached, no result in numbers
        facts(3, 30),
        # clean
        facts(4, 40, ev("acceptance_report", "rep"), metrics_with_actual=2, task_id=6, share_percent=Decimal(100)),
    ]
    result = formalism.guard(entries, RULES)
    assert {k: codes(v) for k, v in result.items()} == {
        1: [NO_METRIC, OVER_CLAIMED, PROCESS_TRACE, SHARED_EVIDENCE],
        2: [OVER_CLAIMED, SHARED_EVIDENCE],
        3: [NO_EVIDENCE, NO_METRIC],
        4: [],
    }
    assert [formalism.counts_zero(result[i]) for i in (1, 2, 3, 4)] == [True, False, False, False]


def test_only_the_process_trace_zeroes():
    assert {PROCESS_TRACE} == formalism.ZEROING
    for code in formalism.FLAG_CODES:
        assert formalism.counts_zero([formalism.Flag(code)]) == (code == PROCESS_TRACE)


@given(
    kinds=st.lists(st.sampled_from(TRACE_KINDS + RESULT_KINDS), max_size=5),
    metrics=st.integers(min_value=0, max_value=3),
)
def test_entry_flags_rules_hold_for_any_evidence(kinds, metrics):
    flags = formalism.entry_flags(
        facts(1, 10, *(ev(k, str(i)) for i, k in enumerate(kinds)), metrics_with_actual=metrics), RULES
    )
    got = codes(flags)
    assert (NO_EVIDENCE in got) == (not kinds)
    assert (PROCESS_TRACE in got) == (bool(kinds) and all(k in RULES.process_trace_kinds for k in kinds))
    assert (NO_METRIC in got) == (metrics == 0)
    assert formalism.counts_zero(flags) == (PROCESS_TRACE in got)


def test_the_kernel_imports_nothing_from_django():
    import ast
    import inspect

    for module in (formalism,):
        tree = ast.parse(inspect.getsource(module))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names} | {
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        }
        assert not any(name.startswith(("django", "dandang")) for name in imported), imported


def test_guard_rules_follow_the_rulebook():
    content = shipped_rulebook("archive").content.model_dump()
    content["evidence_kinds"]["statistics"]["process_trace"] = True
    content["max_total_share_percent"] = "120"
    rules = guard_rules(ArchiveRules.model_validate(content))
    assert "statistics" in rules.process_trace_kinds
    assert rules.max_total_share_percent == Decimal(120)
