"""POST /api/v1/roster-imports and GET /api/v1/roster-imports/template."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dandang.org import services
from dandang.org.models import Cadre
from dandang.org.tests.import_files import ZHAO_ID, good_rows, roster_xlsx
from dandang.org.tests.test_importing import PNG, table_counts

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

URL = "/api/v1/roster-imports"


def client_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def upload(name, data):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_import_answers_201_with_counts(world):
    response = client_for(world.user("staff_a")).post(URL, {"file": upload("r.xlsx", roster_xlsx(**good_rows()))})
    assert response.status_code == 201, response.content
    assert response.json() == {
        "counts": {"organizations": 3, "posts": 3, "cadres": 2, "tenures": 3},
        "rows": 11,
    }
    assert Cadre.objects.filter(id_number=ZHAO_ID).exists()


def test_import_with_a_token(world):
    _token, key = services.api_token_create(actor=world.user("staff_a"), name="import")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.post(URL, {"file": upload("r.xlsx", roster_xlsx(**good_rows()))})
    assert response.status_code == 201, response.content


def test_row_errors_answer_422_with_every_error_and_nothing_changes(world):
    rows = good_rows()
    rows["cadres"][0][2] = "x"
    rows["posts"][1][1] = "330103"  # county B: outside
    before = table_counts()
    response = client_for(world.user("staff_a")).post(URL, {"file": upload("r.xlsx", roster_xlsx(**rows))})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert "nothing was changed" in body["message"]
    assert [(e["sheet"], e["row"], e["column"]) for e in body["detail"]["errors"]] == [
        ("posts 职务", 3, "organization_code"),
        ("cadres 干部", 2, "gender"),
    ]
    assert all(e["reason"] for e in body["detail"]["errors"])
    assert table_counts() == before


def test_csv_with_the_sheet_field(world):
    data = "code,name,parent_code,level,kind\r\n330102-B8,甲县气象局,330102,县,政府部门\r\n".encode()
    response = client_for(world.user("staff_a")).post(URL, {"file": upload("o.csv", data), "sheet": "organizations"})
    assert response.status_code == 201, response.content
    assert response.json()["counts"]["organizations"] == 1


def test_a_non_roster_file_answers_422(world):
    before = table_counts()
    response = client_for(world.user("staff_a")).post(URL, {"file": upload("photo.xlsx", PNG)})
    assert response.status_code == 422
    assert response.json()["detail"]["file"]
    assert table_counts() == before


def test_missing_file_answers_422(world):
    response = client_for(world.user("staff_a")).post(URL, {"sheet": "cadres"})
    assert response.status_code == 422
    assert any(key.startswith("file") for key in response.json()["detail"])


def test_without_the_capability_403_and_anonymous_401(world):
    before = table_counts()
    data = roster_xlsx(**good_rows())
    response = client_for(world.user("leader_a")).post(URL, {"file": upload("r.xlsx", data)})
    assert response.status_code == 403
    response = Client().post(URL, {"file": upload("r.xlsx", data)})
    assert response.status_code == 401
    assert table_counts() == before


def test_template_download(world):
    response = client_for(world.user("staff_a")).get(URL + "/template")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert "cadres 干部" in book.sheetnames
    response = client_for(world.user("staff_a")).get(URL + "/template", {"format": "csv", "sheet": "tenures"})
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").startswith("id_number 身份证号,")
    assert client_for(world.user("leader_a")).get(URL + "/template").status_code == 403
    assert Client().get(URL + "/template").status_code == 401
