"""The fleet's parts without a worker process: settings, the schedule's claims, the commands' errors."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.fleet import FleetSettings, FleetSettingsError, app_version
from engine.state import Schedule, now_ms
from tests.engine.run.conftest import user, write_job
from tests.peers.postgres import postgres_url as postgres_url

from .fleet_helpers import fresh_database

PG = "postgresql+psycopg://u@h/db"


def test_settings_default_to_the_jobs_state_database() -> None:
    settings = FleetSettings.resolve(executor_id="w-1", state_urls=[PG, PG])
    assert settings.system_database == PG and settings.concurrency == 2 and settings.poll_interval == 0.5
    assert settings.app_version == app_version() and settings.app_version.startswith("idsync-")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"executor_id": "w 1", "state_urls": [PG]}, "--executor-id 'w 1': use letters"),
        ({"executor_id": "w1", "state_urls": ["sqlite:///x.db"]}, "a worker fleet needs PostgreSQL state"),
        ({"executor_id": "w1", "state_urls": [PG, PG + "2"]}, "the jobs use 2 state databases"),
        ({"executor_id": "w1", "state_urls": [PG], "system_database": "sqlite://"}, "expected a postgresql"),
        ({"executor_id": "w1", "state_urls": [PG], "concurrency": 0}, "below 1"),
    ],
)
def test_settings_refuse_what_cannot_work(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(FleetSettingsError, match=message):
        FleetSettings.resolve(**kwargs)  # type: ignore[arg-type]


def test_the_worker_command_says_what_is_wrong_without_a_traceback(tmp_path: Path) -> None:
    job = write_job(tmp_path, {"User": [user("u1")]})  # a SQLite state beside the job file
    result = CliRunner().invoke(main, ["worker", str(job), "--executor-id", "w1"])
    assert result.exit_code == 2
    assert "a worker fleet needs PostgreSQL state" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["worker", str(job)])
    assert result.exit_code == 2 and "--executor-id" in result.output


@pytest.mark.peer
def test_a_due_slot_is_claimed_by_one_tick_only(postgres_url: str) -> None:
    url = fresh_database(postgres_url)
    schedules = [Schedule(url) for _ in range(4)]
    try:
        schedules[0].ensure("local/a", 60)
        schedules[0].ensure("local/b", 60, first_run=now_ms() + 60_000)
        claims: list[list[str]] = []
        barrier = threading.Barrier(len(schedules))

        def tick(schedule: Schedule) -> None:
            barrier.wait()
            claims.append(schedule.claim_due(["local/a", "local/b"]))

        threads = [threading.Thread(target=tick, args=(s,)) for s in schedules]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(key for claim in claims for key in claim) == ["local/a"]  # once, and b is not due
        assert (schedules[1].next_run("local/a") or 0) > now_ms() + 50_000
        schedules[1].trigger("local/a")  # a trigger during a cycle ...
        schedules[2].set_next("local/a", now_ms() + 60_000)  # ... survives the cycle's end
        assert schedules[3].claim_due(["local/a"]) == ["local/a"]
        schedules[0].set_running("local/a", "w1")
        assert schedules[1].running_on("local/a") == "w1"
    finally:
        for schedule in schedules:
            schedule.close()


def test_serve_refuses_the_fleet_runner_for_sqlite_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging

    import engine.daemon

    monkeypatch.setattr(engine.daemon, "configure_logging", lambda **_: logging.NullHandler())
    job = write_job(tmp_path, {"User": [user("u1")]})
    document = json.loads(job.read_text(encoding="utf-8"))
    assert "state" not in document
    result = CliRunner().invoke(main, ["serve", str(job), "--runner", "dbos", "--no-auth", "--port", "0"])
    assert result.exit_code == 2 and "a worker fleet needs PostgreSQL state" in result.output
