"""Hypothesis: change-column reads with coarse cursors (many rows at one value, page boundaries anywhere)
and hard deletes (found through the data store) bring a mirror to exactly the table, never deliver a row
twice within a read, never go backwards."""

from __future__ import annotations

import tempfile
from pathlib import Path

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors import ConnectorContext, Watermark, create_connector

from .datastore import DictStore

rounds = st.lists(
    st.tuples(
        st.lists(st.integers(0, 14), max_size=6),  # rows updated (or inserted) this round
        st.lists(st.booleans(), min_size=6, max_size=6),  # per update: a tie with the newest cursor?
        st.lists(st.integers(0, 14), max_size=3),  # rows hard-deleted this round
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10), rounds, st.integers(1, 4))
def test_incremental_reads_converge_with_ties_at_every_cursor(initial: int, plan, page_size: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _run(Path(folder), initial, plan, page_size)


def _run(folder: Path, initial: int, plan, page_size: int) -> None:
    engine = sa.create_engine(f"sqlite:///{folder / 'p.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (id TEXT PRIMARY KEY, v INTEGER, n INTEGER)"))
        for i in range(initial):
            conn.execute(sa.text("INSERT INTO t VALUES (:id, 1, 0)"), {"id": f"r{i:02d}"})
    objects = {"User": {"table": "t", "anchor": "id", "changeColumn": "v"}}
    connector = create_connector(
        "sql", {"url": "sqlite:///p.db", "objects": objects}, ConnectorContext("D", folder)
    )
    mirror: dict[str, int] = {}
    mark: Watermark | None = None
    store, versions = DictStore(), {f"r{i:02d}": 1 for i in range(initial)}
    for round_number in range(len(plan) + 1):
        delivered: list[str] = []
        for page in connector.read("User", mark, page_size=page_size, store=store):
            assert len(page.objects) <= page_size
            delivered.extend(o.id for o in page.objects)
            store.commit(page)
            for obj in page.objects:
                if obj.deleted:
                    mirror.pop(obj.id, None)
                else:
                    mirror[obj.id] = int(obj.attributes["n"])
            if page.watermark is not None:
                assert mark is None or mark.is_before_or_at(page.watermark)
                mark = page.watermark
        assert len(delivered) == len(set(delivered))
        with engine.connect() as conn:
            assert mirror == {row[0]: row[1] for row in conn.execute(sa.text("SELECT id, n FROM t"))}
        if round_number < len(plan):
            _mutate(engine, versions, *plan[round_number])
    connector.close()
    engine.dispose()


def _mutate(
    engine: sa.Engine, versions: dict[str, int], rows: list[int], ties: list[bool], gone: list[int]
) -> None:
    """Update or insert rows the way a clock with coarse resolution stamps them -- a later write of an id
    never gets an older (or equal) value than that id had, but may tie with other rows already delivered --
    then hard-delete some."""
    with engine.begin() as conn:
        for row, tie in zip(rows, ties, strict=False):
            newest = max(versions.values(), default=1)  # the clock: never behind any value it gave out
            key = f"r{row:02d}"
            version = max(newest + (0 if tie else 1), versions.get(key, 0) + 1)
            versions[key] = version
            conn.execute(
                sa.text(
                    "INSERT INTO t VALUES (:id, :v, 1) ON CONFLICT(id) DO UPDATE SET v = :v, n = t.n + 1"
                ),
                {"id": key, "v": version},
            )
        for row in gone:
            conn.execute(sa.text("DELETE FROM t WHERE id = :id"), {"id": f"r{row:02d}"})
