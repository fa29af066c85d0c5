"""Banding, candidate verification and clustering for MinHash signatures.

The pieces, in the order a paragraph meets them:

1. :func:`optimal_params` picks bands x rows for a threshold the way datasketch's
   ``_optimal_param`` does (reimplemented with numpy, so scipy is not needed);
   :func:`lsh_params` applies it a little below the reporting threshold.
2. :class:`BandHasher` turns each band of a signature into one 64-bit key, in numpy.
3. :class:`BandTable` keeps (band key, item id) pairs in sorted numpy runs and answers
   "who shares a band with these rows?" for a whole batch at once.
4. :func:`verify` turns candidates into matches: estimated Jaccard from the signatures,
   and containment (estimated from Jaccard and the shingle counts) so that a trimmed or
   extended reprint still matches its original. Nothing unverified is ever reported.
5. :class:`SignatureLSH` ties them into a streaming index: each row of a batch is matched
   against everything added before it, then added -- query and insert in one pass.
6. :func:`cluster_labels` and :func:`keep_mask` turn verified pairs
   into clusters and pick the copy to keep (``first``, ``earliest`` or ``longest``).

>>> rng = np.random.default_rng(7)
>>> sigs = rng.integers(0, 2**32, size=(3, 128), dtype=np.uint64)
>>> sigs[2] = sigs[0]; sigs[2, :10] = 5          # row 2 is a near copy of row 0
>>> lsh = SignatureLSH(threshold=0.8)
>>> ids, pairs = lsh.insert(sigs, counts=np.array([40, 40, 40]))
>>> [(int(r), int(i), round(float(j), 2)) for r, i, j in zip(pairs.row, pairs.id, pairs.jaccard)]
[(2, 0, 0.92)]
"""

from __future__ import annotations

import functools
from typing import Iterable, NamedTuple, Sequence

import numpy as np

from .sentences import BOTH, NO_KEY, PROBED, SENTENCE, STORED, SentenceKeys

#: Candidates are verified, so a false positive of the banding costs one signature
#: comparison while a false negative is a reprint never reported: weigh misses 9:1.
DEFAULT_WEIGHTS = (0.1, 0.9)
#: The banding is tuned this far below the reporting threshold: a pair exactly at the
#: threshold is then a candidate 99.8 % of the time (at 0.8: 20 bands of 6 rows), and a
#: reprint trimmed to 70 % of the original (Jaccard 0.7, containment 1.0) 92 % of the time.
CANDIDATE_MARGIN = 0.1
#: A band bucket holds at most this many items. Later items with the same band key are not
#: added to that bucket (they stay findable through their other bands and are still matched
#: against the items already there), so a boilerplate paragraph seen 100,000 times costs
#: 64 entries and a bounded query, not an ever-growing list.
DEFAULT_BUCKET_CAP = 64
#: A sentence key's bucket holds bucket_cap // SENTENCE_CAP_DIVISOR items (at least one).
#: A sentence edge shared by many paragraphs is mostly boilerplate that a content farm
#: appends ("Officials did not immediately respond to requests for comment."), and each
#: paragraph that has it looks it up: on the resampled stress corpus, whose spun copies
#: end in a few such sentences, a cap of 64 made 2.1 million candidates on 20 MB, most of
#: them from three end keys. A trimmed copy of a story reprinted a hundred times still
#: finds the first 16 copies.
SENTENCE_CAP_DIVISOR = 4

_U64 = np.uint64
_LOW32 = np.uint64(0xFFFFFFFF)


# --------------------------------------------------------------------------- parameters

def _trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    # np.trapezoid is numpy >= 2.0 only; the rule itself is one line.
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2.0)


@functools.lru_cache(maxsize=64)
def optimal_params(threshold: float, num_perm: int,
                   weights: tuple[float, float] = DEFAULT_WEIGHTS) -> tuple[int, int]:
    """(bands, rows) minimising the weighted false-positive + false-negative areas.

    The same search as datasketch's ``_optimal_param``: for every b*r <= num_perm, the
    probability that a pair of Jaccard s shares a band is 1-(1-s^r)^b; integrate it below
    the threshold (false positives) and its complement above (false negatives). datasketch
    integrates with scipy's ``quad``; here a 2,001-point trapezoid rule gives the same
    choice (checked against datasketch in tests/test_lsh.py).

    >>> optimal_params(0.8, 128, (0.5, 0.5))       # datasketch MinHashLSH's default
    (9, 13)
    >>> optimal_params(0.8, 128)                   # recall-leaning default weights
    (14, 9)
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be between 0 and 1 (exclusive), got {threshold}")
    fp_weight, fn_weight = weights
    below = np.linspace(0.0, threshold, 2001)
    above = np.linspace(threshold, 1.0, 2001)
    best, best_error = (0, 0), float("inf")
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = _trapezoid(1.0 - (1.0 - below**r) ** b, below)
            fn = _trapezoid((1.0 - above**r) ** b, above)
            error = fp * fp_weight + fn * fn_weight
            if error < best_error:
                best, best_error = (b, r), error
    return best


def lsh_params(threshold: float, num_perm: int,
               weights: tuple[float, float] = DEFAULT_WEIGHTS) -> tuple[int, int]:
    """(bands, rows) for an index reporting from ``threshold``: :func:`optimal_params` at
    ``threshold - CANDIDATE_MARGIN``, so trimmed reprints (reported by containment, with
    a Jaccard below the threshold) still become candidates.

    >>> lsh_params(0.8, 128)
    (20, 6)
    """
    return optimal_params(round(max(threshold - CANDIDATE_MARGIN, 0.05), 6), num_perm, weights)


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that two sets of Jaccard ``similarity`` share at least one band.

    >>> round(candidate_probability(0.8, 20, 6), 3), round(candidate_probability(0.5, 20, 6), 3)
    (0.998, 0.27)
    """
    return 1.0 - (1.0 - similarity**rows) ** bands


