"""The near-duplicate rule of the formalism guard, at the service level: band keys stored per
entry (:class:`~dandang.archive.models.ArchiveBand`), twins flagged on both sides.

Two entries are **twins** when they belong to different cadres, both are in play — submitted,
returned or verified (a draft is the author's unfinished work; a withdrawn, rejected or revoked
entry is out of the game) — and the Jaccard similarity of their descriptions' character shingles
reaches the rulebook's threshold (:mod:`dandang.archive.neardup`).  Each twin carries the flag
``near_duplicate`` with ``{"twins": [ids], "similarities": ["0.91", …], "similarity": highest,
"threshold": …, "shingle_size": …}``, and its ``flag_codes`` say so.

- :func:`near_duplicates_refresh` — one entry at a time, inside the calling service's transaction
  (submit, amend, withdraw, reject, revoke): its bands are rewritten, its candidates found with one
  indexed query on ``(band, key)``, confirmed exactly, and the flags of both sides updated.
- :func:`archive_near_duplicates_scan` — the batch pass over a jurisdiction (or everything):
  streams the live entries from the database in chunks, computes the bands of a whole chunk at
  once, finds candidate pairs by sorting the keys, confirms them, and rewrites bands and flags with
  set-based statements; one audit event per county.  It gives the same flags as the incremental
  path (and repairs them after a rulebook change or a bulk load).

The near-duplicate numbers are read from the rulebook in force for the cadre's **county** (the
audit partition): all entries of a county are compared under one rule, in the incremental path and
in the scan alike.  Band keys are salted with the numbers, so entries under different numbers never
meet.  A PostgreSQL advisory lock serialises the writers of twins, so that two twins submitted at
the same moment still find each other.
"""

from __future__ import annotations

import itertools
import struct
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import OperationalError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from dandang.archive import neardup
from dandang.archive.formalism import NEAR_DUPLICATE
from dandang.archive.models import ArchiveBand, ArchiveEntry, ArchiveFlag, Status
from dandang.archive.rules import ArchiveRules
from dandang.core.audit import audit_bulk
from dandang.core.errors import PermissionDenied
from dandang.core.rulebooks import rulebook_effective
from dandang.org.models import Organization
from dandang.org.roles import Cap
from dandang.org.selectors import has_capability

# Entries that can be twins (and keep bands).
IN_PLAY = (Status.SUBMITTED, Status.RETURNED, Status.VERIFIED)
CHUNK = 20_000  # entries read and banded at once by the scan
_LOCK_KEY = 0x4E454152_44555031  # pg_advisory_xact_lock key of the twin writers ("NEARDUP1")


def _serialise_writers() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


# --- parameters ------------------------------------------------------------------------------


def params_of(rules: ArchiveRules) -> neardup.Params:
    rule = rules.near_duplicate
    return neardup.Params(shingle_size=rule.shingle_size, threshold=rule.threshold, num_perm=rule.num_perm)


class _ParamsByCounty:
    """The near-duplicate parameters of each county (audit partition), read once per call."""

    def __init__(self) -> None:
        self._cache: dict[str, neardup.Params] = {}

    def __call__(self, partition: str) -> neardup.Params:
        if partition not in self._cache:
            county = Organization.objects.filter(code=partition).first()
            self._cache[partition] = params_of(rulebook_effective("archive", county).content)
        return self._cache[partition]


# --- flags -----------------------------------------------------------------------------------


def _flag_params(twins: dict[int, str], params: neardup.Params) -> dict[str, Any]:
    ids = sorted(twins)
    sims = [twins[i] for i in ids]
    return {
        "twins": ids,
        "similarities": sims,
        "similarity": max(sims),
        "threshold": str(params.threshold),
        "shingle_size": params.shingle_size,
    }


