"""Fault drill: a roster import interrupted midway through its writes stores nothing.

The write phase of ``dandang.org.importing.roster_import`` inserts organizations, posts, cadres
and tenures in bulk, then appends the audit event.  The drill lets one of those steps write, then
kills the import right after it (a ``BaseException``, as a signal or an out-of-memory error would,
which no ``except Exception`` catches) and checks that the database is exactly as before: rows,
audit events and audit chain heads.  The test database commits for real (``transaction=True``),
so the import's own transaction is what is tested, not a test savepoint.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import QuerySet

from dandang.core.audit import audit_verify
from dandang.core.models import AuditChainHead, AuditEvent
from dandang.org import importing
from dandang.org.importing import roster_import
from dandang.org.models import Cadre, Organization, Post, Tenure
from dandang.org.tests.import_files import roster_xlsx
from dandang.testing import make_id_number

pytestmark = [pytest.mark.postgres_only, pytest.mark.drill, pytest.mark.django_db(transaction=True)]

CADRES = 1100  # more than one insert batch (importing._BATCH)


class Crash(BaseException):
    """The process dies here."""


def roster() -> tuple[bytes, dict[str, int]]:
    orgs = [
        ["330102-D1", "甲县演练局", "330102", "县", "政府部门", 40, None],
        ["330102-D1-1", "甲县演练局办公室", "330102-D1", "县", "政府部门", 6, None],
    ]
    posts = [["D1", "330102-D1", "局长", "是", "正科级", "否"], ["D2", "330102-D1-1", "主任", "是", "股级", "否"]]
    cadres, tenures = [], []
    for i in range(CADRES):
        birth = dt.date(1991 + i // 1000, 1 + i % 12, 1 + i % 28)
        number = make_id_number(i % 1000, birth)
        cadres.append([number, f"演练{i:04d}号", "男" if i % 2 else "女", birth, "汉族", "本科", None, "330102-D1"])
        if i < 2:
            tenures.append([number, f"D{i + 1}", None, None, dt.date(2022, 1, 4), None, "任命", None])
    counts = {"organizations": len(orgs), "posts": len(posts), "cadres": len(cadres), "tenures": len(tenures)}
    return roster_xlsx(organizations=orgs, posts=posts, cadres=cadres, tenures=tenures), counts


def snapshot() -> dict[str, Any]:
    return {
        "rows": {m.__name__: m.objects.count() for m in (Organization, Post, Cadre, Tenure, AuditEvent)},
        "chain_heads": sorted(AuditChainHead.objects.values_list("partition", "seq", "hash")),
        "placements": sorted(Cadre.objects.values_list("id", "org_id", "post_id")),
    }


@pytest.mark.parametrize("stage", [Organization, Post, Cadre, Tenure, AuditEvent], ids=lambda m: m.__name__)
def test_an_import_killed_during_its_writes_stores_nothing(world, monkeypatch, stage):
    data, expected = roster()
    staff = world.user("staff_a")
    before = snapshot()
    written: list[str] = []

    if stage is AuditEvent:
        real_audit_bulk = importing.audit_bulk

        def audit_then_crash(**kwargs: Any) -> Any:
            real_audit_bulk(**kwargs)
            written.append("audit")
            raise Crash("killed after the audit event was appended")

        monkeypatch.setattr(importing, "audit_bulk", audit_then_crash)
    else:
        real_bulk_create = QuerySet.bulk_create

        def bulk_create_then_crash(self: QuerySet[Any], objs: Any, *args: Any, **kwargs: Any) -> Any:
            created = real_bulk_create(self, objs, *args, **kwargs)
            written.append(self.model.__name__)
            if self.model is stage:
                raise Crash(f"killed after inserting {len(created)} {stage.__name__} rows")
            return created

        monkeypatch.setattr(QuerySet, "bulk_create", bulk_create_then_crash)

    with pytest.raises(Crash):
        roster_import(actor=staff, filename="roster.xlsx", data=data)

    # The crash came after real inserts...
    assert written and written[-1] in {stage.__name__, "audit"}
    # ...and none of them is stored: rows, audit events, chain heads and placements as before.
    assert snapshot() == before
    assert audit_verify()[1] == []

    # Nothing half-written blocks the same file afterwards: it imports whole, once.
    monkeypatch.undo()
    result = roster_import(actor=staff, filename="roster.xlsx", data=data)
    assert result.ok, [str(e) for e in result.errors[:5]]
    assert result.counts == expected
    after = snapshot()["rows"]
    assert after == {
        "Organization": before["rows"]["Organization"] + expected["organizations"],
        "Post": before["rows"]["Post"] + expected["posts"],
        "Cadre": before["rows"]["Cadre"] + expected["cadres"],
        "Tenure": before["rows"]["Tenure"] + expected["tenures"],
        "AuditEvent": before["rows"]["AuditEvent"] + 1,
    }
    assert audit_verify()[1] == []
