"""The Redis store: one index on a Redis server, shared by many processes and machines.

Open it with ``Index.open("redis://HOST:PORT/DB")``; ``?prefix=NAME`` (default
``wireclean``) puts every key under ``NAME:``, so several indexes can share one database.
``rediss://`` (TLS) and ``unix:///path/to/socket?db=N`` work too; user name and password
go in the URL as usual (``redis://:secret@host/0``) and are never repeated in messages.

Layout (format version 3), every key under ``P:`` (the prefix)::

    P:config   string  JSON: format, version, threshold, num_perm, seed, shingle_size,
                       bands, rows, bucket_cap, hash_version, sentence_words
                                                               -- what the index is
    P:ids      hash    doc, para: the last document and paragraph ids handed out
    P:keys     hash    document key -> document id
    P:docs     hash    document id -> JSON {"key", "first", "count", "meta"} (meta as
                       JSON, never pickle; paragraph ids first .. first+count-1)
    P:sig      hash    paragraph id -> signature, raw little-endian uint32 (numpy tobytes)
    P:para     hash    paragraph id -> document id, paragraph number, shingle count
                       (three little-endian int64)
    P:sent     hash    paragraph id -> the sentence keys it stores (see sentences.py;
                       little-endian uint64, 0 in unused slots), for paragraphs with any
    P:b:<hex>  zset    the buckets of one shard (the top ``SHARD_BITS`` bits of the 64-bit
                       band or sentence key, in hex): one member per (key, paragraph id),
                       both 8 bytes little-endian, all scores 0, so a bucket is one lex
                       range. A bucket keeps at most ``bucket_cap`` paragraphs, the first
                       ones (see lsh.DEFAULT_BUCKET_CAP).
    P:lock     string  the writers' lock (a random token, with an expiry)

Versions 1 (no sentence keys, no ``P:sent``) and 2 (other sentence keys) are read as they
are when they have no sentence keys (``sentence_words = 0``), so their paragraphs go on
matching exactly as they did; a version 2 index with sentence keys has to be rebuilt.

Buckets live in shards, not in one set per band key: with 20 bands a paragraph makes 20
bucket entries, and a Redis key costs ~100 bytes before its contents, while a small sorted
set is one compact listpack (~20 bytes an entry) until it outgrows
``zset-max-listpack-entries`` (128): 2^18 shards keep that up to about 1.5 million
paragraphs; past it, memory grows as one key per bucket would. Measured on 300,000
one-paragraph documents: 1.5 KB of Redis memory per paragraph (0.5 KB of it the
signature), against 3.1 KB with one set per band key. Redis Cluster is not supported (the
scripts name shard keys themselves); one server with replicas is.

Atomicity: every write (``add``, ``check_and_add``, ``remove``) holds ``P:lock`` from its
first read to its commit, so writers take turns exactly as they do on an SQLite index
(``BEGIN IMMEDIATE``) and ``check_and_add`` from two processes at once lets exactly one
see a story as new. The lock is ``SET NX PX`` with a random token; it expires
(``LOCK_TTL_MS``) so a writer killed while holding it stalls the others for seconds, not
forever. Expiry alone would make it unsafe, so the commit is fenced: all the writes of a
step are one Lua script (``EVALSHA``; Redis runs a script atomically) that first checks
the lock still holds our token, writes only then, and releases the lock. If the lock
expired under a slow writer and anyone else took it, the script writes nothing and the
step is redone from its reads. Why a lock rather than optimistic ``WATCH``/``MULTI`` on
everything read: a batch reads tens of thousands of bucket keys, pipelining reads under
``WATCH`` needs one connection pinned across pipelines (not public in redis-py), and
optimistic retries would let a stream of small scrapers starve a large ``index add``.
The lock makes the correctness argument the SQLite store's, and costs one round trip.

Round trips per write, whatever the batch size: the lock; band lookups with the
duplicate-key check (one script, whose reply is two strings: redis-py parses replies in
Python element by element, so a few long replies beat many short ones); candidate
signatures (one pipeline of two ``HMGET``); the matched documents' keys and metas (only
when something matched); the writes, which release the lock (one script). Queries take
no lock and only the three reads: each write is atomic, and a candidate removed between
two reads simply drops out.

Errors are one line and name the URL (password hidden): :class:`IndexFormatError` for a
database that is not this index, :class:`IndexConnectionError` (a :class:`ConnectionError`,
so an ``OSError``) when the server cannot be reached or refuses a command,
:class:`TimeoutError` when the lock cannot be had within ``BUSY_TIMEOUT_S``.

>>> parse_url("redis://:secret@127.0.0.1:6390/2?prefix=news")
('redis://:secret@127.0.0.1:6390/2', 'news', 'redis://:***@127.0.0.1:6390/2?prefix=news')
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Mapping
from urllib.parse import parse_qsl, urlencode

import numpy as np

try:
    import redis
except ImportError:  # the [redis] extra is not installed: open() says how to get it
    redis = None

from ..lsh import (BandHasher, batch_pairs, best_first, bucket_caps, bucket_keys, unique_pairs,
                   verify)
from ..sentences import NO_KEY, STORED, SentenceKeys
from . import (FORMAT, SENTENCE_DTYPE, Batch, DuplicateKeyError, Hit, IndexConfig,
               IndexFormatError, batch_bucket_keys, distinct_buckets, expand_found,
               sentence_blobs, stored_config, stored_sentence_keys)

__all__ = ["RedisStore", "IndexConnectionError", "parse_url", "redact_url", "SCHEMES"]

FORMAT_VERSION = 3
SCHEMES = ("redis", "rediss", "unix")
DEFAULT_PREFIX = "wireclean"
#: How long a writer waits for the lock before giving up (as SQLite's busy timeout).
BUSY_TIMEOUT_S = 60.0
#: A held lock expires after this long: the stall a writer killed mid-step costs the others.
LOCK_TTL_MS = 10_000
#: Times a step is redone after its lock expired under it before giving up.
LOST_LOCK_RETRIES = 5
CONNECT_TIMEOUT_S = 5.0
#: Buckets are spread over 2^SHARD_BITS sorted sets (part of the format: changing it means
#: a new FORMAT_VERSION).
SHARD_BITS = 18
_SIG_DTYPE = np.dtype("<u4")
_PARA_DTYPE = np.dtype("<i8")   # doc, para, shingles
_SENTENCE_BYTES = SentenceKeys.STORED_SLOTS * SENTENCE_DTYPE.itemsize

# Delete the lock only if it still holds our token (another writer's lock is left alone).
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""

# Lua shared by the scripts. A bucket entry is 16 bytes: the band key, then the paragraph
# id (8 bytes each, little-endian). Its shard is the sorted set named by the band key's top
# SHARD_BITS (18) bits in hex: 16 bits as 4 digits, then 2 bits as one (_Keys.shard is the
# same in Python). The scripts compute it from the bytes they receive, so a batch of 80,000
# entries travels as one string, not 80,000 key names (redis-py packs every argument in
# Python, ~5 us each). Scripts therefore name shard keys themselves: fine on one Redis
# server (and its replicas); Redis Cluster is not supported.
_SHARED = """
local function shard(prefix, band)
    return string.format('%s%02x%02x%x', prefix, string.byte(band, 8), string.byte(band, 7),
                         math.floor(string.byte(band, 6) / 64))
