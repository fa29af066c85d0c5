"""Spin detection and entity restoration (rules N001-N004).

Content farms run wire copy through an automatic rewriter (a "spinner") that swaps
"Russia" for "Russian Federation" and "U.S." for "USA", and glues "U.S.-led" back together
as "USA -led". This pass first decides, for the *whole document*, whether it was spun, from
evidence listed in ``rules/entities.toml``; only then does it restore the wire forms. A
document without evidence keeps every name it has, and protected names
(``rules/protected.toml`` plus the user's own) are never touched, spun or not.

The verdict: a document is spun on one strong signal or on two different medium ones.

- strong: S1 "USA -led" (no legitimate text writes it), S2 an article-less "Russian
  Federation" in running text, S3 the same sentence twice with the entity swapped
- medium: S4 scraper furniture, S5 "USA official" beside "U.S."/"US" (strong from two
  on), S6 "Russian Federation" beside a bare "Russia"/"Russia's", S8 "the us president"
- TASS/Xinhua/KCNA/UN markers, and a long-form house style that never writes a bare
  "Russia", cancel S2, S5 and S6 (not S1: "USA -led" is the spinner's alone)

Restoration then covers the whole document: N001 "Russian Federation" -> "Russia" (quoted
and possessive too), N002 "USA -led" -> "U.S.-led", N003 "USA" -> "U.S.", N004 "the us
president" -> "the U.S. president". "U.S." or "US" follows ``ctx.style``, or under "auto"
the document's own majority ("U.S." on a tie or when it has neither).

>>> from wireclean.fix.pipeline import Context
>>> text = "Iran and Russian Federation back the USA -led talks, Russia’s envoy said."
>>> [(e.rule, text[e.start:e.end], e.after) for e in find_edits(text, Context())]
[('N001', 'Russian Federation', 'Russia'), ('N002', 'USA -', 'U.S.-')]
>>> find_edits("The Russian Federation told USA Today that Team USA may stay.", Context())
[]
>>> assess("A USA official said Russian Federation has gone too far.", Context()).summary
"article-less 'Russian Federation' x1"
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Iterable

from .edits import Edit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    from .pipeline import Context


def load_table(name: str) -> dict:
    """Read ``rules/<name>`` shipped with the package."""
    with resources.files("wireclean.fix").joinpath("rules").joinpath(name).open("rb") as f:
        return tomllib.load(f)


_TABLE = load_table("entities.toml")
PROTECTED_NAMES: tuple[str, ...] = tuple(load_table("protected.toml")["names"])


def _words(key: str, section: str) -> str:
    return "|".join(re.escape(w) for w in sorted(_TABLE[section][key], key=len, reverse=True))


# --- patterns ----------------------------------------------------------------------------

# Anything this pass could act on; most news has none of these and costs a few `in` tests.
_GATE_LITERALS = ("Federation", "USA", "he us ")
_US_COMPOUND_GATE = re.compile(r"us[ \t]*-")  # a literal prefix: as cheap as an `in` test

_RUSSIAN_FEDERATION = re.compile(r"\bRussian Federation\b")
_INSTITUTION_AFTER = re.compile(r"[ \t]+(?:%s)\b" % _words("institution_words", "russian_federation"))
# Any capitalized word after it, in running text, makes a name ("Russian Federation Foreign
# Ministry"), except a day or a month ("Russian Federation Tuesday signed ...").
_CAPITALIZED_WORD_AFTER = re.compile(r"[ \t]+(?!(?:%s)\b)[A-Z]" % _words("not_names", "russian_federation"))
_LONG_WORD = re.compile(r"[^\W\d_]{4,}")
_TITLE_CASE_SMALL_WORDS = frozenset({"with", "from", "into", "over", "upon", "onto", "than",
                                     "amid", "near", "past", "like", "after", "about"})
_DETERMINER_BEFORE = re.compile(
    r"(?:^|[^\w])(?:%s)\s+$" % _words("determiners", "russian_federation"), re.IGNORECASE)
# "Russian Federation | 12.3", "Russian Federation: 140", a tab-separated row: a table cell
_TABLE_CELL_AFTER = re.compile(r"[ \t]*[|\t]|:?[ \t]+[-+]?\d|,[ \t]*\d|:[ \t]*$", re.MULTILINE)
_OFFICIAL_SENTENCE = "of the Russian Federation"
# what a list item holds besides the name: "- Russian Federation;"
_LIST_ITEM_LEFTOVER = re.compile(r"Russian Federation|[\W\d_]+")
_BARE_RUSSIA = re.compile(r"\bRussia\b(?:['’]s\b)?")

_USA = re.compile(r"\bUSA\b")
_USA_COMPOUND = re.compile(r"[ \t]+-(?=[a-z])")  # right after "USA": the spinner's "USA -led"
_USA_ADJECTIVE_AFTER = re.compile(r"[ \t]+(?:%s)\b" % _words("adjectival_nouns", "usa"))
_TITLE_AFTER = re.compile(r"[ \t]+(?:%s)\b" % _words("title_words", "usa"))
_CAPITALIZED_AFTER = re.compile(r"[ \t]+[A-Z]")
_CAPITALIZED_BEFORE = re.compile(r"(?:^|[^\w’'.-])([A-Z][\w&’'.-]*)[ \t]+$")
_SENTENCE_OPENERS = frozenset(_TABLE["usa"]["sentence_openers"])
_NUMBER_AFTER = re.compile(r":?[ \t]*\d")
_NUMBER_BEFORE = re.compile(r"\d\.?[ \t]+$")
_REPEATED_AFTER = re.compile(r",?[ \t]+USA\b")
_REPEATED_BEFORE = re.compile(r"\bUSA,?[ \t]+$")

# "us-led", and "us -led" too: the spacing pass, which runs later, would close it up
_LOWERCASE_US = re.compile(
    r"(?<=\b[Tt]he )us(?= (?:%s)\b)|(?<![\w/.@#-])us(?=[ \t]*-(?:%s)\b(?![/\w]|[-.]\w))"
    % (_words("adjectival_nouns", "usa"), _words("compound_suffixes", "lowercase_us")))

_US_DOTTED = re.compile(r"(?<![\w.])U\.S\.(?!A\b|A\.)")
_US_PLAIN = re.compile(r"\bUS\b(?![$\w])")
_WORD_BEFORE = re.compile(r"([A-Za-z]+)[^A-Za-z\n]{0,3}$")
_WORD_AFTER = re.compile(r"[^A-Za-z\n]{0,3}([A-Za-z]+)")

_ENTITY_WORDS = re.compile(r"USA|U\.S\.|\bUS\b|Russian Federation|Russia|\bus\b")
_QUOTE_MARKS = re.compile(r"[\"“”«»„]")

_SOURCE_MARKERS = tuple(_TABLE["suppressors"]["source_markers"])
_LONG_FORMS = re.compile(
    "|".join(re.escape(f) for f in _TABLE["suppressors"]["official_long_forms"]), re.IGNORECASE)

_STYLE_FORMS: dict[str, str] = dict(_TABLE["style"])

# Sentences for S3: split after . ! ? (not after the "U.S." abbreviation) before a capital
_SENTENCE_BREAK = re.compile(r"(?<=[.!?”\"])(?<!U\.S\.)\s+(?=[“\"A-Z])")
_ENTITY_FORM = re.compile(r"(?<![\w.])(?=[UR])(?:USA\b|U\.S\.(?!A)|US\b|United States\b"
                          r"|Russian Federation\b|Russia\b)")
# S3 compares every sentence with every other: past this size a text is a corpus, not an
# article, and the other signals decide alone.
_S3_MAX_CHARS = 1_000_000
_CANON_WORD = re.compile(r"\w+")


# --- protected names ---------------------------------------------------------------------

_SPACE, _APOSTROPHE = " ", "'"


def _units(name: str) -> list[str]:
    """A name as matching units: lower-case characters, one space per run, one apostrophe."""
    units: list[str] = []
    for ch in name.strip().lower():
        if ch.isspace():
            if units[-1:] != [_SPACE]:
                units.append(_SPACE)
        else:
            units.append(_APOSTROPHE if ch in "'’" else ch)
    return units


def _trie_pattern(names: Iterable[str]) -> str:
    """One regular expression for many names, shaped as a trie.

    A flat alternation of a hundred names tries every name at every position; a trie
    rejects a position after a character or two. Longer names win over their prefixes
    ("USA TODAY Sports" over "USA Today"), and a name ending in a letter must end a word.
    """
    root: dict = {}
    for name in names:
        node = root
        for unit in _units(name):
            node = node.setdefault(unit, {})
        node[""] = True                                # a name ends here

    def emit(node: dict, last: str) -> str:
        branches = []
        for unit, child in sorted(node.items()):
            if unit == "":
                continue
            piece = r"\s+" if unit == _SPACE else "['’]" if unit == _APOSTROPHE else re.escape(unit)
            branches.append(piece + emit(child, unit))
        if "" in node:                                 # the shorter name, tried last
            branches.append(r"(?!\w)" if re.match(r"\w", last) else "")
        return branches[0] if len(branches) == 1 else "(?:%s)" % "|".join(branches)

    # checking "not inside a word" once, first, rejects most positions in one step
    word_start = {u: c for u, c in root.items() if re.match(r"\w", u)}
    other = {u: c for u, c in root.items() if u and not re.match(r"\w", u)}
    parts = []
    if word_start:
        parts.append(r"(?<!\w)" + emit(word_start, ""))
    if other:
        parts.append(emit(other, ""))
    return "|".join(parts) if parts else "(?!)"


@lru_cache(maxsize=32)
def _protected_pattern(extra: tuple[str, ...]) -> tuple[re.Pattern[str], int]:
    """One pattern for every protected name, and how far a match can reach."""
    names = {n.strip() for n in PROTECTED_NAMES + extra if n.strip()}
    longest = max((len(n) for n in names), default=0)
    return re.compile(_trie_pattern(names), re.IGNORECASE), longest + 8


class _Protected:
    """Answers "does this span touch a protected name?" by looking only around the span.

    Running the (long, case-blind) name pattern over a whole document costs far more than
    the rest of the pass; looking in a window around each candidate costs next to nothing.
    """

    def __init__(self, text: str, extra: tuple[str, ...]):
        self.text = text
        self.pattern, self.reach = _protected_pattern(extra)

    def touches(self, start: int, end: int) -> bool:
        lo, hi = max(0, start - self.reach), min(len(self.text), end + self.reach)
        return any(m.start() < end and m.end() > start
                   for m in self.pattern.finditer(self.text, lo, hi))


# --- evidence ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Assessment:
    """The pass's verdict on one document, with the evidence behind it.

    ``signals`` counts each kind of evidence (S1 ... S8, see ``rules/entities.toml``);
    ``summary`` says it in words for a Change's reason.
    """

    spun: bool
    signals: dict
    summary: str


_NOT_SPUN = Assessment(False, {}, "")
_STRONG = ("S1", "S2", "S3")
_MEDIUM = ("S4", "S5", "S6", "S8")


@dataclass
class _Scan:
    """Everything found in one document, shared by the verdict and the edits."""

    text: str
    protected: _Protected
    federation: list[tuple[int, int, bool]]      # restorable "Russian Federation": start, end, counts as S2
    compounds: list[tuple[int, int]]             # "USA -" spans (S1)
    usa: list[tuple[int, int, bool]]             # restorable "USA": start, end, adjectival
    lowercase_us: list[tuple[int, int]]          # "us" in "the us president", "us-led"
    bare_russia: str                             # first bare "Russia"/"Russia’s" seen, or ""
    dotted: int                                  # "U.S." count
    plain: int                                   # "US" count
    suppressed: str                              # why S2/S5/S6 do not count, or ""


def _gate(text: str) -> bool:
    return any(lit in text for lit in _GATE_LITERALS) or _US_COMPOUND_GATE.search(text) is not None


def _line_index(text: str) -> list[int]:
    return [m.start() for m in re.finditer("\n", text)]


def _line_bounds(newlines: list[int], n: int, pos: int) -> tuple[int, int]:
    i = bisect_left(newlines, pos)
    start = newlines[i - 1] + 1 if i > 0 else 0
    end = newlines[i] if i < len(newlines) else n
    return start, end


def _mostly_capitals(line: str) -> bool:
    """An all-capitals headline. The entity words do not count: restoring them must not
    change the verdict on a second run."""
    letters = [c for c in _ENTITY_WORDS.sub(" ", line) if c.isalpha()]
    return len(letters) >= 12 and sum(c.isupper() for c in letters) >= 0.6 * len(letters)


def _title_case(text: str, line_start: int, line_end: int) -> bool:
    """Whether the line is a title-case headline, where capitals say nothing about names.

    Every word of four letters or more is capitalized, small prepositions aside. The
    entity words themselves do not count, so restoring "Russia" never changes the verdict
    on a second run. Headlines are short.
    """
    if line_end - line_start > 200:
        return False
    words = [w for w in _LONG_WORD.findall(text, line_start, line_end)
             if w not in ("Russia", "Russian", "Federation")]
    return len(words) >= 3 and all(w[0].isupper() or w in _TITLE_CASE_SMALL_WORDS for w in words)


def _usa_is_name(text: str, s: int, e: int, line_start: int, line_end: int) -> bool:
    """True where "USA" is part of a name, a code or a chant rather than the country."""
    before = text[max(0, s - 40):s]
    after = text[e:e + 40]
    prev, nxt = before[-1:], after[:1]
    if prev and prev in "#@/._=&+-":
        return True                                   # "#USA", "www.USA", "pro-USA"
    if prev == "(" and nxt == ")":
        return True                                   # "Savante Stringfellow (USA)"
    if nxt and nxt in "@/_!":
        return True                                   # "USA!" chants, handles, paths
    if re.match(r"\.\w|-\d", after):
        return True                                   # "USA.gov", "USA-2"
    if _NUMBER_AFTER.match(after) or _NUMBER_BEFORE.search(before):
        return True                                   # "USA 107, ESP 100"
    if _REPEATED_AFTER.match(after) or _REPEATED_BEFORE.search(before):
        return True                                   # "USA, USA"
    capital_after = _CAPITALIZED_AFTER.match(after) and not _TITLE_AFTER.match(after)
    capital_before = _CAPITALIZED_BEFORE.search(before)
    if capital_before and capital_before.group(1) in _SENTENCE_OPENERS:
        capital_before = None
    if not (capital_after or capital_before):
        return False
    if _title_case(text, line_start, line_end):
        # in a title-case headline capitals say nothing: "Moscow Expels USA Diplomats"
        return not _USA_ADJECTIVE_AFTER.match(after.lower())
    return True                                       # "USA Eagles", "Chevron USA"


def _scan(text: str, ctx: Context) -> _Scan:
    protected = _Protected(text, tuple(ctx.protected))
    n = len(text)
    newlines: list[int] | None = None
    quotes: list[int] | None = None

    federation: list[tuple[int, int, bool]] = []
    if "Russian Federation" in text:
        newlines = _line_index(text)
        quotes = [m.start() for m in _QUOTE_MARKS.finditer(text)]
        official_lines = {bisect_left(newlines, m.start()) for m in re.finditer(_OFFICIAL_SENTENCE, text)}
        for m in _RUSSIAN_FEDERATION.finditer(text):
            s, e = m.span()
            if protected.touches(s, e) or _INSTITUTION_AFTER.match(text, e):
                continue
            line_start, line_end = _line_bounds(newlines, n, s)
            if _CAPITALIZED_WORD_AFTER.match(text, e) and not _title_case(text, line_start, line_end):
                continue
            if _DETERMINER_BEFORE.search(text[max(0, s - 30):s]):
                continue
            if text[s - 1:s] in ("(", "/") or text[e:e + 1] in (")", "/") or text[e:e + 2] == " (":
                continue                              # a gloss: "Russia (Russian Federation)"
            in_quote = (bisect_left(quotes, s) - bisect_left(quotes, line_start)) % 2 == 1
            # "Russian Federation officials" may be an official style's own adjective: in a
            # spun document it goes back to "Russia officials", but it proves nothing
            evidence = not (in_quote
                            or _USA_ADJECTIVE_AFTER.match(text, e)
                            or bisect_left(newlines, s) in official_lines
                            or _TABLE_CELL_AFTER.match(text, e)
                            or text[max(line_start, s - 2):s].strip(" \t") in ("|",)
                            or text[s - 1:s] == "\t"
                            or line_end - line_start < 80
                            and not _LIST_ITEM_LEFTOVER.sub("", text[line_start:line_end]).strip())
            federation.append((s, e, evidence))

    compounds: list[tuple[int, int]] = []
    usa: list[tuple[int, int, bool]] = []
    if "USA" in text:
        if newlines is None:
            newlines = _line_index(text)
        for m in _USA.finditer(text):
            s, e = m.span()
            if protected.touches(s, e):
                continue
            compound = _USA_COMPOUND.match(text, e)
            if compound:
                compounds.append((s, compound.end()))
                continue
            ls, le = _line_bounds(newlines, n, s)
            if _usa_is_name(text, s, e, ls, le):
                continue
            if _mostly_capitals(text[max(ls, s - 60):min(le, e + 60)]):
                continue                              # an all-capitals headline says nothing
            usa.append((s, e, bool(_USA_ADJECTIVE_AFTER.match(text, e))))

    lowercase_us = [m.span() for m in _LOWERCASE_US.finditer(text)
                    if not protected.touches(*m.span())] if ("he us " in text or _US_COMPOUND_GATE.search(text)) else []

    bare = _BARE_RUSSIA.search(text)
    dotted = len(_US_DOTTED.findall(text)) if "U.S." in text else 0
    plain = _count_plain_us(text) if "US" in text else 0

    suppressed = ""
    marker = next((mk for mk in _SOURCE_MARKERS if mk in text), "")
    if marker:
        suppressed = f"a {marker!r} source marker"
    elif not bare and federation:
        long_form = _LONG_FORMS.search(text)
        if long_form:
            suppressed = f"long-form house style ({long_form.group()!r}, no bare 'Russia')"

    return _Scan(text, protected, federation, compounds, usa, lowercase_us,
                 bare.group() if bare else "", dotted, plain, suppressed)


def _count_plain_us(text: str) -> int:
    """Count "US" meaning the country; skip it inside all-capitals runs ("LET US KNOW")."""
    count = 0
    for m in _US_PLAIN.finditer(text):
        s, e = m.span()
        prev = _WORD_BEFORE.search(text, max(0, s - 20), s)
        nxt = _WORD_AFTER.match(text, e, e + 20)
        neighbours = [w.group(1) for w in (prev, nxt) if w]
        if neighbours and all(w.isupper() and len(w) > 1 for w in neighbours):
            continue
        count += 1
    return count


def _duplicate_sentences(scan: _Scan) -> int:
    """S3: the same sentence twice, once with a spun form and once with the wire form."""
    text = scan.text
    seen: dict[str, set[tuple[str, ...]]] = {}
    hits = 0
    offset = 0
    for line in text.split("\n"):
        if "USA" in line or "Russia" in line or "U.S" in line or "US" in line or "United States" in line:
            pos = 0
            for sentence in _SENTENCE_BREAK.split(line):
                pos = line.find(sentence, pos)
                forms: list[str] = []

                def canon(m: re.Match[str], base: int = offset + pos) -> str:
                    if scan.protected.touches(base + m.start(), base + m.end()):
                        return m.group()
                    g = m.group()
                    forms.append(g)
                    return " zzru " if g.startswith("Russia") else " zzus "

                key_text = _ENTITY_FORM.sub(canon, sentence)
                if forms:
                    words = _CANON_WORD.findall(key_text.lower())
                    if len(words) >= 6:
                        variants = seen.setdefault(" ".join(words), set())
                        variants.add(tuple(forms))
                        if len(variants) == 2 and any(
                                f in ("USA", "Russian Federation") for v in variants for f in v):
                            hits += 1
                pos += len(sentence)
        offset += len(line) + 1
    return hits


def _assess_scan(scan: _Scan) -> Assessment:
    signals: dict[str, int] = {}
    if scan.compounds:
        signals["S1"] = len(scan.compounds)
    if not scan.suppressed:
        s2 = sum(1 for *_, ev in scan.federation if ev)
        if s2:
            signals["S2"] = s2
        if scan.federation and scan.bare_russia:
            signals["S6"] = len(scan.federation)
        if scan.dotted or scan.plain:
            s5 = sum(1 for *_, adjectival in scan.usa if adjectival)
            if s5:
                signals["S5"] = s5
    if ((scan.usa or scan.federation) and (scan.dotted or scan.plain or scan.bare_russia)
            and len(scan.text) <= _S3_MAX_CHARS):
        s3 = _duplicate_sentences(scan)
        if s3:
            signals["S3"] = s3
    if scan.lowercase_us:
        signals["S8"] = len(scan.lowercase_us)
    if signals and not any(k in signals for k in _STRONG):
        from . import boilerplate  # here, not at import time: boilerplate imports this module
        furniture = boilerplate.furniture_lines(scan.text)
        if furniture:
            signals["S4"] = len(furniture)
    # One adjectival "USA" beside "U.S." may be a non-native writer; two are a rewriter's
    # habit: wire copy never mixes the forms, so repetition turns S5 into proof.
    spun = (any(k in signals for k in _STRONG) or signals.get("S5", 0) >= 2
            or sum(k in signals for k in _MEDIUM) >= 2)
    return Assessment(spun, signals, _describe(signals, scan))


def _describe(signals: dict[str, int], scan: _Scan) -> str:
    parts = []
    if "S1" in signals:
        s, e = scan.compounds[0]
        word = re.match(r"[a-z]+", scan.text[e:e + 20])
        parts.append(f"'USA -{word.group() if word else ''}' x{signals['S1']}")
    if "S2" in signals:
        beside = f" beside {scan.bare_russia!r}" if "S6" in signals else ""
        parts.append(f"article-less 'Russian Federation' x{signals['S2']}{beside}")
    elif "S6" in signals:
        parts.append(f"'Russian Federation' x{signals['S6']} beside {scan.bare_russia!r}")
    if "S3" in signals:
        parts.append(f"the same sentence with the entity swapped x{signals['S3']}")
    if "S5" in signals:
        other = "/".join(f for f, n in (("'U.S.'", scan.dotted), ("'US'", scan.plain)) if n)
        parts.append(f"adjectival 'USA' x{signals['S5']} beside {other}")
    if "S8" in signals:
        parts.append(f"lower-case 'us' for the country x{signals['S8']}")
    if "S4" in signals:
        parts.append(f"scraper furniture x{signals['S4']}")
    return ", ".join(parts)


def assess(text: str, ctx: Context) -> Assessment:
    """Decide whether ``text`` was run through a spinner, and on what evidence."""
    if not _gate(text):
        return _NOT_SPUN
    return _assess_scan(_scan(text, ctx))


# --- restoration -------------------------------------------------------------------------

def _us_form(scan: _Scan, style: str) -> tuple[str, str]:
    """The form of "U.S." to restore, and why."""
    forced = _STYLE_FORMS.get(style, "document")
    if forced != "document":
        return forced, f"{style} style"
    if scan.plain > scan.dotted:
        return "US", f"the document's own form: US x{scan.plain}, U.S. x{scan.dotted}"
    if scan.dotted:
        return "U.S.", f"the document's own form: U.S. x{scan.dotted}, US x{scan.plain}"
    return "U.S.", "no 'U.S.' or 'US' elsewhere"


def find_edits(text: str, ctx: Context) -> list[Edit]:
    """Edits restoring wire forms in a spun document; none in any other document."""
    if not _gate(text) or not ctx.enabled("N001", "N002", "N003", "N004"):
        return []
    scan = _scan(text, ctx)
    if not (scan.federation or scan.compounds or scan.usa or scan.lowercase_us):
        return []
    verdict = _assess_scan(scan)
    if not verdict.spun:
        return []

    evidence = f"spun document ({verdict.summary})"
    form, why = _us_form(scan, ctx.style)
    edits: list[Edit] = []
    for s, e, _ in scan.federation:
        edits.append(Edit(s, e, "Russia", "N001", f"{evidence}; restored 'Russia'"))
    for s, e in scan.compounds:
        edits.append(Edit(s, e, form + "-", "N002",
                          f"{evidence}; restored '{form}-' ({why})"))
    for s, e, adjectival in scan.usa:
        end = e
        if form.endswith(".") and text[e:e + 1] == "." and not re.match(r"\.[\w.]", text[e:e + 2]):
            end = e + 1                               # "in the USA." -> "in the U.S."
        use = "an adjective" if adjectival else "a noun"
        edits.append(Edit(s, end, form, "N003",
                          f"{evidence}; 'USA' as {use} restored to '{form}' ({why})"))
    for s, e in scan.lowercase_us:
        edits.append(Edit(s, e, form, "N004",
                          f"{evidence}; lower-case 'us' restored to '{form}' ({why})"))
    return edits
