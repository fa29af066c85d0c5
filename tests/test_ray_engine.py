"""Corpus-scale dedup on Ray Data (wireclean.engines.ray) against the in-process index.

The Ray engine must report what ``wireclean dedup`` reports from
``Index.check_and_add_many``: for every duplicate paragraph, its best match among the
paragraphs of earlier records. A local Ray (2 CPUs, no dashboard) is started once for the
module. Without Ray the module is skipped on a developer's machine and fails in CI, which
installs the ``ray`` extra.
"""

from __future__ import annotations

import json
import logging
import os
import random
import sys

import pytest

try:
    import pyarrow as pa
    import ray
    import ray.data
except ImportError:  # pragma: no cover - depends on the machine
    if os.environ.get("CI"):
        raise ImportError("ray[data] is not installed: CI must run "
                          "pip install -e '.[test,ray]'") from None
    pytest.skip("ray[data] is not installed (pip install -e '.[ray]')",
                allow_module_level=True)

from click.testing import CliRunner

from wireclean.cli import main
from wireclean.dedup.index import Index
from wireclean.dedup_cli import remove_paragraphs
from wireclean.engines.ray import (MATCH_FIELDS, RecordError, dedup_dataset, drop_duplicates,
                                   duplicate_ids)

# Ray's own hash shuffle starts aggregator actors for every group-by, about ten seconds on
# this 2-core machine for any input; the sort shuffle runs the small test corpora in about
# a second. One test runs the default strategy to show both agree.
SORT = "sort_shuffle_pull_based"

# Ray's DataContext warns about its own deprecated settings each time it is copied.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context")


@pytest.fixture(scope="module")
def local_ray():
    """A Ray instance of this process's own (address="local": never an existing cluster),
    quiet: no dashboard, no worker logs, no progress bars."""
    ctx = ray.data.DataContext.get_current()
    saved = ctx.enable_progress_bars
    data_logger = logging.getLogger("ray.data")
    level = data_logger.level
    ray.init(address="local", num_cpus=2, include_dashboard=False, ignore_reinit_error=True,
             logging_level=logging.ERROR, log_to_driver=False)
    ctx.enable_progress_bars = False
    data_logger.setLevel(logging.ERROR)
    yield ray
    ray.shutdown()
    ctx.enable_progress_bars = saved
    data_logger.setLevel(level)


# ---- a wire-style corpus with reprints -------------------------------------------------

SUBJECTS = ["The central bank", "Officials in Geneva", "The U.S. delegation", "Grain traders",
            "Port authorities in Odesa", "Energy ministers from eight countries",
            "The finance ministry", "A senior U.S. diplomat", "Shipping insurers in London"]
VERBS = ["said on Tuesday that", "warned late on Monday that", "told reporters in the capital that",
         "confirmed in a written statement that", "signalled at a briefing that"]
CLAIMS = ["export volumes would rise sharply over the coming quarter",
          "talks on a new shipping corridor had stalled once again",
          "prices for wheat and corn would hold near record highs",
          "a deal to reopen the ports was within reach after months of talks",
          "the new sanctions would hit independent refiners hardest",
          "inflation had eased for a third straight month in March",
          "the U.S. Treasury was ready to extend the waiver until June"]
TAILS = ["adding that details would follow", "citing figures released by the customs office",
         "without giving a timetable", "according to two people briefed on the matter"]
DATELINES = ["GENEVA (Wire) -", "WASHINGTON, May 3 (Wire) -", "Reporting by Anna Berg",
             "LONDON (Wire) -", "Editing by Tom Hale"]


def _paragraph(rng: random.Random) -> str:
    """Two sentences; the numbers make unrelated paragraphs share few shingles."""
    first = (f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(CLAIMS)}, "
             f"{rng.choice(TAILS)} on day {rng.randint(1, 10**6)}.")
    second = (f"Volumes reached {rng.randint(1, 10**6)} tonnes at terminal "
              f"{rng.randint(1, 10**4)}, up from {rng.randint(1, 10**6)} a year earlier.")
    return f"{first} {second}"