def _twins_of(params: dict[str, Any]) -> dict[int, str]:
    ids = params.get("twins") or []
    sims = params.get("similarities") or []
    return {int(i): str(s) for i, s in itertools.zip_longest(ids, sims, fillvalue=params.get("similarity", ""))}


def _set_flag_codes(ids: Iterable[int]) -> None:
    """``flag_codes`` of ``ids`` recomputed from their ArchiveFlag rows, in set-based statements."""
    ids = sorted(set(ids))
    table = ArchiveEntry._meta.db_table
    flags = ArchiveFlag._meta.db_table
    if connection.vendor == "postgresql":
        sql = (
            f"UPDATE {table} e SET flag_codes = COALESCE((SELECT jsonb_agg(f.code ORDER BY f.code) "  # noqa: S608
            f"FROM {flags} f WHERE f.entry_id = e.id), '[]'::jsonb) WHERE e.id = ANY(%s)"
        )
        with connection.cursor() as cursor:
            for lo in range(0, len(ids), 50_000):
                cursor.execute(sql, [ids[lo : lo + 50_000]])
        return
    for lo in range(0, len(ids), 500):
        chunk = ids[lo : lo + 500]
        marks = ", ".join(["%s"] * len(chunk))
        sql = (
            f"UPDATE {table} SET flag_codes = COALESCE((SELECT json_group_array(code) FROM "  # noqa: S608
            f"(SELECT f.code FROM {flags} f WHERE f.entry_id = {table}.id ORDER BY f.code)), '[]') "
            f"WHERE id IN ({marks})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, chunk)


def _write_flags(flags: dict[int, dict[str, Any]], cleared: Iterable[int], *, deleted: Iterable[int] = ()) -> None:
    """Replace the near-duplicate flags of ``flags`` (entry → params) and remove those of
    ``cleared`` (``deleted``: entries whose flags the caller removed already); then their
    ``flag_codes``."""
    touched = set(flags) | set(cleared)
    ids = sorted(touched - set(deleted))
    for lo in range(0, len(ids), 500):
        ArchiveFlag.objects.filter(code=NEAR_DUPLICATE, entry_id__in=ids[lo : lo + 500]).delete()
    ArchiveFlag.objects.bulk_create(
        [ArchiveFlag(entry_id=pk, code=NEAR_DUPLICATE, params=p) for pk, p in sorted(flags.items())], batch_size=2000
    )
    _set_flag_codes(touched)


# --- incremental: one entry at a time --------------------------------------------------------


def _band_rows(entry_id: int, keys: np.ndarray) -> list[ArchiveBand]:
    return [ArchiveBand(entry_id=entry_id, band=i, key=int(k)) for i, k in enumerate(keys)]


def _twins_for(entry: ArchiveEntry, params: neardup.Params) -> tuple[np.ndarray | None, dict[int, str]]:
    """The entry's band keys and its confirmed twins (id → similarity)."""
    computed = neardup.bands([entry.description], params)
    if not bool(computed.valid[0]):
        return None, {}
    keys = computed.keys[0]
    match = Q()
    for band, key in enumerate(keys):
        match |= Q(band=band, key=int(key))
    candidates = list(
        ArchiveBand.objects.filter(match)
        .exclude(entry_id=entry.pk)
        .exclude(entry__cadre_id=entry.cadre_id)
        .filter(entry__status__in=IN_PLAY)
        .values_list("entry_id", "entry__description")
        .distinct()
    )
    if not candidates:
        return keys, {}
    texts = [entry.description, *(text for _, text in candidates)]
    pairs = np.array([[0, i + 1] for i in range(len(candidates))], dtype=np.int64)
    twins = neardup.confirm(texts, pairs, params)
    return keys, {candidates[t.j - 1][0]: t.similarity for t in twins}


def near_duplicates_refresh(*, entries: Iterable[ArchiveEntry]) -> dict[int, list[int]]:
    """Rewrite the bands of ``entries`` and the near-duplicate flags of them and their twins (old
    and new).  An entry out of play loses its bands and its twins lose it.  Runs inside the
    calling service's transaction (which audits the change that caused it); the given instances'
    ``flag_codes`` are updated.  Returns each entry's twins."""
    _serialise_writers()
    params_for = _ParamsByCounty()
    out: dict[int, list[int]] = {}
    for entry in entries:
        own = ArchiveFlag.objects.filter(entry_id=entry.pk, code=NEAR_DUPLICATE).first()
        old = _twins_of(own.params) if own is not None else {}
        ArchiveBand.objects.filter(entry_id=entry.pk).delete()
        new: dict[int, str] = {}
        params = params_for(entry.cadre.org.audit_partition)
        if entry.status in IN_PLAY:
            keys, new = _twins_for(entry, params)
            if keys is not None:
                ArchiveBand.objects.bulk_create(_band_rows(entry.pk, keys))
        others = {
            f.entry_id: _twins_of(f.params)
            for f in ArchiveFlag.objects.filter(entry_id__in=set(old) | set(new), code=NEAR_DUPLICATE)
        }
        flags: dict[int, dict[str, Any]] = {}
        cleared: set[int] = set()
        for other in set(old) | set(new):
            theirs = others.get(other, {})
            theirs.pop(entry.pk, None)
            if other in new:
                theirs[entry.pk] = new[other]
            if theirs:
                flags[other] = _flag_params(theirs, params)
            else:
                cleared.add(other)
        if new:
            flags[entry.pk] = _flag_params(new, params)
        else:
            cleared.add(entry.pk)
        _write_flags(flags, cleared)
        entry.flag_codes = list(ArchiveEntry.objects.values_list("flag_codes", flat=True).get(pk=entry.pk))
        out[entry.pk] = sorted(new)
    return out


# --- the batch pass --------------------------------------------------------------------------


@dataclass
class Banded:
    """The entries of one set of parameters read by the pass, with their band keys."""

    params: neardup.Params
    ids: list[np.ndarray] = field(default_factory=list)
    cadres: list[np.ndarray] = field(default_factory=list)
    keys: list[np.ndarray] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # kept for the exact check (no second read)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        nb = self.params.bands
        if not self.ids:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, nb), np.int64)
        return np.concatenate(self.ids), np.concatenate(self.cadres), np.concatenate(self.keys)


