"""The benchmark harness and the expression scenarios' behaviour (figures are for the harness, not tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import expressions
from benchmarks import scenario_expressions
from benchmarks.__main__ import main
from benchmarks._harness import Measurement, Scenario, row, run_scenario
from benchmarks._registry import scenarios


def test_compiled_mapping_and_hand_written_function_agree() -> None:
    apply = scenario_expressions.compile_mapping()
    users = scenario_expressions.generate_users(400, seed=3)
    for user in users:
        assert apply(user) == scenario_expressions.hand_written(user)


def test_the_mapping_has_fifteen_attributes_and_exercises_nulls() -> None:
    assert len(scenario_expressions.MAPPING) == 15
    users = scenario_expressions.generate_users(200)
    assert any("department" not in user for user in users)
    assert any("city" not in user for user in users)


def test_compile_scenario_uses_200_real_expressions_that_compile() -> None:
    texts = scenario_expressions.schema_expressions(200)
    assert len(texts) == 200
    assert all(expressions.compile(text) for text in texts)


def test_row_computes_ratio_and_throughput() -> None:
    scenario = Scenario("x", "d", lambda quick: Measurement(10, 2.0, 1.0), "ratio <= 3")
    result = row(scenario, Measurement(10, 2.0, 1.0), 12.5)
    assert result["ratio"] == 2.0
    assert result["objects_per_second"] == 5.0
    assert set(result) >= {
        "name",
        "users",
        "seconds",
        "baseline_seconds",
        "ratio",
        "objects_per_second",
        "peak_rss_mb",
    }
    no_baseline = row(scenario, Measurement(10, 2.0, None), 1.0)
    assert no_baseline["ratio"] is None


def test_run_scenario_in_process_and_in_a_child() -> None:
    scenario = scenarios()["compile"]
    in_process = run_scenario(scenario, quick=True, isolate=False)
    assert in_process["users"] == 200 and in_process["seconds"] > 0
    child = run_scenario(scenario, quick=True)
    assert child["name"] == "compile" and child["peak_rss_mb"] > 0


def test_cli_list_and_unknown_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    assert "expressions" in listed and "compile" in listed
    assert main(["run", "--scenario", "nope"]) == 2


def test_cli_run_writes_the_json_report(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    assert main(["run", "--quick", "--scenario", "compile", "--json", str(report)]) == 0
    rows = json.loads(report.read_text())["scenarios"]
    assert [r["name"] for r in rows] == ["compile"]
