from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from engine.api import create_app
from engine.daemon import Daemon

from .fakes import FakeEngine, FakeJob

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE = "/servicePrincipals/local/synchronization"


@pytest.fixture
def engines() -> dict[str, FakeEngine]:
    return {}


@pytest.fixture
def daemon(engines: dict[str, FakeEngine]) -> Iterator[Daemon]:
    def factory(job: Any) -> FakeEngine:
        engines[job.id] = FakeEngine(job)
        return engines[job.id]

    d = Daemon([FakeJob("alpha"), FakeJob("beta")], engine_factory=factory)
    yield d
    d.shutdown()


@pytest.fixture
def client(daemon: Daemon) -> Iterator[TestClient]:
    # The daemon is not started: cycles run only when a test asks (scheduler.run_now), never on a timer.
    app = create_app(daemon, token=TOKEN, manage_daemon=False)
    with TestClient(app, headers=AUTH) as c:
        yield c
