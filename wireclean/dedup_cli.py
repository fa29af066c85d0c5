"""``wireclean dedup`` and ``wireclean index``: near-duplicate paragraphs from the shell.

Imported only when one of these commands runs (``LAZY_COMMANDS`` in :mod:`wireclean.cli`),
so ``wireclean fix`` never loads numpy.

Records. A ``.txt``/``.md`` file is one record whose id is its path as reached from the
command line. Every non-blank line of a ``.jsonl`` file and every row of a ``.csv`` file
after its header is one record: ``--text-field`` holds the text, ``--id-field`` the id
(a record without one gets ``PATH:LINE``), ``--date-field`` the date used by
``--keep earliest`` (ISO dates sort as strings).

Duplicate ids. Index keys must be unique, so the second record with an id already seen in
this run is keyed ``ID#2`` (then ``#3`` ...), with one warning per id on stderr; reports
carry that key plus ``path`` and ``line``, so every report line points at one record.
``wireclean index add`` instead skips records whose key the index already holds, so running
it twice over the same archive adds nothing the second time.

Bad records. A JSONL line that is not a JSON object, or lacks the text field (or it is not
a string), and a CSV row too short to hold the text column, stop the command with
``PATH:LINE: message`` and exit 2 before anything is written. With ``--skip-bad`` each one
is reported on stderr as a warning and left out of the matching (``--drop`` copies it
through unchanged: nothing is lost). A file that cannot be decoded, or a CSV whose quoting
is broken, is an error either way (with ``--skip-bad``: the whole file is skipped).

``--drop OUT`` writes a copy with duplicate paragraphs taken out of the later records (by
``--keep``: ``first`` keeps the first-seen copy; ``earliest`` the copy from the record
with the smallest ``--date-field``; ``longest`` the longest copy). Records themselves are
never removed: a JSONL/CSV record keeps every other field byte for byte, and its text
field loses the dropped paragraphs (it may become empty). A paragraph is removed together
with the separator after it (a blank line, or the line break of one-per-line copy), so the
rest keeps its layout. With one input file, OUT is a file; with several, or a directory,
OUT is a directory and each input is written below it at its path relative to the inputs'
common folder. Outputs (``--report`` and ``--drop``) are written to temporary files and
renamed into place only when the whole run succeeded.

Exit status: 0 no duplicates, 1 duplicates found (or, with ``--against``, paragraphs
already in the index), 2 usage or input error.
"""

from __future__ import annotations

import collections
import ctypes
import functools
import itertools
import json
import os
import sqlite3
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Iterator, NamedTuple, NoReturn

import click
import numpy as np

from . import io as wio
from .io import records as wrecords

# Records are sent to the hashing step in chunks of about this many characters: large
# enough for numpy to amortise its call overheads (and the index its per-batch work),
# small enough to keep memory flat. On the 500 MB benchmark corpus, run in turn: 4 MB
# chunks against 1 MB took --jobs 1 from 26.1-27.3 s to 24.1-24.9 s and --jobs 2 from
# 13.3-14.4 s to 12.4-13.3 s; 2 MB and 8 MB chunks were no better than 4 MB.
CHUNK_CHARS = 1 << 22
# Chunks in flight per worker process: enough to keep the workers busy while the main
# process matches (its work per chunk varies as the index grows), few enough that memory
# stays bounded by the index, not the corpus: about 3 MB of prepared batch per chunk. On the
# 500 MB benchmark corpus (1 MB chunks), --jobs 2 took 14.5 s with 2, 13.8-14.1 s with 8,
# no less with 16.
CHUNKS_IN_FLIGHT = 8
# Workers run at a lower priority than this process. The index here is the pipeline's
# one serial stage: when three processes share two cores evenly it falls behind, the
# workers fill their queue and wait, and a core idles. Measured on the 500 MB corpus
# with --jobs 2: 14.27 s at equal priority, 13.70 s with this (median of 4).
WORKER_NICENESS = 5
# Near the end of a corpus read as byte ranges (--jobs > 1) each range gets a quarter of
# what is left per worker, but at least 256 KB: with fixed 4 MB ranges one worker hashed a
# last range while the other idled. On the 27 MB real corpora --jobs 2 took 1.37-1.43 s
# instead of 1.42-1.49 s (three runs each); on the 500 MB corpus the tail was already
# short (18.89 / 19.40 s against 18.81 / 19.48 s, in turn).
RANGES_PER_JOB_LEFT = 4
MIN_RANGE_CHARS = 1 << 18
# glibc's mallopt() parameters (malloc.h), for _keep_freed_memory.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3


def _error(where: str, message: str) -> None:
    click.echo(f"wireclean: error: {where}: {message}", err=True)


def _warning(where: str, message: str) -> None:
    click.echo(f"wireclean: warning: {where}: {message}", err=True)


def _fail(where: str, message: str) -> NoReturn:
    _error(where, message)
    raise SystemExit(2)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# ------------------------------------------------------------------------- records

@dataclass
class Record:
    """One document of the corpus and where it came from."""

    file: int            # index of its file in the run
    ordinal: int         # 0-based among the records of its file (bad ones included)
    path: str
    line: int            # file line where the record starts
    key: str
    text: str
    date: Any = None
    fmt: str = "txt"
    size: int = -1       # characters of text, when ``text`` stayed in a worker ("")
    lengths: list[int] | None = None   # paragraph lengths, likewise (for --keep longest)

    @property
    def chars(self) -> int:
        return self.size if self.size >= 0 else len(self.text)


@dataclass
class Bad:
    """A record that could not be read: an error unless ``--skip-bad``."""

    path: str
    line: int
    message: str


