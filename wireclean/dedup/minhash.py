"""MinHash signatures of paragraphs, computed in batches with numpy.

``MinHasher(num_perm, seed, shingle_size).signatures(texts)`` takes raw paragraph texts
(it puts them in canonical form itself) and returns an ``(n, num_perm)`` ``uint32`` array;
``shingle_hashes(texts)`` gives each text's distinct shingle hashes, for exact Jaccard or
containment when a candidate pair is verified; ``params`` (num_perm, seed, shingle_size)
and ``hash_version`` are what a persisted index must record. Per batch:

1. the texts of a batch are put in canonical form together, into one buffer
   (:func:`wireclean.dedup.canonical.canonical_joined`);
2. every token is hashed in numpy, straight from that buffer: the 64-bit polynomial hash
   ``sum(byte[j] * R**j)`` of each token comes from one prefix sum over the buffer, so no
   Python object is made per token (nor per shingle) and no cache grows with the corpus;
3. word shingles are never built as strings: the hash of the shingle starting at token ``i``
   is ``sum(T[i + k] * M[k])`` over ``k < shingle_size`` (``M`` fixed odd 64-bit constants),
   computed for every position at once in numpy, then mixed (MurmurHash3 ``fmix64``) and
   cut to 32 bits;
4. the permutations are datasketch's ``"affine32"`` scheme -- ``a * fmix32(h) + b mod 2^32``
   with ``a, b`` drawn by ``np.random.RandomState(seed)`` exactly as
   ``datasketch.MinHash(num_perm, seed)`` draws them -- applied to blocks of about 4k
   shingles laid out as (permutations x shingles), and each paragraph's minimum taken with
   ``np.minimum.reduceat`` along the contiguous axis.

A paragraph with fewer tokens than ``shingle_size`` (but at least one) has exactly one
shingle, its whole token sequence. A paragraph with no tokens at all gets the empty
signature (every value ``2**32 - 1``), like a fresh ``datasketch.MinHash``. A very long
paragraph is hashed in overlapping slices, so memory stays bounded; the result is the same
(except that a "word" of more than 64 KiB, which no text has, may be cut in two).

The polynomial token hash is modulo 2**64, so two different crafted tokens of thousands of
characters can collide (Thue-Morse strings); that costs a slightly high similarity estimate,
never a wrong answer about real words.

The signatures are datasketch's: :meth:`MinHasher.to_lean_minhash` wraps a row as a
``datasketch.LeanMinHash``, and ``datasketch.MinHash(num_perm, seed,
hashfunc=hasher.shingle_hash)`` updated with every shingle of :meth:`MinHasher.shingles`
holds exactly the same hash values (the test suite checks this).

>>> hasher = MinHasher(num_perm=64, seed=1, shingle_size=3)
>>> sig = hasher.signatures(["The U.S.-led coalition struck targets near the city overnight.",
...                          "The USA -led coalition struck targets near the city overnight!"])
>>> sig.shape, sig.dtype.name, bool((sig[0] == sig[1]).all())
((2, 64), 'uint32', True)
>>> hasher.params
MinHashParams(num_perm=64, seed=1, shingle_size=3)
"""

from __future__ import annotations

import operator
from typing import NamedTuple, Sequence

import numpy as np

from .canonical import canonical_bytes, canonical_joined

__all__ = ["MinHasher", "MinHashParams", "DEFAULT_NUM_PERM", "DEFAULT_SEED",
           "DEFAULT_SHINGLE_SIZE", "HASH_VERSION", "EMPTY_VALUE", "jaccard", "token_hash"]

DEFAULT_NUM_PERM = 128
DEFAULT_SEED = 1
# Chosen with benchmarks/accuracy_shingle.py on the news corpora: a copy with 1-2 words
# edited keeps an estimated Jaccard >= 0.5 in 94% of cases with 3-word shingles, 78% with 5;
# 2-word shingles find more (98%) but also pair templated lines that differ in their facts
# ("Shr loss nine cts vs loss two cts"). Estimates are equally good for every size.
DEFAULT_SHINGLE_SIZE = 3
# Bump when anything that changes a signature for the same text and parameters changes
# (canonical form, tokens, token or shingle hash): a persisted index must not mix them.
HASH_VERSION = 1
EMPTY_VALUE = np.uint32(0xFFFFFFFF)

