"""`wireclean fix` as a user runs it: exit codes, what is written, what is reported."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from wireclean.cli import main

SPUN = "A USA -led coalition said Russian Federation has sent more jets.\n"
FIXED = "A U.S.-led coalition said Russia has sent more jets.\n"
CLEAN = "The U.S.-led coalition said Russia had sent more jets.\n"
WIRECLEAN = [sys.executable, "-m", "wireclean.cli"]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def run(*args, input=None):
    result = CliRunner().invoke(main, ["fix", *map(str, args)], input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.stderr
    return result


def write(name: str, content: str | bytes) -> Path:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def read(path) -> str:
    """The file's text exactly (read_text would turn CRLF into LF)."""
    return Path(path).read_bytes().decode("utf-8")


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("wireclean: error:")]


# ------------------------------------------------------------------ modes

def test_fix_rewrites_in_place_and_exits_0():
    path = write("story.txt", SPUN)
    result = run(path)
    assert result.exit_code == 0
    assert read(path) == FIXED
    assert "1 file fixed, 2 changes" in result.stderr
    assert result.stdout == ""


def test_exit_non_zero_on_fix():
    path = write("story.txt", SPUN)
    assert run("--exit-non-zero-on-fix", path).exit_code == 1
    assert read(path) == FIXED
    assert run("--exit-non-zero-on-fix", path).exit_code == 0


def test_check_lists_changes_at_original_line_and_column_and_writes_nothing():
    text = "Zoë’s headline\r\nCafé “news”: A USA -led coalition said Russian Federation has\r\n"
    path = write("story.txt", text)
    result = run("--check", path)
    assert result.exit_code == 1
    assert read(path) == text
    usa, federation = text.index("USA"), text.index("Russian")
    line_start = text.index("\n") + 1
    assert result.stdout.splitlines() == [
        f'story.txt:2:{usa - line_start + 1}: N002 "USA -" → "U.S.-" ' + _reason(result, 0),
        f'story.txt:2:{federation - line_start + 1}: N001 "Russian Federation" → "Russia" '
        + _reason(result, 1),
    ]
    assert "1 file would be fixed, 2 changes" in result.stderr


def _reason(result, i: int) -> str:
    """The reason is the rules' wording; the check line must carry it in parentheses."""
    line = result.stdout.splitlines()[i]
    reason = line[line.index(" (") + 1:]
    assert reason.startswith("(") and reason.endswith(")") and len(reason) > 2
    return reason


def test_check_on_clean_file_is_silent_and_exits_0():
    path = write("story.txt", CLEAN)
    result = run("--check", path)
    assert (result.exit_code, result.stdout) == (0, "")
    assert "0 files would be fixed, 0 changes, 1 file already clean" in result.stderr


def test_diff_prints_unified_diff_and_writes_nothing():
    path = write("story.txt", "Headline\n" + SPUN)
    result = run("--diff", path)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["--- story.txt", "+++ story.txt", "@@ -1,2 +1,2 @@",
                                          " Headline", "-" + SPUN.rstrip(), "+" + FIXED.rstrip()]
    assert read(path) == "Headline\n" + SPUN
    assert run("--diff", write("clean.txt", CLEAN)).exit_code == 0


def test_report_json_with_check_lists_changes_per_file():
    spun, clean = write("a.txt", SPUN), write("b.txt", CLEAN)
    result = run("--check", "--report", "json", spun, clean)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    first, second = report["files"]
    assert (first["path"], first["format"], first["changed"], first["written"]) == \
        ("a.txt", "txt", True, False)
    assert [(c["rule"], c["line"], c["col"], c["start"], c["end"], c["before"], c["after"])
            for c in first["changes"]] == [
        ("N002", 1, 3, 2, 7, "USA -", "U.S.-"),
        ("N001", 1, 27, 26, 44, "Russian Federation", "Russia")]
    assert all(c["reason"] for c in first["changes"])
    assert (second["changed"], second["changes"]) == (False, [])
    assert report["summary"] == {"files": 2, "changed": 1, "changes": 2, "errors": 0}
    assert read(spun) == SPUN


