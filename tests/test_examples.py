"""The README's three dedup uses, run on examples/ exactly as the README shows them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import wireclean
from wireclean.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
GRAIN = "examples/wire/2026-11-24-grain-talks.txt"
SCRAPED = "examples/scraped/grain-deal-latest.md"


@pytest.fixture(autouse=True)
def checkout(tmp_path, monkeypatch):
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    monkeypatch.chdir(tmp_path)


def wireclean_cli(*args):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output + result.stderr
    return result


def test_dedup_on_a_corpus_reports_the_reused_wire_paragraphs():
    summary = wireclean_cli("dedup", "examples/wire", "examples/scraped")
    assert summary.exit_code == 1
    assert "5 records, 15 paragraphs checked, 2 duplicates in 2 clusters" in summary.output
    wireclean_cli("dedup", "--report", "matches.jsonl", "--jobs", "2", "examples/wire",
                  "examples/scraped")
    lines = [json.loads(line) for line in Path("matches.jsonl").read_text().splitlines()]
    assert [(m["id"], m["para"], m["match_id"], m["match_para"]) for m in lines] == [
        (SCRAPED, 2, GRAIN, 0), (SCRAPED, 3, GRAIN, 2)]
    dropped = wireclean_cli("dedup", "--drop", "deduped/", "--keep", "first", "examples/wire",
                            "examples/scraped")
    assert dropped.exit_code == 1
    kept = Path("deduped/scraped/grain-deal-latest.md").read_text(encoding="utf-8")
    assert "Negotiators" not in kept and "framework" not in kept and "Analysts" in kept
    assert Path("deduped/wire/2026-11-24-grain-talks.txt").read_text() == \
        Path(GRAIN).read_text()


def test_pre_commit_check_against_an_archive_names_file_line_and_source():
    built = wireclean_cli("index", "add", "archive.db", "examples/wire/")
    assert built.exit_code == 0 and "added 3 records" in built.output
    found = wireclean_cli("dedup", "--against", "archive.db", "examples/scraped/")
    assert found.exit_code == 1
    assert found.stdout.splitlines() == [
        f"{SCRAPED}:5: paragraph matches {GRAIN} \u00b60 (score 0.98)",
        f"{SCRAPED}:7: paragraph matches {GRAIN} \u00b62 (score 1.00)"]
    clean = wireclean_cli("dedup", "--against", "archive.db", "examples/scraped/markets-roundup.md")
    assert clean.exit_code == 0 and clean.stdout == ""


def test_scraper_loop_check_and_add():
    index = wireclean.Index.open("seen.db")
    crawl = [*sorted(Path("examples/wire").iterdir()), *sorted(Path("examples/scraped").iterdir())]
    found = [(str(page), m.para, m.key, m.key_para)
             for page in crawl
             for m in index.check_and_add(str(page), page.read_text(encoding="utf-8"))]
    assert found == [(SCRAPED, 2, GRAIN, 0), (SCRAPED, 3, GRAIN, 2)]
    assert len(index) == 5
