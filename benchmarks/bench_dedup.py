"""End-to-end speed of ``wireclean dedup``: MB/s with --jobs 1 and --jobs 2, and peak RSS.

Two corpora, both written under ``benchmarks/out/`` (gitignored; the data is research-only):

* ``dedup_real.jsonl`` -- every article of the real corpora in ``../shared/data``;
* ``dedup_archive_<N>mb.jsonl`` -- about N MB (default 500) shaped like a wire archive:
  most paragraphs are new (2 to 4 sentences drawn at random from the real corpora, so the
  combination is new), and 8 % are syndicated copies of a paragraph generated earlier
  (half of those passed through :class:`spinner.Spinner`: entity swaps, synonyms,
  spacing damage, trims and additions), about the share of duplicate paragraphs in the
  real corpora (5 %) plus reprint clusters that grow over time. Seeded.
* ``dedup_synth_<N>mb.jsonl`` (``--resampled-mb``, default 100) -- a stress case: every
  paragraph resampled from the real corpora (5 to 15 per article), a third of them spun,
  so most paragraphs are near copies of many others (70 % duplicates at 100 MB).

Each run is the real command line in a fresh process (``wireclean dedup FILE --jobs J
--report OUT``, the report written to ``benchmarks/out/``), timed wall-clock; peak RSS is
the largest resident set of that command's processes (``os.wait4``'s rusage, which covers
the pool workers it waited for), and "all processes" the largest sum of their resident
sets, sampled every 50 ms. MB are 10**6 bytes of the input file.

    .venv/bin/python benchmarks/bench_dedup.py      # real: 3 runs; archive 500 MB, resampled 100 MB: 1 run
    .venv/bin/python benchmarks/bench_dedup.py --size-mb 50 --resampled-mb 0 --runs 3 --synth-runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import OUT_DIR, DataMissing, iter_articles, resolve_data_dir  # noqa: E402
from spinner import Spinner  # noqa: E402

WIRECLEAN = Path(sys.executable).with_name("wireclean")


def write_real(data: Path) -> Path:
    path = OUT_DIR / "dedup_real.jsonl"
    if not path.exists():
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            for corpus, article_id, text in iter_articles(data):
                f.write(json.dumps({"id": f"{corpus}/{article_id}", "text": text},
                                   ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    return path


def write_synth(data: Path, size_mb: int, seed: int = 7) -> Path:
    path = OUT_DIR / f"dedup_synth_{size_mb}mb.jsonl"
    if path.exists():
        return path
    from wireclean.dedup.segment import paragraphs

    pool = [p.text for _, _, text in iter_articles(data) for p in paragraphs(text)]
    rng = random.Random(seed)
    spinner = Spinner(seed)
    target = size_mb * 10**6
    written = n = 0
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        while written < target:
            paras = [rng.choice(pool) for _ in range(rng.randint(5, 15))]
            paras = [spinner.spin(p) if rng.random() < 0.33 else p for p in paras]
            line = json.dumps({"id": f"synth/{n}", "text": "\n\n".join(paras)},
                              ensure_ascii=False) + "\n"
            f.write(line)
            written += len(line.encode("utf-8"))
            n += 1
    os.replace(tmp, path)
    return path


SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")


def write_archive(data: Path, size_mb: int, seed: int = 11, reprint_rate: float = 0.08) -> Path:
    path = OUT_DIR / f"dedup_archive_{size_mb}mb.jsonl"
    if path.exists():
        return path
    from wireclean.dedup.segment import paragraphs

    sentences = [s for _, _, text in iter_articles(data) for p in paragraphs(text)
                 if p.matchable for s in SENTENCE_END.split(" ".join(p.text.split()))
                 if len(s.split()) >= 6]
    rng = random.Random(seed)
    spinner = Spinner(seed)
    earlier: list[str] = []     # paragraphs generated so far that reprints may copy
    target = size_mb * 10**6
    written = n = 0
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        while written < target:
            paras = []
            for _ in range(rng.randint(5, 15)):
                if earlier and rng.random() < reprint_rate:
                    # Popular stories are reprinted more: favour recent paragraphs.
                    original = earlier[-1 - min(int(rng.expovariate(1 / 2000)), len(earlier) - 1)]
                    paras.append(spinner.spin(original) if rng.random() < 0.5 else original)
                else:
                    para = " ".join(rng.choice(sentences) for _ in range(rng.randint(2, 4)))
                    paras.append(para)
                    earlier.append(para)
            line = json.dumps({"id": f"archive/{n}", "text": "\n\n".join(paras)},
                              ensure_ascii=False) + "\n"
            f.write(line)
            written += len(line.encode("utf-8"))
            n += 1
    os.replace(tmp, path)
    return path


# Runs one command and reports (exit code, seconds, ru_maxrss in KB). A process started by
# this (large) benchmark process inherits its peak RSS on Linux -- ru_maxrss survives fork
# and exec -- so the command is started from this small launcher instead, whose own peak
# is a few MB. ``wait4``'s rusage covers the command and the pool workers it waited for,
# and ru_maxrss is the largest of them, not their sum.
_LAUNCHER = """
import json, os, sys, time
start = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ,
                     file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
