"""wireclean: clean and de-duplicate news text.

>>> import wireclean
>>> wireclean.fix("A USA official said Russian Federation has gone too far.")
'A U.S. official said Russia has gone too far.'
"""

from .fix import Change, FixResult, Fixer, fix, fix_and_explain

__all__ = ["Change", "FixResult", "Fixer", "fix", "fix_and_explain"]
__version__ = "0.1.0"
