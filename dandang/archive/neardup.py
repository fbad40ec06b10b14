"""Near-duplicate descriptions (kernel): MinHash over character shingles, LSH banding, and the
exact Jaccard check of the candidates.  Nothing from Django: numpy and datasketch only.

Why character shingles: Chinese is written without spaces, so the text is cut into overlapping
runs of ``k`` characters (``k`` = the rulebook's ``near_duplicate.shingle_size``) and needs no
word segmentation.  :func:`normalise` first folds the text (NFKC: full-width digits and letters
become ASCII; case-folded) and drops whitespace, punctuation and symbols, so "１２户，" and "12户"
shingle alike.  A text shorter than ``k`` is one shingle.

Everything works on batches of documents at once (numpy):

1. :func:`shingle_hashes` — the code points of the whole batch (UTF-32) in one array; each window
   of ``k`` code points is packed into a uint64 (21 bits a code point, exact for ``k`` ≤ 3, a
   polynomial for longer shingles) and mixed (splitmix64) down to a 32-bit shingle hash —
   deterministic across processes (never Python's ``hash()``).
2. :func:`signatures` — datasketch's own permutations (``MinHash(num_perm, seed).permutations``,
   scheme ``affine32``) applied to all shingle hashes of a block at once
   (``fmix32(h) · a + b mod 2³²``), then ``np.minimum.reduceat`` per document.  For the same 32-bit
   shingle hashes the signatures are identical to ``datasketch.MinHash.update_batch``'s.
3. :func:`band_keys` — the ``b`` bands of ``r`` rows that datasketch's ``MinHashLSH`` chooses for
   the threshold (``datasketch.lsh._optimal_param``), each band hashed to a signed 64-bit key
   (salted with the parameters, so keys of different rules never collide).
4. :func:`candidate_pairs` — documents sharing a (band, key), by sorting the keys (no dict of
   buckets); pairs of the same group (the same cadre) are dropped.
5. :func:`jaccard_counts` / :func:`similar` — the exact Jaccard similarity of the shingle sets of
   each candidate pair as integers (intersection, union), compared with the Decimal threshold
   exactly: ``inter · den ≥ num · union``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import numpy as np
from datasketch import MinHash
from datasketch.lsh import _optimal_param

U32 = np.uint32
U64 = np.uint64
_MASK64 = (1 << 64) - 1
# Shingles per block of the signature computation: the (permutations × shingles) uint32 block
# stays within the CPU caches (about 4 MB for 128 permutations).
BLOCK_SHINGLES = 32_768
# Pairs generated at once when expanding the buckets into candidate pairs.
PAIR_CHUNK = 4_000_000


@dataclass(frozen=True)
class Params:
    """The rulebook's ``near_duplicate`` numbers, and the LSH bands they imply."""

    shingle_size: int
    threshold: Decimal
    num_perm: int
    seed: int = 1

    @property
    def bands(self) -> int:
        return lsh_params(self.threshold, self.num_perm)[0]

    @property
    def rows(self) -> int:
        return lsh_params(self.threshold, self.num_perm)[1]

    @property
    def salt(self) -> int:
        """Mixed into every band key: bands of other parameters never share a key."""
        h = 0x6E656172647570  # "neardup"
        for value in (self.shingle_size, self.num_perm, self.seed, self.bands, self.rows):
            h = _splitmix_int(h ^ value)
        return h


@lru_cache(maxsize=64)
def lsh_params(threshold: Decimal, num_perm: int) -> tuple[int, int]:
    """The (bands, rows) that ``datasketch.MinHashLSH(threshold, num_perm)`` uses (equal weights
    of false positives and false negatives).  The float is only the optimiser's input: the
    decision itself (:func:`similar`) compares exactly."""
    b, r = _optimal_param(float(threshold), num_perm, 0.5, 0.5)
    return int(b), int(r)


@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's permutations ``(a, b)`` (uint32, scheme affine32) for ``num_perm`` and ``seed``."""
    a, b = MinHash(num_perm=num_perm, seed=seed).permutations
    return np.ascontiguousarray(a, dtype=U32), np.ascontiguousarray(b, dtype=U32)


