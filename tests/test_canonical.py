"""The canonical form: a spun, scraped or retyped copy must hash like its original."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wireclean
from wireclean.dedup import canonical as canonical_module
from wireclean.dedup.canonical import canonical, canonical_bytes, canonical_many

# (copy, original): each copy changes only what a spinner, scraper or house style changes.
SAME = [
    ("The USA -led coalition struck overnight.", "The U.S.-led coalition struck overnight."),
    ("The US-led coalition struck overnight.", "The U.S.-led coalition struck overnight."),
    ("The U.S.A.-backed forces advanced.", "The USA-backed forces advanced."),
    ("A USA official said the talks failed.", "A U.S. official said the talks failed."),
    ("A United States official said so.", "A U.S. official said so."),
    ("Sanctions against Russian Federation widened.", "Sanctions against Russia widened."),
    ("Russian Federation's envoy walked out.", "Russia's envoy walked out."),
    ("Officials in the U.K. agreed.", "Officials in the UK agreed."),
    ("The United Kingdom government agreed.", "The UK government agreed."),
    ("“We will not yield,” he said.", '"We will not yield," he said.'),
    ("It’s the ministry’s view.", "It's the ministry's view."),
    ("Russia ’s FSB said .", "Russia's FSB said."),
    ("Prices rose — sharply — in May…", "Prices rose - sharply - in May..."),
    ("Prices rose – sharply", "Prices rose -- sharply"),
    ("Erdoğan met Müller in Zürich.", "Erdogan met Muller in Zurich."),
    ("STRASSE closed", "Straße closed"),
    ("The ﬁnal vote", "The final vote"),
    ("ＵＮ talks", "UN talks"),
    ("ten\u00a0thousand troops", "ten thousand troops"),
    ("inter\u00adnational talks", "international talks"),
    ("the war\u200bzone", "the warzone"),
    ("  Talks\r\n\tresumed  \n", "Talks resumed"),
    ("TALKS RESUMED", "talks resumed"),
    ("ＵＳ talks", "US talks"),
    ("Ｕ．Ｓ．-led talks", "U.S.-led talks"),
]

# (a, b): must stay apart.
DIFFERENT = [
    ("Let us begin the talks.", "Let US begin the talks."),  # the pronoun is not the country
    ("He thanked the Central Bank of the Russian Federation.",
     "He thanked the Central Bank of the Russia."),          # "the Russian Federation" is a name
    ("USAID funding was cut.", "US AID funding was cut."),   # a longer word is not "US"
    ("Prussian federation of states", "Prussia of states"),
    ("talks resumed", "resumed talks"),
    ("ticket price 5.20", "ticket price 520"),
    ("against the\n\n\n\n\n\nRussian Federation", "against Russia"),
]


@pytest.mark.parametrize("copy, original", SAME)
def test_copies_fold_to_the_same_form(copy, original):
    assert canonical(copy) == canonical(original)


@pytest.mark.parametrize("a, b", DIFFERENT)
def test_different_texts_stay_different(a, b):
    assert canonical(a) != canonical(b)


def test_spun_paragraph_reads_like_its_original():
    spun = "Iran and Russian Federation backed the USA -led plan, a USA official said."
    assert canonical(spun) == "iran and russia backed the u.s. led plan a u.s. official said"


def test_output_is_single_spaced_casefolded_tokens():
    out = canonical("  Officials SAID, on Tuesday: “talks   will resume.”  ")
    assert out == "officials said on tuesday talks will resume"


def test_canonical_bytes_tokens_are_the_canonical_words():
    text = "The USA -led strikes, near Aleppo."
    assert canonical_bytes(text).split() == canonical(text).encode().split()


def test_batch_equals_one_at_a_time():
    texts = [t for pair in SAME + DIFFERENT for t in pair] + ["", "   ", "&amp; co"]
    assert canonical_many(texts) == [canonical_bytes(t) for t in texts]


def test_separator_character_inside_a_text_cannot_shift_the_batch():
    texts = ["first\x01second text", "third"]
    assert canonical_many(texts) == [canonical_bytes("first second text"), canonical_bytes("third")]


def test_entity_folds_do_not_cross_texts_of_a_batch():
    texts = ["talks with the", "Russian Federation resumed", "the US", "official said"]
    assert canonical_many(texts) == [canonical_bytes(t) for t in texts]
    assert canonical_bytes("Russian Federation resumed").split()[0] == b"russia"


_fragments = st.sampled_from([
    "US", "USA", "U.S.", "U.S.A.", "U.S.-led", "USA -led", "UK", "U.K.", "the", "Russian",
    "Federation", "federation", "United", "States", "Kingdom", "us", "USAID", "said",
    "Russia's", "talks,", "(Wire)", "-", "--", "5.2%", "_", "US_A", "'", '"', "\t", "\n",
])
_ascii_text = st.lists(_fragments, max_size=14).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(_ascii_text)
def test_ascii_text_folds_the_same_beside_non_ascii(text):
    # ASCII and non-ASCII texts take different code paths; a text must not hash
    # differently because a curly quote or an accent appears elsewhere in it.
    assert canonical(text + " é") == (canonical(text) + " e").strip()
    assert canonical("“" + text) == canonical('"' + text)


@settings(max_examples=200, deadline=None)
@given(st.lists(_ascii_text | st.text(max_size=30), max_size=6))
def test_batches_of_any_texts_equal_one_at_a_time(texts):
    out = canonical_many(texts)
    assert out == [canonical_bytes(t) for t in texts]
    for b in out:  # the space is the only separator left
        assert not any(c in b for c in b"\t\n\r\x0b\x0c\x01")


@pytest.mark.parametrize("broken, clean", [
    ("It\u00e2\u20ac\u2122s a deal, he said.", "It’s a deal, he said."),     # mojibake
    ("Talks in Gen&#232;ve resumed.", "Talks in Genève resumed."),           # HTML entity
    ("The \u0421entral Bank said.", "The Central Bank said."),             # Cyrillic С
])
def test_encoding_damage_is_repaired_before_hashing(broken, clean):
    assert wireclean.fix(broken) == clean
    assert canonical(broken) == canonical(clean)


def test_repair_is_skipped_for_plain_ascii(monkeypatch):
    calls = []
    find_edits, ctx = canonical_module._encoding_pass()

    def counting(text, context):
        calls.append(text)
        return find_edits(text, context)

    monkeypatch.setattr(canonical_module, "_encoding_pass", lambda: (counting, ctx))
    canonical_many(["Plain wire copy, no entities.", "Fish & chips; peas", "S&P 500"])
    assert calls == []
    canonical_many(["Caf\u00e9 owners said", "AT&amp;T said", "plain"])
    assert calls == ["Caf\u00e9 owners said", "AT&amp;T said"]


def test_repair_matches_fix_encoding_pass():
    broken = "Talks in Gen&#232;ve resumed,\u200b officials said\u00a0today."
    assert canonical(broken) == canonical(wireclean.fix(broken, select=["encoding"]))


def test_text_that_is_not_valid_unicode_still_folds():
    # A lone surrogate, as a surrogateescape decoder leaves for a stray byte.
    assert canonical("grain\udc80exports rose") == "grain exports rose"


def test_long_text_is_linear():
    text = "The USA -led talks with Russian Federation " * 200_000  # 8.6 MB
    assert canonical(text).count("u.s.") == 200_000


def test_doctests():
    assert doctest.testmod(canonical_module).failed == 0
