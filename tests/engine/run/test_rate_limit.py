"""A target's ``rateLimit`` (issue 19): requests a second to a directory, shared through the state database
by every job and worker whose binding names the same target key; the embedded runner honours it too."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from engine import SyncEngine, load_job
from engine.cli import main
from engine.state import StateStore
from engine.validation import validate

from .conftest import USER, read_json, user


def _job(folder: Path, users: int, job_id: str, **binding: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "source.json").write_text(
        json.dumps({"User": [user(f"u{i}") for i in range(users)]}), encoding="utf-8"
    )
    document = {
        "id": job_id,
        "template": "scim",
        "schedule": "PT5S",
        "state": f"sqlite:///{folder.parent / 'state.db'}",
        "directories": {
            "Azure Active Directory": {"connector": "json", "path": "source.json"},
            "SCIM App": {"connector": "json", "path": "target.json", **binding},
        },
        "settings": {"batchSize": 10},
    }
    path = folder / "job.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _timed_cycle(job: Path) -> tuple[float, list[float]]:
    waits: list[float] = []
    with SyncEngine(load_job(job)) as engine:
        engine.sleep = waits.append  # the waits asked for, not slept: the test stays fast
        started = time.monotonic()
        report = engine.run_cycle()
        assert report.succeeded, report.error
        return time.monotonic() - started, waits


def test_a_rate_limit_spaces_the_writes_to_the_target(tmp_path: Path) -> None:
    _, waits = _timed_cycle(_job(tmp_path / "a", 30, "a", rateLimit=10))
    # 30 creates at 10 a second: three slots of ten, the first at once, the others 1 s and 2 s later
    assert len(waits) == 2
    assert waits[0] == pytest.approx(1.0, abs=0.2) and waits[1] == pytest.approx(2.0, abs=0.3)
    users = read_json(tmp_path / "a" / "target.json").get(USER, [])
    assert len(users) == 30


def test_jobs_naming_one_target_key_share_its_limit(tmp_path: Path) -> None:
    first = _job(tmp_path / "a", 10, "a", rateLimit=10, rateLimitKey="the-app")
    second = _job(tmp_path / "b", 10, "b", rateLimit=10, rateLimitKey="the-app")
    other = _job(tmp_path / "c", 10, "c", rateLimit=10, rateLimitKey="another-app")
    assert _timed_cycle(first)[1] == []  # a second's worth: at once
    [wait] = _timed_cycle(second)[1]  # the same target, right after: the next second
    assert wait == pytest.approx(1.0, abs=0.2)
    assert _timed_cycle(other)[1] == []  # another target: its own limit


def test_the_limit_is_shared_by_state_stores_of_other_jobs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    one, two = StateStore(url, "one"), StateStore(url, "two")
    try:
        assert one.rate_wait("t", 100.0, 100) == 0.0
        assert two.rate_wait("t", 100.0, 100) == pytest.approx(1.0, abs=0.1)
        assert one.rate_wait("t", 100.0, 50) == pytest.approx(2.0, abs=0.1)
        assert two.rate_wait("u", 100.0, 100) == 0.0
    finally:
        one.close()
        two.close()


@pytest.mark.parametrize(
    ("binding", "message"),
    [
        ({"rateLimit": 0}, "rateLimit must be a number of requests a second above 0"),
        ({"rateLimit": "fast"}, "rateLimit must be a number"),
        ({"rateLimit": 5, "rateLimitKey": ""}, "rateLimitKey must be a non-empty text"),
        ({"rateLimitKey": "the-app"}, "sets no rateLimit"),
    ],
)
def test_validate_and_run_refuse_a_bad_rate_limit_alike(
    tmp_path: Path, binding: dict[str, Any], message: str
) -> None:
    job = _job(tmp_path / "a", 1, "a", **binding)
    errors = [f for f in validate(job) if f.severity == "error"]
    assert any(message in f.message for f in errors), errors
    ran = CliRunner().invoke(main, ["run", str(job)])
    assert ran.exit_code == 2 and message in ran.output, ran.output
    assert not (tmp_path / "a" / "target.json").exists()
