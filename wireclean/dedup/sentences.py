"""Sentence keys: how a paragraph reprinted *inside* a longer one becomes a candidate.

MinHash bands find paragraphs whose Jaccard similarity is high. A trimmed reprint -- an
11-word lead that reappears inside a 30-word paragraph -- has a containment of 1 but a
Jaccard similarity near 0.37, which 20 bands of 6 rows almost never bring together. Editors
trim and extend at sentence edges, so the sentences of the shorter copy begin (or end) as
sentences of the longer one do. Every paragraph therefore also gets a key for the first
``words`` canonical tokens of each of its sentences, and one for the last ``words`` of its
first sentence (a copy that dropped the lead's attribution, "Dealers said that ...") and of
the paragraph (a copy that kept its end): a paragraph found through a shared key is
verified like any band candidate (estimated Jaccard and containment,
:func:`~wireclean.dedup.lsh.score_pairs`). End keys of the sentences in between found
nothing more (Reuters-21578: recall 0.964 either way) for a quarter
more keys, so they are not made.

They are off unless an index is made with ``sentence_words`` (``--sentence-keys`` on the
command line): on Reuters-21578 they lift recall of trimmed/extended pairs from 0.918 to
0.964, but a corpus whose sentences recur in many different paragraphs gives each new
paragraph candidates through every recurring sentence (up to the bucket cap each), and
verifying them costs time: 3.3x on the archive-like benchmark corpus, where every sentence
recurs about 18 times in new combinations (benchmarks/RESULTS.md).

Keys are hashed from the canonical form (so spun copies share them) with the sentence ends
that :func:`~wireclean.dedup.canonical.canonical_joined` marks, from at most
``MAX_SENTENCES`` sentences per paragraph (the last one runs to the paragraph's end), and
only from sentences of at least ``words`` tokens; unused slots hold ``NO_KEY``, which no
store keeps or looks up. :class:`~wireclean.dedup.minhash.MinHasher` computes them from the
buffer it hashes anyway (``signatures_sizes_and_sentences``); a paragraph too long to hash
in one piece (over 256 KB) gets none.

>>> keys = SentenceKeys(words=4)
>>> a = keys.keys(["Stocks rose on Monday. Bonds fell for a third day.",
...                "Bonds fell for a third day, traders said."])
>>> a.shape, a.dtype
((2, 8), dtype('uint64'))
>>> int(a[0, 2]) == int(a[1, 0])   # "bonds fell for a" begins a sentence of both
True
>>> int((a[1] != NO_KEY).sum())    # one sentence: its first and last four tokens
2
>>> int((a[0] != NO_KEY).sum())    # two: both starts, the first's end, the paragraph's end
4
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .canonical import SENTENCE_END, canonical_joined
from .minhash import _SLICE_BYTES, _fmix64, _hash_tokens

__all__ = ["DEFAULT_SENTENCE_WORDS", "MAX_SENTENCES", "NO_KEY", "SentenceKeys", "split_sentences"]

#: Tokens hashed at each end of a sentence when an index has sentence keys (chosen with
#: benchmarks/containment_misses.py: on Reuters-21578, 6 words make 3x the extra
#: candidates of 8 for the same recall).
DEFAULT_SENTENCE_WORDS = 8
#: Sentences keyed per paragraph (news paragraphs hold one to three): a start key each,
#: and end keys for the first and the last -- at most MAX_SENTENCES + 2 keys.
MAX_SENTENCES = 4
#: An unused key slot. Real keys are never 0 (see :meth:`SentenceKeys.from_buffer`).
NO_KEY = 0

_U64 = np.uint64


def split_sentences(text: str, most: int = MAX_SENTENCES) -> list[str]:
    """The first ``most`` sentences of ``text``, their final punctuation cut off (the
    canonical form drops it anyway); the last one runs to the end of ``text``.

    >>> split_sentences("The U.S. said so. Mr. Smith agreed! Prices fell 3.5 pct. Then more.", 3)
    ['The U.S. said so', 'Mr. Smith agreed', 'Prices fell 3.5 pct. Then more.']
    """
    return SENTENCE_END.split(text, maxsplit=most - 1)


class SentenceKeys:
    """64-bit keys of the first ``words`` canonical tokens of each sentence, and of the
    last ``words`` of the first sentence and of the paragraph.

    Args:
        words: tokens hashed at each end of a sentence; shorter sentences get no key.
        seed: seeds the multipliers (the index's seed, so every process agrees).
    """

    #: Columns per paragraph: sentence i's start key in column 2i, its end key (first and
    #: last sentence only) in 2i + 1.
    SLOTS = 2 * MAX_SENTENCES
    #: Texts canonicalized per buffer by :meth:`keys` (the token hasher's tables grow to it).
    CHUNK_CHARS = 1 << 19

    def __init__(self, words: int = DEFAULT_SENTENCE_WORDS, seed: int = 1):
        if words < 1:
            raise ValueError(f"words must be >= 1, got {words}")
        self.words = int(words)
        rng = np.random.Generator(np.random.PCG64([seed, 0x5E47]))
        mult = rng.integers(1, 2**63, size=(2, self.words), dtype=np.uint64) * _U64(2) + _U64(1)
        self._first, self._last = mult[0], mult[1]
        self._salt = rng.integers(0, 2**63, size=2, dtype=np.uint64)

    def __repr__(self) -> str:
        return f"SentenceKeys(words={self.words})"

    def keys(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), SLOTS) uint64: the start key of sentence i in column 2i, the end
        key of the first and of the last sentence in column 2i + 1, ``NO_KEY`` where there
        is none."""
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
        bounds = np.r_[0, seps, len(arr)]
        text_first = np.searchsorted(starts, bounds)      # first token of each text (+ end)
        # Sentence ends: the token index each falls before, and the text it is in.
        marks = np.flatnonzero(arr == 2)
        cut = np.searchsorted(starts, marks)
        owner = np.searchsorted(seps, marks)
        # A mark at a text's edge or right after another cuts off no tokens ("plains."
        # before the next text, "Yes. ... No."): no sentence ends there.
        inside = (cut > text_first[owner]) & (cut < text_first[owner + 1])
        cut, owner = cut[inside], owner[inside]
        fresh = np.r_[True, cut[1:] != cut[:-1]] if len(cut) else np.zeros(0, bool)
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
        nxt = np.r_[lo[1:], 0]
        last_of_text = np.r_[text[1:] != text[:-1], True]
        hi = np.where(last_of_text, text_first[1:][text], nxt)
        long_text = np.diff(bounds) > _SLICE_BYTES
        keyed = np.flatnonzero((hi - lo >= self.words) & ~long_text[text])
        if len(keyed):
            f, e = lo[keyed], hi[keyed] - self.words
            s_key = np.zeros(len(keyed), dtype=np.uint64)
            e_key = np.zeros(len(keyed), dtype=np.uint64)
            for k in range(self.words):
                s_key += tokens[f + k] * self._first[k]
                e_key += tokens[e + k] * self._last[k]
            s_key += self._salt[0]
            e_key += self._salt[1]
            flat = out.reshape(-1)
            at = text[keyed] * self.SLOTS + 2 * slot[keyed]
            # 0 is NO_KEY: a real key that mixes to 0 becomes 1.
            flat[at] = np.maximum(_fmix64(s_key), _U64(1))
            edge = (slot[keyed] == 0) | last_of_text[keyed]   # first or last sentence
            flat[at[edge] + 1] = np.maximum(_fmix64(e_key[edge]), _U64(1))
        return out
