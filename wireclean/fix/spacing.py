"""The spacing pass (rules S001-S007): spaces that detokenizers, spinners and scrapers get wrong.

Every rule acts only where the text allows a single reading, and the pass never changes
line structure: it deletes spaces and tabs (never line breaks), inserts one space, or turns
a curly quote round. Quotes are never curled or straightened.

>>> from wireclean.fix.pipeline import fix
>>> fix("The Kremlin -backed group said it was “ severely limited . ”", select=["spacing"])
'The Kremlin-backed group said it was “severely limited.”'
>>> fix("Russia ’s envoy said the deal.Officials do n’t agree ( Reuters )", select=["spacing"])
'Russia’s envoy said the deal. Officials don’t agree (Reuters)'

What stays, on purpose: minus signs and dashes ("-5 degrees", "(Reuters) - "), ellipses,
".300 hitter", "rock ’n’ roll", "the ’90s", domains ("Banned.Video", "Amazon.com"),
initials ("J.R.R. Tolkien"), "No.1", times and scores ("10 : 30"), emoticons, and French
typography (a line with « guillemets » keeps its space before ; : ! ?).

>>> fix("Prices fell -0.3 percent (Reuters) - the ’90s .300 hitter J.R.R. Tolkien at Banned.Video",
...     select=["spacing"])
'Prices fell -0.3 percent (Reuters) - the ’90s .300 hitter J.R.R. Tolkien at Banned.Video'

Choices where the evidence runs out: straight single quotes are never paired (they are
apostrophes as often as quotes); a "?" before a lowercase word, or a text with "??" inside
words, is a character a decoder lost, not a question; lines that look like code (braces,
"==", "a ? b : c") or tables (runs of spaces) keep their spacing; a padded "( 1 )" list
marker is unpadded like any other parenthesis.

Speed: every scan is a pattern that starts with the mark it is about (",", ".", "(",
"’" ...) and checks the space before it by lookbehind, which the regex engine runs far
faster than a pattern starting with a space; single-character ``in`` tests skip absent
marks. Each context check looks a bounded distance away, and line-level checks are
remembered per block, so a 100 MB line costs time in proportion to its length.
"""

from __future__ import annotations

import re
import sys
from importlib import resources
from typing import TYPE_CHECKING, Iterable, Iterator

from .edits import Edit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    from .pipeline import Context


def _load_table() -> dict:
    with resources.files("wireclean.fix").joinpath("rules", "spacing.toml").open("rb") as f:
        return tomllib.load(f)


_TABLE = _load_table()


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


# A found edit before it becomes an Edit: (start, end, after, rule, reason).
Found = tuple

# Plain spaces and tabs are what detokenizers leave; a line break is structure, never touched.
_SPACE = " \t"
_LINE_BREAK = "\r\n"
_WINDOW = 200  # how far a context check may look
_TOKEN_WINDOW = 2000  # URLs run long; a token scan never crosses the previous space
_UPPER = "A-ZÀ-ÖØ-Þ"

# --- S001 hyphen compounds --------------------------------------------------------------

_SUFFIXES = _alternation(_TABLE["hyphen_compound"]["suffixes"])
_COMPOUND = re.compile(r"-(?<=[ \t]-)(%s)(?![\w-])" % _SUFFIXES)
_DASH_READING_AFTER = re.compile(r"[ \t]+by\b")  # "-led by Saudi Arabia" is a dash
_ABBREVIATION = re.compile(r"(?:[A-Za-z]\.){2,}")  # U.S. U.N. U.K. keep their final period

# --- S003 space before punctuation ------------------------------------------------------

# One pattern per mark, each starting with the mark itself: the regex engine then skips to
# the next "," at memchr speed, which a pattern starting with a space or a class cannot do.
_SPACED_MARK = {p: re.compile(r"%s(?<=[ \t]%s)" % (re.escape(p), re.escape(p))) for p in ",;:!?"}
_FRENCH_MARKS = re.compile("[«»]")
# Braces, operators, or a ternary "a ? b : c": a line of code, whose spacing is its own.
_CODE_LINE = re.compile(r"[{}]|==|!=|&&|\|\||=>|->|::|\);|[ \t]\?[ \t][^:?\n]*[ \t]:[ \t]")
_QUOTE_CHARS = "\"“”"
_CLOSING_AFTER_PUNCT = "\"“”’)]"

