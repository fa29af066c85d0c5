"""Split a document into paragraphs, keeping where each one came from.

One rule everywhere (library, CLI, index), as DESIGN.md defines it. A line is *indented*
when it starts with three spaces or a tab; a *blank* line is empty or only whitespace and
lies between two lines with text.

1. if the text contains a blank line, its paragraphs are the blank-line-separated blocks;
   a block that is *hard-wrapped* -- one of its lines after the first is indented and is
   directly followed by a line that is neither indented nor the start of a list item
   (``-``, ``+``, ``*``, ``•`` or a number with ``.`` or ``)``, then whitespace) -- is cut
   further, at each indented line after its first, as in rule 2. So wire copy with a blank
   line before its sign-off or around a table is still cut at its indented starts, while
   blocks whose indented lines are all consecutive (an indented code block, a table, a text
   indented throughout) or each followed by a list item (a nested markdown list) stay whole;
2. otherwise, if lines start indented -- hard-wrapped wire copy such as Reuters-21578, where
   a paragraph begins with a newline and three or more spaces (or a tab) -- a paragraph
   starts at the first line and at each indented line;
3. otherwise each line is a paragraph.

Blocks are stripped and empty ones dropped. ``para`` is the 0-based index among the rest,
short ones included: a paragraph with fewer than ``min_words`` whitespace-separated words is
numbered but not ``matchable`` (a dateline or "Reuter" sign-off must not match everything).
``start``/``end`` are offsets into the document, so ``document[start:end] == text``, and
``line`` is the 1-based line where the paragraph starts. ``\\r\\n`` line ends are handled like
``\\n`` (a ``\\r`` left inside a multi-line block is part of its text, as in the input).

>>> doc = ("MOSCOW (Wire) - Talks resumed.\\n\\n"
...        "The two delegations met for six hours on Tuesday at the\\nforeign ministry.\\n")
>>> [(p.para, p.line, p.matchable, p.text[:24]) for p in paragraphs(doc)]
[(0, 1, False, 'MOSCOW (Wire) - Talks re'), (1, 3, True, 'The two delegations met ')]
>>> wrapped = "Grain exports rose\\nsharply in March.\\n    Officials said prices\\nwould hold."
>>> [p.text for p in paragraphs(wrapped, min_words=3)]
['Grain exports rose\\nsharply in March.', 'Officials said prices\\nwould hold.']
>>> [p.text for p in paragraphs(wrapped + "\\n\\n Wire", min_words=3)]  # rule 1, hard-wrapped
['Grain exports rose\\nsharply in March.', 'Officials said prices\\nwould hold.', 'Wire']
>>> listing = "Steps:\\n- call the desk\\n   - ask for the editor\\n- file the copy\\n\\nDone."
>>> [p.text for p in paragraphs(listing, min_words=3)]  # rule 1, a nested list stays whole
['Steps:\\n- call the desk\\n   - ask for the editor\\n- file the copy', 'Done.']
"""

from __future__ import annotations

import re
from typing import NamedTuple

DEFAULT_MIN_WORDS = 8

# A blank line between two lines with text. `[^\S\n]` is whitespace other than a newline,
# so "\r\n\r\n" and "\n   \t\n" both count, and the match never runs past the next line.
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
# The next line starts indented: three spaces or a tab (the Reuters-21578 convention is four).
_INDENTED_START = re.compile(r"\n(?: {3}|\t)")
# The newline before an indented start (the indentation stays with the next block).
_BEFORE_INDENTED = re.compile(r"\n(?= {3}|\t)")
# Inside a blank-line block: an indented line (not the block's first) directly followed by a
# line that is neither indented nor a list item -- an indented paragraph start with its
# flush-left continuation, the mark of hard-wrapped copy. A nested markdown list is
# followed by the next item, and code blocks are indented throughout, so neither matches.
_HARD_WRAPPED = re.compile(
    r"\n(?: {3}|\t)[^\n]*\n(?! {3}|\t| {0,2}(?:[-+*\u2022]|\d{1,9}[.)])(?:\s|$))")
_NOT_SPACE = re.compile(r"\S")


class Paragraph(NamedTuple):
    """One paragraph of a document: ``document[start:end] == text``."""

    para: int        # 0-based index among the document's non-empty paragraphs
    start: int       # offset of the first character in the document
    end: int         # offset just past the last character
    line: int        # 1-based line number of ``start``
    text: str
    matchable: bool  # False when shorter than ``min_words`` words: numbered, never matched


