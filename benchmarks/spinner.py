"""A content-farm spinner, for measuring fix's recall and dedup's reach on reprints.

It mimics the artifacts catalogued in research/artifacts.md: entity swaps done by a
token-level rewriter ("Russia" -> "Russian Federation", "U.S." -> "USA", "U.S.-led" ->
"USA -led"), generic synonym swaps ("international" -> "worldwide"), detokenizer spacing
("said , ” he"), and the trims and additions of a reprint (first or last sentence dropped,
a sentence of furniture added). Seeded, so every benchmark run sees the same copies.

>>> s = Spinner(seed=3)
>>> s.spin_entities("The U.S.-led talks with Russia stalled, a U.S. official said.")
'The USA -led talks with Russian Federation stalled, a USA official said.'
"""

from __future__ import annotations

import random
import re

# The rewriter works on tokens, so it swaps bare "Russia" but never "Russian" or "Russia's"
# (different tokens), and splits "U.S.-led" into "U.S." + "-led" before joining with a space.
_ENTITY_SWAPS = [
    (re.compile(r"\bU\.S\.-(?=[a-z])"), "USA -"),
    (re.compile(r"\bRussia\b(?![’'-]|n\b)"), "Russian Federation"),
    (re.compile(r"\bU\.S\.(?= [a-z])"), "USA"),
]
_SYNONYMS = [
    (re.compile(r"\binternational\b"), "worldwide"),
    (re.compile(r"\bfired\b"), "sacked"),
    (re.compile(r"\blast year\b"), "a year ago"),
]
_SPACING = [
    (re.compile(r",” "), ", ” "),
    (re.compile(r"’s\b"), " ’s"),
]
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"])")
_FILLER = [
    "The situation remains fluid and further details are expected later in the day.",
    "Officials did not immediately respond to requests for comment.",
    "More updates will follow as the story develops.",
]


class Spinner:
    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)

    def spin_entities(self, text: str) -> str:
        for pattern, repl in _ENTITY_SWAPS:
            text = pattern.sub(repl, text)
        return text

    def spin(self, text: str, *, trim: bool = True) -> str:
        """A full content-farm copy: entity swaps, synonyms, spacing, trimmed or extended."""
        text = self.spin_entities(text)
        for pattern, repl in _SYNONYMS:
            if self.rng.random() < 0.7:
                text = pattern.sub(repl, text)
        for pattern, repl in _SPACING:
            if self.rng.random() < 0.5:
                text = pattern.sub(repl, text)
        if trim:
            sentences = _SENTENCE_END.split(text)
            roll = self.rng.random()
            if len(sentences) > 3 and roll < 0.3:
                sentences = sentences[1:]          # lede dropped
            elif len(sentences) > 3 and roll < 0.6:
                sentences = sentences[:-1]         # tail cut
            elif roll < 0.8:
                sentences.append(self.rng.choice(_FILLER))
            text = " ".join(sentences)
        return text

    def edit_words(self, text: str, n_edits: int) -> str:
        """Light copy-editing: replace, delete or insert ``n_edits`` words."""
        words = text.split(" ")
        for _ in range(n_edits):
            if len(words) < 3:
                break
            i = self.rng.randrange(len(words))
            op = self.rng.random()
            if op < 0.4:
                words[i] = self.rng.choice(["said", "the", "officials", "on", "new", "week"])
            elif op < 0.7:
                del words[i]
            else:
                words.insert(i, self.rng.choice(["also", "reportedly", "still", "now"]))
        return " ".join(words)

    def trim(self, text: str) -> str:
        """A reprint's trim or extension with no spinning: the same sentence-level step,
        with the same odds, as the end of :meth:`spin` (lede dropped or tail cut when there
        are more than three sentences, else a sentence of furniture added, or kept whole),
        so spun and unspun copies differ only by the spinning.

        >>> Spinner(seed=1).trim("Talks resumed. Both sides met. Ports stay shut. Prices rose.")
        'Both sides met. Ports stay shut. Prices rose.'
        """
        sentences = _SENTENCE_END.split(text)
        roll = self.rng.random()
        if len(sentences) > 3 and roll < 0.3:
            sentences = sentences[1:]
        elif len(sentences) > 3 and roll < 0.6:
            sentences = sentences[:-1]
        elif roll < 0.8:
            sentences.append(self.rng.choice(_FILLER))
        return " ".join(sentences)
