"""Readers and writers: what of each file format is fixed, what is kept byte for byte.

Most tests use ``Marker``, a stand-in fixer that turns every "spin" into "SPIN", so they
test the file handling alone, whatever the fix rules do. Real rules are exercised
through the command line in test_cli.py.
"""

from __future__ import annotations

import csv
import os
import re
import stat
import time

import pytest

from wireclean.fix import Change, FixResult
from wireclean.io import (InputError, Problem, Target, collect, decode, ensure_writable,
                          fix_csv, fix_document, fix_jsonl, fix_markdown, fix_text,
                          frozen_spans, line_cols, write_atomic)
from wireclean.io.report import check_line, show, unified_diff


class Marker:
    """Replaces every "spin" with "SPIN" (rule T001), never inside a frozen span."""

    def __init__(self):
        self.seen: list[str] = []

    def fix_and_explain(self, text, frozen=()):
        self.seen.append(text)
        changes = [Change("T001", m.start(), m.end(), "spin", "SPIN", "marker")
                   for m in re.finditer("spin", text)
                   if not any(a < m.end() and m.start() < b for a, b in frozen)]
        out, pos = [], 0
        for c in changes:
            out += [text[pos:c.start], c.after]
            pos = c.end
        out.append(text[pos:])
        return FixResult("".join(out), changes)


def frozen_texts(doc: str) -> list[str]:
    return [doc[a:b] for a, b in frozen_spans(doc)]


# ------------------------------------------------------------------ positions

def test_line_cols_count_only_newlines_so_crlf_lines_number_like_an_editor():
    text = "ab\r\ncd\r\n\r\nspin"
    assert line_cols(text, [0, 4, 5, 10]) == [(1, 1), (2, 1), (2, 2), (4, 1)]


def test_columns_are_characters_not_bytes():
    fixed = fix_text("naïve “quote” spin\nspin", Marker())
    assert [(f.line, f.col) for f in fixed.findings] == [(1, 15), (2, 1)]


def test_line_cols_on_a_long_single_line_is_linear():
    text = "x" * 20_000_000
    offsets = list(range(0, len(text), 2_000))
    started = time.perf_counter()
    cols = line_cols(text, offsets)
    assert time.perf_counter() - started < 60   # a blow-up guard, not a speed claim
    assert cols[-1] == (1, offsets[-1] + 1)


# ------------------------------------------------------------------ decoding

def test_utf8_bom_is_taken_off_and_returned_to_be_written_back():
    assert decode(b"\xef\xbb\xbfspin\n", "utf-8") == ("spin\n", b"\xef\xbb\xbf")
    assert decode(b"\xef\xbb\xbfspin\n", "utf-8-sig") == ("spin\n", b"\xef\xbb\xbf")
    assert decode(b"spin\n", "utf-8") == ("spin\n", b"")


def test_non_utf8_names_the_bytes_line_and_column_and_suggests_encoding():
    with pytest.raises(InputError) as err:
        decode(b"first line\nthe caf\xe9 said\n", "utf-8")
    assert err.value.line == 2
    assert "0xE9" in err.value.message
    assert "column 8" in err.value.message
    assert "--encoding" in err.value.message


def test_a_nul_byte_means_binary():
    with pytest.raises(InputError, match="binary file"):
        decode(b"PK\x03\x04\x00\x00", "utf-8")


def test_utf16_text_is_not_mistaken_for_binary():
    assert decode("spin\r\n".encode("utf-16"), "utf-16") == ("spin\r\n", b"")


# ------------------------------------------------------------------ plain text

@pytest.mark.parametrize("text", ["spin\r\nspin\r\n", "spin\nspin", "", "\n"])
def test_text_keeps_line_endings_and_final_newline(text):
    assert fix_text(text, Marker()).text == text.replace("spin", "SPIN")


# ------------------------------------------------------------------ markdown

