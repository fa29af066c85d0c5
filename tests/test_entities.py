"""Spin detection and entity restoration (N001-N004).

The pass must restore what a spinner swapped, and only in documents that show it was
spun. Sentences are written for these tests in wire style.
"""

from __future__ import annotations

import doctest

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import wireclean
from wireclean.fix import entities
from wireclean.fix.pipeline import Context

ENTITIES_ONLY = ["entities"]


def explain(text: str, **options):
    options.setdefault("select", ENTITIES_ONLY)
    return wireclean.fix_and_explain(text, **options)


def n_changes(text: str, **options):
    return [(c.rule, c.before, c.after) for c in explain(text, **options).changes]


# --- restoration, with exact offsets and reasons ------------------------------------------

def test_article_less_russian_federation_beside_russia_is_restored():
    text = ("Iran and Russian Federation are the firmest backers of Damascus.\n"
            "Russia’s air force flew from the base.")
    result = explain(text)
    assert result.text == ("Iran and Russia are the firmest backers of Damascus.\n"
                           "Russia’s air force flew from the base.")
    [change] = result.changes
    assert (change.rule, change.start, change.end) == ("N001", 9, 27)
    assert (change.before, change.after) == ("Russian Federation", "Russia")
    assert change.reason == ("spun document (article-less 'Russian Federation' x1 beside "
                             "'Russia’s'); restored 'Russia'")


def test_usa_dash_compound_is_proof_by_itself():
    text = "Warplanes of the USA -backed coalition struck the town on Monday."
    [change] = explain(text).changes
    assert (change.rule, change.start, change.end) == ("N002", 17, 22)
    assert (change.before, change.after) == ("USA -", "U.S.-")
    assert change.reason == ("spun document ('USA -backed' x1); restored 'U.S.-' "
                             "(no 'U.S.' or 'US' elsewhere)")
    assert wireclean.fix(text) == "Warplanes of the U.S.-backed coalition struck the town on Monday."


@pytest.mark.parametrize("style, expected", [
    ("auto", "U.S.-led"), ("ap", "U.S.-led"), ("reuters", "U.S.-led"), ("guardian", "US-led"),
])
def test_style_chooses_the_restored_form(style, expected):
    text = "Jets of the USA -led coalition flew over the city."
    assert expected in wireclean.fix(text, style=style)


def test_usa_follows_the_documents_prevailing_form():
    text = ("A USA official said Russian Federation had moved troops.\n"
            "US officials in Brussels agreed, and a US envoy flew to Kyiv.\n"
            "The U.S. embassy did not comment.")
    result = explain(text)
    assert result.text.splitlines()[0] == "A US official said Russia had moved troops."
    n003 = next(c for c in result.changes if c.rule == "N003")
    assert (n003.start, n003.end, n003.before, n003.after) == (2, 5, "USA", "US")
    assert n003.reason.endswith("'USA' as an adjective restored to 'US' "
                                "(the document's own form: US x2, U.S. x1)")
    # a house style overrides the document's own habit
    assert explain(text, style="ap").text.splitlines()[0] == "A U.S. official said Russia had moved troops."


def test_a_tie_between_forms_goes_to_dotted():
    text = "A USA official said Russian Federation had moved. A US aide and a U.S. envoy agreed."
    assert explain(text).text.startswith("A U.S. official said Russia had moved.")


def test_possessives_and_quotes_are_restored_in_a_spun_document():
    text = ("Russian Federation’s navy sailed on Monday, and Russian Federation's army followed.\n"
            "“We will not yield to Russian Federation,” the minister said of Russia.")
    assert explain(text).text == (
        "Russia’s navy sailed on Monday, and Russia's army followed.\n"
        "“We will not yield to Russia,” the minister said of Russia.")


def test_usa_at_sentence_end_keeps_one_period():
    text = "Russian Federation expelled diplomats from the USA. Russia said more would follow."
    assert explain(text).text == "Russia expelled diplomats from the U.S. Russia said more would follow."
    assert explain(text, style="guardian").text == (
        "Russia expelled diplomats from the US. Russia said more would follow.")


def test_lowercase_us_for_the_country():
    text = ("He said the us president would visit, and the us-led coalition would stay.\n"
            "Russia’s envoy said Russian Federation disagreed.")
    result = explain(text)
    assert result.text.splitlines()[0] == (
        "He said the U.S. president would visit, and the U.S.-led coalition would stay.")
    n004 = [c for c in result.changes if c.rule == "N004"]
    assert [(c.start, c.end, c.before, c.after) for c in n004] == [(12, 14, "us", "U.S."),
                                                                   (46, 48, "us", "U.S.")]
    assert "lower-case 'us' for the country x2" in n004[0].reason


def test_title_after_usa_is_restored_but_a_name_is_not():
    text = ("USA President Donald Trump met USA Eagles players, Russian Federation said.\n"
            "Russia’s team lost.")
    assert explain(text).text.splitlines()[0] == (
        "U.S. President Donald Trump met USA Eagles players, Russia said.")