end
"""

# What a step reads first, in one command: the paragraph ids in each bucket, as one string
# of 8-byte ids and one of counts (one reply, not one per bucket: redis-py also parses
# replies element by element); the last ids handed out; and the position (1-based) of the
# first document key the index already holds, or 0. Buckets flagged "0" are only counted
# (keys a batch stores but does not look up), "-" not even that (a query's).
# KEYS: keys, ids   ARGV: shard prefix, ndoc, document key * ndoc, band keys (8 bytes
#                         each), flags (one "1", "0" or "-" per band key)
_LOOKUP = _SHARED + """
local prefix, ndoc = ARGV[1], tonumber(ARGV[2])
local held = 0
for i = 1, ndoc do
    if redis.call('hexists', KEYS[1], ARGV[2 + i]) == 1 then held = i; break end
end
local bands, listed, last = ARGV[3 + ndoc], ARGV[4 + ndoc], string.rep('\\255', 8)
local found, counts = {}, {}
for p = 1, #bands, 8 do
    local band = string.sub(bands, p, p + 7)
    local set, lo, hi = shard(prefix, band), '[' .. band, '[' .. band .. last
    local flag = string.sub(listed, (p + 7) / 8, (p + 7) / 8)
    if flag == '1' then
        local entries = redis.call('zrangebylex', set, lo, hi)
        for j = 1, #entries do found[#found + 1] = string.sub(entries[j], 9) end
        counts[#counts + 1] = #entries
    elseif flag == '0' then
        counts[#counts + 1] = redis.call('zlexcount', set, lo, hi)
    else
        counts[#counts + 1] = 0
    end
end
local ids = redis.call('hmget', KEYS[2], 'doc', 'para')
return {table.concat(found), table.concat(counts, ','), ids[1] or '', ids[2] or '', held}
"""

# The writes of one add, applied only while the lock holds our token (the fence: a writer
# whose lock expired and was taken must not commit what it read before); then the lock is
# released. A script runs atomically, so readers see all of an add or none of it.
# KEYS: lock, keys, docs, ids, sig, para, sent
# ARGV: token, shard prefix, n, (key, doc id, doc JSON) * n, first para id, signatures,
#       paragraph records (fixed sizes, concatenated), signature size, last doc id,
#       last para id (or ""), bucket entries (16 bytes each), sentence keys (a fixed
#       size per paragraph, or "" when the index has none), that size
_ADD = _SHARED + """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
local prefix, n, a = ARGV[2], tonumber(ARGV[3]), 4
for i = 1, n do
    redis.call('hset', KEYS[2], ARGV[a], ARGV[a + 1])
    redis.call('hset', KEYS[3], ARGV[a + 1], ARGV[a + 2])
    a = a + 3
end
local first, sigs, paras, size = tonumber(ARGV[a]), ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3])
for i = 0, #paras / 24 - 1 do
    local id = string.format('%d', first + i)
    redis.call('hset', KEYS[5], id, string.sub(sigs, i * size + 1, (i + 1) * size))
    redis.call('hset', KEYS[6], id, string.sub(paras, i * 24 + 1, (i + 1) * 24))
end
redis.call('hset', KEYS[4], 'doc', ARGV[a + 4])
if ARGV[a + 5] ~= '' then redis.call('hset', KEYS[4], 'para', ARGV[a + 5]) end
local entries = ARGV[a + 6]
for p = 1, #entries, 16 do
    local entry = string.sub(entries, p, p + 15)
    redis.call('zadd', shard(prefix, string.sub(entry, 1, 8)), 0, entry)
end
local sent, width = ARGV[a + 7], tonumber(ARGV[a + 8])
local none = string.rep('\0', width)
for i = 0, #sent / width - 1 do
    local keys = string.sub(sent, i * width + 1, (i + 1) * width)
    if keys ~= none then redis.call('hset', KEYS[7], string.format('%d', first + i), keys) end
end
redis.call('del', KEYS[1])
return 1
"""

# The writes of one remove, fenced the same way.
# KEYS: lock, keys, docs, sig, para, sent
# ARGV: token, shard prefix, key, doc id, bucket entries (16 bytes each), para id...
_REMOVE = _SHARED + """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
local prefix = ARGV[2]
redis.call('hdel', KEYS[2], ARGV[3])
redis.call('hdel', KEYS[3], ARGV[4])
for i = 6, #ARGV do
    redis.call('hdel', KEYS[4], ARGV[i]); redis.call('hdel', KEYS[5], ARGV[i])
    redis.call('hdel', KEYS[6], ARGV[i])
end
local entries = ARGV[5]
for p = 1, #entries, 16 do
    local entry = string.sub(entries, p, p + 15)
    redis.call('zrem', shard(prefix, string.sub(entry, 1, 8)), entry)
end
redis.call('del', KEYS[1])
return 1
"""


class IndexConnectionError(ConnectionError):
    """The Redis server behind an index cannot be reached, or refused a command. The
    message is one line and names the URL (password hidden)."""


class _LostLock(Exception):
    """The writers' lock expired and was taken before our commit: redo the step."""


def parse_url(url: str) -> tuple[str, str, str]:
    """``(url for redis-py, key prefix, url safe to print)``.

    ``prefix`` is wireclean's own query option; every other option goes to redis-py.
    """
    base, _, query = url.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    prefixes = [v for k, v in pairs if k == "prefix"]
    rest = urlencode([(k, v) for k, v in pairs if k != "prefix"])
    prefix = prefixes[-1] if prefixes else DEFAULT_PREFIX
    if not prefix or any(c.isspace() or c in "*?[]" for c in prefix):
        raise ValueError(f"{redact_url(url)}: prefix must be non-empty, without spaces or * ? [ ]")
    return base + ("?" + rest if rest else ""), prefix, redact_url(url)


def redact_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``.

    >>> redact_url("redis://user:pw@host:6379/0"), redact_url("redis://host/0")
    ('redis://user:***@host:6379/0', 'redis://host/0')
    """
    scheme, sep, rest = url.partition("://")
    netloc, slash, tail = rest.partition("/")
    if "@" not in netloc:
        return url
    cred, host = netloc.rsplit("@", 1)
    if ":" not in cred:
        return url
    return f"{scheme}{sep}{cred.split(':', 1)[0]}:***@{host}{slash}{tail}"


class _errors:
    """Turn redis-py's exceptions into one-line errors that name the index's URL."""

    def __init__(self, where: str):
        self.where = where

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None or redis is None or not isinstance(exc, redis.RedisError):
            return False
        text = " ".join(str(exc).split()) or type(exc).__name__
        if isinstance(exc, redis.ReadOnlyError):
            raise PermissionError(f"{self.where}: index is read-only ({text})") from None
        if isinstance(exc, redis.ResponseError) and text.startswith("WRONGTYPE"):
            raise IndexFormatError(f"{self.where}: damaged index or foreign data under its "
                                   f"prefix ({text})") from None
        if isinstance(exc, (redis.ConnectionError, redis.TimeoutError)):
            raise IndexConnectionError(f"{self.where}: cannot reach Redis ({text})") from None
        raise IndexConnectionError(f"{self.where}: Redis refused a command ({text})") from None


class _Keys:
    """The names of an index's keys under one prefix."""

    def __init__(self, prefix: str):
        p = prefix + ":"
        self.pattern = p + "*"
        self.config, self.ids, self.keys = p + "config", p + "ids", p + "keys"
        self.docs, self.sig, self.para, self.lock = p + "docs", p + "sig", p + "para", p + "lock"
        self.sent = p + "sent"
        self.shard_prefix = p + "b:"

    def shard(self, band_key: int) -> str:
        """The sorted set holding a band key's bucket (the scripts compute the same name).

        >>> _Keys("news").shard(0xABCDE12345678901)
        'news:b:abcd3'
        """
        return f"{self.shard_prefix}{band_key >> 48:04x}{(band_key >> 46) & 3:x}"


def _entries(band_keys: np.ndarray, ids: np.ndarray) -> bytes:
    """Bucket entries, concatenated: 8-byte key then 8-byte paragraph id, little-endian."""
    both = np.empty((len(band_keys), 2), dtype="<u8")
    both[:, 0] = band_keys
    both[:, 1] = ids
    return both.tobytes()


class RedisStore:
    """An index kept on a Redis server. Use :meth:`open`."""

    def __init__(self, client, keys: _Keys, location: str, config: IndexConfig):
        self.location = location
        self.config = config
        self._client = client
        self._k = keys
        self._hasher = BandHasher(config.bands, config.rows, config.seed)
        self._roles = config.key_roles()
        self._release_script = client.register_script(_RELEASE)
        self._lookup_script = client.register_script(_LOOKUP)
        self._add_script = client.register_script(_ADD)
        self._remove_script = client.register_script(_REMOVE)
        self._released = True

    # ---- opening ----------------------------------------------------------------------

    @classmethod
    def open(cls, url: str, wanted: IndexConfig, given: Mapping[str, Any] | None = None,
             *, create: bool = True) -> "RedisStore":
        """Open the index at ``url``, creating it with ``wanted`` when the prefix is unused
        (unless ``create`` is false: then :class:`IndexFormatError` says there is none).

        ``given`` names the parameters the caller chose explicitly; an existing index must
        agree with them (others are taken from the server).
        """
        scheme = url.split("://", 1)[0].lower()
        if scheme not in SCHEMES:
            raise ValueError(f"{redact_url(url)}: unsupported index URL ({scheme}://); use an "
                             f"SQLite file path or redis://HOST:PORT/DB")
        if redis is None:
            raise ImportError(f"{redact_url(url)}: Redis indexes need the redis package: "
                              f"pip install 'wireclean[redis]'")
        client_url, prefix, where = parse_url(url)
        try:
            client = redis.Redis.from_url(client_url, socket_connect_timeout=CONNECT_TIMEOUT_S,
                                          health_check_interval=30)
        except ValueError as exc:
            raise ValueError(f"{where}: bad Redis URL ({exc})") from None
        try:
            keys = _Keys(prefix)
            with _errors(where):
                config = _read_or_create(client, keys, where, wanted, create)
            names = [n for n in (given or {}) if n in IndexConfig.names()]
            diffs = config.differences(wanted, names)
            if diffs:
                raise IndexFormatError(
                    f"{where}: index was built with {', '.join(diffs)}; open it without "
                    f"those arguments or build a new index")
            if config.hash_version != wanted.hash_version:
                raise IndexFormatError(
                    f"{where}: signatures were made by hash version {config.hash_version}, "
                    f"this wireclean makes version {wanted.hash_version}; rebuild the index")
            return cls(client, keys, where, config)
        except BaseException:
            client.close()
            raise

    def compact(self) -> int:
        """Nothing to do: every entry is in its bucket set from the start."""
        return 0

    def close(self) -> None:
        self._client.close()

    # ---- reading ----------------------------------------------------------------------

    def __len__(self) -> int:
        with _errors(self.location):
            return int(self._client.hlen(self._k.keys))

    def __contains__(self, key: str) -> bool:
        with _errors(self.location):
            return bool(self._client.hexists(self._k.keys, key))

    # ---- the one atomic step ----------------------------------------------------------

    def process(self, batch: Batch, *, add: bool, query: bool) -> list[Hit]:
        """Match and/or store one batch: writes all of it or (on a duplicate key) none."""
        bands = batch_bucket_keys(self.config, self._hasher, batch)
        with _errors(self.location):
            if not add:
                return self._step(batch, bands, None, query=query) if query and len(batch) else []
            seen: set[str] = set()
            for key in batch.keys:
                if key in seen:
                    raise DuplicateKeyError(f"key {key!r} appears twice in one batch")
                seen.add(key)
            metas = [None if m is None else _to_json(k, m) for k, m in zip(batch.keys, batch.metas)]
            return self._locked(lambda token: self._step(batch, bands, token, query=query,
                                                         metas=metas))

    def _step(self, batch: Batch, bands: np.ndarray, token: str | None, *, query: bool,
              metas: list[str | None] | None = None) -> list[Hit]:
        """Read, verify and (with a lock ``token``) write one batch."""
        k, cap, roles = self._k, self.config.bucket_cap, self._roles
        add = token is not None
        n, nb = bands.shape
        buckets = distinct_buckets(bands, roles)
        uniq = buckets.uniq
        # Every bucket a row looks up is read; one it only stores in is counted (to keep
        # it at `cap`), and only when writing.
        flags = np.where(buckets.listed, b"1", b"0" if add else b"-")
        doc_keys = batch.keys if add else []
        found, counts, last_doc, last_para, held = self._lookup_script(
            keys=[k.keys, k.ids], args=[k.shard_prefix, len(doc_keys), *doc_keys,
                                        uniq.astype("<u8").tobytes(), flags.tobytes()])
        if held:
            raise DuplicateKeyError(f"key {batch.keys[held - 1]!r} is already in the index")
        counts = np.array(counts.split(b","), dtype=np.int64) if len(uniq) else np.zeros(0, int)
        q, found, existing = expand_found(counts, np.frombuffer(found, dtype="<i8"),
                                          buckets.inverse, buckets.probed, buckets.listed)
        rows, cand = q // max(nb, 1), found
        new_base = None
        if add:
            doc_base = int(last_doc or 0) + 1
            new_base = int(last_para or 0) + 1
            para_ids = new_base + np.arange(n, dtype=np.int64)
            later, earlier, rank = batch_pairs(bands, batch.record, cap, roles)
            if query:
                rows = np.concatenate((rows, later))
                cand = np.concatenate((found, para_ids[earlier]))
        hits = self._verify(batch, rows, cand, new_base, metas) if query else []
        if add:
            # A bucket keeps its first `cap` entries (a sentence key's, a quarter of them;
            # see lsh.DEFAULT_BUCKET_CAP and SENTENCE_CAP_DIVISOR).
            room = ((existing.reshape(n, nb) + rank < bucket_caps(cap, roles)) & (bands != NO_KEY)
                    & ((roles & STORED) != 0))
            self._write(token, batch, metas, doc_base, para_ids, bands, room)
        return hits

    def _write(self, token: str, batch: Batch, metas, doc_base: int, para_ids: np.ndarray,
               bands: np.ndarray, room: np.ndarray) -> None:
        k = self._k
        if not batch.keys:
            return
        per_doc = np.bincount(batch.record, minlength=len(batch.keys))
        firsts = (para_ids[0] if len(para_ids) else 0) + np.cumsum(per_doc) - per_doc
        doc_ids = list(range(doc_base, doc_base + len(batch.keys)))
        r, b = np.nonzero(room)
        args: list = [token, k.shard_prefix, len(batch.keys)]
        for i, (key, doc) in enumerate(zip(batch.keys, doc_ids)):
            info = {"key": key, "first": int(firsts[i]) if len(para_ids) else 0,
                    "count": int(per_doc[i])}
            if metas[i] is not None:
                info["meta"] = json.loads(metas[i])
            args += (key, doc, json.dumps(info, ensure_ascii=False, separators=(",", ":")))
        sigs = np.ascontiguousarray(batch.signatures, dtype=_SIG_DTYPE)
        paras = np.stack([np.asarray(doc_ids, np.int64)[batch.record], batch.para, batch.sizes],
                         axis=1).astype(_PARA_DTYPE)
        sentences = b"".join(blob or bytes(_SENTENCE_BYTES) for blob in sentence_blobs(
            self.config, batch)) if self.config.sentence_words else b""
        args += (int(para_ids[0]) if len(para_ids) else 0, sigs.tobytes(), paras.tobytes(),
                 self.config.num_perm * 4, doc_ids[-1],
                 int(para_ids[-1]) if len(para_ids) else "", _entries(bands[r, b], para_ids[r]),
                 sentences, _SENTENCE_BYTES)
        self._fenced(self._add_script, [k.lock, k.keys, k.docs, k.ids, k.sig, k.para, k.sent],
                     args)

    def _fenced(self, script, keys: list[str], args: list) -> None:
        """Run a write script, which does nothing unless the lock (``keys[0]``) still holds
        our token (``args[0]``), and releases the lock when it has written."""
        if not script(keys=keys, args=args):
            raise _LostLock()
        self._released = True

    def _locked(self, step):
        """Run ``step(token)`` holding the writers' lock; redo it if the lock was lost."""
        for _ in range(LOST_LOCK_RETRIES):
            token = self._acquire()
            self._released = False      # the write scripts release the lock themselves
            try:
                return step(token)
            except _LostLock:
                continue
            finally:
                if not self._released:
                    try:
                        self._release_script(keys=[self._k.lock], args=[token])
                    except redis.RedisError:
                        pass    # it expires by itself (LOCK_TTL_MS)
        raise TimeoutError(f"{self.location}: the index lock kept expiring before this write "
                           f"could commit ({LOST_LOCK_RETRIES} tries of {LOCK_TTL_MS} ms)")

    def _acquire(self) -> str:
        token = uuid.uuid4().hex
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        pause = 0.0005
        while not self._client.set(self._k.lock, token, nx=True, px=LOCK_TTL_MS):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.location}: index is locked by another process "
                                   f"(waited {BUSY_TIMEOUT_S:.0f} s)")
            time.sleep(pause)
            pause = min(pause * 2, 0.02)
        return token

    def _verify(self, batch: Batch, rows: np.ndarray, cand: np.ndarray,
                new_base: int | None, metas: list[str | None] | None) -> list[Hit]:
        """Verify (row, paragraph id) candidates; ids >= ``new_base`` are this batch's
        (``metas``: their meta as stored, so every match's meta reads back the same)."""
        rows, cand = unique_pairs(rows, cand)
        if len(rows) == 0:
            return []
        new_base = np.iinfo(np.int64).max if new_base is None else new_base
        is_new = cand >= new_base
        old_ids = np.unique(cand[~is_new])
        s_ok, s_doc, s_para, s_size, s_sig = self._fetch(old_ids)
        pos = np.searchsorted(old_ids, cand)
        present = is_new.copy()
        present[~is_new] = s_ok[pos[~is_new]]
        # A candidate removed since its bucket was read simply drops out.
        rows, cand, is_new, pos = rows[present], cand[present], is_new[present], pos[present]
        batch_row = np.where(is_new, cand - np.where(is_new, new_base, 0), 0)
        cand_sig = batch.signatures[batch_row].copy()
        cand_size = batch.sizes[batch_row].copy()
        old = ~is_new
        cand_sig[old] = s_sig[pos[old]]
        cand_size[old] = s_size[pos[old]]
        v = verify(rows, cand, batch.signatures[rows], cand_sig, batch.sizes[rows], cand_size,
                   self.config.threshold, bits=32)
        if len(v.row) == 0:
            return []
        v = best_first(v)
        v_new = v.id >= new_base
        v_pos = np.searchsorted(old_ids, v.id)
        docs = sorted(set(s_doc[v_pos[~v_new]].tolist()))
        info: dict[int, tuple[str, Any]] = {}
        if docs:
            for doc, raw in zip(docs, self._client.hmget(self._k.docs, docs)):
                if raw is not None:      # None: removed meanwhile (queries take no lock)
                    d = _doc_info(self.location, raw)
                    info[doc] = (d["key"], d.get("meta"))
        out = []
        for j, (row, pid, new) in enumerate(zip(v.row.tolist(), v.id.tolist(), v_new.tolist())):
            if new:
                r = pid - new_base
                rec = int(batch.record[r])
                key, key_para = batch.keys[rec], int(batch.para[r])
                meta = None if metas[rec] is None else json.loads(metas[rec])
            else:
                p = int(v_pos[j])
                doc = int(s_doc[p])
                if doc not in info:
                    continue
                key, meta = info[doc]
                key_para = int(s_para[p])
            out.append(Hit(row, key, key_para, float(v.score[j]), float(v.jaccard[j]),
                           float(v.containment[j]), meta))
        return out

    def _fetch(self, ids: np.ndarray):
        """Stored paragraphs by (sorted) id: (present?, doc, para, shingles, signatures)."""
        m, num_perm = len(ids), self.config.num_perm
        ok = np.zeros(m, dtype=bool)
        info = np.zeros((m, 3), dtype=np.int64)
        sigs = np.zeros((m, num_perm), dtype=np.uint32)
        if m == 0:
            return ok, info[:, 0], info[:, 1], info[:, 2], sigs
        pipe = self._client.pipeline(transaction=False)
        id_list = ids.tolist()
        pipe.hmget(self._k.sig, id_list)
        pipe.hmget(self._k.para, id_list)
        raw_sigs, raw_info = pipe.execute()
        # None: removed since its bucket was read (queries take no lock).
        got = [i for i, (s, p) in enumerate(zip(raw_sigs, raw_info))
               if s is not None and p is not None]
        if got:
            if any(len(raw_sigs[i]) != num_perm * 4 or len(raw_info[i]) != 24 for i in got):
                raise IndexFormatError(f"{self.location}: damaged index (a stored signature "
                                       f"or paragraph record has the wrong size)")
            ok[got] = True
            sigs[got] = np.frombuffer(b"".join(raw_sigs[i] for i in got),
                                      dtype=_SIG_DTYPE).reshape(len(got), num_perm)
            info[got] = np.frombuffer(b"".join(raw_info[i] for i in got),
                                      dtype=_PARA_DTYPE).reshape(len(got), 3)
        return ok, info[:, 0], info[:, 1], info[:, 2], sigs

    # ---- removing ---------------------------------------------------------------------

    def remove(self, key: str) -> bool:
        with _errors(self.location):
            return self._locked(lambda token: self._remove(key, token))

    def _remove(self, key: str, token: str) -> bool:
        k = self._k
        doc = self._client.hget(k.keys, key)
        if doc is None:
            return False
        raw = self._client.hget(k.docs, doc)
        d = _doc_info(self.location, raw) if raw is not None else {"first": 0, "count": 0}
        ids = list(range(int(d["first"]), int(d["first"]) + int(d["count"])))
        entries = b""
        if ids:
            pipe = self._client.pipeline(transaction=False)
            pipe.hmget(k.sig, ids)
            pipe.hmget(k.sent, ids)
            got = [(i, s, t) for i, s, t in zip(ids, *pipe.execute()) if s is not None]
            if any(len(s) != self.config.num_perm * 4 for _, s, _ in got):
                raise IndexFormatError(f"{self.location}: damaged index (a stored signature "
                                       f"has the wrong size)")
            if got:
                sigs = np.frombuffer(b"".join(s for _, s, _ in got), _SIG_DTYPE).reshape(len(got), -1)
                keys = bucket_keys(self._hasher, sigs, stored_sentence_keys(
                    self.location, self.config, [t for _, _, t in got]))
                stored = np.repeat(np.asarray([i for i, _, _ in got], np.int64), keys.shape[1])
                used = keys.reshape(-1) != NO_KEY
                entries = _entries(keys.reshape(-1)[used], stored[used])
        self._fenced(self._remove_script, [k.lock, k.keys, k.docs, k.sig, k.para, k.sent],
                     [token, k.shard_prefix, key, doc, entries, *ids])
        return True


