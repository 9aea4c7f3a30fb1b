"""Found by the SCIM crash campaign (``test_crash_campaign_scim``, ``IDSYNC_CRASH_SEED=777``): a create
killed before its commit, then its matching attribute renamed, the copy updated in place
(``Driver._reuse_uncommitted``) and killed before that commit too, then renamed again: the next cycle no
longer finds the copy (the create's intent still holds the first name only, while the copy now carries the
second) and creates a second object -- a duplicate for good (the new create clears the intent).

Fixed in the driver: when a create is turned into an update of the crash's copy, its intent is journaled
again with the new matching values beside the old ones, before the export.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine import StateError, load_job

from .conftest import GROUP
from .test_properties import World


def _source(name: str) -> dict[str, list[dict[str, Any]]]:
    return {"User": [], "Group": [{"id": "g", "objectId": "g", "displayName": name, "members": []}]}


def _killed_at_the_page_commit(world: World) -> None:
    """The next cycle's first commit that links something fails (a kill after its export)."""
    store = world.engine.store
    real = store.commit

    def commit(batch: Any) -> None:
        if batch.links:
            store.commit = real  # type: ignore[method-assign]
            raise StateError("killed between the export and its commit")
        real(batch)

    store.commit = commit  # type: ignore[method-assign]


def test_two_renames_across_two_crashes_leave_one_object(tmp_path: Path) -> None:
    document = {
        "id": "renames",
        "template": "scim",
        "state": "sqlite://",
        "directories": {
            "Azure Active Directory": {"connector": "memory"},
            "SCIM App": {"connector": "memory"},
        },
    }
    (tmp_path / "job.json").write_text(json.dumps(document), encoding="utf-8")
    world = World(load_job(tmp_path / "job.json"), _source("Team"))
    for name, crash in (("Team", True), ("Team #1", True), ("Team #2", False), ("Team #2", False)):
        world.load(_source(name))
        if crash:
            _killed_at_the_page_commit(world)
        world.cycle()
    names = [g.get("displayName") for g in world.target.snapshot().get(GROUP, [])]
    assert names == ["Team #2"]
