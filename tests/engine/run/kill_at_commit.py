"""Helper process for the crash campaign (not a test module): runs one cycle of the job given as argument and
SIGKILLs itself when it reaches its Nth state commit (argument 2) -- after what that commit records was
exported, before it is recorded. Exits 0 when the cycle ends first."""

from __future__ import annotations

import os
import signal
import sys

from engine import SyncEngine, load_job
from engine.state import Batch, StateStore

_commit = StateStore.commit
_seen = 0


def _commit_or_die(self: StateStore, batch: Batch) -> None:
    global _seen
    _seen += 1
    if _seen == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)
    _commit(self, batch)


StateStore.commit = _commit_or_die  # type: ignore[method-assign]

if __name__ == "__main__":
    with SyncEngine(load_job(sys.argv[1])) as engine:
        engine.run_cycle()
