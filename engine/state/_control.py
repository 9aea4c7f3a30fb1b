"""Operator controls of a job (table ``job_control``): written by operators from any process, only read by
cycles.

A cycle used to read the whole status at its start and write it back at its end, so a pause given by another
process in between was lost. The controls an operator gives -- paused, force deletes, lift the quarantine,
stop the running cycle -- therefore live in a row of their own that no cycle writes. Each request bumps the
row's ``seq`` and, for the one-shot requests, records that number (``force_seq``, ``lift_seq``,
``stop_seq``); a cycle remembers in the job status which numbers it has acted on, so a request made while it
runs is neither lost nor acted on twice. Writing a control takes no lease: it is one atomic statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Connection

from ._sql import Sql

__all__ = ["Control", "read_control", "request_control"]

_COLUMNS = ("seq", "paused", "force_seq", "lift_seq", "stop_seq")


@dataclass(frozen=True, slots=True)
class Control:
    """A job's operator controls; all zero / False when no operator has acted on it."""

    seq: int = 0
    """Bumped by every request: a pause a cycle set by itself counts only while no operator acted since."""
    paused: bool = False
    force_seq: int = 0
    """The request number of the last ``ForceDeletes`` restart (0: none)."""
    lift_seq: int = 0
    """The request number of the last quarantine lift (start)."""
    stop_seq: int = 0
    """The request number of the last request to stop the running cycle (pause)."""


def read_control(sql: Sql, conn: Connection, job_id: str) -> Control:
    rows = sql.query(conn, f"SELECT {', '.join(_COLUMNS)} FROM job_control WHERE job_id = ?", (job_id,))
    if not rows:
        return Control()
    seq, paused, force, lift, stop = rows[0]
    return Control(int(seq), bool(paused), int(force), int(lift), int(stop))


def request_control(
    sql: Sql,
    conn: Connection,
    job_id: str,
    *,
    paused: bool | None = None,
    force: bool = False,
    lift: bool = False,
    stop: bool = False,
) -> None:
    """One operator request, in one statement: ``paused`` set (None: unchanged), and the one-shot requests
    numbered with the row's new ``seq``."""
    changed = datetime.now(UTC).isoformat()
    sets = ["seq = job_control.seq + 1", "changed = ?"]
    params: list[object] = [changed]
    if paused is not None:
        sets.append("paused = ?")
        params.append(paused)
    for wanted, column in ((force, "force_seq"), (lift, "lift_seq"), (stop, "stop_seq")):
        if wanted:
            sets.append(f"{column} = job_control.seq + 1")
    first = (job_id, 1, bool(paused), int(force), int(lift), int(stop), changed)
    insert = (
        "INSERT INTO job_control (job_id, seq, paused, force_seq, lift_seq, stop_seq, changed) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    if sql.upserts:
        sql.run(conn, f"{insert} ON CONFLICT (job_id) DO UPDATE SET {', '.join(sets)}", (*first, *params))
        return
    update = f"UPDATE job_control SET {', '.join(sets)} WHERE job_id = ?"
    if sql.run(conn, update, (*params, job_id)).rowcount == 0:
        sql.run(conn, insert, first)
