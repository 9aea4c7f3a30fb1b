"""Figures of a benchmark run: medians, peak memory, the JSON rows, the markdown table and the PNG chart.

Peak memory: each measured step runs in its own fresh subprocess (``benchmarks._measure``), which reports
its own peak resident set size at its end (``peak_rss_mb``). One process per measurement keeps peaks from
mixing (a process's peak never goes down, so measuring in-process would report the largest step seen so
far, and the baseline would inherit idsync's peak). ``peak_rss_mb`` in the JSON is idsync's median
peak; the baseline's is in the markdown table beside it. Timings are medians of the repeats.

A scenario row in the JSON (issue 6): ``{"name", "users", "seconds", "baseline_seconds", "ratio",
"objects_per_second", "peak_rss_mb"}``, where ``ratio`` is ``seconds / baseline_seconds`` (lower is
better; 1.0 means as fast as the hand-written pipeline) and ``objects_per_second`` counts the objects the
scenario processes (users plus groups for a full cycle, the changed users for an incremental one).
"""

from __future__ import annotations

import json
import platform
import resource
import statistics
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ScenarioResult",
    "machine_description",
    "markdown_table",
    "median",
    "peak_rss_mb",
    "to_json",
    "write_chart",
    "write_report",
]

ROW_KEYS = ("name", "users", "seconds", "baseline_seconds", "ratio", "objects_per_second", "peak_rss_mb")


def median(values: Iterable[float]) -> float:
    return float(statistics.median(list(values)))


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB.

    Linux: ``VmHWM`` of ``/proc/self/status``, the high-water mark of this process's own memory map.
    ``ru_maxrss`` is not used there because the kernel carries it over ``fork`` + ``exec``: a child started
    by a large parent would report the parent's size. Elsewhere: ``ru_maxrss`` (KiB on Linux, bytes on
    macOS)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """The medians of one scenario at one size, idsync beside the baseline."""

    name: str
    users: int
    objects: int
    seconds: float
    baseline_seconds: float
    peak_rss_mb: float
    baseline_peak_rss_mb: float
    runs: int

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds if self.baseline_seconds > 0 else float("inf")

    @property
    def objects_per_second(self) -> float:
        return self.objects / self.seconds if self.seconds > 0 else float("inf")

    @property
    def baseline_objects_per_second(self) -> float:
        return self.objects / self.baseline_seconds if self.baseline_seconds > 0 else float("inf")

    def row(self) -> dict[str, Any]:
        """The documented JSON row (rounded for reading; the raw values are in ``details``)."""
        return {
            "name": self.name,
            "users": self.users,
            "seconds": round(self.seconds, 6),
            "baseline_seconds": round(self.baseline_seconds, 6),
            "ratio": round(self.ratio, 3),
            "objects_per_second": round(self.objects_per_second, 1),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "details": asdict(self),
        }


def to_json(results: Sequence[ScenarioResult]) -> dict[str, Any]:
    return {"machine": machine_description(), "scenarios": [r.row() for r in results]}


def machine_description() -> str:
    import os

    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )


def _figure(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def markdown_table(results: Sequence[ScenarioResult]) -> str:
    lines = [
        "| scenario | users | objects | idsync s | baseline s | ratio | idsync obj/s | baseline obj/s "
        "| idsync peak MB | baseline peak MB | runs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        cells = (
            r.name, f"{r.users:,}", f"{r.objects:,}", _figure(r.seconds), _figure(r.baseline_seconds),
            f"{r.ratio:.2f}×", _figure(r.objects_per_second), _figure(r.baseline_objects_per_second),
            f"{r.peak_rss_mb:.0f}", f"{r.baseline_peak_rss_mb:.0f}", str(r.runs),
        )  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_chart(results: Sequence[ScenarioResult], path: Path) -> Path | None:
    """Objects per second against directory size (log-log), one colour per scenario: idsync solid, the
    baseline dashed. None when there is nothing to draw."""
    if not results:
        return None
    import matplotlib

    matplotlib.use("Agg")  # no display: a file only
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 5), dpi=110)
    names = list(dict.fromkeys(r.name for r in results))
    for number, name in enumerate(names):
        rows = sorted((r for r in results if r.name == name), key=lambda r: r.users)
        colour = f"C{number % 10}"
        sizes = [r.users for r in rows]
        axes.plot(sizes, [r.objects_per_second for r in rows], "o-", color=colour, label=f"{name} (idsync)")
        axes.plot(sizes, [r.baseline_objects_per_second for r in rows], "s--", color=colour, alpha=0.6,
                  label=f"{name} (baseline)")  # fmt: skip
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("users in the directory")
    axes.set_ylabel("objects per second")
    axes.set_title("idsync beside the hand-written baseline")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


def write_report(results: Sequence[ScenarioResult], directory: Path, command: str) -> Path:
    """``report.md`` (table, machine, command) and ``chart.png`` in ``directory``; returns the markdown."""
    directory.mkdir(parents=True, exist_ok=True)
    chart = write_chart(results, directory / "chart.png")
    text = (
        "# idsync benchmarks\n\n"
        f"Machine: {machine_description()}. Command: `{command}`.\n"
        "Medians of the runs; ratio = idsync time / baseline time (same data, same run).\n\n"
        + markdown_table(results)
        + (f"\n![objects per second]({chart.name})\n" if chart else "")
    )
    target = directory / "report.md"
    target.write_text(text, encoding="utf-8")
    (directory / "results.json").write_text(json.dumps(to_json(results), indent=2) + "\n", encoding="utf-8")
    return target