def paragraphs(text: str, min_words: int = DEFAULT_MIN_WORDS) -> list[Paragraph]:
    """The paragraphs of ``text`` with offsets, line numbers and a ``matchable`` flag.

    >>> [p.text for p in paragraphs("First line of copy.\\r\\nSecond line.\\r\\n")]
    ['First line of copy.', 'Second line.']
    >>> paragraphs("   \\n\\n ")
    []
    """
    if min_words < 0:
        raise ValueError(f"min_words must be >= 0, got {min_words}")
    first = _NOT_SPACE.search(text)
    if first is None:
        return []
    lo = first.start()
    hi = len(text.rstrip())
    out: list[Paragraph] = []
    line = 1 + text.count("\n", 0, lo)
    pos = lo  # where `line` was counted up to

    if _BLANK_LINE.search(text, lo, hi):
        cuts = _blank_line_cuts(text, lo, hi)
    elif _INDENTED_START.search(text, lo, hi):
        cuts = ((m.start(), m.start() + 1) for m in _INDENTED_START.finditer(text, lo, hi))
    else:
        cuts = ((i, i + 1) for i in _newlines(text, lo, hi))

    block_start = lo
    for cut_start, cut_end in cuts:
        pos, line = _emit(text, block_start, cut_start, pos, line, min_words, out)
        block_start = cut_end
    _emit(text, block_start, hi, pos, line, min_words, out)
    return out


def matchable_texts(text: str, min_words: int = DEFAULT_MIN_WORDS) -> tuple[list[int], list[str]]:
    """Numbers and texts of the matchable paragraphs of ``text``: what hashing needs.

    The same paragraphs as :func:`paragraphs` (same rule, same numbers), without offsets
    or line numbers, for the hot path where only the text is hashed -- several times
    faster on long documents.

    >>> matchable_texts("Dateline.\\n\\nThe two delegations met for six hours on Tuesday.", 5)
    ([1], ['The two delegations met for six hours on Tuesday.'])
    """
    if min_words < 0:
        raise ValueError(f"min_words must be >= 0, got {min_words}")
    text = text.strip()  # as paragraphs() does: rules look only between first and last text
    if _BLANK_LINE.search(text):
        blocks = []
        for block in _BLANK_LINE.split(text):
            block = block.lstrip()  # the block's first line is the one with text
            if _HARD_WRAPPED.search(block):
                blocks.extend(_BEFORE_INDENTED.split(block))
            else:
                blocks.append(block)
    elif _INDENTED_START.search(text):
        blocks = _BEFORE_INDENTED.split(text)
    else:
        blocks = text.split("\n")
    numbers: list[int] = []
    texts: list[str] = []
    para = 0
    for block in blocks:
        block = block.strip()
        if not block:
            continue
        if min_words == 0 or len(block.split(None, min_words - 1)) >= min_words:
            numbers.append(para)
            texts.append(block)
        para += 1
    return numbers, texts


def _blank_line_cuts(text: str, lo: int, hi: int):
    """Cuts (start, end) of rule 1: each blank line, and each indented line start inside
    a hard-wrapped block (the newline before the indentation is cut)."""
    block_start = lo
    for m in _BLANK_LINE.finditer(text, lo, hi):
        yield from _indented_cuts(text, block_start, m.start())
        yield m.start(), m.end()
        block_start = m.end()
    yield from _indented_cuts(text, block_start, hi)


def _indented_cuts(text: str, start: int, end: int):
    """Indented line starts of ``text[start:end]`` after its first line with text, if
    that block is hard-wrapped (see the module docstring); else nothing."""
    first = _NOT_SPACE.search(text, start, end)
    if first is None or not _HARD_WRAPPED.search(text, first.start(), end):
        return
    for m in _INDENTED_START.finditer(text, first.start(), end):
        yield m.start(), m.start() + 1


def _newlines(text: str, lo: int, hi: int):
    i = text.find("\n", lo, hi)
    while i != -1:
        yield i
        i = text.find("\n", i + 1, hi)


def _emit(text: str, start: int, end: int, pos: int, line: int, min_words: int,
          out: list[Paragraph]) -> tuple[int, int]:
    """Strip ``text[start:end]`` and append it as a paragraph unless it is empty.

    Returns the updated (position, line) counter so line numbers cost one pass in total.
    """
    block = text[start:end]
    stripped = block.strip()
    if not stripped:
        return pos, line
    start += len(block) - len(block.lstrip())
    end = start + len(stripped)
    line += text.count("\n", pos, start)
    matchable = min_words == 0 or len(stripped.split(None, min_words - 1)) >= min_words
    out.append(Paragraph(len(out), start, end, line, stripped, matchable))
    return start, line
