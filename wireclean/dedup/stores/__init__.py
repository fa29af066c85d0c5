"""Where an :class:`~wireclean.dedup.index.Index` keeps what it has seen.

Three stores, one contract:

* :class:`~wireclean.dedup.stores.memory.MemoryStore` -- numpy arrays in this process;
* :class:`~wireclean.dedup.stores.sqlite.SQLiteStore` -- one SQLite file (WAL), the
  embedded default for anything persistent, safe to share between processes;
* :class:`~wireclean.dedup.stores.redis.RedisStore` -- a Redis server, for one index shared
  by processes on many machines (``redis://HOST:PORT/DB``).

A store receives a :class:`Batch` (signatures of the matchable paragraphs of one or more
documents) and, in one atomic step, matches each paragraph against everything stored
before it and/or stores it. It answers with :class:`Hit` rows. Segmentation, canonical
form and hashing happen before, in the index, so stores deal only in numbers and keys.

>>> cfg = IndexConfig.create(threshold=0.8)
>>> (cfg.bands, cfg.rows), cfg.num_perm, cfg.shingle_size
((20, 6), 128, 3)
>>> cfg.differences(IndexConfig.create(threshold=0.7), ["threshold", "seed"])
['threshold=0.8 (asked for 0.7)']
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, NamedTuple, Sequence

import numpy as np

from ..lsh import DEFAULT_BUCKET_CAP, BandHasher, bucket_keys, key_roles, lsh_params, run_offsets
from ..minhash import DEFAULT_NUM_PERM, DEFAULT_SEED, DEFAULT_SHINGLE_SIZE, HASH_VERSION
from ..sentences import DEFAULT_SENTENCE_WORDS, PROBED, SentenceKeys

__all__ = ["Batch", "Hit", "IndexConfig", "IndexFormatError", "DuplicateKeyError",
           "DEFAULT_THRESHOLD", "FORMAT", "stored_config"]

#: Estimated Jaccard (or containment on Jaccard's scale) at which paragraphs match.
DEFAULT_THRESHOLD = 0.8


class IndexFormatError(Exception):
    """A file that cannot be used as this index: not an index, damaged, another format,
    or built with other parameters. The message is one line and names the file."""


class DuplicateKeyError(ValueError):
    """``add`` was given a key the index already holds (remove it first to replace it)."""


@dataclass(frozen=True)
class IndexConfig:
    """Everything that must agree between the signatures in an index and new ones.

    ``bands``/``rows`` follow from ``threshold`` and ``num_perm`` (see
    :func:`~wireclean.dedup.lsh.lsh_params`); a persistent store records them all
    and refuses to be opened with different values. ``sentence_words`` is the length of
    the sentence keys (:mod:`~wireclean.dedup.sentences`) each paragraph gets beside its
    band keys, which find trimmed and extended reprints: ``DEFAULT_SENTENCE_WORDS`` (8,
    the default), or 0 for none.
    """

    threshold: float
    num_perm: int
    seed: int
    shingle_size: int
    bands: int
    rows: int
    bucket_cap: int
    hash_version: int
    sentence_words: int

    @classmethod
    def create(cls, threshold: float | None = None, num_perm: int | None = None,
               seed: int | None = None, shingle_size: int | None = None,
               bucket_cap: int | None = None,
               sentence_words: int | None = None) -> "IndexConfig":
        threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must be between 0 and 1 (exclusive), got {threshold}")
        num_perm = DEFAULT_NUM_PERM if num_perm is None else int(num_perm)
        bucket_cap = DEFAULT_BUCKET_CAP if bucket_cap is None else int(bucket_cap)
        if bucket_cap < 1:
            raise ValueError(f"bucket_cap must be >= 1, got {bucket_cap}")
        sentence_words = DEFAULT_SENTENCE_WORDS if sentence_words is None else int(sentence_words)
        if sentence_words < 0:
            raise ValueError(f"sentence_words must be >= 0 (0: no sentence keys), "
                             f"got {sentence_words}")
        bands, rows = lsh_params(threshold, num_perm)
        return cls(threshold=threshold, num_perm=num_perm,
                   seed=DEFAULT_SEED if seed is None else int(seed),
                   shingle_size=DEFAULT_SHINGLE_SIZE if shingle_size is None else int(shingle_size),
                   bands=bands, rows=rows, bucket_cap=bucket_cap, hash_version=HASH_VERSION,
                   sentence_words=sentence_words)

    @property
    def key_slots(self) -> int:
        """Bucket keys per paragraph: one per band, then its sentence key slots."""
        return self.bands + (SentenceKeys.SLOTS if self.sentence_words else 0)

    def key_roles(self) -> np.ndarray:
        """The role of each of the ``key_slots`` columns (see
        :func:`~wireclean.dedup.lsh.key_roles`)."""
        return key_roles(self.bands, bool(self.sentence_words))

    def sentence_keys(self) -> "SentenceKeys | None":
        """What makes this index's sentence keys (None when it has none)."""
        return SentenceKeys(self.sentence_words, self.seed) if self.sentence_words else None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def differences(self, other: "IndexConfig", names: Sequence[str]) -> list[str]:
        """``name=mine (asked for theirs)`` for each of ``names`` that differs."""
        out = []
        for name in names:
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine != theirs:
                out.append(f"{name}={mine} (asked for {theirs})")
        return out