def test_report_json_when_fixing_says_what_was_written():
    path = write("a.txt", SPUN)
    report = json.loads(run("--report", "json", path).stdout)
    assert report["files"][0]["written"] is True
    assert read(path) == FIXED


def test_diff_and_json_report_cannot_share_stdout():
    result = run("--diff", "--report", "json", write("a.txt", SPUN))
    assert result.exit_code == 2


def test_stdin_to_stdout():
    result = run("-", input=SPUN.encode())
    assert result.exit_code == 0
    assert result.stdout_bytes == FIXED.encode()


def test_stdin_clean_text_passes_through_unchanged():
    result = run("-", input=CLEAN.encode())
    assert (result.exit_code, result.stdout_bytes) == (0, CLEAN.encode())


def test_stdin_check():
    result = run("--check", "-", input=SPUN.encode())
    assert result.exit_code == 1
    assert result.stdout.startswith('-:1:3: N002 "USA -" → "U.S.-"')


def test_stdin_with_a_format():
    result = run("--format", "jsonl", "-", input=b'{"id": 1, "text": "' + SPUN.strip().encode()
                 + b'"}\n')
    assert result.stdout == '{"id": 1, "text": "' + FIXED.strip() + '"}\n'


def test_spacing_rule_through_the_cli():
    path = write("quote.txt", "“We need more bombs, ” he said.\n")
    run(path)
    assert read(path) == "“We need more bombs,” he said.\n"


# ------------------------------------------------------------------ options

def test_style_guardian():
    path = write("a.txt", SPUN)
    run("--style", "guardian", path)
    assert read(path) == "A US-led coalition said Russia has sent more jets.\n"


def test_bad_style_is_a_usage_error():
    path = write("a.txt", SPUN)
    assert run("--style", "bbc", path).exit_code == 2
    assert read(path) == SPUN


def test_ignore_and_select():
    path = write("a.txt", SPUN)
    result = run("--check", "--ignore", "N002,spacing", path)
    assert [line.split()[1] for line in result.stdout.splitlines()] == ["N001"]
    result = run("--check", "--select", "N002,spacing", path)
    assert [line.split()[1] for line in result.stdout.splitlines()] == ["N002"]
    result = run("--check", "--select", "encoding", path)
    assert (result.exit_code, result.stdout) == (0, "")


@pytest.mark.parametrize("option", ["--select", "--ignore", "--extend-select"])
def test_unknown_rule_code_exits_2_and_changes_nothing(option):
    path = write("a.txt", SPUN)
    result = run(option, "N002,X999", path)
    assert result.exit_code == 2
    assert error_lines(result) == [error_lines(result)[0]]
    assert option in result.stderr and "X999" in result.stderr
    assert read(path) == SPUN


def test_encoding_option_reads_and_writes_that_encoding():
    original = ("Café owners: " + SPUN).encode("cp1252")
    path = write("a.txt", original)
    result = run(path)
    assert result.exit_code == 2
    [line] = error_lines(result)
    assert line.startswith("wireclean: error: a.txt:1: not valid utf-8: byte 0xE9")
    assert "--encoding" in line
    assert path.read_bytes() == original
    assert run("--encoding", "cp1252", path).exit_code == 0
    assert path.read_bytes() == ("Café owners: " + FIXED).encode("cp1252")


@pytest.mark.parametrize("encoding", ["klingon", "base64"])
def test_unknown_or_non_text_encoding_is_a_usage_error(encoding):
    result = run("--encoding", encoding, write("a.txt", SPUN))
    assert result.exit_code == 2
    assert f"unknown text encoding {encoding!r}" in result.stderr


def test_directories_recurse_over_known_extensions_skipping_hidden_ones():
    write("desk/a.txt", SPUN)
    write("desk/sub/b.md", "# Title\n\n" + SPUN)
    write("desk/sub/c.txt", CLEAN)
    write("desk/.drafts/d.txt", SPUN)
    write("desk/notes.rst", SPUN)
    result = run("desk")
    assert result.exit_code == 0
    assert read(Path("desk/a.txt")) == FIXED
    assert read(Path("desk/sub/b.md")) == "# Title\n\n" + FIXED
    assert read(Path("desk/.drafts/d.txt")) == SPUN
    assert read(Path("desk/notes.rst")) == SPUN
    assert "2 files fixed, 4 changes, 1 file already clean" in result.stderr


