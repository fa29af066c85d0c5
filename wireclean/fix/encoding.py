"""The encoding pass: damage done to characters by decoders, CMSs and scrapers.

Five rules, each reported with the evidence it acted on:

- E001 mojibake: UTF-8 bytes that were decoded as Windows-1252 (or Latin-1, or another
  single-byte code page) are decoded again with ftfy. ftfy runs only on the lines where a
  cheap pattern finds a UTF-8 lead byte shown as a code-page character followed by a
  continuation byte, a C1 control or U+FFFD; its result is diffed so that each change points
  at the damaged characters. Curly quotes, full-width forms, ligatures and line breaks are
  left as they are, and nothing is Unicode-normalized.
- E002 html-entity: ``&amp;``, ``&#8217;``, ``&#x2019;`` decoded; a chain of escapes
  (``&amp;#8217;``) is decoded to the end, so a second run finds nothing more to do.
- E003 invisible-char: zero-width space, word joiner, BOM, soft hyphen and stray control
  characters removed; joiners kept where they shape emoji or non-Latin scripts.
- E004 no-break-space: no-break spaces become spaces, except in number grouping and French
  punctuation spacing.
- E005 homoglyph: Cyrillic and Greek look-alike letters inside a Latin word become Latin.

>>> from wireclean.fix import fix
>>> fix("Itâ€™s a deal,â€ said the PMâ€™s spokesman.", select=["encoding"])
'It’s a deal,” said the PM’s spokesman.'
>>> fix("Smith &amp;amp; Sons paid 10\\u00a0000 euros\\u200b to Thе bank.", select=["encoding"])
'Smith & Sons paid 10\\xa0000 euros to The bank.'
>>> fix("Renée Pförtner met Erdoğan in São Paulo.", select=["encoding"])
'Renée Pförtner met Erdoğan in São Paulo.'

The pass is its own fixed point: what one rule produces (a BOM decoded from "ï»¿", a
no-break space decoded from ``&nbsp;``) is finished by the others in the same run, and the
change is reported once, under the rule that started it.
"""

from __future__ import annotations

import html
import re
import sys
from difflib import SequenceMatcher
from functools import lru_cache
from html.entities import html5
from pathlib import Path
from typing import Callable, Container, NamedTuple

import ftfy
import ftfy.bad_codecs  # noqa: F401  (registers the sloppy-windows-* codecs used below)

from .edits import Edit, apply_edits

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class _Fix(NamedTuple):
    """An edit before it becomes a pipeline Edit (same fields, no import cycle)."""

    start: int
    end: int
    after: str
    rule: str
    reason: str


def _char(code: str) -> str:
    """'U+00A0' -> '\\xa0'."""
    return chr(int(code[2:], 16))


def _u(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def _char_class(chars) -> str:
    return "".join(re.escape(c) for c in sorted(set(chars)))


_TABLES = tomllib.loads((Path(__file__).parent / "rules" / "encoding.toml").read_text("utf-8"))

# ---------------------------------------------------------------------------------------
# E001 mojibake

_MOJIBAKE = _TABLES["mojibake"]
_ENCODING_NAMES: dict[str, str] = _MOJIBAKE["encoding_names"]


def _decoded_bytes(lo: int, hi: int, encodings) -> set[str]:
    return {ch for enc in encodings for ch in bytes(range(lo, hi)).decode(enc)}


_LEADS = _decoded_bytes(0xC2, 0xF5, _MOJIBAKE["gate_encodings"])
_CONTINUATIONS = _decoded_bytes(0x80, 0xC0, _MOJIBAKE["gate_encodings"])
# Mac Roman and code page 437 leads, gated with their own continuations only
_LEADS_ALONE = {
    enc: _decoded_bytes(0xC2, 0xF5, [enc]) - set(skipped)
    for enc, skipped in _MOJIBAKE["gate_alone"].items()
}

_C1_AND_REPLACEMENT = {chr(c) for c in range(0x80, 0xA0)} | {"\ufffd"}
_MOJIBAKE_TRIGGERS = _LEADS.union(*_LEADS_ALONE.values()) | _C1_AND_REPLACEMENT

# The gate: a lead byte followed by a continuation byte, both as code-page characters; a
# lead byte whose no-break-space continuation became a plain space ("voilÃ le"); any C1
# control; U+FFFD. Written as one character class and then lookbehinds, so that the regex
# engine can skip to candidates with its fast first-character scan; linear either way.
_MOJIBAKE_HINT = re.compile(
    f"[{_char_class(_MOJIBAKE_TRIGGERS)}](?:"
    f"(?<=[{_char_class(_C1_AND_REPLACEMENT)}])"
    f"|(?<=[{_char_class(_LEADS)}])[{_char_class(_CONTINUATIONS)}]"
    "|(?<=[ÂÃ]) "
    + "".join(f"|(?<=[{_char_class(leads)}])[{_char_class(_decoded_bytes(0x80, 0xC0, [enc]))}]"
              for enc, leads in _LEADS_ALONE.items())
    + ")"
)
# ” is E2 80 9D, and 0x9D has no Windows-1252 character, so decoders drop it, turn it into
# U+FFFD or into "?". "â€" followed by anything that cannot be a continuation byte in any
# gated code page ("â€ś" is a Windows-1250 “) is a closing quote with its last byte lost.
# ftfy would read "â€ " as a dagger (E2 80 A0, the space taken for a no-break space) or
# give U+FFFD; putting the byte back lets it decode the whole line consistently.
_LOSSY_CLOSING_QUOTE = re.compile(f"â€(?:[\ufffd?]|(?![{_char_class(_CONTINUATIONS)}]))")
_CLOSING_QUOTE_BYTES_RESTORED = "â€\x9d"

_FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,          # E002 does that, once, with its own reason
    remove_terminal_escapes=False,
    remove_control_chars=False,   # E003 does that, with its own reason
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    normalization=None,           # legitimate text keeps its normalization form
    explain=True,
)

