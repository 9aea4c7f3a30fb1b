"""``EvaluationContext``: what an evaluation may need beyond the record."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class EvaluationContext:
    """Per-run inputs of an evaluation; immutable, shareable between threads.

    - ``is_unique(target_attribute, value) -> bool``: SelectUniqueValue's check against the target
      directory (None: every candidate counts as unique).
    - ``default_domain``: the tenant's default verified domain for ``DefaultDomain()``.
    - ``now``: the clock, a callable returning an aware UTC datetime (``Now()``, tests inject a fixed one).
    - ``placeholders``: values of ``%Name%`` constants (DESIGN decision 12), keyed without the percent signs.
    - ``target_attribute``: the attribute the mapping writes (passed to ``is_unique``).
    """

    is_unique: Callable[[str | None, str], bool] | None = None
    default_domain: str | None = None
    now: Callable[[], datetime] | None = None
    placeholders: Mapping[str, str] | None = None
    target_attribute: str | None = None

    def current_time(self) -> datetime:
        value = (self.now or _utc_now)()
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


DEFAULT_CONTEXT = EvaluationContext()
