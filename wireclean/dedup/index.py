"""The paragraph index: ``add``, ``query``, ``check_and_add``, ``remove``, ``len``.

Documents go in under a key; their matchable paragraphs (see
:func:`~wireclean.dedup.segment.paragraphs`) are hashed and indexed. A query reports, for
each matchable paragraph of a text, the indexed paragraphs it matches, best first. Every
match was verified on the signatures -- estimated Jaccard, or containment when one copy
was trimmed from or extended beyond the other -- never just a shared LSH bucket.

>>> idx = Index()
>>> idx.add("wire/1", "Officials from both countries met in Geneva on Tuesday to discuss a "
...                   "grain export deal that would reopen Black Sea ports, a spokesman said.")
>>> idx.check_and_add("site/9", "Officials from both countries met in Geneva on Tuesday "
...                             "to discuss a grain export deal that would reopen Black Sea ports.")
[Match(para=0, key='wire/1', key_para=0, score=0.97, meta=None, jaccard=0.84, containment=0.99)]
>>> len(idx), idx.query("Nothing like this sentence was ever filed on the wire before now.")
(2, [])

Stores: ``Index()`` keeps everything in memory; ``Index.open("wire.db")`` uses an SQLite
file (created when missing) that several processes can share. All methods are thread-safe;
``check_and_add`` is atomic -- across processes too, for an SQLite index.

Keys are unique: adding a key the index holds raises :class:`DuplicateKeyError` and
changes nothing (``remove`` it first to replace a document). A document with no matchable
paragraph is still recorded under its key.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from .minhash import MinHasher
from .segment import DEFAULT_MIN_WORDS, matchable_texts
from .stores import (DEFAULT_THRESHOLD, Batch, DuplicateKeyError, Hit, IndexConfig,
                     IndexFormatError)
from .stores.memory import MemoryStore

__all__ = ["Index", "Match", "IndexFormatError", "DuplicateKeyError", "DEFAULT_THRESHOLD"]

#: Paragraphs per store transaction in the ``*_many`` calls: large enough to amortise a
#: transaction and numpy call overheads, small enough to bound memory.
BATCH_PARAGRAPHS = 4096


@dataclass(frozen=True)
class Match:
    """Paragraph ``para`` of the queried text matches paragraph ``key_para`` of ``key``.

    ``score`` is what is compared with the threshold: the larger of ``jaccard`` and
    ``containment`` put on Jaccard's scale (``C/(2-C)``), so for two paragraphs of the
    same length it is the Jaccard estimate, and a paragraph wholly inside the other scores
    1.0. ``containment`` is how much of the shorter paragraph the longer one holds.
    Scores are rounded to 2 decimals (a 128-value signature is not more precise).
    """

    para: int
    key: str
    key_para: int
    score: float
    meta: Any = None
    jaccard: float = 0.0
    containment: float = 0.0


def _match(para: int, hit: Hit) -> Match:
    return Match(para, hit.key, hit.key_para, round(hit.score, 2), hit.meta,
                 round(hit.jaccard, 2), round(hit.containment, 2))


class Index:
    """Near-duplicate paragraph index (in memory; see :meth:`open` for a file).

    Args:
        threshold: matches are reported from this score up (default 0.8).
        num_perm, seed, shingle_size: the MinHash signature (defaults 128, 1, 3).
        min_words: paragraphs with fewer words are numbered but never matched.
        bucket_cap: most paragraphs per LSH bucket (bounds a boilerplate paragraph's cost).
        sentence_words: the tokens hashed at each end of a sentence for sentence keys,
            which find a paragraph reprinted inside a longer one (default 8, the tested
            value, ``sentences.DEFAULT_SENTENCE_WORDS``; 0 for none, faster; see
            :mod:`~wireclean.dedup.sentences`).
    """

    def __init__(self, threshold: float | None = None, *, num_perm: int | None = None,
                 seed: int | None = None, shingle_size: int | None = None,
                 min_words: int = DEFAULT_MIN_WORDS, bucket_cap: int | None = None,
                 sentence_words: int | None = None, _store=None):
        if _store is None:
            config = IndexConfig.create(threshold, num_perm, seed, shingle_size, bucket_cap,
                                        sentence_words)
            _store = MemoryStore(config)
        self._store = _store
        self.config: IndexConfig = _store.config
        self.min_words = min_words
        self._hasher = MinHasher(num_perm=self.config.num_perm, seed=self.config.seed,
                                 shingle_size=self.config.shingle_size)
        self._sentences = self.config.sentence_keys()
        self._lock = threading.RLock()

    @classmethod
    def open(cls, target: str | os.PathLike, *, threshold: float | None = None,
             num_perm: int | None = None, seed: int | None = None,
             shingle_size: int | None = None, min_words: int = DEFAULT_MIN_WORDS,
             bucket_cap: int | None = None, sentence_words: int | None = None,
             create: bool = True) -> "Index":
        """Open a persistent index, created when missing (unless ``create`` is false):

        * an SQLite file path -- the embedded default;
        * ``redis://HOST:PORT/DB[?prefix=NAME]`` -- one index shared by processes on many
          machines (``pip install 'wireclean[redis]'``; see :mod:`.stores.redis`).

        Parameters left out are read from an existing index; parameters given must match
        it, or :class:`IndexFormatError` says which differ. So does a file or a Redis
        prefix that is not an index, is damaged or truncated, or has another format version.
        """
        target = os.fspath(target)
        given = {name: value for name, value in (
            ("threshold", threshold), ("num_perm", num_perm), ("seed", seed),
            ("shingle_size", shingle_size), ("bucket_cap", bucket_cap),
            ("sentence_words", sentence_words)) if value is not None}
        wanted = IndexConfig.create(threshold, num_perm, seed, shingle_size, bucket_cap,
                                    sentence_words)
        if "://" in target:
            from .stores.redis import RedisStore
            store = RedisStore.open(target, wanted, given, create=create)
        else:
            from .stores.sqlite import SQLiteStore
            if not create and not os.path.exists(target):
                raise FileNotFoundError(f"{target}: no such index file")
            store = SQLiteStore.open(target, wanted, given)
        return cls(min_words=min_words, _store=store)

    # ---- the public calls -----------------------------------------------------------

    def add(self, key: str, text: str, meta: Any = None) -> None:
        """Index the matchable paragraphs of ``text`` under ``key`` (a new key)."""
        batch = self._batch([(key, text, meta)])
        with self._lock:
            self._store.process(batch, add=True, query=False)

    def query(self, text: str) -> list[Match]:
        """Verified matches of each matchable paragraph of ``text``: by paragraph, best first."""
        batch = self._batch([("", text, None)])
        with self._lock:
            hits = self._store.process(batch, add=False, query=True)
        return [_match(int(batch.para[h.row]), h) for h in hits]

    def check_and_add(self, key: str, text: str, meta: Any = None) -> list[Match]:
        """``query`` then ``add``, atomically: what a scraper calls for every article.

        Matches are against what the index held before the call (a paragraph repeated
        inside ``text`` does not match itself).
        """
        batch = self._batch([(key, text, meta)])
        with self._lock:
            hits = self._store.process(batch, add=True, query=True)
        return [_match(int(batch.para[h.row]), h) for h in hits]

    def remove(self, key: str) -> None:
        """Forget the document under ``key``; ``KeyError`` if there is none."""
        with self._lock:
            if not self._store.remove(key):
                raise KeyError(key)

    def __len__(self) -> int:
        """Number of keys (documents) in the index."""
        with self._lock:
            return len(self._store)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return isinstance(key, str) and key in self._store

    # ---- streams ----------------------------------------------------------------------

    def add_many(self, records: Iterable[Sequence]) -> int:
        """Add ``(key, text)`` or ``(key, text, meta)`` records; returns how many.

        Records go to the store in batches of about ``BATCH_PARAGRAPHS`` paragraphs, one
        transaction each; a duplicate key stops the call with the batches before it added.
        """
        n = 0
        for batch in self._batches(records):
            with self._lock:
                self._store.process(batch, add=True, query=False)
            n += len(batch.keys)
        return n

    def check_and_add_many(self, records: Iterable[Sequence]) -> Iterator[tuple[str, list[Match]]]:
        """``check_and_add`` for a stream: yields ``(key, matches)`` per record, in order.

        Each record is matched against the index and every earlier record of the stream,
        exactly as one ``check_and_add`` per record would, but hashed and stored in
        batches. Memory is bounded by the index and one batch, never by the stream.
        """
        for batch in self._batches(records):
            yield from zip(batch.keys, self.process(batch, add=True))

    # ---- the two halves of every call, for pipelines ----------------------------------

    def sign(self, records: Iterable[Sequence]) -> Batch:
        """Segment and sign ``(key, text)`` or ``(key, text, meta)`` records without
        touching the store: the CPU-heavy half of every call, which a pipeline may run in
        other processes (a :class:`~wireclean.dedup.stores.Batch` pickles, and an
        ``Index`` made with the same ``num_perm``, ``seed`` and ``shingle_size`` signs
        alike). Give the batch to :meth:`process`.

        >>> idx = Index()
        >>> batch = idx.sign([("a", "The ministry said the talks on grain exports would resume next week.")])
        >>> len(batch), idx.process(batch, add=True), len(idx)
        (1, [[]], 1)
        """
        return self._batch([_unpack(record) for record in records])

    def process(self, batch: Batch, *, add: bool, query: bool = True) -> list[list[Match]]:
        """Match (``query``) and/or store (``add``) a batch from :meth:`sign` in one atomic
        step; returns each record's matches, in order (empty lists without ``query``)."""
        with self._lock:
            hits = self._store.process(batch, add=add, query=query)
        per_record: list[list[Match]] = [[] for _ in batch.keys]
        for h in hits:
            per_record[int(batch.record[h.row])].append(_match(int(batch.para[h.row]), h))
        return per_record

    # ---- housekeeping -----------------------------------------------------------------

    @property
    def location(self) -> str:
        """``"memory"`` or the index file's path."""
        return self._store.location

    def compact(self) -> int:
        """Merge the entries of recently added paragraphs into an SQLite index's file
        structure now (a sweep does it bit by bit as paragraphs are added), so that each
        later :meth:`open` reads none back: worth it after building an archive that many
        short-lived processes will open. Returns how many entries were merged (0 for
        other stores, which have nothing to merge)."""
        with self._lock:
            return self._store.compact()

    def close(self) -> None:
        with self._lock:
            self._store.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        c = self.config
        return (f"Index({self.location!r}, threshold={c.threshold}, num_perm={c.num_perm}, "
                f"shingle_size={c.shingle_size}, bands={c.bands}x{c.rows})")

    # ---- records -> batches -------------------------------------------------------------

    def _batches(self, records: Iterable[Sequence]) -> Iterator[Batch]:
        pending: list[tuple] = []
        size = 0
        for record in records:
            key, text, meta = _unpack(record)
            pending.append((key, text, meta))
            size += text.count("\n") + 1  # cheap upper bound on its paragraphs
            if size >= BATCH_PARAGRAPHS:
                yield self._batch(pending)
                pending, size = [], 0
        if pending:
            yield self._batch(pending)

    def _batch(self, records: list[tuple]) -> Batch:
        keys, metas, texts, record, para = [], [], [], [], []
        for i, (key, text, meta) in enumerate(records):
            if not isinstance(key, str):
                raise TypeError(f"keys are strings, got {type(key).__name__}: {key!r}")
            if not isinstance(text, str):
                raise TypeError(f"text of {key!r} is {type(text).__name__}, not str")
            keys.append(key)
            metas.append(meta)
            numbers, matchable = matchable_texts(text, self.min_words)
            texts += matchable
            record += [i] * len(numbers)
            para += numbers
        sigs, sizes, sentence_keys = self._signatures(texts)
        return Batch(keys, metas, np.asarray(record, dtype=np.int64),
                     np.asarray(para, dtype=np.int64), sizes, sigs, sentence_keys)

    def _signatures(self, texts: list[str]) -> tuple:
        """Signatures, shingle counts (the counts let containment be estimated) and
        sentence keys (None when the index has none)."""
        # Shingles are counted by position (a repeated shingle counts twice).
        if self._sentences is None:
            return (*self._hasher.signatures_and_sizes(texts), None)
        return self._hasher.signatures_sizes_and_sentences(texts, self._sentences)


def _unpack(record: Sequence) -> tuple[str, str, Any]:
    if len(record) == 2:
        return record[0], record[1], None
    if len(record) == 3:
        return record[0], record[1], record[2]
    raise ValueError(f"records are (key, text) or (key, text, meta), got {len(record)} fields")