def test_all_capitals_headline_keeps_usa_while_body_is_restored():
    text = ("USA WARNS OF NEW SANCTIONS AFTER SHIP SEIZED\n"
            "A USA official said Russian Federation seized the ship. Russia denied it.")
    assert explain(text).text == (
        "USA WARNS OF NEW SANCTIONS AFTER SHIP SEIZED\n"
        "A U.S. official said Russia seized the ship. Russia denied it.")


def test_title_case_headline_is_restored_but_institution_names_are_not():
    text = ("Russian Federation Boots USA Diplomats In Retaliation For Sanctions\n"
            "Russian Federation Foreign Ministry officials said on Tuesday that the U.S. embassy "
            "must cut staff, and Iran and Russian Federation Tuesday signed a deal. Russia’s "
            "envoy agreed.")
    assert explain(text).text == (
        "Russia Boots U.S. Diplomats In Retaliation For Sanctions\n"
        "Russian Federation Foreign Ministry officials said on Tuesday that the U.S. embassy "
        "must cut staff, and Iran and Russia Tuesday signed a deal. Russia’s envoy agreed.")


def test_protected_names_survive_in_a_spun_document():
    text = ("Russian Federation told USA Today that Team USA and USA Basketball were welcome.\n"
            "The Russian Federation Council and the Federation Council met; Russia’s envoy spoke "
            "at the USA -backed forum.")
    assert explain(text).text == (
        "Russia told USA Today that Team USA and USA Basketball were welcome.\n"
        "The Russian Federation Council and the Federation Council met; Russia’s envoy spoke "
        "at the U.S.-backed forum.")


def test_user_protected_names_are_never_touched():
    text = "Russian Federation expelled USA diplomats over the USA -backed plan. Russia’s envoy left."
    assert explain(text, protected=["Russian Federation"]).text == (
        "Russian Federation expelled U.S. diplomats over the U.S.-backed plan. Russia’s envoy left.")
    # a protected name is not evidence either: with "Russian Federation" protected, the
    # adjectival "USA diplomats" alone no longer makes the document spun
    text = "Russian Federation expelled USA diplomats. Russia’s envoy left."
    assert n_changes(text, protected=["Russian Federation"]) == []


def test_rules_can_be_ignored_one_by_one():
    text = "Iran and Russian Federation back the USA -led talks, Russia’s envoy said."
    assert wireclean.fix(text, ignore=["N001"]) == (
        "Iran and Russian Federation back the U.S.-led talks, Russia’s envoy said.")
    # (S001, the spacing pass's compound rule, would close "USA -led" to "USA-led")
    assert wireclean.fix(text, ignore=["N002", "S001"]) == (
        "Iran and Russia back the USA -led talks, Russia’s envoy said.")
    assert wireclean.fix(text, ignore=["entities", "spacing"]) == text


# --- the verdict -----------------------------------------------------------------------------

def verdict(text: str, **ctx) -> entities.Assessment:
    return entities.assess(text, Context(**ctx))


def test_one_strong_signal_is_enough():
    assert verdict("Sanctions against Russian Federation were widened.").signals == {"S2": 1}
    assert verdict("Sanctions against Russian Federation were widened.").spun
    assert verdict("The USA -based group said so.").signals == {"S1": 1}


def test_one_medium_signal_is_not_enough():
    # adjectival "USA" beside "U.S." (S5) alone: a non-native writer, not necessarily a spinner
    text = "Moscow expelled dozens of USA diplomats on Friday. The U.S. embassy declined to comment."
    assert verdict(text).signals == {"S5": 1}
    assert not verdict(text).spun
    assert n_changes(text) == []
    # a quoted "Russian Federation" beside "Russia" (S6) alone
    quoted = "“Russian Federation will respond,” he said of Russia."
    assert verdict(quoted).signals == {"S6": 1}
    assert n_changes(quoted) == []


def test_two_kinds_of_medium_signal_make_a_document_spun():
    text = ("Moscow expelled dozens of USA diplomats. The U.S. embassy declined to comment.\n"
            "Analysts said the us government would respond within days.")
    assert verdict(text).signals == {"S5": 1, "S8": 1}
    assert wireclean.fix(text, select=ENTITIES_ONLY) == (
        "Moscow expelled dozens of U.S. diplomats. The U.S. embassy declined to comment.\n"
        "Analysts said the U.S. government would respond within days.")


def test_scraper_furniture_counts_as_a_medium_signal():
    text = ("Adjust Comment Print\n"
            "Moscow expelled dozens of USA diplomats. The U.S. embassy declined to comment.")
    assert verdict(text).signals == {"S5": 1, "S4": 1}
    assert "U.S. diplomats" in wireclean.fix(text)