def test_unknown_extension_given_explicitly_needs_format():
    path = write("story.text", SPUN)
    result = run(path)
    assert result.exit_code == 2
    assert "unknown file type .text" in result.stderr and "--format" in result.stderr
    assert run("--format", "txt", path).exit_code == 0
    assert read(path) == FIXED


# ------------------------------------------------------------------ formats

def test_markdown_keeps_front_matter_code_links_and_html():
    doc = ("---\ntitle: USA -led coalition\n---\n"
           "A USA -led coalition said Russian Federation has sent jets.\n\n"
           "Search for `USA -led` and see [the report](https://x.test/USA-led \"USA -led\").\n\n"
           "```\nRussian Federation has code\n```\n"
           '<img alt="USA -led coalition"> &amp; <https://x.test/Russian%20Federation>\n')
    path = write("story.md", doc)
    run(path)
    assert read(path) == doc.replace(
        "A USA -led coalition said Russian Federation has sent jets.",
        "A U.S.-led coalition said Russia has sent jets.")


def test_jsonl_fixes_the_text_field_and_keeps_the_rest():
    lines = ['{"id": "a1", "text": "' + SPUN.strip() + '", "score": 1.50, "by": "Zoë"}',
             '{"id": "a2", "text": "' + CLEAN.strip() + '"}']
    path = write("feed.jsonl", "\n".join(lines) + "\n")
    result = run("--check", path)
    assert [line.split(": ")[0] for line in result.stdout.splitlines()] == [
        "feed.jsonl:1:3", "feed.jsonl:1:27"]
    run(path)
    assert read(path).splitlines() == [
        '{"id": "a1", "text": "' + FIXED.strip() + '", "score": 1.50, "by": "Zoë"}', lines[1]]


def test_jsonl_text_field_option():
    path = write("feed.jsonl", '{"text": "USA -led", "body": "' + SPUN.strip() + '"}\n')
    run("--text-field", "body", path)
    assert read(path) == '{"text": "USA -led", "body": "' + FIXED.strip() + '"}\n'


def test_bad_jsonl_line_is_reported_with_its_line_and_the_file_left_alone():
    good = '{"text": "' + SPUN.strip() + '"}\n'
    path = write("feed.jsonl", good + "\n" + '{"text": "unterminated\n' + good)
    other = write("other.txt", SPUN)
    result = run(path, other)
    assert result.exit_code == 2
    [line] = error_lines(result)
    assert line.startswith("wireclean: error: feed.jsonl:3: not valid JSON")
    assert read(path) == good + "\n" + '{"text": "unterminated\n' + good
    assert read(other) == FIXED


def test_jsonl_line_without_the_field_is_an_error():
    path = write("feed.jsonl", '{"text": "ok"}\n{"body": "' + SPUN.strip() + '"}\n')
    result = run(path)
    assert result.exit_code == 2
    assert error_lines(result)[0].startswith("wireclean: error: feed.jsonl:2: no 'text' field")


def test_csv_fixes_the_text_field_keeping_quoting_and_crlf():
    text = ('id,text,score\r\n'
            f'1,"{SPUN.strip()}",0.5\r\n'
            f'2,{CLEAN.strip()},1\r\n')
    path = write("feed.csv", text)
    run(path)
    assert path.read_bytes() == text.replace(SPUN.strip(), FIXED.strip()).encode()


def test_bad_csv_record_is_reported_with_its_line():
    text = f'id,text\n1,"{SPUN.strip()}"\n2\n'
    path = write("feed.csv", text)
    result = run(path)
    assert result.exit_code == 2
    assert error_lines(result)[0].startswith("wireclean: error: feed.csv:3: record has 1 field")
    assert read(path) == text


@pytest.mark.parametrize("text", [
    "Headline\r\n\r\n" + SPUN.replace("\n", "\r\n"),    # CRLF, final newline
    "Headline\n\n" + SPUN.rstrip("\n"),                 # no final newline
    "Headline\r\n" + SPUN.rstrip("\n"),                 # CRLF and no final newline
])
def test_line_endings_and_final_newline_are_kept(text):
    path = write("story.txt", text)
    run(path)
    expected = text.replace(SPUN.strip(), FIXED.strip())
    assert path.read_bytes() == expected.encode()