_UNIT_REACH = 500  # ftfy sees at most this many characters each side of a hit, within its line


def _unit_bounds(text: str, start: int, end: int, floor: int) -> tuple[int, int]:
    """The line around ``text[start:end]``, cut at whitespace when the line is long."""
    lo = max(floor, start - _UNIT_REACH)
    nl = text.rfind("\n", lo, start)
    if nl >= 0:
        ustart = nl + 1
    elif lo == 0 or lo == floor:
        ustart = lo
    else:
        sp = text.find(" ", lo, start)
        ustart = sp + 1 if sp >= 0 else lo
    hi = min(len(text), end + _UNIT_REACH)
    nl = text.find("\n", end, hi)
    if nl >= 0:
        uend = nl
    elif hi == len(text):
        uend = hi
    else:
        sp = text.rfind(" ", end, hi)
        uend = sp + 1 if sp >= 0 else hi
    return ustart, uend


_REASON_ENCODINGS = [*_MOJIBAKE["gate_encodings"], *_MOJIBAKE["gate_alone"]]


def _mojibake_reason(before: str, after: str, steps) -> str:
    """Name the code page that turns ``after``'s UTF-8 bytes into ``before``."""
    for enc in _REASON_ENCODINGS:
        try:
            if before.encode(enc).decode("utf-8") == after:
                return f"mojibake: UTF-8 read as {_ENCODING_NAMES[enc]}"
        except UnicodeError:
            continue
    if before and all("\x80" <= c <= "\x9f" for c in before):
        return "mojibake: Windows-1252 read as Latin-1 (C1 control characters)"
    encoded = [p for a, p in steps if a == "encode"]
    if encoded:
        return f"mojibake: UTF-8 read as {_ENCODING_NAMES.get(encoded[0], encoded[0])}"
    return "mojibake: UTF-8 read as a single-byte code page"


def _diff(a: str, b: str) -> list[tuple[int, int, int, int]]:
    """Minimal replaced spans (i1, i2, j1, j2) turning ``a`` into ``b``, none of them empty."""
    n = min(len(a), len(b))
    p = 0
    while p < n and a[p] == b[p]:
        p += 1
    s = 0
    while s < n - p and a[len(a) - 1 - s] == b[len(b) - 1 - s]:
        s += 1
    matcher = SequenceMatcher(None, a[p:len(a) - s], b[p:len(b) - s], autojunk=False)
    spans = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        i1, i2, j1, j2 = i1 + p, i2 + p, j1 + p, j2 + p
        if i1 == i2:  # a pure insertion: anchor it on a neighbouring character
            if i1 > 0:
                i1, j1 = i1 - 1, j1 - 1
            else:
                i2, j2 = i2 + 1, j2 + 1
        if spans and spans[-1][1] >= i1:
            pi1, _, pj1, _ = spans.pop()
            i1, j1 = pi1, pj1
        spans.append((i1, i2, j1, j2))
    return spans


