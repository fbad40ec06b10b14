"""Name clearing (澄清正名) through its services: the qualifying findings ("unproven but not excluded"
refused with its rule), the triggers (at least one) and the Jiangxi exclusions, one case per
allegation, "谁核实、谁澄清" (only the verifying body clears), proposer ≠ decider, stale versions,
every refusal changing nothing, every write audited, the cadre told, and the system-level
``cleared_allegations``.

Fixture world (``dandang.testing``): ``staff_a`` (organization department) and ``discipline_a``
(discipline inspection) hold county A; A1 (user ``cadre_a1``) works in the A-bureau; B1 in county B.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone, translation

from dandang.core.audit import audit_verify
from dandang.core.errors import Conflict, PermissionDenied, ValidationFailed
from dandang.core.models import AuditEvent, Notification
from dandang.core.notifications import render_message
from dandang.org import services as org_services
from dandang.org.roles import Role
from dandang.testing import World, fresh, row_counts
from dandang.tolerance import services_clearing as services
from dandang.tolerance.models_clearing import ClearingStatus, NameClearingCase
from dandang.tolerance.selectors_clearing import cleared_allegations

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

TODAY = timezone.localdate()
EARLIER = TODAY - dt.timedelta(days=30)


def second_discipline(world: World, name: str = "discipline_a2", org: str = "A") -> Any:
    user = org_services.user_create(actor=None, username=name, password="pw-" + name)
    org_services.role_grant_create(actor=None, user=user, role=Role.DISCIPLINE, organization=world.orgs[org])
    world.users[name] = user
    return user


def opened(world: World, *, cadre: str = "A1", by: str = "staff_a", **kwargs: Any) -> NameClearingCase:
    args: dict[str, Any] = {
        "allegation": "举报其在项目招标中收受好处费",
        "report_reference": "XF-2026-001",
        "report_received_on": EARLIER,
        "triggers": ["career_affected"],
        "trigger_note": "举报导致其提拔考察暂停",
        **kwargs,
    }
    return services.clearing_case_open(actor=world.user(by), cadre=world.cadres[cadre], **args)


def verified(world: World, case: NameClearingCase | None = None, *, by: str = "discipline_a") -> NameClearingCase:
    case = case or opened(world)
    return services.clearing_case_verify(
        actor=world.user(by),
        case=case,
        finding="fabricated",
        summary="经调阅招标档案、询问相关人员，反映问题系捏造。",
        verified_on=TODAY - dt.timedelta(days=5),
        version=case.version,
    )


def cleared(world: World, case: NameClearingCase | None = None, *, by: str = "discipline_a") -> NameClearingCase:
    case = case or verified(world)
    return services.clearing_case_clear(
        actor=world.user(by),
        case=case,
        publication_scope="party_organization",
        published_on=TODAY,
        version=case.version,
    )


# --- the whole way ---------------------------------------------------------------------------


def test_open_verify_clear_audits_notifies_and_shows_as_cleared(world: World) -> None:
    audit_before = AuditEvent.objects.count()
    case = opened(world)
    assert case.status == ClearingStatus.OPENED and case.version == 1 and case.opened_by == world.user("staff_a")
    case = verified(world, case)
    assert case.status == ClearingStatus.VERIFIED and case.version == 2
    assert case.verifying_body == world.orgs["A"] and case.verified_by == world.user("discipline_a")
    assert list(cleared_allegations(world.cadres["A1"])) == []
    case = cleared(world, case)
    assert case.status == ClearingStatus.CLEARED and case.version == 3
    assert case.publication_scope == "party_organization" and case.published_on == TODAY
    assert case.decided_by == world.user("discipline_a")
    assert list(cleared_allegations(world.cadres["A1"])) == [case]
    actions = list(
        AuditEvent.objects.filter(object_type="name_clearing_case", object_id=str(case.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["clearing.open", "clearing.verify", "clearing.clear"]
    assert AuditEvent.objects.count() == audit_before + 3
    assert audit_verify()[1] == []
    note = Notification.objects.get(user=world.user("cadre_a1"), message="clearing_cleared")
    assert note.link == f"/cadres/{case.cadre_id}/cleared-allegations/"
    with translation.override("zh-hans"):
        assert "澄清正名" in render_message(note.message, note.params)
    with translation.override("en"):
        assert "never counts against you" in render_message(note.message, note.params)


@pytest.mark.parametrize("finding", ["seriously_untrue", "untrue", "fabricated", "false"])
def test_every_qualifying_finding_is_accepted(world: World, finding: str) -> None:
    case = opened(world)
    case = services.clearing_case_verify(
        actor=world.user("discipline_a"), case=case, finding=finding, summary="核查结论", verified_on=TODAY
    )
    assert case.finding == finding


# --- findings, triggers, exclusions ----------------------------------------------------------


@pytest.mark.parametrize(
    ("finding", "words"),
    [
        ("unproven", "查无实据但不能排除"),
        ("substantiated", "substantiated"),
        ("made_up", "Unknown finding"),
        ("", "required"),
    ],
)
def test_a_finding_that_does_not_qualify_is_refused_with_its_rule(world: World, finding: str, words: str) -> None:
    case = opened(world)
    before = row_counts()
    with translation.override("en"), pytest.raises(ValidationFailed) as exc:
        services.clearing_case_verify(
            actor=world.user("discipline_a"), case=case, finding=finding, summary="核查", verified_on=TODAY, version=1
        )
    assert words in " ".join(exc.value.detail["finding"])
    assert row_counts() == before
    assert fresh(case).status == ClearingStatus.OPENED and fresh(case).version == 1


def test_unproven_message_in_chinese(world: World) -> None:
    case = opened(world)
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as exc:
        services.clearing_case_verify(
            actor=world.user("discipline_a"), case=case, finding="unproven", summary="核查", verified_on=TODAY
        )
    assert "不符合澄清正名" in exc.value.detail["finding"][0]


def test_at_least_one_trigger(world: World) -> None:
    before = row_counts()
    with translation.override("en"), pytest.raises(ValidationFailed) as exc:
        opened(world, triggers=[])
    assert "at least one trigger" in exc.value.detail["triggers"][0]
    with pytest.raises(ValidationFailed) as exc:
        opened(world, triggers=["bad_luck"])
    assert "bad_luck" in exc.value.detail["triggers"][0]
    assert row_counts() == before


@pytest.mark.parametrize("trigger", ["career_affected", "rights_harmed", "repeated_reports"])
def test_each_trigger_alone_is_enough(world: World, trigger: str) -> None:
    assert opened(world, triggers=[trigger]).triggers == [trigger]


@pytest.mark.parametrize("exclusion", ["no_adverse_effect", "not_verifiable", "routine_interview"])
def test_an_exclusion_refuses_at_opening_and_at_verification(world: World, exclusion: str) -> None:
    before = row_counts()
    with translation.override("en"), pytest.raises(ValidationFailed) as exc:
        opened(world, exclusions=[exclusion])
    assert "does not apply" in exc.value.detail["exclusions"][0]
    assert row_counts() == before
    case = opened(world)
    before = row_counts()
    with pytest.raises(ValidationFailed) as exc:
        services.clearing_case_verify(
            actor=world.user("discipline_a"),
            case=case,
            finding="untrue",
            summary="核查",
            verified_on=TODAY,
            exclusions=[exclusion],
        )
    assert "exclusions" in exc.value.detail
    assert row_counts() == before


def test_the_allegation_and_reference_are_required_and_one_case_per_allegation(world: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        opened(world, allegation="  ", report_reference="")
    assert set(exc.value.detail) == {"allegation", "report_reference"}
    with pytest.raises(ValidationFailed) as exc:
        opened(world, report_received_on=TODAY + dt.timedelta(days=2))
    assert "report_received_on" in exc.value.detail
    first = opened(world)
    before = row_counts()
    with pytest.raises(Conflict):
        opened(world)
    assert row_counts() == before
    # Another allegation of the same report is a case of its own; a refused one can be proposed again.
    opened(world, allegation="举报其违规使用公车")
    services.clearing_case_refuse(
        actor=world.user("discipline_a"), case=first, grounds=["not_verifiable"], note="尚未核实"
    )
    assert opened(world).status == ClearingStatus.OPENED


# --- who may do what -------------------------------------------------------------------------

OUTSIDERS = ["cadre_a1", "leader_a", "county_leader_a", "auditor_a", "committee_a", "staff_b", "discipline_b", "nobody"]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_who_may_not_propose(world: World, who: str) -> None:
    before = row_counts()
    with pytest.raises(PermissionDenied):
        opened(world, by=who)
    assert row_counts() == before


def test_discipline_may_propose_but_not_about_themself(world: World) -> None:
    assert opened(world, by="discipline_a").opened_by == world.user("discipline_a")
    inspector = org_services.user_create(actor=None, username="inspector_a1", password="x", cadre=None)
    org_services.role_grant_create(actor=None, user=inspector, role=Role.DISCIPLINE, organization=world.orgs["A"])
    inspector.cadre = world.cadres["A2"]
    inspector.save()
    with pytest.raises(PermissionDenied):
        services.clearing_case_open(
            actor=inspector, cadre=world.cadres["A2"], allegation="x", report_reference="r", triggers=["rights_harmed"]
        )


@pytest.mark.parametrize("who", ["staff_a", *OUTSIDERS])
def test_only_discipline_inspection_verifies(world: World, who: str) -> None:
    case = opened(world)
    before = row_counts()
    with pytest.raises(PermissionDenied):
        verified(world, case, by=who)
    assert row_counts() == before
    assert fresh(case).status == ClearingStatus.OPENED


@pytest.mark.parametrize("who", ["staff_a", *OUTSIDERS])
def test_who_may_not_clear_or_refuse(world: World, who: str) -> None:
    case = verified(world)
    before = row_counts()
    with pytest.raises(PermissionDenied):
        cleared(world, case, by=who)
    with pytest.raises(PermissionDenied):
        services.clearing_case_refuse(actor=world.user(who), case=case, grounds=["no_trigger"], note="x")
    assert row_counts() == before
    assert fresh(case).status == ClearingStatus.VERIFIED


def test_proposer_never_decides(world: World) -> None:
    case = verified(world, opened(world, by="discipline_a"))
    before = row_counts()
    with translation.override("en"):
        with pytest.raises(PermissionDenied) as exc:
            cleared(world, case, by="discipline_a")
        assert "different people" in str(exc.value.message)
    assert row_counts() == before
    # Another inspector of the same body decides.
    second_discipline(world)
    assert cleared(world, case, by="discipline_a2").status == ClearingStatus.CLEARED


def test_only_the_verifying_body_clears(world: World) -> None:
    """谁核实、谁澄清: discipline inspection of the city also holds county A, but county A's
    inspection verified the report, so only county A clears it."""
    second_discipline(world, "discipline_city", "city")
    case = verified(world)
    before = row_counts()
    with translation.override("en"):
        with pytest.raises(PermissionDenied) as exc:
            cleared(world, case, by="discipline_city")
        assert "谁核实、谁澄清" in str(exc.value.message)
    assert row_counts() == before
    # Verified by the city's inspection, the city clears it and county A does not.
    other = verified(world, opened(world, allegation="另一问题"), by="discipline_city")
    assert other.verifying_body == world.orgs["city"]
    with pytest.raises(PermissionDenied):
        cleared(world, other, by="discipline_a")
    assert cleared(world, other, by="discipline_city").status == ClearingStatus.CLEARED


# --- the states and versions -----------------------------------------------------------------


def test_stale_version_is_a_conflict_and_changes_nothing(world: World) -> None:
    case = opened(world)
    verified(world, case)
    before = row_counts()
    with pytest.raises(Conflict):
        services.clearing_case_clear(
            actor=world.user("discipline_a"),
            case=case,
            publication_scope="unit",
            published_on=TODAY,
            version=1,
        )
    with pytest.raises(Conflict):
        services.clearing_case_refuse(
            actor=world.user("discipline_a"), case=case, grounds=["no_trigger"], note="x", version=1
        )
    assert row_counts() == before
    assert fresh(case).status == ClearingStatus.VERIFIED


def test_steps_the_state_does_not_allow(world: World) -> None:
    case = opened(world)
    with pytest.raises(Conflict):  # not verified yet
        services.clearing_case_clear(
            actor=world.user("discipline_a"), case=case, publication_scope="unit", published_on=TODAY
        )
    case = cleared(world, verified(world, case))
    before = row_counts()
    with pytest.raises(Conflict):
        verified(world, case)
    with pytest.raises(Conflict):
        services.clearing_case_refuse(actor=world.user("discipline_a"), case=case, grounds=["no_trigger"], note="x")
    assert row_counts() == before


def test_clear_needs_a_scope_and_a_date_after_the_verification(world: World) -> None:
    case = verified(world)
    before = row_counts()
    with pytest.raises(ValidationFailed) as exc:
        services.clearing_case_clear(
            actor=world.user("discipline_a"), case=case, publication_scope="", published_on=None
        )
    assert set(exc.value.detail) == {"publication_scope", "published_on"}
    with pytest.raises(ValidationFailed) as exc:
        services.clearing_case_clear(
            actor=world.user("discipline_a"),
            case=case,
            publication_scope="newspaper",
            published_on=EARLIER,
        )
    assert set(exc.value.detail) == {"publication_scope", "published_on"}
    assert row_counts() == before


def test_refuse_from_opened_records_grounds_and_why(world: World) -> None:
    case = opened(world)
    with pytest.raises(ValidationFailed) as exc:
        services.clearing_case_refuse(actor=world.user("discipline_a"), case=case, grounds=[], note="")
    assert set(exc.value.detail) == {"grounds", "note"}
    case = services.clearing_case_refuse(
        actor=world.user("discipline_a"), case=case, grounds=["finding_unproven"], note="查无实据但不能排除", version=1
    )
    assert case.status == ClearingStatus.REFUSED and case.refusal_grounds == ["finding_unproven"]
    assert list(cleared_allegations(world.cadres["A1"])) == []
    assert not Notification.objects.filter(message="clearing_cleared").exists()


def test_cleared_allegations_hold_only_cleared_cases_of_that_cadre(world: World) -> None:
    mine = cleared(world)
    verified(world, opened(world, allegation="第二项"))
    opened(world, cadre="A3", allegation="他人的问题")
    assert [c.pk for c in cleared_allegations(world.cadres["A1"])] == [mine.pk]
    assert list(cleared_allegations(world.cadres["A3"])) == []
