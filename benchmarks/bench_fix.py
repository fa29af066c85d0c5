"""Speed of ``wireclean.fix`` (default rules) against ``ftfy.fix_text`` alone, same run, one core.

Both are timed over every article of each corpus in ``../shared/data`` in every round; the
round order alternates which goes first. MB/s is the articles' UTF-8 bytes per CPU second
of this single-threaded process, pinned to one CPU with ``os.sched_setaffinity``: that is
the per-core figure, and it holds up when other jobs share the core (wall-clock figures
are reported beside it). Reported: the median over rounds of each speed, and the median of
the per-round ratios (a ratio taken within one round is steadier than a ratio of medians).
Peak RSS is the whole process's, corpora included.

Each pass's ``find_edits`` is also timed on exactly the text the pipeline hands it (the
output of the passes before it), to show where the time goes; "pipeline" is what ``fix``
spends outside the passes (applying edits, mapping offsets back, building changes).

Run from the repository root::

    .venv/bin/python benchmarks/bench_fix.py                 # 5 rounds, ~1-2 minutes
    .venv/bin/python benchmarks/bench_fix.py --rounds 3 --corpus bbc
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import OUT_DIR, REPO_ROOT, add_arguments, atomic_write, load_from_args  # noqa: E402

import ftfy  # noqa: E402

import wireclean  # noqa: E402
from wireclean.fix import pipeline  # noqa: E402
from wireclean.fix.registry import RULES  # noqa: E402

TARGET_MB_S = 25.0


def _busy_ticks() -> dict[int, tuple[int, int]]:
    """(busy, total) jiffies per CPU from /proc/stat; empty where that file is missing."""
    ticks = {}
    try:
        with open("/proc/stat") as handle:
            for line in handle:
                name, *fields = line.split()
                if name.startswith("cpu") and name[3:].isdigit():
                    values = [int(v) for v in fields]
                    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
                    ticks[int(name[3:])] = (sum(values) - idle, sum(values))
    except OSError:
        pass
    return ticks


def pin_to_one_cpu(cpu: int | None) -> int:
    """Pin this process to ``cpu`` and return it.

    By default, the allowed CPU that was least busy over the last half second: the machine
    is shared, and a core another job is saturating halves every figure.
    """
    allowed = sorted(os.sched_getaffinity(0))
    if cpu is None:
        first = _busy_ticks()
        time.sleep(0.5)
        second = _busy_ticks()

        def busy(c: int) -> float:
            if c not in first or c not in second:
                return 0.0
            total = second[c][1] - first[c][1]
            return (second[c][0] - first[c][0]) / total if total else 0.0

        cpu = min(allowed, key=busy)
    os.sched_setaffinity(0, {cpu})
    return cpu


def stage_inputs(texts: list[str]) -> dict[str, list[str]]:
    """For each enabled pass, the texts it sees inside ``fix``: the output of the passes before it.

    Built through the public ``Fixer`` (ignoring the pass and everything after it), so it
    follows the pipeline's own order and overlap rules.
    """
    families = [family for family, _ in pipeline.PASSES]
    default_rules = pipeline.Fixer().context.rules
    inputs = {}
    for i, family in enumerate(families):
        if not any(RULES[r].family == family for r in default_rules):
            continue  # off by default (boilerplate): fix never calls it
        later = families[i:]
        if i == 0:
            inputs[family] = texts
        else:
            fixer = pipeline.Fixer(ignore=later)
            inputs[family] = [fixer.fix(t) for t in texts]
    return inputs


def timed(run, texts: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) to run ``run`` over ``texts``."""
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    for text in texts:
        run(text)
    return time.process_time() - cpu, time.perf_counter() - wall


