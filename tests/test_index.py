"""The Index API (wireclean.dedup.index), on both stores: memory and SQLite."""

from __future__ import annotations

import pickle
import threading

import pytest

from wireclean.dedup.index import DuplicateKeyError, Index, Match

# Wire-style copy written for these tests. Each story has a dateline (too short to match),
# then paragraphs separated by blank lines.
WIRE = """GENEVA, May 3 (Wire) -

Negotiators from both countries met in Geneva on Tuesday to discuss a grain export deal that would reopen Black Sea ports, a spokesman for the foreign ministry said.

The talks, the first in six months, ended without an agreement but both sides said they would meet again next week, according to a statement issued after the session.

Wheat futures rose on the news."""

# A scraped, spun copy: "Russian Federation", "USA -led", curly quotes, the last
# paragraph rewritten.
SPUN = """GENEVA (Scraped) –

Negotiators from both countries met in Geneva on Tuesday to discuss a grain export deal that would reopen Black Sea ports, a spokesman for the foreign ministry said.

The talks, the first in six months, ended without an agreement but both sides said they would meet again next week, according to a statement issued after the session.

Traders in the Russian Federation said the USA -led effort was “welcome news” for farmers."""

TRIMMED = ("Negotiators from both countries met in Geneva on Tuesday to discuss a grain export "
           "deal that would reopen Black Sea ports.")

UNRELATED = """Heavy rain flooded roads across the north of the country on Sunday, cutting power to thousands of homes and forcing the closure of two motorways, officials said.

Forecasters warned that more storms were expected before the weekend."""


@pytest.fixture(params=["memory", "sqlite"])
def make_index(request, tmp_path):
    made = []

    def make(**kwargs):
        if request.param == "memory":
            idx = Index(**kwargs)
        else:
            idx = Index.open(tmp_path / f"index{len(made)}.db", **kwargs)
        made.append(idx)
        return idx

    yield make
    for idx in made:
        idx.close()


def test_spun_copy_is_matched_paragraph_by_paragraph(make_index):
    idx = make_index()
    idx.add("wire/geneva", WIRE, meta={"date": "2024-05-03"})
    matches = idx.query(SPUN)
    assert [(m.para, m.key, m.key_para) for m in matches] == [(1, "wire/geneva", 1),
                                                              (2, "wire/geneva", 2)]
    assert all(m.score >= 0.8 and m.meta == {"date": "2024-05-03"} for m in matches)
    assert matches[0].score == 1.0 and matches[0].jaccard == 1.0


def test_unrelated_text_and_short_paragraphs_do_not_match(make_index):
    idx = make_index()
    idx.add("wire/geneva", WIRE)
    assert idx.query(UNRELATED) == []
    # The dateline and the one-line last paragraph are identical, but too short to match.
    assert idx.query("GENEVA, May 3 (Wire) -") == []
    assert idx.query("Wheat futures rose on the news.") == []


def test_min_words_sets_what_is_too_short(make_index):
    idx = make_index(min_words=5)
    idx.add("wire/geneva", WIRE)
    assert [(m.key, m.key_para) for m in idx.query("Wheat futures rose on the news.")] == [
        ("wire/geneva", 3)]


def test_trimmed_reprint_matches_by_containment(make_index):
    idx = make_index()
    idx.add("wire/geneva", WIRE)
    (m,) = idx.query(TRIMMED)
    assert (m.para, m.key, m.key_para) == (0, "wire/geneva", 1)
    assert m.jaccard < 0.8 <= m.score and m.containment > m.jaccard


def test_check_and_add_reports_then_stores(make_index):
    idx = make_index()
    assert idx.check_and_add("wire/geneva", WIRE) == []
    first = idx.check_and_add("site/1", SPUN)
    assert {m.key for m in first} == {"wire/geneva"}
    again = idx.check_and_add("site/2", SPUN)
    assert {(m.para, m.key) for m in again} == {(1, "wire/geneva"), (2, "wire/geneva"),
                                                (1, "site/1"), (2, "site/1"), (3, "site/1")}
    assert len(idx) == 3


def test_best_match_comes_first_for_each_paragraph(make_index):
    idx = make_index()
    idx.add("trimmed", TRIMMED)
    idx.add("wire/geneva", WIRE)
    matches = [m for m in idx.query(SPUN) if m.para == 1]
    assert [m.key for m in matches] == ["wire/geneva", "trimmed"]


def test_a_paragraph_repeated_inside_one_text_does_not_match_itself(make_index):
    idx = make_index()
    para = WIRE.split("\n\n")[1]
    assert idx.check_and_add("doubled", para + "\n\n" + para) == []


