"""Paragraphs as DESIGN.md defines them: blank-line blocks (hard-wrapped ones cut at their
indented starts), else indented starts, else lines."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wireclean.dedup import segment
from wireclean.dedup.segment import Paragraph, matchable_texts, paragraphs

LEDE = "Grain ministers from both countries met in Geneva on Tuesday to revive the export deal."
SECOND = "A spokesman said talks would continue through the week and into the weekend."
DATELINE = "GENEVA, March 3 (Wire) -"


def texts(doc: str, **kw) -> list[str]:
    return [p.text for p in paragraphs(doc, **kw)]


def test_blank_lines_separate_paragraphs_and_keep_offsets_and_lines():
    doc = f"{DATELINE}\n\n{LEDE}\nIt was the first meeting since May.\n\n\n{SECOND}\n"
    paras = paragraphs(doc)
    assert [p.text for p in paras] == [DATELINE, f"{LEDE}\nIt was the first meeting since May.",
                                       SECOND]
    assert [p.para for p in paras] == [0, 1, 2]
    assert [p.line for p in paras] == [1, 3, 7]
    for p in paras:
        assert doc[p.start:p.end] == p.text


def test_short_paragraphs_are_numbered_but_not_matchable():
    doc = f"{DATELINE}\n\n{LEDE}\n\nReuter\n\n{SECOND}"
    paras = paragraphs(doc)
    assert [(p.para, p.matchable) for p in paras] == [(0, False), (1, True), (2, False), (3, True)]


def test_min_words_is_configurable():
    doc = "Talks resumed.\n\nPrices held steady in early trade on Monday."
    assert [p.matchable for p in paragraphs(doc, min_words=2)] == [True, True]
    assert [p.matchable for p in paragraphs(doc, min_words=9)] == [False, False]
    assert [p.matchable for p in paragraphs(doc, min_words=0)] == [True, True]
    with pytest.raises(ValueError, match="min_words"):
        paragraphs(doc, min_words=-1)


def test_whitespace_only_line_counts_as_blank():
    doc = f"{LEDE}\n   \t\n{SECOND}"
    assert texts(doc) == [LEDE, SECOND]


def test_hard_wrapped_wire_copy_starts_a_paragraph_at_each_indented_line():
    doc = ("Grain exports rose sharply in March, the\n"
           "ministry said on Friday.\n"
           "    Shipments reached 4.1 mln tonnes, up\n"
           "from 3.2 mln a year earlier, it said.\n"
           "\tTraders expect April to be weaker.\n")
    paras = paragraphs(doc, min_words=3)
    assert [p.text for p in paras] == [
        "Grain exports rose sharply in March, the\nministry said on Friday.",
        "Shipments reached 4.1 mln tonnes, up\nfrom 3.2 mln a year earlier, it said.",
        "Traders expect April to be weaker.",
    ]
    assert [p.line for p in paras] == [1, 3, 5]
    assert all(doc[p.start:p.end] == p.text for p in paras)


def test_two_space_indent_is_not_a_paragraph_start():
    doc = "Grain exports rose sharply\n  in March, the ministry said."
    assert texts(doc) == ["Grain exports rose sharply", "in March, the ministry said."]


def test_blank_line_wins_over_a_trailing_indented_line():
    # The indented line has no flush continuation: nothing says the block is hard-wrapped.
    doc = "First block line one\n    still the first block\n\nSecond block"
    assert texts(doc) == ["First block line one\n    still the first block", "Second block"]


# Hard-wrapped wire copy: indented paragraph starts, flush continuation lines, and a blank
# (here whitespace-only) line before the sign-off.
WRAPPED = ("Copper stocks held in London warehouses fell\n"
           "by 4,250 tonnes in the week, the exchange said.\n"
           "    Dealers said the decline reflected steady\n"
           "buying by cable makers in Europe and Asia.\n"
           "    Prices were little changed in late trade.\n"
           "   \n"
           " Wire\n")


def test_hard_wrapped_copy_with_a_blank_line_is_still_cut_at_indented_starts():
    paras = paragraphs(WRAPPED, min_words=3)
    assert [p.text for p in paras] == [
        "Copper stocks held in London warehouses fell\n"
        "by 4,250 tonnes in the week, the exchange said.",
        "Dealers said the decline reflected steady\nbuying by cable makers in Europe and Asia.",
        "Prices were little changed in late trade.",
        "Wire",
    ]
    assert [p.line for p in paras] == [1, 3, 5, 7]
    assert [p.matchable for p in paras] == [True, True, True, False]
    assert all(WRAPPED[p.start:p.end] == p.text for p in paras)
    # Without the blank line (rule 2) the copy is cut at the same places; only the
    # sign-off, no longer set apart, stays with the last paragraph.
    assert texts(WRAPPED.replace("   \n", ""), min_words=3) == [
        p.text for p in paras[:2]] + ["Prices were little changed in late trade.\n Wire"]
    assert matchable_texts(WRAPPED, 3) == ([0, 1, 2], [p.text for p in paras[:3]])


def test_hard_wrapped_block_after_a_blank_line_and_a_table_block():
    doc = ("Exports by port, in tonnes:\n"
           "    Rotterdam    41,200\n"
           "    Antwerp      18,900\n"
           "\n"
           "Shipments were delayed by fog, the\n"
           "port authority said on Monday.\n"
           "    A strike by pilots ended on\n"
           "Sunday after two days.\n")
    assert texts(doc, min_words=3) == [
        # Indented lines all consecutive at the end: a table, left whole.
        "Exports by port, in tonnes:\n    Rotterdam    41,200\n    Antwerp      18,900",
        "Shipments were delayed by fog, the\nport authority said on Monday.",
        "A strike by pilots ended on\nSunday after two days.",
    ]


def test_markdown_nested_lists_stay_whole():
    doc = ("Agenda for the desk meeting:\n\n"
           "- weekend rota\n"
           "   - who covers the Sunday shift\n"
           "   - who edits the late pages\n"
           "- style guide changes\n"
           "1. datelines\n"
           "    1) capitals only\n"
           "2. bylines\n\n"
           "Send comments by Friday.")
    assert texts(doc, min_words=1) == [
        "Agenda for the desk meeting:",
        "- weekend rota\n   - who covers the Sunday shift\n   - who edits the late pages\n"
        "- style guide changes\n1. datelines\n    1) capitals only\n2. bylines",
        "Send comments by Friday.",
    ]


def test_markdown_indented_code_block_stays_whole():
    doc = ("To count the stories filed today run:\n\n"
           "    wire-count --since today\n"
           "        --desk foreign\n"
           "    | sort\n\n"
           "The output lists one desk a line.")
    assert texts(doc, min_words=1) == [
        "To count the stories filed today run:",
        "wire-count --since today\n        --desk foreign\n    | sort",
        "The output lists one desk a line.",
    ]


def test_one_per_line_copy_with_blank_lines_keeps_its_blocks():
    doc = f"{DATELINE}\n\n{LEDE}\n{SECOND}\n\nReuter"
    assert texts(doc) == [DATELINE, f"{LEDE}\n{SECOND}", "Reuter"]


def test_text_whose_every_line_is_indented_keeps_its_blocks():
    doc = f"    {LEDE}\n    {SECOND}\n\n    {DATELINE}\n\t{LEDE}"
    assert texts(doc) == [f"{LEDE}\n    {SECOND}", f"{DATELINE}\n\t{LEDE}"]


def test_only_lines_after_the_first_can_mark_a_block_hard_wrapped():
    # The first line's own indentation is not a cut, whatever blank lines precede it.
    for gap in ("\n\n", "\n\n\n", "\n \n\t\n"):
        doc = f"{DATELINE}{gap}    Officials met at noon\nin the capital.\n    Talks resume Monday"
        assert texts(doc, min_words=1) == [
            DATELINE, "Officials met at noon\nin the capital.\n    Talks resume Monday"]


def test_one_paragraph_per_line_when_no_blank_line_and_no_indent():
    doc = f"Russia carries out strikes in Syria\n{LEDE}\n{SECOND}"
    assert texts(doc) == ["Russia carries out strikes in Syria", LEDE, SECOND]


def test_indented_first_line_alone_does_not_switch_mode():
    doc = f"    {LEDE}\n{SECOND}"
    assert texts(doc) == [LEDE, SECOND]


def test_leading_and_trailing_blank_lines_are_not_separators():
    doc = f"\n\n{LEDE}\n{SECOND}\n\n\n"
    paras = paragraphs(doc)
    assert [p.text for p in paras] == [LEDE, SECOND]  # line mode: no blank line between
    assert [p.line for p in paras] == [3, 4]


def test_crlf_documents():
    doc = f"{LEDE}\r\n\r\n{SECOND}\r\nMore from the same block.\r\n"
    paras = paragraphs(doc)
    assert [p.text for p in paras] == [LEDE, f"{SECOND}\r\nMore from the same block."]
    assert [p.line for p in paras] == [1, 3]
    lines = paragraphs(f"{LEDE}\r\n{SECOND}\r\n")
    assert [p.text for p in lines] == [LEDE, SECOND]
    assert all(not p.text.endswith("\r") for p in lines)


def test_empty_and_blank_documents_have_no_paragraphs():
    assert paragraphs("") == []
    assert paragraphs(" \n\r\n\t ") == []


def test_paragraph_fields():
    p = paragraphs(f"x\n\n{LEDE}")[1]
    assert isinstance(p, Paragraph)
    assert p == Paragraph(para=1, start=3, end=3 + len(LEDE), line=3, text=LEDE, matchable=True)


def test_huge_single_line_is_linear():
    doc = ("word " * 2_000_000).strip()  # 10 MB, one line
    paras = paragraphs(doc)
    assert len(paras) == 1 and paras[0].end == len(doc)


def test_long_whitespace_runs_are_linear():
    doc = "a" + "\n" + " " * 3_000_000 + "b" + "\n" + " " * 3_000_000
    assert texts(doc, min_words=1) == ["a", "b"]
    blocks = "a\n\nb\n" + " " * 3_000_000 + "c\nd\n" + " " * 3_000_000 + "\n\ne"
    assert texts(blocks, min_words=1) == ["a", "b", "c\nd", "e"]
    assert matchable_texts(blocks, 1) == ([0, 1, 2, 3], ["a", "b", "c\nd", "e"])


# A document is lines of words, blank or whitespace-only lines, indented lines, CRLF ends.
_line = st.one_of(
    st.just(""), st.just("   "), st.just("\t"),
    st.builds(lambda indent, words: indent + " ".join(words),
              st.sampled_from(["", "", "  ", "   ", "    ", "\t"]),
              st.lists(st.sampled_from(["grain", "U.S.", "“talks”", "5.2%", "Erdoğan", "-",
                                        "1.", "2)", "•"]),
                       min_size=1, max_size=6)),
)
_doc = st.builds(lambda lines, crlf: ("\r\n" if crlf else "\n").join(lines),
                 st.lists(_line, max_size=12), st.booleans())


@settings(max_examples=300, deadline=None)
@given(_doc)
def test_paragraphs_cover_the_document_exactly(doc):
    paras = paragraphs(doc, min_words=3)
    assert [p.para for p in paras] == list(range(len(paras)))
    last_end = 0
    for p in paras:
        assert doc[p.start:p.end] == p.text == p.text.strip() != ""
        assert p.start >= last_end
        assert p.line == doc.count("\n", 0, p.start) + 1
        assert p.matchable == (len(p.text.split()) >= 3)
        last_end = p.end
    # Nothing but whitespace is lost between paragraphs.
    assert "".join(doc.split()) == "".join("".join(p.text.split()) for p in paras)


def test_doctests():
    assert doctest.testmod(segment).failed == 0


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["Grain", "exports", "rose", "U.S.", "\n", "\n\n", "\n   ",
                                 "\t", " ", "\r\n", "\n \n", "sharply", "in", "March.",
                                 # list items and indented lines with flush continuations:
                                 # what decides whether a blank-line block is hard-wrapped
                                 "\n- ", "\n1. ", "\n  * ", "\n    ", "\n\t", "\n2)",
                                 "\n   \n"]),
                max_size=40),
       st.integers(0, 4))
def test_matchable_texts_agrees_with_paragraphs(pieces, min_words):
    # The hashing fast path must number and cut paragraphs exactly as the full rule does,
    # or --report paragraph numbers and --drop would disagree with what was matched.
    text = " ".join(pieces) if len(pieces) % 3 == 0 else "".join(pieces)
    full = [(p.para, p.text) for p in paragraphs(text, min_words) if p.matchable]
    numbers, texts = matchable_texts(text, min_words)
    assert list(zip(numbers, texts)) == full