# ---- helpers ----------------------------------------------------------------------------

def _to_json(key: str, meta: Any) -> str:
    try:
        return json.dumps(meta, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"meta of {key!r} cannot be stored in an index: {exc}") from None


def _doc_info(where: str, raw: bytes) -> dict:
    try:
        d = json.loads(raw)
        if isinstance(d, dict) and isinstance(d.get("key"), str):
            return d
    except ValueError:
        pass
    raise IndexFormatError(f"{where}: damaged index (a document record is not valid JSON)")


def _read_or_create(client, keys: _Keys, where: str, wanted: IndexConfig,
                    create: bool) -> IndexConfig:
    raw = client.get(keys.config)
    if raw is None:
        foreign = _any_key(client, keys.pattern)
        raw = client.get(keys.config)   # another process may have just created it
        if raw is None and foreign is not None:
            raise IndexFormatError(
                f"{where}: not a wireclean index (the database holds other keys under "
                f"{keys.pattern[:-1]!r}, e.g. {foreign!r}); choose another ?prefix=NAME")
        if raw is None and not create:
            raise IndexFormatError(f"{where}: no index here (no {keys.config} key); build one "
                                   f"with: wireclean index add URL CORPUS...")
        if raw is None:
            record = {"format": FORMAT, "version": FORMAT_VERSION, **wanted.as_dict()}
            # NX: of two processes creating the same index, one writes, both read it.
            client.set(keys.config, json.dumps(record), nx=True)
            raw = client.get(keys.config)
    return _parse_config(where, keys, raw)


def _any_key(client, pattern: str) -> str | None:
    for name in client.scan_iter(match=pattern, count=1000):
        return name.decode("utf-8", "replace")
    return None


def _parse_config(where: str, keys: _Keys, raw: bytes) -> IndexConfig:
    try:
        stored = json.loads(raw)
    except ValueError:
        stored = None
    if not isinstance(stored, dict) or stored.get("format") != FORMAT:
        what = stored.get("format") if isinstance(stored, dict) else None
        raise IndexFormatError(f"{where}: not a wireclean index ({keys.config} holds "
                               + (f"format {what!r})" if what else "something else)"))
    if stored.get("version") == 1:     # from before sentence keys: it goes on without them
        stored = {**stored, "version": 2, "sentence_words": 0}
    if stored.get("version") == 2:
        if stored.get("sentence_words"):
            raise IndexFormatError(f"{where}: index has an older format (version 2, whose "
                                   f"sentence keys this wireclean no longer makes); rebuild "
                                   f"it with `wireclean index add`")
        stored = {**stored, "version": 3}  # the same layout without sentence keys
    return stored_config(where, stored, FORMAT_VERSION)
