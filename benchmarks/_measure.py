"""One measured step in a fresh process: ``python -m benchmarks._measure STEP ARGS_JSON``.

The parent (``benchmarks.scenario_cycles``) calls ``measure(step, args)``; the child imports everything and
prepares the step outside the clock, times only the step itself, and prints one JSON line with
``seconds``, ``peak_rss_mb`` (its own ``ru_maxrss``: a fresh process per step keeps peaks from mixing) and
a ``summary`` of what the step did, which the parent checks so a failed cycle never passes for a fast one.
With ``IDSYNC_BENCH_PROFILE=DIR`` every step is also profiled with pyinstrument (HTML files in DIR), to
profile before optimising.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .report import peak_rss_mb

Step = Callable[[], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Sample:
    seconds: float
    peak_rss_mb: float
    summary: dict[str, Any]


class StepFailed(RuntimeError):
    """A measured step did not do its work (a failed cycle, a crash); the message says why."""


def _baseline_step(kind: str, args: Mapping[str, Any]) -> Step:
    from . import baseline, baseline_files

    paths = {key: Path(value) for key, value in args.items()}

    def run() -> dict[str, Any]:
        if kind == "file_initial":
            counts = baseline_files.initial(paths["source"], paths["target"], paths["state"])
        elif kind == "initial":
            counts = baseline.initial(paths["source"], paths["target"], paths["state"])
        elif kind in ("dry_run", "dry_run_stream"):
            counts = baseline.dry_run(paths["source"], paths["state"], paths["target"])
        else:
            counts = baseline.incremental(paths["source"], paths["target"], paths["state"])
        return {"created": counts.created, "updated": counts.updated, "skipped": counts.skipped}

    return run


def _idsync_step(kind: str, args: Mapping[str, Any]) -> Step:
    import engine
    from engine.cli import keeping_what_lives, tune_collector
    from engine.run import PlanStream

    tune_collector()  # as the idsync command does for its process

    sync = engine.SyncEngine(engine.load_job(Path(args["job"])))
    # Bound before the clock starts, as a daemon binds its connectors once for all its cycles (the baseline's
    # imports happen outside its clock too): what is measured is a cycle, not process start-up.
    sync.connectors  # noqa: B018 -- binds them

    def run() -> dict[str, Any]:
        if kind == "dry_run":
            with keeping_what_lives() as keep:  # as ``idsync dry-run`` does
                plan = sync.plan(progress=keep)
            return {"operations": len(plan.operations)}
        if kind == "dry_run_stream":  # as ``idsync dry-run --output FILE`` does
            output = Path(args["job"]).with_name("plan.jsonl")
            with keeping_what_lives() as keep, output.open("w", encoding="utf-8", buffering=1 << 20) as out:
                stream = sync.plan(progress=keep, into=PlanStream(out))
            return {"operations": stream.written}
        report = sync.run_cycle(full=kind in ("initial", "file_initial"))
        if report.state != "Succeeded":
            raise StepFailed(f"the idsync cycle ended {report.state}: {report.error}")
        counts = {f"{t}.{action}": n for t, c in report.counts.items() for action, n in c.items()}
        return {"exported": report.exported, "escrowed": report.escrowed, **counts}

    return run


def prepare(step: str, args: Mapping[str, Any]) -> Step:
    """``baseline.KIND`` or ``idsync.KIND``, KIND one of ``initial``, ``dry_run``, ``dry_run_stream`` (the
    plan written as JSON Lines beside the job, as ``--output`` does), ``incremental`` (the sql target
    scenarios) and ``file_initial`` (``scenario_files``: a json or csv source into a json file)."""
    side, _, kind = step.partition(".")
    kinds = ("initial", "dry_run", "dry_run_stream", "incremental", "file_initial")
    if kind not in kinds or side not in ("baseline", "idsync"):
        raise StepFailed(f"unknown step {step!r}")
    return _baseline_step(kind, args) if side == "baseline" else _idsync_step(kind, args)


def measure(step: str, args: Mapping[str, Any], timeout: float = 3600) -> Sample:
    """Run ``step`` in a fresh Python process and return its timing, peak memory and summary."""
    command = [sys.executable, "-m", "benchmarks._measure", step, json.dumps(dict(args))]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise StepFailed(f"{step} failed (exit {done.returncode}): {detail}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return Sample(float(result["seconds"]), float(result["peak_rss_mb"]), dict(result["summary"]))


PROFILE_ENV = "IDSYNC_BENCH_PROFILE"
"""Set it to a folder to profile every measured step with pyinstrument (``<step>-<pid>.html`` there);
the timings of a profiled run are not comparable with unprofiled ones."""


def _profiled(step: str, run: Step) -> dict[str, Any]:
    from pyinstrument import Profiler

    folder = Path(os.environ[PROFILE_ENV])
    folder.mkdir(parents=True, exist_ok=True)
    with Profiler() as profiler:
        summary = run()
    profiler.write_html(str(folder / f"{step}-{os.getpid()}.html"))
    return summary


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m benchmarks._measure STEP ARGS_JSON", file=sys.stderr)
        return 2
    try:
        run = prepare(argv[0], json.loads(argv[1]))
        started = time.perf_counter()
        summary = _profiled(argv[0], run) if os.environ.get(PROFILE_ENV) else run()
        seconds = time.perf_counter() - started
    except StepFailed as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "summary": summary}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
