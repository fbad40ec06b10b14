"""Browsing the organization tree: opening a unit loads its subordinate units with htmx, in place."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.postgres_only, pytest.mark.browser]


def test_opening_a_unit_loads_its_children_without_a_page_load(page: Page, world, login) -> None:
    login("staff_a")
    page.goto("/orgs/")
    expect(page.locator("main h1")).to_have_text("组织机构树")
    county = page.locator("li.tree-node", has=page.locator("summary > a", has_text="甲县")).first
    expect(county.locator("details").first).to_have_attribute("open", "")
    town = world.orgs["A-t1"]
    node = page.locator(f'details[hx-get="/orgs/{town.pk}/children/"]')
    expect(node.locator("summary > a")).to_have_text("甲县第1镇")
    villages = node.locator(".tree-children a")
    expect(villages).to_have_count(0)  # not loaded until opened

    # A mark on the window survives only if the page is not reloaded.
    page.evaluate("window.e2eSamePage = true")
    with page.expect_response(re.compile(rf"/orgs/{town.pk}/children/$")) as response_info:
        node.locator("summary .tag").click()
    response = response_info.value
    assert response.status == 200
    assert response.request.headers.get("hx-request") == "true"

    expect(villages).to_have_text(["甲县第1镇第1村", "甲县第1镇第2村"])
    expect(node.locator(".loading")).to_have_count(0)
    assert page.evaluate("window.e2eSamePage === true")
    expect(page).to_have_url(re.compile(r"/orgs/$"))

    # Opening it again does not fetch again ("toggle once"); the children stay.
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    node.locator("summary .tag").click()  # close
    node.locator("summary .tag").click()  # open
    expect(villages).to_have_count(2)
    assert not [url for url in requests if "/children/" in url]
