"""The Redis index: same behaviour as the SQLite one, on a real redis-server (loopback)."""

from __future__ import annotations

import collections
import inspect
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from click.testing import CliRunner

import test_index
from test_sqlite_store import OTHER, STORY, one_line, story
from wireclean.cli import main
from wireclean.dedup.index import DuplicateKeyError, Index, IndexFormatError
from wireclean.dedup.minhash import MinHasher

try:
    import redis
except ImportError:
    if os.environ.get("CI"):      # CI installs the [redis] extra: its absence is a failure
        raise
    pytest.skip("the redis package is not installed", allow_module_level=True)
from wireclean.dedup.stores import redis as redis_store  # noqa: E402
from wireclean.dedup.stores.redis import FORMAT_VERSION, IndexConnectionError, parse_url  # noqa: E402


def dead_url(password: str = "") -> str:
    """A loopback URL nothing listens on (a port just bound and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://{':' + password + '@' if password else ''}127.0.0.1:{port}/0"


def buckets(client, prefix: str) -> collections.Counter:
    """Paragraphs per band key, read from the bucket shards (8-byte key + 8-byte id each),
    checking that each entry is in the shard its band key names."""
    keys = redis_store._Keys(prefix)
    count: collections.Counter = collections.Counter()
    for shard in client.scan_iter(match=f"{prefix}:b:*"):
        for member in client.zrange(shard, 0, -1):
            band = int.from_bytes(member[:8], "little")
            assert keys.shard(band) == shard.decode()
            count[band] += 1
    return count


def raw(url: str):
    """(a plain redis client, the key prefix) for looking at what the index wrote."""
    client_url, prefix, _ = parse_url(url)
    return redis.Redis.from_url(client_url), prefix


# ---------------------------------------------------------------- the Index behaviour tests
# Every test of tests/test_index.py that takes `make_index` runs here again on Redis:
# a Redis index must answer exactly as the memory and SQLite ones do.

@pytest.fixture
def make_index(redis_server):
    made = []

    def make(**kwargs):
        idx = Index.open(f"{redis_server}/0?prefix=behaviour-{os.getpid()}-{time.monotonic_ns()}",
                         **kwargs)
        made.append(idx)
        return idx

    yield make
    for idx in made:
        idx.close()


for _name, _test in vars(test_index).items():
    if _name.startswith("test_") and "make_index" in inspect.signature(_test).parameters:
        globals()[_name] = _test


# ---------------------------------------------------------------- same answers as the others

def test_redis_sqlite_and_memory_indexes_report_the_same_matches(redis_url, tmp_path):
    records = [(f"k{i}", STORY if i % 3 == 0 else story(i), {"n": i}) for i in range(12)]
    records += [("spun", STORY.replace("police said", "police in the Russian Federation said"))]
    with Index.open(redis_url) as shared, Index.open(tmp_path / "wire.db") as on_disk:
        in_memory = Index()
        for rec in records:
            got = shared.check_and_add(*rec)
            # SQLite compares 32-bit signature values, as Redis does: the very same Matches.
            assert got == on_disk.check_and_add(*rec)
            # Memory keeps 16 bits, so scores may differ in the last digit; matches may not.
            assert [(m.para, m.key, m.key_para) for m in got] == \
                [(m.para, m.key, m.key_para) for m in in_memory.check_and_add(*rec)]
        assert any(shared.query(STORY))
        for idx in (shared, on_disk, in_memory):
            idx.remove("k0")
            idx.remove("k5")
        assert shared.query(STORY) == on_disk.query(STORY)
        assert shared.query(story(4)) == on_disk.query(story(4)) != []
        assert len(shared) == len(on_disk) == len(in_memory) == len(records) - 2


def test_check_and_add_many_matches_sqlite_in_one_batch(redis_url, tmp_path):
    records = [(f"k{i}", STORY if i % 4 == 0 else story(i), {"n": i}) for i in range(40)]
    with Index.open(redis_url) as shared, Index.open(tmp_path / "wire.db") as on_disk:
        assert list(shared.check_and_add_many(records)) == list(on_disk.check_and_add_many(records))
        assert len(shared) == 40


# ---------------------------------------------------------------- what is stored

def test_one_config_key_records_the_parameters(redis_url):
    with Index.open(redis_url, threshold=0.75, shingle_size=4) as idx:
        config = idx.config
    client, prefix = raw(redis_url)
    stored = json.loads(client.get(f"{prefix}:config"))
    assert stored == {"format": "wireclean-index", "version": FORMAT_VERSION, "threshold": 0.75,
                      "num_perm": 128, "seed": 1, "shingle_size": 4, "bands": config.bands,
                      "rows": config.rows, "bucket_cap": config.bucket_cap,
                      "hash_version": config.hash_version, "sentence_words": 8}


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_index_without_sentence_keys_goes_on_as_it_is(redis_url, version):
    """Version 1 had no sentence keys, version 2 other ones: an index without any is read
    as it is and keeps matching as it did."""
    with Index.open(redis_url, sentence_words=0) as idx:
        idx.add("wire/1", STORY)
    client, prefix = raw(redis_url)
    stored = json.loads(client.get(f"{prefix}:config"))
    if version == 1:
        del stored["sentence_words"]
    client.set(f"{prefix}:config", json.dumps({**stored, "version": version}))
    with Index.open(redis_url) as idx:
        assert idx.config.sentence_words == 0
        assert {m.key for m in idx.check_and_add("wire/2", STORY)} == {"wire/1"}
    assert json.loads(client.get(f"{prefix}:config"))["version"] == version  # not rewritten
    assert not client.exists(f"{prefix}:sent")


def test_a_version_2_index_with_sentence_keys_must_be_rebuilt(redis_url):
    with Index.open(redis_url) as idx:
        idx.add("wire/1", STORY)
    client, prefix = raw(redis_url)
    stored = json.loads(client.get(f"{prefix}:config"))
    client.set(f"{prefix}:config", json.dumps({**stored, "version": 2}))
    with pytest.raises(IndexFormatError, match="older format.*rebuild") as err:
        Index.open(redis_url)
    assert one_line(err.value).startswith(redis_url + ": ")


def test_signatures_are_raw_bytes_and_meta_is_json(redis_url):
    with Index.open(redis_url) as idx:
        idx.add("a", OTHER, meta={"outlet": "Wire", "tags": ["rates"]})
    client, prefix = raw(redis_url)
    (blob,) = client.hvals(f"{prefix}:sig")
    assert np.array_equal(np.frombuffer(blob, dtype="<u4"), MinHasher().signatures([OTHER])[0])
    (doc,) = client.hvals(f"{prefix}:docs")
    assert json.loads(doc)["meta"] == {"outlet": "Wire", "tags": ["rates"]}


def test_everything_survives_closing_and_reopening(redis_url):
    with Index.open(redis_url) as idx:
        idx.add("wire/1", STORY, meta={"date": "2024-06-01"})
        idx.add("other", OTHER)
        before = idx.query(STORY)
    with Index.open(redis_url) as idx:
        assert len(idx) == 2 and "wire/1" in idx and "nope" not in idx
        assert idx.query(STORY) == before and before[0].meta == {"date": "2024-06-01"}
        assert idx.check_and_add("copy", STORY)[0].key == "wire/1"
    with Index.open(redis_url) as idx:
        assert {m.key for m in idx.query(STORY)} == {"wire/1", "copy"}


def test_prefixes_keep_indexes_on_one_server_apart(redis_server):
    with Index.open(f"{redis_server}/0?prefix=left") as left, \
            Index.open(f"{redis_server}/0?prefix=right", threshold=0.6) as right:
        left.add("a", STORY)
        assert len(right) == 0 and right.query(STORY) == []
        right.add("a", STORY)                     # the same key, in the other index
        assert len(left) == 1 and right.config.threshold == 0.6


def test_remove_clears_buckets_signatures_and_key(redis_url):
    with Index.open(redis_url, sentence_words=8) as idx:     # sentence keys' entries go too
        idx.add("wire/1", STORY)
        idx.add("other", OTHER)
        idx.remove("wire/1")
        bands = idx.config.bands
    client, prefix = raw(redis_url)
    (sentences,) = client.hvals(f"{prefix}:sent")       # "other"'s sentence keys
    keys = bands + np.count_nonzero(np.frombuffer(sentences, "<u8"))
    assert list(buckets(client, prefix).values()) == [1] * keys   # "other"'s, once each
    assert client.hlen(f"{prefix}:sig") == client.hlen(f"{prefix}:para") == client.hlen(f"{prefix}:sent") == 1
    assert client.hkeys(f"{prefix}:keys") == [b"other"]


def test_buckets_stay_at_their_cap_and_matches_agree_with_memory(redis_url):
    with Index.open(redis_url, bucket_cap=3) as shared:
        in_memory = Index(bucket_cap=3)
        for i in range(6):
            key = f"copy/{i}"
            assert shared.check_and_add(key, STORY) == in_memory.check_and_add(key, STORY)
        assert len(shared.query(STORY)) == len(in_memory.query(STORY)) == 2 * 3
    client, prefix = raw(redis_url)
    assert max(buckets(client, prefix).values()) == 3
    # A removed copy frees its place, as in the other stores.
    with Index.open(redis_url) as shared:
        shared.remove("copy/0")
        in_memory.remove("copy/0")
        assert shared.check_and_add("copy/9", STORY) == in_memory.check_and_add("copy/9", STORY)
        keys = sorted({m.key for m in shared.query(STORY)})
        assert keys == sorted({m.key for m in in_memory.query(STORY)}) == ["copy/1", "copy/2", "copy/9"]


# ---------------------------------------------------------------- refusals

def test_opening_with_other_parameters_is_refused_by_name(redis_url):
    Index.open(redis_url, threshold=0.8).close()
    with pytest.raises(IndexFormatError) as err:
        Index.open(redis_url, threshold=0.7, shingle_size=5)
    text = one_line(err.value)
    assert text.startswith(redis_url + ": ")
    assert "threshold=0.8 (asked for 0.7)" in text and "shingle_size=3 (asked for 5)" in text
    with Index.open(redis_url) as idx:            # parameters left out come from the server
        assert idx.config.threshold == 0.8


@pytest.mark.parametrize("kind", ["foreign keys", "foreign config", "config of another type",
                                  "older version", "newer version"])
def test_foreign_data_under_the_prefix_is_refused_untouched(redis_url, kind):
    client, prefix = raw(redis_url)
    if kind == "foreign keys":
        client.hset(f"{prefix}:session:17", mapping={"user": "ana"})
        expect = "not a wireclean index.*session:17"
    elif kind == "foreign config":
        client.set(f"{prefix}:config", '{"theme": "dark"}')
        expect = "not a wireclean index"
    elif kind == "config of another type":
        client.rpush(f"{prefix}:config", "x")
        expect = "foreign data"
    else:
        Index.open(redis_url).close()
        stored = json.loads(client.get(f"{prefix}:config"))
        stored["version"] = 0 if kind == "older version" else FORMAT_VERSION + 1
        client.set(f"{prefix}:config", json.dumps(stored))
        expect = kind.split()[0]
    before = {k: client.dump(k) for k in client.scan_iter(match=f"{prefix}:*")}
    with pytest.raises(IndexFormatError, match=expect) as err:
        Index.open(redis_url)
    assert one_line(err.value).startswith(redis_url + ": ")
    assert {k: client.dump(k) for k in client.scan_iter(match=f"{prefix}:*")} == before


def test_duplicate_key_changes_nothing_on_the_server(redis_url):
    with Index.open(redis_url) as idx:
        idx.add("a", STORY)
        client, prefix = raw(redis_url)
        before = {k: client.dump(k) for k in client.scan_iter(match=f"{prefix}:*")}
        with pytest.raises(DuplicateKeyError, match="'a'"):
            idx.add_many([("b", OTHER), ("a", OTHER)])
        with pytest.raises(DuplicateKeyError, match="'c' appears twice"):
            idx.add_many([("c", OTHER), ("c", STORY)])
        assert {k: client.dump(k) for k in client.scan_iter(match=f"{prefix}:*")} == before


def test_an_unreachable_server_is_a_one_line_error_naming_the_url():
    dead = dead_url("hunter2")
    with pytest.raises(IndexConnectionError) as err:
        Index.open(dead)
    text = one_line(err.value)
    assert isinstance(err.value, ConnectionError)
    assert text.startswith(dead.replace("hunter2", "***") + ": cannot reach Redis")
    assert "hunter2" not in text


def test_opening_without_create_refuses_an_empty_prefix_and_creates_nothing(redis_url):
    from wireclean.dedup.stores import IndexConfig
    from wireclean.dedup.stores.redis import RedisStore

    with pytest.raises(IndexFormatError, match="no index here") as err:
        RedisStore.open(redis_url, IndexConfig.create(), create=False)
    assert one_line(err.value).startswith(redis_url + ": ")
    client, prefix = raw(redis_url)
    assert list(client.scan_iter(match=f"{prefix}:*")) == []
    Index.open(redis_url).close()
    RedisStore.open(redis_url, IndexConfig.create(), create=False).close()


def test_the_password_never_appears_in_the_location(redis_server):
    admin = redis.Redis.from_url(redis_server)
    admin.acl_setuser("wire", enabled=True, passwords=["+hunter2"], keys=["*"], channels=["*"],
                      commands=["+@all"])
    url = redis_server.replace("redis://", "redis://wire:hunter2@") + "/0?prefix=pw"
    with Index.open(url) as idx:
        idx.add("a", STORY)
        assert idx.location == url.replace("hunter2", "***") and "hunter2" not in repr(idx)
    with pytest.raises(IndexConnectionError) as err:      # a wrong password, refused
        Index.open(url.replace("hunter2", "hunter3"))
    assert "hunter3" not in one_line(err.value) and "wire:***@" in str(err.value)


def test_other_schemes_are_refused_clearly():
    with pytest.raises(ValueError, match=r"memcached://.*unsupported index URL"):
        Index.open("memcached://127.0.0.1:11211")


def test_without_the_redis_package_the_error_says_what_to_install():
    code = textwrap.dedent("""
        import sys
        sys.modules["redis"] = None           # as if the package were not installed
        from wireclean.dedup.index import Index
        try:
            Index.open("redis://127.0.0.1:6379/0")
        except ImportError as e:
            print(e)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == ("redis://127.0.0.1:6379/0: Redis indexes need the redis "
                                  "package: pip install 'wireclean[redis]'")


