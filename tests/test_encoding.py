"""The encoding pass: mojibake, HTML entities, invisible characters, no-break spaces, homoglyphs.

Every sentence here is written for these tests. Mojibake is made the way a CMS makes it:
the UTF-8 bytes of a correct sentence decoded as Windows-1252 (see ``_garble``).
"""

from __future__ import annotations

import time
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wireclean
from wireclean.fix import encoding
from wireclean.fix.edits import apply_edits
from wireclean.fix.pipeline import Context, Edit
from wireclean.fix.registry import select_rules


def fix(text: str, **options) -> str:
    return wireclean.fix(text, select=["encoding"], **options)


def explain(text: str):
    return wireclean.fix_and_explain(text, select=["encoding"])


def _garble(text: str) -> str:
    """What a CMS shows when it reads UTF-8 as Windows-1252."""
    return text.encode("utf-8").decode("windows-1252", errors="replace")


def _replay(text: str, changes) -> str:
    """Apply the reported changes to the input, as a reviewer reading --check would."""
    return apply_edits(text, sorted(changes, key=lambda c: c.start))


def _check_changes(text: str):
    """Fix ``text``, check every Change points at the input and that a second run is a no-op."""
    result = explain(text)
    for c in result.changes:
        assert text[c.start:c.end] == c.before
        assert c.before != c.after
        assert c.reason
    assert _replay(text, result.changes) == result.text
    assert fix(result.text) == result.text
    return result


# --- E001 mojibake ------------------------------------------------------------------------

MOJIBAKE = [
    # (damaged, repaired)
    ("The minister said itâ€™s too early to tell.",
     "The minister said it’s too early to tell."),
    ("â€œWe will appeal,â€ the lawyer told reporters.",
     "“We will appeal,” the lawyer told reporters."),
    ("Talks resumed in Genève â€“ and stalled.", "Talks resumed in Genève – and stalled."),
    ("The club paid Â£45m for the striker.", "The club paid £45m for the striker."),
    ("Prices rose 3Â°C above the average, said the cafÃ© owner.",
     "Prices rose 3°C above the average, said the café owner."),
    ("The mayor (nÃƒÂ©e Dupont) opened the fair in Zürich.",  # garbled twice
     "The mayor (née Dupont) opened the fair in Zürich."),
    ("The \x93interim\x94 report is due on Monday.", "The “interim” report is due on Monday."),
    ("Shares in KÃ¸benhavn fell â€” then recovered â€¦",
     "Shares in København fell — then recovered …"),
]


@pytest.mark.parametrize("damaged, repaired", MOJIBAKE)
def test_mojibake_is_repaired(damaged, repaired):
    result = _check_changes(damaged)
    assert result.text == repaired
    assert {c.rule for c in result.changes} == {"E001"}


def test_garbled_sentence_round_trips():
    original = "“It’s a fair deal,” said Søren Ågård, the café’s owner — “for now.”"
    assert fix(_garble(original)) == original


def test_each_change_points_at_the_damaged_characters():
    text = "Officials said itâ€™s over. The PMâ€™s office agreed."
    result = _check_changes(text)
    assert [(c.start, c.end, c.before, c.after) for c in result.changes] == [
        (17, 20, "â€™", "’"),
        (34, 37, "â€™", "’"),
    ]
    assert result.changes[0].reason == "mojibake: UTF-8 read as Windows-1252"


@pytest.mark.parametrize("lost", ["", "\ufffd", "?"])
@pytest.mark.parametrize("after", [" he said.", ".", ", he said.", ""])
def test_closing_quote_with_its_last_byte_lost(lost, after):
    # ” is E2 80 9D; 0x9D has no Windows-1252 character, so it is dropped, or becomes
    # U+FFFD or "?". ftfy alone reads "â€ " as a dagger or gives U+FFFD.
    text = f"â€œNo comment,â€{lost}{after}"
    result = _check_changes(text)
    assert result.text == f"“No comment,”{after}"
    closing = result.changes[-1]
    assert closing.before == "â€" + lost and closing.after == "”"
    assert "last byte lost" in closing.reason


def test_windows_1250_quote_is_not_mistaken_for_a_lost_closing_quote():
    # "â€ś" is “ read as Windows-1250, where 0x9C is ś: a whole sequence, not a lost byte
    text = "Ministerstvo oznĂˇmilo â€žnovĂ˝ plĂˇnâ€ś v pondÄ›lĂ­."
    assert fix(text) == "Ministerstvo oznámilo „nový plán“ v pondělí."