# --- text → shingle hashes -------------------------------------------------------------------


@lru_cache(maxsize=1)
def _fold_table() -> np.ndarray:
    """What each code point of the Basic Multilingual Plane becomes: its NFKC form case-folded
    when that is one letter or digit, itself (case-folded) when it is a letter or digit that NFKC
    expands (⑩), 0 (dropped) for whitespace, punctuation, symbols and controls."""
    table = np.zeros(0x10000, dtype=U32)
    for c in range(0x10000):
        ch = chr(c)
        if not ch.isalnum():
            continue
        folded = unicodedata.normalize("NFKC", ch).casefold()
        table[c] = ord(folded) if len(folded) == 1 and folded.isalnum() else ord(ch.casefold()[0])
    return table


def _fold(cps: np.ndarray) -> np.ndarray:
    """:func:`_fold_table` applied to code points; beyond the BMP (rare: CJK extensions, emoji)
    a letter or digit stays, anything else is dropped."""
    table = _fold_table()
    beyond = cps >= 0x10000
    out = table[np.where(beyond, 0, cps)]
    if beyond.any():
        values = np.unique(cps[beyond])
        kept = np.array([chr(int(v)).isalnum() for v in values], dtype=bool)
        at = np.searchsorted(values, cps[beyond])
        out[beyond] = np.where(kept[at], cps[beyond], 0)
    return out


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(U32)


def normalise(text: str) -> str:
    """The text as shingled: full-width letters and digits folded to ASCII (NFKC), case-folded,
    without whitespace, punctuation or symbols — character by character, so that the batch
    does it with one table look-up."""
    folded = _fold(_codepoints(text or ""))
    return folded[folded > 0].astype("<u4").tobytes().decode("utf-32-le")


def _splitmix_int(x: int) -> int:
    x &= _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def _splitmix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser on a uint64 array (wrapping arithmetic)."""
    x = x ^ (x >> U64(30))
    x = x * U64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> U64(27))
    x = x * U64(0x94D049BB133111EB)
    return x ^ (x >> U64(31))


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, as datasketch applies it before the permutations."""
    h = h ^ (h >> U32(16))
    h = h * U32(0x85EBCA6B)
    h = h ^ (h >> U32(13))
    h = h * U32(0xC2B2AE35)
    return h ^ (h >> U32(16))


@dataclass(frozen=True)
class Shingles:
    """The shingles of a batch: ``keys[starts[d]:starts[d + 1]]`` are document ``d``'s (in text
    order, repeats included).  ``keys`` identify a shingle exactly for ``k`` ≤ 3 (packed code
    points); ``hashes`` are their 32-bit hashes."""

    keys: np.ndarray  # uint64
    hashes: np.ndarray  # uint32
    starts: np.ndarray  # int64, n + 1
    windows: np.ndarray | None = None  # (shingles, k) uint32 code points when k > 3

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.starts)


def shingles(texts: Sequence[str], k: int) -> Shingles:
    """The character ``k``-shingles of every text of the batch, computed at once: the batch's
    code points folded with one table look-up (:func:`normalise`), then every window of ``k``.
    A text shorter than ``k`` is one shingle, padded with code point 0 (never in a folded text)."""
    if k < 1:
        raise ValueError("shingle size must be at least 1")
    texts = [t or "" for t in texts]
    n = len(texts)
    raw_len = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    folded = _fold(_codepoints("".join(texts)))
    keep = folded > 0
    raw_start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(raw_len, out=raw_start[1:])
    kept_before = np.zeros(len(keep) + 1, dtype=np.int64)
    np.cumsum(keep, out=kept_before[1:])
    lengths = kept_before[raw_start[1:]] - kept_before[raw_start[:-1]]
    cps = folded[keep]
    counts = np.where(lengths >= k, lengths - k + 1, (lengths > 0).astype(np.int64))
    starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    total = int(starts[-1])
    if total == 0:
        empty = np.zeros(0, dtype=U64)
        return Shingles(empty, empty.astype(U32), starts, np.zeros((0, k), dtype=U32) if k > 3 else None)
    text_start = kept_before[raw_start[:-1]]
    doc_of = np.repeat(np.arange(n, dtype=np.int64), counts)
    first = text_start[doc_of] + (np.arange(total, dtype=np.int64) - starts[doc_of])
    last = len(cps) - 1
    # The windows of texts shorter than k (few): their positions past the text's end are 0.
    short = np.flatnonzero(lengths < k)
    short = short[lengths[short] > 0]
    short_window, short_len = starts[short], lengths[short]

    def column(j: int) -> np.ndarray:
        values = cps[np.minimum(first + j, last)]
        values[short_window[short_len <= j]] = 0
        return values

    keys = np.zeros(total, dtype=U64)
    windows = None
    if k * 21 <= 64:
        for j in range(k):
            keys = (keys << U64(21)) | column(j).astype(U64)
    else:
        cols = [column(j) for j in range(k)]
        for col in cols:
            keys = keys * U64(0x100000001B3) + col.astype(U64) + U64(1)
        windows = np.stack(cols, axis=1)
    hashes = (_splitmix(keys) >> U64(32)).astype(U32)
    return Shingles(keys, hashes, starts, windows)


