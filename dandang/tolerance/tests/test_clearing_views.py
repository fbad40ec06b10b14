"""The name-clearing pages: open a case from the cadre's record, verify, clear, refuse — with the
refusals shown beside their fields (422), stale versions (409), who may act (403) and the
jurisdiction (404); the cadre-facing page showing cleared allegations as cleared, in both
languages; the navigation entry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dandang.testing import World, row_counts
from dandang.tolerance import services_clearing as services
from dandang.tolerance.models_clearing import ClearingStatus, NameClearingCase

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

TODAY = timezone.localdate()


def login(world: World, username: str, language: str = "en") -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(world.user(username))
    return client


def open_case(world: World, allegation: str = "举报其违规插手工程") -> NameClearingCase:
    return services.clearing_case_open(
        actor=world.user("staff_a"),
        cadre=world.cadres["A1"],
        allegation=allegation,
        report_reference="XF-WEB-01",
        triggers=["rights_harmed"],
    )


def test_open_a_case_from_the_form(world: World) -> None:
    client = login(world, "staff_a")
    url = f"/cadres/{world.cadres['A1'].pk}/clearing/new/"
    page = client.get(url)
    assert page.status_code == 200 and "Open a name-clearing case" in page.content.decode()
    before = row_counts()
    refused = client.post(url, {"allegation": "举报其收受礼金", "report_reference": "XF-9"})
    assert refused.status_code == 422 and "at least one trigger" in refused.content.decode()
    excluded = client.post(
        url,
        {
            "allegation": "举报其收受礼金",
            "report_reference": "XF-9",
            "triggers": ["rights_harmed"],
            "exclusions": ["routine_interview"],
        },
    )
    assert excluded.status_code == 422 and "does not apply" in excluded.content.decode()
    assert row_counts() == before
    done = client.post(url, {"allegation": "举报其收受礼金", "report_reference": "XF-9", "triggers": ["rights_harmed"]})
    case = NameClearingCase.objects.get(report_reference="XF-9")
    assert done.status_code == 302 and done["Location"] == f"/tolerance/clearing/{case.pk}/"


def test_the_case_page_steps(world: World) -> None:
    case = open_case(world)
    inspector = login(world, "discipline_a")
    url = f"/tolerance/clearing/{case.pk}/"
    page = inspector.get(url).content.decode()
    assert 'id="verify-form"' in page and 'id="refuse-form"' in page and 'id="clear-form"' not in page
    before = row_counts()
    unproven = inspector.post(
        f"{url}verify/", {"version": 1, "finding": "unproven", "summary": "查无实据", "verified_on": TODAY.isoformat()}
    )
    assert unproven.status_code == 422
    assert "does not qualify for name clearing" in unproven.content.decode()
    assert row_counts() == before
    ok = inspector.post(
        f"{url}verify/", {"version": 1, "finding": "false", "summary": "核查系错告", "verified_on": TODAY.isoformat()}
    )
    assert ok.status_code == 302
    stale = inspector.post(
        f"{url}clear/", {"clear-version": 1, "clear-publication_scope": "unit", "clear-published_on": TODAY.isoformat()}
    )
    assert stale.status_code == 409 and "changed by someone else" in stale.content.decode()
    missing = inspector.post(f"{url}clear/", {"clear-version": 2, "clear-publication_scope": ""})
    assert missing.status_code == 422
    cleared = inspector.post(
        f"{url}clear/", {"clear-version": 2, "clear-publication_scope": "unit", "clear-published_on": TODAY.isoformat()}
    )
    assert cleared.status_code == 302
    case.refresh_from_db()
    assert case.status == ClearingStatus.CLEARED and case.publication_scope == "unit"
    page = inspector.get(url).content.decode()
    assert "Within the cadre&#x27;s unit" in page and 'id="actions"' not in page


def test_the_proposer_sees_no_decision_and_is_refused(world: World) -> None:
    case = open_case(world)
    staff = login(world, "staff_a")
    page = staff.get(f"/tolerance/clearing/{case.pk}/").content.decode()
    assert 'id="actions"' not in page
    before = row_counts()
    answer = staff.post(
        f"/tolerance/clearing/{case.pk}/refuse/",
        {"refuse-version": 1, "refuse-grounds": ["no_trigger"], "refuse-note": "x"},
    )
    assert answer.status_code == 403
    answer = staff.post(f"/tolerance/clearing/{case.pk}/refuse/", {})
    assert answer.status_code == 403
    assert row_counts() == before


@pytest.mark.parametrize("who", ["cadre_a1", "leader_a", "staff_b", "nobody"])
def test_case_pages_outside_are_404(world: World, who: str) -> None:
    case = open_case(world)
    client = login(world, who)
    assert client.get(f"/tolerance/clearing/{case.pk}/").status_code == 404
    before = row_counts()
    answer = client.post(
        f"/tolerance/clearing/{case.pk}/verify/",
        {"version": 1, "finding": "untrue", "summary": "x", "verified_on": TODAY.isoformat()},
    )
    assert answer.status_code == 404
    assert row_counts() == before


def test_the_list_page_searches_and_filters(world: World) -> None:
    case = open_case(world)
    open_case(world, "另一项举报内容")
    client = login(world, "discipline_a")
    page = client.get("/tolerance/clearing/").content.decode()
    assert f'data-case="{case.pk}"' in page and "2 cases" in page
    partial = client.get("/tolerance/clearing/?q=插手", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and f'data-case="{case.pk}"' in partial and "1 case" in partial
    empty = client.get("/tolerance/clearing/?status=cleared").content.decode()
    assert "No case matches these filters" in empty
    assert login(world, "leader_a").get("/tolerance/clearing/").status_code == 404


def test_the_cadre_sees_their_cleared_allegation_in_both_languages(world: World) -> None:
    case = open_case(world)
    case = services.clearing_case_verify(
        actor=world.user("discipline_a"),
        case=case,
        finding="seriously_untrue",
        summary="严重失实",
        verified_on=TODAY - dt.timedelta(days=1),
    )
    url = f"/cadres/{world.cadres['A1'].pk}/cleared-allegations/"
    before_clear = login(world, "cadre_a1").get(url).content.decode()
    assert "No allegation against you has been cleared." in before_clear
    services.clearing_case_clear(
        actor=world.user("discipline_a"), case=case, publication_scope="public_notice", published_on=TODAY
    )
    page = login(world, "cadre_a1").get(url).content.decode()
    assert "举报其违规插手工程" in page and "Cleared (澄清正名)" in page and "Never counts against the cadre" in page
    assert "Open a name-clearing case" not in page and f"/tolerance/clearing/{case.pk}/" not in page
    zh = login(world, "cadre_a1", "zh-hans").get(url).content.decode()
    assert "已澄清正名" in zh and "不作为对干部不利的依据" in zh
    # Any reader of the dossier sees it; the proposer also the way to open one.
    staff = login(world, "staff_a").get(url).content.decode()
    assert "举报其违规插手工程" in staff and 'id="open-clearing"' in staff
    assert login(world, "leader_a").get(url).status_code == 200
    assert login(world, "staff_b").get(url).status_code == 404
    # The dossier links to it.
    record = login(world, "cadre_a1").get(f"/cadres/{world.cadres['A1'].pk}/").content.decode()
    assert url in record


def test_navigation_entries(world: World) -> None:
    nav = login(world, "discipline_a").get("/").content.decode()
    assert "/tolerance/clearing/" in nav and "/tolerance/lists/" in nav
    nav = login(world, "nobody").get("/").content.decode()
    assert "/tolerance/clearing/" not in nav and "/tolerance/lists/" in nav


def test_the_list_page_reads_a_fixed_number_of_queries(world: World) -> None:
    client = login(world, "discipline_a")
    open_case(world, "第一项")
    client.get("/tolerance/clearing/")  # warm the session

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/tolerance/clearing/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(5):
        open_case(world, f"更多问题 {n}")
    assert count() == few
