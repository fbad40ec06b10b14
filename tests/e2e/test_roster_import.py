"""Importing a roster through /roster/import/: a file with errors shows every error and changes
nothing; then the good file shows what was written, and the new cadres are found by the search."""

from __future__ import annotations

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from dandang.core.models import Notification
from dandang.org import importing
from dandang.org.models import Cadre, Organization, Post, Tenure
from dandang.org.tests.import_files import good_rows, roster_xlsx
from dandang.testing import row_counts

pytestmark = [pytest.mark.postgres_only, pytest.mark.browser]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def bad_file(world) -> bytes:
    """The good roster with errors on three sheets (and so on the tenures of the refused cadres)."""
    rows = good_rows()
    rows["organizations"][2][3] = "planet"  # no such level
    rows["posts"][1][1] = "339999-X"  # no such organization
    rows["cadres"][1][3] = "1988-02-30"  # no such day
    rows["cadres"][0][0] = world.cadres["A2"].id_number  # already registered
    return roster_xlsx(**rows)


def upload(page: Page, name: str, data: bytes) -> None:
    page.goto("/roster/import/")
    page.locator("input[type=file][name=file]").set_input_files({"name": name, "mimeType": XLSX, "buffer": data})
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()


def test_import_with_errors_changes_nothing_then_a_good_file_is_imported(page: Page, world, login) -> None:
    staff = world.user("staff_a")
    login("staff_a")

    # A file with errors: every error the importer finds is listed, and nothing is stored.
    data = bad_file(world)
    before = row_counts()
    expected = importing.roster_import(actor=staff, filename="bad.xlsx", data=data).errors  # stores nothing
    assert {e.kind for e in expected} == set(importing.KINDS)  # errors on every sheet
    upload(page, "bad.xlsx", data)

    expect(page.locator("#import-errors")).to_be_visible()
    expect(page.locator("#import-result")).to_have_count(0)
    expect(page.locator("#import-errors .alert-error")).to_contain_text(str(len(expected)))
    rows = page.locator("#import-errors tbody tr")
    expect(rows).to_have_count(len(expected))
    shown = [tuple(rows.nth(i).locator("td").all_inner_texts()) for i in range(len(expected))]
    with translation.override("zh-hans"):  # the page is in Chinese
        listed = [(e.sheet, str(e.row), importing.column_header(e.kind, e.column), str(e.reason)) for e in expected]
    assert shown == listed

    after = row_counts()
    changed = {table for table in before if before[table] != after[table]}
    assert changed == {Notification._meta.db_table}  # only the importer's notice in the inbox
    note = Notification.objects.get(user=staff)
    assert (note.message, note.params) == ("roster_import_failed", {"errors": len(expected)})

    # The good file: the counts of what was written, and the rows are there.
    before = row_counts()
    upload(page, "roster.xlsx", roster_xlsx(**good_rows()))
    result = page.locator("#import-result")
    expect(result).to_be_visible()
    expect(result.locator(".alert-success")).to_contain_text("11")
    expect(result.locator("tbody tr td:nth-child(2)")).to_have_text(["3", "3", "2", "3"])
    expect(page.locator("#import-errors")).to_have_count(0)
    after = row_counts()
    for model, added in ((Organization, 3), (Post, 3), (Cadre, 2), (Tenure, 3)):
        table = model._meta.db_table
        assert after[table] - before[table] == added, table

    # The new cadres are found by the live search, by name and by pinyin initials.
    page.goto("/cadres/")
    names = page.locator("#cadre-table tbody tr td:first-child")
    box = page.locator("#cadre-filters input[name=q]")
    box.press_sequentially("赵敏", delay=30)
    expect(names).to_have_text(["赵敏"])
    box.fill("")
    box.press_sequentially("qdd", delay=30)  # 钱多多
    expect(names).to_have_text(["钱多多"])
