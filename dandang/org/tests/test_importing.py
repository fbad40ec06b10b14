import datetime as dt
import io

import openpyxl
import pytest
from django.test import override_settings
from django.utils import translation
from django.utils.translation import trans_real

from dandang.core.audit import audit_verify, rows_digest
from dandang.core.errors import PermissionDenied, ValidationFailed
from dandang.core.models import AuditEvent
from dandang.org import importing, services
from dandang.org.importing import digest_row, digest_sort_key, roster_import, roster_template_csv, roster_template_xlsx
from dandang.org.models import Cadre, Organization, Post, Tenure
from dandang.org.tests.import_files import (
    HEADERS,
    QIAN_ID,
    SUN_ID,
    ZHAO_ID,
    csv_bytes,
    good_rows,
    roster_xlsx,
    xlsx,
)
from dandang.testing import make_id_number

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"


def table_counts():
    return (
        Organization.objects.count(),
        Post.objects.count(),
        Cadre.objects.count(),
        Tenure.objects.count(),
        AuditEvent.objects.count(),
    )


def where(result):
    return {(e.sheet.split(" ")[0], e.row, e.column) for e in result.errors}


# --- a good file -----------------------------------------------------------------------------


def test_good_xlsx_writes_everything_with_paths_pinyin_and_current_post(world):
    before_events = AuditEvent.objects.count()
    result = roster_import(actor=world.user("staff_a"), filename="roster.xlsx", data=roster_xlsx(**good_rows()))

    assert result.ok, [str(e) for e in result.errors]
    assert result.counts == {"organizations": 3, "posts": 3, "cadres": 2, "tenures": 3}
    village = Organization.objects.get(code="330102003001")
    assert village.path == "330100/330102/330102003/330102003001/"
    assert village.depth == 3
    assert village.parent.code == "330102003"
    assert village.audit_partition == "330102"
    assert (village.level, village.kind) == ("village", "village")
    bureau = Organization.objects.get(code="330102-B2")
    assert (bureau.level, bureau.kind) == ("county", "government_department")
    assert (bureau.staff_size, bureau.sector) == (25, "教育")
    assert bureau.audit_partition == "330102"

    zhao = Cadre.objects.get(id_number=ZHAO_ID)
    assert (zhao.name_pinyin, zhao.name_initials) == ("zhaomin", "zm")
    assert (zhao.gender, zhao.education, zhao.birth_date) == ("female", "bachelor", dt.date(1990, 5, 1))
    assert zhao.party_join_date == dt.date(2012, 6, 1)
    # Placement follows the open tenure, not the organization column.
    assert zhao.post.title == "镇长"
    assert zhao.org.code == "330102003"
    assert zhao.org_path == "330100/330102/330102003/"
    assert [(t.post.title, t.start, t.end, t.start_reason, t.end_reason) for t in zhao.tenures.order_by("start")] == [
        ("局长", dt.date(2012, 7, 1), dt.date(2019, 12, 31), "appointment", "transfer"),
        ("镇长", dt.date(2020, 1, 1), None, "transfer", ""),
    ]
    qian = Cadre.objects.get(id_number=QIAN_ID)
    assert qian.birth_date == dt.date(1988, 3, 4)
    assert qian.org.code == "330102003001"
    assert qian.post.is_hardship and qian.post.is_leading

    # One bulk event for the one partition touched, with a digest of exactly the rows written.
    events = list(AuditEvent.objects.filter(pk__gt=0).order_by("id"))[before_events:]
    assert [(e.action, e.partition, e.object_type) for e in events] == [("roster.import", "330102", "bulk")]
    event = events[0]
    assert event.actor_id == world.user("staff_a").pk
    assert event.row_count == 11
    assert event.after["counts"] == {"organizations": 3, "posts": 3, "cadres": 2, "tenures": 3}
    written = [
        *Organization.objects.filter(code__in=["330102003001", "330102003", "330102-B2"]),
        *Post.objects.filter(organization__code__in=["330102003001", "330102003", "330102-B2"]),
        zhao,
        qian,
        *Tenure.objects.filter(cadre__in=[zhao, qian]),
    ]
    expected_digest, count = rows_digest(sorted((digest_row(o) for o in written), key=digest_sort_key))
    assert (event.digest, count) == (expected_digest, 11)
    assert audit_verify()[1] == []