_, status, usage = os.wait4(pid, 0)
print(json.dumps([os.waitstatus_to_exitcode(status), time.perf_counter() - start,
                  usage.ru_maxrss]))
"""


def _descendants_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        family = proc.children(recursive=True)
    except psutil.Error:
        return 0
    for p in family:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


#: Extra options of every measured command (--no-sentence-keys adds its own).
EXTRA: list[str] = []


def run_once(corpus: Path, jobs: int) -> tuple[float, float, float]:
    """(seconds, peak RSS of its largest process, peak RSS of all its processes together;
    both in MB) of one ``wireclean dedup`` run. The total is sampled every 50 ms."""
    report = OUT_DIR / f"{corpus.stem}.j{jobs}.report.jsonl"
    cmd = [str(WIRECLEAN), "dedup", str(corpus), "--jobs", str(jobs), "-q",
           "--report", str(report), *EXTRA]
    launcher = subprocess.Popen([sys.executable, "-c", _LAUNCHER, *cmd],
                                stdout=subprocess.PIPE, text=True)
    watched = psutil.Process(launcher.pid)
    total = 0
    while launcher.poll() is None:
        total = max(total, _descendants_rss(watched))
        time.sleep(0.05)
    code, seconds, maxrss_kb = json.loads(launcher.stdout.read())
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {code}")
    return seconds, maxrss_kb / 1024, total / 2**20


def measure(corpus: Path, runs: int, jobs_list: list[int]) -> dict:
    """Median of ``runs`` runs per --jobs value. Runs are interleaved (j1, j2, j1, j2, ...)
    so that a drift of the machine's speed during the benchmark hits every setting alike."""
    mb = corpus.stat().st_size / 1e6
    out = {"corpus": corpus.name, "mb": round(mb, 1), "runs": runs, "jobs": {}}
    seen = {jobs: ([], [], []) for jobs in jobs_list}
    for _ in range(runs):
        for jobs in jobs_list:
            for into, value in zip(seen[jobs], run_once(corpus, jobs)):
                into.append(value)
    for jobs, (times, rss, totals) in seen.items():
        med = statistics.median(times)
        out["jobs"][jobs] = {"seconds": [round(t, 2) for t in times],
                             "median_s": round(med, 2), "mb_per_s": round(mb / med, 2),
                             "peak_rss_mb": round(max(rss)),
                             "peak_total_rss_mb": round(max(totals))}
        print(f"{corpus.name}: {mb:.1f} MB --jobs {jobs}: median {med:.2f} s of {runs} "
              f"-> {mb / med:.2f} MB/s, peak RSS {max(rss):.0f} MB "
              f"(all processes: {max(totals):.0f} MB)", flush=True)
    if 1 in out["jobs"] and 2 in out["jobs"]:
        out["speedup_j2"] = round(out["jobs"][1]["median_s"] / out["jobs"][2]["median_s"], 2)
        print(f"  --jobs 2 speedup: {out['speedup_j2']:.2f}x", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", metavar="DIR")
    parser.add_argument("--size-mb", type=int, default=500,
                        help="size of the archive-like corpus (default 500; 0 skips it)")
    parser.add_argument("--resampled-mb", type=int, default=100,
                        help="size of the resampled stress corpus (default 100; 0 skips it)")
    parser.add_argument("--runs", type=int, default=3, help="runs per setting, real corpora")
    parser.add_argument("--synth-runs", type=int, default=1,
                        help="runs per setting, generated corpus (default 1)")
    parser.add_argument("--jobs", type=int, action="append", help="default: 1 and 2")
    parser.add_argument("--no-sentence-keys", action="store_true",
                        help="measure `wireclean dedup --no-sentence-keys` (bands only; "
                             "results to bench_dedup_no_sentence_keys.json)")
    args = parser.parse_args()
    if args.no_sentence_keys:
        EXTRA.append("--no-sentence-keys")
    try:
        data = resolve_data_dir(args.data)
    except DataMissing as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    jobs_list = args.jobs or [1, 2]
    results = {"cpus": os.cpu_count(), "loadavg_before": os.getloadavg(),
               "real": measure(write_real(data), args.runs, jobs_list)}
    for name, size, write in (("archive", args.size_mb, write_archive),
                              ("resampled", args.resampled_mb, write_synth)):
        if size:
            t = time.perf_counter()
            corpus = write(data, size)
            print(f"generated {corpus.name} in {time.perf_counter() - t:.0f} s", flush=True)
            results[name] = measure(corpus, args.synth_runs, jobs_list)
    results["loadavg_after"] = os.getloadavg()
    name = "bench_dedup_no_sentence_keys.json" if args.no_sentence_keys else "bench_dedup.json"
    (OUT_DIR / name).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
