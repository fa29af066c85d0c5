"""The SQLite store: a persistent index in one file, shared safely between processes.

Layout (format version 5)::

    wireclean_index(id=1, format, version, threshold, num_perm, seed, shingle_size,
                    bands, rows, bucket_cap, hash_version, sentence_words)
                                                               -- one row: what the file is
    docs(id INTEGER PRIMARY KEY, key TEXT UNIQUE, meta TEXT)   -- meta as JSON, never pickle
    paras(id INTEGER PRIMARY KEY, doc, para, shingles, sig BLOB, full BLOB, sentences BLOB)
                                  -- sig: raw little-endian uint32 (numpy tobytes);
                                  -- full: bit k set when key k's bucket was full (NULL: none);
                                  -- sentences: the sentence keys it stores (see
                                  -- sentences.py), little-endian uint64, 0 in unused
                                  -- slots (NULL: none)
    buckets(bucket, para) PRIMARY KEY (bucket, para), WITHOUT ROWID
                                  -- bucket: a 64-bit band key (band folded in) or sentence key
    merge_state(id=1, merged_to, sweep_to, cursor, top, removals)
                                  -- which entries ``buckets`` holds yet (see recent.py)
    recent_removed(seq INTEGER PRIMARY KEY, para)
                                  -- removed paragraphs whose entries were recent
    key_filter(chunk INTEGER PRIMARY KEY, keys, words BLOB)
                                  -- which keys ``buckets`` may hold (see keyfilter.py)

A new paragraph's bucket entries reach ``buckets`` in sorted sweeps, a slice of the key
space per commit, not one random leaf per entry; until then every process keeps them in
memory (:class:`~wireclean.dedup.stores.recent.RecentEntries`, at most about
``2 * RECENT_ENTRIES``), derived from the stored signatures and sentence keys.
Version 4 had no key filter, version 3 made other sentence keys, version 2 none,
version 1 had no sweeps either: all are upgraded in place when opened (3 and older keep
``sentence_words = 0``) -- but for a version 3 index with sentence keys, which has to be
rebuilt. An upgraded file's filter has no rows yet: sweeps build them as they pass.

The header's ``application_id`` marks the file as wireclean's, so a foreign SQLite
database is recognised without reading its tables.

Safety:

* WAL journal with ``synchronous=NORMAL``: a commit is in the log before ``add`` returns,
  so a process killed at any moment (kill -9) loses nothing it committed; an operating
  system crash or power cut may lose the last commits, never the file.
* Every write is one ``BEGIN IMMEDIATE`` transaction (the reads it depends on included), so
  ``check_and_add`` is atomic across processes: two scrapers adding the same story at once
  cannot both see "new". Waiting writers retry for up to ``BUSY_TIMEOUT_S``.
* A new file is built under a temporary name and linked into place, so no process ever
  sees a half-created index, and two processes creating the same path agree on one file.
* The sweep state (``merge_state``) changes in the transaction that merges the entries it
  describes, so a killed process leaves the B-tree and the state in agreement.
* Commits never wait for a checkpoint: a background thread copies the log into the file
  (see ``_Checkpointer``), which keeps ``check_and_add``'s p99 in the milliseconds.
* Memory: SQLite's page cache (``CACHE_MB``), pages mapped from the OS cache, the recent
  entries (16 bytes each, at most about ``2 * RECENT_ENTRIES``: 64 MB), the key filter
  (about 1.4 bytes per stored key: ~35 MB on a million paragraphs), one batch; never
  the corpus.
* Speed: ``PAGE_BYTES`` pages (new files), a small cache, reads through ``mmap``; one
  query per batch for the lookups the key filter lets through, one for the candidates'
  signatures.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import struct
import threading
import time
import uuid
from typing import Any, Mapping

import numpy as np

from ..lsh import (BandHasher, batch_pairs, best_first, bucket_caps, bucket_keys, unique_pairs,
                   verify)
from ..sentences import NO_KEY, STORED
from . import (FORMAT, Batch, Buckets, DuplicateKeyError, Hit, IndexConfig, IndexFormatError,
               batch_bucket_keys, distinct_buckets, expand_found, sentence_blobs,
               stored_config, stored_sentence_keys)
from .keyfilter import CHUNKS, KeyFilter, build as filter_build, merge as filter_merge
from .keyfilter import chunk_bounds, chunks_between, merged_since
from .recent import KEY_END, KEY_MIN, RecentEntries, SweepState

FORMAT_VERSION = 5
APPLICATION_ID = 0x57434C4E  # "WCLN"
BUSY_TIMEOUT_S = 60.0
# Small pages: a commit copies every page it touched into the log, and bucket entries,
# even merged a slice at a time, land on leaves spread over a B-tree of random 64-bit keys.
# 2 KB pages halve that copy against SQLite's 4 KB default and still hold 3 signature
# rows each. Existing files keep the page size they were made with.
PAGE_BYTES = 2048
# How many recent entries (see recent.py) a sweep works through: each commit merges the
# slice of the key space that its own new entries would fill at this density, so it touches
# about (leaves of the B-tree) x (its entries) / RECENT_ENTRIES leaves (measured with bands
# only and 2^20: ~80 for a 19-paragraph article on a million paragraphs, where inserting
# directly touched ~380). Recent
# entries are at most about twice this: 64 MB per process, and reading them back when an
# index is opened means hashing up to ~150,000 stored signatures (about 28 entries each with
# sentence keys): up to about a second. 2^20 took 0.5 ms more of check_and_add's p99 on a
# million paragraphs with sentence keys (4.68 against 4.19 ms, taken in turn).
RECENT_ENTRIES = 1 << 21
# Reads come from the mapped file (MMAP_BYTES); the cache only has to hold one
# transaction's changed pages, and a small one is faster than a large one for both small
# and bulk transactions (measured on the million-paragraph index of bench_lsh.py).
CACHE_MB = 8
MMAP_BYTES = 1 << 34  # SQLite caps this at its build's limit (2 GB for most builds)
# The writer checkpoints only when the background thread has fallen this far behind
# (a stall of the whole copy and an fsync, 200-350 ms at 100 MB); the thread keeps up at
# the ~150 MB/s of log a tight check_and_add loop writes, but not always within 100 MB.
WAL_BACKSTOP_PAGES = 200_000  # about 400 MB of log (800 MB in files with 4 KB pages)
WAL_KEEP_BYTES = 64 << 20
_SQLITE_MAGIC = b"SQLite format 3\x00"
_IN_CHUNK = 500   # parameters per IN (...) list when the build's limit cannot be read
_IN_CHUNK_MAX = 8192  # ... and at most this many: one query covers a long article's bands
_SIG_DTYPE = np.dtype("<u4")

_SCHEMA = f"""
PRAGMA page_size = {PAGE_BYTES};
CREATE TABLE wireclean_index (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    format TEXT NOT NULL,
    version INTEGER NOT NULL,
    threshold REAL NOT NULL,
    num_perm INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    shingle_size INTEGER NOT NULL,
    bands INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    bucket_cap INTEGER NOT NULL,
    hash_version INTEGER NOT NULL,
    sentence_words INTEGER NOT NULL
);
CREATE TABLE docs (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, meta TEXT);
CREATE TABLE paras (
    id INTEGER PRIMARY KEY,
    doc INTEGER NOT NULL,
    para INTEGER NOT NULL,
    shingles INTEGER NOT NULL,
    sig BLOB NOT NULL,
    full BLOB,
    sentences BLOB
);
CREATE INDEX paras_by_doc ON paras (doc);
CREATE TABLE buckets (
    bucket INTEGER NOT NULL,
    para INTEGER NOT NULL,
    PRIMARY KEY (bucket, para)
) WITHOUT ROWID;
{{merge_tables}}
INSERT INTO merge_state VALUES (1, 0, 0, {KEY_MIN}, 0, 0);
PRAGMA application_id = {APPLICATION_ID};
PRAGMA user_version = {FORMAT_VERSION};
"""


# Which bucket entries the B-tree holds yet (recent.py); version 2 added them.
_MERGE_TABLES = [
    """CREATE TABLE merge_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    merged_to INTEGER NOT NULL,
    sweep_to INTEGER NOT NULL,
    cursor INTEGER NOT NULL,
    top INTEGER NOT NULL,
    removals INTEGER NOT NULL
)""",
    "CREATE TABLE recent_removed (seq INTEGER PRIMARY KEY, para INTEGER NOT NULL)",
]
# Which keys the B-tree may hold (keyfilter.py); version 5 added it.
_FILTER_TABLE = ("CREATE TABLE key_filter (chunk INTEGER PRIMARY KEY, keys INTEGER NOT NULL, "
                 "words BLOB NOT NULL)")
_SCHEMA = _SCHEMA.format(merge_tables=";\n".join(_MERGE_TABLES + [_FILTER_TABLE]) + ";")


def _in_chunk(conn: sqlite3.Connection) -> int:
    """Parameters per IN (...) list: the connection's limit (999 in SQLite before 3.32,
    32766 since), read where Python can (3.11+), capped at ``_IN_CHUNK_MAX``."""
    getlimit = getattr(conn, "getlimit", None)
    if getlimit is None:
        return _IN_CHUNK
    return max(1, min(getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER), _IN_CHUNK_MAX))


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _select_in(conn: sqlite3.Connection, sql: str, values: list, chunk: int):
    """Rows of ``sql`` -- a query with one ``{}`` where its IN (...) list goes -- for all
    ``values``, at most ``chunk`` of them per query.

    >>> conn = sqlite3.connect(":memory:")
    >>> _ = conn.execute("CREATE TABLE t (x INTEGER)")
    >>> _ = conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(10)])
    >>> sorted(x for (x,) in _select_in(conn, "SELECT x FROM t WHERE x IN ({})", [3, 5, 42], 2))
    [3, 5]
    """
    for i in range(0, len(values), chunk):
        part = values[i:i + chunk]
        yield from conn.execute(sql.format(_marks(len(part))), part)


class SQLiteStore:
    """An index kept in one SQLite file. Use :meth:`open`."""

    def __init__(self, path: str, conn: sqlite3.Connection, config: IndexConfig):
        self.path = path
        self.location = path
        self.config = config
        self._conn = conn
        self._chunk = _in_chunk(conn)
        self._hasher = BandHasher(config.bands, config.rows, config.seed)
        self._roles = config.key_roles()
        self._checkpointer: _Checkpointer | None = None
        self._recent = RecentEntries(config.key_slots)
        self._filter = KeyFilter()
        #: Entries per sweep (tests lower it to see sweeps finish).
        self.recent_entries = RECENT_ENTRIES

    # ---- opening ----------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike, wanted: IndexConfig,
             given: Mapping[str, Any] | None = None) -> "SQLiteStore":
        """Open the index at ``path``, creating it with ``wanted`` when the file is missing.

        ``given`` names the parameters the caller chose explicitly; an existing index must
        agree with them (others are taken from the file).
        """
        path = os.fspath(path)
        if not os.path.exists(path):
            _create(path, wanted)
        _check_header(path)
        conn = _connect(path)
        try:
            config = _read_config(path, conn)
            names = [n for n in (given or {}) if n in IndexConfig.names()]
            diffs = config.differences(wanted, names)
            if diffs:
                raise IndexFormatError(
                    f"{path}: index was built with {', '.join(diffs)}; open it without "
                    f"those arguments or build a new index")
            if config.hash_version != wanted.hash_version:
                raise IndexFormatError(
                    f"{path}: signatures were made by hash version {config.hash_version}, "
                    f"this wireclean makes version {wanted.hash_version}; rebuild the index")
            # Indexes are created in WAL mode; a copy that lost it (an old backup tool,
            # say) gets it back -- only now that the file is known to be ours.
            with _errors(path):
                if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
        except BaseException:
            conn.close()
            raise
        store = cls(path, conn, config)
        try:
            store._read_recent()
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self._conn.close()

    def _committed(self) -> None:
        """After each write: let the background checkpointer know the log grew."""
        if self._checkpointer is None:
            self._checkpointer = _Checkpointer(self.path)
        self._checkpointer.poke()

    # ---- reading ----------------------------------------------------------------------

    def __len__(self) -> int:
        with _errors(self.path):
            return self._conn.execute("SELECT count(*) FROM docs").fetchone()[0]

    def __contains__(self, key: str) -> bool:
        with _errors(self.path):
            return self._conn.execute("SELECT 1 FROM docs WHERE key = ?", (key,)).fetchone() is not None

    # ---- the one atomic step ----------------------------------------------------------

    def process(self, batch: Batch, *, add: bool, query: bool) -> list[Hit]:
        """Match and/or store one batch in a single transaction."""
        metas = [None if m is None else _to_json(k, m) for k, m in zip(batch.keys, batch.metas)] if add else None
        buckets = batch_bucket_keys(self.config, self._hasher, batch).view(np.int64)
        with self._transaction(write=add):
            state = self._sync()
            hits = self._process(batch, buckets, metas, state, add=add, query=query)
        if add:
            self._committed()
        return hits

    @contextlib.contextmanager
    def _transaction(self, write: bool):
        """One transaction (``BEGIN IMMEDIATE`` to write). If it fails, the recent entries,
        which may hold some of its changes, are read afresh by the next one."""
        conn = self._conn
        with _errors(self.path):
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield
            except BaseException:
                self._recent.invalidate()
                conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except BaseException:
                self._recent.invalidate()
                raise

    def _read_recent(self) -> None:
        """Load the recent entries now, so that opening pays for it, not the first call
        (at most about 2 * RECENT_ENTRIES: up to about a second, 0.1-0.5 s at most points
        of a sweep)."""
        with self._transaction(write=False):
            self._sync()

    def _sync(self) -> SweepState:
        """Read the sweep state and bring the recent entries up to date with the file
        (inside the transaction, so both are of one snapshot)."""
        conn = self._conn
        row = conn.execute("SELECT merged_to, sweep_to, cursor, top, removals FROM merge_state "
                           "WHERE id = 1").fetchone()
        if row is None or not all(type(v) is int for v in row):
            raise IndexFormatError(f"{self.path}: damaged index (its merge_state row is "
                                   f"{'missing' if row is None else 'not numbers'})")
        state = SweepState(*row)
        recent = self._recent
        if (recent.removals is None or state.merged_to < recent.merged_to
                or state.removals < recent.removals):
            recent.reset(state)   # first use, or a file that is not the one we read
            self._filter.seen = None
        else:
            recent.drop_through(state.merged_to)
            if state.removals != recent.removals:
                recent.forget([p for (p,) in conn.execute(
                    "SELECT para FROM recent_removed WHERE seq > ?", (recent.removals,))])
                recent.removals = state.removals
        ids, keys, full = self._paras_after(recent.high)
        if len(ids):
            # Entries the sweep has already merged are found in the B-tree.
            merged = (ids <= state.sweep_to)[:, None] & (keys < state.cursor)
            recent.add(ids, keys, full | merged | (keys == NO_KEY))
        self._follow_filter(state)
        return state

    def _follow_filter(self, state: SweepState) -> None:
        """Bring this process's copy of the key filter up to ``state``: re-read the rows
        of the key ranges merged since it was read, or forget them all (they are read
        again as lookups need them)."""
        f = self._filter
        ranges = None if f.seen is None else merged_since(f.seen, state)
        if ranges is None:
            f.clear()
        for lo, hi in ranges or ():
            first, last = chunks_between(lo, hi)
            f.update(self._filter_rows(self._conn.execute(
                "SELECT chunk, words FROM key_filter WHERE chunk BETWEEN ? AND ?", (first, last))))
        f.seen = state

    def _may_hold(self, keys: np.ndarray) -> np.ndarray:
        """The key filter's answer for int64 ``keys``, after reading the rows of their
        chunks that this process has not read yet (or every row, once it has needed many)."""
        f = self._filter
        unread = f.missing(keys)
        if len(unread) and f.read_all_now(unread):
            f.load(self._filter_rows(self._conn.execute("SELECT chunk, words FROM key_filter")))
        elif len(unread):
            f.update(self._filter_rows(list(_select_in(
                self._conn, "SELECT chunk, words FROM key_filter WHERE chunk IN ({})",
                unread.tolist(), self._chunk))), read=unread.tolist())
        return f.may_hold(keys)

    def _filter_rows(self, rows):
        """``rows`` of ``key_filter`` (chunk first, words last), refused if damaged."""
        for row in rows:
            chunk, words = row[0], row[-1]
            if (type(chunk) is not int or not 0 <= chunk < CHUNKS or not isinstance(words, bytes)
                    or not words or len(words) % 8):
                raise IndexFormatError(f"{self.path}: damaged index (a key_filter row is not "
                                       f"a chunk and its words)")
            yield row

    def _merge_into_filter(self, keys: np.ndarray, everywhere: bool = False) -> None:
        """Put ``keys`` (int64, ascending), just merged into the B-tree, into the rows of
        their chunks: a chunk without a row, or one that would grow past its size, is
        built afresh from the B-tree (which holds them now). ``everywhere``: also build
        every chunk that has no row and holds keys (an upgraded file's, at once)."""
        if len(keys) == 0 and not everywhere:
            return
        conn = self._conn
        first, last = (0, CHUNKS - 1) if everywhere else chunks_between(int(keys[0]), int(keys[-1]) + 1)
        rows = {c: (n, w) for c, n, w in self._filter_rows(conn.execute(
            "SELECT chunk, keys, words FROM key_filter WHERE chunk BETWEEN ? AND ?",
            (first, last))) if type(n) is int}
        changed, to_build = filter_merge(keys, rows)
        if everywhere:
            to_build = sorted(set(to_build) | (set(range(CHUNKS)) - rows.keys()))
        for c in to_build:
            lo, hi = chunk_bounds(c)
            held = conn.execute("SELECT bucket FROM buckets WHERE bucket BETWEEN ? AND ?",
                                (lo, hi - 1)).fetchall()
            if held:
                changed.append((c, *filter_build(np.array(held, dtype=np.int64).reshape(-1))))
        conn.executemany("INSERT OR REPLACE INTO key_filter (chunk, keys, words) "
                         "VALUES (?, ?, ?)", changed)
        # This process's copy follows at once (a failed transaction reloads it).
        self._filter.update((c, w) for c, _, w in changed)

    def _stored_keys(self, sigs: np.ndarray, sentences: list) -> np.ndarray:
        """Bucket keys (int64, ``(n, key_slots)``) of stored paragraphs, from their
        signatures and ``sentences`` column."""
        return bucket_keys(self._hasher, sigs, stored_sentence_keys(
            self.path, self.config, sentences)).view(np.int64)

    def _paras_after(self, after: int):
        """(ids, bucket keys, full-bucket flags) of the stored paragraphs with id > ``after``."""
        rows = self._conn.execute("SELECT id, sig, full, sentences FROM paras WHERE id > ? "
                                  "ORDER BY id", (after,)).fetchall()
        width = self.config.key_slots
        full = np.zeros((len(rows), width), dtype=bool)
        for i, (_, _, mask, _) in enumerate(rows):
            if mask is None:
                continue
            if not isinstance(mask, bytes) or len(mask) != (width + 7) // 8:
                raise IndexFormatError(f"{self.path}: damaged index (a stored bucket mask "
                                       f"has the wrong size)")
            full[i] = np.unpackbits(np.frombuffer(mask, np.uint8), count=width,
                                    bitorder="little").astype(bool)
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        sigs = _signatures(self.path, [r[1] for r in rows], self.config.num_perm)
        return ids, self._stored_keys(sigs, [r[3] for r in rows]), full

    def _process(self, batch: Batch, buckets: np.ndarray, metas, state: SweepState, *,
                 add: bool, query: bool) -> list[Hit]:
        conn = self._conn
        n, width = buckets.shape
        cap = self.config.bucket_cap
        if add:
            self._refuse_duplicates(batch.keys)
        roles = self._roles
        stored = np.broadcast_to((roles & STORED) != 0, buckets.shape)
        # Existing entries sharing a bucket with each (row, key slot) it looks up, and how
        # many entries each bucket it stores in already has.
        q, found, existing = self._lookup(distinct_buckets(buckets, roles), state, counted=add)
        rows = q // width
        cand = found
        para_base = None
        if add:
            later, earlier, rank = batch_pairs(buckets, batch.record, cap, roles)
            doc_base = conn.execute("SELECT coalesce(max(id), 0) FROM docs").fetchone()[0] + 1
            # Ids are never reused: a process may still hold a removed paragraph's entries.
            para_base = state.top + 1
            para_ids = para_base + np.arange(n, dtype=np.int64)
            doc_ids = doc_base + np.arange(len(batch.keys), dtype=np.int64)
            conn.executemany("INSERT INTO docs (id, key, meta) VALUES (?, ?, ?)",
                             zip(doc_ids.tolist(), batch.keys, metas))
            # A bucket keeps its first `cap` entries (a sentence key's, a quarter of them;
            # see lsh.DEFAULT_BUCKET_CAP and SENTENCE_CAP_DIVISOR).
            unused = (buckets == NO_KEY) | ~stored
            full = (existing.reshape(n, width) + rank >= bucket_caps(cap, roles)) & ~unused
            masks = [None if not f.any() else np.packbits(f, bitorder="little").tobytes()
                     for f in full]
            sigs = np.ascontiguousarray(batch.signatures, dtype=_SIG_DTYPE)
            sentences = sentence_blobs(self.config, batch)
            conn.executemany(
                "INSERT INTO paras (id, doc, para, shingles, sig, full, sentences) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                zip(para_ids.tolist(), doc_ids[batch.record].tolist(), batch.para.tolist(),
                    batch.sizes.tolist(), (row.tobytes() for row in sigs), masks, sentences))
            self._recent.add(para_ids, buckets, full | unused)
            self._sweep(state, para_ids, int(np.count_nonzero(~unused)))
            if query:
                rows = np.concatenate((rows, later))
                cand = np.concatenate((found, para_ids[earlier]))
        if not query:
            return []
        return self._verify(batch, rows, cand, para_base if add else None, metas)

    def _sweep(self, state: SweepState, para_ids: np.ndarray, added: int) -> None:
        """Merge the next slice of recent entries into the B-tree: as wide a slice of the
        key space as ``added`` entries fill at ``recent_entries`` per key space."""
        merged_to, sweep_to, cursor, top = state.merged_to, state.sweep_to, state.cursor, state.top
        conn = self._conn
        if len(para_ids):
            top = int(para_ids[-1])
        if sweep_to == merged_to and top > sweep_to:
            sweep_to, cursor = top, KEY_MIN      # a new sweep: every recent entry so far
        if sweep_to > merged_to:
            span = max(1, (added << 64) // max(1, self.recent_entries))
            end = min(cursor + span, KEY_END)
            keys, ids = self._recent.slice(state._replace(sweep_to=sweep_to), cursor, end)
            conn.executemany("INSERT OR IGNORE INTO buckets (bucket, para) VALUES (?, ?)",
                             zip(keys.tolist(), ids.tolist()))
            self._merge_into_filter(keys)
            if end == KEY_END:
                merged_to, cursor = sweep_to, KEY_MIN
                conn.execute("DELETE FROM recent_removed WHERE para <= ?", (merged_to,))
            else:
                cursor = end
        conn.execute("UPDATE merge_state SET merged_to = ?, sweep_to = ?, cursor = ?, top = ? "
                     "WHERE id = 1", (merged_to, sweep_to, cursor, top))
        self._recent.drop_through(merged_to)
        self._filter.seen = SweepState(merged_to, sweep_to, cursor, top, state.removals)

    def _refuse_duplicates(self, keys: list[str]) -> None:
        seen = set()
        for key in keys:
            if key in seen:
                raise DuplicateKeyError(f"key {key!r} appears twice in one batch")
            seen.add(key)
        taken = list(_select_in(self._conn, "SELECT key FROM docs WHERE key IN ({}) LIMIT 1",
                                list(seen), self._chunk))
        if taken:
            raise DuplicateKeyError(f"key {taken[0][0]!r} is already in the index")

    def _lookup(self, buckets: Buckets, state: SweepState, counted: bool):
        """(query positions, para ids, count per query key) for int64 bucket keys: the
        entries in the B-tree and the recent ones not yet there. Only looked-up
        positions get entries; the others are counted if ``counted`` (else 0)."""
        uniq, listed = buckets.uniq, buckets.listed
        if len(buckets.inverse) == 0:
            e = np.empty(0, np.int64)
            return e, e, e
        counted = ~listed & (uniq != NO_KEY) & counted
        # Only keys the B-tree may hold are looked up there (most are new: keyfilter.py).
        in_tree = self._may_hold(uniq)
        got = list(_select_in(self._conn, "SELECT bucket, para FROM buckets WHERE bucket IN ({})",
                              uniq[listed & in_tree].tolist(), self._chunk))
        pairs = np.array(got, dtype=np.int64).reshape(-1, 2)
        counts = np.zeros(len(uniq), dtype=np.int64)
        got = list(_select_in(self._conn, "SELECT bucket, count(*) FROM buckets "
                              "WHERE bucket IN ({}) GROUP BY bucket",
                              uniq[counted & in_tree].tolist(), self._chunk))
        if got:
            tallies = np.array(got, dtype=np.int64)
            counts[np.searchsorted(uniq, tallies[:, 0])] = tallies[:, 1]
        r_u, r_id = self._recent.lookup(uniq, state)
        counts += np.bincount(r_u[~listed[r_u]], minlength=len(uniq))
        r_u, r_id = r_u[listed[r_u]], r_id[listed[r_u]]
        # Found ids grouped by unique key (B-tree and recent entries together).
        found_u = np.concatenate((np.searchsorted(uniq, pairs[:, 0]), r_u))
        order = np.argsort(found_u, kind="stable")
        found = np.concatenate((pairs[:, 1], r_id))[order]
        counts += np.bincount(found_u, minlength=len(uniq))
        return expand_found(counts, found, buckets.inverse, buckets.probed, listed)

    def _fetch(self, ids: np.ndarray):
        """Stored paragraphs by id: (ids sorted, doc, para, shingles, signatures)."""
        got = sorted(_select_in(self._conn,
                                "SELECT id, doc, para, shingles, sig FROM paras WHERE id IN ({})",
                                ids.tolist(), self._chunk))
        cols = list(zip(*got)) or [(), (), (), (), ()]
        return (np.asarray(cols[0], dtype=np.int64), np.asarray(cols[1], dtype=np.int64),
                np.asarray(cols[2], dtype=np.int64), np.asarray(cols[3], dtype=np.int64),
                _signatures(self.path, list(cols[4]), self.config.num_perm))

    def _verify(self, batch: Batch, rows: np.ndarray, cand: np.ndarray,
                new_base: int | None, metas: list[str | None] | None) -> list[Hit]:
        """Verify (row, paragraph id) candidates; ids >= ``new_base`` are this batch's
        (``metas``: their meta as stored, so every match's meta reads back the same)."""
        rows, cand = unique_pairs(rows, cand)
        if len(rows) == 0:
            return []
        new_base = np.iinfo(np.int64).max if new_base is None else new_base
        is_new = cand >= new_base
        s_ids, s_doc, s_para, s_size, s_sig = self._fetch(np.unique(cand[~is_new]))
        pos = np.minimum(np.searchsorted(s_ids, cand), max(len(s_ids) - 1, 0))
        present = is_new | ((s_ids[pos] == cand) if len(s_ids) else False)
        # A candidate removed since its bucket was read simply drops out.
        rows, cand, is_new, pos = rows[present], cand[present], is_new[present], pos[present]
        batch_row = np.where(is_new, cand - np.where(is_new, new_base, 0), 0)
        cand_sig = batch.signatures[batch_row].copy()
        cand_size = batch.sizes[batch_row].copy()
        if len(s_ids):
            old = ~is_new
            cand_sig[old] = s_sig[pos[old]]
            cand_size[old] = s_size[pos[old]]
        v = verify(rows, cand, batch.signatures[rows], cand_sig, batch.sizes[rows], cand_size,
                   self.config.threshold, bits=32)
        if len(v.row) == 0:
            return []
        v = best_first(v)
        v_new = v.id >= new_base
        v_pos = np.minimum(np.searchsorted(s_ids, v.id), max(len(s_ids) - 1, 0))
        docs = sorted(set(s_doc[v_pos[~v_new]].tolist())) if len(s_ids) else []
        info: dict[int, tuple[str, Any]] = {}
        for doc_id, key, meta in _select_in(self._conn,
                                            "SELECT id, key, meta FROM docs WHERE id IN ({})",
                                            docs, self._chunk):
            info[doc_id] = (key, None if meta is None else json.loads(meta))
        out = []
        for k, (row, pid, new) in enumerate(zip(v.row.tolist(), v.id.tolist(), v_new.tolist())):
            if new:
                r = pid - new_base
                rec = int(batch.record[r])
                key, key_para = batch.keys[rec], int(batch.para[r])
                meta = None if metas[rec] is None else json.loads(metas[rec])
            else:
                p = int(v_pos[k])
                key, meta = info[int(s_doc[p])]
                key_para = int(s_para[p])
            out.append(Hit(row, key, key_para, float(v.score[k]), float(v.jaccard[k]),
                           float(v.containment[k]), meta))
        return out

    # ---- compacting -------------------------------------------------------------------

    def compact(self) -> int:
        """Merge every recent entry into the B-tree now, so that opening the index reads
        none back -- for an archive built once and opened often (a pre-commit hook) --
        and complete the key filter (an upgraded file's has no rows yet).
        Returns how many entries were merged."""
        conn = self._conn
        with self._transaction(write=True):
            state = self._sync()
            # Every paragraph so far joins the sweep, which ends here.
            keys, ids = self._recent.slice(state._replace(sweep_to=state.top), KEY_MIN, KEY_END)
            conn.executemany("INSERT OR IGNORE INTO buckets (bucket, para) VALUES (?, ?)",
                             zip(keys.tolist(), ids.tolist()))
            self._merge_into_filter(keys, everywhere=True)
            conn.execute("UPDATE merge_state SET merged_to = ?, sweep_to = ?, cursor = ? "
                         "WHERE id = 1", (state.top, state.top, KEY_MIN))
            conn.execute("DELETE FROM recent_removed")
            self._filter.seen = state._replace(merged_to=state.top, sweep_to=state.top,
                                               cursor=KEY_MIN)
        self._recent.drop_through(state.top)
        self._committed()
        return len(keys)

    # ---- removing ---------------------------------------------------------------------

    def remove(self, key: str) -> bool:
        conn = self._conn
        with self._transaction(write=True):
            row = conn.execute("SELECT id FROM docs WHERE key = ?", (key,)).fetchone()
            if row is None:
                return False
            doc = row[0]
            stored = conn.execute("SELECT id, sig, sentences FROM paras WHERE doc = ?",
                                  (doc,)).fetchall()
            if stored:
                ids = np.asarray([s[0] for s in stored], dtype=np.int64)
                sigs = _signatures(self.path, [s[1] for s in stored], self.config.num_perm)
                buckets = self._stored_keys(sigs, [s[2] for s in stored])
                conn.executemany("DELETE FROM buckets WHERE bucket = ? AND para = ?",
                                 zip(buckets.reshape(-1).tolist(),
                                     np.repeat(ids, buckets.shape[1]).tolist()))
                conn.execute("DELETE FROM paras WHERE doc = ?", (doc,))
                # Every process forgets the recent entries of these paragraphs.
                merged_to, removals = conn.execute(
                    "SELECT merged_to, removals FROM merge_state WHERE id = 1").fetchone()
                recent = [i for i in ids.tolist() if i > merged_to]
                conn.executemany("INSERT INTO recent_removed (seq, para) VALUES (?, ?)",
                                 zip(range(removals + 1, removals + 1 + len(recent)), recent))
                conn.execute("UPDATE merge_state SET removals = ? WHERE id = 1",
                             (removals + len(recent),))
            conn.execute("DELETE FROM docs WHERE id = ?", (doc,))
        self._committed()
        return True


# ---- helpers ----------------------------------------------------------------------------

class _Checkpointer:
    """Copies the write-ahead log into the database from a background thread.

    SQLite would otherwise do it inside whichever commit crosses the log-size limit, and
    that commit would wait for the copy and an fsync (tens of ms here) -- the p99 of
    ``check_and_add``. Checkpoints are PASSIVE: they never block readers or writers,
    and several processes each running one simply take turns.
    """

    EVERY_S = 0.5
    KEEP_UP_PAGES = 4096

    def __init__(self, path: str):
        self._path = path
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"wireclean-checkpoint {path}",
                                        daemon=True)
        self._thread.start()

    def poke(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self._path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error:
            return  # the writer's own limit (WAL_BACKSTOP_PAGES) still bounds the log
        try:
            while not self._stopping:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    break
                log = 0
                try:
                    _, log, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error:
                    pass  # busy or damaged: the next write retries; errors surface there
                # Batch the work -- at most one checkpoint per EVERY_S -- while the log is
                # small. Past KEEP_UP_PAGES, writers outpace that (a tight check_and_add
                # loop logs ~150 MB/s), so copy again as soon as the next commit lands:
                # else the log reaches WAL_BACKSTOP_PAGES and the writer that crosses it
                # checkpoints itself, a 250 ms stall.
                if log < self.KEEP_UP_PAGES:
                    time.sleep(self.EVERY_S)
        finally:
            conn.close()


class _errors:
    """Turn SQLite's exceptions into one-line errors that name the file."""

    def __init__(self, path: str):
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None or not isinstance(exc, sqlite3.Error):
            return False
        text = str(exc)
        if isinstance(exc, sqlite3.OperationalError) and "locked" in text:
            raise TimeoutError(f"{self.path}: index is locked by another process "
                               f"(waited {BUSY_TIMEOUT_S:.0f} s)") from None
        if isinstance(exc, sqlite3.OperationalError) and "readonly" in text:
            raise PermissionError(f"{self.path}: index is read-only") from None
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
            raise IndexFormatError(f"{self.path}: damaged index ({text})") from None
        if "malformed" in text or "not a database" in text or "no such" in text:
            raise IndexFormatError(f"{self.path}: damaged index ({text})") from None
        return False


def _to_json(key: str, meta: Any) -> str:
    try:
        return json.dumps(meta, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"meta of {key!r} cannot be stored in an index file: {exc}") from None


def _signatures(path: str, blobs: list[bytes], num_perm: int) -> np.ndarray:
    if not blobs:
        return np.empty((0, num_perm), dtype=np.uint32)
    raw = b"".join(blobs)
    if len(raw) != len(blobs) * num_perm * 4 or any(len(b) != num_perm * 4 for b in blobs):
        raise IndexFormatError(f"{path}: damaged index (a stored signature has the wrong size)")
    return np.frombuffer(raw, dtype=_SIG_DTYPE).reshape(len(blobs), num_perm).astype(np.uint32, copy=False)


def _connect(path: str) -> sqlite3.Connection:
    # isolation_level=None: transactions are ours (BEGIN IMMEDIATE ... COMMIT).
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                           check_same_thread=False)
    try:
        with _errors(path):
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(f"PRAGMA cache_size = {-CACHE_MB * 1024}")
            # Read pages through the OS page cache without a syscall each.
            conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
            # Checkpoints run in the background (_Checkpointer); this only bounds the log
            # if that thread cannot keep up.
            conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_BACKSTOP_PAGES}")
            # A log reused after a checkpoint is cut back to this size, not kept at its peak.
            conn.execute(f"PRAGMA journal_size_limit = {WAL_KEEP_BYTES}")
    except BaseException:
        conn.close()
        raise
    return conn


