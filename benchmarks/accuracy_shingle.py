"""Pick the default shingle size: estimated vs exact Jaccard for word shingles of 2..5.

Two kinds of near-duplicate paragraph pairs, both from the real corpora in ../shared/data
(read in place, never copied; only figures are written, to benchmarks/out/):

- **natural pairs**: paragraphs of two different articles that share at least two word
  4-grams (found with an inverted index; 4-grams shared by more than 20 paragraphs are
  skipped as common phrases). Reuters re-sends and BBC story updates make most of them;
- **reprints**: a sample of real paragraphs, each copied by benchmarks/spinner.py with
  1-8 word edits (replace / delete / insert), half of them also entity-spun ("USA -led",
  "Russian Federation") -- what a syndicated or scraped copy looks like.

For each shingle size n it reports, with 128 permutations:
- MAE and bias of the MinHash estimate against the exact Jaccard of the same shingle sets;
- for each threshold t: how many natural pairs reach exact J >= t, the share of those the
  estimate also puts at >= t (recall), the share of estimated >= t that truly are (precision),
  and the share of reprints whose estimate reaches t (what dedup would find).

    .venv/bin/python benchmarks/accuracy_shingle.py            # about a minute
    .venv/bin/python benchmarks/accuracy_shingle.py --limit 2000 --reprints 500   # quick
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpora  # noqa: E402
from spinner import Spinner  # noqa: E402

from wireclean.dedup.minhash import MinHasher  # noqa: E402
from wireclean.dedup.segment import paragraphs  # noqa: E402

SIZES = (2, 3, 4, 5)
THRESHOLDS = (0.5, 0.7, 0.8)
MAX_GROUP = 20
OUT = Path(__file__).resolve().parent / "out"


def exact_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) == 0 and len(b) == 0:
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


def natural_pairs(texts: list[str], owner: np.ndarray) -> np.ndarray:
    """Pairs (i, j), i < j, of paragraphs from different articles sharing at least two word
    4-grams that no more than MAX_GROUP paragraphs share (common phrases are skipped;
    a near-duplicate pair always shares some rarer ones)."""
    sets = MinHasher(shingle_size=4).shingle_hashes(texts)
    hashes = np.concatenate(sets)
    para = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
    order = np.argsort(hashes, kind="stable")
    hashes, para = hashes[order], para[order]
    cuts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1], True])
    sizes = np.diff(cuts)
    codes = []
    for size in range(2, MAX_GROUP + 1):
        starts = cuts[:-1][sizes == size]
        if not len(starts):
            continue
        members = para[starts[:, None] + np.arange(size)[None, :]]
        x, y = np.triu_indices(size, 1)
        i, j = members[:, x].ravel(), members[:, y].ravel()
        keep = owner[i] != owner[j]
        i, j = np.minimum(i[keep], j[keep]), np.maximum(i[keep], j[keep])
        codes.append(i.astype(np.int64) * len(texts) + j)
    codes, counts = np.unique(np.concatenate(codes), return_counts=True)
    codes = codes[counts >= 2]
    return np.stack([codes // len(texts), codes % len(texts)], axis=1)


def evaluate(texts_a: list[str], texts_b: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(exact, estimated) Jaccard of each pair (texts_a[k], texts_b[k]) at shingle size n."""
    hasher = MinHasher(shingle_size=n)
    sa, sb = hasher.signatures(texts_a), hasher.signatures(texts_b)
    ha, hb = hasher.shingle_hashes(texts_a), hasher.shingle_hashes(texts_b)
    exact = np.array([exact_jaccard(x, y) for x, y in zip(ha, hb)])
    est = (sa == sb).mean(axis=1)
    return exact, est


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    corpora.add_arguments(parser)
    parser.add_argument("--reprints", type=int, default=3000, help="synthetic reprint pairs")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    grouped = corpora.load_from_args(args)

    texts: list[str] = []
    owner: list[int] = []
    for article_no, article in enumerate(a for arts in grouped.values() for a in arts):
        for p in paragraphs(article.text):
            if p.matchable:
                texts.append(p.text)
                owner.append(article_no)
    owner_arr = np.asarray(owner)
    t0 = time.time()
    pairs = natural_pairs(texts, owner_arr)
    print(f"{len(texts):,} matchable paragraphs, {len(pairs):,} cross-article pairs sharing "
          f"4-grams ({time.time() - t0:.0f} s)", file=sys.stderr)

    rng = random.Random(args.seed)
    spinner = Spinner(seed=args.seed)
    originals = rng.sample(texts, min(args.reprints, len(texts)))
    reprints = []
    for k, text in enumerate(originals):
        copy = spinner.edit_words(text, 1 + k % 8)
        reprints.append(spinner.spin_entities(copy) if k % 2 else copy)

    results = {"paragraphs": len(texts), "natural_pairs": int(len(pairs)),
               "reprints": len(originals), "num_perm": 128, "sizes": {}}
    for n in SIZES:
        ex_nat, est_nat = evaluate([texts[i] for i in pairs[:, 0]],
                                   [texts[j] for j in pairs[:, 1]], n)
        ex_rep, est_rep = evaluate(originals, reprints, n)
        relevant = ex_nat >= 0.2  # most shared-4-gram pairs are far apart; score the near ones
        both_ex = np.r_[ex_nat[relevant], ex_rep]
        both_est = np.r_[est_nat[relevant], est_rep]
        row = {"mae": float(np.abs(both_est - both_ex).mean()),
               "bias": float((both_est - both_ex).mean()),
               "mean_exact_reprint": float(ex_rep.mean()), "thresholds": {}}
        for t in THRESHOLDS:
            true_pos = ex_nat >= t
            flagged = est_nat >= t
            row["thresholds"][str(t)] = {
                "natural_pairs_exact_ge_t": int(true_pos.sum()),
                "recall": float((flagged & true_pos).sum() / max(true_pos.sum(), 1)),
                "precision": float((flagged & true_pos).sum() / max(flagged.sum(), 1)),
                "reprints_found": float((est_rep >= t).mean()),
                "reprints_exact_ge_t": float((ex_rep >= t).mean()),
            }
        edits = 1 + np.arange(len(originals)) % 8
        row["reprints_found_by_edits"] = {
            label: {str(t): float((est_rep[(edits >= lo) & (edits <= hi)] >= t).mean())
                    for t in THRESHOLDS}
            for label, lo, hi in (("1-2", 1, 2), ("3-4", 3, 4), ("5-8", 5, 8))}
        results["sizes"][n] = row

    print(f"\n{len(texts):,} paragraphs; {len(pairs):,} natural pairs; {len(originals):,} "
          f"reprints (1-8 word edits, half entity-spun); 128 permutations\n")
    print("| shingle | MAE | bias | mean exact J, reprints | t | natural pairs J>=t | "
          "recall | precision | reprints found (est>=t) | reprints exact J>=t |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n, row in results["sizes"].items():
        for t, r in row["thresholds"].items():
            print(f"| {n} | {row['mae']:.4f} | {row['bias']:+.4f} "
                  f"| {row['mean_exact_reprint']:.3f} | {t} "
                  f"| {r['natural_pairs_exact_ge_t']:,} | {r['recall']:.3f} "
                  f"| {r['precision']:.3f} | {r['reprints_found']:.3f} "
                  f"| {r['reprints_exact_ge_t']:.3f} |")
    print("\nreprints found (estimate >= t) by number of word edits:\n")
    print("| shingle | edits | " + " | ".join(f"t={t}" for t in THRESHOLDS) + " |")
    print("|---|---|" + "---|" * len(THRESHOLDS))
    for n, row in results["sizes"].items():
        for label, found in row["reprints_found_by_edits"].items():
            print(f"| {n} | {label} | " + " | ".join(f"{found[str(t)]:.3f}" for t in THRESHOLDS)
                  + " |")
    OUT.mkdir(exist_ok=True)
    (OUT / "accuracy_shingle.json").write_text(json.dumps(results, indent=2))
    print(f"\nwritten: {OUT / 'accuracy_shingle.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