@lru_cache(maxsize=4096)
def _fix_unit(unit: str) -> tuple[tuple[int, int, str, str], ...]:
    """ftfy's repair of one line, as (start, end, after, reason) spans of ``unit``."""
    prepared = _LOSSY_CLOSING_QUOTE.sub(_CLOSING_QUOTE_BYTES_RESTORED, unit)
    fixed, steps = ftfy.fix_and_explain(prepared, config=_FTFY_CONFIG)
    if prepared != unit and fixed.count("\x9d") > unit.count("\x9d"):
        # ftfy saw no UTF-8 in the line even with the byte restored: not a lost quote then
        fixed, steps = ftfy.fix_and_explain(unit, config=_FTFY_CONFIG)
    if fixed == unit:
        return ()
    out = []
    for i1, i2, j1, j2 in _diff(unit, fixed):
        out.append((i1, i2, fixed[j1:j2], _explain_span(unit, fixed, i1, i2, j1, j2, steps)))
    return tuple(out)


def _explain_span(unit: str, fixed: str, i1: int, i2: int, j1: int, j2: int, steps) -> str:
    """The reason for replacing ``unit[i1:i2]`` with ``fixed[j1:j2]``."""
    before = unit[i1:i2]
    if before.startswith("â€") and fixed[j1:j2].startswith("\u201d") and (
            len(before) == 2 or before[2] in "\ufffd?"):
        return "mojibake: UTF-8 ” read as Windows-1252, its last byte lost"
    # Diffs are minimal, so "Â£" -> "£" shows as a lone "Â" deleted: widen over unchanged
    # non-ASCII neighbours until the bytes explain the change.
    for left in range(4):
        if left and (i1 - left < 0 or unit[i1 - left].isascii()):
            break
        for right in range(4):
            if right and (i2 + right > len(unit) or unit[i2 + right - 1].isascii()):
                break
            reason = _mojibake_reason(unit[i1 - left:i2 + right], fixed[j1 - left:j2 + right], ())
            if not reason.endswith("code page") and "C1" not in reason:
                return reason
    return _mojibake_reason(before, fixed[j1:j2], steps)


def _mojibake(text: str) -> list[_Fix]:
    if text.isascii():
        return []
    out: list[_Fix] = []
    done = 0
    for m in _MOJIBAKE_HINT.finditer(text):
        if m.start() < done:
            continue
        ustart, uend = _unit_bounds(text, m.start(), m.end(), done)
        for s, e, after, reason in _fix_unit(text[ustart:uend]):
            out.append(_Fix(ustart + s, ustart + e, after, "E001", reason))
        done = uend
    return out


# ---------------------------------------------------------------------------------------
# E002 HTML entities

_ENTITY_BODY = r"(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
_ENTITY = re.compile("&" + _ENTITY_BODY)
_ENTITY_TAIL = re.compile(_ENTITY_BODY)


def _decode_entity(body: str) -> str | None:
    """What ``&`` + ``body`` stands for, or None when it is no valid HTML5 reference."""
    if body[0] == "#":
        ch = html.unescape("&" + body)
        if ch == "\ufffd" and _numeric_value(body) != 0xFFFD:
            return None  # &#0;, surrogates, beyond U+10FFFF: not text, leave it visible
        return ch
    return html5.get(body)


def _numeric_value(body: str) -> int:
    return int(body[2:-1], 16) if body[1] in "xX" else int(body[1:-1])


def _html_entities(text: str) -> list[_Fix]:
    if "&" not in text:
        return []
    out: list[_Fix] = []
    pos = 0
    while True:
        m = _ENTITY.search(text, pos)
        if m is None:
            return out
        decoded = _decode_entity(m.group()[1:])
        end = m.end()
        if decoded is None:
            pos = end
            continue
        depth = 1
        while decoded == "&":  # "&amp;#8217;": an escaped escape, decode it to the end
            tail = _ENTITY_TAIL.match(text, end)
            inner = _decode_entity(tail.group()) if tail else None
            if inner is None:
                break
            decoded, end, depth = inner, tail.end(), depth + 1
        entity = text[m.start():end]
        reason = f"HTML entity {entity}" + (f" (escaped {depth} times)" if depth > 1 else "")
        out.append(_Fix(m.start(), end, decoded, "E002", reason))
        pos = end


