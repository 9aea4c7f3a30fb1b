"""The json connector's incremental reader: the same items as ``json.loads`` at any buffer size, and the
same syntax errors (message, line, column); bytes, byte-order marks, skipping, streaming."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from connectors import ConnectorConfigError
from connectors._json_buffer import _RUN
from connectors._json_stream import Bookmarks, batches, items

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    # Brackets, quotes and backslashes inside strings are what a skip or a cut can get wrong.
    | st.text(alphabet=st.sampled_from('ab"\\[]{},: \n\té€\U0001f600'), max_size=12)
    | st.text(max_size=8)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)
DOCUMENTS = st.dictionaries(st.text(max_size=6), st.lists(VALUES, max_size=5), max_size=4)
LAYOUTS = st.sampled_from([{}, {"indent": 2}, {"ensure_ascii": False}, {"separators": (",", ":")}])
# Tiny buffers cut everything; a few hundred bytes let the tight loop (``values``) run and refill midway.
CHUNKS = st.integers(min_value=1, max_value=40) | st.integers(min_value=64, max_value=600) | st.just(1 << 20)
FILE_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def expected(document: dict[str, list[Any]], only: str | None = None) -> list[tuple[str, int, Any]]:
    return [
        (name, number, item)
        for name, listed in document.items()
        if only is None or name == only
        for number, item in enumerate(listed)
    ]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dir.json"
    path.write_text(text, encoding="utf-8")
    return path


def json_error(text: str) -> str | None:
    """``line:column: invalid JSON (message)`` as json.loads reports it, or None when the text is valid."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f":{exc.lineno}:{exc.colno}: invalid JSON ({exc.msg})"
    return None


@FILE_SETTINGS
@given(document=DOCUMENTS, layout=LAYOUTS, chunk=CHUNKS, data=st.data())
def test_any_document_reads_as_json_loads_at_any_buffer_size(
    tmp_path_factory: pytest.TempPathFactory,
    document: dict[str, list[Any]],
    layout: dict[str, Any],
    chunk: int,
    data: st.DataObject,
) -> None:
    path = write(tmp_path_factory.mktemp("doc"), json.dumps(document, **layout))
    assert list(items(path, chunk=chunk)) == expected(document)
    assert repr(list(items(path, chunk=chunk))) == repr(expected(document))  # the types too (1 is not 1.0)
    only = data.draw(st.sampled_from([*document, "Absent"]))
    assert list(items(path, only, chunk=chunk)) == expected(document, only)
    # Reads of one type after another through bookmarks: the first walks the file, the others seek.
    bookmarks = Bookmarks()
    for name in data.draw(st.permutations([*document, "Absent"])):
        assert list(items(path, name, chunk=chunk, bookmarks=bookmarks)) == expected(document, name)
    assert bookmarks.version is not None and set(bookmarks.lists) == set(document)


@FILE_SETTINGS
@given(document=DOCUMENTS, layout=LAYOUTS, chunk=CHUNKS, data=st.data())
def test_a_cut_file_fails_where_and_as_json_loads_does(
    tmp_path_factory: pytest.TempPathFactory,
    document: dict[str, list[Any]],
    layout: dict[str, Any],
    chunk: int,
    data: st.DataObject,
) -> None:
    text = json.dumps(document, **layout)
    cut = text[: data.draw(st.integers(min_value=0, max_value=len(text)))]
    path = write(tmp_path_factory.mktemp("cut"), cut)
    error = json_error(cut)
    if error is None:  # only the whole text parses
        assert list(items(path, chunk=chunk)) == expected(json.loads(cut))
        return
    with pytest.raises(ConnectorConfigError) as caught:
        list(items(path, chunk=chunk))
    assert f"{path}{error};" in str(caught.value)


@FILE_SETTINGS
@given(document=DOCUMENTS, layout=LAYOUTS, chunk=CHUNKS, data=st.data())
def test_a_corrupted_character_is_reported_as_json_loads_reports_it(
    tmp_path_factory: pytest.TempPathFactory,
    document: dict[str, list[Any]],
    layout: dict[str, Any],
    chunk: int,
    data: st.DataObject,
) -> None:
    text = json.dumps(document, **layout)
    at = data.draw(st.integers(min_value=0, max_value=len(text)))
    char = data.draw(st.sampled_from(list('{}[],:"\\ 0-x\n')))
    corrupted = text[:at] + char + text[at + data.draw(st.integers(min_value=0, max_value=1)) :]
    error = json_error(corrupted)
    assume(error is not None)  # still valid JSON: maybe of another shape, which the shape tests cover
    path = write(tmp_path_factory.mktemp("bad"), corrupted)
    with pytest.raises(ConnectorConfigError) as caught:
        list(items(path, chunk=chunk))
    message = str(caught.value)
    if "invalid JSON" in message:
        assert f"{path}{error};" in message
    else:  # a wrong shape found before json's syntax error: it names a JSON path of a valid prefix
        assert re.search(r" \$(\.[^:]*)?: ", message), message