def _check_header(path: str) -> None:
    """Refuse, by the file's first 100 bytes, anything that is not a whole wireclean index."""
    if os.path.isdir(path):
        raise IndexFormatError(f"{path}: is a directory, not an index file")
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        header = f.read(100)
    if size == 0:
        raise IndexFormatError(f"{path}: empty file, not an index (delete it to create a new index)")
    if not header.startswith(_SQLITE_MAGIC):
        raise IndexFormatError(f"{path}: not a wireclean index (not an SQLite database)")
    if len(header) < 100:
        raise IndexFormatError(f"{path}: truncated index ({size} bytes)")
    (app_id,) = struct.unpack(">I", header[68:72])
    if app_id != APPLICATION_ID:
        raise IndexFormatError(f"{path}: an SQLite database but not a wireclean index")
    (page_size,) = struct.unpack(">H", header[16:18])
    page_size = 65536 if page_size == 1 else page_size
    change, pages, valid_for = struct.unpack(">I", header[24:28]) + struct.unpack(
        ">I", header[28:32]) + struct.unpack(">I", header[92:96])
    # The page count in the header is trusted by SQLite only when the two counters agree.
    # While a write-ahead log exists, a checkpoint may be extending the file: skip then.
    wal = path + "-wal"
    if pages and change == valid_for and pages * page_size > size and not (
            os.path.exists(wal) and os.path.getsize(wal) > 0):
        raise IndexFormatError(
            f"{path}: truncated index ({size} bytes, its header says {pages * page_size})")


