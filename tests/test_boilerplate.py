"""Scraper furniture (B001) and wire credit lines in scraped copies (B002).

Both rules are opt-in (`select=["boilerplate"]`): a newsroom's own copy is never trimmed
by default. Lines are removed whole, line ending included, and no blank hole is left.
"""

from __future__ import annotations

import doctest

import pytest

import wireclean
from wireclean.fix import boilerplate

BOILERPLATE = ["boilerplate"]


def explain(text: str, **options):
    options.setdefault("select", BOILERPLATE)
    return wireclean.fix_and_explain(text, **options)


def test_boilerplate_is_off_by_default():
    text = "Talks resumed on Monday.\nAdvertisement\nBoth sides met again.\n"
    assert wireclean.fix(text) == text


def test_furniture_line_is_removed_whole_with_its_line_ending():
    text = "Talks resumed on Monday.\nAdvertisement\nBoth sides met again.\n"
    result = explain(text)
    assert result.text == "Talks resumed on Monday.\nBoth sides met again.\n"
    [change] = result.changes
    assert (change.rule, change.start, change.end) == ("B001", 25, 39)
    assert (change.before, change.after) == ("Advertisement\n", "")
    assert change.reason == "scraper furniture line ('Advertisement')"


@pytest.mark.parametrize("line", [
    "More news: Storm cuts power to thousands on the coast",
    "Adjust Comment Print",
    "ADVERTISEMENT",
    "Share on Twitter:",
    "Continue Reading",
    "Read more: Senate passes the budget bill",
    "READ MORE: New footage shows the crash",
    '[adsforwp id="70836"]',
    "Featured image via Getty Images",
    "  Advertisement  ",
])
def test_known_furniture_lines(line):
    text = f"The ministry confirmed the figures.\n{line}\nOfficials will meet again in May.\n"
    assert explain(text).text == ("The ministry confirmed the figures.\n"
                                  "Officials will meet again in May.\n")


@pytest.mark.parametrize("text", [
    "Readers who read more: that is the goal, the editor said.\n",
    "He said the advertisement ran twice in May.\n",
    "“In today’s world, [the work of reporters] is harder,” she said.\n",
    "Advertisement revenue fell 4 percent in the quarter.\n",
    "The board will continue reading the report on Monday.\n",
    "Share prices rose on Twitter’s results.\n",
])
def test_furniture_words_inside_story_lines_are_kept(text):
    assert explain(text).changes == []


def test_no_blank_hole_between_paragraphs():
    text = "First paragraph.\n\nAdvertisement\n\nSecond paragraph.\n"
    assert explain(text).text == "First paragraph.\n\nSecond paragraph.\n"


def test_a_run_of_furniture_lines_goes_at_once():
    text = ("First paragraph.\n\nAdvertisement\n\nMore news: Flooding closes the port\n\n"
            "Second paragraph.\n")
    assert explain(text).text == "First paragraph.\n\nSecond paragraph.\n"


def test_furniture_at_either_end():
    assert explain("Adjust Comment Print\nThe story starts here.\n").text == "The story starts here.\n"
    assert explain("The story ends here.\nMore news: Rates held").text == "The story ends here."
    assert explain("The story ends here.\n\nContinue Reading\n").text == "The story ends here.\n"
    assert explain("Advertisement").text == ""


def test_crlf_line_endings_are_kept():
    text = "First line.\r\nAdvertisement\r\nSecond line.\r\n"
    assert explain(text).text == "First line.\r\nSecond line.\r\n"


REUTERS_STORY = ("LONDON (Reuters) - Britain's economy grew 0.5 percent in the third quarter, "
                 "official data showed on Friday.\n"
                 "The figure was in line with forecasts.\n"
                 "(Reporting by Ann Lee; Editing by Bo Li)\n")


def test_a_newsrooms_own_credit_line_is_kept():
    assert explain(REUTERS_STORY).changes == []


def test_credit_line_goes_from_a_copy_with_furniture():
    text = "Adjust Comment Print\n" + REUTERS_STORY
    result = explain(text)
    assert result.text == REUTERS_STORY.replace("(Reporting by Ann Lee; Editing by Bo Li)\n", "")
    credit = next(c for c in result.changes if c.rule == "B002")
    assert credit.before == "(Reporting by Ann Lee; Editing by Bo Li)\n"
    assert credit.reason == ("wire credit line in a scraped copy "
                             "(furniture line 'Adjust Comment Print')")


def test_credit_line_goes_from_a_spun_copy():
    text = ("Russian Federation carried out strikes from the base, officials said.\n"
            "Russia’s ministry confirmed it.\n"
            "(Reporting by Ann Lee, editing by Bo Li)\n")
    result = explain(text, select=["boilerplate", "entities"])
    assert result.text == ("Russia carried out strikes from the base, officials said.\n"
                           "Russia’s ministry confirmed it.\n")
    credit = next(c for c in result.changes if c.rule == "B002")
    assert credit.reason.startswith("wire credit line in a scraped copy (spun: article-less "
                                    "'Russian Federation' x1")


def test_credit_closing_the_last_paragraph_of_a_scraped_copy():
    text = ("More news: Rates held\n"
            "The figure was in line with forecasts, the agency said. (Reporting by Ann Lee)\n")
    assert explain(text).text == "The figure was in line with forecasts, the agency said.\n"


def test_credit_rule_alone_does_not_remove_furniture():
    text = "Advertisement\n" + REUTERS_STORY
    result = explain(text, select=["B002"])
    assert [c.rule for c in result.changes] == ["B002"]
    assert result.text.startswith("Advertisement\n")


@pytest.mark.parametrize("text", [
    "Adjust Comment Print\n\nFirst.\n\nAdvertisement\n\n\nSecond.\n(Reporting by A B; Editing by C D)",
    "Advertisement\r\n\r\nMore news: x\r\n",
    "\n\nAdvertisement\n\n\n",
    "Read more: a\nRead more: b\nRead more: c",
])
def test_removal_is_idempotent_and_points_at_the_input(text):
    result = explain(text)
    for c in result.changes:
        assert text[c.start:c.end] == c.before
    assert explain(result.text).changes == []


def test_docstring_examples_run():
    result = doctest.testmod(boilerplate)
    assert result.attempted > 0 and result.failed == 0