def test_good_csv_and_one_event_per_partition(world):
    data = csv_bytes(
        [
            HEADERS["organizations"],
            ["330102-B5", "甲县统计局", "330102", "县", "政府部门", "8", ""],
            ["330103-B5", "乙县统计局", "330103", "县", "政府部门", "9", ""],
        ]
    )
    before = AuditEvent.objects.count()
    result = roster_import(actor=world.user("staff_city"), filename="orgs.csv", data=data)
    assert result.ok, [str(e) for e in result.errors]
    assert result.counts["organizations"] == 2
    assert Organization.objects.get(code="330103-B5").path == "330100/330103/330103-B5/"
    events = AuditEvent.objects.order_by("id")[before:]
    assert sorted((e.partition, e.row_count) for e in events) == [("330102", 1), ("330103", 1)]
    assert audit_verify()[1] == []


def test_tenures_csv_for_registered_cadres_by_organization_and_title(world):
    birth = dt.date(1991, 2, 3)
    lonely = services.cadre_create(
        actor=None,
        name="孙悟",
        gender="male",
        birth_date=birth,
        ethnicity="汉族",
        education="bachelor",
        id_number=make_id_number(504, birth),
        organization=world.orgs["A"],
    )
    li_na = world.cadres["A3"]  # 科员 in the A bureau since 2018-03-01
    data = csv_bytes(
        [
            ["身份证号", "组织编码", "职务名称", "任职日期", "免职日期", "任职原因", "免职原因"],
            [lonely.id_number, "330102-B1", "科员", "2021-05-06", "", "任命", ""],
            [li_na.id_number, "330102001", "副镇长", "2010-01-01", "2017-12-31", "任命", "调任"],
        ]
    )
    result = roster_import(actor=world.user("staff_a"), filename="tenures.csv", data=data)
    assert result.ok, [str(e) for e in result.errors]
    assert result.counts["tenures"] == 2
    lonely.refresh_from_db()
    assert lonely.post == world.posts["A-clerk"]
    assert lonely.org == world.orgs["A-bureau"]
    li_na_after = Cadre.objects.get(pk=li_na.pk)
    assert (li_na_after.post_id, li_na_after.org_id) == (li_na.post_id, li_na.org_id)  # the open tenure stays current
    assert li_na_after.tenures.count() == 2
    event = AuditEvent.objects.filter(action="roster.import").get()
    assert event.row_count == 3  # two tenures and one changed placement


def test_gbk_csv_with_chinese_headers(world):
    data = csv_bytes(
        [
            ["身份证号", "姓名", "性别", "出生日期", "民族", "学历", "入党时间", "组织编码"],
            [SUN_ID, "孙丽", "女", "1992-08-08", "回族", "大专", "", "330102001"],
        ],
        encoding="gb18030",
    )
    result = roster_import(actor=world.user("staff_a"), filename="干部.csv", data=data)
    assert result.ok, [str(e) for e in result.errors]
    sun = Cadre.objects.get(id_number=SUN_ID)
    assert (sun.name, sun.ethnicity, sun.education, sun.name_initials) == ("孙丽", "回族", "college", "sl")
    assert sun.org == world.orgs["A-t1"] and sun.post is None


def test_utf8_bom_csv_and_sheet_option(world):
    data = "\ufeff".encode() + csv_bytes(
        [["code", "name", "parent_code", "level", "kind"], ["330102-B6", "甲县档案馆", "330102", "县", "事业单位"]]
    )
    result = roster_import(actor=world.user("staff_a"), filename="x.csv", data=data, sheet="组织")
    assert result.ok, [str(e) for e in result.errors]
    assert Organization.objects.get(code="330102-B6").kind == "public_institution"


# --- a file with errors ----------------------------------------------------------------------