def _reprint(rng: random.Random, text: str) -> str:
    """What a reprint does to a paragraph: nothing, a trim, one word changed, or spin."""
    kind = rng.randrange(4)
    if kind == 1:
        return text.split(". ")[0] + "."                  # trimmed to its first sentence
    if kind == 2:
        words = text.split()
        words[rng.randrange(len(words))] = "reportedly"   # one word changed
        return " ".join(words)
    if kind == 3:
        return text.replace("U.S.", "USA")                # a spinner's rewrite
    return text


def make_corpus(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    records: list[dict] = []
    for i in range(n):
        paras = [_paragraph(rng) for _ in range(rng.randint(1, 4))]
        if records and rng.random() < 0.45:
            source = rng.choice(records)["paras"]
            paras += [_reprint(rng, p) for p in rng.sample(source, rng.randint(1, len(source)))]
            rng.shuffle(paras)
        records.append({"paras": paras, "dateline": rng.choice(DATELINES)})
    out = []
    for i, r in enumerate(records):
        body = [r["dateline"]] + r["paras"]
        # Most stories have blank lines between paragraphs; some are one per line.
        text = ("\n" if i % 5 == 0 else "\n\n").join(body)
        out.append({"id": f"wire/{i:04d}", "text": text, "desk": f"desk-{i % 3}"})
    return out


CORPUS = make_corpus(260)


def reference(records: list[dict], per_record: bool = False, **index_args) -> list[tuple]:
    """What ``wireclean dedup`` reports, computed in process: (id, para, match_id,
    match_para, score, jaccard, containment) of the best match of each paragraph."""
    idx = Index(**index_args)
    pairs = [(r["id"], r["text"]) for r in records]
    if per_record:
        stream = ((key, idx.check_and_add(key, text)) for key, text in pairs)
    else:
        stream = idx.check_and_add_many(pairs)
    rows = []
    for key, matches in stream:
        best: dict = {}
        for m in matches:
            best.setdefault(m.para, m)
        rows += [(key, p, m.key, m.key_para, m.score, m.jaccard, m.containment)
                 for p, m in sorted(best.items())]
    return rows


def rows_of(matches) -> list[tuple]:
    return [(r["id"], r["para"], r["match_id"], r["match_para"], r["score"], r["jaccard"],
             r["containment"]) for r in matches.take_all()]


def dataset(records: list[dict], blocks: int = 4):
    return ray.data.from_items(records, override_num_blocks=blocks)


# ---- the contract: the same matches as the in-process index -----------------------------

@pytest.fixture(scope="module")
def corpus_matches(local_ray):
    return dedup_dataset(dataset(CORPUS), shuffle=SORT)


def test_reports_exactly_what_the_in_process_index_reports(corpus_matches):
    expected = reference(CORPUS)
    got = rows_of(corpus_matches)
    assert got == expected
    # The corpus exercises every kind of reprint, not just exact copies.
    texts = {r["id"]: r["text"] for r in CORPUS}
    assert len(got) > 150
    assert any(j < 0.8 <= s for _, _, _, _, s, j, _ in got)                 # trimmed
    assert any("USA" in texts[i] and "USA" not in texts[m] for i, _, m, _, _, _, _ in got)


def test_match_rows_carry_the_report_fields_and_input_positions(corpus_matches):
    rows = corpus_matches.take_all()
    assert set(MATCH_FIELDS) <= set(rows[0])
    position = {r["id"]: i for i, r in enumerate(CORPUS)}
    for r in rows:
        assert (r["order"], r["match_order"]) == (position[r["id"]], position[r["match_id"]])
        assert r["match_order"] < r["order"]          # the match is the earlier-seen copy
    assert [(r["order"], r["para"]) for r in rows] == sorted((r["order"], r["para"]) for r in rows)


def test_default_hash_shuffle_and_more_partitions_agree(corpus_matches):
    part = CORPUS[:120]
    got = rows_of(dedup_dataset(dataset(part, blocks=3), partitions=3))
    assert got == reference(part) and len(got) > 40


def test_bucket_cap_is_the_per_record_rule(local_ray):
    # With a tiny cap, buckets overflow: each paragraph meets the first `cap` members of
    # each bucket, exactly as one check_and_add call per record does.
    got = rows_of(dedup_dataset(dataset(CORPUS), bucket_cap=2, shuffle=SORT))
    assert got == reference(CORPUS, per_record=True, bucket_cap=2)
    assert got != reference(CORPUS)                     # the cap did cut some candidates


def test_input_order_decides_which_copy_is_the_match(local_ray):
    story = ("Negotiators from both countries met in Geneva on Tuesday to discuss a grain "
             "export deal that would reopen Black Sea ports, a spokesman said.")
    records = [{"id": "site/9", "text": "GENEVA -\n\n" + story},
               {"id": "wire/1", "text": story},
               {"id": "blog/3", "text": story + " The talks resume next week."}]
    rows = dedup_dataset(dataset(records, blocks=3), shuffle=SORT).take_all()
    assert [(r["id"], r["para"], r["match_id"], r["match_para"]) for r in rows] == [
        ("wire/1", 0, "site/9", 1), ("blog/3", 0, "site/9", 1)]
    rows = dedup_dataset(dataset(records[::-1], blocks=3), shuffle=SORT).take_all()
    assert [(r["id"], r["match_id"]) for r in rows] == [("wire/1", "blog/3"),
                                                         ("site/9", "wire/1")]


def test_threshold_and_min_words_are_honoured(corpus_matches):
    part = CORPUS[:100]
    for args in ({"threshold": 0.95}, {"min_words": 30}):
        got = rows_of(dedup_dataset(dataset(part), shuffle=SORT, **args))
        assert got == reference(part, **args)
    assert len(rows_of(dedup_dataset(dataset(part), threshold=0.95, shuffle=SORT))) < len(
        reference(part))


# ---- edge cases -------------------------------------------------------------------------

def test_empty_dataset_has_no_matches(local_ray):
    empty = ray.data.from_arrow(pa.table({"id": pa.array([], pa.string()),
                                          "text": pa.array([], pa.string())}))
    matches = dedup_dataset(empty, shuffle=SORT)
    assert matches.take_all() == []
    assert drop_duplicates(empty, shuffle=SORT).take_all() == []
    assert duplicate_ids(matches) == set()


def test_short_paragraphs_never_match(local_ray):
    records = [{"id": f"r{i}", "text": "GENEVA (Wire) -\n\nTalks resumed.\n\nReporting by Anna Berg"}
               for i in range(5)]
    assert dedup_dataset(dataset(records, blocks=2), shuffle=SORT).take_all() == []


def test_paragraphs_of_one_record_do_not_match_each_other(local_ray):
    para = CORPUS[1]["text"].split("\n\n")[1]
    records = [{"id": "a", "text": f"{para}\n\n{para}"}, {"id": "b", "text": para}]
    rows = dedup_dataset(dataset(records, blocks=1), shuffle=SORT).take_all()
    assert [(r["id"], r["para"], r["match_id"], r["match_para"]) for r in rows] == [
        ("b", 0, "a", 0)]


def test_record_without_text_field_is_named(local_ray):
    records = [{"id": "a", "text": CORPUS[0]["text"]}, {"id": "b", "body": "no text here"},
               {"id": "c", "text": CORPUS[1]["text"]}]
    with pytest.raises(RecordError, match=r"^record 1 \(id 'b'\): has no 'text' field$"):
        dedup_dataset(dataset(records, blocks=3), shuffle=SORT)
    no_column = ray.data.from_items([{"id": "x", "body": "copy"}])
    with pytest.raises(RecordError, match=r"^record 0 \(id 'x'\): has no 'story' field$"):
        dedup_dataset(no_column, text_field="story")
    numbers = ray.data.from_items([{"id": 7, "text": 12}])
    with pytest.raises(RecordError, match=r"^record 0 \(id '7'\): its 'text' field is int64"):
        dedup_dataset(numbers)


def test_bad_parameters_fail_before_reading(local_ray):
    with pytest.raises(ValueError, match="threshold"):
        dedup_dataset(dataset(CORPUS[:3]), threshold=1.5)
    with pytest.raises(ValueError, match="shuffle must be one of"):
        dedup_dataset(dataset(CORPUS[:3]), shuffle="quick")
    with pytest.raises(ValueError, match="min_words"):
        dedup_dataset(dataset(CORPUS[:3]), min_words=-1)
    with pytest.raises(ValueError, match="partitions"):
        drop_duplicates(dataset(CORPUS[:3]), partitions=0)


def test_records_without_id_are_named_by_position(local_ray):
    para = CORPUS[1]["text"].split("\n\n")[1]
    records = [{"text": para}, {"text": "A different story.\n\n" + para}]
    rows = dedup_dataset(dataset(records, blocks=2), shuffle=SORT).take_all()
    assert [(r["id"], r["para"], r["match_id"]) for r in rows] == [("#1", 1, "#0")]


# ---- dropping duplicates ----------------------------------------------------------------

def test_drop_duplicates_removes_later_copies_and_keeps_every_record(corpus_matches):
    out = drop_duplicates(dataset(CORPUS), shuffle=SORT).take_all()
    drops: dict[str, set[int]] = {}
    for key, para, *_ in reference(CORPUS):
        drops.setdefault(key, set()).add(para)
    assert [r["id"] for r in out] == [r["id"] for r in CORPUS]
    assert [r["desk"] for r in out] == [r["desk"] for r in CORPUS]
    assert [r["text"] for r in out] == [remove_paragraphs(r["text"], drops.get(r["id"], set()), 8)
                                        for r in CORPUS]
    assert sum(a["text"] != b["text"] for a, b in zip(out, CORPUS)) == len(drops)
    assert duplicate_ids(corpus_matches) == set(drops)
    # What is left has no duplicate paragraph.
    assert dedup_dataset(ray.data.from_items(out), shuffle=SORT).take_all() == []


@pytest.mark.parametrize("keep", ["earliest", "longest"])
def test_drop_duplicates_keeps_the_copy_the_cli_keeps(local_ray, tmp_path, keep):
    """keep="earliest"/"longest" keep, per cluster of copies, what `wireclean dedup
    --keep ... --drop` keeps -- records without a date included."""
    records = [dict(r, date=f"2026-{1 + (i * 7) % 12:02d}-{1 + (i * 5) % 28:02d}")
               for i, r in enumerate(CORPUS[:150])]
    for r in records[::9]:
        del r["date"]
    feed, out = tmp_path / "feed.jsonl", tmp_path / "out.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in records))
    cli = CliRunner().invoke(main, ["dedup", str(feed), "--keep", keep, "--date-field", "date",
                                    "--drop", str(out)])
    assert cli.exit_code == 1, cli.output
    expected = [json.loads(line)["text"] for line in out.read_text().splitlines()]
    got = drop_duplicates(dataset(records), keep=keep, date_field="date", shuffle=SORT).take_all()
    assert [r["text"] for r in got] == expected
    assert [r.get("date") for r in got] == [r.get("date") for r in records]
    first = drop_duplicates(dataset(records), shuffle=SORT).take_all()
    assert [r["text"] for r in first] != expected        # the policy decided something


def test_drop_duplicates_refuses_a_bad_keep_before_reading(local_ray):
    with pytest.raises(ValueError, match="keep must be one of"):
        drop_duplicates(None, keep="newest")
    with pytest.raises(ValueError, match="needs date_field"):
        drop_duplicates(None, keep="earliest")


def test_missing_ray_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ImportError, match=r"pip install 'wireclean\[ray\]'"):
        dedup_dataset(None)
