import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.test import override_settings
from django.utils import translation

from dandang.archive import importing
from dandang.archive.importing import archive_import, archive_template_csv, archive_template_xlsx
from dandang.archive.models import ArchiveEntry, ArchiveTask, OutcomeMetric
from dandang.archive.tests.archive_helpers import entry
from dandang.core.audit import RowsDigest, audit_verify, rows_digest
from dandang.core.errors import PermissionDenied, ValidationFailed
from dandang.core.models import AuditEvent
from dandang.testing import row_counts

pytestmark = pytest.mark.django_db

KEYS = [c.key for c in importing.COLUMNS]
DAY = "2026-03-05"


def row(world, cadre="A3", **cells):
    values = {
        "id_number": world.cadres[cadre].id_number,
        "occurred_on": DAY,
        "category": "重点任务",
        "title": "完成城区积涝点改造",
        "description": "牵头实施城区12处积涝点改造，汛期未再发生道路积水。",
        "polarity": "",
        "task": "",
        "share_percent": "",
        "difficulty": "较难",
        "indicator": "改造积涝点",
        "unit": "处",
        "baseline": "0",
        "target": "12",
        "actual": "12",
        "author": "",
    }
    values.update(cells)
    return values


def csv_bytes(rows, *, header=None, encoding="utf-8-sig"):
    header = header or KEYS
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(k, "") for k in KEYS][: len(header)])
    return out.getvalue().encode(encoding)


def good_rows(world):
    return [
        row(world, "A3", task="高标准农田建设", share_percent="60"),
        row(world, "A4", title="农田水利改造", task="高标准农田建设", share_percent="40%", difficulty="很难"),
        row(
            world,
            "A1",
            occurred_on="2026/7/1",
            category="honours",
            polarity="负面",
            title="安全生产事故被通报",
            indicator="",
            unit="",
            baseline="",
            target="",
            actual="",
            author="discipline_a",
        ),
        row(world, "A2", occurred_on="2025-12-31", title="乡村振兴示范村创建", category="主责主业", author="cadre_a1")
        | {"id_number": world.cadres["A1"].id_number, "title": "本人填报的实绩"},
    ]


def test_good_csv_writes_every_row_as_drafts_placed_on_the_tenure(world):
    staff = world.user("staff_a")
    events = AuditEvent.objects.count()
    result = archive_import(actor=staff, filename="entries.csv", data=csv_bytes(good_rows(world)))

    assert result.ok, [str(e) for e in result.errors]
    assert result.counts == {"entries": 4, "metrics": 3, "tasks": 1}
    entries = {e.title: e for e in ArchiveEntry.objects.select_related("task", "tenure", "post")}
    assert set(entries) == {"完成城区积涝点改造", "农田水利改造", "安全生产事故被通报", "本人填报的实绩"}
    assert {e.status for e in entries.values()} == {"draft"}
    first = entries["完成城区积涝点改造"]
    assert first.cadre == world.cadres["A3"]
    assert (first.occurred_on, first.year, first.quarter) == (dt.date(2026, 3, 5), 2026, 1)
    assert (first.category, first.polarity, first.difficulty) == ("key_tasks", "positive", "hard")
    assert first.author == staff and first.version == 1 and first.flag_codes == []
    assert first.post == world.posts["A-clerk"] and first.organization == world.orgs["A-bureau"]
    assert first.tenure is not None and first.tenure.cadre_id == first.cadre_id
    assert first.share_percent == Decimal("60.00")
    task = ArchiveTask.objects.get()
    assert (task.name, task.year, task.organization, task.created_by) == (
        "高标准农田建设",
        2026,
        world.orgs["A-bureau"],
        staff,
    )
    assert entries["农田水利改造"].task == task and entries["农田水利改造"].share_percent == Decimal(40)
    assert entries["农田水利改造"].difficulty == "very_hard"
    negative = entries["安全生产事故被通报"]
    assert (negative.polarity, negative.category, negative.author) == (
        "negative",
        "honours",
        world.user("discipline_a"),
    )
    assert not negative.metrics.exists()
    assert entries["本人填报的实绩"].author == world.user("cadre_a1")
    assert entries["本人填报的实绩"].year == 2025 and entries["本人填报的实绩"].quarter == 4
    metric = first.metrics.get()
    assert (metric.indicator, metric.unit, metric.baseline, metric.target, metric.actual) == (
        "改造积涝点",
        "处",
        Decimal(0),
        Decimal(12),
        Decimal(12),
    )

    # One bulk event for county A, whose digest is that of the rows written.
    event = AuditEvent.objects.get(action="archive.import")
    assert AuditEvent.objects.count() == events + 1
    assert event.partition == "330102" and event.actor_id == staff.pk
    assert event.after["counts"] == {"entries": 4, "metrics": 3, "tasks": 1}
    expected = [["task", task.pk, task.organization_id, task.year, task.name]]
    for e in ArchiveEntry.objects.order_by("id"):
        expected.append(
            [
                "entry",
                e.pk,
                e.cadre_id,
                e.organization_id,
                e.occurred_on.isoformat(),
                e.category,
                e.polarity,
                e.difficulty,
                e.task_id,
                None if e.share_percent is None else str(e.share_percent),
                e.author_id,
                e.title,
            ]
        )
    for m in OutcomeMetric.objects.order_by("id"):
        expected.append(["metric", m.pk, m.entry_id, m.indicator, m.unit, "0.0000", "12.0000", "12.0000"])
    assert (event.digest, event.row_count) == rows_digest(expected)
    assert audit_verify()[1] == []


