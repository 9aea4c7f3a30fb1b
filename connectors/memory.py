"""``connector: memory`` -- an in-memory directory for tests and embedding.

Settings (all optional):

* ``objects``: the initial objects, in the json connector's shape ``{"User": [{"id": "u1", ...}], ...}``.
* ``name``: share one directory between every memory connector of this process with that name (a job file
  can then name it, and a test reads it back with ``memory_directory(name)``).
* ``multiValued``: attribute names that always hold lists (see ``_directory`` for the list rules).

``context.options["directory"]`` may hand in a ``Directory`` to use instead. Tests mutate and read it through
``connector.directory`` (``put``, ``remove``, ``attributes``, ``objects``, ``snapshot``), and can make a write
fail part-way with ``connector.fail_after(n, error)`` to test crash recovery; ``connector.applied``
lists every change written.

Changes are found through the engine's data store like the json connector (fingerprints), so the memory
directory behaves exactly like a json file minus the file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._base import ApplyResult, Change, ConnectorContext
from ._describe import directory_definition, infer_attributes
from ._directory import Directory
from ._directory_connector import DirectoryConnector
from ._errors import ConnectorConfigError, ConnectorError
from ._objects_json import load_objects

_SHARED: dict[str, Directory] = {}


def memory_directory(name: str) -> Directory:
    """The process-wide directory shared by memory connectors with ``name: <name>`` (created when new)."""
    return _SHARED.setdefault(name, Directory())


def reset_memory_directories() -> None:
    """Forget every shared directory (test isolation)."""
    _SHARED.clear()


class MemoryConnector(DirectoryConnector):
    kind = "memory"
    settings_keys = frozenset({"name", "multiValued", "objects"})

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(settings, context)
        self.directory = self._directory_from(settings, context)
        self.applied: list[Change] = []
        """Every change ``apply`` was given, in order (tests assert "a second cycle writes nothing")."""
        self._fail_after: int | None = None
        self._failure: ConnectorError | None = None
        initial = settings.get("objects")
        if initial is not None:
            for object_type, object_id, attributes in load_objects(initial, "settings 'objects'", self.kind):
                self.directory.put(object_type, object_id, attributes)

    @staticmethod
    def _directory_from(settings: Mapping[str, Any], context: ConnectorContext) -> Directory:
        given = context.options.get("directory")
        if given is not None:
            if not isinstance(given, Directory):
                raise ConnectorConfigError("options['directory'] must be a Directory", connector="memory")
            return given
        name = settings.get("name")
        if name is not None and not isinstance(name, str):
            raise ConnectorConfigError("must be a string", setting="name", connector="memory")
        multi = settings.get("multiValued", [])
        if not isinstance(multi, list) or not all(isinstance(m, str) for m in multi):
            raise ConnectorConfigError(
                "must be a list of attribute names", setting="multiValued", connector="memory"
            )
        directory = memory_directory(name) if name else Directory()
        directory.multi_valued = directory.multi_valued | frozenset(multi)
        return directory

    def fail_after(self, changes: int, error: ConnectorError) -> None:
        """Make ``apply`` raise ``error`` once ``changes`` more changes were written (a crash mid-batch)."""
        self._fail_after, self._failure = changes, error

    def describe(self) -> dict[str, Any]:
        types = list(dict.fromkeys([*self.context.object_types, *self.directory.object_types()]))
        objects = {
            t: infer_attributes((o.attributes for o in self.directory.objects(t)), "id") for t in types
        }
        return directory_definition(self.context.directory_name, objects)

    def _directory_for(self, object_type: str) -> Directory:
        return self.directory

    def apply(self, changes: Sequence[Change]) -> list[ApplyResult]:
        results: list[ApplyResult] = []
        for change in changes:
            self._maybe_fail()
            self.applied.append(change)
            results.append(self.directory.apply_one(change))
        return results

    def _maybe_fail(self) -> None:
        if self._fail_after is None or self._failure is None:
            return
        if self._fail_after <= 0:
            failure, self._fail_after, self._failure = self._failure, None, None
            raise failure
        self._fail_after -= 1


__all__ = ["Directory", "MemoryConnector", "memory_directory", "reset_memory_directories"]
