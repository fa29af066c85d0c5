"""Why true pairs are missed by the bands alone at the default threshold, and what another
source of candidates would reach and cost (analysis only: the engine is not changed).

For one corpus (default Reuters-21578) the in-corpus pairs of benchmarks/accuracy_dedup.py
are recomputed at the default threshold: exact truth (Jaccard-or-containment), the pairs
the engine reports with its bands alone (``sentence_words=0``), and for every missed pair its exact Jaccard J, containment C, size ratio
r = |smaller| / |larger| (distinct shingles) and whether it shares a key of the engine's
bands. Misses are split into

* containment pairs with J < t - CANDIDATE_MARGIN (the range the bands are tuned for), which
  the bands reach only by luck;
* pairs with J >= t - margin that are not band candidates (bad luck);
* band candidates whose estimated score is below t (estimation noise).

Then, for each candidate second band set ``--extra BxR`` (keys over the same 128 signature
values, another seed), the simulation: which missed pairs it makes candidates and the engine's
8-bit verification then accepts, and its cost -- band entries added per paragraph, candidate
pairs it adds over the whole corpus (pairs from different articles, expanded as the engine
expands a bucket: each row meets at most ``bucket_cap`` earlier rows), with and without a
size-ratio filter (a pair of similar sizes does not need the second set: with C >= C* its J
is already above t - margin), and the false pairs its accepted candidates add.

``--anchors M`` simulates another source of candidates, made for containment: content-
defined anchors, the shingles whose hash is 0 modulo M. Sampling by content keeps subsets:
when one paragraph's shingles lie inside another's, so do its anchors, so a trimmed copy
with one anchor meets its original at any size ratio. Anchors shared by more than
``--popular`` paragraphs (stock phrases) are dropped. Cost: M-th of the shingles as index
entries, and the candidate pairs they add. Each M is simulated twice: every pair sharing an
anchor, and only pairs sharing *all* anchors of the side with fewer -- what a trimmed copy
does, and a shared stock phrase in otherwise different paragraphs does not.

``--sentences W`` simulates sentence keys (:mod:`wireclean.dedup.sentences`) as if every
paragraph stored and looked up all of them (the engine gives keys roles; what it reaches
is measured by accuracy_dedup.py): the first and last W canonical tokens of sentences.

Corpus text is never written out; figures go to ``benchmarks/out/containment_misses.json``.

    .venv/bin/python benchmarks/containment_misses.py --extra 42x3 --extra 14x3 --anchors 8
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import accuracy_dedup as acc  # noqa: E402
import corpora  # noqa: E402

from wireclean.dedup.lsh import (CANDIDATE_MARGIN, BandHasher, SignatureLSH, run_offsets,  # noqa: E402
                                 estimate_containment, estimate_jaccard, score_pairs)
from wireclean.dedup.minhash import MinHasher  # noqa: E402
from wireclean.dedup.sentences import SentenceKeys  # noqa: E402

JSON_OUT = corpora.OUT_DIR / "containment_misses.json"
EPS = acc.EPS


def key_pairs(keys: np.ndarray, rows: np.ndarray, doc: np.ndarray, cap: int) -> np.ndarray:
    """Codes (a * n + b, a < b) of the paragraphs sharing each key, one per pair *and* key:
    each row is paired with at most ``cap`` earlier rows of the key (as the engine's bucket
    cap does), paragraphs of one article never. ``keys[i]`` belongs to paragraph ``rows[i]``."""
    n = len(doc)
    if not len(keys):
        return np.empty(0, np.int64)
    order = np.lexsort((rows, keys))                   # earlier rows first within a key
    sk, sr = keys[order], rows[order]
    starts, group = acc.runs_of_equal(sk)
    rank = np.minimum(np.arange(len(sk)) - starts[group], cap)
    sel = np.flatnonzero(rank > 0)
    counts = rank[sel]
    rep = np.repeat(sel, counts)
    offs = run_offsets(counts)
    later, earlier = sr[rep], sr[starts[group[rep]] + offs]
    keep = doc[later] != doc[earlier]
    a, b = np.minimum(later, earlier)[keep], np.maximum(later, earlier)[keep]
    return a.astype(np.int64) * n + b


def band_pairs(keys: np.ndarray, doc: np.ndarray, cap: int,
               rows: np.ndarray | None = None) -> np.ndarray:
    """Unique codes (as :func:`key_pairs`) of paragraphs sharing a key in any band.
    ``keys[i]`` belong to paragraph ``rows[i]`` (default i)."""
    rows = np.arange(len(keys)) if rows is None else rows
    codes = [np.unique(key_pairs(keys[:, band], rows, doc, cap))
             for band in range(keys.shape[1] if len(keys) else 0)]
    return np.unique(np.concatenate(codes)) if codes else np.empty(0, np.int64)


def anchors(sets: list[np.ndarray], every: int, popular: int) -> tuple[np.ndarray, np.ndarray]:
    """(anchor, paragraph) rows: the shingles whose mixed hash is 0 mod ``every``, except
    those that more than ``popular`` paragraphs hold (stock phrases)."""
    n = len(sets)
    lengths = np.fromiter((len(x) for x in sets), np.int64, n)
    shingles = np.concatenate(sets).astype(np.uint64) if n else np.empty(0, np.uint64)
    rows = np.repeat(np.arange(n), lengths)
    mixed = shingles * np.uint64(0x9E3779B97F4A7C15)
    mixed ^= mixed >> np.uint64(29)
    sel = mixed % np.uint64(every) == 0
    keys, rows = shingles[sel], rows[sel]
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    keep = counts[inverse] <= popular
    return keys[keep], rows[keep]


def anchor_pairs(sets: list[np.ndarray], every: int, popular: int, doc: np.ndarray,
                 cap: int) -> tuple[np.ndarray, float]:
    """Pairs (codes, as :func:`band_pairs`) sharing an anchor (see :func:`anchors`); and
    anchors per paragraph."""
    keys, rows = anchors(sets, every, popular)
    return band_pairs(keys[:, None], doc, cap, rows), len(keys) / max(len(sets), 1)


def anchor_pairs_sharing_all(sets: list[np.ndarray], every: int, popular: int, doc: np.ndarray,
                             cap: int) -> tuple[np.ndarray, float]:
    """:func:`anchor_pairs`, keeping only the pairs that share *every* anchor of the side
    with fewer anchors -- what a trimmed copy does -- so one shared stock phrase is not a
    candidate when the shorter side has other anchors."""
    keys, rows = anchors(sets, every, popular)
    return pairs_sharing_all(keys, rows, doc, cap), len(keys) / max(len(sets), 1)


def pairs_sharing_all(keys: np.ndarray, rows: np.ndarray, doc: np.ndarray, cap: int) -> np.ndarray:
    """Pair codes sharing every key of the side with fewer keys."""
    n = len(doc)
    held = np.bincount(rows, minlength=n)       # anchors per paragraph, stock phrases dropped
    uniq, shared = np.unique(key_pairs(keys, rows, doc, cap), return_counts=True)
    a, b = uniq // n, uniq % n
    return uniq[shared >= np.minimum(held[a], held[b])]


def verify(codes, sigs, pos, n, t, chunk=500_000):
    """The engine's verification (8-bit values, positional counts): score >= t."""
    ok = np.zeros(len(codes), bool)
    low = np.uint32((1 << SignatureLSH.SIG_BITS) - 1)
    for lo in range(0, len(codes), chunk):
        c = codes[lo:lo + chunk]
        a, b = c // n, c % n
        j8 = estimate_jaccard(sigs[a] & low, sigs[b] & low, SignatureLSH.SIG_BITS)
        ok[lo:lo + chunk] = score_pairs(j8, estimate_containment(j8, pos[a], pos[b])) >= t - EPS
    return ok


