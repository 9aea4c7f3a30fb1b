"""Figures of a benchmark run: medians, peak memory, the JSON rows, the markdown table and the PNG chart.

Peak memory: each measured step runs in its own fresh subprocess (``benchmarks._measure``), which reports
its own peak resident set size at its end (``peak_rss_mb``). One process per measurement keeps peaks from
mixing (a process's peak never goes down, so measuring in-process would report the largest step seen so
far, and the baseline would inherit idsync's peak). ``peak_rss_mb`` in the JSON is idsync's median
peak; the baseline's is in the markdown table beside it. Timings are medians of the repeats.

A scenario row in the JSON: ``{"name", "users", "seconds", "baseline_seconds", "ratio",
"objects_per_second", "peak_rss_mb"}`` (and ``target``, ``met``: True / False against a ratio target,
None where the row has none; ``details``: every sample), where ``ratio`` is ``seconds / baseline_seconds``
(lower is better; 1.0 means as fast as the hand-written pipeline) and ``objects_per_second`` counts the
objects the scenario processes (users plus groups for a full cycle, the changed users for an incremental one).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ROW_KEYS",
    "Row",
    "ScenarioResult",
    "Series",
    "baseline_objects_per_second",
    "chart_series",
    "draw_chart",
    "machine_description",
    "main",
    "markdown_table",
    "median",
    "merge_rows",
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
    target: str = ""
    """The figure to reach, in words (shown in the table and the JSON's ``target``)."""
    samples: tuple[float, ...] = ()
    """Every measured run's seconds, idsync's and the baseline's (the JSON's ``details``: the spread behind
    the medians)."""
    baseline_samples: tuple[float, ...] = ()
    ratio_limit: float | None = None
    """The ratio this size must stay within (``met``), when its target is one; None: no ratio target."""

    @property
    def met(self) -> bool | None:
        """Whether the ratio is within ``ratio_limit`` (None when this row has no ratio target)."""
        return None if self.ratio_limit is None else self.ratio <= self.ratio_limit

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds if self.baseline_seconds > 0 else float("inf")

    @property
    def objects_per_second(self) -> float:
        return self.objects / self.seconds if self.seconds > 0 else float("inf")

    @property
    def baseline_objects_per_second(self) -> float:
        return self.objects / self.baseline_seconds if self.baseline_seconds > 0 else float("inf")

    def row(self, notes: str = "") -> dict[str, Any]:
        """The documented JSON row, plus the harness's ``target`` / ``notes`` and the raw ``details``."""
        return {
            "name": self.name,
            "users": self.users,
            "seconds": round(self.seconds, 6),
            "baseline_seconds": round(self.baseline_seconds, 6),
            "ratio": round(self.ratio, 3),
            "objects_per_second": round(self.objects_per_second, 1),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "target": self.target,
            "met": self.met,
            "notes": notes or f"median of {self.runs} run(s); {self.objects} objects",
            "details": asdict(self),
        }


Row = Mapping[str, Any]


def to_json(results: Sequence[ScenarioResult | Row]) -> dict[str, Any]:
    rows = [r.row() if isinstance(r, ScenarioResult) else dict(r) for r in results]
    return {"machine": machine_description(), "scenarios": rows}


def machine_description() -> str:
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )


def _figure(value: Any) -> str:
    if not isinstance(value, int | float):
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def baseline_objects_per_second(row: Row) -> float | None:
    """objects / baseline time, recovered from the documented keys (ratio = seconds / baseline_seconds)."""
    rate, ratio = row.get("objects_per_second"), row.get("ratio")
    if not isinstance(rate, int | float) or not isinstance(ratio, int | float):
        return None
    return float(rate) * float(ratio)


