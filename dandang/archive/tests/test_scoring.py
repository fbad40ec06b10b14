"""The counted score: the kernel's weights (POLICY.md §7) and the stored scores with their decision
records, per quarter and year, under the county's rulebook."""

import datetime as dt
from decimal import Decimal

import pytest
import yaml
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from dandang.archive import scoring, services
from dandang.archive.models import ArchiveEntry, ArchiveScore
from dandang.archive.rules import CATEGORIES, DIFFICULTIES
from dandang.archive.scoring import ScoredEntry
from dandang.core.models import DecisionRecord
from dandang.core.rulebooks import rulebook_publish, shipped_rulebook

from .archive_helpers import entry as draft
from .archive_helpers import media as media  # fixture
from .archive_helpers import verified

RULES = services.score_rules(shipped_rulebook("archive").content)


def value(**kw) -> Decimal:
    kw.setdefault("id", 1)
    kw.setdefault("category", "duties")
    kw.setdefault("difficulty", "hard")
    return scoring.entry_value(ScoredEntry(**kw), RULES).value


# --- the kernel: POLICY.md §7 weights ---------------------------------------------------------


def test_the_shipped_weights_are_the_policy_defaults():
    assert RULES.entry_points == Decimal(10)
    assert RULES.category_weights == {
        "political": Decimal("1.0"),
        "duties": Decimal("1.0"),
        "key_tasks": Decimal("1.5"),
        "innovation": Decimal("1.2"),
        "assigned": Decimal("1.0"),
        "public": Decimal("1.0"),
        "honours": Decimal("1.0"),
        "other": Decimal("1.0"),
    }
    assert RULES.difficulty_multipliers == {
        "ordinary": Decimal("0.8"),
        "hard": Decimal("1.0"),
        "very_hard": Decimal("1.3"),
    }


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("key_tasks", "15.00"),
        ("innovation", "12.00"),
        *((c, "10.00") for c in CATEGORIES if c not in {"key_tasks", "innovation"}),
    ],
)
def test_category_weights(category, expected):
    assert value(category=category) == Decimal(expected)


@pytest.mark.parametrize(("difficulty", "expected"), [("ordinary", "8.00"), ("hard", "10.00"), ("very_hard", "13.00")])
def test_difficulty_multipliers(difficulty, expected):
    assert value(difficulty=difficulty) == Decimal(expected)


def test_weights_multiply():
    assert value(category="key_tasks", difficulty="very_hard") == Decimal("19.50")
    assert value(category="innovation", difficulty="ordinary") == Decimal("9.60")


def test_share_as_a_fraction_and_none_is_the_whole():
    assert value(share_percent=None) == Decimal("10.00")
    assert value(share_percent=Decimal(100)) == Decimal("10.00")
    assert value(share_percent=Decimal(40)) == Decimal("4.00")
    assert value(category="key_tasks", difficulty="very_hard", share_percent=Decimal(25)) == Decimal("4.88")  # 4.875


def test_negative_subtracts_with_the_same_weights():
    assert value(negative=True) == Decimal("-10.00")
    assert value(negative=True, category="key_tasks", difficulty="very_hard", share_percent=Decimal(50)) == Decimal(
        "-9.75"
    )


def test_zeroed_counts_nothing_whatever_the_weights():
    assert value(zeroed=True, category="key_tasks", difficulty="very_hard") == Decimal("0.00")
    assert value(zeroed=True, negative=True) == Decimal("0.00")


def test_rounding_is_half_up_to_cents_per_entry():
    # 10 × 1.3 × 0.5% = 0.065 → 0.07 (half-up; half-even would give 0.06)
    assert value(difficulty="very_hard", share_percent=Decimal("0.5")) == Decimal("0.07")
    assert value(difficulty="very_hard", share_percent=Decimal("0.5"), negative=True) == Decimal("-0.07")
    # 10 × 0.8 × 33.33% = 2.6664 → 2.67
    assert value(difficulty="ordinary", share_percent=Decimal("33.33")) == Decimal("2.67")
    # Each entry is rounded, then summed: three thirds make 8.01, not 8.00.
    third = [
        ScoredEntry(id=i, category="duties", difficulty="ordinary", share_percent=Decimal("33.33")) for i in (1, 2, 3)
    ]
    assert scoring.score(third, RULES).total == Decimal("8.01")


