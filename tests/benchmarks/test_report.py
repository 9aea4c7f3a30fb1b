"""The report: table and chart from JSON rows (ours and the harness's), and its command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import report

ROWS = [
    {"name": "cycle_initial", "users": 10_000, "seconds": 2.0, "baseline_seconds": 1.0, "ratio": 2.0,
     "objects_per_second": 5_100.0, "peak_rss_mb": 120.0, "target": "ratio <= 3", "notes": ""},
    {"name": "cycle_initial", "users": 100_000, "seconds": 25.0, "baseline_seconds": 10.0, "ratio": 2.5,
     "objects_per_second": 4_080.0, "peak_rss_mb": 400.0, "target": "ratio <= 3", "notes": ""},
    {"name": "compile", "users": 200, "seconds": 0.03, "baseline_seconds": None, "ratio": None,
     "objects_per_second": 6_666.7, "peak_rss_mb": 60.0, "target": "seconds < 0.05", "notes": ""},
]  # fmt: skip


def test_table_has_a_line_per_row_with_the_baseline_rate() -> None:
    table = report.markdown_table(ROWS)
    lines = table.strip().splitlines()
    assert len(lines) == 2 + len(ROWS)
    assert "| cycle_initial | 10,000 | 2 | 1 | 2.00× | 5,100 | 10,200 | 120 | ratio <= 3 |" in table
    assert "| compile | 200 | 0.03 | – | – | 6,667 | – | 60 | seconds < 0.05 |" in table


def test_scenario_result_rows_carry_the_documented_keys() -> None:
    result = report.ScenarioResult("dry_run", 1000, 1020, 0.5, 0.25, 70.0, 20.0, 3)
    row = result.row()
    assert set(report.ROW_KEYS) <= set(row)
    assert row["ratio"] == 2.0 and row["objects_per_second"] == 2040.0
    assert report.baseline_objects_per_second(row) == pytest.approx(4080.0)


def test_command_writes_the_report_from_a_results_file(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"scenarios": ROWS}), encoding="utf-8")
    assert report.main([str(results), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "chart.png").read_bytes().startswith(b"\x89PNG")
    assert "| cycle_initial | 100,000 |" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


def test_command_names_the_file_when_it_is_wrong(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"scenarios": [{"name": "x"}]}', encoding="utf-8")
    with pytest.raises(SystemExit) as stopped:
        report.main([str(bad)])
    assert stopped.value.code == 2
    assert "bad.json" in capsys.readouterr().err


def test_medians_and_peak_memory() -> None:
    assert report.median([3.0, 1.0, 2.0]) == 2.0
    assert 1 < report.peak_rss_mb() < 100_000


def test_rows_keep_every_measured_run_and_say_how_the_time_scales() -> None:
    from benchmarks.scenario_cycles import scaling_notes

    small = report.ScenarioResult(
        "incremental_1000", 10_000, 1000, 0.2, 0.1, 70.0, 20.0, 3, "", (0.2, 0.3), (0.1,)
    )
    large = report.ScenarioResult("incremental_1000", 1_000_000, 1000, 0.29, 0.18, 80.0, 25.0, 3)
    assert small.row()["details"]["samples"] == (0.2, 0.3)
    notes = scaling_notes([small, large])
    assert list(notes) == [1_000_000]
    assert "1.45x the time at 10,000 users (baseline: 1.80x)" in notes[1_000_000]
    assert scaling_notes([small]) == {}
