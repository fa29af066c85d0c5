"""Plain text (.txt): the whole file is one document.

Newlines are whatever the file has (the file is decoded from bytes, never through a
newline-translating reader), so CRLF stays CRLF and a missing final newline stays missing.

>>> from wireclean.fix import FixResult
>>> class Upper:                      # any object with fix_and_explain() will do
...     def fix_and_explain(self, text, frozen=()):
...         return FixResult(text.upper())
>>> fix_text("wire\\r\\ncopy", Upper()).text
'WIRE\\r\\nCOPY'
"""

from __future__ import annotations

from .base import Fixed, SupportsFix, place


def fix_text(text: str, fixer: SupportsFix) -> Fixed:
    result = fixer.fix_and_explain(text)
    return Fixed(result.text, place(text, result.changes))
