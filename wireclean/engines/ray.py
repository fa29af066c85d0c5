"""Corpus-scale paragraph dedup on Ray Data: the same matches as ``wireclean dedup``,
computed by a cluster when one machine is not enough.

``dedup_dataset(ds)`` takes a :class:`ray.data.Dataset` of records (an id field and a
text field, defaults ``id`` and ``text``) and returns a Dataset of match rows, one per
duplicate paragraph, with the fields of ``wireclean dedup --report``::

    {"id", "para", "match_id", "match_para", "score", "jaccard", "containment",
     "order", "match_order"}

``order``/``match_order`` are the 0-based positions of the two records in the input.
As in the CLI and :meth:`wireclean.Index.check_and_add_many`, each paragraph is matched
against the paragraphs of every *earlier* record (never its own record's), and the match
reported is the best earlier one: highest score, then highest Jaccard, then the
earliest paragraph. Rows come sorted by ``(order, para)``.

How it runs (every step is a Ray task or a Ray Data shuffle, so no step holds the corpus
in one process):

0. *Order.* The input is materialized in input order (``preserve_order``) and every
   record gets its position, so "earlier" means the same thing on every run. Records are
   checked here: one without a text field stops the call with :class:`RecordError`
   naming it, before any hashing.
1. *Hash* (``map_batches``): segmentation (:func:`~wireclean.dedup.segment.paragraphs`),
   canonical form and MinHash (:class:`~wireclean.dedup.minhash.MinHasher`) per batch of
   records; each matchable paragraph becomes one row: item number (record position and
   paragraph), id, shingle count, the low 8 bits of its signature (what the in-memory
   index verifies with) and its bucket keys (:class:`~wireclean.dedup.lsh.BandHasher`'s
   band keys and sentence keys -- :mod:`~wireclean.dedup.sentences` -- the same 32-bit
   keys the index uses, as a list, with a list of their roles). These rows (about 300
   bytes per paragraph) are materialized once, in Ray's object store (which spills to
   disk), and read twice.
2. *Buckets* (shuffle of 17-byte (key, item, role) rows): inside each bucket, every
   paragraph that looks the key up is paired with the earlier ones among the bucket's
   first ``bucket_cap`` members that store it -- the in-process rule
   (``lsh.DEFAULT_BUCKET_CAP``) -- paragraphs of one
   record never with each other.
3. *Verify* (two shuffles joining the candidate pairs with the signatures, first of the
   earlier paragraph, then of the later one): the score of :func:`~wireclean.dedup.lsh.
   verify` against the threshold, then the best earlier match per paragraph.

``drop_duplicates(ds, keep=...)`` removes the copies: with ``keep="first"`` the match rows
say which; with ``"earliest"`` or ``"longest"`` step 3 emits every verified pair instead,
and the clusters they make pick the copy to keep, as ``wireclean dedup --keep`` does.

Each shuffle groups rows by a coarse partition number and handles a whole partition with
numpy at once, so a corpus whose band buckets are mostly singletons costs no Python call
per bucket.

The one difference from a batched in-process run: a band bucket that overflows the cap
inside one in-process batch lets that batch's paragraphs also meet members past the cap.
Here a paragraph meets exactly the first ``bucket_cap`` members of each of its buckets,
which is what one ``Index.check_and_add`` call per record does. Below the cap the two
agree pair for pair; above it, only what a boilerplate paragraph repeated more than 64
times is compared with differs.

Ray is imported when a function runs, not with this module, so ``wireclean`` works
without the ``ray`` extra; the functions then raise ImportError saying what to install.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..dedup.lsh import BandHasher, _mix64, _sorted_pairs, bucket_keys, verify
from ..dedup.sentences import NO_KEY
from ..dedup.minhash import MinHasher
from ..dedup.segment import DEFAULT_MIN_WORDS, paragraphs
from ..dedup.stores import IndexConfig

if TYPE_CHECKING:  # pragma: no cover
    import ray.data

__all__ = ["MATCH_FIELDS", "RecordError", "dedup_dataset", "drop_duplicates", "duplicate_ids"]

#: Fields of every match row (the first five are DESIGN.md's report contract).
MATCH_FIELDS = ("id", "para", "match_id", "match_para", "score", "jaccard", "containment",
                "order", "match_order")

#: An item number is ``order << PARA_BITS | para``: sorting items sorts by input order,
#: then paragraph, which is the "earlier" of the in-process index.
PARA_BITS = 24
_PARA_MASK = (1 << PARA_BITS) - 1
#: Bits of each signature value kept for verification, as in the in-memory index
#: (``SignatureLSH.SIG_BITS``): the same estimates, so the same matches.
SIG_BITS = 8
#: Consecutive input blocks smaller than this many records are handled as one.
GROUP_ROWS = 10_000
#: Band rows (16 bytes each) per shuffle partition when ``partitions`` is not given.
PART_ROWS = 2_000_000


class RecordError(ValueError):
    """A record that cannot be deduplicated; the message is one line naming it.

    >>> str(RecordError(3, "wire/3", "has no 'text' field"))
    "record 3 (id 'wire/3'): has no 'text' field"
    >>> str(RecordError(0, None, "has no 'text' field"))
    "record 0: has no 'text' field"
    """

    def __init__(self, order: int, key: Any, reason: str):
        self.order, self.key, self.reason = order, key, reason
        name = f"record {order}" + (f" (id {key!r})" if key is not None else "")
        super().__init__(f"{name}: {reason}")


def _require_ray():
    try:
        import pyarrow  # noqa: F401  (Ray Data's block format)
        import ray
        import ray.data  # noqa: F401
    except ImportError as e:
        raise ImportError("wireclean.engines.ray needs Ray Data: "
                          "pip install 'wireclean[ray]'") from e
    return ray


# --------------------------------------------------------------------------- parameters

class _Params:
    """Everything the workers need, small and picklable."""

    def __init__(self, config: IndexConfig, min_words: int):
        self.config = config
        self.min_words = min_words


@functools.lru_cache(maxsize=8)
def _hashers(config: IndexConfig):
    """One MinHasher, BandHasher and SentenceKeys (or None) per worker process and config."""
    return (MinHasher(num_perm=config.num_perm, seed=config.seed,
                      shingle_size=config.shingle_size),
            BandHasher(config.bands, config.rows, config.seed), config.sentence_keys())


def _parts(items: np.ndarray, parts: int) -> np.ndarray:
    """Partition number of each item: mixed first, since items of one record are
    consecutive numbers.

    >>> _parts(np.array([0, 1, 2, 1 << 24]), 1).tolist()
    [0, 0, 0, 0]
    """
    h = np.asarray(items, dtype=np.int64).astype(np.uint64)
    return (_mix64(h) % np.uint64(parts)).astype(np.int64)


# --------------------------------------------------------------------------- schemas

def _pa():
    import pyarrow as pa
    return pa


def _sig_type(num_perm: int):
    pa = _pa()
    return pa.list_(pa.uint8(), num_perm)


def _join_schema(num_perm: int):
    """Rows of the two join shuffles: a paragraph (``peer == -1``: its signature, size,
    id and number) or a candidate pair (``item`` joined, ``peer`` the other side)."""
    pa = _pa()
    return pa.schema([("part", pa.int64()), ("item", pa.int64()), ("peer", pa.int64()),
                      ("size", pa.int64()), ("sig", _sig_type(num_perm)),
                      ("id", pa.string())])


def _match_schema():
    pa = _pa()
    return pa.schema([("id", pa.string()), ("para", pa.int64()), ("match_id", pa.string()),
                      ("match_para", pa.int64()), ("score", pa.float64()),
                      ("jaccard", pa.float64()), ("containment", pa.float64()),
                      ("order", pa.int64()), ("match_order", pa.int64())])


def _sig_array(sigs8: np.ndarray, num_perm: int):
    pa = _pa()
    flat = pa.array(np.ascontiguousarray(sigs8, dtype=np.uint8).reshape(-1), pa.uint8())
    return pa.FixedSizeListArray.from_arrays(flat, num_perm)


def _sig_matrix(column, num_perm: int) -> np.ndarray:
    """A fixed-size-list column back to an (n, num_perm) uint8 matrix, without copies
    where arrow allows."""
    col = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    if len(col) == 0:
        return np.empty((0, num_perm), np.uint8)
    values = col.values.to_numpy(zero_copy_only=False)
    start = col.offset * num_perm
    return values[start:start + len(col) * num_perm].reshape(len(col), num_perm)


def _join_table(part, item, peer, size, sigs8, ids, num_perm: int):
    pa = _pa()
    return pa.Table.from_arrays(
        [pa.array(part, pa.int64()), pa.array(item, pa.int64()), pa.array(peer, pa.int64()),
         pa.array(size, pa.int64()), _sig_array(sigs8, num_perm), pa.array(ids, pa.string())],
        schema=_join_schema(num_perm))


# --------------------------------------------------------------------------- step 0: order

def _record_id(table, row: int, id_field: str):
    if id_field not in table.column_names:
        return None
    value = table.column(id_field)[row].as_py()
    return None if value is None else str(value)


def _check_block(table, id_field: str, text_field: str):
    """(rows, first bad record as (row, id, reason) or None) of one input block."""
    import pyarrow as pa
    import pyarrow.compute as pc
    n = table.num_rows
    if n == 0:
        return 0, None
    if text_field not in table.column_names:
        return n, (0, _record_id(table, 0, id_field), f"has no {text_field!r} field")
    col = table.column(text_field)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
            or pa.types.is_null(col.type)):
        return n, (0, _record_id(table, 0, id_field),
                   f"its {text_field!r} field is {col.type}, not a string")
    if col.null_count:
        row = pc.index(pc.is_null(col), True).as_py()
        return n, (row, _record_id(table, row, id_field), f"has no {text_field!r} field")
    return n, None


def _concat(tables):
    pa = _pa()
    if len(tables) == 1:
        return tables[0]
    return pa.concat_tables(tables, promote_options="default")


def _number_block(offset: int, id_field: str, text_field: str, date_field: str | None,
                  *tables):
    """Consecutive blocks' records as (``_order``, ``_id``, ``_text``) rows, and ``_date``
    with a ``date_field``; a record without an id is named by its position, ``#ORDER``."""
    pa = _pa()
    wanted = (id_field, text_field) + ((date_field,) if date_field else ())
    table = _concat([t.select([c for c in wanted if c in t.column_names]) for t in tables])
    n = table.num_rows
    order = np.arange(offset, offset + n, dtype=np.int64)
    if id_field in table.column_names:
        ids = [f"#{offset + i}" if v is None else str(v)
               for i, v in enumerate(table.column(id_field).to_pylist())]
    else:
        ids = [f"#{k}" for k in order.tolist()]
    text = table.column(text_field) if n else pa.array([], pa.string())
    columns = {"_order": pa.array(order), "_id": pa.array(ids, pa.string()),
               "_text": text.cast(pa.string())}
    if date_field:
        columns["_date"] = (table.column(date_field) if date_field in table.column_names
                            else pa.nulls(n))
    return pa.table(columns)


