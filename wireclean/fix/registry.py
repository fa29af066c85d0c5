"""Rule ids, families and selection.

Every change wireclean makes carries a stable rule id, like ruff's: a family letter and a
number. Users select or ignore rules by id (``S003``), by prefix (``S``, ``S0``) or by
family name (``spacing``).

>>> sorted(select_rules(select=["spacing"], ignore=["S006"]))[:3]
['S001', 'S002', 'S003']
>>> "B001" in select_rules()        # boilerplate is opt-in
False
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Rule:
    id: str
    family: str
    name: str
    summary: str
    default: bool = True


_RULES = [
    # encoding: damage done by decoders, CMSs and scrapers
    Rule("E001", "encoding", "mojibake", "UTF-8 text decoded as cp1252/Latin-1 (via ftfy)"),
    Rule("E002", "encoding", "html-entity", "HTML entity left in plain text, decoded once"),
    Rule("E003", "encoding", "invisible-char", "zero-width space, BOM, word joiner, soft hyphen, stray controls"),
    Rule("E004", "encoding", "no-break-space", "no-break space between words"),
    Rule("E005", "encoding", "homoglyph", "Cyrillic/Greek look-alike letter inside a Latin word"),
    # spacing: detokenizer and rewriter damage
    Rule("S001", "spacing", "hyphen-compound", 'space before the hyphen of a compound ("Kremlin -backed")'),
    Rule("S002", "spacing", "quote-spacing", "space inside a quotation or before a closing quote"),
    Rule("S003", "spacing", "space-before-punctuation", "space before , . ; : ! ?"),
    Rule("S004", "spacing", "contraction-space", "space before ’s, ’re, n’t ..."),
    Rule("S005", "spacing", "parenthesis-padding", "space just inside parentheses"),
    Rule("S006", "spacing", "missing-sentence-space", 'no space after a sentence end ("deal.Officials")'),
    Rule("S007", "spacing", "quote-direction", "curly quote pointing the wrong way"),
    # entities: undo an automatic rewriter's swaps, only in documents that show spinning
    Rule("N001", "entities", "russian-federation", 'article-less "Russian Federation" for "Russia"'),
    Rule("N002", "entities", "usa-compound", '"USA -led" for "U.S.-led"'),
    Rule("N003", "entities", "usa-adjective", '"USA" used as an adjective or noun for "U.S."'),
    Rule("N004", "entities", "lowercase-us", '"the us president", "us-led" for "U.S."'),
    # boilerplate: scraper furniture, opt-in
    Rule("B001", "boilerplate", "furniture-line", 'scraper furniture line ("More news:", "Advertisement")', False),
    Rule("B002", "boilerplate", "wire-credit", "wire credit line in a scraped copy", False),
]

RULES: dict[str, Rule] = {r.id: r for r in _RULES}
FAMILIES: tuple[str, ...] = ("encoding", "spacing", "entities", "boilerplate")


class UnknownRuleError(ValueError):
    """A --select/--ignore code that names no rule, prefix or family."""


def _expand(code: str) -> set[str]:
    code = code.strip()
    if not code:
        return set()
    if code.lower() == "all":
        return set(RULES)
    if code.lower() in FAMILIES:
        return {r.id for r in _RULES if r.family == code.lower()}
    hits = {rid for rid in RULES if rid.startswith(code.upper())}
    if not hits:
        raise UnknownRuleError(
            f"unknown rule {code!r}: use an id such as S003, a prefix such as S, "
            f"a family ({', '.join(FAMILIES)}) or 'all'"
        )
    return hits


def select_rules(select: Iterable[str] | None = None, ignore: Iterable[str] | None = None,
                 extend_select: Iterable[str] | None = None) -> frozenset[str]:
    """The set of enabled rule ids.

    ``select`` replaces the default set (every family but boilerplate); ``extend_select``
    adds to it; ``ignore`` removes from the result.
    """
    if select:
        enabled: set[str] = set()
        for code in select:
            enabled |= _expand(code)
    else:
        enabled = {r.id for r in _RULES if r.default}
    for code in extend_select or ():
        enabled |= _expand(code)
    for code in ignore or ():
        enabled -= _expand(code)
    return frozenset(enabled)


DEFAULT_RULES = select_rules()
