"""The in-memory store: a :class:`~wireclean.dedup.lsh.SignatureLSH` plus document keys.

Per paragraph it holds numpy rows only (band entries, the signature's low 8 bits, the
shingle count, its document and paragraph number); per document a key and, when given,
its meta. Nothing is copied per corpus record beyond what is indexed.

>>> from wireclean.dedup.stores import Batch, IndexConfig
>>> store = MemoryStore(IndexConfig.create(sentence_words=0))   # signatures alone
>>> sig = np.arange(128, dtype=np.uint32).reshape(1, 128)
>>> one = lambda key: Batch([key], [None], np.zeros(1, np.int64), np.zeros(1, np.int64),
...                         np.array([20]), sig)
>>> store.process(one("a"), add=True, query=True)
[]
>>> [(h.row, h.key, h.key_para, h.score) for h in store.process(one("b"), add=True, query=True)]
[(0, 'a', 0, 1.0)]
>>> len(store), "a" in store
(2, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..lsh import BandHasher, ChunkedArray, SignatureLSH, Verified, low_bits, sorted_bucket_keys
from . import Batch, DuplicateKeyError, Hit, IndexConfig, batch_sentence_keys


def prepare(batch: Batch, band_hasher: BandHasher) -> Batch:
    """Cut ``batch`` down to what a :class:`MemoryStore` keeps, in any process: its band
    and sentence keys (sorted, with ``band_hasher`` -- the store's
    :attr:`MemoryStore.band_hasher`) and the low bits of its signatures. Less to send from
    a worker, less work for the store."""
    keys, rows, roles = sorted_bucket_keys(band_hasher, batch.signatures, batch.sentence_keys)
    batch.sentence_keys = None
    # The narrowest types that hold them: a prepared batch crosses a pipe.
    batch.band_keys = (keys,
                       rows.astype(np.uint16 if len(batch) <= 1 << 16 else np.uint32), roles)
    batch.signatures = low_bits(batch.signatures)
    batch.sizes = batch.sizes.astype(np.uint32)
    return batch


class MemoryStore:
    """Documents and their paragraphs' signatures, in this process's memory."""

    def __init__(self, config: IndexConfig):
        self.config = config
        self.location = "memory"
        self._lsh = SignatureLSH(threshold=config.threshold, num_perm=config.num_perm,
                                 seed=config.seed, params=(config.bands, config.rows),
                                 bucket_cap=config.bucket_cap)
        #: What :func:`prepare` needs to make batches for this store elsewhere (picklable).
        self.band_hasher = self._lsh.hasher
        self._doc_of_key: dict[str, int] = {}
        self._keys: list[str | None] = []       # doc id -> key (None once removed)
        self._metas: dict[int, Any] = {}        # doc id -> meta, only when not None
        self._doc_first = ChunkedArray(np.int64)  # doc id -> its first item id
        self._doc_count = ChunkedArray(np.int32)  # doc id -> how many items
        self._item_doc = ChunkedArray(np.int64)   # item id -> doc id
        self._item_para = ChunkedArray(np.int32)  # item id -> paragraph number

    def __len__(self) -> int:
        return len(self._doc_of_key)

    def __contains__(self, key: str) -> bool:
        return key in self._doc_of_key

    @property
    def nbytes(self) -> int:
        """Bytes in numpy arrays (keys and metas are Python objects, not counted)."""
        return (self._lsh.nbytes + self._doc_first.nbytes + self._doc_count.nbytes
                + self._item_doc.nbytes + self._item_para.nbytes)

    def compact(self) -> int:
        """Nothing to do: memory has no recent entries to merge (see the SQLite store)."""
        return 0

    def close(self) -> None:
        pass

    def process(self, batch: Batch, *, add: bool, query: bool) -> list[Hit]:
        """Match and/or store one batch; all of it or (on a duplicate key) none of it."""
        if not add:
            if len(batch) == 0:
                return []
            return self._hits(batch, self._lsh.query(batch.signatures, batch.sizes,
                                                    batch.band_keys, self._sentence_keys(batch)))
        _, verified = self.add_and_match(batch, query=query)
        return self._hits(batch, verified) if query else []

    def add_and_match(self, batch: Batch, *, query: bool = True) -> tuple[int, Verified]:
        """Store a batch; with ``query``, first match it against everything earlier.

        The array form of ``process(batch, add=True, query=True)`` for callers that handle
        many matches (a corpus run): returns the item id given to the batch's first row
        (row i becomes item ``first + i``) and the verified pairs, row -> earlier item id,
        best first per row. :meth:`locate` names the items.
        """
        seen = set()
        for key in batch.keys:
            if key in self._doc_of_key or key in seen:
                raise DuplicateKeyError(f"key {key!r} is already in the index")
            seen.add(key)
        first_doc = len(self._keys)
        first_item = len(self._item_doc)
        per_doc = np.bincount(batch.record, minlength=len(batch.keys)).astype(np.int64)
        starts = first_item + np.cumsum(per_doc) - per_doc
        _, verified = self._lsh.insert(batch.signatures, batch.sizes, groups=batch.record,
                                       query=query, band_keys=batch.band_keys,
                                       sentence_keys=self._sentence_keys(batch))
        for i, (key, meta) in enumerate(zip(batch.keys, batch.metas)):
            self._doc_of_key[key] = first_doc + i
            self._keys.append(key)
            if meta is not None:
                self._metas[first_doc + i] = meta
        self._doc_first.extend(starts)
        self._doc_count.extend(per_doc)
        self._item_doc.extend(first_doc + batch.record)
        self._item_para.extend(batch.para)
        return first_item, verified

    def _sentence_keys(self, batch: Batch) -> np.ndarray | None:
        """The batch's sentence keys if this index has them (prepared batches carry them
        in ``band_keys`` already)."""
        return None if batch.band_keys is not None else batch_sentence_keys(self.config, batch)

    def locate(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers (in the order they were added) and paragraph numbers of items."""
        ids = np.asarray(ids, dtype=np.int64)
        return self._item_doc.take(ids), self._item_para.take(ids).astype(np.int64)

    def key(self, doc: int) -> str | None:
        """The key of document number ``doc`` (None once removed)."""
        return self._keys[doc]

    def _hits(self, batch: Batch, v) -> list[Hit]:
        if len(v.row) == 0:
            return []
        docs = self._item_doc.take(v.id).tolist()
        paras = self._item_para.take(v.id).tolist()
        keys, metas = self._keys, self._metas
        return [Hit(row, keys[d], p, s, j, c, metas.get(d))
                for row, d, p, s, j, c in zip(v.row.tolist(), docs, paras, v.score.tolist(),
                                              v.jaccard.tolist(), v.containment.tolist())]

    def remove(self, key: str) -> bool:
        doc = self._doc_of_key.pop(key, None)
        if doc is None:
            return False
        first = int(self._doc_first.take(np.array([doc]))[0])
        count = int(self._doc_count.take(np.array([doc]))[0])
        self._lsh.remove(np.arange(first, first + count))
        self._keys[doc] = None
        self._metas.pop(doc, None)
        return True
