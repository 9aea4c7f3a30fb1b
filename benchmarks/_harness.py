"""The benchmark harness: scenarios, measurement in a child process, the JSON report.

A scenario is one module with a ``SCENARIOS`` list (or a ``SCENARIO``) of ``Scenario`` values and one line
in ``benchmarks/_registry.py``. Its ``run(quick)`` does the work *and* its baseline in the same process,
and returns a ``Measurement``; the harness adds the ratio, the throughput and the peak RSS. Each scenario
runs in a fresh child process so its peak memory is its own.

Report shape (``--json FILE``)::

    {"scenarios": [{"name", "users", "seconds", "baseline_seconds", "ratio", "objects_per_second",
                    "peak_rss_mb", "target", "notes"}]}

``users`` is the number of objects processed (expressions, for the compile scenario).
"""

from __future__ import annotations

import multiprocessing
import resource
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Measurement:
    """What a scenario measured: objects processed, its time and its baseline's time (seconds)."""

    users: int
    seconds: float
    baseline_seconds: float | None
    notes: str = ""


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    run: Callable[[bool], Measurement]
    target: str = ""  # the figure to meet, in words (e.g. "ratio <= 2.5")
    tags: tuple[str, ...] = field(default_factory=tuple)
    rows: Callable[[bool], list[dict[str, Any]]] | None = None
    """Set by scenarios measured at several sizes (``scenario_cycles``): they isolate each measurement in
    its own subprocess and give their report rows themselves; ``run`` then measures the smallest size."""


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def row(scenario: Scenario, measured: Measurement, peak_rss_mb: float) -> dict[str, Any]:
    ratio = measured.seconds / measured.baseline_seconds if measured.baseline_seconds else None
    return {
        "name": scenario.name,
        "users": measured.users,
        "seconds": round(measured.seconds, 6),
        "baseline_seconds": None
        if measured.baseline_seconds is None
        else round(measured.baseline_seconds, 6),
        "ratio": None if ratio is None else round(ratio, 3),
        "objects_per_second": round(measured.users / measured.seconds, 1) if measured.seconds else None,
        "peak_rss_mb": peak_rss_mb,
        "target": scenario.target,
        "notes": measured.notes,
    }


def _child(scenario_name: str, quick: bool, queue: Any) -> None:
    from ._registry import scenarios

    scenario = scenarios()[scenario_name]
    try:
        measured = scenario.run(quick)
        queue.put(("ok", row(scenario, measured, _peak_rss_mb())))
    except Exception as exc:  # reported as a failed scenario, the others still run
        queue.put(("error", f"{type(exc).__name__}: {exc}"))


def run_scenario(scenario: Scenario, quick: bool, isolate: bool = True) -> dict[str, Any]:
    """Run one scenario (in a child process unless ``isolate`` is false) and return its report row."""
    if not isolate:
        return row(scenario, scenario.run(quick), _peak_rss_mb())
    context = multiprocessing.get_context("fork")  # the child inherits the imported scenario code
    queue = context.Queue()
    child = context.Process(target=_child, args=(scenario.name, quick, queue))
    child.start()
    status, payload = queue.get()
    child.join()
    if status != "ok":
        raise RuntimeError(f"scenario {scenario.name} failed: {payload}")
    result: dict[str, Any] = payload
    return result


def scenario_rows(scenario: Scenario, quick: bool) -> list[dict[str, Any]]:
    """Every report row of a scenario: its own rows when it gives them, else the one ``run_scenario`` row."""
    if scenario.rows is not None:
        return scenario.rows(quick)
    return [run_scenario(scenario, quick)]
