"""The ``archive`` rulebook: the shipped file validates, and a broken override is refused by
``rulebook_publish`` naming the key to fix, with nothing stored."""

import copy
from decimal import Decimal

import pytest
import yaml
from django.conf import settings
from django.utils import translation

from dandang.archive.rules import CATEGORIES, DIFFICULTIES, ArchiveRules
from dandang.archive.services import archive_rules
from dandang.core.errors import ValidationFailed
from dandang.core.models import AuditEvent, PublishedRulebook
from dandang.core.rulebooks import load_rulebook_file, rulebook_publish, shipped_rulebook
from dandang.testing import row_counts

# The world is built once for the module; each test runs in a savepoint rolled back after it.
pytestmark = pytest.mark.usefixtures("shared_world")

SHIPPED = settings.DANDANG_RULEBOOK_DIR / "archive.yaml"


def document() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def test_the_shipped_rulebook_validates():
    book = load_rulebook_file(SHIPPED)
    assert book.id == "archive"
    assert isinstance(book.content, ArchiveRules)
    assert book.raw["schema"] == "dandang.archive.rules.ArchiveRules"
    rules = book.content
    assert sorted(rules.category_weights) == sorted(CATEGORIES)
    assert sorted(rules.difficulty_multipliers) == sorted(DIFFICULTIES)
    assert all({"zh-hans", "en"} <= set(kind.label) for kind in rules.evidence_kinds.values())
    assert (rules.near_duplicate.shingle_size, rules.near_duplicate.threshold) == (3, Decimal("0.8"))
    assert rules.review_score_min < rules.review_score_max
    # Numbers are exact decimals, never floats.
    assert all(isinstance(w, Decimal) for w in rules.category_weights.values())
    assert shipped_rulebook("archive").content == rules


@pytest.mark.django_db
def test_archive_rules_reads_the_shipped_book_without_an_override(world):
    book, rules = archive_rules(world.orgs["A-bureau"])
    assert (book.id, book.version, book.origin) == ("archive", 1, "shipped")
    assert rules.category_weights["key_tasks"] == Decimal("1.5")


def _missing_category(c: dict) -> None:
    del c["category_weights"]["key_tasks"]


def _unknown_category(c: dict) -> None:
    c["category_weights"]["bonus"] = "2"


def _negative_weight(c: dict) -> None:
    c["category_weights"]["innovation"] = "-1.2"


def _negative_multiplier(c: dict) -> None:
    c["difficulty_multipliers"]["very_hard"] = "-0.1"


def _missing_difficulty(c: dict) -> None:
    del c["difficulty_multipliers"]["hard"]


def _label_without_english(c: dict) -> None:
    c["evidence_kinds"]["photo_trail"]["label"] = {"zh-hans": "拍照留痕"}


def _label_without_chinese(c: dict) -> None:
    c["evidence_kinds"]["new_kind"] = {"process_trace": True, "label": {"en": "New kind"}}


def _empty_label(c: dict) -> None:
    c["evidence_kinds"]["statistics"]["label"]["en"] = "  "


def _no_evidence_kind(c: dict) -> None:
    c["evidence_kinds"] = {}


def _min_equals_max(c: dict) -> None:
    c["review_score_min"] = c["review_score_max"] = 50


def _min_above_max(c: dict) -> None:
    c["review_score_min"], c["review_score_max"] = 100, 0


def _zero_share_limit(c: dict) -> None:
    c["max_total_share_percent"] = "0"


def _unknown_key(c: dict) -> None:
    c["bonus_points"] = "5"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("breaks", "key", "words"),
    [
        (_missing_category, "content.category_weights", "missing: key_tasks"),
        (_unknown_category, "content.category_weights", "unknown: bonus"),
        (_negative_weight, "content.category_weights.innovation", "greater than or equal to 0"),
        (_negative_multiplier, "content.difficulty_multipliers.very_hard", "greater than or equal to 0"),
        (_missing_difficulty, "content.difficulty_multipliers", "missing: hard"),
        (_label_without_english, "content.evidence_kinds.photo_trail.label", "missing: en"),
        (_label_without_chinese, "content.evidence_kinds.new_kind.label", "missing: zh-hans"),
        (_empty_label, "content.evidence_kinds.statistics.label", "missing: en"),
        (_no_evidence_kind, "content.evidence_kinds", "at least 1"),
        (_min_equals_max, "content.review_score_max", "above review_score_min"),
        (_min_above_max, "content.review_score_max", "above review_score_min"),
        (_zero_share_limit, "content.max_total_share_percent", "greater than 0"),
        (_unknown_key, "content.bonus_points", "not allowed here"),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else None,
)
def test_a_broken_override_is_refused_naming_the_key(world, breaks, key, words):
    doc = document()
    breaks(doc["content"])
    counts = row_counts()
    # Problems are in the active language (the form and the command show them to people).
    with translation.override("en"), pytest.raises(ValidationFailed) as exc:
        rulebook_publish(actor=world.user("staff_a"), document=doc, organization=world.orgs["A"])
    assert list(exc.value.detail) == [key]
    assert any(words in problem for problem in exc.value.detail[key]), exc.value.detail
    assert row_counts() == counts
    assert not PublishedRulebook.objects.exists()
    assert not AuditEvent.objects.filter(action="rulebook.publish").exists()
    # The county still works under the shipped book.
    assert archive_rules(world.orgs["A"])[0].version == 1


@pytest.mark.django_db
def test_every_problem_is_named_at_once(world):
    doc = document()
    _missing_category(doc["content"])
    _negative_multiplier(doc["content"])
    _label_without_english(doc["content"])
    _min_equals_max(doc["content"])
    with pytest.raises(ValidationFailed) as exc:
        rulebook_publish(actor=None, document=doc, organization=world.orgs["A"])
    assert sorted(exc.value.detail) == [
        "content.category_weights",
        "content.difficulty_multipliers.very_hard",
        "content.evidence_kinds.photo_trail.label",
        "content.review_score_max",
    ]


@pytest.mark.django_db
def test_a_valid_override_is_published_for_the_county_only(world):
    doc = copy.deepcopy(document())
    doc["content"]["category_weights"]["public"] = "1.4"
    row = rulebook_publish(actor=world.user("staff_a"), document=doc, organization=world.orgs["A"])
    assert row.version == 2
    assert archive_rules(world.orgs["A-t1-v1"])[1].category_weights["public"] == Decimal("1.4")
    assert archive_rules(world.orgs["B"])[1].category_weights["public"] == Decimal("1.0")
