"""Signature speed: wireclean's MinHasher against datasketch and rensa on the same shingles.

Every method turns the same paragraphs (the matchable paragraphs of the real corpora in
../shared/data, split by wireclean.dedup.segment) into 128-permutation MinHash signatures:

- wireclean   ``MinHasher().signatures(texts)`` (canonical form, tokens, shingles, MinHash)
- datasketch  ``MinHash.update`` once per shingle (its default SHA-1 hash)
- datasketch  ``MinHash.update_batch`` once per paragraph
- datasketch  ``MinHash.bulk`` over all paragraphs
- rensa       ``RMinHash.update`` once per paragraph (a benchmark-only extra)

The peers hash exactly wireclean's shingles: the canonical tokens joined with a space.
Two timings are kept for them: "end to end" includes making those shingles from the
paragraph text (canonical form + joining tokens), as wireclean's own time does; "hash only"
starts from ready-made shingle lists. Ratios use the end-to-end times. On a shared machine wall time
counts other processes' turns on the core too, so CPU time (``time.process_time``) is
reported beside it; both are medians, and ratios of either are taken within a round.

Each method runs in a fresh subprocess (its own peak RSS), pinned to one core with
``taskset -c 0`` when available and ``RAYON_NUM_THREADS=1``; rounds are interleaved and
the figures are medians over rounds, ratios being taken within each round. MB are bytes of
UTF-8 paragraph text. Results: a markdown table on stdout, JSON in
benchmarks/out/bench_minhash_<sample>.json.

    .venv/bin/python benchmarks/bench_minhash.py              # 5 MB sample, 3 rounds: ~3 min
    .venv/bin/python benchmarks/bench_minhash.py --mb 0 --methods wireclean,ds_bulk,rensa  # 25 MB
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpora  # noqa: E402

from wireclean.dedup.minhash import DEFAULT_SHINGLE_SIZE  # noqa: E402

OUT = HERE / "out"
NUM_PERM = 128
SEED = 1
METHODS = {
    "wireclean": "wireclean MinHasher.signatures (batched numpy)",
    "ds_update": "datasketch MinHash.update per shingle",
    "ds_update_batch": "datasketch MinHash.update_batch per paragraph",
    "ds_bulk": "datasketch MinHash.bulk",
    "rensa": "rensa RMinHash.update per paragraph",
}
BASELINE = "ds_update"


def load_paragraphs(data: str | None, mb: float | None) -> tuple[list[str], list[str]]:
    """Matchable paragraphs of every corpus (and the corpus of each); with ``mb``, an evenly
    spread sample of about that many megabytes."""
    from wireclean.dedup.segment import paragraphs

    texts, names = [], []
    for article in corpora.iter_articles(corpora.resolve_data_dir(data)):
        for p in paragraphs(article.text):
            if p.matchable:
                texts.append(p.text)
                names.append(article.corpus)
    if mb:
        total = sum(len(t.encode("utf-8")) for t in texts)
        step = max(1, round(total / (mb * 1e6)))
        texts, names = texts[::step], names[::step]
    return texts, names


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_method(method: str, texts: list[str]) -> dict:
    """Time one method in this process; returns seconds (end to end and hash only)."""
    from wireclean.dedup.canonical import canonical_many
    from wireclean.dedup.minhash import MinHasher

    hasher = MinHasher(num_perm=NUM_PERM, seed=SEED)

    def shingles_bytes(batch: list[str]) -> list[list[bytes]]:
        n = hasher.shingle_size
        out = []
        for canon in canonical_many(batch):
            tokens = canon.split()
            if len(tokens) < n:
                out.append([b" ".join(tokens)] if tokens else [])
            else:
                out.append([b" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)])
        return out

    result: dict = {"rss_before_mb": rss_mb()}
    if method == "wireclean":
        def prepare(batch):
            return batch

        def hash_all(batch):
            return hasher.signatures(batch)

    elif method == "rensa":
        from rensa import RMinHash

        def prepare(batch):
            return [[s.decode("utf-8") for s in row] for row in shingles_bytes(batch)]

        def hash_all(rows):
            out = []
            for row in rows:
                m = RMinHash(num_perm=NUM_PERM, seed=SEED)
                m.update(row)
                out.append(m.digest())
            return out
    else:
        from datasketch import MinHash

        prepare = shingles_bytes
        if method == "ds_update":
            def hash_all(rows):
                out = []
                for row in rows:
                    m = MinHash(num_perm=NUM_PERM, seed=SEED)
                    for s in row:
                        m.update(s)
                    out.append(m.hashvalues)
                return out
        elif method == "ds_update_batch":
            def hash_all(rows):
                out = []
                for row in rows:
                    m = MinHash(num_perm=NUM_PERM, seed=SEED)
                    m.update_batch(row)
                    out.append(m.hashvalues)
                return out
        elif method == "ds_bulk":
            def hash_all(rows):
                return [m.hashvalues for m in MinHash.bulk(rows, num_perm=NUM_PERM, seed=SEED)]
        else:
            raise SystemExit(f"unknown method {method!r}")

    hash_all(prepare(texts[:50]))  # warm up: imports, lazy tables, first-call costs
    t0, c0 = time.perf_counter(), time.process_time()
    rows = prepare(texts)
    t1, c1 = time.perf_counter(), time.process_time()
    out = hash_all(rows)
    t2, c2 = time.perf_counter(), time.process_time()
    result["seconds"] = t2 - t0
    result["cpu_seconds"] = c2 - c0
    result["hash_only_seconds"] = t2 - t1 if method != "wireclean" else None
    result["hash_only_cpu_seconds"] = c2 - c1 if method != "wireclean" else None
    result["outputs"] = len(out)
    result["rss_peak_mb"] = rss_mb()
    return result


def worker(args: argparse.Namespace) -> None:
    texts, _names = load_paragraphs(args.data, args.mb)
    result = run_method(args.worker, texts)
    result["paragraphs"] = len(texts)
    result["mb"] = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(json.dumps(result))


def spawn(method: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", method]
    if args.data:
        cmd += ["--data", args.data]
    cmd += ["--mb", str(args.mb)]
    if shutil.which("taskset") and not args.no_pin:
        cmd = ["taskset", "-c", "0"] + cmd
    env = dict(os.environ, RAYON_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"worker {method} failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", metavar="DIR", help="shared data folder")
    parser.add_argument("--mb", type=float, default=5.0,
                        help="sample size in MB shared by all methods (0: every paragraph)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--methods", default=",".join(METHODS),
                        help=f"comma-separated subset of {', '.join(METHODS)}")
    parser.add_argument("--no-pin", action="store_true", help="do not pin to core 0")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    try:
        corpora.resolve_data_dir(args.data)
    except corpora.DataMissing as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    if args.worker:
        worker(args)
        return

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = set(methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown method(s): {', '.join(sorted(unknown))}")
    runs: dict[str, list[dict]] = {m: [] for m in methods}
    for r in range(args.rounds):
        for m in methods:
            res = spawn(m, args)
            runs[m].append(res)
            print(f"round {r + 1}: {m:16} {res['mb'] / res['seconds']:7.2f} MB/s "
                  f"({res['seconds']:.2f} s, peak RSS {res['rss_peak_mb']:.0f} MB)",
                  file=sys.stderr)

    first = runs[methods[0]][0]
    mb, n = first["mb"], first["paragraphs"]
    summary = {"mb": mb, "paragraphs": n, "rounds": args.rounds, "num_perm": NUM_PERM,
               "python": sys.version.split()[0], "methods": {}}
    for m in methods:
        secs = [x["seconds"] for x in runs[m]]
        cpu = [x["cpu_seconds"] for x in runs[m]]
        hash_only = [x["hash_only_cpu_seconds"] for x in runs[m] if x["hash_only_cpu_seconds"]]
        row = {
            "label": METHODS[m],
            "mb_per_s": statistics.median(mb / s for s in secs),
            "cpu_mb_per_s": statistics.median(mb / s for s in cpu),
            "hash_only_cpu_mb_per_s":
                statistics.median(mb / s for s in hash_only) if hash_only else None,
            "paragraphs_per_s": statistics.median(n / s for s in secs),
            "cpu_paragraphs_per_s": statistics.median(n / s for s in cpu),
            "rss_peak_mb": statistics.median(x["rss_peak_mb"] for x in runs[m]),
            "rss_before_mb": statistics.median(x["rss_before_mb"] for x in runs[m]),
            "seconds": secs,
            "cpu_seconds": cpu,
        }
        for ref in (BASELINE, "rensa"):
            if ref in runs:
                for key, suffix in (("seconds", ""), ("cpu_seconds", "_cpu")):
                    row[f"x_vs_{ref}{suffix}"] = statistics.median(
                        b[key] / a[key] for a, b in zip(runs[m], runs[ref]))
        summary["methods"][m] = row

    print(f"\n{n:,} paragraphs, {mb:.1f} MB, {NUM_PERM} permutations, shingles of "
          f"{DEFAULT_SHINGLE_SIZE} canonical words; medians of {args.rounds} rounds, one core\n")
    print("| method | MB/s wall | MB/s CPU | paragraphs/s CPU | peak RSS MB "
          "| x datasketch update (wall / CPU) | x rensa (wall / CPU) | hash-only MB/s CPU |")
    print("|---|---|---|---|---|---|---|---|")

    def ratio(row, ref):
        if f"x_vs_{ref}" not in row:
            return "-"
        return f"{row[f'x_vs_{ref}']:.2f} / {row[f'x_vs_{ref}_cpu']:.2f}"

    for m, row in summary["methods"].items():
        ho = row["hash_only_cpu_mb_per_s"]
        print(f"| {row['label']} | {row['mb_per_s']:.2f} | {row['cpu_mb_per_s']:.2f} | "
              f"{row['cpu_paragraphs_per_s']:,.0f} | {row['rss_peak_mb']:.0f} | "
              f"{ratio(row, BASELINE)} | {ratio(row, 'rensa')} | "
              f"{f'{ho:.2f}' if ho else '-'} |")
    OUT.mkdir(exist_ok=True)
    path = OUT / f"bench_minhash_{f'{args.mb:g}mb' if args.mb else 'all'}.json"
    path.write_text(json.dumps(summary, indent=2))
    print(f"\nwritten: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
