"""manage.py import_roster FILE [--sheet KIND] [--user USERNAME]."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from dandang.core.models import AuditEvent
from dandang.org.models import Cadre, Organization
from dandang.org.tests.import_files import QIAN_ID, good_rows, roster_xlsx
from dandang.org.tests.test_importing import PNG, table_counts

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command("import_roster", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_as_the_system(world, tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(roster_xlsx(**good_rows()))
    out, _err = run(str(path))
    assert "organizations: 3" in out and "tenures: 3" in out
    assert Cadre.objects.filter(id_number=QIAN_ID).exists()
    event = AuditEvent.objects.get(action="roster.import")
    assert event.actor_id is None and event.row_count == 11


def test_import_as_a_user_checks_their_jurisdiction(world, tmp_path):
    path = tmp_path / "roster.xlsx"
    rows = good_rows()
    rows["organizations"][2][2] = "330103"
    rows["cadres"][0][2] = "?"
    path.write_bytes(roster_xlsx(**rows))
    before = table_counts()
    with pytest.raises(CommandError) as exc:
        run(str(path), "--user", "staff_b")
    assert exc.value.returncode == 1
    assert "nothing was changed" in str(exc.value)
    assert table_counts() == before
    out = io.StringIO()
    err = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError):
        call_command("import_roster", str(path), "--user", "staff_b", stdout=out, stderr=err)
    lines = err.getvalue().splitlines()
    outside = "No organization with the code 330102 in this file or within your jurisdiction."
    assert lines == [
        f"organizations 组织!3:parent_code: {outside}",
        "cadres 干部!2:gender: “?” is not one of: 男, 女, male, female.",
    ]


def test_csv_with_sheet_option(world, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text("code,name,parent_code,level,kind\n330102-B4,甲县水利局,330102,县,政府部门\n", encoding="utf-8")
    out, _err = run(str(path), "--sheet", "organizations", "--user", "staff_a")
    assert "organizations: 1" in out
    assert Organization.objects.get(code="330102-B4").parent.code == "330102"


def test_unreadable_or_missing_file(world, tmp_path):
    path = tmp_path / "photo.xlsx"
    path.write_bytes(PNG)
    before = table_counts()
    with pytest.raises(CommandError, match="not an Excel workbook"):
        run(str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path / "absent.xlsx"))
    with pytest.raises(CommandError, match="User not found"):
        run(str(path), "--user", "ghost")
    assert table_counts() == before
