"""Sentence keys: how a paragraph reprinted *inside* a longer one becomes a candidate.

MinHash bands find paragraphs whose Jaccard similarity is high. A trimmed reprint -- an
11-word lead that reappears inside a 30-word paragraph -- has a containment of 1 but a
Jaccard similarity near 0.37, which 20 bands of 6 rows almost never bring together. Editors
trim and extend at sentence edges, so the sentences of the shorter copy begin (or end) as
sentences of the longer one do. Every paragraph therefore also gets bucket keys from the
first and the last ``words`` canonical tokens of its sentences (the end key finds a copy
that dropped the lead's attribution, "Dealers said that ..."), and a paragraph found
through one is verified like any band candidate (estimated Jaccard and containment,
:func:`~wireclean.dedup.lsh.score_pairs`).

Which keys a paragraph *stores* and which it *looks up* differ (``ROLES``; the table in
:class:`SentenceKeys`). If every paragraph looked up every sentence it has, then on a
corpus whose sentences recur in many different paragraphs each new paragraph would meet
every earlier one sharing a sentence with it, up to the bucket cap per sentence: on the
archive-like benchmark corpus, where every real sentence recurs about 18 times in new
combinations, that was 6.9 million bucket entries read on its first 150 MB and a third of
the speed. So a one-sentence paragraph looks up the starts and ends of everyone's
sentences (it may be a trimmed copy of any of them); a longer one looks up only what a
copy of it, or one it contains, must share: a one-sentence paragraph whose sentence it
has (*lone* keys, which only one-sentence paragraphs store) and a paragraph with two of
its sentences in a row (*pair* keys). End keys are made for the first and the last
sentence only: those of the sentences in between found nothing more on Reuters-21578. A
sentence key's bucket keeps a quarter of ``bucket_cap`` entries (a sentence edge shared by
many paragraphs is mostly boilerplate; ``lsh.SENTENCE_CAP_DIVISOR``). With them: recall of
duplicate pairs (trimmed and extended ones included) on Reuters-21578 0.918 -> 0.957; on
150 MB of that archive ``wireclean dedup`` takes ~11 s, against ~23 s with symmetric keys
and ~7.3 s without any (benchmarks/RESULTS.md).

An index has them unless made with ``sentence_words=0`` (``--no-sentence-keys``). Keys
are hashed from the canonical form (so spun copies share them) with the sentence ends
that :func:`~wireclean.dedup.canonical.canonical_joined` marks, from at most
``MAX_SENTENCES`` sentences per paragraph (the last one runs to the paragraph's end);
start and end keys only from sentences of at least ``words`` tokens, pair keys from
sentences of at least ``PAIR_WORDS``. Unused slots hold ``NO_KEY``, which no store keeps
or looks up. :class:`~wireclean.dedup.minhash.MinHasher` computes them from the buffer it
hashes anyway (``signatures_sizes_and_sentences``); a paragraph too long to hash in one
piece (over 256 KB) gets none.

>>> keys = SentenceKeys(words=4)
>>> a = keys.keys(["Stocks rose on Monday. Bonds fell for a third day.",
...                "Bonds fell for a third day, traders said."])
>>> a.shape, a.dtype
((2, 15), dtype('uint64'))
>>> int(a[1, 9]) == int(a[0, 1])   # the short one looks up "bonds fell for a" ...
True
>>> int(a[0, 10]) == int(a[1, 6])  # ... and the long one its lone copy
True
>>> int((a[1] != NO_KEY).sum())    # one sentence: start and end, lone and plain
4
>>> int((a[0] != NO_KEY).sum())    # two: 2 starts, 2 ends, 1 pair (stored); 4 lone keys
9
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .canonical import SENTENCE_END, canonical_joined
from .minhash import _SLICE_BYTES, _fmix64, _hash_tokens

__all__ = ["BOTH", "DEFAULT_SENTENCE_WORDS", "MAX_SENTENCES", "NO_KEY", "PAIR_WORDS", "PROBED",
           "SENTENCE", "STORED", "SentenceKeys", "split_sentences"]

#: Tokens hashed at each end of a sentence when an index has sentence keys (chosen with
#: benchmarks/containment_misses.py: on Reuters-21578, 6 words make 3x the extra
#: candidates of 8 for the same recall).
DEFAULT_SENTENCE_WORDS = 8
#: Sentences keyed per paragraph (news paragraphs hold one to three): a start key each,
#: and end keys for the first and the last -- at most MAX_SENTENCES + 2 keys.
MAX_SENTENCES = 4
#: Tokens on each side of a sentence end in a pair key.
PAIR_WORDS = 4
#: An unused key slot. Real keys are never 0 (see :meth:`SentenceKeys.from_buffer`).
NO_KEY = 0
#: Roles of a key column, as bit flags: a store keeps it (STORED), looks it up (PROBED), or
#: both (band keys); SENTENCE marks a sentence key, whose buckets hold fewer entries
#: (``lsh.SENTENCE_CAP_DIVISOR``). See :attr:`SentenceKeys.ROLES`.
STORED, PROBED, SENTENCE = 1, 2, 4
BOTH = STORED | PROBED

_U64 = np.uint64


def split_sentences(text: str, most: int = MAX_SENTENCES) -> list[str]:
    """The first ``most`` sentences of ``text``, their final punctuation cut off (the
    canonical form drops it anyway); the last one runs to the end of ``text``.

    >>> split_sentences("The U.S. said so. Mr. Smith agreed! Prices fell 3.5 pct. Then more.", 3)
    ['The U.S. said so', 'Mr. Smith agreed', 'Prices fell 3.5 pct. Then more.']
    """
    return SENTENCE_END.split(text, maxsplit=most - 1)


class SentenceKeys:
    """Bucket keys from sentence edges, each with a role: stored, looked up, or both.

    Per paragraph (``SLOTS`` columns, ``NO_KEY`` where unused), from its first
    ``MAX_SENTENCES`` sentences, of which only those of at least ``words`` tokens give
    start and end keys (the first and the last ``words`` tokens):

    ==================  =============================  ===========================
    columns (role)      a paragraph of 2+ sentences    a one-sentence paragraph
    ==================  =============================  ===========================
    0-3 (``STORED``)    start of sentence i            --
    4-5 (``STORED``)    end of its first, its last     --
    6-8 (``BOTH``)      pair key of sentences i, i+1   lone start, lone end (6, 7)
    9-12 (``PROBED``)   lone start of sentence i       start (9)
    13-14 (``PROBED``)  lone end of its first, last    end (13)
    ==================  =============================  ===========================

    A *lone* key is a start or end key salted apart: only one-sentence paragraphs store
    it. A *pair* key hashes the last ``PAIR_WORDS`` tokens of a sentence with the first
    ``PAIR_WORDS`` of the next (both at least that long). So a one-sentence paragraph
    meets any paragraph with a sentence that begins or ends as it does; a longer one meets
    a one-sentence paragraph it contains, and a longer one with two of its sentences in a
    row -- not every paragraph that shares one sentence with it, which on a corpus whose
    sentences recur in many combinations is most of the work (see the module docstring).

    Args:
        words: tokens hashed at each end of a sentence; shorter sentences get no start or
            end key.
        seed: seeds the multipliers (the index's seed, so every process agrees).
    """

    SLOTS = 15
    #: The columns a store keeps (``STORED`` and ``BOTH``): it persists these only.
    STORED_SLOTS = 9
    ROLES = np.array([STORED] * 6 + [BOTH] * 3 + [PROBED] * 6, dtype=np.uint8) | SENTENCE
    #: Texts canonicalized per buffer by :meth:`keys` (the token hasher's tables grow to it).
    CHUNK_CHARS = 1 << 19

    def __init__(self, words: int = DEFAULT_SENTENCE_WORDS, seed: int = 1):
        if words < 1:
            raise ValueError(f"words must be >= 1, got {words}")
        self.words = int(words)
        rng = np.random.Generator(np.random.PCG64([seed, 0x5E48]))
        mult = rng.integers(1, 2**63, size=(2, self.words), dtype=np.uint64) * _U64(2) + _U64(1)
        self._first, self._last = mult[0], mult[1]
        pair = rng.integers(1, 2**63, size=(2, PAIR_WORDS), dtype=np.uint64) * _U64(2) + _U64(1)
        self._pair_end, self._pair_start = pair[0], pair[1]
        # start, end, lone start, lone end, pair
        self._salt = rng.integers(0, 2**63, size=5, dtype=np.uint64)

    def __repr__(self) -> str:
        return f"SentenceKeys(words={self.words})"

    def keys(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), SLOTS) uint64: each text's keys in the columns of the table above,
        ``NO_KEY`` where there is none."""
        out = np.zeros((len(texts), self.SLOTS), dtype=np.uint64)
        lo = 0
        while lo < len(texts):
            hi, size = lo, 0
            while hi < len(texts) and (size < self.CHUNK_CHARS or hi == lo):
                size += len(texts[hi])
                hi += 1
            arr = np.frombuffer(canonical_joined(texts[lo:hi], sentences=True), dtype=np.uint8)
            starts, tokens = _hash_tokens(arr)
            out[lo:hi] = self.from_buffer(arr, np.flatnonzero(arr == 1), starts, tokens)
            lo = hi
        return out

    def from_buffer(self, arr: np.ndarray, seps: np.ndarray, starts: np.ndarray,
                    tokens: np.ndarray) -> np.ndarray:
        """Keys of the texts of a canonical buffer marked with sentence ends: ``arr`` its
        bytes, ``seps`` the offsets of the ``\\x01`` between texts, ``starts``/``tokens``
        each token's offset and hash. Texts longer than 256 KB get none."""
        n = len(seps) + 1
        out = np.zeros((n, self.SLOTS), dtype=np.uint64)
        bounds = np.concatenate(([0], seps, [len(arr)]))
        text_first = np.searchsorted(starts, bounds)      # first token of each text (+ end)
        # Sentence ends: the token index each falls before, and the text it is in.
        marks = np.flatnonzero(arr == 2)
        cut = np.searchsorted(starts, marks)
        owner = np.searchsorted(seps, marks)
        # A mark at a text's edge or right after another cuts off no tokens ("plains."
        # before the next text, "Yes. ... No."): no sentence ends there.
        inside = (cut > text_first[owner]) & (cut < text_first[owner + 1])
        cut, owner = cut[inside], owner[inside]
        fresh = np.concatenate(([True], cut[1:] != cut[:-1])) if len(cut) else np.zeros(0, bool)
        cut, owner = cut[fresh], owner[fresh]
        # The first MAX_SENTENCES - 1 ends of each text; the last sentence runs to its end.
        first_mark = np.searchsorted(owner, np.arange(n))
        rank = np.arange(len(cut)) - first_mark[owner]
        kept = rank < MAX_SENTENCES - 1
        cut, owner, rank = cut[kept], owner[kept], rank[kept]
        # Sentences as token ranges [lo, hi): each text's start, then one after each end.
        lo = np.concatenate((text_first[:-1], cut))
        text = np.concatenate((np.arange(n), owner))
        slot = np.concatenate((np.zeros(n, np.int64), rank + 1))
        order = np.lexsort((slot, text))
        lo, text, slot = lo[order], text[order], slot[order]
        last_of_text = np.append(text[1:] != text[:-1], True)
        hi = np.where(last_of_text, text_first[1:][text], np.append(lo[1:], 0))
        usable = ~(np.diff(bounds) > _SLICE_BYTES)[text] & (hi > lo)
        single = np.bincount(text, minlength=n)[text] == 1
        row = text * self.SLOTS
        at, raw = [], []     # positions in `out` and their keys before mixing

        def put(cols, where, keys):
            at.append(row[where] + cols)
            raw.append(keys)

        keyed = np.flatnonzero(usable & (hi - lo >= self.words))
        if len(keyed):
            span = np.arange(self.words)
            s_raw = (tokens[lo[keyed, None] + span] * self._first).sum(axis=1, dtype=np.uint64)
            e_raw = (tokens[(hi[keyed] - self.words)[:, None] + span] * self._last).sum(
                axis=1, dtype=np.uint64)
            start, end, lone_start, lone_end = (s_raw + self._salt[0], e_raw + self._salt[1],
                                                s_raw + self._salt[2], e_raw + self._salt[3])
            one, many = single[keyed], ~single[keyed]
            sl = slot[keyed]
            m = keyed[many]
            put(sl[many], m, start[many])
            put(9 + sl[many], m, lone_start[many])
            edge = many & ((sl == 0) | last_of_text[keyed])      # its first or last sentence
            first = np.where(sl[edge] == 0, 0, 1)
            put(4 + first, keyed[edge], end[edge])
            put(13 + first, keyed[edge], lone_end[edge])
            s = keyed[one]
            put(6, s, lone_start[one])
            put(7, s, lone_end[one])
            put(9, s, start[one])
            put(13, s, end[one])
        # Pair keys: sentence j (not its text's last) and j + 1, both long enough.
        paired = np.flatnonzero(usable & ~last_of_text & (hi - lo >= PAIR_WORDS))
        paired = paired[hi[paired + 1] - lo[paired + 1] >= PAIR_WORDS]
        if len(paired):
            span = np.arange(PAIR_WORDS)
            a_end = (tokens[(hi[paired] - PAIR_WORDS)[:, None] + span] * self._pair_end)
            b_start = (tokens[lo[paired + 1][:, None] + span] * self._pair_start)
            put(6 + slot[paired], paired, a_end.sum(axis=1, dtype=np.uint64)
                + b_start.sum(axis=1, dtype=np.uint64) + self._salt[4])
        if at:
            # 0 is NO_KEY: a real key that mixes to 0 becomes 1.
            out.reshape(-1)[np.concatenate(at)] = np.maximum(
                _fmix64(np.concatenate(raw)), _U64(1))
        return out