def test_check_and_add_many_equals_one_call_per_record(make_index):
    records = [("wire/geneva", WIRE), ("site/1", SPUN), ("rain", UNRELATED),
               ("site/2", SPUN, {"outlet": "x"}), ("trim", TRIMMED)]
    one = make_index()
    expect = [(r[0], one.check_and_add(*r)) for r in records]
    many = make_index()
    assert list(many.check_and_add_many(records)) == expect
    assert len(many) == len(records)


def test_a_batch_signed_in_another_process_is_processed_like_check_and_add(make_index):
    """sign() and process() are the two halves of every call: a pipeline signs in
    workers (the batch pickles) and matches where the index is."""
    records = [("wire/geneva", WIRE), ("site/1", SPUN, {"outlet": "x"}), ("trim", TRIMMED)]
    one = make_index()
    expect = [one.check_and_add(*r) for r in records]
    signer = Index()                          # what a worker holds: no documents
    split = make_index()
    got = []
    for record in records:
        batch = pickle.loads(pickle.dumps(signer.sign([record])))
        got += split.process(batch, add=True)
    assert got == expect and len(split) == 3 and len(signer) == 0
    assert split.process(signer.sign([("q", SPUN)]), add=False) == [split.query(SPUN)]
    assert len(split) == 3


def test_a_removed_copy_frees_its_place_in_a_full_bucket(make_index):
    """Buckets keep their first ``bucket_cap`` entries; removing one makes room for the
    next copy, in every store alike."""
    idx = make_index(bucket_cap=2)
    for key in ("a", "b", "c"):                 # c finds the buckets full: not kept
        idx.add(key, TRIMMED)
    assert sorted({m.key for m in idx.query(TRIMMED)}) == ["a", "b"]
    idx.remove("a")
    idx.add("d", TRIMMED)
    assert sorted({m.key for m in idx.query(TRIMMED)}) == ["b", "d"]


def test_add_many_and_len(make_index):
    idx = make_index()
    assert idx.add_many((f"k{i}", f"{UNRELATED} Item {i}.") for i in range(30)) == 30
    assert len(idx) == 30 and "k7" in idx and "k30" not in idx


def test_duplicate_key_is_refused_and_changes_nothing(make_index):
    idx = make_index()
    idx.add("wire/geneva", WIRE)
    with pytest.raises(DuplicateKeyError, match="wire/geneva"):
        idx.check_and_add("wire/geneva", UNRELATED)
    assert len(idx) == 1
    assert idx.query(UNRELATED) == []
    with pytest.raises(DuplicateKeyError):
        idx.add_many([("a", UNRELATED), ("a", WIRE)])
    assert "a" not in idx


def test_remove_forgets_the_document(make_index):
    idx = make_index()
    idx.add("wire/geneva", WIRE)
    idx.add("site/1", SPUN)
    idx.remove("wire/geneva")
    assert len(idx) == 1 and "wire/geneva" not in idx
    assert {m.key for m in idx.query(WIRE)} == {"site/1"}
    with pytest.raises(KeyError):
        idx.remove("wire/geneva")
    idx.add("wire/geneva", WIRE)             # the key can be used again
    assert {m.key for m in idx.query(WIRE)} == {"site/1", "wire/geneva"}


def test_documents_without_matchable_paragraphs_are_still_keys(make_index):
    idx = make_index()
    idx.add("empty", "")
    idx.add("dateline", "LONDON, May 4 (Wire) -")
    assert len(idx) == 2 and idx.query("") == []


def test_threshold_decides_what_is_reported(make_index):
    loose = make_index(threshold=0.5)
    strict = make_index(threshold=0.95)
    edited = SPUN.split("\n\n")[1].replace("Tuesday", "Wednesday").replace("spokesman", "spokeswoman")
    for idx in (loose, strict):
        idx.add("wire/geneva", WIRE)
    assert [m.key_para for m in loose.query(edited)] == [1]
    assert strict.query(edited) == []


def test_bad_arguments_are_clear_errors(make_index):
    idx = make_index()
    with pytest.raises(TypeError, match="keys are strings"):
        idx.add(17, WIRE)
    with pytest.raises(TypeError, match="not str"):
        idx.add("k", b"bytes")
    with pytest.raises(ValueError, match="threshold"):
        make_index(threshold=1.5)


def test_threads_sharing_an_index_see_exactly_one_first_copy(make_index):
    idx = make_index()
    results: dict[int, list[Match]] = {}
    start = threading.Barrier(8)

    def worker(i):
        start.wait()
        results[i] = idx.check_and_add(f"copy/{i}", WIRE)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    firsts = [i for i, m in results.items() if not m]
    assert len(firsts) == 1                  # check_and_add is atomic
    assert all(len(m) >= 2 for m in results.values() if m)
    assert len(idx) == 8


def test_threads_adding_distinct_keys_lose_nothing(make_index):
    idx = make_index()

    def worker(t):
        for i in range(25):
            idx.add(f"t{t}/{i}", f"{UNRELATED} Update {t}-{i}.")

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(idx) == 100
