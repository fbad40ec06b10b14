"""The tolerance case workflow through its services: the one-month rule, deadlines in working days
across public holidays, acceptance and refusal with written notice, one extension, the proposal
with the kernel's recommendation, the determination (another person, a reason to depart), the
notifications, correction, follow-up visits, closing, audit, and nothing changed on a refusal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from dandang.core.errors import Conflict, PermissionDenied, ValidationFailed
from dandang.core.models import AuditEvent, DecisionRecord, Notification
from dandang.testing import fresh, row_counts
from dandang.tolerance import services
from dandang.tolerance.models import CorrectionItem, ToleranceCase
from dandang.tolerance.tests.helpers import (
    FACTS,
    NARRATIVE,
    NOT_TOLERATED_DOCUMENT,
    TODAY,
    applied,
    case_in,
    today,
)

D = dt.date
pytestmark = [pytest.mark.usefixtures("shared_world", "today")]
__all__ = ["today"]


def inbox(user, message):
    return list(Notification.objects.filter(user=user, message=message))


# --- the application -------------------------------------------------------------------------


def test_an_application_is_due_for_acceptance_in_ten_working_days_across_the_holidays(world):
    case = applied(world)
    assert case.status == "applied" and case.version == 1 and case.origin == "application"
    # Monday 21 September 2026 + 10 working days: Mid-Autumn (25–27 Sept) and National Day (1–7 Oct)
    # are skipped, the adjusted working Saturday 10 October counts.
    assert case.due_date == D(2026, 10, 12) and not case.due_provisional
    assert case.matter_type == "decision" and case.matter_id == "甲纪发〔2026〕12号"
    event = AuditEvent.objects.get(action="tolerance.case.apply", object_id=str(case.pk))
    assert event.after["status"] == "applied" and event.partition == world.cadres["A1"].org.audit_partition
    # The handlers of the jurisdiction get a to-do; the cadre does not (it is their own case).
    assert inbox(world.user("staff_a"), "tolerance_applied") and inbox(world.user("discipline_a"), "tolerance_applied")
    assert not inbox(world.user("staff_b"), "tolerance_applied")
    assert not inbox(world.user("cadre_a1"), "tolerance_applied")


def test_an_application_later_than_one_month_after_the_decision_is_refused(world, today):
    before = row_counts()
    today["value"] = D(2026, 10, 9)  # decision of 2 September: one month ends 2 October, a holiday → 8 October
    with pytest.raises(ValidationFailed) as exc:
        applied(world)
    assert "2026-10-08" in exc.value.detail["decision_date"][0]
    assert row_counts() == before
    today["value"] = D(2026, 10, 8)  # the last day
    assert applied(world).status == "applied"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"matter": "  "}, "matter"),
        ({"statement": ""}, "statement"),
        ({"decision_date": None}, "decision_date"),
        ({"matter_date": D(2027, 1, 1)}, "matter_date"),
        ({"decision_date": D(2026, 6, 1)}, "decision_date"),  # before the matter
        ({"decision_reference": "号" * 101}, "decision_reference"),
    ],
)
def test_bad_applications_change_nothing(world, overrides, field):
    before = row_counts()
    with pytest.raises(ValidationFailed) as exc:
        applied(world, **overrides)
    assert field in exc.value.detail
    assert row_counts() == before


@pytest.mark.parametrize("user", ["staff_a", "leader_a", "discipline_a", "nobody"])
def test_only_the_cadre_applies_for_themself(world, user):
    before = row_counts()
    with pytest.raises(PermissionDenied):
        applied(world, actor=world.user(user))
    assert row_counts() == before


def test_a_second_open_application_about_the_same_decision_is_a_conflict(world):
    applied(world)
    with pytest.raises(Conflict):
        applied(world)


# --- acceptance ------------------------------------------------------------------------------


def test_acceptance_starts_a_one_month_investigation_and_notifies_the_applicant(world, today):
    case = applied(world)
    today["value"] = D(2026, 9, 30)
    case = services.tolerance_case_accept(actor=world.user("staff_a"), case=case, note="予以受理", version=1)
    assert case.status == "investigating" and case.version == 2
    # One month from 30 September ends on 30 October (a Friday).
    assert case.due_date == D(2026, 10, 30)
    notice = Notification.objects.get(user=world.user("cadre_a1"), message="tolerance_accepted")
    assert notice.kind == "notice" and "予以受理" in notice.params["note"]
    assert AuditEvent.objects.filter(action="tolerance.case.accept", object_id=str(case.pk)).exists()


def test_refusal_needs_a_reason_and_notifies_the_applicant(world):
    case = applied(world)
    with pytest.raises(ValidationFailed):
        services.tolerance_case_refuse(actor=world.user("staff_a"), case=case, note=" ", version=1)
    case = services.tolerance_case_refuse(actor=world.user("staff_a"), case=case, note="超出申请范围", version=1)
    assert case.status == "not_accepted" and case.due_date is None
    assert Notification.objects.get(user=world.user("cadre_a1"), message="tolerance_not_accepted").params["note"]


@pytest.mark.parametrize("user", ["cadre_a1", "leader_a", "committee_a", "auditor_a", "staff_b", "nobody"])
def test_who_may_not_accept_changes_nothing(world, user):
    case = applied(world)
    before, state = row_counts(), fresh(case)
    with pytest.raises(PermissionDenied):
        services.tolerance_case_accept(actor=world.user(user), case=case, version=1)
    assert row_counts() == before and fresh(case).status == state.status == "applied"


def test_a_stale_version_is_a_conflict_so_two_handlers_cannot_both_win(world):
    case = applied(world)
    services.tolerance_case_accept(actor=world.user("staff_a"), case=case, version=1)
    before = row_counts()
    with pytest.raises(Conflict):
        services.tolerance_case_refuse(actor=world.user("discipline_a"), case=case, note="不予受理", version=1)
    assert row_counts() == before


# --- the investigation -----------------------------------------------------------------------


def test_the_investigation_is_extended_once_by_one_month(world):
    case = case_in(world, "investigating")
    due = case.due_date
    assert due == D(2026, 10, 21)  # 21 September + one month
    case = services.tolerance_case_extend(actor=world.user("staff_a"), case=case, reason="需补充调取资料", version=2)
    assert case.due_date == D(2026, 11, 23)  # 21 November is a Saturday: the Monday after
    before = row_counts()
    with pytest.raises(Conflict):
        services.tolerance_case_extend(actor=world.user("staff_a"), case=case, reason="再次延长", version=3)
    assert row_counts() == before


def test_the_proposal_stores_the_kernels_recommendation_as_a_decision_record(world):
    case = case_in(world, "proposed")
    assert case.status == "proposed" and case.recommended_outcome == "exempt"
    record = DecisionRecord.objects.get(pk=case.recommendation_id)
    assert (record.kernel, record.subject_type, record.subject_id) == ("tolerance", "tolerance_case", str(case.pk))
    assert record.fired == ["ground_reform"] and set(record.explanation) == {"zh-hans", "en"}
    assert case.case_document["narrative"] == NARRATIVE and case.case_document["facts"]["context"] == "reform_pilot"
    assert case.proposed_by == world.user("staff_a")
    # The deciders (not the proposer) get a to-do with the deadline.
    assert inbox(world.user("discipline_a"), "tolerance_proposed")
    assert not inbox(world.user("staff_a"), "tolerance_proposed")


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"facts": {**FACTS, "personal_gain": "no"}, "narrative": NARRATIVE}, "facts.personal_gain"),
        (
            {"facts": {k: v for k, v in FACTS.items() if k != "consequence"}, "narrative": NARRATIVE},
            "facts.consequence",
        ),
        ({"facts": FACTS, "narrative": {**NARRATIVE, "nature_degree": ""}}, "narrative.nature_degree"),
        ({"facts": FACTS}, "narrative.motivation_attitude"),
        ({"facts": FACTS, "narrative": NARRATIVE, "industry_item": "NOPE"}, "industry_item"),
        ({"facts": {**FACTS, "extra": {"x": 1}}, "narrative": NARRATIVE}, "facts.extra.x"),
    ],
)
def test_bad_findings_are_refused_naming_the_field_and_change_nothing(world, document, field):
    case = case_in(world, "investigating")
    before = row_counts()
    with pytest.raises(ValidationFailed) as exc:
        services.tolerance_case_propose(
            actor=world.user("staff_a"), case=case, document=document, report="报告", version=case.version
        )
    assert field in exc.value.detail
    assert row_counts() == before and fresh(case).status == "investigating"


def test_an_industry_item_with_its_extra_facts(world):
    case = case_in(world, "investigating")
    document = {
        "facts": {**FACTS, "context": "routine", "extra": {"fund_loss_ratio": "0.8", "known_risks_reported": True}},
        "industry_item": "HB-GQ-06",
        "narrative": NARRATIVE,
    }
    case = services.tolerance_case_propose(
        actor=world.user("staff_a"), case=case, document=document, report="报告", version=case.version
    )
    assert case.recommended_outcome == "exempt" and case.recommendation.fired == ["ground_industry_item"]


# --- the determination -----------------------------------------------------------------------


def test_the_proposer_never_decides(world):
    case = case_in(world, "proposed")
    before = row_counts()
    with pytest.raises(PermissionDenied) as exc:
        services.tolerance_case_determine(
            actor=world.user("staff_a"), case=case, outcome="exempt", version=case.version
        )
    with translation.override("en"):
        assert "different people" in str(exc.value.message)
    assert row_counts() == before


def test_departing_from_the_recommendation_needs_a_reason(world):
    case = case_in(world, "proposed")
    with pytest.raises(ValidationFailed) as exc:
        services.tolerance_case_determine(
            actor=world.user("discipline_a"), case=case, outcome="lighter", version=case.version
        )
    assert "reason" in exc.value.detail
    case = services.tolerance_case_determine(
        actor=world.user("discipline_a"),
        case=case,
        outcome="lighter",
        reason="造成一定影响，从轻处理。",
        version=case.version,
    )
    assert case.outcome == "lighter" and case.departs and case.departure_reason
    event = AuditEvent.objects.get(action="tolerance.case.determine", object_id=str(case.pk))
    assert event.after["departs"] is True and event.after["recommended_outcome"] == "exempt"


def test_the_determination_notifies_the_cadre_party_organization_discipline_and_organization_department(world):
    case = case_in(world, "determined")
    assert case.status == "determined" and case.outcome == "exempt" and case.decided_on == TODAY
    assert inbox(world.user("cadre_a1"), "tolerance_determined_cadre")
    assert inbox(world.user("leader_a"), "tolerance_determined_party")  # unit leader of the cadre's bureau
    assert inbox(world.user("discipline_a"), "tolerance_determined_report")
    assert inbox(world.user("staff_a"), "tolerance_determined_copy")
    assert inbox(world.user("staff_city"), "tolerance_determined_copy")  # the city department holds A too
    assert not inbox(world.user("staff_b"), "tolerance_determined_copy")


def test_an_outcome_outside_the_four_is_refused(world):
    case = case_in(world, "proposed")
    with pytest.raises(ValidationFailed):
        services.tolerance_case_determine(
            actor=world.user("discipline_a"), case=case, outcome="pardon", version=case.version
        )


# --- ex officio ------------------------------------------------------------------------------


def test_an_ex_officio_review_skips_acceptance_and_is_idempotent(world):
    args = {
        "actor": world.user("discipline_a"),
        "cadre": world.cadres["A2"],
        "matter_type": "accountability_case",
        "matter_id": 41,
        "matter": "防汛值守不到位被启动问责",
        "matter_date": D(2026, 8, 30),
    }
    case = services.tolerance_review_open(**args)
    assert (case.origin, case.status, case.matter_id) == ("ex_officio", "investigating", "41")
    assert case.due_date == D(2026, 10, 21)
    assert services.tolerance_review_open(**args).pk == case.pk
    assert ToleranceCase.objects.filter(matter_id="41").count() == 1
    assert inbox(world.user("staff_a"), "tolerance_opened") and not inbox(
        world.user("discipline_a"), "tolerance_opened"
    )
    with pytest.raises(PermissionDenied):
        services.tolerance_review_open(**{**args, "actor": world.user("leader_a"), "matter_id": 42})
    with pytest.raises(ValidationFailed):
        services.tolerance_review_open(**{**args, "matter_type": "rumour"})


# --- correction and follow-up visits ---------------------------------------------------------


def test_correction_plan_follow_up_and_closing(world, today):
    case = case_in(world, "determined")
    staff = world.user("staff_a")
    with pytest.raises(ValidationFailed) as exc:
        services.correction_item_add(actor=staff, case=case, owner="", task="", deadline=None)
    assert set(exc.value.detail) == {"owner", "task", "deadline"}
    item = services.correction_item_add(
        actor=staff, case=case, owner="县农业农村局", task="完善交易审核流程", deadline=D(2026, 10, 30)
    )
    with pytest.raises(Conflict):
        services.tolerance_case_close(actor=staff, case=case, version=case.version)  # an item is open
    with pytest.raises(ValidationFailed):
        services.correction_item_done(actor=staff, item=item, done_on=D(2026, 12, 1))  # in the future
    services.correction_item_done(actor=staff, item=item, done_on=D(2026, 9, 21), note="已印发新流程")
    with pytest.raises(Conflict):
        services.correction_item_done(actor=staff, item=item, done_on=D(2026, 9, 21))
    visit = services.follow_up_visit_add(
        actor=staff, case=case, visited_on=TODAY, visitors="县委组织部", notes="回访谈心"
    )
    assert visit.pk
    case = services.tolerance_case_close(actor=staff, case=fresh(case), version=fresh(case).version)
    assert case.status == "closed"
    # After closing: follow-up visits still, correction items no more.
    services.follow_up_visit_add(actor=staff, case=case, visited_on=TODAY, visitors="县委组织部", notes="再次回访")
    with pytest.raises(Conflict):
        services.correction_item_add(actor=staff, case=case, owner="x", task="y", deadline=TODAY)
    actions = list(
        AuditEvent.objects.filter(object_type="tolerance_case", object_id=str(case.pk)).values_list("action", flat=True)
    )
    assert "tolerance.correction.add" in actions and "tolerance.correction.done" in actions
    assert "tolerance.follow_up.add" in actions and actions[-2] == "tolerance.case.close"


@pytest.mark.parametrize("user", ["cadre_a1", "leader_a", "auditor_a", "staff_b"])
def test_who_may_not_correct_changes_nothing(world, user):
    case = case_in(world, "determined")
    before = row_counts()
    with pytest.raises(PermissionDenied):
        services.correction_item_add(actor=world.user(user), case=case, owner="x", task="y", deadline=TODAY)
    with pytest.raises(PermissionDenied):
        services.follow_up_visit_add(actor=world.user(user), case=case, visited_on=TODAY, visitors="x", notes="y")
    assert row_counts() == before


def test_not_tolerated_case(world):
    case = case_in(world, "determined", document=NOT_TOLERATED_DOCUMENT, outcome="not_tolerated")
    assert case.recommended_outcome == "not_tolerated" and not case.departs


# --- reminders -------------------------------------------------------------------------------


def test_overdue_steps_are_reminded_once(world):
    case = applied(world)  # acceptance due 12 October
    assert services.tolerance_reminders_send(today=D(2026, 10, 12)) == 0  # due today: not overdue yet
    sent = services.tolerance_reminders_send(today=D(2026, 10, 13))
    handlers = {"staff_a", "discipline_a", "staff_city"}
    assert sent == len(handlers)
    assert services.tolerance_reminders_send(today=D(2026, 10, 14)) == 0  # idempotent
    note = Notification.objects.get(user=world.user("staff_a"), message="tolerance_overdue")
    assert note.params["due"] == "2026-10-12" and note.link.endswith(f"/tolerance/cases/{case.pk}/")
    assert not Notification.objects.filter(user=world.user("cadre_a1"), message="tolerance_overdue").exists()


def test_overdue_correction_items_are_reminded_once(world):
    case = case_in(world, "determined")
    CorrectionItem.objects.create(case=case, owner="局办公室", task="整改台账", deadline=D(2026, 9, 30))
    first = services.tolerance_reminders_send(today=D(2026, 10, 9))
    assert first >= 1
    assert Notification.objects.filter(user=world.user("staff_a"), message="tolerance_correction_overdue").count() == 1
    assert services.tolerance_reminders_send(today=D(2026, 10, 10)) == 0


def test_the_periodic_task_runs_the_reminders(world):
    from dandang.tolerance.tasks import tolerance_reminders

    applied(world)
    result = tolerance_reminders.enqueue(today="2026-10-13")
    assert result.return_value == 3
