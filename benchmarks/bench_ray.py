"""Throughput of the Ray Data engine against the in-process index, on a synthetic corpus.

    .venv/bin/python benchmarks/bench_ray.py --records 20000 [--cpus 2] [--shuffle hash]

Writes one line per engine: records, paragraphs, matches, seconds, records/s; and
checks that both report the same (id, para, match_id, match_para). The corpus is made
here (wire-style sentences with reprints: exact, trimmed, one word changed, spun), so no
data file is needed. Ray runs locally (``address="local"``, no dashboard).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import time

# Keep a local Ray on loopback (see tests/conftest.py); read when Ray is imported.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

SUBJECTS = ["The central bank", "Officials in Geneva", "The U.S. delegation", "Grain traders",
            "Port authorities", "Energy ministers", "The finance ministry", "A U.S. diplomat"]
VERBS = ["said on Tuesday that", "warned late on Monday that", "told reporters that",
         "confirmed in a statement that"]
CLAIMS = ["export volumes would rise sharply over the coming quarter",
          "talks on a new shipping corridor had stalled once again",
          "prices for wheat and corn would hold near record highs",
          "the new sanctions would hit independent refiners hardest"]


def corpus(n: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)

    def paragraph() -> str:
        return (f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(CLAIMS)} on day "
                f"{rng.randint(1, 10**6)}. Volumes reached {rng.randint(1, 10**6)} tonnes at "
                f"terminal {rng.randint(1, 10**4)}, up from {rng.randint(1, 10**6)} a year earlier.")

    stories: list[list[str]] = []
    for _ in range(n):
        paras = [paragraph() for _ in range(rng.randint(2, 6))]
        if stories and rng.random() < 0.3:
            for p in rng.sample(rng.choice(stories), 1):
                kind = rng.randrange(4)
                if kind == 1:
                    p = p.split(". ")[0] + "."
                elif kind == 2:
                    words = p.split()
                    words[rng.randrange(len(words))] = "reportedly"
                    p = " ".join(words)
                elif kind == 3:
                    p = p.replace("U.S.", "USA")
                paras.insert(rng.randrange(len(paras) + 1), p)
        stories.append(paras)
    return [{"id": f"w{i}", "text": "GENEVA (Wire) -\n\n" + "\n\n".join(p)}
            for i, p in enumerate(stories)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=20000)
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--shuffle", choices=["sort", "hash"], default="sort",
                    help="sort: sort_shuffle_pull_based; hash: Ray's default strategy")
    args = ap.parse_args()

    import ray
    import ray.data

    from wireclean.dedup.index import Index
    from wireclean.engines.ray import dedup_dataset

    records = corpus(args.records)
    paragraphs = sum(r["text"].count("\n\n") for r in records)

    t = time.perf_counter()
    expected = []
    for key, matches in Index().check_and_add_many((r["id"], r["text"]) for r in records):
        best: dict = {}
        for m in matches:
            best.setdefault(m.para, m)
        expected += [(key, p, m.key, m.key_para) for p, m in sorted(best.items())]
    local = time.perf_counter() - t

    t = time.perf_counter()
    ray.init(address="local", num_cpus=args.cpus, include_dashboard=False,
             logging_level=logging.ERROR, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    started = time.perf_counter() - t
    shuffle = "sort_shuffle_pull_based" if args.shuffle == "sort" else None
    ds = ray.data.from_items(records, override_num_blocks=max(4, args.records // 2000))
    t = time.perf_counter()
    rows = dedup_dataset(ds, shuffle=shuffle).take_all()
    remote = time.perf_counter() - t
    ray.shutdown()
    got = [(r["id"], r["para"], r["match_id"], r["match_para"]) for r in rows]

    print(f"ray.init: {started:.1f} s")
    for name, seconds, n in (("in-process Index", local, len(expected)),
                             (f"ray ({args.cpus} CPUs, {args.shuffle} shuffle)", remote, len(got))):
        print(f"{name}: {args.records} records, {paragraphs} paragraphs, {n} matches, "
              f"{seconds:.1f} s, {args.records / seconds:,.0f} records/s")
    print("same matches:", got == expected)


if __name__ == "__main__":
    main()
