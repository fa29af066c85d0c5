"""Which bucket keys an SQLite index's B-tree may hold: a Bloom filter kept in the file.

Why: an article's lookup asks the B-tree for every key it looks up -- about 435 for a
19-paragraph article with sentence keys -- and each probe walks to a random leaf of a
B-tree of tens of millions of entries (2-5 µs on a million paragraphs), while nearly all
of them find nothing: the keys of a new paragraph. A filter that says "certainly absent"
for most of those keys leaves the B-tree only the few that may be there.

Layout: the key space, in signed order, is cut into ``CHUNKS`` equal slices, and each slice
has its own filter, one row of the ``key_filter`` table::

    key_filter(chunk INTEGER PRIMARY KEY, keys INTEGER, words BLOB)
        -- keys: how many keys it holds (as counted: a key that seemed held is not)
        -- words: little-endian uint64; a key sets ``BITS_PER_KEY`` bits of one word

A slice with no row is *unknown*: its keys are looked up in the B-tree, as without a filter.
Entries reach the B-tree only in sweeps (recent.py), in key order, so the transaction that
merges a slice of the key space also updates the rows of the chunks it covers: it sets the
bits of the keys it merged, or builds the row afresh from the B-tree when the chunk has no
row yet or has grown past ``MIN_BITS`` bits per key. So at every commit each row holds at
least the keys its slice of the B-tree holds: the filter can say "present" wrongly (for
0.2-2.5 % of absent keys), never "absent". Removing entries leaves their bits: harmless.

Each process keeps a copy (:class:`KeyFilter`), reads a chunk's row the first time it
looks up a key there, and re-reads only the rows of the key ranges that sweeps merged since
it last looked (:func:`merged_since`).

>>> keys = np.array([5, -7, 1 << 40, -(1 << 62)], dtype=np.int64)
>>> f = KeyFilter()
>>> f.may_hold(keys).tolist()                     # every chunk unknown
[True, True, True, True]
>>> chunks = chunk_of(keys)
>>> f.update((int(c), build(keys[chunks == c])[1]) for c in np.unique(chunks))
>>> f.missing(keys).tolist()
[]
>>> f.may_hold(keys).tolist()
[True, True, True, True]
>>> others = np.random.default_rng(0).integers(-2**63, 2**63 - 1, 100_000, dtype=np.int64)
>>> bool(f.may_hold(others[np.isin(chunk_of(others), chunks)]).any())
False
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from ..minhash import _fmix64
from .recent import KEY_END, KEY_MIN, SweepState

#: Slices of the key space with a row each: 2^16 keeps a row under 1 KB on a million
#: paragraphs (one page), and building one afresh reads ~400 keys from the B-tree (0.1 ms).
CHUNK_BITS = 16
CHUNKS = 1 << CHUNK_BITS
_SHIFT = 64 - CHUNK_BITS
#: Bits set per key, all in one 64-bit word (one memory access to test a key).
BITS_PER_KEY = 4
#: A row is built with about BUILD_BITS bits per key it holds, and rebuilt (from the
#: B-tree) once more keys than MIN_BITS bits each have been put in: absent keys then pass
#: 0.2-2.5 % of the time, and the filter takes about 11 bits (1.4 bytes) per key. Each key
#: is read back from the B-tree about twice over the life of an index.
BUILD_BITS = 16
MIN_BITS = 8

_SIGN = np.uint64(1 << 63)
_U64 = np.dtype("<u8")


def chunk_of(keys: np.ndarray) -> np.ndarray:
    """The chunk of each int64 key (chunks follow the keys' signed order)."""
    return ((np.asarray(keys, np.int64).view(np.uint64) ^ _SIGN) >> np.uint64(_SHIFT)).astype(np.int64)


def chunk_bounds(chunk: int) -> tuple[int, int]:
    """The int64 keys of ``chunk``: ``lo <= key < hi``."""
    return KEY_MIN + (chunk << _SHIFT), KEY_MIN + ((chunk + 1) << _SHIFT)


def chunks_between(lo: int, hi: int) -> tuple[int, int]:
    """First and last chunk holding keys ``lo <= key < hi`` (``hi > lo``)."""
    return (lo - KEY_MIN) >> _SHIFT, (hi - 1 - KEY_MIN) >> _SHIFT


def _places(keys: np.ndarray, sizes) -> tuple[np.ndarray, np.ndarray]:
    """(word index, bit mask) of each int64 key in a row of ``sizes`` words (one number,
    or one per key): the word from the 32 bits of the key below the chunk bits, the bits
    from a mix of the whole key."""
    u = np.asarray(keys, np.int64).view(np.uint64)
    below = ((u << np.uint64(CHUNK_BITS)) >> np.uint64(32))
    word = (below * np.asarray(sizes, np.uint64)) >> np.uint64(32)
    h = _fmix64(u.copy())
    mask = np.zeros(len(u), np.uint64)
    for i in range(BITS_PER_KEY):
        mask |= np.uint64(1) << ((h >> np.uint64(6 * i)) & np.uint64(63))
    return word.astype(np.int64), mask


def build(keys: np.ndarray) -> tuple[int, bytes]:
    """A row holding the int64 ``keys`` (all of one chunk): (keys, words)."""
    keys = np.unique(np.asarray(keys, np.int64))
    words = np.zeros(max(1, -(-len(keys) * BUILD_BITS // 64)), np.uint64)
    where, mask = _places(keys, len(words))
    np.bitwise_or.at(words, where, mask)
    return len(keys), words.astype(_U64).tobytes()


def merge(keys: np.ndarray, rows: dict[int, tuple[int, bytes]]):
    """Put ``keys`` (int64, ascending) into the rows of their chunks, ``rows`` mapping a
    chunk to its (keys, words) row where it has one.

    Returns the rows that changed, as (chunk, keys, words), and the chunks to build afresh
    with :func:`build` from every key the B-tree holds in them: those without a row, and
    those the new keys would take past ``MIN_BITS`` bits per key. A key the row seems to
    hold already changes nothing and is not counted.

    >>> keys = np.array([1, 2, 3], dtype=np.int64)
    >>> merge(keys, {})
    ([], [32768])
    >>> changed, to_build = merge(keys, {32768: build(keys[:1])})
    >>> [(c, n, len(w)) for c, n, w in changed], to_build
    ([(32768, 3, 8)], [])
    >>> merge(keys[:1], {32768: build(keys[:1])})
    ([], [])
    """
    keys = np.asarray(keys, np.int64)
    if len(keys) == 0:
        return [], []
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
    chunk = chunk_of(keys)
    starts_k = np.flatnonzero(np.r_[True, chunk[1:] != chunk[:-1]])
    chunks = chunk[starts_k]
    got = [rows.get(c) for c in chunks.tolist()]
    held = np.array([0 if r is None else r[0] for r in got], np.int64)
    sizes = np.array([0 if r is None else len(r[1]) // 8 for r in got], np.int64)
    # The rows there are, end to end in one array: one pass tests and sets every key.
    words = np.frombuffer(b"".join(r[1] for r in got if r is not None), _U64).astype(np.uint64)
    starts = np.cumsum(sizes) - sizes
    row_of = np.repeat(np.arange(len(chunks)), np.diff(np.r_[starts_k, len(keys)]))
    has_row = sizes[row_of] > 0
    where, mask = _places(keys, sizes[row_of])
    at = np.where(has_row, starts[row_of] + where, 0)
    new_key = has_row & ((words[at] & mask) != mask) if len(words) else has_row
    new = np.bincount(row_of[new_key], minlength=len(chunks))
    fits = (sizes > 0) & ((held + new) * MIN_BITS <= sizes * 64)
    set_key = new_key & fits[row_of]
    np.bitwise_or.at(words, at[set_key], mask[set_key])
    out = words.astype(_U64).tobytes()
    changed = [(c, int(h + n), out[8 * a:8 * (a + z)]) for c, h, n, a, z, ok in zip(
        chunks.tolist(), held.tolist(), new.tolist(), starts.tolist(), sizes.tolist(),
        (fits & (new > 0)).tolist()) if ok]
    return changed, chunks[~fits].tolist()


def merged_since(seen: SweepState, now: SweepState) -> list[tuple[int, int]] | None:
    """Key ranges ``[lo, hi)`` in which sweeps may have merged entries into the B-tree
    between two sweep states (of one file); None when that may be anywhere.

    >>> s = SweepState(merged_to=10, sweep_to=20, cursor=-5, top=20, removals=0)
    >>> merged_since(s, s._replace(cursor=7))
    [(-5, 7)]
    >>> merged_since(s, s._replace(merged_to=20, cursor=KEY_MIN)) == [(-5, KEY_END)]
    True
    >>> merged_since(s, s._replace(merged_to=30, sweep_to=30, cursor=KEY_MIN)) is None
    True
    """
    ranges = None
    if (now.merged_to, now.sweep_to) == (seen.merged_to, seen.sweep_to):
        if now.cursor >= seen.cursor:          # the same sweep went on (or none runs)
            ranges = [(seen.cursor, now.cursor)]
    elif seen.merged_to == seen.sweep_to and now.merged_to == seen.merged_to:
        ranges = [(KEY_MIN, now.cursor)]        # none ran; a new one started
    elif seen.merged_to < seen.sweep_to and now.merged_to == seen.sweep_to:
        ranges = [(seen.cursor, KEY_END), (KEY_MIN, now.cursor)]   # it ended; maybe a new one
    if ranges is None:
        return None
    return [(lo, hi) for lo, hi in ranges if hi > lo]


class KeyFilter:
    """This process's copy of an index's ``key_filter`` rows, in one numpy array.

    Rows are read a chunk at a time as lookups need them, until a process has needed
    ``READ_ALL_AFTER`` of them (two or three articles): then all at once, ~35 MB on a
    million paragraphs in ~0.15 s. A pre-commit hook that looks up one story reads a few
    hundred small rows; a scraper soon holds them all. (Read one at a time, the first
    hundred articles each paid about a millisecond more; with the first 4,096 chunks read
    that way, check_and_add's p99 over 700 calls was 2.3-3.2 ms against 1.9-2.1.)
    """

    READ_ALL_AFTER = CHUNKS // 64

    def __init__(self):
        self._size = np.zeros(CHUNKS, np.int64)    # words of each chunk's row; 0: no row
        self._start = np.zeros(CHUNKS, np.int64)
        self._loaded = np.zeros(CHUNKS, bool)      # its row (or that it has none) was read
        self._words = np.zeros(1024, np.uint64)
        self._used = 0
        #: The sweep state the loaded chunks are read at (None: nothing loaded).
        self.seen: SweepState | None = None

    def clear(self) -> None:
        self.__init__()

    def missing(self, keys: np.ndarray) -> np.ndarray:
        """The chunks of int64 ``keys`` not read yet (ascending, once each)."""
        chunks = np.unique(chunk_of(keys))
        return chunks[~self._loaded[chunks]]

    def read_all_now(self, missing: np.ndarray) -> bool:
        """Whether to read every row rather than the ``missing`` ones."""
        return int(np.count_nonzero(self._loaded)) + len(missing) > self.READ_ALL_AFTER

    def load(self, rows: Iterable[tuple[int, bytes]]) -> None:
        """Take these (chunk, words) rows -- every row there is -- in place of all."""
        rows = list(rows)
        self.clear()
        self._loaded[:] = True
        if not rows:
            return
        chunks = np.fromiter((c for c, _ in rows), np.int64, len(rows))
        sizes = np.fromiter((len(w) // 8 for _, w in rows), np.int64, len(rows))
        self._size[chunks] = sizes
        self._start[chunks] = np.cumsum(sizes) - sizes
        self._used = int(sizes.sum())
        # A quarter more: rows that grow go after the others until it is used up.
        self._words = np.zeros(self._used + self._used // 4 + 1024, np.uint64)
        self._words[:self._used] = np.frombuffer(b"".join(w for _, w in rows), _U64)

    def update(self, rows: Iterable[tuple[int, bytes]], read: Iterable[int] = ()) -> None:
        """Take these (chunk, words) rows; the chunks in ``read`` were read too and have
        none. A row that grew is placed after the others; when the array is full it is
        repacked, with room to grow."""
        for chunk, row in rows:
            new = np.frombuffer(row, _U64)
            n = len(new)
            self._loaded[chunk] = True
            if n == self._size[chunk]:
                self._words[self._start[chunk]:self._start[chunk] + n] = new
                continue
            if self._used + n > len(self._words):
                self._repack(extra=n)
            self._words[self._used:self._used + n] = new
            self._start[chunk], self._size[chunk] = self._used, n
            self._used += n
        self._loaded[np.asarray(list(read), np.int64)] = True

    def _repack(self, extra: int) -> None:
        live = np.flatnonzero(self._size)
        sizes = self._size[live]
        starts = np.cumsum(sizes) - sizes
        used = int(sizes.sum())
        words = np.zeros(used + used // 4 + extra + 1024, np.uint64)
        # Every live word, from its old place to its new one.
        old = np.repeat(self._start[live] - starts, sizes) + np.arange(used)
        words[:used] = self._words[old]
        self._start[live] = starts
        self._words, self._used = words, used

    def may_hold(self, keys: np.ndarray) -> np.ndarray:
        """False for each int64 key the B-tree certainly does not hold (never for a key
        whose chunk is not read yet)."""
        keys = np.asarray(keys, np.int64)
        chunk = chunk_of(keys)
        size = self._size[chunk]
        where, mask = _places(keys, size)
        words = self._words[np.where(size > 0, self._start[chunk] + where, 0)]
        return (size == 0) | ((words & mask) == mask)
