"""Dossier benchmark (issue 4): the archive timeline page ``/cadres/<id>/archive/`` of a cadre with
500 entries over a whole career, as the province's organization-department staff.

Targets: the page makes as many SQL queries for a cadre with 500 entries as for one with 50, and
its median latency is at most 3× the baseline page (``bench/views.py``: the cadre list rendered
from memory, as in the foundation benchmark), measured alternately in the same run.

The entries are made through the application, inside a transaction rolled back at the end (the
cached database is left as it was): imported as drafts by ``manage.py import_archive``'s importer,
given an evidence file, submitted and — nine in ten — verified through the archive's services, so
that flags, counted values, scores and decision records are what the application makes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import tempfile
import time
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Count, Min
from django.test.utils import override_settings

from bench import archive_texts
from bench import views as baseline_views
from bench.common import Context, Result, equal_result, ratio_result
from dandang.archive import importing, services
from dandang.archive.models import ArchiveEntry
from dandang.org import selectors
from dandang.org import views as org_views
from dandang.org.models import Cadre, User

RATIO_LIMIT = 3.0
SIZES = (50, 500)
SCORES = {"completion": 90, "authenticity": 90, "difficulty": 80, "contribution": 85}


def _career_cadres(count: int, organization_path: str) -> list[Cadre]:
    """Cadres of the demo county with a long career (three tenures or more, the first before
    2012) and the fewest archive entries yet (another benchmark may have left some)."""
    qs = (
        Cadre.objects.filter(org_path__startswith=organization_path)
        .annotate(
            n=Count("tenures", distinct=True),
            first=Min("tenures__start"),
            entries=Count("archive_entries", distinct=True),
        )
        .filter(n__gte=3, first__lt=dt.date(2012, 1, 1))
        .order_by("entries", "id")
    )
    return list(qs[:count])


def _entries_csv(cadre: Cadre, count: int, rng: random.Random, today: dt.date) -> bytes:
    start = cadre.tenures.order_by("start").first().start  # type: ignore[union-attr]
    span = (today - start).days
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.key for c in importing.COLUMNS])
    for i in range(count):
        topic, text = archive_texts.description(rng)
        day = start + dt.timedelta(days=span * i // count + rng.randint(0, max(0, span // count - 1)))
        negative = i % 17 == 5
        metric = ["", "", "", "", ""] if i % 11 == 3 else ["完成量", "项", 0, 10, rng.randint(5, 15)]
        writer.writerow(
            [
                cadre.id_number,
                day.isoformat(),
                archive_texts.CATEGORIES[topic],
                f"{archive_texts.TITLES[topic]}第{i + 1}项",
                text,
                "negative" if negative else "positive",
                "",
                "",
                rng.choice(["ordinary", "hard", "very_hard"]),
                *metric,
                "zzb_city",
            ]
        )
    return out.getvalue().encode()


def _fill(cadre: Cadre, count: int, verifier: User, rng: random.Random) -> None:
    """``count`` entries about ``cadre`` across the career: imported, evidenced, submitted,
    verified (nine in ten) through the application."""
    last = ArchiveEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    result = importing.archive_import(
        actor=verifier, filename="dossier.csv", data=_entries_csv(cadre, count, rng, dt.date.today())
    )
    if not result.ok:
        raise RuntimeError(f"dossier entries refused: {[str(e) for e in result.errors[:5]]}")
    imported = ArchiveEntry.objects.filter(cadre=cadre, pk__gt=last).select_related("author").order_by("id")
    for i, entry in enumerate(imported):
        kind = "meeting_held" if i % 13 == 7 else "statistics"
        upload = SimpleUploadedFile(f"e{entry.pk}.pdf", f"%PDF-1.4 evidence {entry.pk}".encode())
        services.archive_evidence_add(actor=entry.author, entry=entry, upload=upload, kind=kind)
        entry = services.archive_entry_submit(actor=entry.author, entry=entry)
        if i % 10 != 9:
            services.archive_entry_verify(actor=verifier, entry=entry, method="site_visit", scores=SCORES)


def run(ctx: Context) -> list[Result]:
    staff = User.objects.get(username="zzb_province")
    county = User.objects.get(username="zzb_staff")
    county_path = selectors.viewer_grants(county)[0].organization.path
    client = ctx.client(staff)
    with (
        tempfile.TemporaryDirectory(prefix="bench-dossier-") as media,
        override_settings(MEDIA_ROOT=media),
        transaction.atomic(),
    ):
        results = _measure(ctx, client, staff, county_path)
        transaction.set_rollback(True)
    return results


def _measure(ctx: Context, client: Any, staff: User, county_path: str) -> list[Result]:
    began = time.monotonic()
    cadres = _career_cadres(len(SIZES), county_path)
    rng = random.Random(500)
    for cadre, size in zip(cadres, SIZES, strict=True):
        _fill(cadre, size - cadre.entries, staff, rng)  # type: ignore[attr-defined]
    ctx.info["archive_dossier_setup_s"] = round(time.monotonic() - began, 1)
    small, big = (f"/cadres/{c.pk}/archive/" for c in cadres)

    # The baseline page holds a page of the cadre list in memory (as in bench_cadre_search).
    qs = selectors.cadre_search(staff, q="王")
    baseline_views.install(
        rows=list(qs[:50]), total=qs.count(), organizations=org_views._org_filter_options(staff, None)
    )
    counts = {size: ctx.queries(client, url)[0] for size, url in zip(SIZES, (small, big), strict=True)}
    results = [equal_result(f"queries dossier: {SIZES[1]} vs {SIZES[0]} entries", counts[500], counts[50])]
    target, base = ctx.compare(client, big, "/bench/baseline/")
    entries = ArchiveEntry.objects.filter(cadre=cadres[1])
    results.append(
        ratio_result(
            f"page {big} ({entries.count()} entries)",
            target.median_ms,
            base.median_ms,
            limit=RATIO_LIMIT,
            note=f"{entries.count()} entries ({entries.filter(status='verified').count()} verified) over "
            f"{cadres[1].tenures.count()} tenures; p90 {target.p90_ms:.1f} ms (baseline p90 {base.p90_ms:.1f} ms), "
            f"median of {ctx.repeats}",
        )
    )
    ctx.info["archive_dossier_queries"] = ctx.queries(client, big)[1]
    return results
