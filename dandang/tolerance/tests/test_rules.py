"""The ``tolerance`` rulebook: the shipped file validates, carries the national default and two
example lists of the required size, and a broken document is refused naming the key."""

from __future__ import annotations

import copy
from collections import Counter
from decimal import Decimal

import pytest
import yaml
from django.conf import settings

from dandang.core.rulebooks import RulebookError, load_rulebook_file, parse_rulebook, shipped_rulebook
from dandang.tolerance.kernel import EXCLUSIONS, FACT_NAMES, GROUNDS, MITIGATIONS
from dandang.tolerance.rules import ToleranceRules, tolerance_policy

SHIPPED = settings.DANDANG_RULEBOOK_DIR / "tolerance.yaml"
QIANHAI_SECTORS = {
    "party_building",
    "institutional_innovation",
    "industry",
    "finance",
    "technology",
    "land",
    "construction",
    "approvals",
    "financial_management",
    "personnel",
}


def document() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def test_the_shipped_rulebook_validates_and_is_shipped():
    book = load_rulebook_file(SHIPPED)
    assert (book.id, book.version, book.ref) == ("tolerance", 1, "tolerance@1")
    assert isinstance(book.content, ToleranceRules)
    assert book.raw["schema"] == "dandang.tolerance.rules.ToleranceRules"
    assert set(book.title) == {"zh-hans", "en"}
    assert shipped_rulebook("tolerance").content == book.content


def test_the_national_default_is_labelled_data_with_sources():
    national = shipped_rulebook("tolerance").content.national
    assert list(national.grounds) == list(GROUNDS)
    assert list(national.mitigation) == list(MITIGATIONS)
    assert list(national.exclusions) == list(EXCLUSIONS)
    assert national.reform_contexts == ["reform_pilot", "exploratory_trial", "development_promotion"]
    assert national.reform_closing_consequences == ["egregious"]
    for provision in [*national.grounds.values(), *national.mitigation.values(), *national.exclusions.values()]:
        assert provision.source
        assert set(provision.label) == set(provision.text) == {"zh-hans", "en"}
    assert "第十七条" in national.grounds["ground_objection"].source
    assert "第十八条" in national.mitigation["mitigation_cooperation"].source


def test_the_qianhai_example_covers_ten_sectors_with_at_least_three_scenarios_each():
    rules = shipped_rulebook("tolerance").content
    (qianhai,) = [entry for entry in rules.lists if entry.code == "qianhai_example"]
    assert qianhai.example is True
    assert set(qianhai.sectors) == QIANHAI_SECTORS
    per_sector = Counter(item.sector for item in qianhai.items)
    assert set(per_sector) == QIANHAI_SECTORS
    assert min(per_sector.values()) >= 3
    # Each scenario has its own conditions, written in both languages.
    assert len({tuple(map(repr, item.conditions)) for item in qianhai.items}) > 10
    for item in qianhai.items:
        assert set(item.scenario) == {"zh-hans", "en"}
        assert item.conditions


def test_the_hubei_example_has_ten_items_and_the_fund_case():
    rules = shipped_rulebook("tolerance").content
    (hubei,) = [entry for entry in rules.lists if entry.code == "hubei_soe_example"]
    assert hubei.example is True
    assert len(hubei.items) == 10
    _list, fund = rules.item("HB-GQ-06")
    declared = fund.declared()
    assert declared["fund_loss_ratio"].type == "decimal"
    assert declared["known_risks_reported"].type == "boolean"
    conditions = {(c.fact, c.op): c.value for c in fund.conditions}
    assert conditions[("fund_loss_ratio", "le")] == Decimal("0.8")
    assert isinstance(conditions[("fund_loss_ratio", "le")], Decimal)
    assert conditions[("known_risks_reported", "eq")] is True


def test_every_list_is_labelled_as_an_example_a_jurisdiction_replaces():
    for entry in shipped_rulebook("tolerance").content.lists:
        assert entry.example is True
        assert "替换" in entry.note["zh-hans"]
        assert "replaces" in entry.note["en"]
        assert set(entry.title) == {"zh-hans", "en"}


