"""LSH at a million paragraphs: wireclean vs datasketch MinHashLSH vs rensa RMinHashLSH,
and ``check_and_add`` latency on a SQLite index of a million paragraphs.

What is measured (each method in a fresh subprocess, so peak RSS is its own):

* **insert+query paragraphs/s**: paragraphs arrive in chunks of 8,192; every paragraph is
  matched against everything before it, then added -- the streaming use ("have I seen
  this?"). wireclean: ``SignatureLSH.insert`` (band lookup, within-chunk pairs, every
  candidate *verified* on the signatures); ``memory-index``: the same through the
  in-memory ``Index`` store with document keys (10 paragraphs per key; bands only, as the
  peers); ``sentence-keys``: ``SignatureLSH.insert`` with (synthetic) sentence keys too,
  as a default ``Index`` has them; datasketch:
  ``lsh.query(m)`` then ``lsh.insert(key, m, check_duplication=False)`` per paragraph;
  rensa: ``insert_matrix_and_query_duplicate_flags`` per chunk (flags only: unverified,
  "shares a band"). Only these calls are timed: making signatures, LeanMinHash objects
  or rensa digest matrices is not.
* **index memory**: RSS after the last chunk minus RSS before the first (the input is
  streamed chunk by chunk, so it is not counted); peak RSS of the whole process.
* **check_and_add latency** (``--sqlite``): an SQLite index is filled with a million
  paragraphs (signatures only, 10 per document, in transactions of 4,000; the file is
  cached in out/ and reused while this wireclean opens it with the page size it would
  give a new one -- ``--rebuild`` forces a new one), then
  ``Index.check_and_add(key, article)`` is timed on real news articles from the shared
  data folder (segmentation, hashing, lookup, verification and the commit included),
  in 3 fresh processes; each removes its articles afterwards, so every round and run
  sees the same million paragraphs. Wall and CPU (thread) time are both reported: this
  machine is shared, and wall-clock percentiles include waits for a core. ``--compact``
  first compacts the index, as an archive that pre-commit hooks open would be.
* the same on a **Redis** index (``--redis URL``, a server you started; the index goes
  under the prefix ``wireclean-bench-n<N>`` and is reused like the SQLite file): the
  scraper fleet's store. Redis memory per paragraph is read from ``INFO memory``.

The corpus is synthetic and never stored as text: each paragraph is a set of 40-120 random
64-bit shingle hashes (what a paragraph of 40-120 words yields); 10 % of paragraphs are
reprints of a paragraph up to one chunk earlier -- half lightly edited (0-10 % of the
shingles replaced: Jaccard 0.82-1.0), half trimmed (the first 60-95 % kept: Jaccard =
the fraction kept, containment 1.0). Indexes have sentence keys by default
(:mod:`wireclean.dedup.sentences`), which hold more entries; they need text, so for the
``sentence-keys`` method (``SignatureLSH`` with them, as an ``Index`` has them) and the
persistent indexes (unless ``--no-sentence-keys``) each synthetic paragraph gets the keys a
paragraph of its length
would have -- one sentence per 25 words, at most 4, each with a start, an end and a pair
key with the next, laid out as ``SentenceKeys`` lays them out -- shared with its source by
a reprint (an edited copy keeps each with probability 0.6, a trimmed one those of the
sentences it kept, but for the end it was cut at). wireclean and datasketch get the same signatures
(datasketch's affine32 permutations over the shingle hashes, as ``MinHasher`` makes
them); rensa makes its own digests from the same hashes. The "reprints found" column
counts planted reprints whose row got a match (wireclean, datasketch) or a flag (rensa).

Usage::

    python benchmarks/bench_lsh.py                      # 1M paragraphs, 3 runs of ours, 1 of each peer
    python benchmarks/bench_lsh.py --sqlite             # also the SQLite latency (long: fills a 1M index)
    python benchmarks/bench_lsh.py --sqlite --methods=  # only the SQLite latency (reuses the index)
    python benchmarks/bench_lsh.py --sqlite --methods= --compact  # ... on the index compacted
    redis-server --port 6390 --save '' --appendonly no --daemonize yes
    python benchmarks/bench_lsh.py --methods= --redis redis://127.0.0.1:6390/0
    python benchmarks/bench_lsh.py --n 100000 --rounds 1  # quick look

Writes ``benchmarks/out/bench_lsh.json`` (and caches signatures and the SQLite index
there; the folder is gitignored) and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import OUT_DIR, DataMissing, iter_articles, resolve_data_dir  # noqa: E402

from wireclean.dedup.minhash import _fmix32  # noqa: E402  (the affine32 pre-mix)

CHUNK = 8192
DOC_PARAS = 10  # paragraphs per document in the persistent indexes
NUM_PERM = 128
SEED = 1
THRESHOLD = 0.8
DATA_SEED = 7
#: Sentence keys of the persistent indexes (8, the default; --no-sentence-keys: 0).
SENTENCE_WORDS = int(os.environ.get("WIRECLEAN_BENCH_SENTENCE_WORDS", "8"))
METHODS = ("wireclean", "memory-index", "sentence-keys", "datasketch", "rensa")
OURS = ("wireclean", "memory-index", "sentence-keys")


# ---------------------------------------------------------------- the synthetic stream

def stream(n: int, seed: int = DATA_SEED):
    """Chunks of (flat uint64 shingle hashes, row offsets, planted reprints).

    Planted reprints are (row, source row, kind, jaccard) with global row numbers.
    """
    rng = np.random.default_rng(seed)
    prev = None                      # (flat, offsets, first row) of the previous chunk
    for first in range(0, n, CHUNK):
        rows = min(CHUNK, n - first)
        sizes = rng.integers(40, 121, size=rows)
        offsets = np.zeros(rows + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        flat = rng.integers(0, 2**64, size=int(offsets[-1]), dtype=np.uint64)
        planted = []
        segs = [flat[offsets[i]:offsets[i + 1]] for i in range(rows)]
        for r in np.flatnonzero(rng.random(rows) < 0.10).tolist():
            if prev is not None and rng.random() < 0.5:
                p_flat, p_off, p_first = prev
                s = int(rng.integers(0, len(p_off) - 1))
                source, src_row = p_flat[p_off[s]:p_off[s + 1]], p_first + s
            elif r > 0:
                s = int(rng.integers(0, r))
                source, src_row = segs[s], first + s
            else:
                continue
            source = source.copy()
            if rng.random() < 0.5:
                k = int(round(rng.uniform(0, 0.10) * len(source)))
                source[rng.choice(len(source), size=k, replace=False)] = rng.integers(
                    0, 2**64, size=k, dtype=np.uint64)
                kind, jac = "edited", (len(source) - k) / (len(source) + k)
            else:
                keep = max(1, int(round(rng.uniform(0.60, 0.95) * len(source))))
                kind, jac = "trimmed", keep / len(source)
                source = source[:keep]
            segs[r] = source
            planted.append((first + r, src_row, kind, float(jac)))
        sizes = np.array([len(x) for x in segs])
        offsets = np.zeros(rows + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        flat = np.concatenate(segs)
        prev = (flat, offsets, first)
        yield flat, offsets, planted


def signatures(flat: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """affine32 MinHash (datasketch's scheme, MinHasher's permutations) of each row's set."""
    from wireclean.dedup.minhash import MinHasher

    a, b = MinHasher(num_perm=NUM_PERM, seed=SEED).permutations
    a, b = a[:, None].astype(np.uint32), b[:, None].astype(np.uint32)
    h = _fmix32((flat & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    out = np.empty((NUM_PERM, len(offsets) - 1), dtype=np.uint32)
    block = 1 << 15
    row = 0
    while row < len(offsets) - 1:
        end = int(np.searchsorted(offsets, offsets[row] + block, side="right")) - 1
        end = max(end, row + 1)
        lo, hi = offsets[row], offsets[end]
        v = a * h[None, lo:hi] + b
        out[:, row:end] = np.minimum.reduceat(v, offsets[row:end] - lo, axis=1)
        row = end
    return np.ascontiguousarray(out.T)


def cached_signatures(n: int) -> tuple[Path, Path, Path]:
    """Signatures, shingle counts and planted reprints of the stream, cached in out/."""
    stem = OUT_DIR / f"lsh_stream_n{n}_s{DATA_SEED}"
    sig_path, count_path, planted_path = (stem.with_suffix(".sig.u32"), stem.with_suffix(".counts.u32"),
                                          stem.with_suffix(".planted.json"))
    if sig_path.exists() and sig_path.stat().st_size == n * NUM_PERM * 4 and planted_path.exists():
        return sig_path, count_path, planted_path
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    planted_all = []
    t0 = time.perf_counter()
    with open(f"{sig_path}.tmp", "wb") as fs, open(f"{count_path}.tmp", "wb") as fc:
        for flat, offsets, planted in stream(n):
            signatures(flat, offsets).tofile(fs)
            np.diff(offsets).astype(np.uint32).tofile(fc)
            planted_all += planted
    os.replace(f"{sig_path}.tmp", sig_path)
    os.replace(f"{count_path}.tmp", count_path)
    planted_path.write_text(json.dumps(planted_all))
    print(f"  signatures of {n:,} paragraphs cached in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return sig_path, count_path, planted_path


def sentence_keys(n: int) -> np.ndarray:
    """Synthetic sentence keys, (n, SentenceKeys.SLOTS) uint64, NO_KEY (0) in unused slots,
    laid out as the engine lays them out (see the module docstring): the load a real
    paragraph of the same length puts on the index, derived from the cached stream
    (shingle counts and planted reprints)."""
    from wireclean.dedup.lsh import _mix64
    from wireclean.dedup.sentences import MAX_SENTENCES

    _, count_path, planted_path = cached_signatures(n)
    counts = np.fromfile(count_path, dtype=np.uint32, count=n).astype(np.int64)
    sentences = np.clip(np.rint(counts / 25), 1, MAX_SENTENCES).astype(np.int64)
    # Each sentence's start and end, and each pair of adjacent sentences, as random values.
    cell = (np.arange(n, dtype=np.uint64)[:, None] << np.uint64(8)) | np.uint64(1 << 63)
    j = np.arange(MAX_SENTENCES, dtype=np.uint64)[None, :]
    start, end, pair = (_mix64(cell | j | np.uint64(k << 4)) for k in range(3))
    rng = np.random.default_rng(DATA_SEED + 1)
    for row, src, kind, jac in json.loads(planted_path.read_text()):
        if kind == "edited":        # each start, end and pair kept with probability 0.6
            for values in (start, end, pair):
                kept = rng.random(MAX_SENTENCES) < 0.6
                values[row][kept] = values[src][kept]
        else:                       # trimmed to the fraction `jac` of its source
            kept = max(1, int(np.ceil(jac * sentences[src])))
            cut = end[row][0]                 # its own end, where it was cut
            start[row], end[row], pair[row] = start[src], end[src], pair[src]
            end[row][kept - 1] = cut
            pair[row][kept - 1:] = 0
            sentences[row] = kept
    return _layout(start, end, pair, sentences)


def _layout(start, end, pair, sentences) -> np.ndarray:
    """The engine's columns (sentences.SentenceKeys) from per-sentence values."""
    from wireclean.dedup.lsh import _mix64
    from wireclean.dedup.sentences import SentenceKeys

    n, most = start.shape
    salt = [np.uint64(0x9E3779B97F4A7C15 * (k + 1) % 2**64) for k in range(5)]
    plain_s, plain_e = _mix64(start ^ salt[0]), _mix64(end ^ salt[1])
    lone_s, lone_e = _mix64(start ^ salt[2]), _mix64(end ^ salt[3])
    pairs = _mix64(pair ^ salt[4])
    keys = np.zeros((n, SentenceKeys.SLOTS), np.uint64)
    one = sentences == 1
    keys[one, 6], keys[one, 7] = lone_s[one, 0], lone_e[one, 0]
    keys[one, 9], keys[one, 13] = plain_s[one, 0], plain_e[one, 0]
    many = np.flatnonzero(~one)
    s = sentences[many]
    has = np.arange(most)[None, :] < s[:, None]
    keys[many, :most] = np.where(has, plain_s[many], 0)
    keys[many, 4], keys[many, 5] = plain_e[many, 0], plain_e[many, s - 1]
    keys[many, 6:9] = np.where(has[:, 1:], pairs[many, :most - 1], 0)
    keys[many, 9:13] = np.where(has, lone_s[many], 0)
    keys[many, 13], keys[many, 14] = lone_e[many, 0], lone_e[many, s - 1]
    return keys


def read_chunks(n: int, with_sentences: bool = False):
    """(first row, signatures, shingle counts[, sentence keys]) per chunk of the stream."""
    sig_path, count_path, _ = cached_signatures(n)
    sentences = sentence_keys(n) if with_sentences else None
    with open(sig_path, "rb") as fs, open(count_path, "rb") as fc:
        for first in range(0, n, CHUNK):
            rows = min(CHUNK, n - first)
            sig = np.fromfile(fs, dtype=np.uint32, count=rows * NUM_PERM).reshape(rows, NUM_PERM)
            counts = np.fromfile(fc, dtype=np.uint32, count=rows).astype(np.int64)
            if sentences is None:
                yield first, sig, counts
            else:
                yield first, sig, counts, sentences[first:first + rows]


# ---------------------------------------------------------------- one method, one process

def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(method: str, n: int) -> dict:
    planted = json.loads(cached_signatures(n)[2].read_text())
    planted_rows = {row for row, *_ in planted}
    found_rows: set[int] = set()
    pairs = 0
    wall = cpu = 0.0
    extra: dict = {}
    if method in ("wireclean", "sentence-keys"):
        from wireclean.dedup.lsh import SignatureLSH

        lsh = SignatureLSH(threshold=THRESHOLD, num_perm=NUM_PERM, seed=SEED)
        extra["bands_rows"] = [lsh.bands, lsh.rows]
        keyed = method == "sentence-keys"
        before = rss_mb()
        for first, sig, counts, *sentences in read_chunks(n, with_sentences=keyed):
            t0, c0 = time.perf_counter(), time.process_time()
            _, v = lsh.insert(sig, counts, sentence_keys=sentences[0] if keyed else None)
            wall += time.perf_counter() - t0
            cpu += time.process_time() - c0
            pairs += len(v.row)
            found_rows.update((first + v.row).tolist())
        extra["array_mb"] = lsh.nbytes / 2**20
    elif method == "memory-index":
        from wireclean.dedup.stores import Batch, IndexConfig
        from wireclean.dedup.stores.memory import MemoryStore

        store = MemoryStore(IndexConfig.create(threshold=THRESHOLD, num_perm=NUM_PERM, seed=SEED,
                                               sentence_words=0))   # the bands, as the peers
        extra["bands_rows"] = [store.config.bands, store.config.rows]
        before = rss_mb()
        for first, sig, counts in read_chunks(n):
            rows = len(sig)
            record = np.arange(rows) // 10
            keys = [f"doc/{first}/{i}" for i in range(int(record[-1]) + 1)]
            batch = Batch(keys, [None] * len(keys), record, np.arange(rows) % 10, counts, sig)
            t0, c0 = time.perf_counter(), time.process_time()
            hits = store.process(batch, add=True, query=True)
            wall += time.perf_counter() - t0
            cpu += time.process_time() - c0
            pairs += len(hits)
            found_rows.update(first + h.row for h in hits)
    elif method == "datasketch":
        from datasketch import LeanMinHash, MinHashLSH

        lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
        extra["bands_rows"] = [lsh.b, lsh.r]
        before = rss_mb()
        for first, sig, _ in read_chunks(n):
            mins = [LeanMinHash(seed=SEED, hashvalues=row, scheme="affine32") for row in sig]
            t0, c0 = time.perf_counter(), time.process_time()
            for i, m in enumerate(mins):
                hit = lsh.query(m)
                lsh.insert(first + i, m, check_duplication=False)
                if hit:
                    found_rows.add(first + i)
                    pairs += len(hit)
            wall += time.perf_counter() - t0
            cpu += time.process_time() - c0
            del mins
    elif method == "rensa":
        from rensa import RMinHash, RMinHashLSH

        lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=8)
        extra["bands_rows"] = [lsh.get_num_bands(), NUM_PERM // lsh.get_num_bands()]
        before = rss_mb()
        for (flat, offsets, _), first in zip(stream(n), range(0, n, CHUNK)):
            matrix = RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets.astype(np.uint64),
                                                                   NUM_PERM, SEED)
            t0, c0 = time.perf_counter(), time.process_time()
            flags = lsh.insert_matrix_and_query_duplicate_flags(matrix, first)
            wall += time.perf_counter() - t0
            cpu += time.process_time() - c0
            del matrix
            flagged = np.flatnonzero(np.asarray(flags, dtype=bool))
            found_rows.update((first + flagged).tolist())
            pairs += len(flagged)
    else:
        raise SystemExit(f"unknown method {method}")
    after = rss_mb()
    return {
        "method": method, "n": n, "wall_s": wall, "cpu_s": cpu,
        "per_s_wall": n / wall, "per_s_cpu": n / cpu,
        "index_mb": after - before, "peak_rss_mb": peak_rss_mb(),
        "rows_with_match": len(found_rows), "pairs_or_flags": pairs,
        "reprints_found": len(planted_rows & found_rows) / max(len(planted_rows), 1),
        "planted": len(planted_rows), **extra,
    }


# ---------------------------------------------------------------- SQLite latency

def sqlite_path(n: int) -> Path:
    return OUT_DIR / f"lsh_sqlite_n{n}.db"


def redis_target(url: str, n: int) -> str:
    return f"{url}{'&' if '?' in url else '?'}prefix=wireclean-bench-n{n}"


def index_target(store: str, n: int, redis_url: str | None) -> str:
    return str(sqlite_path(n)) if store == "sqlite" else redis_target(redis_url, n)


def reusable(store: str, n: int, redis_url: str | None) -> dict | None:
    """The cached index of ``n`` paragraphs if it opens with this wireclean (same format
    version), holds them and (SQLite) has the page size a new index gets; stray latency
    documents of an interrupted run make it unusable (SQLite: they are removed)."""
    from wireclean.dedup.index import Index, IndexFormatError
    from wireclean.dedup.stores.sqlite import PAGE_BYTES

    if store == "sqlite" and not sqlite_path(n).exists():
        return None
    if store == "sqlite":
        # An older format would be upgraded in place, with none of its entries recent:
        # not the state this wireclean's own adds leave, so build afresh instead.
        from wireclean.dedup.stores.sqlite import FORMAT_VERSION
        raw = sqlite3.connect(sqlite_path(n))
        try:
            if raw.execute("PRAGMA user_version").fetchone()[0] != FORMAT_VERSION:
                return None
        finally:
            raw.close()
    try:
        idx = Index.open(index_target(store, n, redis_url), create=False)
    except IndexFormatError:
        return None
    try:
        if idx.config.sentence_words != SENTENCE_WORDS:   # another load than asked for
            return None
        if store == "redis":
            return ({"n": n, "reused": True, **redis_memory(idx, n)}
                    if len(idx) == n // DOC_PARAS else None)
        conn = idx._store._conn
        stray = [k for (k,) in conn.execute("SELECT key FROM docs WHERE key LIKE 'latency/%'")]
        for key in stray:
            idx.remove(key)
        paras = conn.execute("SELECT count(*) FROM paras").fetchone()[0]
        page = conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        idx.close()
    if paras != n or page != PAGE_BYTES:
        return None
    return {"n": n, "reused": True, "file_mb": sqlite_path(n).stat().st_size / 2**20}


def redis_memory(idx, n: int) -> dict:
    info = idx._store._client.info("memory")
    return {"redis_used_mb": info["used_memory"] / 2**20,
            "redis_bytes_per_paragraph": info["used_memory"] / n}


def clear(store: str, n: int, redis_url: str | None) -> None:
    if store == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(f"{sqlite_path(n)}{suffix}"):
                os.unlink(f"{sqlite_path(n)}{suffix}")
        return
    import redis
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"wireclean-bench-n{n}:*", count=10_000):
        client.delete(key)


def build(store: str, n: int, redis_url: str | None) -> dict:
    from wireclean.dedup.index import Index
    from wireclean.dedup.stores import Batch

    clear(store, n, redis_url)
    idx = Index.open(index_target(store, n, redis_url), threshold=THRESHOLD,
                     sentence_words=SENTENCE_WORDS)
    backend = idx._store  # signatures are synthetic: fill the store below the text layer
    t0, c0 = time.perf_counter(), time.process_time()
    keyed = bool(idx.config.sentence_words)
    for first, sig, counts, *sentences in read_chunks(n, with_sentences=keyed):
        for lo in range(0, len(sig), 4000):
            s, c = sig[lo:lo + 4000], counts[lo:lo + 4000]
            record = np.arange(len(s)) // DOC_PARAS
            keys = [f"doc/{first + lo}/{i}" for i in range(int(record[-1]) + 1)]
            backend.process(Batch(keys, [None] * len(keys), record, np.arange(len(s)) % DOC_PARAS,
                                  c, s, sentences[0][lo:lo + 4000] if keyed else None),
                            add=True, query=False)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    out = {"n": n, "build_wall_s": wall, "build_cpu_s": cpu, "build_per_s_wall": n / wall}
    if store == "sqlite":
        out["file_mb"] = sqlite_path(n).stat().st_size / 2**20
    else:
        out.update(redis_memory(idx, n))
    idx.close()
    return out


def latency_texts(limit: int) -> tuple[list[str], str]:
    try:
        data = resolve_data_dir(None)
    except DataMissing:
        rng = np.random.default_rng(3)
        words = ("officials said the ministry would review talks on grain exports after "
                 "prices rose sharply in early trading amid reports of new sanctions").split()
        texts = ["\n\n".join(" ".join(rng.choice(words, size=int(rng.integers(20, 60))))
                             for _ in range(int(rng.integers(3, 15)))) for _ in range(limit)]
        return texts, "generated word salad (no data folder)"
    texts = [a.text for a in iter_articles(data, ["bbc", "reuters"])]
    rng = np.random.default_rng(5)
    picked = rng.choice(len(texts), size=min(limit, len(texts)), replace=False)
    return [texts[i] for i in picked], "BBC + Reuters-21578 articles"


def latency(store: str, n: int, redis_url: str | None, calls: int, round_no: int) -> dict:
    from wireclean.dedup.index import Index

    texts, source = latency_texts(calls * 3)
    texts = texts[round_no * calls:(round_no + 1) * calls]
    t0 = time.perf_counter()
    idx = Index.open(index_target(store, n, redis_url))
    open_ms = (time.perf_counter() - t0) * 1e3
    wall, cpu, matched, added = [], [], 0, []
    try:
        for i, text in enumerate(texts):
            key = f"latency/{round_no}/{i}/{time.time_ns()}"
            t0, c0 = time.perf_counter(), time.thread_time()
            m = idx.check_and_add(key, text)
            cpu.append(time.thread_time() - c0)
            wall.append(time.perf_counter() - t0)
            added.append(key)
            matched += bool(m)
    finally:
        # Leave the index as it was: every round (and every later run) sees the same
        # million paragraphs, not copies of the articles an earlier round added.
        for key in added:
            idx.remove(key)
        idx.close()
    w, c = np.array(wall) * 1e3, np.array(cpu) * 1e3
    return {"round": round_no, "calls": len(texts), "source": source, "matched": matched,
            "open_ms": open_ms,
            "wall_p50_ms": float(np.percentile(w, 50)), "wall_p99_ms": float(np.percentile(w, 99)),
            "wall_max_ms": float(w.max()),
            "cpu_p50_ms": float(np.percentile(c, 50)), "cpu_p99_ms": float(np.percentile(c, 99)),
            "load_avg": os.getloadavg()[0]}


# ---------------------------------------------------------------- driver

def run_worker(args: list[str]) -> dict:
    env = dict(os.environ, RAYON_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, __file__, *args], env=env, check=True,
                         stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def markdown(results: dict) -> str:
    n = results["n"]
    lines = [f"LSH insert+query, {n:,} paragraphs, threshold {THRESHOLD}, {NUM_PERM} permutations "
             f"(medians of the runs listed; 1 core each)", "",
             "| method | bands x rows | runs | paragraphs/s (wall) | paragraphs/s (CPU) | index memory MB | peak RSS MB | reprints found | rows flagged |",
             "|---|---|---|---|---|---|---|---|---|"]
    if not results["lsh"]:          # --methods= : the store latencies only
        lines = []
    for method, runs in results["lsh"].items():
        br = runs[0].get("bands_rows", ["?", "?"])
        lines.append(
            f"| {method} | {br[0]} x {br[1]} | {len(runs)} | {median_of(runs, 'per_s_wall'):,.0f} | "
            f"{median_of(runs, 'per_s_cpu'):,.0f} | {median_of(runs, 'index_mb'):,.0f} | "
            f"{median_of(runs, 'peak_rss_mb'):,.0f} | {median_of(runs, 'reprints_found'):.3f} | "
            f"{median_of(runs, 'rows_with_match'):,.0f} |")
    for store in ("sqlite", "redis"):
        if store not in results:
            continue
        s = results[store]
        b = s["build"]
        built = ("cached" if b.get("reused") else f"built at {b['build_per_s_wall']:,.0f} paragraphs/s")
        if "compacted" in b:
            built += (f", then compacted ({b['compacted']['merged']:,} entries merged in "
                      f"{b['compacted']['compact_s']:.1f} s)")
        size = (f"{b['file_mb']:,.0f} MB file" if store == "sqlite" else
                f"{b['redis_used_mb']:,.0f} MB of Redis memory, "
                f"{b['redis_bytes_per_paragraph']:,.0f} B per paragraph")
        name = "SQLite" if store == "sqlite" else "Redis"
        lines += ["", f"{name} index of {b['n']:,} paragraphs ({size}, {built}): "
                      f"`check_and_add` on {s['rounds'][0]['source']}", "",
                  "| round | calls | open ms | wall p50 ms | wall p99 ms | wall max ms | CPU p50 ms | CPU p99 ms | load avg |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r in s["rounds"]:
            lines.append(f"| {r['round']} | {r['calls']} | {r['open_ms']:.0f} | {r['wall_p50_ms']:.2f} | "
                         f"{r['wall_p99_ms']:.2f} | {r['wall_max_ms']:.1f} | {r['cpu_p50_ms']:.2f} | "
                         f"{r['cpu_p99_ms']:.2f} | {r['load_avg']:.1f} |")
        lines.append(f"| median | | {median_of(s['rounds'], 'open_ms'):.0f} | "
                     f"{median_of(s['rounds'], 'wall_p50_ms'):.2f} | "
                     f"{median_of(s['rounds'], 'wall_p99_ms'):.2f} | {median_of(s['rounds'], 'wall_max_ms'):.1f} | "
                     f"{median_of(s['rounds'], 'cpu_p50_ms'):.2f} | "
                     f"{median_of(s['rounds'], 'cpu_p99_ms'):.2f} | |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1_000_000, help="paragraphs (default 1,000,000)")
    p.add_argument("--rounds", type=int, default=3, help="runs of wireclean's methods (default 3)")
    p.add_argument("--peer-rounds", type=int, default=1, help="runs of each peer (default 1)")
    p.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset")
    p.add_argument("--sqlite", action="store_true", help="also build (or reuse) a SQLite index and time check_and_add")
    p.add_argument("--calls", type=int, default=700, help="check_and_add calls per latency round")
    p.add_argument("--redis", metavar="URL",
                   help="also time check_and_add on a Redis index at URL (redis://HOST:PORT/DB)")
    p.add_argument("--rebuild", action="store_true",
                   help="rebuild the SQLite (or Redis) index even if a usable one is cached")
    p.add_argument("--no-sentence-keys", action="store_true",
                   help="build the SQLite/Redis index without sentence keys (by default it "
                        "has them, synthetic: see above)")
    p.add_argument("--compact", action="store_true",
                   help="compact the SQLite index before timing check_and_add, as an archive "
                        "opened by pre-commit hooks would be (the cached file stays compacted: "
                        "--rebuild gives the state a bulk build leaves)")
    p.add_argument("--store", default="sqlite", help=argparse.SUPPRESS)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--latency-round", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.worker == "build":
        print(json.dumps((None if args.rebuild else reusable(args.store, args.n, args.redis))
                         or build(args.store, args.n, args.redis)))
        return 0
    if args.worker == "compact":
        from wireclean.dedup.index import Index
        with Index.open(index_target(args.store, args.n, args.redis)) as idx:
            t0 = time.perf_counter()
            merged = idx.compact()
            print(json.dumps({"merged": merged, "compact_s": time.perf_counter() - t0}))
        return 0
    if args.worker == "latency":
        print(json.dumps(latency(args.store, args.n, args.redis, args.calls, args.latency_round)))
        return 0
    if args.worker:
        print(json.dumps(worker(args.worker, args.n)))
        return 0

    if args.no_sentence_keys:       # the workers read it from the environment
        os.environ["WIRECLEAN_BENCH_SENTENCE_WORDS"] = "0"
        global SENTENCE_WORDS
        SENTENCE_WORDS = 0
    cached_signatures(args.n)
    methods = [m for m in args.methods.split(",") if m]
    results: dict = {"n": args.n, "threshold": THRESHOLD, "num_perm": NUM_PERM, "chunk": CHUNK,
                     "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                 "load_avg_start": os.getloadavg()}, "lsh": {}}
    for m in methods:
        results["lsh"][m] = []
    rounds = max(args.rounds, args.peer_rounds)
    for r in range(rounds):                     # interleaved, so load changes hit all alike
        for m in methods:
            if r < (args.rounds if m in OURS else args.peer_rounds):
                res = run_worker(["--worker", m, "--n", str(args.n)])
                print(f"  {m} round {r}: {res['per_s_wall']:,.0f}/s wall, {res['per_s_cpu']:,.0f}/s cpu, "
                      f"{res['index_mb']:,.0f} MB", file=sys.stderr)
                results["lsh"][m].append(res)
    for store in ["sqlite"] * args.sqlite + ["redis"] * bool(args.redis):
        common = ["--store", store, "--n", str(args.n)] + (["--redis", args.redis] if args.redis else [])
        built = run_worker(["--worker", "build", *common] + (["--rebuild"] if args.rebuild else []))
        if built.get("reused"):
            print(f"  {store} index reused", file=sys.stderr)
        else:
            print(f"  {store} build: {built['build_per_s_wall']:,.0f}/s", file=sys.stderr)
        if args.compact and store == "sqlite":
            built["compacted"] = run_worker(["--worker", "compact", *common])
            print(f"  compacted: {built['compacted']['merged']:,} entries in "
                  f"{built['compacted']['compact_s']:.1f} s", file=sys.stderr)
        lat = [run_worker(["--worker", "latency", *common, "--calls", str(args.calls),
                           "--latency-round", str(r)]) for r in range(3)]
        results[store] = {"build": built, "rounds": lat}
    results["machine"]["load_avg_end"] = os.getloadavg()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / "bench_lsh.json"
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=1))
    os.replace(tmp, out)
    print(markdown(results))
    print(f"\n(JSON: {out})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
