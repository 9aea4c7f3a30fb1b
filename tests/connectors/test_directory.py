"""The shared in-memory directory: attribute-level edits and lookups (pure rules of ``_directory``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors import Change, Modification, ObjectConflict, ObjectRejected, Operation, ValueOp
from connectors._directory import Directory, apply_modifications


def mod(name: str, op: ValueOp, *values: str | bool | int | float) -> Modification:
    return Modification(name, op, tuple(values))


@pytest.mark.parametrize(
    ("before", "modification", "after"),
    [
        ({}, mod("a", ValueOp.REPLACE, "x"), {"a": "x"}),
        ({"a": "x"}, mod("a", ValueOp.REPLACE), {}),
        ({"a": ["x"]}, mod("a", ValueOp.REPLACE, "y"), {"a": ["y"]}),
        ({}, mod("a", ValueOp.REPLACE, "x", "y"), {"a": ["x", "y"]}),
        ({}, mod("a", ValueOp.ADD, "x"), {"a": ["x"]}),
        ({"a": "x"}, mod("a", ValueOp.ADD, "y", "x", "y"), {"a": ["x", "y"]}),
        ({"a": ["x", "y"]}, mod("a", ValueOp.REMOVE, "x"), {"a": ["y"]}),
        ({"a": ["x"]}, mod("a", ValueOp.REMOVE, "x"), {}),
        ({"a": "x"}, mod("a", ValueOp.REMOVE, "z"), {"a": "x"}),
        ({"a": ["x", "y"]}, mod("a", ValueOp.REMOVE), {}),
        ({"a": [1, True]}, mod("a", ValueOp.REMOVE, True), {"a": [1]}),
    ],
)
def test_modifications(before: dict, modification: Modification, after: dict) -> None:
    assert apply_modifications(before, [modification]) == after


def test_declared_multi_valued_attribute_keeps_a_list() -> None:
    assert apply_modifications({}, [mod("members", ValueOp.REPLACE, "g1")], frozenset({"members"})) == {
        "members": ["g1"]
    }


def test_modifications_do_not_change_their_input() -> None:
    before = {"a": ["x"]}
    apply_modifications(before, [mod("a", ValueOp.ADD, "y")])
    assert before == {"a": ["x"]}


@settings(deadline=None)  # a loaded CI box must not turn slowness into a failure
@given(st.lists(st.text(max_size=3), max_size=6), st.lists(st.text(max_size=3), max_size=6))
def test_add_then_remove_leaves_only_the_values_not_removed(start: list[str], extra: list[str]) -> None:
    added = apply_modifications({"a": list(start)}, [Modification("a", ValueOp.ADD, tuple(extra))])
    values = added.get("a", [])
    assert isinstance(values, list)
    assert set(values) == set(start) | set(extra)
    if not extra:
        return  # REMOVE with no values removes the whole attribute: covered by the table above
    removed = apply_modifications(added, [Modification("a", ValueOp.REMOVE, tuple(extra))])
    left = removed.get("a", [])
    assert set(left if isinstance(left, list) else [left]) == set(start) - set(extra)


def test_a_value_that_is_not_json_is_rejected_for_that_change_only() -> None:
    directory = Directory()  # (a JSON object is a complex value: test_complex_values.py)
    bad = Change(Operation.CREATE, "User", modifications=(Modification("a", ValueOp.REPLACE, ({"x": {1}},)),))  # type: ignore[arg-type]
    good = Change(Operation.CREATE, "User", modifications=(mod("a", ValueOp.REPLACE, "x"),))
    results = directory.apply([bad, good])
    assert isinstance(results[0].error, ObjectRejected)
    assert results[1].ok and directory.attributes("User", results[1].target_id or "") == {"a": "x"}


def test_anchor_mode_uses_the_anchor_value_and_refuses_duplicates_and_renames() -> None:
    directory = Directory(anchor="employeeId")
    create = Change(Operation.CREATE, "User", modifications=(mod("employeeId", ValueOp.REPLACE, "E1"),))
    first, second = directory.apply([create, create])
    assert first.target_id == "E1"
    assert isinstance(second.error, ObjectConflict)
    rename = Change(Operation.UPDATE, "User", "E1", (mod("employeeId", ValueOp.REPLACE, "E2"),))
    assert isinstance(directory.apply([rename])[0].error, ObjectRejected)
    assert directory.ids("User") == ["E1"]


def test_find_matches_text_of_numbers_and_booleans_and_any_list_value() -> None:
    directory = Directory()
    directory.put("User", "u1", {"n": 7, "b": True, "mail": ["a@x", "b@x"]})
    assert [o.id for o in directory.find("User", "n", ["7"])["7"]] == ["u1"]
    assert [o.id for o in directory.find("User", "b", ["true"])["true"]] == ["u1"]
    assert [o.id for o in directory.find("User", "mail", ["b@x"])["b@x"]] == ["u1"]
    assert directory.find("User", "mail", ["B@x"]) == {}
    assert [o.id for o in directory.find("User", "id", ["u1"])["u1"]] == ["u1"]


def test_find_sees_writes_made_after_an_earlier_lookup() -> None:
    directory = Directory()
    directory.put("User", "u1", {"mail": "a@x"})
    assert directory.find("User", "mail", ["b@x"]) == {}
    directory.apply([Change(Operation.UPDATE, "User", "u1", (mod("mail", ValueOp.REPLACE, "b@x"),))])
    assert list(directory.find("User", "mail", ["b@x"])) == ["b@x"]


def test_new_ids_are_random_version_4_uuids() -> None:
    import uuid

    from connectors._directory import new_id

    ids = [new_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids[:200]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_a_batch_of_new_ids_are_random_version_4_uuids() -> None:
    import uuid

    from connectors._directory import new_ids

    assert new_ids(0) == []
    ids = new_ids(2000)
    assert len(set(ids)) == len(ids) == 2000
    for text in ids[:300]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122
    # every variant digit turns up (the two random bits are taken from the random bytes)
    assert {text[19] for text in ids} == set("89ab")


def test_creates_with_an_empty_or_reserved_name_are_refused_alone() -> None:
    directory = Directory()
    good = Change(Operation.CREATE, "User", modifications=(mod("a", ValueOp.REPLACE, "x"),))
    empty = Change(Operation.CREATE, "User", modifications=(mod("", ValueOp.REPLACE, "x"),))
    named_id = Change(Operation.CREATE, "User", modifications=(mod("id", ValueOp.REPLACE, "x"),))
    cleared_id = Change(Operation.CREATE, "User", modifications=(mod("id", ValueOp.REPLACE),))  # no value
    results = directory.apply([good, empty, named_id, cleared_id, good])
    assert [r.ok for r in results] == [True, False, False, False, True]
    assert all(isinstance(r.error, ObjectRejected) for r in results[1:4])
    assert directory.count("User") == 2
    anchored = Directory(anchor="id")  # there "id" is the anchor column, given by the create
    assert anchored.apply([named_id])[0].target_id == "x"


NAMES = st.sampled_from(["mail", "n", "tags"])
SMALL_VALUES = st.sampled_from(["a", "b", "c", 1, True]) | st.lists(
    st.sampled_from(["a", "b", "c"]), max_size=3
)
MODIFICATIONS = st.builds(
    lambda name, op, value: Modification(name, op, tuple(value) if isinstance(value, list) else (value,)),
    NAMES,
    st.sampled_from(list(ValueOp)),
    SMALL_VALUES,
)


@settings(max_examples=80, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(list(Operation)),
            st.sampled_from(["User", "Group"]),
            st.integers(min_value=0, max_value=5),
            st.lists(MODIFICATIONS, max_size=4),
        ),
        max_size=25,
    ),
    looked_up_after=st.integers(min_value=0, max_value=25),
)
def test_the_lookup_indexes_kept_up_to_date_agree_with_ones_built_afresh(
    steps: list[tuple[Operation, str, int, list[Modification]]], looked_up_after: int
) -> None:
    directory = Directory(multi_valued=frozenset({"tags"}))
    made: dict[str, list[str]] = {"User": [], "Group": []}
    for number, (operation, object_type, which, modifications) in enumerate(steps):
        if number == looked_up_after:  # indexes built here, then kept up to date by the writes
            for name in ("mail", "tags", "id"):
                directory.find("User", name, ["a"])
            directory.find("Group", "mail", ["a"])
        known = made[object_type]
        target = known[which % len(known)] if known else "nobody"
        change = Change(
            operation, object_type, None if operation is Operation.CREATE else target, tuple(modifications)
        )
        result = directory.apply([change])[0]
        if result.ok and operation is Operation.CREATE:
            known.append(result.target_id or "")
    afresh = Directory(multi_valued=frozenset({"tags"}))
    for object_type in ("User", "Group"):
        for object_id, attributes in directory.items(object_type):
            afresh.put(object_type, object_id, attributes)
    values = ["a", "b", "c", "1", "true", *made["User"], *made["Group"]]
    for object_type in ("User", "Group"):
        for name in ("mail", "n", "tags", "id"):
            kept = {
                v: sorted(o.id for o in found)
                for v, found in directory.find(object_type, name, values).items()
            }
            fresh = {
                v: sorted(o.id for o in found) for v, found in afresh.find(object_type, name, values).items()
            }
            assert kept == fresh, (object_type, name)
