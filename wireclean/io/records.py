"""Record files (.jsonl, .csv): fix one text field per record, keep everything else.

Each record is fixed on its own (spin evidence in one article says nothing about the
next). A record whose text did not change is written back byte for byte; in a changed
record only the text field is rewritten, so other fields, key order, number formats and
whitespace stay exactly as they were. A malformed record is an :class:`InputError`
naming its line, and the caller leaves the file untouched: a line is never dropped.

Positions: a finding's ``line`` is the file line where its record starts and ``col`` is
the 1-based character position inside the decoded text field (see :mod:`.base`).

JSONL: blank lines are kept as they are. The new field value is written with non-ASCII
characters as they are (``ensure_ascii=False``), unless the original value was written
with ``\\uXXXX`` escapes and no raw non-ASCII, in which case it keeps that style.

>>> from wireclean.fix import FixResult
>>> class Upper:
...     def fix_and_explain(self, text, frozen=()):
...         return FixResult(text.upper())
>>> fix_jsonl('{"id": 1.0, "text": "café"}\\n', Upper()).text
'{"id": 1.0, "text": "CAFÉ"}\\n'

CSV: the first record is the header and must name the text field. The delimiter is the
first of ``, TAB ; |`` that splits the header into a row holding the text field; quotes
are ``"``. In a changed record only the text field's characters are replaced: it stays
quoted if it was, and is quoted if its new value must be.

>>> fix_csv('id,text\\r\\n7,"a, b"\\r\\n', Upper()).text
'id,text\\r\\n7,"A, B"\\r\\n'
"""

from __future__ import annotations

import csv
import io
import json
from contextlib import contextmanager
from json.decoder import scanstring
from typing import Iterator

from .base import Finding, Fixed, InputError, SupportsFix

_JSON_WS = " \t\n\r"
_decoder = json.JSONDecoder()


def split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only, keeping it (``str.splitlines`` would also split on \\x1c,
    \\u2028 ... which may sit inside a quoted CSV field or a JSON string)."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


# ---------------------------------------------------------------- JSONL

def fix_jsonl(text: str, fixer: SupportsFix, text_field: str = "text") -> Fixed:
    out: list[str] = []
    findings: list[Finding] = []
    for number, line in enumerate(split_lines(text), 1):
        if not line.strip(_JSON_WS):
            out.append(line)
            continue
        value = record_text(line, text_field, number)
        result = fixer.fix_and_explain(value)
        if result.text == value:
            out.append(line)
            continue
        out.append(replace_field(line, text_field, result.text))
        findings.extend(Finding(number, c.start + 1, c) for c in result.changes)
    return Fixed("".join(out), findings)


def record_text(line: str, field: str, number: int) -> str:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        raise InputError(f"not valid JSON: {e.msg} (column {e.colno})", number) from None
    except RecursionError:
        raise InputError("not valid JSON: nested too deeply", number) from None
    if not isinstance(record, dict):
        raise InputError(f"expected a JSON object, got {_json_type(record)}", number)
    if field not in record:
        keys = ", ".join(list(record)[:8]) or "none"
        raise InputError(f"no {field!r} field (fields: {keys}); choose one with --text-field",
                         number)
    value = record[field]
    if not isinstance(value, str):
        raise InputError(f"field {field!r} is {_json_type(value)}, not a string", number)
    return value


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "an array", dict: "an object"}.get(type(value), type(value).__name__)


def replace_field(line: str, field: str, new_value: str) -> str:
    """``line`` (a valid JSON object) with the last ``field`` value replaced, every other
    byte kept. ``json.loads`` keeps the last of duplicate keys, so we replace that one."""
    span = None
    i = _skip_ws(line, 0) + 1                      # past "{"
    i = _skip_ws(line, i)
    while line[i] != "}":
        key, i = scanstring(line, i + 1)
        i = _skip_ws(line, _skip_ws(line, i) + 1)  # past ":"
        _, end = _decoder.raw_decode(line, i)
        if key == field:
            span = (i, end)
        i = _skip_ws(line, end)
        if line[i] == ",":
            i = _skip_ws(line, i + 1)
    assert span is not None                        # record_text checked it is there
    a, b = span
    old = line[a:b]
    keep_escapes = old.isascii() and "\\u" in old
    return line[:a] + json.dumps(new_value, ensure_ascii=keep_escapes) + line[b:]


