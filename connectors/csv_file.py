"""``connector: csv`` -- a CSV file of one object type: a source for HR-style feeds, a target for exports.

Settings: ``path`` (relative to the job file's folder), ``anchor`` (the column holding each row's unique id),
optional ``delimiter`` (default ``,``), ``encoding`` (default ``utf-8``; a byte-order mark is accepted),
``multiValueSeparator`` (e.g. ``;``), ``multiValueColumns`` (the columns that are lists; without it, any cell
holding the separator is one), ``fieldSizeLimit`` (the largest cell in characters, default 16 MiB; a larger
one makes its row unreadable), ``objectType`` (the object name the rows are; by default the one object
name the job's schema uses in this directory, e.g. ``Worker`` in the csv-to-ldap template).

* Attribute names are the header's column names; the anchor column is also an attribute; every value read
  is a string (see ``_csv_rows``).
* Source: changes through the engine's data store (fingerprints); a row missing from a new file is a
  deletion (a tombstone on an incremental read). A missing file, or one without even a header row, is a fatal
  ``ConnectionFailed`` when read as a source -- an HR drop that has not arrived must not look like everybody
  left.
* Malformed rows are skipped and reported, never silently dropped: each is logged as a warning on the
  ``connectors.csv`` logger (``file:line: reason``) and listed in ``CsvConnector.problems`` (``RowProblem``
  values) after each load. On an incremental read the anchor of a skipped row keeps its object from being
  taken for deleted, and a skipped row whose anchor cannot be read (an unterminated quote swallows the rest
  of the file) suspends every deletion of that read. A read that skipped rows says so on its pages
  (``Page.incomplete``, naming the first problem): the engine then finds no deletion by absence on a full
  read either.
* Target: creates take the anchor from their values (a uuid4 when none is given); the anchor cannot be
  changed; a complex value (a JSON object, from a json source) cannot be a cell: that object is refused
  (``ObjectRejected`` naming the attribute), the others are written; each batch is appended to a write
  journal beside the file (``<file>.journal``, fsynced), and the file is rewritten atomically once, at the
  end of the cycle (``end_cycle``; see ``_journal``). A file with malformed rows is never rewritten (that
  would drop them): ``apply`` raises a fatal error naming the lines to fix. A missing file is an empty
  directory for ``get`` / ``find`` / ``apply``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ._base import (
    ApplyResult,
    Change,
    ConnectorContext,
    DataStore,
    Operation,
    Page,
    Watermark,
)
from ._csv_rows import FIELD_LIMIT, CsvFormat, RowProblem, parse, render, unwritable
from ._describe import attribute_definition, directory_definition
from ._directory import Directory
from ._directory_connector import DirectoryConnector
from ._errors import ConnectionFailed, ConnectorConfigError, ConnectorError, ObjectRejected
from ._files import atomic_write, file_stamp, setting_path
from ._journal import WriteJournal, journal_records, replay

log = logging.getLogger("connectors.csv")


def _text_setting(settings: Mapping[str, Any], name: str, default: str | None) -> str | None:
    value = settings.get(name, default)
    if value is not None and (not isinstance(value, str) or not value):
        raise ConnectorConfigError("must be a non-empty string", setting=name, connector="csv")
    return value


def _format(settings: Mapping[str, Any]) -> CsvFormat:
    anchor = _text_setting(settings, "anchor", None)
    if anchor is None:
        raise ConnectorConfigError(
            "the anchor column is required, e.g. anchor: employeeId", setting="anchor", connector="csv"
        )
    delimiter = _text_setting(settings, "delimiter", ",") or ","
    if len(delimiter) != 1:
        raise ConnectorConfigError(
            f"must be one character, got {delimiter!r}", setting="delimiter", connector="csv"
        )
    columns = settings.get("multiValueColumns", [])
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise ConnectorConfigError(
            "must be a list of column names", setting="multiValueColumns", connector="csv"
        )
    separator = _text_setting(settings, "multiValueSeparator", None)
    if columns and separator is None:
        raise ConnectorConfigError(
            "needs multiValueSeparator as well", setting="multiValueColumns", connector="csv"
        )
    limit = settings.get("fieldSizeLimit", FIELD_LIMIT)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ConnectorConfigError(
            "must be a positive number of characters", setting="fieldSizeLimit", connector="csv"
        )
    return CsvFormat(anchor, delimiter, separator, frozenset(columns), limit)


def _object_type(settings: Mapping[str, Any], context: ConnectorContext) -> str | None:
    given = _text_setting(settings, "objectType", None)
    if given is not None:
        return given
    if len(context.object_types) > 1:
        raise ConnectorConfigError(
            f"a csv file holds one object type, but the schema uses {', '.join(context.object_types)} "
            "in this directory; bind one csv directory per object type, each with objectType",
            setting="objectType",
            connector="csv",
        )
    return context.object_types[0] if context.object_types else None


class CsvConnector(DirectoryConnector):
    kind = "csv"
    settings_keys = frozenset(
        {
            "path",
            "anchor",
            "delimiter",
            "multiValueColumns",
            "multiValueSeparator",
            "objectType",
            "encoding",
            "fieldSizeLimit",
        }
    )

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(settings, context)
        self.path = setting_path(settings, context, self.kind)
        self.format = _format(settings)
        self.encoding = _text_setting(settings, "encoding", "utf-8") or "utf-8"
        self._type = _object_type(settings, context)
        self.problems: list[RowProblem] = []
        self._columns: list[str] = []
        self._protected_ids: frozenset[str] = frozenset()
        self._trusted = True
        self._directory: Directory | None = None
        self._stamp: tuple[int, int] | None = None
        self._journal = WriteJournal(self.path, self.kind)

    def validate_credentials(self) -> None:
        self._load()

    def describe(self) -> dict[str, Any]:
        self._load()
        anchor = self.format.anchor
        attributes = [attribute_definition(anchor, anchor=True)]
        attributes += [
            attribute_definition(c, multivalued=c in self.format.multi_columns)
            for c in self._columns
            if c != anchor
        ]
        return directory_definition(self.context.directory_name, {self.object_type: attributes})

    def read(
        self,
        object_type: str,
        since: Watermark | None = None,
        *,
        page_size: int = 1000,
        store: DataStore | None = None,
    ) -> Iterator[Page]:
        self._check_type(object_type)
        if self._journal.active:  # this connector's own writes are read back: into the file first
            self.end_cycle()
        if file_stamp(self.path, self.kind) is None:
            raise ConnectionFailed(
                f"{self.path} does not exist; check the 'path' setting", connector=self.kind
            )
        self._load()
        if not self._columns:
            # A feed without even a header row is a failed export, not a company with nobody left.
            raise ConnectionFailed(f"{self.path} is empty (no header row)", connector=self.kind)
        pages = super().read(object_type, since, page_size=page_size, store=store)
        if not self.problems:
            return pages
        more = f" and {len(self.problems) - 1} more" if len(self.problems) > 1 else ""
        why = f"{self.problems[0]}{more}"
        return (dataclasses.replace(page, incomplete=why) for page in pages)

    def _directory_for(self, object_type: str) -> Directory:
        self._check_type(object_type)
        return self._load()

    def _protected(self) -> frozenset[str]:
        return self._protected_ids

    def _absences_trusted(self) -> bool:
        return self._trusted

    def apply(self, changes: Sequence[Change]) -> list[ApplyResult]:
        for change in changes:
            self._check_type(change.object_type)
        directory = self._load()
        if self.problems:
            lines = ", ".join(str(p.line) for p in self.problems[:10])
            raise ConnectorError(
                f"{self.path} has malformed rows (lines {lines}); fix them before writing to it"
            )
        if self._journal.foreign():  # a crashed writer's journal: into the file before ours starts
            self._save(directory)
        results = [self._apply_one(directory, change) for change in changes]
        records = journal_records(directory, changes, results)
        if records:
            try:
                self._journal.append(records)
            except ConnectorError:
                self._directory = None  # the batch is not on disk: serve nothing of it
                raise
        return results

    def end_cycle(self) -> None:
        """Fold the write journal into the file (one atomic rewrite); nothing to do if nothing was written."""
        if self._journal.exists():
            directory = self._load()
            if not self.problems:  # never rewrite a file with malformed rows (that would drop them)
                self._save(directory)

    def close(self) -> None:
        # The journal is never folded here: only ``end_cycle``, which the engine calls while it still holds
        # the job's lease. A process whose lease was taken over must not rewrite the file (it would drop the
        # new holder's batches); what it journaled is durable and folded by the next writer or cycle's end.
        self._journal.close()

    def _apply_one(self, directory: Directory, change: Change) -> ApplyResult:
        before = directory.attributes(self.object_type, change.target_id) if change.target_id else None
        result = directory.apply_one(change)
        if not result.ok or change.operation is Operation.DELETE or result.target_id is None:
            return result
        after = directory.attributes(self.object_type, result.target_id) or {}
        reason = unwritable(after, self.format)
        if reason is None:
            return result
        # Undo the one change the file could not hold faithfully.
        if before is None:
            directory.remove(self.object_type, result.target_id)
        else:
            directory.put(self.object_type, result.target_id, before)
        return ApplyResult(change.key, change.target_id, ObjectRejected(reason, connector=self.kind))

    @property
    def object_type(self) -> str:
        """The rows' object name: ``objectType``, the schema's only one, or the first one asked for."""
        return self._type or "User"

    def _check_type(self, object_type: str) -> None:
        if self._type is None:
            # No setting and no hint from the schema: the first object name asked for is the rows' name.
            self._type, self._directory = object_type, None
        if object_type != self._type:
            raise ConnectorConfigError(
                f"{self.path} holds {self._type} objects, not {object_type}; "
                "use one csv directory per object type (setting objectType)",
                setting="objectType",
                connector=self.kind,
            )

    # -- the file -----------------------------------------------------------------------------------------

    def _load(self) -> Directory:
        stamp = file_stamp(self.path, self.kind)
        if self._directory is not None and stamp == self._stamp:
            return self._directory
        directory = Directory(anchor=self.format.anchor, multi_valued=self.format.multi_columns)
        parsed = parse(self._text(), self.format, str(self.path)) if stamp is not None else None
        self._columns = parsed.columns if parsed else []
        self.problems = parsed.problems if parsed else []
        self._protected_ids = parsed.protected if parsed else frozenset()
        self._trusted = parsed.absences_trusted if parsed else True
        for problem in self.problems:
            log.warning("%s", problem)
        for object_id, row in (parsed.rows if parsed else {}).items():
            directory.adopt(self.object_type, object_id, row)  # just parsed: nobody else holds it
        replay(directory, self._journal)
        self._directory, self._stamp = directory, stamp
        return directory

    def _text(self) -> str:
        encoding = (
            "utf-8-sig" if self.encoding.lower().replace("_", "-") in {"utf-8", "utf8"} else self.encoding
        )
        try:
            # newline="": the csv module handles line ends itself; a \r inside a quoted cell is data.
            with self.path.open(encoding=encoding, newline="") as handle:
                return handle.read()
        except LookupError as exc:
            raise ConnectorConfigError(
                f"unknown encoding {self.encoding!r}", setting="encoding", connector=self.kind
            ) from exc
        except UnicodeDecodeError as exc:
            raise ConnectorConfigError(
                f"{self.path}: byte {exc.start} is not valid {self.encoding}; "
                "set 'encoding' to the file's encoding",
                setting="encoding",
                connector=self.kind,
            ) from exc
        except OSError as exc:
            raise ConnectorError(
                f"cannot read {self.path}: {exc.strerror or exc}", connector=self.kind
            ) from exc

    def _save(self, directory: Directory) -> None:
        """The file rewritten whole from ``directory`` (atomically), then the write journal removed."""
        rows = [attributes for _, attributes in directory.items(self.object_type)]
        text, columns = render(self._columns, rows, self.format)
        try:
            atomic_write(self.path, text, encoding=self.encoding, kind=self.kind, newline="")
            self._journal.discard()
        except ConnectorError:
            self._directory = None
            raise
        self._stamp = file_stamp(self.path, self.kind)
        self._columns = columns


__all__ = ["CsvConnector", "RowProblem"]
