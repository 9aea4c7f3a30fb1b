"""Scoping filters: the conformance sample, every operator, groups/lists, errors, explain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine.scoping import OPERATORS, ScopeError, ScopeResult, classify_scope, find_operator

CASES = [
    json.loads(line) for line in (Path(__file__).parent / "cases" / "scoping.jsonl").read_text().splitlines()
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_conformance_case(case: dict[str, Any]) -> None:
    assert engine.evaluate_scope(case["filter"], case["object"]) is case["in_scope"]
    assert engine.compile_scope(case["filter"])(case["object"]) is case["in_scope"]


def clause(attribute: str, operator: str, *values: str) -> dict[str, Any]:
    operand = {"values": list(values)} if values else None
    return {"sourceOperandName": attribute, "operatorName": operator, "targetOperand": operand}


def scope(*clauses: dict[str, Any]) -> dict[str, Any]:
    return {"groups": [{"name": "g", "clauses": list(clauses)}]}


def check(operator: str, values: tuple[str, ...], record_value: Any) -> bool:
    record = {} if record_value is None else {"a": record_value}
    return engine.evaluate_scope(scope(clause("a", operator, *values)), record)


@pytest.mark.parametrize(
    ("operator", "values", "value", "expected"),
    [
        # EQUALS: exact, case-sensitive, string form of integers and Booleans, any operand value
        ("EQUALS", ("Sales",), "Sales", True),
        ("EQUALS", ("Sales",), "sales", False),
        ("EQUALS", ("Sales",), "Sales ", False),
        ("EQUALS", ("5",), 5, True),
        ("EQUALS", ("True",), True, True),
        ("EQUALS", ("Sales", "HR"), "HR", True),
        ("EQUALS", ("Sales",), None, False),
        ("EQUALS", ("Sales",), "", False),
        ("EQUALS", ("a",), ["a", "a"], True),
        ("EQUALS", ("a",), ["a", "b"], False),  # multi-valued: every value must pass
        # NOT EQUALS
        ("NOT EQUALS", ("Sales",), "HR", True),
        ("NOT EQUALS", ("Sales",), "Sales", False),
        ("NOT EQUALS", ("Sales", "HR"), "HR", False),  # negated: true only when no operand matches
        ("NOT EQUALS", ("Sales",), None, False),
        ("NOT EQUALS", ("a",), ["b", "c"], True),
        ("NOT EQUALS", ("a",), ["b", "a"], False),
        # IS TRUE / IS FALSE
        ("IS TRUE", (), True, True),
        ("IS TRUE", (), False, False),
        ("IS TRUE", (), "true", True),
        ("IS TRUE", (), "yes", False),
        ("IS TRUE", (), None, False),
        ("IS FALSE", (), False, True),
        ("IS FALSE", (), "False", True),
        ("IS FALSE", (), True, False),
        ("IS FALSE", (), None, False),
        # IS NULL / IS NOT NULL
        ("IS NULL", (), None, True),
        ("IS NULL", (), "", True),
        ("IS NULL", (), [], True),
        ("IS NULL", (), ["", None], True),
        ("IS NULL", (), "x", False),
        ("IS NULL", (), False, False),
        ("IS NOT NULL", (), "x", True),
        ("IS NOT NULL", (), 0, True),
        ("IS NOT NULL", (), None, False),
        ("IS NOT NULL", (), [], False),
        # REGEX MATCH / NOT REGEX MATCH: searched anywhere, case-sensitive, .NET named groups
        ("REGEX MATCH", ("([1-9][0-9])",), "a42", True),
        ("REGEX MATCH", ("^CN=",), "cn=x", False),
        ("REGEX MATCH", (r"(?<dept>Sal)es",), "Sales", True),
        ("REGEX MATCH", ("^a$", "^b$"), "b", True),
        ("REGEX MATCH", ("SMTP:",), ["SMTP:a@x", "SMTP:b@x"], True),
        ("REGEX MATCH", ("SMTP:",), ["SMTP:a@x", "x500:b"], False),
        ("REGEX MATCH", ("1",), 10, True),
        ("REGEX MATCH", ("x",), None, False),
        ("NOT REGEX MATCH", ("^User_",), "Admin", True),
        ("NOT REGEX MATCH", ("^User_",), "User_1", False),
        ("NOT REGEX MATCH", ("^a", "^b"), "bob", False),
        ("NOT REGEX MATCH", ("^User_",), None, False),
        ("NOT REGEX MATCH", ("^a",), ["x", "ab"], False),
        # Greater_Than / Greater_Than_OR_EQUALS: integers only
        ("Greater_Than", ("10",), 11, True),
        ("Greater_Than", ("10",), 10, False),
        ("Greater_Than", ("10",), "11", True),
        ("Greater_Than", ("10",), "9", False),
        ("Greater_Than", ("-5",), -4, True),
        ("Greater_Than", ("10",), "eleven", False),
        ("Greater_Than", ("10",), True, False),
        ("Greater_Than", ("10",), None, False),
        ("Greater_Than_OR_EQUALS", ("10",), 10, True),
        ("Greater_Than_OR_EQUALS", ("10",), "9", False),
        ("Greater_Than_OR_EQUALS", ("10",), 10.0, True),
        # Includes / ENDS_WITH: ordinal, case-sensitive
        ("Includes", ("Sales",), "Inside Sales", True),
        ("Includes", ("Sales",), "inside sales", False),
        ("Includes", ("Sales",), None, False),
        ("ENDS_WITH", ("@contoso.com",), "a@contoso.com", True),
        ("ENDS_WITH", ("@contoso.com",), "a@CONTOSO.COM", False),
        ("ENDS_WITH", ("OU=A", "OU=B"), "CN=x,OU=B", True),
        ("ENDS_WITH", ("x",), "", False),
        # & / !&: bitwise tests on integers (decision 7)
        ("&", ("-2147483648",), -2147483646, True),
        ("&", ("-2147483648",), 2, False),
        ("&", ("4",), "6", True),
        ("&", ("4",), "abc", False),
        ("&", ("4",), None, False),
        ("!&", ("566259712",), 1, True),
        ("!&", ("566259712",), 2147483648 | 2, True),
        ("!&", ("566259712",), 4194304 | 1, False),
        ("!&", ("4",), 4, False),
        ("!&", ("4",), None, False),
    ],
)
def test_operator(operator: str, values: tuple[str, ...], value: Any, expected: bool) -> None:
    assert check(operator, values, value) is expected


def test_operator_names_are_matched_leniently() -> None:
    assert find_operator("greater than") is find_operator("Greater_Than")
    assert find_operator("not  regex_match") is find_operator("NOT REGEX MATCH")
    assert find_operator("Less_Than") is None


def test_unknown_operator_is_an_error_not_false() -> None:
    with pytest.raises(ScopeError) as raised:
        engine.compile_scope(scope(clause("a", "EQUALS", "x"), clause("a", "STARTS_WITH", "x")))
    assert raised.value.path == "scope.groups[0].clauses[1]"
    assert "STARTS_WITH" in str(raised.value) and "EQUALS" in str(raised.value)


@pytest.mark.parametrize(
    ("operator", "values", "message"),
    [
        ("EQUALS", (), "needs a value"),
        ("Greater_Than", ("ten",), "not an integer"),
        ("&", ("0x4",), "not an integer"),
        ("REGEX MATCH", ("(unclosed",), "invalid regular expression"),
    ],
)
def test_bad_operands_are_errors(operator: str, values: tuple[str, ...], message: str) -> None:
    with pytest.raises(ScopeError, match=message):
        engine.compile_scope(scope(clause("a", operator, *values)))


def test_no_filter_and_empty_groups_mean_everything() -> None:
    assert engine.evaluate_scope(None, {}) is True
    assert engine.evaluate_scope({}, {"a": 1}) is True
    assert engine.evaluate_scope({"groups": [], "inputFilterGroups": None}, {}) is True
    assert engine.evaluate_scope({"groups": [{"name": "empty", "clauses": []}]}, {}) is True


def test_clauses_and_groups() -> None:
    two_groups = {
        "groups": [
            {"clauses": [clause("d", "EQUALS", "Sales"), clause("c", "EQUALS", "US")]},
            {"clauses": [clause("d", "EQUALS", "HR")]},
        ]
    }
    assert engine.evaluate_scope(two_groups, {"d": "Sales", "c": "US"})
    assert not engine.evaluate_scope(two_groups, {"d": "Sales", "c": "FR"})
    assert engine.evaluate_scope(two_groups, {"d": "HR"})


def test_lists_classify_differently() -> None:
    document = {
        "inputFilterGroups": [{"clauses": [clause("isCriticalSystemObject", "IS FALSE")]}],
        "categoryFilterGroups": [{"clauses": [clause("objectClass", "EQUALS", "user")]}],
        "groups": [{"clauses": [clause("department", "EQUALS", "Sales")]}],
    }
    base = {"isCriticalSystemObject": False, "objectClass": "user", "department": "Sales"}
    assert classify_scope(document, base) is ScopeResult.IN_SCOPE
    assert classify_scope(document, base | {"department": "HR"}) is ScopeResult.OUT_OF_SCOPE
    assert classify_scope(document, base | {"objectClass": "contact"}) is ScopeResult.NOT_IN_CATEGORY
    assert classify_scope(document, base | {"isCriticalSystemObject": True}) is ScopeResult.FILTERED_OUT
    assert engine.evaluate_scope(document, base) is True
    assert engine.evaluate_scope(document, base | {"isCriticalSystemObject": True}) is False


def test_input_filters_are_lenient_on_empty_values_for_negated_tests() -> None:
    # The real cloud-sync default exclusions must keep an ordinary user whose attributes are unset.
    schema = engine.load_schema(
        Path(__file__).parent.parent
        / "samples"
        / (
            "IdentityUnoffical_terraform-msgraph-entra-cloud-sync-config_cloudsync-AD2AADProvisioning-"
            "schema-2025.json"
        )
    )
    users = next(
        m
        for m in schema.synchronization_rules[0].object_mappings
        if m.name == "Provision Active Directory users"
    )
    ordinary = {"sAMAccountName": "jdoe", "distinguishedName": "CN=John,OU=Staff,DC=contoso,DC=com"}
    assert classify_scope(users.scope, ordinary) is ScopeResult.IN_SCOPE
    assert (
        classify_scope(users.scope, ordinary | {"isCriticalSystemObject": True}) is ScopeResult.FILTERED_OUT
    )
    assert classify_scope(users.scope, ordinary | {"sAMAccountName": "MSOL_123"}) is ScopeResult.FILTERED_OUT
    mailbox = ordinary | {"msExchRecipientTypeDetails": 1}  # UserMailbox: none of the excluded bits
    assert classify_scope(users.scope, mailbox) is ScopeResult.IN_SCOPE
    system = ordinary | {"msExchRecipientTypeDetails": 8388608}  # 8388608 & 566259712 != 0
    assert classify_scope(users.scope, system) is ScopeResult.FILTERED_OUT
    # the same clause in `groups` follows the documented rule: null fails it
    strict = {"groups": [{"clauses": [clause("adminDescription", "NOT REGEX MATCH", "^User_")]}]}
    assert engine.evaluate_scope(strict, ordinary) is False


def test_explain_lists_every_clause_with_its_result() -> None:
    document = {
        "groups": [
            {"name": "sales", "clauses": [clause("d", "EQUALS", "Sales"), clause("c", "IS NOT NULL")]},
            {"name": "hr", "clauses": [clause("d", "EQUALS", "HR")]},
        ]
    }
    rows = engine.explain_scope(document, {"d": "Sales"})
    assert [(r["group"], r["clauseIndex"], r["result"], r["groupResult"]) for r in rows] == [
        ("sales", 0, True, False),
        ("sales", 1, False, False),
        ("hr", 0, False, False),
    ]
    assert rows[0]["value"] == "Sales" and rows[0]["values"] == ["Sales"] and rows[0]["list"] == "groups"
    assert engine.explain_scope(None, {}) == []


def test_every_operator_is_in_the_table_once() -> None:
    names = [o.name for o in OPERATORS]
    assert len(names) == len(set(names)) == 14


@given(
    value=st.one_of(st.none(), st.text(max_size=6), st.integers(-100, 100), st.booleans()),
    operand=st.text(alphabet="ab1", min_size=1, max_size=3),
)
def test_negated_operators_are_complements_on_non_empty_values(value: Any, operand: str) -> None:
    pairs = [("EQUALS", "NOT EQUALS"), ("REGEX MATCH", "NOT REGEX MATCH"), ("IS NULL", "IS NOT NULL")]
    for positive, negative in pairs:
        args = () if "NULL" in positive else (operand,)
        if value is None or value == "":
            assert not check(positive, args, value) or positive == "IS NULL"
            assert not check(negative, args, value)
        else:
            assert check(positive, args, value) is not check(negative, args, value)


def test_numeric_operand_values_in_hand_written_filters_are_read_as_strings() -> None:
    document = {
        "groups": [
            {
                "clauses": [
                    {"sourceOperandName": "n", "operatorName": "EQUALS", "targetOperand": {"values": [5]}}
                ]
            }
        ]
    }
    assert engine.evaluate_scope(document, {"n": 5}) is True
    assert engine.evaluate_scope(document, {"n": "5"}) is True
    assert engine.evaluate_scope(document, {"n": 6}) is False


_attribute = st.sampled_from(["a", "b", "c"])
_simple_clause = st.tuples(_attribute, st.sampled_from(["x", "y"]))
_groups = st.lists(st.lists(_simple_clause, min_size=1, max_size=3), max_size=3)
_record = st.dictionaries(_attribute, st.sampled_from(["x", "y", ""]), max_size=3)


@given(groups=_groups, record=_record)
def test_groups_are_ored_and_clauses_anded(
    groups: list[list[tuple[str, str]]], record: dict[str, str]
) -> None:
    document = {"groups": [{"clauses": [clause(a, "EQUALS", v) for a, v in group]} for group in groups]}
    expected = not groups or any(all(record.get(a) == v for a, v in group) for group in groups)
    assert engine.evaluate_scope(document, record) is expected
    assert engine.compile_scope(document)(record) is expected
    rows = engine.explain_scope(document, record)
    assert len(rows) == sum(len(g) for g in groups)
    assert all(row["result"] is (record.get(row["attribute"]) == row["values"][0]) for row in rows)


def test_cross_tenant_input_filter_keeps_members_and_drops_guests() -> None:
    schema = engine.load_schema(
        Path(__file__).parent.parent
        / "samples"
        / "terraprovider_terraform-provider-microsoft365wp_cross-tenant-sync-Azure2Azure-schema.json"
    )
    users = schema.synchronization_rules[0].object_mappings[0]
    assert classify_scope(users.scope, {"userPrincipalName": "ann@contoso.com"}) is ScopeResult.IN_SCOPE
    assert classify_scope(users.scope, {"alternativeSecurityIds": ["x"]}) is ScopeResult.FILTERED_OUT
    assert classify_scope(users.scope, {"userState": "PendingAcceptance"}) is ScopeResult.FILTERED_OUT


def test_lenient_empty_rules_apply_to_input_filters_only() -> None:
    def both(operator: str, *values: str) -> tuple[bool, bool]:
        clauses = [clause("a", operator, *values)]
        strict = engine.evaluate_scope({"groups": [{"clauses": clauses}]}, {})
        lenient = engine.evaluate_scope({"inputFilterGroups": [{"clauses": clauses}]}, {})
        return strict, lenient

    assert both("EQUALS", "None") == (False, True)
    assert both("EQUALS", "x") == (False, False)
    assert both("NOT EQUALS", "x") == (False, True)
    assert both("NOT REGEX MATCH", "^x") == (False, True)
    assert both("!&", "4") == (False, True)
    assert both("&", "4") == (False, False)
    assert both("IS FALSE") == (False, True)
    assert both("IS TRUE") == (False, False)
    assert both("IS NULL") == (True, True)
    assert both("IS NOT NULL") == (False, False)
    assert both("REGEX MATCH", "SMTP:") == (False, False)
