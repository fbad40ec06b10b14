import pytest
from django.core.management import call_command
from django.db import connection, transaction

from dandang.core.audit import audit_bulk, audit_record, audit_verify
from dandang.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_chain_verifies_and_tamper_is_found(world, capsys):
    checked, broken = audit_verify()
    assert checked >= 3 and broken == []
    victim = AuditEvent.objects.filter(partition="330102").order_by("seq")[3]
    with connection.cursor() as cur:
        cur.execute("UPDATE core_auditevent SET reason = %s WHERE id = %s", ["edited", victim.pk])
    checked, broken = audit_verify()
    assert [(b.partition, b.seq) for b in broken] == [("330102", victim.seq)]
    with pytest.raises(SystemExit) as exc:
        call_command("audit_verify")
    assert exc.value.code == 1
    out = capsys.readouterr()
    assert f"330102#{victim.seq}" in out.out + out.err


def test_partitions_are_separate_chains(world):
    a = AuditEvent.objects.filter(partition="330102").order_by("seq")
    b = AuditEvent.objects.filter(partition="330103").order_by("seq")
    assert a.first().seq == 1 and b.first().seq == 1
    assert a.first().prev_hash == "0" * 64


def test_audit_requires_transaction(transactional_db):
    with pytest.raises(RuntimeError):
        audit_record(actor=None, action="x", partition="p")


def test_bulk_event_carries_digest(db):
    with transaction.atomic():
        ev = audit_bulk(actor=None, action="roster.import", partition="p", rows=[{"a": 1}, {"a": 2}])
    assert ev.row_count == 2 and len(ev.digest) == 64
    assert audit_verify()[1] == []