def test_mojibake_bom_is_decoded_and_removed_as_one_change():
    result = _check_changes("ï»¿Headline: markets rally")
    assert result.text == "Headline: markets rally"
    (change,) = result.changes
    assert (change.rule, change.before, change.after) == ("E001", "ï»¿", "")
    assert "byte order mark" in change.reason


def test_mojibake_far_into_a_long_line():
    filler = "The committee heard evidence from several witnesses on Tuesday. " * 80
    text = filler + "Itâ€™s done, said Mr GarcÃ­a. " + filler + "Theyâ€™ll vote."
    result = _check_changes(text)
    assert result.text == filler + "It’s done, said Mr García. " + filler + "They’ll vote."
    assert len(result.changes) == 3


LEGITIMATE_NON_ASCII = [
    "Renée Fleming sang at the gala in Pförtner Hall.",
    "Turkish President Tayyip Erdoğan met officials in São Paulo.",
    "The beam was measured to within one ångström; Ångström himself would approve.",
    "Dvořák, Łódź, Ærøskøbing and Zoë’s café all feature in the guide.",
    "GOVERNO DE SÃO PAULO ANUNCIA NOVO PLANO",
    "“Quoted,” she said — ‘inner’ quotes… and a dagger† footnote.",
    "Full-width ＡＢＣ and a ﬁ ligature stay as they are.",
    "Decomposed: Cafe\u0301 stays decomposed.",
    "Москва и Київ; Αθήνα; 東京; दिल्ली; تهران.",
    "Prices: €5, £4, ¥300, 10°C, ±2%, ½ cup, «citation».",
    "naïve coöperation at the Château Mouton-Rothschild",
]


@pytest.mark.parametrize("text", LEGITIMATE_NON_ASCII)
def test_legitimate_text_is_untouched(text):
    assert explain(text).changes == []


# --- E002 HTML entities -------------------------------------------------------------------

ENTITIES = [
    ("Marks &amp; Spencer shares rose.", "Marks & Spencer shares rose."),
    ("The minister&#8217;s aide resigned.", "The minister’s aide resigned."),
    ("The minister&#x2019;s aide resigned.", "The minister’s aide resigned."),
    ("Talks in Gen&egrave;ve &mdash; again.", "Talks in Genève — again."),
    ("Sales &lt;10% of target", "Sales <10% of target"),
    ("The prime minister&amp;#8217;s spokesman", "The prime minister’s spokesman"),
    ("Procter &amp;amp; Gamble", "Procter & Gamble"),
    ("&amp;amp;lt;br&amp;amp;gt;", "<br>"),
    ("an estimated&nbsp;40 people", "an estimated 40 people"),
    ("a fine of 10&nbsp;000 euros", "a fine of 10\u00a0000 euros"),
]


@pytest.mark.parametrize("text, decoded", ENTITIES)
def test_entities_are_decoded_to_a_fixed_point(text, decoded):
    result = _check_changes(text)
    assert result.text == decoded
    assert {c.rule for c in result.changes} == {"E002"}


def test_entity_change_names_the_entity():
    result = _check_changes("Q&amp;A with the minister&#8217;s aide")
    assert [(c.before, c.after, c.reason) for c in result.changes] == [
        ("&amp;", "&", "HTML entity &amp;"),
        ("&#8217;", "’", "HTML entity &#8217;"),
    ]
    double = _check_changes("the PM&amp;#8217;s").changes[0]
    assert double.reason == "HTML entity &amp;#8217; (escaped 2 times)"


@pytest.mark.parametrize("text", [
    "AT&T and R&D; budgets were cut.",
    "Q&A session at S&P Global; M&S and H&M reported.",
    "Tom & Jerry; rock&roll; fish &chips;",
    "An unknown &madeup; entity and a null &#0; reference.",
    "no semicolon: &amp and &#8217 stay",
])
def test_things_that_are_not_entities_stay(text):
    assert explain(text).changes == []


# --- E003 invisible characters ------------------------------------------------------------

