"""Sentence keys with roles, simulated: what a paragraph stores and what it looks up differ
(the analysis that led to the engine's roles, kept as it was run; analysis only).

The engine's sentence keys were then symmetric: every paragraph stored and looked up the
starts of its sentences and the ends of its first and last one. On a corpus
whose sentences recur across many paragraphs, each new paragraph then meets every earlier
paragraph that shares one sentence with it. With roles (as the engine now has them,
but for three details: there a one-sentence paragraph stores its lone keys only, a longer
one looks up the lone ends of its first and last sentence only, and a sentence key's
bucket keeps bucket_cap // 4 entries):

* everyone stores those keys, plus a key per pair of adjacent sentences (the last 4 tokens of
  one and the first 4 of the next) -- and a single-sentence paragraph also stores "lone"
  copies of its start and end keys;
* a single-sentence paragraph looks up its start and end keys (finding the longer paragraphs
  that contain it);
* a longer paragraph looks up its adjacent-pair keys (a copy sharing two sentences in a row)
  and the lone keys of its sentences (an earlier single-sentence paragraph it contains) --
  not the starts of its sentences, which is what a random paragraph sharing one sentence
  has in common with it.

For each scheme: entries the lookups return ("evidence", what the engine pays for), candidate
pairs, and -- on a research corpus -- the recall of J-or-C pairs after the engine's own
verification (bands plus the sentence source, as ``containment_misses.py`` computes it). On
``--archive FILE`` (a JSONL such as ``out/dedup_archive_500mb.jsonl``, its first
``--limit-mb``) only evidence and candidates. Keys are Python tuples of canonical tokens in
one process; each bucket keeps its first 64 entries, as the engine's do.

    .venv/bin/python benchmarks/sentence_roles.py --corpus reuters --corpus bbc
    .venv/bin/python benchmarks/sentence_roles.py --archive benchmarks/out/dedup_archive_500mb.jsonl
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import accuracy_dedup as acc  # noqa: E402
import containment_misses as cm  # noqa: E402
import corpora  # noqa: E402

from wireclean.dedup.canonical import canonical_joined  # noqa: E402
from wireclean.dedup.lsh import BandHasher  # noqa: E402
from wireclean.dedup.minhash import MinHasher  # noqa: E402
from wireclean.dedup.segment import paragraphs  # noqa: E402
from wireclean.dedup.sentences import DEFAULT_SENTENCE_WORDS, MAX_SENTENCES  # noqa: E402

WORDS = DEFAULT_SENTENCE_WORDS
PAIR_WORDS = 4
CAP = 64
SCHEMES = ("symmetric", "roles")


def sentences_of(texts: list[str]) -> list[list[list[bytes]]]:
    """Each text's sentences as canonical token lists (the engine's sentence ends; the
    last of at most MAX_SENTENCES runs to the end)."""
    out = []
    for lo in range(0, len(texts), 2000):
        for text in canonical_joined(texts[lo:lo + 2000], sentences=True).split(b"\x01"):
            sents = [s for s in (part.split() for part in text.split(b"\x02")) if s]
            if len(sents) > MAX_SENTENCES:
                sents = sents[:MAX_SENTENCES - 1] + [sum(sents[MAX_SENTENCES - 1:], [])]
            out.append(sents)
    return out


def key_sets(sents: list[list[bytes]], scheme: str) -> tuple[set, set]:
    """(keys stored, keys looked up) of one paragraph."""
    starts = [("S", tuple(s[:WORDS])) for s in sents if len(s) >= WORDS]
    ends = [("E", tuple(s[-WORDS:])) for i, s in enumerate(sents)
            if len(s) >= WORDS and i in (0, len(sents) - 1)]
    if scheme == "symmetric":
        both = set(starts + ends)
        return both, both
    adjacent = {("A", tuple(a[-PAIR_WORDS:]) + tuple(b[:PAIR_WORDS]))
                for a, b in zip(sents, sents[1:]) if len(a) >= PAIR_WORDS and len(b) >= PAIR_WORDS}
    stored, looked_up = set(starts + ends) | adjacent, set(adjacent)
    if len(sents) == 1:
        stored |= {("lone" + kind, key) for kind, key in starts + ends}
        looked_up |= set(starts + ends)
    else:
        looked_up |= {("loneS", tuple(s[:WORDS])) for s in sents if len(s) >= WORDS}
        looked_up |= {("loneE", tuple(s[-WORDS:])) for s in sents if len(s) >= WORDS}
    return stored, looked_up


def stream(sent_lists, doc: np.ndarray, scheme: str) -> tuple[int, set]:
    """(entries returned by the lookups, candidate pairs (earlier, later) of different
    documents), each paragraph looking up before it stores, in stream order."""
    buckets: dict = collections.defaultdict(list)
    evidence, cand = 0, set()
    for q, sents in enumerate(sent_lists):
        stored, looked_up = key_sets(sents, scheme)
        for key in looked_up:
            for p in buckets.get(key, ()):
                evidence += 1
                if doc[p] != doc[q]:
                    cand.add((p, q))
        for key in stored:
            if len(buckets[key]) < CAP:
                buckets[key].append(q)
    return evidence, cand


def archive(path: str, limit_mb: int) -> None:
    texts, doc = [], []
    with open(path, "rb") as f:
        for d, line in enumerate(f):
            if f.tell() > limit_mb * 1e6:
                break
            for p in paragraphs(json.loads(line)["text"]):
                if p.matchable:
                    texts.append(p.text)
                    doc.append(d)
    sents = sentences_of(texts)
    for scheme in SCHEMES:
        evidence, cand = stream(sents, np.asarray(doc), scheme)
        print(f"{Path(path).name} (first {limit_mb} MB, {len(texts):,} paragraphs) {scheme}: "
              f"{evidence:,} entries returned, {len(cand):,} candidate pairs")


def corpus(name: str, articles) -> None:
    hasher, t = MinHasher(), acc.DEFAULT_THRESHOLD
    c = acc.load_corpus(name, articles, hasher)
    n = len(c.sets)
    truth, _ = acc.exact_pairs(c, t)
    reported, _ = acc.engine_pairs(c, t, sentence_words=0)
    true = truth.score >= t - acc.EPS
    codes = truth.code[true]
    missed = ~np.isin(codes, reported)
    sigs = hasher.signatures(c.para_text)
    pos = acc.positional_sizes(c.para_text, hasher.shingle_size)
    bands = cm.band_pairs(BandHasher(20, 6, 1).keys(sigs) >> np.uint64(32), c.doc, CAP)
    sents = sentences_of(c.para_text)
    for scheme in SCHEMES:
        evidence, cand = stream(sents, c.doc, scheme)
        pairs = np.unique(np.fromiter((a * n + b for a, b in cand), np.int64, len(cand)))
        extra = np.setdiff1d(pairs, bands)
        accepted = extra[cm.verify(extra, sigs, pos, n, t)]
        recall = (int((~missed).sum()) + int(np.isin(codes[missed], accepted).sum())) / int(true.sum())
        print(f"{name} {scheme}: {evidence:,} entries returned, {len(extra):,} extra candidate "
              f"pairs, recall J-or-C {recall:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    corpora.add_arguments(parser)
    parser.add_argument("--archive", metavar="FILE", help="a generated JSONL corpus instead")
    parser.add_argument("--limit-mb", type=int, default=150)
    args = parser.parse_args()
    if args.archive:
        archive(args.archive, args.limit_mb)
        return
    for name, articles in corpora.load_from_args(args).items():
        corpus(name, articles)


if __name__ == "__main__":
    main()
