"""The write journal of the file connectors (json, csv): what each applied batch did, appended beside the
file, so a batch costs what the batch holds, not what the file holds.

A target file is rewritten once per cycle, not once per batch. Each ``apply`` batch appends one line to
``<file>.journal`` -- a JSON list of ``[object type, id, attributes]`` records, each the object's whole state
after the batch (``null`` attributes: deleted) -- and fsyncs it before ``apply`` returns. At the end of the
cycle (``Connector.end_cycle``; never ``close``) the connector folds the journal into the file: the whole
file is written to a temporary file, flushed and renamed over the old one (``_files.atomic_write``), then
the journal is removed. So after every cycle the file is whole and current for any other tool.

Crash guarantees (the same as the old rewrite per batch):

* nothing acknowledged is lost: a batch's line is on disk before ``apply`` returns its results;
* nothing is half-written: a line cut by a crash (no final newline, or not valid JSON) is the batch whose
  ``apply`` never returned; it is dropped, as an unfinished rewrite was (the engine's create journal finds
  or re-creates those objects). The file itself is only ever replaced whole;
* the next writer folds what a crashed one left before appending (``apply`` on a connector that did not
  start the journal), and any reader replays it on top of the file, so nothing written is missed;
* folding twice is harmless: records are whole states (a fold that renamed the file but crashed before
  removing the journal replays the same states again).

A reader never folds or removes a journal (it could be another process's, still being written): it replays
it in memory.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ._base import ApplyResult, Change, Operation
from ._directory import Directory
from ._errors import ConnectorError
from ._objects_json import compact_bytes

Record = tuple[str, str, dict[str, Any] | None]
"""(object type, id, attributes after the batch; None: deleted)."""


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


class WriteJournal:
    """The append-only journal beside one file (see the module docstring)."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path = journal_path(path)
        self.kind = kind
        self._handle: int | None = None
        self._inode: int | None = None

    def exists(self) -> bool:
        return self.path.exists()

    @property
    def active(self) -> bool:
        """True once this journal has appended a batch not folded yet (this connector's own writes)."""
        return self._handle is not None

    def foreign(self) -> bool:
        """True when a journal exists that this one did not start (a crashed writer's, or one already folded
        by another process and started again): fold it before appending."""
        try:
            inode = os.stat(self.path).st_ino
        except (FileNotFoundError, NotADirectoryError):
            self._close()
            return False
        return self._handle is None or inode != self._inode

    def append(self, records: Sequence[Record]) -> None:
        """One batch as one line, on disk before this returns; a failure leaves the journal as it was."""
        if not records:
            return
        line = compact_bytes(records) + b"\n"
        try:
            if self._handle is None:
                self._open()
            assert self._handle is not None
            start = os.lseek(self._handle, 0, os.SEEK_END)
            try:
                view = memoryview(line)
                while view:
                    view = view[os.write(self._handle, view) :]
                os.fsync(self._handle)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._handle, start)
                raise
        except OSError as exc:
            message = f"cannot write {self.path}: {exc.strerror or exc}"
            raise ConnectorError(message, connector=self.kind) from exc

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        self._handle = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._inode = os.fstat(self._handle).st_ino
        if created:  # the journal's own name must survive a crash too
            _fsync_folder(self.path.parent)

    def records(self) -> Iterator[Record]:
        """Every record of the complete lines, in order (a line cut by a crash is dropped); read a line at a
        time, so replaying a large cycle's journal holds one batch of it."""
        try:
            handle = self.path.open("rb")
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            message = f"cannot read {self.path}: {exc.strerror or exc}"
            raise ConnectorError(message, connector=self.kind) from exc
        with handle:
            number, line = 0, handle.readline()
            while line.endswith(b"\n"):  # a line without its newline is one a crash cut
                number, following = number + 1, handle.readline()
                try:
                    batch = json.loads(line)
                except ValueError as exc:
                    if not following:  # the last line, cut where a newline happened to be written
                        return
                    raise ConnectorError(
                        f"{self.path}:{number}: the write journal is damaged ({exc}); "
                        "move it away to keep the file as it is",
                        connector=self.kind,
                    ) from exc
                yield from (tuple(record) for record in batch)
                line = following

    def discard(self) -> None:
        """Remove the journal (after its records are in the file)."""
        self._close()
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            raise ConnectorError(
                f"cannot remove {self.path}: {exc.strerror or exc}", connector=self.kind
            ) from exc

    def _close(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                os.close(self._handle)
        self._handle = self._inode = None

    def close(self) -> None:
        self._close()


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def journal_records(
    directory: Directory, changes: Sequence[Change], results: Sequence[ApplyResult]
) -> list[Record]:
    """What a batch did, for the journal: each object it wrote as it now is (None: deleted)."""
    raw, delete = directory.raw, Operation.DELETE
    return [
        (change.object_type, target, None if change.operation is delete else raw(change.object_type, target))
        for change, (_, target, error) in zip(changes, results, strict=True)
        if error is None and target is not None
    ]


def replay(directory: Directory, journal: WriteJournal) -> None:
    """The journal's records applied to ``directory`` (loaded from the file)."""
    for object_type, object_id, attributes in journal.records():
        if attributes is None:
            directory.remove(object_type, object_id)
        else:
            directory.adopt(object_type, object_id, attributes)  # just decoded: nobody else holds it


__all__ = ["Record", "WriteJournal", "journal_path", "journal_records", "replay"]