# --- S004 contractions ------------------------------------------------------------------

_contractions = _TABLE["contractions"]
_CONTRACTION = {
    a: re.compile(r"%s(?:(?<=[ \t]%s)(%s|t)|(?<=[ \t]n%s)(t))(?![\w’'-])"
                  % (a, a, _alternation(_contractions["suffixes"]), a))
    for a in "’'"}
_NT_SPLIT_STEMS = frozenset(w.lower() for w in _contractions["nt_split_stems"])
_NT_JOINED_STEMS = frozenset(w.lower() for w in _contractions["nt_joined_stems"])

# --- S005 padded parentheses ------------------------------------------------------------

_OPEN_PAD = re.compile(r"\((?=[ \t])")
_PAREN_MAY_FOLLOW = " \t\r\n([{“\"‘"  # "f( x )" (code) and ":-( " stay
_PAREN_TEXT_START = "\"'“‘$£€#*"
_PAREN_TEXT_END = ".,!?%\"'”’*"
_EMOTICON_PARTS = "_^"
_TABLE_ROW = re.compile(r"[^ \t\n][ ]{3,}|\t")

# --- S006 missing space after a sentence ------------------------------------------------

_sentence = _TABLE["sentence_space"]
_DOMAIN_WORDS = frozenset(w.lower() for w in _sentence["domain_words"])
_STARTERS = frozenset(_sentence["sentence_starters"])
# A period after a space (S003) or before a capital (S006); a ")" after a space (S005)
# or before a capital (S006): one scan each serves both rules.
_DOT = re.compile(r"\.(?:(?<=[ \t]\.)|(?<=[^\W\d_]{2}\.)(?=[%s]))" % _UPPER)
_CLOSE_PAREN = re.compile(r"\)(?:(?<=[ \t]\))|(?=[%s]))" % _UPPER)
_RIGHT_WORD = re.compile(r"[%s][^\W\d_]*" % _UPPER)
_RIGHT_WORD_END = re.compile(r"[ \t\r\n]|[,;:!?](?:\s|$)|$")
_NOT_BEFORE_WORD = "@/\\-._"
_URLISH = ("/", "@", "\\", "www", "http", "://", "=", "<", ">", "_")
_LETTER_DOT_LETTER = re.compile(r"[^\W\d_]\.[^\W\d_]")

# --- S002 / S007 quotes -----------------------------------------------------------------

_OPEN_QUOTE, _CLOSE_QUOTE, _STRAIGHT = "“", "”", '"'
_QUOTE_CANDIDATE = {
    # a spaced straight quote, one glued between a sentence end and a capital, or one
    # starting a line followed by a space
    '"': re.compile(r'"(?:(?<=[ \t]")(?=[ \t\r\n,.;:!?)\]}]|$)|(?<=[.!?,]")(?=[%s])'
                    r'|(?<=\n")(?=[ \t]))' % _UPPER),
    # “ before a space or a closing mark (a stray space, or it closes), or glued after a
    # sentence end
    "“": re.compile(r"“(?:(?=[\s.,;:!?)\]}…—–]|$)|(?<=[.!?]“)(?=[%s]))" % _UPPER),
    # ” after a space, or glued to a word (it opens, or misses the space after it)
    "”": re.compile(r"”(?:(?<=[ \t]”)|(?=[^\s.,;:!?)\]}…—–\"“”]))"),
}
_MARK = re.compile(r"[\"“”]")
_BLANK_LINE = re.compile(r"\n[ \t]*\r?\n")
_INDENTED_LINE = re.compile(r"\n(?=[ \t])")
_PARAGRAPH_SEPARATORS = {
    "blank": re.compile(r"\n(?:[ \t]*\r?\n)+"),
    "indented": _INDENTED_LINE,
    "lines": re.compile(r"\n"),
}
_OPEN_LEFT = frozenset(" \t\r\n([{<—–‘\u00a0")
_CLOSE_RIGHT = frozenset(".,;:!?)]}…—–")
_CLOSE_LEFT_EXTRA = frozenset(")]}%’")
_QUOTE_END_PUNCT = ",.!?…"
_QUOTE_RULES = frozenset({"S002", "S003", "S006", "S007"})


