"""How much spinning does fix undo? Spin real articles, fix them, compare with the original.

Every article of the corpora that has something a rewriter would swap (bare "Russia",
"U.S." before a lowercase word, "U.S.-led") is spun with :class:`spinner.Spinner`'s entity
swaps. We then ask, per article:

- detected: fix reported at least one entity (N) change on the spun copy;
- restored: ``fix(spun) == fix(original)``: every swap undone, nothing else disturbed;
- leftovers: spun forms ("Russian Federation", "USA") still in ``fix(spun)`` and not in
  ``fix(original)``.

Run: ``.venv/bin/python benchmarks/fix_recall.py`` (``--data DIR`` if ../shared/data is elsewhere).
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import wireclean  # noqa: E402
from corpora import OUT_DIR, add_arguments, load_from_args  # noqa: E402
from spinner import Spinner  # noqa: E402

_SPUN_FORMS = re.compile(r"\bRussian Federation\b|\bUSA\b")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    corpora = load_from_args(args)
    spinner = Spinner(seed=1)
    rows = collections.OrderedDict()
    misses = []
    for corpus, articles in corpora.items():
        stat = collections.Counter()
        for art in articles:
            spun = spinner.spin_entities(art.text)
            if spun == art.text:
                continue
            stat["spun"] += 1
            result = wireclean.fix_and_explain(spun)
            reference = wireclean.fix(art.text)
            if any(c.rule.startswith("N") for c in result.changes):
                stat["detected"] += 1
            if result.text == reference:
                stat["restored"] += 1
            else:
                left = len(_SPUN_FORMS.findall(result.text)) - len(_SPUN_FORMS.findall(reference))
                stat["leftover_forms"] += max(left, 0)
                misses.append({"corpus": corpus, "id": art.id, "leftover": left})
        rows[corpus] = stat
    total = sum(rows.values(), collections.Counter())
    print("| corpus | spun articles | detected | restored exactly | leftover spun forms |")
    print("|---|---|---|---|---|")
    for name, s in list(rows.items()) + [("all", total)]:
        n = s["spun"] or 1
        print(f"| {name} | {s['spun']} | {s['detected']} ({s['detected'] / n:.1%}) | "
              f"{s['restored']} ({s['restored'] / n:.1%}) | {s['leftover_forms']} |")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "fix_recall_misses.json").write_text(json.dumps(misses, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
