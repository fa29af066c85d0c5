"""Run the fix passes in order and report every change in the input's coordinates.

Each pass looks at the whole (partly fixed) text and returns :class:`Edit` objects in that
text's coordinates. The pipeline applies them and keeps each pass's edits, so any position
can be mapped back to the original input: ``Change.start``/``end`` always index the text
the caller passed in, and ``Change.before == input[start:end]``.

>>> r = fix_and_explain("Iran and Russian Federation are allies of the USA -led bloc.")
>>> r.text
'Iran and Russia are allies of the U.S.-led bloc.'
>>> [(c.rule, c.before, c.after) for c in r.changes]
[('N001', 'Russian Federation', 'Russia'), ('N002', 'USA -', 'U.S.-')]
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable, Sequence

from . import boilerplate, encoding, entities, spacing
from .edits import Edit, apply_edits
from .registry import DEFAULT_RULES, select_rules

STYLES = ("auto", "ap", "reuters", "guardian")


@dataclass(frozen=True)
class Change:
    """One change, in the coordinates of the original input.

    ``before`` is exactly ``input[start:end]``; ``after`` is what that span became.
    """

    rule: str
    start: int
    end: int
    before: str
    after: str
    reason: str


@dataclass
class FixResult:
    text: str
    changes: list[Change] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


@dataclass(frozen=True)
class Context:
    """What every pass may consult. Built once per :class:`Fixer`, shared by all documents."""

    style: str = "auto"
    rules: frozenset[str] = DEFAULT_RULES
    protected: tuple[str, ...] = ()  # extra protected names, on top of rules/protected.toml

    def enabled(self, *rule_ids: str) -> bool:
        return any(r in self.rules for r in rule_ids)


Pass = Callable[[str, Context], list[Edit]]

# Order matters: encoding first (a homoglyph or mojibake hides every later pattern),
# boilerplate before entities (furniture lines are not evidence of anything), spacing last
# (entity restoration can itself leave "U.S. -led" spacing for it to close).
PASSES: tuple[tuple[str, Pass], ...] = (
    ("encoding", encoding.find_edits),
    ("boilerplate", boilerplate.find_edits),
    ("entities", entities.find_edits),
    ("spacing", spacing.find_edits),
)


class _Applied:
    """The edits one pass applied, with their output positions, for mapping positions."""

    __slots__ = ("edits", "in_starts", "out_starts", "out_ends")

    def __init__(self, edits: list[Edit]):
        self.edits = edits
        self.in_starts = [e.start for e in edits]
        self.out_starts: list[int] = []
        self.out_ends: list[int] = []
        delta = 0
        for e in edits:
            s = e.start + delta
            self.out_starts.append(s)
            self.out_ends.append(s + len(e.after))
            delta += len(e.after) - (e.end - e.start)

    def back(self, p: int, is_end: bool) -> int:
        """Map position ``p`` of this pass's output to its input.

        A position inside a replacement maps to the edge of what was replaced: a span's
        start to the edit's start, its end to the edit's end, so spans only ever widen.
        """
        i = bisect_right(self.out_starts, p) - 1
        if i < 0:
            return p
        e, s, t = self.edits[i], self.out_starts[i], self.out_ends[i]
        if p >= t:
            return e.end + (p - t)
        return e.end if is_end and p > s else e.start

    def forward(self, p: int, is_end: bool) -> int:
        """Map position ``p`` of this pass's input to its output (the inverse widening)."""
        i = bisect_right(self.in_starts, p) - 1
        if i < 0:
            return p
        e = self.edits[i]
        if p > e.end or (p == e.end and e.start < e.end):
            return self.out_ends[i] + (p - e.end)
        return self.out_ends[i] if is_end and (p > e.start or e.start == e.end) else self.out_starts[i]


def _clean(edits: Iterable[Edit], text: str) -> list[Edit]:
    """Sort, drop no-ops and drop edits that overlap an earlier one (first wins)."""
    out: list[Edit] = []
    last_end = -1
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        if text[e.start:e.end] == e.after:
            continue
        if e.start < last_end:
            continue
        out.append(e)
        last_end = e.end
    return out