# ---------------------------------------------------------------------------------------
# E003 invisible characters

_INVISIBLE = _TABLES["invisible"]
_ALWAYS_REMOVED = {_char(k): v for k, v in _INVISIBLE["remove"].items()}
_JOINERS = {_char(k): v for k, v in _INVISIBLE["joiners"].items()}
_LINE_BREAKS = {_char(k): v for k, v in _INVISIBLE["line_breaks"].items()}
_ZWSP_SCRIPTS = [(_char(lo), _char(hi))
                 for lo, hi in _INVISIBLE["zwsp_word_break_scripts"].values()]
_C0_KEPT = "\t\n\r"
_C0 = "".join(chr(c) for c in [*range(0x20), 0x7F] if chr(c) not in _C0_KEPT)
_ASCII_PRINTABLE = bytes(range(0x20, 0x7F)) + _C0_KEPT.encode()

_INVISIBLE_CHARS = set(_C0) | set(_ALWAYS_REMOVED) | set(_JOINERS)
_INVISIBLE_RUN = re.compile(f"[{_char_class(_INVISIBLE_CHARS)}]+")
_TERMINAL_ESCAPE = re.compile("\x1b\\[[0-9;?]*[A-Za-z]")  # colour/cursor codes, removed whole


def _is_latin_letter(ch: str) -> bool:
    o = ord(ch)
    return ch.isalpha() and (o < 0x250 or 0x1E00 <= o <= 0x1EFF or 0x2C60 <= o <= 0x2C7F
                             or 0xA720 <= o <= 0xA7FF)


def _latin_context(ch: str) -> bool:
    """Text where a joiner can shape nothing: ASCII, Latin letters, or the edge of the text."""
    return not ch or ch.isascii() or _is_latin_letter(ch)


def _in_zwsp_script(ch: str) -> bool:
    return any(lo <= ch <= hi for lo, hi in _ZWSP_SCRIPTS)


def _invisible_table(remove_joiners: bool, keep_zwsp: bool) -> dict[int, str | None]:
    table: dict[int, str | None] = {ord(c): None for c in _C0 + "".join(_ALWAYS_REMOVED)}
    table.update({ord(c): "\n" for c in _LINE_BREAKS})
    if remove_joiners:
        table.update({ord(c): None for c in _JOINERS})
    if keep_zwsp:
        del table[ord("\u200b")]
    return table


# what each invisible character becomes, by (both neighbours Latin, between word-break script)
_INVISIBLE_TABLES = {(j, z): _invisible_table(j, z) for j in (False, True) for z in (False, True)}


def _invisible_name(ch: str) -> str:
    if ch in _ALWAYS_REMOVED:
        return f"{_ALWAYS_REMOVED[ch]} {_u(ch)}"
    if ch in _JOINERS:
        return f"{_JOINERS[ch]} {_u(ch)} in Latin text"
    if ch in _LINE_BREAKS:
        return f"{_LINE_BREAKS[ch]} {_u(ch)} as a line break"
    return f"control character {_u(ch)}"


def _invisible_chars(text: str) -> list[_Fix]:
    out: list[_Fix] = []
    newline = "\r\n" if "\r\n" in text else "\n"  # a CRLF file keeps CRLF
    for m in _INVISIBLE_RUN.finditer(text):
        start, end = m.span()
        run = m.group()
        prev = text[start - 1] if start else ""
        nxt = text[end] if end < len(text) else ""
        latin = _latin_context(prev) and _latin_context(nxt)
        table = _INVISIBLE_TABLES[latin, _in_zwsp_script(prev) and _in_zwsp_script(nxt)]
        after = run.translate(table)
        if newline != "\n" and "\n" in after:
            after = after.replace("\n", newline)
        names = [_invisible_name(ch) for ch in dict.fromkeys(run) if table.get(ord(ch), ch) != ch]
        if run[-1] == "\x1b" and nxt == "[":
            escape = _TERMINAL_ESCAPE.match(text, end - 1)
            if escape:
                end = escape.end()
                names[-1:] = ["terminal escape sequence"] if names[-1].endswith("U+001B") else []
        if after != text[start:end]:
            out.append(_Fix(start, end, after, "E003", ", ".join(names)))
    return out


# ---------------------------------------------------------------------------------------
# E004 no-break spaces

