"""``warm_incremental_1000``: the daemon's shape. One long-lived process runs an initial cycle, then 20
incremental cycles of 1,000 changed users each, every cycle in the same process with the same engine (as
``idsync serve`` runs a job); the hand-written baseline does the same in a long-lived process of its own.
Both sides are warm: imports, compiled mappings, connections and caches outlive the cycles. The figure is
the median incremental cycle of each side (every round's time is kept in the JSON).

SQLite source with an indexed change column -> SQLite ``sql`` target, SQLite state, as ``incremental_1000``
(``scenario_cycles``), but each side edits a copy of the source of its own, with the same edits, before each
round (outside the clock). Sizes 10k / 100k users (``--quick``: 1k users, 3 rounds of 100).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from . import _target, baseline, generator
from ._harness import Measurement, Scenario
from ._measure import StepFailed
from .generator import DirectorySpec
from .report import ScenarioResult, median, peak_rss_mb
from .scenario_cycles import SEED, _sql_directory, _workdir, write_job

__all__ = ["ROUNDS", "SCENARIOS", "main", "run_warm"]

NAME = "warm_incremental_1000"
ROUNDS = {False: 20, True: 3}
CHANGES = {False: 1000, True: 100}
SIZES = {False: (10_000, 100_000), True: (1_000,)}
TARGET = "the median incremental round (no ratio target)"


def _edit(spec: DirectorySpec, source: Path, round_number: int, changes: int) -> None:
    indexes = generator.changed_user_indexes(spec, changes, round_number)
    stamp = generator.change_stamp(spec, round_number)
    generator.touch_users_sqlite(spec, source, indexes, version=round_number, changed_at=stamp)


def _idsync(spec: DirectorySpec, folder: Path, rounds: int, changes: int) -> tuple[list[float], list[int]]:
    import engine
    from engine.cli import tune_collector

    tune_collector()  # as ``idsync serve`` does for its process
    source = folder / "idsync-source.db"
    job = write_job(folder, "idsync", _sql_directory(f"sqlite:///{source}", generator.CHANGE_COLUMN))
    samples: list[float] = []
    done: list[int] = []
    with engine.SyncEngine(engine.load_job(job)) as sync:
        first = sync.run_cycle(full=True)
        if first.state != "Succeeded":
            raise StepFailed(f"the initial idsync cycle ended {first.state}: {first.error}")
        for round_number in range(1, rounds + 1):
            _edit(spec, source, round_number, changes)
            started = time.perf_counter()
            report = sync.run_cycle()
            samples.append(time.perf_counter() - started)
            users_done = report.counts.get("User")
            done.append(users_done["update"] if users_done else 0)
            if report.state != "Succeeded":
                raise StepFailed(f"round {round_number}: {report.state}: {report.error}")
    return samples, done


def _baseline(spec: DirectorySpec, folder: Path, rounds: int, changes: int) -> tuple[list[float], list[int]]:
    source, target, state = (folder / f"baseline-{n}" for n in ("source.db", "target.db", "state.db"))
    baseline.initial(source, target, state)
    samples: list[float] = []
    done: list[int] = []
    for round_number in range(1, rounds + 1):
        _edit(spec, source, round_number, changes)
        started = time.perf_counter()
        counts = baseline.incremental(source, target, state)
        samples.append(time.perf_counter() - started)
        done.append(counts.updated)
    return samples, done


def _child(side: str, users: int, folder: Path, rounds: int, changes: int) -> None:
    spec = DirectorySpec(users=users, seed=SEED)
    run = _idsync if side == "idsync" else _baseline
    samples, updated = run(spec, folder, rounds, changes)
    print(json.dumps({"samples": samples, "updated": updated, "peak_rss_mb": peak_rss_mb()}))


def _measure(side: str, users: int, folder: Path, rounds: int, changes: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.scenario_warm", "--child", side, str(users), str(folder)]
    command += [str(rounds), str(changes)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=7200, check=False)
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise StepFailed(f"warm {side} failed (exit {done.returncode}): {detail}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_warm(
    quick: bool, workdir: Path | None = None, sizes: tuple[int, ...] | None = None
) -> list[ScenarioResult]:
    results = []
    rounds, changes = ROUNDS[quick], CHANGES[quick]
    for users in sizes or SIZES[quick]:
        spec = DirectorySpec(users=users, seed=SEED)
        with _workdir(workdir) as folder:
            source = generator.write_sqlite(spec, folder / f"warm-source-{users}.db")
            for side in ("idsync", "baseline"):
                for name in ("source.db", "target.db", "state.db", "target.db-wal", "state.db-wal"):
                    (folder / f"{side}-{name}").unlink(missing_ok=True)
                shutil.copyfile(source, folder / f"{side}-source.db")
                _target.create_target(folder / f"{side}-target.db")
            ours = _measure("idsync", users, folder, rounds, changes)
            theirs = _measure("baseline", users, folder, rounds, changes)
        if ours["updated"] != theirs["updated"]:  # both must do the same work, or the ratio means nothing
            raise StepFailed(
                f"idsync updated {ours['updated']} users per round, the baseline {theirs['updated']}"
            )
        results.append(
            ScenarioResult(
                name=NAME,
                users=users,
                objects=changes,
                seconds=median(ours["samples"]),
                baseline_seconds=median(theirs["samples"]),
                peak_rss_mb=ours["peak_rss_mb"],
                baseline_peak_rss_mb=theirs["peak_rss_mb"],
                runs=rounds,
                target=TARGET,
                samples=tuple(round(s, 6) for s in ours["samples"]),
                baseline_samples=tuple(round(s, 6) for s in theirs["samples"]),
            )
        )
    return results


def _rows(quick: bool) -> list[dict[str, Any]]:
    return [
        r.row(f"median of {r.runs} warm rounds of {r.objects} changes; {r.users:,} users")
        for r in run_warm(quick)
    ]


def _smallest(quick: bool) -> Measurement:
    result = run_warm(quick, sizes=SIZES[quick][:1])[0]
    return Measurement(result.objects, result.seconds, result.baseline_seconds, f"{result.users} users")


SCENARIOS = [
    Scenario(
        NAME,
        "daemon-shaped: one process, initial cycle then 20 incremental cycles of 1,000 changes (10k/100k)",
        _smallest,
        TARGET,
        rows=_rows,
    )
]


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.scenario_warm [--quick] [--sizes N ...] [--json FILE] [--workdir DIR]``."""
    import argparse

    from .report import markdown_table, to_json

    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["--child"]:
        side, users, folder, rounds, changes = args_list[1:6]
        _child(side, int(users), Path(folder), int(rounds), int(changes))
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scenario_warm", description=main.__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="+")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(args_list)
    try:
        results = run_warm(args.quick, args.workdir, tuple(args.sizes or ()) or None)
    except StepFailed as exc:
        print(f"{NAME}: {exc}", file=sys.stderr)
        return 1
    print(markdown_table(results), end="")
    for result in results:
        print(f"{result.users:,} users: idsync rounds {result.samples}")
        print(f"{result.users:,} users: baseline rounds {result.baseline_samples}")
    if args.json:
        args.json.write_text(json.dumps(to_json(results), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