@dataclass(frozen=True)
class Pair:
    a: int  # entry ids, a < b
    b: int
    similarity: str
    params: neardup.Params


@dataclass
class Found:
    """What the pass found: entries read per county, the bands, the twin pairs."""

    entries: int
    per_partition: dict[str, int]
    partition_of: dict[int, str]
    banded: dict[neardup.Params, Banded]
    pairs: list[Pair]


def stream_entries(qs: QuerySet[ArchiveEntry], chunk: int = CHUNK) -> Iterator[list[tuple[int, int, str, str]]]:
    """``(id, cadre, county, description)`` of the entries of ``qs`` in chunks (in no particular
    order: the database need not sort them), through a server-side cursor on PostgreSQL."""
    rows = qs.order_by().values_list("id", "cadre_id", "cadre__org__audit_partition", "description")
    batch: list[tuple[int, int, str, str]] = []
    for row in rows.iterator(chunk_size=chunk):
        batch.append(row)
        if len(batch) >= chunk:
            yield batch
            batch = []
    if batch:
        yield batch


def _descriptions(ids: Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    ids = sorted(set(ids))
    for lo in range(0, len(ids), 5000):
        out.update(ArchiveEntry.objects.filter(pk__in=ids[lo : lo + 5000]).values_list("id", "description"))
    return out


def near_duplicates_find(qs: QuerySet[ArchiveEntry], *, chunk: int = CHUNK) -> Found:
    """The pass without writes: reads ``qs`` in chunks, bands every chunk at once, finds the
    candidate pairs among all of them by sorting their keys and confirms them exactly."""
    params_for = _ParamsByCounty()
    banded: dict[neardup.Params, Banded] = {}
    per_partition: dict[str, int] = defaultdict(int)
    partition_of: dict[int, str] = {}
    total = 0
    for batch in stream_entries(qs, chunk):
        total += len(batch)
        groups: dict[neardup.Params, list[tuple[int, int, str, str]]] = defaultdict(list)
        for row in batch:
            groups[params_for(row[2])].append(row)
            per_partition[row[2]] += 1
            partition_of[row[0]] = row[2]
        for params, rows in groups.items():
            computed = neardup.bands([r[3] for r in rows], params)
            keep = computed.valid
            acc = banded.setdefault(params, Banded(params))
            acc.ids.append(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))[keep])
            acc.cadres.append(np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))[keep])
            acc.keys.append(computed.keys[keep])
            acc.texts.extend(r[3] for r, valid in zip(rows, keep.tolist(), strict=True) if valid)
    pairs: list[Pair] = []
    for params, acc in banded.items():
        ids, cadres, keys = acc.arrays()
        candidates = neardup.candidate_pairs(keys, cadres)
        members = neardup.unique_sorted(candidates.reshape(-1))
        local = np.searchsorted(members, candidates)
        for t in neardup.confirm([acc.texts[i] for i in members.tolist()], local, params):
            a, b = int(ids[members[t.i]]), int(ids[members[t.j]])
            pairs.append(Pair(min(a, b), max(a, b), t.similarity, params))
        acc.texts = []
    return Found(total, dict(per_partition), partition_of, banded, pairs)


