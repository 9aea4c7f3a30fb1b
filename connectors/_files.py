"""File helpers for the file-backed connectors (json, csv): settings paths and atomic rewrites."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ._base import ConnectorContext
from ._errors import ConnectorConfigError, ConnectorError


def setting_path(settings: Mapping[str, Any], context: ConnectorContext, kind: str) -> Path:
    """The ``path`` setting, relative to the job file's folder."""
    raw = settings.get("path")
    if not isinstance(raw, str) or not raw.strip():
        raise ConnectorConfigError(
            "a file path is required, e.g. path: users.json", setting="path", connector=kind
        )
    path = Path(raw).expanduser()
    return path if path.is_absolute() else context.base_dir / path


def file_stamp(path: Path, kind: str = "file") -> tuple[int, int] | None:
    """(mtime in ns, size) to notice edits between cycles; None when the file does not exist."""
    try:
        stat = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise ConnectorError(f"cannot read {path}: {exc.strerror or exc}", connector=kind) from exc
    return (stat.st_mtime_ns, stat.st_size)


def atomic_write(
    path: Path, text: str | Iterable[str], *, encoding: str = "utf-8", kind: str, newline: str | None = None
) -> None:
    """Write ``text`` (or its pieces, one after the other) to a temporary file beside ``path``, flush it to
    disk, then rename it over ``path``: readers see the old file or the new one, never half of one."""

    def write(fd: int) -> None:
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as handle:
            if isinstance(text, str):
                handle.write(text)
            else:
                handle.writelines(text)
            handle.flush()
            os.fsync(handle.fileno())

    _replace(path, write, encoding, kind)


def atomic_write_bytes(path: Path, pieces: Iterable[bytes], *, kind: str) -> None:
    """``atomic_write`` of pieces already encoded (UTF-8 JSON from orjson: no decoding and encoding again)."""

    def write(fd: int) -> None:
        with os.fdopen(fd, "wb") as handle:
            handle.writelines(pieces)
            handle.flush()
            os.fsync(handle.fileno())

    _replace(path, write, "utf-8", kind)


def _replace(path: Path, write: Callable[[int], None], encoding: str, kind: str) -> None:
    """``write`` a temporary file beside ``path`` (given its descriptor), then rename it over ``path``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            os.fchmod(fd, _mode(path))  # mkstemp's 0600 would hide the file from other readers
            write(fd)
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
    except OSError as exc:
        raise ConnectorError(f"cannot write {path}: {exc.strerror or exc}", connector=kind) from exc
    except (UnicodeEncodeError, LookupError) as exc:
        raise ConnectorError(f"cannot write {path} in encoding {encoding!r}: {exc}", connector=kind) from exc


def _mode(path: Path) -> int:
    """The file's own permissions when it exists, else what a newly created file gets (0666 less the umask;
    the umask read from ``/proc`` where there is one: setting it to read it is not thread-safe)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        pass
    umask = 0o022
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    umask = int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o666 & ~umask
