"""wireclean: clean and de-duplicate news text.

>>> import wireclean
>>> wireclean.fix("A USA official said Russian Federation has gone too far.")
'A U.S. official said Russia has gone too far.'
>>> idx = wireclean.Index()
>>> story = "Iran has allowed Russia to use one of its air bases to stage strikes inside Syria."
>>> idx.add("wire-1", story)
>>> [(m.key, m.key_para) for m in idx.query(story.replace("Russia", "Russian Federation"))]
[('wire-1', 0)]
"""

from .fix import Change, FixResult, Fixer, fix, fix_and_explain

__all__ = ["Change", "FixResult", "Fixer", "fix", "fix_and_explain",
           "Index", "Match", "IndexFormatError", "DuplicateKeyError"]
__version__ = "0.1.0"

_DEDUP_NAMES = {"Index", "Match", "IndexFormatError", "DuplicateKeyError"}


def __getattr__(name):
    # dedup pulls in numpy; `wireclean fix` and pre-commit's check hook should not pay for it
    if name in _DEDUP_NAMES:
        from . import dedup
        return getattr(dedup, name)
    raise AttributeError(f"module 'wireclean' has no attribute {name!r}")
