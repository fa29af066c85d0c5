"""Scraper furniture and wire credit lines (rules B001, B002; off by default).

Scraped copies of news pages carry lines that are not the story: "Advertisement",
"Adjust Comment Print", "More news: <another headline>", plugin shortcodes. B001 removes
such lines whole, line ending included, so no blank hole is left. B002 removes wire credit
lines ("(Reporting by ...; Editing by ...)") but only from copies that look scraped, that
is that carry furniture or spin evidence: a newsroom's own Reuters story keeps its credit.
The tables are in ``rules/boilerplate.toml``.

>>> from wireclean.fix.pipeline import Context
>>> ctx = Context(rules=frozenset({"B001", "B002"}))
>>> text = "Talks resumed.\\nAdvertisement\\nBoth sides met.\\n(Reporting by Ann Lee; Editing by Bo Li)\\n"
>>> [(e.rule, text[e.start:e.end]) for e in find_edits(text, ctx)]
[('B001', 'Advertisement\\n'), ('B002', '(Reporting by Ann Lee; Editing by Bo Li)\\n')]
>>> find_edits("Talks resumed.\\n(Reporting by Ann Lee; Editing by Bo Li)\\n", ctx)
[]
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from . import entities
from .edits import Edit

if TYPE_CHECKING:
    from .pipeline import Context

_TABLE = entities.load_table("boilerplate.toml")


def _furniture_line_pattern() -> str:
    table = _TABLE["furniture"]
    alternatives = [re.escape(line) + r"[ \t]*" for line in table["lines"]]
    alternatives += [re.escape(prefix) + r"[^\n]*" for prefix in table["prefixes"]]
    alternatives += [f"(?:{p})[ \t]*" for p in table["patterns"]]
    # whole lines only; the trailing \r of a CRLF file belongs to the line ending
    return r"([ \t]*(?:%s))(?=\r?$)" % "|".join(alternatives)


# The first line, then every line after a "\n": a pattern that starts with a literal
# character lets the regex engine skip ahead instead of trying every position.
_FIRST_FURNITURE = re.compile(_furniture_line_pattern(), re.IGNORECASE | re.MULTILINE)
_NEXT_FURNITURE = re.compile("\n" + _furniture_line_pattern(), re.IGNORECASE | re.MULTILINE)

_ROLES = "|".join(re.escape(r) for r in _TABLE["credit"]["roles"])
# "eporting by", "EPORTING BY", ...: without one of these there is no credit line to find
_CREDIT_HINTS = tuple({f(role.split()[-1][1:] + " by") for role in _TABLE["credit"]["roles"]
                       for f in (str.lower, str.upper)})
_CREDIT_BODY = r"(?:%s) by [^()\n]{2,300}" % _ROLES
# "(Reporting by Ann Lee; Editing by Bo Li)" alone on a line, or without brackets when it
# names an editor too: "Reporting by Ann Lee; Editing by Bo Li"
_CREDIT_LINE = re.compile(
    r"^[ \t]*(?:\(%s\)|(?:%s) by [^\n]{2,300}?[;,] (?:[Ee]diting|[Ww]riting) by [^\n]{2,200}?)[ \t]*(?=\r?$)"
    % (_CREDIT_BODY, _ROLES), re.MULTILINE | re.IGNORECASE)
# ... or closing the last paragraph of the story: 'said. (Reporting by Ann Lee)'
_CREDIT_TAIL = re.compile(r"(?<=[.!?”\"’'])[ \t]+\(%s\)[ \t]*(?=\r?$)" % _CREDIT_BODY,
                          re.MULTILINE | re.IGNORECASE)


def furniture_lines(text: str) -> list[tuple[int, int, str]]:
    """The furniture lines of ``text``: (start, end, line) without the line ending.

    >>> furniture_lines("Headline\\nMore news: Storm hits coast\\nBody")
    [(9, 36, 'More news: Storm hits coast')]
    """
    found = []
    first = _FIRST_FURNITURE.match(text)
    if first:
        found.append((first.start(1), first.end(1), first.group(1)))
    found += [(m.start(1), m.end(1), m.group(1)) for m in _NEXT_FURNITURE.finditer(text)]
    return found


def _line_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) to whole lines, line ending included."""
    nl = text.find("\n", end)
    return text.rfind("\n", 0, start) + 1, len(text) if nl < 0 else nl + 1


def _line_is_blank(text: str, start: int) -> bool:
    """Whether the line starting at ``start`` (a line start) exists and is blank."""
    if start >= len(text):
        return False
    nl = text.find("\n", start)
    return text[start:len(text) if nl < 0 else nl].strip() == ""


def _previous_line_start(text: str, start: int) -> int:
    return text.rfind("\n", 0, start - 1) + 1


def _without_holes(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow a removed line span so that removing it leaves no blank hole.

    A line between two blank lines (or between a blank line and either end of the text)
    takes one neighbouring blank line with it: "para / blank / Advertisement / blank /
    para" becomes "para / blank / para".
    """
    blank_before = start == 0 or _line_is_blank(text, _previous_line_start(text, start))
    if blank_before:
        if _line_is_blank(text, end):
            nl = text.find("\n", end)
            end = len(text) if nl < 0 else nl + 1
        elif end >= len(text) and start > 0:
            start = _previous_line_start(text, start)
    if end >= len(text) and start > 0 and not text.endswith("\n"):
        # the last line has no line ending: take the one before it instead
        start -= 1
        if start > 0 and text[start - 1] == "\r":
            start -= 1
    return start, end


def find_edits(text: str, ctx: Context) -> list[Edit]:
    """Edits removing furniture lines (B001) and, in scraped copies, credit lines (B002)."""
    want_furniture, want_credit = ctx.enabled("B001"), ctx.enabled("B002")
    if not (want_furniture or want_credit):
        return []
    furniture = furniture_lines(text)
    spans: list[tuple[int, int, str, str, bool]] = []  # start, end, rule, reason, whole line
    if want_furniture:
        for start, end, line in furniture:
            s, e = _line_span(text, start, end)
            label = line.strip()
            shown = label if len(label) <= 40 else label[:37] + "..."
            spans.append((s, e, "B001", f"scraper furniture line ({shown!r})", True))
    if want_credit and any(hint in text for hint in _CREDIT_HINTS):
        credits = list(_CREDIT_LINE.finditer(text)) + list(_CREDIT_TAIL.finditer(text))
        if credits:
            if furniture:
                why = f"scraped copy (furniture line {furniture[0][2].strip()[:40]!r})"
            else:
                verdict = entities.assess(text, ctx)
                why = f"scraped copy (spun: {verdict.summary})" if verdict.spun else ""
            if why:
                for m in credits:
                    whole = m.re is _CREDIT_LINE
                    s, e = _line_span(text, m.start(), m.end()) if whole else m.span()
                    spans.append((s, e, "B002", f"wire credit line in a {why}", whole))
    if not spans:
        return []

    # overlapping removals merge into one edit, so none is lost to the pipeline's overlap rule
    merged: list[list] = []
    for s, e, rule, reason, whole in sorted(spans):
        if whole:
            s, e = _without_holes(text, s, e)
        if merged and s < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], e)
            if reason not in last[3]:
                last[3] = f"{last[3]}; {reason}"
        else:
            merged.append([s, e, rule, reason])
    return [Edit(s, e, "", rule, reason) for s, e, rule, reason in merged]
