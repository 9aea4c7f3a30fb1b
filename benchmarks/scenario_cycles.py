"""The engine scenarios, each beside the hand-written baseline on the same data in the same run:

* ``cycle_initial``  -- full initial cycle, JSON source (users + groups) -> SQLite ``sql`` target,
  SQLite state;
* ``dry_run``        -- the plan of that same initial cycle, nothing written;
* ``dry_run_stream`` -- the same plan written as JSON Lines as it is made (``idsync dry-run --output``);
* ``incremental_1pct`` / ``incremental_0.1pct`` -- SQLite source with an indexed change column: after an
  initial cycle, 1 % / 0.1 % of the users are edited and one incremental cycle is measured;
* ``incremental_1000`` -- the same, with 1,000 changed users whatever the size (at 10k, 10 %): the
  "cost follows the changes" figure compares it at 1M and at 10k.

Sizes 10k / 100k / 1M users (``--quick``: 1k, one run: a smoke test of the whole path). Each
measurement runs in a fresh subprocess (``_measure``) so peaks don't mix; figures are medians of
``repeats`` runs. idsync and the baseline get separate but identical target tables and state, built from
the same generated files; after the first run each scenario checks that both did the same work (same
creates, same updates), so a failed or partial cycle can never pass for a fast one.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _target, baseline, generator
from ._harness import Measurement, Scenario
from ._measure import Sample, StepFailed, measure
from .generator import DirectorySpec
from .report import ScenarioResult, median

__all__ = [
    "CYCLE_SCENARIOS",
    "SCENARIOS",
    "SIZES",
    "main",
    "run_cycle_scenario",
    "scaling_notes",
    "write_job",
]

SIZES = {False: (10_000, 100_000, 1_000_000), True: (1_000,)}
SEED = 2026
CYCLE_SCENARIOS = (
    "cycle_initial",
    "dry_run",
    "dry_run_stream",
    "incremental_1pct",
    "incremental_0.1pct",
    "incremental_1000",
)
TARGETS = {
    "cycle_initial": "ratio <= 3 (100k and 1M); peak RSS < 1.5 GB at 1M",
    "dry_run": "ratio <= 2 at 100k",
    "dry_run_stream": "peak RSS < 500 MB at 1M",
    "incremental_1pct": "cost follows the changes",
    "incremental_0.1pct": "< 250 ms at 1M (1,000 changes)",
    "incremental_1000": "at 1M <= 1.5x the time at 10k",
}
WARMUP_ROUNDS = 3
"""Incremental rounds both sides run before the measured ones (one in a quick run; see ``_incremental``)."""
_CHANGES: dict[str, Callable[[int], int]] = {
    "incremental_1pct": lambda users: max(1, round(users * 0.01)),
    "incremental_0.1pct": lambda users: max(1, round(users * 0.001)),
    "incremental_1000": lambda users: min(users, 1000),
}


def repeats_for(users: int, quick: bool) -> int:
    if quick:
        return 1
    return 3 if users <= 100_000 else 2


@contextmanager
def _workdir(root: Path | None) -> Iterator[Path]:
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
        yield root
        return
    with tempfile.TemporaryDirectory(prefix="idsync-bench-") as name:
        yield Path(name)


def _sql_directory(url: str, change_column: str | None = None) -> dict[str, Any]:
    tables = {"User": ("users", "target_users"), "Group": ("groups", "target_groups")}
    source = change_column is not None
    objects = {
        name: {"table": pair[0] if source else pair[1], "anchor": "id"}
        | ({"changeColumn": change_column} if change_column else {})
        for name, pair in tables.items()
    }
    return {"connector": "sql", "url": url, "objects": objects}


def write_job(folder: Path, name: str, source: dict[str, Any]) -> Path:
    """An idsync job file: ``source`` -> ``<name>-target.db`` (sql), state in ``<name>-state.db``."""
    job = {
        "id": f"bench-{name}",
        "schema": str(_target.schema_path()),
        "schedule": "PT40M",
        "directories": {
            "Azure Active Directory": source,
            "SQL Target": _sql_directory(f"sqlite:///{folder / (name + '-target.db')}"),
        },
        "settings": {"deleteThreshold": None, "pageSize": 1000},
        "state": f"sqlite:///{folder / (name + '-state.db')}",
    }
    path = folder / f"{name}-job.json"
    path.write_text(json.dumps(job, indent=2), encoding="utf-8")
    return path


def _fresh(folder: Path, name: str) -> dict[str, Path]:
    """Empty target tables and no state for run ``name``."""
    paths = {"target": folder / f"{name}-target.db", "state": folder / f"{name}-state.db"}
    for path in paths.values():
        path.unlink(missing_ok=True)
    _target.create_target(paths["target"])
    return paths


@dataclass
class _Pairs:
    idsync: list[Sample]
    baseline: list[Sample]

    def result(self, name: str, users: int, objects: int) -> ScenarioResult:
        return ScenarioResult(
            name=name,
            users=users,
            objects=objects,
            seconds=median(s.seconds for s in self.idsync),
            baseline_seconds=median(s.seconds for s in self.baseline),
            peak_rss_mb=median(s.peak_rss_mb for s in self.idsync),
            baseline_peak_rss_mb=median(s.peak_rss_mb for s in self.baseline),
            runs=len(self.idsync),
            target=TARGETS.get(name, ""),
            samples=tuple(round(s.seconds, 6) for s in self.idsync),
            baseline_samples=tuple(round(s.seconds, 6) for s in self.baseline),
        )


def _initial_like(kind: str, spec: DirectorySpec, folder: Path, repeats: int) -> _Pairs:
    source = generator.write_json(spec, folder / f"source-{spec.users}.json")
    pairs = _Pairs([], [])
    for run in range(repeats):
        ids = _fresh(folder, "idsync")
        job = write_job(folder, "idsync", {"connector": "json", "path": str(source)})
        pairs.idsync.append(measure(f"idsync.{kind}", {"job": str(job)}))
        base = _fresh(folder, "baseline")
        pairs.baseline.append(measure(f"baseline.{kind}", {"source": str(source), **_text(base)}))
        if run == 0:
            _check_initial(kind, spec, pairs.idsync[0], pairs.baseline[0], ids)
    return pairs


def _text(paths: dict[str, Path]) -> dict[str, str]:
    return {key: str(value) for key, value in paths.items()}


def _check_initial(
    kind: str, spec: DirectorySpec, ours: Sample, theirs: Sample, ids: dict[str, Path]
) -> None:
    """Both sides must have done the same work, or the ratio means nothing."""
    expected = theirs.summary["created"]
    if kind.startswith("dry_run"):
        done = ours.summary.get("operations", 0)
        if done < expected:
            raise StepFailed(f"idsync planned {done} operations, the baseline {expected} creates")
        return
    created = sum(v for k, v in ours.summary.items() if k.endswith(".create"))
    if created != expected:
        raise StepFailed(f"idsync created {created} objects, the baseline {expected} ({spec.users} users)")


def _incremental(
    name: str, spec: DirectorySpec, folder: Path, repeats: int, warmup: int
) -> tuple[_Pairs, int]:
    source = generator.write_sqlite(spec, folder / f"source-{spec.users}.db")
    job = write_job(folder, "idsync", _sql_directory(f"sqlite:///{source}", generator.CHANGE_COLUMN))
    mine = _fresh(folder, "idsync")
    _initial_cycle_in_process(job)  # the starting point, not measured
    base = _fresh(folder, "baseline")
    baseline.initial(source, base["target"], base["state"])
    count = _CHANGES[name](spec.users)
    pairs = _Pairs([], [])
    # Each side reads its files right before its measured cycle, so both run with them in the operating
    # system's cache, as a daemon's are on a host with memory to spare: a kernel may page out file pages
    # nobody touched for a while, and files read once before all the rounds would then be cached for some
    # rounds and not for others. The first ``warmup`` rounds are run by both sides but not kept: right after
    # the initial cycles a machine may be slower for a while (the README's benchmark notes give figures).
    for round_number in range(1, warmup + repeats + 1):
        indexes = generator.changed_user_indexes(spec, count, round_number)
        stamp = generator.change_stamp(spec, round_number)
        generator.touch_users_sqlite(spec, source, indexes, version=round_number, changed_at=stamp)
        _read_through(source, *mine.values())
        ours = measure("idsync.incremental", {"job": str(job)})
        _read_through(source, *base.values())
        theirs = measure("baseline.incremental", {"source": str(source), **_text(base)})
        _check_incremental(ours, theirs)
        if round_number > warmup:
            pairs.idsync.append(ours)
            pairs.baseline.append(theirs)
    return pairs, count


def _read_through(*paths: Path) -> None:
    """Read these files (and their SQLite write-ahead logs) once, so both sides find them cached.

    On Linux 6.x, a sequential read leaves a file cached in large folios, and a 4 KiB write then dirties (and
    its fsync writes) a whole folio, which makes both sides' target updates dearer than after page-sized
    reads. Reading page by page instead (``POSIX_FADV_DONTNEED``, then ``POSIX_FADV_RANDOM``) was tried
    and not kept: reads from that cache were slower, and so were the cycles overall."""
    for path in paths:
        for part in (path, path.with_name(path.name + "-wal")):
            if part.exists():
                with part.open("rb") as handle:
                    while handle.read(1 << 20):
                        pass


def _initial_cycle_in_process(job: Path) -> None:
    import engine  # here, not at the top: the generator and baseline must not need the engine

    with engine.SyncEngine(engine.load_job(job)) as sync:
        report = sync.run_cycle(full=True)
    if report.state != "Succeeded":
        raise StepFailed(
            f"the initial idsync cycle before the incremental one ended {report.state}: {report.error}"
        )


def _check_incremental(ours: Sample, theirs: Sample) -> None:
    updated = ours.summary.get("User.update", 0)
    if updated != theirs.summary["updated"]:
        raise StepFailed(f"idsync updated {updated} users, the baseline {theirs.summary['updated']}")


def run_cycle_scenario(
    name: str,
    quick: bool,
    workdir: Path | None = None,
    sizes: tuple[int, ...] | None = None,
    repeats: int | None = None,
) -> list[ScenarioResult]:
    """Every size of scenario ``name``; ``workdir`` keeps the generated files (default: a temp folder);
    ``repeats`` overrides the runs per size (``repeats_for``)."""
    results = []
    for users in sizes or SIZES[quick]:
        spec = DirectorySpec(users=users, seed=SEED)
        runs = repeats or repeats_for(users, quick)
        with _workdir(workdir) as folder:
            if name in _CHANGES:
                warmup = 1 if quick else WARMUP_ROUNDS
                pairs, objects = _incremental(name, spec, folder, runs, warmup)
            else:
                kind = "initial" if name == "cycle_initial" else name
                pairs, objects = _initial_like(kind, spec, folder, runs), users + spec.group_count
        results.append(pairs.result(name, users, objects))
    return results


DESCRIPTIONS = {
    "cycle_initial": "initial cycle, JSON source -> SQLite sql target, SQLite state (10k/100k/1M)",
    "dry_run": "dry-run (plan only) of the initial cycle (10k/100k/1M)",
    "dry_run_stream": "dry-run of the initial cycle written as JSON Lines (--output) (10k/100k/1M)",
    "incremental_1pct": "incremental cycle after 1 % of the users changed, SQL source (10k/100k/1M)",
    "incremental_0.1pct": "incremental cycle after 0.1 % of the users changed, SQL source (10k/100k/1M)",
    "incremental_1000": "incremental cycle after 1,000 users changed, SQL source (10k/100k/1M)",
}


def _rows(name: str) -> Callable[[bool], list[dict[str, Any]]]:
    def rows(quick: bool) -> list[dict[str, Any]]:
        results = run_cycle_scenario(name, quick)
        notes = scaling_notes(results)
        return [result.row(notes.get(result.users, "")) for result in results]

    return rows


def scaling_notes(results: list[ScenarioResult]) -> dict[int, str]:
    """For each larger size of a scenario, its time against the smallest size's, idsync's and the
    baseline's (``incremental_1000``'s target is this ratio at 1M against 10k)."""
    if len(results) < 2:
        return {}
    first = min(results, key=lambda r: r.users)
    return {
        r.users: (
            f"median of {r.runs} run(s); {r.seconds / first.seconds:.2f}x the time at {first.users:,} users "
            f"(baseline: {r.baseline_seconds / first.baseline_seconds:.2f}x)"
        )
        for r in results
        if r is not first and first.seconds > 0 and first.baseline_seconds > 0
    }


def _smallest(name: str) -> Callable[[bool], Measurement]:
    def run(quick: bool) -> Measurement:
        result = run_cycle_scenario(name, quick, sizes=SIZES[quick][:1])[0]
        notes = f"{result.users} users; median of {result.runs} run(s)"
        return Measurement(result.objects, result.seconds, result.baseline_seconds, notes)

    return run


SCENARIOS = [
    Scenario(name, DESCRIPTIONS[name], _smallest(name), TARGETS[name], rows=_rows(name))
    for name in CYCLE_SCENARIOS
]


SizedRun = Callable[[str, bool, Path | None, tuple[int, ...] | None, int | None], list[ScenarioResult]]
"""``(scenario, quick, workdir, sizes, repeats) -> results``: a scenario module's runner."""