_MASK64 = (1 << 64) - 1
_BLOCK = 4096              # shingles per kernel block: 128 x 4096 uint32 = 2 MB
_BATCH_CHARS = 1 << 19     # texts are canonicalized in batches of about this many characters
_HASH_BYTES = 1 << 19      # and hashed in buffers of about this many bytes (16 bytes of
                           # power tables per buffer byte stay allocated: about 16 MB)
_SLICE_BYTES = 1 << 18     # a longer text is hashed in overlapping slices of this size
_MAX_TOKEN = 1 << 16       # a slice boundary is moved at most this far to fall between tokens


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


# Token hash: fmix64(sum(byte[j] * R**j) + len * L) mod 2**64, R odd so R**-1 exists.
_R = _splitmix64(1) | 1
_R_INV = pow(_R, -1, 1 << 64)
_L = _splitmix64(2) | 1


def _fmix64_int(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK64
    return h ^ (h >> 33)


def _fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer, in place."""
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


def _fmix32(h: np.ndarray) -> np.ndarray:
    """datasketch's affine32 pre-mix (MurmurHash3's 32-bit finalizer)."""
    h = h ^ (h >> np.uint32(16))
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def token_hash(token: bytes) -> int:
    """The 64-bit hash of one canonical token, as :class:`MinHasher` computes it in numpy.

    >>> token_hash(b"wire") == token_hash(b"wire") != token_hash(b"copy")
    True
    """
    poly, power = 0, 1
    for byte in token:
        poly = (poly + byte * power) & _MASK64
        power = (power * _R) & _MASK64
    return _fmix64_int((poly + len(token) * _L) & _MASK64)


_powers = (np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64))


def _power_tables(n: int) -> tuple[np.ndarray, np.ndarray]:
    """R**i and R**-i mod 2**64 for i < n (at least), grown by doubling and shared."""
    global _powers
    have = _powers
    if len(have[0]) >= n:
        return have
    size = max(1 << 16, 1 << (n - 1).bit_length())
    tables = []
    for base in (_R, _R_INV):
        t = np.empty(size, dtype=np.uint64)
        t[0] = 1
        t[1:] = np.multiply.accumulate(np.full(size - 1, base, dtype=np.uint64))
        tables.append(t)
    _powers = (tables[0], tables[1])  # replaced whole, so other threads see old or new
    return _powers


def _hash_tokens(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start offset, 64-bit hash) of every token of a canonical buffer (uint8 view).

    Token bytes are those above the space: the buffer holds only tokens, spaces and the
    \\x01 between texts, and begins and ends with a space, so token edges alternate.
    """
    word = arr > 32
    edges = np.flatnonzero(word[1:] != word[:-1]) + 1
    starts, ends = edges[0::2], edges[1::2]
    powers, inverses = _power_tables(len(arr))
    prefix = arr.astype(np.uint64)
    prefix *= powers[:len(arr)]
    np.cumsum(prefix, out=prefix)
    hashes = (prefix[ends - 1] - prefix[starts - 1]) * inverses[starts]
    hashes += (ends - starts).astype(np.uint64) * np.uint64(_L)
    return starts, _fmix64(hashes)


class MinHashParams(NamedTuple):
    """What a persisted index records to refuse signatures made differently."""

    num_perm: int
    seed: int
    shingle_size: int


def jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures: the share of equal positions.

    >>> a = np.array([1, 2, 3, 4], dtype=np.uint32)
    >>> jaccard(a, np.array([1, 2, 0, 0], dtype=np.uint32))
    0.5
    """
    return float(np.count_nonzero(sig_a == sig_b)) / len(sig_a)


def _checked_int(name: str, value, lo: int, hi: int) -> int:
    """``value`` as an int in [lo, hi] (numpy integers welcome, bools and floats not)."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise ValueError(f"{name} must be an integer from {lo} to {hi}, got {value!r}")
    value = operator.index(value)
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer from {lo} to {hi}, got {value!r}")
    return value


class MinHasher:
    """Signatures for paragraphs: ``signatures(texts) -> (n, num_perm) uint32``.

    Stateless once built (no cache), so one instance can serve many threads, and it
    pickles small for worker processes.
    """

    def __init__(self, num_perm: int = DEFAULT_NUM_PERM, seed: int = DEFAULT_SEED,
                 shingle_size: int = DEFAULT_SHINGLE_SIZE):
        num_perm = _checked_int("num_perm", num_perm, 1, 1 << 20)
        seed = _checked_int("seed", seed, 0, (1 << 32) - 1)
        shingle_size = _checked_int("shingle_size", shingle_size, 1, 16)
        self.num_perm = num_perm
        self.seed = seed
        self.shingle_size = shingle_size
        self.params = MinHashParams(num_perm, seed, shingle_size)
        self.hash_version = HASH_VERSION
        # datasketch.MinHash._init_permutations, scheme "affine32", draw for draw.
        gen = np.random.RandomState(seed)
        a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
        self.permutations = np.array([a, b])
        self._a = a[:, None].copy()
        self._b = b[:, None].copy()
        self._mult = np.array([_splitmix64(100 + k) | 1 for k in range(shingle_size)],
                              dtype=np.uint64)

    def __repr__(self) -> str:
        return (f"MinHasher(num_perm={self.num_perm}, seed={self.seed}, "
                f"shingle_size={self.shingle_size})")

    # ---- public batch API --------------------------------------------------------------

    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        """MinHash signatures of raw paragraph texts, shape ``(len(texts), num_perm)``.

        >>> MinHasher(num_perm=3).signatures(["", " -- "]).tolist()
        [[4294967295, 4294967295, 4294967295], [4294967295, 4294967295, 4294967295]]
        """
        return self.signatures_and_sizes(texts)[0]

    def signatures_and_sizes(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Signatures and each text's shingle count (counted by position), in one pass.

        The counts let an index estimate containment; computing them here saves putting
        every paragraph in canonical form a second time.

        >>> sigs, sizes = MinHasher(num_perm=4, shingle_size=3).signatures_and_sizes(
        ...     ["one two three four", "one two", ""])
        >>> sigs.shape, sizes.tolist()
        ((3, 4), [2, 1, 0])
        """
        return self._sign(texts, None)[:2]

    def signatures_sizes_and_sentences(self, texts: Sequence[str], sentences) -> tuple:
        """:meth:`signatures_and_sizes` plus each text's sentence keys, made by
        ``sentences`` (a :class:`~wireclean.dedup.sentences.SentenceKeys`) from the same
        canonical buffer: ``(signatures, sizes, keys)``. The signatures are those of
        :meth:`signatures_and_sizes`.

        >>> from wireclean.dedup.sentences import SentenceKeys
        >>> texts = ["Stocks rose on Monday in Tokyo. Bonds fell for a third day in London."]
        >>> sigs, sizes, keys = MinHasher().signatures_sizes_and_sentences(texts, SentenceKeys(4))
        >>> bool((sigs == MinHasher().signatures(texts)).all())
        True
        >>> bool((keys == SentenceKeys(4).keys(texts)).all()), int((keys != 0).sum())
        (True, 9)
        """
        return self._sign(texts, sentences)

    def _sign(self, texts: Sequence[str], sentences) -> tuple:
        out = np.empty((len(texts), self.num_perm), dtype=np.uint32)
        sizes = np.empty(len(texts), dtype=np.int64)
        keys = None if sentences is None else np.zeros((len(texts), sentences.SLOTS), np.uint64)
        for lo, hi, groups, owner, batch_keys in self._batches(texts, sentences):
            if keys is not None:
                keys[lo:hi] = batch_keys
            if owner is None:  # the usual case: one group, one piece per text
                self._minhash(*groups[0], out=out[lo:hi])
                sizes[lo:hi] = groups[0][1]
                continue
            # A long text came in slices: signatures per slice, then the minimum per text.
            # Slices overlap by shingle_size - 1 tokens, so each shingle lies in exactly one.
            sig = np.concatenate([self._minhash(hashes, counts) for hashes, counts in groups])
            first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
            out[lo:hi] = np.minimum.reduceat(sig, first, axis=0)
            sizes[lo:hi] = np.add.reduceat(np.concatenate([c for _, c in groups]), first)
        return out, sizes, keys

    def shingle_hashes(self, texts: Sequence[str]) -> list[np.ndarray]:
        """The distinct 32-bit shingle hashes of each text (sorted ``uint32``), for exact
        Jaccard or containment when verifying a candidate pair.

        >>> h = MinHasher(shingle_size=2).shingle_hashes(["a b c a b", "a b"])
        >>> [len(x) for x in h], bool(np.isin(h[1], h[0]).all())
        ([3, 1], True)
        """
        result: list[np.ndarray] = []
        for lo, hi, groups, owner, _ in self._batches(texts):
            per_piece: list[np.ndarray] = []
            for hashes, counts in groups:
                per_piece.extend(np.split(hashes, np.cumsum(counts)[:-1]))
            if owner is None:
                result.extend(np.unique(h) for h in per_piece)
                continue
            bounds = np.searchsorted(owner, np.arange(hi - lo + 1))
            result.extend(np.unique(np.concatenate(per_piece[a:b]))
                          for a, b in zip(bounds[:-1], bounds[1:]))
        return result

    # ---- the pipeline ------------------------------------------------------------------

    def _batches(self, texts: Sequence[str], sentences=None):
        """Per batch of texts of about _BATCH_CHARS characters: (lo, hi, shingle groups,
        owner, sentence keys), where each group is (uint32 shingle hashes, shingles per
        piece), owner maps pieces to texts when a long text was cut into slices (else None),
        and the keys are ``sentences``' for the batch's texts (None without it)."""
        lo, n = 0, len(texts)
        marked = sentences is not None
        while lo < n:
            hi, size = lo, 0
            while hi < n and (size < _BATCH_CHARS or hi == lo):
                text = texts[hi]
                if not isinstance(text, str):
                    raise TypeError(f"texts[{hi}] is {type(text).__name__}, not str")
                size += len(text)
                hi += 1
            buf = canonical_joined(texts[lo:hi], sentences=marked)
            arr = np.frombuffer(buf, dtype=np.uint8)
            seps = np.flatnonzero(arr == 1)
            longest = int(np.diff(seps, prepend=0, append=len(arr)).max())
            if longest <= _SLICE_BYTES and len(arr) <= 2 * _HASH_BYTES:
                starts, tokens = _hash_tokens(arr)
                keys = sentences.from_buffer(arr, seps, starts, tokens) if marked else None
                yield lo, hi, [self._shingles(arr, seps, starts, tokens)], None, keys
            else:
                pieces, owner = self._slices(buf.split(b"\x01"))
                groups, keys = [], []
                for group in self._shingle_groups(pieces, sentences):
                    groups.append(group[:2])
                    keys.append(group[2])
                if marked:
                    # A text hashed in slices has no sentence keys (see sentences.py).
                    keys = np.concatenate(keys)
                    whole = np.flatnonzero(np.bincount(owner, minlength=hi - lo) == 1)
                    piece_of = np.searchsorted(owner, whole)
                    text_keys = np.zeros((hi - lo, sentences.SLOTS), np.uint64)
                    text_keys[whole] = keys[piece_of]
                    keys = text_keys
                yield lo, hi, groups, owner, keys if marked else None
            lo = hi

    def _slices(self, canon: list[bytes]) -> tuple[list[bytes], np.ndarray]:
        """Cut texts longer than _SLICE_BYTES into slices that overlap by shingle_size - 1
        tokens, so every shingle lies whole in some slice and no slice is short.
        Returns the pieces and the index of the text each came from."""
        pieces: list[bytes] = []
        owner: list[int] = []
        keep = self.shingle_size - 1
        for i, c in enumerate(canon):
            c = c.strip(b" ")  # so a token follows any cut
            if len(c) > _SLICE_BYTES:
                c = c.replace(b"\x02", b" ")  # sentence ends: not tokens, and not keyed here
            start = 0
            while len(c) - start > _SLICE_BYTES:
                cut = c.find(b" ", start + _SLICE_BYTES, start + _SLICE_BYTES + _MAX_TOKEN)
                if cut == -1:
                    cut = start + _SLICE_BYTES
                pieces.append(c[start:cut])
                owner.append(i)
                back = cut  # step back over `keep` tokens: the next slice repeats them
                for _ in range(keep):
                    while back > start and c[back - 1] == 32:
                        back -= 1
                    back = max(c.rfind(b" ", start, back) + 1, start)
                start = back if back > start else cut
            pieces.append(c[start:])
            owner.append(i)
        return pieces, np.asarray(owner)

    def _shingle_groups(self, pieces: list[bytes], sentences=None):
        """(shingle hashes, counts, sentence keys or None) for groups of pieces of about
        _HASH_BYTES in all."""
        lo = 0
        while lo < len(pieces):
            hi, size = lo, 0
            while hi < len(pieces) and (size < _HASH_BYTES or hi == lo):
                size += len(pieces[hi]) + 3
                hi += 1
            buf = b" " + b" \x01 ".join(pieces[lo:hi]) + b" "
            arr = np.frombuffer(buf, dtype=np.uint8)
            seps = np.flatnonzero(arr == 1)
            starts, tokens = _hash_tokens(arr)
            keys = None if sentences is None else sentences.from_buffer(arr, seps, starts, tokens)
            yield self._shingles(arr, seps, starts, tokens) + (keys,)
            lo = hi

    def _shingles(self, arr: np.ndarray, seps: np.ndarray, starts: np.ndarray,
                  tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(uint32 shingle hashes in order, shingles per piece) of a canonical buffer whose
        pieces are separated at ``seps``; ``starts``/``tokens`` from :func:`_hash_tokens`."""
        n = self.shingle_size
        first_token = np.searchsorted(starts, np.r_[0, seps])
        n_tokens = np.diff(first_token, append=len(starts))

        # Shingle hash at every full window: sum of T[i + k] * M[k].
        windows = max(len(tokens) - n + 1, 0)
        combined = tokens[:windows] * self._mult[0]
        for k in range(1, n):
            combined += tokens[k:k + windows] * self._mult[k]
        counts = np.where(n_tokens >= n, n_tokens - n + 1, (n_tokens > 0).astype(np.int64))
        first_shingle = np.cumsum(counts) - counts
        positions = np.repeat(first_token - first_shingle, counts) \
            + np.arange(counts.sum(), dtype=np.int64)
        short = np.flatnonzero((n_tokens > 0) & (n_tokens < n))
        if len(short):  # one shingle of the whole (short) token sequence
            at, length = first_token[short], n_tokens[short]
            whole = tokens[at] * self._mult[0]
            for k in range(1, n - 1):
                has = length > k
                whole[has] += tokens[at[has] + k] * self._mult[k]
            positions[first_shingle[short]] = windows + np.arange(len(short))
            combined = np.concatenate([combined, whole])
        shingles = _fmix64(combined[positions])
        return (shingles >> np.uint64(32)).astype(np.uint32), counts

    def _minhash(self, hashes: np.ndarray, counts: np.ndarray,
                 out: np.ndarray | None = None) -> np.ndarray:
        """The min-hash kernel: (num_perm x shingles) blocks, minimum per paragraph.
        Returns (or fills) one row per paragraph."""
        cols = np.full((self.num_perm, len(counts)), EMPTY_VALUE, dtype=np.uint32)
        mixed = _fmix32(hashes)
        ends = np.cumsum(counts)
        starts = ends - counts
        live = np.flatnonzero(counts)
        live_ends = ends[live]
        buf = np.empty((self.num_perm, min(_BLOCK, len(hashes))), dtype=np.uint32)
        a, b = self._a, self._b
        i = 0
        while i < len(live):
            p = live[i]
            s0 = starts[p]
            if counts[p] > _BLOCK:  # one long paragraph: running minimum over blocks
                col = cols[:, p]
                for c in range(s0, ends[p], _BLOCK):
                    view = buf[:, :min(_BLOCK, ends[p] - c)]
                    np.multiply(a, mixed[None, c:c + view.shape[1]], out=view)
                    np.add(view, b, out=view)
                    np.minimum(col, view.min(axis=1), out=col)
                i += 1
                continue
            # As many whole paragraphs as fit in one block.
            j = int(np.searchsorted(live_ends, s0 + _BLOCK, side="right"))
            e0 = live_ends[j - 1]
            view = buf[:, :e0 - s0]
            np.multiply(a, mixed[None, s0:e0], out=view)
            np.add(view, b, out=view)
            block = live[i:j]
            mins = np.minimum.reduceat(view, starts[block] - s0, axis=1)
            if block[-1] - block[0] == j - i - 1:  # no empty paragraph in between
                cols[:, block[0]:block[-1] + 1] = mins
            else:
                cols[:, block] = mins
            i = j
        if out is None:
            return np.ascontiguousarray(cols.T)
        out[...] = cols.T
        return out

    # ---- interoperability and reference ------------------------------------------------

    def shingles(self, text: str) -> list[tuple[bytes, ...]]:
        """The word shingles of ``text`` as token tuples, in order, repeats included.

        A slow reference for tests and for feeding other MinHash libraries the same
        shingles; :meth:`signatures` never builds these.

        >>> MinHasher(shingle_size=3).shingles("USA -led strikes hit")
        [(b'u.s.', b'led', b'strikes'), (b'led', b'strikes', b'hit')]
        >>> MinHasher(shingle_size=3).shingles("Strikes resumed")
        [(b'strikes', b'resumed')]
        """
        tokens = canonical_bytes(text).split()
        n = self.shingle_size
        if len(tokens) < n:
            return [tuple(tokens)] if tokens else []
        return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]

    def shingle_hash(self, shingle: tuple[bytes, ...]) -> int:
        """The 32-bit hash of one shingle, as :meth:`signatures` computes it in numpy.

        Pass it as ``hashfunc`` to ``datasketch.MinHash`` to reproduce a signature.
        """
        h = 0
        for k, token in enumerate(shingle):
            h = (h + token_hash(token) * int(self._mult[k])) & _MASK64
        return _fmix64_int(h) >> 32

    def to_lean_minhash(self, sig_row: np.ndarray):
        """A ``datasketch.LeanMinHash`` holding one signature row (scheme ``affine32``).

        >>> hasher = MinHasher(num_perm=32)
        >>> sig = hasher.signatures(["Officials said the talks would resume in Geneva next week.",
        ...                          "Officials said talks would resume in Geneva next week."])
        >>> m0, m1 = (hasher.to_lean_minhash(row) for row in sig)
        >>> m0.jaccard(m1) == jaccard(sig[0], sig[1])
        True
        """
        from datasketch import LeanMinHash

        row = np.asarray(sig_row)
        if row.shape != (self.num_perm,):
            raise ValueError(f"signature row must have shape ({self.num_perm},), got {row.shape}")
        return LeanMinHash(seed=self.seed, hashvalues=row.astype(np.uint32), scheme="affine32")