# ---------------------------------------------------------------- the writers' lock

def test_a_lock_left_by_a_dead_writer_expires(redis_url):
    with Index.open(redis_url) as idx:
        client, prefix = raw(redis_url)
        client.set(f"{prefix}:lock", "killed-writer", px=300)
        start = time.monotonic()
        assert idx.check_and_add("a", STORY) == []
        assert time.monotonic() - start >= 0.2 and "a" in idx


def test_a_lock_held_too_long_is_a_timeout_naming_the_url(redis_url, monkeypatch):
    monkeypatch.setattr(redis_store, "BUSY_TIMEOUT_S", 0.2)
    with Index.open(redis_url) as idx:
        client, prefix = raw(redis_url)
        client.set(f"{prefix}:lock", "busy-writer", px=5000)
        with pytest.raises(TimeoutError, match="locked by another process") as err:
            idx.add("a", STORY)
        assert one_line(err.value).startswith(redis_url + ": ")
        assert "a" not in idx


def test_a_write_whose_lock_expired_is_redone_not_doubled(redis_url, monkeypatch):
    """If our lock expires mid-step and another writer takes it, our commit must not land
    (the other writer may have changed what we read); the step is redone."""
    client, prefix = raw(redis_url)
    with Index.open(redis_url) as idx:
        idx.add("wire/1", STORY)
        store = idx._store
        real = type(store)._verify
        calls = []

        def verify_then_lose_lock(self, *args, **kwargs):
            calls.append(1)
            if len(calls) == 1:   # our lock expired and another writer took it
                client.set(f"{prefix}:lock", "other-writer", px=100)
            return real(self, *args, **kwargs)

        monkeypatch.setattr(type(store), "_verify", verify_then_lose_lock)
        assert [(m.para, m.key) for m in idx.check_and_add("copy", STORY)] == [(0, "wire/1"),
                                                                                (1, "wire/1")]
        assert len(calls) == 2 and len(idx) == 2
        paras = len(STORY.split("\n\n"))
        assert client.hlen(f"{prefix}:sig") == 2 * paras      # "copy" stored once, not twice