@pytest.mark.parametrize("doc, frozen", [
    ("---\ntitle: spin\n---\nBody spin.\n", ["---\ntitle: spin\n---\n"]),
    ("+++\ntitle = 'spin'\n+++\nBody spin.\n", ["+++\ntitle = 'spin'\n+++\n"]),
    ("Body.\n\n```python\nspin = 1\n```\nspin\n", ["```python\nspin = 1\n```"]),
    ("Body.\n\n~~~~\nspin\n~~~\nspin\n~~~~\n", ["~~~~\nspin\n~~~\nspin\n~~~~"]),
    ("Body.\n\n```\nspin never closed\n\nspin", ["```\nspin never closed\n\nspin"]),
    ("Para.\n\n    spin code\n    more\n\nspin prose\n", ["    spin code\n    more\n"]),
    ("Use `spin` or ``a ` spin`` here.", ["`spin`", "``a ` spin``"]),
    ("[spin text](https://x.test/spin \"spin title\") after",
     ['https://x.test/spin "spin title")']),
    ("![spin](img/spin.png) and [a][spin-ref]", ["img/spin.png)", "[spin-ref]"]),
    ("[spin-ref]: https://x.test/spin\nspin", ["[spin-ref]: https://x.test/spin"]),
    ("See <https://x.test/spin> or <desk@spin.test>.",
     ["<https://x.test/spin>", "<desk@spin.test>"]),
    ("Visit https://x.test/spin/page. Then www.spin.test, ok",
     ["https://x.test/spin/page", "www.spin.test"]),
    ('A <span class="spin">spin</span> tag', ['<span class="spin">', "</span>"]),
    ("A <!-- spin\nnote --> spin", ["<!-- spin\nnote -->"]),
    ("<pre>\nspin\n</pre>\nspin", ["<pre>\nspin\n</pre>"]),
    ("Tom &amp; Jerry &#8217; &#x2019; spin", ["&amp;", "&#8217;", "&#x2019;"]),
])
def test_markdown_markup_is_frozen(doc, frozen):
    assert frozen_texts(doc) == frozen


@pytest.mark.parametrize("doc", [
    "Intro.\n---\nNot front matter: spin\n---\n",       # --- not on the first line
    "Price is 5 < 6 and spin > 2.",                    # no tag
    "An unmatched ` backtick then spin",               # no closing run
    "Two `` ticks then one ` spin",                    # runs of different lengths
    "Code `starts\n\nspin` across a blank line",        # code never crosses paragraphs
])
def test_markdown_prose_that_only_looks_like_markup_is_fixed(doc):
    fixed = fix_markdown(doc, Marker())
    assert fixed.text == doc.replace("spin", "SPIN")


def test_markdown_fix_leaves_frozen_parts_and_reports_positions():
    doc = "---\ntag: spin\n---\nThe spin `spin`.\n\n```\nspin\n```\n[spin](http://a.test/spin)\n"
    fixed = fix_markdown(doc, Marker())
    assert fixed.text == ("---\ntag: spin\n---\nThe SPIN `spin`.\n\n```\nspin\n```\n"
                          "[SPIN](http://a.test/spin)\n")
    assert [(f.line, f.col) for f in fixed.findings] == [(4, 5), (9, 2)]


