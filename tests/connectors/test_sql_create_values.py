"""The sql connector's fast path for the values of a create gives what the general rules give."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from connectors import Modification, ValueOp
from connectors._directory import apply_modifications
from connectors.sql._writes import _replaced_values

scalars = st.one_of(st.text(max_size=3), st.booleans(), st.integers(-2, 2), st.floats(-2, 2, allow_nan=False))
modifications = st.lists(
    st.builds(
        Modification,
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(list(ValueOp)),
        st.lists(scalars, max_size=4).map(tuple),
    ),
    max_size=4,
)


@given(modifications)
def test_fast_create_values_match_the_general_rules(mods: list[Modification]) -> None:
    fast = _replaced_values(mods)
    if fast is not None:  # None: the general path is taken
        assert fast == apply_modifications({}, mods)
        assert {k: [type(v) for v in (x if isinstance(x, list) else [x])] for k, x in fast.items()} == {
            k: [type(v) for v in (x if isinstance(x, list) else [x])]
            for k, x in apply_modifications({}, mods).items()
        }


def test_a_large_add_is_taken_by_the_fast_path_and_keeps_true_apart_from_one() -> None:
    members = (*(f"u{i}" for i in range(5000)), "u1", True, 1)
    values = _replaced_values([Modification("members", ValueOp.ADD, members)])
    assert values is not None
    assert values["members"][:2] == ["u0", "u1"] and len(values["members"]) == 5002
    assert values["members"][-2:] == [True, 1]


def test_a_later_empty_replace_clears_an_earlier_value() -> None:
    mods = [Modification("a", ValueOp.REPLACE, ("x",)), Modification("a", ValueOp.REPLACE, ())]
    assert _replaced_values(mods) in (None, apply_modifications({}, mods))