def code_fingerprint() -> str:
    """Hash of the fix package's sources, so a result file says which code it measured."""
    digest = hashlib.sha1()
    for path in sorted((REPO_ROOT / "wireclean" / "fix").rglob("*")):
        if path.is_file() and path.suffix in {".py", ".toml"}:
            digest.update(path.relative_to(REPO_ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def bench(grouped, rounds: int, with_passes: bool) -> dict:
    ctx = pipeline.Fixer().context
    pass_fns = dict(pipeline.PASSES)
    corpora = {}
    for corpus, articles in grouped.items():
        texts = [a.text for a in articles]
        corpora[corpus] = {
            "texts": texts,
            "bytes": sum(len(t.encode("utf-8")) for t in texts),
            "stages": stage_inputs(texts) if with_passes else {},
        }
    # Warm up: compile patterns, load ftfy's tables, fill lru caches.
    for c in corpora.values():
        for text in c["texts"][:50]:
            wireclean.fix(text)
            ftfy.fix_text(text)
    rss_loaded = peak_rss_mb()

    results = {corpus: {"wireclean_s": [], "ftfy_s": [], "wireclean_wall_s": [], "ftfy_wall_s": [],
                        "passes_s": {}} for corpus in corpora}
    for r in range(rounds):
        for corpus, c in corpora.items():
            res = results[corpus]
            contenders = [("wireclean", wireclean.fix), ("ftfy", ftfy.fix_text)]
            for name, run in contenders[::-1] if r % 2 else contenders:
                cpu, wall = timed(run, c["texts"])
                res[f"{name}_s"].append(cpu)
                res[f"{name}_wall_s"].append(wall)
            for family, texts in c["stages"].items():
                run = pass_fns[family]
                cpu, _ = timed(lambda t, run=run: run(t, ctx), texts)
                res["passes_s"].setdefault(family, []).append(cpu)
        print(f"round {r + 1}/{rounds} done", file=sys.stderr)

    for corpus, c in corpora.items():
        res = results[corpus]
        res.update(bytes=c["bytes"], articles=len(c["texts"]))
    return {"corpora": results, "peak_rss_mb_after_load": rss_loaded,
            "peak_rss_mb": peak_rss_mb()}


def summarize(raw: dict, rounds: int) -> dict:
    """Medians per corpus and overall (an "all" round is the sum of that round's corpora).

    Speeds are bytes per CPU second of this one-threaded process, i.e. per core; on a shared
    machine that is steadier than wall time, which is kept beside it.
    """
    per = dict(raw["corpora"])
    keys = ("wireclean_s", "ftfy_s", "wireclean_wall_s", "ftfy_wall_s")
    per["all"] = {
        "bytes": sum(c["bytes"] for c in per.values()),
        "articles": sum(c["articles"] for c in per.values()),
        **{key: [sum(c[key][r] for c in raw["corpora"].values()) for r in range(rounds)]
           for key in keys},
        "passes_s": {
            family: [sum(c["passes_s"][family][r] for c in raw["corpora"].values()) for r in range(rounds)]
            for family in next(iter(raw["corpora"].values()))["passes_s"]
        },
    }
    out = {}
    for corpus, c in per.items():
        mb = c["bytes"] / 1e6
        row = {
            "mb": mb, "articles": c["articles"],
            "wireclean_mb_s": statistics.median(mb / s for s in c["wireclean_s"]),
            "ftfy_mb_s": statistics.median(mb / s for s in c["ftfy_s"]),
            "ratio": statistics.median(f / w for w, f in zip(c["wireclean_s"], c["ftfy_s"])),
            "wireclean_wall_mb_s": statistics.median(mb / s for s in c["wireclean_wall_s"]),
            "ftfy_wall_mb_s": statistics.median(mb / s for s in c["ftfy_wall_s"]),
            "wall_ratio": statistics.median(
                f / w for w, f in zip(c["wireclean_wall_s"], c["ftfy_wall_s"])),
            # Share of the wall time this process was actually on a CPU (1.0 = no contention).
            "cpu_share": (sum(c["wireclean_s"]) + sum(c["ftfy_s"]))
            / (sum(c["wireclean_wall_s"]) + sum(c["ftfy_wall_s"])),
            "wireclean_articles_s": statistics.median(c["articles"] / s for s in c["wireclean_s"]),
            "ftfy_articles_s": statistics.median(c["articles"] / s for s in c["ftfy_s"]),
            "passes_mb_s": {f: statistics.median(mb / s for s in ts) for f, ts in c["passes_s"].items()},
            # Share of fix's time per pass, per round, then the median.
            "passes_share": {f: statistics.median(t / w for t, w in zip(ts, c["wireclean_s"]))
                             for f, ts in c["passes_s"].items()},
        }
        if c["passes_s"]:
            rest = [w - sum(ts[r] for ts in c["passes_s"].values())
                    for r, w in enumerate(c["wireclean_s"])]
            row["pipeline_share"] = statistics.median(x / w for x, w in zip(rest, c["wireclean_s"]))
        out[corpus] = row
    return out


def markdown(summary: dict, raw: dict, rounds: int, cpu: int) -> str:
    lines = [f"`wireclean.fix` (default rules) vs `ftfy.fix_text` (default config), one process "
             f"pinned to CPU {cpu}, median of {rounds} rounds. MB/s = UTF-8 MB per CPU second "
             f"(per core); ratio = median of per-round ratios; wall = the same by wall clock.",
             "",
             "| corpus | MB | articles | wireclean MB/s | ftfy MB/s | wireclean / ftfy "
             "| wireclean articles/s | ftfy articles/s | wall: wireclean / ftfy MB/s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for corpus, row in summary.items():
        name = "**all**" if corpus == "all" else corpus
        lines.append(f"| {name} | {row['mb']:.1f} | {row['articles']:,} "
                     f"| {row['wireclean_mb_s']:.1f} | {row['ftfy_mb_s']:.1f} | {row['ratio']:.1f}× "
                     f"| {row['wireclean_articles_s']:,.0f} | {row['ftfy_articles_s']:,.0f} "
                     f"| {row['wireclean_wall_mb_s']:.1f} / {row['ftfy_wall_mb_s']:.1f} |")
    total = summary["all"]
    verdict = "met" if total["wireclean_mb_s"] >= TARGET_MB_S else "NOT met"
    lines += ["", f"Target ≥ {TARGET_MB_S:.0f} MB/s per core: {verdict} "
                  f"({total['wireclean_mb_s']:.1f} MB/s over all corpora). "
                  f"Peak RSS {raw['peak_rss_mb']:.0f} MB "
                  f"({raw['peak_rss_mb_after_load']:.0f} MB after loading the corpora and warming up). "
                  f"The process was on its CPU {100 * total['cpu_share']:.0f} % of the wall time "
                  f"(below ~95 %, other jobs shared the core: trust CPU-time figures and ratios)."]

    families = list(total["passes_mb_s"])
    if families:
        corpora = [c for c in summary if c != "all"]
        lines += ["", "Where the time goes: each pass's `find_edits` on the text it receives in `fix` "
                      "(MB/s of CPU time, median); share = pass time / `fix` time, over all corpora.", "",
                  "| pass | " + " | ".join(corpora) + " | all MB/s | share of fix time |",
                  "|---|" + "---:|" * (len(corpora) + 2)]
        for family in families:
            cells = " | ".join(f"{summary[c]['passes_mb_s'][family]:.0f}" for c in corpora)
            lines.append(f"| {family} | {cells} | {total['passes_mb_s'][family]:.1f} "
                         f"| {100 * total['passes_share'][family]:.0f} % |")
        blanks = " |" * (len(corpora) + 1)
        share = total["pipeline_share"]
        # fix's time minus the separately timed passes: can dip below 0 on a noisy machine.
        shown = f"{100 * share:.0f} %" if share >= 0.01 else "< 1 % (within noise)"
        lines.append(f"| pipeline (outside the passes) |{blanks} {shown} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds, at least 3 (default 5)")
    parser.add_argument("--cpu", type=int, help="CPU to pin to (default: the least busy one)")
    parser.add_argument("--no-passes", action="store_true", help="skip the per-pass timing")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "bench_fix.json",
                        help="JSON results (default: benchmarks/out/bench_fix.json)")
    args = parser.parse_args(argv)
    if args.rounds < 3:
        parser.error("--rounds must be at least 3 (the results are medians)")
    grouped = load_from_args(args)
    try:
        cpu = pin_to_one_cpu(args.cpu)
    except (OSError, ValueError) as err:
        parser.error(f"cannot pin to CPU {args.cpu}: {err}")

    load_before = os.getloadavg()
    raw = bench(grouped, args.rounds, with_passes=not args.no_passes)
    summary = summarize(raw, args.rounds)
    table = markdown(summary, raw, args.rounds, cpu)

    result = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "pinned_cpu": cpu, "loadavg_before": load_before,
        "wireclean": wireclean.__version__, "ftfy": ftfy.__version__,
        "fix_code_sha1": code_fingerprint(), "rounds": args.rounds,
        "summary": summary, "raw_seconds": raw["corpora"],
        "peak_rss_mb": raw["peak_rss_mb"], "peak_rss_mb_after_load": raw["peak_rss_mb_after_load"],
    }
    atomic_write(args.out, lambda h: json.dump(result, h, indent=1))
    print(table)
    print(f"\nresults in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