def quantiles(x) -> dict:
    x = np.asarray(x, float)
    if not len(x):
        return {}
    return {f"p{q}": round(float(np.quantile(x, q / 100)), 3) for q in (10, 25, 50, 75, 90)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    corpora.add_arguments(parser)
    parser.add_argument("--extra", action="append", default=[], metavar="BxR",
                        help="a second band set to simulate (repeatable), e.g. 42x3")
    parser.add_argument("--ratio", type=float, default=None,
                        help="size-ratio filter for the second set's candidates "
                             "(default: the largest r at which a pair with C = C* has "
                             "J < t - margin)")
    parser.add_argument("--anchors", action="append", type=int, default=[], metavar="M",
                        help="simulate content-defined anchors, one shingle in M (repeatable)")
    parser.add_argument("--sentences", action="append", type=int, default=[], metavar="W",
                        help="simulate the engine's sentence keys of W words (repeatable)")
    parser.add_argument("--popular", type=int, default=64,
                        help="drop anchors held by more paragraphs than this (default 64)")
    args = parser.parse_args()
    if not args.corpus:
        args.corpus = ["reuters"]
    grouped = corpora.load_from_args(args)
    t = acc.DEFAULT_THRESHOLD
    hasher = MinHasher()
    # Containment that reaches t on Jaccard's scale: C / (2 - C) >= t.
    c_star = 2 * t / (1 + t)
    # For C = C*, J = C r / (1 + r - C r); J < t - margin when r < ratio_max.
    jm = t - CANDIDATE_MARGIN
    ratio_max = jm / (c_star - jm * (1 - c_star)) if args.ratio is None else args.ratio
    res = {"threshold": t, "containment_needed": c_star, "size_ratio_filter": ratio_max,
           "corpora": {}}
    for name, articles in grouped.items():
        t0 = time.perf_counter()
        c = acc.load_corpus(name, articles, hasher)
        n = len(c.sets)
        truth, _ = acc.exact_pairs(c, t)
        reported, info = acc.engine_pairs(c, t, sentence_words=0)
        true = truth.score >= t - EPS
        codes = truth.code[true]
        jac, con = truth.jaccard[true], truth.containment[true]
        missed = ~np.isin(codes, reported)
        sigs = hasher.signatures(c.para_text)
        pos = acc.positional_sizes(c.para_text, info["shingle_size"])
        primary = BandHasher(info["bands"], info["rows"], info["seed"])
        pkeys = primary.keys(sigs) >> np.uint64(32)
        a, b = codes // n, codes % n
        cand = (pkeys[a] == pkeys[b]).any(axis=1)
        ratio = np.minimum(c.sizes[a], c.sizes[b]) / np.maximum(c.sizes[a], c.sizes[b])
        low_j = jac < jm - EPS
        m = missed
        entry = {
            "paragraphs": n, "true_pairs": int(true.sum()), "reported": int(len(reported)),
            "missed": int(m.sum()),
            "missed_containment_J_below_t-margin": int((m & low_j).sum()),
            "of_which_band_candidate": int((m & low_j & cand).sum()),
            "missed_J_ge_t-margin_not_candidate": int((m & ~low_j & ~cand).sum()),
            "missed_candidate_estimate_below_t": int((m & cand).sum()),
            "missed_containment_exact": {"J": quantiles(jac[m & low_j]),
                                         "C": quantiles(con[m & low_j]),
                                         "size_ratio": quantiles(ratio[m & low_j]),
                                         "smaller_size": quantiles(np.minimum(
                                             c.sizes[a], c.sizes[b])[m & low_j])},
            "true_containment_pairs_J_below_t-margin": int(low_j.sum()),
            "missed_with_size_ratio_below_filter": int((m & (ratio < ratio_max)).sum()),
            "primary": {"bands": info["bands"], "rows": info["rows"]},
        }
        t1 = time.perf_counter()
        base = band_pairs(pkeys, c.doc, info["bucket_cap"])
        entry["primary"]["candidate_pairs"] = int(len(base))
        entry["primary"]["seconds_to_list"] = time.perf_counter() - t1
        base_ok = int(np.count_nonzero(acc.pair_truth(c, truth, reported)[1] >= t - EPS))

        def second_source(extra: np.ndarray, per_paragraph: str) -> dict:
            """What the candidates ``extra`` (beyond the primary bands') add, after the
            size-ratio filter and the engine's 8-bit verification."""
            extra = np.setdiff1d(extra, base, assume_unique=True)
            ea, eb = extra // n, extra % n
            eratio = np.minimum(pos[ea], pos[eb]) / np.maximum(np.maximum(pos[ea], pos[eb]), 1)
            filtered = extra[eratio < ratio_max]
            accepted = filtered[verify(filtered, sigs, pos, n, t)]
            # Truth of the accepted extra pairs: true if in the truth at >= t.
            acc_true = np.isin(accepted, codes)
            gained = np.isin(codes[m], accepted)
            return {
                "index_entries_per_paragraph": per_paragraph,
                "missed_pairs_now_candidates": int(np.isin(codes[m], extra).sum()),
                "missed_pairs_found (after size filter and 8-bit verification)": int(gained.sum()),
                "extra_candidate_pairs": int(len(extra)),
                "extra_candidate_pairs_after_size_filter": int(len(filtered)),
                "extra_reported": int(len(accepted)),
                "extra_reported_false": int((~acc_true).sum()),
                "recall_jc": (int((~m).sum()) + int(gained.sum())) / max(int(true.sum()), 1),
                "precision_jc": (base_ok + int(acc_true.sum())) / max(len(reported) + len(accepted), 1),
            }

        entry["extra"] = {}
        for spec in args.extra:
            bands, rows = (int(x) for x in spec.lower().split("x"))
            hb = BandHasher(bands, rows, info["seed"] + 7919)
            keys = hb.keys(sigs) >> np.uint64(32)
            entry["extra"][spec] = second_source(
                band_pairs(keys, c.doc, info["bucket_cap"]),
                f"{info['bands']} -> {info['bands'] + bands}")
        for every in args.anchors:
            pairs, per = anchor_pairs(c.sets, every, args.popular, c.doc, info["bucket_cap"])
            entry["extra"][f"anchors 1/{every}, popular > {args.popular} dropped"] = \
                second_source(pairs, f"{info['bands']} -> {info['bands']} + {per:.2f}")
            pairs, per = anchor_pairs_sharing_all(c.sets, every, args.popular, c.doc,
                                                  info["bucket_cap"])
            entry["extra"][f"anchors 1/{every}, all of the smaller side's shared"] = \
                second_source(pairs, f"{info['bands']} -> {info['bands']} + {per:.2f}")
        for words in args.sentences:
            mat = SentenceKeys(words).keys(c.para_text)
            rows, cols = np.nonzero(mat)
            keys = mat[rows, cols]
            per = len(keys) / max(n, 1)
            entry["extra"][f"sentence keys of {words} words, any shared"] = second_source(
                band_pairs(keys[:, None], c.doc, info["bucket_cap"], rows),
                f"{info['bands']} -> {info['bands']} + {per:.2f}")
            entry["extra"][f"sentence keys of {words} words, all of the smaller side's shared"] = \
                second_source(pairs_sharing_all(keys, rows, c.doc, info["bucket_cap"]),
                              f"{info['bands']} -> {info['bands']} + {per:.2f}")
        entry["seconds"] = time.perf_counter() - t0
        res["corpora"][name] = entry
        print(json.dumps({name: entry}, indent=2))
    corpora.atomic_write(JSON_OUT, lambda h: json.dump(res, h, indent=2))
    print(f"written: {JSON_OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
