"""Prometheus metrics of the daemon, served as text at ``/metrics``.

Each ``Metrics`` owns its registry (never the process-global one) so several daemons, or the tests' apps,
do not collide. The daemon calls ``record_cycle`` after every cycle and ``set_job_state`` whenever it has
read a job's status; nothing else writes here.

``prometheus_client`` (the ``server`` extra) is imported when a ``Metrics`` is built, i.e. where metrics are
served: ``import engine.daemon`` (``idsync jobs``) works without it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

__all__ = ["CONTENT_TYPE", "Metrics"]


def _content_type() -> str:
    try:
        from prometheus_client.exposition import CONTENT_TYPE_LATEST
    except ImportError:  # without the server extra nothing serves metrics; the value is only a fallback
        return "text/plain; version=0.0.4; charset=utf-8"
    return str(CONTENT_TYPE_LATEST)


CONTENT_TYPE: str = _content_type()

# Cycles range from milliseconds (a test job) to hours (a million objects behind a rate-limited API).
_DURATION_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600)


class Metrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        self.cycles = Counter(
            "idsync_cycles",
            "Finished cycles by outcome (succeeded, failed, quarantined)",
            ["job", "outcome"],
            registry=self.registry,
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
        outcome: str | None = None,
    ) -> None:
        """``outcome`` (``succeeded``, ``failed``, ``quarantined``) defaults to what ``succeeded`` says."""
        self.cycles.labels(job, outcome or ("succeeded" if succeeded else "failed")).inc()
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
        from prometheus_client import generate_latest

        return bytes(generate_latest(self.registry))
