"""How findings are shown: check lines, unified diffs and the JSON report.

A check line is ``path:line:col: RULE "before" → "after" (reason)``. ``before`` and
``after`` are quoted so a removed space is visible, and invisible characters are spelled
out, because the invisible-character and no-break-space rules are otherwise unreadable.

>>> from wireclean.fix import Change
>>> c = Change("S003", 9, 11, "bombs ,", "bombs,", "space before a comma")
>>> check_line("a.txt", Finding(2, 5, c))
'a.txt:2:5: S003 "bombs ," → "bombs," (space before a comma)'
>>> show("no\\u00a0break\\u200b")
'"no\\\\u00a0break\\\\u200b"'
"""

from __future__ import annotations

import difflib
import unicodedata
from typing import Iterator

from .base import Finding

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_HIDDEN = {"Cc", "Cf", "Zl", "Zp", "Zs", "Co", "Cn", "Cs"}


def show(s: str) -> str:
    """``s`` in double quotes with escapes for anything that would not be visible."""
    out = []
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch != " " and unicodedata.category(ch) in _HIDDEN:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def check_line(path: str, finding: Finding) -> str:
    c = finding.change
    return (f"{path}:{finding.line}:{finding.col}: {c.rule} {show(c.before)} → "
            f"{show(c.after)} ({c.reason})")


def finding_json(finding: Finding) -> dict:
    c = finding.change
    return {"rule": c.rule, "line": finding.line, "col": finding.col, "start": c.start,
            "end": c.end, "before": c.before, "after": c.after, "reason": c.reason}


def unified_diff(path: str, old: str, new: str) -> str:
    """A unified diff of two texts (lines split on ``\\n`` only, as the positions are).

    >>> print(unified_diff("a.txt", "one\\ntwo", "one\\n2"), end="")
    --- a.txt
    +++ a.txt
    @@ -1,2 +1,2 @@
     one
    -two
    \\ No newline at end of file
    +2
    \\ No newline at end of file
    """
    out = []
    for line in difflib.unified_diff(_split(old), _split(new), path, path, lineterm="\n"):
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def _split(text: str) -> list[str]:
    return list(_iter_lines(text))


def _iter_lines(text: str) -> Iterator[str]:
    pos = 0
    while pos < len(text):
        end = text.find("\n", pos)
        if end < 0:
            yield text[pos:]
            return
        yield text[pos:end + 1]
        pos = end + 1
