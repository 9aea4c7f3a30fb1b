"""Helper process for the intent-journal tests (not a test module): runs one cycle of the job given as
argument and SIGKILLs itself at the first state commit that links objects — after the page's creates were
written to the target and before the state records them, the window the intent journal covers."""

from __future__ import annotations

import os
import signal
import sys

from engine import SyncEngine, load_job
from engine.state import Batch, StateStore

_commit = StateStore.commit


def _commit_or_die(self: StateStore, batch: Batch) -> None:
    if batch.links:
        os.kill(os.getpid(), signal.SIGKILL)
    _commit(self, batch)


StateStore.commit = _commit_or_die  # type: ignore[method-assign]

if __name__ == "__main__":
    with SyncEngine(load_job(sys.argv[1])) as engine:
        engine.run_cycle()
    sys.exit(3)  # reached only if no commit linked anything