# ---------------------------------------------------------------- several processes

def _check_and_add_after(url: str, barrier, key: str, queue) -> None:
    with Index.open(url) as idx:
        barrier.wait()
        queue.put((key, len(idx.check_and_add(key, STORY))))


def _add_range(url: str, first: int, count: int) -> None:
    with Index.open(url) as idx:
        for i in range(first, first + count):
            idx.add(f"doc/{i}", story(i))


@pytest.fixture
def mp():
    return multiprocessing.get_context("spawn")


def test_check_and_add_is_atomic_across_processes(redis_url, mp):
    Index.open(redis_url).close()
    n = 4
    barrier, queue = mp.Barrier(n), mp.Queue()
    procs = [mp.Process(target=_check_and_add_after, args=(redis_url, barrier, f"copy/{i}", queue))
             for i in range(n)]
    for p in procs:
        p.start()
    results = dict(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(60)
    assert list(results.values()).count(0) == 1     # exactly one process saw it first
    assert sorted(results.values())[1:] == [2, 4, 6]  # both paragraphs of every earlier copy


def test_two_processes_adding_at_once_lose_nothing(redis_url, mp):
    Index.open(redis_url).close()
    procs = [mp.Process(target=_add_range, args=(redis_url, k * 1000, 60)) for k in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with Index.open(redis_url) as idx:
        assert len(idx) == 120
        assert all(f"doc/{k * 1000 + i}" in idx for k in range(2) for i in range(60))
        assert [m.key for m in idx.query(story(1005))] == ["doc/1005"]


# ---------------------------------------------------------------- the CLI

def cli(*args):
    result = CliRunner().invoke(main, [*map(str, args)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.stderr
    return result


def test_cli_index_add_builds_a_redis_index(redis_url, tmp_path):
    wire = tmp_path / "wire"
    wire.mkdir()
    (wire / "landslide.txt").write_text(STORY + "\n", encoding="utf-8")
    (wire / "rates.txt").write_text(OTHER + "\n", encoding="utf-8")
    result = cli("index", "add", redis_url, wire)
    assert result.exit_code == 0, result.output
    assert f"added 2 records (3 paragraphs) to {redis_url}" in result.output
    again = cli("index", "add", redis_url, wire).output.strip()
    assert again.endswith("2 records already there, skipped")
    with Index.open(redis_url) as idx:
        assert {m.key for m in idx.query(STORY)} == {str(wire / "landslide.txt")}


def test_cli_dedup_against_a_redis_index(redis_url, tmp_path):
    with Index.open(redis_url) as idx:
        idx.add("wire/landslide", STORY)
    new = tmp_path / "scraped.txt"
    new.write_text("SITE NEWS\n\n" + STORY + "\n", encoding="utf-8")
    result = cli("dedup", "--against", redis_url, new)
    assert result.exit_code == 1
    assert f"{new}:3: paragraph matches wire/landslide \u00b60" in result.output


def test_cli_unreachable_redis_is_one_line_exit_2(tmp_path):
    (tmp_path / "a.txt").write_text(STORY + "\n", encoding="utf-8")
    dead = dead_url()
    result = cli("index", "add", dead, tmp_path / "a.txt")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "cannot reach Redis" in result.stderr
