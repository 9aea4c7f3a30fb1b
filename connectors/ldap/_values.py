"""LDAP values <-> connector values, driven by the server's schema (attribute syntax and SINGLE-VALUE). Pure.

Decisions (what users of Entra's LDAP-style connectors expect):

* A SINGLE-VALUE attribute reads as a scalar, any other as a list (even with one value), so a value's shape
  never depends on the data.
* INTEGER syntax reads as ``int``, Boolean as ``bool``, GeneralizedTime as ISO-8601 UTC text
  (``2026-11-22T05:07:22Z``); binary syntaxes (Octet String, JPEG, certificates...) as base64 text. A value of
  a text syntax that is not UTF-8 also travels as base64 rather than being mangled.
* ``member``, ``uniqueMember`` and ``manager`` are references: the connector turns their DNs into ids.
  Other DN-syntax attributes (``seeAlso``, ``owner``) travel as DN text.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .._base import Scalar, Value

REFERENCE_ATTRIBUTES = frozenset({"member", "uniquemember", "manager"})
"""Lower-cased names of the attributes read and written as references (ids of this directory)."""
SECRET_ATTRIBUTES = frozenset({"userpassword", "authpassword"})
"""Lower-cased names of password attributes: written when a mapping sets them, never read (a privileged bind
could read their hashes, and nothing read may end up in the provisioning logs). Written as given: hashing
is the server's policy (OpenLDAP: ppolicy's ``olcPPolicyHashCleartext``)."""


class Kind(enum.StrEnum):
    STRING = "String"
    INTEGER = "Integer"
    BOOLEAN = "Boolean"
    DATETIME = "DateTime"
    BINARY = "Binary"
    REFERENCE = "Reference"


_SYNTAX_PREFIX = "1.3.6.1.4.1.1466.115.121.1."
_SYNTAX_KINDS = {
    "27": Kind.INTEGER,
    "7": Kind.BOOLEAN,
    "24": Kind.DATETIME,
    **dict.fromkeys(("4", "5", "8", "9", "10", "23", "28", "40", "49"), Kind.BINARY),
}


def kind_of_syntax(syntax_oid: str | None) -> Kind:
    """The value kind of an LDAP syntax OID (``1.3.6.1.4.1.1466.115.121.1.27`` is INTEGER...)."""
    if syntax_oid and syntax_oid.startswith(_SYNTAX_PREFIX):
        # a syntax may carry a length bound: 1.3.6.1.4.1.1466.115.121.1.15{256}
        return _SYNTAX_KINDS.get(syntax_oid[len(_SYNTAX_PREFIX) :].split("{")[0], Kind.STRING)
    return Kind.STRING


@dataclass(frozen=True, slots=True)
class AttributeInfo:
    """What the schema says about one attribute."""

    name: str
    kind: Kind = Kind.STRING
    single_value: bool = False
    case_exact: bool = False
    read_only: bool = False
    """Operational attributes (entryUUID, createTimestamp...) the server maintains itself."""

    @property
    def is_reference(self) -> bool:
        return self.kind is Kind.REFERENCE


# --- reading --------------------------------------------------------------------------------------


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii")


_GENERALIZED = re.compile(
    r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,](\d+))?(Z|[+-]\d{2}(?:\d{2})?)$"
)


def generalized_to_iso(text: str) -> str:
    """``20261122050722Z`` -> ``2026-11-22T05:07:22Z`` (UTC); text that is not GeneralizedTime is kept."""
    match = _GENERALIZED.match(text)
    if not match:
        return text
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    moment = datetime(
        int(year), int(month), int(day), int(hour), int(minute or 0), int(second or 0), tzinfo=UTC
    )
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        moment -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5] or 0))
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{fraction}Z" if fraction else f"{stamp}Z"


def decode_one(info: AttributeInfo, raw: bytes) -> Scalar:
    if info.kind is Kind.INTEGER:
        try:
            return int(raw)
        except ValueError:
            return _text(raw)
    if info.kind is Kind.BOOLEAN:
        return raw.upper() == b"TRUE"
    if info.kind is Kind.DATETIME:
        return generalized_to_iso(raw.decode("ascii", "replace"))
    if info.kind is Kind.BINARY:
        return base64.b64encode(raw).decode("ascii")
    return _text(raw)


def decode(info: AttributeInfo, raws: list[bytes]) -> Value:
    """An attribute's raw values as a connector value (scalar when SINGLE-VALUE, else a list)."""
    values = [decode_one(info, raw) for raw in raws]
    if info.single_value:
        return values[0] if values else None
    return values


_OPTIONAL_UID = re.compile(r"#'[01]*'B$")


def reference_dn(raw: bytes) -> str:
    """The DN of a reference value (uniqueMember may carry an optional ``#'0101'B`` unique id)."""
    return _OPTIONAL_UID.sub("", raw.decode("utf-8"))


# --- writing --------------------------------------------------------------------------------------


def iso_to_generalized(text: str) -> str:
    """ISO-8601 (``2026-11-22T05:07:22Z``, any offset) -> GeneralizedTime in UTC; GeneralizedTime is kept."""
    if _GENERALIZED.match(text):
        return text
    moment = datetime.fromisoformat(text)  # ValueError on anything else
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # naive times are taken as UTC
    moment = moment.astimezone(UTC)
    fraction = f".{moment.microsecond:06d}".rstrip("0").rstrip(".") if moment.microsecond else ""
    return moment.strftime("%Y%m%d%H%M%S") + fraction + "Z"


def _boolean(value: Scalar) -> bytes:
    if isinstance(value, bool):
        return b"TRUE" if value else b"FALSE"
    text = str(value).strip().lower()
    if text in {"true", "false"}:
        return text.upper().encode()
    raise ValueError(f"expected true or false, got {value!r}")


def _integer(value: Scalar) -> bytes:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(f"expected an integer, got {value!r}")
    return str(int(value)).encode()


def encode(info: AttributeInfo, value: Scalar) -> bytes:
    """One connector value as the bytes LDAP stores; ``ValueError`` (with a reason) when it cannot be."""
    if info.kind is Kind.INTEGER:
        return _integer(value)
    if info.kind is Kind.BOOLEAN:
        return _boolean(value)
    if info.kind is Kind.DATETIME:
        return iso_to_generalized(str(value)).encode()
    if info.kind is Kind.BINARY:
        try:
            return base64.b64decode(str(value), validate=True)
        except binascii.Error as exc:
            raise ValueError(f"expected base64 text for binary attribute {info.name}") from exc
    if isinstance(value, bool):
        return b"TRUE" if value else b"FALSE"
    return str(value).encode("utf-8")


# --- describing -----------------------------------------------------------------------------------


def attribute_definition(
    info: AttributeInfo, *, required: bool, anchor: bool, referenced: tuple[str, ...] = ()
) -> dict[str, object]:
    """A Graph ``attributeDefinition`` for one attribute."""
    return {
        "name": info.name,
        "type": info.kind.value,
        "multivalued": not info.single_value,
        "required": required,
        "anchor": anchor,
        "caseExact": info.case_exact,
        "mutability": _mutability(info, anchor),
        "flowNullValues": False,
        "referencedObjects": [
            {"referencedObjectName": name, "referencedProperty": None} for name in referenced
        ],
        "metadata": [],
        "apiExpressions": [],
    }


def _mutability(info: AttributeInfo, anchor: bool) -> str:
    if info.name.lower() in SECRET_ATTRIBUTES:
        return "WriteOnly"
    return "ReadOnly" if info.read_only or anchor else "ReadWrite"
