"""Dedup accuracy on the real corpora: reported paragraph pairs against exact Jaccard,
spun reprints found, and both against the threshold.

Three measurements, on the corpora in ../shared/data (read in place, never copied: only
figures go to benchmarks/out/accuracy_dedup.json and the plot benchmarks/accuracy_threshold.png):

1. **Pairs inside each corpus.** Every article of a corpus goes through
   ``Index(threshold=t).check_and_add_many`` -- the engine's in-corpus mode -- and the
   reported pairs (paragraph, earlier paragraph) are compared with the exact truth. The
   truth uses the engine's own notion of similarity: the distinct shingle hashes
   ``MinHasher.shingle_hashes`` gives (same canonical tokens, shingle size and 32-bit
   shingle hash as the signatures), and two scores:

   * *Jaccard-only truth*: exact set Jaccard ``J >= t``;
   * *Jaccard-or-containment truth*: ``max(J, C/(2-C)) >= t`` with ``C = |A∩B| / min(|A|,|B|)``,
     which is the score the engine compares with the threshold (``lsh.score_pairs``), so a
     trimmed or extended reprint is a true pair. This is the headline.

   The truth is brute force made tractable, not sampled: an inverted index over shingle
   hashes lists every pair of paragraphs that shares a shingle, with how many it shares
   (pairs sharing none have J = C = 0). Paragraphs of one article are never paired by the
   engine (``groups`` in ``SignatureLSH.insert``), so such pairs are left out of the truth
   too; short paragraphs (< ``DEFAULT_MIN_WORDS``) are not matchable and are not in it.
   Misses and false pairs at the default threshold are explained by rerunning the
   engine's steps on each pair (band keys, 8-bit verification, shingle counts).

2. **Reprints.** ``--reprints`` real paragraphs of at least 25 words (all corpora, whitespace
   joined into one line) are indexed; copies made by benchmarks/spinner.py are queried with
   ``Index.query``, and a copy is *found* when a match names its own original. Variants:
   spun + trimmed/extended + 1-3 word edits (the headline), the same without word edits,
   trimmed/extended only (no spinning), entity spin only. ``--random`` other paragraphs
   are queried too: a match of one of them is *false* when the exact score of the pair is
   below the threshold.

3. **Threshold sweep** 0.5 ... 0.95 of both, plotted.

Full run (1.5 to 3.5 minutes, 1.3 GB peak RSS here; the default threshold is read from the engine)::

    .venv/bin/python benchmarks/accuracy_dedup.py

Quick iteration::

    .venv/bin/python benchmarks/accuracy_dedup.py --limit 2000 --reprints 500 --random 500
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpora  # noqa: E402
from spinner import _FILLER, Spinner  # noqa: E402

from wireclean.dedup.canonical import canonical_many  # noqa: E402
from wireclean.dedup.index import DEFAULT_THRESHOLD, Index  # noqa: E402
from wireclean.dedup.sentences import (DEFAULT_SENTENCE_WORDS, NO_KEY, PROBED, STORED,  # noqa: E402
                                       SentenceKeys)
from wireclean.dedup.lsh import (CANDIDATE_MARGIN, BandHasher, SignatureLSH, run_offsets,  # noqa: E402
                                 cluster_labels,
                                 estimate_containment, estimate_jaccard, score_pairs)
from wireclean.dedup.minhash import MinHasher  # noqa: E402
from wireclean.dedup.segment import paragraphs  # noqa: E402

THRESHOLDS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))   # 0.5 ... 0.95
PLOT = Path(__file__).resolve().parent / "accuracy_threshold.png"
JSON_OUT = corpora.OUT_DIR / "accuracy_dedup.json"
#: The engine's sentence keys: 8 (its default) or 0 with --no-sentence-keys.
SENTENCE_WORDS = DEFAULT_SENTENCE_WORDS
MIN_REPRINT_WORDS = 25
HEADLINE = "spun + trimmed/extended + 1-3 word edits"
# Pair occurrences expanded at once when listing pairs that share a shingle (16 bytes each).
CHUNK_PAIRS = 8_000_000
# A score computed as 0.7999999 for an exact 0.8 stays on the right side (as in lsh.verify).
EPS = 1e-9


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- paragraphs

class Corpus(NamedTuple):
    """The matchable paragraphs of one corpus, numbered 0..n-1 in stream order."""

    name: str
    texts: list[str]            # raw article texts, in order
    para_text: list[str]        # matchable paragraphs
    doc: np.ndarray             # article index of each paragraph
    gid: dict                   # (article index, paragraph number) -> paragraph id
    sets: list[np.ndarray]      # distinct 32-bit shingle hashes (sorted)
    sizes: np.ndarray           # len(sets[i])


def load_corpus(name: str, articles: list, hasher: MinHasher) -> Corpus:
    texts = [a.text for a in articles]
    para_text, doc, gid = [], [], {}
    for d, text in enumerate(texts):
        for p in paragraphs(text):   # the engine's own segmentation and minimum length
            if p.matchable:
                gid[(d, p.para)] = len(para_text)
                para_text.append(p.text)
                doc.append(d)
    sets = hasher.shingle_hashes(para_text)
    return Corpus(name, texts, para_text, np.asarray(doc, np.int64), gid, sets,
                  np.fromiter((len(s) for s in sets), np.int64, len(sets)))


def exact_overlap(a: np.ndarray, b: np.ndarray) -> int:
    return len(np.intersect1d(a, b, assume_unique=True))


def truth_scores(overlap, size_a, size_b):
    """(exact Jaccard, exact containment, engine-style score) from set sizes and overlap."""
    overlap = np.asarray(overlap, np.float64)
    size_a = np.asarray(size_a, np.float64)
    size_b = np.asarray(size_b, np.float64)
    union = size_a + size_b - overlap
    jac = np.divide(overlap, union, out=np.zeros_like(overlap), where=union > 0)
    smaller = np.minimum(size_a, size_b)
    con = np.divide(overlap, smaller, out=np.zeros_like(overlap), where=smaller > 0)
    return jac, con, score_pairs(jac, con)


# --------------------------------------------------------------------------- exact truth

class Pairs(NamedTuple):
    """Paragraph pairs a < b with their exact similarity; ``code = a * n + b``, sorted."""

    code: np.ndarray
    jaccard: np.ndarray
    containment: np.ndarray
    score: np.ndarray


def runs_of_equal(sorted_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal values starts in a sorted, non-empty array, and the run
    number of every position.

    >>> [a.tolist() for a in runs_of_equal(np.array([3, 3, 5, 7, 7]))]
    [[0, 2, 3], [0, 0, 1, 2, 2]]
    """
    new = np.empty(len(sorted_values), bool)
    new[0] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=new[1:])
    return np.flatnonzero(new), np.cumsum(new) - 1