def _with_order(offset: int, *tables):
    pa = _pa()
    table = _concat(list(tables))
    return table.append_column("_order", pa.array(
        np.arange(offset, offset + table.num_rows, dtype=np.int64)))


class _Ordered:
    """The input, materialized in input order: per block, its records numbered from the
    block's offset (the narrow table hashing needs, and on request the whole record)."""

    def __init__(self, ds, id_field: str, text_field: str, whole: bool = False,
                 date_field: str | None = None):
        ray = _require_ray()
        ctx = ds.context
        kept = ctx.execution_options.preserve_order
        ctx.execution_options.preserve_order = True  # "earlier" must mean input order
        try:
            refs = ds.to_arrow_refs()
        finally:
            ctx.execution_options.preserve_order = kept
        check = ray.remote(_check_block)
        checks = ray.get([check.remote(r, id_field, text_field) for r in refs])
        offsets, total = [], 0
        for rows, bad in checks:
            if bad is not None:
                row, key, reason = bad
                raise RecordError(total + row, key, reason)
            offsets.append(total)
            total += rows
        self.total = total
        # Consecutive small blocks are numbered together: a dataset of many tiny blocks
        # (from_items makes one per row of a short list) would otherwise cost a task per
        # block at every later step.
        groups: list[tuple[int, list]] = []
        rows_in_group = GROUP_ROWS
        for ref, off, (rows, _) in zip(refs, offsets, checks):
            if not rows:
                continue
            if rows_in_group >= GROUP_ROWS:
                groups.append((off, []))
                rows_in_group = 0
            groups[-1][1].append(ref)
            rows_in_group += rows
        number = ray.remote(_number_block)
        self.narrow = [number.remote(off, id_field, text_field, date_field, *group)
                       for off, group in groups]
        self.whole = None
        if whole:
            add = ray.remote(_with_order)
            self.whole = [add.remote(off, *group) for off, group in groups]