def _confirm_ids(left: np.ndarray, right: np.ndarray, params: neardup.Params) -> list[Pair]:
    """Exact check of candidate pairs of entry ids, their descriptions read once."""
    if len(left) == 0:
        return []
    unique, inverse = np.unique(np.concatenate([left, right]), return_inverse=True)
    texts = _descriptions(unique.tolist())
    local = inverse.reshape(2, -1).T
    twins = neardup.confirm([texts[int(i)] for i in unique], local, params)
    out = []
    for t in twins:
        a, b = int(unique[t.i]), int(unique[t.j])
        out.append(Pair(min(a, b), max(a, b), t.similarity, params))
    return out


def _write_bands(banded: dict[neardup.Params, Banded], *, emptied: bool = False) -> int:
    """All band rows of the pass: PostgreSQL binary COPY of numpy-built rows; elsewhere batched
    INSERTs.  ``emptied``: the table was truncated, so the (band, key) index is dropped during the
    load and built once after it (a sort instead of millions of random insertions)."""
    table = ArchiveBand._meta.db_table
    written = 0
    if emptied:
        with connection.schema_editor(atomic=False) as editor:
            for index in ArchiveBand._meta.indexes:
                editor.remove_index(ArchiveBand, index)
        written = _write_bands(banded)
        # The rows' deferred foreign-key checks run now (PostgreSQL builds no index on a table
        # with pending trigger events), then the constraint is deferred again as Django made it.
        with connection.cursor() as cursor:
            names = [
                name
                for name, info in connection.introspection.get_constraints(cursor, table).items()
                if info["foreign_key"]
            ]
            quoted = ", ".join(connection.ops.quote_name(n) for n in names)
            if names:
                cursor.execute(f"SET CONSTRAINTS {quoted} IMMEDIATE")
            with connection.schema_editor(atomic=False) as editor:
                for index in ArchiveBand._meta.indexes:
                    editor.add_index(ArchiveBand, index)
            if names:
                cursor.execute(f"SET CONSTRAINTS {quoted} DEFERRED")
        return written
    for acc in banded.values():
        ids, _cadres, keys = acc.arrays()
        n, nb = keys.shape
        if n == 0:
            continue
        written += n * nb
        if connection.vendor == "postgresql":
            rows = np.empty(
                n * nb,
                dtype=[
                    ("fields", ">i2"),
                    ("l1", ">i4"),
                    ("entry", ">i8"),
                    ("l2", ">i4"),
                    ("band", ">i2"),
                    ("l3", ">i4"),
                    ("key", ">i8"),
                ],
            )
            rows["fields"], rows["l1"], rows["l2"], rows["l3"] = 3, 8, 2, 8
            rows["entry"] = np.repeat(ids, nb)
            rows["band"] = np.tile(np.arange(nb, dtype=np.int16), n)
            rows["key"] = keys.reshape(-1)
            payload = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0) + rows.tobytes() + struct.pack(">h", -1)
            with connection.cursor() as cursor:
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f"COPY {table} (entry_id, band, key) FROM STDIN WITH (FORMAT binary)") as copy:
                    step = 1 << 24
                    for lo in range(0, len(payload), step):
                        copy.write(payload[lo : lo + step])
        else:
            entry_col = np.repeat(ids, nb).tolist()
            band_col = np.tile(np.arange(nb), n).tolist()
            key_col = keys.reshape(-1).tolist()
            ArchiveBand.objects.bulk_create(
                [ArchiveBand(entry_id=e, band=b, key=k) for e, b, k in zip(entry_col, band_col, key_col, strict=True)],
                batch_size=5000,
            )
    return written


