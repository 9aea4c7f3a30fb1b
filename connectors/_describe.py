"""Graph ``directoryDefinition`` documents for directories whose schema is their data (memory, json, csv).

The attribute definitions are inferred from the values present: the type from the first non-null value
(``Boolean``, ``Integer``, ``String``), ``multivalued`` when any object holds a list, and the references
Entra's own directories have (``manager`` -> User, ``members`` -> User and Group) typed ``Reference``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._base import Value

REFERENCES: dict[str, tuple[str, ...]] = {"manager": ("User",), "members": ("User", "Group")}


def _type_of(value: Value) -> str:
    sample = value[0] if isinstance(value, list) and value else value
    if isinstance(sample, bool):
        return "Boolean"
    if isinstance(sample, int):
        return "Integer"
    return "String"


def attribute_definition(
    name: str, *, type_: str = "String", multivalued: bool = False, anchor: bool = False
) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "name": name,
        "type": type_,
        "multivalued": multivalued,
        "anchor": anchor,
        "caseExact": False,
        "required": anchor,
        "mutability": "ReadWrite",
        "flowNullValues": False,
        "metadata": [],
        "referencedObjects": [],
    }
    if name in REFERENCES:
        definition["type"] = "Reference"
        definition["referencedObjects"] = [
            {"referencedObjectName": o, "referencedProperty": None} for o in REFERENCES[name]
        ]
    return definition


def infer_attributes(rows: Iterable[Mapping[str, Value]], anchor: str) -> list[dict[str, Any]]:
    """Attribute definitions for the union of the rows' attributes, the anchor first."""
    types: dict[str, str] = {}
    multi: set[str] = set()
    for row in rows:
        for name, value in row.items():
            if value is None or name == anchor:
                continue
            if isinstance(value, list):
                multi.add(name)
            if name not in types or (types[name] == "String" and value != []):
                types[name] = _type_of(value) if value != [] else types.get(name, "String")
    attributes = [attribute_definition(anchor, anchor=True)]
    attributes += [attribute_definition(n, type_=t, multivalued=n in multi) for n, t in types.items()]
    return attributes


def directory_definition(
    name: str, objects: Mapping[str, list[dict[str, Any]]], *, read_only: bool = False
) -> dict[str, Any]:
    return {
        "id": name,
        "name": name,
        "readOnly": read_only,
        "discoverabilities": "AttributeNames,AttributeDataTypes,ReferenceAttributes",
        "objects": [
            {"name": object_name, "attributes": attributes, "metadata": [], "supportedApis": []}
            for object_name, attributes in objects.items()
        ],
    }
