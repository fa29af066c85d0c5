"""The SQLite index file: format, refusals, persistence, and several processes at once."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from wireclean.dedup.index import Index, IndexFormatError
from wireclean.dedup.minhash import MinHasher
from wireclean.dedup.stores import sqlite as sqlite_store
from wireclean.dedup.stores.keyfilter import KeyFilter, chunk_of
from wireclean.dedup.stores.sqlite import APPLICATION_ID, FORMAT_VERSION, PAGE_BYTES

STORY = """Rescue teams worked through the night to reach villagers cut off by the landslide, which buried part of the main road into the valley after days of heavy rain, police said.

The regional governor said at least 40 homes had been damaged and that army helicopters would start dropping supplies at first light if the weather allowed."""

OTHER = """The central bank left interest rates unchanged on Thursday, saying inflation was easing more slowly than it had expected and that it would watch wage growth closely."""


def story(i: int) -> str:
    """A distinct, matchable text per i (numbers spelled out so every shingle differs)."""
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()
    tag = " ".join(words[(i >> (4 * k)) % 12] for k in range(3))
    return f"Dispatch {tag} reports that the harbour authority extended its inspection of cargo ships for another {tag} week, port officials said."


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text
    return text


# ---------------------------------------------------------------- the file itself

def test_a_new_file_is_a_wal_index_recording_its_parameters(tmp_path):
    path = tmp_path / "wire.db"
    with Index.open(path, threshold=0.75, shingle_size=4) as idx:
        idx.add("a", STORY)
        config = idx.config
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    row = db.execute("SELECT format, version, threshold, num_perm, seed, shingle_size, bands, "
                     "rows, bucket_cap FROM wireclean_index").fetchall()
    assert row == [("wireclean-index", FORMAT_VERSION, 0.75, 128, 1, 4, config.bands,
                    config.rows, config.bucket_cap)]
    db.close()


def test_signatures_are_stored_as_raw_bytes(tmp_path):
    path = tmp_path / "wire.db"
    with Index.open(path) as idx:
        idx.add("a", OTHER)
    (blob,) = sqlite3.connect(path).execute("SELECT sig FROM paras").fetchone()
    assert isinstance(blob, bytes) and len(blob) == 128 * 4
    expect = MinHasher().signatures([OTHER])[0]
    assert np.array_equal(np.frombuffer(blob, dtype="<u4"), expect)


def test_new_files_get_small_pages_and_files_with_4k_pages_still_work(tmp_path):
    path = tmp_path / "wire.db"
    with Index.open(path) as idx:
        idx.add("wire/1", STORY)
    db = sqlite3.connect(path, isolation_level=None)
    assert db.execute("PRAGMA page_size").fetchone()[0] == PAGE_BYTES
    # An index made before PAGE_BYTES (SQLite's default 4 KB pages) opens and matches.
    db.execute("PRAGMA journal_mode = DELETE")
    db.execute("PRAGMA page_size = 4096")
    db.execute("VACUUM")
    db.execute("PRAGMA journal_mode = WAL")
    assert db.execute("PRAGMA page_size").fetchone()[0] == 4096
    db.close()
    with Index.open(path) as idx:
        assert [m.key for m in idx.check_and_add("copy", STORY)] == ["wire/1", "wire/1"]
        idx.add("other", OTHER)
    with Index.open(path) as idx:
        assert len(idx) == 3 and [m.key for m in idx.query(OTHER)] == ["other"]


def test_lookups_split_over_several_queries_find_every_match(tmp_path, monkeypatch):
    # A long article's band keys (20 per paragraph) and candidates span many IN lists.
    monkeypatch.setattr(sqlite_store, "_IN_CHUNK_MAX", 7)
    long_text = "\n\n".join(story(i) for i in range(12))
    records = [("a", long_text), ("b", STORY), ("c", long_text + "\n\n" + STORY), ("d", long_text)]
    in_memory = Index()
    with Index.open(tmp_path / "wire.db") as on_disk:
        assert on_disk._store._chunk == 7
        for rec in records:
            got = [(m.para, m.key, m.key_para) for m in on_disk.check_and_add(*rec)]
            assert got == [(m.para, m.key, m.key_para) for m in in_memory.check_and_add(*rec)]
        assert len(on_disk.query(long_text)) == 12 * 3  # each paragraph: a, c and d


def test_everything_survives_closing_and_reopening(tmp_path):
    path = tmp_path / "wire.db"
    with Index.open(path) as idx:
        idx.add("wire/1", STORY, meta={"date": "2024-06-01", "outlet": "Wire"})
        idx.add("other", OTHER)
        before = idx.query(STORY)
    with Index.open(path) as idx:
        assert len(idx) == 2 and "wire/1" in idx
        after = idx.query(STORY)
        assert after == before
        assert after[0].meta == {"date": "2024-06-01", "outlet": "Wire"}
        assert idx.check_and_add("copy", STORY)[0].key == "wire/1"
    with Index.open(path) as idx:
        assert {m.key for m in idx.query(STORY)} == {"wire/1", "copy"}


def test_memory_and_file_indexes_report_the_same_matches(tmp_path):
    records = [(f"k{i}", STORY if i % 3 == 0 else story(i)) for i in range(12)]
    with Index.open(tmp_path / "wire.db") as on_disk:
        in_memory = Index()
        for rec in records:
            assert [(m.para, m.key, m.key_para) for m in on_disk.check_and_add(*rec)] == \
                [(m.para, m.key, m.key_para) for m in in_memory.check_and_add(*rec)]


def test_remove_is_persistent_and_clears_the_buckets(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_store, "RECENT_ENTRIES", 1)   # every add merges all it can
    path = tmp_path / "wire.db"
    with Index.open(path, sentence_words=8) as idx:    # sentence keys' entries go too
        idx.add("wire/1", STORY)
        idx.add("other", OTHER)
        idx.remove("wire/1")
    with Index.open(path) as idx:
        assert len(idx) == 1 and idx.query(STORY) == []
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM paras").fetchone()[0] == 1
    bands = db.execute("SELECT bands FROM wireclean_index").fetchone()[0]
    (sentences,) = db.execute("SELECT sentences FROM paras").fetchone()
    sentence_keys = np.count_nonzero(np.frombuffer(sentences, "<u8"))
    assert sentence_keys >= 2       # OTHER's paragraph is one long sentence at least
    assert db.execute("SELECT count(DISTINCT para) FROM buckets").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM buckets").fetchone()[0] == bands + sentence_keys


# ---------------------------------------------------------------- entries merged in sweeps

def wire_corpus(n: int) -> list[tuple[str, str]]:
    """Articles with reprints, trimmed copies and a boilerplate paragraph that fills its
    buckets (run with a small bucket_cap)."""
    boiler = "Reporting by the wire desk in the capital; editing by the night staff and the weekend team."
    out = []
    for i in range(n):
        text = story(i) + "\n\n" + boiler
        if i % 4 == 1:
            text = story(i - 1) + "\n\n" + story(i + 1000)            # a reprint
        elif i % 4 == 2:
            text = story(i - 2).replace("Dispatch ", "") + " More follows."  # edited copy
        out.append((f"k{i}", text))
    return out


def hits_of(matches):
    return sorted((m.para, m.key, m.key_para) for m in matches)


def assert_filters_hold_the_btree(path, *indexes) -> None:
    """The key filter never says "absent" for a key the B-tree holds: neither the rows in
    the file nor the copy of any open connection."""
    db = sqlite3.connect(path)
    held = np.array([b for (b,) in db.execute("SELECT bucket FROM buckets")], dtype=np.int64)
    rows = db.execute("SELECT chunk, words FROM key_filter").fetchall()
    db.close()
    assert len(held) and rows
    from_file = KeyFilter()
    from_file.update(rows)
    assert from_file.may_hold(held).all()
    for idx in indexes:
        assert idx._store._filter.may_hold(held).all()


def assert_btree_holds_exactly_the_merged_entries(path, hasher) -> None:
    """The buckets table holds, once each, the kept entries that merge_state says it has."""
    db = sqlite3.connect(path)
    merged_to, sweep_to, cursor = db.execute(
        "SELECT merged_to, sweep_to, cursor FROM merge_state").fetchone()
    assert 0 < merged_to <= sweep_to
    rows = db.execute("SELECT id, sig, full, sentences FROM paras").fetchall()
    expected = set()
    for pid, sig, full, sentences in rows:
        # Band keys, then the sentence key slots (0: unused, never stored).
        keys = np.concatenate((hasher.keys(np.frombuffer(sig, "<u4").reshape(1, -1))[0],
                               np.frombuffer(sentences or bytes(64), "<u8"))).view(np.int64)
        kept = np.ones(len(keys), bool) if full is None else ~np.unpackbits(
            np.frombuffer(full, np.uint8), count=len(keys), bitorder="little").astype(bool)
        kept &= keys != 0
        for key in keys[kept].tolist():
            if pid <= merged_to or (pid <= sweep_to and key < cursor):
                expected.add((key, pid))
    stored = db.execute("SELECT bucket, para FROM buckets").fetchall()
    db.close()
    assert len(stored) == len(set(stored)) and set(stored) == expected


@pytest.mark.parametrize("recent_entries, words, read_all", [
    (1, 0, False), (37, 8, False), (400, 0, True), (1 << 20, 8, False)])
def test_entries_merged_in_sweeps_match_like_the_memory_index(tmp_path, monkeypatch,
                                                              recent_entries, words, read_all):
    """Whether a paragraph's bucket entries are still recent, half merged or in the
    B-tree, check_and_add reports what the in-memory index reports -- across reopening,
    a second connection adding in turn, and removals; with and without sentence keys;
    with the key filter read a chunk at a time or all at once."""
    monkeypatch.setattr(sqlite_store, "RECENT_ENTRIES", recent_entries)
    if read_all:
        monkeypatch.setattr(KeyFilter, "READ_ALL_AFTER", 0)
    path = tmp_path / "wire.db"
    memory = Index(bucket_cap=5, sentence_words=words)
    first = Index.open(path, bucket_cap=5, sentence_words=words)
    second = Index.open(path, bucket_cap=5, sentence_words=words)
    try:
        for i, rec in enumerate(wire_corpus(80)):
            if i == 40:                       # a fresh process reads recent entries back
                first.close()
                first = Index.open(path)
            on_disk = first if i % 3 else second
            assert hits_of(on_disk.check_and_add(*rec)) == hits_of(memory.check_and_add(*rec)), rec[0]
            if i % 17 == 16:
                gone = f"k{i - 5}"
                on_disk.remove(gone)
                memory.remove(gone)
        for key, text in wire_corpus(90)[80:]:
            assert hits_of(first.query(text)) == hits_of(memory.query(text))
            assert hits_of(second.query(text)) == hits_of(memory.query(text))
        if recent_entries < 1000:
            assert_filters_hold_the_btree(path, first, second)
    finally:
        first.close()
        second.close()


def test_finished_sweeps_leave_every_kept_entry_in_the_btree_once(tmp_path, monkeypatch):
    """No entry twice, and none of a removed paragraph, whichever connection swept it."""
    monkeypatch.setattr(sqlite_store, "RECENT_ENTRIES", 50)
    path = tmp_path / "wire.db"
    with Index.open(path, bucket_cap=5, sentence_words=8) as idx, Index.open(path) as other:
        for i, rec in enumerate(wire_corpus(60)):
            (idx if i % 2 else other).add(*rec)
            if i in (30, 45):       # removed while the other connection holds its entries
                idx.remove(f"k{i - 1}")
        hasher = idx._store._hasher
    assert_btree_holds_exactly_the_merged_entries(path, hasher)
    db = sqlite3.connect(path)
    # The boilerplate paragraph's buckets were capped at 5 entries.
    assert db.execute("SELECT max(n) FROM (SELECT count(*) n FROM buckets GROUP BY bucket)"
                      ).fetchone()[0] <= 5
    assert db.execute("SELECT count(*) FROM paras WHERE full IS NOT NULL").fetchone()[0] > 0
    db.close()


def test_compact_merges_every_recent_entry_and_changes_no_match(tmp_path):
    path, twin = tmp_path / "wire.db", tmp_path / "twin.db"
    records = wire_corpus(60)
    with Index.open(path, bucket_cap=5) as idx:
        for rec in records[:40]:
            idx.add(*rec)
        idx.remove("k3")
    shutil.copyfile(path, twin)                 # closed: the log is checkpointed
    with Index.open(path) as idx:
        assert len(idx._store._recent) > 0
        assert idx.compact() > 0
        assert len(idx._store._recent) == 0 and idx.compact() == 0
        hasher = idx._store._hasher
    assert_btree_holds_exactly_the_merged_entries(path, hasher)
    assert_filters_hold_the_btree(path)
    db = sqlite3.connect(path)
    merged_to, sweep_to, top = db.execute("SELECT merged_to, sweep_to, top FROM merge_state").fetchone()
    assert merged_to == sweep_to == top
    assert db.execute("SELECT count(*) FROM recent_removed").fetchone() == (0,)
    db.close()
    with Index.open(path) as compacted, Index.open(twin) as not_compacted:
        assert len(compacted._store._recent) == 0         # opening read nothing back
        for rec in records[40:]:                          # and sweeping goes on from there
            assert hits_of(compacted.check_and_add(*rec)) == hits_of(not_compacted.check_and_add(*rec))
        for _, text in records[:40:3]:
            assert hits_of(compacted.query(text)) == hits_of(not_compacted.query(text))


def _downgrade(path, version: int) -> None:
    """Turn a file made with ``sentence_words=0`` back into the layout of ``version``."""
    db = sqlite3.connect(path)
    db.execute("DROP TABLE key_filter")
    if version < 3:
        db.executescript("ALTER TABLE paras DROP COLUMN sentences; "
                         "ALTER TABLE wireclean_index DROP COLUMN sentence_words;")
    if version == 1:
        db.executescript("DROP TABLE merge_state; DROP TABLE recent_removed; "
                         "ALTER TABLE paras DROP COLUMN full;")
    db.executescript(f"UPDATE wireclean_index SET version = {version}; "
                     f"PRAGMA user_version = {version};")
    db.close()


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_an_older_file_is_upgraded_in_place_and_keeps_matching_as_it_did(tmp_path, monkeypatch,
                                                                          version):
    monkeypatch.setattr(sqlite_store, "RECENT_ENTRIES", 1)   # all entries in the B-tree, as in v1
    path = tmp_path / "wire.db"
    with Index.open(path, sentence_words=0) as idx:
        idx.add("wire/1", STORY)
    _downgrade(path, version)
    monkeypatch.setattr(sqlite_store, "RECENT_ENTRIES", 1 << 20)
    with Index.open(path) as idx:
        assert idx.config.sentence_words == 0       # its paragraphs have no sentence keys
        assert [m.key for m in idx.check_and_add("wire/2", STORY)] == ["wire/1", "wire/1"]
    with Index.open(path) as idx:
        assert sorted({m.key for m in idx.query(STORY)}) == ["wire/1", "wire/2"]
    db = sqlite3.connect(path)
    assert db.execute("SELECT version FROM wireclean_index").fetchone()[0] == FORMAT_VERSION
    assert db.execute("PRAGMA user_version").fetchone()[0] == FORMAT_VERSION
    assert db.execute("SELECT count(*) FROM paras WHERE sentences IS NOT NULL").fetchone()[0] == 0
    db.close()
    # Its key filter starts empty; compact builds a row for every chunk that holds keys.
    with Index.open(path) as idx:
        idx.compact()
    db = sqlite3.connect(path)
    chunks = {c for (c,) in db.execute("SELECT chunk FROM key_filter")}
    held = np.array(db.execute("SELECT bucket FROM buckets").fetchall(), np.int64).reshape(-1)
    db.close()
    assert chunks == set(chunk_of(held).tolist())
    assert_filters_hold_the_btree(path)


def tampered(tmp_path, sql: str):
    """The path of an index holding STORY, then changed by ``sql`` behind wireclean's back."""
    path = tmp_path / "wire.db"
    with Index.open(path) as idx:
        idx.add("wire/1", STORY)
    db = sqlite3.connect(path)
    db.executescript(sql)
    db.close()
    return path


