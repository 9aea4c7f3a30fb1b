"""Writing planned operations to the target connector: batches, bounded retries of retriable errors.

Error policy (connectors' ``policy`` ClassVar, never the class name): a skippable error comes back inside
its ``ApplyResult`` and escrows that one object; a retriable error retries the whole batch after
``retry_after`` (capped) up to ``max_retries`` times, then stops the cycle like a fatal one; a fatal error
propagates and stops the cycle without advancing the watermark.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from connectors import ApplyResult, Change, Connector, ConnectorError
from connectors import Operation as ChangeOp

from ..plan import Action, PlannedOperation

_MAX_WAIT = 30.0


def to_change(op: PlannedOperation) -> Change | None:
    """The connector change for ``op``; None when nothing needs writing (an update without modifications)."""
    if op.action is Action.CREATE:
        return Change(ChangeOp.CREATE, op.object_type, None, op.modifications, key=op.source_id)
    if op.action is Action.DELETE:
        return Change(ChangeOp.DELETE, op.object_type, op.target_id, (), key=op.source_id)
    if op.modifications:
        return Change(ChangeOp.UPDATE, op.object_type, op.target_id, op.modifications, key=op.source_id)
    return None


class Exporter:
    def __init__(
        self,
        target: Connector,
        batch_size: int,
        max_retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        before_write: Callable[[], None] | None = None,
    ) -> None:
        self.target = target
        self.before_write = before_write
        """Called before every target batch and retry: the job's lease check (``Fenced`` stops the cycle)."""
        self.batch_size = max(1, batch_size)
        self.max_retries = max_retries
        self.sleep = sleep
        self.exported = 0

    def apply(self, ops: Sequence[PlannedOperation]) -> list[ApplyResult]:
        """One result per operation, in order (operations needing no write succeed without a call)."""
        results: list[ApplyResult | None] = [None] * len(ops)
        writes: list[tuple[int, Change]] = []
        for index, op in enumerate(ops):
            change = to_change(op)
            if change is None:
                results[index] = ApplyResult(op.source_id, op.target_id)
            else:
                writes.append((index, change))
        for start in range(0, len(writes), self.batch_size):
            chunk = writes[start : start + self.batch_size]
            for (index, _change), result in zip(chunk, self._apply([c for _, c in chunk]), strict=True):
                results[index] = result
        return [r for r in results if r is not None]

    def _apply(self, changes: list[Change]) -> list[ApplyResult]:
        attempt = 0
        while True:
            if self.before_write is not None:
                self.before_write()
            try:
                results = self.target.apply(changes)
            except ConnectorError as exc:
                if exc.policy != "retriable" or attempt >= self.max_retries:
                    raise
                attempt += 1
                self.sleep(min(float(getattr(exc, "retry_after", 1.0)), _MAX_WAIT))
                continue
            if len(results) != len(changes):
                raise ConnectorError(
                    f"the target returned {len(results)} results for {len(changes)} changes",
                    connector=getattr(self.target, "kind", None),
                )
            self.exported += sum(1 for r in results if r.ok)
            return results