# --------------------------------------------------------------------------- step 1: hash

def _hash_batch(batch, params: _Params):
    """Records (``_order``, ``_id``, ``_text``) -> one row per matchable paragraph."""
    pa = _pa()
    c = params.config
    orders = batch.column("_order").to_numpy()
    rec, para, texts, lengths = [], [], [], []
    for i, text in enumerate(batch.column("_text").to_pylist()):
        for p in paragraphs(text, params.min_words):
            if p.matchable:
                if p.para > _PARA_MASK:
                    key = batch.column("_id")[i].as_py()
                    raise RecordError(int(orders[i]), key,
                                      f"has more than {_PARA_MASK + 1} paragraphs")
                rec.append(i)
                para.append(p.para)
                texts.append(p.text)
                lengths.append(len(p.text))
    hasher, bander, sentences = _hashers(c)
    if sentences is None:
        (sigs, sizes), sentence_keys = hasher.signatures_and_sizes(texts), None
    else:
        sigs, sizes, sentence_keys = hasher.signatures_sizes_and_sentences(texts, sentences)
    # The in-memory index keys its band table by the high 32 bits of each bucket key, and
    # keeps no unused sentence slot: each paragraph has a list of its keys, and of their
    # roles (stored, looked up or both; see sentences.py).
    full = bucket_keys(bander, sigs, sentence_keys)
    used = full != NO_KEY
    keys = (full[used] >> np.uint64(32)).astype(np.uint32)
    roles = np.broadcast_to(c.key_roles(), full.shape)[used]
    offsets = np.r_[0, np.cumsum(used.sum(axis=1))].astype(np.int32)
    rec = np.asarray(rec, dtype=np.int64)
    item = (orders[rec].astype(np.int64) << PARA_BITS) | np.asarray(para, dtype=np.int64)
    return pa.table({
        "item": pa.array(item, pa.int64()),
        "id": batch.column("_id").take(pa.array(rec, pa.int64())),
        "size": pa.array(np.asarray(sizes, dtype=np.int64)),
        "length": pa.array(np.asarray(lengths, dtype=np.int64)),   # for keep="longest"
        "sig": _sig_array((sigs & 0xFF).astype(np.uint8), c.num_perm),
        "keys": pa.ListArray.from_arrays(pa.array(offsets, pa.int32()),
                                         pa.array(keys, pa.uint32())),
        "roles": pa.ListArray.from_arrays(pa.array(offsets, pa.int32()),
                                          pa.array(roles, pa.uint8())),
    })


