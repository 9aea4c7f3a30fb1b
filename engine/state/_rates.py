"""A target's rate limit shared by every job and worker writing to it (table ``target_rates``; issue 19).

Virtual scheduling in one statement: each target key holds the moment its next request may go (``next_at``,
epoch microseconds). Taking ``count`` requests at ``rate`` a second takes the slot that begins at whichever
is later, ``next_at`` or now, and moves ``next_at`` to its end (``count / rate`` later); the requests go when
their slot begins (the caller takes a second's worth at a time: an idle target sends that much at once).
One ``UPDATE ... RETURNING`` per batch, atomic in SQLite and PostgreSQL alike: processes on one state
database share the limit without a lock of their own. The clock is the hosts' (assumed in step).
"""

from __future__ import annotations

import time

from sqlalchemy import Engine

from ._sql import Sql


def take(engine: Engine, sql: Sql, key: str, rate: float, count: int) -> float:
    """Seconds to wait before sending ``count`` requests to target ``key`` limited to ``rate`` a second."""
    now = int(time.time() * 1_000_000)
    cost = max(1, round(count / rate * 1_000_000))
    floor = now
    with engine.begin() as conn:
        sql.run(
            conn,
            "INSERT INTO target_rates (target_key, next_at) VALUES (?, ?) "
            "ON CONFLICT (target_key) DO NOTHING",
            (key, floor),
        )
        [(moved,)] = sql.query(
            conn,
            "UPDATE target_rates SET next_at = CASE WHEN next_at > ? THEN next_at ELSE ? END + ? "
            "WHERE target_key = ? RETURNING next_at",
            (floor, floor, cost, key),
        )
    return max(0.0, (int(moved) - cost - now) / 1_000_000)