def bad_rows(world):
    valid = make_id_number(510, dt.date(1985, 1, 1))
    wrong_check = ZHAO_ID[:-1] + ("0" if ZHAO_ID[-1] != "0" else "1")
    return {
        "organizations": [
            ["330102001", "重复", "330102", "乡镇", "乡镇", None, None],  # row 2: code exists
            ["X/1", "斜杠", "330102", "县", "政府部门", None, None],  # 3: slash in code
            ["330102009", "越界", "330103", "乡镇", "乡镇", None, None],  # 4: parent in county B
            ["330102010", "怪层级", "330102", "planet", None, None, None],  # 5: level, kind
            ["330102011", "村下有镇", "330102001001", "乡镇", "乡镇", None, None],  # 6: level under a village
            ["330102-B3", "负编制", "330102", "县", "政府部门", -3, None],  # 7: staff size
            ["330102-B3", "又一个", "330102", "县", "政府部门", None, None],  # 8: duplicate code
        ],
        "posts": [
            ["P1", "NOPE", "科员", "否", None, "否"],  # 2: unknown organization
            ["P1", "330102001", "科员", "maybe", None, "否"],  # 3: duplicate key, bad boolean
            ["P2", "330102001", "科员", "否", None, "否"],  # 4: fine
        ],
        "cadres": [
            [wrong_check, "甲", "男", "1990-05-01", "汉族", "本科", None, "330102"],  # 2: check digit
            [world.cadres["A1"].id_number, "乙", "男", "1976-01-11", "汉族", "本科", None, "330102"],  # 3: registered
            [SUN_ID, "丙", "x", "1992-13-08", "汉族", "小学", None, "330102"],  # 4: gender, date, education
            [QIAN_ID, "丁", "男", "1988-03-04", "汉族", "本科", "1970-01-01", "330103"],  # 5: party date, org outside
            [valid, "戊", "男", "1985-01-01", "汉族", "本科", None, "330102"],  # 6: fine
        ],
        "tenures": [
            [valid, "P9", None, None, "2014-01-01", "2014-06-30", "任命", "调任"],  # 2: unknown post key
            [valid, "P2", None, None, "2020-01-01", "2019-01-01", "任命", "调任"],  # 3: end before start
            [valid, "P2", None, None, "2015-01-01", None, "任命", None],  # 4: fine
            [valid, "P2", None, None, "2016-01-01", None, "任命", None],  # 5: overlaps row 4
            [make_id_number(511, dt.date(1985, 1, 1)), "P2", None, None, "2015-01-01", None, "任命", None],  # 6
            [valid, "P2", None, None, "2010-01-01", "2011-01-01", "任命", None],  # 7: no end reason
        ],
    }


def test_every_error_is_reported_and_nothing_changes(world):
    before = table_counts()
    result = roster_import(actor=world.user("staff_a"), filename="bad.xlsx", data=roster_xlsx(**bad_rows(world)))
    assert not result.ok
    assert result.counts == {}
    assert where(result) == {
        ("organizations", 2, "code"),
        ("organizations", 3, "code"),
        ("organizations", 4, "parent_code"),
        ("organizations", 5, "level"),
        ("organizations", 5, "kind"),
        ("organizations", 6, "level"),
        ("organizations", 7, "staff_size"),
        ("organizations", 8, "code"),
        ("posts", 2, "organization_code"),
        ("posts", 3, "post_key"),
        ("posts", 3, "is_leading"),
        ("cadres", 2, "id_number"),
        ("cadres", 3, "id_number"),
        ("cadres", 4, "gender"),
        ("cadres", 4, "birth_date"),
        ("cadres", 4, "education"),
        ("cadres", 5, "party_join_date"),
        ("cadres", 5, "organization_code"),
        ("tenures", 2, "post_key"),
        ("tenures", 3, "end"),
        ("tenures", 5, "start"),
        ("tenures", 6, "id_number"),
        ("tenures", 7, "end_reason"),
    }
    # Sorted by sheet as in the file, then row.
    assert result.errors[0].sheet.startswith("organizations")
    assert [e.row for e in result.errors if e.sheet.startswith("tenures")] == [2, 3, 5, 6, 7]
    with translation.override("en"):
        by_place = {(e.sheet.split(" ")[0], e.row, e.column): e.reason for e in result.errors}
        assert "also in row 7" in by_place[("organizations", 8, "code")]
        assert by_place[("tenures", 5, "start")] == "Overlaps the tenure in row 4."
        assert "330103" in by_place[("organizations", 4, "parent_code")]
    assert table_counts() == before


def test_jurisdiction_parent_outside_is_a_row_error_and_nothing_is_written(world):
    before = table_counts()
    data = roster_xlsx(
        organizations=[
            ["330103-B9", "乙县新局", "330103", "县", "政府部门", None, None],
            ["330102-B9", "甲县新局", "330102", "县", "政府部门", None, None],
        ]
    )
    result = roster_import(actor=world.user("staff_a"), filename="j.xlsx", data=data)
    assert where(result) == {("organizations", 2, "parent_code")}
    assert table_counts() == before
    assert not Organization.objects.filter(code__in=["330103-B9", "330102-B9"]).exists()