def test_score_sums_counts_and_names_the_rules_fired():
    entries = [
        ScoredEntry(id=3, category="key_tasks", difficulty="very_hard"),
        ScoredEntry(id=1, category="innovation", difficulty="hard", share_percent=Decimal(50)),
        ScoredEntry(id=2, category="duties", difficulty="ordinary", negative=True),
        ScoredEntry(id=4, category="political", difficulty="hard", zeroed=True),
    ]
    result = scoring.score(entries, RULES)
    assert result.total == Decimal("19.50") + Decimal("6.00") - Decimal("8.00")
    assert result.counted == 3
    assert [line.id for line in result.lines] == [1, 2, 3, 4]
    assert [line.value for line in result.lines] == [
        Decimal("6.00"),
        Decimal("-8.00"),
        Decimal("19.50"),
        Decimal("0.00"),
    ]
    assert result.fired == [
        "category_weights.duties",
        "category_weights.innovation",
        "category_weights.key_tasks",
        "category_weights.political",
        "difficulty_multipliers.hard",
        "difficulty_multipliers.ordinary",
        "difficulty_multipliers.very_hard",
        "negative",
        "share",
        "zeroed.process_trace",
    ]
    line = result.lines[0]
    assert (line.points, line.weight, line.multiplier, line.share, line.sign) == (
        Decimal(10),
        Decimal("1.2"),
        Decimal("1.0"),
        Decimal("0.5"),
        1,
    )


def test_an_empty_period_scores_zero():
    result = scoring.score([], RULES)
    assert (result.total, result.counted, result.lines, result.fired) == (Decimal("0.00"), 0, [], [])


shares = st.one_of(st.none(), st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2))
scored_entries = st.builds(
    ScoredEntry,
    id=st.integers(min_value=1, max_value=10**6),
    category=st.sampled_from(CATEGORIES),
    difficulty=st.sampled_from(DIFFICULTIES),
    negative=st.booleans(),
    share_percent=shares,
    zeroed=st.booleans(),
)


@given(st.lists(scored_entries, max_size=8, unique_by=lambda e: e.id))
def test_the_total_is_the_sum_of_the_lines_and_signs_hold(entries):
    result = scoring.score(entries, RULES)
    assert result.total == sum((line.value for line in result.lines), Decimal(0))
    assert result.counted == sum(1 for e in entries if not e.zeroed)
    for entry, line in zip(sorted(entries, key=lambda e: e.id), result.lines, strict=True):
        assert line.value.as_tuple().exponent == -2
        if entry.zeroed:
            assert line.value == 0
        elif entry.negative:
            assert line.value <= 0
            assert line.value == -value(**{**entry.__dict__, "negative": False})
        else:
            assert line.value >= 0
        assert abs(line.value) <= Decimal("19.50")


# --- stored scores ----------------------------------------------------------------------------


def scores_of(cadre) -> dict[int, Decimal]:
    return dict(ArchiveScore.objects.filter(cadre=cadre, year=2025).values_list("quarter", "score"))


@pytest.mark.django_db
def test_quarter_and_year_totals(world, media):
    a3 = world.cadres["A3"]
    verified(world, occurred_on=dt.date(2025, 2, 3), category="key_tasks", difficulty="very_hard")  # Q1 19.50
    verified(world, occurred_on=dt.date(2025, 3, 31), category="innovation")  # Q1 9.60
    verified(world, occurred_on=dt.date(2025, 4, 1), polarity="negative")  # Q2 −8.00
    verified(world, occurred_on=dt.date(2025, 12, 31), kinds=("photo_trail",))  # Q4 0 (process trace)
    # submitted, never verified: counts nowhere
    services.archive_entry_submit(actor=world.user("leader_a"), entry=draft(world, occurred_on=dt.date(2025, 7, 1)))
    assert scores_of(a3) == {
        1: Decimal("29.10"),
        2: Decimal("-8.00"),
        3: Decimal("0.00"),
        4: Decimal("0.00"),
        0: Decimal("21.10"),
    }
    counted = dict(ArchiveScore.objects.filter(cadre=a3, year=2025).values_list("quarter", "entries_counted"))
    assert counted == {1: 2, 2: 1, 3: 0, 4: 0, 0: 3}
    # Another year's entry is not in 2025 and another cadre's scores are their own.
    verified(world, occurred_on=dt.date(2024, 6, 1))
    assert scores_of(a3)[0] == Decimal("21.10")
    assert ArchiveScore.objects.get(cadre=a3, year=2024, quarter=0).score == Decimal("8.00")
    assert not ArchiveScore.objects.filter(cadre=world.cadres["A4"]).exists()


