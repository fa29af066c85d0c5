"""False positives of ``wireclean fix`` on real, unspun news: changes per rule per 1,000 articles.

None of the corpora in ``../shared/data`` is spun (see its README), so every entity (N)
change found here is a false positive, and every encoding/spacing change needs a human
look. This runs ``wireclean.fix_and_explain`` with the default rules over every article,
prints markdown tables, and writes each change with 40 characters of context either side
to ``benchmarks/out/fix_changes.jsonl`` for that look (``benchmarks/out`` is gitignored:
corpus text must never be committed).

It also checks two promises on every article: each ``Change.before`` is exactly the input
span it names, and ``fix`` is idempotent (``fix(fix(x)) == fix(x)``). Failures are listed
by corpus and article id only.

Run from the repository root::

    .venv/bin/python benchmarks/fix_quality.py            # all corpora, ~1 minute
    .venv/bin/python benchmarks/fix_quality.py --corpus bbc --limit 200
    .venv/bin/python benchmarks/fix_quality.py --show S006   # review recorded changes
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import OUT_DIR, add_arguments, atomic_write, load_from_args  # noqa: E402

import wireclean  # noqa: E402
from wireclean.fix.registry import RULES, select_rules  # noqa: E402

CONTEXT = 40  # characters of context kept either side of a change
SHOW_FAILURES = 10  # article ids listed per kind of failure


def run(grouped, check_idempotence: bool):
    """Fix every article; return change records, per-corpus stats and per-article failures."""
    records: list[dict] = []
    stats = {}
    failures: dict[str, list[str]] = defaultdict(list)
    for corpus, articles in grouped.items():
        changes = Counter()
        touched: dict[str, set[str]] = defaultdict(set)
        changed_articles = 0
        started = time.perf_counter()
        for _, article_id, text in articles:
            where = f"{corpus}:{article_id}"
            try:
                result = wireclean.fix_and_explain(text)
            except Exception as err:  # a crashing pass is a finding, not a reason to stop
                failures["crash"].append(f"{where} ({type(err).__name__}: {err})"[:200])
                continue
            if result.changes:
                changed_articles += 1
            for c in result.changes:
                if text[c.start:c.end] != c.before:
                    failures["offsets"].append(f"{where} {c.rule}@{c.start}")
                changes[c.rule] += 1
                touched[c.rule].add(article_id)
                records.append({
                    "corpus": corpus, "id": article_id, "rule": c.rule,
                    "start": c.start, "end": c.end, "before": c.before, "after": c.after,
                    "reason": c.reason,
                    "left": text[max(0, c.start - CONTEXT):c.start],
                    "right": text[c.end:c.end + CONTEXT],
                })
            if check_idempotence:
                try:
                    again = wireclean.fix(result.text)
                except Exception as err:
                    failures["crash"].append(f"{where} second pass ({type(err).__name__})")
                    continue
                if again != result.text:
                    failures["idempotence"].append(where)
        stats[corpus] = {
            "articles": len(articles),
            "mb": sum(len(a.text.encode("utf-8")) for a in articles) / 1e6,
            "articles_changed": changed_articles,
            "changes": dict(changes),
            "articles_touched": {rule: len(ids) for rule, ids in touched.items()},
            "seconds": time.perf_counter() - started,
        }
    return records, stats, dict(failures)


def per_1k(count: int, articles: int) -> float:
    return 1000 * count / articles if articles else 0.0


def markdown(stats: dict, failures: dict) -> str:
    corpora = list(stats)
    total_articles = sum(s["articles"] for s in stats.values())
    lines = ["| corpus | articles | MB | articles changed | changes | changes / 1,000 articles "
             "| entity (N) changes |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for corpus in corpora + ["all"]:
        group = list(stats.values()) if corpus == "all" else [stats[corpus]]
        articles = sum(s["articles"] for s in group)
        changes = sum(sum(s["changes"].values()) for s in group)
        entity = sum(n for s in group for rule, n in s["changes"].items() if rule.startswith("N"))
        name = "**all**" if corpus == "all" else corpus
        lines.append(f"| {name} | {articles:,} | {sum(s['mb'] for s in group):.1f} "
                     f"| {sum(s['articles_changed'] for s in group):,} | {changes:,} "
                     f"| {per_1k(changes, articles):.1f} | {entity} |")

    # Every default rule gets a row, so a zero is visibly a zero; opt-in rules only if they fired.
    seen = {rule for s in stats.values() for rule in s["changes"]}
    rules = sorted(select_rules() | seen)
    lines += ["", "Per rule: changes (per 1,000 articles) in each corpus; the last three columns "
                  "are over all corpora.", "",
              "| rule | " + " | ".join(f"{c} ({stats[c]['articles']:,})" for c in corpora)
              + " | changes | articles | per 1,000 |",
              "|---|" + "---:|" * (len(corpora) + 3)]
    for rule in rules:
        cells = []
        for c in corpora:
            n = stats[c]["changes"].get(rule, 0)
            cells.append(f"{n:,} ({per_1k(n, stats[c]['articles']):.2f})" if n else "0")
        total = sum(s["changes"].get(rule, 0) for s in stats.values())
        touched = sum(s["articles_touched"].get(rule, 0) for s in stats.values())
        name = RULES[rule].name if rule in RULES else "?"
        lines.append(f"| {rule} {name} | " + " | ".join(cells)
                     + f" | {total:,} | {touched:,} | {per_1k(total, total_articles):.2f} |")

    lines.append("")
    if not failures:
        lines.append("Checks: every `Change.before` matched its input span; "
                     "`fix` was idempotent on every article; no crashes.")
    for kind, items in failures.items():
        shown = ", ".join(items[:SHOW_FAILURES]) + (" …" if len(items) > SHOW_FAILURES else "")
        lines.append(f"**{kind} failures: {len(items)}** — {shown}")
    return "\n".join(lines)


def show(path: Path, rule_prefix: str) -> int:
    """Print the recorded changes of rules starting with ``rule_prefix``, one a line, for review."""
    try:
        handle = open(path, encoding="utf-8")
    except OSError as err:
        print(f"error: {path}: {err.strerror}; run this script without --show first", file=sys.stderr)
        return 2
    with handle:
        for n, line in enumerate(handle, 1):
            c = json.loads(line)
            if c["rule"].startswith(rule_prefix.upper()):
                left, right = (c[k].replace("\n", "⏎").replace("\r", "") for k in ("left", "right"))
                print(f"{n}\t{c['rule']}\t{c['corpus']}:{c['id']}\t"
                      f"{left}⟦{c['before']!r}→{c['after']!r}⟧{right}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    parser.add_argument("--out", type=Path, default=OUT_DIR / "fix_changes.jsonl",
                        help="where every change goes, one JSON object a line "
                             "(default: benchmarks/out/fix_changes.jsonl)")
    parser.add_argument("--no-idempotence", action="store_true",
                        help="skip the fix(fix(x)) == fix(x) check (halves the run time)")
    parser.add_argument("--show", metavar="RULE",
                        help="don't run: print the changes already in --out whose rule starts "
                             "with RULE (S, E002, ...), in context, for review")
    args = parser.parse_args(argv)
    if args.show:
        try:
            return show(args.out, args.show)
        except BrokenPipeError:  # piped into head: stop quietly
            sys.stdout = open(os.devnull, "w")
            return 0
    grouped = load_from_args(args)

    records, stats, failures = run(grouped, check_idempotence=not args.no_idempotence)

    def write_changes(handle):
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    atomic_write(args.out, write_changes)
    summary = {"wireclean": wireclean.__version__, "rules": sorted(select_rules()),
               "corpora": stats, "failures": failures}
    summary_path = args.out.with_name("fix_quality.json")
    atomic_write(summary_path, lambda h: json.dump(summary, h, indent=1, ensure_ascii=False))

    print(markdown(stats, failures))
    print(f"\n{len(records):,} changes written to {args.out}; summary in {summary_path}",
          file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