def run_alone(
    prog: str, doc: str | None, names: tuple[str, ...], run: SizedRun, argv: list[str] | None
) -> int:
    """The command line of a scenario module run alone: ``[--quick] [--scenario NAME] [--sizes N ...]
    [--repeats N] [--json FILE] [--report DIR] [--workdir DIR]``; each scenario's table (and how its time
    scales across sizes) printed as it ends."""
    import argparse
    import sys

    from .report import markdown_table, to_json, write_report

    parser = argparse.ArgumentParser(prog=prog, description=doc)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--scenario", action="append", choices=names)
    parser.add_argument("--sizes", type=int, nargs="+", help="users per directory (default: 10k 100k 1M)")
    parser.add_argument("--repeats", type=int, help="runs per size (default: 3 up to 100k users, 2 above)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--report", type=Path, help="folder for report.md, chart.png, results.json")
    parser.add_argument("--workdir", type=Path, help="keep the generated files here (default: a temp folder)")
    args = parser.parse_args(argv)
    results: list[ScenarioResult] = []
    for name in args.scenario or names:
        try:
            found = run(name, args.quick, args.workdir, tuple(args.sizes or ()) or None, args.repeats)
        except StepFailed as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            return 1
        results += found
        print(markdown_table(found), end="", flush=True)
        for users, note in scaling_notes(found).items():
            print(f"{name} at {users:,} users: {note}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(to_json(results), indent=2) + "\n", encoding="utf-8")
    if args.report:
        write_report(results, args.report, f"{prog} " + " ".join(argv or sys.argv[1:]))
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.scenario_cycles [--quick] [--scenario NAME] [--sizes N ...] [--repeats N]
    [--json FILE] [--report DIR]``: the cycle scenarios alone (``python -m benchmarks run`` runs them with
    the others)."""
    prog = "python -m benchmarks.scenario_cycles"
    return run_alone(prog, main.__doc__, CYCLE_SCENARIOS, run_cycle_scenario, argv)


if __name__ == "__main__":
    raise SystemExit(main())
