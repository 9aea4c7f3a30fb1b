"""``connector: json`` -- a directory kept in one JSON file: the reference connector and the default test
double, usable as a source and as a target.

Settings: ``path`` (relative to the job file's folder), optional ``multiValued`` (attribute names that
always hold lists; the job's schema's multi-valued attributes are added), optional ``pretty`` (``true``: the
file indented, two spaces a level; by default compact, one object a line). The file holds
``{"User": [{"id": "u1", "displayName": ..., "manager": "u2"}], ...}``;
references hold ids of this file. A value may be complex -- a JSON object such as SCIM's ``name``
(``{"givenName": ..., "familyName": ...}``), or a list of them such as ``addresses`` or ``emails`` --: it is
read, passed to the engine and written back as it is (compared and found by its JSON text, never merged
member by member); a target that cannot hold one (csv) refuses that object, naming the attribute.

* Source: ``read`` decodes the file a few dozen objects at a time while it yields its pages: it
  holds about a page of objects and the set of ids read (for the duplicate check and the deletions), never
  the whole document, and skips the other object types' lists without decoding them. A file broken half-way
  (a syntax error, a duplicate id) fails the read where it is found, after the pages before it: like a
  directory that drops its connection, the cycle fails and nothing is deleted (deletions are found only once
  a read is complete). ``find``, ``apply`` and ``describe`` load the whole file (targets, lookups); ``get``
  uses it when loaded, and otherwise keeps only the objects asked for from one pass over the file.
* Changes are found through the engine's data store (fingerprints, see ``_fingerprints``); an object
  gone from the file is a tombstone on an incremental read. ``accountEnabled: false`` and a non-null
  ``deletedDateTime`` are plain attributes: the engine derives IsSoftDeleted from them.
* Target: new objects get uuid4 ids; each ``apply`` batch is appended to a write journal beside the file
  (``<file>.journal``, fsynced before ``apply`` returns), and the file is rewritten atomically (temporary
  file + rename) once, at the end of the cycle (``end_cycle``, never ``close``): a batch costs what it holds,
  not what the file holds, and a crash loses nothing acknowledged and leaves no half-written file (see
  ``_journal``). Soft delete is supported in the sense that the file keeps whatever the engine writes (e.g.
  ``accountEnabled: false``).
* A missing file is an empty directory for a target (created by the first write), but read as a source it is
  a ``ConnectionFailed`` -- a file that did not arrive must not look like everybody left -- unless the
  binding says ``missingIs: empty`` (``error``, the default, or ``empty``); a file that is not valid JSON is a
  ``ConnectorConfigError`` naming the file, line and column; a wrong shape names the JSON path; an object
  name given twice at the top (``{"User": [...], "User": [...]}``) is an error (``json.loads`` would keep the
  second list silently).
* The file is re-read when its modification time or size changes, so a long-lived connector (the daemon)
  sees edits made between cycles.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

from ._base import (
    ApplyResult,
    Change,
    ConnectorContext,
    DataStore,
    DirectoryObject,
    Page,
    Watermark,
)
from ._describe import directory_definition, infer_attributes
from ._directory import Attributes, Directory
from ._directory_connector import DirectoryConnector
from ._errors import ConnectionFailed, ConnectorConfigError, ConnectorError
from ._files import atomic_write, atomic_write_bytes, file_stamp, setting_path
from ._fingerprints import datastore_batch_pages
from ._journal import WriteJournal, journal_records, replay
from ._json_stream import Bookmarks
from ._objects_json import document_lines, dump_document, stream_batches


class JsonFileConnector(DirectoryConnector):
    kind = "json"
    settings_keys = frozenset({"path", "multiValued", "pretty", "missingIs"})

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(settings, context)
        self.path = setting_path(settings, context, self.kind)
        multi = settings.get("multiValued", [])
        if not isinstance(multi, list) or not all(isinstance(m, str) for m in multi):
            raise ConnectorConfigError(
                "must be a list of attribute names", setting="multiValued", connector=self.kind
            )
        self._multi = frozenset(multi) | context.multi_valued  # the schema's multi-valued attributes too
        missing = settings.get("missingIs", "error")
        if missing not in ("error", "empty"):
            raise ConnectorConfigError("must be error or empty", setting="missingIs", connector=self.kind)
        self._missing_is_empty = missing == "empty"
        pretty = settings.get("pretty", False)
        if not isinstance(pretty, bool):
            raise ConnectorConfigError("must be true or false", setting="pretty", connector=self.kind)
        self._pretty = pretty
        self._journal = WriteJournal(self.path, self.kind)
        self._directory: Directory | None = None
        self._stamp: tuple[int, int] | None = None
        self._bookmarks = Bookmarks()  # where each object type's list starts in the file as last read
        self._checked: tuple[int, int] | None = None  # the version validate_credentials last found good

    def validate_credentials(self) -> None:
        # Checked as a stream, once per version of the file: a daemon that only reads it never holds it whole.
        stamp = file_stamp(self.path, self.kind)
        if stamp is None or stamp in (self._stamp, self._checked):
            return
        for _ in stream_batches(self.path, bookmarks=self._bookmarks):
            pass
        self._checked = stamp

    def describe(self) -> dict[str, Any]:
        directory = self._load()
        types = list(dict.fromkeys([*self.context.object_types, *directory.object_types()]))
        objects = {t: infer_attributes((o.attributes for o in directory.objects(t)), "id") for t in types}
        return directory_definition(self.context.directory_name, objects)

    def _directory_for(self, object_type: str) -> Directory:
        return self._load()

    def read(
        self,
        object_type: str,
        since: Watermark | None = None,
        *,
        page_size: int = 1000,
        store: DataStore | None = None,
    ) -> Iterator[Page]:
        """The objects of ``object_type`` decoded from the file as the pages are asked for (the other object
        types' lists skipped), a few dozen at a time; their ids, which the duplicate check collects, are the
        read's for its deletions. Not ``DirectoryConnector.read``: it takes objects one by one, not lists."""
        if self._journal.exists():  # writes not folded into the file yet (a crash's, or this cycle's)
            return super().read(object_type, since, page_size=page_size, store=store)
        ids: dict[str, set[str]] = {object_type: set()}
        batches: Iterable[list[DirectoryObject]] = []
        if file_stamp(self.path, self.kind) is None and not self._missing_is_empty:
            raise ConnectionFailed(
                f"{self.path} does not exist; check the 'path' setting (or set missingIs: empty if a missing "
                "file means a directory with nobody in it)",
                connector=self.kind,
            )
        if file_stamp(self.path, self.kind) is not None:
            batches = stream_batches(self.path, object_type, ids, self._bookmarks)
        return datastore_batch_pages(
            batches, since, page_size=page_size, store=store, object_type=object_type, seen=ids[object_type]
        )

    def count(self, object_type: str) -> int | None:
        """Known only once the file is loaded (a target); a streamed source does not know its length."""
        directory = self._directory
        if directory is None or file_stamp(self.path, self.kind) != self._stamp:
            return None
        return directory.count(object_type)

    def get(self, object_type: str, ids: Sequence[str]) -> dict[str, DirectoryObject]:
        """From the loaded directory when there is one (a target); else by a pass over the file that keeps
        only the objects asked for (a source's escrow retries and crash intents, a few ids at a time), so
        a cycle that reads a large source never loads it whole."""
        stamp = file_stamp(self.path, self.kind)
        loaded = self._directory is not None and stamp == self._stamp
        if stamp is None or loaded or self._journal.exists():
            return self._load().get(object_type, ids)
        wanted, found = set(ids), dict[str, DirectoryObject]()
        for batch in stream_batches(self.path, object_type, bookmarks=self._bookmarks):
            # The whole list is still read: its errors are reported as by a read.
            found.update((obj.id, obj) for obj in batch if obj.id in wanted)
        return found

    def apply(self, changes: Sequence[Change]) -> list[ApplyResult]:
        directory = self._load()
        if self._journal.foreign():  # a crashed writer's journal: into the file before ours starts
            self._fold(directory)
        results = directory.apply(changes)
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
            self._fold(self._load())

    def close(self) -> None:
        # The journal is never folded here: only ``end_cycle``, which the engine calls while it still holds
        # the job's lease. A process whose lease was taken over must not rewrite the file (it would drop the
        # new holder's batches); what it journaled is durable and folded by the next writer or cycle's end.
        self._journal.close()

    # -- the file -----------------------------------------------------------------------------------------

    def _load(self) -> Directory:
        stamp = file_stamp(self.path, self.kind)
        if self._directory is not None and stamp == self._stamp:
            return self._directory
        directory = Directory(multi_valued=self._multi)
        if stamp is not None:
            for batch in stream_batches(self.path, bookmarks=self._bookmarks):
                for obj in batch:  # just decoded: nobody else holds their attributes
                    directory.adopt(obj.object_type, obj.id, cast(Attributes, obj.attributes))
        replay(directory, self._journal)
        self._directory, self._stamp = directory, stamp
        return directory

    def _fold(self, directory: Directory) -> None:
        """The file rewritten whole from ``directory`` (atomically), then the journal removed."""
        try:
            if self._pretty:
                atomic_write(self.path, dump_document(directory.snapshot()), kind=self.kind)
            else:
                lists = ((t, directory.items(t)) for t in directory.object_types())
                atomic_write_bytes(self.path, document_lines(lists), kind=self.kind)
            self._journal.discard()
        except ConnectorError:
            # The file still holds what it held: forget the in-memory copy (file + journal is reloaded).
            self._directory = None
            raise
        self._stamp = file_stamp(self.path)


__all__ = ["JsonFileConnector"]
