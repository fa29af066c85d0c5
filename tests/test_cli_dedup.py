"""`wireclean dedup` and `wireclean index add` as a user runs them."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from wireclean.cli import main

GRAIN = ("Officials from both countries met in Geneva on Tuesday to discuss a grain export "
         "deal that would reopen Black Sea ports, a spokesman for the delegation said.")
GRAIN_TRIMMED = ("Officials from both countries met in Geneva on Tuesday to discuss a grain "
                 "export deal that would reopen Black Sea ports.")
STRIKES = ("The U.S.-led coalition said Russia had moved long-range bombers to the northern "
           "air base over the weekend, according to satellite images seen by the agency.")
STRIKES_SPUN = ("The USA -led coalition said Russian Federation had moved long-range bombers "
                "to the northern air base over the weekend, according to satellite images "
                "seen by the agency.")
WHEAT = ("Analysts said wheat futures fell two percent in Chicago after the news broke late "
         "on Tuesday, erasing most of the gains made earlier in the month.")
FLOODS = ("Heavy rain flooded dozens of villages in the river delta on Friday, forcing "
          "thousands of families to leave their homes, the regional governor said.")
BUDGET = ("The finance ministry will present a revised budget to parliament next month, "
          "with cuts to defence spending and a rise in fuel duty, two officials said.")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def run(*args, input=None):
    result = CliRunner().invoke(main, [*map(str, args)], input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.stderr
    return result


def write(name: str, content: str) -> Path:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


def story(*paras: str) -> str:
    return "\n\n".join(paras) + "\n"


def jsonl(*records: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def report_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# ------------------------------------------------------------------ in-corpus dedup

def test_summary_and_exit_codes():
    write("wire/a.txt", story("GENEVA (Wire) - Talks resumed.", GRAIN, FLOODS))
    write("wire/b.txt", story("Grain talks", GRAIN_TRIMMED, WHEAT))
    found = run("dedup", "wire")
    assert found.exit_code == 1
    assert "2 records, 4 paragraphs checked, 1 duplicate in 1 cluster" in found.stdout

    write("other/c.txt", story(FLOODS))
    write("other/d.txt", story(BUDGET))
    clean = run("dedup", "other")
    assert clean.exit_code == 0
    assert "0 duplicates" in clean.stdout


def test_report_names_the_later_copy_and_its_earlier_match(tmp_path):
    write("a.txt", story("GENEVA (Wire) - Talks resumed.", GRAIN, FLOODS))
    write("b.txt", story("Grain talks", WHEAT, GRAIN_TRIMMED))
    result = run("dedup", "a.txt", "b.txt", "--report", "matches.jsonl")
    assert result.exit_code == 1
    [line] = report_lines(Path("matches.jsonl").read_text())
    assert line["id"] == "b.txt" and line["para"] == 2 and line["line"] == 5
    assert line["match_id"] == "a.txt" and line["match_para"] == 1
    assert 0.8 <= line["score"] <= 1.0
    assert [p.name for p in tmp_path.iterdir() if "tmp" in p.name] == []

    to_stdout = run("dedup", "a.txt", "b.txt", "--report", "-")
    assert report_lines(to_stdout.stdout) == [line]


LEAD = ("Heavy rain flooded dozens of villages in the river delta on Friday, forcing "
        "thousands of families to leave their homes.")
LEAD_INSIDE = (LEAD + " The regional governor said the army had been called in to build "
               "barriers, and that schools in three districts would stay closed until the "
               "water fell back below the warning level next week.")


def test_sentence_keys_find_a_lead_reprinted_inside_a_longer_paragraph():
    write("a.txt", story(LEAD_INSIDE, BUDGET))
    write("b.txt", story("Floods", LEAD))
    # The bands alone miss it.
    assert run("dedup", "a.txt", "b.txt", "--no-sentence-keys").exit_code == 0
    found = run("dedup", "a.txt", "b.txt", "--report", "-")
    assert found.exit_code == 1
    [line] = report_lines(found.stdout)
    assert (line["id"], line["para"], line["match_id"], line["match_para"]) == ("b.txt", 1, "a.txt", 0)
    assert line["containment"] >= 0.9 > 0.5 > line["jaccard"]
    assert run("dedup", "a.txt", "b.txt", "--sentence-keys", "--jobs", "2", "--report",
               "-").stdout == found.stdout

    # An archive made with them finds it too; --against takes the archive's choice.
    assert run("index", "add", "plain.db", "a.txt", "--no-sentence-keys").exit_code == 0
    assert run("dedup", "--against", "plain.db", "b.txt").exit_code == 0
    assert run("index", "add", "keyed.db", "a.txt").exit_code == 0
    flagged = run("dedup", "--against", "keyed.db", "b.txt")
    assert flagged.exit_code == 1 and "b.txt:3: paragraph matches a.txt ¶0" in flagged.stdout
    for flag in ("--sentence-keys", "--no-sentence-keys"):
        misuse = run("dedup", "--against", "keyed.db", "b.txt", flag)
        assert misuse.exit_code == 2 and "cannot be combined with --against" in misuse.stderr
    refused = run("index", "add", "plain.db", "b.txt", "--sentence-keys")
    assert refused.exit_code == 2 and "sentence_words=0 (asked for 8)" in refused.stderr
    # Left out, the flag follows the index.
    assert run("index", "add", "plain.db", "b.txt").exit_code == 0


def test_spun_reprint_matches_its_original():
    write("a.txt", story(STRIKES))
    write("b.txt", story(STRIKES_SPUN))
    result = run("dedup", "a.txt", "b.txt", "--report", "-")
    assert result.exit_code == 1
    assert report_lines(result.stdout)[0]["match_id"] == "a.txt"


def test_drop_txt_removes_the_later_copy_and_keeps_the_layout():
    write("a.txt", story("Dateline", GRAIN, FLOODS))
    write("b.txt", story("Grain talks", GRAIN_TRIMMED, WHEAT))
    result = run("dedup", "a.txt", "b.txt", "--drop", "out")
    assert result.exit_code == 1
    assert Path("out/a.txt").read_text() == story("Dateline", GRAIN, FLOODS)
    assert Path("out/b.txt").read_text() == story("Grain talks", WHEAT)
    assert Path("b.txt").read_text() == story("Grain talks", GRAIN_TRIMMED, WHEAT)


def test_drop_last_paragraph_leaves_no_dangling_blank_line():
    write("a.txt", story(GRAIN))
    write("b.txt", story("Grain talks", WHEAT, GRAIN))
    run("dedup", "a.txt", "b.txt", "--drop", "out")
    assert Path("out/b.txt").read_text() == story("Grain talks", WHEAT)


def test_jsonl_ids_report_lines_and_drop_keeps_other_fields():
    second = jsonl({"id": "site-9", "text": story(WHEAT, GRAIN_TRIMMED), "desk": "markets",
                    "n": 1.5}).replace('"n": 1.5}', '"n": 1.50}')
    write("feed.jsonl", jsonl({"id": "wire-1", "text": story(GRAIN, FLOODS), "desk": "world"})
          + second)
    result = run("dedup", "feed.jsonl", "--report", "-", "--drop", "clean.jsonl")
    assert result.exit_code == 1
    [line] = report_lines(result.stdout)
    assert (line["id"], line["para"], line["line"]) == ("site-9", 1, 2)
    assert (line["match_id"], line["match_para"]) == ("wire-1", 0)
    out = Path("clean.jsonl").read_text().splitlines()
    assert json.loads(out[0])["text"] == story(GRAIN, FLOODS)
    assert json.loads(out[1]) == {"id": "site-9", "text": WHEAT + "\n", "desk": "markets",
                                  "n": 1.5}
    assert '"n": 1.50' in out[1]                      # other fields byte for byte


def test_report_lines_are_plain_json_whatever_the_ids():
    """Ids with quotes, backslashes, control characters and non-ASCII text come back
    intact, and each line is exactly what json.dumps writes for its object."""
    odd = ['wire "1" \\ x', "síte/9\tb\u2028", "null"]
    write("feed.jsonl", jsonl({"id": odd[0], "text": story(GRAIN)},
                              {"id": odd[1], "text": story(WHEAT, GRAIN_TRIMMED)},
                              {"id": odd[2], "text": story(GRAIN)}))
    result = run("dedup", "feed.jsonl", "--report", "-")
    assert result.exit_code == 1
    raw = [x for x in result.stdout.split("\n") if x]     # JSONL: lines end at \n only
    lines = [json.loads(x) for x in raw]
    assert [(x["id"], x["match_id"]) for x in lines] == [(odd[1], odd[0]), (odd[2], odd[0])]
    assert raw == [json.dumps(x, ensure_ascii=False) for x in lines]


def test_csv_custom_fields_and_drop():
    rows = [["slug", "body", "byline"], ["a1", story(GRAIN, FLOODS), "Desk"],
            ["a2", story(BUDGET, GRAIN), "Agency"]]
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    write("items.csv", buf.getvalue())
    result = run("dedup", "items.csv", "--id-field", "slug", "--text-field", "body",
                 "--report", "-", "--drop", "out.csv")
    assert result.exit_code == 1
    [line] = report_lines(result.stdout)
    assert (line["id"], line["match_id"]) == ("a2", "a1")
    got = list(csv.reader(io.StringIO(Path("out.csv").read_bytes().decode())))
    assert got == [rows[0], rows[1], ["a2", BUDGET + "\n", "Agency"]]


def test_keep_longest_and_earliest_choose_which_copy_survives():
    feed = jsonl({"id": "short", "text": GRAIN_TRIMMED, "date": "2024-03-02"},
                 {"id": "long", "text": GRAIN, "date": "2024-03-01"})
    write("feed.jsonl", feed)
    run("dedup", "feed.jsonl", "--keep", "longest", "--drop", "longest.jsonl")
    texts = [json.loads(x)["text"] for x in Path("longest.jsonl").read_text().splitlines()]
    assert texts == ["", GRAIN]
    run("dedup", "feed.jsonl", "--keep", "earliest", "--date-field", "date",
        "--drop", "earliest.jsonl")
    texts = [json.loads(x)["text"] for x in Path("earliest.jsonl").read_text().splitlines()]
    assert texts == ["", GRAIN]
    run("dedup", "feed.jsonl", "--drop", "first.jsonl")
    texts = [json.loads(x)["text"] for x in Path("first.jsonl").read_text().splitlines()]
    assert texts == [GRAIN_TRIMMED, ""]

    needs_date = run("dedup", "feed.jsonl", "--keep", "earliest", "--drop", "x.jsonl")
    assert needs_date.exit_code == 2 and "--date-field" in needs_date.stderr


def test_threshold_and_min_words_change_what_matches():
    write("a.txt", story(GRAIN))
    write("b.txt", story(GRAIN_TRIMMED))
    assert run("dedup", "a.txt", "b.txt").exit_code == 1
    assert run("dedup", "a.txt", "b.txt", "--min-words", "40").exit_code == 0
    strict = run("dedup", "a.txt", "b.txt", "--threshold", "0.99", "--report", "-")
    assert all(r["score"] >= 0.99 for r in report_lines(strict.stdout))
    assert run("dedup", "a.txt", "--threshold", "1.5").exit_code == 2


def test_jobs_two_gives_the_same_report_as_one():
    records = [{"id": f"r{i}", "text": story(p, q)} for i, (p, q) in enumerate(
        [(GRAIN, FLOODS), (BUDGET, WHEAT), (GRAIN_TRIMMED, STRIKES), (STRIKES_SPUN, BUDGET)])]
    write("feed.jsonl", jsonl(*records))
    one = run("dedup", "feed.jsonl", "--jobs", "1", "--report", "-")
    two = run("dedup", "feed.jsonl", "--jobs", "2", "--report", "-")
    assert one.exit_code == two.exit_code == 1
    assert report_lines(one.stdout) == report_lines(two.stdout)
    assert len(report_lines(one.stdout)) == 3


def test_duplicate_ids_are_suffixed_with_a_warning():
    write("feed.jsonl", jsonl({"id": "x", "text": GRAIN}, {"id": "x", "text": GRAIN}))
    result = run("dedup", "feed.jsonl", "--report", "-")
    assert result.exit_code == 1
    assert "x: duplicate id" in result.stderr
    [line] = report_lines(result.stdout)
    assert (line["id"], line["match_id"]) == ("x#2", "x")


def test_empty_texts_are_records_without_paragraphs():
    write("feed.jsonl", jsonl({"id": "a", "text": ""}, {"id": "b", "text": "  \n\n"},
                              {"id": "c", "text": GRAIN}))
    write("empty.txt", "")
    result = run("dedup", "feed.jsonl", "empty.txt")
    assert result.exit_code == 0
    assert "4 records, 1 paragraph checked, 0 duplicates" in result.stdout


# ------------------------------------------------------------------ bad input

def test_jsonl_line_without_text_field_is_an_error_and_nothing_is_written():
    write("feed.jsonl", jsonl({"id": "a", "text": GRAIN}, {"id": "b", "body": GRAIN},
                              {"id": "c", "text": GRAIN}))
    result = run("dedup", "feed.jsonl", "--report", "r.jsonl", "--drop", "out.jsonl")
    assert result.exit_code == 2
    assert "feed.jsonl:2: no 'text' field" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not Path("r.jsonl").exists() and not Path("out.jsonl").exists()
    assert [p.name for p in Path(".").iterdir()] == ["feed.jsonl"]


def test_skip_bad_reports_and_goes_on_and_drop_keeps_the_bad_line():
    bad = '{"id": "b", "text": "unterminated\n'
    write("feed.jsonl", jsonl({"id": "a", "text": GRAIN}) + bad + jsonl({"id": "c", "text": GRAIN}))
    result = run("dedup", "feed.jsonl", "--skip-bad", "--report", "-", "--drop", "out.jsonl")
    assert result.exit_code == 1
    assert "feed.jsonl:2: not valid JSON" in result.stderr and "skipped" in result.stderr
    assert [r["id"] for r in report_lines(result.stdout)] == ["c"]
    lines = Path("out.jsonl").read_text().splitlines(keepends=True)
    assert lines[1] == bad and json.loads(lines[2])["text"] == ""


def test_malformed_json_and_non_object_lines():
    write("a.jsonl", '{"id": 1, "text": "ok"}\n[1, 2]\n')
    result = run("dedup", "a.jsonl")
    assert result.exit_code == 2 and "a.jsonl:2: expected a JSON object" in result.stderr


def test_missing_path_unknown_type_and_bad_encoding():
    assert "nope.txt: no such file" in run("dedup", "nope.txt").stderr
    write("notes.rst", "x")
    assert run("dedup", "notes.rst").exit_code == 2
    Path("latin.txt").write_bytes(b"caf\xe9 " * 10)
    result = run("dedup", "latin.txt")
    assert result.exit_code == 2 and "latin.txt:1: not valid utf-8" in result.stderr


def test_csv_without_text_column_is_an_error():
    write("items.csv", "id,body\n1,hello\n")
    result = run("dedup", "items.csv")
    assert result.exit_code == 2 and "items.csv:1: the header has no 'text' column" in result.stderr


# ------------------------------------------------------------------ index and --against

def test_index_add_then_against_flags_reused_paragraphs():
    write("archive/one.txt", story("Dateline", GRAIN, FLOODS))
    write("archive/two.txt", story(BUDGET))
    added = run("index", "add", "wire.db", "archive")
    assert added.exit_code == 0
    assert "added 2 records (3 paragraphs) to wire.db" in added.stdout
    again = run("index", "add", "wire.db", "archive")
    assert "added 0 records" in again.stdout and "2 records already there" in again.stdout

    write("new.txt", story("Grain talks", WHEAT, GRAIN_TRIMMED))
    write("original.txt", story("Markets", WHEAT))
    flagged = run("dedup", "--against", "wire.db", "new.txt", "original.txt")
    assert flagged.exit_code == 1
    assert flagged.stdout.splitlines() == [
        f"new.txt:5: paragraph matches archive/one.txt \u00b61 (score "
        f"{flagged.stdout.split('(score ')[1][:4]})"]
    assert run("dedup", "--against", "wire.db", "original.txt").exit_code == 0

    from wireclean.dedup.index import Index
    with Index.open("wire.db") as idx:                 # --against changed nothing
        assert len(idx) == 2 and "new.txt" not in idx


def test_index_compact_leaves_nothing_to_read_back_and_the_same_matches():
    write("archive/one.txt", story("Dateline", GRAIN, FLOODS))
    write("archive/two.txt", story(BUDGET, STRIKES))
    assert run("index", "add", "wire.db", "archive").exit_code == 0
    write("new.txt", story("Grain talks", WHEAT, GRAIN_TRIMMED, STRIKES_SPUN))
    before = run("dedup", "--against", "wire.db", "new.txt")
    compacted = run("index", "compact", "wire.db")
    assert compacted.exit_code == 0
    import sqlite3
    db = sqlite3.connect("wire.db")
    (entries,) = db.execute("SELECT count(*) FROM buckets").fetchone()   # all of them now
    db.close()
    from wireclean.dedup.sentences import SentenceKeys
    keys = SentenceKeys().keys([GRAIN, FLOODS, BUDGET, STRIKES])
    # 4 paragraphs: 20 band keys each, and the sentence keys they store.
    assert entries == 4 * 20 + int((keys[:, :SentenceKeys.STORED_SLOTS] != 0).sum())
    assert compacted.stdout == f"wire.db: {entries} recent entries merged; opening it reads none back\n"
    after = run("dedup", "--against", "wire.db", "new.txt")
    assert (after.exit_code, after.stdout) == (before.exit_code, before.stdout) == (1, after.stdout)
    assert len(after.stdout.splitlines()) == 2
    assert "0 recent entries merged" in run("index", "compact", "wire.db").stdout
    missing = run("index", "compact", "nowhere.db")
    assert missing.exit_code == 2 and "nowhere.db" in missing.stderr
    assert not Path("nowhere.db").exists()


def test_index_add_with_jobs_stores_what_one_job_stores():
    # --jobs workers hand an in-memory index batches cut down to what it keeps; a file
    # index must still get whole signatures, or later queries would score differently.
    records = [{"id": f"w{i}", "text": story(p, q)} for i, (p, q) in enumerate(
        [(GRAIN, FLOODS), (BUDGET, WHEAT), (STRIKES, GRAIN_TRIMMED)])]
    write("archive.jsonl", jsonl(*records))
    assert run("index", "add", "one.db", "archive.jsonl", "--jobs", "1").exit_code == 0
    assert run("index", "add", "two.db", "archive.jsonl", "--jobs", "2").exit_code == 0
    sig = "SELECT doc, para, shingles, sig FROM paras ORDER BY id"
    with sqlite3.connect("one.db") as one, sqlite3.connect("two.db") as two:
        assert one.execute(sig).fetchall() == two.execute(sig).fetchall()
    write("new.txt", story("Grain talks", WHEAT, GRAIN))
    flagged = [run("dedup", "--against", db, "new.txt").stdout for db in ("one.db", "two.db")]
    assert flagged[0] == flagged[1] and flagged[0].count("paragraph matches") == 2


def test_against_jsonl_reports_the_record_line():
    run("index", "add", "wire.db", write("archive.jsonl", jsonl({"id": "w1", "text": GRAIN})))
    write("site.jsonl", jsonl({"id": "s1", "text": FLOODS}, {"id": "s2", "text": GRAIN}))
    result = run("dedup", "--against", "wire.db", "site.jsonl")
    assert result.exit_code == 1
    assert result.stdout.startswith("site.jsonl:2: paragraph matches w1 \u00b60 (score ")


def test_against_a_missing_index_is_an_error_and_creates_nothing():
    write("a.txt", story(GRAIN))
    result = run("dedup", "--against", "none.db", "a.txt")
    assert result.exit_code == 2 and "none.db: no such index file" in result.stderr
    assert not Path("none.db").exists()


@pytest.mark.parametrize("kind", ["garbage", "foreign", "truncated"])
def test_bad_index_files_are_one_line_errors(kind):
    write("a.txt", story(GRAIN))
    if kind == "garbage":
        Path("bad.db").write_bytes(b"this is not a database\n" * 50)
    elif kind == "foreign":
        conn = sqlite3.connect("bad.db")
        conn.execute("create table notes (body text)")
        conn.commit()
        conn.close()
    else:
        run("index", "add", "good.db", "a.txt")
        raw = Path("good.db").read_bytes()
        Path("bad.db").write_bytes(raw[: len(raw) // 2])
    for args in (["dedup", "--against", "bad.db", "a.txt"], ["index", "add", "bad.db", "a.txt"]):
        result = run(*args)
        assert result.exit_code == 2, (kind, args, result.stdout)
        assert result.stderr.startswith("wireclean: error: bad.db") or "bad.db" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_fix_still_starts_without_numpy_and_help_lists_the_commands():
    code = ("import sys; from wireclean.cli import main\n"
            "try: main(['fix', '--help'])\n"
            "except SystemExit: pass\n"
            "assert 'numpy' not in sys.modules, 'fix imported numpy'\n")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=60)
    listing = run("--help").stdout
    assert "dedup" in listing and "index" in listing


def _mixed_feed() -> list[dict]:
    paras = [GRAIN, GRAIN_TRIMMED, STRIKES, STRIKES_SPUN, WHEAT, FLOODS, BUDGET]
    return [{"id": f"r{i % 23}", "date": f"2024-01-{i % 28 + 1:02d}",
             "text": story(paras[i % 7], paras[(i * 3) % 7], f"Item {i} closes the story.")}
            for i in range(120)]


@pytest.mark.parametrize("options", [
    ["--report", "-"],
    ["--drop", "out", "--keep", "longest"],
    ["--drop", "out", "--keep", "earliest", "--date-field", "date"],
])
def test_jobs_two_reads_files_in_ranges_and_agrees_with_one(monkeypatch, options):
    # With --jobs 2 the workers read JSONL files themselves, in byte ranges: line
    # numbers, ordinals, duplicate-id suffixes, blank lines, a JSONL file beside a txt
    # file and --drop must all come out as when one process reads everything.
    import wireclean.dedup_cli as dedup_cli
    monkeypatch.setattr(dedup_cli, "CHUNK_CHARS", 700)   # many ranges, cut mid-record,
    monkeypatch.setattr(dedup_cli, "MIN_RANGE_CHARS", 90)  # shorter near the end
    lines = [json.dumps(r) for r in _mixed_feed()]
    lines[40:40] = ["", "   "]
    write("a.jsonl", "\n".join(lines[:70]) + "\n")
    write("b.txt", story(WHEAT, GRAIN))
    write("c.jsonl", "\n".join(lines[70:]))          # no final newline
    outputs = []
    for jobs in ("1", "2"):
        result = run("dedup", "a.jsonl", "b.txt", "c.jsonl", "--jobs", jobs, *options)
        assert result.exit_code == 1
        out = result.stdout
        if "--drop" in options:   # several inputs: OUT is a directory
            out = [(f.name, f.read_text()) for f in sorted(Path("out").iterdir())]
        outputs.append((out, result.stderr.count("duplicate id")))
    assert outputs[0] == outputs[1]
    if "--report" in options:
        assert len(report_lines(outputs[0][0])) > 100


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_bad_lines_are_named_with_their_line_numbers_with_any_jobs(monkeypatch, jobs):
    import wireclean.dedup_cli as dedup_cli
    monkeypatch.setattr(dedup_cli, "CHUNK_CHARS", 500)
    good = [json.dumps(r) for r in _mixed_feed()[:30]]
    write("feed.jsonl", "\n".join(good[:17] + ['{"id": "x", "body": "no text"}'] + good[17:]) + "\n")
    failed = run("dedup", "feed.jsonl", "--jobs", jobs, "--report", "r.jsonl")
    assert failed.exit_code == 2 and not Path("r.jsonl").exists()
    assert "feed.jsonl:18:" in failed.stderr and "--skip-bad" in failed.stderr
    skipped = run("dedup", "feed.jsonl", "--jobs", jobs, "--skip-bad", "--report", "-")
    assert skipped.exit_code == 1 and "feed.jsonl:18:" in skipped.stderr
    assert {line["line"] for line in report_lines(skipped.stdout)} <= set(range(1, 32)) - {18}
    assert max(line["line"] for line in report_lines(skipped.stdout)) == 31


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_undecodable_line_stops_the_file_at_that_line_with_any_jobs(monkeypatch, jobs):
    import wireclean.dedup_cli as dedup_cli
    monkeypatch.setattr(dedup_cli, "CHUNK_CHARS", 500)
    good = [json.dumps(r).encode() for r in _mixed_feed()[:30]]
    Path("feed.jsonl").write_bytes(b"\n".join(good[:20] + [b'{"id": "z", "text": "caf\xe9"}']
                                              + good[20:]) + b"\n")
    failed = run("dedup", "feed.jsonl", "--jobs", jobs, "--report", "r.jsonl")
    assert failed.exit_code == 2 and "feed.jsonl:21: not valid utf-8" in failed.stderr
    skipped = run("dedup", "feed.jsonl", "--jobs", jobs, "--skip-bad", "--report", "-")
    assert "feed.jsonl:21:" in skipped.stderr and "file skipped" in skipped.stderr
    assert max(line["line"] for line in report_lines(skipped.stdout)) <= 20