@dataclass(frozen=True)
class ScanResult:
    entries: int
    pairs: int
    flagged: int
    cleared: int
    bands: int


def _scope(organization: Organization | None) -> Q:
    return Q(cadre__org_path__startswith=organization.path) if organization is not None else Q()


def _cross_scope_candidates(organization: Organization) -> list[tuple[int, int]]:
    """Pairs (scope entry, entry outside the scope) sharing a (band, key): one join on the band
    index, for a scan of part of the deployment."""
    band = ArchiveBand._meta.db_table
    entry = ArchiveEntry._meta.db_table
    cadre = ArchiveEntry._meta.get_field("cadre").related_model._meta.db_table  # type: ignore[union-attr]
    marks = ", ".join(["%s"] * len(IN_PLAY))
    sql = (
        f"SELECT DISTINCT a.entry_id, b.entry_id FROM {band} a "  # noqa: S608 - table names
        f"JOIN {entry} ea ON ea.id = a.entry_id JOIN {cadre} ca ON ca.id = ea.cadre_id "
        f"JOIN {band} b ON b.band = a.band AND b.key = a.key "
        f"JOIN {entry} eb ON eb.id = b.entry_id JOIN {cadre} cb ON cb.id = eb.cadre_id "
        f"WHERE ca.org_path LIKE %s AND cb.org_path NOT LIKE %s AND eb.status IN ({marks}) "
        "AND ea.cadre_id <> eb.cadre_id"
    )
    prefix = organization.path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix, prefix, *IN_PLAY])
        return [(int(a), int(b)) for a, b in cursor.fetchall()]


def _truncate_bands() -> bool:
    """Empty the band table at once (PostgreSQL), unless this transaction has pending
    deferred-constraint checks on it (then the caller deletes)."""
    if connection.vendor != "postgresql":
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {ArchiveBand._meta.db_table}")
    except OperationalError:
        return False
    return True