def _read_config(path: str, conn: sqlite3.Connection) -> IndexConfig:
    try:
        row = conn.execute("SELECT * FROM wireclean_index WHERE id = 1").fetchone()
        names = [d[0] for d in conn.execute("SELECT * FROM wireclean_index LIMIT 0").description]
    except sqlite3.DatabaseError as exc:
        if "no such table" in str(exc):
            raise IndexFormatError(f"{path}: not a wireclean index (no wireclean_index table)") from None
        raise IndexFormatError(f"{path}: damaged index ({exc})") from None
    if row is None:
        raise IndexFormatError(f"{path}: damaged index (its wireclean_index row is missing)")
    stored = dict(zip(names, row))
    if stored.get("format") != FORMAT:
        raise IndexFormatError(f"{path}: not a wireclean index (format {stored.get('format')!r})")
    if stored.get("version") == 1:
        _upgrade(path, conn, 1, _sweeps_from_1)
        stored["version"] = 2
    if stored.get("version") == 2:
        _upgrade(path, conn, 2, _sentences_from_2)
        stored.update(version=3, sentence_words=0)
    if stored.get("version") == 3:
        if stored.get("sentence_words"):
            raise IndexFormatError(f"{path}: index has an older format (version 3, whose "
                                   f"sentence keys this wireclean no longer makes); rebuild "
                                   f"it with `wireclean index add`")
        _upgrade(path, conn, 3, lambda conn: None)
        stored["version"] = 4
    if stored.get("version") == 4:
        _upgrade(path, conn, 4, lambda conn: conn.execute(_FILTER_TABLE))
        stored["version"] = 5
    return stored_config(path, stored, FORMAT_VERSION)


