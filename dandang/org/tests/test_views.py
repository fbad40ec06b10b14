import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse

from dandang.core.models import AccessLog
from dandang.org import services
from dandang.org.models import Cadre
from dandang.testing import make_id_number

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


def client_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _holiday_stub(request):  # pragma: no cover - only its URL name matters
    raise AssertionError


# A URL configuration with a "core_holidays" page, for the navigation test below.
urlpatterns = [
    path("holidays-stub/", _holiday_stub, name="core_holidays"),
    path("", include("config.urls")),
]


def add_cadres(world, count, *, start_seq=500, gender=Cadre.Gender.FEMALE, name="赵敏"):
    bureau = world.orgs["A-bureau"]
    for i in range(count):
        birth = dt.date(1980, 1 + i % 12, 1 + i % 28)
        cadre = services.cadre_create(
            actor=None,
            name=name,
            gender=gender,
            birth_date=birth,
            ethnicity="汉族",
            education=Cadre.Education.MASTER,
            id_number=make_id_number(start_seq + i, birth),
            organization=bureau,
        )
        services.tenure_start(
            actor=None, cadre=cadre, post=world.posts["A-clerk"], start=dt.date(2020, 1, 1), reason="appointment"
        )


def rows(response):
    return re.findall(r'href="/cadres/(\d+)/"', response.content.decode())


# --- organization tree ---------------------------------------------------------------------


def test_tree_shows_own_county_only(world):
    html = client_for(world.user("staff_a")).get(reverse("org:tree")).content.decode()
    assert "甲县" in html
    assert "甲县第1镇" in html  # the root's children are shown at once
    assert "乙县" not in html
    # Deeper levels are loaded on demand, not rendered up front.
    assert "甲县第1镇第1村" not in html
    assert reverse("org:org_children", args=[world.orgs["A-t1"].pk]) in html


