"""Fault drill: a task worker killed mid-job.

django-tasks' database backend leaves a killed worker's task RUNNING, and no worker ever takes it
again.  The reaper (dandang.core.task_reaper, ``manage.py tasks_reap``) returns it to the queue
after its lease; the task (a roster import) is idempotent, so it finishes exactly once.

The worker is frozen at a known point — after the import's bulk inserts, inside its transaction,
waiting to append the audit event — by holding a lock on the audit table, then SIGKILLed there.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
from typing import Any

import pytest
from django.apps import apps

from dandang.core.models import AuditEvent
from dandang.org.models import Cadre, Organization, Post, Tenure
from dandang.org.tests.import_files import roster_xlsx
from dandang.testing import make_id_number
from tests.drills.harness import (
    PYTHON,
    Database,
    django_env,
    django_python,
    log_tail,
    manage,
    other_backends,
    running,
    throwaway_database,
    wait_until,
)

pytestmark = [pytest.mark.postgres_only, pytest.mark.drill]

COUNTY = "339901"  # a county of its own: the whole file lands in one audit partition
BUREAUS = 12  # one per name in BUREAUS_ZH
CADRES_PER_BUREAU = 25
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "海燕", "志强", "秀英", "伟", "丽娟", "明", "晓东", "红梅", "军", "静", "俊杰", "桂兰", "磊"]
BUREAUS_ZH = [
    "教育局",
    "财政局",
    "民政局",
    "卫生健康局",
    "农业农村局",
    "交通运输局",
    "水利局",
    "统计局",
    "司法局",
    "商务局",
    "林业局",
    "审计局",
]


def drill_roster() -> tuple[bytes, dict[str, int]]:
    """A county, its bureaus with a director and deputy posts, and cadres with their tenures."""
    orgs = [[COUNTY, "演练县", None, "县", "党委", 0, None]]
    posts, cadres, tenures = [], [], []
    seq = 0
    for b in range(BUREAUS):
        code = f"{COUNTY}-B{b + 1:02d}"
        orgs.append([code, f"演练县{BUREAUS_ZH[b]}", COUNTY, "县", "政府部门", 30, None])
        posts += [
            [f"{code}-1", code, "局长", "是", "正科级", "否"],
            [f"{code}-2", code, "副局长", "是", "副科级", "否"],
        ]
        for i in range(CADRES_PER_BUREAU):
            seq += 1
            birth = dt.date(1970 + seq % 25, 1 + seq % 12, 1 + seq % 28)
            number = make_id_number(seq, birth, region=COUNTY)
            name = SURNAMES[seq % len(SURNAMES)] + GIVEN[(seq * 7) % len(GIVEN)]
            cadres.append([number, name, "男" if seq % 3 else "女", birth, "汉族", "本科", None, code])
            if i < 2:
                tenures.append([number, f"{code}-{i + 1}", None, None, dt.date(2020, 3, 1), None, "任命", None])
    counts = {"organizations": len(orgs), "posts": len(posts), "cadres": len(cadres), "tenures": len(tenures)}
    data = roster_xlsx(organizations=orgs, posts=posts, cadres=cadres, tenures=tenures)
    return data, counts


def table(model: Any) -> str:
    return model._meta.db_table


def effects(db: Database) -> dict[str, int]:
    with db.connect() as conn:
        return {
            model.__name__: conn.execute(f'SELECT COUNT(*) FROM "{table(model)}"').fetchone()[0]  # type: ignore[index]
            for model in (Organization, Post, Cadre, Tenure, AuditEvent)
        }


def task_table() -> str:
    return table(apps.get_model("django_tasks_database", "DBTaskResult"))


def task_row(db: Database, task_id: str) -> dict[str, Any]:
    with db.connect() as conn:
        status, worker_ids, return_value = conn.execute(
            f'SELECT status, worker_ids, return_value FROM "{task_table()}" WHERE id = %s', (task_id,)
        ).fetchone()  # type: ignore[misc]
    return {"status": status, "worker_ids": worker_ids, "return_value": return_value}


def worker_args(worker_id: str, *extra: str) -> list[str]:
    return ["db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2", "--worker-id", worker_id, *extra]


def test_a_worker_killed_mid_import_is_reaped_and_the_import_finishes_exactly_once(tmp_path):
    data, expected = drill_roster()
    with throwaway_database("dd_drill_task") as db:
        # A lease of one second, so that the drill need not wait fifteen minutes.
        env = django_env(db.url, tmp_path, DANDANG_TASK_LEASE_SECONDS="1")
        manage("migrate", "--no-input", "-v0", env=env)
        store = tmp_path / "media" / "imports"
        store.mkdir(parents=True)
        (store / "county.xlsx").write_bytes(data)
        # The same file enqueued twice (a double click, a retried request): a duplicate delivery.
        enqueue = (
            "from dandang.org.tasks import roster_import_task\n"
            "print(roster_import_task.enqueue('county.xlsx').id)\n"
            "print(roster_import_task.enqueue('county.xlsx').id)"
        )
        task_id, duplicate_id = django_python(enqueue, env=env).split()[-2:]
        assert task_row(db, task_id)["status"] == "READY"
        before = effects(db)
        assert before == dict.fromkeys(before, 0)

        # 1. The first worker takes the task and is killed mid-write.
        log = tmp_path / "worker.log"
        blocker = db.connect(autocommit=False)
        try:
            blocker.execute(f'LOCK TABLE "{table(AuditEvent)}" IN SHARE ROW EXCLUSIVE MODE')
            with running([PYTHON, "manage.py", *worker_args("drill-killed")], env=env, log=log) as first:
                try:
                    waiting = wait_until(
                        lambda: other_backends(db, waiting_on_lock=True),
                        timeout=45,
                        what="the worker to reach the audit insert",
                    )
                except AssertionError as exc:
                    raise AssertionError(f"{exc}\n{log_tail(log)}") from None
                assert [q for _pid, q in waiting if q.lstrip().startswith(f'INSERT INTO "{table(AuditEvent)}"')]
                row = task_row(db, task_id)
                assert (row["status"], row["worker_ids"]) == ("RUNNING", ["drill-killed"])
                os.kill(first.pid, signal.SIGKILL)
                assert first.wait(10) == -signal.SIGKILL
        finally:
            blocker.rollback()
            blocker.close()
        # PostgreSQL rolls the dead worker's transaction back once it notices the client is gone.
        wait_until(lambda: not other_backends(db), timeout=20, what="the killed worker's session to end")
        assert effects(db) == before, "a killed import left rows behind"
        # The task stays RUNNING for ever: no worker takes a RUNNING task.
        assert task_row(db, task_id)["status"] == "RUNNING"

        # 2. Once its lease is over the reaper returns it to the queue.
        wait_until(
            lambda: db.scalar(
                f"SELECT started_at < now() - interval '1.2 seconds' FROM \"{task_table()}\" WHERE id = %s", (task_id,)
            ),
            timeout=5,
            what="the lease to run out",
        )
        assert "tasks returned to the queue: 1; marked failed: 0" in manage("tasks_reap", env=env).stdout
        assert task_row(db, task_id)["status"] == "READY"

        # 3. A new worker runs it to the end, then the duplicate, which is refused as a whole.
        manage(*worker_args("drill-second", "--batch"), env=env)
        row = task_row(db, task_id)
        assert (row["status"], row["worker_ids"]) == ("SUCCESSFUL", ["drill-killed", "drill-second"])
        assert row["return_value"] == {"counts": expected, "error_count": 0, "errors": []}
        repeat = task_row(db, duplicate_id)
        assert (repeat["status"], repeat["worker_ids"]) == ("SUCCESSFUL", ["drill-second"])
        assert repeat["return_value"]["counts"] == {}
        assert repeat["return_value"]["error_count"] >= expected["organizations"] + expected["cadres"]

        # Exactly once: every row of the file once, one audit event for the one partition, chain intact.
        assert effects(db) == {
            "Organization": expected["organizations"],
            "Post": expected["posts"],
            "Cadre": expected["cadres"],
            "Tenure": expected["tenures"],
            "AuditEvent": 1,
        }
        assert "audit chains intact" in manage("audit_verify", env=env).stdout
