"""The spacing pass (S001-S007): what it repairs, and the legitimate text it must leave alone.

Every sentence here is written for this suite in wire style; none is copied from a corpus.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wireclean
from wireclean.fix.pipeline import Context, Fixer
from wireclean.fix import spacing


def explain(text: str, select=("spacing",)):
    return wireclean.fix_and_explain(text, select=list(select))


def spacing_fix(text: str) -> str:
    return explain(text).text


def changes(text: str, select=("spacing",)):
    return [(c.rule, c.start, c.end, c.before, c.after) for c in explain(text, select).changes]


# --- what each rule repairs, with exact changes -----------------------------------------

POSITIVE = [
    # S001 hyphen compounds
    ("Kremlin -backed rebels seized the town.", "Kremlin-backed rebels seized the town.",
     [("S001", 7, 8, " ", "")]),
    ("Troops of the U.S. -led coalition withdrew.", "Troops of the U.S.-led coalition withdrew.",
     [("S001", 18, 19, " ", "")]),
    ("a USA -led force", "a USA-led force", [("S001", 5, 6, " ", "")]),
    ("A Tokyo  -based carmaker said", "A Tokyo-based carmaker said", [("S001", 7, 9, "  ", "")]),
    ("Soviet -style planning returned.", "Soviet-style planning returned.",
     [("S001", 6, 7, " ", "")]),
    # S002 quote spacing
    ("Flights mean less fuel and more bombs, ” Komoedov said.",
     "Flights mean less fuel and more bombs,” Komoedov said.", [("S002", 38, 39, " ", "")]),
    ("Its access is “ severely limited . ”", "Its access is “severely limited.”",
     [("S002", 15, 16, " ", ""), ("S003", 32, 33, " ", ""), ("S002", 34, 35, " ", "")]),
    ('He said " We will win . " and left.', 'He said "We will win." and left.',
     [("S002", 9, 10, " ", ""), ("S003", 21, 22, " ", ""), ("S002", 23, 24, " ", "")]),
    ("“ We will not back down,\nshe said.", "“We will not back down,\nshe said.",
     [("S002", 1, 2, " ", "")]),
    ("The minister said: “ We stay", "The minister said: “We stay", [("S002", 20, 21, " ", "")]),
    ("“I was there ”, he said.", "“I was there”, he said.", [("S002", 12, 13, " ", "")]),
    # S003 space before punctuation
    ("Officials said , adding that talks would resume.",
     "Officials said, adding that talks would resume.", [("S003", 14, 15, " ", "")]),
    ("Prices rose ; traders were wary.", "Prices rose; traders were wary.",
     [("S003", 11, 12, " ", "")]),
    ("Note : full name of the company is Acme Holdings.",
     "Note: full name of the company is Acme Holdings.", [("S003", 4, 5, " ", "")]),
    ("Is the deal over ?\nNobody knows !", "Is the deal over?\nNobody knows!",
     [("S003", 16, 17, " ", ""), ("S003", 31, 32, " ", "")]),
    ("He will visit Nairobi . He flies on Monday.", "He will visit Nairobi. He flies on Monday.",
     [("S003", 21, 22, " ", "")]),
    ('"We are net contributors to the EU ." The minister left.',
     '"We are net contributors to the EU." The minister left.', [("S003", 34, 35, " ", "")]),
    ("Guinness Plc <GUIN.L> , the brewer, said", "Guinness Plc <GUIN.L>, the brewer, said",
     [("S003", 21, 22, " ", "")]),
    ("The state holds a stake (15%) , which it keeps.",
     "The state holds a stake (15%), which it keeps.", [("S003", 29, 30, " ", "")]),
    ("It was dull !!! Really.", "It was dull!!! Really.", [("S003", 11, 12, " ", "")]),
    # S004 contractions
    ("Russia ’s security service said", "Russia’s security service said",
     [("S004", 6, 7, " ", "")]),
    ("Russia 's envoy", "Russia's envoy", [("S004", 6, 7, " ", "")]),
    ("They do n’t agree and we ca n't wait", "They don’t agree and we can't wait",
     [("S004", 7, 8, " ", ""), ("S004", 27, 28, " ", "")]),
    ("I don ’t know and it isn 't clear", "I don’t know and it isn't clear",
     [("S004", 5, 6, " ", ""), ("S004", 24, 25, " ", "")]),
    ("we ’re sure they ’ve gone and I ’m told she ’ll stay",
     "we’re sure they’ve gone and I’m told she’ll stay",
     [("S004", 2, 3, " ", ""), ("S004", 16, 17, " ", ""), ("S004", 31, 32, " ", ""),
      ("S004", 43, 44, " ", "")]),
    # S005 padded parentheses
    ("Qualcomm Inc ( QCOM.O ) rose.", "Qualcomm Inc (QCOM.O) rose.",
     [("S005", 14, 15, " ", ""), ("S005", 21, 22, " ", "")]),
    ("LONDON ( Reuters ) - Shares fell.", "LONDON (Reuters) - Shares fell.",
     [("S005", 8, 9, " ", ""), ("S005", 16, 17, " ", "")]),
    ("the European Free Trade Association (EFTA ) met", "the European Free Trade Association (EFTA) met",
     [("S005", 41, 42, " ", "")]),
    # S006 missing space after a sentence
    ("They reached a deal.Officials said it would hold.",
     "They reached a deal. Officials said it would hold.", [("S006", 20, 20, "", " ")]),
    ("(Image Source: Navy)According to the ministry", "(Image Source: Navy) According to the ministry",
     [("S006", 20, 20, "", " ")]),
    ("It should have been Joy Division.Those guys were better.",
     "It should have been Joy Division. Those guys were better.", [("S006", 33, 33, "", " ")]),
    ("ATLANTA (CNN)The storm moved north.", "ATLANTA (CNN) The storm moved north.",
     [("S006", 13, 13, "", " ")]),
    ('He arrived on the red carpet."It is unlike anything," he said.',
     'He arrived on the red carpet. "It is unlike anything," he said.', [("S006", 29, 29, "", " ")]),
    ("We deny it,” she said.“Next question.”", "We deny it,” she said. “Next question.”",
     [("S006", 22, 22, "", " ")]),
    # S007 quote direction
    ("”We should not jump to conclusions,” he said.",
     "“We should not jump to conclusions,” he said.", [("S007", 0, 1, "”", "“")]),
    ("Critics listed the ”falsehoods” one by one.", "Critics listed the “falsehoods” one by one.",
     [("S007", 19, 20, "”", "“")]),
    ("She calls herself a “full-time mom“, then laughs.",
     "She calls herself a “full-time mom”, then laughs.", [("S007", 34, 35, "“", "”")]),
]


@pytest.mark.parametrize("text, fixed, expected", POSITIVE)
def test_repairs_with_exact_changes(text, fixed, expected):
    result = explain(text)
    assert result.text == fixed
    assert [(c.rule, c.start, c.end, c.before, c.after) for c in result.changes] == expected
    for c in result.changes:
        assert text[c.start:c.end] == c.before
        assert c.reason


@pytest.mark.parametrize("text, fixed, expected", POSITIVE)
def test_repairs_are_idempotent(text, fixed, expected):
    assert spacing_fix(fixed) == fixed
    assert wireclean.fix(wireclean.fix(text)) == wireclean.fix(text)


def test_the_seed_sentence_loses_its_space_before_the_closing_quote():
    line = ("Tupolev Tu-22 flights from Iran mean less fuel and more bombs, ” Komoedov, the head "
            "of the Russian State Duma’s Defense Committee, said.")
    assert spacing_fix(line) == line.replace("bombs, ”", "bombs,”")


def test_glued_quotes_are_left_when_the_pairing_is_unclear():
    # three marks, the last one without a partner: which of them opens is anyone's guess
    text = "He left.“We deny it,” she said.”Next question."
    assert spacing_fix(text) == text


@pytest.mark.parametrize("text", ["“ ’\t:”", "“0“ ;", "word ” ,", "“ “ ” ”", 'a " " b " .'])
def test_rules_that_meet_at_a_quote_settle_in_one_run(text):
    # found by the property test below: one run must leave nothing for a second one
    once = spacing_fix(text)
    assert spacing_fix(once) == once


def test_crlf_line_endings_survive():
    text = "Officials said , adding more .\r\nPrices rose ; traders left .\r\n"
    assert spacing_fix(text) == "Officials said, adding more.\r\nPrices rose; traders left.\r\n"


def test_only_the_selected_rule_runs():
    text = "Kremlin -backed rebels said , ” we stay ”"
    assert [c[0] for c in changes(text, select=["S001"])] == ["S001"]
    assert {c[0] for c in changes(text, select=["S003"])} == {"S003"}
    ignored = wireclean.fix_and_explain(text, select=["spacing"], ignore=["S001"])
    assert "Kremlin -backed" in ignored.text and "rebels said," in ignored.text


def test_user_protected_names_keep_their_period():
    text = "Shares of Acme.Widgets rose."
    assert spacing_fix(text) == "Shares of Acme. Widgets rose."  # no evidence it is a name
    fixer = Fixer(select=["spacing"], protected=["Acme.Widgets"])
    assert fixer.fix(text) == text


def test_find_edits_returns_sorted_non_overlapping_edits():
    text = "the U.S. -led bloc , “ severely limited . ” deal.Officials ( AP ) Russia ’s"
    edits = spacing.find_edits(text, Context())
    assert edits == sorted(edits, key=lambda e: (e.start, e.end))
    assert all(a.end <= b.start for a, b in zip(edits, edits[1:]))
    assert {e.rule for e in edits} == {"S001", "S002", "S003", "S004", "S005", "S006"}


# --- legitimate text that must come out unchanged --------------------------------------

UNCHANGED = [
    # minus signs, ranges, dashes, datelines, bullets
    "Temperatures fell to -5 degrees overnight.",
    "Output shrank -0.3 percent in May.",
    "Analysts expect a 10 -20 percent range.",
    "LONDON (Reuters) - The dollar rose against the yen.",
    "MOSCOW (Reuters) – The Kremlin said on Tuesday.",
    "FRANKFURT, Sept 29 (Reuters) - Shares opened higher.",
    "Agenda:\n- led by the minister\n-backed plans were dropped",
    "The economy -which stagnated for years -may recover.",
    "The club -led by its new owner- won the cup.",
    "It was a set -top box, a medium -term plan and a 6 -month delay.",
    # apostrophes that are not split contractions
    "They loved rock ’n’ roll in the ’90s.",
    "She was class of ’98 and let ’em know it.",
    "’Tis the season; wait ’til Monday, said the ’60s star.",
    "The van ’t Hoff equation and ’s-Hertogenbosch stayed.",
    "Press the 's' key, then the 'd' key.",
    # periods that do not end a sentence
    "He was a .300 hitter with a .38 caliber revolver.",
    "Rates rose .5 percent; visit any .com site for more.",
    "He paused ... then spoke.",
    "He paused . . . then spoke. It was over . . .",
    "Growth was 3.5 percent, or 1,000 jobs.",
    "Shares closed at 5 ,000 yen.",
    # domains, brands, initials, abbreviations, files, addresses
    "Watch it on Banned.Video or FightBack.Law tonight.",
    "Buy it at Amazon.com or read Breitbart.com and HarveyOrganBlog.com today.",
    "See news.BBC.co.uk and WhiteHouse.Gov for details.",
    "J.R.R. Tolkien wrote it; she is the No.1 seed.",
    "Install v2.0.Beta before the U.S./U.N. talks, said the Ph.D. student.",
    "Open report.PDF and One.Tel Limited statements.",
    "Write to john.Smith@example.com or visit https://example.com/News.Today now.",
    "Details at www.Example.com/Page.Html today.",
    "Visit https://example.com/a ; then http://example.org/b .",
    # times, scores, verses
    "The meeting starts at 10 : 30 and ended 5 : 3 in overtime, per John 3 : 16 readers.",
    "Kickoff is at 10:30, the score 2-1.",
    # emoticons and faces
    "I am happy :-) and sad :-( today.",
    "Smile : ) they said ;-)",
    "He posted ( ͡° ͜ʖ ͡°) and ( ^_^ ) again.",
    # code-like text
    "if (x == 1) { y ; }",
    "x = a ? b : c",
    "call f( x ) now",
    # brackets, quotes that are fine or unclear
    "“In today’s world, [the work of journalists] is vital,” she said.",
    'He said: "We will win," and left.',
    "“We will win,” he said. “It is done.”",
    "he is ” very concerned” about it",
    "he ended by saying ” I apologize to everyone",
    "TRUMP “HAD ”TO DO IT",
    "Reports (Re)Search and (s)He were cited, as was Utah (6)West.",
    "The “Star Wars” saga and ‘Casablanca’ aired.",
    "She said “yes” – and left.",
    # French typography
    "Il a dit : « non » ! Quoi ?",
    # decoder damage we do not guess about
    "It was Roy Cohn ? neither as aggressive nor as clever.",
    "Follow Donald J. Trump ? @realDonaldTrump",
    # tables
    "Aus Sch         137.5    ( 137.6 )\nBFR con          99.9    ( 100.0 )",
    # ordinary wire copy
    "WASHINGTON (Reuters) - U.S. officials said on Tuesday that the talks, which began in "
    "May, would resume. \"We are not there yet,\" one official said.",
    "Line one.\r\nLine two.\r\n",
    "",
]


@pytest.mark.parametrize("text", UNCHANGED)
def test_legitimate_text_is_unchanged(text):
    assert explain(text).changes == []


# --- long and adversarial input ----------------------------------------------------------

def test_long_single_lines_are_repaired_in_bounded_time():
    # 2-3 MB lines without a single line break: every context check is bounded
    n = 75_000
    assert spacing_fix("word , filler filler filler " * n) == "word, filler filler filler " * n
    assert spacing_fix("a deal.Officials said so " * n) == "a deal. Officials said so " * n
    assert spacing_fix("a" + " " * 3_000_000 + ",") == "a,"


def test_long_lines_of_quotes_and_parentheses_complete_unchanged():
    for text in ("“ " * 1_000_000, " ”" * 1_000_000, "( a " * 500_000, "(" * 500_000 + ")" * 500_000,
                 "a ," * 1_000_000 + "a", " ." * 1_000_000, '"' * 2_000_000):
        assert spacing_fix(text) == text


# --- properties ------------------------------------------------------------------------

_TOKENS = [
    "deal", "Officials", "Russia", "U.S.", "Kremlin", "do", "don", "n’t", "’t", "’s", "'s", "’re",
    "Banned.Video", "rock", "’n’", "the", "’90s", "said", "A", "I", "10", "5", ".300", "CNN", "The",
    "-led", "-backed", "-5", "(", ")", "“", "”", '"', "’", "'", ",", ".", ";", ":", "!", "?", "...",
    " ", " ", " ", " ", "  ", "\t", "\n", "\r\n", "\n\n", "\r\n\r\n", "\n    ", " - ", "«", "»",
    "deal.Officials", "(CNN)The", "—", "…", "http://x.com/a", "{", "==", "by", "van", "He", "Yes",
    ":-)", "??", "[", "]", "%", "<", ">", "@", "é",
]
_texts = st.lists(st.sampled_from(_TOKENS), max_size=40).map("".join)
_SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))


def _spacing_insensitive(text: str) -> str:
    return re.sub(r"[ \t]", "", text).replace("“", '"').replace("”", '"')


@_SETTINGS
@given(_texts)
def test_spacing_is_idempotent_and_only_moves_spaces(text):
    once = spacing_fix(text)
    assert spacing_fix(once) == once
    # only spaces, tabs and the direction of curly quotes ever change; lines stay lines
    assert _spacing_insensitive(once) == _spacing_insensitive(text)
    assert once.count("\n") == text.count("\n") and once.count("\r") == text.count("\r")


@_SETTINGS
@given(_texts, st.sampled_from(["S001", "S002", "S003", "S004", "S005", "S006", "S007"]))
def test_each_rule_alone_is_idempotent(text, rule):
    once = wireclean.fix(text, select=[rule])
    assert wireclean.fix(once, select=[rule]) == once


@_SETTINGS
@given(_texts)
def test_default_rules_are_idempotent(text):
    once = wireclean.fix(text)
    assert wireclean.fix(once) == once


@_SETTINGS
@given(_texts)
def test_changes_point_at_the_input(text):
    result = explain(text)
    out, pos = [], 0
    for c in result.changes:
        assert text[c.start:c.end] == c.before
        out.append(text[pos:c.start] + c.after)
        pos = c.end
    assert "".join(out) + text[pos:] == result.text