@pytest.mark.parametrize("chunk", [1, 2, 5, 1 << 20])
def test_line_and_column_count_across_buffers(tmp_path: Path, chunk: int) -> None:
    text = '{\n  "User": [\n    {"id": "u1", "n": "é€"},\n    {"id": "u2",, "n": 2}\n  ]\n}\n'
    path = write(tmp_path, text)
    with pytest.raises(
        ConnectorConfigError, match=re.escape(f"{path}:4:17: invalid JSON (Expecting property name")
    ):
        list(items(path, chunk=chunk))


@pytest.mark.parametrize("chunk", [1, 2, 1 << 20])
def test_a_byte_order_mark_is_skipped_and_bytes_that_are_not_utf8_are_named(
    tmp_path: Path, chunk: int
) -> None:
    path = tmp_path / "dir.json"
    document = {"User": [{"id": "é"}], "Group": [{"id": "g"}]}
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(document, ensure_ascii=False).encode())
    assert list(items(path, chunk=chunk)) == [("User", 0, {"id": "é"}), ("Group", 0, {"id": "g"})]
    bookmarks = Bookmarks()  # offsets count the mark's bytes and the two of "é"
    assert list(items(path, "User", chunk=chunk, bookmarks=bookmarks)) == [("User", 0, {"id": "é"})]
    assert list(items(path, "Group", chunk=chunk, bookmarks=bookmarks)) == [("Group", 0, {"id": "g"})]
    assert bookmarks.lists == {"User": (12, 1, 10), "Group": (37, 1, 34)}
    path.write_bytes(b'\xef\xbb\xbf{"User": [{"id": "\xc3\xa9\xff"}]}')
    with pytest.raises(ConnectorConfigError, match=r"not UTF-8 text \(byte 23\)"):
        list(items(path, chunk=chunk))


def test_objects_come_out_before_a_later_error_is_reached(tmp_path: Path) -> None:
    users = [{"id": f"u{i}", "pad": "x" * 100} for i in range(50)]
    path = write(tmp_path, json.dumps({"User": users})[:-3])  # the file ends early
    read = items(path, chunk=256)
    assert next(read) == ("User", 0, users[0])
    with pytest.raises(ConnectorConfigError, match="invalid JSON"):
        list(read)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("[]", "$"),
        ('{"User": {"id": "u1"}}', "$.User"),
        ('{"User": [], "Group": [], "User": []}', "$.User"),
    ],
)
def test_a_wrong_top_level_shape_names_the_json_path(tmp_path: Path, text: str, where: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConnectorConfigError, match=re.escape(f"{path} {where}: ")):
        list(items(path))


def test_skipping_a_list_cut_by_the_end_of_the_file_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, '{"User": [{"id": "u1", "tags": ["]"]}')
    with pytest.raises(ConnectorConfigError, match="the file ends inside this list"):
        list(items(path, only="Group"))


@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_a_read_through_bookmarks_reports_errors_at_the_file_line_and_column(
    tmp_path: Path, chunk: int
) -> None:
    # The error is inside the Group list, which the first read skips without decoding its items.
    text = '{"User": [\n {"id": "u1", "n": "é€"}],\n "Group": [{"id": "g1"},\n  {"id": "g2", "m": [1 2]}]}'
    path = write(tmp_path, text)
    bookmarks = Bookmarks()
    assert [item for _, _, item in items(path, "User", chunk=chunk, bookmarks=bookmarks)] == [
        {"id": "u1", "n": "é€"}
    ]
    assert bookmarks.lists["Group"][1:] == (3, 11)
    read = items(path, "Group", chunk=chunk, bookmarks=bookmarks)
    assert next(read) == ("Group", 0, {"id": "g1"})
    with pytest.raises(ConnectorConfigError) as caught:
        list(read)
    assert f"{path}{json_error(text)};" in str(caught.value)


def test_bookmarks_of_an_older_version_of_the_file_are_not_used(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps({"User": [{"id": "u1"}], "Group": [{"id": "g1"}]}))
    bookmarks = Bookmarks()
    assert len(list(items(path, "User", bookmarks=bookmarks))) == 1
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"Group": [{"id": "g2"}, {"id": "g3"}], "User": []}))
    newer.replace(path)  # as a target write does: a new file renamed over the old one
    assert list(items(path, "Group", bookmarks=bookmarks)) == [
        ("Group", 0, {"id": "g2"}),
        ("Group", 1, {"id": "g3"}),
    ]
    assert bookmarks.lists["Group"][0] == 10  # learnt again from the new version


def test_a_failed_walk_learns_no_bookmarks(tmp_path: Path) -> None:
    path = write(tmp_path, '{"User": [{"id": "u1"}], "Group": [{"id": "g1"}]} x')
    bookmarks = Bookmarks()
    with pytest.raises(ConnectorConfigError, match="Extra data"):
        list(items(path, "User", bookmarks=bookmarks))
    assert bookmarks.version is None
    with pytest.raises(ConnectorConfigError, match="Extra data"):
        list(items(path, "Group", bookmarks=bookmarks))