def _upgrade(path: str, conn: sqlite3.Connection, version: int, steps) -> None:
    """Run ``steps(conn)`` and mark the file as ``version + 1``, in one transaction, if it
    is still at ``version`` (another process may have upgraded it meanwhile)."""
    with _errors(path):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT version FROM wireclean_index").fetchone()[0] == version:
                steps(conn)
                conn.execute("UPDATE wireclean_index SET version = ?", (version + 1,))
                conn.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def _sweeps_from_1(conn: sqlite3.Connection) -> None:
    """Version 1 put every bucket entry straight into the B-tree: all of them are merged,
    so version 2 needs only the new column and a sweep state that says so."""
    top = conn.execute("SELECT coalesce(max(id), 0) FROM paras").fetchone()[0]
    conn.execute("ALTER TABLE paras ADD COLUMN full BLOB")
    for statement in _MERGE_TABLES:
        conn.execute(statement)
    conn.execute("INSERT INTO merge_state VALUES (1, ?, ?, ?, ?, 0)", (top, top, KEY_MIN, top))


def _sentences_from_2(conn: sqlite3.Connection) -> None:
    """Version 2 had no sentence keys: its paragraphs keep none (``sentence_words = 0``),
    so the index goes on matching exactly as it did."""
    conn.execute("ALTER TABLE paras ADD COLUMN sentences BLOB")
    conn.execute("ALTER TABLE wireclean_index ADD COLUMN sentence_words INTEGER NOT NULL DEFAULT 0")


