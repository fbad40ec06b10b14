"""The performance archive in the browser: a cadre records an entry with its result in numbers and
its evidence and submits it; the unit leader returns it for more information; the cadre amends and
submits again; the leader verifies it and it appears, counted, on the cadre's timeline.  An entry
whose only evidence is a process trace is flagged and counts zero."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from dandang.archive.models import ArchiveEntry

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.browser,
    pytest.mark.browser_context_args(locale="en-US"),
]


@pytest.fixture
def media(settings, tmp_path):
    # The live server runs in this process: evidence files go to a temporary media root.
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def record(page: Page, *, title: str, description: str, actual: str, kind: str, filename: str) -> ArchiveEntry:
    """The cadre records a draft from "My archive", attaches one file and submits it."""
    page.goto("/archive/mine/")
    page.locator("#record-entry").click()
    page.locator("#id_category").select_option("key_tasks")
    page.locator("#id_occurred_on").fill("2025-06-20")
    page.locator("#id_title").fill(title)
    page.locator("#id_description").fill(description)
    page.locator("#id_difficulty").select_option("hard")
    row = page.locator("#metric-body tr.metric-row").first
    row.locator("input[name=metric_indicator]").fill("修复渠道长度")
    row.locator("input[name=metric_unit]").fill("公里")
    row.locator("input[name=metric_target]").fill("10")
    row.locator("input[name=metric_actual]").fill(actual)
    page.locator("#save-entry").click()
    expect(page.locator("#evidence-form")).to_be_visible()  # the draft is saved: now the evidence
    entry = ArchiveEntry.objects.get(title=title)

    # The file is attached with htmx: the evidence section is replaced, the page is not reloaded,
    # and the submit form learns the entry's new version.
    page.evaluate("window.__archiveMark = 1")
    page.locator("#evidence_file").set_input_files(
        {"name": filename, "mimeType": "application/pdf", "buffer": f"%PDF-1.4 {title}".encode()}
    )
    page.locator("#evidence_kind").select_option(kind)
    page.locator("#evidence_source").fill("县统计局")
    page.locator("#attach-evidence").click()
    expect(page.locator("#evidence-table")).to_contain_text(filename)
    assert page.evaluate("window.__archiveMark") == 1
    entry.refresh_from_db()
    expect(page.locator("#submit-version")).to_have_value(str(entry.version))

    page.locator("#submit-entry").click()
    expect(page.locator("#entry-title")).to_have_text(title)
    expect(page.locator(".tag.status")).to_have_text("Submitted")
    return entry


def verify(page: Page, entry: ArchiveEntry) -> None:
    page.goto(f"/archive/entries/{entry.pk}/")
    page.locator("#id_method").select_option("site_visit")
    for name, value in (("completion", "95"), ("authenticity", "90"), ("difficulty", "80"), ("contribution", "85")):
        page.locator(f"#id_score_{name}").fill(value)
    page.locator("#verify-entry").click()
    expect(page.locator(".tag.status")).to_have_text("Verified")


def test_submit_return_amend_verify_then_on_the_timeline(page: Page, world, login, new_page, media) -> None:
    cadre = world.cadres["A1"]
    login("cadre_a1", on=page)

    # Rows of the metrics table are added and removed in place (htmx), without a reload.
    page.goto(f"/cadres/{cadre.pk}/archive/new/")
    page.evaluate("window.__archiveMark = 1")
    rows = page.locator("#metric-body tr.metric-row")
    expect(rows).to_have_count(1)
    page.locator("#add-metric").click()
    expect(rows).to_have_count(2)
    rows.nth(1).locator(".remove-metric").click()
    expect(rows).to_have_count(1)
    assert page.evaluate("window.__archiveMark") == 1

    entry = record(
        page,
        title="修复灌溉渠道",
        description="修复灌溉渠道12公里，受益农田3000亩，汛期无一处溃堤。",
        actual="12",
        kind="statistics",
        filename="渠道验收统计.pdf",
    )

    # The unit leader finds it in the queue and returns it for more information.
    leader = login("leader_a", on=new_page())
    leader.goto("/archive/queue/")
    leader.locator("#entry-table a", has_text="修复灌溉渠道").click()
    expect(leader.locator("#verify-form")).to_be_visible()
    leader.locator("#id_return-note").fill("请补充受益农田的验收材料")
    leader.locator("#return-entry").click()
    expect(leader.locator(".tag.status")).to_have_text("Returned for more information")

    # The cadre reads the note, amends the figures and submits again.
    page.goto(f"/archive/entries/{entry.pk}/")
    expect(page.locator("#returned-note")).to_contain_text("请补充受益农田的验收材料")
    page.locator("#edit-entry").click()
    page.locator("#metric-body input[name=metric_actual]").first.fill("12.5")
    page.locator("#save-entry").click()
    expect(page.locator("#metrics-table")).to_contain_text("12.5")
    page.locator("#submit-entry").click()
    expect(page.locator(".tag.status")).to_have_text("Submitted")

    # The leader verifies it: it counts.
    verify(leader, entry)
    entry.refresh_from_db()
    assert entry.status == "verified" and entry.counted_value > 0
    expect(leader.locator("#counted-value")).to_have_text(str(entry.counted_value))

    # …and it is on the cadre's timeline: in the table, in the year's row, and in the chart, drawn
    # under the Content-Security-Policy without a complaint.
    errors: list[str] = []
    leader.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    leader.goto(f"/cadres/{cadre.pk}/archive/")
    row = leader.locator(f'#dossier-table tr[data-entry="{entry.pk}"]')
    expect(row).to_contain_text("修复灌溉渠道")
    expect(row).to_contain_text("Verified")
    expect(row.locator("td.num")).to_have_text(str(entry.counted_value))
    expect(leader.locator("#archive-chart canvas")).to_have_count(1)
    expect(leader.locator("#archive-chart")).to_have_attribute("data-chart-ready", "4")  # 2025 Q1–Q4
    expect(leader.locator("#score-table tbody tr").first).to_contain_text(str(entry.counted_value.normalize()))
    assert errors == []


def test_a_process_trace_only_entry_is_flagged_and_counts_zero(page: Page, world, login, new_page, media) -> None:
    cadre = world.cadres["A1"]
    login("cadre_a1", on=page)
    entry = record(
        page,
        title="召开渠道整治推进会",
        description="召开渠道整治推进会三次，印发工作方案，拍照留痕。",
        actual="3",
        kind="meeting_held",
        filename="会议照片.pdf",
    )
    leader = login("leader_a", on=new_page())
    verify(leader, entry)
    entry.refresh_from_db()
    assert entry.counted_value == Decimal(0)

    flag = leader.locator('#flags [data-flag="process_trace"]')
    expect(flag).to_contain_text("Process trace, not a result")
    expect(flag).to_contain_text("counts zero")
    expect(leader.locator("#counted-value")).to_have_text("0.00")

    # On the timeline it is flagged and found by the flag filter; the chart shows nothing counted.
    leader.goto(f"/cadres/{cadre.pk}/archive/")
    row = leader.locator(f'#dossier-table tr[data-entry="{entry.pk}"]')
    expect(row.locator(".flag-process_trace")).to_be_visible()
    expect(row.locator("td.num")).to_have_text("0.00")
    leader.locator("#dossier-filters select[name=flag]").select_option("no_metric")
    expect(leader.locator("#dossier-entries")).to_contain_text("No entry matches these filters")
    leader.locator("#dossier-filters select[name=flag]").select_option("process_trace")
    expect(leader.locator("#dossier-table tbody tr")).to_have_count(1)

    # The cadre sees the entry and its zero, but not the guard's flags (verifiers and staff do).
    page.goto(f"/archive/entries/{entry.pk}/")
    expect(page.locator("#counted-value")).to_have_text("0.00")
    expect(page.locator("#flags")).to_have_count(0)
