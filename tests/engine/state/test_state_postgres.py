"""The state store and a whole cycle on PostgreSQL (a throwaway cluster; skipped without one, fails in CI)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors import Watermark
from engine import StateStore, SyncEngine, load_job
from engine.state import Batch, EscrowRow, Link
from tests.engine.run.conftest import USER, read_json, user, write_job
from tests.peers.postgres import postgres_url as postgres_url

pytestmark = pytest.mark.peer


def test_state_store_round_trips_on_postgres(postgres_url: str) -> None:
    store = StateStore(postgres_url, f"job-{uuid.uuid4().hex[:8]}")
    when = datetime(2026, 5, 1, 12, tzinfo=UTC)
    batch = Batch()
    batch.link("m", Link("s1", "t1", {"displayName": "Zoë", "members": ["a", "b"]}, {"manager": "s2"}))
    batch.escrow("m", EscrowRow("s3", 2, when, when + timedelta(hours=12), "ObjectRejected", "bad"))
    batch.watermarks["m"] = Watermark(cursor="2026-05-01T12:00:00Z", boundary_ids=frozenset({"s1"}))
    batch.store_updates["m"] = {"s1": "fp"}
    store.commit(batch)
    assert store.links("m", ["s1"])["s1"].essence == {"displayName": "Zoë", "members": ["a", "b"]}
    assert store.due_escrows("m", when + timedelta(hours=13))[0].next_attempt == when + timedelta(hours=12)
    assert store.watermark("m") == Watermark(cursor="2026-05-01T12:00:00Z", boundary_ids=frozenset({"s1"}))
    assert store.datastore_get("m", ["s1"]) == {"s1": "fp"}
    store.close()


def test_cycles_with_postgres_state(tmp_path: Path, postgres_url: str) -> None:
    path = write_job(tmp_path, {"User": [user("u1"), user("u2", manager="u1")]})
    document = json.loads(path.read_text(encoding="utf-8"))
    document.update(id=f"pg-{uuid.uuid4().hex[:8]}", state=postgres_url)
    path.write_text(json.dumps(document), encoding="utf-8")
    with SyncEngine(load_job(path)) as engine:
        assert engine.run_cycle().exported == 3
        assert engine.run_cycle().exported == 0
        assert engine.status()["code"] == "Active"
        assert len(engine.logs()) == 3
    assert len(read_json(tmp_path / "target.json")[USER]) == 2