def test_utf8_bom_is_kept_and_not_reported():
    path = write("story.txt", b"\xef\xbb\xbf" + SPUN.encode())
    result = run("--check", path)
    assert [line.split()[1] for line in result.stdout.splitlines()] == ["N002", "N001"]
    assert result.stdout.startswith("story.txt:1:3:")
    run(path)
    assert path.read_bytes() == b"\xef\xbb\xbf" + FIXED.encode()


# ------------------------------------------------------------------ bad input

def test_missing_file_is_an_error_but_other_files_are_still_fixed():
    other = write("b.txt", SPUN)
    result = run("missing.txt", other)
    assert result.exit_code == 2
    assert error_lines(result) == ["wireclean: error: missing.txt: no such file or directory"]
    assert read(other) == FIXED


def test_directory_without_known_files_is_a_note():
    Path("empty").mkdir()
    write("empty/readme.rst", "x")
    result = run("empty")
    assert result.exit_code == 0
    assert "wireclean: note: empty: no files with a known extension" in result.stderr


def test_binary_file_is_an_error_and_untouched():
    data = b"USA -led\x00\x01\x02"
    path = write("blob.txt", data)
    result = run(path)
    assert result.exit_code == 2
    assert error_lines(result)[0].startswith("wireclean: error: blob.txt: binary file")
    assert path.read_bytes() == data


def test_empty_file_is_clean_and_untouched():
    path = write("empty.txt", b"")
    os.utime(path, (1_000_000, 1_000_000))
    assert run(path).exit_code == 0
    assert run("--check", path).exit_code == 0
    assert path.stat().st_mtime == 1_000_000
    assert path.read_bytes() == b""


def test_read_only_file_is_an_error_and_untouched():
    path = write("story.txt", SPUN)
    os.chmod(path, 0o444)
    result = run(path)
    assert result.exit_code == 2
    assert error_lines(result) == [
        "wireclean: error: story.txt: file is read-only; not changed (2 changes needed)"]
    assert read(path) == SPUN
    assert run("--check", path).exit_code == 1          # checking needs no write


def test_symlink_is_followed_and_its_target_written():
    target = write("archive/story.txt", SPUN)
    link = Path("story.txt")
    link.symlink_to(target)
    result = run(link)
    assert result.exit_code == 0
    assert link.is_symlink()
    assert read(target) == FIXED
    assert "story.txt: is a symlink; wrote its target" in result.stderr


def test_rewrite_keeps_file_permissions():
    path = write("story.txt", SPUN)
    os.chmod(path, 0o640)
    run(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(os.listdir(".")) == ["story.txt"]          # no temporary file left


def test_long_single_line_in_bounded_time():
    filler = "Officials said the talks would continue next week. " * 320_000   # ~16 MB
    path = write("huge.txt", SPUN.strip() + " " + filler + SPUN.strip())
    started = time.perf_counter()
    result = run(path)
    assert time.perf_counter() - started < 120  # a blow-up guard, not a speed claim
    assert result.exit_code == 0
    assert read(path) == FIXED.strip() + " " + filler + FIXED.strip()


def test_real_process_errors_are_one_line_each_without_traceback(tmp_path):
    write("bad.jsonl", '{"text": "a"}\nnot json\n')
    write("latin.txt", "caf\xe9".encode("latin-1"))
    write("good.txt", SPUN)
    proc = subprocess.run([*WIRECLEAN, "fix", "bad.jsonl", "latin.txt", "missing.md",
                           "good.txt"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "error:" in line]
    assert [e.split(": ")[2] for e in errors] == ["bad.jsonl:2", "latin.txt:1", "missing.md"]
    assert read(Path("good.txt")) == FIXED


def test_check_exit_code_in_a_real_process():
    write("a.txt", SPUN)
    proc = subprocess.run([*WIRECLEAN, "fix", "--check", "a.txt"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stdout.startswith("a.txt:1:3: N002")


def test_help_lists_the_fix_command():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0 and "fix" in result.stdout