def shingle_hashes(texts: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(hashes, starts)``: the 32-bit shingle hashes of the batch and each document's start."""
    s = shingles(texts, k)
    return s.hashes, s.starts


# --- MinHash signatures and bands ------------------------------------------------------------


def signatures_from_hashes(
    hashes: np.ndarray, starts: np.ndarray, num_perm: int, seed: int = 1, *, columns: int | None = None
) -> np.ndarray:
    """MinHash signatures ``(documents, columns)`` (uint32) of documents given as runs of 32-bit
    shingle hashes — identical to datasketch's ``MinHash(num_perm, seed)`` updated with the same
    hashes (``hashfunc`` returning them).  ``columns`` computes only the first permutations (LSH
    uses ``bands × rows`` of them).  A document without shingles gets the empty signature
    (all 2³² − 1), as datasketch's empty MinHash."""
    a, b = permutations(num_perm, seed)
    cols = num_perm if columns is None else columns
    a, b = a[:cols, None], b[:cols, None]
    n = len(starts) - 1
    out = np.full((cols, n), np.iinfo(U32).max, dtype=U32)
    counts = np.diff(starts)
    nonempty = np.flatnonzero(counts > 0)
    if len(nonempty) == 0:
        return np.ascontiguousarray(out.T)
    mixed = _fmix32(np.asarray(hashes, dtype=U32))
    buf = np.empty((cols, BLOCK_SHINGLES), dtype=U32)
    # Blocks of whole documents of about BLOCK_SHINGLES shingles (a longer document gets its own).
    cut = np.searchsorted(starts[nonempty], np.arange(0, int(starts[-1]), BLOCK_SHINGLES), side="left")
    bounds = unique_sorted(np.concatenate([cut, [len(nonempty)]]))
    lo = 0
    for hi in bounds:
        if hi <= lo:
            continue
        docs = nonempty[lo:hi]
        s0, s1 = int(starts[docs[0]]), int(starts[docs[-1] + 1])
        width = s1 - s0
        block = buf[:, :width] if width <= BLOCK_SHINGLES else np.empty((cols, width), dtype=U32)
        np.multiply(a, mixed[None, s0:s1], out=block)
        np.add(block, b, out=block)
        out[:, docs] = np.minimum.reduceat(block, starts[docs] - s0, axis=1)
        lo = hi
    return np.ascontiguousarray(out.T)


def signatures(texts: Sequence[str], params: Params, *, columns: int | None = None) -> np.ndarray:
    s = shingles(texts, params.shingle_size)
    return signatures_from_hashes(s.hashes, s.starts, params.num_perm, params.seed, columns=columns)


def band_keys_from_signatures(sig: np.ndarray, params: Params) -> np.ndarray:
    """``(documents, bands)`` signed 64-bit keys: band ``i`` hashes signature rows
    ``i·r … i·r + r − 1`` (the hash ranges of datasketch's ``MinHashLSH``)."""
    b, r = params.bands, params.rows
    n = sig.shape[0]
    rows = sig[:, : b * r].reshape(n, b, r).astype(U64)
    h = np.full((n, b), params.salt, dtype=U64) ^ np.arange(b, dtype=U64)[None, :]
    for j in range(r):
        h = _splitmix(h * U64(0x9E3779B97F4A7C15) ^ rows[:, :, j])
    return h.view(np.int64)


@dataclass(frozen=True)
class Bands:
    keys: np.ndarray  # (documents, bands) int64
    valid: np.ndarray  # bool: the document has shingles (an empty one is never anybody's twin)


def bands(texts: Sequence[str], params: Params) -> Bands:
    """The band keys of a batch of descriptions."""
    s = shingles(texts, params.shingle_size)
    sig = signatures_from_hashes(s.hashes, s.starts, params.num_perm, params.seed, columns=params.bands * params.rows)
    return Bands(band_keys_from_signatures(sig, params), s.counts > 0)


# --- candidates ------------------------------------------------------------------------------


def unique_sorted(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values, by sorting (numpy's hash-based ``unique`` degrades badly on the
    structured integers built here, such as ``document · space + shingle``)."""
    out = np.sort(values)
    if len(out) < 2:
        return out
    keep = np.empty(len(out), dtype=bool)
    keep[0] = True
    np.not_equal(out[1:], out[:-1], out=keep[1:])
    return out[keep]


def candidate_pairs(keys: np.ndarray, groups: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """``(pairs, 2)`` int64 row indices ``i < j`` of documents sharing at least one (band, key),
    whose ``groups`` (cadres) differ; each pair once, sorted."""
    n, nb = keys.shape
    rows = np.arange(n, dtype=np.int64) if valid is None else np.flatnonzero(valid)
    if len(rows) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    doc = np.repeat(rows, nb)
    key = keys[rows].reshape(-1)
    # Keys are salted with their band, so buckets are found by the key alone (two bands sharing a
    # 64-bit key by chance only add a candidate, which the exact check sorts out).
    order = np.argsort(key)
    key, doc = key[order], doc[order]
    new = np.ones(len(doc), dtype=bool)
    new[1:] = key[1:] != key[:-1]
    run_start = np.flatnonzero(new)
    run_len = np.diff(np.append(run_start, len(doc)))
    shared = run_len >= 2
    run_start, run_len = run_start[shared], run_len[shared]
    if len(run_start) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    found: list[np.ndarray] = []
    # Each member of a bucket pairs with the members after it; buckets expanded a slice at a time.
    per_run = run_len * (run_len - 1) // 2
    cum = np.cumsum(per_run)
    lo = 0
    while lo < len(run_start):
        hi = int(np.searchsorted(cum, (cum[lo - 1] if lo else 0) + PAIR_CHUNK, side="right"))
        hi = max(hi, lo + 1)
        s, m = run_start[lo:hi], run_len[lo:hi]
        member = np.repeat(s, m) + (np.arange(int(m.sum())) - np.repeat(np.cumsum(m) - m, m))
        after = np.repeat(s + m, m) - member - 1  # members after this one in its bucket
        left = np.repeat(member, after)
        right = left + 1 + (np.arange(int(after.sum())) - np.repeat(np.cumsum(after) - after, after))
        i, j = doc[left], doc[right]
        keep = groups[i] != groups[j]
        i, j = i[keep], j[keep]
        found.append(np.minimum(i, j) * n + np.maximum(i, j))
        lo = hi
    codes = unique_sorted(np.concatenate(found))
    return np.stack([codes // n, codes % n], axis=1)


# --- exact confirmation ----------------------------------------------------------------------


def _shingle_ids(s: Shingles) -> np.ndarray:
    """Dense integer ids of the shingles of ``s``: equal ids ⇔ equal shingles (exactly)."""
    if s.windows is None:
        return np.unique(s.keys, return_inverse=True)[1].astype(np.int64)
    view = np.ascontiguousarray(s.windows).view(np.dtype((np.void, s.windows.dtype.itemsize * s.windows.shape[1])))
    return np.unique(view.reshape(-1), return_inverse=True)[1].astype(np.int64)


def jaccard_counts(texts: Sequence[str], pairs: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``(intersection, union)`` sizes of the shingle sets of each pair ``(i, j)`` of rows of
    ``texts``, computed at once: each pair's two sorted sets are concatenated under the pair's
    number, and a shingle appearing twice is in both."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if len(pairs) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    s = shingles(texts, k)
    ids = _shingle_ids(s)
    space = int(ids.max()) + 1 if len(ids) else 1
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), s.counts)
    unique = unique_sorted(doc * space + ids)  # each document's set, sorted, documents in order
    udoc = unique // space
    sizes = np.bincount(udoc, minlength=len(texts)).astype(np.int64)
    ustart = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(sizes, out=ustart[1:])
    values = unique % space
    inter = np.zeros(len(pairs), dtype=np.int64)
    step = max(1, PAIR_CHUNK // max(1, int(sizes.mean()) * 2 if len(sizes) else 1))
    for lo in range(0, len(pairs), step):
        chunk = pairs[lo : lo + step]
        members = np.concatenate([chunk[:, 0], chunk[:, 1]])
        tag = np.concatenate([np.arange(len(chunk))] * 2)
        m = sizes[members]
        pos = np.repeat(ustart[members], m) + (np.arange(int(m.sum())) - np.repeat(np.cumsum(m) - m, m))
        combined = np.sort(np.repeat(tag, m) * space + values[pos])
        twice = combined[1:] == combined[:-1]
        inter[lo : lo + len(chunk)] = np.bincount(combined[1:][twice] // space, minlength=len(chunk))
    union = sizes[pairs[:, 0]] + sizes[pairs[:, 1]] - inter
    return inter, union


def similar(inter: np.ndarray, union: np.ndarray, threshold: Decimal) -> np.ndarray:
    """``inter / union ≥ threshold``, exactly: ``inter · den ≥ num · union`` in integers."""
    num, den = threshold.as_integer_ratio()
    inter = np.asarray(inter, dtype=np.int64)
    union = np.asarray(union, dtype=np.int64)
    biggest = int(max(int(inter.max(initial=0)), int(union.max(initial=0))))
    if biggest * max(num, den) >= 1 << 62:  # beyond int64: Python integers
        return np.array([int(i) * den >= num * int(u) and u > 0 for i, u in zip(inter, union, strict=True)], dtype=bool)
    return (union > 0) & (inter * den >= num * union)


def similarity_text(inter: int, union: int) -> str:
    """The similarity as a decimal string of two places, rounded down (never shown above what it is)."""
    return f"{(int(inter) * 100 // int(union)) / 100:.2f}" if union else "0.00"


@dataclass(frozen=True)
class Twin:
    i: int
    j: int
    inter: int
    union: int

    @property
    def similarity(self) -> str:
        return similarity_text(self.inter, self.union)


def confirm(texts: Sequence[str], pairs: np.ndarray, params: Params) -> list[Twin]:
    """The candidate pairs whose shingle sets are at least ``threshold`` alike."""
    inter, union = jaccard_counts(texts, pairs, params.shingle_size)
    keep = similar(inter, union, params.threshold)
    return [
        Twin(int(i), int(j), int(x), int(u))
        for (i, j), x, u in zip(np.asarray(pairs)[keep], inter[keep], union[keep], strict=True)
    ]


def find_twins(texts: Sequence[str], groups: Sequence[int], params: Params) -> list[Twin]:
    """Every pair of texts of different groups whose Jaccard similarity reaches the threshold,
    through MinHash and LSH.  A pair that LSH misses is not found — the price of not comparing
    every pair: with the defaults (threshold 0.8, 128 permutations: 9 bands of 13 rows) a pair
    of similarity 0.8 becomes a candidate with probability 0.40, 0.85 → 0.69, 0.9 → 0.93,
    0.95 → 0.999 (``1 − (1 − s¹³)⁹``); copies with a word or two changed are caught."""
    b = bands(texts, params)
    pairs = candidate_pairs(b.keys, np.asarray(groups, dtype=np.int64), b.valid)
    return confirm(texts, pairs, params)