def find_edits(text: str, ctx: Context) -> list[Edit]:
    """Spacing repairs for ``text`` as non-overlapping :class:`Edit` objects.

    >>> from wireclean.fix.pipeline import Context
    >>> text = "the U.S. -led coalition , officials said"
    >>> [(e.rule, text[e.start:e.end], e.after) for e in find_edits(text, Context())]
    [('S001', ' ', ''), ('S003', ' ', '')]
    """
    rules = ctx.rules
    found: list[Found] = []
    dots = [m.start() for m in _DOT.finditer(text)] if "." in text else []
    parens = [m.start() for m in _CLOSE_PAREN.finditer(text)] if ")" in text else []
    punct = _punctuation_candidates(text, dots) if "S003" in rules else []
    quotes = None
    if not rules.isdisjoint(_QUOTE_RULES):
        candidates = _quote_candidates(text, punct)
        if candidates:
            quotes = _QuoteRoles(text, candidates)
            found += quotes.edits()
    if "S001" in rules and "-" in text:
        found += _hyphen_compounds(text)
    lines = _LineFlags(text)
    if punct:
        found += _space_before_punctuation(text, punct, quotes, lines)
    if "S004" in rules and ("'" in text or "’" in text):
        found += _contractions_split(text)
    if "S005" in rules and (parens or "(" in text):
        found += _padded_parentheses(text, parens, lines)
    if "S006" in rules:
        if dots:
            found += _missing_sentence_space(text, dots, ctx)
        if parens:
            found += _glued_after_parenthesis(text, parens, lines)
    if not found:
        return []

    found.sort(key=lambda e: (e[0], e[1]))
    edits: list[Edit] = []
    last_end = -1
    for start, end, after, rule, reason in found:
        if start < last_end or (start == end == last_end and edits and edits[-1].start == start):
            continue  # first wins, as in the pipeline; one space inserted at a point, not two
        if rule in rules:
            edits.append(Edit(start, end, after, rule, reason))
            last_end = end
    return edits


# --- helpers ----------------------------------------------------------------------------

class _LineFlags:
    """Does the line around a position look like code, French, or a table? Memoised.

    The check reads the line within a bounded window, and the answer is reused for every
    position of the same line and window block, so a long line costs time in proportion
    to its length however many candidates it holds.
    """

    def __init__(self, text: str):
        self.text = text
        self.last: dict[re.Pattern, tuple[tuple[int, int], bool]] = {}

    def has(self, pattern: re.Pattern, pos: int) -> bool:
        text = self.text
        block = pos // _WINDOW
        lo = max(0, (block - 1) * _WINDOW)
        hi = min(len(text), (block + 2) * _WINDOW)
        start = max(text.rfind("\n", lo, pos) + 1, lo)
        key = (start, block)
        last = self.last.get(pattern)
        if last is not None and last[0] == key:
            return last[1]
        end = text.find("\n", pos, hi)
        hit = pattern.search(text, start, end if end >= 0 else hi) is not None
        self.last[pattern] = (key, hit)
        return hit


def _token_before(text: str, pos: int) -> str:
    """The run of non-space characters ending at ``pos``."""
    lo = max(0, pos - _TOKEN_WINDOW)
    start = max(text.rfind(" ", lo, pos), text.rfind("\n", lo, pos), text.rfind("\t", lo, pos),
                text.rfind("\r", lo, pos)) + 1
    return text[max(start, lo):pos]


def _token_around(text: str, start: int, end: int) -> str:
    """The run of non-space characters containing ``text[start:end]``."""
    hi = min(len(text), end + _TOKEN_WINDOW)
    j = end
    while j < hi and not text[j].isspace():
        j += 1
    return _token_before(text, start) + text[start:j]


def _space_run_start(text: str, pos: int) -> int:
    """Where the run of spaces and tabs ending at ``pos`` begins."""
    while pos > 0 and text[pos - 1] in _SPACE:
        pos -= 1
    return pos