def test_a_version_3_file_with_sentence_keys_must_be_rebuilt(tmp_path):
    """Version 3 made other sentence keys: its buckets would mislead this wireclean."""
    path = tampered(tmp_path, "UPDATE wireclean_index SET version = 3; PRAGMA user_version = 3;")
    with pytest.raises(IndexFormatError, match="older format.*rebuild") as err:
        Index.open(path)
    assert str(path) in one_line(err.value)


# ---------------------------------------------------------------- refusals

def test_opening_with_other_parameters_is_refused_by_name(tmp_path):
    path = tmp_path / "wire.db"
    Index.open(path, threshold=0.8).close()
    with pytest.raises(IndexFormatError) as err:
        Index.open(path, threshold=0.7, shingle_size=5)
    text = one_line(err.value)
    assert str(path) in text and "threshold=0.8" in text and "shingle_size=3" in text
    with Index.open(path) as idx:           # parameters left out come from the file
        assert idx.config.threshold == 0.8
    with Index.open(path, threshold=0.8, num_perm=128):
        pass


@pytest.mark.parametrize("version, word", [(0, "older"), (FORMAT_VERSION + 1, "newer")])
def test_other_format_versions_are_refused(tmp_path, version, word):
    path = tmp_path / "wire.db"
    Index.open(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE wireclean_index SET version = ?", (version,))
    db.commit()
    db.close()
    with pytest.raises(IndexFormatError, match=word) as err:
        Index.open(path)
    assert str(path) in one_line(err.value)


def write_bytes(path, data: bytes):
    path.write_bytes(data)
    return data


@pytest.mark.parametrize("kind", ["text", "empty", "foreign sqlite", "truncated", "directory",
                                  "sqlite with our id but no tables"])
def test_files_that_are_not_whole_indexes_are_refused_untouched(tmp_path, kind):
    path = tmp_path / "thing.db"
    if kind == "text":
        before = write_bytes(path, b"GENEVA, May 3 - Talks resumed.\n")
        expect = "not an SQLite database"
    elif kind == "empty":
        before = write_bytes(path, b"")
        expect = "empty"
    elif kind == "foreign sqlite":
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE stories (id INTEGER, body TEXT)")
        db.commit()
        db.close()
        before = path.read_bytes()
        expect = "not a wireclean index"
    elif kind == "truncated":
        whole = tmp_path / "whole.db"
        with Index.open(whole) as idx:
            idx.add_many((f"k{i}", story(i)) for i in range(300))
        data = whole.read_bytes()
        before = write_bytes(path, data[: len(data) // 2])
        expect = "truncated"
    elif kind == "directory":
        path.mkdir()
        before = None
        expect = "directory"
    else:
        db = sqlite3.connect(path)
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute("CREATE TABLE t (x)")
        db.commit()
        db.close()
        before = path.read_bytes()
        expect = "no wireclean_index table"
    with pytest.raises(IndexFormatError, match=expect) as err:
        Index.open(path)
    assert str(path) in one_line(err.value)
    if before is not None:
        assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_damaged_signature_is_reported_not_misread(tmp_path):
    path = tampered(tmp_path, "UPDATE paras SET sig = x'00010203';")
    # Opening reads recent paragraphs' signatures; a merged one's is read by the query.
    with pytest.raises(IndexFormatError, match="damaged") as err:
        with Index.open(path) as idx:
            idx.query(STORY)
    assert str(path) in one_line(err.value)


@pytest.mark.parametrize("damage", ["DELETE FROM merge_state", "DROP TABLE merge_state",
                                    "DROP TABLE recent_removed", "UPDATE paras SET full = 7",
                                    "UPDATE paras SET full = x'0102'",
                                    "UPDATE merge_state SET cursor = 'x'"])
def test_a_damaged_sweep_state_is_reported_not_guessed(tmp_path, damage):
    path = tmp_path / "wire.db"
    with Index.open(path) as idx:
        idx.add("wire/1", STORY)
        idx.remove("wire/1")
        idx.add("wire/2", STORY)
    db = sqlite3.connect(path)
    db.execute(damage)
    db.commit()
    db.close()
    with pytest.raises(IndexFormatError, match="damaged") as err:
        with Index.open(path) as idx:
            idx.remove("wire/2")
            idx.check_and_add("wire/3", STORY)
    assert str(path) in one_line(err.value)


@pytest.mark.parametrize("damage", ["DROP TABLE key_filter", "UPDATE key_filter SET words = x'0102'",
                                    "UPDATE key_filter SET words = 'x'"])
def test_a_damaged_key_filter_is_reported_not_trusted(tmp_path, monkeypatch, damage):
    """A filter row that is not what wireclean wrote could hide stored keys: refused."""
    monkeypatch.setattr(sqlite_store, "RECENT_ENTRIES", 1)    # every entry merged at once
    path = tampered(tmp_path, damage)
    with pytest.raises(IndexFormatError, match="damaged") as err:
        with Index.open(path) as idx:
            idx.check_and_add("wire/2", STORY)
    assert str(path) in one_line(err.value)


# ---------------------------------------------------------------- several processes

def _add_range(path: str, first: int, count: int,
               recent_entries: int = sqlite_store.RECENT_ENTRIES) -> None:
    sqlite_store.RECENT_ENTRIES = recent_entries     # a spawned process: its own module
    with Index.open(path) as idx:
        for i in range(first, first + count):
            idx.add(f"doc/{i}", story(i))


def _check_and_add_after(path: str, barrier, key: str, queue) -> None:
    with Index.open(path) as idx:
        barrier.wait()
        queue.put((key, len(idx.check_and_add(key, STORY))))


def _open_after(path: str, barrier, queue) -> None:
    barrier.wait()
    with Index.open(path) as idx:
        idx.add(f"pid/{os.getpid()}", OTHER)
    queue.put("ok")


@pytest.fixture
def mp():
    return multiprocessing.get_context("spawn")


@pytest.mark.parametrize("recent_entries", [sqlite_store.RECENT_ENTRIES, 300])
def test_two_processes_adding_at_once_lose_nothing(tmp_path, mp, recent_entries):
    """Nothing is lost, whether the entries stay recent or both processes sweep them."""
    path = str(tmp_path / "wire.db")
    Index.open(path).close()
    procs = [mp.Process(target=_add_range, args=(path, k * 1000, 120, recent_entries))
             for k in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with Index.open(path) as idx:
        assert len(idx) == 240
        assert all(f"doc/{k * 1000 + i}" in idx for k in range(2) for i in range(120))
        for k in range(2):
            for i in range(0, 120, 7):
                assert f"doc/{k * 1000 + i}" in [m.key for m in idx.query(story(k * 1000 + i))]
        hasher = idx._store._hasher
    if recent_entries < 1000:
        assert_btree_holds_exactly_the_merged_entries(path, hasher)
        assert_filters_hold_the_btree(path)


def test_check_and_add_is_atomic_across_processes(tmp_path, mp):
    path = str(tmp_path / "wire.db")
    Index.open(path).close()
    n = 4
    barrier, queue = mp.Barrier(n), mp.Queue()
    procs = [mp.Process(target=_check_and_add_after, args=(path, barrier, f"copy/{i}", queue))
             for i in range(n)]
    for p in procs:
        p.start()
    results = dict(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(60)
    assert sorted(results.values())[0] == 0 and sorted(results.values())[1] > 0
    assert list(results.values()).count(0) == 1     # exactly one process saw it first


def test_processes_creating_the_same_file_agree_on_one_index(tmp_path, mp):
    path = str(tmp_path / "new.db")
    n = 3
    barrier, queue = mp.Barrier(n), mp.Queue()
    procs = [mp.Process(target=_open_after, args=(path, barrier, queue)) for _ in range(n)]
    for p in procs:
        p.start()
    assert [queue.get(timeout=120) for _ in procs] == ["ok"] * n
    for p in procs:
        p.join(60)
    with Index.open(path) as idx:
        assert len(idx) == n
    assert [p for p in os.listdir(tmp_path) if p.endswith(".tmp")] == []


KILL_SCRIPT = textwrap.dedent("""
    import sys
    sys.path[:0] = {paths!r}
    from wireclean.dedup.index import Index
    from wireclean.dedup.stores import sqlite
    sqlite.RECENT_ENTRIES = 200     # sweeps finish every few adds, so kill -9 lands in them
    sys.path.insert(0, {tests!r})
    from test_sqlite_store import story
    idx = Index.open({path!r})
    i = 0
    while True:
        idx.add(f"doc/{{i}}", story(i))
        print(i, flush=True)    # printed only once the add has returned (committed)
        i += 1
""")


def test_kill_9_mid_add_keeps_every_committed_entry(tmp_path):
    path = str(tmp_path / "wire.db")
    script = KILL_SCRIPT.format(paths=sys.path, tests=os.path.dirname(__file__), path=path)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    committed = []
    try:
        for line in child.stdout:
            committed.append(int(line))
            if len(committed) >= 40:
                break
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    copy = tmp_path / "after-kill.db"      # as left on disk, log included
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            shutil.copyfile(path + suffix, str(copy) + suffix)
    with Index.open(copy) as idx:
        assert all(f"doc/{i}" in idx for i in committed)
        assert len(idx) >= len(committed)
        for i in committed[::5]:
            assert f"doc/{i}" in [m.key for m in idx.query(story(i))]
        idx.add("after", OTHER)
        hasher = idx._store._hasher
    db = sqlite3.connect(copy)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    assert_btree_holds_exactly_the_merged_entries(copy, hasher)
