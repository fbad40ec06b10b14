"""The tolerance pages: the list with overdue steps highlighted, the application, a case with the
steps of the viewer, the investigation form (with the item's extra facts fetched by htmx), the
determination showing the recommendation, the cadre's tolerance record — in both languages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from dandang.testing import row_counts
from dandang.tolerance.models import ToleranceCase
from dandang.tolerance.tests.helpers import DECISION_DAY, NARRATIVE, applied, case_in, today

pytestmark = [pytest.mark.usefixtures("shared_world", "today")]
__all__ = ["today"]


def client_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_a_cadre_applies_on_the_page(world):
    me = client_for(world.user("cadre_a1"))
    page = me.get(reverse("tolerance:apply"))
    assert page.status_code == 200 and "Apply for error tolerance" in page.content.decode()
    response = me.post(
        reverse("tolerance:apply"),
        {
            "matter": "试点中的程序瑕疵",
            "matter_date": "2026-06-15",
            "decision_reference": "",
            "decision_date": DECISION_DAY.isoformat(),
            "statement": "无意过失",
        },
    )
    case = ToleranceCase.objects.get()
    assert response.status_code == 302 and response.url == reverse("tolerance:case_detail", args=[case.pk])
    assert client_for(world.user("staff_a")).get(reverse("tolerance:apply")).status_code == 404


def test_a_late_application_shows_the_reason_beside_the_field_in_chinese(world, today):
    today["value"] = dt.date(2026, 11, 2)
    me = client_for(world.user("cadre_a1"), "zh-hans")
    before = row_counts()
    response = me.post(
        reverse("tolerance:apply"),
        {"matter": "x", "matter_date": "2026-06-15", "decision_date": DECISION_DAY.isoformat(), "statement": "y"},
    )
    assert response.status_code == 422 and "一个月" in response.content.decode()
    assert row_counts() == before


def test_the_list_highlights_overdue_steps(world, today):
    case = applied(world)
    staff = client_for(world.user("staff_a"))
    html = staff.get(reverse("tolerance:case_list")).content.decode()
    assert f'data-case="{case.pk}"' in html and "row-overdue" not in html
    ToleranceCase.objects.filter(pk=case.pk).update(due_date=dt.date(2020, 1, 2))
    html = staff.get(reverse("tolerance:case_list")).content.decode()
    assert "row-overdue" in html
    partial = staff.get(reverse("tolerance:case_list") + "?overdue=on", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and f'data-case="{case.pk}"' in partial
    assert (
        f'data-case="{case.pk}"'
        not in client_for(world.user("staff_b")).get(reverse("tolerance:case_list")).content.decode()
    )


def test_the_steps_on_the_case_page(world):
    case = applied(world)
    staff = client_for(world.user("staff_a"))
    page = staff.get(reverse("tolerance:case_detail", args=[case.pk])).content.decode()
    assert 'id="accept-form"' in page and 'id="refuse-form"' in page
    assert (
        'id="accept-form"'
        not in client_for(world.user("leader_a")).get(reverse("tolerance:case_detail", args=[case.pk])).content.decode()
    )
    r = staff.post(reverse("tolerance:case_accept", args=[case.pk]), {"accept-version": 1, "accept-note": "受理"})
    assert r.status_code == 302
    # A stale form: the page again with 409 and the reason.
    r = staff.post(reverse("tolerance:case_refuse", args=[case.pk]), {"refuse-version": 1, "refuse-note": "不受理"})
    assert r.status_code == 409 and 'id="case-error"' in r.content.decode()
    # The investigation form; the item's extra facts arrive with htmx.
    form = staff.get(reverse("tolerance:case_propose", args=[case.pk])).content.decode()
    assert 'hx-get="' + reverse("tolerance:extra_facts", args=[case.pk]) in form
    extra = staff.get(reverse("tolerance:extra_facts", args=[case.pk]) + "?industry_item=HB-GQ-06").content.decode()
    assert 'name="extra_fund_loss_ratio"' in extra and 'name="extra_known_risks_reported"' in extra
    post = {
        "version": 2,
        "report": "调查报告",
        "industry_item": "HB-GQ-06",
        "extra_fund_loss_ratio": "0.8",
        "extra_known_risks_reported": "true",
    }
    facts = {
        "context": "routine", "explicit_prohibition_breached": "false", "personal_gain": "false", "collusion": "false",
        "intentional": "false", "procedure_followed": "true", "objected_to_collective_decision": "false",
        "force_majeure": "false", "loss_recovered": "none", "cooperated_with_investigation": "true",
        "repeat_after_correction": "false", "obstructed_investigation": "false", "consequence": "minor",
    }  # fmt: skip
    narrative = {f"narrative_{k}": v for k, v in NARRATIVE.items()}
    missing = staff.post(
        reverse("tolerance:case_propose", args=[case.pk]), {**post, **facts, **narrative, "narrative_nature_degree": ""}
    )
    assert missing.status_code == 422
    r = staff.post(reverse("tolerance:case_propose", args=[case.pk]), {**post, **facts, **narrative})
    assert r.status_code == 302, r.content.decode()[:3000]
    case.refresh_from_db()
    assert case.status == "proposed" and case.recommended_outcome == "exempt"
    # The decider sees the recommendation and its explanation.
    decider = client_for(world.user("discipline_a"))
    page = decider.get(reverse("tolerance:case_detail", args=[case.pk])).content.decode()
    assert 'id="recommendation-explanation"' in page and "HB-GQ-06" in page and 'id="determine-form"' in page
    assert 'id="determine-form"' not in staff.get(reverse("tolerance:case_detail", args=[case.pk])).content.decode()
    r = decider.post(
        reverse("tolerance:case_determine", args=[case.pk]), {"determine-version": 3, "determine-outcome": "reduced"}
    )
    assert r.status_code == 422 and "say why" in r.content.decode()
    r = decider.post(
        reverse("tolerance:case_determine", args=[case.pk]), {"determine-version": 3, "determine-outcome": "exempt"}
    )
    assert r.status_code == 302
    page = staff.get(reverse("tolerance:case_detail", args=[case.pk])).content.decode()
    assert 'id="notice-download"' in page and 'id="correction-form"' in page and 'id="visit-form"' in page
    r = staff.post(
        reverse("tolerance:correction_add", args=[case.pk]),
        {"correction-owner": "局办", "correction-task": "整改", "correction-deadline": "2026-10-30"},
    )
    assert r.status_code == 302
    item = case.correction_items.get()
    r = staff.post(
        reverse("tolerance:correction_done", args=[item.pk]), {"done-done_on": "2026-09-21", "done-note": "已完成"}
    )
    assert r.status_code == 302
    r = staff.post(
        reverse("tolerance:follow_up_add", args=[case.pk]),
        {"visit-visited_on": "2026-09-21", "visit-visitors": "组织部", "visit-notes": "回访"},
    )
    assert r.status_code == 302
    r = staff.post(reverse("tolerance:case_close", args=[case.pk]), {"close-version": 4})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == "closed"


def test_the_cadres_tolerance_record_shows_the_exemption(world):
    case = case_in(world, "determined")
    cadre = world.cadres["A1"]
    for user in ("cadre_a1", "staff_a", "leader_a"):
        html = (
            client_for(world.user(user), "zh-hans")
            .get(reverse("tolerance:cadre_cases", args=[cadre.pk]))
            .content.decode()
        )
        assert f'data-shield="{case.pk}"' in html
    assert client_for(world.user("staff_b")).get(reverse("tolerance:cadre_cases", args=[cadre.pk])).status_code == 404
    # The cadre's page links to it.
    html = client_for(world.user("staff_a")).get(reverse("org:cadre_detail", args=[cadre.pk])).content.decode()
    assert reverse("tolerance:cadre_cases", args=[cadre.pk]) in html
