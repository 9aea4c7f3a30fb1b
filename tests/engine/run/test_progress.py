"""A full cycle reports its progress with a total when the source can count its objects (a bar in
``idsync run``), and a running count when it cannot (a streamed json file, an incremental read)."""

from __future__ import annotations

from typing import Any

from .conftest import USER, group, user, write_job
from .test_properties import World, job  # noqa: F401 -- the job fixture

USERS = [user(f"u{i}") for i in range(5)]


def test_a_source_that_counts_gives_the_total(job: Any) -> None:  # noqa: F811
    world = World(job, {"User": USERS, "Group": [group("g0", ["u0"])]})
    seen: list[tuple[str, int, int | None]] = []
    world.engine.run_cycle(progress=lambda phase, done, total: seen.append((phase, done, total)))
    users = [entry for entry in seen if entry[0].startswith("User")]
    groups = [entry for entry in seen if entry[0].startswith("Group")]
    assert users[-1][1:] == (5, 5) and groups[-1][1:] == (1, 1)
    world.load({"User": [*USERS, user("u9")], "Group": []})
    seen.clear()
    world.engine.run_cycle(progress=lambda phase, done, total: seen.append((phase, done, total)))
    assert all(total is None for _, _, total in seen), "an incremental read does not know its length"


def test_a_streamed_json_source_gives_a_running_count(tmp_path: Any) -> None:
    from engine import SyncEngine, load_job

    path = write_job(tmp_path, {"User": USERS})
    seen: list[tuple[str, int, int | None]] = []
    with SyncEngine(load_job(path)) as engine:
        engine.run_cycle(progress=lambda phase, done, total: seen.append((phase, done, total)))
    assert seen[0] == (f"User → {USER}", 5, None)
