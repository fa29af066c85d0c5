"""What every file format shares: the error type, a finding, and offset -> line:col.

A *finding* is one :class:`~wireclean.fix.Change` placed in its file: ``line`` and ``col``
are 1-based. For plain text and Markdown they are the line and the column (in characters)
of ``change.start`` in the original file. For JSONL and CSV records ``line`` is the file
line on which the record starts and ``col`` is the 1-based character position of the
change inside the decoded text field; ``change.start``/``end`` index that field's value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Protocol, Sequence

from ..fix import Change, FixResult


class InputError(Exception):
    """A problem with the user's input: reported as ``PATH[:LINE]: message``, exit 2."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


class SupportsFix(Protocol):
    """What the readers need from a fixer (:class:`wireclean.Fixer` provides it)."""

    def fix_and_explain(self, text: str, frozen: Sequence[tuple[int, int]] = ...) -> FixResult: ...


@dataclass(frozen=True)
class Finding:
    line: int
    col: int
    change: Change


@dataclass
class Fixed:
    """A document after fixing: its new text and where each change was found."""

    text: str
    findings: list[Finding] = field(default_factory=list)


def line_cols(text: str, offsets: Iterable[int]) -> list[tuple[int, int]]:
    """1-based (line, column) of each offset; ``offsets`` must be ascending.

    Counts only ``\\n`` as a line break, so CRLF files number lines as editors do. One
    pass over the text however many offsets there are, so a 100 MB line stays linear.

    >>> line_cols("ab\\r\\ncd\\nef", [0, 4, 8])
    [(1, 1), (2, 1), (3, 2)]
    """
    out: list[tuple[int, int]] = []
    line, line_start, pos = 1, 0, 0
    for off in offsets:
        breaks = text.count("\n", pos, off)
        if breaks:
            line += breaks
            line_start = text.rfind("\n", pos, off) + 1
        pos = off
        out.append((line, off - line_start + 1))
    return out


def place(text: str, changes: Sequence[Change]) -> list[Finding]:
    """Findings for changes whose offsets index ``text`` (a whole text or Markdown file)."""
    order = sorted(changes, key=lambda c: (c.start, c.end))
    return [Finding(line, col, c)
            for (line, col), c in zip(line_cols(text, [c.start for c in order]), order)]