def test_jurisdiction_registered_cadre_outside_is_not_found(world):
    chen = world.cadres["B1"]
    data = csv_bytes(
        [
            ["id_number", "organization_code", "post_title", "start", "start_reason"],
            [chen.id_number, "330102-B1", "科员", "2030-01-01", "transfer"],
        ]
    )
    before = table_counts()
    result = roster_import(actor=world.user("staff_a"), filename="t.csv", data=data)
    assert where(result) == {("tenures", 2, "id_number")}
    assert table_counts() == before


def test_a_top_level_organization_only_from_the_system(world):
    data = roster_xlsx(organizations=[["340000", "某省", None, "省", "党委", None, None]])
    result = roster_import(actor=world.user("staff_city"), filename="p.xlsx", data=data)
    assert where(result) == {("organizations", 2, "parent_code")}
    assert roster_import(actor=None, filename="p.xlsx", data=data).ok
    assert Organization.objects.get(code="340000").audit_partition == "340000"


def test_parent_loop_is_reported(world):
    data = roster_xlsx(
        organizations=[
            ["L1", "环一", "L2", "县", "政府部门", None, None],
            ["L2", "环二", "L1", "县", "政府部门", None, None],
            ["L3", "环下", "L2", "县", "政府部门", None, None],
        ]
    )
    result = roster_import(actor=None, filename="loop.xlsx", data=data)
    assert where(result) == {("organizations", 2, "parent_code"), ("organizations", 3, "parent_code")}


def test_overlap_with_a_recorded_tenure(world):
    li_na = world.cadres["A3"]  # open tenure since 2018-03-01
    data = csv_bytes(
        [
            ["id_number", "organization_code", "post_title", "start", "end", "start_reason", "end_reason"],
            [li_na.id_number, "330102001", "副镇长", "2019-01-01", "2019-06-30", "secondment", "other"],
        ]
    )
    result = roster_import(actor=world.user("staff_a"), filename="t.csv", data=data)
    assert where(result) == {("tenures", 2, "start")}
    with translation.override("en"):
        assert result.errors[0].reason == "Overlaps the tenure from 2018-03-01 already recorded for this cadre."


def test_ambiguous_post_title(world):
    services.post_create(actor=None, organization=world.orgs["A-bureau"], title="科员")  # a second 科员
    data = csv_bytes(
        [
            ["id_number", "organization_code", "post_title", "start", "end", "start_reason", "end_reason"],
            [world.cadres["A4"].id_number, "330102-B1", "科员", "2010-01-01", "2011-01-01", "transfer", "other"],
        ]
    )
    result = roster_import(actor=world.user("staff_a"), filename="t.csv", data=data)
    assert where(result) == {("tenures", 2, "post_title")}


def test_birth_date_must_match_the_id_number(world):
    rows = good_rows()
    rows["cadres"][0][3] = "1990-05-02"
    result = roster_import(actor=world.user("staff_a"), filename="r.xlsx", data=roster_xlsx(cadres=rows["cadres"]))
    assert ("cadres", 2, "birth_date") in where(result)


def test_id_number_stored_as_a_rounded_number(world):
    rows = good_rows()
    rows["cadres"][0][0] = 3.30102199005015e17
    result = roster_import(actor=world.user("staff_a"), filename="r.xlsx", data=roster_xlsx(cadres=rows["cadres"]))
    assert ("cadres", 2, "id_number") in where(result)
    with translation.override("en"):
        assert "format the column as text" in result.errors[0].reason


# --- headers, sheets and unreadable files ----------------------------------------------------


def test_unknown_and_missing_columns(world):
    data = xlsx(
        {
            "cadres": [
                ["id_number", "name", "shoe size 鞋码", "gender", "birth_date", "ethnicity", "education"],
                [SUN_ID, "孙丽", 40, "女", "1992-08-08", "汉族", "本科"],
            ]
        }
    )
    before = table_counts()
    result = roster_import(actor=world.user("staff_a"), filename="c.xlsx", data=data)
    assert where(result) == {("cadres", 1, "shoe size 鞋码"), ("cadres", 1, "organization_code")}
    assert table_counts() == before


def test_a_sheet_of_unknown_kind(world):
    data = xlsx({"Sheet1": [["foo", "bar"], [1, 2]]})
    result = roster_import(actor=world.user("staff_a"), filename="s.xlsx", data=data)
    assert where(result) == {("Sheet1", 1, "")}