#: What a persistent store records as its ``format``, beside its own ``version``.
FORMAT = "wireclean-index"


def stored_config(where: str, stored: dict[str, Any], version: int) -> IndexConfig:
    """The :class:`IndexConfig` a persistent store recorded (``stored``: its format row or
    key, as a dict), or :class:`IndexFormatError` naming ``where`` when it is another
    format version or lacks a parameter. ``version`` is the format this wireclean writes.

    >>> row = {"format": FORMAT, "version": 1, **IndexConfig.create().as_dict()}
    >>> stored_config("x.db", row, 1).threshold
    0.8
    >>> stored_config("x.db", {**row, "version": 0}, 1)
    Traceback (most recent call last):
    ...
    wireclean.dedup.stores.IndexFormatError: x.db: index has an older format (version 0); \
this wireclean reads version 1; rebuild it with `wireclean index add`
    """
    found = stored.get("version")
    if found != version:
        older = isinstance(found, int) and found < version
        raise IndexFormatError(
            f"{where}: index has {'an older' if older else 'a newer'} format (version {found}); "
            f"this wireclean reads version {version}"
            + ("; rebuild it with `wireclean index add`" if older else "; upgrade wireclean"))
    try:
        return IndexConfig(**{name: stored[name] for name in IndexConfig.names()})
    except KeyError as exc:
        raise IndexFormatError(f"{where}: damaged index (no {exc.args[0]} recorded)") from None


#: How a store keeps a paragraph's sentence keys: the first ``SentenceKeys.STORED_SLOTS``
#: of them (the ones it stores), 0 in unused slots.
SENTENCE_DTYPE = np.dtype("<u8")


def sentence_blobs(config: IndexConfig, batch: Batch) -> list[bytes | None]:
    """What a store records of each row's sentence keys (None for a row without any, and
    for every row when ``config`` has none): the stored columns, as ``SENTENCE_DTYPE``
    bytes. :func:`stored_sentence_keys` reads them back."""
    if not config.sentence_words:
        return [None] * len(batch)
    kept = np.ascontiguousarray(batch.sentence_keys[:, :SentenceKeys.STORED_SLOTS],
                                dtype=SENTENCE_DTYPE)
    return [row.tobytes() if row.any() else None for row in kept]


def batch_sentence_keys(config: IndexConfig, batch: Batch) -> np.ndarray | None:
    """The batch's sentence keys when ``config`` has them (else None); a batch made for an
    index without them is refused rather than matched without its keys."""
    if not config.sentence_words:
        return None
    keys = batch.sentence_keys
    if keys is None or keys.shape != (len(batch), SentenceKeys.SLOTS):
        raise ValueError("this index keys sentences: make batches with its Index.sign")
    return keys


def stored_sentence_keys(where: str, config: IndexConfig, blobs: Sequence) -> np.ndarray | None:
    """Sentence keys as a store read them back (one blob per paragraph, None for one
    without any; :func:`sentence_blobs`), with ``NO_KEY`` in the columns never stored,
    or None when ``config`` has none; a blob of the wrong size is a damaged index, named
    by ``where``."""
    if not config.sentence_words:
        return None
    slots = SentenceKeys.STORED_SLOTS
    out = np.zeros((len(blobs), SentenceKeys.SLOTS), np.uint64)
    for i, blob in enumerate(blobs):
        if blob is None:
            continue
        if not isinstance(blob, bytes) or len(blob) != slots * SENTENCE_DTYPE.itemsize:
            raise IndexFormatError(f"{where}: damaged index (stored sentence keys have the "
                                   f"wrong size)")
        out[i, :slots] = np.frombuffer(blob, SENTENCE_DTYPE)
    return out


def batch_bucket_keys(config: IndexConfig, hasher: BandHasher, batch: Batch) -> np.ndarray:
    """All bucket keys of a batch's rows (:func:`~wireclean.dedup.lsh.bucket_keys`), as
    ``config`` has them: ``(rows, config.key_slots)`` uint64."""
    if len(batch) == 0:
        return np.empty((0, config.key_slots), np.uint64)
    return bucket_keys(hasher, batch.signatures, batch_sentence_keys(config, batch))