def containment_threshold(threshold: float) -> float:
    """The containment that counts as a match: ``2t/(1+t)``.

    For two paragraphs of equal size, containment is ``2J/(1+J)``, so this bar is passed
    exactly when the Jaccard bar is: containment only adds pairs whose sizes differ --
    the trimmed and the extended reprints.

    >>> round(containment_threshold(0.8), 4)
    0.8889
    """
    return 2.0 * threshold / (1.0 + threshold)


# --------------------------------------------------------------------------- band keys

def _mix64(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, in place: every output bit depends on every input bit."""
    h ^= h >> _U64(30)
    h *= _U64(0xBF58476D1CE4E5B9)
    h ^= h >> _U64(27)
    h *= _U64(0x94D049BB133111EB)
    h ^= h >> _U64(31)
    return h


class BandHasher:
    """One 64-bit key per band of each signature, computed for a whole batch in numpy.

    A band's key is a random linear combination of its ``rows`` values (mod 2^64, one odd
    multiplier per position, different for every band) passed through a 64-bit mixer.
    The multipliers come from ``seed``, so the same seed gives the same keys in every
    process -- the persistent index relies on it.

    >>> h = BandHasher(bands=4, rows=2, seed=1)
    >>> sig = np.arange(8, dtype=np.uint32).reshape(1, 8)
    >>> keys = h.keys(np.vstack([sig, sig]))
    >>> keys.shape, keys.dtype, bool((keys[0] == keys[1]).all())
    ((2, 4), dtype('uint64'), True)
    """

    def __init__(self, bands: int, rows: int, seed: int = 1):
        self.bands, self.rows, self.seed = bands, rows, seed
        rng = np.random.Generator(np.random.PCG64([seed, 0x1D5B]))
        self._mult = rng.integers(1, 2**63, size=bands * rows, dtype=np.uint64) * _U64(2) + _U64(1)
        self._salt = rng.integers(0, 2**63, size=bands, dtype=np.uint64)

    def keys(self, signatures: np.ndarray) -> np.ndarray:
        """(n, bands) uint64 keys for (n, num_perm) signatures."""
        sigs = np.asarray(signatures)
        width = self.bands * self.rows
        if sigs.ndim != 2 or sigs.shape[1] < width:
            raise ValueError(f"signatures must be (n, >= {width}), got shape {sigs.shape}")
        cells = sigs[:, :width].reshape(len(sigs), self.bands, self.rows)
        mult = self._mult.reshape(self.bands, self.rows)
        # One row position at a time: summing over a short last axis is slow in numpy.
        h = cells[:, :, 0].astype(np.uint64) * mult[:, 0]
        for j in range(1, self.rows):
            h += cells[:, :, j].astype(np.uint64) * mult[:, j]
        h += self._salt
        return _mix64(h)


# --------------------------------------------------------------------------- verification

def estimate_jaccard(a: np.ndarray, b: np.ndarray, bits: int = 32) -> np.ndarray:
    """Row-wise Jaccard estimate: the share of equal MinHash values.

    ``bits`` is how many low bits of each value are kept; with b bits two unrelated values
    also agree by chance with probability 2^-b, which is subtracted out.

    >>> a = np.array([[1, 2, 3, 4]], dtype=np.uint32)
    >>> estimate_jaccard(a, np.array([[1, 2, 9, 9]], dtype=np.uint32)).round(6).tolist()
    [0.5]
    """
    agree = np.count_nonzero(a == b, axis=1) / a.shape[1]
    chance = 2.0**-bits
    return np.clip((agree - chance) / (1.0 - chance), 0.0, 1.0)


def estimate_containment(jaccard: np.ndarray, size_a: np.ndarray, size_b: np.ndarray) -> np.ndarray:
    """|A∩B| / min(|A|, |B|) from Jaccard and the set sizes.

    From J = |A∩B| / |A∪B| and |A∪B| = |A| + |B| - |A∩B|: |A∩B| = J(|A|+|B|)/(1+J).
    Dividing by the smaller set gives how much of the shorter paragraph the longer one
    contains -- 1.0 for a paragraph trimmed from (or extended into) the other.

    >>> estimate_containment(np.array([0.5]), np.array([100]), np.array([50])).tolist()
    [1.0]
    """
    jaccard = np.asarray(jaccard, dtype=np.float64)
    a = np.asarray(size_a, dtype=np.float64)
    b = np.asarray(size_b, dtype=np.float64)
    inter = jaccard * (a + b) / (1.0 + jaccard)
    smaller = np.maximum(np.minimum(a, b), 1.0)
    return np.clip(inter / smaller, 0.0, 1.0)


class Verified(NamedTuple):
    """Verified pairs: row ``row`` of the batch matches stored item ``id``."""

    row: np.ndarray          # int64, row of the queried batch
    id: np.ndarray           # int64, id of the matching item (always an earlier one)
    jaccard: np.ndarray      # float64, estimated Jaccard
    containment: np.ndarray  # float64, estimated containment of the smaller in the larger
    score: np.ndarray        # float64, max(jaccard, containment on Jaccard's scale)

    @classmethod
    def empty(cls) -> "Verified":
        i, f = np.empty(0, np.int64), np.empty(0, np.float64)
        return cls(i, i, f, f, f)


def score_pairs(jaccard: np.ndarray, containment: np.ndarray) -> np.ndarray:
    """One score per pair, compared with the threshold: ``max(J, C/(2-C))``.

    ``C/(2-C)`` maps containment onto Jaccard's scale (it inverts ``C = 2J/(1+J)``, which
    holds for equal sizes), so for equal-size paragraphs the score *is* the Jaccard, and a
    paragraph wholly inside a longer one scores 1.0.

    >>> score_pairs(np.array([0.8, 0.5]), np.array([2 * 0.8 / 1.8, 1.0])).round(3).tolist()
    [0.8, 1.0]
    """
    containment = np.asarray(containment, dtype=np.float64)
    return np.maximum(jaccard, containment / (2.0 - containment))


def verify(rows: np.ndarray, ids: np.ndarray,
           query_sigs: np.ndarray, cand_sigs: np.ndarray,
           query_sizes: np.ndarray, cand_sizes: np.ndarray,
           threshold: float, bits: int) -> Verified:
    """Keep the candidate pairs whose score reaches ``threshold``.

    ``query_sigs[k]``/``cand_sigs[k]`` are the signatures of pair k (already gathered);
    ``bits`` is the width of the stored values being compared (16 in memory, 32 on disk).
    """
    if len(rows) == 0:
        return Verified.empty()
    jac = estimate_jaccard(query_sigs, cand_sigs, bits)
    con = estimate_containment(jac, query_sizes, cand_sizes)
    score = score_pairs(jac, con)
    # The epsilon keeps a score computed as 0.7999999 for an exact 0.8 on the right side.
    ok = score >= threshold - 1e-9
    return Verified(np.asarray(rows, np.int64)[ok], np.asarray(ids, np.int64)[ok],
                    jac[ok], con[ok], score[ok])


def best_first(v: Verified) -> Verified:
    """Sort pairs by row, then best first: score, then Jaccard (an exact copy before a
    trimmed one that also scores 1.0), then the earlier item."""
    order = np.lexsort((v.id, -v.jaccard, -v.score, v.row))
    return Verified(*(field[order] for field in v))


# --------------------------------------------------------------------------- within a batch

def run_offsets(lengths: np.ndarray, starts: np.ndarray | None = None) -> np.ndarray:
    """0, 1, ..., n-1 for each n of ``lengths``, concatenated: each position's offset in
    its run, for expanding (start, length) ranges with one ``np.repeat``. With ``starts``,
    each run counts from its start instead of 0 (the positions of the ranges themselves).

    >>> run_offsets(np.array([2, 0, 3])).tolist()
    [0, 1, 0, 1, 2]
    >>> run_offsets(np.array([2, 0, 3]), starts=np.array([10, 7, 20])).tolist()
    [10, 11, 20, 21, 22]
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    shift = np.cumsum(lengths) - lengths
    if starts is not None:
        shift = shift - starts
    return np.arange(lengths.sum()) - np.repeat(shift, lengths)


