"""The exporter: batching, bounded retries of retriable errors, fatal errors propagate, per-object results."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from connectors import (
    ApplyResult,
    Change,
    ConnectionFailed,
    Modification,
    ObjectRejected,
    RetriableConnectorError,
    ValueOp,
)
from engine.plan import Action, PlannedOperation
from engine.run._export import Exporter


class FlakyTarget:
    kind = "flaky"

    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.batches: list[int] = []

    def apply(self, changes: Sequence[Change]) -> list[ApplyResult]:
        if self.failures:
            raise self.failures.pop(0)
        self.batches.append(len(changes))
        return [
            ApplyResult(
                c.key, c.target_id or f"new-{c.key}", ObjectRejected("no") if c.key == "bad" else None
            )
            for c in changes
        ]


def ops(*keys: str) -> list[PlannedOperation]:
    mods = (Modification("a", ValueOp.REPLACE, ("x",)),)
    return [PlannedOperation(Action.CREATE, "m", "User", key, modifications=mods) for key in keys]


def test_batches_and_per_object_results() -> None:
    target = FlakyTarget([])
    noop = PlannedOperation(Action.UPDATE, "m", "User", "same", target_id="t-same")  # nothing to write
    results = Exporter(target, batch_size=2).apply([*ops("a", "bad", "c"), noop])  # type: ignore[arg-type]
    assert target.batches == [2, 1]
    assert [r.ok for r in results] == [True, False, True, True]
    assert results[0].target_id == "new-a" and results[3].target_id == "t-same"


def test_retriable_errors_are_retried_then_fatal() -> None:
    waits: list[float] = []
    target = FlakyTarget([RetriableConnectorError("busy", retry_after=2.0)])
    results = Exporter(target, 10, max_retries=3, sleep=waits.append).apply(ops("a"))  # type: ignore[arg-type]
    assert results[0].ok and waits == [2.0]
    target = FlakyTarget([RetriableConnectorError("busy", retry_after=99)] * 3)
    with pytest.raises(RetriableConnectorError):
        Exporter(target, 10, max_retries=2, sleep=waits.append).apply(ops("a"))  # type: ignore[arg-type]
    assert waits[-1] == 30.0  # waits are capped


def test_fatal_errors_propagate_without_retry() -> None:
    target = FlakyTarget([ConnectionFailed("down"), ConnectionFailed("down")])
    with pytest.raises(ConnectionFailed):
        Exporter(target, 10, sleep=lambda _: None).apply(ops("a"))  # type: ignore[arg-type]
    assert len(target.failures) == 1