@pytest.mark.django_db
def test_decision_records_explain_in_both_languages(world, media):
    e = verified(world, category="key_tasks", difficulty="very_hard", title="抢修水毁道路")
    z = verified(world, kinds=("meeting_held",), title="召开部署会")
    score = ArchiveScore.objects.select_related("decision").get(cadre=world.cadres["A3"], year=2025, quarter=0)
    decision = score.decision
    assert decision.kernel == "archive.scoring"
    assert (decision.rulebook_id, decision.rulebook_version) == ("archive", 1)
    assert decision.subject_type == "archive_score"
    assert decision.subject_id == f"{world.cadres['A3'].pk}:2025:0"
    assert decision.outcome == {
        "total": "19.50",
        "counted": 1,
        "lines": {str(e.pk): "19.50", str(z.pk): "0.00"},
    }
    assert "category_weights.key_tasks" in decision.fired and "zeroed.process_trace" in decision.fired
    assert set(decision.explanation) == {code for code, _name in settings.LANGUAGES} == {"zh-hans", "en"}
    assert all(text.strip() for text in decision.explanation.values())
    en = decision.explanation["en"]
    assert "19.50 points from 2 verified entries" in en
    assert "“抢修水毁道路”: 19.50 = 10 points × category weight 1.5 × difficulty 1.3 × share 1." in en
    assert "“召开部署会”: 0 — its only evidence is a process trace, not a result." in en
    assert decision.explanation["zh-hans"] != ""
    # The quarter has its own record.
    q2 = ArchiveScore.objects.get(cadre=world.cadres["A3"], year=2025, quarter=2)
    assert q2.decision_id != decision.pk
    assert q2.decision.subject_id.endswith(":2025:2")
    assert DecisionRecord.objects.filter(subject_type="archive_score").count() >= 10


def override(**weights: str) -> dict:
    doc = yaml.safe_load((settings.DANDANG_RULEBOOK_DIR / "archive.yaml").read_text(encoding="utf-8"))
    doc["content"]["category_weights"].update(weights)
    return doc


@pytest.mark.django_db
def test_a_county_override_changes_the_score_of_that_county_only(world, media):
    rulebook_publish(actor=None, document=override(key_tasks="2.0"), organization=world.orgs["A"], note="试点")
    a = verified(world, cadre="A3", category="key_tasks", difficulty="hard")
    b = verified(world, cadre="B1", actor="staff_b", verifier="leader_b", category="key_tasks", difficulty="hard")
    assert a.counted_value == Decimal("20.00")
    assert b.counted_value == Decimal("15.00")
    assert scores_of(world.cadres["A3"])[0] == Decimal("20.00")
    assert scores_of(world.cadres["B1"])[0] == Decimal("15.00")
    decision = ArchiveScore.objects.get(cadre=world.cadres["A3"], year=2025, quarter=0).decision
    assert (decision.rulebook_id, decision.rulebook_version) == ("archive", 2)
    assert ArchiveScore.objects.get(cadre=world.cadres["B1"], year=2025, quarter=0).decision.rulebook_version == 1


@pytest.mark.django_db
def test_a_later_override_applies_at_the_next_recompute_unless_frozen(world, media):
    verified(world, cadre="A3", category="innovation")
    verified(world, cadre="A4", category="innovation")
    services.archive_scores_freeze(year=2025, cadre_ids=[world.cadres["A4"].pk])
    rulebook_publish(actor=None, document=override(innovation="2.0"), organization=world.orgs["A"])
    services.archive_scores_recompute(cadre=world.cadres["A3"], year=2025)
    services.archive_scores_recompute(cadre=world.cadres["A4"], year=2025)
    assert scores_of(world.cadres["A3"])[0] == Decimal("16.00")  # 10 × 2.0 × 0.8
    assert scores_of(world.cadres["A4"])[0] == Decimal("9.60")  # frozen at sign-off: 10 × 1.2 × 0.8


@pytest.mark.django_db
def test_counted_value_of_the_entry_matches_its_line(world, media):
    e = verified(world, category="innovation", difficulty="ordinary", task=None)
    assert ArchiveEntry.objects.get(pk=e.pk).counted_value == Decimal("9.60")
