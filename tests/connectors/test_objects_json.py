"""The object checks of the json and memory connectors: the fast path for plain decoded values agrees with
the value-by-value check that names a bad value."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from connectors import ConnectorConfigError, DirectoryObject
from connectors._objects_json import _attributes, check_decoded, check_object

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4)
NESTED = st.lists(st.lists(SCALARS, max_size=2), min_size=1, max_size=2)
VALUES = SCALARS | st.lists(SCALARS, max_size=3) | NESTED | st.dictionaries(st.text(max_size=2), SCALARS)
IDS = st.text(min_size=1, max_size=3) | st.integers()


def outcome(check: Any) -> object:
    try:
        return check()
    except ConnectorConfigError as exc:
        return str(exc)


@given(raw=st.dictionaries(st.text(max_size=4), VALUES, max_size=5), object_id=IDS)
def test_the_fast_path_agrees_with_the_value_by_value_check(
    raw: dict[str, Any], object_id: str | int
) -> None:
    raw = {**raw, "id": object_id}
    reference = outcome(lambda: ("User", str(object_id), _attributes(raw, "f $.User[0]", "json")))
    assert outcome(lambda: check_object("User", 0, raw, set(), "f", "json")) == reference


ITEMS = st.lists(
    st.dictionaries(st.sampled_from(["n", "m", "tags"]), VALUES, max_size=3).map(lambda d: {"id": "x", **d})
    | st.dictionaries(st.just("n"), SCALARS)  # no id
    | SCALARS,  # not an object
    max_size=8,
)


@given(items=ITEMS, ids=st.lists(IDS | st.sampled_from(["a", "b"]), min_size=8, max_size=8))
def test_a_decoded_run_is_checked_as_one_object_after_another(items: list[Any], ids: list[Any]) -> None:
    raws = [
        {**raw, "id": ids[k]} if isinstance(raw, dict) and "id" in raw else raw for k, raw in enumerate(items)
    ]
    one_by_one: list[object] = []
    seen: set[str] = set()
    try:
        for number, raw in enumerate(raws, 5):
            object_type, object_id, attributes = check_object("User", number, raw, seen, "f", "json")
            one_by_one.append(DirectoryObject(object_type, object_id, attributes))
    except ConnectorConfigError as exc:
        one_by_one.append(str(exc))
    run: list[Any] = []
    seen_in_run: set[str] = set()
    try:
        check_decoded("User", 5, raws, seen_in_run, "f", run)
    except ConnectorConfigError as exc:
        run.append(str(exc))  # after the objects before the bad one
    assert run == one_by_one and seen_in_run == seen


def test_the_written_document_reads_back_whole() -> None:
    import json

    from connectors._objects_json import document_lines

    users = [
        ("u1", {"displayName": "A", "tags": ["x", '},{"id":']}),  # the old line-splitting pattern, as a value
        ("u2", {}),
        ("u3", {"name": {"givenName": "Ann", "id": "inner"}, "n": 2**70}),  # complex; past orjson's integers
        ("u4", {"id": "given by hand"}),  # an "id" attribute (put there by hand) is the id written
    ]
    text = b"".join(document_lines([("User", users), ("Group", [])]))
    assert json.loads(text) == {
        "User": [
            {"id": "u1", "displayName": "A", "tags": ["x", '},{"id":']},
            {"id": "u2"},
            {"id": "u3", "name": {"givenName": "Ann", "id": "inner"}, "n": 2**70},
            {"id": "given by hand"},
        ],
        "Group": [],
    }
    lines = text.splitlines()
    assert len(lines) == 8 and all(line.startswith(b'{"id":') for line in lines[1:5])  # one object a line
    assert b"".join(document_lines([])) == b"{}\n"
