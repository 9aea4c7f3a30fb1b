"""The object checks of the json and memory connectors: the fast path for plain decoded values agrees with
the value-by-value check that names a bad value."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from connectors import ConnectorConfigError
from connectors._objects_json import _attributes, check_object

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