_NO_BREAK = {_char(k): v for k, v in _TABLES["no_break_spaces"].items() if k.startswith("U+")}
_KEEP_BEFORE = _TABLES["no_break_spaces"]["keep"]["before"]
_KEEP_AFTER = _TABLES["no_break_spaces"]["keep"]["after"]
_NO_BREAK_RUN = re.compile(f"[{_char_class(_NO_BREAK)}]+")


def _no_break_spaces(text: str) -> list[_Fix]:
    if text.isascii():
        return []
    out: list[_Fix] = []
    for m in _NO_BREAK_RUN.finditer(text):
        start, end = m.span()
        prev = text[start - 1] if start else ""
        nxt = text[end] if end < len(text) else ""
        if end - start == 1 and prev.isdecimal() and nxt.isdecimal():
            continue  # number grouping: "10 000"
        if (nxt and nxt in _KEEP_BEFORE) or (prev and prev in _KEEP_AFTER):
            continue  # French punctuation spacing: "Quoi ?", "« Non »"
        reason = ", ".join(f"{_NO_BREAK[ch]} {_u(ch)}" for ch in dict.fromkeys(m.group()))
        out.append(_Fix(start, end, " " * (end - start), "E004", reason))
    return out


# ---------------------------------------------------------------------------------------
# E005 homoglyphs

_HOMOGLYPHS: dict[str, tuple[str, str]] = {
    _char(code): (latin, script)
    for script, table in _TABLES["homoglyphs"].items()
    for code, latin in table.items()
}
_HOMOGLYPH = re.compile(f"[{_char_class(_HOMOGLYPHS)}]")
_WORD_REST = re.compile(r"[^\W\d_]*")
_LONGEST_WORD = 100  # a longer run of letters is not a word anyone reads


def _homoglyphs(text: str) -> list[_Fix]:
    if text.isascii():
        return []
    out: list[_Fix] = []
    done = 0
    for m in _HOMOGLYPH.finditer(text):
        i = m.start()
        if i < done:
            continue
        start = i
        while start > done and i - start < _LONGEST_WORD and text[start - 1].isalpha():
            start -= 1
        end = _WORD_REST.match(text, i + 1).end()
        done = end
        word = text[start:end]
        if len(word) > _LONGEST_WORD:
            continue
        hits = [k for k, ch in enumerate(word) if ch in _HOMOGLYPHS]
        rest = [ch for ch in word if ch not in _HOMOGLYPHS]
        if not rest or not all(_is_latin_letter(ch) for ch in rest):
            continue  # a Cyrillic or Greek word, or a word of several scripts: not ours
        for k in hits:
            ch = word[k]
            latin, script = _HOMOGLYPHS[ch]
            out.append(_Fix(start + k, start + k + 1, latin, "E005",
                            f"{script} {ch} ({_u(ch)}) in a Latin word"))
    return out


# ---------------------------------------------------------------------------------------
# running the rules to a fixed point


def _compose(done: list[_Fix], current: str, new: list[_Fix]) -> list[_Fix]:
    """Fold ``new`` (edits of ``current``) into ``done`` (edits of the input that made it).

    A new edit that overlaps the output of an earlier one is merged with it: the merged edit
    spans both in the input, carries the earlier rule and both reasons. Edits that merely
    touch stay apart, so each change still points at its own evidence.
    """
    spans = []  # output span of each done edit, in ``current``
    shifts = [0]  # shifts[t]: how far the first t done edits moved what follows them
    for f in done:
        s = f.start + shifts[-1]
        spans.append((s, s + len(f.after)))
        shifts.append(shifts[-1] + len(f.after) - (f.end - f.start))

    # Group new edits with the done edits whose output they overlap: an output span overlaps
    # [start, end) when it ends after start and begins before end (an empty one, left by a
    # deletion, only when strictly inside). Groups are runs of both sorted lists.
    groups: list[tuple[list[int], list[_Fix], int]] = []
    j = 0
    for n in new:
        while j < len(spans) and spans[j][1] <= n.start:
            j += 1
        touched = []
        k = j
        while k < len(spans) and spans[k][0] < n.end:
            touched.append(k)
            k += 1
        if groups and touched and groups[-1][0] and groups[-1][0][-1] >= touched[0]:
            ids, ns, _ = groups[-1]
            ids.extend(t for t in touched if t > ids[-1])
            ns.append(n)
        else:
            groups.append((touched, [n], j))

    result: list[_Fix] = []
    absorbed: set[int] = set()
    for ids, ns, before_count in groups:
        if not ids:
            n = ns[0]
            shift = shifts[before_count]
            result.append(n._replace(start=n.start - shift, end=n.end - shift))
            continue
        first, last = done[ids[0]], done[ids[-1]]
        out_start = min(spans[ids[0]][0], ns[0].start)
        out_end = max(spans[ids[-1]][1], ns[-1].end)
        after = apply_edits(current[out_start:out_end],
                       [n._replace(start=n.start - out_start, end=n.end - out_start) for n in ns])
        start = first.start - (spans[ids[0]][0] - out_start)
        end = last.end + (out_end - spans[ids[-1]][1])
        reasons: list[str] = []
        for r in [done[t].reason for t in ids] + [n.reason for n in ns]:
            if r not in reasons:
                reasons.append(r)
        result.append(_Fix(start, end, after, first.rule, ", then ".join(reasons)))
        absorbed.update(ids)

    result.extend(f for t, f in enumerate(done) if t not in absorbed)
    result.sort(key=lambda f: (f.start, f.end))
    return result


