"""Opening a cadre's dossier from the search: basic facts and tenure history; the national ID number
in full for organization department staff, masked for a unit leader."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.postgres_only, pytest.mark.browser]


def open_dossier(page: Page, name: str) -> None:
    page.goto("/cadres/")
    page.locator("#cadre-filters input[name=q]").fill(name)
    link = page.locator("#cadre-table tbody a", has_text=name)
    expect(link).to_have_count(1)
    link.click()
    expect(page.locator("main h1")).to_contain_text(name)


def expect_facts_and_history(page: Page) -> None:
    expect(page.locator("#facts-title")).to_have_text("基本信息")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("1976-01-11")  # birth date
    expect(facts).to_contain_text("汉族")
    expect(facts).to_contain_text("甲县农业农村局")
    expect(page.locator("#career-title")).to_have_text("任职经历")
    current = page.locator("section[aria-labelledby=career-title] tbody tr.is-current")
    expect(current).to_have_count(1)
    expect(current.locator("td")).to_have_text(
        ["2018-03-01", "至今", "甲县农业农村局", "局长 领导职务", "正科级", "任命", "—"]
    )


def test_dossier_full_id_number_for_org_staff_masked_for_a_unit_leader(page: Page, world, login, new_page) -> None:
    cadre = world.cadres["A1"]
    login("staff_a")
    open_dossier(page, "张伟军")
    expect_facts_and_history(page)
    expect(page.locator("#id-number")).to_have_text(cadre.id_number)

    # The unit leader of the bureau, in a browser of their own, sees the same dossier, number masked.
    leader = login("leader_a", on=new_page())
    open_dossier(leader, "张伟军")
    expect_facts_and_history(leader)
    masked = cadre.id_number[:6] + "********" + cadre.id_number[-4:]
    expect(leader.locator("#id-number")).to_have_text(masked)
    assert cadre.id_number not in leader.content()
