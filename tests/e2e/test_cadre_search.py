"""Searching a cadre as you type: by name in Chinese characters and by pinyin initials."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from dandang.testing import NAMES_A

pytestmark = [pytest.mark.postgres_only, pytest.mark.browser]


def test_live_search_by_name_and_by_pinyin_initials(page: Page, world, login) -> None:
    login("staff_a")
    page.goto("/cadres/")
    names = page.locator("#cadre-table tbody tr td:first-child")
    expect(names).to_have_count(len(NAMES_A))
    assert sorted(names.all_inner_texts()) == sorted(NAMES_A)  # county A's cadres (order: the DB's collation)
    page.evaluate("window.e2eSamePage = true")

    box = page.locator("#cadre-filters input[name=q]")
    box.press_sequentially("王芳", delay=30)
    expect(names).to_have_text(["王芳"])
    expect(page).to_have_url(re.compile(r"/cadres/\?q=%E7%8E%8B%E8%8A%B3"))  # pushed by htmx

    box.fill("")
    box.press_sequentially("zwj", delay=30)
    expect(names).to_have_text(["张伟军"])
    expect(page).to_have_url(re.compile(r"/cadres/\?q=zwj"))

    box.fill("")
    box.press_sequentially("陈静", delay=30)  # a cadre of county B: outside staff_a's jurisdiction
    expect(page.locator("#cadre-results .empty-state h2")).to_be_visible()
    expect(names).to_have_count(0)

    assert page.evaluate("window.e2eSamePage === true"), "the search reloaded the page"
