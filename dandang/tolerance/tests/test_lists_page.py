"""The tolerance lists page: every item of the rulebook in force for the viewer's organization,
its conditions and exclusions in words (both languages), search by text in Chinese or English,
by list and by sector, the empty state, the version with its history; a newly published version
changes what the page shows while the old one is kept, readable and unchanged."""

from __future__ import annotations

import copy

import pytest
from django.test import Client

from dandang.core.models import PublishedRulebook
from dandang.core.rulebooks import rulebook_publish, shipped_rulebook
from dandang.testing import World

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

URL = "/tolerance/lists/"


def login(world: World, username: str, language: str = "en") -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(world.user(username))
    return client


def test_every_list_and_item_is_shown_with_conditions_in_words(world: World) -> None:
    page = login(world, "nobody").get(URL).content.decode()
    book = shipped_rulebook("tolerance")
    for industry_list in book.content.lists:
        assert f'data-list="{industry_list.code}"' in page
        for item in industry_list.items:
            assert f'data-item="{item.code}"' in page
    for code in ("ground_reform", "mitigation_cooperation", "personal_gain"):
        assert f'data-item="{code}"' in page
    assert page.count("data-example") == 2
    assert "Cumulative payout ratio of the pool ≤ 0.3" in page
    assert "Context is one of reform pilot, exploratory trial" in page
    assert "exemption (免责)" in page and "tolerance@1" in page


def test_in_chinese(world: World) -> None:
    page = login(world, "cadre_a1", "zh-hans").get(URL).content.decode()
    assert "资金池累计代偿率 ≤ 0.3" in page
    assert "示例" in page and "容错清单" in page


@pytest.mark.parametrize(
    ("query", "present", "absent"),
    [
        ("q=资金池", "QH-JR-02", "HB-GQ-01"),
        ("q=risk-compensation", "QH-JR-02", "QH-DJ-01"),
        ("q=RISK-COMPENSATION pool", "QH-JR-02", "QH-JR-03"),
        ("list=hubei_soe_example", "HB-GQ-01", "QH-JR-02"),
        ("sector=finance", "QH-JR-03", "QH-KJ-01"),
        ("list=national", "ground_objection", "QH-DJ-01"),
        ("q=私利", "personal_gain", "ground_reform"),
    ],
)
def test_search_and_filters(world: World, query: str, present: str, absent: str) -> None:
    page = login(world, "staff_a").get(f"{URL}?{query}", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in page
    assert f'data-item="{present}"' in page and f'data-item="{absent}"' not in page


def test_empty_state(world: World) -> None:
    page = login(world, "staff_a").get(f"{URL}?q=完全不存在的情形").content.decode()
    assert 'id="lists-empty"' in page and "No item matches" in page


def test_anonymous_is_sent_to_login() -> None:
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def _document(scenario_en: str) -> dict:
    document = copy.deepcopy(shipped_rulebook("tolerance").raw)
    first = document["content"]["lists"][0]["items"][0]
    first["scenario"] = {"zh-hans": "本县修订的党建探索情形", "en": scenario_en}
    document["content"]["lists"] = document["content"]["lists"][:1]  # the county keeps one list
    return document


def test_publishing_a_new_version_changes_the_page_and_keeps_the_old_one(world: World) -> None:
    staff = login(world, "staff_a")
    assert 'id="publish-hint"' not in login(world, "nobody").get(URL).content.decode()
    row = rulebook_publish(
        actor=world.user("staff_a"),
        document=_document("County A own Party-building pilot"),
        organization=world.orgs["A"],
        note="县级清单",
    )
    assert row.ref == "tolerance@2"
    stored = PublishedRulebook.objects.get(pk=row.pk).content
    page = staff.get(URL).content.decode()
    assert "tolerance@2" in page and "County A own Party-building pilot" in page
    assert 'data-list="hubei_soe_example"' not in page
    assert "县级清单" in page and 'id="publish-hint"' in page  # staff may publish: the link to the rulebooks page
    # The old version is kept and readable as it was.
    old = staff.get(f"{URL}?version=1").content.decode()
    assert "Superseded version" in old and 'data-list="hubei_soe_example"' in old
    assert "County A own Party-building pilot" not in old
    # A third version supersedes the second; the second is still there, unchanged.
    rulebook_publish(actor=world.user("staff_a"), document=_document("Third wording"), organization=world.orgs["A"])
    assert "Third wording" in staff.get(URL).content.decode()
    second = staff.get(f"{URL}?version=2").content.decode()
    assert "County A own Party-building pilot" in second
    assert PublishedRulebook.objects.get(pk=row.pk).content == stored
    # The other county still reads the national version, and never sees county A's.
    other = login(world, "staff_b").get(URL).content.decode()
    assert "tolerance@1" in other and "tolerance@2" not in other and "甲县" not in other
    assert login(world, "staff_b").get(f"{URL}?version=2").status_code == 404
    # A cadre of county A reads the county's version.
    assert "Third wording" in login(world, "cadre_a1").get(URL).content.decode()


def test_unknown_version_is_404(world: World) -> None:
    assert login(world, "staff_a").get(f"{URL}?version=99").status_code == 404
    assert login(world, "staff_a").get(f"{URL}?version=x").status_code == 404