def _next_visible(text: str, pos: int) -> str:
    """The first character at or after ``pos`` that is not a space or tab ('' at the end)."""
    hi = min(len(text), pos + _WINDOW)
    while pos < hi and text[pos] in _SPACE:
        pos += 1
    return text[pos] if pos < len(text) else ""


def _word_before(text: str, pos: int, limit: int = 40) -> str:
    i = pos
    while i > 0 and pos - i < limit and text[i - 1].isalpha():
        i -= 1
    return text[i:pos]


# --- S001 -------------------------------------------------------------------------------

def _hyphen_compounds(text: str) -> Iterator[Found]:
    for m in _COMPOUND.finditer(text):
        start = _space_run_start(text, m.start())
        word = _token_before(text, start).lstrip("\"'“‘([")
        if not word or not (word[-1].isalpha() or _ABBREVIATION.fullmatch(word)):
            continue
        if _DASH_READING_AFTER.match(text, m.end()):
            continue
        yield (start, m.start(), "", "S001",
               f'space before the hyphen of the compound "{word}-{m.group(1)}"')


# --- S003 -------------------------------------------------------------------------------

def _punctuation_candidates(text: str, dots: list[int]) -> list[tuple[int, int, str]]:
    """(space run start, mark position, mark) for each space before , ; : ! ? or a period."""
    out = []
    for mark, pattern in _SPACED_MARK.items():
        if mark not in text:
            continue
        for m in pattern.finditer(text):
            p = m.start()
            end = p + 1
            if mark in "!?":
                while end < len(text) and text[end] in "!?":
                    end += 1
            out.append((_space_run_start(text, p), p, text[p:end]))
    for p in dots:
        if p > 0 and text[p - 1] in _SPACE:
            out.append((_space_run_start(text, p), p, "."))
    out.sort()
    return out


def _space_before_punctuation(text: str, candidates, quotes: _QuoteRoles | None,
                              lines: _LineFlags) -> Iterator[Found]:
    lost_marks = None  # does this text use "?" for characters a decoder could not map?
    for start, p, punct in candidates:
        if start == 0:
            continue
        left = text[start - 1]
        if left in _LINE_BREAK:
            continue
        if not (left.isalnum() or left in ")]}>%"):
            if left not in "\"“”’'" or not _is_closing_quote(text, start - 1, quotes):
                continue
        after = p + len(punct)
        nxt = text[after] if after < len(text) else ""
        if punct == ".":
            if not _ends_sentence(text, after, quotes):
                continue
        elif nxt and not nxt.isspace() and not (nxt in _CLOSING_AFTER_PUNCT
                                                and _closes(text, after, quotes)):
            continue  # "5 ,000", "up ;seven", ":-)"
        else:
            visible = _next_visible(text, after)
            if punct == ":" and (left.isdigit() and visible.isdigit() or visible in "()"):
                continue  # "10 : 30", "3 : 1", the emoticon ": )"
            if punct[0] in "!?":
                if visible and not (visible.isupper() or visible.isdigit()
                                    or visible in "\"“”‘'\r\n"):
                    continue  # "Cohn ? neither", "Trump ? @handle": a lost dash or symbol
                if "?" in punct:
                    if lost_marks is None:
                        lost_marks = _uses_lost_question_marks(text)
                    if lost_marks or "??" in punct:
                        continue
            if punct[0] in ";:!?" and lines.has(_FRENCH_MARKS, start):
                continue  # French typography spaces these on purpose
        token = _token_before(text, start)
        if "/" in token or "@" in token or "www." in token:
            continue  # after a URL or address the space keeps the mark out of it
        if lines.has(_CODE_LINE, start):
            continue
        yield (start, p, "", "S003", f'space before "{punct}"')


def _uses_lost_question_marks(text: str) -> bool:
    """"??rst", "Cohn ? neither": a decoder wrote "?" for characters it could not map."""
    return (("??" in text and re.search(r"\?\?[^\W\d_]", text) is not None)
            or re.search(r" \?[ \t]+[a-z]", text) is not None)


