"""The roster import page /roster/import/ and the template downloads."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dandang.core.models import Notification
from dandang.org.models import Cadre
from dandang.org.tests.import_files import ZHAO_ID, good_rows, roster_xlsx
from dandang.org.tests.test_importing import PNG, table_counts

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


def client_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_url_names():
    assert reverse("org:roster_import") == "/roster/import/"
    assert reverse("org:roster_template") == "/roster/template.xlsx"


def test_the_page_shows_the_form_and_template_links(world):
    response = client_for(world.user("staff_a")).get(reverse("org:roster_import"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert reverse("org:roster_template") in html
    assert reverse("org:roster_template_csv", args=["cadres"]) in html


def test_only_importers_see_the_pages(world):
    for name in ("org:roster_import", "org:roster_template"):
        assert client_for(world.user("leader_a")).get(reverse(name)).status_code == 404
        assert client_for(world.user("nobody")).get(reverse(name)).status_code == 404
        assert Client().get(reverse(name)).status_code == 302  # to the login page
    assert client_for(world.user("staff_a")).get(reverse("org:roster_template_csv", args=["shoes"])).status_code == 404


def test_a_refused_post_changes_nothing(world):
    before = table_counts()
    data = {"file": SimpleUploadedFile("r.xlsx", roster_xlsx(**good_rows()))}
    assert client_for(world.user("leader_a")).post(reverse("org:roster_import"), data).status_code == 404
    assert table_counts() == before


def test_a_good_file_shows_the_counts_and_notifies(world):
    staff = world.user("staff_a")
    data = {"file": SimpleUploadedFile("r.xlsx", roster_xlsx(**good_rows()))}
    response = client_for(staff).post(reverse("org:roster_import"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="import-result"' in html
    assert "11 rows were written." in html
    assert Cadre.objects.filter(id_number=ZHAO_ID).exists()
    note = Notification.objects.get(user=staff)
    assert (note.kind, note.message, note.params) == ("notice", "roster_import_done", {"rows": 11})


def test_a_file_with_errors_lists_every_error_and_changes_nothing(world):
    staff = world.user("staff_a")
    rows = good_rows()
    rows["cadres"][1][3] = "1988-02-30"
    rows["organizations"][2][3] = "planet"
    before = table_counts()
    response = client_for(staff).post(
        reverse("org:roster_import"), {"file": SimpleUploadedFile("r.xlsx", roster_xlsx(**rows))}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Nothing was changed" in html
    assert "birth_date 出生日期" in html and "level 层级" in html
    assert "“planet” is not one of" in html
    assert html.count("<td>cadres 干部</td>") == 1
    assert table_counts() == before
    note = Notification.objects.get(user=staff)
    assert (note.message, note.params) == ("roster_import_failed", {"errors": 2})


def test_a_non_roster_file_is_a_form_error_not_a_500(world):
    before = table_counts()
    response = client_for(world.user("staff_a")).post(
        reverse("org:roster_import"), {"file": SimpleUploadedFile("photo.xlsx", PNG)}
    )
    assert response.status_code == 422
    assert "This is not an Excel workbook" in response.content.decode()
    assert table_counts() == before


def test_an_empty_form_is_refused(world):
    response = client_for(world.user("staff_a")).post(reverse("org:roster_import"), {})
    assert response.status_code == 422
    assert 'class="field-error"' in response.content.decode()


def test_template_downloads(world):
    client = client_for(world.user("staff_a"))
    response = client.get(reverse("org:roster_template"))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book["organizations 组织"]["C2"].value == "330102"  # the example hangs under the importer's county
    response = client.get(reverse("org:roster_template_csv", args=["posts"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
