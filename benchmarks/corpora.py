"""Load the real news corpora in ``../shared/data`` as ``(corpus, id, text)`` articles.

The corpora are licensed for research only, so they are read in place and never copied
into the repository; benchmarks write anything derived from them under ``benchmarks/out/``
(gitignored; :data:`OUT_DIR`, written with :func:`atomic_write`). Every loader yields :class:`Article` tuples in file order; articles whose
text is empty or only whitespace are skipped (2,535 Reuters-21578 items have no body).

>>> spec = CORPORA["golbeck"]
>>> spec.path, spec.text_field
('golbeck2018_fake_vs_satire/fake_vs_satire.jsonl', 'text')
>>> Article("bbc", "tech/001", "Text.").corpus
'bbc'

Use from a benchmark::

    data = resolve_data_dir(args.data)          # DataMissing if absent: print it, exit 2
    for corpus, article_id, text in iter_articles(data):
        ...
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple

REPO_ROOT = Path(__file__).resolve().parents[1]
# Where the shared checkout keeps the data: beside the repository, else the workplace copy.
DEFAULT_DATA_DIRS = (REPO_ROOT.parent / "shared" / "data", Path("/work/shared/data"))
# Anything derived from corpus text goes here: the folder is gitignored.
OUT_DIR = REPO_ROOT / "benchmarks" / "out"


class Article(NamedTuple):
    corpus: str
    id: str
    text: str


class CorpusSpec(NamedTuple):
    """Where one corpus lives under the data directory and which fields to read."""

    name: str
    path: str
    text_field: str
    make_id: Callable[[dict], str]


def _field(name: str) -> Callable[[dict], str]:
    return lambda record: str(record[name])


# Short names follow the column heads of the data README's "spun text" table.
CORPORA: dict[str, CorpusSpec] = {
    spec.name: spec
    for spec in (
        CorpusSpec("reuters", "reuters21578/reuters21578.jsonl", "body", _field("newid")),
        CorpusSpec("bbc", "bbc_fulltext/bbc_fulltext.jsonl", "text", _field("id")),
        CorpusSpec("fnn_old", "fakenewsnet_old/fakenewsnet_old_content.jsonl", "text", _field("id")),
        # Ids repeat across the Fake and Satire halves (104, 289, 303); the label makes them unique.
        CorpusSpec("golbeck", "golbeck2018_fake_vs_satire/fake_vs_satire.jsonl", "text",
                   lambda r: f"{r['label']}/{r['id']}"),
        CorpusSpec("horne", "horne2017_fakenewsdata1/horne2017.jsonl", "text", _field("id")),
        CorpusSpec("fnc_sample", "fakenewscorpus_sample/news_sample.csv", "content", _field("id")),
    )
}


class DataMissing(Exception):
    """The data directory or one of its corpus files is not there (or not readable)."""


class BadRecord(Exception):
    """A corpus file holds a line or row that cannot be read; the message names file and line."""


def resolve_data_dir(data: str | os.PathLike | None = None) -> Path:
    """The data directory: ``data`` if given, else ``../shared/data`` from the repo root,
    else ``/work/shared/data``. Raises :class:`DataMissing` with a one-line explanation.

    >>> try:
    ...     resolve_data_dir("/nonexistent/wire-data")
    ... except DataMissing as err:
    ...     print(str(err)[:61])
    news corpora not found at /nonexistent/wire-data: pass --data
    """
    candidates = [Path(data)] if data else list(DEFAULT_DATA_DIRS)
    for path in candidates:
        if (path / CORPORA["reuters"].path).is_file() or (path / CORPORA["bbc"].path).is_file():
            return path
    where = " or ".join(str(p) for p in candidates)
    raise DataMissing(
        f"news corpora not found at {where}: pass --data DIR pointing at the shared data "
        f"folder (the one holding reuters21578/, bbc_fulltext/, ...)"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every corpus benchmark shares: --data, --corpus, --limit."""
    parser.add_argument("--data", metavar="DIR",
                        help="shared data folder (default: ../shared/data from the repo root, "
                             "then /work/shared/data)")
    parser.add_argument("--corpus", action="append", choices=sorted(CORPORA), metavar="NAME",
                        help=f"only this corpus (repeatable): {', '.join(CORPORA)}")
    parser.add_argument("--limit", type=int, metavar="N",
                        help="at most N articles per corpus (quick runs)")


def load_from_args(args: argparse.Namespace) -> dict[str, list[Article]]:
    """Resolve ``--data`` and load the chosen corpora; on bad data, print why and exit 2."""
    try:
        data = resolve_data_dir(args.data)
        return load_articles(data, args.corpus, args.limit)
    except (DataMissing, BadRecord) as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None


def iter_records(spec: CorpusSpec, data_dir: Path) -> Iterator[tuple[int, dict]]:
    """Every raw record of one corpus with its line (JSONL) or row (CSV) number."""
    path = Path(data_dir) / spec.path
    try:
        handle = open(path, encoding="utf-8", newline="")
    except OSError as err:
        raise DataMissing(f"{path}: cannot read corpus {spec.name!r} ({err.strerror})") from None
    with handle:
        if path.suffix == ".csv":
            # Article bodies run far past csv's default 128 KB field limit.
            csv.field_size_limit(sys.maxsize)
            reader = csv.DictReader(handle)
            try:
                for record in reader:
                    yield reader.line_num, record
            except csv.Error as err:
                raise BadRecord(f"{path}:{reader.line_num}: bad CSV row ({err})") from None
            return
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise BadRecord(f"{path}:{line_no}: not a JSON object ({err.msg})") from None
            if not isinstance(record, dict):
                raise BadRecord(f"{path}:{line_no}: not a JSON object")
            yield line_no, record


def iter_articles(data_dir: str | os.PathLike, corpora: Iterable[str] | None = None,
                  limit: int | None = None) -> Iterator[Article]:
    """Yield every non-empty article of the named corpora (all of them by default)."""
    for name in corpora or CORPORA:
        spec = CORPORA[name]
        count = 0
        for line_no, record in iter_records(spec, Path(data_dir)):
            if limit is not None and count >= limit:
                break
            text = record.get(spec.text_field)
            if text is None or (isinstance(text, str) and not text.strip()):
                continue
            if not isinstance(text, str):
                raise BadRecord(f"{Path(data_dir) / spec.path}:{line_no}: field "
                                f"{spec.text_field!r} is not a string")
            try:
                article_id = spec.make_id(record)
            except KeyError as err:
                raise BadRecord(f"{Path(data_dir) / spec.path}:{line_no}: no id field {err}") from None
            count += 1
            yield Article(name, article_id, text)


def load_articles(data_dir: str | os.PathLike, corpora: Iterable[str] | None = None,
                  limit: int | None = None) -> dict[str, list[Article]]:
    """All articles in memory, grouped by corpus in :data:`CORPORA` order."""
    grouped: dict[str, list[Article]] = {name: [] for name in (corpora or CORPORA)}
    for article in iter_articles(data_dir, list(grouped), limit):
        grouped[article.corpus].append(article)
    return grouped


def atomic_write(path: Path, write) -> None:
    """Write through a temporary file in the same folder, so no half-written output is left."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            write(handle)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide results from other users
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Count the articles each corpus loader yields.")
    add_arguments(parser)
    grouped = load_from_args(parser.parse_args())
    for name, articles in grouped.items():
        size = sum(len(a.text.encode("utf-8")) for a in articles)
        print(f"{name:12} {len(articles):7,} articles {size / 1e6:7.2f} MB")
