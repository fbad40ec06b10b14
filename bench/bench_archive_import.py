"""Archive import benchmark (issue 4): 1,000,000 entries from CSV into PostgreSQL (``BENCH_SCALE``
small: 100,000), through the importer (:func:`dandang.archive.importing.archive_import`, as the
province's organization-department staff), against PostgreSQL ``COPY`` of the same file into a
bare table with the same columns, measured in the same run.  Target: the importer's throughput at
least 25% of COPY's.

The file is what a province would send: the cadres of the cached roster (``bench_marker``),
dates of 2026 within their careers, Chinese titles and descriptions built from templates of the
common kinds of achievement (:mod:`bench.archive_texts`), a metric on most rows, a task with a
share on some.  Both loads run inside a transaction that is rolled back, so the cached database
is left as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.test.utils import override_settings

from bench import archive_texts
from bench.common import Context, Result
from dandang.archive import importing
from dandang.archive.models import ArchiveEntry, OutcomeMetric
from dandang.org.models import Cadre, User

ROWS = {"small": 100_000, "province": 1_000_000}
TARGET = 0.25
SEED = 4
METRICS = [
    ("转移安置群众", "人"),
    ("签约项目", "个"),
    ("化解信访积案", "件"),
    ("带动农户增收", "户"),
    ("排查整治隐患", "处"),
    ("治理水土流失", "平方公里"),
    ("发展党员", "名"),
    ("完成投资", "万元"),
    ("办理民生实事", "件"),
]
TASKS = ["防汛抢险", "招商引资攻坚", "信访积案化解", "乡村振兴示范村创建", "安全生产大排查", "重点项目攻坚"]
DIFFICULTY = ["一般", "一般", "较难", "较难", "很难"]
HEADER = [importing.column_header(c.key, "zh-hans") for c in importing.COLUMNS]
COLUMN_TYPES = {
    "occurred_on": "date",
    "share_percent": "numeric",
    "baseline": "numeric",
    "target": "numeric",
    "actual": "numeric",
}


def write_csv(path: Path, rows: int, cadres: list[tuple[str, dt.date]], today: dt.date) -> int:
    """The file of ``rows`` entries (UTF-8 with BOM, as Excel saves it); returns its size."""
    rng = random.Random(SEED)
    first = dt.date(2026, 1, 1)
    span = max(0, (min(today, dt.date(2026, 12, 31)) - first).days)
    categories = importing.allowed_values("category")
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(HEADER)
        for i in range(rows):
            number, _birth = cadres[i % len(cadres)]
            topic, text = archive_texts.description(rng)
            title = (
                f"{archive_texts.TITLES[topic]}（{rng.choice(['一', '二', '三', '四'])}季度）第{i // len(cadres) + 1}项"
            )
            day = first + dt.timedelta(days=rng.randint(0, span))
            negative = rng.random() < 0.05
            category = archive_texts.CATEGORIES[topic] if rng.random() < 0.5 else categories[topic % 8]
            task, share = ("", "")
            if rng.random() < 0.2:
                task, share = rng.choice(TASKS), str(rng.choice([10, 20, 25, 30, 40, 50]))
            metric: list[Any] = ["", "", "", "", ""]
            if rng.random() < 0.85:
                indicator, unit = METRICS[topic]
                target = rng.randint(10, 5000)
                metric = [indicator, unit, rng.randint(0, target // 2), target, rng.randint(target // 2, target * 2)]
            writer.writerow(
                [
                    number,
                    day.isoformat(),
                    category,
                    title,
                    text,
                    "负面" if negative else "正面",
                    task,
                    share,
                    rng.choice(DIFFICULTY),
                    *metric,
                    "",
                ]
            )
    return path.stat().st_size


def copy_bare(path: Path) -> float:
    """Seconds of ``COPY`` of the file into a bare table with the same columns (no index, no key,
    no constraint), inside a transaction rolled back afterwards."""
    columns = ", ".join(f"{c.key} {COLUMN_TYPES.get(c.key, 'text')}" for c in importing.COLUMNS)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE bench_archive_bare ({columns})")
        raw = connection.connection
        assert raw is not None
        began = time.perf_counter()
        sql = "COPY bench_archive_bare FROM STDIN WITH (FORMAT csv, HEADER true)"
        with raw.cursor() as cursor, path.open("rb") as f, cursor.copy(sql) as copy:
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        seconds = time.perf_counter() - began
        transaction.set_rollback(True)
    return seconds


def import_file(path: Path, actor: User, rows: int) -> tuple[float, dict[str, int]]:
    """Seconds of the importer on the file (reading it included, and the deferred foreign-key
    checks a commit would make), rolled back afterwards."""
    limits = override_settings(DANDANG_IMPORT_MAX_ROWS=rows + 1, DANDANG_IMPORT_MAX_BYTES=path.stat().st_size + 1)
    with transaction.atomic(), limits:
        began = time.perf_counter()
        result = importing.archive_import(actor=actor, filename=path.name, data=path.read_bytes())
        # The foreign keys are checked at commit (DEFERRABLE INITIALLY DEFERRED); this run rolls
        # back, so it has them checked now, inside the measured time, as a commit would.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        seconds = time.perf_counter() - began
        if not result.ok:
            raise RuntimeError(f"the generated file has errors: {[str(e) for e in result.errors[:5]]}")
        written = ArchiveEntry.objects.count(), OutcomeMetric.objects.count()
        transaction.set_rollback(True)
    counts = dict(result.counts)
    counts["entries_in_table"], counts["metrics_in_table"] = written
    return seconds, counts


def run(ctx: Context) -> list[Result]:
    rows = ROWS.get(ctx.scale, ROWS["province"])
    actor = User.objects.get(username="zzb_province")
    today = dt.date.today()
    cadres = list(
        Cadre.objects.filter(birth_date__lt=dt.date(2004, 1, 1)).order_by("id").values_list("id_number", "birth_date")
    )
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as tmp:
        path = Path(tmp) / "archive-entries.csv"
        began = time.perf_counter()
        size = write_csv(path, rows, cadres, today)
        ctx.info["archive_import_file"] = {
            "rows": rows,
            "bytes": size,
            "cadres": len(cadres),
            "generated_s": round(time.perf_counter() - began, 1),
        }
        # COPY before and after the import: the machine is shared, and its load drifts.
        copy_first = copy_bare(path)
        seconds, counts = import_file(path, actor, rows)
        copy_second = copy_bare(path)
    copy_seconds = (copy_first + copy_second) / 2
    if counts["entries"] != rows or counts["entries_in_table"] < rows:
        raise RuntimeError(f"the importer wrote {counts} of {rows} rows")
    importer_rate, copy_rate = rows / seconds, rows / copy_seconds
    ratio = importer_rate / copy_rate
    ctx.info["archive_import"] = {
        "importer_s": round(seconds, 2),
        "copy_s": [round(copy_first, 2), round(copy_second, 2)],
        "counts": counts,
    }
    note = (
        f"{rows:,} rows ({size / 1e6:.0f} MB, {len(cadres):,} cadres): importer {seconds:.1f} s "
        f"({counts['metrics']:,} metrics, {counts['tasks']:,} tasks created); COPY into a bare table "
        f"{copy_first:.1f} s and {copy_second:.1f} s"
    )
    return [
        Result(
            name="archive import throughput vs COPY",
            figure=round(importer_rate),
            baseline=round(copy_rate),
            ratio=ratio,
            target=f"≥ {TARGET:g}×",
            verdict="pass" if ratio >= TARGET else "FAIL",
            unit="rows/s",
            note=note,
        )
    ]