def exact_pairs(c: Corpus, floor: float) -> tuple[Pairs, dict]:
    """Every pair of paragraphs from different articles whose exact score reaches ``floor``.

    Inverted index: (shingle, paragraph) entries sorted by shingle; inside one shingle's
    posting list each entry is paired with every earlier one. A pair then appears once per
    shingle it shares, so counting its appearances gives |A∩B| exactly. The expansion is
    done for a range of later paragraphs at a time (a pair's later paragraph fixes its
    range, so ranges never split a pair), which bounds memory.
    """
    n = len(c.sets)
    stats = {"paragraphs": n, "shingle_entries": int(c.sizes.sum())}
    if n < 2:
        e = np.empty(0)
        return Pairs(e.astype(np.int64), e, e, e), stats
    hashes = np.concatenate(c.sets)
    para = np.repeat(np.arange(n, dtype=np.int64), c.sizes)
    order = np.lexsort((para, hashes))
    hashes, para = hashes[order], para[order]
    starts, group = runs_of_equal(hashes)
    rank = np.arange(len(hashes)) - starts[group]          # earlier entries in the list
    stats["distinct_shingles"] = int(len(starts))
    stats["pair_occurrences"] = int(rank.sum())

    # Ranges of later paragraphs, each expanding to about CHUNK_PAIRS pair occurrences.
    per_para = np.bincount(para, weights=rank, minlength=n).astype(np.int64)
    cum = np.cumsum(per_para)
    cuts = [0]
    while cuts[-1] < n:
        base = cum[cuts[-1] - 1] if cuts[-1] else 0
        nxt = int(np.searchsorted(cum, base + CHUNK_PAIRS, side="right"))
        cuts.append(min(max(nxt, cuts[-1] + 1), n))
    out_code, out_overlap = [], []
    shared_pairs = 0
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        sel = np.flatnonzero((para >= lo) & (para < hi) & (rank > 0))
        counts = rank[sel]
        rep = np.repeat(sel, counts)
        offs = run_offsets(counts)
        later = para[rep]
        earlier = para[starts[group[rep]] + offs]
        keep = c.doc[later] != c.doc[earlier]
        code = earlier[keep] * n + later[keep]
        code, overlap = np.unique(code, return_counts=True)
        shared_pairs += len(code)
        a, b = code // n, code % n
        _, _, score = truth_scores(overlap, c.sizes[a], c.sizes[b])
        ok = score >= floor - EPS
        out_code.append(code[ok])
        out_overlap.append(overlap[ok])
    stats["pairs_sharing_a_shingle"] = int(shared_pairs)
    code = np.concatenate(out_code)
    overlap = np.concatenate(out_overlap)
    a, b = code // n, code % n
    jac, con, score = truth_scores(overlap, c.sizes[a], c.sizes[b])
    return Pairs(code, jac, con, score), stats


