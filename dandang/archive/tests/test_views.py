"""The archive's pages: lists and filters, the entry form (metrics and evidence with htmx), the
workflow steps with their versions, the guard's flags in words, the dossier timeline (its query
count does not grow with the entries) and the archive card as PDF and Excel."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from dandang.archive import services
from dandang.archive.models import ArchiveEntry, ArchiveTask, Evidence
from dandang.archive.tests.archive_helpers import (
    METRIC,
    attach,
    entry,
    media,  # noqa: F401 - fixture
    submitted,
    unique_text,
    upload,
    verified,
)
from dandang.core.models import AccessLog
from dandang.testing import fresh, pdf_fonts_and_text, row_counts

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world", "media")]


# Logging a test client in writes these; nothing else may change when an action is refused.
LOGIN_TABLES = {"django_session", "axes_accesslog"}


def counts():
    return {table: n for table, n in row_counts().items() if table not in LOGIN_TABLES}


def client_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def html_of(response):
    return response.content.decode()


def entry_ids(html):
    return {int(i) for i in re.findall(r'data-entry="(\d+)"', html)}


def own_entry(world, **kw):
    """A draft of 张伟军 (A1) recorded by himself."""
    return entry(world, cadre="A1", actor="cadre_a1", **kw)


def own_submitted(world, **kw):
    return submitted(world, cadre="A1", actor="cadre_a1", **kw)


# --- lists ---------------------------------------------------------------------------------


def test_entry_list_shows_the_jurisdiction_only_and_filters(world):
    a = verified(world, cadre="A3", category="key_tasks", title="抢修水毁道路")
    b = entry(world, cadre="A4", category="duties", title="完成春耕备耕")
    outside = entry(world, cadre="B1", actor="staff_b", title="乙县条目")
    client = client_for(world.user("staff_a"))
    html = html_of(client.get(reverse("archive:entry_list")))
    assert entry_ids(html) == {a.pk, b.pk}
    assert "乙县条目" not in html
    html = html_of(client.get(reverse("archive:entry_list"), {"category": "key_tasks"}))
    assert entry_ids(html) == {a.pk}
    html = html_of(client.get(reverse("archive:entry_list"), {"status": "draft", "year": "2025", "quarter": "2"}))
    assert entry_ids(html) == {b.pk}
    html = html_of(client.get(reverse("archive:entry_list"), {"q": "刘洋"}))  # A4 by name
    assert entry_ids(html) == {b.pk}
    html = html_of(client.get(reverse("archive:entry_list"), {"org": world.orgs["A-bureau"].pk}))
    assert entry_ids(html) == {a.pk, b.pk}
    assert client.get(reverse("archive:entry_list"), {"cadre": world.cadres["B1"].pk}).status_code == 404
    assert outside.pk not in entry_ids(html)


def test_entry_list_htmx_answers_the_results_only(world):
    e = entry(world)
    response = client_for(world.user("staff_a")).get(reverse("archive:entry_list"), HTTP_HX_REQUEST="true")
    html = html_of(response)
    assert "<html" not in html and entry_ids(html) == {e.pk}
    assert "HX-Request" in response["Vary"]


def test_flag_filter_and_flags_only_for_those_who_may_see_flags(world):
    e = own_submitted(world, kinds=("meeting_held",))
    assert "process_trace" in fresh(e).flag_codes
    leader = html_of(client_for(world.user("leader_a")).get(reverse("archive:entry_list")))
    assert 'name="flag"' in leader and "Process trace, not a result" in leader
    auditor = html_of(client_for(world.user("auditor_a")).get(reverse("archive:entry_list")))
    assert entry_ids(auditor) == {e.pk}
    assert 'name="flag"' not in auditor and "Process trace" not in auditor
    flagged = html_of(client_for(world.user("leader_a")).get(reverse("archive:entry_list"), {"flag": "process_trace"}))
    assert entry_ids(flagged) == {e.pk}
    clean = html_of(client_for(world.user("leader_a")).get(reverse("archive:entry_list"), {"flag": "over_claimed"}))
    assert entry_ids(clean) == set() and "No entry matches these filters" in clean
    # A flag sent anyway by someone who may not see flags filters nothing in and reveals nothing.
    sneaky = html_of(client_for(world.user("auditor_a")).get(reverse("archive:entry_list"), {"flag": "process_trace"}))
    assert entry_ids(sneaky) == {e.pk}


def test_empty_states(world):
    html = html_of(client_for(world.user("staff_a")).get(reverse("archive:entry_list")))
    assert "No archive entries" in html
    html = html_of(client_for(world.user("nobody")).get(reverse("archive:entry_list")))
    assert "No archive entries" in html and 'id="entry-table"' not in html


def test_my_archive_is_the_cadres_own(world):
    mine = own_entry(world)
    other = entry(world, cadre="A3")
    response = client_for(world.user("cadre_a1")).get(reverse("archive:my_archive"))
    html = html_of(response)
    assert response.status_code == 200 and entry_ids(html) == {mine.pk}
    assert other.pk not in entry_ids(html)
    assert reverse("archive:entry_create", args=[world.cadres["A1"].pk]) in html
    assert client_for(world.user("staff_a")).get(reverse("archive:my_archive")).status_code == 404


def test_queue_lists_submitted_entries_the_viewer_may_verify(world):
    by_cadre = own_submitted(world)
    by_leader = submitted(world, cadre="A3", actor="leader_a")
    draft = entry(world, cadre="A4")
    outside = submitted(world, cadre="B1", actor="staff_b")
    leader = html_of(client_for(world.user("leader_a")).get(reverse("archive:queue")))
    assert entry_ids(leader) == {by_cadre.pk}  # not the one he recorded himself
    staff = html_of(client_for(world.user("staff_a")).get(reverse("archive:queue")))
    assert entry_ids(staff) == {by_cadre.pk, by_leader.pk}
    assert draft.pk not in entry_ids(staff) and outside.pk not in entry_ids(staff)
    for username in ("auditor_a", "cadre_a1", "discipline_a", "nobody"):
        assert client_for(world.user(username)).get(reverse("archive:queue")).status_code == 404, username


def test_navigation_offers_the_archive_by_role(world):
    def nav(username):
        html = html_of(client_for(world.user(username)).get(reverse("home")))
        start = html.index('id="site-nav"')
        return html[start : html.index("</nav>", start)]

    assert reverse("archive:entry_list") in nav("staff_a") and reverse("archive:queue") in nav("staff_a")
    assert reverse("archive:entry_list") in nav("auditor_a") and reverse("archive:queue") not in nav("auditor_a")
    assert reverse("archive:my_archive") in nav("cadre_a1")
    assert "/archive/" not in nav("nobody")


# --- the entry form --------------------------------------------------------------------------


def form_data(**overrides):
    data = {
        "category": "key_tasks",
        "occurred_on": "2025-06-20",
        "title": "修复灌溉渠道",
        "description": "修复灌溉渠道12公里，受益农田3000亩。",
        "polarity": "positive",
        "difficulty": "hard",
        "task": "",
        "share_percent": "",
        "metric_indicator": ["修复渠道长度", "受益农田"],
        "metric_unit": ["公里", "亩"],
        "metric_baseline": ["0", ""],
        "metric_target": ["10", "2500"],
        "metric_actual": ["12", "3000"],
    }
    data.update(overrides)
    return data


def test_cadre_records_a_draft_with_metrics(world):
    cadre = world.cadres["A1"]
    client = client_for(world.user("cadre_a1"))
    page = html_of(client.get(reverse("archive:entry_create", args=[cadre.pk])))
    assert 'name="metric_indicator"' in page and 'value="negative"' in page  # a cadre records both
    response = client.post(reverse("archive:entry_create", args=[cadre.pk]), form_data())
    e = ArchiveEntry.objects.get(cadre=cadre)
    assert response.status_code == 302 and response["Location"] == reverse("archive:entry_edit", args=[e.pk])
    assert (e.status, e.title, e.category, e.difficulty, e.author) == (
        "draft",
        "修复灌溉渠道",
        "key_tasks",
        "hard",
        world.user("cadre_a1"),
    )
    assert [(m.indicator, m.unit, m.actual) for m in e.metrics.all()] == [
        ("修复渠道长度", "公里", 12),
        ("受益农田", "亩", 3000),
    ]
    assert e.post == world.posts["A-head"]


def test_invalid_entry_shows_every_error_beside_its_field_and_saves_nothing(world):
    cadre = world.cadres["A1"]
    client = client_for(world.user("cadre_a1"))
    before = counts()
    response = client.post(
        reverse("archive:entry_create", args=[cadre.pk]),
        form_data(title="", metric_actual=["十二", "3000"], metric_unit=["", "亩"]),
    )
    html = html_of(response)
    assert response.status_code == 422
    assert "This field is required." in html  # the title
    assert "Enter a number." in html and "Give the unit of measure." in html
    assert 'value="十二"' in html  # what was typed is kept
    assert counts() == before
    # The service's own rules, too: a date in the future.
    response = client.post(reverse("archive:entry_create", args=[cadre.pk]), form_data(occurred_on="2099-01-01"))
    assert response.status_code == 422
    assert "the date is in the future" in html_of(response)
    assert counts() == before


def test_negative_entries_offered_to_those_allowed(world):
    cadre = world.cadres["A3"]
    url = reverse("archive:entry_create", args=[cadre.pk])
    discipline = client_for(world.user("discipline_a"))
    page = html_of(discipline.get(url))
    assert '<option value="negative"' in page and '<option value="positive"' not in page
    before = counts()
    assert discipline.post(url, form_data(polarity="positive")).status_code == 403
    assert counts() == before
    response = discipline.post(url, form_data(polarity="negative", title="违规发放补贴"))
    assert response.status_code == 302
    assert ArchiveEntry.objects.get(cadre=cadre).polarity == "negative"
    leader = html_of(client_for(world.user("leader_a")).get(url))
    assert '<option value="negative"' in leader and '<option value="positive"' in leader
    # Roles that only read the archive may not record; outside the jurisdiction it does not exist.
    assert client_for(world.user("auditor_a")).get(url).status_code == 403
    assert client_for(world.user("staff_b")).get(url).status_code == 404


def test_author_amends_a_draft_and_others_may_not(world):
    e = own_entry(world)
    url = reverse("archive:entry_edit", args=[e.pk])
    client = client_for(world.user("cadre_a1"))
    page = html_of(client.get(url))
    assert "新增就业岗位" in page and f'name="version" value="{e.version}"' in page
    response = client.post(
        url,
        form_data(
            title="修改后的标题",
            version=e.version,
            metric_indicator=["新增就业岗位"],
            metric_unit=["个"],
            metric_baseline=[""],
            metric_target=[""],
            metric_actual=["70"],
        ),
    )
    assert response.status_code == 302 and response["Location"] == reverse("archive:entry_detail", args=[e.pk])
    e = fresh(e)
    assert e.title == "修改后的标题" and [m.actual for m in e.metrics.all()] == [70]
    before = counts()
    assert client_for(world.user("leader_a")).get(url).status_code == 403
    assert client_for(world.user("leader_a")).post(url, form_data(version=e.version)).status_code == 403
    assert client_for(world.user("staff_b")).get(url).status_code == 404
    assert counts() == before


def test_amending_with_a_stale_version_is_refused_clearly(world):
    e = own_entry(world)
    client = client_for(world.user("cadre_a1"))
    stale = e.version
    services.archive_entry_update(actor=world.user("cadre_a1"), entry=e, title="别处改过")
    before = counts()
    response = client.post(reverse("archive:entry_edit", args=[e.pk]), form_data(version=stale))
    assert response.status_code == 409
    assert "changed by someone else meanwhile" in html_of(response)
    assert counts() == before and fresh(e).title == "别处改过"


def test_a_submitted_entry_cannot_be_edited(world):
    e = own_submitted(world)
    response = client_for(world.user("cadre_a1")).get(reverse("archive:entry_edit", args=[e.pk]))
    assert response.status_code == 409


def test_metric_row_fragment(world):
    html = html_of(client_for(world.user("cadre_a1")).get(reverse("archive:metric_row")))
    assert html.strip().startswith("<tr") and html.count("<input") == 5 and "<html" not in html


def test_evidence_added_and_removed_with_htmx(world):
    e = own_entry(world)
    client = client_for(world.user("cadre_a1"))
    url = reverse("archive:evidence_add", args=[e.pk])
    response = client.post(
        url,
        {"file": upload(b"statistics 2025"), "kind": "statistics", "source": "县统计局", "version": e.version},
        HTTP_HX_REQUEST="true",
    )
    html = html_of(response)
    item = Evidence.objects.get(entry=e)
    e = fresh(e)
    assert response.status_code == 200 and 'id="evidence-section"' in html and "<html" not in html
    assert "report.pdf" in html and "Statistics or operational data" in html
    # The other forms of the page learn the new version out of band.
    assert f'id="id_version" value="{e.version}" hx-swap-oob="true"' in html
    assert (item.kind, item.source, item.uploaded_by) == ("statistics", "县统计局", world.user("cadre_a1"))

    response = client.post(
        reverse("archive:evidence_remove", args=[item.pk]), {"version": e.version}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and not Evidence.objects.filter(entry=e).exists()
    assert "No evidence is attached yet" in html_of(response)


def test_invalid_evidence_is_shown_and_nothing_is_stored(world):
    e = own_entry(world)
    client = client_for(world.user("cadre_a1"))
    before = counts()
    response = client.post(
        reverse("archive:evidence_add", args=[e.pk]),
        {"file": upload(b""), "kind": "no-such-kind", "version": e.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    html = html_of(response)
    assert "Select a valid choice" in html and "The submitted file is empty." in html
    assert counts() == before
    # Without htmx the whole form page comes back with the errors.
    response = client.post(
        reverse("archive:evidence_add", args=[e.pk]), {"file": upload(), "kind": "statistics", "version": 999}
    )
    assert response.status_code == 409 and "changed by someone else meanwhile" in html_of(response)
    assert 'id="entry-form"' in html_of(response)
    assert counts() == before
    # Another person's entry: refused.
    response = client_for(world.user("leader_a")).post(
        reverse("archive:evidence_add", args=[e.pk]), {"file": upload(), "kind": "statistics", "version": e.version}
    )
    assert response.status_code == 403 and counts() == before


def test_task_created_inline_and_chosen(world):
    cadre = world.cadres["A1"]
    client = client_for(world.user("cadre_a1"))
    url = reverse("archive:task_create", args=[cadre.pk])
    response = client.post(url, {"task_name": "高标准农田项目", "task_year": "2025"}, HTTP_HX_REQUEST="true")
    task = ArchiveTask.objects.get(name="高标准农田项目")
    html = html_of(response)
    assert response.status_code == 200 and task.organization == cadre.org
    assert re.search(rf'<option value="{task.pk}" selected>高标准农田项目', html)
    before = counts()
    again = client.post(url, {"task_name": "高标准农田项目", "task_year": "2025"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 409 and "already has a task of that name" in html_of(again)
    assert client.post(url, {"task_name": "", "task_year": "2025"}).status_code == 422
    assert client_for(world.user("auditor_a")).post(url, {"task_name": "x", "task_year": "2025"}).status_code == 403
    assert counts() == before
    # The new task is offered in the form and an entry can claim a share of it.
    response = client.post(
        reverse("archive:entry_create", args=[cadre.pk]), form_data(task=str(task.pk), share_percent="40")
    )
    assert response.status_code == 302
    claimed = ArchiveEntry.objects.get(cadre=cadre)
    assert claimed.task == task and str(claimed.share_percent) == "40.00"


# --- the workflow ----------------------------------------------------------------------------


def test_submit_return_amend_verify_through_the_pages(world):
    e = own_entry(world)
    attach(world, e, "statistics")
    cadre, leader = client_for(world.user("cadre_a1")), client_for(world.user("leader_a"))
    detail = reverse("archive:entry_detail", args=[e.pk])

    e = fresh(e)
    response = cadre.post(reverse("archive:entry_submit", args=[e.pk]), {"version": e.version})
    assert response.status_code == 302 and fresh(e).status == "submitted"

    page = html_of(leader.get(detail))
    assert 'id="verify-form"' in page and 'id="return-form"' in page
    e = fresh(e)
    response = leader.post(
        reverse("archive:entry_return", args=[e.pk]), {"return-note": "请补充验收报告", "return-version": e.version}
    )
    assert response.status_code == 302 and fresh(e).status == "returned"
    assert "请补充验收报告" in html_of(cadre.get(detail))

    e = fresh(e)
    attach(world, e, "acceptance_report")
    e = fresh(e)
    cadre.post(reverse("archive:entry_submit", args=[e.pk]), {"version": e.version})
    e = fresh(e)
    statistics, report = e.evidence.order_by("id")
    response = leader.post(
        reverse("archive:entry_verify", args=[e.pk]),
        {
            "method": "site_visit",
            "difficulty": "very_hard",
            "score_completion": "95",
            "score_authenticity": "90",
            "score_difficulty": "80",
            "score_contribution": "85",
            f"kind_{statistics.pk}": "statistics",
            f"kind_{report.pk}": "third_party",  # corrected
            "note": "实地查看属实",
            "version": e.version,
        },
    )
    assert response.status_code == 302
    e = fresh(e)
    assert (e.status, e.method, e.difficulty, e.decided_by) == (
        "verified",
        "site_visit",
        "very_hard",
        world.user("leader_a"),
    )
    assert fresh(report).confirmed_kind == "third_party"
    page = html_of(cadre.get(detail))
    assert f"<strong>{e.counted_value}</strong>" in page and e.counted_value > 0
    assert "corrected" in page


def test_a_stale_version_is_refused_with_a_clear_message(world):
    e = own_submitted(world)
    stale = fresh(e).version
    services.archive_entry_return(actor=world.user("staff_a"), entry=e, note="补充材料")
    services.archive_entry_submit(actor=world.user("cadre_a1"), entry=fresh(e))
    before = counts()
    response = client_for(world.user("leader_a")).post(
        reverse("archive:entry_reject", args=[e.pk]), {"reject-note": "不实", "reject-version": stale}
    )
    assert response.status_code == 409
    html = html_of(response)
    assert 'id="entry-error"' in html and "changed by someone else meanwhile" in html
    assert counts() == before and fresh(e).status == "submitted"


def test_verify_form_errors_beside_their_fields(world):
    e = own_submitted(world)
    before = counts()
    response = client_for(world.user("leader_a")).post(
        reverse("archive:entry_verify", args=[e.pk]),
        {"method": "", "difficulty": "hard", "score_completion": "101", "version": fresh(e).version},
    )
    assert response.status_code == 422
    html = html_of(response)
    assert "Ensure this value is less than or equal to 100." in html and "This field is required." in html
    assert counts() == before and fresh(e).status == "submitted"


def test_return_and_reject_need_a_note(world):
    e = own_submitted(world)
    before = counts()
    response = client_for(world.user("leader_a")).post(
        reverse("archive:entry_reject", args=[e.pk]), {"reject-note": "", "reject-version": fresh(e).version}
    )
    assert response.status_code == 422 and counts() == before


@pytest.mark.parametrize(
    ("username", "status"),
    [("auditor_a", 403), ("discipline_a", 403), ("cadre_a1", 403), ("staff_b", 404), ("nobody", 404)],
)
def test_who_may_not_decide_changes_nothing(world, username, status):
    e = own_submitted(world)
    version = fresh(e).version
    client = client_for(world.user(username))
    before = counts()
    for name, data in (
        ("entry_return", {"return-note": "x", "return-version": version}),
        ("entry_reject", {"reject-note": "x", "reject-version": version}),
        ("entry_verify", {"method": "site_visit", "difficulty": "hard", "version": version}),
    ):
        response = client.post(reverse(f"archive:{name}", args=[e.pk]), data)
        assert response.status_code == status, (name, response.status_code)
    assert counts() == before and fresh(e).status == "submitted"


def test_withdraw_and_revoke(world):
    draft = own_entry(world)
    cadre = client_for(world.user("cadre_a1"))
    assert (
        client_for(world.user("leader_a"))
        .post(reverse("archive:entry_withdraw", args=[draft.pk]), {"version": draft.version})
        .status_code
        == 403
    )
    response = cadre.post(reverse("archive:entry_withdraw", args=[draft.pk]), {"version": draft.version})
    assert response.status_code == 302 and fresh(draft).status == "withdrawn"

    done = verified(world, cadre="A3", actor="leader_a")
    url = reverse("archive:entry_revoke", args=[done.pk])
    leader_page = html_of(client_for(world.user("leader_a")).get(reverse("archive:entry_detail", args=[done.pk])))
    assert 'id="revoke-form"' not in leader_page
    before = counts()
    assert (
        client_for(world.user("leader_a")).post(url, {"revoke-note": "x", "revoke-version": done.version}).status_code
        == 403
    )
    assert counts() == before
    response = client_for(world.user("staff_a")).post(
        url, {"revoke-note": "核查不实", "revoke-version": fresh(done).version}
    )
    assert response.status_code == 302 and fresh(done).status == "revoked" and fresh(done).counted_value is None


# --- flags in words --------------------------------------------------------------------------


def test_process_trace_only_entry_is_flagged_and_counts_zero(world):
    e = verified(world, cadre="A1", actor="cadre_a1", verifier="leader_a", kinds=("meeting_held", "photo_trail"))
    assert e.counted_value == 0
    html = html_of(client_for(world.user("leader_a")).get(reverse("archive:entry_detail", args=[e.pk])))
    assert 'data-flag="process_trace"' in html and "counts zero" in html
    assert "Process trace, not a result: the only evidence is Meeting held, Photo trail." in html
    auditor = html_of(client_for(world.user("auditor_a")).get(reverse("archive:entry_detail", args=[e.pk])))
    assert 'id="flags"' not in auditor and "Process trace" not in auditor


def test_flags_name_the_other_entries_the_viewer_may_see(world):
    task = services.archive_task_create(
        actor=world.user("leader_a"), organization=world.orgs["A-bureau"], name="防汛抢险", year=2025
    )
    first = submitted(world, cadre="A3", task=task, share_percent=60)
    second = submitted(world, cadre="A4", task=task, share_percent=70)
    html = html_of(client_for(world.user("staff_a")).get(reverse("archive:entry_detail", args=[first.pk])))
    assert 'data-flag="over_claimed"' in html and "add up to 130.00%, more than 100%" in html
    assert f'href="{reverse("archive:entry_detail", args=[second.pk])}"' in html

    same = b"one scanned acceptance report"
    mine = entry(world, cadre="A4")
    attach(world, mine, "acceptance_report", content=same)
    theirs = entry(world, cadre="B1", actor="staff_b")
    attach(world, theirs, "acceptance_report", content=same)
    services.archive_entry_submit(actor=world.user("staff_b"), entry=fresh(theirs))
    services.archive_entry_submit(actor=world.user("leader_a"), entry=fresh(mine))
    html = html_of(client_for(world.user("staff_a")).get(reverse("archive:entry_detail", args=[mine.pk])))
    assert 'data-flag="shared_evidence"' in html and "The same evidence file is attached to another cadre" in html
    # The twin lies in county B: named by number in the reason, never linked or titled.
    assert reverse("archive:entry_detail", args=[theirs.pk]) not in html and "乙县" not in html


def test_near_duplicate_flag_links_its_twin(world):
    text = "组织开展农村人居环境整治，清理垃圾三百吨，改造厕所一百二十户，村容村貌明显改善。"
    one = submitted(world, cadre="A3", description=text)
    two = submitted(world, cadre="A4", description=text)
    assert "near_duplicate" in fresh(one).flag_codes
    html = html_of(client_for(world.user("staff_a")).get(reverse("archive:entry_detail", args=[one.pk])))
    assert 'data-flag="near_duplicate"' in html
    assert f'href="{reverse("archive:entry_detail", args=[two.pk])}"' in html


# --- evidence download -----------------------------------------------------------------------


def test_evidence_download_is_scoped_and_logged(world):
    e = own_entry(world)
    item = attach(world, e, "statistics", content=b"the numbers")
    response = client_for(world.user("leader_a")).get(reverse("archive:evidence_download", args=[item.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"the numbers"
    assert 'attachment; filename="report.pdf"' in response["Content-Disposition"]
    assert AccessLog.objects.filter(object_type="archive_evidence", object_id=str(item.pk)).count() == 1
    assert (
        client_for(world.user("staff_b")).get(reverse("archive:evidence_download", args=[item.pk])).status_code == 404
    )


# --- the dossier timeline --------------------------------------------------------------------


def test_dossier_shows_the_career_year_by_year_with_the_chart(world):
    done = verified(world, cadre="A1", actor="cadre_a1", verifier="leader_a", category="key_tasks")
    trace = verified(world, cadre="A1", actor="cadre_a1", verifier="leader_a", kinds=("meeting_held",))
    negative = entry(world, cadre="A1", actor="discipline_a", polarity="negative", title="违规问题")
    cadre = world.cadres["A1"]
    response = client_for(world.user("leader_a")).get(reverse("archive:dossier", args=[cadre.pk]))
    html = html_of(response)
    assert response.status_code == 200
    assert entry_ids(html) == {done.pk, trace.pk, negative.pk}
    assert "甲县农业农村局 · 局长" in html  # the post, with its years since 2018
    assert all(f'<th scope="row">{year}</th>' in html for year in range(2018, 2026))
    data = json.loads(
        re.search(r'<script id="archive-chart-data" type="application/json">(.*?)</script>', html).group(1)
    )
    q2 = data["labels"].index("2025 Q2")
    series = {s["kind"]: s["data"] for s in data["series"]}
    assert Decimal(series["score"][q2]) == done.counted_value + trace.counted_value == Decimal(series["positive"][q2])
    assert "vendor/echarts.min.js" in html and "js/archive.js" in html and "<script>" not in html
    assert AccessLog.objects.filter(object_type="cadre", object_id=str(cadre.pk), what="archive").count() == 1
    # Filtered by flag (those who may see flags) and by polarity.
    flagged = html_of(
        client_for(world.user("leader_a")).get(
            reverse("archive:dossier", args=[cadre.pk]), {"flag": "process_trace"}, HTTP_HX_REQUEST="true"
        )
    )
    assert entry_ids(flagged) == {trace.pk} and "<html" not in flagged
    negatives = html_of(
        client_for(world.user("leader_a")).get(reverse("archive:dossier", args=[cadre.pk]), {"polarity": "negative"})
    )
    assert entry_ids(negatives) == {negative.pk}
    auditor = html_of(client_for(world.user("auditor_a")).get(reverse("archive:dossier", args=[cadre.pk])))
    assert 'name="flag"' not in auditor and "Process trace" not in auditor
    assert client_for(world.user("staff_b")).get(reverse("archive:dossier", args=[cadre.pk])).status_code == 404


def test_dossier_of_a_cadre_without_entries(world):
    html = html_of(client_for(world.user("cadre_a1")).get(reverse("archive:dossier", args=[world.cadres["A1"].pk])))
    assert 'id="no-chart"' in html and "No entries yet" in html and "archive-chart-data" not in html


def _many(world, count):
    cadre = world.cadres["A1"]
    for i in range(count):
        services.archive_entry_create(
            actor=world.user("cadre_a1"),
            cadre=cadre,
            occurred_on=dt.date(2024, 1 + i % 12, 1 + i % 28),
            category=["duties", "key_tasks", "innovation"][i % 3],
            title=f"条目{i}",
            description=unique_text(),
            polarity="negative" if i % 5 == 0 else "positive",
            metrics=[METRIC],
        )


def _dossier_queries(world):
    client = client_for(world.user("leader_a"))
    url = reverse("archive:dossier", args=[world.cadres["A1"].pk])
    client.get(url)  # warm: session, grants
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_dossier_query_count_does_not_depend_on_the_number_of_entries(world):
    verified(world, cadre="A1", actor="cadre_a1", verifier="leader_a")
    verified(world, cadre="A1", actor="cadre_a1", verifier="leader_a", kinds=("meeting_held",))
    _many(world, 3)
    few = _dossier_queries(world)
    _many(world, 45)
    assert ArchiveEntry.objects.filter(cadre=world.cadres["A1"]).count() == 50
    assert _dossier_queries(world) == few


# --- the archive card ------------------------------------------------------------------------


def test_archive_card_pdf_renders_chinese_with_the_vendored_font(world):
    e = verified(world, cadre="A1", actor="cadre_a1", verifier="leader_a", title="修复灌溉渠道十二公里")
    cadre = world.cadres["A1"]
    response = client_for(world.user("staff_a"), language="zh-hans").get(reverse("archive:card_pdf", args=[cadre.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    families, text = pdf_fonts_and_text(pdf)
    # Only the @font-face families of the card (WeasyPrint names an embedded font after its CSS
    # family): the vendored Noto Sans SC files, no font of the server's.
    assert "Card SC" in families and families <= {"Card SC", "Card Latin"}
    for char in set("张伟军修复灌溉渠道十二公里" + e.organization.name):
        assert char in text, char
    assert AccessLog.objects.filter(object_type="cadre", object_id=str(cadre.pk), what="archive_card_pdf").exists()
    assert client_for(world.user("staff_b")).get(reverse("archive:card_pdf", args=[cadre.pk])).status_code == 404


def test_archive_card_xlsx_in_the_readers_language(world):
    done = verified(world, cadre="A1", actor="cadre_a1", verifier="leader_a")
    own_entry(world, title="草稿不入档案卡")
    cadre = world.cadres["A1"]
    for language, flags in (("en", True), ("zh-hans", True)):
        response = client_for(world.user("staff_a"), language=language).get(
            reverse("archive:card_xlsx", args=[cadre.pk])
        )
        assert response.status_code == 200
        book = load_workbook(io.BytesIO(response.content))
        with translation.override(language):
            sheet = book[translation.gettext("Entries")]
            headers = [c.value for c in sheet[1]]
            assert headers[:5] == [translation.gettext(h) for h in ("Date", "Year", "Quarter", "Category", "Title")]
            assert (translation.gettext("Guard flags") in headers) is flags
        titles = [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert titles == [done.title]
    auditor = load_workbook(
        io.BytesIO(client_for(world.user("auditor_a")).get(reverse("archive:card_xlsx", args=[cadre.pk])).content)
    )
    assert "Guard flags" not in [c.value for c in auditor["Entries"][1]]
    assert AccessLog.objects.filter(object_type="cadre", what="archive_card_xlsx").count() == 3
    assert client_for(world.user("staff_b")).get(reverse("archive:card_xlsx", args=[cadre.pk])).status_code == 404
