"""The references phase reads only what can change (spec §D.7, decision 9; issue 6): links waiting on
objects that are not provisioned are not read again until one of those objects is linked or unlinked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import SyncEngine
from engine.state import Batch, Link, StateStore

from .conftest import GROUP, MANAGER, USER, group, read_json, user


def write_source(folder: Path, source: dict[str, Any]) -> None:
    (folder / "source.json").write_text(json.dumps(source), encoding="utf-8")


def target(folder: Path, kind: str) -> dict[str, dict[str, Any]]:
    return {o.get("userName") or o["displayName"]: o for o in read_json(folder / "target.json").get(kind, [])}


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The source ids of every link the references phase reads (``StateStore.iter_dirty_links``)."""
    seen: list[str] = []
    original = StateStore.iter_dirty_links

    def spy(self: StateStore, scope: str, *, page: int = 1000) -> Iterator[list[Any]]:
        for links in original(self, scope, page=page):
            seen.extend(link.source_id for link in links)
            yield links

    monkeypatch.setattr(StateStore, "iter_dirty_links", spy)
    return seen


def test_waiting_references_are_not_read_again_until_their_object_arrives(
    tmp_path: Path, make_engine: Any, reads: list[str]
) -> None:
    source = {
        "User": [user("u1", accountEnabled=False), user("u2", manager="u1"), user("u3")],
        "Group": [group("g1", ["u1", "u3"])],
    }
    engine: SyncEngine = make_engine(source)
    assert engine.run_cycle().state == "Succeeded"
    assert MANAGER not in target(tmp_path, USER)["u2@contoso.com"]
    reads.clear()
    source["User"].append(user("u4"))  # an unrelated change: the incremental cycle has work to do
    write_source(tmp_path, source)
    assert engine.run_cycle().state == "Succeeded"
    assert reads == []  # u2 and g1 still wait on u1: neither is read
    source["User"][0] = user("u1")  # u1 comes into scope: created, and u2 / g1 wake in that commit
    write_source(tmp_path, source)
    engine.run_cycle()
    assert sorted(reads) == ["g1", "u2"]
    users = target(tmp_path, USER)
    assert users["u2@contoso.com"][MANAGER] == users["u1@contoso.com"]["id"]
    (grp,) = target(tmp_path, GROUP).values()
    assert sorted(grp["members"]) == sorted([users["u1@contoso.com"]["id"], users["u3@contoso.com"]["id"]])
    reads.clear()
    engine.run_cycle()
    assert reads == []  # everything resolved: nothing left to read


def test_a_state_written_before_waiting_links_is_sorted_out_once(tmp_path: Path, make_engine: Any) -> None:
    """Links pending under schema version 1 (upgraded as dirty) are processed once, then wait."""
    engine: SyncEngine = make_engine({"User": [user("u1", accountEnabled=False), user("u2", manager="u1")]})
    engine.run_cycle()
    scope = engine.mappings[0].key
    waiting = engine.store.links(scope, ["u2"])["u2"]
    batch = Batch()
    batch.link(scope, Link(waiting.source_id, waiting.target_id, dict(waiting.essence), {MANAGER: "u1"}))
    engine.store.commit(batch)  # pending again, as the upgrade from version 1 leaves it: dirty
    assert [link.source_id for page in engine.store.iter_dirty_links(scope) for link in page] == ["u2"]
    engine.run_cycle()
    assert [link.source_id for page in engine.store.iter_dirty_links(scope) for link in page] == []
    assert [
        link.source_id for page in engine.store.iter_links(scope, pending_only=True) for link in page
    ] == ["u2"]