def _ends_sentence(text: str, after: int, quotes: _QuoteRoles | None) -> bool:
    """Is the period ending at ``after`` a sentence end (not ". . .", ".5", ".com")?"""
    if after >= len(text):
        return True
    nxt = text[after]
    if nxt in _CLOSING_AFTER_PUNCT:
        return nxt not in _QUOTE_CHARS or _closes(text, after, quotes)
    if not nxt.isspace():
        return False
    visible = _next_visible(text, after)
    if visible == "" or visible in _LINE_BREAK:
        return True
    return not (visible in ".…" or visible.isdigit() or (visible.isalpha() and visible.islower()))


def _is_closing_quote(text: str, pos: int, quotes: _QuoteRoles | None) -> bool:
    role = quotes.role_at(pos) if quotes is not None else None
    if role is not None:
        return role == "C"
    if text[pos] == _OPEN_QUOTE:
        return False  # only a paired “ is known to close (and S007 turns it round)
    # glued to what it quotes, and not to an opening mark ("“ ’" stays unclear once joined)
    return pos > 0 and not text[pos - 1].isspace() and text[pos - 1] not in "“‘([{\""


def _closes(text: str, pos: int, quotes: _QuoteRoles | None) -> bool:
    """Is the quote at ``pos``, right after a punctuation mark, a closing one?"""
    role = quotes.role_at(pos) if quotes is not None else None
    if role is not None:
        return role == "C"
    if text[pos] == _OPEN_QUOTE:
        return False
    if text[pos] in "”’)]":
        return True
    nxt = text[pos + 1] if pos + 1 < len(text) else ""
    return nxt == "" or nxt.isspace() or nxt in _CLOSE_RIGHT


# --- S004 -------------------------------------------------------------------------------

def _contractions_split(text: str) -> Iterator[Found]:
    for apostrophe, pattern in _CONTRACTION.items():
        if apostrophe not in text:
            continue
        for m in pattern.finditer(text):
            suffix, nt = m.group(1), m.group(2)
            space_end = m.start() - 1 if nt else m.start()
            start = _space_run_start(text, space_end)
            if start == 0 or not text[start - 1].isalnum():
                continue
            stem = _word_before(text, start).lower()
            if nt:
                if stem not in _NT_SPLIT_STEMS:
                    continue
                what = f"{stem}n’t"
            elif suffix == "t":
                if stem not in _NT_JOINED_STEMS:
                    continue  # "van ’t Hoff"
                what = f"{stem}’t"
            else:
                what = f"’{suffix}"
            yield (start, space_end, "", "S004", f"space inside the contraction “{what}”")


# --- S005 -------------------------------------------------------------------------------

def _padded_parentheses(text: str, parens: list[int], lines: _LineFlags) -> Iterator[Found]:
    pairs = set()
    if "(" in text:
        for m in _OPEN_PAD.finditer(text):
            close = _matching_close(text, m.start())
            if close is not None:
                pairs.add((m.start(), close))
    for close in parens:
        if close > 0 and text[close - 1] in _SPACE:
            open_ = _matching_open(text, close)
            if open_ is not None:
                pairs.add((open_, close))
    for open_, close in sorted(pairs):
        yield from _unpad(text, open_, close, lines)


def _matching_close(text: str, open_: int) -> int | None:
    hi = min(len(text), open_ + _WINDOW)
    for j in range(open_ + 1, hi):
        c = text[j]
        if c == ")":
            return j
        if c in "(\r\n":
            return None
    return None


def _matching_open(text: str, close: int) -> int | None:
    lo = max(0, close - _WINDOW)
    for j in range(close - 1, lo - 1, -1):
        c = text[j]
        if c == "(":
            return j
        if c in ")\r\n":
            return None
    return None


def _unpad(text: str, open_: int, close: int, lines: _LineFlags) -> Iterator[Found]:
    if open_ > 0 and text[open_ - 1] not in _PAREN_MAY_FOLLOW:
        return
    content = text[open_ + 1:close]
    inner = content.strip(_SPACE)
    if not inner or inner == content:
        return
    first, last = inner[0], inner[-1]
    if not (first.isalnum() or first in _PAREN_TEXT_START or first == "-" and inner[1:2].isdigit()):
        return  # "( ͡° ͜ʖ ͡°)" and other faces
    if not (last.isalnum() or last in _PAREN_TEXT_END):
        return
    if any(c in inner for c in _EMOTICON_PARTS) or lines.has(_CODE_LINE, open_):
        return
    if lines.has(_TABLE_ROW, open_):
        return  # "137.5    ( 137.6 )": column alignment, not a detokenizer's space
    lead = len(content) - len(content.lstrip(_SPACE))
    trail = len(content) - len(content.rstrip(_SPACE))
    if lead:
        yield (open_ + 1, open_ + 1 + lead, "", "S005", "space just inside “(”")
    if trail:
        yield (close - trail, close, "", "S005", "space just inside “)”")