def markdown_table(results: Sequence[ScenarioResult | Row]) -> str:
    """One line per scenario and size: times, ratio, throughput, idsync's peak memory."""
    lines = [
        "| scenario | users | idsync s | baseline s | ratio | idsync obj/s | baseline obj/s | peak MB "
        "| target | met? |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in to_json(results)["scenarios"]:
        ratio = row.get("ratio")
        cells = (
            row["name"],
            f"{row['users']:,}",
            _figure(row.get("seconds")),
            _figure(row.get("baseline_seconds")),
            f"{ratio:.2f}×" if isinstance(ratio, int | float) else "–",
            _figure(row.get("objects_per_second")),
            _figure(baseline_objects_per_second(row)),
            _figure(row.get("peak_rss_mb")),
            row.get("target") or "",
            {True: "met", False: "**not met**"}.get(row.get("met"), ""),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class Series:
    """One scenario across its sizes, as the chart draws it: idsync's objects per second (a solid line) and
    the baseline's (a dashed one; None where a size has no baseline), with the ratio at each size."""

    name: str
    sizes: tuple[int, ...]
    idsync: tuple[float, ...]
    baseline: tuple[float | None, ...]
    ratios: tuple[float | None, ...]


def chart_series(results: Sequence[ScenarioResult | Row]) -> list[Series]:
    """The lines of the chart, one per scenario in order of first appearance, each point a size in
    increasing order. A size given twice (rows of several results files) keeps the later row; a row
    without a throughput is left out."""
    by_name: dict[str, dict[int, Row]] = {}
    for row in to_json(results)["scenarios"]:
        rate, users = row.get("objects_per_second"), row.get("users")
        if isinstance(rate, int | float) and isinstance(users, int) and users > 0 and rate > 0:
            by_name.setdefault(row["name"], {})[users] = row
    series = []
    for name, sizes in by_name.items():
        rows = [sizes[users] for users in sorted(sizes)]
        ratios = [row.get("ratio") for row in rows]
        series.append(
            Series(
                name,
                tuple(sorted(sizes)),
                tuple(float(row["objects_per_second"]) for row in rows),
                tuple(baseline_objects_per_second(row) for row in rows),
                tuple(float(r) if isinstance(r, int | float) else None for r in ratios),
            )
        )
    return series


def draw_chart(results: Sequence[ScenarioResult | Row]) -> Any:
    """The chart as a matplotlib ``Figure`` (see ``write_chart``); None when there is nothing to draw."""
    series = chart_series(results)
    if not series:
        return None
    import matplotlib

    matplotlib.use("Agg")  # no display: a file only
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    figure, axes = plt.subplots(figsize=(11, 5.5), dpi=100)
    handles = []
    for number, line in enumerate(series):
        colour = f"C{number % 10}"
        axes.plot(line.sizes, line.idsync, "o-", color=colour, linewidth=2, label=f"{line.name} (idsync)")
        known = [(size, rate) for size, rate in zip(line.sizes, line.baseline, strict=True) if rate]
        if known:
            sizes, rates = zip(*known, strict=True)
            axes.plot(sizes, rates, "s--", color=colour, alpha=0.7, label=f"{line.name} (baseline)")
        for size, rate, ratio in zip(line.sizes, line.idsync, line.ratios, strict=True):
            if ratio is not None:  # the ratio beside each idsync point: the figure the targets are about
                label = f"{ratio:.2f}×"
                axes.annotate(
                    label,
                    (size, rate),
                    xytext=(4, -11),
                    textcoords="offset points",
                    fontsize="x-small",
                    color=colour,
                )
        handles.append(Line2D([], [], color=colour, linewidth=6, label=line.name))
    handles += [
        Line2D([], [], color="black", linestyle="-", marker="o", label="idsync"),
        Line2D([], [], color="black", linestyle="--", marker="s", alpha=0.7, label="baseline"),
    ]
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("users in the directory (objects, for the expression scenarios)")
    axes.set_ylabel("objects per second")
    axes.set_title("idsync (solid) beside the hand-written baseline (dashed); ratio at each idsync point")
    axes.grid(True, which="both", alpha=0.3)
    # Outside the plot, so it hides no data: a colour per scenario, then what solid and dashed mean.
    axes.legend(handles=handles, fontsize="x-small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    figure.tight_layout()
    return figure


def write_chart(results: Sequence[ScenarioResult | Row], path: Path) -> Path | None:
    """Objects per second against directory size (log-log): each scenario a line across its sizes in a
    colour of its own, idsync solid, the baseline dashed (``chart_series``). None when there is nothing to
    draw."""
    figure = draw_chart(results)
    if figure is None:
        return None
    import matplotlib.pyplot as plt

    figure.savefig(path)
    plt.close(figure)
    return path


def write_report(results: Sequence[ScenarioResult | Row], directory: Path, command: str) -> Path:
    """``report.md`` (machine, command, table, chart), ``chart.png`` and ``results.json`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    chart = write_chart(results, directory / "chart.png")
    text = (
        "# idsync benchmarks\n\n"
        f"Machine: {machine_description()}. Command: `{command}`.\n"
        "Medians of the runs; ratio = idsync time / baseline time (same data, same run; lower is better).\n\n"
        + markdown_table(results)
        + (f"\n![objects per second]({chart.name})\n" if chart else "")
    )
    target = directory / "report.md"
    target.write_text(text, encoding="utf-8")
    document = json.dumps(to_json(results), indent=2) + "\n"
    (directory / "results.json").write_text(document, encoding="utf-8")
    return target


def _rows_of(path: Path, parser: argparse.ArgumentParser) -> list[dict[str, Any]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        parser.error(f"{path}: cannot read the results ({exc})")
    rows = document.get("scenarios") if isinstance(document, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) and set(ROW_KEYS) <= set(r) for r in rows):
        parser.error(f'{path}: expected {{"scenarios": [...]}} rows with the keys {", ".join(ROW_KEYS)}')
    return rows


def merge_rows(documents: Iterable[Sequence[Row]]) -> list[Row]:
    """The rows of several results files as one report: a scenario at a size given again (a later run)
    replaces the earlier row, in its place; so runs at different sizes make one line each in the chart."""
    merged: dict[tuple[Any, Any], Row] = {}
    for rows in documents:
        for row in rows:
            merged[(row.get("name"), row.get("users"))] = row
    return list(merged.values())


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks.report RESULTS.json [MORE.json ...] [--out DIR]``: the table and chart of
    ``--json`` files (e.g. one run per size), merged."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report", description=main.__doc__)
    parser.add_argument(
        "results", type=Path, nargs="+", help="files written by `python -m benchmarks run --json FILE`"
    )
    parser.add_argument("--out", type=Path, default=Path("benchmark-report"), help="folder for the report")
    parser.add_argument("--command", help="the command that produced the results (shown in the report)")
    args = parser.parse_args(argv)
    rows = merge_rows(_rows_of(path, parser) for path in args.results)
    command = args.command or "python -m benchmarks.report " + " ".join(map(str, args.results))
    path = write_report(rows, args.out, command)
    print(f"wrote {path} and {args.out / 'chart.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