def users(count: int) -> list[dict[str, Any]]:
    """Objects of varied lengths (a cut can fall anywhere), some with numbers that a cut would shorten."""
    return [
        {
            "id": f"u{i}",
            "n": i * 1.5,
            "tags": ["x" * (i % 37)] * (i % 3),
            "e": "é€" * (i % 5),
            "z": 10**i % 997,
        }
        for i in range(count)
    ]


def tricky(count: int) -> list[Any]:
    """Items where a ``},`` is not the end of an item: in strings, in nested values; and a few non-objects."""
    made: list[Any] = []
    for i in range(count):
        if i % 7 == 0:
            made.append({"id": f"t{i}", "s": 'a"},{"b' * (i % 3), "nested": [{"k": i}, {"k": "},"}]})
        elif i % 11 == 0:
            made.append([i, {"x": "}"}, "},"] if i % 2 else f"plain {i} }},")
        else:
            made.append({"id": f"t{i}", "n": i})
    return made


@pytest.mark.parametrize("chunk", [333, 4096, 1 << 18])
@pytest.mark.parametrize("make", [users, tricky])
def test_a_long_list_comes_out_in_runs_numbered_as_json_loads_numbers_it(
    tmp_path: Path, chunk: int, make: Any
) -> None:
    document = {"User": make(3000), "Group": [{"id": "g1"}, {"id": "g2"}]}
    path = write(tmp_path, json.dumps(document, indent=1, ensure_ascii=False))
    runs = list(batches(path, chunk=chunk))
    assert [(name, first + k, item) for name, first, run in runs for k, item in enumerate(run)] == expected(
        document
    )
    if chunk > 1000:  # a buffer of many items: they come out many at a time, not one per step
        assert len(runs) < 3002 / 8
    if chunk == 1 << 18 and make is users:  # one scanner call for a whole slice of them
        assert max(len(run) for _, _, run in runs) > _RUN


@pytest.mark.parametrize("chunk", [500, 1 << 18])
def test_the_items_before_a_syntax_error_in_a_long_list_come_out_first(tmp_path: Path, chunk: int) -> None:
    listed = users(1000)
    text = json.dumps({"User": listed})
    at = text.index('"u700"')
    path = write(tmp_path, text[:at] + "'u700'" + text[at + 6 :])
    came: list[object] = []
    with pytest.raises(ConnectorConfigError) as caught:
        for _, _, run in batches(path, chunk=chunk):
            came.extend(run)
    assert came == listed[:700]
    assert f"{path}{json_error(path.read_text())};" in str(caught.value)


@pytest.mark.parametrize("chunk", [7, 1 << 18])
def test_a_number_too_long_for_python_is_an_error_at_its_line_and_column(tmp_path: Path, chunk: int) -> None:
    # json.loads raises a bare ValueError here (Python's limit on digits): the reader names where it is.
    path = write(tmp_path, '{"User": [{"id": "u1"},\n {"id": "u2", "n": ' + "7" * 5000 + "}]}")
    with pytest.raises(ConnectorConfigError, match=re.escape(f"{path}:2:2: invalid JSON (Exceeds the limit")):
        list(items(path, chunk=chunk))


def test_a_value_nested_too_deeply_is_an_error_at_its_line_and_column(tmp_path: Path) -> None:
    path = write(
        tmp_path, '{"User": [{"id": "u1"},\n {"id": "u2", "n": ' + "[" * 100_000 + "]" * 100_000 + "}]}"
    )
    with pytest.raises(ConnectorConfigError, match=re.escape(f"{path}:2:2: invalid JSON (")):
        list(items(path))


def test_whitespace_between_items_may_run_past_any_buffer_end(tmp_path: Path) -> None:
    # A slice's separator can end where the buffer does, with more whitespace in the next chunk.
    document = {"0": [], "User": [{}, None, {"id": "u1"}, {"id": "u2", "m": [{}]}, 3], "Group": [{}]}
    path = write(tmp_path, json.dumps(document, indent=8))
    for chunk in range(1, 120):
        assert list(items(path, chunk=chunk)) == expected(document), chunk
        bookmarks = Bookmarks()
        for name in ("0", "User", "Group"):  # the later ones start at their list's bookmark
            assert list(items(path, name, chunk=chunk, bookmarks=bookmarks)) == expected(document, name), (
                chunk
            )


@pytest.mark.parametrize(
    "value",
    [
        2**64,
        2**64 - 1,
        -(2**63) - 1,
        -(2**63),
        10**30,
        1234567890123456789,
        0.1,
        1.5e300,
        5e-324,
        -0.0,
        "\ud800",
    ],
)
def test_items_decoded_a_slice_at_a_time_are_what_json_loads_makes_type_and_all(
    tmp_path: Path, value: object
) -> None:
    # Slices go to orjson first, which makes an integer past 64 bits a float and refuses a lone surrogate:
    # those must still come out as json.loads makes them (an int stays an int).
    listed = [{"id": f"u{i}", "n": value if i % 97 == 5 else i} for i in range(3000)]
    path = write(tmp_path, json.dumps({"User": listed}))
    came = [item for _, _, run in batches(path) for item in run]
    assert repr(came) == repr(listed)
    assert max(len(run) for _, _, run in batches(path)) > _RUN  # decoded by slices, not one by one
