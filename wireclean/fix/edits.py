"""The unit every fix pass produces, and how a list of them is applied.

Kept apart from the pipeline so that passes can import it at the top while the pipeline
imports the passes.

>>> apply_edits("say , hi", [Edit(3, 5, ",", "S003", "space before ,")])
'say, hi'
"""

from __future__ import annotations

from typing import NamedTuple, Sequence


class Edit(NamedTuple):
    """One replacement proposed by a pass, in the coordinates of the text the pass saw."""

    start: int
    end: int
    after: str
    rule: str
    reason: str


def apply_edits(text: str, edits: Sequence) -> str:
    """Apply sorted, non-overlapping edits (anything with ``start``, ``end``, ``after``)."""
    parts, pos = [], 0
    for e in edits:
        parts.append(text[pos:e.start])
        parts.append(e.after)
        pos = e.end
    parts.append(text[pos:])
    return "".join(parts)