# (rule, finder, the characters without which the finder has nothing to do)
_RULES: tuple[tuple[str, Callable[[str], list[_Fix]], frozenset[str]], ...] = (
    # entities first: they can spell out mojibake, invisible characters and no-break spaces;
    # mojibake next: it decodes to BOMs, no-break spaces and soft hyphens
    ("E002", _html_entities, frozenset("&")),
    ("E001", _mojibake, frozenset(_MOJIBAKE_TRIGGERS)),
    ("E003", _invisible_chars, frozenset(_INVISIBLE_CHARS)),
    ("E004", _no_break_spaces, frozenset(_NO_BREAK)),
    ("E005", _homoglyphs, frozenset(_HOMOGLYPHS)),
)
_MAX_ROUNDS = 16

# Every non-ASCII character a finder reacts to: one scan tells which finders to run at all.
_TRIGGERS = set().union(*(triggers for _, _, triggers in _RULES))
_SUSPECT = re.compile(f"[{_char_class(_TRIGGERS - set(_ASCII_PRINTABLE.decode()))}]")


def _suspects(text: str) -> set[str]:
    """The characters of ``text`` that some finder reacts to.

    >>> sorted(_suspects("AT&T\\x07 paid £5"))
    ['\\x07', '&']
    """
    if text.isascii():
        # bytes.translate is the fastest way to ask "any control character?" of ASCII text
        found = set(text.encode("ascii").translate(None, _ASCII_PRINTABLE).decode("ascii"))
    else:
        found = set(_SUSPECT.findall(text))
    if "&" in text:
        found.add("&")
    return found


def _non_overlapping(fixes: list[_Fix]) -> list[_Fix]:
    out: list[_Fix] = []
    for f in sorted(fixes, key=lambda f: (f.start, f.end)):
        if out and f.start < out[-1].end:
            continue
        out.append(f)
    return out


def find_fixes(text: str, rules: Container[str]) -> list[_Fix]:
    """The encoding edits of ``text`` for the enabled ``rules``, applied to a fixed point.

    >>> [(text[f.start:f.end], f.after, f.rule) for text in ["Caf\\u00c3\\u00a9 &amp; bar"]
    ...  for f in find_fixes(text, {"E001", "E002"})]
    [('Ã©', 'é', 'E001'), ('&amp;', '&', 'E002')]
    """
    suspects = _suspects(text)
    if not suspects:
        return []
    active = [r for r in _RULES if r[0] in rules]
    done: list[_Fix] = []
    current = text
    for _ in range(_MAX_ROUNDS):
        changed = False
        for _rule, run, triggers in active:
            if triggers.isdisjoint(suspects):
                continue
            new = _non_overlapping([f for f in run(current) if current[f.start:f.end] != f.after])
            if not new:
                continue
            done = _compose(done, current, new)
            current = apply_edits(current, new)
            suspects = _suspects(current)
            changed = True
        if not changed:
            break
    return [f for f in done if text[f.start:f.end] != f.after]


def find_edits(text: str, ctx) -> list:
    """The pipeline's entry point: :func:`find_fixes` for the rules ``ctx`` enables."""
    fixes = find_fixes(text, ctx.rules)
    if not fixes:
        return []

    return [Edit(*f) for f in fixes]
