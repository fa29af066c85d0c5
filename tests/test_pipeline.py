"""The pipeline's promise: every Change points at the input, whatever earlier passes did."""

from __future__ import annotations

import random

import pytest

from wireclean.fix import pipeline
from wireclean.fix.edits import apply_edits
from wireclean.fix.pipeline import Edit, Fixer
from wireclean.fix.registry import UnknownRuleError, select_rules


def _literal_pass(rule: str, old: str, new: str):
    def run(text, ctx):
        edits, i = [], text.find(old)
        while i >= 0:
            edits.append(Edit(i, i + len(old), new, rule, f"{old!r} -> {new!r}"))
            i = text.find(old, i + len(old))
        return edits
    return run


@pytest.fixture
def fake_passes(monkeypatch):
    def install(*passes):
        monkeypatch.setattr(pipeline, "PASSES", tuple(passes))
        monkeypatch.setattr(pipeline, "_FAMILY_RULES",
                            {fam: frozenset(["E001", "S003", "N001", "B001"]) for fam, _ in passes})
    return install


def _replay(text: str, changes) -> str:
    """Apply the reported changes to the input, as a reviewer reading --check would."""
    return apply_edits(text, sorted(changes, key=lambda c: c.start))


def test_offsets_of_later_pass_are_mapped_back_to_the_input(fake_passes):
    fake_passes(("a", _literal_pass("E001", "&amp;", "&")),
                ("b", _literal_pass("N001", "Russian Federation", "Russia")))
    text = "R&amp;D in Russian Federation &amp; more"
    result = Fixer().fix_and_explain(text)
    assert result.text == "R&D in Russia & more"
    for c in result.changes:
        assert text[c.start:c.end] == c.before
    n001 = [c for c in result.changes if c.rule == "N001"][0]
    assert (n001.start, n001.end) == (text.index("Russian"), text.index(" &amp; more"))
    assert _replay(text, result.changes) == result.text


def test_a_change_over_an_earlier_change_widens_to_cover_it(fake_passes):
    # pass 1 turns a Cyrillic letter into Latin, pass 2 rewrites the word containing it
    fake_passes(("a", _literal_pass("E001", "\u0430", "a")),
                ("b", _literal_pass("N001", "USa", "U.S.")))
    text = "the US\u0430 envoy"
    result = Fixer().fix_and_explain(text)
    assert result.text == "the U.S. envoy"
    later = [c for c in result.changes if c.rule == "N001"][0]
    assert later.before == "US\u0430" and later.after == "U.S."


def test_insertions_and_deletions_map_exactly(fake_passes):
    fake_passes(("a", _literal_pass("E001", "\u200b", "")),
                ("b", _literal_pass("S003", ".O", ". O")))
    text = "deal\u200b.Officials said.Others\u200b agreed"
    result = Fixer().fix_and_explain(text)
    assert result.text == "deal. Officials said. Others agreed"
    assert all(text[c.start:c.end] == c.before for c in result.changes)
    assert _replay(text, result.changes) == result.text


def test_frozen_spans_are_never_edited(fake_passes):
    fake_passes(("b", _literal_pass("N001", "Russian Federation", "Russia")))
    text = "`Russian Federation` and Russian Federation"
    result = Fixer().fix_and_explain(text, frozen=[(0, 20)])
    assert result.text == "`Russian Federation` and Russia"


def test_changes_of_random_edit_chains_always_point_at_the_input(fake_passes):
    rng = random.Random(7)
    fake_passes(("a", _literal_pass("E001", "xy", "Q")),
                ("b", _literal_pass("B001", "Qz", "")),
                ("c", _literal_pass("S003", "z", "zz")))
    for _ in range(300):
        text = "".join(rng.choice("xyzQ ") for _ in range(rng.randint(0, 30)))
        result = Fixer().fix_and_explain(text)
        for c in result.changes:
            assert text[c.start:c.end] == c.before
            assert 0 <= c.start <= c.end <= len(text)


def test_disabled_rules_make_no_change(fake_passes):
    fake_passes(("a", _literal_pass("S003", " ,", ",")))
    assert Fixer(ignore=["S003"]).fix("a , b") == "a , b"
    assert Fixer(select=["S003"]).fix("a , b") == "a, b"


def test_rule_selection_by_id_prefix_and_family():
    assert "B001" not in select_rules()
    assert select_rules(select=["boilerplate"]) == {"B001", "B002"}
    assert select_rules(select=["S00"]) == {r for r in select_rules(select=["spacing"])}
    assert "S006" not in select_rules(ignore=["S006"])
    assert "B002" in select_rules(extend_select=["B"])
    with pytest.raises(UnknownRuleError, match="Q9"):
        select_rules(select=["Q9"])


def test_unknown_style_is_rejected():
    with pytest.raises(ValueError, match="style"):
        Fixer(style="nyt")
