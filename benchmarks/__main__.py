"""The harness CLI: ``run [--quick] [--scenario NAME ...] [--json FILE]`` and ``list``."""

from __future__ import annotations

import argparse
import json
import sys

from ._harness import scenario_rows
from ._registry import scenarios


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="idsync benchmark harness")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run scenarios and report figures beside their baselines")
    run.add_argument("--quick", action="store_true", help="small sizes (a smoke run, figures are noisy)")
    run.add_argument(
        "--scenario", action="append", metavar="NAME", help="run only this scenario (repeatable)"
    )
    run.add_argument("--json", metavar="FILE", help="also write the report as JSON to FILE")
    run.add_argument("--report", metavar="DIR", help="also write report.md and chart.png into DIR")
    commands.add_parser("list", help="list the scenarios")
    return parser


def _print_row(row: dict[str, object]) -> None:
    ratio = row["ratio"]
    shown = f"ratio {ratio:.2f}x" if isinstance(ratio, float) else "no baseline"
    print(
        f"{row['name']:<28} {row['users']:>8} objects  {row['seconds']:.4f} s  {shown:<16}"
        f"{row['objects_per_second']} obj/s  peak {row['peak_rss_mb']} MB  (target: {row['target']})"
    )
    if row.get("notes"):
        print(f"    {row['notes']}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    known = scenarios()
    if args.command == "list":
        for name, scenario in known.items():
            print(f"{name:<28} {scenario.description}")
        return 0
    names = args.scenario or list(known)
    unknown = [name for name in names if name not in known]
    if unknown:
        print(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    rows = []
    for name in names:
        for result in scenario_rows(known[name], args.quick):
            _print_row(result)
            rows.append(result)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"scenarios": rows}, handle, indent=2)
            handle.write("\n")
    if args.report:
        from pathlib import Path

        from .report import write_report

        write_report(rows, Path(args.report), "python -m benchmarks " + " ".join(argv or sys.argv[1:]))
    return 0


if __name__ == "__main__":
    from engine.cli import tune_collector

    tune_collector()  # the harness owns its process, as the idsync command does
    sys.exit(main())