@pytest.mark.parametrize("chunk", [
    "](<x ", "](x \"t ", "`` ` ", "<a b ", "<!-- ", "[x]", "](x](x", "&#x",
    "<pre ", "http://a ", "    x\n", "```\n", "<x@", "\n\n",
])
def test_markdown_scanner_is_linear_on_pathological_input(chunk):
    doc = chunk * (1_000_000 // len(chunk))
    started = time.perf_counter()
    frozen_spans(doc)
    assert time.perf_counter() - started < 60   # quadratic would take hours


# ------------------------------------------------------------------ JSONL

def test_jsonl_rewrites_only_the_text_field_and_keeps_every_other_byte():
    lines = [
        '{"id": 1.50, "text": "a spin story", "tags":["x" ,"y"], "n": 1e3}\n',
        '{"id":2,"text":"clean","by":"Zoë"}\n',
        '\n',
        '{"text": "spin", "id": 3}',
    ]
    fixed = fix_jsonl("".join(lines), Marker())
    out = fixed.text.split("\n")
    assert out[0] == '{"id": 1.50, "text": "a SPIN story", "tags":["x" ,"y"], "n": 1e3}'
    assert out[1] == lines[1].rstrip("\n")
    assert out[2] == ""
    assert out[3] == '{"text": "SPIN", "id": 3}'
    assert [(f.line, f.col) for f in fixed.findings] == [(1, 3), (4, 1)]


def test_jsonl_keeps_non_ascii_raw_or_escaped_as_the_record_had_it():
    fixed = fix_jsonl('{"text": "spin Zoë"}\r\n{"text": "spin Zo\\u00eb"}\r\n', Marker())
    assert fixed.text == '{"text": "SPIN Zoë"}\r\n{"text": "SPIN Zo\\u00eb"}\r\n'


def test_jsonl_duplicate_keys_fix_the_one_json_reads():
    fixed = fix_jsonl('{"text": "spin a", "text": "spin b"}\n', Marker())
    assert fixed.text == '{"text": "spin a", "text": "SPIN b"}\n'


def test_jsonl_with_another_text_field():
    fixed = fix_jsonl('{"text": "spin", "body": "spin"}\n', Marker(), "body")
    assert fixed.text == '{"text": "spin", "body": "SPIN"}\n'


def test_jsonl_fixes_each_record_on_its_own():
    marker = Marker()
    fix_jsonl('{"text": "one"}\n{"text": "two"}\n', marker)
    assert marker.seen == ["one", "two"]


@pytest.mark.parametrize("bad, message", [
    ('{"text": "a"', "not valid JSON"),
    ('["text"]', "expected a JSON object, got an array"),
    ('{"body": "a"}', "no 'text' field"),
    ('{"text": null}', "'text' is null, not a string"),
    ('{"text": 5}', "'text' is a number, not a string"),
])
def test_jsonl_bad_record_names_its_line(bad, message):
    with pytest.raises(InputError, match=re.escape(message)) as err:
        fix_jsonl('{"text": "ok"}\n\n' + bad + '\n{"text": "ok"}\n', Marker())
    assert err.value.line == 3


# ------------------------------------------------------------------ CSV

def test_csv_rewrites_only_changed_records_with_their_quoting():
    text = ('id,text,note\r\n'
            '1,a spin story,"x, y"\r\n'
            '2,clean,plain\r\n'
            '"3","spin ""quoted""","z"\r\n')
    fixed = fix_csv(text, Marker())
    assert fixed.text == ('id,text,note\r\n'
                          '1,a SPIN story,"x, y"\r\n'
                          '2,clean,plain\r\n'
                          '"3","SPIN ""quoted""","z"\r\n')
    assert [(f.line, f.col) for f in fixed.findings] == [(2, 3), (4, 1)]


def test_csv_record_lines_count_newlines_inside_quoted_fields():
    text = 'text,id\n"first spin\nsecond line\nthird",1\nspin,2'
    fixed = fix_csv(text, Marker())
    assert fixed.text == 'text,id\n"first SPIN\nsecond line\nthird",1\nSPIN,2'
    assert [f.line for f in fixed.findings] == [2, 5]


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_csv_delimiter_is_found_from_the_header(delimiter):
    text = delimiter.join(["id", "text"]) + "\n" + delimiter.join(["1", "a spin, b"]) + "\n"
    fixed = fix_csv(text, Marker())
    assert fixed.text == text.replace("spin", "SPIN")


def test_csv_field_larger_than_the_csv_module_default_limit():
    limit = csv.field_size_limit()
    big = "spin " * 100_000
    fixed = fix_csv(f"text\n{big}\n", Marker())
    assert fixed.text == f"text\n{big.replace('spin', 'SPIN')}\n"
    assert csv.field_size_limit() == limit


@pytest.mark.parametrize("text, line, message", [
    ("id,body\n1,x\n", 1, "no 'text' column"),
    ("id,text\n1,ok\n2\n", 3, "record has 1 field(s)"),
    ('id,text\n1,ok\n2,"unterminated\n', 3, "malformed CSV"),
    ('id,text\n1,"a"b\n', 2, "malformed CSV"),
])
def test_csv_bad_record_names_its_line(text, line, message):
    with pytest.raises(InputError, match=re.escape(message)) as err:
        fix_csv(text, Marker())
    assert err.value.line == line


def test_fix_document_dispatches_on_format():
    assert fix_document("spin", "txt", Marker()).text == "SPIN"
    assert fix_document("`spin` spin", "md", Marker()).text == "`spin` SPIN"
    assert fix_document('{"body": "spin"}', "jsonl", Marker(), "body").text == '{"body": "SPIN"}'
    assert fix_document("text\nspin\n", "csv", Marker()).text == "text\nSPIN\n"


# ------------------------------------------------------------------ writing

def test_write_atomic_keeps_permissions_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "story.txt"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    write_atomic(str(path), b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["story.txt"]


def test_write_atomic_failure_leaves_the_original(tmp_path, monkeypatch):
    path = tmp_path / "story.txt"
    path.write_bytes(b"original")

    def fail(*args):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(InputError, match="no space left on device"):
        write_atomic(str(path), b"new")
    assert path.read_bytes() == b"original"
    assert os.listdir(tmp_path) == ["story.txt"]


def test_a_file_without_write_bits_is_read_only_even_for_root(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("x")
    os.chmod(path, 0o444)
    with pytest.raises(InputError, match="read-only"):
        ensure_writable(str(path))
    os.chmod(path, 0o644)
    ensure_writable(str(path))


# ------------------------------------------------------------------ finding files

def test_collect_walks_known_extensions_skipping_hidden_dirs(tmp_path):
    for name in ["b.txt", "a.md", "sub/c.jsonl", "sub/d.csv", "sub/e.markdown",
                 "notes.rst", ".git/f.txt", "sub/.cache/g.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = [(os.path.relpath(t.path, tmp_path), t.format) for t in collect([str(tmp_path)])]
    assert found == [("a.md", "md"), ("b.txt", "txt"), ("sub/c.jsonl", "jsonl"),
                     ("sub/d.csv", "csv"), ("sub/e.markdown", "md")]


def test_collect_reaches_each_file_once_and_reports_problems_in_order(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    os.symlink(tmp_path / "a.txt", tmp_path / "link.txt")
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.rst").write_text("x")
    items = list(collect([str(tmp_path / "a.txt"), str(tmp_path / "link.txt"),
                          str(tmp_path / "missing.txt"), str(tmp_path / "empty"),
                          str(tmp_path / "notes.rst"), "-"]))
    assert items[0] == Target(str(tmp_path / "a.txt"), "txt")
    assert isinstance(items[1], Problem) and "no such file" in items[1].error.message
    assert isinstance(items[2], Problem) and items[2].error is None and "no files" in items[2].note
    assert isinstance(items[3], Problem) and "unknown file type .rst" in items[3].error.message
    assert items[4] == Target("-", "txt")
    assert len(items) == 5


def test_forced_format_overrides_the_extension(tmp_path):
    (tmp_path / "feed.log").write_text("x")
    assert list(collect([str(tmp_path / "feed.log")], forced_format="jsonl")) == [
        Target(str(tmp_path / "feed.log"), "jsonl")]


# ------------------------------------------------------------------ reporting

def test_check_line_makes_whitespace_and_invisible_characters_visible():
    change = Change("E004", 3, 4, "\u00a0", " ", "no-break space")
    from wireclean.io import Finding
    assert check_line("a.txt", Finding(1, 4, change)) == \
        'a.txt:1:4: E004 "\\u00a0" → " " (no-break space)'
    assert show('tab\there "q" \\') == '"tab\\there \\"q\\" \\\\"'


def test_unified_diff_marks_a_missing_final_newline():
    diff = unified_diff("a.txt", "spin\r\nend", "SPIN\r\nend")
    assert diff.splitlines() == ["--- a.txt", "+++ a.txt", "@@ -1,2 +1,2 @@",
                                 "-spin", "+SPIN", " end", "\\ No newline at end of file"]
