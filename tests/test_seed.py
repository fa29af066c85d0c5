"""The seed article: a stitched, spun wire story and its hand-written fixed form.

`seeds/000_40c545358694a86b.txt` is the article exactly as it was found;
`seeds/000_40c545358694a86b.fixed.txt` was written by hand, not produced by the tool.
The tool must reproduce the hand-fixed form line for line, and leave it alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import wireclean

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED = SEEDS / "000_40c545358694a86b.txt"
FIXED = SEEDS / "000_40c545358694a86b.fixed.txt"


def _read(path: Path) -> str:
    # newline="" keeps the bytes' line endings: the comparison is exact
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def _line_pairs():
    got = wireclean.fix(_read(SEED)).split("\n")
    want = _read(FIXED).split("\n")
    assert len(got) == len(want), f"fixed seed has {len(got)} lines, hand-fixed form {len(want)}"
    return list(zip(got, want))


@pytest.mark.parametrize("line_no", range(1, len(_read(FIXED).split("\n")) + 1))
def test_seed_line_matches_the_hand_fixed_form(line_no):
    got, want = _line_pairs()[line_no - 1]
    assert got == want


def test_hand_fixed_form_is_a_fixed_point():
    fixed = _read(FIXED)
    result = wireclean.fix_and_explain(fixed)
    assert [(c.rule, c.before, c.after) for c in result.changes] == []
    assert result.text == fixed


def test_seed_entity_changes_name_their_evidence():
    seed = _read(SEED)
    changes = [c for c in wireclean.fix_and_explain(seed).changes if c.rule.startswith("N")]
    # nine article-less "Russian Federation", one "USA -led", one "A USA official"
    assert sorted(c.rule for c in changes) == ["N001"] * 9 + ["N002", "N003"]
    for c in changes:
        assert seed[c.start:c.end] == c.before
        assert c.reason.startswith("spun document (")
        assert "article-less 'Russian Federation'" in c.reason
        assert "'USA -led' x1" in c.reason
    n003 = next(c for c in changes if c.rule == "N003")
    assert (n003.before, n003.after) == ("USA", "U.S.")
    # the seed writes "U.S." once and "US" once: a tie goes to "U.S."
    assert "U.S. x1, US x1" in n003.reason