# --- S006 -------------------------------------------------------------------------------

def _missing_sentence_space(text: str, dots: list[int], ctx: Context) -> Iterator[Found]:
    protected = [p for p in ctx.protected if "." in p]
    for dot in dots:
        if dot < 2 or not (text[dot - 1].isalpha() and text[dot - 2].isalpha()):
            continue  # "U.S.", "No.1", "v2.0.Beta": not a word before the period
        left = _word_before(text, dot)
        before = dot - len(left)
        if before > 0 and (text[before - 1].isalnum() or text[before - 1] in _NOT_BEFORE_WORD):
            continue
        right = _RIGHT_WORD.match(text, dot + 1)
        if right is None:
            continue  # a space before the period, not a capital after it
        right = right.group()
        if not _RIGHT_WORD_END.match(text, dot + 1 + len(right)):
            continue  # "Halo.Bungie.Org", "Console.WriteLine(", "Shafer.Politico@"
        if not _reads_as_two_sentences(left, right):
            continue
        token = _token_around(text, before, dot + 1 + len(right))
        if any(u in token.lower() for u in _URLISH) or len(_LETTER_DOT_LETTER.findall(token)) > 1:
            continue  # URLs, addresses, "news.BBC.co.uk"
        if any(p in token for p in protected):
            continue
        yield (dot + 1, dot + 1, " ", "S006",
               f'no space between "{left}." and the next sentence "{right}"')


def _reads_as_two_sentences(left: str, right: str) -> bool:
    """Can "left.Right" only be a sentence end followed by a new sentence?

    >>> _reads_as_two_sentences("deal", "Officials"), _reads_as_two_sentences("Banned", "Video")
    (True, False)
    >>> _reads_as_two_sentences("One", "Tel"), _reads_as_two_sentences("Division", "Those")
    (False, True)
    """
    if not (right[1:].islower() or right in ("A", "I")):
        return False  # "Bagle.AT", "Zafi.D", "Purdue.YouTube"
    if right.lower() in _DOMAIN_WORDS:
        return False  # "Banned.Video", "Amazon.Com", "report.Pdf"
    if len(right) == 1:
        return left.islower() and len(left) >= 3
    if left.islower():
        return True
    if left[0].isupper() and left[1:].islower():
        return len(left) > 3 or right in _STARTERS  # "One.Tel", "Mr.Smith" stay
    if left.isupper():
        return right in _STARTERS  # "CNN.The" is fixed; "NORML.Org" is not
    return False  # camel case: "TheEagle.Macedonia", "WhiteHouse.Gov"


def _glued_after_parenthesis(text: str, parens: list[int], lines: _LineFlags) -> Iterator[Found]:
    for close in parens:
        if close + 1 >= len(text) or not text[close + 1].isupper():
            continue
        open_ = _matching_open(text, close)
        if open_ is None or (open_ > 0 and not text[open_ - 1].isspace()):
            continue
        content = text[open_ + 1:close]
        right = _RIGHT_WORD.match(text, close + 1)
        right = right.group() if right else ""
        if len(content) < 2 or len(right) < 2 or not right[1:].islower():
            continue
        if not any(c.isalpha() for c in content):
            continue
        if content.isalpha() and len(content) <= 3 and not content.isupper():
            continue  # "(Re)Search", "(Un)Happy": word play, not a missing space
        if not _RIGHT_WORD_END.match(text, close + 1 + len(right)) or lines.has(_CODE_LINE, close):
            continue
        yield (close + 1, close + 1, " ", "S006", f'no space after "({content})" before "{right}"')


# --- S002 / S007 ------------------------------------------------------------------------

