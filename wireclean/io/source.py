"""Reading a file into text and writing fixed text back without risk to the original.

Files are read as bytes and decoded here, never through a newline-translating reader, so
CRLF stays CRLF and a missing final newline stays missing.

A UTF-8 byte order mark at the start of a file is the file's encoding marker, not text:
it is taken off before fixing (so the invisible-character rule never reports it) and put
back when the file is written.

>>> decode(b"\\xef\\xbb\\xbfWire\\r\\n", "utf-8")
('Wire\\r\\n', b'\\xef\\xbb\\xbf')
>>> decode(b"caf\\xe9", "utf-8")
Traceback (most recent call last):
...
wireclean.io.base.InputError: not valid utf-8: byte 0xE9 at byte offset 3 (column 4); if the file uses another encoding, pass --encoding (for example --encoding cp1252)

Writes are atomic: the new bytes go to a temporary file in the same directory, which then
replaces the original with :func:`os.replace` and the original's permission bits. A file
with no write permission bits is read-only by intent and is never rewritten, even by root.
"""

from __future__ import annotations

import codecs
import os
import stat
import tempfile
from contextlib import suppress
from dataclasses import dataclass

from .base import InputError

STDIN = "-"


@dataclass
class Source:
    """A decoded input. ``target`` is the file behind ``path`` (symlinks resolved)."""

    path: str
    target: str | None
    text: str
    encoding: str
    bom: bytes = b""

    @property
    def is_symlink(self) -> bool:
        return self.target is not None and os.path.islink(self.path)

    def encode(self, text: str) -> bytes:
        try:
            return self.bom + text.encode(self.encoding)
        except UnicodeEncodeError as e:
            bad = text[e.start]
            raise InputError(f"the fixed text has {bad!r} (U+{ord(bad):04X}), which "
                             f"{self.encoding} cannot encode; not changed") from None


def codec_name(encoding: str) -> str:
    """The canonical codec name; ``utf-8-sig`` counts as ``utf-8`` (BOMs are kept as found).

    >>> codec_name("UTF8"), codec_name("utf-8-sig"), codec_name("latin1")
    ('utf-8', 'utf-8', 'iso8859-1')
    """
    name = codecs.lookup(encoding).name
    return "utf-8" if name == "utf-8-sig" else name


def decode(raw: bytes, encoding: str) -> tuple[str, bytes]:
    """``(text, bom)`` from the bytes of a file; :class:`InputError` if it is not text."""
    codec = codec_name(encoding)
    bom = b""
    if codec == "utf-8" and raw.startswith(codecs.BOM_UTF8):
        bom, raw = codecs.BOM_UTF8, raw[len(codecs.BOM_UTF8):]
    if not codec.startswith(("utf-16", "utf-32")):
        nul = raw.find(b"\x00")
        if nul >= 0:
            raise InputError(f"binary file (NUL byte at byte offset {nul + len(bom)}); "
                             "only text files can be fixed")
    try:
        return raw.decode(codec), bom
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        bad = raw[e.start:max(e.end, e.start + 1)][:8]
        shown = " ".join(f"0x{b:02X}" for b in bad)
        plural = "s" if len(bad) > 1 else ""
        hint = "cp1252" if codec == "utf-8" else "utf-8"
        raise InputError(f"not valid {codec}: byte{plural} {shown} at byte offset "
                         f"{e.start + len(bom)} (column {column}); if the file uses another "
                         f"encoding, pass --encoding (for example --encoding {hint})",
                         line) from None


def read_file(path: str, encoding: str) -> Source:
    target = os.path.realpath(path)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        if os.path.islink(path):
            raise InputError(f"broken symlink (to {os.readlink(path)})") from None
        raise InputError("no such file or directory") from None
    except OSError as e:
        raise InputError(_os_message(e)) from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError("not a regular file")
    try:
        with open(target, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise InputError(_os_message(e)) from None
    text, bom = decode(raw, encoding)
    return Source(path, target, text, codec_name(encoding), bom)


def read_stream(stream, encoding: str) -> Source:
    """Read a binary stream (stdin) to the end."""
    text, bom = decode(stream.read(), encoding)
    return Source(STDIN, None, text, codec_name(encoding), bom)


def ensure_writable(target: str) -> None:
    """Refuse a file the user has marked read-only (no write bits), even when running
    as root, and one this process may not write."""
    try:
        st = os.stat(target)
    except OSError as e:
        raise InputError(_os_message(e)) from None
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) \
            or not os.access(target, os.W_OK):
        raise InputError("file is read-only; not changed")


def write_atomic(target: str, data: bytes) -> None:
    """Replace ``target`` with ``data`` all at once, keeping its permissions (and owner,
    where allowed). On any failure the original is left as it was."""
    directory, name = os.path.split(target)
    try:
        st = os.stat(target)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".wireclean-tmp",
                                   dir=directory or ".")
    except OSError as e:
        raise InputError(f"cannot write: {_os_message(e)}; not changed") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        if hasattr(os, "chown") and (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
            with suppress(OSError):
                os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, target)
    except BaseException as e:
        with suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise InputError(f"cannot write: {_os_message(e)}; not changed") from None
        raise


def _os_message(e: OSError) -> str:
    return e.strerror.lower() if e.strerror else str(e)
