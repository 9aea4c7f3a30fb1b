"""The cycle scenarios end to end at tiny sizes, the report files, and idsync vs baseline equivalence.

No timing assertions: the figures are the harness's business; these tests check that the paths work and
that idsync and the baseline do the same work (so a ratio compares like with like)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from benchmarks import _target, baseline, generator, report
from benchmarks._measure import measure
from benchmarks.generator import DirectorySpec
from benchmarks.scenario_cycles import run_cycle_scenario, write_job


def _target_rows(path: Path) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Target users and groups keyed by their matching value, ids replaced by userNames (ids differ)."""
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    try:
        users = [dict(row) for row in connection.execute("SELECT * FROM target_users")]
        groups = [dict(row) for row in connection.execute("SELECT * FROM target_groups")]
    finally:
        connection.close()
    names = {u["id"]: u["userName"] for u in users}
    by_name = {u["userName"]: {**u, "id": None, "manager": names.get(u["manager"])} for u in users}
    by_group = {
        g["displayName"]: {
            **g,
            "id": None,
            "members": sorted(names[m] for m in json.loads(g["members"] or "[]")),
        }
        for g in groups
    }
    return by_name, by_group


def test_idsync_and_the_baseline_write_the_same_target(tmp_path: Path) -> None:
    import engine

    spec = DirectorySpec(users=300, seed=4)
    source = generator.write_json(spec, tmp_path / "source.json")
    _target.create_target(tmp_path / "idsync-target.db")
    job = write_job(tmp_path, "idsync", {"connector": "json", "path": str(source)})
    with engine.SyncEngine(engine.load_job(job)) as sync:
        assert sync.run_cycle().state == "Succeeded"
    _target.create_target(tmp_path / "base-target.db")
    baseline.initial(source, tmp_path / "base-target.db", tmp_path / "base-state.db")

    ours, theirs = _target_rows(tmp_path / "idsync-target.db"), _target_rows(tmp_path / "base-target.db")
    assert len(ours[0]) == sum(1 for u in generator.iter_users(spec) if not baseline.is_soft_deleted(u))
    assert ours == theirs
    assert any(u["manager"] for u in ours[0].values()) and any(g["members"] for g in ours[1].values())


def test_a_measured_step_runs_in_its_own_process(tmp_path: Path) -> None:
    spec = DirectorySpec(users=120, seed=4)
    source = generator.write_json(spec, tmp_path / "source.json")
    _target.create_target(tmp_path / "target.db")
    paths = {"source": source, "target": tmp_path / "target.db", "state": tmp_path / "state.db"}
    sample = measure("baseline.initial", {k: str(v) for k, v in paths.items()})
    assert sample.summary["created"] + sample.summary["skipped"] == spec.users + spec.group_count
    assert sample.seconds > 0 and sample.peak_rss_mb > 0


def test_quick_scenarios_give_documented_rows_and_a_report(tmp_path: Path) -> None:
    results = run_cycle_scenario("cycle_initial", quick=True, workdir=tmp_path / "a", sizes=(150,))
    results += run_cycle_scenario("incremental_1pct", quick=True, workdir=tmp_path / "b", sizes=(200,))
    assert [(r.name, r.users) for r in results] == [("cycle_initial", 150), ("incremental_1pct", 200)]
    assert results[1].objects == 2  # 1 % of 200 users changed
    document = report.to_json(results)
    for row in document["scenarios"]:
        assert set(report.ROW_KEYS) <= set(row)
        assert row["seconds"] > 0 and row["baseline_seconds"] > 0 and row["peak_rss_mb"] > 0
    markdown = report.write_report(results, tmp_path / "report", "python -m benchmarks run --quick")
    text = markdown.read_text(encoding="utf-8")
    assert "| cycle_initial | 150 |" in text and "| incremental_1pct | 200 |" in text
    assert report.markdown_table(document["scenarios"]) in text  # rows read back from JSON: same table
    assert (tmp_path / "report" / "chart.png").read_bytes().startswith(b"\x89PNG")
    assert (
        json.loads((tmp_path / "report" / "results.json").read_text())["scenarios"][0]["name"]
        == "cycle_initial"
    )


def test_harness_quick_run_writes_the_documented_json(tmp_path: Path) -> None:
    from benchmarks.__main__ import main

    out = tmp_path / "quick.json"
    argv = [
        "run",
        "--quick",
        "--scenario",
        "incremental_0.1pct",
        "--json",
        str(out),
        "--report",
        str(tmp_path),
    ]
    assert main(argv) == 0
    rows = json.loads(out.read_text(encoding="utf-8"))["scenarios"]
    assert [(row["name"], row["users"]) for row in rows] == [("incremental_0.1pct", 1000)]
    assert set(report.ROW_KEYS) <= set(rows[0])
    assert (tmp_path / "chart.png").exists() and "incremental_0.1pct" in (tmp_path / "report.md").read_text()


def test_a_failing_step_is_reported_not_timed(tmp_path: Path) -> None:
    from benchmarks._measure import StepFailed

    with pytest.raises(StepFailed, match=r"unknown step 'idsync\.nothing'"):
        measure("idsync.nothing", {})
    missing = {
        "source": str(tmp_path / "absent.json"),
        "target": str(tmp_path / "t.db"),
        "state": str(tmp_path / "s.db"),
    }
    with pytest.raises(StepFailed, match=r"baseline\.initial failed"):
        measure("baseline.initial", missing)


def test_the_cycle_scenarios_run_as_many_times_as_asked(tmp_path: Path) -> None:
    from benchmarks.scenario_cycles import main

    out = tmp_path / "runs.json"
    argv = ["--scenario", "cycle_initial", "--sizes", "100", "--repeats", "2", "--workdir", str(tmp_path)]
    assert main([*argv, "--json", str(out)]) == 0
    [row] = json.loads(out.read_text(encoding="utf-8"))["scenarios"]
    assert (row["users"], row["notes"]) == (100, "median of 2 run(s); 102 objects")
