"""manage.py import_archive FILE."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dandang.archive.models import ArchiveEntry
from dandang.archive.tests.test_importing import csv_bytes, row
from dandang.testing import row_counts

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


def test_imports_as_a_user(world, tmp_path):
    path = tmp_path / "entries.csv"
    path.write_bytes(csv_bytes([row(world), row(world, "A4", title="第二条")]))
    out = StringIO()
    call_command("import_archive", str(path), user="staff_a", stdout=out)
    assert "entries: 2" in out.getvalue()
    assert ArchiveEntry.objects.filter(author=world.user("staff_a")).count() == 2


def test_errors_are_printed_and_nothing_is_written(world, tmp_path):
    path = tmp_path / "entries.csv"
    path.write_bytes(csv_bytes([row(world), row(world, category="x")]))  # the system names no author
    err = StringIO()
    before = row_counts()
    with pytest.raises(CommandError):
        call_command("import_archive", str(path), stderr=err)
    assert "entries!2:author" in err.getvalue() and "entries!3:category" in err.getvalue()
    assert row_counts() == before


def test_max_rows_for_one_run(world, tmp_path, settings):
    settings.DANDANG_IMPORT_MAX_ROWS = 1
    path = tmp_path / "entries.csv"
    path.write_bytes(csv_bytes([row(world, author="staff_a"), row(world, title="第二条", author="staff_a")]))
    with pytest.raises(CommandError):
        call_command("import_archive", str(path), stdout=StringIO())
    call_command("import_archive", str(path), max_rows=10, stdout=StringIO())
    assert ArchiveEntry.objects.count() == 2


def test_an_unknown_file_or_user(world, tmp_path):
    with pytest.raises(CommandError):
        call_command("import_archive", str(tmp_path / "missing.csv"))
    path = tmp_path / "entries.csv"
    path.write_bytes(csv_bytes([row(world)]))
    with pytest.raises(CommandError):
        call_command("import_archive", str(path), user="no_such_user")
