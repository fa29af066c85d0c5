"""Sentence keys: a paragraph reprinted inside a longer one is found, in every store."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wireclean import Index
from wireclean.dedup.minhash import MinHasher
from wireclean.dedup.sentences import NO_KEY, PROBED, STORED, SentenceKeys, split_sentences

LEAD = ("Wheat futures rose sharply in Chicago on Tuesday after heavy rains flooded farms "
        "across the northern plains.")
MORE = ("Traders said the damage to the spring crop could take weeks to assess, and several "
        "exporters halted new sales until the size of the harvest is clearer. Prices for corn "
        "and soybeans followed wheat higher in late trading, while the dollar weakened "
        "against the yen for a third straight session.")
LONG = LEAD + " " + MORE                      # one outlet's paragraph
ATTRIBUTED = ("Dealers said that " + LEAD[0].lower() + LEAD[1:] + " Officials in Washington "
              "declined to comment on the estimates, which are due next week, and said the "
              "agriculture department would publish its own figures on Friday morning.")
OTHER = ("Wheat futures rose sharply in Chicago on Tuesday, but analysts in London said the "
         "gains reflected a weaker dollar rather than any change in the outlook for supplies.")


WORDS = 8       # sentences.DEFAULT_SENTENCE_WORDS


def open_index(kind: str, request, tmp_path, **kwargs) -> Index:
    if kind == "memory":
        return Index(**kwargs)
    if kind == "sqlite":
        return Index.open(tmp_path / f"wire-{len(list(tmp_path.iterdir()))}.db", **kwargs)
    return Index.open(request.getfixturevalue("redis_url"), **kwargs)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def index(request, tmp_path):
    idx = open_index(request.param, request, tmp_path)      # sentence keys by default
    assert idx.config.sentence_words == WORDS
    yield idx
    idx.close()


def test_a_lead_reprinted_inside_a_longer_paragraph_is_found_both_ways(index):
    """The short copy's Jaccard similarity with the long one is far below the threshold
    (bands alone do not bring them together); its sentence is whole in the long one."""
    index.add("full", LONG)
    (m,) = index.check_and_add("brief", LEAD)           # trimmed: found the longer earlier
    assert (m.key, m.containment >= 0.9, m.jaccard < 0.5) == ("full", True, True)
    # Extended: the long paragraph meets the short one stored before it.
    assert {m.key for m in index.check_and_add("extended", "More follows. " + LONG)} == {
        "brief", "full"}


def test_a_copy_with_its_attribution_cut_is_found(index):
    """'Dealers said that X ... Y' reprinted as 'X ...': the sentence's end is shared."""
    index.add("wire", ATTRIBUTED)
    assert [m.key for m in index.check_and_add("cut", LEAD)] == ["wire"]


def test_spun_trimmed_copy_is_found_and_a_shared_opening_alone_is_not(index):
    index.add("wire", LONG.replace("Chicago", "Chicago, U.S.,"))
    spun = LEAD.replace("Chicago", "Chicago, USA,")
    assert [m.key for m in index.check_and_add("spun", spun)] == ["wire"]
    # Same first eight words, another story: a candidate, rejected by verification.
    assert index.query(OTHER) == []


def test_without_sentence_keys_the_trimmed_lead_is_missed():
    """What the keys are for: the same pair, without them, is not found."""
    idx = Index(sentence_words=0)
    idx.add("full", LONG)
    assert idx.query(LEAD) == []
    with_keys = Index()
    with_keys.add("full", LONG)
    assert [m.key for m in with_keys.query(LEAD)] == ["full"]


# ---------------------------------------------------------------- roles

S1 = "Wheat futures rose sharply in Chicago on Tuesday after heavy rains flooded farms."
S2 = "Traders said the damage to the spring crop could take weeks to assess in full."
S3 = "Prices for corn and soybeans followed wheat higher in late trading on the day."
S4 = "Officials in Washington declined to comment on the estimates due out next week."


def meets(earlier: str, later: str) -> bool:
    """Does ``later`` look up a sentence key that ``earlier`` stores?"""
    a, b = SentenceKeys().keys([earlier, later])
    stored = a[(SentenceKeys.ROLES & STORED) != 0]
    sought = b[(SentenceKeys.ROLES & PROBED) != 0]
    return bool(np.isin(sought[sought != NO_KEY], stored[stored != NO_KEY]).any())


