"""The file scenarios: a new user's first cycles, each beside the hand-written baseline
(``benchmarks.baseline_files``) on the same data in the same run:

* ``file_json_json`` -- initial cycle, JSON source (users + groups) -> a json target file, SQLite state;
* ``file_csv_json``  -- initial cycle, CSV feed (users; ``;`` lists) -> a json target file, SQLite state.

The schema is ``schemas/users_groups_sql.json`` with its ``SQL Target`` directory bound to a json file (the
csv scenario without the Group mapping: a csv file holds one object type). Sizes 10k / 100k / 1M users
(``--quick``: 1k). Each measurement runs in its own process (``_measure``); figures are medians of
``repeats_for`` runs; after the first run both sides must have created the same number of objects.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import _target, generator
from ._harness import Measurement, Scenario
from ._measure import StepFailed, measure
from .generator import DirectorySpec
from .report import ScenarioResult
from .scenario_cycles import SEED, SIZES, _Pairs, _workdir, repeats_for, run_alone, scaling_notes

__all__ = ["FILE_SCENARIOS", "RATIO_LIMIT", "SCENARIOS", "main", "run_file_scenario"]

FILE_SCENARIOS = ("file_json_json", "file_csv_json")
RATIO_LIMIT = 3.0
TARGET = "ratio <= 3 (goal 2)"
DESCRIPTIONS = {
    "file_json_json": "initial cycle, JSON source -> json target file, SQLite state (10k/100k/1M)",
    "file_csv_json": "initial cycle, CSV feed (users) -> json target file, SQLite state (10k/100k/1M)",
}
CSV_SETTINGS = {"anchor": "id", "multiValueSeparator": ";", "multiValueColumns": ["proxyAddresses"]}


def _users_only_schema(folder: Path) -> Path:
    """The benchmark schema without its Group mapping (a csv source holds users only)."""
    schema = json.loads(_target.schema_path().read_text(encoding="utf-8"))
    for rule in schema["synchronizationRules"]:
        rule["objectMappings"] = [m for m in rule["objectMappings"] if m["sourceObjectName"] == "User"]
    path = folder / "users_only_schema.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    return path


def _job(folder: Path, name: str, source: dict[str, Any], schema: Path) -> Path:
    job = {
        "id": f"bench-{name}",
        "schema": str(schema),
        "schedule": "PT40M",
        "directories": {
            "Azure Active Directory": source,
            "SQL Target": {"connector": "json", "path": str(folder / f"{name}-target.json")},
        },
        "settings": {"deleteThreshold": None, "pageSize": 1000},
        "state": f"sqlite:///{folder / (name + '-state.db')}",
    }
    path = folder / f"{name}-job.json"
    path.write_text(json.dumps(job, indent=2), encoding="utf-8")
    return path


def _fresh(folder: Path, name: str) -> dict[str, Path]:
    paths = {"target": folder / f"{name}-target.json", "state": folder / f"{name}-state.db"}
    for path in (*paths.values(), folder / f"{name}-target.json.journal"):
        path.unlink(missing_ok=True)
    return paths


def _pairs(name: str, spec: DirectorySpec, folder: Path, repeats: int) -> tuple[_Pairs, int]:
    if name == "file_json_json":
        source = generator.write_json(spec, folder / f"source-{spec.users}.json")
        settings: dict[str, Any] = {"connector": "json", "path": str(source)}
        schema, objects = _target.schema_path(), spec.users + spec.group_count
    else:
        source = generator.write_csv(spec, folder / f"source-{spec.users}.csv")
        settings = {"connector": "csv", "path": str(source), **CSV_SETTINGS}
        schema, objects = _users_only_schema(folder), spec.users
    pairs = _Pairs([], [])
    for run in range(repeats):
        _fresh(folder, "idsync")
        job = _job(folder, "idsync", settings, schema)
        pairs.idsync.append(measure("idsync.file_initial", {"job": str(job)}))
        base = _fresh(folder, "baseline")
        args = {"source": str(source), **{key: str(value) for key, value in base.items()}}
        pairs.baseline.append(measure("baseline.file_initial", args))
        if run == 0:
            created = sum(v for k, v in pairs.idsync[0].summary.items() if k.endswith(".create"))
            expected = pairs.baseline[0].summary["created"]
            if created != expected:
                raise StepFailed(f"{name}: idsync created {created} objects, the baseline {expected}")
    return pairs, objects


def run_file_scenario(
    name: str,
    quick: bool,
    workdir: Path | None = None,
    sizes: tuple[int, ...] | None = None,
    repeats: int | None = None,
) -> list[ScenarioResult]:
    results = []
    for users in sizes or SIZES[quick]:
        spec = DirectorySpec(users=users, seed=SEED)
        with _workdir(workdir) as folder:
            pairs, objects = _pairs(name, spec, folder, repeats or repeats_for(users, quick))
        result = pairs.result(name, users, objects)
        results.append(_with_limit(result))
    return results


def _with_limit(result: ScenarioResult) -> ScenarioResult:
    from dataclasses import replace

    return replace(result, target=TARGET, ratio_limit=RATIO_LIMIT)


def _rows(name: str) -> Callable[[bool], list[dict[str, Any]]]:
    def rows(quick: bool) -> list[dict[str, Any]]:
        results = run_file_scenario(name, quick)
        notes = scaling_notes(results)
        return [result.row(notes.get(result.users, "")) for result in results]

    return rows


def _smallest(name: str) -> Callable[[bool], Measurement]:
    def run(quick: bool) -> Measurement:
        result = run_file_scenario(name, quick, sizes=SIZES[quick][:1])[0]
        notes = f"{result.users} users; median of {result.runs} run(s)"
        return Measurement(result.objects, result.seconds, result.baseline_seconds, notes)

    return run


SCENARIOS = [
    Scenario(name, DESCRIPTIONS[name], _smallest(name), TARGET, rows=_rows(name)) for name in FILE_SCENARIOS
]


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.scenario_files [--quick] [--scenario NAME] [--sizes N ...] [--repeats N]
    [--json FILE] [--report DIR] [--workdir DIR]``: the file scenarios alone."""
    prog = "python -m benchmarks.scenario_files"
    return run_alone(prog, main.__doc__, FILE_SCENARIOS, run_file_scenario, argv)


if __name__ == "__main__":
    raise SystemExit(main())