INVISIBLES = [
    ("The\u200b bank held rates.", "The bank held rates.", "zero-width space U+200B"),
    ("\ufeffMOSCOW (Reuters) - Talks began.", "MOSCOW (Reuters) - Talks began.",
     "byte order mark U+FEFF"),
    ("The govern\u00adment said no.", "The government said no.", "soft hyphen U+00AD"),
    ("Prime\u2060Minister spoke.", "PrimeMinister spoke.", "word joiner U+2060"),
    ("co\u200dordinated attacks", "coordinated attacks", "zero-width joiner U+200D in Latin text"),
    ("Bre\u200cxit talks", "Brexit talks", "zero-width non-joiner U+200C in Latin text"),
    ("Markets fell.\x07 Bonds rose.", "Markets fell. Bonds rose.", "control character U+0007"),
    ("Page one\x0cPage two", "Page one\nPage two", "form feed U+000C as a line break"),
    ("\x1b[1mBREAKING\x1b[0m: quake", "BREAKING: quake", "terminal escape sequence"),
]


@pytest.mark.parametrize("text, cleaned, reason", INVISIBLES)
def test_invisible_characters_are_removed(text, cleaned, reason):
    result = _check_changes(text)
    assert result.text == cleaned
    assert {c.rule for c in result.changes} == {"E003"}
    assert result.changes[0].reason == reason


@pytest.mark.parametrize("text", [
    "Fans posted 👩\u200d💻 and 👨\u200d👩\u200d👧 and 🏳\ufe0f\u200d🌈 all day.",
    "The Persian word \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 means I want.",
    "Hindi \u0915\u094d\u200d\u0937 keeps its joiner.",
    "Thai \u0e20\u0e32\u0e29\u0e32\u200b\u0e44\u0e17\u0e22 keeps its word break.",
    "Tabs\tnewlines\nand\r\nCRLF stay.",
])
def test_joiners_and_whitespace_that_shape_text_are_kept(text):
    assert explain(text).changes == []


def test_vertical_tab_keeps_crlf_line_endings():
    assert fix("line one\r\nline\x0btwo\r\n") == "line one\r\nline\r\ntwo\r\n"


def test_control_characters_in_ascii_text_are_found():
    assert fix("Oil rose\x00 2%.") == "Oil rose 2%."


# --- E004 no-break spaces -----------------------------------------------------------------

def test_no_break_space_between_words_becomes_space():
    result = _check_changes("The\u00a0minister and the\u202fcabinet met\u00a0\u00a0today.")
    assert result.text == "The minister and the cabinet met  today."
    assert [c.reason for c in result.changes] == [
        "no-break space U+00A0", "narrow no-break space U+202F", "no-break space U+00A0"]


@pytest.mark.parametrize("text", [
    "A fine of 10\u00a0000 euros and 2\u202f500 people.",
    "Il a dit\u00a0: «\u00a0Non\u00a0!\u00a0»",
    "Pourquoi\u202f?",
])
def test_no_break_space_in_numbers_and_french_punctuation_stays(text):
    assert explain(text).changes == []


# --- E005 homoglyphs ----------------------------------------------------------------------

def test_cyrillic_lookalikes_in_latin_words_become_latin():
    text = "Th\u0435 Observatory f\u043er Human Rights is UK-b\u0430\u0455ed."
    result = _check_changes(text)
    assert result.text == "The Observatory for Human Rights is UK-based."
    based = text.index("b\u0430")
    assert [(c.start, c.before, c.after) for c in result.changes] == [
        (2, "\u0435", "e"), (17, "\u043e", "o"),
        (based + 1, "\u0430", "a"), (based + 2, "\u0455", "s")]
    assert result.changes[0].reason == "Cyrillic е (U+0435) in a Latin word"


def test_greek_capital_lookalike_in_a_latin_word():
    assert fix("\u039Ffficials in \u0399ran said") == "Officials in Iran said"


@pytest.mark.parametrize("text", [
    "\u041c\u043e\u0441\u043a\u0432\u0430 said no.",               # a fully Cyrillic word
    "known \u0430\u0455 SOHR",                                     # "аѕ": all Cyrillic, left alone
    "\u0391\u03b8\u03ae\u03bd\u03b1 and \u039f\u03a7\u0399",       # Greek words
    "Pr\u0438vet is half Cyrillic with a letter no Latin one imitates.",
    "TNF\u03b1 and \u03b1Syn levels rose.",                         # scientific Greek
])
def test_words_that_are_not_latin_stay(text):
    assert explain(text).changes == []


def test_homoglyph_table_maps_cyrillic_and_greek_to_latin():
    for ch, (latin, script) in encoding._HOMOGLYPHS.items():
        assert unicodedata.name(ch).startswith(script.upper()), ch
        assert unicodedata.name(latin).startswith("LATIN"), latin


# --- the pass as a whole ------------------------------------------------------------------

