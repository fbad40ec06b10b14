"""The archive import page /archive/import/ and its template downloads."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dandang.archive.models import ArchiveEntry
from dandang.archive.tests.test_importing import csv_bytes, row
from dandang.core.models import Notification
from dandang.testing import row_counts

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

URL = "/archive/import/"


def client_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def upload(data, name="e.csv"):
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_staff_see_the_page_with_the_templates(world):
    response = client_for(world.user("staff_a")).get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    assert "/archive/import/template.xlsx" in text and "/archive/import/template.csv" in text
    assert 'hx-post="/archive/import/"' in text


def test_a_good_file_shows_the_summary(world):
    staff = world.user("staff_a")
    data = csv_bytes([row(world), row(world, "A4", title="第二条", task="项目")])
    response = client_for(staff).post(URL, {"file": upload(data)})
    assert response.status_code == 200
    text = response.content.decode()
    assert "2 entries were written as drafts." in text
    assert ArchiveEntry.objects.filter(status="draft").count() == 2
    note = Notification.objects.get(user=staff)
    assert (note.message, note.params) == ("archive_import_done", {"rows": 2})


def test_a_bad_file_lists_every_error_and_changes_nothing_but_the_inbox(world):
    staff = world.user("staff_a")
    data = csv_bytes([row(world, occurred_on="2026-13-01"), row(world, "B1", title="乙县")])
    client = client_for(staff, "zh-hans")
    before = row_counts()
    response = client.post(URL, {"file": upload(data)})
    assert response.status_code == 422
    text = response.content.decode()
    assert "日期" in text and "身份证号" in text  # the columns as the headers say them
    assert text.count("<tr>") >= 3
    after = row_counts()
    assert after.pop("core_notification") == before.pop("core_notification") + 1
    assert after == before


def test_htmx_swaps_the_result_in_place(world):
    data = csv_bytes([row(world, category="x")])
    response = client_for(world.user("staff_a")).post(URL, {"file": upload(data)}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200  # htmx swaps 2xx answers only
    text = response.content.decode()
    assert "<html" not in text and "The file was not imported" in text


def test_an_unreadable_file_is_a_form_error(world):
    response = client_for(world.user("staff_a")).post(URL, {"file": upload(b"\x00\x01", "x.pdf")})
    assert response.status_code == 422
    assert "Only .xlsx and .csv files can be imported." in response.content.decode()


@pytest.mark.parametrize("username", ["leader_a", "cadre_a1", "auditor_a"])
def test_the_page_does_not_exist_for_others(world, username):
    client = client_for(world.user(username))
    before = row_counts()
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"file": upload(csv_bytes([row(world)]))}).status_code == 404
    assert client.get(URL + "template.csv").status_code == 404
    assert row_counts() == before


def test_template_downloads(world):
    client = client_for(world.user("staff_a"))
    response = client.get(URL + "template.xlsx")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    response = client.get(URL + "template.csv")
    assert response.content.startswith("\ufeff".encode())
