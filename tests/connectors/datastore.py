"""A dict-backed connector data store for tests, committing pages the way the engine does."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from connectors import DirectoryObject, Page, Watermark


class DictStore:
    """The engine-owned connector data store, reduced to a dict (``DataStore`` protocol)."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        return {key: self.data[key] for key in keys if key in self.data}

    def keys(self) -> Iterator[str]:
        return iter(list(self.data))

    def count(self) -> int:
        return len(self.data)

    def commit(self, page: Page) -> None:
        for key, value in page.store_updates.items():
            if value is None:
                self.data.pop(key, None)
            else:
                self.data[key] = value


def drain(
    pages: Iterable[Page], store: DictStore | None = None
) -> tuple[list[DirectoryObject], Watermark | None]:
    """Every object of a read, committing its store updates: (the objects, the last watermark)."""
    objects: list[DirectoryObject] = []
    watermark = None
    for page in pages:
        objects.extend(page.objects)
        if store is not None:
            store.commit(page)
        watermark = page.watermark or watermark
    return objects, watermark
