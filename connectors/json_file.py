"""``connector: json`` -- a directory kept in one JSON file: the reference connector and the default test
double, usable as a source and as a target.

Settings: ``path`` (relative to the job file's folder), optional ``multiValued`` (attribute names that
always hold lists). The file holds ``{"User": [{"id": "u1", "displayName": ..., "manager": "u2"}], ...}``;
references hold ids of this file.

* Source: changes are found through the engine's data store (fingerprints, see ``_fingerprints``); an object
  gone from the file is a tombstone on an incremental read. ``accountEnabled: false`` and a non-null
  ``deletedDateTime`` are plain attributes: the engine derives IsSoftDeleted from them.
* Target: new objects get uuid4 ids; each ``apply`` batch ends with one atomic rewrite (temporary file +
  rename), so a crash leaves the old file or the new one. Soft delete is supported in the sense that the
  file keeps whatever the engine writes (e.g. ``accountEnabled: false``).
* A missing file is an empty directory (created by the first write); a file that is not valid JSON is a
  ``ConnectorConfigError`` naming the file, line and column; a wrong shape names the JSON path.
* The file is re-read when its modification time or size changes, so a long-lived connector (the daemon)
  sees edits made between cycles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._base import ApplyResult, Change, ConnectorContext
from ._describe import directory_definition, infer_attributes
from ._directory import Directory
from ._directory_connector import DirectoryConnector
from ._errors import ConnectorConfigError, ConnectorError
from ._files import atomic_write, file_stamp, setting_path
from ._objects_json import dump_document, load_objects, parse_file


class JsonFileConnector(DirectoryConnector):
    kind = "json"

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(settings, context)
        self.path = setting_path(settings, context, self.kind)
        multi = settings.get("multiValued", [])
        if not isinstance(multi, list) or not all(isinstance(m, str) for m in multi):
            raise ConnectorConfigError(
                "must be a list of attribute names", setting="multiValued", connector=self.kind
            )
        self._multi = frozenset(multi)
        self._directory: Directory | None = None
        self._stamp: tuple[int, int] | None = None

    def validate_credentials(self) -> None:
        self._load()

    def describe(self) -> dict[str, Any]:
        directory = self._load()
        types = list(dict.fromkeys([*self.context.object_types, *directory.object_types()]))
        objects = {t: infer_attributes((o.attributes for o in directory.objects(t)), "id") for t in types}
        return directory_definition(self.context.directory_name, objects)

    def _directory_for(self, object_type: str) -> Directory:
        return self._load()

    def apply(self, changes: Sequence[Change]) -> list[ApplyResult]:
        directory = self._load()
        results = directory.apply(changes)
        if any(result.ok for result in results):
            self._save(directory)
        return results

    # -- the file -----------------------------------------------------------------------------------------

    def _load(self) -> Directory:
        stamp = file_stamp(self.path)
        if self._directory is not None and stamp == self._stamp:
            return self._directory
        directory = Directory(multi_valued=self._multi)
        if stamp is not None:
            for object_type, object_id, attributes in load_objects(self._parse(), str(self.path), self.kind):
                directory.put(object_type, object_id, attributes)
        self._directory, self._stamp = directory, stamp
        return directory

    def _parse(self) -> object:
        try:
            text = self.path.read_text(encoding="utf-8-sig")  # a byte-order mark (Windows editors) is fine
        except UnicodeDecodeError as exc:
            raise ConnectorConfigError(
                f"{self.path}: not UTF-8 text (byte {exc.start})", setting="path", connector=self.kind
            ) from exc
        except OSError as exc:
            raise ConnectorError(
                f"cannot read {self.path}: {exc.strerror or exc}", connector=self.kind
            ) from exc
        return parse_file(self.path, text)

    def _save(self, directory: Directory) -> None:
        try:
            atomic_write(self.path, dump_document(directory.snapshot()), kind=self.kind)
        except ConnectorError:
            # The file still holds the previous batch: forget the in-memory copy so nothing unsaved is served.
            self._directory = None
            raise
        self._stamp = file_stamp(self.path)


__all__ = ["JsonFileConnector"]