@transaction.atomic
def archive_near_duplicates_scan(*, actor: Any, organization: Organization | None = None) -> ScanResult:
    """The near-duplicate pass over every entry of ``organization``'s jurisdiction (everything
    without one): bands and twin flags rewritten, one audit event per county.  The organization
    department runs it for its jurisdiction; the whole deployment only as a system job
    (``manage.py archive_near_duplicates``)."""
    if actor is not None and (organization is None or not has_capability(actor, Cap.ARCHIVE_REVOKE, organization)):
        raise PermissionDenied(
            _("Only the organization department runs the near-duplicate pass over its jurisdiction.")
        )
    _serialise_writers()
    scope = _scope(organization)
    in_scope = ArchiveEntry.objects.filter(scope)
    # Bands of the scope are rebuilt from nothing (entries out of play keep none).
    emptied = organization is None and _truncate_bands()
    if not emptied:
        ArchiveBand.objects.filter(entry__in=in_scope.values("id")).delete()
    found = near_duplicates_find(in_scope.filter(status__in=IN_PLAY))
    bands_written = _write_bands(found.banded, emptied=emptied)

    twins: dict[int, dict[int, str]] = defaultdict(dict)
    pairs = list(found.pairs)
    outside_changed: set[int] = set()
    if organization is not None:
        # Twins across the scope's border, confirmed under the scope entry's parameters.
        params_by_id = {int(i): p for p, acc in found.banded.items() for i in acc.arrays()[0].tolist()}
        by_params: dict[neardup.Params, list[tuple[int, int]]] = defaultdict(list)
        for a, b in _cross_scope_candidates(organization):
            by_params[params_by_id[a]].append((a, b))
        for params, cand in by_params.items():
            arr = np.array(cand, dtype=np.int64)
            pairs.extend(_confirm_ids(arr[:, 0], arr[:, 1], params))
    for pair in pairs:
        twins[pair.a][pair.b] = pair.similarity
        twins[pair.b][pair.a] = pair.similarity
    if organization is not None:
        # Entries outside keep their twins outside, and get those inside from this pass.
        scope_ids = set(in_scope.values_list("id", flat=True))
        outside_changed = {e for e in twins if e not in scope_ids}
        listed = ArchiveFlag.objects.filter(code=NEAR_DUPLICATE).exclude(entry__in=in_scope.values("id"))
        for entry_id, flag_params in listed.values_list("entry_id", "params"):
            theirs = _twins_of(flag_params)
            kept = {t: s for t, s in theirs.items() if t not in scope_ids}
            if kept != theirs or entry_id in twins:
                outside_changed.add(entry_id)
                twins[entry_id] = {**kept, **twins.get(entry_id, {})}

    before = set(
        ArchiveFlag.objects.filter(code=NEAR_DUPLICATE)
        .filter(Q(entry__in=in_scope.values("id")) | Q(entry_id__in=sorted(outside_changed)))
        .values_list("entry_id", flat=True)
    )
    partitions = dict(found.partition_of)
    missing = sorted((set(twins) | before) - set(partitions))
    for lo in range(0, len(missing), 5000):
        partitions.update(
            ArchiveEntry.objects.filter(pk__in=missing[lo : lo + 5000]).values_list("id", "cadre__org__audit_partition")
        )
    params_for = _ParamsByCounty()
    flags = {e: _flag_params(t, params_for(partitions[e])) for e, t in twins.items() if t}
    cleared = before - set(flags)
    # Set-based rewrite: the scope's flags in one DELETE, the others by id, then flag_codes.
    ArchiveFlag.objects.filter(code=NEAR_DUPLICATE, entry__in=in_scope.values("id")).delete()
    _write_flags(flags, cleared | outside_changed, deleted=set(flags) - outside_changed)

    rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for entry_id in sorted(set(flags) | cleared):
        rows[partitions[entry_id]].append((entry_id, flags.get(entry_id, {}).get("twins", [])))
    for partition in sorted(set(found.per_partition) | set(rows)):
        audit_bulk(
            actor=actor,
            action="archive.near_duplicates.scan",
            partition=partition,
            rows=rows.get(partition, []),
            after={
                "organization": organization.code if organization is not None else None,
                "entries": found.per_partition.get(partition, 0),
                "flagged": sum(1 for r in rows.get(partition, []) if r[1]),
                "cleared": sum(1 for r in rows.get(partition, []) if not r[1]),
            },
        )
    return ScanResult(
        entries=found.entries, pairs=len(pairs), flagged=len(flags), cleared=len(cleared), bands=bands_written
    )
