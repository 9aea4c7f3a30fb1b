"""The state writes its JSON (links' essences, intents, log records) with orjson where it can: what it stores
must read back as what ``json`` would have stored, and the fallback must cover what orjson refuses."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any, NamedTuple

from hypothesis import given
from hypothesis import strategies as st

from engine.state._types import (
    _dump_blob,
    _dump_blob_utf8,
    _load_blob,
    encode_json,
    encode_json_utf8,
    encode_record,
    encode_record_utf8,
)

_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _plain(value: Any) -> Any:
    """``value`` comparable with ``==`` (NaN is equal to nothing, itself included)."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@given(st.dictionaries(st.text(max_size=8), _values, max_size=6))
def test_a_blob_reads_back_as_json_would_have_stored_it(values: dict[str, Any]) -> None:
    stored = _dump_blob(values)
    assert _plain(_load_blob(stored, "an essence")) == _plain(
        json.loads(json.dumps({"version": 1, "values": values}, ensure_ascii=False))["values"]
    )


@given(_values)
def test_the_text_is_jsons_for_everything_but_float_spelling(value: Any) -> None:
    ours = encode_json(value)
    assert _plain(json.loads(ours)) == _plain(json.loads(json.dumps(value)))
    if "." not in ours and "e" not in ours.lower():  # no float written: the very same text
        assert ours == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def test_what_orjson_refuses_falls_back_to_json() -> None:
    big = 2**70
    assert encode_json({"n": big}) == '{"n":' + str(big) + "}"
    assert encode_json({1: "a"}) == '{"1":"a"}'  # a key that is no string
    when = datetime(2026, 12, 8, tzinfo=UTC)
    assert encode_record({"at": when}) == json.dumps({"at": when}, default=str, separators=(",", ":"))
    try:
        encode_json({"at": when})
    except TypeError:
        pass
    else:
        raise AssertionError("a date in an essence must be refused, as json refuses it")


def test_named_tuples_are_lists_as_json_writes_them() -> None:
    from engine.plan import AttributeChange

    record = {"changes": [AttributeChange("displayName", None, "Ann")]}
    assert encode_record(record) == json.dumps(record, default=str, separators=(",", ":"))
    assert encode_json(record) == json.dumps(record, separators=(",", ":"))


@given(_values)
def test_a_record_reads_back_as_json_would_have_stored_it_but_for_nan_and_infinities(value: Any) -> None:
    def finite(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, list):
            return [finite(x) for x in v]
        if isinstance(v, dict):
            return {k: finite(x) for k, x in v.items()}
        return v

    assert json.loads(encode_record(value)) == finite(json.loads(json.dumps(value)))


@given(st.dictionaries(st.text(max_size=8), _values, max_size=6))
def test_the_utf8_blob_is_the_text_blob_encoded(values: dict[str, Any]) -> None:
    assert _dump_blob_utf8(values) == _dump_blob(values).encode()
    assert encode_json_utf8(values) == encode_json(values).encode()
    assert encode_record_utf8(values) == encode_record(values).encode()


class _Change(NamedTuple):
    name: str
    old: Any
    new: Any


@given(st.lists(st.tuples(st.text(max_size=8), _values, _values), max_size=4))
def test_a_record_writes_plain_tuples_as_it_wrote_named_ones(changes: list[tuple[str, Any, Any]]) -> None:
    """Log records keep their changes as plain tuples (orjson writes them itself); the stored text is the
    one named tuples gave."""
    named = [_Change(*c) for c in changes]
    assert encode_record({"changes": changes}) == encode_record({"changes": named})
