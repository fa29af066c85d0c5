"""Legitimate wire copy that `wireclean fix` must leave exactly as it is, with default rules.

This is the most important test in the suite: a normalizer that "fixes" correct copy does
more harm than the artifacts it removes. Every sentence below is correct in some house
style (AP, Reuters, BBC, TASS, UN, sports desks), and each one sits next to a pattern that
a naive rule would rewrite. A failure here means a rule is too eager: narrow the rule,
never drop or edit the case.

All sentences were written for this table; none is copied from a corpus.
"""

from __future__ import annotations

import pytest

import wireclean

LEGITIMATE: list[tuple[str, str]] = [
    # --- "the Russian Federation": official, legal and diplomatic uses ------------------------
    ("rf-article", "The Russian Federation has asked the court to dismiss the claim, its agent told judges."),
    ("rf-article-object", "Kyiv accused the Russian Federation of breaching the ceasefire overnight."),
    ("rf-possessive-article", "The Russian Federation’s delegation walked out of the session."),
    ("tass-dateline", "MOSCOW, March 3. /TASS/. The speaker of the Federation Council said the bill would be "
                      "reviewed next week."),
    ("tass-bare", "MOSCOW, May 9. /TASS/. Russian Federation will mark the holiday with a parade, the "
                  "Kremlin said."),
    ("federation-council", "Russian Federation Council members voted 150-2 to ratify the treaty."),
    ("constitution", "Under the Constitution of the Russian Federation, a president may serve two "
                     "consecutive terms."),
    ("central-bank", "The Central Bank of the Russian Federation held its key rate at 16 percent."),
    ("armed-forces", "The Armed Forces of the Russian Federation held drills near the border, the "
                     "ministry said."),
    ("government-of", "A decree of the Government of the Russian Federation set the new quota."),
    ("president-of", "He was received by the President of the Russian Federation in the Kremlin."),
    ("hero-medal", "The pilot was named a Hero of the Russian Federation after the crash."),
    ("un-statement", "The representative of the Russian Federation said his delegation would vote against "
                     "the draft.\nThe Russian Federation, he added, remained open to dialogue."),
    ("security-council", "The draft was vetoed by the Russian Federation and China at the Security Council."),
    ("long-form-house-style", "The Russian Federation and the Islamic Republic of Iran signed a memorandum on "
                              "Tuesday.\nOfficials said Russian Federation would host the next round in "
                              "autumn."),
    ("data-table", "Country | Score\nRussian Federation | 41.2\nRepublic of Korea | 38.9\nBrazil | 35.0"),
    ("quoted-official", "“The Russian Federation will respond,” the envoy told reporters in Geneva."),
    ("quoted-bare-beside-russia", "“Russian Federation will never accept this,” the minister said in Moscow, "
                                  "where Russia’s parliament met."),
    ("article-beside-russia", "Russia’s foreign ministry said the Russian Federation would not recognise "
                              "the vote."),
    ("rf-adjective", "Officials of the Russian Federation and Russian Federation diplomats attended the "
                     "talks in Vienna."),
    ("gloss", "Russia (Russian Federation) is the largest country by area, and Russia’s capital is "
              "Moscow."),
    ("gloss-reverse", "Russian Federation (Russia) topped the medal table, Russia’s committee said."),
    ("slash", "Russia/Russian Federation figures were merged, U.S. officials said."),
    ("list", "Countries that imposed sanctions:\nEuropean Union;\nCanada;\nRussian Federation;\n"
             "Russia’s neighbours were split."),
    ("rf-institution-name", "Russian Federation Foreign Ministry spokeswoman Anna Petrova said the talks "
                            "would go on, Russia’s envoy added."),
    ("russia-today", "The interview ran on Russian Federation Today, a channel Russia’s critics call state "
                     "media."),
    ("russian-adjectives", "Russian warships and the Russian Defence Ministry took part, Russia said."),

    # --- "USA": names, teams, codes, chants ---------------------------------------------------------
    ("usa-today", "Martin told USA TODAY Sports that he expected to play on Sunday."),
    ("usa-today-title", "The poll was first reported by USA Today on Friday."),
    ("team-usa", "Team USA beat Spain 98-91, and USA Basketball officials said the roster was set."),
    ("governing-bodies", "USA Gymnastics, USA Swimming and USA Track & Field all named new chief executives "
                         "this year."),
    ("patriot-act", "The USA PATRIOT Act was signed into law in October 2001, U.S. records show."),
    ("made-in", "The shirts carried a Made in USA label, but US customs officials seized them."),
    ("chant", "Fans chanted “U-S-A! U-S-A!” as the final whistle blew in Doha."),
    ("chant-plain", "The crowd roared “USA! USA!” when the U.S. team came out."),
    ("results", "Results: USA 107, ESP 100; FRA 89, ARG 84."),
    ("athlete-country", "Savante Park (USA) finished second in the long jump, ahead of a U.S. teammate."),
    ("rare-earth", "USA Rare Earth said it would build a magnet plant in Texas, a U.S. first."),
    ("company-unit", "Chevron USA said it would raise posted prices by 50 cents a barrel, the U.S. unit said."),
    ("rugby", "Scarlets and USA Eagles forward Dave Hodges has retired from rugby."),
    ("usa-noun-bbc", "She moved to the USA in 2003, when the US economy was booming."),
    ("usa-sports-noun", "Spain beat the USA in the Davis Cup final, ending the USA's run in Seville."),
    ("caps-headline", "USA AND RUSSIA AGREE ON PRISONER SWAP\nWashington and Moscow agreed on Thursday to "
                      "exchange two prisoners each, U.S. officials said."),
    ("hashtag", "#USA trended on social media after the match, and US fans celebrated."),
    ("domain", "The USA.gov portal lists federal benefits, a U.S. official said."),
    ("song", "Born in the USA was released in 1984 and became a U.S. anthem."),
    ("usa-network", "USA Network renewed the drama for a third season, the U.S. cable channel said."),

    # --- "US" and "us" --------------------------------------------------------------------------
    ("us-pronoun", "He told us the president would not attend, and the US envoy agreed."),
    ("us-versus-them", "Critics said the us-versus-them rhetoric of the campaign worried US allies."),
    ("let-us-caps", "LET US KNOW WHAT YOU THINK\nReaders can write to the U.S. desk."),
    ("give-us", "“Give us a chance,” the U.S. coach told reporters."),
    ("mixed-forms", "A US official said talks would resume, while the U.S. envoy stayed home."),
    ("us-dollar", "The U.S. dollar fell, and the rate was set at US$1.25."),

    # --- correct compounds and abbreviations ---------------------------------------------------
    ("compounds", "The U.S.-led coalition and Iran-backed militias clashed near the Russia-backed base."),
    ("us-slash-un", "U.S./U.N. talks resumed in New York on Monday."),
    ("reuters-dateline", "LONDON (Reuters) - Britain's economy grew 0.5 percent in the third quarter."),
    ("ap-dateline", "WASHINGTON (AP) — The Senate passed the bill late on Friday."),

    # --- spacing: things that look like spacing errors but are not ----------------------------
    ("minus-signs", "Temperatures fell to -5 degrees overnight, and output shrank -0.3 percent."),
    ("spaced-dash", "Prices rose 10 - 20 percent, traders said - a sharp jump for the month."),
    ("nineties", "He grew up on ’90s hip-hop and rock ’n’ roll records."),
    ("class-of", "The class of ’98 met again in June."),
    ("tis", "’Tis the season, and the shops will sell ’em all."),
    ("batting", "He is a .300 hitter who keeps a .38 caliber revolver at home."),
    ("leading-decimal", "Shares rose .5 percent in early trade."),
    ("decimals", "The index rose 1.25 percent to 3,456.78 points."),
    ("ellipsis-spaced", "He paused ... and then went on."),
    ("ellipsis-char", "Wait for it… the results are in."),
    ("brands", "The site Banned.Video was taken down, and Amazon.com and Breitbart.com reported more traffic."),
    ("initials", "J.R.R. Tolkien wrote the book, and J.K. Rowling read it as a child."),
    ("number-one", "She was ranked No.1 in the world in 2019."),
    ("url", "Read the filing at https://www.sec.gov/Archives/edgar/data/1234/0001.htm today."),
    ("email", "Contact press@example.org or news@wire.example.com for details."),
    ("version", "Version 2.0.1 of the app fixed the bug."),
    ("titles", "Ms. Smith and Dr. Jones arrived at 3 p.m. on Friday."),
    ("parentheses", "The talks (held in Geneva) ended early."),
    ("ric", "Qualcomm Inc (QCOM.O) shares fell 2 percent."),
    ("money", "Profit was $1.13bn (£600m) for the quarter."),
    ("time-ratio", "The vote at 10:30 a.m. passed by a 3:1 ratio."),
    ("plural-abbrev", "The treaty limits ICBMs, not bombers."),
    ("abbrev-latin", "Costs, e.g. fuel and wages, rose, i.e. margins fell."),
    ("bracket-insertion", "“In today’s world, [the work of reporters] is harder,” she said."),
    ("straight-quotes", 'He said "no" twice, then left.'),
    ("curly-quotes", "“It is over,” she said. “We go home.”"),
    ("colon-quote", "He said: “We’re done.”"),
    ("question-quote", "“Why now?” she asked."),
    ("hard-wrapped", "    Showers continued throughout the week in\nthe cocoa zone, alleviating the drought.\n"
                     "    Farmers said the U.S. crop was smaller."),
    ("crlf", "First line of the story.\r\nSecond line, from U.S. officials.\r\n"),

    # --- encoding: text that must keep every character -------------------------------------------
    ("accents", "Renée Dubois met Mehmet Erdoğan and Zoë Pförtner in São Paulo."),
    ("emoji-zwj", "Fans posted 👨‍👩‍👧 and 🏳️‍🌈 after the vote."),
    ("emoji-skin-tone", "She replied with 🤷🏽‍♀️ and a link."),
    ("persian-zwnj", "The slogan read می‌خواهم on the banner."),
    ("cyrillic-word", "The newspaper Коммерсантъ reported the deal first."),
    ("greek-word", "The Greek word λόγος appears in the title."),
    ("curly-apostrophes", "Russia’s envoy said it’s too early; the U.S.’s reply came later."),
    ("em-dash", "The plan — first floated in May — was dropped."),
]


def test_the_table_is_big_and_has_unique_ids():
    ids = [case_id for case_id, _ in LEGITIMATE]
    assert len(ids) >= 60
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("text", [text for _, text in LEGITIMATE],
                         ids=[case_id for case_id, _ in LEGITIMATE])
def test_legitimate_text_is_left_alone(text):
    result = wireclean.fix_and_explain(text)
    assert result.changes == [], "\n".join(
        f"{c.rule} {c.before!r} -> {c.after!r} ({c.reason})" for c in result.changes)
    assert result.text == text


@pytest.mark.parametrize("style", ["ap", "reuters", "guardian"])
def test_legitimate_text_is_left_alone_in_every_style(style):
    changed = [case_id for case_id, text in LEGITIMATE if wireclean.fix(text, style=style) != text]
    assert changed == []


def test_the_whole_table_as_one_document_is_left_alone():
    # one long document mixing every case: the document-level spin verdict must not flip
    # because evidence-looking snippets from different cases add up
    document = "\n\n".join(text for _, text in LEGITIMATE)
    result = wireclean.fix_and_explain(document)
    assert [(c.rule, c.before) for c in result.changes] == []