def test_item_codes_are_unique_and_the_policy_holds_them_all():
    rules = shipped_rulebook("tolerance").content
    codes = [item.code for entry in rules.lists for item in entry.items]
    assert len(codes) == len(set(codes)) == 40
    policy = tolerance_policy(rules, "tolerance@1")
    assert set(policy.items) == set(codes)
    assert policy.items["HB-GQ-06"].list_code == "hubei_soe_example"
    # Numbers in predicates are exact: ints or Decimals, never floats.
    for item in policy.items.values():
        for predicate in (*item.conditions, *item.exclusions):
            values = predicate.value if isinstance(predicate.value, tuple) else (predicate.value,)
            assert not any(isinstance(v, float) for v in values)


def test_extra_facts_never_shadow_the_thirteen():
    for entry in shipped_rulebook("tolerance").content.lists:
        for item in entry.items:
            assert not set(item.declared()) & set(FACT_NAMES)


# --- broken documents ------------------------------------------------------------------------


def _item(c: dict, code: str) -> dict:
    return next(i for entry in c["lists"] for i in entry["items"] if i["code"] == code)


def _duplicate_item_code(c):
    _item(c, "HB-GQ-02")["code"] = "QH-DJ-01"


def _float_value(c):
    _item(c, "HB-GQ-06")["conditions"][0]["value"] = 0.8


def _unknown_fact(c):
    _item(c, "HB-GQ-06")["conditions"].append({"fact": "fund_size", "op": "le", "value": "1"})


def _order_on_boolean(c):
    _item(c, "HB-GQ-06")["conditions"].append({"fact": "personal_gain", "op": "lt", "value": True})


def _unknown_operator(c):
    _item(c, "HB-GQ-06")["conditions"][0]["op"] = "between"


def _string_for_boolean(c):
    _item(c, "HB-GQ-06")["conditions"][1]["value"] = "true"


def _unknown_context(c):
    _item(c, "QH-DJ-01")["conditions"][0]["value"] = ["reform_pilot", "hurry"]


def _unknown_sector(c):
    _item(c, "QH-DJ-01")["sector"] = "sports"


def _unknown_outcome(c):
    _item(c, "QH-DJ-01")["outcome"] = "pardoned"


def _scenario_without_english(c):
    del _item(c, "QH-DJ-01")["scenario"]["en"]


def _extra_named_like_a_case_fact(c):
    _item(c, "QH-DJ-01")["extra"][0]["name"] = "force_majeure"


def _choice_without_choices(c):
    _item(c, "QH-DJ-01")["extra"][0]["type"] = "choice"


def _missing_exclusion(c):
    del c["national"]["exclusions"]["collusion"]


def _example_flag_as_string(c):
    c["lists"][0]["example"] = "yes"


def _no_conditions(c):
    _item(c, "QH-DJ-01")["conditions"] = []


@pytest.mark.parametrize(
    ("breaks", "key"),
    [
        (_duplicate_item_code, "content.lists.1.items.1.code"),
        (_float_value, "content.lists.1.items.5"),
        (_unknown_fact, "content.lists.1.items.5"),
        (_order_on_boolean, "content.lists.1.items.5"),
        (_unknown_operator, "content.lists.1.items.5.conditions.0.op"),
        (_string_for_boolean, "content.lists.1.items.5"),
        (_unknown_context, "content.lists.0.items.0"),
        (_unknown_sector, "content.lists.0"),
        (_unknown_outcome, "content.lists.0.items.0.outcome"),
        (_scenario_without_english, "content.lists.0.items.0.scenario"),
        (_extra_named_like_a_case_fact, "content.lists.0.items.0.extra.0.name"),
        (_choice_without_choices, "content.lists.0.items.0.extra.0"),
        (_missing_exclusion, "content.national.exclusions"),
        (_example_flag_as_string, "content.lists.0.example"),
        (_no_conditions, "content.lists.0.items.0.conditions"),
    ],
)
def test_a_broken_document_is_refused_naming_the_key(breaks, key):
    doc = copy.deepcopy(document())
    breaks(doc["content"])
    with pytest.raises(RulebookError) as exc:
        parse_rulebook(doc, source="override.yaml")
    # A problem found across fields (a model validator) is reported at the model, its message
    # starting with the key inside it.
    paths = [f"{k}.{problem.removeprefix('Value error, ')}" for k, problem in exc.value.problems]
    assert any(path.startswith(key) for path in paths), exc.value.problems
