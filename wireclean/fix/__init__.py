"""fix: repair wire-copy artifacts, explaining every change."""

from .pipeline import Change, Context, Edit, FixResult, Fixer, fix, fix_and_explain
from .registry import RULES, Rule, UnknownRuleError, select_rules

__all__ = ["Change", "Context", "Edit", "FixResult", "Fixer", "fix", "fix_and_explain",
           "RULES", "Rule", "UnknownRuleError", "select_rules"]