@dataclass
class Reader:
    """Reads the files of a command line as :class:`Record` s, with their options."""

    text_field: str = "text"
    id_field: str = "id"
    date_field: str | None = None
    encoding: str = "utf-8"
    keys: collections.Counter = field(default_factory=collections.Counter)
    warned: set = field(default_factory=set)
    # Where each file's next range starts, for ranges read by workers (see accept).
    _next_line: dict = field(default_factory=dict)
    _next_ordinal: dict = field(default_factory=dict)
    _failed: set = field(default_factory=set)

    def unique(self, key: str) -> str:
        """``key``, or ``key#N`` for the N-th record with that id in this run."""
        self.keys[key] += 1
        n = self.keys[key]
        if n == 1:
            return key
        if key not in self.warned:
            self.warned.add(key)
            _warning(key, f"duplicate id; later records with it are keyed {key}#2, #3 ...")
        return f"{key}#{n}"

    def records(self, file: int, target: wio.Target) -> Iterator[Record | Bad]:
        """The records of one file; :class:`wio.InputError` for a file-level problem."""
        if target.format == "jsonl" and _streamable(self.encoding):
            yield from self._jsonl(file, target.path, _jsonl_lines(target.path, self.encoding))
            return
        source = wio.read_file(target.path, self.encoding)
        text = source.text
        if target.format in ("txt", "md"):
            yield Record(file, 0, target.path, 1, self.unique(target.path), text,
                         fmt=target.format)
        elif target.format == "jsonl":
            yield from self._jsonl(file, target.path, wrecords.split_lines(text))
        else:
            yield from self._csv(file, target.path, text)

    def _jsonl(self, file: int, path: str, lines) -> Iterator[Record | Bad]:
        ordinal = 0
        for number, line in enumerate(lines, 1):
            if not line.strip(" \t\r\n"):
                continue
            try:
                record = _json_record(line, self.text_field, number)
            except wio.InputError as e:
                yield Bad(path, number, e.message)
            else:
                date = record.get(self.date_field) if self.date_field else None
                key = self._key(record.get(self.id_field), path, number)
                yield Record(file, ordinal, path, number, key, record[self.text_field], date,
                             "jsonl")
            ordinal += 1

    def _csv(self, file: int, path: str, text: str) -> Iterator[Record | Bad]:
        for ordinal, _, row, number, column, header in _csv_rows(text, self.text_field):
            if row is None:
                continue
            if column >= len(row):
                yield Bad(path, number, f"record has {len(row)} field(s), no "
                                        f"{self.text_field!r} (column {column + 1})")
            else:
                fields = dict(zip(header, row))
                date = fields.get(self.date_field) if self.date_field else None
                yield Record(file, ordinal, path, number,
                             self._key(fields.get(self.id_field), path, number),
                             row[column], date or None, "csv")

    def accept(self, unit: "_Range", result: tuple, skip_bad: bool,
               skipped: dict) -> tuple[list[Record], Any]:
        """Records and batch of a worker's :func:`_read_and_hash` result, in input order:
        line numbers, ordinals and ids as the sequential reader gives them."""
        if unit.file in self._failed:
            return [], None
        lines, items, batch, error = result
        base = self._next_line.get(unit.file, 1)
        ordinal = self._next_ordinal.get(unit.file, 0)
        records = []
        for item in items:
            number = base + item[0]
            if len(item) == 2:
                _bad(unit.path, number, item[1], unit.file, skip_bad, skipped)
            else:
                _, value, date, size, lengths = item
                records.append(Record(unit.file, ordinal, unit.path, number,
                                      self._key(value, unit.path, number), "", date, "jsonl",
                                      size, lengths))
            ordinal += 1
        self._next_line[unit.file] = base + lines
        self._next_ordinal[unit.file] = ordinal
        batch.keys = [r.key for r in records]
        batch.metas = [None] * len(records)
        if error is not None:
            self._failed.add(unit.file)
            _unreadable(f"{unit.path}:{base + error[0]}", error[1], unit.file, skip_bad, skipped)
        return records, batch

    def _key(self, value: Any, path: str, line: int) -> str:
        if value is None or value == "":
            return self.unique(f"{path}:{line}")
        return self.unique(value if isinstance(value, str) else json.dumps(value))


class CsvRow(NamedTuple):
    ordinal: int | None   # among the rows holding fields (None for a blank line)
    raw: str              # the row's text as in the file
    row: list[str] | None
    line: int
    column: int           # the text field's column
    header: list[str]


def _streamable(encoding: str) -> bool:
    """Whether ``encoding`` can be decoded line by line (``\\n`` is one byte in it)."""
    from .io.source import codec_name
    try:
        return "\n".encode(codec_name(encoding)) == b"\n"
    except LookupError:
        return False


def _jsonl_lines(path: str, encoding: str) -> Iterator[str]:
    """The lines of a JSONL file, read and decoded one at a time: memory stays flat
    however large the file. Errors are :class:`wio.InputError` with the line number."""
    if not os.path.isfile(path):
        wio.read_file(path, encoding)                  # raises the reader's own message
    try:
        handle = open(path, "rb")
    except OSError as e:
        raise wio.InputError(e.strerror.lower() if e.strerror else str(e)) from None
    with handle:
        for number, raw in enumerate(handle, 1):
            yield _decode_line(raw, number, encoding)


def _decode_line(raw: bytes, number: int, encoding: str) -> str:
    """One line of a JSONL file as text; :class:`wio.InputError` with its line number."""
    if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return wio.decode(raw, encoding)[0]
    except wio.InputError as e:
        raise wio.InputError(e.message.replace("byte offset", "line byte offset"),
                             number) from None


def _json_record(line: str, text_field: str, number: int) -> dict:
    """The JSON object on ``line`` (parsed once), checked to hold a string ``text_field``."""
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        wrecords.record_text(line, text_field, number)   # raises the reader's own message
        raise
    if isinstance(record, dict) and isinstance(record.get(text_field), str):
        return record
    wrecords.record_text(line, text_field, number)       # raises the reader's own message
    raise AssertionError("unreachable")


def _csv_rows(text: str, text_field: str) -> Iterator[CsvRow]:
    """Every CSV record after the header (blank lines too, with ``row`` None)."""
    lines = wrecords.split_lines(text)
    if not lines:
        return
    delimiter = wrecords.csv_delimiter(lines[0], text_field)
    ordinal, header, column = 0, None, -1
    for first_line, raw, row in wrecords.csv_records(lines, delimiter):
        if header is None:
            header, column = row, row.index(text_field)
            continue
        if not row:
            yield CsvRow(None, raw, None, first_line, column, header)
            continue
        yield CsvRow(ordinal, raw, row, first_line, column, header)
        ordinal += 1


# ------------------------------------------------------------------------- engine

