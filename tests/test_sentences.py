"""Sentence keys: a paragraph reprinted inside a longer one is found, in every store."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wireclean import Index
from wireclean.dedup.minhash import MinHasher
from wireclean.dedup.sentences import NO_KEY, SentenceKeys, split_sentences

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


WORDS = 8       # sentences.DEFAULT_SENTENCE_WORDS: indexes have sentence keys when asked


@pytest.fixture(params=["memory", "sqlite", "redis"])
def index(request, tmp_path):
    if request.param == "memory":
        idx = Index(sentence_words=WORDS)
    elif request.param == "sqlite":
        idx = Index.open(tmp_path / "wire.db", sentence_words=WORDS)
    else:
        idx = Index.open(request.getfixturevalue("redis_url"), sentence_words=WORDS)
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
    """What the keys are for: the same pair, without them (the default), is not found."""
    idx = Index()
    idx.add("full", LONG)
    assert idx.query(LEAD) == []
    with_keys = Index(sentence_words=WORDS)
    with_keys.add("full", LONG)
    assert [m.key for m in with_keys.query(LEAD)] == ["full"]


def test_keys_come_from_the_canonical_form_and_leave_signatures_alone():
    keys = SentenceKeys()
    a, b = keys.keys([LONG, LONG.upper().replace("U.S.", "USA")])
    # Three sentences: their three starts, and the ends of the first and the last.
    assert (a == b).all() and np.count_nonzero(a) == 5
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