def test_rules_feed_each_other_in_one_run():
    # an entity spelling a no-break space, mojibake beside it, a homoglyph in the next word
    text = "statewide&#160;â€œYouâ€™re still hiring,â€ said Th\u0435 Governor."
    result = _check_changes(text)
    assert result.text == "statewide “You’re still hiring,” said The Governor."
    first = result.changes[0]
    assert (first.rule, first.before, first.after) == ("E002", "&#160;", " ")
    assert first.reason == "HTML entity &#160;, then no-break space U+00A0"


def test_neighbouring_repairs_by_different_rules_stay_separate_changes():
    text = "Â£5\u200b&amp;â€œ10\u00a0m\u0430n"
    result = _check_changes(text)
    assert result.text == "£5&“10 man"
    assert [(c.rule, c.before) for c in result.changes] == [
        ("E001", "Â"), ("E003", "\u200b"), ("E002", "&amp;"), ("E001", "â€œ"),
        ("E004", "\u00a0"), ("E005", "\u0430")]


def test_entity_spelling_mojibake_is_decoded_fully():
    assert fix("caf&Atilde;&copy; society") == "café society"


def test_only_selected_rules_run():
    text = "Smith&nbsp;&amp; Sons\u200b paid Â£5m to Th\u0435 Bank"
    assert wireclean.fix(text, select=["E002"]) == \
        "Smith\u00a0& Sons\u200b paid Â£5m to Th\u0435 Bank"
    assert wireclean.fix(text, select=["encoding"], ignore=["E004", "E005"]) == \
        "Smith\u00a0& Sons paid £5m to Th\u0435 Bank"


def test_find_edits_gives_pipeline_edits_in_the_text_coordinates():
    text = "It\u2019s 10\u00a0000 \u0430nd Itâ€™s &amp; more\u200b"
    edits = encoding.find_edits(text, Context(rules=select_rules(["encoding"])))
    assert all(isinstance(e, Edit) for e in edits)
    assert all(a.end <= b.start for a, b in zip(edits, edits[1:]))
    assert [text[e.start:e.end] for e in edits] == ["\u0430", "â€™", "&amp;", "\u200b"]


def test_clean_text_has_no_edits():
    ctx = Context(rules=select_rules(["encoding"]))
    assert encoding.find_edits("Plain ASCII wire copy, 3% up & rising.", ctx) == []
    assert encoding.find_edits("“Curly” quotes, £5 and café — fine.", ctx) == []


def test_a_long_single_line_takes_linear_time():
    sentence = ("Officials said it\u2019s \u201cdone\u201d at 10\u00a0000 feet &amp; "
                "Itâ€™s Th\u0435 end. ")
    line = sentence * 3000  # about 200,000 characters, 15,000 changes
    started = time.perf_counter()
    out = fix(line)
    assert time.perf_counter() - started < 60   # a blow-up guard, not a speed claim
    assert out == ("Officials said it’s “done” at 10\u00a0000 feet & It’s The end. " * 3000)


# --- idempotency ------------------------------------------------------------------------

FRAGMENTS = [
    "a", "Z", " ", "\n", "\r\n", ".", ",", "'", '"', "&", ";", "#", "1", "0", "the ", "It",
    "â€™", "â€œ", "â€", "â€\ufffd", "â€?", "Ã©", "Ã", "Â", "Â£", "Ã\u00a0", "ï»¿", "\x93", "\x9d",
    "&amp;", "&amp;#8217;", "&#8217;", "&nbsp;", "&lt;", "&#x2019;", "&#3;", "&#160;", "&am", "p;",
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\x07", "\x0b", "\x1b[",
    "\u00a0", "\u202f", "\u2007",
    "\u0435", "\u043e", "\u0430", "\u0410", "\u041c\u043e\u0441", "\u03bf", "\u039f",
    "é", "ü", "ğ", "’", "“", "”", "😀", "\u0645\u06cc", "\u0e20",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=24).map("".join))
def test_fix_is_idempotent_on_mixed_damage(text):
    once = fix(text)
    assert fix(once) == once
    result = explain(text)
    assert result.text == once
    assert _replay(text, result.changes) == once
    assert all(text[c.start:c.end] == c.before for c in result.changes)


ALL_CASES = [d for d, _ in MOJIBAKE] + [t for t, _ in ENTITIES] + [t for t, _, _ in INVISIBLES] \
    + LEGITIMATE_NON_ASCII


@pytest.mark.parametrize("text", ALL_CASES)
def test_every_case_is_idempotent(text):
    once = fix(text)
    assert fix(once) == once
