"""Error tolerance in the browser: a cadre applies; the organization department accepts and records
the findings of the investigation, and the system recommends an exemption; discipline inspection
determines it; the cadre downloads the exemption notice (a PDF) and the exemption shows on the
cadre's tolerance record, linked from the cadre's page."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from dandang.tolerance.models import ToleranceCase

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.browser,
    pytest.mark.browser_context_args(locale="en-US"),
]

FACTS = {
    "context": "reform_pilot",
    "explicit_prohibition_breached": "false",
    "personal_gain": "false",
    "collusion": "false",
    "intentional": "false",
    "procedure_followed": "true",
    "objected_to_collective_decision": "false",
    "force_majeure": "false",
    "loss_recovered": "none",
    "cooperated_with_investigation": "true",
    "repeat_after_correction": "false",
    "obstructed_investigation": "false",
    "consequence": "minor",
}


def test_apply_accept_investigate_exempt_then_the_notice_and_the_record(page: Page, world, login, new_page) -> None:
    cadre = world.cadres["A1"]
    decided = dt.date.today() - dt.timedelta(days=5)

    # The cadre applies, within a month of the decision.
    login("cadre_a1", on=page)
    page.goto("/tolerance/")
    page.locator("#apply-link").click()
    page.locator("#id_matter").fill("推进农村产权流转交易试点中的程序瑕疵")
    page.locator("#id_matter_date").fill((decided - dt.timedelta(days=30)).isoformat())
    page.locator("#id_decision_reference").fill("甲纪发〔2026〕12号")
    page.locator("#id_decision_date").fill(decided.isoformat())
    page.locator("#id_statement").fill("属于改革探索中的无意过失，已按民主决策程序决策。")
    page.locator("#submit-application").click()
    expect(page.locator("#case-status .tolerance-status")).to_have_text("Applied, acceptance pending")
    expect(page.locator("#case-due")).to_contain_text("the decision on acceptance")
    case = ToleranceCase.objects.get(cadre=cadre)

    # The organization department accepts it and records the findings of the investigation.
    staff = login("staff_a", on=new_page())
    staff.goto("/tolerance/")
    staff.locator(f'#case-table tr[data-case="{case.pk}"] a').click()
    staff.locator("#id_accept-note").fill("经审核，予以受理。")
    staff.locator("#accept-case").click()
    expect(staff.locator("#case-status .tolerance-status")).to_have_text("Under investigation")
    staff.locator("#propose-link").click()
    for name, value in FACTS.items():
        staff.locator(f"#id_{name}").select_option(value)
    # Choosing an industry item fetches its own facts (htmx); choosing none again clears them.
    staff.locator("#id_industry_item").select_option("HB-GQ-06")
    expect(staff.locator("#extra-facts input[name=extra_fund_loss_ratio]")).to_be_visible()
    staff.locator("#id_industry_item").select_option("")
    expect(staff.locator("#extra-facts input")).to_have_count(0)
    for field in staff.locator("#propose-form textarea[name^=narrative_]").all():
        field.fill("经调查核实，情况属实。")
    staff.locator("#id_report").fill("查阅会议纪要、走访相关单位，事实清楚。")
    staff.locator("#propose-case").click()
    expect(staff.locator("#case-status .tolerance-status")).to_have_text("Proposed, determination pending")
    expect(staff.locator("#recommended-outcome")).to_have_text("Exemption (免责)")
    expect(staff.locator("#determine-form")).to_have_count(0)  # the proposer never decides

    # Discipline inspection determines: the exemption, as recommended.
    discipline = login("discipline_a", on=new_page())
    discipline.goto(f"/tolerance/cases/{case.pk}/")
    expect(discipline.locator("#recommendation-explanation")).to_contain_text("ground_reform")
    expect(discipline.locator("#id_determine-outcome")).to_have_value("exempt")
    discipline.locator("#determine-case").click()
    expect(discipline.locator("#outcome")).to_have_text("Exemption (免责)")

    # The cadre downloads the exemption notice…
    page.goto(f"/tolerance/cases/{case.pk}/")
    expect(page.locator("#outcome")).to_have_text("Exemption (免责)")
    with page.expect_download() as info:
        page.locator("#notice-download").click()
    download = info.value
    assert download.suggested_filename == f"exemption-notice-{case.pk}.pdf"
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"

    # …and the exemption shows on the tolerance record of the cadre's page.
    page.goto(f"/cadres/{cadre.pk}/")
    page.locator("#tolerance-link").click()
    expect(page.locator(f'#shields li[data-shield="{case.pk}"]')).to_contain_text("Exemption")
    expect(page.locator(f'#case-table tr[data-case="{case.pk}"]')).to_contain_text("Determined")