class Fixer:
    """A configured normalizer: build once, call on many documents.

    >>> Fixer(style="guardian").fix("the USA -backed forces and a US envoy")
    'the US-backed forces and a US envoy'
    """

    def __init__(self, style: str = "auto", *, select: Sequence[str] | None = None,
                 ignore: Sequence[str] | None = None, extend_select: Sequence[str] | None = None,
                 protected: Sequence[str] = ()):
        if style not in STYLES:
            raise ValueError(f"unknown style {style!r}: choose one of {', '.join(STYLES)}")
        self.context = Context(style=style,
                               rules=select_rules(select, ignore, extend_select),
                               protected=tuple(protected))

    def fix(self, text: str) -> str:
        return self.fix_and_explain(text).text

    def fix_and_explain(self, text: str, frozen: Sequence[tuple[int, int]] = ()) -> FixResult:
        """Fix ``text``; never edit inside the ``frozen`` spans (input offsets)."""
        ctx = self.context
        frozen = _merged(frozen)
        history: list[_Applied] = []
        changes: list[Change] = []
        current = text
        for family, run in PASSES:
            if not any(r in ctx.rules for r in _FAMILY_RULES[family]):
                continue
            edits = [e for e in run(current, ctx) if e.rule in ctx.rules]
            if not edits:
                continue
            kept: list[Edit] = []
            for e in _clean(edits, current):
                start = _back(history, e.start, False)
                end = _back(history, e.end, True)
                if frozen and _touches(frozen, start, end):
                    continue
                kept.append(e)
                fs, fe = _forward(history, start, False), _forward(history, end, True)
                after = current[fs:e.start] + e.after + current[e.end:fe]
                changes.append(Change(e.rule, start, end, text[start:end], after, e.reason))
            if kept:
                current = apply_edits(current, kept)
                history.append(_Applied(kept))
        changes.sort(key=lambda c: (c.start, c.end))
        return FixResult(current, changes)


def _back(history: list[_Applied], p: int, is_end: bool) -> int:
    for applied in reversed(history):
        p = applied.back(p, is_end)
    return p


def _forward(history: list[_Applied], p: int, is_end: bool) -> int:
    for applied in history:
        p = applied.forward(p, is_end)
    return p


def _merged(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _touches(frozen: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    """Does [start, end) overlap a frozen span? ``frozen`` is sorted and non-overlapping."""
    # Only the last span starting before ``end`` can overlap: a large Markdown file has
    # thousands of frozen spans, and every edit asks.
    i = bisect_right(frozen, (end, -1)) - 1
    if i < 0:
        return False
    a, b = frozen[i]
    return (start < b and a < end) or (start == end and a < start < b)


def _family_rules() -> dict[str, frozenset[str]]:
    from .registry import RULES
    out: dict[str, set[str]] = {}
    for r in RULES.values():
        out.setdefault(r.family, set()).add(r.id)
    return {k: frozenset(v) for k, v in out.items()}


_FAMILY_RULES = _family_rules()


@lru_cache(maxsize=16)
def _cached_fixer(style: str) -> Fixer:
    return Fixer(style=style)


def fix_and_explain(text: str, style: str = "auto", *, select: Sequence[str] | None = None,
                    ignore: Sequence[str] | None = None,
                    protected: Sequence[str] = ()) -> FixResult:
    """Fix ``text`` and list every change (rule, offsets into ``text``, before, after, reason)."""
    if select is None and ignore is None and not protected:
        fixer = _cached_fixer(style)
    else:
        fixer = Fixer(style, select=select, ignore=ignore, protected=protected)
    return fixer.fix_and_explain(text)


def fix(text: str, style: str = "auto", **options) -> str:
    """Fix ``text`` and return the result; see :func:`fix_and_explain`."""
    return fix_and_explain(text, style, **options).text