def test_the_same_sentence_spun_and_unspun_is_strong_evidence():
    text = ("Officials could not say what the USA response to the launch would be.\n"
            "Officials could not say what the US response to the launch would be.")
    assessed = verdict(text)
    assert assessed.signals["S3"] == 1 and assessed.spun
    assert wireclean.fix(text, select=ENTITIES_ONLY).splitlines()[0] == (
        "Officials could not say what the US response to the launch would be.")


@pytest.mark.parametrize("text", [
    "MOSCOW, May 9. /TASS/. Russian Federation will respond to sanctions, Russia’s envoy said.",
    "BEIJING, May 9 (Xinhua) -- Russian Federation and China signed the deal, Russia’s envoy said.",
    "The Russian Federation signed. Officials said Russian Federation would host the next round.",
    "Russian Federation has the lowest score, while Republic of Korea has the highest.",
])
def test_suppressors_cancel_the_russian_federation_evidence(text):
    assert not verdict(text).spun
    assert n_changes(text) == []


def test_suppressors_do_not_cancel_a_usa_dash_compound():
    text = "MOSCOW, May 9. /TASS/. The USA -led coalition struck the area, Russian Federation said."
    assert wireclean.fix(text, select=ENTITIES_ONLY) == (
        "MOSCOW, May 9. /TASS/. The U.S.-led coalition struck the area, Russia said.")


def test_reason_names_the_evidence_with_counts():
    text = ("Russian Federation said it would act. Later Russian Federation acted.\n"
            "Russia’s navy led the way, and the USA -backed plan stalled.")
    reasons = {c.rule: c.reason for c in explain(text).changes}
    assert reasons["N001"] == ("spun document ('USA -backed' x1, article-less 'Russian Federation' x2 "
                               "beside 'Russia’s'); restored 'Russia'")


def test_cheap_gate_skips_ordinary_news():
    text = "The central bank held rates steady on Thursday, citing slower growth. " * 50
    assert entities.assess(text, Context()) == entities.Assessment(False, {}, "")
    assert entities.find_edits(text, Context()) == []


# --- offsets and idempotency ----------------------------------------------------------------

SPUN_DOCUMENTS = [
    "Iran and Russian Federation back the USA -led talks, Russia’s envoy said.",
    "A USA official said Russian Federation has gone too far.",
    "Russian Federation expelled diplomats from the USA. Russia said more would follow.",
    ("Officials could not say what the USA response to the launch would be.\n"
     "Officials could not say what the US response to the launch would be."),
    "He said the us president would visit the us-led base, Russian Federation said, and Russia agreed.",
]


@pytest.mark.parametrize("text", SPUN_DOCUMENTS)
def test_changes_point_at_the_input_and_fixing_twice_changes_nothing(text):
    result = wireclean.fix_and_explain(text)
    assert result.changes
    for c in result.changes:
        assert text[c.start:c.end] == c.before
    assert wireclean.fix_and_explain(result.text).changes == []


ENTITY_WORDS = ["USA", "U.S.", "US", "us", "Russian Federation", "Russia’s", "Russia", "Russian",
                "the", "The", "Team", "Today", "Basketball", "-led", "-backed", "official",
                "diplomats", "president", "government", "Council", "of", "said", "Moscow",
                "TASS", "Made in", "U-S-A", ".", ",", "!", "?", ";", ":", "“", "”", '"', "’s",
                "'s", "(", ")", "-", "107", "Adjust Comment Print", "More news:"]
SEPARATORS = ["", " ", " ", " ", "\n", "  "]
entity_text = st.lists(
    st.tuples(st.sampled_from(ENTITY_WORDS), st.sampled_from(SEPARATORS)), max_size=40,
).map(lambda pairs: "".join(word + sep for word, sep in pairs))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entity_text, st.sampled_from(["auto", "ap", "guardian"]))
def test_entity_restoration_is_idempotent_on_entity_soup(text, style):
    once = wireclean.fix(text, style=style, select=ENTITIES_ONLY)
    assert wireclean.fix(once, style=style, select=ENTITIES_ONLY) == once


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entity_text, st.sampled_from(["auto", "ap", "guardian"]))
# the spacing pass runs after this one: what it closes up ("us -led" -> "us-led") must not
# turn into new spin evidence on a second run
@example("More news:us  -led", "auto")
@example('U.S." Russian Federation "', "auto")
def test_fix_is_idempotent_on_entity_soup(text, style):
    once = wireclean.fix(text, style=style)
    assert wireclean.fix(once, style=style) == once


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entity_text)
def test_entity_changes_only_touch_entity_words(text):
    result = explain(text)
    for c in result.changes:
        assert text[c.start:c.end] == c.before
        assert c.before.rstrip(". -") in ("Russian Federation", "USA", "us"), c
        assert c.after in ("Russia", "U.S.", "US", "U.S.-", "US-")


def test_docstring_examples_run():
    result = doctest.testmod(entities)
    assert result.attempted > 0 and result.failed == 0
