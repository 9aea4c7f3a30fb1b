"""What one cycle (or dry-run, explain, provision-on-demand) works with: built by ``SyncEngine``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import expressions
from connectors import Connector

from ..job import Job
from ..plan import CompiledMapping, Policy, delete_threshold
from ..state import StateStore
from ._export import Exporter
from ._records import LogContext

Progress = Callable[[str, int, int | None], None]
"""(object mapping label, objects read so far, total when the source can count them)."""


@dataclass
class CycleContext:
    job: Job
    mappings: Sequence[CompiledMapping]
    store: StateStore
    connectors: Mapping[str, Connector]
    now: datetime
    evaluation: expressions.EvaluationContext
    progress: Progress | None = None
    stop: threading.Event | None = None
    force_deletes: bool = False
    sleep: Callable[[float], None] | None = None
    linked: int = field(default=0, init=False)
    """Objects linked when the cycle starts (counted only for ``deleteThresholdPercent``)."""

    def __post_init__(self) -> None:
        if self.job.settings.delete_threshold_percent is not None:
            # counted before the cycle links or unlinks anything: a dry-run counts the same
            self.linked = sum(self.store.count_links().values())

    @property
    def delete_threshold(self) -> int | None:
        """The accidental-deletion guard's threshold this cycle (``engine.plan.delete_threshold``)."""
        settings = self.job.settings
        return delete_threshold(settings.delete_threshold, settings.delete_threshold_percent, self.linked)

    def policy(self, mapping: CompiledMapping) -> Policy:
        target = self.connectors[mapping.target_directory]
        return Policy(self.job.settings.skip_out_of_scope_deletions, target.capabilities.soft_delete)

    def log_context(self, mapping: CompiledMapping, cycle_id: str) -> LogContext:
        return LogContext(
            self.job.id,
            cycle_id,
            self.job.service_principal,
            mapping.source_directory,
            mapping.target_directory,
        )

    def reference_keys(self, mapping: CompiledMapping) -> list[str]:
        """The mappings whose links translate ``mapping``'s references: every mapping between the same two
        directories (a group's members may be users or groups)."""
        pair = (mapping.source_directory, mapping.target_directory)
        return [m.key for m in self.mappings if (m.source_directory, m.target_directory) == pair]

    def exporter(self, mapping: CompiledMapping) -> Exporter:
        target = self.connectors[mapping.target_directory]
        size = self.job.settings.batch_size or target.capabilities.batch_size
        kwargs = {"sleep": self.sleep} if self.sleep is not None else {}
        return Exporter(
            target, size, self.job.settings.max_retries, before_write=self.store.check_lease, **kwargs
        )

    def stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()
