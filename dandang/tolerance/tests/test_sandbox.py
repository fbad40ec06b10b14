"""The sandbox contract: ``manage.py evaluate tolerance FILE.json`` (issue 5; a public interface).
No test here may touch the database: pytest-django refuses any query outside a ``db`` test, one
test counts zero queries, and the subprocess tests run with an unreachable DATABASE_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dandang.core.rulebooks import shipped_rulebook
from dandang.tolerance.evaluation import tolerance_evaluate
from dandang.tolerance.facts import NARRATIVE_FIELDS

ROOT = Path(settings.BASE_DIR)

FACTS = {
    "context": "reform_pilot",
    "explicit_prohibition_breached": False,
    "personal_gain": False,
    "collusion": False,
    "intentional": False,
    "procedure_followed": True,
    "objected_to_collective_decision": False,
    "force_majeure": False,
    "loss_recovered": "none",
    "cooperated_with_investigation": False,
    "repeat_after_correction": False,
    "obstructed_investigation": False,
    "consequence": "minor",
}

FUND = {
    "facts": {
        **FACTS,
        "context": "routine",
        "extra": {"fund_loss_ratio": 0.8, "known_risks_reported": True},
    },
    "industry_item": "HB-GQ-06",
}


def write(tmp_path: Path, document, name: str = "case.json") -> Path:
    path = tmp_path / name
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def evaluate(path: Path, *args: str) -> dict:
    out = StringIO()
    call_command("evaluate", "tolerance", str(path), *args, stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def bad(path: Path, *args: str, kernel: str = "tolerance") -> str:
    err = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("evaluate", kernel, str(path), *args, stdout=StringIO(), stderr=err)
    assert exc.value.returncode == 2
    return err.getvalue()


# --- happy path --------------------------------------------------------------------------------


def test_happy_path_prints_exactly_the_contract(tmp_path):
    out = evaluate(write(tmp_path, {"facts": FACTS}), "--language", "en")
    assert list(out) == ["outcome", "fired", "explanation", "rulebook"]
    assert out["outcome"] == "exempt"
    assert out["fired"] == ["ground_reform"]
    assert out["rulebook"] == "tolerance@1"
    assert out["explanation"].splitlines() == [
        "Ground ground_reform (Error in reform, exploration or promoting development) holds.",
        "Ground ground_objection (Objection to a wrong collective decision) does not hold: "
        "the cadre did not object to the collective decision.",
        "Ground ground_force_majeure (Duties done, loss caused by force majeure) does not hold: "
        "the loss was not caused by force majeure or the unforeseeable.",
        "Ground ground_industry_item (Item of an industry tolerance list) does not hold: "
        "no industry list item is invoked.",
        "Outcome: exemption (免责), decided by the grounds for exemption.",
        "Rulebook: tolerance@1.",
    ]


def test_the_explanation_is_in_chinese_by_default(tmp_path):
    assert settings.LANGUAGE_CODE == "zh-hans"
    out = evaluate(write(tmp_path, {"facts": FACTS}))
    assert "改革探索、先行先试、推动发展中的失误" in out["explanation"]
    assert "免责" in out["explanation"]
    assert "Ground" not in out["explanation"]


def test_the_output_is_utf8_not_ascii_escaped(tmp_path):
    out = StringIO()
    call_command("evaluate", "tolerance", str(write(tmp_path, {"facts": FACTS})), stdout=out)
    assert "\\u" not in out.getvalue()
    assert "免责" in out.getvalue()


def test_the_fund_case_within_eighty_percent_is_exempt(tmp_path):
    out = evaluate(write(tmp_path, FUND), "--language", "en")
    assert (out["outcome"], out["fired"]) == ("exempt", ["ground_industry_item"])
    assert "HB-GQ-06" in out["explanation"]


@pytest.mark.parametrize(("ratio", "outcome"), [("0.8", "exempt"), ("0.80", "exempt"), ("0.8000001", "not_tolerated")])
def test_the_fund_ratio_is_compared_exactly(tmp_path, ratio, outcome):
    text = json.dumps(FUND).replace('"fund_loss_ratio": 0.8', f'"fund_loss_ratio": {ratio}')
    assert evaluate(write(tmp_path, text))["outcome"] == outcome


def test_the_fund_case_with_unreported_risks_falls_back_to_mitigation(tmp_path):
    document = json.loads(json.dumps(FUND))
    document["facts"]["extra"]["known_risks_reported"] = False
    document["facts"]["loss_recovered"] = "full"
    document["facts"]["cooperated_with_investigation"] = True
    out = evaluate(write(tmp_path, document), "--language", "en")
    assert (out["outcome"], out["fired"]) == ("reduced", ["mitigation_loss_recovered", "mitigation_cooperation"])
    assert "Known risks truthfully reported = no (the case: no)" not in out["explanation"]
    assert "Known risks truthfully reported = yes (the case: no)" in out["explanation"]


def test_rulebook_by_id_and_by_path(tmp_path):
    by_default = evaluate(write(tmp_path, {"facts": FACTS}))
    by_id = evaluate(write(tmp_path, {"facts": FACTS, "rulebook": "tolerance"}))
    shipped = ROOT / "dandang" / "rulebooks" / "tolerance.yaml"
    by_path = evaluate(write(tmp_path, {"facts": FACTS, "rulebook": str(shipped)}))
    assert by_default == by_id == by_path


def test_a_stricter_rulebook_file_next_to_the_document(tmp_path):
    document = yaml.safe_load((ROOT / "dandang" / "rulebooks" / "tolerance.yaml").read_text(encoding="utf-8"))
    document["version"] = 7
    document["content"]["national"]["reform_closing_consequences"] = ["major", "egregious"]
    (tmp_path / "strict.yaml").write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    case = {"facts": {**FACTS, "consequence": "major"}, "rulebook": "strict.yaml"}
    out = evaluate(write(tmp_path, case))
    assert out["rulebook"] == "tolerance@7"
    assert (out["outcome"], out["fired"]) == ("not_tolerated", ["egregious_closes_reform_ground", "no_ground"])


def test_narrative_is_accepted_and_changes_nothing(tmp_path):
    narrative = dict.fromkeys(NARRATIVE_FIELDS, "出于公心，按程序集体研究")
    assert evaluate(write(tmp_path, {"facts": FACTS, "narrative": narrative})) == evaluate(
        write(tmp_path, {"facts": FACTS}, "plain.json")
    )


@pytest.mark.django_db
def test_no_database_query(tmp_path, django_assert_num_queries):
    path = write(tmp_path, FUND)
    with django_assert_num_queries(0):
        evaluate(path)
        bad(write(tmp_path, {"facts": {}}, "bad.json"))


# --- bad input: exit 2, the field named ---------------------------------------------------------


def without(name):
    return {key: value for key, value in FACTS.items() if key != name}


@pytest.mark.parametrize("name", list(FACTS))
def test_each_missing_fact_is_named(tmp_path, name):
    assert f"facts.{name}: " in bad(write(tmp_path, {"facts": without(name)}), "--language", "en")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"personal_gain": "true"}, "facts.personal_gain"),
        ({"personal_gain": 1}, "facts.personal_gain"),
        ({"procedure_followed": None}, "facts.procedure_followed"),
        ({"context": "pilot"}, "facts.context"),
        ({"loss_recovered": "most"}, "facts.loss_recovered"),
        ({"consequence": 3}, "facts.consequence"),
        ({"mood": "good"}, "facts.mood"),
        ({"extra": []}, "facts.extra"),
    ],
)
def test_ill_typed_or_unknown_facts_are_named(tmp_path, change, field):
    message = bad(write(tmp_path, {"facts": {**FACTS, **change}}), "--language", "en")
    assert message.startswith(f"{field}: ")


def test_a_string_true_is_not_a_boolean_and_says_so_in_chinese(tmp_path):
    message = bad(write(tmp_path, {"facts": {**FACTS, "personal_gain": "true"}}))
    assert message.startswith("facts.personal_gain: ")
    assert "true" in message or "是" in message


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"facts": FACTS, "verdict": "exempt"}, "verdict"),
        ({"facts": FACTS, "industry_item": 6}, "industry_item"),
        ({"facts": FACTS, "industry_item": "NO-SUCH"}, "industry_item"),
        ({"facts": FACTS, "narrative": {"motive": "x"}}, "narrative.motive"),
        ({"facts": FACTS, "narrative": {"motivation_attitude": 5}}, "narrative.motivation_attitude"),
        ({"facts": FACTS, "rulebook": "no_such_book"}, "rulebook"),
        ({"facts": FACTS, "rulebook": "archive"}, "rulebook"),
        ({"facts": FACTS, "rulebook": 3}, "rulebook"),
        ({}, "facts"),
        ({"facts": "all fine"}, "facts"),
    ],
)
def test_bad_documents_name_the_field(tmp_path, document, field):
    assert bad(write(tmp_path, document), "--language", "en").startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"fund_loss_ratio": 0.5}, "facts.extra.known_risks_reported"),  # missing
        ({"fund_loss_ratio": 0.5, "known_risks_reported": "true"}, "facts.extra.known_risks_reported"),
        ({"fund_loss_ratio": True, "known_risks_reported": True}, "facts.extra.fund_loss_ratio"),
        ({"fund_loss_ratio": "lots", "known_risks_reported": True}, "facts.extra.fund_loss_ratio"),
        ({"fund_loss_ratio": 1.5, "known_risks_reported": True}, "facts.extra.fund_loss_ratio"),  # above 1
        ({"fund_loss_ratio": 0.5, "known_risks_reported": True, "fund_size": 9}, "facts.extra.fund_size"),
    ],
)
def test_extra_facts_are_checked_against_the_item(tmp_path, extra, field):
    document = {**FUND, "facts": {**FUND["facts"], "extra": extra}}
    assert f"{field}: " in bad(write(tmp_path, document), "--language", "en")


def test_an_integer_extra_fact_refuses_a_fraction(tmp_path):
    document = {
        "facts": {**FACTS, "context": "emergency", "extra": {"days_to_report": 2.5}},
        "industry_item": "HB-GQ-09",
    }
    assert bad(write(tmp_path, document), "--language", "en").startswith("facts.extra.days_to_report: ")
    document["facts"]["extra"]["days_to_report"] = 7
    assert evaluate(write(tmp_path, document))["outcome"] == "exempt"


def test_extra_facts_without_an_item_are_unknown(tmp_path):
    document = {"facts": {**FACTS, "extra": {"fund_loss_ratio": 0.5}}}
    assert bad(write(tmp_path, document), "--language", "en").startswith("facts.extra.fund_loss_ratio: ")


def test_every_problem_is_named_at_once(tmp_path):
    message = bad(write(tmp_path, {"facts": {**without("collusion"), "intentional": "no"}}), "--language", "en")
    assert "facts.collusion: This field is required." in message
    assert "facts.intentional: Enter true or false." in message


@pytest.mark.parametrize("text", ["{not json", "", "[1, 2", '{"facts": NaN}'])
def test_invalid_json(tmp_path, text):
    assert bad(write(tmp_path, text), "--language", "en").startswith("(document): ")


def test_a_document_that_is_not_an_object(tmp_path):
    assert bad(write(tmp_path, "[1, 2]"), "--language", "en").startswith("(document): ")


def test_an_unreadable_file(tmp_path):
    missing = tmp_path / "nowhere.json"
    assert bad(missing, "--language", "en").startswith(f"{missing}: ")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    assert bad(binary, "--language", "en").startswith(f"{binary}: ")


def test_an_unknown_kernel(tmp_path):
    assert bad(write(tmp_path, {"facts": FACTS}), "--language", "en", kernel="grading").startswith("kernel: ")


# --- narrative never changes the outcome (property) ---------------------------------------------

narratives = st.one_of(
    st.none(),
    st.fixed_dictionaries({}, optional={name: st.text(max_size=40) for name in NARRATIVE_FIELDS}),
)


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    facts=st.fixed_dictionaries(
        {name: (st.booleans() if isinstance(value, bool) else st.just(value)) for name, value in FACTS.items()}
    ),
    context=st.sampled_from(["reform_pilot", "exploratory_trial", "development_promotion", "emergency", "routine"]),
    consequence=st.sampled_from(["none", "minor", "major", "egregious"]),
    loss=st.sampled_from(["none", "partial", "full"]),
    ratio=st.decimals(min_value=0, max_value=1, places=2),
    invoke=st.booleans(),
    narrative=narratives,
)
def test_narrative_never_changes_the_outcome(facts, context, consequence, loss, ratio, invoke, narrative):
    book = shipped_rulebook("tolerance")
    case_facts = {**facts, "context": context, "consequence": consequence, "loss_recovered": loss}
    document = {"facts": case_facts}
    if invoke:
        document = {
            "facts": {**case_facts, "extra": {"fund_loss_ratio": ratio, "known_risks_reported": True}},
            "industry_item": "HB-GQ-06",
        }
    plain = tolerance_evaluate(document, book).decision
    told = tolerance_evaluate({**document, "narrative": narrative}, book).decision
    assert (told.outcome, told.fired, told.explanation) == (plain.outcome, plain.fired, plain.explanation)
    # And any exclusion (but a repeat excused by force majeure) is not tolerated.
    if any(case_facts[name] for name in ("personal_gain", "collusion", "intentional")):
        assert plain.outcome == "not_tolerated"
    if isinstance(ratio, Decimal) and invoke and not plain.fired[0].startswith(("personal", "coll", "inten")):
        assert ("ground_industry_item" in plain.fired) == (
            ratio <= Decimal("0.8") and case_facts["procedure_followed"] and plain.deciding_step != "exclusion"
        )


# --- the real command line: exit codes, no database ---------------------------------------------

UNREACHABLE = "postgres://nobody:nothing@127.0.0.1:9/no_database"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": UNREACHABLE, "DJANGO_SETTINGS_MODULE": "config.settings"}
    return subprocess.run(
        [sys.executable, "manage.py", "evaluate", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_command_line_with_an_unreachable_database(tmp_path):
    done = run_cli("tolerance", str(write(tmp_path, FUND)), "--language", "en")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["outcome"], out["fired"], out["rulebook"]) == ("exempt", ["ground_industry_item"], "tolerance@1")


def test_command_line_bad_input_exits_2_naming_the_field(tmp_path):
    done = run_cli("tolerance", str(write(tmp_path, {"facts": {**FACTS, "personal_gain": "true"}})), "--language", "en")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("facts.personal_gain: Enter true or false.")
    done = run_cli("tolerance", str(tmp_path / "missing.json"))
    assert done.returncode == 2
    assert "missing.json" in done.stderr
