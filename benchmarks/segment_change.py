"""What a change to the paragraph rule does on the real corpora: documents re-segmented,
and pair recall/precision at the default threshold before vs after.

"Before" is ``wireclean/dedup/segment.py`` as committed at a git revision (``--before-rev``,
default HEAD, read with ``git show``), "after" is the working tree. For each corpus:

* how many documents are segmented differently (any paragraph text differs), and how many
  paragraphs / matchable paragraphs there are under each rule;
* with ``--show N``: N re-segmented and N unchanged documents printed to the terminal (the
  corpora are research-only: nothing is written to a file), paragraphs separated by ``¶``;
* with ``--accuracy``: the in-corpus pairs of benchmarks/accuracy_dedup.py at the default
  threshold only, computed once with each rule (both the index and the truth segment
  with it), recall and precision on the Jaccard and Jaccard-or-containment truths.
  Figures go to ``benchmarks/out/segment_change.json``.

Examples::

    .venv/bin/python benchmarks/segment_change.py --show 10
    .venv/bin/python benchmarks/segment_change.py --accuracy --corpus reuters
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import accuracy_dedup as acc  # noqa: E402
import corpora  # noqa: E402

import wireclean.dedup.index as index_module  # noqa: E402
from wireclean.dedup import segment as after  # noqa: E402
from wireclean.dedup.minhash import MinHasher  # noqa: E402

JSON_OUT = corpora.OUT_DIR / "segment_change.json"


def load_before(rev: str) -> types.ModuleType:
    """The segment module as committed at ``rev`` (read-only ``git show``)."""
    source = subprocess.run(["git", "show", f"{rev}:wireclean/dedup/segment.py"],
                            cwd=corpora.REPO_ROOT, check=True, capture_output=True,
                            text=True).stdout
    module = types.ModuleType("segment_before")
    exec(compile(source, f"segment.py@{rev}", "exec"), module.__dict__)
    return module


def split(module, text: str) -> list[str]:
    return [p.text for p in module.paragraphs(text)]


def render(paras: list[str], width: int = 1600) -> str:
    out = "\n  ¶ ".join(p.replace("\n", "⏎") for p in paras)
    return out if len(out) <= width else out[:width] + " …"


def segmentation(grouped, before, show: int, seed: int) -> dict:
    result = {}
    rng = random.Random(seed)
    for name, articles in grouped.items():
        changed, unchanged_risky = [], []
        counts = {"documents": len(articles), "changed": 0, "paragraphs_before": 0,
                  "paragraphs_after": 0, "matchable_before": 0, "matchable_after": 0,
                  "blank_and_indented": 0}
        for a in articles:
            old, new = before.paragraphs(a.text), after.paragraphs(a.text)
            counts["paragraphs_before"] += len(old)
            counts["paragraphs_after"] += len(new)
            counts["matchable_before"] += sum(p.matchable for p in old)
            counts["matchable_after"] += sum(p.matchable for p in new)
            risky = bool(after._BLANK_LINE.search(a.text.strip())
                         and after._INDENTED_START.search(a.text.strip()))
            counts["blank_and_indented"] += risky
            if [p.text for p in old] != [p.text for p in new]:
                counts["changed"] += 1
                changed.append(a)
            elif risky:
                unchanged_risky.append(a)
        counts["unchanged_blank_and_indented"] = len(unchanged_risky)
        result[name] = counts
        print(f"{name}: {counts}", file=sys.stderr)
        for label, pool in (("CHANGED", changed), ("UNCHANGED (blank line and indented lines)",
                                                   unchanged_risky)):
            for a in rng.sample(pool, min(show, len(pool))):
                print(f"\n=== {name} {a.id} {label}")
                if label == "CHANGED":
                    print("  before: ¶ " + render(split(before, a.text)))
                print("  after:  ¶ " + render(split(after, a.text)))
    return result


def accuracy(grouped, module, t: float) -> dict:
    """Pairs at ``t`` with ``module``'s paragraphs in the truth and in the index."""
    acc.paragraphs = module.paragraphs
    index_module.matchable_texts = module.matchable_texts
    hasher = MinHasher()
    out, pooled = {}, {}
    try:
        for name, articles in grouped.items():
            t0 = time.perf_counter()
            c = acc.load_corpus(name, articles, hasher)
            truth, _ = acc.exact_pairs(c, t)
            reported, info = acc.engine_pairs(c, t)
            rep_jac, rep_score = acc.pair_truth(c, truth, reported)
            counts = acc.score_against(reported, rep_jac, rep_score, truth, len(c.sets), t)
            diag = acc.diagnose(c, truth, reported, rep_score, info, t)
            for key, value in counts.items():
                pooled[key] = pooled.get(key, 0) + value
            row = acc.with_ratios(counts)
            row["paragraphs"] = len(c.sets)
            row["missed_not_band_candidate"] = diag["missed_not_band_candidate"]
            row["missed_exact_jaccard_below_t-margin"] = diag["missed_exact_jaccard_below_t-margin"]
            out[name] = row
            print(f"  {name}: R_jc {row['recall_jc']:.4f} P_jc {row['precision_jc']:.4f} "
                  f"R_j {row['recall_j']:.4f} P_j {row['precision_j']:.4f} "
                  f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    finally:
        acc.paragraphs = after.paragraphs
        index_module.matchable_texts = after.matchable_texts
    out["all"] = acc.with_ratios(pooled)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    corpora.add_arguments(parser)
    parser.add_argument("--before-rev", default="HEAD")
    parser.add_argument("--show", type=int, default=0, metavar="N")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--accuracy", action="store_true")
    args = parser.parse_args()
    grouped = corpora.load_from_args(args)
    before = load_before(args.before_rev)
    res = {"before_rev": args.before_rev, "segmentation": segmentation(grouped, before,
                                                                       args.show, args.seed)}
    if args.accuracy:
        t = acc.DEFAULT_THRESHOLD
        res["threshold"] = t
        for label, module in (("before", before), ("after", after)):
            print(f"accuracy, {label}:", file=sys.stderr)
            res[f"accuracy_{label}"] = accuracy(grouped, module, t)
        print("\n| corpus | R J-or-C before → after | P J-or-C | R J | P J | true J-or-C |")
        print("|---|---|---|---|---|---|")
        for name in res["accuracy_after"]:
            b, a = res["accuracy_before"][name], res["accuracy_after"][name]
            cells = [f"{acc.fmt(b[k])} → {acc.fmt(a[k])}"
                     for k in ("recall_jc", "precision_jc", "recall_j", "precision_j")]
            print(f"| {name} | " + " | ".join(cells)
                  + f" | {b['true_jc']:,} → {a['true_jc']:,} |")
    corpora.atomic_write(JSON_OUT, lambda h: json.dump(res, h, indent=2))
    print(f"written: {JSON_OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
