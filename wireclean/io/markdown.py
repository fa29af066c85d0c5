"""Markdown (.md, .markdown): fix the prose, leave the markup alone.

The fixer gets the whole file but with *frozen* spans it must not edit: YAML (``---``) or
TOML (``+++``) front matter, fenced and indented code blocks, inline code, the target part
of links and images (``](url "title")`` and reference definitions), autolinks and bare
URLs, HTML tags, comments and ``<pre>``/``<script>``/``<style>``/``<textarea>`` blocks,
and HTML entities (``&amp;`` is Markdown's way of writing ``&``; decoding it would change
what the page shows).

Freezing too much only costs a missed fix, so where Markdown is ambiguous (a 4-space
indented list continuation, say) the scanner freezes. Every pattern is linear in the
input: no nested open-ended quantifiers, unterminated constructs give up at a bound.

>>> text = "Say `USA -led` and [USA -led](http://x.test/a) &amp; more."
>>> [text[a:b] for a, b in frozen_spans(text)]
['`USA -led`', 'http://x.test/a)', '&amp;']
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

from .base import Fixed, SupportsFix, place

Span = tuple[int, int]

_FRONT_MATTER_OPEN = re.compile(r"\A(---|\+\+\+)[ \t]*\r?\n")
_FRONT_MATTER_CLOSE = {
    "---": re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.M),
    "+++": re.compile(r"^\+\+\+[ \t]*\r?$", re.M),
}
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})([^\n]*)$", re.M)
# An indented code block starts after a blank line (or at the top) and runs over lines
# indented by 4 spaces or a tab. `[^\n]*(?:\n|\Z)` must reach the line end: no ambiguity.
_BEFORE_INDENTED = re.compile(r"\n[ \t]*\r?\n(?= {4}|\t)")
_INDENTED_LINES = re.compile(r"(?:(?: {4}|\t)[^\n]*(?:\n|\Z))+")
_BLANK_LINE = re.compile(r"\n[ \t]*\r?\n")
_HTML_RAW_OPEN = re.compile(r"<(pre|script|style|textarea)(?=[\s>])", re.I)

# Inline markup, each pattern led by a literal so the regex engine skips ahead fast, and
# each tried only when its literal occurs in the document at all: (literal, pattern, group).
_INLINE = [
    ("](", re.compile(r"""\]\((?P<target>[ \t]*                     # link or image target
        (?:<[^<>\n]{0,2048}>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)
        (?:[ \t]+(?:"[^"\n]{0,1000}"|'[^'\n]{0,1000}'|\([^()\n]{0,1000}\)))?
        [ \t]*\)?)""", re.X), "target"),
    ("][", re.compile(r"\](?P<label>\[[^\]\n]{0,999}\])"), "label"),  # full reference link
    ("]:", re.compile(r"^[ ]{0,3}\[[^\]\n]{1,999}\]:[^\n]*", re.M), 0),  # reference definition
    ("<", re.compile(r"""<(?:[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*>   # autolink
                          |[^\s<>@]+@[^\s<>@]+>                        # e-mail autolink
                          |/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>     # HTML tag
                          |![A-Za-z][^<>]*>)                           # <!DOCTYPE ...>
                     """, re.X), 0),
    ("&", re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"), 0),
]
_LITERALS = ("`", "<!--", "://", "www.", *(literal for literal, _, _ in _INLINE))
# Bare URLs (GFM autolinks them): found from their "://" or "www." and widened.
_URL_SCHEME = re.compile(r"https?\Z")
_NOT_URL = re.compile(r"[\s<>]")
_URL_TRAILING = ".,:;!?'\"’”)*_~"


def fix_markdown(text: str, fixer: SupportsFix) -> Fixed:
    result = fixer.fix_and_explain(text, frozen=frozen_spans(text))
    return Fixed(result.text, place(text, result.changes))


def frozen_spans(text: str) -> list[Span]:
    """Sorted, merged ``(start, end)`` spans of ``text`` that are markup, not prose.

    >>> doc = "---\\ntitle: USA -led\\n---\\nBody.\\n\\n```\\ncode\\n```\\n"
    >>> [doc[a:b] for a, b in frozen_spans(doc)]
    ['---\\ntitle: USA -led\\n---\\n', '```\\ncode\\n```']
    """
    blocks = _block_spans(text)
    spans = list(blocks)
    # Each literal is looked for once in the whole text, not once per gap between blocks.
    present = {lit for lit in _LITERALS if lit in text}
    pos = 0
    for start, end in blocks + [(len(text), len(text))]:
        if pos < start:
            spans.extend(_inline_spans(text, pos, start, present))
        pos = max(pos, end)
    return _merge(spans)


def _block_spans(text: str) -> list[Span]:
    spans: list[Span] = []
    body = 0
    m = _FRONT_MATTER_OPEN.match(text)
    if m:
        close = _FRONT_MATTER_CLOSE[m.group(1)].search(text, m.end())
        if close:
            body = close.end() + (1 if text.startswith("\n", close.end()) else 0)
            spans.append((0, body))

    pos = body if "```" in text or "~~~" in text else len(text)
    while True:
        m = _FENCE_OPEN.search(text, pos)
        if not m:
            break
        fence, info = m.group(1), m.group(2)
        if fence[0] == "`" and "`" in info:        # not a fence: inline code at line start
            pos = m.end()
            continue
        close = _fence_close(fence[0], len(fence)).search(text, m.end())
        end = close.end() if close else len(text)  # unclosed: runs to the end (CommonMark)
        spans.append((m.start(), end))
        pos = end

    if text.startswith(("    ", "\t"), body):
        spans.append(_INDENTED_LINES.match(text, body).span())
    if "\n    " in text or "\n\t" in text:
        for m in _BEFORE_INDENTED.finditer(text, body):
            spans.append(_INDENTED_LINES.match(text, m.end()).span())

    if "<" in text:
        spans.extend(_html_raw_blocks(text, body))
    return _merge(spans)


@lru_cache(maxsize=32)
def _fence_close(char: str, length: int) -> re.Pattern[str]:
    return re.compile(rf"^ {{0,3}}{re.escape(char)}{{{length},}}[ \t]*\r?$", re.M)


def _html_raw_blocks(text: str, pos: int) -> list[Span]:
    spans: list[Span] = []
    unclosed: set[str] = set()   # once a closer is missing, later openers can't find one
    while True:
        m = _HTML_RAW_OPEN.search(text, pos)
        if not m:
            return spans
        name = m.group(1).lower()
        pos = m.end()
        if name in unclosed:
            continue
        close = re.compile(rf"</{name}\s*>", re.I).search(text, pos)
        if not close:
            unclosed.add(name)
            continue
        spans.append((m.start(), close.end()))
        pos = close.end()


def _inline_spans(text: str, start: int, end: int, present: set[str]) -> list[Span]:
    spans = _code_spans(text, start, end) if "`" in present else []
    if "<!--" in present:
        spans.extend(_comments(text, start, end))
    for literal, pattern, group in _INLINE:
        if literal in present:
            spans.extend(m.span(group) for m in pattern.finditer(text, start, end))
    if "://" in present or "www." in present:
        spans.extend(_bare_urls(text, start, end))
    return spans


def _bare_urls(text: str, start: int, end: int) -> list[Span]:
    marks = sorted(_find_all(text, "://", start, end) + _find_all(text, "www.", start, end))
    spans: list[Span] = []
    pos = start
    for mark in marks:
        if mark < pos:
            continue                               # inside the URL just taken
        if text.startswith("://", mark):
            a = mark
            while a > start and text[a - 1].isascii() and text[a - 1].isalpha():
                a -= 1
            if not _URL_SCHEME.match(text, a, mark):
                continue
        else:
            a = mark
        if a > start and (text[a - 1].isalnum() or text[a - 1] == "_"):
            continue                               # "xwww." or "xhttp://" is not a URL
        stop = _NOT_URL.search(text, mark + 3, end)
        b = stop.start() if stop else end
        while b > a and text[b - 1] in _URL_TRAILING:
            b -= 1
        spans.append((a, b))
        pos = b
    return spans


def _find_all(text: str, literal: str, start: int, end: int) -> list[int]:
    """Every position of ``literal`` (str.find is a memchr-speed search; a regex is not)."""
    out = []
    i = text.find(literal, start, end)
    while i >= 0:
        out.append(i)
        i = text.find(literal, i + 1, end)
    return out


def _code_spans(text: str, start: int, end: int) -> list[Span]:
    """Inline code: a run of N backticks closed by the next run of exactly N in the same
    paragraph. Runs are indexed by length, so an unmatched opener costs no rescan."""
    runs = []
    for i in _find_all(text, "`", start, end):
        if runs and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    if len(runs) < 2:
        return []
    breaks = [m.start() for m in _BLANK_LINE.finditer(text, start, end)]
    spans: list[Span] = []
    first = 0
    while first < len(runs):                 # one paragraph's runs at a time
        paragraph = bisect_right(breaks, runs[first][0])
        last = first
        while last < len(runs) and bisect_right(breaks, runs[last][0]) == paragraph:
            last += 1
        spans.extend(_pair_runs(runs[first:last]))
        first = last
    return spans


def _pair_runs(runs: list[Span]) -> list[Span]:
    by_length: dict[int, list[int]] = {}
    for i, (a, b) in enumerate(runs):
        by_length.setdefault(b - a, []).append(i)
    cursor = dict.fromkeys(by_length, 0)
    spans: list[Span] = []
    i = 0
    while i < len(runs):
        a, b = runs[i]
        same = by_length[b - a]
        k = cursor[b - a]
        while k < len(same) and same[k] <= i:
            k += 1
        cursor[b - a] = k
        if k < len(same):
            spans.append((a, runs[same[k]][1]))
            i = same[k] + 1
        else:
            i += 1
    return spans


def _comments(text: str, start: int, end: int) -> list[Span]:
    spans: list[Span] = []
    pos = start
    while True:
        a = text.find("<!--", pos, end)
        if a < 0:
            return spans
        b = text.find("-->", a + 4, end)
        if b < 0:
            return spans            # unterminated: so is every later one
        spans.append((a, b + 3))
        pos = b + 3


def _merge(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for a, b in sorted(spans):
        if a >= b:
            continue
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out
