"""Hypothesis: what the json and csv connectors write is exactly what a fresh connector reads back."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors import Change, ConnectorContext, Modification, Operation, ValueOp, create_connector

names = st.sampled_from(["displayName", "mail", "title", "tags", "n"])
texts = st.text(min_size=1, max_size=12)
scalars = st.one_of(texts, st.booleans(), st.integers(-(10**12), 10**12))
complex_values = st.dictionaries(texts, scalars | st.none() | st.lists(scalars, max_size=2), max_size=3)
json_values = st.lists(scalars | complex_values, min_size=1, max_size=3).map(tuple)  # complex values too


def create(values: dict[str, tuple[object, ...]]) -> Change:
    mods = tuple(Modification(k, ValueOp.REPLACE, v) for k, v in values.items())  # type: ignore[arg-type]
    return Change(Operation.CREATE, "User", modifications=mods)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.dictionaries(names, json_values, max_size=5), min_size=1, max_size=4))
def test_json_file_round_trip(objects: list[dict[str, tuple[object, ...]]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        context = ConnectorContext("J", base_dir=Path(folder))
        writer = create_connector("json", {"path": "d.json"}, context)
        ids = [r.target_id or "" for r in writer.apply([create(o) for o in objects])]
        reader = create_connector("json", {"path": "d.json"}, context)
        assert reader.get("User", ids) == writer.get("User", ids)
        assert len(reader.get("User", ids)) == len(objects)
        writer.end_cycle()  # the journal folded into the file: the same objects again
        folded = create_connector("json", {"path": "d.json"}, context)
        assert folded.get("User", ids) == reader.get("User", ids)


csv_texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00;"), min_size=1, max_size=12
)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["name", "title", "tags"]), st.lists(csv_texts, min_size=1, max_size=3)
        ),
        min_size=1,
        max_size=4,
    )
)
def test_csv_file_round_trip(rows: list[dict[str, list[str]]]) -> None:
    settings = {
        "path": "p.csv",
        "anchor": "employeeId",
        "multiValueSeparator": ";",
        "multiValueColumns": ["tags"],
    }
    with tempfile.TemporaryDirectory() as folder:
        context = ConnectorContext("C", base_dir=Path(folder))
        writer = create_connector("csv", settings, context)
        changes = []
        for number, row in enumerate(rows):
            values: dict[str, tuple[object, ...]] = {
                k: tuple(v) if k == "tags" else (v[0],) for k, v in row.items()
            }
            changes.append(create({"employeeId": (f"E{number}",), **values}))
        ids = [r.target_id or "" for r in writer.apply(changes)]
        reader = create_connector("csv", settings, context)
        assert reader.get("User", ids) == writer.get("User", ids)
        assert len(ids) == len(rows)