def test_a_task_above_the_cadres_organization_is_claimed_not_created_again(world):
    county_task = ArchiveTask.objects.create(organization=world.orgs["A"], name="防汛抢险", year=2026)
    rows = [
        row(world, "A3", task="防汛抢险", share_percent="30"),
        row(world, "A4", task="防汛抢险", share_percent="30", title="另一条"),
        row(world, "A3", task="新项目", title="第三条"),
        row(world, "A4", task="新项目", title="第四条"),
    ]
    result = archive_import(actor=world.user("staff_a"), filename="e.csv", data=csv_bytes(rows))
    assert result.ok, [str(e) for e in result.errors]
    assert result.counts["tasks"] == 1
    assert set(ArchiveEntry.objects.filter(task=county_task).values_list("title", flat=True)) == {
        "完成城区积涝点改造",
        "另一条",
    }
    new = ArchiveTask.objects.get(name="新项目")
    assert new.organization == world.orgs["A-bureau"] and new.entries.count() == 2


def test_every_kind_of_error_is_reported_with_row_and_column_and_nothing_is_written(world):
    existing = entry(world, cadre="A3", title="已有的实绩", occurred_on=dt.date(2026, 2, 2))
    rows = [
        row(world, occurred_on="2026-02-30"),  # 2
        row(world, occurred_on="2999-01-01"),  # 3
        row(world, category="宣传报道"),  # 4
        row(world) | {"id_number": "330102199001011234"},  # 5: unknown
        row(world, "B1"),  # 6: outside the jurisdiction
        row(world, task="某项目", share_percent="150"),  # 7
        row(world, share_percent="30"),  # 8: a share without a task
        row(world, title="重复的实绩"),  # 9
        row(world, title="重复的实绩"),  # 10
        row(world, title="已有的实绩", occurred_on="2026-02-02"),  # 11
        row(world, title=""),  # 12
        row(world, actual="很多"),  # 13
        row(world, unit=""),  # 14
        row(world, author="nobody_at_all"),  # 15
        row(world, author="auditor_a"),  # 16: may not record
        row(world, polarity="也许"),  # 17
        row(world, occurred_on="1950-01-01"),  # 18: before the cadre was born
        row(world, title="长" * 201),  # 19
        row(world, difficulty="极难"),  # 20
        row(world, task="某项目", share_percent="0"),  # 21
        row(world) | {"id_number": "330102"},  # 22: unknown (short)
        row(world, title="好的一行"),  # 23: good, but the file has errors
    ]
    for n, r in enumerate(rows, start=2):  # distinct titles, so that only rows 9 and 10 are twins
        if r["title"] == "完成城区积涝点改造":
            r["title"] = f"第{n}行的实绩"
    before = row_counts()
    result = archive_import(actor=world.user("staff_a"), filename="e.csv", data=csv_bytes(rows))

    assert not result.ok
    where = {(e.row, e.column) for e in result.errors}
    assert where == {
        (2, "occurred_on"),
        (3, "occurred_on"),
        (4, "category"),
        (5, "id_number"),
        (6, "id_number"),
        (7, "share_percent"),
        (8, "share_percent"),
        (10, "title"),
        (11, "title"),
        (12, "title"),
        (13, "actual"),
        (14, "unit"),
        (15, "author"),
        (16, "author"),
        (17, "polarity"),
        (18, "occurred_on"),
        (19, "title"),
        (20, "difficulty"),
        (21, "share_percent"),
        (22, "id_number"),
    }
    assert [e.row for e in result.errors] == sorted(e.row for e in result.errors)
    with translation.override("en"):
        reasons = {(e.row, e.column): e.reason for e in result.errors}
    assert "also in row 9" in reasons[(10, "title")]
    assert "already in the archive" in reasons[(11, "title")]
    assert "within your jurisdiction" in reasons[(6, "id_number")]
    assert reasons[(5, "id_number")] == reasons[(6, "id_number")].replace(
        world.cadres["B1"].id_number, "330102199001011234"
    )
    assert "future" in reasons[(3, "occurred_on")]
    assert all(e.sheet == "entries" for e in result.errors)
    assert row_counts() == before
    assert list(ArchiveEntry.objects.all()) == [existing]


