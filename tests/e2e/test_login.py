"""Logging in through the browser, in Chinese and in English: a wrong password first, then the right one."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.postgres_only, pytest.mark.browser]


def submit(page: Page, username: str, password: str) -> None:
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form.stacked-form button[type=submit]").click()


def test_login_in_chinese(page: Page, world) -> None:
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_contain_text("登录担当系统")
    expect(page.locator("label[for=id_username]")).to_have_text("用户名")
    expect(page.locator("label[for=id_password]")).to_have_text("密码")

    submit(page, "staff_a", "pw-wrong")
    expect(page.locator("main .alert-error")).to_contain_text("请输入一个正确的用户名和密码")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator(".logout-form")).to_have_count(0)

    submit(page, "staff_a", "pw-staff_a")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("main h1")).to_have_text("欢迎您，staff_a")
    expect(page.locator(".logout-form button")).to_have_text("退出登录")


@pytest.mark.browser_context_args(locale="en-US")
def test_login_in_english(page: Page, world) -> None:
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_contain_text("Log in to Dandang")
    expect(page.locator("label[for=id_username]")).to_have_text("Username")

    submit(page, "staff_a", "pw-wrong")
    expect(page.locator("main .alert-error")).to_contain_text("Please enter a correct username and password")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator(".logout-form")).to_have_count(0)

    submit(page, "staff_a", "pw-staff_a")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("main h1")).to_have_text("Welcome, staff_a")
    expect(page.locator(".logout-form button")).to_have_text("Log out")