def _quote_candidates(text: str, punct: list[tuple[int, int, str]]) -> list[int]:
    """Positions of quote marks whose paragraph needs its quotes paired up."""
    positions: list[int] = []
    if text.startswith(('" ', '"\t')):
        positions.append(0)
    for mark, pattern in _QUOTE_CANDIDATE.items():
        if mark in text and (mark == _STRAIGHT or not text.isascii()):
            positions += [m.start() for m in pattern.finditer(text)]
    for start, p, mark in punct:
        if start > 0 and text[start - 1] in _QUOTE_CHARS:
            positions.append(start - 1)
        after = p + len(mark)
        if after < len(text) and text[after] in _QUOTE_CHARS:
            positions.append(after)
    return sorted(set(positions))


class _QuoteRoles:
    """Which double quote marks open and which close, per paragraph, where that is clear.

    Paragraphs follow the project's one rule: blank-line blocks if the text has a blank
    line, else a paragraph starts at each indented line, else each line is one. Only
    paragraphs holding a candidate (a misplaced space, a quote facing the wrong way) are
    analysed.
    """

    def __init__(self, text: str, candidates: list[int]):
        self.text = text
        self.roles: dict[int, str] = {}
        self.paragraphs: list[tuple[int, int, dict]] = []
        if not candidates:
            return
        if _BLANK_LINE.search(text):
            separators = _PARAGRAPH_SEPARATORS["blank"]
        elif _INDENTED_LINE.search(text):
            separators = _PARAGRAPH_SEPARATORS["indented"]
        else:
            separators = _PARAGRAPH_SEPARATORS["lines"]
        for start, end in _paragraphs_of(text, separators, candidates):
            self.paragraphs.append(self._analyse(start, end))

    def role_at(self, pos: int) -> str | None:
        return self.roles.get(pos)

    def _analyse(self, start: int, end: int) -> tuple[int, int, dict]:
        text = self.text
        marks = []
        for m in _MARK.finditer(text, start, end):
            i = m.start()
            left = text[i - 1] if i > start else ""
            right = text[i + 1] if i + 1 < end else ""
            marks.append((i, text[i], _context_role(left, right)))
        resolved = {}
        for curly in (True, False):
            group = [mark for mark in marks if (mark[1] != _STRAIGHT) == curly]
            result = _resolve(group, curly)
            if result is not None:
                roles, orphans, paired = result
                for k, ((i, _, ctx_role), role) in enumerate(zip(group, roles)):
                    resolved[i] = (role, ctx_role, k in orphans, paired)
                    self.roles[i] = role
        return start, end, resolved

    def edits(self) -> Iterator[Found]:
        text = self.text
        for start, end, resolved in self.paragraphs:
            for i, (role, ctx_role, orphan, paired) in sorted(resolved.items()):
                glyph = text[i]
                if ctx_role is not None and glyph != _STRAIGHT and paired:
                    wanted = _OPEN_QUOTE if ctx_role == "O" else _CLOSE_QUOTE
                    if glyph != wanted:
                        what = "opens" if role == "O" else "closes"
                        yield (i, i + 1, wanted, "S007",
                               f"{glyph} {what} a quotation here: the paragraph's quotes pair up")
                if ctx_role is None:
                    yield from _inner_space(text, i, start, end, role, orphan)
                yield from _glued_to_sentence(text, i, start, end, role)


def _context_role(left: str, right: str) -> str | None:
    """"O"/"C" when the characters around a quote mark decide; None when they do not."""
    left_open = left == "" or left in _OPEN_LEFT
    left_word = left != "" and (left.isalnum() or left in _CLOSE_LEFT_EXTRA)
    right_space = right == "" or right.isspace()
    right_close = right != "" and right in _CLOSE_RIGHT
    right_word = not (right_space or right_close or right in _QUOTE_CHARS)
    if left_open and right_word:
        return "O"
    if left_word and (right_space or right_close):
        return "C"
    return None