def test_tree_children_partial(world):
    client = client_for(world.user("staff_a"))
    response = client.get(reverse("org:org_children", args=[world.orgs["A-t1"].pk]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "甲县第1镇第1村" in html and "甲县第1镇第2村" in html


def test_tree_children_outside_jurisdiction_is_404(world):
    client = client_for(world.user("staff_b"))
    assert client.get(reverse("org:org_children", args=[world.orgs["A-t1"].pk])).status_code == 404


def test_tree_empty_state_for_user_without_roles(world):
    response = client_for(world.user("nobody")).get(reverse("org:tree"))
    assert response.status_code == 200
    assert "empty-state" in response.content.decode()


# (viewer, organization, expected status); one world for all cases, it is costly to build.
ORG_DETAIL_CASES = [
    ("staff_a", "A-t1", 200),
    ("staff_a", "A", 200),
    ("staff_city", "A-t1-v1", 200),
    ("reporter_a", "A-t1", 200),
    ("leader_a", "A-bureau", 200),
    ("leader_a", "A-t1", 404),  # a unit leader sees their unit only
    ("staff_b", "A-t1", 404),
    ("staff_a", "B", 404),
    ("nobody", "A", 404),
    ("cadre_a1", "A-bureau", 404),
]


def test_org_detail_inside_200_outside_404(world):
    for username, org_key, status in ORG_DETAIL_CASES:
        org = world.orgs[org_key]
        response = client_for(world.user(username)).get(reverse("org:org_detail", args=[org.pk]))
        assert response.status_code == status, (username, org_key)
        if status == 404:
            assert org.name not in response.content.decode(), (username, org_key)


def test_org_detail_content(world):
    client = client_for(world.user("staff_city"))
    html = client.get(reverse("org:org_detail", args=[world.orgs["A-t1"].pk])).content.decode()
    # Breadcrumbs: city › county › township.
    crumbs = html[html.index('class="breadcrumbs"') : html.index("</nav>", html.index('class="breadcrumbs"'))]
    assert crumbs.index("示范市") < crumbs.index("甲县") < crumbs.index("甲县第1镇")
    assert "甲县第1镇第1村" in html  # children
    assert "副镇长" in html  # its post
    assert f"{reverse('org:cadre_list')}?org={world.orgs['A-t1'].pk}" in html


def test_org_detail_hides_cadre_link_without_cadre_role(world):
    html = client_for(world.user("reporter_a")).get(reverse("org:org_detail", args=[world.orgs["A"].pk]))
    assert f"{reverse('org:cadre_list')}?org=" not in html.content.decode()


def test_org_detail_of_non_number_is_404(world):
    assert client_for(world.user("staff_a")).get("/orgs/abc/").status_code == 404


# --- cadre list ----------------------------------------------------------------------------


def test_cadre_list_scoped_to_jurisdiction(world):
    response = client_for(world.user("staff_a")).get(reverse("org:cadre_list"))
    html = response.content.decode()
    assert response.status_code == 200
    for key in ("A1", "A2", "A3", "A4"):
        assert world.cadres[key].name in html
    assert world.cadres["B1"].name not in html and world.cadres["B2"].name not in html


SEARCH_CASES = [
    ("zwj", {"A1"}),  # pinyin initials
    ("ZW", {"A1"}),  # initials, any case
    ("wangfang", {"A2"}),  # full pinyin
    ("王芳", {"A2"}),  # Chinese characters
    ("李", {"A3"}),
    (" 刘洋 ", {"A4"}),
    ("陈静", set()),  # exists, but in county B
    ("xyz", set()),
]


def test_cadre_search_by_name_pinyin_and_initials(world):
    client = client_for(world.user("staff_a"))
    for query, expected in SEARCH_CASES:
        response = client.get(reverse("org:cadre_list"), {"q": query})
        assert set(rows(response)) == {str(world.cadres[k].pk) for k in expected}, query


def test_cadre_search_empty_state_is_helpful(world):
    html = client_for(world.user("staff_a")).get(reverse("org:cadre_list"), {"q": "xyz"}).content.decode()
    assert "empty-state" in html
    assert "zwj" in html  # suggests the initials


FILTER_CASES = [
    ({"gender": "female"}, {"A2", "A4"}),
    ({"gender": "male"}, {"A1", "A3"}),
    ({"leading": "yes"}, {"A1", "A2"}),
    ({"leading": "no"}, {"A3", "A4"}),
    ({"education": "bachelor"}, {"A1", "A2", "A3", "A4"}),
    ({"education": "doctorate"}, set()),
    ({"org": "A-t1"}, {"A2"}),
    ({"org": "A-bureau", "leading": "yes"}, {"A1"}),
    ({"org": "A-bureau", "q": "lyy"}, set()),
]


def test_cadre_filters(world):
    client = client_for(world.user("staff_a"))
    for params, expected in FILTER_CASES:
        query = {**params, "org": world.orgs[params["org"]].pk} if "org" in params else params
        response = client.get(reverse("org:cadre_list"), query)
        assert response.status_code == 200, params
        assert set(rows(response)) == {str(world.cadres[k].pk) for k in expected}, params


def test_cadre_filter_by_organization_outside_jurisdiction_is_404(world):
    response = client_for(world.user("staff_a")).get(reverse("org:cadre_list"), {"org": world.orgs["B"].pk})
    assert response.status_code == 404
    assert world.cadres["B1"].name not in response.content.decode()


def test_cadre_list_bad_filter_value_is_reported_not_500(world):
    response = client_for(world.user("staff_a")).get(reverse("org:cadre_list"), {"gender": "other", "org": "x"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="field-error"') == 2
    assert len(rows(response)) == 4  # the invalid filters are ignored, not guessed


def test_htmx_search_returns_only_the_results(world):
    client = client_for(world.user("staff_a"))
    response = client.get(
        reverse("org:cadre_list"), {"q": "zwj"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="cadre-results"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<header" not in html
    assert 'id="cadre-filters"' not in html
    assert 'id="cadre-table"' in html
    assert rows(response) == [str(world.cadres["A1"].pk)]
    assert "HX-Request" in response["Vary"]
    full = client.get(reverse("org:cadre_list"), {"q": "zwj"})
    assert 'id="cadre-filters"' in full.content.decode() and "<html" in full.content.decode()


def test_pagination_keeps_filters(world):
    add_cadres(world, 55, gender=Cadre.Gender.FEMALE)
    client = client_for(world.user("staff_a"))
    first = client.get(reverse("org:cadre_list"), {"gender": "female", "q": "zm"})
    html = first.content.decode()
    assert len(rows(first)) == 50
    assert "?gender=female&amp;q=zm&amp;page=2" in html
    second = client.get(reverse("org:cadre_list"), {"gender": "female", "q": "zm", "page": 2})
    assert len(rows(second)) == 5
    assert not set(rows(first)) & set(rows(second))
    # The htmx page links keep the filters too.
    partial = client.get(reverse("org:cadre_list"), {"gender": "female", "q": "zm"}, HTTP_HX_REQUEST="true")
    assert 'hx-get="?gender=female&amp;q=zm&amp;page=2"' in partial.content.decode()


def test_cadre_list_query_count_does_not_grow_with_page_size(world, django_assert_num_queries):
    add_cadres(world, 1)
    client = client_for(world.user("staff_a"))
    url = reverse("org:cadre_list")
    params = {"org": world.orgs["A"].pk}
    client.get(url, params)  # warm up the session
    with CaptureQueriesContext(connection) as small:
        response = client.get(url, params)
    assert len(rows(response)) == 5
    add_cadres(world, 45, start_seq=600)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url, params)
    assert len(rows(response)) == 50


# --- dossier -------------------------------------------------------------------------------


DOSSIER_CASES = [
    ("staff_a", "A1", 200),
    ("staff_city", "B1", 200),
    ("discipline_a", "A2", 200),
    ("leader_a", "A1", 200),  # A1 serves in the bureau the leader heads
    ("leader_a", "A2", 404),  # A2 serves in a township
    ("cadre_a1", "A1", 200),  # their own record
    ("cadre_a1", "A2", 404),
    ("staff_b", "A1", 404),
    ("reporter_a", "A1", 404),
    ("nobody", "A1", 404),
]


def test_dossier_inside_200_outside_404(world):
    for username, cadre_key, status in DOSSIER_CASES:
        cadre = world.cadres[cadre_key]
        before = AccessLog.objects.count()
        response = client_for(world.user(username)).get(reverse("org:cadre_detail", args=[cadre.pk]))
        assert response.status_code == status, (username, cadre_key)
        if status == 404:
            assert cadre.name not in response.content.decode(), (username, cadre_key)
            assert AccessLog.objects.count() == before, (username, cadre_key)  # nothing read, nothing logged
        else:
            assert AccessLog.objects.count() == before + 1, (username, cadre_key)


def test_dossier_content_and_access_log(world):
    cadre = world.cadres["A1"]
    viewer = world.user("staff_a")
    response = client_for(viewer).get(reverse("org:cadre_detail", args=[cadre.pk]))
    html = response.content.decode()
    assert cadre.name in html and "局长" in html and "2018-03-01" in html
    assert "no-store" in response["Cache-Control"]
    log = AccessLog.objects.get()
    assert (log.viewer_id, log.object_type, log.object_id, log.what) == (viewer.pk, "cadre", str(cadre.pk), "dossier")


def test_id_number_masked_except_for_org_staff(world):
    cadre = world.cadres["A1"]
    cases = [("staff_a", False), ("staff_city", False), ("leader_a", True), ("discipline_a", True), ("cadre_a1", True)]
    for username, masked in cases:
        html = client_for(world.user(username)).get(reverse("org:cadre_detail", args=[cadre.pk])).content.decode()
        shown = re.search(r'id="id-number">([^<]+)<', html).group(1)
        if masked:
            assert shown == cadre.id_number[:6] + "********" + cadre.id_number[-4:], username
            assert cadre.id_number not in html, username
        else:
            assert shown == cadre.id_number, username


def test_dossier_follows_transfer_with_whole_career(world):
    cadre = world.cadres["A3"]
    services.tenure_start(
        actor=None, cadre=cadre, post=world.posts["B-clerk"], start=dt.date(2024, 5, 6), reason="transfer"
    )
    url = reverse("org:cadre_detail", args=[cadre.pk])
    assert client_for(world.user("staff_a")).get(url).status_code == 404
    html = client_for(world.user("staff_b")).get(url).content.decode()
    assert "甲县农业农村局" in html and "乙县农业农村局" in html
    assert "2018-03-01" in html and "2024-05-05" in html and "2024-05-06" in html
    # The old organization is named but not linked: it lies outside staff_b's jurisdiction.
    assert reverse("org:org_detail", args=[world.orgs["A-bureau"].pk]) not in html
    assert reverse("org:org_detail", args=[world.orgs["B-bureau"].pk]) in html


# --- navigation ----------------------------------------------------------------------------


def nav_of(html):
    start = html.index('id="site-nav"')
    return html[start : html.index("</nav>", start)]


def test_navigation_follows_roles(world):
    cases = [
        ("staff_a", True, True),
        ("leader_a", True, True),
        ("reporter_a", True, False),
        ("security_a", True, False),
        ("cadre_a1", False, False),
    ]
    for username, tree, cadres in cases:
        nav = nav_of(client_for(world.user(username)).get(reverse("home")).content.decode())
        assert (f'href="{reverse("org:tree")}"' in nav) is tree, username
        assert (f'href="{reverse("org:cadre_list")}"' in nav) is cadres, username


def test_navigation_for_own_record(world):
    user = world.user("cadre_a1")
    nav = nav_of(client_for(user).get(reverse("home")).content.decode())
    assert reverse("org:cadre_detail", args=[user.cadre_id]) in nav


def test_navigation_without_any_role_has_no_menu(world):
    nav = nav_of(client_for(world.user("nobody")).get(reverse("home")).content.decode())
    assert f'href="{reverse("home")}"' in nav
    assert reverse("org:tree") not in nav and reverse("org:cadre_list") not in nav


def test_navigation_marks_current_section(world):
    client = client_for(world.user("staff_a"))
    nav = nav_of(client.get(reverse("org:cadre_detail", args=[world.cadres["A1"].pk])).content.decode())
    assert re.search(r'href="/cadres/" class="is-active" aria-current="page"', nav)


def test_navigation_shows_roster_import_to_importers_only(world):
    staff = nav_of(client_for(world.user("staff_a")).get(reverse("home")).content.decode())
    assert f'href="{reverse("org:roster_import")}"' in staff
    leader = nav_of(client_for(world.user("leader_a")).get(reverse("home")).content.decode())
    assert reverse("org:roster_import") not in leader


@pytest.mark.urls("dandang.org.tests.test_views")
def test_navigation_shows_holiday_table_once_it_exists_and_role_allows(world):
    staff = nav_of(client_for(world.user("staff_a")).get(reverse("home")).content.decode())
    assert 'href="/holidays-stub/"' in staff
    leader = nav_of(client_for(world.user("leader_a")).get(reverse("home")).content.decode())
    assert 'href="/holidays-stub/"' not in leader


def test_pages_require_login(world):
    client = Client()
    for url in (
        reverse("org:tree"),
        reverse("org:org_detail", args=[world.orgs["A"].pk]),
        reverse("org:org_children", args=[world.orgs["A"].pk]),
        reverse("org:cadre_list"),
        reverse("org:cadre_detail", args=[world.cadres["A1"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
