"""The file scenarios (json -> json, csv -> json), the streamed dry-run and the warm daemon-shaped scenario at
tiny sizes: the paths work, both sides do the same work (the scenarios check it), and the report says met or
not met against a ratio target. No timing assertions."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import baseline_files, generator
from benchmarks.generator import DirectorySpec
from benchmarks.report import ScenarioResult, markdown_table
from benchmarks.scenario_cycles import run_cycle_scenario
from benchmarks.scenario_files import run_file_scenario
from benchmarks.scenario_warm import run_warm


def test_file_scenarios_run_both_sides_on_the_same_work(tmp_path: Path) -> None:
    for name in ("file_json_json", "file_csv_json"):
        [result] = run_file_scenario(name, True, tmp_path / name, sizes=(300,), repeats=1)
        assert result.seconds > 0 and result.baseline_seconds > 0 and result.met is not None
        target = json.loads((tmp_path / name / "idsync-target.json").read_text(encoding="utf-8"))
        written = json.loads((tmp_path / name / "baseline-target.json").read_text(encoding="utf-8"))
        assert len(target["User"]) == len(written["User"])  # the scenario compared their counts too
        assert not (tmp_path / name / "idsync-target.json.journal").exists()  # folded at the cycle's end


def test_the_csv_baseline_reads_the_feed_as_the_connector_does(tmp_path: Path) -> None:
    spec = DirectorySpec(users=20, seed=3)
    feed = generator.write_csv(spec, tmp_path / "feed.csv")
    users = list(baseline_files.read_csv(feed))
    assert len(users) == 20 and all(isinstance(u.get("accountEnabled", True), bool) for u in users)
    assert any(isinstance(u.get("proxyAddresses"), list) for u in users)


def test_streamed_dry_run_and_warm_scenarios_run(tmp_path: Path) -> None:
    [streamed] = run_cycle_scenario("dry_run_stream", True, tmp_path / "stream", sizes=(300,), repeats=1)
    assert streamed.seconds > 0 and (tmp_path / "stream" / "plan.jsonl").stat().st_size > 0
    [warm] = run_warm(True, tmp_path / "warm", sizes=(300,))
    assert len(warm.samples) == len(warm.baseline_samples) == 3


def test_the_table_says_met_or_not_met_against_a_ratio_target() -> None:
    rows = [
        ScenarioResult("a", 10, 10, 2.0, 1.0, 1, 1, 1, ratio_limit=3.0),
        ScenarioResult("a", 100, 100, 4.0, 1.0, 1, 1, 1, ratio_limit=3.0),
        ScenarioResult("b", 10, 10, 4.0, 1.0, 1, 1, 1),
    ]
    assert [r.row()["met"] for r in rows] == [True, False, None]
    lines = markdown_table(rows).splitlines()
    assert lines[2].endswith("| met |") and lines[3].endswith("| **not met** |") and lines[4].endswith("|  |")