def test_header_problems_are_reported_on_the_header_row(world):
    header = ["身份证号", "日期", "标题", "内容", "颜色"]
    data = csv_bytes([row(world)], header=header)
    before = row_counts()
    result = archive_import(actor=world.user("staff_a"), filename="e.csv", data=data)
    assert {(e.row, e.column) for e in result.errors} >= {(1, "category"), (1, "颜色")}
    assert row_counts() == before


def test_headers_in_either_language_or_as_keys(world):
    for language in ("zh-hans", "en"):
        header = [importing.column_header(k, language) for k in KEYS]
        data = csv_bytes([row(world, title=f"标题 {language}")], header=header)
        result = archive_import(actor=world.user("staff_a"), filename="e.csv", data=data)
        assert result.ok, [str(e) for e in result.errors]
    assert importing.column_header("id_number", "zh-hans") == "身份证号"
    assert importing.column_header("id_number", "en") == "Cadre ID number"
    assert ArchiveEntry.objects.count() == 2


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030", "utf-16"])
def test_csv_encodings(world, encoding):
    data = csv_bytes([row(world)], encoding=encoding)
    result = archive_import(actor=world.user("staff_a"), filename="e.csv", data=data)
    assert result.ok, [str(e) for e in result.errors]
    assert ArchiveEntry.objects.get().title == "完成城区积涝点改造"


