"""The hot paths copy operations positionally (``tuple.__new__``), not through ``_replace``: each copy must
keep every field it does not change, including fields added later to ``PlannedOperation``."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any

from connectors import Modification, ValueOp
from engine.plan import Action, AttributeChange, PlannedOperation
from engine.plan._planner import fold_references
from engine.plan._rules import CompiledAttribute
from engine.run._plan import shown


def _every_field_set() -> PlannedOperation:
    """An update with a distinct, non-default value in every field."""
    values: dict[str, Any] = {
        "action": Action.UPDATE,
        "mapping_key": "m",
        "object_type": "User",
        "source_id": "s1",
        "target_id": "t1",
        "changes": (AttributeChange("displayName", "a", "b"),),
        "modifications": (Modification("displayName", ValueOp.REPLACE, ("b",)),),
        "essence": {"displayName": "b"},
        "reason": "changed",
        "display_name": "User One",
        "source_type": "Person",
        "disabled": True,
    }
    for name in PlannedOperation._fields:  # the fields added since this test was written
        if name not in values:
            default = PlannedOperation._field_defaults.get(name)
            values[name] = f"<{name}>" if default is None or isinstance(default, str) else default
    return PlannedOperation(**values)


def test_shown_drops_only_the_modifications_and_the_essence() -> None:
    op = _every_field_set()
    assert shown(op) == op._replace(modifications=(), essence={})
    more = (AttributeChange("manager", None, "t2"),)
    assert shown(op, more) == op._replace(changes=op.changes + more, modifications=(), essence={})


def test_a_fold_changes_only_what_the_references_write() -> None:
    op = _every_field_set()
    mapping = _mapping_with_a_manager()
    folded, remaining = fold_references(mapping, op, {"manager": "s2"}, {"s2": "t2"})
    assert remaining is None
    assert folded == op._replace(
        changes=(*op.changes, AttributeChange("manager", None, "t2")),
        modifications=(*op.modifications, Modification("manager", ValueOp.REPLACE, ("t2",))),
        essence={"displayName": "b", "manager": "t2"},
    )


def _mapping_with_a_manager() -> Any:
    """What ``fold_references`` reads of a mapping: its reference attributes (none taken for the fast path of
    a create's single-valued one: see the test below)."""
    return SimpleNamespace(
        references=(CompiledAttribute("manager", None, reference=True),), single_references=frozenset()
    )


def test_log_record_ids_are_random_version_4_uuids() -> None:
    import uuid

    from engine.run._records import _record_id

    ids = {_record_id() for _ in range(2000)}
    assert len(ids) == 2000
    for text in ids:
        parsed = uuid.UUID(hex=text)
        assert (parsed.version, parsed.variant, parsed.hex) == (4, uuid.RFC_4122, text)


def test_a_creates_one_reference_folds_as_the_general_path_does() -> None:
    """``_fold_one`` (a create's single manager) gives what ``reference_diff``'s general path gives."""
    create = _every_field_set()._replace(action=Action.CREATE, essence={"displayName": "b"}, disabled=False)
    general = _mapping_with_a_manager()
    fast = SimpleNamespace(references=general.references, single_references=frozenset({"manager"}))
    for targets in ({"s2": "t2"}, {}):  # resolved, and still waiting for its object
        assert fold_references(fast, create, {"manager": "s2"}, targets) == fold_references(
            general, create, {"manager": "s2"}, targets
        )
    one = fold_references(fast, create, {"manager": "s2"}, {"s2": "t2"})[0]
    assert one._replace(
        changes=create.changes, modifications=create.modifications, essence=create.essence
    ) == (create)


def test_positional_constructions_fill_every_field() -> None:
    """A dry-run's create and a mapping's result are made positionally: every field there, defaults after."""
    import expressions
    from engine.plan import CompiledMapping, Mapped, map_object
    from engine.plan._decide import decide_create

    mapping = CompiledMapping(
        key="r/User/User",
        rule_id="r",
        source_directory="S",
        target_directory="T",
        source_object="User",
        target_object="User",
        flow_types=frozenset({"Add"}),
        scope=lambda record: "inScope",
        scope_filter=None,
        attributes=(CompiledAttribute("displayName", expressions.compile("[displayName]")),),
        references=(),
        matching=(),
    )
    mapped = map_object(mapping, {"displayName": "Ann"}, expressions.EvaluationContext())
    assert mapped == Mapped(values={"displayName": "Ann"}, defaults={}, references={})
    assert len(mapped) == len(Mapped._fields)
    op = decide_create(mapping, "s1", mapped, "Ann", exported=False, reason="new")
    assert len(op) == len(PlannedOperation._fields)
    assert op == PlannedOperation(
        Action.CREATE,
        "r/User/User",
        "User",
        "s1",
        changes=(AttributeChange("displayName", None, "Ann"),),
        reason="new",
        display_name="Ann",
        source_type="User",
    )
    from engine.plan import MatchResult, choose

    match = choose(replace(mapping, matching=mapping.attributes), [(mapping.attributes[0], "Ann")], {})
    assert len(match) == len(MatchResult._fields) and match == MatchResult(tried=(("displayName", "Ann", 0),))
