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


FILE_ROWS = [  # one scenario measured in two runs (the sizes out of order), one without a baseline
    {"name": "file_json_json", "users": 100_000, "seconds": 20.0, "baseline_seconds": 8.0, "ratio": 2.5,
     "objects_per_second": 5_000.0, "peak_rss_mb": 300.0, "target": "ratio <= 3", "notes": ""},
    {"name": "compile", "users": 200, "seconds": 0.02, "baseline_seconds": None, "ratio": None,
     "objects_per_second": 10_000.0, "peak_rss_mb": 60.0, "target": "", "notes": ""},
    {"name": "file_json_json", "users": 10_000, "seconds": 2.0, "baseline_seconds": 0.5, "ratio": 4.0,
     "objects_per_second": 5_100.0, "peak_rss_mb": 100.0, "target": "ratio <= 3", "notes": ""},
]  # fmt: skip


def test_each_scenario_is_one_series_across_its_sizes() -> None:
    series = report.chart_series([*ROWS, *FILE_ROWS])
    assert [s.name for s in series] == ["cycle_initial", "compile", "file_json_json"]
    initial, compile_, files = series
    assert initial.sizes == (10_000, 100_000) and initial.idsync == (5_100.0, 4_080.0)
    assert initial.baseline == pytest.approx((10_200.0, 10_200.0)) and initial.ratios == (2.0, 2.5)
    assert files.sizes == (10_000, 100_000)  # in increasing order, whatever the rows' order
    assert files.idsync == (5_100.0, 5_000.0) and files.baseline == pytest.approx((20_400.0, 12_500.0))
    # The same size given again (a later run) replaces the earlier point; no baseline: None.
    again = {**FILE_ROWS[1], "seconds": 0.01, "objects_per_second": 20_000.0}
    assert report.chart_series([*FILE_ROWS, again])[1].idsync == (20_000.0,)
    assert compile_.baseline == (None,) and compile_.ratios == (None,)
    # A row without a throughput draws nothing.
    assert report.chart_series([{**ROWS[0], "objects_per_second": None}]) == []


def test_the_chart_draws_idsync_solid_and_the_baseline_dashed_through_every_size() -> None:
    import matplotlib.pyplot as plt

    figure = report.draw_chart([*ROWS, *FILE_ROWS])
    try:
        lines = {line.get_label(): line for line in figure.axes[0].get_lines()}
        solid, dashed = lines["file_json_json (idsync)"], lines["file_json_json (baseline)"]
        assert list(solid.get_xdata()) == [10_000, 100_000] and solid.get_linestyle() == "-"
        assert list(solid.get_ydata()) == [5_100.0, 5_000.0]
        assert list(dashed.get_xdata()) == [10_000, 100_000] and dashed.get_linestyle() == "--"
        assert dashed.get_color() == solid.get_color()  # one colour per scenario
        assert "compile (baseline)" not in lines  # nothing to draw for it
        assert figure.axes[0].get_xscale() == figure.axes[0].get_yscale() == "log"
        ratios = [text.get_text() for text in figure.axes[0].texts]
        assert "4.00×" in ratios and "2.50×" in ratios
    finally:
        plt.close(figure)
    assert report.draw_chart([]) is None


def test_the_command_merges_the_results_of_several_runs(tmp_path: Path) -> None:
    first, second = tmp_path / "10k.json", tmp_path / "100k.json"
    first.write_text(json.dumps({"scenarios": FILE_ROWS[2:]}), encoding="utf-8")
    second.write_text(json.dumps({"scenarios": FILE_ROWS[:1]}), encoding="utf-8")
    assert report.main([str(first), str(second), "--out", str(tmp_path / "out")]) == 0
    text = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "| file_json_json | 10,000 |" in text and "| file_json_json | 100,000 |" in text
    assert len(json.loads((tmp_path / "out" / "results.json").read_text())["scenarios"]) == 2
