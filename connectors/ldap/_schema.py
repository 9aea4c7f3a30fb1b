"""The server's schema (its subschema subentry) as ``AttributeInfo`` values, and object classes' attributes.

Read once per connector, on first need: it drives value conversion (syntax, SINGLE-VALUE) and ``describe``.
"""

from __future__ import annotations

from typing import Any

from ldap.schema import AttributeType, ObjectClass, SubSchema

from ._values import REFERENCE_ATTRIBUTES, SECRET_ATTRIBUTES, AttributeInfo, Kind, kind_of_syntax


class Schema:
    """Attribute facts by name (case-insensitive), cached; unknown names read as multi-valued text."""

    def __init__(self, subschema_entry: dict[str, list[bytes]]) -> None:
        self._schema: Any = SubSchema(subschema_entry, check_uniqueness=0)
        self._cache: dict[str, AttributeInfo] = {}

    def info(self, name: str) -> AttributeInfo:
        key = name.lower()
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._lookup(name.split(";")[0])
        return cached

    def _inherited(self, oid: str, attribute: str) -> Any:
        try:
            return self._schema.get_inheritedattr(AttributeType, oid, attribute)
        except KeyError:
            return None

    def _lookup(self, name: str) -> AttributeInfo:
        oid = self._schema.getoid(AttributeType, name)
        element = self._schema.get_obj(AttributeType, oid)
        if element is None:
            return AttributeInfo(name=name)
        canonical = element.names[0] if element.names else name
        syntax = self._inherited(oid, "syntax")
        equality = str(self._inherited(oid, "equality") or "")
        kind = Kind.REFERENCE if canonical.lower() in REFERENCE_ATTRIBUTES else kind_of_syntax(syntax)
        if canonical.lower() in SECRET_ATTRIBUTES:
            kind = Kind.STRING  # Octet String by syntax, but mappings give passwords as text
        return AttributeInfo(
            name=canonical,
            kind=kind,
            single_value=bool(element.single_value),
            case_exact=equality.lower().startswith(("caseexact", "octetstring", "bitstring")),
            read_only=bool(element.no_user_mod) or element.usage != 0,
        )

    def class_attributes(
        self, object_classes: tuple[str, ...]
    ) -> tuple[list[AttributeInfo], list[AttributeInfo]]:
        """(MUST, MAY) attributes of these object classes and their superclasses, ``objectClass`` left out."""
        oids = [self._schema.getoid(ObjectClass, name) for name in object_classes]
        must, may = self._schema.attribute_types(oids, raise_keyerror=0)
        required = [self._named(oid) for oid in must]
        optional = [self._named(oid) for oid in may if oid not in must]
        return [i for i in required if i.name != "objectClass"], [
            i for i in optional if i.name != "objectClass"
        ]

    def has_attribute(self, name: str) -> bool:
        return self._schema.get_obj(AttributeType, self._schema.getoid(AttributeType, name)) is not None

    def has_class(self, name: str) -> bool:
        return self._schema.get_obj(ObjectClass, self._schema.getoid(ObjectClass, name)) is not None

    def _named(self, oid: str) -> AttributeInfo:
        element = self._schema.get_obj(AttributeType, oid)
        return self.info(element.names[0] if element is not None and element.names else oid)
