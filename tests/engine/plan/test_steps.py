"""Unit tests of the pure pipeline steps: values, map (IsSoftDeleted), match, decide, references."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import expressions
from connectors import DirectoryObject, Modification, ValueOp
from engine.plan import (
    Action,
    AttributeChange,
    CompiledAttribute,
    CompiledMapping,
    Policy,
    choose,
    coerce,
    decide,
    derive,
    diff,
    is_empty,
    map_object,
    matching_values,
    resolve,
    same,
)
from engine.state import Link

CTX = expressions.EvaluationContext()
DEFAULT_POLICY = Policy()


def attr(target: str, text: str | None, **kwargs: Any) -> CompiledAttribute:
    return CompiledAttribute(
        target=target,
        expression=expressions.compile(text) if text else None,
        soft_delete="IsSoftDeleted" in (text or ""),
        **kwargs,
    )


def mapping(
    *attributes: CompiledAttribute,
    scope: str = "inScope",
    flow_types: str = "Add,Update,Delete",
    references: tuple[CompiledAttribute, ...] = (),
) -> CompiledMapping:
    return CompiledMapping(
        key="r/User/User",
        rule_id="r",
        source_directory="S",
        target_directory="T",
        source_object="User",
        target_object="User",
        flow_types=frozenset(flow_types.split(",")),
        scope=lambda record: "outOfScope" if record.get("department") == "Excluded" else scope,
        scope_filter=None,
        attributes=attributes,
        references=references,
        matching=tuple(a for a in attributes if a.matching_priority),
    )


USER_MAPPING = mapping(
    attr("userName", "[userPrincipalName]", matching_priority=1),
    attr("displayName", "[displayName]"),
    attr("active", 'Switch([IsSoftDeleted], , "False", "True", "True", "False")', kind="Boolean"),
    attr("title", "[jobTitle]", default="Employee"),
    attr("nickname", "[mailNickname]", flow_type="ObjectAddOnly"),
)


def plan(
    record: dict[str, Any],
    link: Link | None = None,
    matched: DirectoryObject | None = None,
    policy: Policy = DEFAULT_POLICY,
    m: CompiledMapping = USER_MAPPING,
) -> Any:
    state = derive(m, DirectoryObject("User", "s1", record))
    return decide(m, "s1", state, map_object(m, state.record, CTX), link, matched, policy)


# --- values -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "multi", "expected"),
    [
        ("True", "Boolean", False, True),
        ("false", "Boolean", False, False),
        ("42", "Integer", False, 42),
        (True, "String", False, "True"),
        (7, "String", False, "7"),
        ("a", "String", True, ["a"]),
        (["a", None, "b"], None, True, ["a", "b"]),
        (None, "String", False, None),
    ],
)
def test_coerce(value: Any, kind: str | None, multi: bool, expected: Any) -> None:
    assert coerce(value, kind, multi) == expected


def test_same_honours_case_exact_and_multiset_order() -> None:
    assert same("Alice", "alice") and not same("Alice", "alice", case_exact=True)
    assert same(["b", "a"], ["a", "b"]) and not same(["a"], ["a", "b"])
    assert not same(True, 1) and same(None, "") and same([], None)


# --- map / IsSoftDeleted ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "soft_deleted"),
    [
        ({"accountEnabled": True}, False),
        ({"accountEnabled": False}, True),
        ({"accountEnabled": "False"}, True),
        ({"deletedDateTime": "2026-01-01T00:00:00Z"}, True),
        ({"department": "Excluded"}, True),
        ({}, False),
    ],
)
def test_is_soft_deleted_derivation(record: dict[str, Any], soft_deleted: bool) -> None:
    state = derive(USER_MAPPING, DirectoryObject("User", "s1", record))
    assert state.record["IsSoftDeleted"] is soft_deleted


def test_map_defaults_nulls_and_ignore_flows() -> None:
    m = mapping(
        attr("a", "[a]"),
        attr("b", "[b]", default="dflt"),
        attr("c", 'IIF([x]="1", IgnoreAttributeFlow, "c")'),
        attr("d", '""'),
    )
    mapped = map_object(m, {"a": "A", "x": "1"}, CTX)
    assert mapped.values == {"a": "A"} and mapped.defaults == {"b": "dflt"}
    ignored = map_object(mapping(attr("a", 'IIF([x]="1", IgnoreObjectFlow, "a")')), {"x": "1"}, CTX)
    assert ignored.ignored


def test_map_evaluation_error_is_reported_not_raised() -> None:
    mapped = map_object(mapping(attr("a", 'IIF([missing]="1", "x", "y")')), {}, CTX)
    assert mapped.error is not None and mapped.error.startswith("a:")


# --- decide -----------------------------------------------------------------------------------------------


def test_create_uses_defaults_and_add_only_values() -> None:
    op = plan({"userPrincipalName": "u@x", "displayName": "U", "mailNickname": "u"})
    assert op.action is Action.CREATE
    assert dict(op.essence) == {
        "userName": "u@x",
        "displayName": "U",
        "active": True,
        "title": "Employee",
        "nickname": "u",
    }
    assert Modification("active", ValueOp.REPLACE, (True,)) in op.modifications


def test_update_exports_only_differences_and_skips_object_add_only() -> None:
    link = Link("s1", "t1", {"userName": "u@x", "displayName": "Old", "active": True, "nickname": "old"})
    op = plan({"userPrincipalName": "U@X", "displayName": "New", "mailNickname": "changed"}, link)
    assert op.action is Action.UPDATE and op.target_id == "t1"
    assert op.changes == (AttributeChange("displayName", "Old", "New"),)  # case-insensitive userName
    assert op.essence["nickname"] == "old"


def test_unchanged_object_is_a_noop() -> None:
    link = Link("s1", "t1", {"userName": "u@x", "displayName": "U", "active": True})
    assert plan({"userPrincipalName": "u@x", "displayName": "U"}, link).action is Action.NOOP


def test_disable_delete_and_skip_rules() -> None:
    link = Link("s1", "t1", {"userName": "u@x", "active": True})
    gone = {"userPrincipalName": "u@x", "accountEnabled": False}
    disabled = plan(gone, link)
    assert disabled.action is Action.DISABLE and disabled.changes == (AttributeChange("active", True, False),)
    # An IsSoftDeleted-driven mapping disables whatever the target says about soft deletion (§D.4).
    assert plan(gone, link, policy=Policy(target_soft_delete=False)).action is Action.DISABLE
    soft = mapping(*USER_MAPPING.attributes)
    assert replace(soft, target_soft_delete=False).soft_delete_attributes
    assert plan(gone, link, m=replace(soft, target_soft_delete=False)).action is Action.DISABLE
    # Without one: nothing when the target keeps disabled objects, a delete when it keeps none.
    no_active = mapping(*(a for a in USER_MAPPING.attributes if not a.soft_delete))
    assert plan(gone, link, m=no_active).reason == "NoSoftDeleteMapping"
    assert plan(gone, link, policy=Policy(target_soft_delete=False), m=no_active).action is Action.DELETE
    assert plan(gone, link, m=replace(no_active, target_soft_delete=False)).action is Action.DELETE
    skip = Policy(skip_out_of_scope_deletions=True)
    left_scope = {"userPrincipalName": "u@x", "department": "Excluded"}
    assert plan(left_scope, link, policy=skip).reason == "SkipOutOfScopeDeletions"
    assert plan(left_scope, link).action is Action.DISABLE
    assert plan(gone, link, policy=skip).action is Action.DISABLE  # a disabled account is still disabled
    no_delete = mapping(*no_active.attributes, flow_types="Add,Update")
    assert plan(gone, link, policy=Policy(target_soft_delete=False), m=no_delete).action is Action.SKIP
    assert plan(gone).action is Action.SKIP  # never provisioned: disabled users are not created
    assert plan(gone, Link("s1", "t1", {}, disabled=True)).action is Action.NOOP


def test_flow_types_without_add_or_update() -> None:
    read_only = mapping(*USER_MAPPING.attributes, flow_types="Delete")
    assert plan({"userPrincipalName": "u@x"}, m=read_only).reason == "AddNotInFlowTypes"
    link = Link("s1", "t1", {"userName": "old"})
    assert plan({"userPrincipalName": "u@x"}, link, m=read_only).reason == "UpdateNotInFlowTypes"


def test_matched_object_is_updated_against_its_current_values() -> None:
    target = DirectoryObject(
        "User", "t9", {"userName": "u@x", "displayName": "U", "active": True, "other": 1}
    )
    op = plan({"userPrincipalName": "u@x", "displayName": "V"}, matched=target)
    assert op.action is Action.UPDATE and op.target_id == "t9"
    # Only the difference; no default value on an update; the target's unmapped attributes are not ours.
    assert op.changes == (AttributeChange("displayName", "U", "V"),)
    assert dict(op.essence) == {"userName": "u@x", "displayName": "V", "active": True}


def test_attribute_flow_types() -> None:
    attributes = (
        attr("a", "[a]", flow_type="AttributeAddOnly"),
        attr("m", "[m]", flow_type="MultiValueAddOnly", multivalued=True),
        attr("f", "[f]", flow_always=True),
    )
    result = diff(
        attributes, {"a": "new", "m": ["x", "y"], "f": "same"}, {"a": "old", "m": ["x", "z"], "f": "same"}
    )
    assert result.modifications == (
        Modification("m", ValueOp.ADD, ("y",)),
        Modification("f", ValueOp.REPLACE, ("same",)),
    )
    assert result.essence["m"] == ["x", "z", "y"] and result.essence["a"] == "old"
    assert diff(attributes, {"a": "new"}, {}).essence == {"a": "new"}


def test_required_attribute_missing_fails_the_object() -> None:
    m = mapping(attr("userName", "[upn]", required=True))
    assert plan({}, m=m).action is Action.FAIL


# --- match ------------------------------------------------------------------------------------------------


def test_matching_tries_priorities_and_reports_conflicts() -> None:
    m = mapping(
        attr("userName", "[upn]", matching_priority=1), attr("externalId", "[nick]", matching_priority=2)
    )
    candidates = matching_values(m, {"upn": "u@x", "nick": "u"}, CTX)
    assert [(a.target, v) for a, v in candidates] == [("userName", "u@x"), ("externalId", "u")]
    t1, t2 = DirectoryObject("User", "t1"), DirectoryObject("User", "t2")
    assert choose(m, candidates, {("externalId", "u"): [t1]}).target == t1
    conflict = choose(m, candidates, {("userName", "u@x"): [t1, t2], ("externalId", "u"): [t1]})
    assert conflict.target is None and conflict.error and conflict.error.startswith("MatchingConflict")
    assert choose(m, candidates, {}).target is None
    assert choose(m, [], {}).error.startswith("MissingMatchingValue")


# --- references -------------------------------------------------------------------------------------------


def test_reference_resolution_with_pending_and_member_deltas() -> None:
    manager = attr("manager", "[manager]", reference=True)
    members = attr("members", "[members]", reference=True, multivalued=True)
    m = mapping(references=(manager, members))
    result = resolve(
        m, "s1", "t1", {"manager": "s2", "members": ["s2", "s3"]}, {"members": ["t4"]}, {"s2": "t2"}
    )
    assert result.operation is not None
    assert set(result.operation.modifications) == {
        Modification("manager", ValueOp.REPLACE, ("t2",)),
        Modification("members", ValueOp.ADD, ("t2",)),
        Modification("members", ValueOp.REMOVE, ("t4",)),
    }
    assert result.remaining == {"members": ["s2", "s3"]}  # s3 is not provisioned yet: kept pending
    unresolved = resolve(m, "s1", "t1", {"manager": "s9"}, {}, {})
    assert unresolved.operation is None and unresolved.remaining == {"manager": "s9"}
    cleared = resolve(m, "s1", "t1", {"manager": None}, {"manager": "t2"}, {})
    assert cleared.operation is not None and cleared.essence == {} and cleared.remaining is None


class _Broken:
    attribute_names = frozenset({"a"})
    text = "Broken([a])"

    def evaluate(self, record: Any, context: Any = None) -> Any:
        raise ZeroDivisionError("boom")


def test_a_defect_in_one_expression_fails_the_object_not_the_cycle() -> None:
    broken = CompiledAttribute(target="x", expression=_Broken())  # type: ignore[arg-type]
    mapped = map_object(mapping(attr("a", "[a]"), broken), {"a": "1"}, CTX)
    assert mapped.error is not None and "ZeroDivisionError" in mapped.error


def test_matched_object_without_update_flow_is_linked_with_its_current_values() -> None:
    m = mapping(*USER_MAPPING.attributes, flow_types="Add")
    target = DirectoryObject("User", "t9", {"userName": "u@x", "displayName": "Old", "other": 1})
    op = plan({"userPrincipalName": "u@x", "displayName": "New"}, matched=target, m=m)
    assert op.action is Action.SKIP and op.target_id == "t9"
    assert dict(op.essence) == {"userName": "u@x", "displayName": "Old"}


def test_null_flows_only_where_null_flow_is_enabled() -> None:
    plain, flowing = attr("a", "[a]"), attr("b", "[b]", flow_nulls=True)
    mapped = map_object(mapping(plain, flowing), {}, CTX)
    assert dict(mapped.values) == {"b": None}
    result = diff((plain, flowing), mapped.values, {"a": "kept", "b": "cleared"})
    assert result.modifications == (Modification("b", ValueOp.REPLACE, ()),)
    assert dict(result.essence) == {"a": "kept"}


def test_null_flow_clears_a_multi_valued_attribute_but_never_an_add_only_one() -> None:
    proxies = attr("proxyAddresses", "[proxyAddresses]", multivalued=True, flow_nulls=True)
    stale = {"proxyAddresses": ["smtp:a@x", "SMTP:b@x"]}
    for emptied in ({}, {"proxyAddresses": []}, {"proxyAddresses": [""]}):
        mapped = map_object(mapping(proxies), emptied, CTX)
        assert dict(mapped.values) == {"proxyAddresses": None}
        result = diff((proxies,), mapped.values, stale)
        assert result.modifications == (Modification("proxyAddresses", ValueOp.REPLACE, ()),)
        assert dict(result.essence) == {}
    add_only = replace(proxies, flow_type="MultiValueAddOnly")
    assert diff((add_only,), {"proxyAddresses": None}, stale).modifications == ()
    no_flow = replace(proxies, flow_nulls=False)
    assert dict(map_object(mapping(no_flow), {}, CTX).values) == {}


class _RecordingTarget:
    def __init__(self, objects: dict[tuple[str, str], list[DirectoryObject]]) -> None:
        self.objects, self.calls = objects, []

    def find(self, object_type: str, attribute: str, values: Any) -> dict[str, list[DirectoryObject]]:
        self.calls.append((attribute, list(values)))
        return {v: self.objects[(attribute, v)] for v in values if (attribute, v) in self.objects}


def test_planner_asks_the_next_matching_attribute_only_for_undecided_objects() -> None:
    from engine.plan import Planner

    m = mapping(
        attr("userName", "[upn]", matching_priority=1), attr("externalId", "[nick]", matching_priority=2)
    )
    target = _RecordingTarget(
        {
            ("userName", "a@x"): [DirectoryObject("User", "t1")],
            ("externalId", "b"): [DirectoryObject("User", "t2")],
        }
    )
    planner = Planner(m, lambda scope, ids: {}, target.find, CTX, DEFAULT_POLICY)
    plan = planner.plan_page(
        [
            DirectoryObject("User", "s1", {"upn": "a@x", "nick": "a"}),
            DirectoryObject("User", "s2", {"upn": "b@x", "nick": "b"}),
            DirectoryObject("User", "s3", {"upn": "c@x", "nick": "c"}),
        ]
    )
    assert target.calls == [("userName", ["a@x", "b@x", "c@x"]), ("externalId", ["b", "c"])]
    assert [(p.operation.action, p.operation.target_id) for p in plan.objects] == [
        (Action.UPDATE, "t1"),
        (Action.UPDATE, "t2"),
        (Action.CREATE, None),
    ]


@given(
    new=st.text(max_size=4) | st.none(),
    old=st.text(max_size=4) | st.none() | st.lists(st.text(max_size=2), max_size=2),
    case_exact=st.booleans(),
    flow_always=st.booleans(),
)
def test_single_valued_diff_agrees_with_same(new: Any, old: Any, case_exact: bool, flow_always: bool) -> None:
    # The decide step's short path for two texts must decide what the general rule (``same``) decides.
    attribute = CompiledAttribute("title", None, case_exact=case_exact, flow_always=flow_always)
    result = diff([attribute], {"title": new}, {"title": old} if old is not None else {})
    unchanged = new is None and is_empty(old)
    if new is not None:
        unchanged = same(new, old, case_exact=case_exact) and not flow_always
    assert (result.modifications == ()) == unchanged
    if not unchanged and new:
        assert result.modifications == (Modification("title", ValueOp.REPLACE, (new,)),)


# --- scope before evaluation (DESIGN decision 16) ----------------------------------------------------------


def _plan_page(records: dict[str, dict[str, Any]], links: dict[str, Link], m: CompiledMapping) -> Any:
    from engine.plan import Planner

    planner = Planner(
        m, lambda key, ids: {i: links[i] for i in ids if i in links}, lambda *a: {}, CTX, Policy()
    )
    return {
        p.source.id: p
        for p in planner.plan_page([DirectoryObject("User", i, r) for i, r in records.items()]).objects
    }


def test_out_of_scope_objects_are_skipped_without_evaluating_their_mappings() -> None:
    # ``IIF`` on a null attribute is an evaluation error (decision 5): out of scope it is never reached.
    m = mapping(
        attr("userName", "[upn]", matching_priority=1),
        attr("account", 'IIF([sam]="x", "y", [sam])'),
        attr("active", "Not([IsSoftDeleted])", kind="Boolean"),
    )
    linked = Link("s3", "t3", {"userName": "c@x", "account": "c", "active": True})
    planned = _plan_page(
        {
            "s1": {"upn": "a@x", "department": "Excluded"},  # out of scope, never provisioned
            "s2": {"upn": "b@x", "accountEnabled": False},  # disabled, never provisioned
            "s3": {"upn": "c@x", "department": "Excluded"},  # linked, leaving scope, no sam
            "s4": {"upn": "d@x"},  # in scope, no sam: a real evaluation error
        },
        {"s3": linked},
        m,
    )
    assert planned["s1"].operation.action is Action.SKIP and planned["s1"].operation.error is None
    assert planned["s1"].mapped.values == {} and planned["s2"].operation.reason == "SourceDisabled"
    disable = planned["s3"].operation
    assert disable.action is Action.DISABLE and disable.changes == (AttributeChange("active", True, False),)
    assert dict(disable.essence) == {"userName": "c@x", "account": "c", "active": False}
    assert planned["s4"].operation.action is Action.FAIL
    assert planned["s4"].operation.reason.startswith("ExpressionEvaluationFailed: account:")


def test_is_entra_directory_by_name() -> None:
    from engine.schema import is_entra_directory

    entra = ("Microsoft Entra ID", "Azure Active Directory", "azure ad", "Microsoft Entra ID (target tenant)")
    for name in entra:
        assert is_entra_directory(name), name
    for name in (None, "", "SCIM App", "Active Directory", "Microsoft Entra ID copy", "salesforce.com"):
        assert not is_entra_directory(name), name


def test_into_entra_deprovisioning_is_a_delete_and_a_disabled_account_an_update() -> None:
    """README, "Deprovisioning into Microsoft Entra ID": no IsSoftDeleted-driven attribute written there."""
    enabled = attr("accountEnabled", "[accountEnabled]", kind="Boolean")
    cloud = replace(mapping(attr("displayName", "[displayName]"), enabled), entra_target=True)
    synthetic = replace(attr("IsSoftDeleted", "[IsSoftDeleted]", synthetic=True), soft_delete=True)
    cross = replace(cloud, synthetic=(synthetic,))
    writes = replace(mapping(*USER_MAPPING.attributes), entra_target=True)  # a written one: disables
    assert cloud.deprovision_deletes and cross.deprovision_deletes and not writes.deprovision_deletes
    assert not replace(cross, entra_target=False).deprovision_deletes
    link = Link("s1", "t1", {"displayName": "U", "accountEnabled": True})
    for m in (cloud, cross):
        blocked = plan({"displayName": "U", "accountEnabled": False}, link, m=m)
        assert blocked.action is Action.UPDATE and not blocked.disabled
        assert blocked.changes == (AttributeChange("accountEnabled", True, False),)
        # Never provisioned, a disabled account is not provisioned (spec §D.4).
        assert plan({"displayName": "U", "accountEnabled": False}, None, m=m).action is Action.SKIP
        left = plan({"displayName": "U", "department": "Excluded"}, link, m=m)
        assert left.action is Action.DELETE and left.reason == "NotInScope"
        soft = plan({"displayName": "U", "deletedDateTime": "2026-12-01T00:00:00Z"}, link, m=m)
        assert soft.action is Action.DELETE
        skip = Policy(skip_out_of_scope_deletions=True)
        assert plan({"displayName": "U", "department": "Excluded"}, link, m=m, policy=skip).reason == (
            "SkipOutOfScopeDeletions"
        )
        # A link an older release marked disabled still has its target object: deleted too.
        old = Link("s1", "t1", {"displayName": "U"}, disabled=True)
        assert plan({"displayName": "U", "department": "Excluded"}, old, m=m).action is Action.DELETE
        no_delete = replace(m, flow_types=frozenset({"Add", "Update"}))
        assert plan({"displayName": "U", "department": "Excluded"}, link, m=no_delete).action is Action.SKIP
    gone = {"userPrincipalName": "u@x", "accountEnabled": False}
    assert plan(gone, Link("s1", "t1", {"active": True}), m=writes).action is Action.DISABLE
