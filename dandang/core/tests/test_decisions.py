import datetime as dt
from decimal import Decimal

import pytest
import yaml
from django.conf import settings

from dandang.core.decisions import decision_record_create
from dandang.core.errors import ValidationFailed
from dandang.core.models import DecisionRecord
from dandang.core.rulebooks import rulebook_effective, rulebook_publish, shipped_rulebook

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

EXPLANATION = {
    "zh-hans": "连续失败5次，账户锁定30分钟。",
    "en": "Five failures in a row: the account is locked for 30 minutes.",
}


def test_record_stores_inputs_rulebook_fired_outcome_and_both_explanations(world):
    actor = world.user("staff_a")
    book = shipped_rulebook("security")
    record = decision_record_create(
        actor=actor,
        kernel="lockout",
        rulebook=book,
        inputs={"failures": 5, "since": dt.date(2026, 3, 2), "weight": Decimal("0.25")},
        fired=["login_lockout.failure_limit"],
        outcome={"locked": True, "minutes": 30},
        explanation=EXPLANATION,
        subject_type="user",
        subject_id=actor.pk,
    )
    stored = DecisionRecord.objects.get(pk=record.pk)
    # Plain JSON, so the record reads the same in 2031 whatever the code then is.
    assert stored.inputs == {"failures": 5, "since": "2026-03-02", "weight": "0.25"}
    assert (stored.rulebook_id, stored.rulebook_version) == ("security", 1)
    assert stored.fired == ["login_lockout.failure_limit"]
    assert stored.outcome == {"locked": True, "minutes": 30}
    assert stored.explanation == EXPLANATION
    assert (stored.subject_type, stored.subject_id) == ("user", str(actor.pk))
    assert stored.created_by_id == actor.pk and stored.created_at is not None


def test_record_keeps_the_version_in_force_at_the_time(world):
    doc = yaml.safe_load((settings.DANDANG_RULEBOOK_DIR / "security.yaml").read_text(encoding="utf-8"))
    rulebook_publish(actor=None, document=doc, organization=world.orgs["A"])
    book = rulebook_effective("security", world.orgs["A-t1"])
    record = decision_record_create(
        actor=None, kernel="lockout", rulebook=book, inputs={}, fired=[], outcome=False, explanation=EXPLANATION
    )
    assert (record.rulebook_id, record.rulebook_version) == ("security", 2)
    assert record.created_by is None
    assert DecisionRecord.objects.get(pk=record.pk).outcome is False


@pytest.mark.parametrize("missing", ["inputs", "outcome"])
def test_inputs_and_outcome_are_required(missing):
    args = {"inputs": {"failures": 1}, "outcome": {"locked": False}, missing: None}
    with pytest.raises(ValidationFailed) as exc:
        decision_record_create(
            actor=None,
            kernel="lockout",
            rulebook=shipped_rulebook("security"),
            fired=[],
            explanation=EXPLANATION,
            **args,
        )
    assert set(exc.value.detail) == {missing}
    assert not DecisionRecord.objects.exists()


@pytest.mark.parametrize(
    "explanation",
    [{"en": "only English"}, {"zh-hans": "只有中文"}, {"zh-hans": " ", "en": "blank Chinese"}, {}],
)
def test_an_explanation_missing_a_language_is_refused(explanation):
    with pytest.raises(ValidationFailed) as exc:
        decision_record_create(
            actor=None,
            kernel="lockout",
            rulebook=shipped_rulebook("security"),
            inputs={},
            fired=[],
            outcome={},
            explanation=explanation,
        )
    assert "explanation" in exc.value.detail
    assert not DecisionRecord.objects.exists()
