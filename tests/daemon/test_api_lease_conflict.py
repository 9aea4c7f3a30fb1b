"""The API over a job whose lease another process holds (a worker's cycle): the writers that need the lease
answer 409 in Graph's error shape and change nothing; the operator controls (pause, start) still work."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine import SyncEngine, dump_schema, load_job
from engine.api import create_app
from engine.daemon import Daemon
from tests.engine.run.conftest import user, write_job

JOB = "/servicePrincipals/local/synchronization/jobs/test"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    path = write_job(tmp_path, {"User": [user("u1"), user("u2")]})
    daemon = Daemon([load_job(path)])
    with TestClient(create_app(daemon, token=None, manage_daemon=False)) as client:
        yield client, path
    daemon.shutdown()


def _conflict(response: object) -> str:
    assert getattr(response, "status_code", None) == 409, getattr(response, "text", "")
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == "Conflict"
    return str(error["message"])


def test_writers_answer_409_while_another_process_holds_the_lease(served: tuple[TestClient, Path]) -> None:
    client, path = served
    with SyncEngine(load_job(path)) as worker, worker.lease():
        assert "being run by another idsync process" in _conflict(
            client.post(f"{JOB}/restart", json={"criteria": {"resetScope": "Watermark"}})
        )
        _conflict(
            client.post(
                f"{JOB}/provisionOnDemand",
                json={
                    "parameters": [
                        {"ruleId": "r", "subjects": [{"objectId": "u1", "objectTypeName": "User"}]}
                    ]
                },
            )
        )
        schema = dump_schema(worker.job.schema)
        schema["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"].pop()
        _conflict(client.put(f"{JOB}/schema", json=schema))
        assert worker.store.stored_schema() is None  # the PUT changed nothing
        assert client.post(f"{JOB}/pause").status_code == 204  # a control: no lease needed
        assert worker.status()["code"] == "Paused"
        assert client.post(f"{JOB}/start").status_code == 204
    assert client.put(f"{JOB}/schema", json=schema).status_code == 204  # the lease is free again
    with SyncEngine(load_job(path)) as other:
        assert other.store.stored_schema() is not None