@pytest.mark.parametrize("earlier, later, expected", [
    (f"{S1} {S2} {S3}", S2, True),                 # one sentence, inside a longer paragraph
    (S2, f"{S1} {S2} {S3}", True),                 # ... stored first
    (S1, S1, True),                                # one sentence each
    (f"{S1} {S2} {S3}", f"{S1} {S2}", True),       # two sentences in a row in common
    (f"{S1} {S2}", f"{S4} {S1} {S2} {S3}", True),
    (f"{S1} {S2}", f"{S1} {S3}", False),           # longer ones sharing one sentence
    (f"{S1} {S2} {S3}", f"{S4} {S2}", False),
    (f"{S1} {S2}", S3, False),                     # nothing in common
])
def test_which_paragraphs_meet_through_sentence_keys(earlier, later, expected):
    """A one-sentence paragraph meets any paragraph holding its sentence; longer ones meet
    only through two sentences in a row -- not through each sentence they share, which is
    what makes a corpus of recurring sentences slow (sentences.py)."""
    assert meets(earlier, later) is expected


@pytest.mark.parametrize("kind", ["memory", "sqlite", "redis"])
@pytest.mark.parametrize("cap, found", [(8, ["a", "b"]), (64, ["a", "b", "c"])])
def test_keys_a_paragraph_only_stores_fill_its_buckets_too(request, tmp_path, kind, cap, found):
    """Three longer paragraphs open with one sentence (a key they store but never look
    up); its bucket keeps its first ``cap // 4`` of them (a sentence key's share), in
    every store, whether they come in one batch or one by one."""
    texts = {"a": f"{S1} {S2}", "b": f"{S1} {S3}", "c": f"{S1} {S4}"}
    for one_batch in (True, False):
        idx = open_index(kind, request, tmp_path, bucket_cap=cap)
        if one_batch:
            idx.add_many(texts.items())
        else:
            for key, text in texts.items():
                idx.add(key, text)
        assert sorted(m.key for m in idx.query(S1)) == found
        for key in texts:           # (a Redis index is the same one the second time)
            idx.remove(key)
        idx.close()


def test_keys_come_from_the_canonical_form_and_leave_signatures_alone():
    keys = SentenceKeys()
    a, b = keys.keys([LONG, LONG.upper().replace("U.S.", "USA")])
    # Three sentences: three starts, two pair keys, the ends of the first and the last
    # (stored); the same starts and ends salted as "lone" keys (looked up).
    assert (a == b).all() and np.count_nonzero(a) == 12
    texts = [LONG, LEAD, "", "Too short. Also short.", OTHER * 40000]
    hasher = MinHasher()
    sigs, sizes, both = hasher.signatures_sizes_and_sentences(texts, keys)
    assert (sigs == hasher.signatures(texts)).all()
    assert (both == keys.keys(texts)).all()
    assert (both[2:] == NO_KEY).all()   # empty, short sentences, a 7 MB "paragraph"


def test_a_paragraphs_keys_do_not_depend_on_its_neighbours():
    """Keys are made per batch; a paragraph's must be the same alone, first or last."""
    keys = SentenceKeys()
    texts = [LONG, LEAD + " ... ", ATTRIBUTED + "\n", "Yes. ... No. " + OTHER, OTHER]
    alone = np.vstack([keys.keys([t]) for t in texts])
    assert (keys.keys(texts) == alone).all()
    assert (keys.keys(texts[::-1]) == alone[::-1]).all()


def test_sentences_are_not_cut_after_initials_or_titles():
    assert split_sentences("Mr. J. Smith of the U.S. Army said so. Prices fell 3.5 pct. "
                           "Dr. Lee agreed.", 5) == [
        "Mr. J. Smith of the U.S. Army said so", "Prices fell 3.5 pct", "Dr. Lee agreed."]
    # At most four: the last runs to the end.
    assert len(split_sentences("One. Two. Three. Four. Five. Six.")) == 4


# Sentence-heavy text with the punctuation and abbreviations the sentence rule looks at.
_words = st.sampled_from([
    "Wheat", "prices", "rose", "in", "Chicago", "on", "Tuesday", "traders", "said", "the",
    "U.S.", "Mr.", "J.", "3.5", "pct.", "Officials!", "Why?", "again.", "\u201cNo.\u201d", "(AP)",
    "and", "a", "third", "day", "é", "\n", "...", "said.", "Reuter",
])
_paragraph = st.lists(_words, max_size=40).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(st.lists(_paragraph | st.text(max_size=40), max_size=6))
def test_keys_of_a_batch_equal_keys_one_at_a_time(texts):
    keys = SentenceKeys(words=3)
    together = keys.keys(texts)
    assert together.shape == (len(texts), SentenceKeys.SLOTS)
    for text, row in zip(texts, together):
        assert (keys.keys([text])[0] == row).all()


@settings(max_examples=150, deadline=None)
@given(st.lists(_paragraph, min_size=1, max_size=6))
def test_marking_sentences_leaves_signatures_and_counts_alone(texts):
    hasher = MinHasher(num_perm=16)
    sigs, sizes = hasher.signatures_and_sizes(texts)
    marked_sigs, marked_sizes, keys = hasher.signatures_sizes_and_sentences(texts, SentenceKeys(3))
    assert (marked_sigs == sigs).all() and (marked_sizes == sizes).all()
    assert (keys == SentenceKeys(3).keys(texts)).all()
