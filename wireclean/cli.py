"""The ``wireclean`` command line. Thin: reading, fixing and reporting live in
:mod:`wireclean.io` and :mod:`wireclean.fix`; this module wires flags to them.

Exit codes, for every command: 0 clean (or fixed), 1 findings or changes needed (in
``--check``/``--diff`` mode, or after fixing with ``--exit-non-zero-on-fix``), 2 usage or
input error. Input errors are one line each, ``wireclean: error: PATH[:LINE]: message``;
when several files are given and one is bad, the others are still processed.

Other commands (``dedup``, ``index``) live in their own modules: add them to
``LAZY_COMMANDS`` so they are imported only when used, and ``wireclean fix`` keeps
starting without numpy.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, NoReturn

import click

from . import __version__
from . import config as wconfig
from . import io as wio
from .fix import Fixer, UnknownRuleError, select_rules
from .fix.pipeline import STYLES

# name -> "module:attribute" of a click command, imported on first use.
LAZY_COMMANDS: dict[str, str] = {"dedup": "wireclean.dedup_cli:dedup", "index": "wireclean.dedup_cli:index"}


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS:
            module, attribute = LAZY_COMMANDS[name].split(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # The reader went away (`wireclean fix --check . | head`): stop quietly, as
            # grep does, and keep Python from failing again when it flushes stdout at exit.
            with suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(1) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wireclean")
def main() -> None:
    """Clean and de-duplicate news wire copy."""


def error(where: str, message: str) -> None:
    click.echo(f"wireclean: error: {where}: {message}", err=True)


def note(where: str, message: str) -> None:
    click.echo(f"wireclean: note: {where}: {message}", err=True)


def _codes(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(c.strip() for c in value.split(",") if c.strip())


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass
class _Tally:
    files: int = 0
    changed: int = 0
    changes: int = 0
    errors: int = 0
    reports: list[dict[str, Any]] = field(default_factory=list)
    error_reports: list[dict[str, Any]] = field(default_factory=list)

    def error(self, path: str, message: str, line: int | None = None) -> None:
        self.errors += 1
        self.error_reports.append({"path": path, "line": line, "message": message})
        error(f"{path}:{line}" if line else path, message)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--check", is_flag=True,
              help="Change nothing; list what would change as path:line:col. Exit 1 if any.")
@click.option("--diff", is_flag=True,
              help="Change nothing; print a unified diff of what would change. Exit 1 if any.")
@click.option("--report", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help="json: the changes of every file as JSON on stdout (for -, instead of "
                   "the fixed text).")
@click.option("--style", type=click.Choice(STYLES), default=None,
              help="House style for restored names (default from config, else auto).")
@click.option("--select", metavar="CODES",
              help="Comma-separated rules to run instead of the defaults (ids, prefixes, families).")
@click.option("--extend-select", metavar="CODES", help="Comma-separated rules to add.")
@click.option("--ignore", metavar="CODES", help="Comma-separated rules to skip.")
@click.option("--text-field", metavar="NAME",
              help="JSONL/CSV field holding the text (default from config, else 'text').")
@click.option("--encoding", default="utf-8", show_default=True,
              help="Encoding of the input files (written back in the same encoding).")
@click.option("--format", "forced_format", type=click.Choice(wconfig.FORMATS),
              help="Treat every input as this format, whatever its extension (stdin: txt).")
@click.option("--config", "config_file", metavar="FILE",
              help="pyproject.toml to read [tool.wireclean] from (default: nearest one).")
@click.option("--exit-non-zero-on-fix", is_flag=True,
              help="Exit 1 when files were changed (default: 0).")
@click.option("-q", "--quiet", is_flag=True, help="No summary or per-file messages.")
def fix(paths: tuple[str, ...], check: bool, diff: bool, report: str, style: str | None,
        select: str | None, extend_select: str | None, ignore: str | None,
        text_field: str | None, encoding: str, forced_format: str | None,
        config_file: str | None, exit_non_zero_on_fix: bool, quiet: bool) -> None:
    """Repair spinner and scraper damage in PATHS, in place.

    PATHS are files, directories (walked for .txt .md .markdown .jsonl .csv, skipping
    hidden ones) or - to read stdin and write the fixed text to stdout.

    Exit status: 0 clean or fixed; 1 when --check or --diff finds changes (or files were
    fixed, with --exit-non-zero-on-fix); 2 on a usage or input error.
    """
    if diff and report == "json":
        raise click.UsageError("--diff and --report json both write to stdout; choose one")
    settings = _settings(paths, config_file)
    try:
        "x".encode(encoding)                 # also refuses bytes-to-bytes codecs (base64)
    except LookupError:
        _usage_error("--encoding", f"unknown text encoding {encoding!r}")
    fixer = _fixer(settings, style, _codes(select), _codes(extend_select), _codes(ignore))
    text_field = text_field or settings.text_field or "text"
    dry = check or diff
    tally = _Tally()

    for item in wio.collect(paths, {**wio.EXTENSIONS, **settings.extensions}, forced_format):
        if isinstance(item, wio.Problem):
            if item.error:
                tally.error(item.path, item.error.message, item.error.line)
            elif not quiet:
                note(item.path, item.note or "")
            continue
        _fix_one(item, fixer, text_field, encoding, tally, check=check, diff=diff,
                 json_report=report == "json", quiet=quiet)

    if report == "json":
        click.echo(json.dumps({
            "files": tally.reports,
            "errors": tally.error_reports,
            "summary": {"files": tally.files, "changed": tally.changed,
                        "changes": tally.changes, "errors": tally.errors},
        }, ensure_ascii=False, indent=2))
    if not quiet:
        parts = [f"{_plural(tally.changed, 'file')} {'would be fixed' if dry else 'fixed'}",
                 _plural(tally.changes, "change")]
        if tally.files > tally.changed:
            parts.append(f"{_plural(tally.files - tally.changed, 'file')} already clean")
        if tally.errors:
            parts.append(_plural(tally.errors, "error"))
        click.echo(", ".join(parts), err=True)

    if tally.errors:
        raise SystemExit(2)
    if tally.changed and (dry or exit_non_zero_on_fix):
        raise SystemExit(1)


def _fix_one(target: wio.Target, fixer: Fixer, text_field: str, encoding: str,
             tally: _Tally, *, check: bool, diff: bool, json_report: bool,
             quiet: bool) -> None:
    path = target.path
    stdin = path == wio.STDIN
    try:
        source = (wio.read_stream(sys.stdin.buffer, encoding) if stdin
                  else wio.read_file(path, encoding))
        fixed = wio.fix_document(source.text, target.format, fixer, text_field)
        output = source.encode(fixed.text)
    except wio.InputError as e:
        tally.error(path, e.message, e.line)
        return
    changed = fixed.text != source.text
    written = False

    if not (check or diff):
        if stdin:
            if not json_report:
                stream = sys.stdout.buffer
                stream.write(output)
                stream.flush()
        elif changed:
            try:
                wio.ensure_writable(source.target)
                wio.write_atomic(source.target, output)
            except wio.InputError as e:
                tally.error(path, f"{e.message} ({_plural(len(fixed.findings), 'change')} "
                                  "needed)")
                return
            written = True
            if not quiet:
                if source.is_symlink:
                    note(path, f"is a symlink; wrote its target {source.target}")
                click.echo(f"fixed {path} ({_plural(len(fixed.findings), 'change')})",
                           err=True)

    tally.files += 1
    if changed:
        tally.changed += 1
        tally.changes += len(fixed.findings)
    if json_report:
        tally.reports.append({"path": path, "format": target.format, "changed": changed,
                              "written": written,
                              "changes": [wio.report.finding_json(f) for f in fixed.findings]})
    elif diff:
        if changed:
            click.echo(wio.report.unified_diff(path, source.text, fixed.text), nl=False)
    elif check:
        for finding in fixed.findings:
            click.echo(wio.report.check_line(path, finding))


def _settings(paths: tuple[str, ...], config_file: str | None) -> wconfig.Settings:
    try:
        found = config_file or wconfig.find(paths)
        return wconfig.load(found) if found else wconfig.Settings()
    except wconfig.ConfigError as e:
        _usage_error(e.path, e.message)


def _fixer(settings: wconfig.Settings, style: str | None, select: tuple[str, ...] | None,
           extend_select: tuple[str, ...] | None, ignore: tuple[str, ...] | None) -> Fixer:
    config_origin = settings.path or "config"
    for origin, codes in (("--select", select), ("--extend-select", extend_select),
                          ("--ignore", ignore),
                          (f"{config_origin}: select", settings.select),
                          (f"{config_origin}: extend-select", settings.extend_select),
                          (f"{config_origin}: ignore", settings.ignore)):
        try:
            select_rules(select=codes or ())
        except UnknownRuleError as e:
            _usage_error(origin, str(e))
    chosen, extended, ignored = wconfig.rule_selection(settings, select, extend_select or (),
                                                       ignore or ())
    return Fixer(style or settings.style or "auto", select=chosen, ignore=ignored,
                 extend_select=extended, protected=settings.protected)


def _usage_error(where: str, message: str) -> NoReturn:
    error(where, message)
    raise SystemExit(2)


if __name__ == "__main__":
    main()
