"""The audit chain (DESIGN.md "Audit").

Every service that writes calls :func:`audit_record` (or :func:`audit_bulk` for a bulk job) inside
its own transaction.  Events are hash-chained per county-level partition: the chain head row of
the partition is locked while an event is appended, so two counties never wait on each other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from dandang.core.models import AccessLog, AuditChainHead, AuditEvent

GLOBAL_PARTITION = "_global"
GENESIS = "0" * 64


def to_json_value(value: Any) -> Any:
    """Plain JSON (strings, numbers, lists, dicts) so that what is hashed is what is stored."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    *,
    prev_hash: str,
    partition: str,
    seq: int,
    created_at: datetime,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: str,
    before: Any,
    after: Any,
    reason: str,
    digest: str,
    row_count: int | None,
) -> str:
    payload = canonical(
        {
            "partition": partition,
            "seq": seq,
            "created_at": _timestamp(created_at),
            "actor": actor_id,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "before": before,
            "after": after,
            "reason": reason,
            "digest": digest,
            "row_count": row_count,
        }
    )
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def _lock_head(partition: str) -> AuditChainHead:
    AuditChainHead.objects.bulk_create([AuditChainHead(partition=partition)], ignore_conflicts=True)
    return AuditChainHead.objects.select_for_update().get(partition=partition)


def audit_record(
    *,
    actor: Any,
    action: str,
    partition: str,
    object_type: str = "",
    object_id: Any = "",
    before: Any = None,
    after: Any = None,
    reason: str = "",
    digest: str = "",
    row_count: int | None = None,
) -> AuditEvent:
    """Append one event to ``partition``'s chain.  Must run inside the caller's transaction, so
    that the write and its audit event commit or roll back together."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must be called inside the writing service's transaction")
    head = _lock_head(partition or GLOBAL_PARTITION)
    actor_id = getattr(actor, "pk", None)
    created_at = timezone.now()
    before_v, after_v = to_json_value(before), to_json_value(after)
    seq = head.seq + 1
    digest_hash = event_hash(
        prev_hash=head.hash or GENESIS,
        partition=head.partition,
        seq=seq,
        created_at=created_at,
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before_v,
        after=after_v,
        reason=reason,
        digest=digest,
        row_count=row_count,
    )
    event = AuditEvent.objects.create(
        partition=head.partition,
        seq=seq,
        created_at=created_at,
        actor_id=actor_id,
        actor_label=getattr(actor, "username", "") or "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before_v,
        after=after_v,
        reason=reason,
        digest=digest,
        row_count=row_count,
        prev_hash=head.hash or GENESIS,
        hash=digest_hash,
    )
    head.seq = seq
    head.hash = digest_hash
    head.save(update_fields=["seq", "hash"])
    return event


def rows_digest(rows: Iterable[Any]) -> tuple[str, int]:
    """SHA-256 over the canonical JSON of every row a bulk job wrote, one line each."""
    digest = RowsDigest()
    for row in rows:
        digest.add(row)
    return digest.hexdigest(), digest.count


# Lists of strings, integers and None are their own canonical JSON: no round trip is needed.
_PLAIN_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class RowsDigest:
    """:func:`rows_digest` fed as the rows are written, for a bulk job that streams them (an
    import of a million rows does not keep them to digest at the end)."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.count = 0

    def add(self, row: Any) -> None:
        self._hash.update(canonical(to_json_value(row)).encode("utf-8"))
        self._hash.update(b"\n")
        self.count += 1

    def add_plain(self, rows: list[list[str | int | None]]) -> None:
        """Many rows at once, each a list of strings, integers and None only (the same digest as
        :meth:`add`, several times faster)."""
        self._hash.update("".join([_PLAIN_JSON.encode(row) + "\n" for row in rows]).encode("utf-8"))
        self.count += len(rows)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def audit_bulk(
    *, actor: Any, action: str, partition: str, rows: Iterable[Any] | RowsDigest, reason: str = "", after: Any = None
) -> AuditEvent:
    """One event for a bulk job, carrying a digest of every row it wrote (``rows``, or their
    :class:`RowsDigest` when the job digested them as it wrote them)."""
    digest, count = (rows.hexdigest(), rows.count) if isinstance(rows, RowsDigest) else rows_digest(rows)
    return audit_record(
        actor=actor,
        action=action,
        partition=partition,
        object_type="bulk",
        after=after,
        reason=reason,
        digest=digest,
        row_count=count,
    )


@dataclass(frozen=True)
class BrokenLink:
    partition: str
    seq: int
    event_id: int
    problem: str


def _verify_partition(partition: str) -> BrokenLink | None:
    prev = GENESIS
    expected_seq = 1
    events: Iterator[AuditEvent] = (
        AuditEvent.objects.filter(partition=partition).order_by("seq").iterator(chunk_size=2000)
    )
    for event in events:
        if event.seq != expected_seq:
            return BrokenLink(partition, event.seq, event.pk, f"sequence gap: expected {expected_seq}")
        if event.prev_hash != prev:
            return BrokenLink(partition, event.seq, event.pk, "previous hash does not match")
        recomputed = event_hash(
            prev_hash=prev,
            partition=event.partition,
            seq=event.seq,
            created_at=event.created_at,
            actor_id=event.actor_id,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            before=event.before,
            after=event.after,
            reason=event.reason,
            digest=event.digest,
            row_count=event.row_count,
        )
        if recomputed != event.hash:
            return BrokenLink(partition, event.seq, event.pk, "content does not match its hash")
        prev = event.hash
        expected_seq += 1
    head = AuditChainHead.objects.filter(partition=partition).first()
    if head is not None and (head.seq != expected_seq - 1 or (head.hash or GENESIS) != prev):
        return BrokenLink(partition, expected_seq - 1, 0, "chain head does not match the last event")
    return None


def audit_verify() -> tuple[int, list[BrokenLink]]:
    """Recompute every chain.  Returns the number of partitions checked and, for each broken
    chain, its first broken link."""
    partitions = sorted(
        set(AuditEvent.objects.values_list("partition", flat=True).distinct())
        | set(AuditChainHead.objects.values_list("partition", flat=True))
    )
    broken = [b for p in partitions if (b := _verify_partition(p)) is not None]
    return len(partitions), broken


def access_log_record(*, viewer: Any, object_type: str, object_id: Any, what: str) -> None:
    """Dossier reads go to the access log, outside the audit chains."""
    with transaction.atomic():
        AccessLog.objects.create(viewer=viewer, object_type=object_type, object_id=str(object_id), what=what)
