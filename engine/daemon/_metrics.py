"""Prometheus metrics of the daemon, served as text at ``/metrics``.

Each ``Metrics`` owns its registry (never the process-global one) so several daemons, or the tests' apps,
do not collide. The daemon calls ``record_cycle`` after every cycle and ``set_job_state`` whenever it has
read a job's status; nothing else writes here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE: str = CONTENT_TYPE_LATEST

# Cycles range from milliseconds (a test job) to hours (a million objects behind a rate-limited API).
_DURATION_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.cycles = Counter(
            "idsync_cycles", "Finished cycles by outcome", ["job", "outcome"], registry=self.registry
        )
        self.objects = Counter(
            "idsync_objects_processed",
            "Objects processed by the action taken (create, update, disable, delete, skip, stagedDelete...)",
            ["job", "action"],
            registry=self.registry,
        )
        self.errors = Counter(
            "idsync_errors",
            "Errors by kind (escrowed objects, fatal cycles, ...)",
            ["job", "kind"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "idsync_cycle_duration_seconds",
            "Wall time of a cycle",
            ["job"],
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.escrows = Gauge(
            "idsync_escrows", "Objects in escrow (pending retry)", ["job"], registry=self.registry
        )
        self.quarantined = Gauge(
            "idsync_quarantined", "1 while the job is in quarantine", ["job"], registry=self.registry
        )
        self.running = Gauge(
            "idsync_cycle_running", "1 while a cycle of the job runs", ["job"], registry=self.registry
        )

    def record_cycle(
        self,
        job: str,
        *,
        succeeded: bool,
        seconds: float,
        actions: Mapping[str, int],
        errors: Mapping[str, int],
    ) -> None:
        self.cycles.labels(job, "succeeded" if succeeded else "failed").inc()
        self.duration.labels(job).observe(max(seconds, 0.0))
        for action, count in actions.items():
            if count:
                self.objects.labels(job, action).inc(count)
        for kind, count in errors.items():
            if count:
                self.errors.labels(job, kind).inc(count)

    def set_job_state(self, job: str, *, escrows: int, quarantined: bool) -> None:
        self.escrows.labels(job).set(escrows)
        self.quarantined.labels(job).set(1 if quarantined else 0)

    def forget(self, job: str) -> None:
        """Drop a deleted job's gauges so a scrape does not report a job that is gone."""
        for gauge in (self.escrows, self.quarantined, self.running):
            with contextlib.suppress(KeyError):
                gauge.remove(job)

    def render(self) -> bytes:
        return generate_latest(self.registry)
