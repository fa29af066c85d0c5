"""Project settings: the ``[tool.wireclean]`` table of ``pyproject.toml``.

Found as ruff finds its own: walking up from the files being fixed (from their common
directory; the current directory for stdin), the nearest ``pyproject.toml`` that has a
``[tool.wireclean]`` table is used. ``--config FILE`` names one directly. Keys::

    [tool.wireclean]
    style = "ap"                          # auto | ap | reuters | guardian
    select = ["encoding", "spacing", "N"] # replaces the default rule set
    extend-select = ["boilerplate"]       # adds to it
    ignore = ["S006"]                     # removes from it
    protected = ["USA Rugby League"]      # extra names the entity rules never touch
    text-field = "body"                   # JSONL/CSV field to fix (default "text")
    extensions = { ndjson = "jsonl" }     # more file extensions and their formats

Command-line flags win over the file: ``--style`` and ``--text-field`` replace its
values; a ``--select`` on the command line starts the selection over (the file's select,
extend-select and ignore are not used); ``--extend-select`` and ``--ignore`` add to
whatever selection is in force. Unknown keys are errors, so a typo is not silently
ignored.

>>> settings = parse({"style": "ap", "extend-select": ["boilerplate"]}, "pyproject.toml")
>>> settings.style, settings.extend_select, settings.select
('ap', ('boilerplate',), None)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from .fix.pipeline import STYLES

FORMATS = ("txt", "md", "jsonl", "csv")


class ConfigError(Exception):
    """A bad config file: reported as ``wireclean: error: FILE: message``, exit 2."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class Settings:
    path: str | None = None
    style: str | None = None
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    protected: tuple[str, ...] = ()
    text_field: str | None = None
    extensions: Mapping[str, str] = field(default_factory=dict)


def find(paths: Iterable[str] = (), cwd: str | None = None) -> str | None:
    """The nearest ``pyproject.toml`` with ``[tool.wireclean]`` above ``paths``."""
    cwd = os.path.abspath(cwd or os.getcwd())
    dirs = []
    for p in paths:
        if p == "-":
            continue
        p = os.path.join(cwd, p)
        dirs.append(p if os.path.isdir(p) else os.path.dirname(p))
    try:
        here = os.path.commonpath(dirs) if dirs else cwd
    except ValueError:           # paths on different drives
        here = cwd
    while True:
        candidate = os.path.join(here, "pyproject.toml")
        if os.path.isfile(candidate) and _has_table(candidate):
            return candidate
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _has_table(path: str) -> bool:
    try:
        return "wireclean" in _read(path).get("tool", {})
    except ConfigError:
        return True              # let load() report the broken file rather than skip it


def _read(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(path, f"not valid TOML: {e}") from None
    except OSError as e:
        raise ConfigError(path, e.strerror.lower() if e.strerror else str(e)) from None
    except UnicodeDecodeError:
        raise ConfigError(path, "not valid UTF-8") from None


def load(path: str) -> Settings:
    """Settings from ``path``'s ``[tool.wireclean]`` table (empty settings if it has none)."""
    table = _read(path).get("tool", {}).get("wireclean", {})
    if not isinstance(table, dict):
        raise ConfigError(path, "[tool.wireclean] must be a table")
    return parse(table, path)


def parse(table: Mapping[str, Any], path: str) -> Settings:
    known = {"style", "select", "extend-select", "ignore", "protected", "text-field",
             "extensions"}
    for key in table:
        if key not in known:
            hint = f" (did you mean {key.replace('_', '-')!r}?)" \
                if key.replace("_", "-") in known else ""
            raise ConfigError(path, f"[tool.wireclean]: unknown key {key!r}{hint}; "
                                    f"known: {', '.join(sorted(known))}")

    def strings(key: str) -> tuple[str, ...] | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(path, f"[tool.wireclean] {key} must be a list of strings")
        return tuple(value)

    def string(key: str, choices: Iterable[str] | None = None) -> str | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise ConfigError(path, f"[tool.wireclean] {key} must be a non-empty string")
        if choices is not None and value not in choices:
            raise ConfigError(path, f"[tool.wireclean] {key} = {value!r}: choose one of "
                                    f"{', '.join(choices)}")
        return value

    extensions = table.get("extensions", {})
    if not isinstance(extensions, dict):
        raise ConfigError(path, "[tool.wireclean] extensions must be a table, "
                                'such as { ndjson = "jsonl" }')
    mapped = {}
    for ext, fmt in extensions.items():
        if fmt not in FORMATS:
            raise ConfigError(path, f"[tool.wireclean] extensions: {ext} = {fmt!r}: "
                                    f"choose one of {', '.join(FORMATS)}")
        mapped["." + ext.lower().lstrip(".")] = fmt

    return Settings(
        path=path,
        style=string("style", STYLES),
        select=strings("select"),
        extend_select=strings("extend-select") or (),
        ignore=strings("ignore") or (),
        protected=strings("protected") or (),
        text_field=string("text-field"),
        extensions=mapped,
    )


def rule_selection(settings: Settings, select: tuple[str, ...] | None,
                   extend_select: tuple[str, ...] = (), ignore: tuple[str, ...] = ()
                   ) -> tuple[tuple[str, ...] | None, tuple[str, ...], tuple[str, ...]]:
    """``(select, extend_select, ignore)`` after command-line flags meet the file.

    >>> s = Settings(select=("spacing",), ignore=("S006",))
    >>> rule_selection(s, None, (), ("S001",))
    (('spacing',), (), ('S006', 'S001'))
    >>> rule_selection(s, ("S006",))
    (('S006',), (), ())
    """
    if select is not None:
        return select, extend_select, ignore
    return settings.select, settings.extend_select + extend_select, settings.ignore + ignore
