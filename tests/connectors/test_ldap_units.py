"""The ldap connector's pure parts (watermarks, value conversion, write planning), without a server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors import Change, Modification, ObjectRejected, Operation, ValueOp, Watermark
from connectors.ldap._settings import ObjectSettings
from connectors.ldap._sync import already_delivered, closing_watermark, deleted_ids, newest
from connectors.ldap._values import (
    AttributeInfo,
    Kind,
    decode,
    encode,
    generalized_to_iso,
    iso_to_generalized,
    kind_of_syntax,
    reference_dn,
)
from connectors.ldap._writes import (
    MOD_ADD,
    MOD_DELETE,
    MOD_REPLACE,
    PLACEHOLDER_MEMBER,
    modlist,
    new_entry,
    new_rdn_value,
    without_absent_values,
)

GROUP = ObjectSettings("Group", "ou=g,dc=x", ("groupOfNames",), None, "cn")
USER = ObjectSettings("User", "ou=p,dc=x", ("inetOrgPerson",), None, "uid")


def plain(name: str, value: object) -> bytes:
    return str(value).encode()


csns = st.builds(
    lambda moment, counter: moment.strftime("%Y%m%d%H%M%S.%f") + f"Z#{counter:06x}#000#000000",
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1)),
    st.integers(0, 0xFFFFFF),
)
ids = st.frozensets(st.sampled_from(["a", "b", "c", "d"]))


@given(csns, ids, st.one_of(st.none(), csns), ids)
def test_closing_watermark_never_goes_backwards(
    cursor: str, boundary: frozenset[str], signpost: str | None, at: frozenset[str]
) -> None:
    since = Watermark(cursor, boundary)
    after = closing_watermark(signpost, since, at)
    assert since.is_before_or_at(after)
    if after.cursor == cursor:
        assert boundary <= after.boundary_ids or after == since


def test_closing_watermark_keeps_the_boundary_at_the_same_cursor() -> None:
    since = Watermark("20261122061504.000001Z#000000#000#000000", frozenset({"a"}))
    assert closing_watermark(since.cursor, since, {"b"}).boundary_ids == {"a", "b"}  # type: ignore[arg-type]
    assert closing_watermark(None, None, ()) == Watermark(None)


def test_boundary_dedup_and_deletions() -> None:
    mark = Watermark("c1", frozenset({"x"}))
    assert already_delivered(mark, "x", "c1") and not already_delivered(mark, "x", "c2")
    assert not already_delivered(mark, "y", "c1") and not already_delivered(None, "x", "c1")
    assert deleted_ids(["a", "b", "c"], {"b"}) == ["a", "c"]
    assert newest(["b", None, "c", "a"]) == "c" and newest([]) is None


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)))
def test_generalized_time_round_trips(moment: datetime) -> None:
    iso = moment.isoformat().replace("+00:00", "Z")
    generalized = iso_to_generalized(iso)
    assert generalized.endswith("Z")
    assert datetime.fromisoformat(generalized_to_iso(generalized)) == moment


def test_generalized_time_forms() -> None:
    assert generalized_to_iso("20261122050722Z") == "2026-11-22T05:07:22Z"
    assert generalized_to_iso("202611220507+0130") == "2026-11-22T03:37:00Z"
    assert generalized_to_iso("not a time") == "not a time"
    assert iso_to_generalized("2026-11-22T06:07:22+01:00") == "20261122050722Z"
    with pytest.raises(ValueError):
        iso_to_generalized("yesterday")


def test_syntax_kinds_and_value_shapes() -> None:
    assert kind_of_syntax("1.3.6.1.4.1.1466.115.121.1.27") is Kind.INTEGER
    assert kind_of_syntax("1.3.6.1.4.1.1466.115.121.1.15{256}") is Kind.STRING
    assert kind_of_syntax("1.3.6.1.4.1.1466.115.121.1.40") is Kind.BINARY
    assert kind_of_syntax(None) is Kind.STRING
    number = AttributeInfo("n", Kind.INTEGER, single_value=True)
    assert decode(number, [b"42"]) == 42 and decode(number, []) is None
    assert decode(AttributeInfo("t"), [b"x"]) == ["x"]
    assert decode(AttributeInfo("t"), [b"\xff\xfe"]) == ["//4="]  # not UTF-8: base64, never mangled
    assert decode(AttributeInfo("b", Kind.BOOLEAN, True), [b"TRUE"]) is True
    assert reference_dn(b"cn=a,dc=x#'0101'B") == "cn=a,dc=x"


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (Kind.INTEGER, 7, b"7"),
        (Kind.INTEGER, "8", b"8"),
        (Kind.BOOLEAN, True, b"TRUE"),
        (Kind.BOOLEAN, "false", b"FALSE"),
        (Kind.STRING, "Zoë", "Zoë".encode()),
        (Kind.BINARY, "AAE=", b"\x00\x01"),
    ],
)
def test_encode(kind: Kind, value: str | int | bool, expected: bytes) -> None:
    assert encode(AttributeInfo("a", kind), value) == expected


@pytest.mark.parametrize(
    ("kind", "value"),
    [(Kind.INTEGER, True), (Kind.INTEGER, 1.5), (Kind.BOOLEAN, "yes"), (Kind.BINARY, "***")],
)
def test_encode_refuses_with_a_reason(kind: Kind, value: str | int | bool) -> None:
    with pytest.raises(ValueError, match="expected"):
        encode(AttributeInfo("a", kind), value)


def test_new_group_gets_the_placeholder_member() -> None:
    change = Change(Operation.CREATE, "Group", modifications=(Modification("cn", ValueOp.REPLACE, ("g",)),))
    entry = new_entry(change, GROUP, plain)
    assert entry.rdn_value == "g"
    assert dict(entry.attributes) == {
        "objectClass": [b"groupOfNames"],
        "cn": [b"g"],
        "member": [PLACEHOLDER_MEMBER],
    }


def test_new_entry_needs_its_naming_value() -> None:
    change = Change(Operation.CREATE, "User", modifications=(Modification("sn", ValueOp.REPLACE, ("s",)),))
    with pytest.raises(ObjectRejected, match="uid"):
        new_entry(change, USER, plain)


def test_member_edits_keep_the_placeholder() -> None:
    edits = modlist(
        [Modification("member", ValueOp.REMOVE, ("u1",)), Modification("member", ValueOp.REPLACE, ())],
        GROUP,
        plain,
    )
    assert edits == [
        (MOD_ADD, "member", [PLACEHOLDER_MEMBER]),
        (MOD_DELETE, "member", [b"u1"]),
        (MOD_REPLACE, "member", [PLACEHOLDER_MEMBER]),
    ]
    assert modlist([Modification("title", ValueOp.REPLACE, ())], USER, plain) == [
        (MOD_REPLACE, "title", None)
    ]


def test_rename_only_when_the_naming_value_changes() -> None:
    assert new_rdn_value([Modification("UID", ValueOp.REPLACE, ("new",))], USER, "old") == "new"
    assert new_rdn_value([Modification("uid", ValueOp.REPLACE, ("old", "alias"))], USER, "old") is None
    assert new_rdn_value([Modification("cn", ValueOp.REPLACE, ("x",))], USER, "old") is None
    with pytest.raises(ObjectRejected):
        new_rdn_value([Modification("uid", ValueOp.REPLACE, ())], USER, "old")


def test_removals_of_absent_values_are_dropped() -> None:
    edits = [
        (MOD_DELETE, "description", [b"A", b"zzz"]),
        (MOD_DELETE, "title", [b"q"]),
        (MOD_ADD, "x", [b"1"]),
    ]
    kept = without_absent_values(edits, {"description": [b"a"]}, lambda _, v: v.lower())
    assert kept == [(MOD_DELETE, "description", [b"A"]), (MOD_ADD, "x", [b"1"])]


# --- entry conversion (the read hot path) against the per-attribute rules of ``_values`` --------------

_SYNTAX = "1.3.6.1.4.1.1466.115.121.1."
_SUBSCHEMA = {
    "attributeTypes": [
        f"( 2.5.4.3 NAME 'cn' SYNTAX {_SYNTAX}15 )".encode(),
        f"( 2.16.840.1.113730.3.1.241 NAME 'displayName' SYNTAX {_SYNTAX}15 SINGLE-VALUE )".encode(),
        f"( 2.5.18.1 NAME 'createTimestamp' SYNTAX {_SYNTAX}24 SINGLE-VALUE )".encode(),
        f"( 1.1.1 NAME 'birthdays' SYNTAX {_SYNTAX}24 )".encode(),
        f"( 0.9.2342.19200300.100.1.10 NAME 'manager' SYNTAX {_SYNTAX}12 )".encode(),
        f"( 1.3.6.1.1.1.1.0 NAME 'uidNumber' SYNTAX {_SYNTAX}27 SINGLE-VALUE )".encode(),
        f"( 0.9.2342.19200300.100.1.60 NAME 'jpegPhoto' SYNTAX {_SYNTAX}28 )".encode(),
        f"( 2.5.4.35 NAME 'userPassword' SYNTAX {_SYNTAX}40 )".encode(),
        f"( 1.3.6.1.4.1.4203.666.1.7 NAME 'entryCSN' SYNTAX {_SYNTAX}15 SINGLE-VALUE )".encode(),
        f"( 1.3.6.1.1.16.4 NAME 'entryUUID' SYNTAX {_SYNTAX}15 SINGLE-VALUE )".encode(),
    ]
}
_BOSS = "cn=boss,dc=x"
_raw_values = st.lists(
    st.one_of(
        st.binary(max_size=6),
        st.text(max_size=6).map(str.encode),
        st.sampled_from([b"20261122050722Z", b"2026112205Z", b"20261122050722.5+0100", b"\xff1122050722Z"]),
        st.sampled_from([_BOSS.encode(), b"CN=Boss,dc=x", b"cn=nobody,dc=x", b"cn=boss,dc=x#'01'B"]),
    ),
    max_size=3,
)
_NAMES = "cn CN displayName createTimestamp birthdays manager uidNumber jpegPhoto userPassword entryCSN other"
_entries = st.lists(st.dictionaries(st.sampled_from(_NAMES.split()), _raw_values), max_size=4)


@given(_entries)
def test_entries_convert_by_the_per_attribute_rules(raws: list[dict[str, list[bytes]]]) -> None:
    from connectors.ldap._entries import DnIndex, EntryReader
    from connectors.ldap._schema import Schema

    schema = Schema(_SUBSCHEMA)
    index = DnIndex()
    index.remember(_BOSS, "boss-id")
    reader = EntryReader(schema, "entryUUID", index)
    entries = [(f"cn=e{i},dc=x", {**raw, "entryUUID": [f"id{i}".encode()]}) for i, raw in enumerate(raws)]
    try:
        got = reader.objects("User", entries, lambda dns: None)
    except UnicodeDecodeError:  # a cursor or a reference that is not text fails the read, as it always did
        assert any(
            any(not v.isascii() for v in raw.get("entryCSN", [])[:1])
            or any(not _utf8(v) for v in raw.get("manager", []))
            for raw in raws
        )
        return
    for (_, raw), obj in zip(entries, got, strict=True):
        expected: dict[str, object] = {}
        cursor = None
        for name, values in raw.items():
            info = schema.info(name)
            if name == "entryCSN":
                cursor = values[0].decode("ascii") if values else None
            elif name == "userPassword":
                continue
            elif name == "manager":
                found = [index.id_of(reference_dn(v)) for v in values if v]
                expected[info.name] = [i for i in found if i is not None]
            else:
                expected[info.name] = decode(info, values)
        assert obj.attributes == expected
        assert list(obj.attributes) == list(expected)
        assert obj.cursor == cursor and obj.id == raw["entryUUID"][0].decode()


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode()
    except UnicodeDecodeError:
        return False
    return True
