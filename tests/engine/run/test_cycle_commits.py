"""What a page adds to the state's batch (``Driver._advance``): a read's last, empty page whose watermark is
stored already adds nothing, so nothing is committed for it; a new watermark or data-store update is kept."""

from __future__ import annotations

from dataclasses import dataclass

from connectors import Page, Watermark
from engine.run._driver import Driver
from engine.state import Batch

STORED = Watermark(cursor="2026-01-01T00:00:00Z", boundary_ids=frozenset({"u1"}))


@dataclass
class _Store:
    stored: Watermark | None

    def watermark(self, scope: str) -> Watermark | None:
        return self.stored


@dataclass
class _Mapping:
    key: str = "m"


def _advanced(page: Page, stored: Watermark | None = STORED) -> Batch:
    cycle = object.__new__(Driver)  # only the state is used
    cycle.state = _Store(stored)  # type: ignore[assignment]
    batch = Batch()
    cycle._advance(batch, _Mapping(), page)  # type: ignore[arg-type]
    return batch


def test_an_empty_last_page_at_the_stored_watermark_adds_nothing() -> None:
    assert _advanced(Page([], STORED)).empty


def test_a_later_watermark_and_store_updates_are_kept() -> None:
    later = Watermark(cursor="2026-01-02T00:00:00Z", boundary_ids=frozenset({"u2"}))
    batch = _advanced(Page([], later, {"u2": "1"}))
    assert batch.watermarks == {"m": later} and batch.store_updates == {"m": {"u2": "1"}}
    assert _advanced(Page([], STORED), stored=None).watermarks == {"m": STORED}


def test_an_earlier_watermark_is_not_written_back() -> None:
    earlier = Watermark(cursor="2025-12-31T00:00:00Z", boundary_ids=frozenset())
    assert _advanced(Page([], earlier)).empty
