"""``python -m tests.daemon.fake_serve PORT``: idsync's real server class, app and daemon over one fake
engine whose cycle runs until it is asked to stop — to test signal handling without the engine core."""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn

from engine.api import create_app
from engine.cli._serve import _server_class
from engine.daemon import Daemon, configure_logging
from tests.api.fakes import FakeEngine, FakeJob, log_record


class SlowEngine(FakeEngine):
    def run_cycle(
        self,
        *,
        full: bool = False,
        now: Any = None,
        progress: Any = None,
        stop: threading.Event | None = None,
    ) -> Any:
        if progress is not None:
            progress("Users", 1, 3)
        print("cycle started", flush=True)
        assert stop is not None
        stop.wait(60)  # stands for batches: the engine checks ``stop`` between batches
        print(f"cycle stopped on request: {stop.is_set()}; batch committed", flush=True)
        return super().run_cycle(stop=stop)


def _engine(job: Any) -> FakeEngine:
    engine = SlowEngine(job)
    when = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    engine.records = [log_record(job.id, "c1", n, when + timedelta(seconds=n)) for n in range(3)]
    return engine


def main() -> None:
    """``PORT [noauth]``: with ``noauth`` the app takes no token (as ``idsync serve --no-auth``)."""
    configure_logging()
    daemon = Daemon([FakeJob("slow", interval=timedelta(minutes=40))], engine_factory=_engine)
    app = create_app(daemon, token=None if sys.argv[2:] == ["noauth"] else "t")
    server = _server_class()(uvicorn.Config(app, host="127.0.0.1", port=int(sys.argv[1]), log_config=None))
    server.run()
    print("exited cleanly", flush=True)


if __name__ == "__main__":
    main()
