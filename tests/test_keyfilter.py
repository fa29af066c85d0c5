"""The key filter that spares an SQLite index's B-tree the lookups of keys it lacks."""

from __future__ import annotations

import numpy as np

from wireclean.dedup.stores.keyfilter import (CHUNKS, KeyFilter, build, chunk_of,
                                              merge, merged_since)
from wireclean.dedup.stores.recent import KEY_END, KEY_MIN, SweepState


def random_keys(n: int, seed: int, chunks: int = 4) -> np.ndarray:
    """Keys spread over the first ``chunks`` chunks (a small filter grows quickly)."""
    rng = np.random.default_rng(seed)
    flipped = rng.integers(0, 2**64, size=n, dtype=np.uint64) >> np.uint64(
        (CHUNKS // chunks).bit_length() - 1)
    return np.sort((flipped ^ np.uint64(1 << 63)).view(np.int64))


def grow(batches: list[np.ndarray]) -> tuple[dict, np.ndarray]:
    """Merge key batches as sweeps do, building chunks afresh from every key so far when
    asked to: the rows, and every key put in."""
    rows: dict[int, tuple[int, bytes]] = {}
    held = np.empty(0, np.int64)
    for keys in batches:
        held = np.union1d(held, keys)
        changed, to_build = merge(keys, rows)
        for c, n, w in changed:
            rows[c] = (n, w)
        for c in to_build:
            rows[c] = build(held[chunk_of(held) == c])
    return rows, held


def test_a_filter_grown_from_empty_holds_every_key_and_few_others():
    batches = [random_keys(n, seed) for seed, n in enumerate([3, 50, 700, 4000, 20000, 60000, 100])]
    rows, held = grow(batches)
    f = KeyFilter()
    f.update((c, w) for c, (_, w) in rows.items())
    assert f.may_hold(held).all()                      # never "absent" for a stored key
    others = np.setdiff1d(random_keys(200_000, seed=99), held)
    assert f.may_hold(others).mean() < 0.04            # 0.2-2.5 % by design
    # Rows stay sized to their keys: about 8 to 16 bits each.
    total_bits = sum(len(w) * 8 for _, w in rows.values())
    assert 8 * len(held) <= total_bits <= 17 * len(held)


def test_keys_already_held_change_no_row():
    keys = random_keys(500, seed=1, chunks=1)
    rows, _ = grow([keys])
    assert merge(keys[::3], rows) == ([], [])


def test_chunks_without_a_row_are_unknown_and_let_every_key_through():
    f = KeyFilter()
    keys = random_keys(1000, seed=2, chunks=CHUNKS)
    assert f.may_hold(keys).all()
    rows, _ = grow([keys[chunk_of(keys) == 7]])
    f.update(((c, w) for c, (_, w) in rows.items()), read=range(CHUNKS))
    elsewhere = keys[chunk_of(keys) != 7]
    assert f.may_hold(elsewhere).all()
    assert len(f.missing(keys)) == 0


def test_updated_rows_answer_like_a_fresh_load():
    """Rows re-read one at a time (some grown, placed elsewhere, then repacked) give the
    same answers as reading them all afresh."""
    batches = [random_keys(n, seed) for seed, n in enumerate([40, 400, 4000, 40000, 90])]
    probe = random_keys(50_000, seed=7)
    live = KeyFilter()
    rows: dict[int, tuple[int, bytes]] = {}
    held = np.empty(0, np.int64)
    for keys in batches:
        held = np.union1d(held, keys)
        changed, to_build = merge(keys, rows)
        changed += [(c, *build(held[chunk_of(held) == c])) for c in to_build]
        for c, n, w in changed:
            rows[c] = (n, w)
        live.update((c, w) for c, _, w in changed)
        fresh = KeyFilter()
        fresh.update((c, w) for c, (_, w) in rows.items())
        assert (live.may_hold(probe) == fresh.may_hold(probe)).all()
        assert live.may_hold(held).all()


def test_merged_since_names_the_ranges_a_sweep_covered():
    s = SweepState(merged_to=10, sweep_to=20, cursor=-5, top=25, removals=0)
    assert merged_since(s, s) == []
    assert merged_since(s, s._replace(cursor=100, top=30)) == [(-5, 100)]
    # The sweep ended and the next one got to 100.
    assert merged_since(s, s._replace(merged_to=20, sweep_to=30, cursor=100)) == [
        (-5, KEY_END), (KEY_MIN, 100)]
    # No sweep was running; one started.
    idle = SweepState(merged_to=20, sweep_to=20, cursor=KEY_MIN, top=20, removals=0)
    assert merged_since(idle, idle._replace(sweep_to=30, cursor=9)) == [(KEY_MIN, 9)]
    # A whole sweep or more went by, or the file went back: anywhere.
    assert merged_since(s, s._replace(merged_to=30, sweep_to=40, cursor=0)) is None
    assert merged_since(s, s._replace(cursor=-9)) is None