def pair_truth(c: Corpus, truth: Pairs, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Jaccard, score) of any pairs: looked up in ``truth``, computed when absent
    (a pair below the truth floor)."""
    n = len(c.sets)
    at = np.searchsorted(truth.code, codes)
    at_c = np.minimum(at, max(len(truth.code) - 1, 0))
    found = (at < len(truth.code)) & (truth.code[at_c] == codes) if len(truth.code) else \
        np.zeros(len(codes), bool)
    jac = np.where(found, truth.jaccard[at_c] if len(truth.code) else 0.0, 0.0)
    score = np.where(found, truth.score[at_c] if len(truth.code) else 0.0, 0.0)
    for k in np.flatnonzero(~found):
        a, b = divmod(int(codes[k]), n)
        o = exact_overlap(c.sets[a], c.sets[b])
        j, _, s = truth_scores([o], [c.sizes[a]], [c.sizes[b]])
        jac[k], score[k] = j[0], s[0]
    return jac, score


# --------------------------------------------------------------------------- the engine

def engine_pairs(c: Corpus, threshold: float,
                 sentence_words: int | None = None) -> tuple[np.ndarray, dict]:
    """Pairs reported by the in-corpus mode: every article through ``check_and_add_many``
    (``sentence_words``: default ``SENTENCE_WORDS``). ``info["jaccard"]`` holds each
    pair's reported ``jaccard`` field."""
    n = len(c.sets)
    idx = Index(threshold=threshold,
                sentence_words=SENTENCE_WORDS if sentence_words is None else sentence_words)
    t0 = time.perf_counter()
    codes, jaccards = [], []
    for key, matches in idx.check_and_add_many((str(d), text) for d, text in enumerate(c.texts)):
        d = int(key)
        for m in matches:
            x = c.gid[(d, m.para)]
            y = c.gid[(int(m.key), m.key_para)]
            codes.append(min(x, y) * n + max(x, y))
            jaccards.append(m.jaccard)
    seconds = time.perf_counter() - t0
    cfg = idx.config
    info = {"bands": cfg.bands, "rows": cfg.rows, "seed": cfg.seed, "bucket_cap": cfg.bucket_cap,
            "num_perm": cfg.num_perm, "shingle_size": cfg.shingle_size,
            "sentence_words": cfg.sentence_words, "seconds": seconds,
            "matches": len(codes)}
    unique, first = np.unique(np.asarray(codes, np.int64), return_index=True)
    info["jaccard"] = np.asarray(jaccards, np.float64)[first]
    return unique, info


# Counts summed over corpora, and the ratios made from them: name -> (numerator, denominator).
RATIOS = {
    "recall_jc": ("tp_jc", "true_jc"),
    "precision_jc": ("reported_ok_jc", "reported"),
    "recall_j": ("tp_j", "true_j"),
    "precision_j": ("reported_ok_j", "reported"),
    "recall_jc_above_t+0.05": ("tp_clear", "true_clear"),
    "precision_jc_above_t-0.05": ("reported_ok_near", "reported"),
    "copies_flagged": ("copies_flagged", "copies"),
    "flagged_are_copies": ("flagged_ok", "flagged"),
    "pairs_connected": ("connected", "true_jc"),
    "recall_j_by_field": ("tp_j_field", "true_j"),
    "precision_j_by_field": ("field_ok_j", "reported_field"),
}


def with_ratios(counts: dict) -> dict:
    out = dict(counts)
    for name, (num, den) in RATIOS.items():
        out[name] = counts[num] / counts[den] if counts[den] else None
    return out


