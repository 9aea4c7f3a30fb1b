"""Counting a table's rows: for ``Connector.count`` (a progress total) and for the hard-delete check of an
incremental read (``_reads._nothing_gone``), which counts on the reading thread once the read's last page
is in."""

from __future__ import annotations

import sqlalchemy as sa

from ._tables import TableSpec
from ._values import sql_errors


def count_rows(engine: sa.Engine, spec: TableSpec) -> int | None:
    """The rows a full read delivers, counted by the database; None with a deleted flag column (how each
    database spells the flag's values varies: counting them would only be a guess)."""
    if spec.deleted is not None:
        return None
    with sql_errors(f"counting rows of table {spec.table.name!r}"), engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(spec.table)).scalar_one())
