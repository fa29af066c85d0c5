"""Which files a command line names: files as given, directories walked, ``-`` for stdin.

Directories are walked in sorted order over the known extensions, skipping hidden
directories (``.git``, ``.venv`` ...) but not descending into symlinked directories (no
loops). A file reached twice (two arguments, or a symlink and its target) is fixed once.

>>> format_for("story.MD"), format_for("feed.jsonl"), format_for("notes.rst")
('md', 'jsonl', None)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator, Mapping, Sequence

from .base import InputError
from .source import STDIN

EXTENSIONS: Mapping[str, str] = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".jsonl": "jsonl",
    ".csv": "csv",
}


@dataclass(frozen=True)
class Target:
    path: str
    format: str


@dataclass(frozen=True)
class Problem:
    """An argument that could not be used: an error (exit 2) or just a note."""

    path: str
    error: InputError | None = None
    note: str | None = None


def format_for(path: str, extensions: Mapping[str, str] = EXTENSIONS) -> str | None:
    return extensions.get(os.path.splitext(path)[1].lower())


def collect(paths: Sequence[str], extensions: Mapping[str, str] = EXTENSIONS,
            forced_format: str | None = None) -> Iterator[Target | Problem]:
    """Targets and problems, in command-line order; ``forced_format`` overrides extensions."""
    seen: set[str] = set()

    def once(path: str, fmt: str) -> Iterator[Target]:
        key = path if path == STDIN else os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            yield Target(path, forced_format or fmt)

    for path in paths:
        if path == STDIN:
            yield from once(path, "txt")
        elif os.path.isdir(path):
            found = False
            for item in _walk(path, extensions):
                if isinstance(item, Problem):
                    yield item
                    continue
                found = True
                yield from once(*item)
            if not found:
                known = " ".join(sorted(extensions))
                yield Problem(path, note=f"no files with a known extension ({known})")
        elif not os.path.lexists(path):
            yield Problem(path, InputError("no such file or directory"))
        else:
            fmt = forced_format or format_for(path, extensions)
            if fmt is None:
                ext = os.path.splitext(path)[1] or "(none)"
                known = " ".join(sorted(extensions))
                yield Problem(path, InputError(
                    f"unknown file type {ext}; known: {known}; pass --format to choose"))
            else:
                yield from once(path, fmt)


def _walk(top: str, extensions: Mapping[str, str]) -> Iterator[tuple[str, str] | Problem]:
    problems: list[Problem] = []

    def unreadable(e: OSError) -> None:
        problems.append(Problem(e.filename or top, InputError(
            f"cannot read directory: {e.strerror.lower() if e.strerror else e}")))

    for root, dirs, files in os.walk(top, onerror=unreadable):
        yield from problems
        problems.clear()
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            fmt = format_for(name, extensions)
            if fmt:
                yield os.path.join(root, name), fmt
    yield from problems
