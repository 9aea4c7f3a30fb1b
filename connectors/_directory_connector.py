"""The source/target half shared by the connectors whose directory is a ``Directory`` in memory (memory,
json, csv): reads through the data store (``_fingerprints``), ``get`` and ``find`` on the loaded objects.

A subclass says how to reach its ``Directory`` (``_directory_for``: load the file, check the object type)
and, for files, journals each ``apply`` and writes the file at the end of a cycle (``_journal``); the json
connector reads its file as a stream instead (its own ``read``).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Sequence

from ._base import Capabilities, Connector, DataStore, DirectoryObject, Page, Watermark
from ._directory import Directory
from ._fingerprints import datastore_pages


class DirectoryConnector(Connector):
    @abstractmethod
    def _directory_for(self, object_type: str) -> Directory:
        """The directory holding ``object_type`` (loaded and checked)."""

    def _protected(self) -> frozenset[str]:
        """Ids present but unreadable in the last load: neither changed nor deleted."""
        return frozenset()

    def _absences_trusted(self) -> bool:
        """False when the last load may have missed objects it could not identify (no tombstones then)."""
        return True

    @property
    def capabilities(self) -> Capabilities:
        # Soft delete: the directory keeps whatever the engine writes (e.g. accountEnabled: false).
        # A batch costs what it holds (a file connector's batch is one journal line and one fsync), so a
        # batch may be a whole page: fewer fsyncs, nothing more held than the page already is.
        return Capabilities(soft_delete=True, batch_size=5000)

    def read(
        self,
        object_type: str,
        since: Watermark | None = None,
        *,
        page_size: int = 1000,
        store: DataStore | None = None,
    ) -> Iterator[Page]:
        # A snapshot first: the file may be rewritten by a target write while the engine walks the pages.
        # The attributes are shared, not copied: a write replaces an object's attributes, never edits them.
        objects = list(self._directory_for(object_type).objects(object_type, copy=False))
        return datastore_pages(
            objects,
            since,
            page_size=page_size,
            store=store,
            object_type=object_type,
            protected=self._protected(),
            absences_trusted=self._absences_trusted(),
        )

    def count(self, object_type: str) -> int | None:
        return self._directory_for(object_type).count(object_type)

    def get(self, object_type: str, ids: Sequence[str]) -> dict[str, DirectoryObject]:
        return self._directory_for(object_type).get(object_type, ids)

    def find(
        self, object_type: str, attribute: str, values: Sequence[str]
    ) -> dict[str, list[DirectoryObject]]:
        return self._directory_for(object_type).find(object_type, attribute, values)