def _resolve(group: list, curly: bool):
    """Roles for one paragraph's marks, or None when the pairing is not clear.

    Returns ``(roles, orphans, paired)``. ``paired``: the marks pair up fully, open-close,
    open-close, every mark whose surroundings decide agreeing (and, for curly marks whose
    surroundings do not decide, their glyph agreeing too). Otherwise, for curly marks
    only, the glyphs may still tell a consistent story with a quotation carried over from
    the previous paragraph (a leading ”) or into the next one (a trailing “): ``orphans``.

    >>> _resolve([(0, "”", "O"), (9, "”", "C")], curly=True)
    (['O', 'C'], set(), True)
    >>> _resolve([(0, "”", None)], curly=True)
    (['C'], {0}, False)
    >>> _resolve([(0, '"', None)], curly=False) is None
    True
    """
    n = len(group)
    if n == 0:
        return None
    if n % 2 == 0:
        for k, (_, glyph, ctx_role) in enumerate(group):
            want = "O" if k % 2 == 0 else "C"
            if ctx_role is not None and ctx_role != want:
                break
            if ctx_role is None and curly and (glyph == _OPEN_QUOTE) != (want == "O"):
                break
        else:
            return ["O" if k % 2 == 0 else "C" for k in range(n)], set(), True
    if not curly:
        return None
    roles = ["O" if glyph == _OPEN_QUOTE else "C" for _, glyph, _ in group]
    if any(ctx_role is not None and ctx_role != role
           for (_, _, ctx_role), role in zip(group, roles)):
        return None  # a glyph facing the wrong way is only fixed when everything pairs up
    orphans = set()
    k = 0
    if roles[0] == "C":
        orphans.add(0)
        k = 1
    expect = "O"
    for j in range(k, n):
        if roles[j] != expect:
            return None
        expect = "C" if expect == "O" else "O"
    if expect == "C":
        orphans.add(n - 1)
    return roles, orphans, False


def _inner_space(text: str, i: int, start: int, end: int, role: str, orphan: bool):
    """S002: drop the space between a quote mark and the words it quotes."""
    if role == "O":
        j = i + 1
        while j < end and text[j] in _SPACE:
            j += 1
        if j == i + 1 or j >= end or text[j].isspace():
            return
        if orphan and not _lone_opener_ok(text, i, start, j):
            return
        yield (i + 1, j, "", "S002", f"space just inside the opening quote {text[i]}")
    else:
        j = i
        while j > start and text[j - 1] in _SPACE:
            j -= 1
        if j == i or j <= start or text[j - 1].isspace():
            return
        if orphan and text[j - 1] not in _QUOTE_END_PUNCT:
            return  # a lone ” after a word may be an opener facing the wrong way
        yield (j, i, "", "S002", f"space before the closing quote {text[i]}")


def _lone_opener_ok(text: str, i: int, start: int, word_pos: int) -> bool:
    """A “ whose closer is in a later paragraph: only at the paragraph start or after ":"."""
    if not text[word_pos].isalnum():
        return False
    j = i
    while j > start and text[j - 1] in _SPACE:
        j -= 1
    return j == start or text[j - 1] in "\n:"


def _glued_to_sentence(text: str, i: int, start: int, end: int, role: str):
    """S006: a closing quote glued to the next sentence, or an opening one to the last."""
    # An opener's inner space is removed by S002 in this same run, so look past it: judging
    # the text as it stands would glue '."' now and unglue it on the next run.
    k = i + 1
    if role == "O":
        while k < end and text[k] in _SPACE:
            k += 1
    if k + 1 >= end or not (text[k].isupper() and text[k + 1].islower()):
        return
    if role == "C" and i > start and text[i - 1] in ".!?,":
        yield (i + 1, i + 1, " ", "S006", f"no space after the closing quote {text[i]}")
    elif role == "O" and i - 2 >= start and text[i - 1] in ".!?" and text[i - 2].isalpha():
        yield (i, i, " ", "S006", f"no space before the opening quote {text[i]}")


def _paragraphs_of(text: str, separators: re.Pattern, positions: list[int]):
    """The (start, end) of each paragraph holding one of the sorted ``positions``."""
    seps = separators.finditer(text)
    para_start, sep = 0, next(seps, None)
    last = None
    for pos in positions:
        while sep is not None and sep.end() <= pos:
            para_start = sep.end()
            sep = next(seps, None)
        para_end = sep.start() if sep is not None else len(text)
        if pos >= para_end:
            continue
        if last != para_start:
            last = para_start
            yield para_start, para_end