def _skip_ws(s: str, i: int) -> int:
    while i < len(s) and s[i] in _JSON_WS:
        i += 1
    return i


# ---------------------------------------------------------------- CSV

_DELIMITERS = (",", "\t", ";", "|")


def fix_csv(text: str, fixer: SupportsFix, text_field: str = "text") -> Fixed:
    lines = split_lines(text)
    if not lines:
        return Fixed(text)
    delimiter = csv_delimiter(lines[0], text_field)
    out: list[str] = []
    findings: list[Finding] = []
    column = -1
    for first_line, raw, row in csv_records(lines, delimiter):
        if column < 0:                             # the header
            if text_field not in row:
                raise InputError(f"the header has no {text_field!r} column", first_line)
            column = row.index(text_field)
            out.append(raw)
            continue
        if not row:                                # blank line: keep it
            out.append(raw)
            continue
        if len(row) <= column:
            raise InputError(f"record has {len(row)} field(s), no {text_field!r} "
                             f"(column {column + 1})", first_line)
        result = fixer.fix_and_explain(row[column])
        if result.text == row[column]:
            out.append(raw)
            continue
        out.append(replace_column(raw, row, column, result.text, delimiter))
        findings.extend(Finding(first_line, c.start + 1, c) for c in result.changes)
    return Fixed("".join(out), findings)


def csv_records(lines: list[str], delimiter: str) -> Iterator[tuple[int, str, list[str]]]:
    """(first line number, raw text, parsed row) of every CSV record, header included.

    The raw text keeps the record's own quoting and line ending, so a writer can copy an
    unchanged record byte for byte.
    """
    with _unlimited_field_size():
        reader = csv.reader(iter(lines), delimiter=delimiter, quotechar='"', strict=True)
        consumed = 0
        while True:
            first_line = consumed + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise InputError(f"malformed CSV: {e}", first_line) from None
            raw = "".join(lines[consumed:reader.line_num])
            consumed = reader.line_num
            yield first_line, raw, row


def csv_delimiter(header: str, text_field: str) -> str:
    for d in _DELIMITERS:
        try:
            row = next(csv.reader([header], delimiter=d, quotechar='"'))
        except (csv.Error, StopIteration):
            continue
        if text_field in row:
            return d
    try:
        columns = ", ".join(next(csv.reader([header]))[:8])
    except (csv.Error, StopIteration):
        columns = "none"
    raise InputError(f"the header has no {text_field!r} column (columns: {columns}); "
                     "choose one with --text-field", 1)


def replace_column(raw: str, row: list[str], column: int, value: str,
                   delimiter: str) -> str:
    """``raw`` (one CSV record) with field ``column`` replaced by ``value``, every other
    byte kept; the field stays quoted if it was, and is quoted if it now must be."""
    ending = "\r\n" if raw.endswith("\r\n") else "\n" if raw.endswith("\n") else ""
    spans = _field_spans(raw, len(raw) - len(ending), delimiter)
    if len(spans) != len(row):                 # a dialect we did not foresee: rewrite it
        new_row = list(row)
        new_row[column] = value
        buf = io.StringIO()
        csv.writer(buf, delimiter=delimiter, lineterminator=ending).writerow(new_row)
        return buf.getvalue()
    a, b = spans[column]
    quoted = raw.startswith('"', a) or any(c in value for c in (delimiter, '"', "\r", "\n"))
    field = '"' + value.replace('"', '""') + '"' if quoted else value
    return raw[:a] + field + raw[b:]


def _field_spans(raw: str, end: int, delimiter: str) -> list[tuple[int, int]]:
    """Raw spans of the fields of a record the csv module has already parsed strictly."""
    spans = []
    i = 0
    while True:
        if raw.startswith('"', i, end):
            close = raw.find('"', i + 1, end)
            while close >= 0 and raw.startswith('"', close + 1, end):
                close = raw.find('"', close + 2, end)
            stop = end if close < 0 else close + 1
        else:
            found = raw.find(delimiter, i, end)
            stop = end if found < 0 else found
        spans.append((i, stop))
        if stop >= end:
            return spans
        i = stop + len(delimiter)


@contextmanager
def _unlimited_field_size() -> Iterator[None]:
    # The csv module refuses fields over 128 KiB by default; a long article is legitimate.
    old = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    try:
        yield
    finally:
        csv.field_size_limit(old)