def xlsx(rows, header=None):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "实绩"
    ws.append(header or KEYS)
    for r in rows:
        ws.append([r.get(k) for k in KEYS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_with_date_and_number_cells(world):
    rows = [
        row(world, occurred_on=dt.datetime(2026, 4, 1), actual=12.5, target=10, baseline=0.1 + 0.2),
        row(world, "A4", occurred_on=dt.date(2026, 5, 2), task="项目", share_percent=55.5),
    ]
    result = archive_import(actor=world.user("staff_a"), filename="e.xlsx", data=xlsx(rows))
    assert result.ok, [str(e) for e in result.errors]
    first = ArchiveEntry.objects.get(cadre=world.cadres["A3"])
    assert first.occurred_on == dt.date(2026, 4, 1) and first.quarter == 2
    metric = first.metrics.get()
    assert (metric.actual, metric.target, metric.baseline) == (Decimal("12.5"), Decimal(10), Decimal("0.3"))
    assert ArchiveEntry.objects.get(cadre=world.cadres["A4"]).share_percent == Decimal("55.5")


def test_xlsx_errors_name_the_sheet(world):
    rows = [row(world), row(world, category="x")]
    rows[0]["id_number"] = 330102198001011234  # a number cell has lost digits
    result = archive_import(actor=world.user("staff_a"), filename="e.xlsx", data=xlsx(rows))
    assert {(e.sheet, e.row, e.column) for e in result.errors} == {("实绩", 2, "id_number"), ("实绩", 3, "category")}
    assert not ArchiveEntry.objects.exists()


def test_an_error_after_chunks_were_written_leaves_nothing(world, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK", 2)
    rows = [row(world, title=f"第{i}条") for i in range(7)] + [row(world, category="x", title="坏的")]
    before = row_counts()
    result = archive_import(actor=world.user("staff_a"), filename="e.csv", data=csv_bytes(rows))
    assert [(e.row, e.column) for e in result.errors] == [(9, "category")]
    assert row_counts() == before


def test_many_chunks_write_everything(world, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK", 3)
    rows = [row(world, "A3" if i % 2 else "A4", title=f"第{i}条", task=f"任务{i % 3}") for i in range(10)]
    result = archive_import(actor=world.user("staff_a"), filename="e.csv", data=csv_bytes(rows))
    assert result.ok, [str(e) for e in result.errors]
    assert result.counts == {"entries": 10, "metrics": 10, "tasks": 3}
    assert OutcomeMetric.objects.filter(entry__cadre__in=[world.cadres["A3"], world.cadres["A4"]]).count() == 10
    event = AuditEvent.objects.get(action="archive.import")
    assert event.row_count == 23


@pytest.mark.parametrize("username", ["leader_a", "discipline_a", "cadre_a1", "auditor_a", "nobody"])
def test_only_organization_staff_import(world, username):
    before = row_counts()
    with pytest.raises(PermissionDenied):
        archive_import(actor=world.user(username), filename="e.csv", data=csv_bytes([row(world)]))
    assert row_counts() == before


def test_the_system_needs_an_author_on_each_row(world):
    result = archive_import(
        actor=None, filename="e.csv", data=csv_bytes([row(world), row(world, "B1", author="staff_b")])
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "author")]
    result = archive_import(actor=None, filename="e.csv", data=csv_bytes([row(world, author="leader_a")]))
    assert result.ok
    assert ArchiveEntry.objects.get().author == world.user("leader_a")


def test_unreadable_files_raise(world):
    staff = world.user("staff_a")
    for name, data in (("e.csv", b""), ("e.pdf", b"%PDF"), ("e.xls", b"\xd0\xcf"), ("e.xlsx", b"not a zip")):
        with pytest.raises(ValidationFailed):
            archive_import(actor=staff, filename=name, data=data)
    with override_settings(DANDANG_IMPORT_MAX_ROWS=2), pytest.raises(ValidationFailed):
        archive_import(actor=staff, filename="e.csv", data=csv_bytes([row(world, title=str(i)) for i in range(3)]))
    assert not ArchiveEntry.objects.exists()


@pytest.mark.parametrize(
    ("limit", "language", "said"),
    [(2048, "en", "2.0\xa0KB"), (500, "en", "500\xa0bytes"), (3 * 1024 * 1024, "zh-hans", "3.0\xa0MB")],
)
def test_a_file_over_the_size_limit_is_refused_with_the_limit_in_readable_units(world, limit, language, said):
    data = csv_bytes([row(world, title=str(i)) for i in range(1)])
    data += b"#" * (limit + 1 - len(data))
    with (
        override_settings(DANDANG_IMPORT_MAX_BYTES=limit),
        translation.override(language),
        pytest.raises(ValidationFailed) as caught,
    ):
        archive_import(actor=world.user("staff_a"), filename="e.csv", data=data)
    assert said in str(caught.value.message)
    assert not ArchiveEntry.objects.exists()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_templates_import_as_they_are(world, language):
    staff = world.user("staff_a")
    with translation.override(language):
        book = openpyxl.load_workbook(io.BytesIO(archive_template_xlsx(actor=staff)))
        text = archive_template_csv(actor=staff).decode("utf-8-sig")
    ws = book.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header == [importing.column_header(k, language) for k in KEYS]
    assert ("身份证号" in header) == (language == "zh-hans")
    assert book.sheetnames[1] == "notes 说明"
    assert text.splitlines()[0].split(",")[0] == header[0]
    result = archive_import(actor=staff, filename="t.csv", data=text.encode("utf-8"))
    assert result.ok, [str(e) for e in result.errors]
    out = io.BytesIO()
    book.save(out)
    ArchiveEntry.objects.all().delete()
    result = archive_import(actor=staff, filename="t.xlsx", data=out.getvalue())
    assert result.ok, [str(e) for e in result.errors]


def test_rows_digest_fed_plainly_is_the_same():
    rows = [
        ["entry", 1, 2, "2026-01-01", "key_tasks", None, '标题 "引号" \\ 反斜杠\n换行\t制表', "😀"],
        ["metric", 3, 1, "指标", "个", None, "12.5", "-0.0001"],
    ]
    digest = RowsDigest()
    digest.add_plain(rows[:1])
    digest.add_plain(rows[1:])
    assert (digest.hexdigest(), digest.count) == rows_digest(rows)


def test_a_clean_csv_is_checked_and_written_in_sql_on_postgresql(world, monkeypatch):
    """On PostgreSQL a clean .csv never reaches the Python checker (elsewhere it does), and the
    digest computed in SQL is the one RowsDigest makes of the rows written."""
    from django.db import connection

    python_runs = []
    python_import = importing._import
    monkeypatch.setattr(importing, "_import", lambda *a: python_runs.append(1) or python_import(*a))
    rows = [*good_rows(world), row(world, "A4", title="第五条", occurred_on="2026-01-02", task="高标准农田建设")]
    rows[2]["occurred_on"] = "2026-07-01"  # other spellings of a date are left to the Python checker
    result = archive_import(actor=world.user("staff_a"), filename="entries.csv", data=csv_bytes(rows))
    assert result.ok and result.counts == {"entries": 5, "metrics": 4, "tasks": 1}
    assert len(python_runs) == (0 if connection.vendor == "postgresql" else 1)
    assert ArchiveEntry.objects.get(title="第五条").task == ArchiveEntry.objects.get(title="农田水利改造").task
    event = AuditEvent.objects.get(action="archive.import")
    task = ArchiveTask.objects.get()
    expected = [["task", task.pk, task.organization_id, task.year, task.name]]
    for e in ArchiveEntry.objects.order_by("id"):
        share = None if e.share_percent is None else str(e.share_percent)
        day = e.occurred_on.isoformat()
        head = ["entry", e.pk, e.cadre_id, e.organization_id, day, e.category, e.polarity, e.difficulty]
        expected.append([*head, e.task_id, share, e.author_id, e.title])
    for m in OutcomeMetric.objects.order_by("id"):
        numbers = [None if n is None else str(n) for n in (m.baseline, m.target, m.actual)]
        expected.append(["metric", m.pk, m.entry_id, m.indicator, m.unit, *numbers])
    assert (event.digest, event.row_count) == rows_digest(expected)
    assert audit_verify()[1] == []
