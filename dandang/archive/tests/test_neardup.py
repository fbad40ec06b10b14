"""The near-duplicate kernel: signatures identical to datasketch's, LSH bands and candidates as
datasketch's MinHashLSH finds them, exact Jaccard and threshold, Chinese text without segmentation."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from dandang.archive import neardup
from dandang.archive.neardup import Params
from dandang.core.rulebooks import shipped_rulebook

RULE = shipped_rulebook("archive").content.near_duplicate
DEFAULT = Params(shingle_size=RULE.shingle_size, threshold=RULE.threshold, num_perm=RULE.num_perm)

FLOOD = (
    "2024年7月强降雨期间，牵头组织青山镇防汛抢险，连续72小时驻守东湖水库大坝，"
    "转移安置群众1260人，加固堤防3.5公里，排除险情11处，全镇实现零伤亡。"
)
FLOOD_ONE_CHAR = FLOOD.replace("1260人", "1280人")
INVEST = (
    "全年招商引资签约项目8个，其中亿元以上项目3个，引进浙江某新材料企业落户开发区，"
    "实际到位资金4.2亿元，新增就业岗位650个，带动园区产值增长18%。"
)
PETITION = (
    "化解信访积案17件，其中越级访5件，对王某某土地征收补偿纠纷开展包案化解，"
    "三次入户走访，协调落实补偿款23万元，当事人签署息访承诺书。"
)
TEXTS = [FLOOD, FLOOD_ONE_CHAR, INVEST, PETITION, "", "……", "短", "乡村振兴"]


def datasketch_signature(hashes: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda v: v)
    if len(hashes):
        m.update_batch([int(h) for h in hashes])
    return m.hashvalues


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 7), (256, 42)])
def test_signatures_are_identical_to_datasketch_for_the_same_shingle_hashes(num_perm, seed):
    s = neardup.shingles(TEXTS, 3)
    ours = neardup.signatures_from_hashes(s.hashes, s.starts, num_perm, seed)
    assert ours.shape == (len(TEXTS), num_perm)
    assert ours.dtype == np.uint32
    for d in range(len(TEXTS)):
        expected = datasketch_signature(s.hashes[s.starts[d] : s.starts[d + 1]], num_perm, seed)
        assert np.array_equal(ours[d], expected), TEXTS[d]


def test_signatures_are_identical_across_blocks_of_the_batch(monkeypatch):
    """Documents computed in many small blocks (and one longer than a block) give the same
    signatures as datasketch, one MinHash per document."""
    monkeypatch.setattr(neardup, "BLOCK_SHINGLES", 50)
    texts = [FLOOD * 3, INVEST, PETITION, "", FLOOD_ONE_CHAR, "乡村振兴" * 40]
    s = neardup.shingles(texts, 3)
    ours = neardup.signatures_from_hashes(s.hashes, s.starts, 128)
    for d in range(len(texts)):
        assert np.array_equal(ours[d], datasketch_signature(s.hashes[s.starts[d] : s.starts[d + 1]], 128, 1))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**32 - 1), max_size=40), min_size=1, max_size=8))
def test_signatures_equal_datasketch_for_any_hashes(docs):
    hashes = np.array([h for doc in docs for h in doc], dtype=np.uint32)
    starts = np.cumsum([0, *map(len, docs)]).astype(np.int64)
    ours = neardup.signatures_from_hashes(hashes, starts, 64)
    for d, doc in enumerate(docs):
        assert np.array_equal(ours[d], datasketch_signature(np.array(doc, dtype=np.uint32), 64, 1))


def test_bands_and_rows_are_those_datasketch_chooses_for_the_threshold():
    lsh = MinHashLSH(threshold=float(DEFAULT.threshold), num_perm=DEFAULT.num_perm)
    assert (DEFAULT.bands, DEFAULT.rows) == (lsh.b, lsh.r) == (9, 13)
    lower = Params(3, Decimal("0.5"), 128)
    assert (lower.bands, lower.rows) == (
        MinHashLSH(threshold=0.5, num_perm=128).b,
        MinHashLSH(threshold=0.5, num_perm=128).r,
    )


def test_candidate_pairs_are_those_datasketch_minhashlsh_returns():
    """Same signatures into MinHashLSH (insert all, query each): the same candidate pairs."""
    rng = np.random.default_rng(3)
    base = [FLOOD, INVEST, PETITION]
    texts = []
    for i in range(60):
        text = list(base[i % 3])
        for pos in rng.choice(len(text), size=int(rng.integers(0, 6)), replace=False):
            text[pos] = "甲乙丙丁戊己庚辛"[int(rng.integers(0, 8))]
        texts.append("".join(text))
    groups = np.arange(len(texts)) % 7
    s = neardup.shingles(texts, 3)
    sig = neardup.signatures_from_hashes(s.hashes, s.starts, 128)
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    minhashes = [MinHash(num_perm=128, hashvalues=sig[d], scheme="affine32") for d in range(len(texts))]
    for d, m in enumerate(minhashes):
        lsh.insert(d, m)
    expected = {
        (min(d, e), max(d, e))
        for d, m in enumerate(minhashes)
        for e in lsh.query(m)
        if e != d and groups[d] != groups[e]
    }
    keys = neardup.band_keys_from_signatures(sig, DEFAULT)
    ours = {tuple(map(int, p)) for p in neardup.candidate_pairs(keys, groups)}
    assert ours == expected
    assert len(ours) > 50  # the variants of one text meet


def test_candidate_pairs_in_slices_are_the_same(monkeypatch):
    keys = np.array([[1, 2], [1, 3], [1, 2], [4, 3], [1, 9]], dtype=np.int64)
    groups = np.array([1, 2, 3, 4, 5])
    whole = neardup.candidate_pairs(keys, groups)
    monkeypatch.setattr(neardup, "PAIR_CHUNK", 1)
    assert np.array_equal(neardup.candidate_pairs(keys, groups), whole)
    assert [tuple(p) for p in whole] == [(0, 1), (0, 2), (0, 4), (1, 2), (1, 3), (1, 4), (2, 4)]


def test_one_changed_character_makes_twins_and_different_achievements_do_not():
    twins = neardup.find_twins(TEXTS, list(range(len(TEXTS))), DEFAULT)
    assert [(t.i, t.j) for t in twins] == [(0, 1)]
    twin = twins[0]
    assert Decimal(twin.inter) / Decimal(twin.union) >= Decimal("0.8")
    assert twin.similarity == neardup.similarity_text(twin.inter, twin.union)


def test_the_same_group_is_never_a_twin():
    assert neardup.find_twins([FLOOD, FLOOD, FLOOD_ONE_CHAR], [5, 5, 5], DEFAULT) == []
    found = neardup.find_twins([FLOOD, FLOOD, FLOOD_ONE_CHAR], [5, 5, 6], DEFAULT)
    assert sorted((t.i, t.j) for t in found) == [(0, 2), (1, 2)]


def test_empty_descriptions_are_nobodys_twins():
    assert neardup.find_twins(["", "", "。，！", "  "], [1, 2, 3, 4], DEFAULT) == []
    assert not neardup.bands(["。，"], DEFAULT).valid[0]


def test_normalisation_folds_width_case_space_and_punctuation():
    assert neardup.normalise("  转移群众１２６０人，ＡＢＣ。\n新增 650 个！") == "转移群众1260人abc新增650个"
    a, b = "转移群众１２６０人，加固堤防。", "转移群众 1260 人加固堤防"
    inter, union = neardup.jaccard_counts([a, b], np.array([[0, 1]]), 3)
    assert inter[0] == union[0] > 0


def test_jaccard_counts_and_the_threshold_are_exact_at_the_boundary():
    # With 1-shingles: {a,b,c,d} vs {a,b,c,d,e}: 4/5 = 0.8 exactly.
    inter, union = neardup.jaccard_counts(["abcd", "abcde"], np.array([[0, 1]]), 1)
    assert (inter[0], union[0]) == (4, 5)
    assert neardup.similar(inter, union, Decimal("0.8"))[0]
    assert not neardup.similar(inter, union, Decimal("0.80000000000000000001"))[0]
    assert neardup.similar(inter, union, Decimal("0.79999999999999999999"))[0]
    # Beyond int64 the comparison falls back to Python integers, still exact.
    assert neardup.similar(np.array([4]), np.array([5]), Decimal("0.8"))[0]
    assert neardup.similar(np.array([0]), np.array([0]), Decimal("0.5")).tolist() == [False]
    p = Params(1, Decimal("0.8"), 128)
    assert [(t.inter, t.union) for t in neardup.confirm(["abcd", "abcde"], np.array([[0, 1]]), p)] == [(4, 5)]
    q = Params(1, Decimal("0.81"), 128)
    assert neardup.confirm(["abcd", "abcde"], np.array([[0, 1]]), q) == []


def test_the_shingle_size_changes_the_outcome():
    """The same characters in another order: twins with 1-shingles, strangers with 3-shingles."""
    a = "防汛抢险转移群众加固堤防排除险情"
    b = "排除险情加固堤防转移群众防汛抢险"
    pairs = np.array([[0, 1]])
    assert neardup.confirm([a, b], pairs, Params(1, Decimal("0.8"), 128))
    assert not neardup.confirm([a, b], pairs, Params(3, Decimal("0.8"), 128))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet="防汛抢险招商引资12３,， ", max_size=14), min_size=2, max_size=6),
    st.integers(1, 6),
)
def test_jaccard_counts_equal_python_sets(texts, k):
    def shingle_set(text: str) -> set[str]:
        t = neardup.normalise(text)
        if not t:
            return set()
        if len(t) < k:
            return {t}
        return {t[i : i + k] for i in range(len(t) - k + 1)}

    pairs = np.array([(i, j) for i in range(len(texts)) for j in range(i + 1, len(texts))], dtype=np.int64)
    inter, union = neardup.jaccard_counts(texts, pairs, k)
    for (i, j), x, u in zip(pairs, inter, union, strict=True):
        a, b = shingle_set(texts[i]), shingle_set(texts[j])
        assert (x, u) == (len(a & b), len(a | b))


def test_shingle_hashes_are_deterministic_values():
    """Pinned values: the same in every process (no Python hash(), no random seed)."""
    hashes, starts = neardup.shingle_hashes(["防汛抗旱", "ab"], 3)
    assert starts.tolist() == [0, 2, 3]
    assert hashes.tolist() == PINNED
    assert neardup.Params(3, Decimal("0.8"), 128).salt == PINNED_SALT


PINNED = [525810367, 1428030972, 2953260384]
PINNED_SALT = 8894762242501085324
