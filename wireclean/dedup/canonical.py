"""The canonical form of a paragraph for hashing: what two copies of one story share.

Only dedup sees this form; it is never shown or written back. It folds everything a reprint,
a scraper or a content-farm spinner changes without changing the story:

- case (casefold), accents (``Erdoğan`` = ``Erdogan``) and compatibility forms (NFKD:
  ligatures, full-width letters, no-break spaces, the ellipsis character);
- every punctuation mark, quote style, dash and symbol becomes a space, invisible
  characters (zero-width space, soft hyphen, BOM) vanish, and runs of whitespace collapse,
  so ``“strikes,”`` = ``"strikes",`` and ``Russia’s`` = ``Russia's`` = ``Russia ’s``;
- entity spin (research/artifacts.md): ``U.S.``, ``US``, ``USA``, ``U.S.A.`` and ``United
  States`` are one token, ``u.s.``; ``U.K.``, ``UK`` and ``United Kingdom`` are ``u.k.``;
  ``Russian Federation`` without "the" is ``russia``. So "USA -led", "U.S.-led" and
  "US-led" all read ``u.s. led``. Upper-case forms are folded before casefolding, so the
  pronoun "us" stays ``us``. Folding both copies to one token needs no document-level
  evidence, unlike fix's restoration, so it is the safer choice for hashing;
- mojibake, HTML entities and look-alike letters are repaired by fix's encoding pass, run
  only when a cheap test finds a non-ASCII character or something like ``&...;``.

Texts are folded in batches (:func:`canonical_joined`): a few ``bytes`` operations over all
ASCII texts of a batch at once, so the per-text cost is close to nothing.

>>> canonical("The USA -led coalition’s “strikes” hit Russian Federation targets.")
'the u.s. led coalition s strikes hit russia targets'
>>> canonical("the U.S.-led coalition's \\"strikes\\" hit Russia targets")
'the u.s. led coalition s strikes hit russia targets'
>>> canonical("Let us thank the Central Bank of the Russian Federation.")
'let us thank the central bank of the russian federation'
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Sequence

import regex

__all__ = ["SENTENCE_END", "canonical", "canonical_bytes", "canonical_joined", "canonical_many"]

# Joins the texts of a chunk. Folding keeps \x01 and never lets a pattern cross it; a text
# that itself holds \x01 has it turned into a space first.
_SEP = "\x01"
_JOIN = " \x01 "

# ---- bytes steps (every text ends up here) -----------------------------------------------

# Every ASCII byte that is not a letter or a digit becomes a space, except the chunk
# separator (and, when sentence ends are marked, their mark). Bytes >= 0x80 (UTF-8 of
# already-folded non-ASCII letters) pass through.
def _space_table(keep: bytes) -> bytes:
    return bytes(c if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c >= 128
                       or c in keep) else 32 for c in range(256))


_ASCII_TO_SPACE = _space_table(b"\x01")
_ASCII_TO_SPACE_MARKED = _space_table(b"\x01\x02")

# Marks a sentence end in the canonical form (see sentences.py); like a space, it is not
# part of any token, so the tokens -- and the shingles -- are those of the unmarked form
# (but for a two-word name folded across a sentence end: "Russian. Federation").
_MARK = "\x02"
# A sentence ends at . ! or ? (then closing quotes or brackets) before whitespace, unless
# the word before is a single letter (initials, "U.S.", "p.m.") or a common title, and the
# next one does not begin in lower case. What matters is that two copies are cut alike.
# The mark comes first so the look-behinds are tried only where one is found.
SENTENCE_END = re.compile(
    r"[.!?](?<!\b[A-Za-z].)"
    + "".join(rf"(?<!\b{title}.)" for title in
              ("Mr", "Ms", "Dr", "St", "Jr", "Sr", "No", "Mrs", "Gen", "Gov", "Sen", "Rep", "vs"))
    + r"[.!?]*[\"'\u201d\u2019)\]]*\s+(?![a-z])")


# Patterns begin with a literal so the scan is fast; the left word boundary is checked in
# the replacement (a literal prefix is lost with a leading \b or look-behind).
_DOTTED_US_B = re.compile(rb"U\.S\.(?:A\.?)?")
_DOTTED_UK_B = re.compile(rb"U\.K\.")
_RUSFED_B = re.compile(rb"russian +federation(?![a-z0-9])")
_UNITED_B = re.compile(rb"united +(states|kingdom)(?![a-z0-9])")
_UPPER_B = re.compile(rb"U(?:SA?|K)(?= )")


def _word_start(m: re.Match) -> bool:
    i = m.start()
    return i == 0 or m.string[i - 1] in (32, 1)


def _rusfed(m: re.Match) -> bytes:
    # The spinner writes "Russian Federation" for a bare "Russia"; with its article it is
    # a legitimate name ("the Central Bank of the Russian Federation") and is kept.
    before = m.string[max(0, m.start() - 32):m.start()].rstrip(b" ")
    if not _word_start(m) or before.endswith(b" the"):
        return m.group(0)
    return b"russia"


def _united(m: re.Match) -> bytes:
    if not _word_start(m):
        return m.group(0)
    return b"u.s." if m.group(1) == b"states" else b"u.k."


def _upper(m: re.Match) -> bytes:
    if m.start() and m.string[m.start() - 1] != 32:
        return m.group(0)  # the end of a longer word ("BRUSA")
    return b"u.k." if m.group(0) == b"UK" else b"u.s."


def _fold_upper_b(b: bytes) -> bytes:
    """Upper-case USA/US/UK tokens (space-separated, before lower-casing) -> u.s./u.k."""
    return _UPPER_B.sub(_upper, b) if b"U" in b else b


def _fold_lower_b(b: bytes) -> bytes:
    if b"federation" in b:
        b = _RUSFED_B.sub(_rusfed, b)
    if b"united" in b:
        b = _UNITED_B.sub(_united, b)
    return b


def _fold_ascii(b: bytes, table: bytes = _ASCII_TO_SPACE) -> bytes:
    """Fold a chunk of ASCII texts (joined by _JOIN, encoded)."""
    if b"U.S" in b:
        b = _DOTTED_US_B.sub(b" USA ", b)
    if b"U.K." in b:
        b = _DOTTED_UK_B.sub(b" UK ", b)
    b = b" " + b.translate(table) + b" "
    b = _fold_upper_b(b).lower()
    return _fold_lower_b(b)


# ---- the Unicode path (texts with non-ASCII characters) ----------------------------------

_DOTTED_US = re.compile(r"U\.S\.(?:A\.?)?")
_DOTTED_UK = re.compile(r"U\.K\.")
_NON_ASCII_NON_WORD = regex.compile(r"[^\x00-\x7f\w]+")
# Deleted outright: combining marks (accents, once NFKD has split them off) and format
# characters (zero-width space, soft hyphen, BOM, joiners). One Unicode property per
# pattern: the `regex` module scans a single property about 5x faster than a set of them.
_MARKS = regex.compile(r"\p{M}+")
_FORMAT = regex.compile(r"\p{Cf}+")


def _fold_unicode(text: str, table: bytes = _ASCII_TO_SPACE) -> bytes:
    """Fold a chunk of texts (joined by _JOIN), some of them non-ASCII.

    Same steps as the ASCII path, with the Unicode ones added: compatibility forms and
    accents split off (NFKD) and dropped, non-ASCII punctuation, symbols and anything
    else that is not a letter or digit (lone surrogates included) to spaces. Case is
    folded last, after the upper-case entity tokens have been found.
    """
    text = unicodedata.normalize("NFKD", text)  # leaves ASCII alone, so the steps agree
    if "U.S" in text:
        text = _DOTTED_US.sub(" USA ", text)
    if "U.K." in text:
        text = _DOTTED_UK.sub(" UK ", text)
    text = _MARKS.sub("", text)
    text = _FORMAT.sub("", text)
    text = _NON_ASCII_NON_WORD.sub(" ", text)
    b = b" " + text.encode("utf-8").translate(table) + b" "
    b = _fold_upper_b(b).decode("utf-8").casefold().encode("utf-8")
    return _fold_lower_b(b)


# ---- repair gate ---------------------------------------------------------------------------

# Something fix's encoding pass could decode in an ASCII text: "&amp;", "&#8217;".
_ENTITY_LIKE = re.compile(r"&#?[0-9A-Za-z]+;")


@lru_cache(maxsize=1)
def _encoding_pass():
    """fix's encoding pass and a context enabling all its rules. Imported late: the ASCII
    path needs nothing from fix. Called directly, not through the pipeline, because
    dedup needs the repaired text only, not the Change records."""
    from wireclean.fix import encoding
    from wireclean.fix.pipeline import Context
    from wireclean.fix.registry import select_rules
    return encoding.find_edits, Context(rules=select_rules(["encoding"]))


def _repaired(text: str) -> str:
    """``text`` after fix's encoding pass (mojibake, HTML entities, invisible characters,
    look-alike letters), run only where a cheap test finds something it could change."""
    if text.isascii() and not ("&" in text and _ENTITY_LIKE.search(text)):
        return text
    find_edits, ctx = _encoding_pass()
    edits = sorted(find_edits(text, ctx), key=lambda e: (e.start, e.end))
    if not edits:
        return text
    parts, pos = [], 0
    for e in edits:
        if e.start < pos:  # overlaps one already applied: the pipeline drops these too
            continue
        parts.append(text[pos:e.start])
        parts.append(e.after)
        pos = e.end
    parts.append(text[pos:])
    return "".join(parts)


# ---- public ------------------------------------------------------------------------------

def canonical_joined(texts: Sequence[str], sentences: bool = False) -> bytes:
    """The canonical forms of ``texts`` in one buffer: ``b" "``, then each form with
    ``b" \\x01 "`` between them, then ``b" "``. Besides ``\\x01`` the only non-token byte
    is the space -- and with ``sentences``, ``\\x02`` where a sentence ends (:data:`SENTENCE_END`).
    This is what :class:`~wireclean.dedup.minhash.MinHasher` hashes.

    Folding runs over the whole batch at once: a batch of plain ASCII texts costs a
    handful of ``bytes`` operations in all, not per text.

    >>> canonical_joined(["U.S. stocks rose.", "Talks; resumed"])
    b'  u.s.  stocks rose  \\x01 talks  resumed '
    >>> canonical_joined(["Stocks rose. Mr. Lee sold."], sentences=True).split()
    [b'stocks', b'rose', b'\\x02', b'mr', b'lee', b'sold']
    """
    texts = list(texts)
    joined = _JOIN.join(texts)
    if joined.count(_SEP) != len(texts) - 1:  # a text holds the separator itself
        texts = [t.replace(_SEP, " ") for t in texts]
        joined = _JOIN.join(texts)
    if sentences and _MARK in joined:        # ... or the sentence mark
        texts = [t.replace(_MARK, " ") for t in texts]
        joined = _JOIN.join(texts)
    table = _ASCII_TO_SPACE_MARKED if sentences else _ASCII_TO_SPACE
    mark = (lambda t: SENTENCE_END.sub(" " + _MARK + " ", t)) if sentences else (lambda t: t)
    if joined.isascii() and not ("&" in joined and _ENTITY_LIKE.search(joined)):
        return _fold_ascii(mark(joined).encode("ascii"), table)
    texts = [_repaired(t) for t in texts]
    plain = [t.isascii() for t in texts]
    if all(plain):
        return _fold_ascii(mark(_JOIN.join(texts)).encode("ascii"), table)
    if not any(plain):
        return _fold_unicode(mark(_JOIN.join(texts)), table)
    # Both kinds: fold each kind as one chunk, then put the forms back in order.
    ascii_forms = iter(_fold_ascii(mark(_JOIN.join(
        t for t, p in zip(texts, plain) if p)).encode("ascii"), table).split(b"\x01"))
    other_forms = iter(_fold_unicode(mark(_JOIN.join(
        t for t, p in zip(texts, plain) if not p)), table).split(b"\x01"))
    return b"\x01".join([next(ascii_forms) if p else next(other_forms) for p in plain])


def canonical_many(texts: Sequence[str]) -> list[bytes]:
    """The canonical form of each text as UTF-8 bytes, whitespace not collapsed:
    ``.split()`` gives the tokens, and the only whitespace byte is the space.

    >>> [c.split() for c in canonical_many(["U.S. stocks rose", "", "Stocks fell in the UK."])]
    [[b'u.s.', b'stocks', b'rose'], [], [b'stocks', b'fell', b'in', b'the', b'u.k.']]
    """
    return canonical_joined(texts).split(b"\x01") if len(texts) else []


def canonical_bytes(text: str) -> bytes:
    """:func:`canonical_many` for one text.

    >>> canonical_bytes("U.S.-led").split()
    [b'u.s.', b'led']
    """
    return canonical_many([text])[0]


def canonical(text: str) -> str:
    """The canonical form of ``text`` for hashing: tokens joined by single spaces.

    >>> canonical("  Erdoğan’s  “deal”\\r\\nwith the UK  ")
    'erdogan s deal with the u.k.'
    >>> canonical("Erdogan's 'deal' with the United Kingdom")
    'erdogan s deal with the u.k.'
    """
    return " ".join(canonical_bytes(text).decode("utf-8").split())
