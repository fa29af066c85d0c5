"""Banding, verification and clustering (wireclean.dedup.lsh)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wireclean.dedup.lsh import (BandHasher, BandTable, SignatureLSH,
                                 batch_pairs, candidate_probability, cluster_labels,
                                 containment_threshold, estimate_containment,
                                 low_bits, lsh_params, sorted_bucket_keys,
                                 estimate_jaccard, keep_mask, optimal_params, score_pairs)
from wireclean.dedup.minhash import MinHasher

# A wire paragraph, its spun copy (the spinner's "USA -led" and "Russian Federation"),
# a trimmed reprint and an unrelated paragraph -- all written for these tests.
STORY = ("The USA -led coalition said on Monday that its aircraft had struck fuel depots near "
         "the port overnight, and that no civilians were reported hurt in the raids, which "
         "followed a week of shelling along the river front.")
SPUN = ("The U.S.-led coalition said on Monday that its aircraft had struck fuel depots near "
        "the port overnight, and that no civilians were reported hurt in the raids, which "
        "followed a week of shelling along the river front.")
TRIMMED = ("The U.S.-led coalition said on Monday that its aircraft had struck fuel depots near "
           "the port overnight, and that no civilians were reported hurt in the raids.")
OTHER = ("Grain prices in Chicago slipped for a third day as traders weighed forecasts of rain "
         "across the plains against slower export sales to buyers in Asia, dealers said.")


def signatures(*texts):
    hasher = MinHasher()
    sigs = hasher.signatures(list(texts))
    sizes = np.array([max(len(hasher.shingles(t)), 1) for t in texts])
    return sigs, sizes


# ---------------------------------------------------------------- parameters

@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7, 0.8, 0.9])
@pytest.mark.parametrize("weights", [(0.5, 0.5), (0.1, 0.9)])
def test_optimal_params_choose_what_datasketch_chooses(threshold, weights):
    from datasketch.lsh import _optimal_param

    assert optimal_params(threshold, 128, weights) == _optimal_param(threshold, 128, *weights)


def test_optimal_params_for_other_widths_match_datasketch():
    from datasketch.lsh import _optimal_param

    for num_perm in (16, 64, 200):
        assert optimal_params(0.8, num_perm, (0.5, 0.5)) == _optimal_param(0.8, num_perm, 0.5, 0.5)


def test_index_banding_reaches_below_the_threshold():
    # Candidates are verified, so the banding should rarely miss a pair at the threshold,
    # and should reach trimmed copies (Jaccard 0.7, containment 1.0) too.
    b, r = lsh_params(0.8, 128)
    assert b * r <= 128
    assert candidate_probability(0.8, b, r) > 0.99
    assert candidate_probability(0.7, b, r) > 0.9
    assert candidate_probability(0.3, b, r) < 0.02


def test_optimal_params_refuses_a_threshold_outside_0_1():
    with pytest.raises(ValueError, match="threshold"):
        optimal_params(1.0, 128)


# ---------------------------------------------------------------- band keys

def test_band_keys_are_deterministic_per_seed_and_differ_across_seeds():
    sigs = np.random.default_rng(3).integers(0, 2**32, size=(5, 128), dtype=np.uint64).astype(np.uint32)
    a = BandHasher(14, 9, seed=1).keys(sigs)
    assert np.array_equal(a, BandHasher(14, 9, seed=1).keys(sigs))
    assert not np.array_equal(a, BandHasher(14, 9, seed=2).keys(sigs))


def test_band_key_changes_only_in_the_band_whose_values_changed():
    sigs = np.random.default_rng(4).integers(0, 2**32, size=(1, 128), dtype=np.uint64).astype(np.uint32)
    edited = sigs.copy()
    edited[0, 20] ^= 1                       # row 20 lies in band 2 (rows 18..26)
    h = BandHasher(14, 9)
    same = h.keys(sigs)[0] == h.keys(edited)[0]
    assert same.tolist() == [i != 2 for i in range(14)]


def test_band_keys_do_not_collide_between_bands_of_equal_values():
    sigs = np.full((1, 128), 7, dtype=np.uint32)
    keys = BandHasher(14, 9).keys(sigs)[0]
    assert len(set(keys.tolist())) == 14


# ---------------------------------------------------------------- verification

def test_jaccard_estimate_corrects_for_chance_agreement_of_truncated_values():
    # Pairs sharing half their values (J = 0.5); kept to 4 bits, unrelated values also
    # agree 1 time in 16, which would read as J = 0.53 without the correction.
    rng = np.random.default_rng(5)
    a = rng.integers(0, 2**32, size=(2000, 128), dtype=np.uint64).astype(np.uint32)
    b = rng.integers(0, 2**32, size=(2000, 128), dtype=np.uint64).astype(np.uint32)
    b[:, :64] = a[:, :64]
    assert estimate_jaccard(a, b).mean() == pytest.approx(0.5, abs=1e-6)
    assert estimate_jaccard(a & 0xF, b & 0xF, bits=4).mean() == pytest.approx(0.5, abs=0.005)
    assert estimate_jaccard(a & 0xFFFF, b & 0xFFFF, bits=16).mean() == pytest.approx(0.5, abs=0.001)


def test_containment_from_jaccard_and_sizes_is_exact_for_exact_jaccard():
    a = set(range(0, 100))
    b = set(range(40, 100))          # b is a trimmed a
    c = set(range(50, 170))          # c overlaps a on 50
    for x, y in ((a, b), (a, c), (b, c)):
        j = len(x & y) / len(x | y)
        got = estimate_containment(np.array([j]), np.array([len(x)]), np.array([len(y)]))[0]
        assert got == pytest.approx(len(x & y) / min(len(x), len(y)))


def test_score_equals_jaccard_for_equal_sizes_and_one_for_a_subset():
    j = np.array([0.85])
    assert score_pairs(j, estimate_containment(j, np.array([50]), np.array([50])))[0] == pytest.approx(0.85)
    assert score_pairs(np.array([0.6]), np.array([1.0]))[0] == pytest.approx(1.0)
    assert containment_threshold(0.8) == pytest.approx(16 / 18)


# ---------------------------------------------------------------- band table

def brute_lookup(stored_keys, stored_ids, query_keys):
    out = set()
    for pos, k in enumerate(query_keys.tolist()):
        for sk, sid in zip(stored_keys, stored_ids):
            if sk == k:
                out.add((pos, sid))
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 40), min_size=0, max_size=30), min_size=1, max_size=12),
       st.lists(st.integers(0, 45), min_size=1, max_size=30))
def test_band_table_finds_exactly_the_entries_with_the_key(batches, query):
    table = BandTable()
    stored_keys, stored_ids, next_id = [], [], 0
    for keys in batches:
        keys = sorted(keys)
        ids = list(range(next_id, next_id + len(keys)))
        next_id += len(keys)
        table.add(np.array(keys, dtype=np.uint64), np.array(ids, dtype=np.int64))
        stored_keys += keys
        stored_ids += ids
    q = np.array(sorted(query), dtype=np.uint64)
    pos, ids, count = table.lookup(q)
    assert set(zip(pos.tolist(), ids.tolist())) == brute_lookup(stored_keys, stored_ids, q)
    assert count.tolist() == [stored_keys.count(k) for k in q.tolist()]


def test_band_table_large_runs_use_their_directory_correctly():
    rng = np.random.default_rng(6)
    # Four runs merged into one with a directory, counted in several slices.
    keys = np.sort(rng.integers(0, 2**32, size=600_000, dtype=np.uint64))
    keys[1000:1040] = keys[1000]            # a key with many entries
    table = BandTable()
    for lo in range(0, len(keys), 150_000):
        chunk = keys[lo:lo + 150_000]
        table.add(chunk, np.arange(lo, lo + len(chunk)))
    assert table.runs == 1 and table._runs[0].directory is not None
    probe = np.sort(np.concatenate([keys[::997], rng.integers(0, 2**32, 3000, dtype=np.uint64)]))
    pos, ids, count = table.lookup(probe)
    expect = np.searchsorted(keys, probe, side="right") - np.searchsorted(keys, probe, side="left")
    assert count.tolist() == expect.tolist()
    assert np.array_equal(keys[ids], probe[pos])


def test_band_table_drops_removed_entries_when_runs_merge():
    table = BandTable()
    alive = np.ones(16, dtype=bool)
    alive[3] = False
    is_alive = lambda ids: alive[ids]           # noqa: E731
    for i in range(0, 16, 4):
        table.add(np.array([1, 1, 2, 5][: 4], dtype=np.uint64), np.arange(i, i + 4), is_alive)
    assert len(table) == 15
    pos, ids, _ = table.lookup(np.array([5], dtype=np.uint64), is_alive)
    assert sorted(ids.tolist()) == [7, 11, 15]


# ---------------------------------------------------------------- streaming LSH

def test_spun_copy_matches_its_original_and_unrelated_text_does_not():
    sigs, sizes = signatures(STORY, OTHER, SPUN)
    lsh = SignatureLSH(threshold=0.8)
    ids, pairs = lsh.insert(sigs, sizes)
    assert ids.tolist() == [0, 1, 2]
    assert list(zip(pairs.row.tolist(), pairs.id.tolist())) == [(2, 0)]
    assert pairs.jaccard[0] == pytest.approx(1.0)


def test_trimmed_reprint_matches_by_containment_below_the_jaccard_bar():
    sigs, sizes = signatures(STORY, TRIMMED)
    lsh = SignatureLSH(threshold=0.8)
    lsh.insert(sigs[:1], sizes[:1])
    found = lsh.query(sigs[1:], sizes[1:])
    assert found.id.tolist() == [0]
    assert found.jaccard[0] < 0.8 <= found.score[0]
    assert found.containment[0] > 0.95


def test_a_shared_bucket_alone_is_never_reported():
    # Two signatures equal in band 0 only: a candidate, but Jaccard ~ 6/128.
    rng = np.random.default_rng(8)
    a = rng.integers(0, 2**32, size=(1, 128), dtype=np.uint64).astype(np.uint32)
    b = rng.integers(0, 2**32, size=(1, 128), dtype=np.uint64).astype(np.uint32)
    lsh = SignatureLSH(threshold=0.8)
    b[0, :lsh.rows] = a[0, :lsh.rows]
    lsh.insert(a, [50])
    assert len(lsh.query(b, [50]).row) == 0
    assert len(lsh.query(a, [50]).row) == 1


def near_copies(n_base=300, copies=3, seed=11):
    """Random signatures plus edited copies: (signatures, list of (copy row, base row))."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**32, size=(n_base, 128), dtype=np.uint64).astype(np.uint32)
    rows, truth = [base], []
    for c in range(copies):
        picked = rng.choice(n_base, size=n_base // 3, replace=False)
        copy = base[picked].copy()
        # Replace 0-8 values: Jaccard estimate of 0.94-1.0, well above 0.8.
        for i in range(len(copy)):
            k = rng.integers(0, 9)
            copy[i, rng.choice(128, size=k, replace=False)] = rng.integers(0, 2**32, size=k)
        start = n_base + c * (n_base // 3)
        truth += [(start + i, int(p)) for i, p in enumerate(picked)]
        rows.append(copy)
    return np.vstack(rows), truth


def test_each_row_matches_only_earlier_rows_and_finds_its_source():
    sigs, truth = near_copies()
    lsh = SignatureLSH(threshold=0.8)
    _, pairs = lsh.insert(sigs, np.full(len(sigs), 60))
    found = set(zip(pairs.row.tolist(), pairs.id.tolist()))
    assert all(r > i for r, i in found)
    assert {t for t in truth} <= found
    assert np.all(pairs.score >= 0.8)


def test_one_batch_or_one_row_at_a_time_give_the_same_pairs():
    sigs, _ = near_copies(n_base=120, copies=2, seed=12)
    sizes = np.full(len(sigs), 60)
    whole = SignatureLSH(threshold=0.8)
    _, p = whole.insert(sigs, sizes)
    batch_pairs_found = set(zip(p.row.tolist(), p.id.tolist()))
    single = SignatureLSH(threshold=0.8)
    one_by_one = set()
    for lo in range(0, len(sigs), 7):
        ids, p = single.insert(sigs[lo:lo + 7], sizes[lo:lo + 7])
        one_by_one |= {(lo + r, i) for r, i in zip(p.row.tolist(), p.id.tolist())}
    assert batch_pairs_found == one_by_one


def test_rows_of_one_group_are_not_matched_with_each_other():
    sigs, sizes = signatures(STORY, SPUN, STORY)
    lsh = SignatureLSH(threshold=0.8)
    _, pairs = lsh.insert(sigs, sizes, groups=[0, 0, 1])
    assert sorted(zip(pairs.row.tolist(), pairs.id.tolist())) == [(2, 0), (2, 1)]


def test_matches_are_best_first_per_row():
    sigs, sizes = signatures(TRIMMED, STORY, SPUN)
    lsh = SignatureLSH(threshold=0.8)
    lsh.insert(sigs[:2], sizes[:2])
    found = lsh.query(sigs[2:], sizes[2:])
    assert found.id.tolist() == [1, 0]          # the exact copy before the trimmed one
    assert found.score[0] >= found.score[1]


def test_a_bucket_keeps_its_first_entries_only_but_still_matches():
    sig = np.random.default_rng(9).integers(0, 2**32, size=(1, 128), dtype=np.uint64).astype(np.uint32)
    lsh = SignatureLSH(threshold=0.8, bucket_cap=5)
    for _ in range(4):
        lsh.insert(np.repeat(sig, 50, axis=0), np.full(50, 40))
    assert len(lsh) == 200
    assert len(lsh._table) == 5 * lsh.bands      # one bucket per band, each capped at 5
    found = lsh.query(sig, [40])
    assert found.id.tolist() == [0, 1, 2, 3, 4]   # the earliest copies


def test_removed_items_are_not_reported_and_len_counts_live_items():
    sigs, sizes = signatures(STORY, OTHER)
    lsh = SignatureLSH(threshold=0.8)
    lsh.insert(sigs, sizes)
    assert lsh.remove([0]) == 1 and lsh.remove([0]) == 0
    assert len(lsh) == 1
    assert len(lsh.query(sigs[:1], sizes[:1]).row) == 0
    assert lsh.query(sigs[1:], sizes[1:]).id.tolist() == [1]


def test_insert_checks_shapes():
    lsh = SignatureLSH(threshold=0.8)
    with pytest.raises(ValueError, match="shape"):
        lsh.insert(np.zeros((2, 64), np.uint32), [1, 1])
    with pytest.raises(ValueError, match="shingle counts"):
        lsh.insert(np.zeros((2, 128), np.uint32), [1])


def test_batch_pairs_caps_the_earlier_rows_per_key():
    keys = np.full((10, 1), 3, dtype=np.uint64)
    later, earlier, rank = batch_pairs(keys, None, cap=2)
    assert rank[:, 0].tolist() == list(range(10))
    assert sorted(set(earlier.tolist())) == [0, 1]
    assert len(later) == 1 + 2 * 8


# ---------------------------------------------------------------- clustering

def test_clusters_come_only_from_the_edges_given():
    labels = cluster_labels(6, [1, 2, 4], [0, 1, 5])
    assert labels.tolist() == [0, 0, 0, 3, 4, 4]


def test_cluster_labels_match_a_reference_union_find_on_random_graphs():
    # Clusters decide what --drop keeps: they must be exactly the connected components.
    rng = np.random.default_rng(3)
    for n, m in ((50, 30), (400, 600), (2000, 1500)):
        a, b = rng.integers(0, n, m), rng.integers(0, n, m)
        parent = list(range(n))

        def find(x):
            while parent[x] != x:
                x = parent[x]
            return x
        for x, y in zip(a.tolist(), b.tolist()):
            rx, ry = find(x), find(y)
            parent[max(rx, ry)] = min(rx, ry)
        expected = [find(x) for x in range(n)]
        smallest = {}
        for x, r in enumerate(expected):
            smallest.setdefault(r, x)
        assert cluster_labels(n, a, b).tolist() == [smallest[r] for r in expected]


def test_cluster_labels_rejects_edges_outside_the_items():
    with pytest.raises(ValueError, match="items 0..2"):
        cluster_labels(3, [0], [3])


def test_keep_policies():
    labels = cluster_labels(4, [1, 2], [0, 0])     # one cluster {0,1,2}, alone {3}
    assert keep_mask(labels).tolist() == [True, False, False, True]
    dates = ["2024-03-02", "2024-03-01", None, None]
    assert keep_mask(labels, "earliest", dates=dates).tolist() == [False, True, False, True]
    assert keep_mask(labels, "longest", lengths=[5, 9, 9, 1]).tolist() == [False, True, False, True]
    with pytest.raises(ValueError, match="keep policy"):
        keep_mask(labels, "newest")
    with pytest.raises(ValueError, match="one date per item"):
        keep_mask(labels, "earliest")


def test_matches_do_not_depend_on_batch_boundaries_when_buckets_are_full():
    # --jobs 2 cuts the stream into other batches than --jobs 1; a popular paragraph
    # (more copies than the bucket cap) must still be compared with the same earlier
    # copies, or the report would change with --jobs.
    rng = np.random.default_rng(5)
    base = rng.integers(0, 2**32, size=(3, 128), dtype=np.uint64).astype(np.uint32)
    sigs = base[rng.integers(0, 3, 60)].copy()
    sigs[:, :10] = rng.integers(0, 2**32, size=(60, 10), dtype=np.uint64)  # near, not exact
    counts = np.full(60, 50)

    def pairs(cuts):
        lsh = SignatureLSH(threshold=0.8, bucket_cap=4)
        out = set()
        for lo, hi in zip([0] + cuts, cuts + [60]):
            _, v = lsh.insert(sigs[lo:hi], counts[lo:hi])
            out |= {(lo + r, i) for r, i in zip(v.row.tolist(), v.id.tolist())}
        return out

    whole = pairs([])
    assert whole and all(len({i for r, i in whole if r == row}) <= 4 for row in range(60))
    for cuts in ([7], [1, 2, 3, 30], [13, 26, 39, 52], list(range(1, 60))):
        assert pairs(cuts) == whole


def test_batches_prepared_elsewhere_match_exactly_as_raw_ones():
    # --jobs workers send band keys and 8-bit signatures instead of full signatures;
    # the index must find the same pairs with the same scores either way.
    rng = np.random.default_rng(9)
    base = rng.integers(0, 2**32, size=(5, 128), dtype=np.uint64).astype(np.uint32)
    sigs = base[rng.integers(0, 5, 40)].copy()
    sigs[:, 100:] = rng.integers(0, 2**32, size=(40, 28), dtype=np.uint64)
    counts = rng.integers(20, 80, 40)
    raw, mixed = SignatureLSH(threshold=0.7), SignatureLSH(threshold=0.7)
    raw.insert(sigs[:15], counts[:15])
    mixed.insert(sigs[:15], counts[:15])
    _, a = raw.insert(sigs[15:], counts[15:])
    keys = sorted_bucket_keys(BandHasher(mixed.bands, mixed.rows, 1), sigs[15:])
    _, b = mixed.insert(low_bits(sigs[15:]), counts[15:], band_keys=keys)
    assert np.isin(a.id, np.arange(15)).any()      # pairs across the two batches
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    q = sigs[:3]
    keys = sorted_bucket_keys(BandHasher(raw.bands, raw.rows, 1), q)
    a, b = raw.query(q, counts[:3]), mixed.query(low_bits(q), counts[:3], band_keys=keys)
    assert len(a.row) and all(np.array_equal(x, y) for x, y in zip(a, b))
