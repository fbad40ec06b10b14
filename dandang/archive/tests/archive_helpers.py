"""Shared steps of the archive's service and selector tests: entries recorded, evidenced, submitted
and verified through the real services, and the evidence files kept under a temporary media root."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dandang.archive import services
from dandang.archive.models import ArchiveEntry
from dandang.testing import World

DAY = dt.date(2025, 5, 12)  # a past date in the second quarter
SCORES = {"completion": 90, "authenticity": 85, "difficulty": 70, "contribution": 80}
METRIC = {"indicator": "新增就业岗位", "unit": "个", "baseline": "10", "target": "50", "actual": "60"}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(content: bytes = b"%PDF-1.4 statistics", name: str = "report.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


_counter = {"n": 0}


def unique_text(prefix: str = "") -> str:
    """Descriptions unlike each other, so that no near-duplicate flag comes in the way."""
    _counter["n"] += 1
    n = _counter["n"]
    stem, branch = "甲乙丙丁戊己庚辛壬癸"[n % 10], "子丑寅卯辰巳午未申酉戌亥"[n % 12]
    return f"{prefix}第{n}号：{stem}{n * 7919 % 104729}项成果，{n}户受益，{branch}"


def entry(
    world: World,
    *,
    cadre: str = "A3",
    actor: str = "leader_a",
    occurred_on: dt.date = DAY,
    category: str = "duties",
    metrics: Any = None,
    **kw: Any,
) -> ArchiveEntry:
    return services.archive_entry_create(
        actor=world.user(actor),
        cadre=world.cadres[cadre],
        occurred_on=occurred_on,
        category=category,
        title=kw.pop("title", "完成高标准农田建设"),
        description=kw.pop("description", unique_text()),
        metrics=[METRIC] if metrics is None else metrics,
        **kw,
    )


def attach(
    world: World, e: ArchiveEntry, kind: str = "statistics", content: bytes | None = None, actor: str = ""
) -> Any:
    return services.archive_evidence_add(
        actor=world.user(actor) if actor else e.author,
        entry=e,
        upload=upload(content if content is not None else f"file of entry {e.pk} {kind}".encode()),
        kind=kind,
    )


def submitted(world: World, *, kinds: tuple[str, ...] = ("statistics",), **kw: Any) -> ArchiveEntry:
    e = entry(world, **kw)
    for kind in kinds:
        attach(world, e, kind)
    return services.archive_entry_submit(actor=e.author, entry=e)


def verify(world: World, e: ArchiveEntry, verifier: str = "staff_a", **kw: Any) -> ArchiveEntry:
    return services.archive_entry_verify(
        actor=world.user(verifier), entry=e, method="document_review", scores=kw.pop("scores", SCORES), **kw
    )


def verified(
    world: World, *, verifier: str = "staff_a", kinds: tuple[str, ...] = ("statistics",), **kw: Any
) -> ArchiveEntry:
    return verify(world, submitted(world, kinds=kinds, **kw), verifier)
