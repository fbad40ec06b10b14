"""Roster files built in memory for the import tests."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import openpyxl

from dandang.org.importing import SPECS
from dandang.testing import make_id_number

HEADERS = {kind: [c.header for c in spec.columns] for kind, spec in SPECS.items()}
SHEET_TITLES = {kind: spec.title for kind, spec in SPECS.items()}


def xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    """A workbook with one sheet per entry (title → rows, header first)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def roster_xlsx(**rows_by_kind: list[list[Any]]) -> bytes:
    """A workbook with the template's sheet titles and headers."""
    return xlsx({SHEET_TITLES[kind]: [HEADERS[kind], *rows] for kind, rows in rows_by_kind.items()})


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


# Cadres new to the world (their numbers use sequence numbers the world does not).
ZHAO_ID = make_id_number(501, dt.date(1990, 5, 1))
QIAN_ID = make_id_number(502, dt.date(1988, 3, 4))
SUN_ID = make_id_number(503, dt.date(1992, 8, 8))


def good_rows() -> dict[str, list[list[Any]]]:
    """A roster under county A (330102) with rows out of order, aliases and Excel date cells."""
    return {
        "organizations": [
            # The village comes before its township: the import sorts parents first.
            ["330102003001", "甲县第3镇第1村", "330102003", "村", "村（社区）", None, None],
            ["330102003", "甲县第3镇", "330102", "乡镇", "township", 35, None],
            ["330102-B2", "甲县教育局", "330102", "county", "政府部门", 25.0, "教育"],
        ],
        "posts": [
            ["P1", "330102003", "镇长", "是", "正科级", "否"],
            ["P2", "330102-B2", "局长", "yes", "正科级", "no"],
            ["P3", "330102003001", "村党组织书记", 1, None, True],
        ],
        "cadres": [
            [ZHAO_ID, "赵敏", "女", dt.datetime(1990, 5, 1), "汉族", "本科", "2012/6/1", "330102003"],
            [QIAN_ID, "钱多多", "male", "1988.03.04", "蒙古族", "master", None, "330102-B2"],
        ],
        "tenures": [
            [ZHAO_ID, "P2", None, None, dt.date(2012, 7, 1), dt.date(2019, 12, 31), "任命", "调任"],
            [ZHAO_ID, "P1", None, None, "2020-01-01", None, "transfer", None],
            [QIAN_ID, "P3", None, None, "2015-03-01", None, "appointment", None],
        ],
    }