def bucket_caps(cap: int, roles: np.ndarray | None, role: int | None = None):
    """The most entries each key's bucket keeps: ``cap`` for band keys, a quarter of it
    for sentence keys (``roles`` with the ``SENTENCE`` flag; see ``SENTENCE_CAP_DIVISOR``).
    With ``role`` (``STORED`` or ``PROBED``), 0 for the keys without that role: nothing is
    stored, or paired, beyond it.

    >>> bucket_caps(64, np.array([BOTH, BOTH | SENTENCE], np.uint8)).tolist()
    [64, 16]
    >>> bucket_caps(64, np.array([STORED, PROBED | SENTENCE], np.uint8), role=PROBED).tolist()
    [0, 16]
    """
    if roles is None:
        return cap
    by_role = np.full(SENTENCE << 1, cap, dtype=np.int64)   # indexed by the role's flags
    by_role[SENTENCE:] = max(1, cap // SENTENCE_CAP_DIVISOR)
    if role is not None:
        by_role[(np.arange(len(by_role)) & role) == 0] = 0
    return by_role[roles]


def batch_pairs(keys: np.ndarray, groups: np.ndarray | None, cap: int,
                roles: np.ndarray | None = None):
    """Pairs (later row, earlier row) of one batch where the later row looks up a key the
    earlier one stores.

    Returns ``(later, earlier, rank)``: the pairs, and for every (row, key slot) how many
    earlier rows of the batch store the same key (``rank``, shape of ``keys``) -- used to
    keep a bucket at ``cap`` entries. At most ``cap`` earlier rows are paired per key, the
    earliest ones (``cap`` is the bands'; see :func:`bucket_caps`). Rows with the same
    ``groups`` value (paragraphs of one document) are not paired with each other;
    ``NO_KEY`` (an unused sentence slot) pairs nothing. ``roles`` (per column,
    ``STORED``/``PROBED``/``SENTENCE`` bit flags; default: every column a band key) says
    which columns a row stores and which it looks up.

    >>> k = np.array([[5, 1], [5, 2], [7, 2]], dtype=np.uint64)
    >>> later, earlier, rank = batch_pairs(k, None, cap=64)
    >>> sorted(zip(later.tolist(), earlier.tolist())), rank.tolist()
    ([(1, 0), (2, 1)], [[0, 0], [1, 0], [0, 1]])
    >>> later, _, _ = batch_pairs(k, None, 64, roles=np.array([BOTH, STORED], np.uint8))
    >>> later.tolist()   # column 1 is stored, never looked up: row 2 finds nothing
    [1]
    """
    n, b = keys.shape
    flat = keys.reshape(-1)
    used = np.flatnonzero(flat != NO_KEY)
    # Sort by key, then by position: inside an equal-key group earlier rows come first.
    order = used[np.lexsort((used, flat[used]))]
    sroles = None if roles is None else np.asarray(roles, np.uint8)[order % b]
    later, earlier, srank = _sorted_pairs(flat[order], order // b, groups, cap, roles=sroles)
    rank = np.zeros(len(flat), dtype=np.int64)
    rank[order] = srank
    return later, earlier, rank.reshape(n, b)


def _sorted_pairs(skeys: np.ndarray, srows: np.ndarray, groups, cap: int,
                  existing: np.ndarray | None = None, roles: np.ndarray | None = None):
    """:func:`batch_pairs` on keys already sorted (with their rows, and their roles when
    not all ``BOTH``): pairs, and for each sorted position how many stored positions
    precede it inside its equal-key group.

    ``existing`` (per sorted position) is how many entries the key already has in the
    index: a row is then paired only with the earlier rows of the batch that will be
    stored (the first ``cap - existing``), so what a row is compared with -- the first
    ``cap`` rows ever seen with that key -- does not depend on where batches begin.
    """
    m = len(skeys)
    srank = np.zeros(m, dtype=np.int64)
    e = np.empty(0, np.int64)
    # Most keys of a batch are its only copy: work only on the positions whose key some
    # other position shares (equal keys are adjacent), a few percent of them.
    same = skeys[1:] == skeys[:-1]
    shared = np.zeros(m, dtype=bool)
    shared[1:] = same
    follows = shared.copy()            # the position before has the same key
    shared[:-1] |= same
    idx = np.flatnonzero(shared)
    if len(idx) == 0:
        return e, e, srank
    new_group = ~follows[idx]
    starts = np.flatnonzero(new_group)
    group_of = np.cumsum(new_group) - 1
    sub_roles = None if roles is None else roles[idx]
    if sub_roles is None:
        stored_before = np.arange(len(idx))   # every position stores and looks up
        stored_at = None
    else:
        stored = (sub_roles & STORED) != 0
        stored_before = np.cumsum(stored) - stored
        stored_at = np.flatnonzero(stored)
    first_stored = stored_before[starts]
    rank = stored_before - first_stored[group_of]
    srank[idx] = rank
    # Expand each looking-up position into its min(rank, cap) stored predecessors.
    caps = bucket_caps(cap, sub_roles, PROBED)    # 0 where a key is stored, not looked up
    limit = caps if existing is None else np.maximum(caps - existing[idx], 0)
    take = np.minimum(rank, limit)
    has = np.flatnonzero(take)
    if len(has) == 0:
        return e, e, srank
    counts = take[has]
    rep = np.repeat(has, counts)
    later = srows[idx[rep]]
    at = first_stored[group_of[rep]] + run_offsets(counts)
    earlier = srows[idx[at if stored_at is None else stored_at[at]]]
    keep = later != earlier          # the same row can repeat a key in two bands
    if groups is not None:
        groups = np.asarray(groups)
        keep &= groups[later] != groups[earlier]
    return later[keep].astype(np.int64), earlier[keep].astype(np.int64), srank


def radix_order32(keys: np.ndarray) -> np.ndarray:
    """Stable argsort of 32-bit keys (uint32, or held in uint64), in two 16-bit passes.

    numpy sorts 16-bit integers with a radix sort when asked for a stable sort, which is
    about twice as fast as sorting 64-bit values; two stable passes (low half, then high
    half) give the full order, equal keys in input order.

    >>> radix_order32(np.array([70000, 5, 70000, 1], dtype=np.uint64)).tolist()
    [3, 1, 0, 2]
    >>> radix_order32(np.array([70000, 5, 70000, 1], dtype=np.uint32)).tolist()
    [3, 1, 0, 2]
    """
    if keys.dtype == np.uint32 and keys.flags.c_contiguous and np.little_endian:
        halves = keys.view(np.uint16)             # the halves as they lie: no arithmetic
        low, high = halves[0::2], halves[1::2]
    else:
        low = (keys & 0xFFFF).astype(np.uint16)
        high = (keys >> 16).astype(np.uint16)
    first = np.argsort(low, kind="stable")
    return first[np.argsort(high[first], kind="stable")]


def unique_pairs(rows: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop repeated (row, id) pairs -- a pair found through several bands counts once."""
    if len(rows) == 0:
        return rows.astype(np.int64), ids.astype(np.int64)
    packed = np.unique((rows.astype(np.uint64) << _U64(32)) | ids.astype(np.uint64))
    return (packed >> _U64(32)).astype(np.int64), (packed & _LOW32).astype(np.int64)


# --------------------------------------------------------------------------- storage

class ChunkedArray:
    """An append-only array in fixed-size chunks: growing never copies what is stored.

    A doubling numpy array would briefly hold two copies of the signatures (hundreds of
    MB at a million paragraphs); chunks keep the peak at the size of the data.

    >>> a = ChunkedArray(np.uint16, width=2, chunk_rows=2)
    >>> a.extend(np.arange(10, dtype=np.uint16).reshape(5, 2))
    >>> len(a), a.take(np.array([4, 0])).tolist()
    (5, [[8, 9], [0, 1]])
    """

    def __init__(self, dtype, width: int | None = None, chunk_rows: int = 1 << 16):
        self.dtype = np.dtype(dtype)
        self.width = width
        self.chunk_rows = chunk_rows
        self._shift = chunk_rows.bit_length() - 1
        if 1 << self._shift != chunk_rows:
            raise ValueError("chunk_rows must be a power of two")
        self._chunks: list[np.ndarray] = []
        self._len = 0

    def __len__(self) -> int:
        return self._len

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self._chunks)

    def _new_chunk(self) -> np.ndarray:
        shape = (self.chunk_rows,) if self.width is None else (self.chunk_rows, self.width)
        return np.zeros(shape, dtype=self.dtype)

    def extend(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=self.dtype)
        done = 0
        while done < len(values):
            chunk_index, offset = divmod(self._len, self.chunk_rows)
            if chunk_index == len(self._chunks):
                self._chunks.append(self._new_chunk())
            n = min(self.chunk_rows - offset, len(values) - done)
            self._chunks[chunk_index][offset:offset + n] = values[done:done + n]
            done += n
            self._len += n

    def take(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        if len(self._chunks) == 1:
            return self._chunks[0][ids]
        shape = (len(ids),) if self.width is None else (len(ids), self.width)
        out = np.empty(shape, dtype=self.dtype)
        which = ids >> self._shift
        offsets = ids & (self.chunk_rows - 1)
        for c in np.unique(which):
            mask = which == c
            out[mask] = self._chunks[c][offsets[mask]]
        return out

    def put(self, ids: np.ndarray, value) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        which = ids >> self._shift
        offsets = ids & (self.chunk_rows - 1)
        for c in np.unique(which):
            self._chunks[c][offsets[which == c]] = value


def high_halves(entries: np.ndarray) -> np.ndarray:
    """The high 32 bits of each uint64 of ``entries`` -- the key of a packed (key, id)
    entry -- as a uint32 view: no 64-bit shift, no copy.

    >>> high_halves(np.array([7 << 32 | 9], dtype=np.uint64)).tolist()
    [7]
    """
    if not np.little_endian:    # pragma: no cover - numpy ships for little-endian only
        return (entries >> _U64(32)).astype(np.uint32)
    return entries.view(np.uint32)[1::2]


class _Run:
    """One sorted run of packed entries, with a directory when it is large.

    The directory holds, for each value of the top ``d`` bits, where that range starts
    (about 4 entries per range). Every entry of a key lies in its key's range, so a probe
    reads the directory and compares the few entries of one range -- all probes of a
    batch at once -- where ``np.searchsorted`` would wander through ~20 cold cache lines
    of a large array, twice (the first entry of a key and the one after its last).
    """

    __slots__ = ("entries", "directory", "key_shift")
    DIRECTORY_MIN = 1 << 15
    PER_SLOT = 4

    def __init__(self, entries: np.ndarray):
        self.entries = entries
        self.directory = None
        self.key_shift = _U64(32)
        if len(entries) >= self.DIRECTORY_MIN:
            bits = (len(entries) // self.PER_SLOT).bit_length() - 1
            self.key_shift = _U64(32 - bits)
            # Count the entries of each range, a slice of the run at a time, over just the
            # ranges the slice spans (the run is sorted): one read of the run with small
            # temporaries, half the time of bisecting the run for every range's start.
            # Counting the whole run at once was slower than bisecting.
            top = high_halves(entries)
            shift = np.uint32(32 - bits)
            counts = np.zeros(1 << bits, dtype=np.int64)
            step = 1 << 18
            for lo in range(0, len(entries), step):
                slots = top[lo:lo + step] >> shift
                first = int(slots[0])
                part = np.bincount(slots - np.uint32(first))
                counts[first:first + len(part)] += part
            directory = np.empty((1 << bits) + 1, dtype=np.int32 if len(entries) < 2**31 else np.int64)
            directory[0] = 0
            np.cumsum(counts, out=directory[1:])
            self.directory = directory

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, keys32: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every entry with one of the keys ``keys32`` (uint64 < 2^32): ``(which, entries)``,
        the index in ``keys32`` of each entry found, and the entry; a key's entries in
        their order in the run.

        >>> run = _Run(np.array([5 << 32 | 0, 5 << 32 | 3, 9 << 32 | 1], dtype=np.uint64))
        >>> which, got = run.find(np.array([2, 5, 9], dtype=np.uint64))
        >>> which.tolist(), (got & 0xFFFFFFFF).tolist()
        ([1, 1, 2], [0, 3, 1])
        """
        entries = self.entries
        if self.directory is None:
            first = keys32 << _U64(32)
            lo = np.searchsorted(entries, first)
            size = np.searchsorted(entries, first | _LOW32, side="right") - lo
        else:
            top = (keys32 >> self.key_shift).astype(np.intp)
            lo = self.directory[top].astype(np.intp)
            size = self.directory[top + 1] - lo
        which = np.repeat(np.arange(len(keys32)), size)
        got = entries[run_offsets(size, starts=lo)]
        if self.directory is not None:   # the whole range was read: keep the key's entries
            same = (got >> _U64(32)) == keys32[which]
            which, got = which[same], got[same]
        return which, got


class BandTable:
    """A multiset of (32-bit band key, 32-bit item id) pairs in sorted numpy runs.

    Each pair is packed into one uint64 (key in the high half), so a run is one sorted
    array -- 8 bytes per entry. A batch adds one new run; whenever the ``FANOUT`` newest
    runs are of one size class (a power of ``FANOUT``), they are merged into one (a tiered
    log-structured merge: O(log n) runs, each entry moved O(log n) times, with no
    per-entry Python object and no resizing copy of a hash table).
    A bitmap over the keys (8 to 32 bits per entry, two bits per key) answers "absent"
    for most keys of a batch -- most paragraphs are new -- so only the rest are searched
    in the runs.
    Removed ids are filtered at lookup and dropped for good at the next merge.

    >>> t = BandTable()
    >>> t.add(np.array([7, 9], dtype=np.uint64), np.array([0, 1]))
    >>> pos, ids, count = t.lookup(np.array([3, 9], dtype=np.uint64))
    >>> pos.tolist(), ids.tolist(), count.tolist()
    ([1], [1], [0, 1])
    """

    FANOUT = 4
    MIN_BITS_LOG2 = 20
    BITS_PER_ENTRY = 8

    def __init__(self):
        self._runs: list[_Run] = []
        self._entries = 0
        self._bits_log2 = self.MIN_BITS_LOG2
        self._bitmap = np.zeros(1 << (self._bits_log2 - 3), dtype=np.uint8)

    def __len__(self) -> int:
        return self._entries

    @property
    def nbytes(self) -> int:
        return (sum(r.entries.nbytes + (0 if r.directory is None else r.directory.nbytes)
                    for r in self._runs) + self._bitmap.nbytes)

    @property
    def runs(self) -> int:
        return len(self._runs)

    def _bits(self, keys32: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each key's byte of the bitmap and its two bits there (one when they coincide):
        the key's top bits pick the byte and one bit, a multiplicative hash of all its bits
        the other. Two bits in one byte cost no second memory access, and let fewer
        absent keys through than one bit (see ``_grow_bitmap``)."""
        k = keys32.astype(np.uint32)      # 32-bit arithmetic: a fifth of the time
        slots = k >> np.uint32(32 - self._bits_log2)
        other = ((k * np.uint32(0x9E3779B1)) >> np.uint32(29)).astype(np.uint8)
        bits = (np.uint8(1) << (slots & np.uint32(7)).astype(np.uint8)) | (np.uint8(1) << other)
        return (slots >> np.uint32(3)).astype(np.intp), bits

    def _mark(self, keys32_sorted: np.ndarray) -> None:
        if len(keys32_sorted) == 0:
            return
        at, bits = self._bits(keys32_sorted)
        # `a[i] |= v` keeps one write per repeated index; the keys are sorted, so a byte's
        # keys are adjacent.
        if len(at) > len(self._bitmap) // 4:
            # Dense (a whole run into a new bitmap): OR each byte's bits together first.
            starts = np.flatnonzero(np.r_[True, at[1:] != at[:-1]])
            self._bitmap[at[starts]] |= np.bitwise_or.reduceat(bits, starts)
            return
        # Sparse (a batch): bytes rarely repeat, so set the first bit of each byte, then
        # the second, ... (measured 2-3x faster than OR-ing them together first).
        while len(at):
            first = np.r_[True, at[1:] != at[:-1]]
            self._bitmap[at[first]] |= bits[first]
            at, bits = at[~first], bits[~first]

    def _grow_bitmap(self) -> None:
        # Rebuilding re-marks every entry, so grow 4-fold at a time, keeping 8 to 32 bits
        # per entry: 1.6 to 8 % of absent keys get past it (measured; 3 to 12 % with one bit
        # per key), for 1 to 4 bytes per entry.
        if self._entries * self.BITS_PER_ENTRY <= 1 << self._bits_log2 or self._bits_log2 >= 32:
            return
        self._bits_log2 = min(32, self._bits_log2 + 2)
        self._bitmap = np.zeros(1 << (self._bits_log2 - 3), dtype=np.uint8)
        for run in self._runs:
            self._mark(high_halves(run.entries))

    def lookup(self, keys32_sorted: np.ndarray, alive=None, listed: np.ndarray | None = None):
        """Entries sharing a key with each of ``keys32_sorted`` (ascending uint64 < 2^32).

        Returns ``(position, ids, count)``: one (position in the input, id) per entry
        found, and for every input key how many entries it has; with ``alive`` (a filter
        of ids), removed entries are neither returned nor counted, so a removed item's
        place in a full bucket goes to the next one, as in the persistent stores. With
        ``listed`` (bool per input key), only those keys' entries are returned; the others
        are only counted (keys a row stores but does not look up: their buckets' fill).
        """
        count = np.zeros(len(keys32_sorted), dtype=np.int64)
        at, bits = self._bits(keys32_sorted)
        maybe = np.flatnonzero((self._bitmap[at] & bits) == bits)
        found_pos, found_ids = [], []
        # Removed entries must be seen to be left out of the counts.
        expand = None if listed is None or alive is not None else listed[maybe]
        if len(maybe):
            key = keys32_sorted[maybe]
            for run in self._runs:
                which, got = run.find(key)
                if len(which) == 0:
                    continue
                count[maybe] += np.bincount(which, minlength=len(maybe))
                if expand is not None:
                    shown = expand[which]
                    which, got = which[shown], got[shown]
                found_pos.append(maybe[which])
                found_ids.append((got & _LOW32).astype(np.int64))
        if not found_pos:
            e = np.empty(0, np.int64)
            return e, e, count
        pos = np.concatenate(found_pos)
        ids = np.concatenate(found_ids)
        if alive is not None:
            live = alive(ids)
            pos, ids = pos[live], ids[live]
            count = np.bincount(pos, minlength=len(keys32_sorted)).astype(np.int64)
            if listed is not None:
                shown = listed[pos]
                pos, ids = pos[shown], ids[shown]
        return pos, ids, count

    @staticmethod
    def _tier(size: int) -> int:
        return (max(size, 1).bit_length() - 1) // 2   # log4

    def add(self, keys32_sorted: np.ndarray, ids: np.ndarray, alive=None) -> None:
        """Add entries; keys ascending, and ids ascending among equal keys."""
        if len(keys32_sorted) == 0:
            return
        entries = (keys32_sorted << _U64(32)) | np.asarray(ids).astype(np.uint64)
        self._entries += len(entries)
        self._mark(keys32_sorted)
        self._runs.append(_Run(entries))
        k = self.FANOUT
        while len(self._runs) >= k and len({self._tier(len(r)) for r in self._runs[-k:]}) == 1:
            tail = self._runs[-k:]
            del self._runs[-k:]
            merged = np.concatenate([r.entries for r in tail])
            # Sorted runs back to back: timsort finds them and merges in O(n log k).
            merged.sort(kind="stable")
            if alive is not None:
                before = len(merged)
                merged = merged[alive((merged & _LOW32).astype(np.int64))]
                self._entries -= before - len(merged)
            self._runs.append(_Run(merged))
        self._grow_bitmap()


def low_bits(sigs: np.ndarray) -> np.ndarray:
    """The low 8 bits of signatures (``SIG_BITS``), as uint8 (given as is if already)."""
    return sigs if sigs.dtype == np.uint8 else (sigs & 0xFF).astype(np.uint8)


def bucket_keys(hasher: BandHasher, sigs: np.ndarray,
                sentence_keys: np.ndarray | None = None) -> np.ndarray:
    """Every bucket key of each row, (n, bands [+ sentence slots]) uint64: the band keys,
    then the sentence keys (:mod:`~wireclean.dedup.sentences`; ``NO_KEY`` in unused slots,
    which stores neither keep nor look up). :func:`key_roles` gives each column's role."""
    keys = hasher.keys(sigs)
    return keys if sentence_keys is None else np.hstack((keys, sentence_keys))


def key_roles(bands: int, sentences: bool) -> np.ndarray:
    """The role (``STORED``/``PROBED`` bit flags) of each column of :func:`bucket_keys`:
    band keys are both stored and looked up; sentence keys as
    :attr:`~wireclean.dedup.sentences.SentenceKeys.ROLES` says."""
    both = np.full(bands, BOTH, dtype=np.uint8)
    return np.concatenate((both, SentenceKeys.ROLES)) if sentences else both


def sorted_bucket_keys(hasher: BandHasher, sigs: np.ndarray,
                       sentence_keys: np.ndarray | None = None):
    """The high 32 bits of the bucket keys (:func:`bucket_keys`) of all rows as uint32,
    sorted by (key, row), the row of each, and the role of each (None when all are
    ``BOTH``, as without sentence keys): the form :class:`SignatureLSH` looks up and
    stores (it widens the keys where it uses them)."""
    keys = bucket_keys(hasher, sigs, sentence_keys)
    width = keys.shape[1]
    flat = keys.reshape(-1)
    cells = None
    if sentence_keys is not None:
        cells = np.flatnonzero(flat != NO_KEY)   # row-major: rows ascend, as sorting needs
        flat = flat[cells]
        if keys.size < 2**31:      # int32 division is 4x faster than int64
            cells = cells.astype(np.int32)
    keys32 = np.ascontiguousarray(high_halves(flat))
    order = radix_order32(keys32)   # stable: equal keys keep their rows ascending
    if cells is None:
        return keys32[order], order // width, None
    rows, cols = np.divmod(cells[order], width)
    return keys32[order], rows.astype(np.int64), key_roles(hasher.bands, True)[cols]


class SignatureLSH:
    """Streaming MinHash LSH over signatures, with every candidate verified.

    Items get consecutive integer ids from 0. ``insert`` matches each row against every
    item added before it -- earlier batches and earlier rows of the same batch -- then adds
    it, in one pass. Memory per item: one 32+32-bit entry per band and per sentence key
    it stores (and 8 to 32 bits of bitmap each), the low 8 bits of each signature value
    (for verification) and its shingle count; no Python object per item.

    Args:
        threshold: report pairs whose score (see :func:`score_pairs`) reaches it.
        num_perm: signature width.
        seed: seed of the band hash (any fixed value; recorded by persistent stores).
        weights: (false positive, false negative) weights for :func:`optimal_params`.
        params: (bands, rows) to bypass :func:`lsh_params`.
        bucket_cap: most items kept per band bucket (see ``DEFAULT_BUCKET_CAP``).
    """

    #: Bits of each signature value kept for verification. Unrelated values then agree
    #: 1 time in 256, which :func:`estimate_jaccard` subtracts; the estimate's spread
    #: stays that of 128 full values (about 0.035 at J = 0.8), for a quarter of the memory.
    SIG_BITS = 8

    def __init__(self, threshold: float = 0.8, num_perm: int = 128, seed: int = 1,
                 weights: tuple[float, float] = DEFAULT_WEIGHTS,
                 params: tuple[int, int] | None = None,
                 bucket_cap: int = DEFAULT_BUCKET_CAP):
        self.threshold = float(threshold)
        self.num_perm = int(num_perm)
        self.bands, self.rows = params or lsh_params(self.threshold, self.num_perm, tuple(weights))
        self.bucket_cap = int(bucket_cap)
        self.hasher = BandHasher(self.bands, self.rows, seed)
        self._table = BandTable()
        self._sigs = ChunkedArray(np.uint8, width=self.num_perm)
        self._sizes = ChunkedArray(np.uint32)
        self._alive = ChunkedArray(np.bool_)
        self._live = 0
        self._any_removed = False

    def __len__(self) -> int:
        return self._live

    @property
    def nbytes(self) -> int:
        """Bytes held by the index's arrays."""
        return self._table.nbytes + self._sigs.nbytes + self._sizes.nbytes + self._alive.nbytes

    def _check(self, signatures, counts):
        sigs = np.asarray(signatures)
        if sigs.ndim != 2 or sigs.shape[1] != self.num_perm:
            raise ValueError(f"signatures must have shape (n, {self.num_perm}), got {sigs.shape}")
        counts = np.asarray(counts, dtype=np.int64).reshape(-1)
        if len(counts) != len(sigs):
            raise ValueError(f"{len(sigs)} signatures but {len(counts)} shingle counts")
        return sigs, counts

    def _alive_filter(self):
        return (lambda ids: self._alive.take(ids)) if self._any_removed else None

    def _band_keys(self, sigs: np.ndarray, given: tuple | None,
                   sentence_keys: np.ndarray | None) -> tuple:
        # Sorted compact (and sent so from workers: stores.memory.prepare); widened here,
        # where they are used.
        keys, rows, roles = given or sorted_bucket_keys(self.hasher, sigs, sentence_keys)
        return keys.astype(np.uint64), rows.astype(np.int64, copy=False), roles

    def _verify(self, rows, ids, sigs8, counts) -> Verified:
        rows, ids = unique_pairs(rows, ids)
        if len(rows) == 0:
            return Verified.empty()
        v = verify(rows, ids, sigs8[rows], self._sigs.take(ids),
                   counts[rows], self._sizes.take(ids).astype(np.int64),
                   self.threshold, self.SIG_BITS)
        return best_first(v)

    def query(self, signatures: np.ndarray, counts: np.ndarray,
              band_keys: tuple | None = None,
              sentence_keys: np.ndarray | None = None) -> Verified:
        """Verified matches of each row among the stored items; stores nothing.
        ``band_keys`` and ``sentence_keys`` as for :meth:`insert`."""
        sigs, counts = self._check(signatures, counts)
        skeys, srows, roles = self._band_keys(sigs, band_keys, sentence_keys)
        if roles is not None:
            probed = (roles & PROBED) != 0
            skeys, srows = skeys[probed], srows[probed]
        pos, ids, _ = self._table.lookup(skeys, self._alive_filter())
        return self._verify(srows[pos], ids, low_bits(sigs), counts)

    def insert(self, signatures: np.ndarray, counts: np.ndarray,
               groups: Sequence[int] | np.ndarray | None = None,
               query: bool = True,
               band_keys: tuple | None = None,
               sentence_keys: np.ndarray | None = None
               ) -> tuple[np.ndarray, Verified]:
        """Add the rows; with ``query``, first match each against everything earlier.

        ``groups`` labels rows of one document: rows with the same label are not matched
        with each other. ``sentence_keys`` (:mod:`~wireclean.dedup.sentences`) are
        bucket keys beside the bands. ``band_keys``, when given, are :func:`sorted_bucket_keys`
        of the full signatures and sentence keys (computed elsewhere), and ``signatures``
        may then be just their low 8 bits. Returns the new ids and the verified pairs
        (row -> earlier id).
        """
        sigs, counts = self._check(signatures, counts)
        n = len(sigs)
        first = len(self._sigs)
        if first + n > 2**32:
            raise OverflowError("an in-memory index holds at most 2**32 items")
        skeys, srows, roles = self._band_keys(sigs, band_keys, sentence_keys)
        sigs8 = low_bits(sigs)
        # Earlier batches: look up the keys rows look up, and learn how full each bucket
        # already is (a stored key's too: buckets keep their first bucket_cap entries).
        probed = None if roles is None else (roles & PROBED) != 0
        pos, found, existing = self._table.lookup(skeys, self._alive_filter(), probed)
        # Earlier rows of this batch.
        later, earlier, rank = _sorted_pairs(skeys, srows, groups, self.bucket_cap, existing,
                                             roles)
        self._sigs.extend(sigs8)
        self._sizes.extend(counts)
        self._alive.extend(np.ones(n, dtype=bool))
        self._live += n
        room = np.flatnonzero(existing + rank < bucket_caps(self.bucket_cap, roles, STORED))
        # Still sorted by (key, row), so by (key, id): a ready-made run.
        self._table.add(skeys[room], first + srows[room], self._alive_filter())
        if not query:
            return first + np.arange(n, dtype=np.int64), Verified.empty()
        rows = np.concatenate((srows[pos], later))
        cand = np.concatenate((found, earlier + first))
        return first + np.arange(n, dtype=np.int64), self._verify(rows, cand, sigs8, counts)

    def remove(self, ids: Iterable[int]) -> int:
        """Forget items; returns how many were alive."""
        ids = np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids, dtype=np.int64)
        if len(ids) == 0:
            return 0
        if ids.min() < 0 or ids.max() >= len(self._alive):
            raise KeyError("no such item id")
        was = self._alive.take(ids)
        gone = int(np.count_nonzero(was))
        self._alive.put(ids, False)
        self._live -= gone
        self._any_removed = self._any_removed or gone > 0
        return gone


# --------------------------------------------------------------------------- clustering

def cluster_labels(n: int, a: Iterable[int] | np.ndarray, b: Iterable[int] | np.ndarray) -> np.ndarray:
    """Cluster id (the smallest member) of each of n items, from verified edges a[k]-b[k].

    Only the edges given join items: candidates that failed verification must not be
    passed here, or one shared bucket chains unrelated texts into a mega-cluster.

    Connected components in numpy (millions of edges in well under a second, where a
    Python union-find spends a microsecond per edge): every root is hooked under the
    smallest root it shares an edge with, then paths are halved until each item points
    at its root. A root is never hooked under a larger one, so the final root of each
    cluster is its smallest member and labels do not depend on edge order.

    >>> cluster_labels(5, [1, 3], [0, 4]).tolist()
    [0, 0, 2, 3, 3]
    >>> cluster_labels(4, [3, 2, 1], [2, 1, 0]).tolist()      # a chain
    [0, 0, 0, 0]
    """
    a = np.asarray(a, dtype=np.int64).reshape(-1)
    b = np.asarray(b, dtype=np.int64).reshape(-1)
    if len(a) != len(b):
        raise ValueError(f"{len(a)} edge starts but {len(b)} edge ends")
    if len(a) and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= n):
        raise ValueError(f"edges must join items 0..{n - 1}")
    parent = np.arange(n, dtype=np.int64)
    while True:
        ra, rb = parent[a], parent[b]
        joined = ra != rb
        if not joined.any():
            return parent
        a, b, ra, rb = a[joined], b[joined], ra[joined], rb[joined]
        np.minimum.at(parent, np.maximum(ra, rb), np.minimum(ra, rb))
        while True:  # path halving until every item points at a root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand


KEEP_POLICIES = ("first", "earliest", "longest")


def keep_mask(labels: np.ndarray, policy: str = "first",
              dates: Sequence | None = None, lengths: Sequence[int] | None = None) -> np.ndarray:
    """Which items to keep: one per cluster, chosen by ``policy``.

    * ``first``: the first item in input order (the default; streaming-safe).
    * ``earliest``: the smallest date (ISO strings, numbers or datetimes -- anything that
      sorts); items without a date (None) lose to dated ones; ties go to the first.
    * ``longest``: the largest length (e.g. characters); ties go to the first.

    >>> labels = np.array([0, 0, 2, 0])
    >>> keep_mask(labels).tolist()
    [True, False, True, False]
    >>> keep_mask(labels, "earliest", dates=["2024-05-02", None, "2024-01-01", "2024-05-01"]).tolist()
    [False, False, True, True]
    >>> keep_mask(labels, "longest", lengths=[10, 30, 5, 30]).tolist()
    [False, True, True, False]
    """
    labels = np.asarray(labels, dtype=np.int64)
    n = len(labels)
    if policy not in KEEP_POLICIES:
        raise ValueError(f"keep policy must be one of {', '.join(KEEP_POLICIES)}; got {policy!r}")
    if policy == "first":
        rank = np.arange(n)
    elif policy == "earliest":
        if dates is None or len(dates) != n:
            raise ValueError("keep policy 'earliest' needs one date per item")
        # Missing dates sort last; comparable values sort among themselves.
        order = sorted(range(n), key=lambda i: (dates[i] is None, dates[i] if dates[i] is not None else 0, i))
        rank = np.empty(n, dtype=np.int64)
        rank[np.asarray(order, dtype=np.int64)] = np.arange(n)
    else:
        if lengths is None or len(lengths) != n:
            raise ValueError("keep policy 'longest' needs one length per item")
        order = np.lexsort((np.arange(n), -np.asarray(lengths, dtype=np.int64)))
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
    best = np.full(n, n, dtype=np.int64)
    np.minimum.at(best, labels, rank)
    return rank == best[labels]
