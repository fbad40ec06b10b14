"""Name clearing and the tolerance lists in the browser: the organization department proposes
clearing an allegation from the cadre's record; discipline inspection is refused "unproven", records
"untrue" and clears the name; the cadre finds it on their record, as cleared, in Chinese.  The
tolerance lists page filters as one types (htmx), without reloading."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from dandang.tolerance.models_clearing import NameClearingCase

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.browser,
    pytest.mark.browser_context_args(locale="en-US"),
]


def test_propose_verify_clear_then_the_cadre_sees_it(page: Page, world, login, new_page) -> None:
    cadre = world.cadres["A1"]
    login("staff_a", on=page)
    page.goto(f"/cadres/{cadre.pk}/")
    page.locator("#cleared-link").click()
    page.locator("#open-clearing").click()
    page.locator("#id_allegation").fill("反映其在项目验收中弄虚作假")
    page.locator("#id_report_reference").fill("示纪信〔2026〕088号")
    page.locator("#open-case").click()  # no trigger yet: refused with the rule
    expect(page.locator(".field-error").first).to_contain_text("at least one trigger")
    page.locator("input[name=triggers][value=career_affected]").check()
    page.locator("#open-case").click()
    expect(page.locator("#case-status")).to_have_text("Opened")
    case = NameClearingCase.objects.get(report_reference="示纪信〔2026〕088号")
    expect(page.locator("#actions")).to_have_count(0)  # the proposer never decides

    inspector = login("discipline_a", on=new_page())
    inspector.goto("/tolerance/clearing/")
    inspector.locator(f'#clearing-table tr[data-case="{case.pk}"] a', has_text="弄虚作假").click()
    inspector.locator("#id_finding").select_option("unproven")
    inspector.locator("#id_summary").fill("查无实据")
    inspector.locator("#verify-case").click()
    expect(inspector.locator("#verify-form .field-error")).to_contain_text("does not qualify for name clearing")
    inspector.locator("#id_finding").select_option("untrue")
    inspector.locator("#id_summary").fill("调阅验收档案，反映问题失实。")
    inspector.locator("#verify-case").click()
    expect(inspector.locator("#case-status")).to_have_text("Verified")
    inspector.locator("#id_clear-publication_scope").select_option("party_organization")
    inspector.locator("#clear-case").click()
    expect(inspector.locator("#case-status")).to_have_text("Cleared (澄清正名)")

    me = login("cadre_a1", on=new_page())
    me.goto("/inbox/")
    me.locator("#shell-language").select_option("zh-hans")  # the cadre reads in Chinese
    expect(me.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(me.locator("main")).to_contain_text("已为您澄清正名")
    me.goto(f"/cadres/{cadre.pk}/")
    me.locator("#cleared-link").click()
    item = me.locator(f'#cleared-list [data-cleared="{case.pk}"]')
    expect(item).to_contain_text("反映其在项目验收中弄虚作假")
    expect(item).to_contain_text("已澄清正名")
    expect(item).to_contain_text("不作为对干部不利的依据")


def test_the_lists_page_filters_as_one_types(page: Page, world, login) -> None:
    login("leader_a", on=page)
    page.goto("/tolerance/lists/")
    expect(page.locator("#rulebook-ref")).to_have_text("tolerance@1")
    expect(page.locator('[data-item="HB-GQ-01"]')).to_have_count(1)
    page.evaluate("window.__listsMark = 1")
    page.locator("#id_q").fill("资金池")
    expect(page.locator('[data-item="HB-GQ-01"]')).to_have_count(0)
    expect(page.locator('[data-item="QH-JR-02"]')).to_be_visible()
    expect(page.locator('[data-item="QH-JR-02"]')).to_contain_text("Cumulative payout ratio of the pool ≤ 0.3")
    page.locator("#id_q").fill("")
    page.locator("#id_list").select_option("hubei_soe_example")
    expect(page.locator('[data-item="QH-JR-02"]')).to_have_count(0)
    expect(page.locator('[data-list="hubei_soe_example"] [data-example]')).to_be_visible()
    assert page.evaluate("window.__listsMark") == 1
