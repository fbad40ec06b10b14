"""Appends to different county partitions never wait on each other (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection, connections, transaction

from dandang.core.audit import audit_record, audit_verify
from dandang.core.models import AuditEvent


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_other_partition_does_not_wait_but_same_partition_does():
    # Seed both chain heads.
    for p in ("county-a", "county-b"):
        with transaction.atomic():
            audit_record(actor=None, action="seed", partition=p)

    holding = threading.Event()
    release = threading.Event()
    results: dict[str, object] = {}

    def hold_a() -> None:
        try:
            with transaction.atomic():
                audit_record(actor=None, action="slow", partition="county-a")
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    def append(partition: str, key: str) -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cur:
                    cur.execute("SET LOCAL lock_timeout = '1500ms'")
                audit_record(actor=None, action="fast", partition=partition)
            results[key] = "ok"
        except Exception as exc:  # the lock timeout of the same partition
            results[key] = type(exc).__name__
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_a)
    holder.start()
    assert holding.wait(10)
    other = threading.Thread(target=append, args=("county-b", "b"))
    other.start()
    other.join(10)
    same = threading.Thread(target=append, args=("county-a", "a"))
    same.start()
    same.join(10)
    release.set()
    holder.join(10)

    assert results["b"] == "ok"
    assert results["a"] == "OperationalError"
    assert AuditEvent.objects.filter(partition="county-a").count() == 2
    assert AuditEvent.objects.filter(partition="county-b").count() == 2
    assert audit_verify()[1] == []
