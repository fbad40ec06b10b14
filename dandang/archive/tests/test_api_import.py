"""POST /api/v1/archive-imports and GET /api/v1/archive-imports/template."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dandang.archive.models import ArchiveEntry
from dandang.archive.tests.test_importing import csv_bytes, row
from dandang.org import services
from dandang.testing import row_counts

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

URL = "/api/v1/archive-imports"


def client_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def upload(name, data):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_import_answers_201_with_counts(world):
    data = csv_bytes([row(world, task="项目", share_percent="50"), row(world, "A4", title="第二条")])
    _token, key = services.api_token_create(actor=world.user("staff_a"), name="import")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {key}").post(URL, {"file": upload("e.csv", data)})
    assert response.status_code == 201, response.content
    assert response.json() == {"counts": {"entries": 2, "metrics": 2, "tasks": 1}, "entries": 2}
    assert ArchiveEntry.objects.count() == 2


def test_row_errors_answer_422_in_the_callers_language_and_nothing_changes(world):
    data = csv_bytes([row(world, category="宣传"), row(world, "B1", title="乙县")])
    client = client_for(world.user("staff_a"), "zh-hans")
    before = row_counts()
    response = client.post(URL, {"file": upload("e.csv", data)})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert [(e["sheet"], e["row"], e["column"]) for e in body["detail"]["errors"]] == [
        ("entries", 2, "category"),
        ("entries", 3, "id_number"),
    ]
    assert all(e["reason"] for e in body["detail"]["errors"])
    assert row_counts() == before


def test_an_unreadable_file_answers_422(world):
    client = client_for(world.user("staff_a"))
    before = row_counts()
    response = client.post(URL, {"file": upload("photo.pdf", b"%PDF-1.4")})
    assert response.status_code == 422
    assert response.json()["detail"]["file"]
    assert row_counts() == before


@pytest.mark.parametrize("username", ["leader_a", "cadre_a1", "discipline_a"])
def test_others_are_refused_and_nothing_changes(world, username):
    client = client_for(world.user(username))
    before = row_counts()
    response = client.post(URL, {"file": upload("e.csv", csv_bytes([row(world)]))})
    assert response.status_code == 403
    assert row_counts() == before
    assert client.get(URL + "/template").status_code == 403


def test_templates(world):
    client = client_for(world.user("staff_a"), "zh-hans")
    response = client.get(URL + "/template")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert [c.value for c in book.worksheets[0][1]][:2] == ["身份证号", "日期"]
    response = client_for(world.user("staff_a"), "en").get(URL + "/template?format=csv")
    assert response["Content-Type"] == "text/csv"
    assert response.content.decode("utf-8-sig").startswith("Cadre ID number,Date,Category")