def test_a_sheet_named_otherwise_is_recognized_by_its_header(world):
    rows = good_rows()
    data = xlsx({"Sheet1": [HEADERS["organizations"], *rows["organizations"]]})
    result = roster_import(actor=world.user("staff_a"), filename="s.xlsx", data=data)
    assert result.ok and result.counts["organizations"] == 3


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("photo.xlsx", PNG),
        ("photo.csv", PNG),
        ("roster.xlsx", b"PK\x03\x04 not really a zip file"),
        ("roster.xls", b"\xd0\xcf\x11\xe0"),
        ("roster.pdf", b"%PDF-1.4"),
        ("empty.csv", b""),
        ("blank.csv", b"\r\n\r\n"),
    ],
)
def test_unreadable_files_raise_a_clear_validation_error(world, filename, data):
    before = table_counts()
    with pytest.raises(ValidationFailed) as exc:
        roster_import(actor=world.user("staff_a"), filename=filename, data=data)
    assert exc.value.detail["file"]
    assert table_counts() == before


def test_too_many_rows(world):
    rows = [[f"c{i}", "x", "330102", "县", "政府部门", None, None] for i in range(6)]
    with override_settings(DANDANG_IMPORT_MAX_ROWS=5), pytest.raises(ValidationFailed):
        roster_import(actor=world.user("staff_a"), filename="big.xlsx", data=roster_xlsx(organizations=rows))


def test_unknown_sheet_option(world):
    with pytest.raises(ValidationFailed) as exc:
        roster_import(actor=world.user("staff_a"), filename="x.csv", data=b"a,b\n1,2\n", sheet="shoes")
    assert exc.value.detail["sheet"]


def test_without_the_capability_anywhere(world):
    with pytest.raises(PermissionDenied):
        roster_import(actor=world.user("leader_a"), filename="r.xlsx", data=roster_xlsx(**good_rows()))


# --- languages -------------------------------------------------------------------------------


def test_errors_are_worded_in_the_language_active_when_read(world, monkeypatch):
    catalog = trans_real.translation("zh-hans")._catalog._catalogs[0]
    monkeypatch.setitem(catalog, "This field is required.", "此项必填。")
    monkeypatch.setitem(catalog, "The code %(code)s is also in row %(row)s.", "编码 %(code)s 与第 %(row)s 行重复。")
    data = roster_xlsx(
        organizations=[
            ["330102-B7", None, "330102", "县", "政府部门", None, None],
            ["330102-B7", "重复", "330102", "县", "政府部门", None, None],
        ]
    )
    with translation.override("en"):
        result = roster_import(actor=world.user("staff_a"), filename="r.xlsx", data=data)
    with translation.override("zh-hans"):
        assert [e.reason for e in result.errors] == ["此项必填。", "编码 330102-B7 与第 2 行重复。"]
    with translation.override("en"):
        assert [e.reason for e in result.errors] == [
            "This field is required.",
            "The code 330102-B7 is also in row 2.",
        ]
        assert str(result.errors[0]) == "organizations 组织!2:name: This field is required."


# --- the template ----------------------------------------------------------------------------


def test_the_template_imports_as_it_is(world):
    staff = world.user("staff_a")
    content = roster_template_xlsx(parent=importing.template_parent(staff))
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["organizations 组织", "posts 职务", "cadres 干部", "tenures 任职", "notes 说明"]
    assert [c.value for c in book["cadres 干部"][1]] == HEADERS["cadres"]
    validations = {str(dv.sqref).split(":")[0] for dv in book["organizations 组织"].data_validations.dataValidation}
    assert validations == {"D2", "E2"}  # level and kind
    assert book["notes 说明"].max_row > 20

    result = roster_import(actor=staff, filename="roster-template.xlsx", data=content)
    assert result.ok, [str(e) for e in result.errors]
    assert result.counts == {"organizations": 1, "posts": 1, "cadres": 1, "tenures": 1}
    cadre = Cadre.objects.get(name="李明华")
    assert cadre.post.title == "主任" and cadre.org.code == "330102-EX01"


def test_the_csv_templates_import_one_after_another(world):
    staff = world.user("staff_a")
    parent = importing.template_parent(staff)
    for kind in importing.KINDS:
        data = roster_template_csv(kind, parent=parent)
        assert data.startswith("\ufeff".encode())
        result = roster_import(actor=staff, filename=f"roster-{kind}.csv", data=data)
        assert result.ok, (kind, [str(e) for e in result.errors])
        assert result.counts[kind] == 1
    assert Cadre.objects.get(name="李明华").post.title == "主任"