class Buckets(NamedTuple):
    """A batch's bucket keys as a persistent store reads them: each distinct key once."""

    uniq: np.ndarray      # the distinct keys, sorted
    inverse: np.ndarray   # per (row, key slot), flattened: which of them it is
    probed: np.ndarray    # per (row, key slot): does the row look this key up?
    listed: np.ndarray    # per distinct key: does some row look it up (read its entries)?


def distinct_buckets(keys: np.ndarray, roles: np.ndarray) -> Buckets:
    """:class:`Buckets` of ``keys`` ((rows, key slots), any integer type), whose columns
    have ``roles`` (:func:`~wireclean.dedup.lsh.key_roles`). Keys no row looks up are
    there to be counted: a bucket keeps its first entries whoever stores in it.

    >>> b = distinct_buckets(np.array([[5, 7], [5, 9]]), np.array([3, 1], np.uint8))
    >>> b.uniq.tolist(), b.inverse.tolist(), b.listed.tolist()
    ([5, 7, 9], [0, 1, 0, 2], [True, False, False])
    """
    uniq, inverse = np.unique(keys.reshape(-1), return_inverse=True)
    probed = np.broadcast_to((roles & PROBED) != 0, keys.shape).reshape(-1)
    listed = np.zeros(len(uniq), dtype=bool)
    listed[inverse[probed]] = True
    return Buckets(uniq, inverse.reshape(-1), probed, listed)


def expand_found(counts: np.ndarray, flat: np.ndarray, inverse: np.ndarray,
                 probed: np.ndarray | None = None, listed: np.ndarray | None = None):
    """What a store's bucket lookup returns -- (query positions, paragraph ids, count per
    query key) -- from the ids found for each unique band key (``counts[u]`` of them,
    concatenated in ``flat``) and, per query position, which unique key it is (``inverse``).
    With ``probed`` (bool per query position), only those positions get entries (the
    others are keys a row stores without looking them up: only their count matters), and
    ``flat`` holds the ids of the ``listed`` unique keys only (bool per unique key).

    >>> q, ids, count = expand_found(np.array([2, 0, 1]), np.array([7, 3, 9]), np.array([2, 1, 0, 0]))
    >>> q.tolist(), ids.tolist(), count.tolist()
    ([0, 2, 2, 3, 3], [9, 7, 3, 7, 3], [1, 0, 2, 2])
    """
    per_q = counts[inverse] if len(inverse) else np.zeros(0, np.int64)
    shown = per_q if probed is None else np.where(probed, per_q, 0)
    has = np.flatnonzero(shown)
    if len(has) == 0:
        e = np.empty(0, np.int64)
        return e, e, per_q
    sizes = shown[has]
    in_flat = counts if listed is None else np.where(listed, counts, 0)
    starts = np.cumsum(in_flat) - in_flat
    rep = np.repeat(has, sizes)
    return (rep.astype(np.int64), flat[starts[inverse[rep]] + run_offsets(sizes)].astype(np.int64),
            per_q)


@dataclass
class Batch:
    """The matchable paragraphs of one or more documents, ready for a store.

    Paragraph rows are grouped by document, in document order; ``record[i]`` says which
    document (an index into ``keys``) row i belongs to.
    """

    keys: list[str]
    metas: list[Any]
    record: np.ndarray      # int64, per row
    para: np.ndarray        # int64, per row: paragraph number in its document
    sizes: np.ndarray       # int64, per row: shingle count (uint32 once prepared)
    signatures: np.ndarray  # uint32, (rows, num_perm); uint8 (low bits) once prepared
    #: uint64 (rows, SentenceKeys.SLOTS), NO_KEY in unused slots; None when the index has
    #: no sentence keys (or once prepared: they are in ``band_keys`` then).
    sentence_keys: np.ndarray | None = None
    #: Set by :func:`~wireclean.dedup.stores.memory.prepare` (in a ``--jobs`` worker): the
    #: band and sentence keys, sorted, their rows and roles (see
    #: :func:`~wireclean.dedup.lsh.sorted_bucket_keys`), so the process holding the index
    #: does not compute them.
    band_keys: tuple | None = None

    def __len__(self) -> int:
        return len(self.record)


class Hit(NamedTuple):
    """Row ``row`` of a batch matches paragraph ``key_para`` of document ``key``."""

    row: int
    key: str
    key_para: int
    score: float
    jaccard: float
    containment: float
    meta: Any
