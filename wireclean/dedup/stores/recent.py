"""Bucket entries of an SQLite index that are not yet in its B-tree, held in memory.

Why: inserting a paragraph's band keys straight into a B-tree of random 64-bit keys
dirties one leaf per key, and the commit writes every dirtied leaf to the log -- on a
million-paragraph index that was most of a ``check_and_add``. So a new paragraph's
entries stay *recent*: the file holds its signature (and which of its bands were full),
every process derives the entries from it and keeps them here, and a *sweep* moves them
into the B-tree in key order -- each commit merges the recent entries of the next slice of
the key space, whose leaves are adjacent and take many entries each.

Where an entry is, from the one ``merge_state`` row (:class:`SweepState`):

* paragraphs with id <= ``merged_to``: all their entries are in the B-tree;
* ids in (``merged_to``, ``sweep_to``]: their entries with key < ``cursor`` are in the B-tree;
* later paragraphs: none yet.

``top`` is the highest paragraph id ever given (ids are never reused), ``removals`` how
many recent paragraphs have been removed: each process forgets those it has not yet
seen removed, so it never merges a removed paragraph's entries.

>>> import numpy as np
>>> r = RecentEntries(slots=2)
>>> r.add(np.array([1, 2]), np.array([[5, 7], [5, 9]], dtype=np.int64), np.zeros((2, 2), bool))
>>> state = SweepState(merged_to=0, sweep_to=0, cursor=KEY_MIN, top=2, removals=0)
>>> uniq = np.array([5, 8, 9], dtype=np.int64)
>>> [a.tolist() for a in r.lookup(uniq, state)]
[[0, 0, 2], [1, 2, 2]]
>>> [a.tolist() for a in r.lookup(uniq, state._replace(sweep_to=2, cursor=6))]
[[2], [2]]
>>> r.forget([1])
>>> [a.tolist() for a in r.lookup(uniq, state)]
[[0, 2], [2, 2]]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..lsh import run_offsets

KEY_MIN = -(1 << 63)   # bucket keys are stored as signed 64-bit integers
KEY_END = 1 << 63      # one past the largest


class SweepState(NamedTuple):
    merged_to: int
    sweep_to: int
    cursor: int
    top: int
    removals: int


class RecentEntries:
    """(bucket key, paragraph id) pairs in sorted numpy runs.

    A new batch is one run; a run is merged with the one before it once it is at least
    half that one's size, so there are O(log n) runs and each entry is moved O(log n) times.
    """

    def __init__(self, slots: int):
        self.slots = slots   # bucket keys per paragraph
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []  # (keys ascending, ids)
        self._gone = np.empty(0, np.int64)   # removed paragraphs still in the runs, sorted
        #: Highest paragraph id whose entries are here (or known to be in the B-tree).
        self.high = 0
        self.merged_to = 0
        #: How many removals are applied here; None: nothing loaded (or no longer trusted).
        self.removals: int | None = None

    def __len__(self) -> int:
        return sum(len(k) for k, _ in self._runs)

    def reset(self, state: SweepState) -> None:
        """Forget everything; entries above ``state.merged_to`` are to be added again."""
        self._runs = []
        self._gone = np.empty(0, np.int64)
        self.high = self.merged_to = state.merged_to
        self.removals = state.removals

    def invalidate(self) -> None:
        """After a transaction that may have left entries here that the file lacks."""
        self._runs = []
        self.removals = None

    def forget(self, ids) -> None:
        """Paragraphs removed from the index: never found or merged again."""
        ids = np.asarray(ids, dtype=np.int64)
        self._gone = np.union1d(self._gone, ids[ids > self.merged_to])

    def _alive(self, ids: np.ndarray) -> np.ndarray:
        return ~np.isin(ids, self._gone) if len(self._gone) else np.ones(len(ids), bool)

    def add(self, ids: np.ndarray, keys: np.ndarray, skip: np.ndarray) -> None:
        """Entries of paragraphs ``ids`` (ascending, above :attr:`high`): ``keys`` (n, slots)
        int64, except where ``skip`` (n, slots) is true: the bucket was full, or the entry
        is in the B-tree already."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return
        self.high = max(self.high, int(ids[-1]))
        keep = ~np.asarray(skip, dtype=bool).reshape(-1)
        flat = np.asarray(keys, dtype=np.int64).reshape(-1)[keep]
        owner = np.repeat(ids, self.slots)[keep]
        order = np.argsort(flat)   # the order of equal keys does not matter
        self._runs.append((flat[order], owner[order]))
        while len(self._runs) > 1 and 2 * len(self._runs[-1][0]) >= len(self._runs[-2][0]):
            (k1, i1), (k2, i2) = self._runs[-2], self._runs[-1]
            keys_, ids_ = np.concatenate((k1, k2)), np.concatenate((i1, i2))
            order = np.argsort(keys_, kind="stable")   # two sorted runs: one merge pass
            order = order[self._alive(ids_[order])]
            self._runs[-2:] = [(keys_[order], ids_[order])]

    def drop_through(self, merged_to: int) -> None:
        """Forget entries of paragraphs ``<= merged_to`` (a sweep put them in the B-tree)."""
        if merged_to <= self.merged_to:
            return
        self._runs = [(k[keep], i[keep]) for k, i in self._runs
                      for keep in [i > merged_to] if keep.any()]
        self._gone = self._gone[self._gone > merged_to]
        self.merged_to = merged_to
        self.high = max(self.high, merged_to)

    @staticmethod
    def _in_tree(keys: np.ndarray, ids: np.ndarray, state: SweepState) -> np.ndarray:
        return (ids <= state.merged_to) | ((ids <= state.sweep_to) & (keys < state.cursor))

    def lookup(self, uniq: np.ndarray, state: SweepState) -> tuple[np.ndarray, np.ndarray]:
        """Entries sharing a key with ``uniq`` (sorted unique int64) that are not yet in the
        B-tree: (index into ``uniq``, paragraph id) per entry."""
        found_u, found_id = [], []
        for keys, ids in self._runs:
            if len(keys) == 0:
                continue
            lo = np.searchsorted(keys, uniq, side="left")
            # Most keys are absent: find the end of a range only where one starts.
            has = np.flatnonzero(keys[np.minimum(lo, len(keys) - 1)] == uniq)
            if len(has) == 0:
                continue
            lo = lo[has]
            reps = np.searchsorted(keys, uniq[has], side="right") - lo
            found_u.append(np.repeat(has, reps))
            found_id.append(ids[np.repeat(lo, reps) + run_offsets(reps)])
        if not found_u:
            e = np.empty(0, np.int64)
            return e, e
        u, ids = np.concatenate(found_u), np.concatenate(found_id)
        keep = ~self._in_tree(uniq[u], ids, state) & self._alive(ids)
        return u[keep].astype(np.int64), ids[keep]

    def slice(self, state: SweepState, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """The sweep's entries with ``lo <= key < hi`` (keys ascending): what to merge next."""
        got_k, got_i = [], []
        for keys, ids in self._runs:
            a = np.searchsorted(keys, lo, side="left") if lo > KEY_MIN else 0
            b = np.searchsorted(keys, hi, side="left") if hi < KEY_END else len(keys)
            k, i = keys[a:b], ids[a:b]
            mine = (i > state.merged_to) & (i <= state.sweep_to) & self._alive(i)
            got_k.append(k[mine])
            got_i.append(i[mine])
        if not got_k:
            e = np.empty(0, np.int64)
            return e, e
        keys, ids = np.concatenate(got_k), np.concatenate(got_i)
        order = np.lexsort((ids, keys))
        return keys[order], ids[order]