# --------------------------------------------------------------------------- step 2: buckets

def _band_rows(batch, parts: int):
    """Paragraph rows -> one (part, key, item) row per bucket key (band or sentence)."""
    pa = _pa()
    item = batch.column("item").to_numpy()
    keys = batch.column("keys").combine_chunks()
    key = keys.flatten().to_numpy().astype(np.int64)
    per_row = np.diff(keys.offsets.to_numpy())
    role = batch.column("roles").combine_chunks().flatten().to_numpy()
    return pa.table({"part": pa.array(key % parts), "key": pa.array(key),
                     "item": pa.array(np.repeat(item, per_row)), "role": pa.array(role)})


def bucket_pairs(keys: np.ndarray, items: np.ndarray, cap: int,
                 roles: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs ``(later, earlier)`` among (bucket key, item) rows.

    In each bucket (rows with one key) the members are taken in item order; each member
    that looks the key up is paired with the earlier ones among the first ``cap`` that
    store it (``roles``: ``STORED``/``PROBED`` flags per row; default both), never with an
    item of its own record (same ``item >> PARA_BITS``). A pair found in several buckets
    is returned once per bucket. Rows may come in any order.

    >>> rec = lambda order, para: (order << PARA_BITS) | para
    >>> keys = np.array([7, 7, 7, 9, 9])
    >>> items = np.array([rec(2, 0), rec(0, 1), rec(0, 3), rec(0, 1), rec(1, 0)])
    >>> later, earlier = bucket_pairs(keys, items, cap=64)
    >>> sorted((int(a) >> PARA_BITS, int(b) >> PARA_BITS) for a, b in zip(later, earlier))
    [(1, 0), (2, 0), (2, 0)]
    >>> len(bucket_pairs(np.array([5, 5, 5]), np.array([rec(0, 0), rec(1, 0), rec(2, 0)]), cap=1)[0])
    2
    """
    keys = np.asarray(keys, dtype=np.int64)
    items = np.asarray(items, dtype=np.int64)
    order = np.lexsort((items, keys))
    skeys, sitems = keys[order], items[order]
    sroles = None if roles is None else np.asarray(roles, np.uint8)[order]
    later, earlier, _ = _sorted_pairs(skeys, np.arange(len(skeys)), sitems >> PARA_BITS, cap,
                                      roles=sroles)
    return sitems[later], sitems[earlier]


def _bucket_group(group, cap: int, parts: int, num_perm: int):
    """One partition of band rows -> candidate pair rows keyed for the first join."""
    later, earlier = bucket_pairs(group.column("key").to_numpy(),
                                  group.column("item").to_numpy(), cap,
                                  group.column("role").to_numpy())
    n = len(later)
    return _join_table(_parts(earlier, parts), earlier, later, np.zeros(n, np.int64),
                       np.zeros((n, num_perm), np.uint8), [""] * n, num_perm)


# --------------------------------------------------------------------------- step 3: verify

def _sig_rows(batch, parts: int, num_perm: int):
    """Paragraph rows -> join rows that carry a paragraph's signature (``peer == -1``)."""
    item = batch.column("item").to_numpy()
    return _join_table(_parts(item, parts), item, np.full(len(item), -1, np.int64),
                       batch.column("size").to_numpy(),
                       _sig_matrix(batch.column("sig"), num_perm),
                       batch.column("id").to_pylist(), num_perm)


def _split(group, num_perm: int):
    """A join partition -> (paragraph rows sorted by item, pair rows)."""
    peer = group.column("peer").to_numpy()
    is_sig = peer < 0
    item = group.column("item").to_numpy()
    sigs = _sig_matrix(group.column("sig"), num_perm)
    size = group.column("size").to_numpy()
    ids = np.asarray(group.column("id").to_pylist(), dtype=object)
    s = np.flatnonzero(is_sig)
    s = s[np.argsort(item[s], kind="stable")]
    p = np.flatnonzero(~is_sig)
    return ((item[s], sigs[s], size[s], ids[s]),
            (item[p], peer[p], sigs[p], size[p], ids[p]))


def _lookup(sorted_items: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    at = np.searchsorted(sorted_items, wanted)
    if len(wanted) and (at.max() >= len(sorted_items) or
                        (sorted_items[at] != wanted).any()):  # pragma: no cover - a bug
        raise RuntimeError("a candidate pair names a paragraph with no signature row")
    return at


def _attach_earlier(group, parts: int, num_perm: int):
    """Pairs keyed by their earlier paragraph -> the same pairs keyed by the later one,
    carrying the earlier paragraph's signature, size and id."""
    (s_item, s_sig, s_size, s_id), (earlier, later, _, _, _) = _split(group, num_perm)
    if len(earlier):
        # A pair found through several bands is verified once.
        order = np.lexsort((later, earlier))
        earlier, later = earlier[order], later[order]
        first = np.r_[True, (earlier[1:] != earlier[:-1]) | (later[1:] != later[:-1])]
        earlier, later = earlier[first], later[first]
    at = _lookup(s_item, earlier)
    return _join_table(_parts(later, parts), later, earlier, s_size[at], s_sig[at],
                       s_id[at].tolist(), num_perm)


def _verify_best(group, threshold: float, num_perm: int):
    """Pairs keyed by their later paragraph -> verified, the best earlier match of each."""
    pa = _pa()
    (s_item, s_sig, s_size, s_id), (later, earlier, e_sig, e_size, e_id) = _split(group, num_perm)
    at = _lookup(s_item, later)
    v = verify(np.arange(len(later)), earlier, s_sig[at], e_sig, s_size[at], e_size,
               threshold, SIG_BITS)
    pos = v.row
    # Best first, as lsh.best_first orders an index's hits: score, Jaccard, earlier item.
    order = np.lexsort((earlier[pos], -v.jaccard, -v.score, later[pos]))
    pos, score, jac, con = pos[order], v.score[order], v.jaccard[order], v.containment[order]
    lat = later[pos]
    best = np.r_[True, lat[1:] != lat[:-1]] if len(lat) else np.zeros(0, bool)
    pos, score, jac, con, lat = pos[best], score[best], jac[best], con[best], lat[best]
    ear = earlier[pos]
    # Rounded as Index's Match rounds them (Python's round, not numpy's).
    r2 = lambda a: [round(x, 2) for x in a.tolist()]  # noqa: E731
    return pa.Table.from_arrays([
        pa.array(s_id[at][pos].tolist(), pa.string()), pa.array(lat & _PARA_MASK),
        pa.array(e_id[pos].tolist(), pa.string()), pa.array(ear & _PARA_MASK),
        pa.array(r2(score), pa.float64()), pa.array(r2(jac), pa.float64()),
        pa.array(r2(con), pa.float64()),
        pa.array(lat >> PARA_BITS), pa.array(ear >> PARA_BITS)], schema=_match_schema())


def _verify_edges(group, threshold: float, num_perm: int):
    """Pairs keyed by their later paragraph -> every verified pair, as (later, earlier)
    items: the edges that clusters are made of (what ``--keep earliest|longest`` needs)."""
    pa = _pa()
    (s_item, s_sig, s_size, _), (later, earlier, e_sig, e_size, _) = _split(group, num_perm)
    at = _lookup(s_item, later)
    v = verify(np.arange(len(later)), earlier, s_sig[at], e_sig, s_size[at], e_size,
               threshold, SIG_BITS)
    return pa.table({"later": pa.array(later[v.row], pa.int64()),
                     "earlier": pa.array(earlier[v.row], pa.int64())})


# --------------------------------------------------------------------------- public

def _config(threshold, num_perm, seed, shingle_size, bucket_cap, sentence_words, min_words,
            partitions) -> IndexConfig:
    """Checks every parameter before the input is read."""
    if isinstance(min_words, bool) or not isinstance(min_words, int) or min_words < 0:
        raise ValueError(f"min_words must be an integer >= 0, got {min_words!r}")
    if partitions is not None and (isinstance(partitions, bool) or
                                   not isinstance(partitions, int) or partitions < 1):
        raise ValueError(f"partitions must be an integer >= 1, got {partitions!r}")
    config = IndexConfig.create(threshold, num_perm, seed, shingle_size, bucket_cap,
                                sentence_words)
    MinHasher(config.num_perm, config.seed, config.shingle_size)  # checks the values
    return config


def _shuffle_strategy(shuffle: str | None):
    """Ray's ShuffleStrategy named ``shuffle`` (None: leave the DataContext's choice)."""
    if shuffle is None:
        return None
    from ray.data.context import ShuffleStrategy
    try:
        return ShuffleStrategy(shuffle)
    except ValueError:
        names = ", ".join(s.value for s in ShuffleStrategy)
        raise ValueError(f"shuffle must be one of {names}; got {shuffle!r}") from None


def _paras(ordered: _Ordered, params: _Params, shuffle: str | None = None):
    """Step 1: one materialized row per matchable paragraph (None for an empty input)."""
    import ray.data as rd
    strategy = _shuffle_strategy(shuffle)
    if not ordered.narrow:
        return None
    base = rd.from_arrow_refs(ordered.narrow)
    if strategy is not None:
        # The context is this dataset's own copy; everything derived from it inherits it.
        base.context.shuffle_strategy = strategy
    return (base
            .map_batches(_hash_batch, batch_format="pyarrow", fn_kwargs={"params": params})
            .materialize())


def _matches(ordered: _Ordered, params: _Params, partitions: int | None,
             shuffle: str | None = None, paras=None, edges: bool = False):
    """Steps 2 and 3: the best earlier match of each paragraph (match rows), or with
    ``edges`` every verified pair (``later``, ``earlier`` items)."""
    ray = _require_ray()
    import ray.data as rd
    c = params.config
    empty = (_pa().table({"later": _pa().array([], _pa().int64()),
                          "earlier": _pa().array([], _pa().int64())})
             if edges else _match_schema().empty_table())
    if paras is None:
        paras = _paras(ordered, params, shuffle)
    n = 0 if paras is None else paras.count()
    if n == 0:
        return rd.from_arrow(empty)
    if partitions is None:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        partitions = max(cpus, math.ceil(n * c.key_slots / PART_ROWS))
    parts = int(partitions)
    pyarrow = {"batch_format": "pyarrow"}
    pairs = (paras.select_columns(["item", "keys", "roles"])
             .map_batches(_band_rows, fn_kwargs={"parts": parts}, **pyarrow)
             .groupby("part", num_partitions=parts)
             .map_groups(_bucket_group, fn_kwargs={"cap": c.bucket_cap, "parts": parts,
                                                   "num_perm": c.num_perm}, **pyarrow))
    sig_rows = paras.map_batches(_sig_rows, fn_kwargs={"parts": parts, "num_perm": c.num_perm},
                                 **pyarrow)
    keyed_later = (sig_rows.union(pairs).groupby("part", num_partitions=parts)
                   .map_groups(_attach_earlier, fn_kwargs={"parts": parts,
                                                           "num_perm": c.num_perm}, **pyarrow))
    verified = sig_rows.union(keyed_later).groupby("part", num_partitions=parts)
    if edges:
        return verified.map_groups(_verify_edges, fn_kwargs={"threshold": c.threshold,
                                                             "num_perm": c.num_perm}, **pyarrow)
    return (verified.map_groups(_verify_best, fn_kwargs={"threshold": c.threshold,
                                                         "num_perm": c.num_perm}, **pyarrow)
            .sort(["order", "para"]))


def dedup_dataset(ds: "ray.data.Dataset", *, id_field: str = "id", text_field: str = "text",
                  threshold: float | None = None, num_perm: int | None = None,
                  seed: int | None = None, shingle_size: int | None = None,
                  min_words: int = DEFAULT_MIN_WORDS, bucket_cap: int | None = None,
                  sentence_words: int | None = None,
                  partitions: int | None = None, shuffle: str | None = None,
                  ) -> "ray.data.Dataset":
    """Near-duplicate paragraphs of ``ds``, each matched against earlier records.

    Args:
        ds: records with a string ``text_field``; ``id_field`` names them in the report
            (a record without one is ``#ORDER``; ids need not be unique, records are
            told apart by their position).
        threshold, num_perm, seed, shingle_size, bucket_cap, sentence_words: as for
            :class:`wireclean.Index` (defaults 0.8, 128, 1, 3, 64, 8; ``sentence_words=0``
            for no sentence keys).
        min_words: paragraphs with fewer words are numbered but never matched.
        partitions: shuffle partitions (default: the cluster's CPUs, or more so that
            each holds at most about 2 million band rows).
        shuffle: a Ray ``ShuffleStrategy`` value for the three group-bys and the sort
            (default: the current ``DataContext``'s, Ray's hash shuffle). On one machine
            ``"sort_shuffle_pull_based"`` avoids starting aggregator actors: a corpus of
            a few hundred records takes under a second instead of about ten.

    Returns a Dataset of match rows (:data:`MATCH_FIELDS`) sorted by ``(order, para)``.
    The input is read and checked when this is called (a record without a string text
    field raises :class:`RecordError` naming it); the matching runs when the result is
    consumed (``write_json``, ``iter_rows``, ``take_all`` ...).
    """
    config = _config(threshold, num_perm, seed, shingle_size, bucket_cap, sentence_words,
                     min_words, partitions)
    params = _Params(config, min_words)
    strategy = _shuffle_strategy(shuffle)  # a bad name fails before the input is read
    return _matches(_Ordered(ds, id_field, text_field), params, partitions,
                    strategy and strategy.value)


def duplicate_ids(matches: "ray.data.Dataset") -> set[str]:
    """Ids of the records that have a paragraph matching an earlier record (collected in
    this process: one string per such record)."""
    _require_ray()
    if matches.count() == 0:
        return set()
    return set(matches.unique("id"))


def _drop_batch(batch, drops_ref, text_field: str, min_words: int):
    import ray

    from ..dedup_cli import remove_paragraphs
    pa = _pa()
    drops = ray.get(drops_ref) if isinstance(drops_ref, ray.ObjectRef) else drops_ref
    orders = batch.column("_order").to_pylist()
    if not any(o in drops for o in orders):
        return batch.drop_columns(["_order"])
    texts = batch.column(text_field).to_pylist()
    texts = [remove_paragraphs(t, drops[o], min_words) if o in drops else t
             for o, t in zip(orders, texts)]
    i = batch.column_names.index(text_field)
    batch = batch.set_column(i, text_field, pa.array(texts, batch.schema.field(i).type))
    return batch.drop_columns(["_order"])


def drop_duplicates(ds: "ray.data.Dataset", *, id_field: str = "id", text_field: str = "text",
                    keep: str = "first", date_field: str | None = None,
                    threshold: float | None = None, num_perm: int | None = None,
                    seed: int | None = None, shingle_size: int | None = None,
                    min_words: int = DEFAULT_MIN_WORDS, bucket_cap: int | None = None,
                    sentence_words: int | None = None,
                    partitions: int | None = None, shuffle: str | None = None,
                    ) -> "ray.data.Dataset":
    """``ds`` with duplicate paragraphs taken out, as ``wireclean dedup --drop`` does:
    every record stays, in input order, with all its fields; its text loses the copies
    that ``keep`` does not keep.

    ``keep``: ``"first"`` (default) keeps the first copy in input order, so a record loses
    the paragraphs that match an earlier record; ``"earliest"`` keeps, in each cluster of
    copies (paragraphs joined by verified matches, as the CLI clusters them), the one of
    the record with the smallest ``date_field`` value (records without one lose to dated
    ones, ties go to the first); ``"longest"`` keeps the longest copy. Other parameters are
    :func:`dedup_dataset`'s. The matching is distributed; what is gathered in this process
    is two integers per paragraph to drop (with ``keep="first"``) or per verified match, and
    the dates or lengths of the clustered paragraphs, shipped back to the workers once.
    """
    from ..dedup.lsh import KEEP_POLICIES
    if keep not in KEEP_POLICIES:
        raise ValueError(f"keep must be one of {', '.join(KEEP_POLICIES)}; got {keep!r}")
    if keep == "earliest" and not date_field:
        raise ValueError("keep='earliest' needs date_field")
    config = _config(threshold, num_perm, seed, shingle_size, bucket_cap, sentence_words,
                     min_words, partitions)
    params = _Params(config, min_words)
    ray = _require_ray()
    import ray.data as rd
    _shuffle_strategy(shuffle)
    ordered = _Ordered(ds, id_field, text_field, whole=True,
                       date_field=date_field if keep == "earliest" else None)
    if keep == "first":
        drops: dict[int, set[int]] = {}
        matches = _matches(ordered, params, partitions, shuffle)
        for batch in matches.select_columns(["order", "para"]).iter_batches(batch_format="numpy"):
            for o, p in zip(batch["order"].tolist(), batch["para"].tolist()):
                drops.setdefault(o, set()).add(p)
    else:
        drops = _cluster_drops(ordered, params, partitions, shuffle, keep)
    if not ordered.whole:
        return ds
    return rd.from_arrow_refs(ordered.whole).map_batches(
        _drop_batch, batch_format="pyarrow",
        fn_kwargs={"drops_ref": ray.put(drops), "text_field": text_field,
                   "min_words": min_words})


def _column_pairs(dataset, a: str, b: str) -> tuple[np.ndarray, np.ndarray]:
    """Two int64 columns of a (small) dataset, gathered here."""
    got_a, got_b = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for batch in dataset.select_columns([a, b]).iter_batches(batch_format="numpy"):
        got_a.append(np.asarray(batch[a], np.int64))
        got_b.append(np.asarray(batch[b], np.int64))
    return np.concatenate(got_a), np.concatenate(got_b)


def _lengths_of(batch, wanted_ref):
    import ray
    wanted = ray.get(wanted_ref) if isinstance(wanted_ref, ray.ObjectRef) else wanted_ref
    keep = np.isin(batch.column("item").to_numpy(), wanted)
    return batch.select(["item", "length"]).filter(_pa().array(keep))


def _dates_of(block, wanted: np.ndarray) -> list[tuple[int, Any]]:
    orders = block.column("_order").to_numpy()
    at = np.flatnonzero(np.isin(orders, wanted))
    dates = block.column("_date").take(_pa().array(at, _pa().int64())).to_pylist()
    return list(zip(orders[at].tolist(), dates))


def _cluster_drops(ordered: _Ordered, params: _Params, partitions: int | None,
                   shuffle: str | None, keep: str) -> dict[int, set[int]]:
    """order -> paragraphs to drop, one copy kept per cluster by ``keep`` -- the CLI's
    rule (``lsh.keep_mask`` over clusters of every verified match)."""
    ray = _require_ray()
    from ..dedup.lsh import cluster_labels, keep_mask
    paras = _paras(ordered, params, shuffle)
    if paras is None:
        return {}
    later, earlier = _column_pairs(
        _matches(ordered, params, partitions, shuffle, paras=paras, edges=True),
        "later", "earlier")
    if len(later) == 0:
        return {}
    items, inverse = np.unique(np.concatenate((later, earlier)), return_inverse=True)
    labels = cluster_labels(len(items), inverse[:len(later)], inverse[len(later):])
    labels = np.unique(labels, return_inverse=True)[1]
    if keep == "longest":
        got_items, got_lengths = _column_pairs(
            paras.map_batches(_lengths_of, batch_format="pyarrow",
                              fn_kwargs={"wanted_ref": ray.put(items)}), "item", "length")
        lengths = np.empty(len(items), np.int64)
        lengths[np.searchsorted(items, got_items)] = got_lengths
        kept = keep_mask(labels, "longest", lengths=lengths)
    else:
        orders = np.unique(items >> PARA_BITS)
        dates_of = ray.remote(_dates_of)
        dates: dict[int, Any] = {}
        for part in ray.get([dates_of.remote(block, orders) for block in ordered.narrow]):
            dates.update(part)
        kept = keep_mask(labels, "earliest",
                         dates=[dates.get(o) for o in (items >> PARA_BITS).tolist()])
    drops: dict[int, set[int]] = {}
    for item in items[~kept].tolist():
        drops.setdefault(item >> PARA_BITS, set()).add(item & _PARA_MASK)
    return drops
