"""Helper process for the lease tests (not a test module): runs one cycle of the job given as argument and
stops itself with SIGSTOP right after its Nth state commit (argument 2) -- frozen between two writes,
holding no database lock, as a process paused by a debugger, a VM migration or a swap storm would be."""

from __future__ import annotations

import os
import signal
import sys

from engine import SyncEngine, load_job
from engine.cli._run import exit_code
from engine.state import Batch, StateStore

_commit = StateStore.commit
_commits = 0


def _commit_then_freeze(self: StateStore, batch: Batch) -> None:
    global _commits
    _commit(self, batch)
    _commits += 1
    if _commits == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGSTOP)


StateStore.commit = _commit_then_freeze  # type: ignore[method-assign]

if __name__ == "__main__":
    with SyncEngine(load_job(sys.argv[1])) as engine:
        report = engine.run_cycle()
    print(report.error_code, report.error, flush=True)
    sys.exit(exit_code(report))