_worker_index = None
_worker_bands = None


def _keep_freed_memory() -> None:
    """Ask glibc's allocator to keep what a pool worker frees (elsewhere: nothing).

    Hashing a chunk allocates and frees the same large numpy temporaries chunk after
    chunk. By default glibc returns such blocks to the kernel (mmap'd ones, or by trimming
    the heap's top), and the next chunk page-faults them in again, zeroed. On 150 MB of the
    archive-like corpus with --jobs 2 the two workers took 221,580 page faults and 0.48 s of
    system time; with allocations under 32 MB kept on the heap and the heap never trimmed
    below 1 GB, 27,132 and 0.14 s. A worker holds one chunk's working set at a time, so
    keeping its high-water mark costs memory it used anyway.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):   # not glibc (TypeError: Windows)
        return
    mallopt(M_MMAP_THRESHOLD, 32 << 20)   # set first: either alone is worse than neither
    mallopt(M_TRIM_THRESHOLD, 1 << 30)


def _init_worker(params: dict, min_words: int, bands=None) -> None:
    """Set up a worker (or this process, with one job). With ``bands`` (an in-memory
    index's band hasher) batches leave prepared for that index (:func:`memory.prepare`)."""
    global _worker_index, _worker_bands
    from .dedup.index import Index
    _worker_index = Index(min_words=min_words, **params)
    _worker_bands = bands


def _init_pool_worker(params: dict, min_words: int, bands=None) -> None:
    """Set up a pool worker: as :func:`_init_worker`, at a lower priority than this
    process (``WORKER_NICENESS``), keeping the memory it frees."""
    _keep_freed_memory()
    if hasattr(os, "nice"):   # POSIX only
        try:
            os.nice(WORKER_NICENESS)
        except OSError:    # a sandbox may forbid it; the workers then keep our priority
            pass
    _init_worker(params, min_words, bands)


def _signed(records: list[tuple[str, str, None]]):
    """The batch of ``records``, prepared for the index when the worker was told how."""
    batch = _worker_index.sign(records)
    if _worker_bands is not None:
        from .dedup.stores.memory import prepare
        batch = prepare(batch, _worker_bands)
    return batch


def _hash_chunk(items: list[tuple[str, str]]):
    """Segment, canonicalize and sign one chunk: the CPU-heavy part, run in a worker."""
    return _signed([(key, text, None) for key, text in items])


@dataclass
class _Range:
    """Lines of a JSONL file that a worker reads, parses and hashes itself (``--jobs`` > 1),
    so the texts never pass through this process."""

    file: int
    path: str
    start: int     # byte offset of its first line
    length: int    # bytes, ending at a line end (or the end of the file)


@dataclass
class _RangeSizes:
    """How long the next :class:`_Range` is: ``CHUNK_CHARS`` bytes, and near the end of
    the corpus a share of what is left (``RANGES_PER_JOB_LEFT`` per worker, at least
    ``MIN_RANGE_CHARS``), so that the workers run out of work together.

    >>> sizes = _RangeSizes(left=100 << 20, jobs=2)
    >>> sizes.next() == CHUNK_CHARS, _RangeSizes(left=8 << 20, jobs=2).next() == 1 << 20
    (True, True)
    """

    left: int    # bytes of the corpus's ranges not cut yet
    jobs: int

    def next(self) -> int:
        share = self.left // (self.jobs * RANGES_PER_JOB_LEFT)
        return max(min(MIN_RANGE_CHARS, CHUNK_CHARS), min(CHUNK_CHARS, share))


def _ranges(file: int, path: str, sizes: _RangeSizes) -> Iterator[_Range]:
    """Consecutive ranges covering the file, cut at line ends, as long as ``sizes`` says."""
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        start = 0
        while start < size:
            end = min(start + sizes.next(), size)
            if end < size:
                handle.seek(end - 1)
                end += len(handle.readline()) - 1
            sizes.left -= end - start
            yield _Range(file, path, start, end - start)
            start = end


def _read_and_hash(path: str, start: int, length: int, fields: tuple, lengths: bool):
    """A worker's whole job for one :class:`_Range`: decode, parse, segment, sign.

    Returns ``(lines, items, batch, error)``: the number of lines read; per non-blank line
    ``(index, id, date, size, paragraph lengths)`` for a record or ``(index, message)`` for a
    bad one (``index`` counts lines from the range's first); the batch of the good records
    in order (keys filled in by the caller, which numbers duplicate ids); and the
    ``(index, message)`` of an undecodable line, where reading stopped, or None.
    """
    from .dedup.segment import paragraphs
    text_field, id_field, date_field, encoding = fields
    with open(path, "rb") as handle:
        handle.seek(start)
        raws = handle.read(length).split(b"\n")
    if raws[-1] == b"":
        raws.pop()
    items: list[tuple] = []
    texts: list[tuple[str, str, None]] = []
    error = None
    for i, raw in enumerate(raws):
        try:
            line = _decode_line(raw, 1 if start == 0 and i == 0 else 2, encoding)
        except wio.InputError as e:
            error = (i, e.message)
            break
        if not line.strip(" \t\r\n"):
            continue
        try:
            record = _json_record(line, text_field, i)
        except wio.InputError as e:
            items.append((i, e.message))
            continue
        text = record[text_field]
        date = record.get(date_field) if date_field else None
        sizes = [len(p.text) for p in paragraphs(text, _worker_index.min_words)] if lengths else None
        items.append((i, record.get(id_field), date, len(text), sizes))
        texts.append(("", text, None))
    return len(raws), items, _signed(texts), error


class Engine:
    """Streams the corpus through hashing (in ``jobs`` processes) and the index (here).

    Work arrives as units: chunks of records read here, or (with ``jobs`` > 1) byte ranges
    of JSONL files that the workers read, parse and hash themselves, so this process
    keeps only what cannot be split: the index. ``handle(chunk, batch)`` is called for
    every chunk of records, in input order, with the chunk's signatures; it decides what
    the index does with them (match, add or both).

    ``config`` is the index's (workers hash exactly as it does); ``bands``, an in-memory
    store's band hasher, has workers prepare batches for that store (persistent stores
    keep full signatures, so theirs stay as they are).
    """

    def __init__(self, config, jobs: int, min_words: int, bands=None):
        self.jobs = jobs
        self.params = {"num_perm": config.num_perm, "seed": config.seed,
                       "shingle_size": config.shingle_size,
                       "sentence_words": config.sentence_words}
        self.bands = bands
        self.min_words = min_words
        self.paragraphs = 0   # matchable paragraphs hashed

    def run(self, units: Iterator["list[Record] | _Range"], handle: Callable,
            progress: Callable[[int], None], reader: Reader | None = None,
            accept: Callable | None = None, lengths: bool = False) -> None:
        """For ranges: ``reader`` names the fields, ``accept(range, result)`` turns a
        worker's result into (records, batch), and with ``lengths`` workers also measure
        paragraphs (for --keep longest)."""
        fields = reader and (reader.text_field, reader.id_field, reader.date_field,
                             reader.encoding)
        def finish(unit, result) -> None:
            if isinstance(unit, _Range):
                chunk, batch = accept(unit, result)
                done = unit.length
            else:
                chunk, batch = unit, result
                done = sum(r.chars for r in chunk)
            if chunk:
                self.paragraphs += len(batch)
                handle(chunk, batch)
            progress(done)

        if self.jobs <= 1:
            _init_worker(self.params, self.min_words)
            for unit in units:
                finish(unit, _hash_chunk([(r.key, r.text) for r in unit]))
            return
        with ProcessPoolExecutor(self.jobs, initializer=_init_pool_worker,
                                 initargs=(self.params, self.min_words, self.bands)) as pool:
            pending: collections.deque = collections.deque()
            for unit in units:
                if isinstance(unit, _Range):
                    future = pool.submit(_read_and_hash, unit.path, unit.start, unit.length,
                                         fields, lengths)
                else:
                    future = pool.submit(_hash_chunk, [(r.key, r.text) for r in unit])
                pending.append((unit, future))
                if len(pending) >= self.jobs * CHUNKS_IN_FLIGHT:
                    done, future = pending.popleft()
                    finish(done, future.result())
            while pending:
                done, future = pending.popleft()
                finish(done, future.result())


def _per_record(index, *, add: bool, each: Callable[[Record, list], None]) -> Callable:
    """A chunk handler that queries (and with ``add`` stores) the chunk and calls
    ``each(record, matches)`` per record, matches as :class:`~wireclean.Match`."""

    def handle(chunk: list[Record], batch) -> None:
        for record, matches in zip(chunk, index.process(batch, add=add)):
            each(record, matches)
    return handle


def _targets(paths: tuple[str, ...]) -> list[wio.Target]:
    """The files named, or exit 2 naming each one that cannot be used."""
    targets, bad = [], False
    for item in wio.collect([p for p in paths if p != wio.STDIN]):
        if isinstance(item, wio.Problem):
            if item.error:
                _error(item.path, item.error.message)
                bad = True
            else:
                _warning(item.path, item.note or "")
        else:
            targets.append(item)
    if wio.STDIN in paths:
        _error("-", "reading stdin is not supported here; name files or directories")
        bad = True
    if bad:
        raise SystemExit(2)
    return targets


def _bad(path: str, line: int, message: str, file: int, skip_bad: bool, skipped: dict) -> None:
    """A record that cannot be read: exit 2, or with ``--skip-bad`` a warning."""
    if not skip_bad:
        _fail(f"{path}:{line}", message + " (--skip-bad to report it and go on)")
    _warning(f"{path}:{line}", f"{message}; skipped")
    skipped.setdefault(file, set()).add(line)


def _unreadable(where: str, message: str, file: int, skip_bad: bool, skipped: dict) -> None:
    """A file that cannot be read on: exit 2, or with ``--skip-bad`` skip the rest of it."""
    if not skip_bad:
        _fail(where, message)
    _warning(where, f"{message}; file skipped")
    skipped.setdefault(file, set()).add(None)


def _file_records(reader: Reader, number: int, target: wio.Target, skip_bad: bool,
                  skipped: dict) -> Iterator[Record]:
    """Every good record of one file; bad ones stop the run unless ``skip_bad``."""
    try:
        for item in reader.records(number, target):
            if isinstance(item, Bad):
                _bad(item.path, item.line, item.message, number, skip_bad, skipped)
                continue
            yield item
    except wio.InputError as e:
        where = f"{target.path}:{e.line}" if e.line else target.path
        _unreadable(where, e.message, number, skip_bad, skipped)


def _units(reader: Reader, targets: list[wio.Target], skip_bad: bool, skipped: dict,
           jobs: int, select: Callable[[Record], bool] | None = None
           ) -> Iterator["list[Record] | _Range"]:
    """The corpus as work for :class:`Engine`: chunks of about ``CHUNK_CHARS`` characters
    of records (only those ``select`` accepts), and, for ``jobs`` > 1 workers and no
    ``select``, each JSONL file as byte ranges for the workers."""
    chunk: list[Record] = []
    size = 0
    ranged = [jobs > 1 and select is None and t.format == "jsonl"
              and _streamable(reader.encoding) and os.path.isfile(t.path) for t in targets]
    left = 0
    for target in itertools.compress(targets, ranged):
        with suppress(OSError):
            left += os.path.getsize(target.path)
    sizes = _RangeSizes(left, jobs)
    for number, target in enumerate(targets):
        if ranged[number]:
            try:
                with open(target.path, "rb"):
                    pass
            except OSError as e:
                _unreadable(target.path, e.strerror.lower() if e.strerror else str(e),
                            number, skip_bad, skipped)
                continue
            if chunk:
                yield chunk
                chunk, size = [], 0
            yield from _ranges(number, target.path, sizes)
            continue
        for record in _file_records(reader, number, target, skip_bad, skipped):
            if select is not None and not select(record):
                continue
            chunk.append(record)
            size += len(record.text)
            if size >= CHUNK_CHARS:
                yield chunk
                chunk, size = [], 0
    if chunk:
        yield chunk


def _progress(targets: list[wio.Target], quiet: bool):
    """A progress bar on stderr when it is a terminal, else nothing."""
    if quiet or not sys.stderr.isatty():
        return None
    total = 0
    for t in targets:
        with suppress(OSError):
            total += os.path.getsize(t.path)
    return click.progressbar(length=max(total, 1), label="hashing", file=sys.stderr)


# ------------------------------------------------------------------------- outputs

def _atomic_text(path: str) -> tuple[IO[str], Callable[[], None], Callable[[], None]]:
    """A temporary file beside ``path``, with ``commit`` (rename into place) and ``abort``."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.",
                                   suffix=".wireclean-tmp", dir=directory)
    except OSError as e:
        _fail(path, f"cannot write: {e.strerror.lower() if e.strerror else e}")
    handle = os.fdopen(fd, "w", encoding="utf-8", newline="")

    def commit() -> None:
        handle.close()
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)

    def abort() -> None:
        with suppress(OSError):
            handle.close()
        with suppress(OSError):
            os.unlink(tmp)

    return handle, commit, abort


def remove_paragraphs(text: str, drop: set[int], min_words: int) -> str:
    """``text`` without paragraphs ``drop`` (numbers as :func:`paragraphs` gives them).

    A paragraph goes with the separator after it; when the last ones go, the separator
    before them goes too, so no dangling blank line is left.

    >>> remove_paragraphs("One.\\n\\nTwo.\\n\\nThree.\\n", {1}, 0)
    'One.\\n\\nThree.\\n'
    >>> remove_paragraphs("One.\\n\\nTwo.\\n\\nThree.\\n", {2}, 0)
    'One.\\n\\nTwo.\\n'
    """
    from .dedup.segment import paragraphs
    paras = paragraphs(text, min_words)
    if not paras or not drop:
        return text
    kept = [p for p in paras if p.para not in drop]
    out = [text[:paras[0].start]]
    for i, p in enumerate(kept):
        out.append(p.text)
        if i + 1 < len(kept):
            nxt = paras[p.para + 1]
            out.append(text[p.end:nxt.start])
    out.append(text[paras[-1].end:])
    return "".join(out)


def _drop_outputs(targets: list[wio.Target], out: str, paths: tuple[str, ...]) -> list[str]:
    if len(targets) == 1 and not os.path.isdir(paths[0]):
        return [out]
    bases = [os.path.abspath(p) if os.path.isdir(p) else os.path.dirname(os.path.abspath(p))
             for p in paths]
    base = os.path.commonpath(bases)
    return [os.path.join(out, os.path.relpath(os.path.abspath(t.path), base)) for t in targets]


def _write_dropped(targets, outs, drops: dict, skipped: dict, reader: Reader,
                   min_words: int) -> list[Callable[[], None]]:
    """Write every deduplicated copy to a temporary file; returns their commits."""
    commits = []
    for number, (target, out) in enumerate(zip(targets, outs)):
        if os.path.exists(out) and os.path.samefile(out, target.path):
            _fail(out, "--drop would overwrite its own input; choose another path")
        file_drops = drops.get(number, {})
        source = wio.read_file(target.path, reader.encoding)
        text = source.text
        if None in skipped.get(number, ()):
            new = text                                   # unreadable: copied through
        elif target.format in ("txt", "md"):
            new = remove_paragraphs(text, file_drops.get(0, set()), min_words)
        elif target.format == "jsonl":
            parts, ordinal = [], 0
            for number_, line in enumerate(wrecords.split_lines(text), 1):
                if line.strip(" \t\r\n"):
                    if ordinal in file_drops:
                        value = wrecords.record_text(line, reader.text_field, number_)
                        line = wrecords.replace_field(
                            line, reader.text_field,
                            remove_paragraphs(value, file_drops[ordinal], min_words))
                    ordinal += 1
                parts.append(line)
            new = "".join(parts)
        else:
            lines = wrecords.split_lines(text)
            parts = lines[:1]
            delimiter = wrecords.csv_delimiter(lines[0], reader.text_field) if lines else ","
            for r in _csv_rows(text, reader.text_field):
                if r.ordinal in file_drops and r.column < len(r.row):
                    value = remove_paragraphs(r.row[r.column], file_drops[r.ordinal], min_words)
                    parts.append(wrecords.replace_column(r.raw, r.row, r.column, value,
                                                          delimiter))
                else:
                    parts.append(r.raw)
            new = "".join(parts)
        handle, commit, abort = _atomic_text(out)
        try:
            handle.write(source.bom.decode("utf-8") if source.bom else "")
            handle.write(new)
            handle.flush()
        except BaseException:
            abort()
            raise
        commits.append(commit)
    return commits


# ------------------------------------------------------------------------- commands

def _common(function):
    """Options shared by ``dedup`` and ``index add``."""
    for option in reversed([
        click.option("--text-field", default="text", show_default=True,
                     help="JSONL/CSV field holding the text."),
        click.option("--id-field", default="id", show_default=True,
                     help="JSONL/CSV field holding the record id (else PATH:LINE)."),
        click.option("--min-words", type=click.IntRange(0), default=None,
                     help="Paragraphs with fewer words are numbered but never matched "
                          "[default: 8]."),
        click.option("--jobs", "-j", type=click.IntRange(0), default=1, show_default=True,
                     help="Worker processes that read, segment and hash the input (0: one "
                          "per core); matching stays in this process. Output is the same "
                          "for any N."),
        click.option("--encoding", default="utf-8", show_default=True,
                     help="Encoding of the input files."),
        click.option("--skip-bad", is_flag=True,
                     help="Report bad records (and unreadable files) on stderr and go on."),
        click.option("-q", "--quiet", is_flag=True, help="No summary or progress bar."),
    ]):
        function = option(function)
    return function


def _jobs(jobs: int) -> int:
    return jobs or os.cpu_count() or 1


def _min_words(min_words: int | None) -> int:
    from .dedup.segment import DEFAULT_MIN_WORDS
    return DEFAULT_MIN_WORDS if min_words is None else min_words


def _check_encoding(encoding: str) -> None:
    try:
        "x".encode(encoding)
    except LookupError:
        _fail("--encoding", f"unknown text encoding {encoding!r}")


def _shown(db: str) -> str:
    """How an index is named in messages: a Redis URL without its password."""
    if "://" not in db:
        return db
    from .dedup.stores.redis import redact_url
    return redact_url(db)


def _sentence_words(sentence_keys: bool | None) -> int | None:
    """``sentence_words`` for ``--sentence-keys/--no-sentence-keys`` (None: left out)."""
    from .dedup.sentences import DEFAULT_SENTENCE_WORDS
    return None if sentence_keys is None else DEFAULT_SENTENCE_WORDS if sentence_keys else 0


def _open_index(db: str, threshold: float | None, min_words: int, must_exist: bool,
                sentence_keys: bool | None = None):
    from .dedup.index import Index, IndexFormatError
    shown = _shown(db)
    if "://" not in db:
        if must_exist and not os.path.exists(db):
            _fail(db, "no such index file; build one with: wireclean index add DB CORPUS...")
        if os.path.isdir(db):
            _fail(db, "is a directory, not an index file")
    try:
        return Index.open(db, threshold=threshold, min_words=min_words, create=not must_exist,
                          sentence_words=_sentence_words(sentence_keys))
    except IndexFormatError as e:
        _fail(shown, str(e).replace(f"{shown}: ", "", 1))
    except (sqlite3.Error, OSError, ValueError, ImportError) as e:
        _fail(shown, f"cannot open index: {str(e).replace(f'{shown}: ', '', 1)}")


def _run(engine: Engine, reader: Reader, targets: list[wio.Target], handle: Callable, *,
         skip_bad: bool, skipped: dict, quiet: bool, where: str,
         select: Callable[[Record], bool] | None = None, lengths: bool = False) -> None:
    """Stream the corpus through the engine, with a progress bar when stderr is a
    terminal; index errors exit 2. ``select`` keeps records out (workers then get
    records, not ranges, since they cannot ask this process)."""
    from .dedup.index import DuplicateKeyError, IndexFormatError
    units = _units(reader, targets, skip_bad, skipped, engine.jobs, select=select)
    accept = functools.partial(reader.accept, skip_bad=skip_bad, skipped=skipped)
    bar = _progress(targets, quiet)
    try:
        if bar is None:
            engine.run(units, handle, lambda n: None, reader, accept, lengths)
        else:
            with bar:
                engine.run(units, handle, bar.update, reader, accept, lengths)
    except (IndexFormatError, DuplicateKeyError, sqlite3.Error, OSError) as e:
        # OSError: a Redis index whose server went away mid-run (IndexConnectionError).
        _fail(where, str(e).replace(f"{where}: ", "", 1))


@click.command()
@click.argument("corpus", nargs=-1, required=True)
@click.option("--against", metavar="DB",
              help="Flag paragraphs of CORPUS already in this index (pre-commit); the index "
                   "is not changed.")
@click.option("--report", "report_path", metavar="FILE",
              help="Write one JSON line per duplicate paragraph (- for stdout).")
@click.option("--drop", "drop_out", metavar="OUT",
              help="Write a copy without the duplicate paragraphs (same format as the input).")
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=None, help="Score from which paragraphs match [default: 0.8].")
@click.option("--keep", type=click.Choice(["first", "earliest", "longest"]), default="first",
              show_default=True, help="Which copy --drop keeps.")
@click.option("--sentence-keys/--no-sentence-keys", default=None,
              help="Also find paragraphs reprinted inside longer ones (trimmed or extended "
                   "copies) through shared sentence edges [default: on]; off is faster "
                   "and finds only copies of about the same length.")
@click.option("--date-field", metavar="NAME",
              help="JSONL/CSV field with the record's date (for --keep earliest).")
@_common
def dedup(corpus: tuple[str, ...], against: str | None, report_path: str | None,
          drop_out: str | None, threshold: float | None, keep: str, sentence_keys: bool | None,
          date_field: str | None, text_field: str, id_field: str, min_words: int | None,
          jobs: int, encoding: str, skip_bad: bool, quiet: bool) -> None:
    """Find near-duplicate paragraphs in CORPUS (files and directories: .txt .md .jsonl
    .csv), each matched against everything read before it.

    Without --report or --drop, prints a summary. With --against DB, checks CORPUS
    against an index instead, printing PATH:LINE: paragraph matches KEY ¶N (score S)
    (N is the 0-based paragraph number, as in --report); the index then decides whether
    sentence keys are used (wireclean index add --no-sentence-keys makes one without).

    Exit status: 0 no duplicates, 1 duplicates found, 2 usage or input error.
    """
    _check_encoding(encoding)
    min_words = _min_words(min_words)
    reader = Reader(text_field, id_field, date_field, encoding)
    if against:
        for flag, value in (("--report", report_path), ("--drop", drop_out),
                            ("--[no-]sentence-keys", sentence_keys)):
            if value is not None:
                raise click.UsageError(f"{flag} cannot be combined with --against")
        _against(against, corpus, reader, threshold, min_words, _jobs(jobs), skip_bad, quiet)
        return
    if keep == "earliest" and not date_field:
        raise click.UsageError("--keep earliest needs --date-field")
    if drop_out and len(corpus) == 1 and os.path.isdir(corpus[0]) and os.path.isfile(drop_out):
        raise click.UsageError("--drop: the input is a directory, so OUT must be one too")
    targets = _targets(corpus)
    from .dedup.stores import IndexConfig
    from .dedup.stores.memory import MemoryStore

    # The in-corpus mode works on the in-memory store itself: it keeps clusters and the
    # paragraphs to drop, which need its item ids.
    store = MemoryStore(IndexConfig.create(threshold,
                                           sentence_words=_sentence_words(sentence_keys)))
    report = None
    if report_path == "-":
        report = (sys.stdout, lambda: None, lambda: None)
    elif report_path:
        report = _atomic_text(report_path)
    state = _DedupState(store, keep, min_words, report[0] if report else None,
                        want_drops=bool(drop_out))
    skipped: dict = {}
    try:
        engine = Engine(store.config, _jobs(jobs), min_words, bands=store.band_hasher)
        _run(engine, reader, targets, state.take, skip_bad=skip_bad, skipped=skipped,
             quiet=quiet, where="index", lengths=keep == "longest" and bool(drop_out))
        drops = state.drops() if drop_out else {}
        commits = []
        if drop_out:
            outs = _drop_outputs(targets, drop_out, corpus)
            try:
                commits = _write_dropped(targets, outs, drops, skipped, reader, min_words)
            except wio.InputError as e:
                _fail(f"{e.line}" if e.line else drop_out, e.message)
    except BaseException:
        if report:
            report[2]()
        raise
    if report:
        report[1]()
    for commit in commits:
        commit()
    to_stdout = not (report_path or drop_out)
    if to_stdout or not quiet:
        # Counting clusters is a pass over every matched paragraph: only when shown.
        summary = (f"{_plural(state.records, 'record')}, "
                   f"{_plural(engine.paragraphs, 'paragraph')} checked, "
                   f"{_plural(state.duplicates, 'duplicate')} in "
                   f"{_plural(state.clusters(), 'cluster')}")
        if drop_out:
            dropped = sum(len(p) for f in drops.values() for p in f.values())
            summary += f"; {_plural(dropped, 'paragraph')} dropped (--keep {keep}) in {drop_out}"
        click.echo(summary, err=not to_stdout)
    raise SystemExit(1 if state.duplicates else 0)


# What json.dumps(str, ensure_ascii=False) writes for a string (the C encoder it uses).
_json_string = json.encoder.encode_basestring


class _DedupState:
    """What a dedup run learns as records stream past: report lines, clusters, drops.

    Everything per match stays in numpy arrays (a resampled corpus has millions of
    matches); Python objects are made only for report lines, one per duplicate paragraph.
    Items are the in-memory index's paragraph ids, which follow the input order.
    """

    #: Verified edges kept before they are folded into one edge per clustered item.
    COMPACT_EDGES = 1 << 21

    def __init__(self, store, keep: str, min_words: int, report: IO[str] | None,
                 want_drops: bool):
        self.store, self.keep, self.min_words = store, keep, min_words
        self.report, self.want_drops = report, want_drops
        self.records = self.duplicates = self.items = 0
        self._new: list[np.ndarray] = []      # edges: later item -> earlier item
        self._old: list[np.ndarray] = []
        self._edges = 0
        self._compacted = 0
        self._dropped: list[np.ndarray] = []  # (file, ordinal, para) rows, for --keep first
        # For --keep earliest/longest, per record in input order: date and paragraph lengths.
        self.info: list[tuple] = []
        self.where: list[tuple[int, int]] = []  # per record: (file, ordinal)

    def take(self, chunk: list[Record], batch) -> None:
        """Match a chunk against everything before it, add it, and note its duplicates."""
        first, v = self.store.add_and_match(batch)
        self.records += len(chunk)
        self.items = first + len(batch)
        if self.want_drops and self.keep != "first":
            from .dedup.segment import paragraphs
            for record in chunk:
                lengths = None
                if self.keep == "longest":
                    lengths = record.lengths if record.lengths is not None else \
                        [len(p.text) for p in paragraphs(record.text, self.min_words)]
                self.info.append((record.date, lengths))
                self.where.append((record.file, record.ordinal))
        if len(v.row) == 0:
            return
        self._new.append(first + v.row)
        self._old.append(v.id)
        self._edges += len(v.row)
        if self._edges > max(self.COMPACT_EDGES, 2 * self._compacted):
            self._compact()
        # Pairs come best first per row, so a row's first pair is the match it reports.
        rows, at = np.unique(v.row, return_index=True)
        self.duplicates += len(rows)
        recs, paras = batch.record[rows], batch.para[rows]
        if self.want_drops and self.keep == "first":
            files = np.array([r.file for r in chunk], np.int64)[recs]
            ordinals = np.array([r.ordinal for r in chunk], np.int64)[recs]
            self._dropped.append(np.stack((files, ordinals, paras)))
        if self.report is not None:
            self._write(chunk, recs, paras, v, at)

    def _write(self, chunk: list[Record], recs, paras, v, at) -> None:
        docs, key_paras = self.store.locate(v.id[at])
        write, key_of = self.report.write, self.store.key

        def js(value) -> str:
            # json.dumps(value, ensure_ascii=False), without its per-call set-up.
            if type(value) is str:
                return _json_string(value)
            return str(value) if type(value) is int else json.dumps(value, ensure_ascii=False)

        # Each line is what json.dumps of the dict would write, byte for byte (floats
        # print as their repr there too), built from strings encoded once per record and
        # per matched document: the report is written by the process holding the index.
        ids: dict[int, str] = {}
        paths: dict[int, str] = {}
        match_ids: dict[int, str] = {}
        lines: dict[int, dict[int, int]] = {}
        for r, para, doc, key_para, score, jac, con in zip(
                recs.tolist(), paras.tolist(), docs.tolist(), key_paras.tolist(),
                v.score[at].tolist(), v.jaccard[at].tolist(), v.containment[at].tolist()):
            record = chunk[r]
            if r not in ids:
                ids[r], paths[r] = js(record.key), js(record.path)
            if record.fmt in ("txt", "md"):
                if r not in lines:
                    from .dedup.segment import paragraphs
                    lines[r] = {p.para: p.line for p in paragraphs(record.text, self.min_words)}
                line = lines[r][para]
            else:
                line = record.line
            match_id = match_ids.get(doc)
            if match_id is None:
                match_id = match_ids[doc] = js(key_of(doc))
            write(f'{{"id": {ids[r]}, "para": {para}, "match_id": {match_id}, '
                  f'"match_para": {key_para}, "score": {round(score, 2)!r}, '
                  f'"jaccard": {round(jac, 2)!r}, "containment": {round(con, 2)!r}, '
                  f'"path": {paths[r]}, "line": {js(line)}}}\n')

    def _edge_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if not self._new:
            e = np.empty(0, np.int64)
            return e, e
        return np.concatenate(self._new), np.concatenate(self._old)

    def _compact(self) -> None:
        """Replace the edges by one per clustered item (item -> its cluster's smallest
        item): the same clusters, with memory bounded by the items matched, not the matches."""
        from .dedup.lsh import cluster_labels
        new, old = self._edge_arrays()
        labels = cluster_labels(self.items, new, old)
        members = np.unique(np.concatenate((new, old)))
        members = members[labels[members] != members]
        self._new, self._old = [members], [labels[members]]
        self._edges = self._compacted = len(members)

    def _labels(self) -> tuple[np.ndarray, np.ndarray]:
        """Items that have a match (in input order) and their cluster labels."""
        from .dedup.lsh import cluster_labels
        new, old = self._edge_arrays()
        items = np.unique(np.concatenate((new, old)))
        return items, cluster_labels(self.items, new, old)[items]

    def clusters(self) -> int:
        return len(np.unique(self._labels()[1]))

    def drops(self) -> dict[int, dict[int, set[int]]]:
        """file -> record ordinal -> paragraph numbers to drop, by the keep policy."""
        out: dict[int, dict[int, set[int]]] = {}
        if self.keep == "first":
            rows = np.concatenate(self._dropped, axis=1) if self._dropped else np.empty((3, 0), np.int64)
            for file, ordinal, para in rows.T.tolist():
                out.setdefault(file, {}).setdefault(ordinal, set()).add(para)
            return out
        from .dedup.lsh import keep_mask
        items, labels = self._labels()
        labels = np.unique(labels, return_inverse=True)[1]   # keep_mask wants 0..k-1
        docs, paras = self.store.locate(items)
        docs, paras = docs.tolist(), paras.tolist()
        if self.keep == "earliest":
            mask = keep_mask(labels, "earliest", dates=[self.info[d][0] for d in docs])
        else:
            mask = keep_mask(labels, "longest",
                             lengths=[self.info[d][1][p] for d, p in zip(docs, paras)])
        for doc, para, kept in zip(docs, paras, mask.tolist()):
            if not kept:
                file, ordinal = self.where[doc]
                out.setdefault(file, {}).setdefault(ordinal, set()).add(para)
        return out


def _against(db: str, corpus: tuple[str, ...], reader: Reader, threshold: float | None,
             min_words: int, jobs: int, skip_bad: bool, quiet: bool) -> None:
    targets = _targets(corpus)
    index = _open_index(db, None, min_words, must_exist=True)
    found = 0

    def each(record: Record, matches: list) -> None:
        nonlocal found
        if not matches:
            return
        lines = None
        if record.fmt in ("txt", "md"):
            from .dedup.segment import paragraphs
            lines = {p.para: p.line for p in paragraphs(record.text, min_words)}
        best: dict[int, Any] = {}
        for m in matches:
            if threshold is None or m.score >= threshold:
                best.setdefault(m.para, m)
        for para, m in sorted(best.items()):
            found += 1
            line = lines[para] if lines else record.line
            click.echo(f"{record.path}:{line}: paragraph matches {m.key} \u00b6{m.key_para} "
                       f"(score {m.score:.2f})")

    # Keys only name the records in this run; nothing is added to the index.
    reader.unique = lambda key: key  # type: ignore[method-assign]
    try:
        engine = Engine(index.config, jobs, min_words)
        _run(engine, reader, targets, _per_record(index, add=False, each=each),
             skip_bad=skip_bad, skipped={}, quiet=quiet, where=_shown(db))
    finally:
        index.close()
    if not quiet and found:
        click.echo(f"{_plural(found, 'paragraph')} already in {_shown(db)}", err=True)
    raise SystemExit(1 if found else 0)


@click.group()
def index() -> None:
    """Build, extend and compact persistent paragraph indexes (an SQLite file, or
    redis://HOST:PORT/DB)."""


@index.command("add")
@click.argument("db")
@click.argument("corpus", nargs=-1, required=True)
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=None,
              help="Score from which paragraphs match; fixed when the index is created "
                   "[default: 0.8, or the index's].")
@click.option("--sentence-keys/--no-sentence-keys", default=None,
              help="Whether the index has sentence keys, which find paragraphs reprinted "
                   "inside longer ones; fixed when the index is created [default: on, or "
                   "the index's].")
@_common
def index_add(db: str, corpus: tuple[str, ...], threshold: float | None,
              sentence_keys: bool | None,
              text_field: str, id_field: str, min_words: int | None, jobs: int, encoding: str,
              skip_bad: bool, quiet: bool) -> None:
    """Add the records of CORPUS to the index DB (created when missing).

    Records whose id the index already holds are skipped, so re-running over the same
    archive adds nothing twice.
    """
    _check_encoding(encoding)
    min_words = _min_words(min_words)
    targets = _targets(corpus)
    idx = _open_index(db, threshold, min_words, must_exist=False, sentence_keys=sentence_keys)
    reader = Reader(text_field, id_field, None, encoding)
    added = already = 0

    def new_only(record: Record) -> bool:
        nonlocal already
        if record.key in idx:
            already += 1
            return False
        return True

    def add(chunk: list[Record], batch) -> None:
        nonlocal added
        idx.process(batch, add=True, query=False)
        added += len(chunk)

    try:
        engine = Engine(idx.config, _jobs(jobs), min_words)
        _run(engine, reader, targets, add, skip_bad=skip_bad, skipped={}, quiet=quiet,
             where=_shown(db), select=new_only)
    finally:
        idx.close()
    message = f"added {_plural(added, 'record')} ({_plural(engine.paragraphs, 'paragraph')}) to {_shown(db)}"
    if already:
        message += f"; {_plural(already, 'record')} already there, skipped"
    click.echo(message)


@index.command("compact", short_help="Merge recent entries, so that DB opens in milliseconds.")
@click.argument("db")
def index_compact(db: str) -> None:
    """Merge recently added entries into the index file's B-tree, so that opening DB reads
    none back.

    An SQLite index merges new entries a slice at a time as paragraphs are added, and each
    process that opens it reads the rest (up to ~2 million entries, 0.2-0.5 s on a
    million-paragraph index). Run this after building an archive that hooks or scrapers
    open often; it changes no match. It also completes the index's key filter, which an
    index made by an older wireclean starts without.
    """
    from .dedup.index import IndexFormatError
    idx = _open_index(db, None, _min_words(None), must_exist=True)
    try:
        merged = idx.compact()
    except (IndexFormatError, TimeoutError, PermissionError) as e:
        _fail(_shown(db), str(e).replace(f"{_shown(db)}: ", "", 1))
    finally:
        idx.close()
    entries = f"{merged:,} recent entr{'y' if merged == 1 else 'ies'}"
    click.echo(f"{_shown(db)}: {entries} merged; opening it reads none back")
