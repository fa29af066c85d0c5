"""Readers and writers: files in, text to fix; fixed text out, files kept intact.

Formats and what of them is fixed:

- ``txt``: the whole file (:mod:`.text`);
- ``md``: the prose, with front matter, code, link targets and HTML frozen (:mod:`.markdown`);
- ``jsonl``, ``csv``: one text field of every record (:mod:`.records`).

>>> from wireclean.fix import FixResult
>>> class Upper:
...     def fix_and_explain(self, text, frozen=()):
...         return FixResult(text.upper())
>>> fix_document('{"text": "a"}\\n', "jsonl", Upper()).text
'{"text": "A"}\\n'
"""

from __future__ import annotations

from typing import Callable

from . import report
from .base import Finding, Fixed, InputError, SupportsFix, line_cols
from .markdown import fix_markdown, frozen_spans
from .paths import EXTENSIONS, Problem, Target, collect, format_for
from .records import fix_csv, fix_jsonl
from .source import STDIN, Source, decode, ensure_writable, read_file, read_stream, write_atomic
from .text import fix_text

FORMATS: dict[str, Callable[[str, SupportsFix, str], Fixed]] = {
    "txt": lambda text, fixer, text_field: fix_text(text, fixer),
    "md": lambda text, fixer, text_field: fix_markdown(text, fixer),
    "jsonl": fix_jsonl,
    "csv": fix_csv,
}


def fix_document(text: str, fmt: str, fixer: SupportsFix, text_field: str = "text") -> Fixed:
    """Fix ``text`` read from a file of format ``fmt``; :class:`InputError` if malformed."""
    return FORMATS[fmt](text, fixer, text_field)


__all__ = ["EXTENSIONS", "FORMATS", "STDIN", "Finding", "Fixed", "InputError", "Problem",
           "Source", "SupportsFix", "Target", "collect", "decode", "ensure_writable",
           "fix_document", "fix_markdown", "fix_text", "fix_jsonl", "fix_csv", "format_for",
           "frozen_spans", "line_cols", "read_file", "read_stream", "report", "write_atomic"]