def score_against(reported: np.ndarray, rep_jac: np.ndarray, rep_score: np.ndarray,
                  truth: Pairs, n: int, t: float, field_jac: np.ndarray) -> dict:
    """Counts behind recall and precision of ``reported`` at threshold ``t``.

    Pairs, under both truths, and with a +-0.05 band around ``t`` forgiven (how much is
    estimation noise at the edge). Then what a dedup user sees: *copies* are paragraphs
    with a true earlier match; a copy is *flagged* when the engine reports any earlier
    match for it; a true pair is *connected* when the reported edges join its two ends
    into one cluster (what ``--drop`` keeps one of). And the report as a user who wants
    Jaccard alone reads it: only pairs whose ``jaccard`` field (``field_jac``) is >= t,
    against exact Jaccard.
    """
    true_jc = truth.code[truth.score >= t - EPS]
    clear = truth.code[truth.score >= t + 0.05 - EPS]
    true_j = truth.code[truth.jaccard >= t - EPS]
    copies = np.unique(true_jc % n)          # ids are in stream order: the later end
    flagged = np.unique(reported % n)
    labels = cluster_labels(n, reported // n, reported % n)
    by_field = field_jac >= t - EPS
    return {
        "reported_field": int(by_field.sum()),
        "tp_j_field": int(np.isin(true_j, reported[by_field]).sum()),
        "field_ok_j": int(np.count_nonzero(rep_jac[by_field] >= t - EPS)),
        "reported": int(len(reported)),
        "true_jc": int(len(true_jc)), "tp_jc": int(np.isin(true_jc, reported).sum()),
        "reported_ok_jc": int(np.count_nonzero(rep_score >= t - EPS)),
        "true_j": int(len(true_j)), "tp_j": int(np.isin(true_j, reported).sum()),
        "reported_ok_j": int(np.count_nonzero(rep_jac >= t - EPS)),
        "true_clear": int(len(clear)), "tp_clear": int(np.isin(clear, reported).sum()),
        "reported_ok_near": int(np.count_nonzero(rep_score >= t - 0.05 - EPS)),
        "copies": int(len(copies)), "copies_flagged": int(np.isin(copies, flagged).sum()),
        "flagged": int(len(flagged)), "flagged_ok": int(np.isin(flagged, copies).sum()),
        "connected": int(np.count_nonzero(labels[true_jc // n] == labels[true_jc % n])),
    }


# --------------------------------------------------------------------------- diagnosis

def positional_sizes(texts: list[str], k: int) -> np.ndarray:
    """Shingle counts the way ``Index._signatures`` counts them: by position, repeats included."""
    tokens = np.fromiter((len(t.split()) for t in canonical_many(texts)), np.int64, len(texts))
    return np.where(tokens >= k, tokens - k + 1, np.minimum(tokens, 1))


def sentence_keys(texts: list[str], sentence_words: int, seed: int) -> np.ndarray:
    """The engine's sentence keys of ``texts`` (n, slots); none when ``sentence_words`` is 0."""
    if not sentence_words:
        return np.zeros((len(texts), 1), np.uint64)
    return SentenceKeys(sentence_words, seed).keys(texts)


def share_a_key(keys_a: np.ndarray, keys_b: np.ndarray) -> np.ndarray:
    """Per pair: does the later row ``keys_b[k]`` look up a sentence key that the earlier
    row ``keys_a[k]`` stores (0: unused)?"""
    if keys_a.shape[1] != SentenceKeys.SLOTS:      # no sentence keys
        return np.zeros(len(keys_a), dtype=bool)
    stored = (SentenceKeys.ROLES & STORED) != 0
    probed = (SentenceKeys.ROLES & PROBED) != 0
    kept, sought = keys_a[:, stored], keys_b[:, probed]
    same = kept[:, :, None] == sought[:, None, :]
    return (same & (kept != NO_KEY)[:, :, None]).any(axis=(1, 2))


def engine_steps(sig_a: np.ndarray, sig_b: np.ndarray, pos_a, pos_b, cfg,
                 sent_a: np.ndarray, sent_b: np.ndarray) -> tuple:
    """The engine's steps for pairs of (full) signatures: (shares a band or sentence key,
    the Jaccard estimate and the score its verification computes from the stored 8-bit
    values and the positional shingle counts)."""
    hasher = BandHasher(cfg.bands, cfg.rows, cfg.seed)
    cand = ((hasher.keys(sig_a) >> np.uint64(32)) == (hasher.keys(sig_b) >> np.uint64(32))).any(axis=1)
    cand |= share_a_key(sent_a, sent_b)
    bits = SignatureLSH.SIG_BITS
    low = np.uint32((1 << bits) - 1)
    j8 = estimate_jaccard(sig_a & low, sig_b & low, bits)
    return cand, j8, score_pairs(j8, estimate_containment(j8, pos_a, pos_b))


def diagnose(c: Corpus, truth: Pairs, reported: np.ndarray, rep_score: np.ndarray,
             info: dict, t: float) -> dict:
    """Why pairs were missed or wrongly reported at ``t``: the engine's steps redone per pair.

    Universe: every pair with exact score >= the truth floor, plus every reported pair.
    For each: does it share a band key (bands x rows, the engine's BandHasher and seed) or
    a sentence key?
    the score the engine's verification computes (8-bit signature values, positional
    shingle counts)? and the same with 32-bit values, with distinct-shingle counts, and
    with the exact score (a verification that looked at the shingle sets).
    """
    n = len(c.sets)
    hasher = MinHasher(num_perm=info["num_perm"], seed=info["seed"],
                       shingle_size=info["shingle_size"])
    sigs = hasher.signatures(c.para_text)
    keys = BandHasher(info["bands"], info["rows"], info["seed"]).keys(sigs) >> np.uint64(32)
    sent = sentence_keys(c.para_text, info["sentence_words"], info["seed"])
    pos = positional_sizes(c.para_text, info["shingle_size"])
    codes = np.union1d(truth.code, reported)
    a, b = codes // n, codes % n
    exact_j, exact_s = pair_truth(c, truth, codes)
    cand = (keys[a] == keys[b]).any(axis=1) | share_a_key(sent[a], sent[b])
    bits = SignatureLSH.SIG_BITS
    low = np.uint32((1 << bits) - 1)
    j8 = estimate_jaccard(sigs[a] & low, sigs[b] & low, bits)
    j32 = estimate_jaccard(sigs[a], sigs[b], 32)
    s8 = score_pairs(j8, estimate_containment(j8, pos[a], pos[b]))
    s32 = score_pairs(j32, estimate_containment(j32, pos[a], pos[b]))
    s8_distinct = score_pairs(j8, estimate_containment(j8, c.sizes[a], c.sizes[b]))
    s32_distinct = score_pairs(j32, estimate_containment(j32, c.sizes[a], c.sizes[b]))
    is_rep = np.isin(codes, reported)
    is_true = exact_s >= t - EPS

    def rp(flag):
        tp = np.count_nonzero(flag & is_true)
        return {"recall": float(tp / max(is_true.sum(), 1)),
                "precision": float(tp / max(flag.sum(), 1)), "reported": int(flag.sum()),
                "tp": int(tp), "true": int(is_true.sum())}

    sim = cand & (s8 >= t - EPS)
    missed = is_true & ~is_rep
    false = is_rep & ~is_true
    j_alone = j8 >= t - EPS
    # Containment estimates: positional counts vs distinct ones on the missed/false pairs.
    return {
        "universe_pairs": int(len(codes)),
        "simulation_agrees_with_engine": float(np.mean(sim == is_rep)),
        "reported_not_simulated": int(np.count_nonzero(is_rep & ~sim)),
        "simulated_not_reported": int(np.count_nonzero(sim & ~is_rep)),
        "missed": int(missed.sum()),
        "missed_not_band_candidate": int(np.count_nonzero(missed & ~cand)),
        "missed_candidate_estimate_below_t": int(np.count_nonzero(missed & cand & (s8 < t - EPS))),
        "missed_candidate_estimate_ok": int(np.count_nonzero(missed & cand & (s8 >= t - EPS))),
        "missed_exact_score_within_0.05": int(np.count_nonzero(missed & (exact_s < t + 0.05))),
        # Containment-only pairs: Jaccard below the range the banding is tuned for.
        "missed_exact_jaccard_below_t-margin": int(np.count_nonzero(
            missed & (exact_j < t - CANDIDATE_MARGIN - EPS))),
        "false": int(false.sum()),
        "false_by_jaccard_estimate": int(np.count_nonzero(false & j_alone)),
        "false_by_containment_estimate": int(np.count_nonzero(false & ~j_alone)),
        "false_exact_score_within_0.05": int(np.count_nonzero(false & (exact_s >= t - 0.05))),
        "false_exact_jaccard_below_0.5": int(np.count_nonzero(false & (exact_j < 0.5))),
        "mean_abs_error_8bit": float(np.mean(np.abs(j8 - exact_j))),
        "mean_abs_error_32bit": float(np.mean(np.abs(j32 - exact_j))),
        "variants": {
            "engine (simulated: bands, 8-bit values, positional counts)": rp(sim),
            "32-bit values": rp(cand & (s32 >= t - EPS)),
            "distinct-shingle counts": rp(cand & (s8_distinct >= t - EPS)),
            "32-bit values + distinct counts": rp(cand & (s32_distinct >= t - EPS)),
            "exact verification (shingle sets)": rp(cand & is_true),
            "Jaccard estimate only (no containment)": rp(cand & j_alone),
        },
        "candidate_recall_of_true_pairs": float(np.count_nonzero(cand & is_true) / max(is_true.sum(), 1)),
    }


def cluster_sizes(truth: Pairs, n: int, t: float) -> dict:
    """How large the groups of true duplicates are (the bucket cap bounds big ones)."""
    sel = truth.score >= t - EPS
    parent = np.arange(n)

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for code in truth.code[sel].tolist():
        x, y = find(code // n), find(code % n)
        if x != y:
            parent[max(x, y)] = min(x, y)
    roots = np.fromiter((find(i) for i in range(n)), np.int64, n)
    sizes = np.bincount(roots)
    sizes = sizes[sizes > 1]
    return {"clusters": int(len(sizes)), "largest": int(sizes.max()) if len(sizes) else 0,
            "paragraphs_in_clusters_over_64": int(sizes[sizes > 64].sum())}


# --------------------------------------------------------------------------- reprints

def _kind(original: str, copy: str) -> str:
    """What the trim step did to a copy: extended (a furniture sentence added), trimmed
    (a sentence fewer) or whole."""
    if any(copy.endswith(f) for f in _FILLER) and not any(original.endswith(f) for f in _FILLER):
        return "extended"
    split = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"])")
    if len(split.split(copy)) < len(split.split(original)):
        return "trimmed"
    return "whole"


def make_copies(originals: list[str], seed: int) -> dict[str, list[str]]:
    edit = Spinner(seed)
    spun_edited = [edit.edit_words(edit.spin(o), 1 + k % 3) for k, o in enumerate(originals)]
    plain = Spinner(seed + 1)
    trim = Spinner(seed + 2)
    return {
        HEADLINE: spun_edited,
        "spun + trimmed/extended": [plain.spin(o) for o in originals],
        "trimmed/extended only (unspun)": [trim.trim(o) for o in originals],
        "entity spin only": [plain.spin_entities(o) for o in originals],
    }


def reprint_misses(originals, copies, found, exact, cfg, t, hasher) -> dict:
    """Why copies were not found: below the threshold by their exact score, or the
    engine's banding or its estimate (steps redone per pair, as in :func:`diagnose`)."""
    sig_o, sig_c = hasher.signatures(originals), hasher.signatures(copies)
    k = hasher.shingle_size
    cand, _, score = engine_steps(sig_o, sig_c, positional_sizes(originals, k),
                                  positional_sizes(copies, k), cfg,
                                  sentence_keys(originals, cfg.sentence_words, cfg.seed),
                                  sentence_keys(copies, cfg.sentence_words, cfg.seed))
    missed = ~found
    reach = exact >= t - EPS
    return {"missed": int(missed.sum()),
            "exact_score_below_t": int(np.count_nonzero(missed & ~reach)),
            "reachable_not_band_candidate": int(np.count_nonzero(missed & reach & ~cand)),
            "reachable_candidate_estimate_below_t": int(np.count_nonzero(
                missed & reach & cand & (score < t - EPS))),
            "reachable_other": int(np.count_nonzero(missed & reach & cand & (score >= t - EPS)))}


def reprint_benchmark(grouped: dict, n_reprints: int, n_random: int, seed: int,
                      thresholds, default: float, hasher: MinHasher) -> dict:
    pool, seen = [], set()
    for articles in grouped.values():
        for article in articles:
            for p in paragraphs(article.text):
                line = " ".join(p.text.split())   # one line: a single paragraph when indexed
                if len(line.split()) >= MIN_REPRINT_WORDS and line not in seen:
                    seen.add(line)
                    pool.append(line)
    rng = random.Random(seed)
    chosen = rng.sample(pool, min(n_reprints + n_random, len(pool)))
    originals, others = chosen[:n_reprints], chosen[n_reprints:]
    copies = make_copies(originals, seed)
    orig_sets = hasher.shingle_hashes(originals)

    def exact_score(sets_a, sets_b):
        o = [exact_overlap(x, y) for x, y in zip(sets_a, sets_b)]
        return truth_scores(o, [len(x) for x in sets_a], [len(y) for y in sets_b])[2]

    copy_exact = {name: exact_score(orig_sets, hasher.shingle_hashes(texts))
                  for name, texts in copies.items()}
    other_sets = hasher.shingle_hashes(others)
    kinds = {name: [_kind(o, c) for o, c in zip(originals, texts)] for name, texts in copies.items()}
    result = {"pool_paragraphs": len(pool), "reprints": len(originals), "random_queries": len(others),
              "words_min": MIN_REPRINT_WORDS, "thresholds": {}}
    for t in thresholds:
        t0 = time.perf_counter()
        idx = Index(threshold=t, sentence_words=SENTENCE_WORDS)
        idx.add_many((f"o{i}", text) for i, text in enumerate(originals))
        row = {}
        for name, texts in copies.items():
            found = np.zeros(len(texts), bool)
            other_match = np.zeros(len(texts), bool)
            for i, text in enumerate(texts):
                keys = {m.key for m in idx.query(text)}
                found[i] = f"o{i}" in keys
                other_match[i] = bool(keys - {f"o{i}"})
            reachable = copy_exact[name] >= t - EPS
            entry = {"found": float(found.mean()),
                     "exact_score_ge_t": float(reachable.mean()),
                     "found_of_exact_ge_t": float(found[reachable].mean()) if reachable.any() else None,
                     "matched_another_original": float(other_match.mean()),
                     "mean_exact_score": float(copy_exact[name].mean())}
            if t == default and name == HEADLINE:
                edits = 1 + np.arange(len(texts)) % 3
                entry["by_edits"] = {str(e): {"copies": int((edits == e).sum()),
                                              "found": float(found[edits == e].mean()),
                                              "exact_score_ge_t": float(reachable[edits == e].mean())}
                                     for e in (1, 2, 3) if (edits == e).any()}
            if t == default:
                entry["missed"] = reprint_misses(originals, texts, found, copy_exact[name],
                                                 idx.config, t, hasher)
                entry["by_kind"] = {}
                for kind in ("whole", "trimmed", "extended"):
                    sel = np.array([k == kind for k in kinds[name]])
                    if sel.any():
                        entry["by_kind"][kind] = {"copies": int(sel.sum()),
                                                  "found": float(found[sel].mean()),
                                                  "exact_score_ge_t": float(reachable[sel].mean())}
            row[name] = entry
        any_match = false_match = 0
        for text, sets in zip(others, other_sets):
            matches = idx.query(text)
            if not matches:
                continue
            any_match += 1
            keys = sorted({int(m.key[1:]) for m in matches})
            if any(exact_score([orig_sets[k]], [sets])[0] < t - EPS for k in keys):
                false_match += 1
        row["random_paragraphs"] = {"matched": any_match / max(len(others), 1),
                                    "false_match": false_match / max(len(others), 1)}
        result["thresholds"][str(t)] = row
        log(f"  reprints at t={t}: {time.perf_counter() - t0:.1f} s")
    return result


# --------------------------------------------------------------------------- output

def fmt(x, digits=3):
    return "n/a" if x is None else f"{x:.{digits}f}"


def print_tables(res: dict, default: float) -> None:
    d = str(default)
    print(f"\n## Pairs inside each corpus at the default threshold {default} "
          f"(bands x rows {res['lsh'][d]['bands']}x{res['lsh'][d]['rows']}, "
          f"{res['lsh'][d]['num_perm']} permutations, shingles of {res['lsh'][d]['shingle_size']})\n")
    print("| corpus | matchable ¶ | true pairs J-or-C | reported | recall J-or-C | precision J-or-C "
          "| true pairs J only | recall J only | precision J only | recall, truth ≥ t+0.05 "
          "| precision, truth ≥ t−0.05 | copies flagged | flagged are copies | pairs connected "
          "| J only, report kept where jaccard ≥ t: recall / precision |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = [(name, c["paragraphs"], c["thresholds"][d]) for name, c in res["corpora"].items()]
    rows.append(("**all**", sum(c["paragraphs"] for c in res["corpora"].values()), res["all"][d]))
    for name, paras, r in rows:
        print(f"| {name} | {paras:,} | {r['true_jc']:,} | {r['reported']:,} | "
              f"{fmt(r['recall_jc'])} | {fmt(r['precision_jc'])} | {r['true_j']:,} | "
              f"{fmt(r['recall_j'])} | {fmt(r['precision_j'])} | "
              f"{fmt(r['recall_jc_above_t+0.05'])} | {fmt(r['precision_jc_above_t-0.05'])} | "
              f"{fmt(r['copies_flagged'])} | {fmt(r['flagged_are_copies'])} | "
              f"{fmt(r['pairs_connected'])} | "
              f"{fmt(r['recall_j_by_field'])} / {fmt(r['precision_j_by_field'])} |")

    print(f"\n## Why, at {default}: misses and false pairs, the engine's steps redone per pair\n")
    print("| corpus | missed | not a candidate (band or sentence key) | of which exact J < t−margin (containment only) "
          "| candidate, estimate < t | candidate, estimate ≥ t (bucket cap or other) "
          "| missed with exact < t+0.05 | largest true cluster | false | by Jaccard estimate | "
          "by containment estimate | false with exact ≥ t−0.05 | simulation = engine |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, c in res["corpora"].items():
        g = c["diagnosis"]
        print(f"| {name} | {g['missed']:,} | {g['missed_not_band_candidate']:,} | "
              f"{g['missed_exact_jaccard_below_t-margin']:,} | "
              f"{g['missed_candidate_estimate_below_t']:,} | {g['missed_candidate_estimate_ok']:,} | "
              f"{g['missed_exact_score_within_0.05']:,} | {c['clusters_at_default']['largest']:,} | "
              f"{g['false']:,} | "
              f"{g['false_by_jaccard_estimate']:,} | {g['false_by_containment_estimate']:,} | "
              f"{g['false_exact_score_within_0.05']:,} | {g['simulation_agrees_with_engine']:.4f} |")

    print(f"\n## What-if at {default}, J-or-C truth, all corpora pooled (same candidates)\n")
    print("| verification | recall | precision |")
    print("|---|---:|---:|")
    for variant, v in res["what_if_all"].items():
        print(f"| {variant} | {v['recall']:.3f} | {v['precision']:.3f} |")

    print("\n## Threshold sweep, all corpora pooled (Reuters, BBC)\n")
    print("| t | bands x rows | true pairs J-or-C | recall J-or-C | precision J-or-C | recall J only | "
          "precision J only | copies flagged | Reuters R / P | BBC R / P |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|---|")
    for t in res["thresholds"]:
        a = res["all"][str(t)]
        lsh = res["lsh"][str(t)]
        cells = []
        for name in ("reuters", "bbc"):
            if name in res["corpora"]:
                r = res["corpora"][name]["thresholds"][str(t)]
                cells.append(f"{fmt(r['recall_jc'])} / {fmt(r['precision_jc'])}")
            else:
                cells.append("n/a")
        print(f"| {t} | {lsh['bands']}x{lsh['rows']} | {a['true_jc']:,} | {fmt(a['recall_jc'])} | "
              f"{fmt(a['precision_jc'])} | {fmt(a['recall_j'])} | {fmt(a['precision_j'])} | "
              f"{fmt(a['copies_flagged'])} | {cells[0]} | {cells[1]} |")

    rep = res["reprints"]
    if not rep["reprints"]:
        return
    r = rep["thresholds"][d]
    print(f"\n## Reprints at {default}: {rep['reprints']:,} real paragraphs of ≥ {rep['words_min']} "
          f"words indexed, one copy of each queried\n")
    print("| copies | found (matches its original) | exact score ≥ t | found, of exact ≥ t | "
          "mean exact score | also matched another original |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, e in r.items():
        if name == "random_paragraphs":
            continue
        print(f"| {name} | {e['found']:.3f} | {e['exact_score_ge_t']:.3f} | "
              f"{fmt(e['found_of_exact_ge_t'])} | {e['mean_exact_score']:.3f} | "
              f"{e['matched_another_original']:.3f} |")
    print(f"\nWhy copies were missed at {default} (the engine's steps redone per copy):\n")
    print("| copies | missed | exact score < t | exact ≥ t, not a candidate | "
          "exact ≥ t, candidate, estimate < t | other |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, e in r.items():
        if name == "random_paragraphs":
            continue
        m = e["missed"]
        print(f"| {name} | {m['missed']:,} | {m['exact_score_below_t']:,} | "
              f"{m['reachable_not_band_candidate']:,} | {m['reachable_candidate_estimate_below_t']:,} | "
              f"{m['reachable_other']:,} |")
    rp = r["random_paragraphs"]
    print(f"\n{rep['random_queries']:,} random other paragraphs queried: {rp['matched']:.4f} matched "
          f"something, false match rate {rp['false_match']:.4f} (matched with exact score < t).")
    head = HEADLINE
    print(f"\n{head}, by what the trim step did:\n")
    print("| trim step | copies | found | exact score ≥ t |")
    print("|---|---:|---:|---:|")
    for kind, k in r[head]["by_kind"].items():
        print(f"| {kind} | {k['copies']:,} | {k['found']:.3f} | {k['exact_score_ge_t']:.3f} |")
    print(f"\n{head}, by number of word edits:\n")
    print("| word edits | copies | found | exact score ≥ t |")
    print("|---|---:|---:|---:|")
    for edits, k in r[head]["by_edits"].items():
        print(f"| {edits} | {k['copies']:,} | {k['found']:.3f} | {k['exact_score_ge_t']:.3f} |")
    print("\n## Reprints found against threshold\n")
    names = [n for n in r if n != "random_paragraphs"]
    print("| t | " + " | ".join(names) + " | false match, random ¶ |")
    print("|---|" + "---:|" * (len(names) + 1))
    for t, row in rep["thresholds"].items():
        print(f"| {t} | " + " | ".join(f"{row[n]['found']:.3f}" for n in names)
              + f" | {row['random_paragraphs']['false_match']:.4f} |")


def plot(res: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ts = [float(t) for t in res["thresholds"]]
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.4, 4.0), dpi=110)
    series = [("all corpora", res["all"], "k", 2.0)]
    for name, color in (("reuters", "tab:blue"), ("bbc", "tab:orange")):
        if name in res["corpora"]:
            series.append((name, res["corpora"][name]["thresholds"], color, 1.2))
    lowest = 1.0
    for label, rows, color, width in series:
        for field, style, what in (("recall_jc", "-", "recall"), ("precision_jc", "--", "precision")):
            values = [rows[str(t)][field] for t in res["thresholds"]]
            values = [np.nan if v is None else v for v in values]
            lowest = min(lowest, np.nanmin(values + [1.0]))
            left.plot(ts, values, style, color=color, lw=width, label=f"{what}, {label}")
    default = res["default_threshold"]
    for ax in (left, right):
        ax.axhline(0.95, color="0.6", lw=0.8, ls=":")
        ax.axvline(default, color="0.6", lw=0.8)
        ax.set_xlabel("threshold")
        ax.grid(alpha=0.3)
    left.set_ylabel("share")
    left.set_ylim(max(0.0, lowest - 0.05), 1.005)
    left.set_title("pairs vs exact score (Jaccard or containment)", fontsize=9)
    left.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3)
    rep = res["reprints"]
    if rep["reprints"]:
        rts = [float(t) for t in rep["thresholds"]]
        rows = [rep["thresholds"][t] for t in rep["thresholds"]]
        right.plot(rts, [r[HEADLINE]["found"] for r in rows], "-", color="tab:green",
                   label="found: spun + trimmed/ext. + 1-3 word edits")
        right.plot(rts, [r[HEADLINE]["exact_score_ge_t"] for r in rows], ":", color="tab:green",
                   label="   same, exact score ≥ t (ceiling)")
        right.plot(rts, [r["trimmed/extended only (unspun)"]["found"] for r in rows], "--",
                   color="tab:olive", label="found: trimmed/extended only")
        right.plot(rts, [r["random_paragraphs"]["false_match"] for r in rows], "-",
                   color="tab:red", label="false match, random paragraphs")
        right.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    right.set_title(f"reprints of {rep['reprints']:,} real paragraphs", fontsize=9)
    right.set_ylim(-0.02, 1.02)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".png")
    os.close(fd)
    try:
        fig.savefig(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    plt.close(fig)


# --------------------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    corpora.add_arguments(parser)
    parser.add_argument("--reprints", type=int, default=3000, help="paragraphs copied (default 3000)")
    parser.add_argument("--random", type=int, default=5000,
                        help="other paragraphs queried for false matches (default 5000)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--no-sentence-keys", action="store_true",
                        help="the engine without sentence keys (figures to accuracy_dedup_"
                             "no_sentence_keys.json, plot accuracy_threshold_no_sentence_"
                             "keys.png)")
    args = parser.parse_args()
    if args.reprints < 0 or args.random < 0:
        parser.error("--reprints and --random must be >= 0")
    global SENTENCE_WORDS, JSON_OUT, PLOT
    if args.no_sentence_keys:
        SENTENCE_WORDS = 0
        JSON_OUT = JSON_OUT.with_name("accuracy_dedup_no_sentence_keys.json")
        PLOT = PLOT.with_name("accuracy_threshold_no_sentence_keys.png")
    grouped = corpora.load_from_args(args)
    default = DEFAULT_THRESHOLD
    thresholds = sorted(set(THRESHOLDS) | {default})
    floor = min(thresholds)
    hasher = MinHasher()   # the engine's defaults: the same shingles the index hashes
    started = time.perf_counter()

    res = {"default_threshold": default, "thresholds": thresholds, "truth_floor": floor,
           "command": " ".join(["benchmarks/accuracy_dedup.py"] + sys.argv[1:]),
           "corpora": {}, "lsh": {}, "all": {}}
    totals: dict = {str(t): {} for t in thresholds}
    what_if: dict = {}
    for name, articles in grouped.items():
        t0 = time.perf_counter()
        c = load_corpus(name, articles, hasher)
        truth, stats = exact_pairs(c, floor)
        log(f"{name}: {len(c.sets):,} matchable paragraphs, {stats.get('pairs_sharing_a_shingle', 0):,} "
            f"cross-article pairs share a shingle, {len(truth.code):,} score >= {floor} "
            f"({time.perf_counter() - t0:.1f} s)")
        entry = {"articles": len(articles), "paragraphs": len(c.sets), "truth_stats": stats,
                 "clusters_at_default": cluster_sizes(truth, len(c.sets), default),
                 "thresholds": {}}
        for t in thresholds:
            reported, info = engine_pairs(c, t)
            rep_jac, rep_score = pair_truth(c, truth, reported)
            counts = score_against(reported, rep_jac, rep_score, truth, len(c.sets), t,
                                   info["jaccard"])
            row = with_ratios(counts)
            row["engine_seconds"] = info["seconds"]
            entry["thresholds"][str(t)] = row
            res["lsh"][str(t)] = {k: info[k] for k in ("bands", "rows", "num_perm", "shingle_size",
                                                        "bucket_cap")}
            for key, value in counts.items():
                totals[str(t)][key] = totals[str(t)].get(key, 0) + value
            if t == default:
                entry["diagnosis"] = diagnose(c, truth, reported, rep_score, info, t)
                for variant, v in entry["diagnosis"]["variants"].items():
                    w = what_if.setdefault(variant, {"tp": 0, "true": 0, "reported": 0})
                    w["tp"] += v["tp"]
                    w["true"] += v["true"]
                    w["reported"] += v["reported"]
        res["corpora"][name] = entry
        log(f"{name}: done in {time.perf_counter() - t0:.1f} s")
    for t, tot in totals.items():
        res["all"][t] = with_ratios(tot)
    res["what_if_all"] = {variant: {"recall": w["tp"] / max(w["true"], 1),
                                    "precision": w["tp"] / max(w["reported"], 1)}
                          for variant, w in what_if.items()}
    log("reprints ...")
    res["reprints"] = reprint_benchmark(grouped, args.reprints, args.random, args.seed,
                                        thresholds, default, hasher)
    res["seconds"] = time.perf_counter() - started
    print_tables(res, default)
    corpora.atomic_write(JSON_OUT, lambda h: json.dump(res, h, indent=2))
    if not args.no_plot:
        plot(res, PLOT)
        log(f"written: {PLOT}")
    log(f"written: {JSON_OUT} ({res['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
