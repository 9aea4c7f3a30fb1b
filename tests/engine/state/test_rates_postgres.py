"""The shared rate limit on PostgreSQL (the worker fleet's state): one statement per batch, shared by the
processes of every job on the database."""

from __future__ import annotations

import pytest

from engine.state import StateStore
from tests.peers.postgres import postgres_url as postgres_url

pytestmark = pytest.mark.peer


def test_the_limit_is_shared_on_postgres(postgres_url: str) -> None:
    one, two = StateStore(postgres_url, "rates-one"), StateStore(postgres_url, "rates-two")
    try:
        key = f"app-{id(one)}"
        assert one.rate_wait(key, 100.0, 100) == 0.0
        assert two.rate_wait(key, 100.0, 100) == pytest.approx(1.0, abs=0.1)
        assert one.rate_wait(key, 100.0, 50) == pytest.approx(2.0, abs=0.1)
    finally:
        one.close()
        two.close()