def _create(path: str, config: IndexConfig) -> None:
    """Build an empty index beside ``path`` and link it into place unless one appeared."""
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
    except sqlite3.Error as exc:
        raise OSError(f"{path}: cannot create index ({exc})") from None
    try:
        conn.executescript(_SCHEMA)
        conn.execute(
            "INSERT INTO wireclean_index (id, format, version, threshold, num_perm, seed, "
            "shingle_size, bands, rows, bucket_cap, hash_version, sentence_words) "
            "VALUES (1,?,?,?,?,?,?,?,?,?,?,?)",
            (FORMAT, FORMAT_VERSION, config.threshold, config.num_perm, config.seed,
             config.shingle_size, config.bands, config.rows, config.bucket_cap,
             config.hash_version, config.sentence_words))
        conn.execute("PRAGMA journal_mode = WAL")
        conn.close()
        try:
            os.link(tmp, path)      # fails if another process created `path` meanwhile
        except FileExistsError:
            pass
        except OSError:             # file systems without hard links
            if not os.path.exists(path):
                os.replace(tmp, path)
    finally:
        conn.close()
        for leftover in (tmp, tmp + "-wal", tmp + "-shm", tmp + "-journal"):
            try:
                os.unlink(leftover)
            except FileNotFoundError:
                pass
