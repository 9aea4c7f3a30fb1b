"""What the SCIM server says about its attributes (/Schemas, /ResourceTypes): value types and ``describe``.

Two uses, one source of truth:

* **Coercion on write.** Entra's default ``active`` mapping yields the *strings* ``"True"`` / ``"False"``
  (``Switch([IsSoftDeleted], ...)``) and Entra sends a JSON Boolean on create, i.e. it converts values to the
  target attribute's type. ``Catalog.coerce`` does the same from the server's schema: ``boolean``
  attributes accept ``true`` / ``false`` in any case, ``integer`` and ``decimal`` accept numeric text.
  A value that does not convert is sent as is, and the server's 400 names it.
* **describe()** renders the resource types as a Graph ``directoryDefinition`` whose attribute names are
  the SCIM paths Entra's directory definitions use (``emails[type eq "work"].value``, one per canonical
  ``type``; ``<URN>:<attribute>`` for extensions; ``members`` / ``manager`` as references).

Entra calls /Schemas only for gallery apps, and many SCIM apps do not publish it: then the catalog falls
back to the attributes of Entra's default SCIM mappings (spec entra-scim.md §1.2), typed as that table says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._base import Scalar
from ._paths import CORE_GROUP, CORE_USER, ENTERPRISE_USER, ScimPath

_GRAPH_TYPES = {"boolean": "Boolean", "integer": "Integer", "datetime": "DateTime", "binary": "Binary"}
_DISCOVERABILITIES = ["AttributeNames", "AttributeDataTypes", "AttributeReadOnly", "ReferenceAttributes"]


@dataclass(frozen=True, slots=True)
class AttributeInfo:
    """One flattened attribute of a resource type."""

    path: str
    type: str
    """The SCIM type, lower case (``string``, ``boolean``, ``reference``...)."""
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    references: tuple[str, ...] = ()
    """Resource types a reference points at (``User``, ``Group``); empty for plain values."""

    def to_graph(self) -> dict[str, Any]:
        graph_type = "Reference" if self.references else _GRAPH_TYPES.get(self.type, "String")
        return {
            "name": self.path,
            "type": graph_type,
            "multivalued": self.multi_valued,
            "required": self.required,
            "caseExact": self.case_exact,
            "anchor": self.path == "id",
            "mutability": self.mutability[:1].upper() + self.mutability[1:],
            "flowNullValues": False,
            "referencedObjects": [{"referencedObjectName": name} for name in self.references],
            "apiExpressions": [],
            "metadata": [],
        }


def _key(urn: str | None, attribute: str, sub: str | None) -> tuple[str, str, str]:
    return ((urn or "").casefold(), attribute.casefold(), (sub or "").casefold())


class Catalog:
    """Attribute types by (schema URN, attribute, sub-attribute), and the flattened attributes per object."""

    def __init__(
        self,
        objects: Mapping[str, tuple[str, Sequence[AttributeInfo]]],
        types: Mapping[Any, str],
        multi_valued: Iterable[Any] = (),
    ) -> None:
        self.objects = dict(objects)
        """Object name -> (core schema URN, flattened attributes)."""
        self._types = dict(types)
        self._multi = frozenset(multi_valued)

    def is_multi_complex(self, path: ScimPath, core_urn: str) -> bool:
        """``emails``, ``roles``... named whole: their values are written as ``[{"value": v}, ...]``."""
        if path.has_filter or path.sub_attribute is not None:
            return False
        key = _key(path.urn or core_urn, path.attribute, None)
        return key in self._multi and self._types.get(key) == "complex"

    def scim_type(self, path: ScimPath, core_urn: str) -> str | None:
        sub = path.sub_attribute or ("value" if path.has_filter else None)
        return self._types.get(_key(path.urn or core_urn, path.attribute, sub))

    def coerce(self, path: ScimPath, values: Sequence[Scalar], core_urn: str, *, multi: bool) -> object:
        """The JSON value for ``values`` written at ``path`` (a list when ``multi`` or several values)."""
        kind = self.scim_type(path, core_urn)
        converted = [_convert(value, kind) for value in values]
        return converted if multi or len(converted) != 1 else converted[0]

    def describe(self, directory_name: str) -> dict[str, Any]:
        return {
            "id": "scim",
            "name": directory_name,
            "discoverabilities": list(_DISCOVERABILITIES),
            "readOnly": False,
            "objects": [
                {
                    "name": name,
                    "attributes": [a.to_graph() for a in attrs],
                    "metadata": [],
                    "supportedApis": [],
                }
                for name, (_urn, attrs) in self.objects.items()
            ],
        }


def _convert(value: Scalar, kind: str | None) -> Scalar:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if kind == "boolean" and text.lower() in {"true", "false"}:
        return text.lower() == "true"
    try:
        if kind == "integer":
            return int(text)
        if kind == "decimal":
            return float(text)
    except ValueError:
        return value
    return value


# -- building the catalog from the server's discovery documents ------------------------------


def catalog_from_discovery(
    schemas: Iterable[Mapping[str, Any]], resource_types: Iterable[Mapping[str, Any]]
) -> Catalog:
    by_urn = {str(schema.get("id", "")).casefold(): schema for schema in schemas}
    types: dict[Any, str] = {}
    multi: set[Any] = set()
    objects: dict[str, tuple[str, Sequence[AttributeInfo]]] = {}
    for schema_urn, schema in by_urn.items():
        for attribute in schema.get("attributes", []):
            _index_types(types, schema_urn, attribute)
            if attribute.get("multiValued"):
                multi.add(_key(schema_urn, str(attribute.get("name", "")), None))
    for resource_type in resource_types:
        core = str(resource_type.get("schema", ""))
        urns = [(core, None)] + [(str(ext.get("schema", "")), str(ext.get("schema", ""))) for ext in
                                 resource_type.get("schemaExtensions", []) or []]  # fmt: skip
        flattened = [AttributeInfo("id", "string", case_exact=True, mutability="readOnly")]
        for urn, prefix in urns:
            for attribute in by_urn.get(urn.casefold(), {}).get("attributes", []):
                flattened.extend(_flatten_definition(attribute, prefix))
        objects[str(resource_type.get("name", core))] = (core, flattened)
    return Catalog(objects, types, multi)


def _index_types(types: dict[Any, str], urn: str, attribute: Mapping[str, Any]) -> None:
    name = str(attribute.get("name", ""))
    types[_key(urn, name, None)] = str(attribute.get("type", "string")).lower()
    for sub in attribute.get("subAttributes", []) or []:
        types[_key(urn, name, str(sub.get("name", "")))] = str(sub.get("type", "string")).lower()


def _info(
    path: str, definition: Mapping[str, Any], *, multi: bool, references: tuple[str, ...] = ()
) -> AttributeInfo:
    return AttributeInfo(
        path=path,
        type=str(definition.get("type", "string")).lower(),
        multi_valued=multi,
        required=bool(definition.get("required", False)),
        case_exact=bool(definition.get("caseExact", False)),
        mutability=str(definition.get("mutability", "readWrite")),
        references=references,
    )


def _resource_references(definition: Mapping[str, Any]) -> tuple[str, ...]:
    kinds = definition.get("referenceTypes") or []
    return tuple(k for k in kinds if k in {"User", "Group"})


def _flatten_definition(attribute: Mapping[str, Any], urn: str | None) -> list[AttributeInfo]:
    name = str(attribute.get("name", ""))
    full = f"{urn}:{name}" if urn else name
    multi = bool(attribute.get("multiValued", False))
    subs = {str(s.get("name", "")): s for s in attribute.get("subAttributes", []) or []}
    if str(attribute.get("type", "")).lower() != "complex":
        return [_info(full, attribute, multi=multi, references=_resource_references(attribute))]
    value_sub = subs.get("value")
    refs = _resource_references(subs.get("$ref") or value_sub or {})
    if value_sub is not None and (refs or (not multi and name.casefold() == "manager")):
        return [_info(full, {**value_sub, "mutability": attribute.get("mutability")}, multi=multi,
                      references=refs or ("User",))]  # fmt: skip
    if not multi:
        return [_info(f"{full}.{sub}", d, multi=False) for sub, d in subs.items() if sub != "$ref"]
    out = [_info(full, value_sub, multi=True)] if value_sub is not None else []
    for kind in (subs.get("type") or {}).get("canonicalValues", []) or []:
        selector = f'{full}[type eq "{kind}"]'
        out.extend(
            _info(f"{selector}.{sub}", d, multi=False)
            for sub, d in subs.items()
            if sub not in {"type", "$ref"}
        )
    return out


# -- the fallback: the attributes of Entra's default SCIM mappings ------------------------------

_WORK_ADDRESS = ("formatted", "streetAddress", "locality", "region", "postalCode", "country")
_DEFAULT_USER = [
    AttributeInfo("id", "string", case_exact=True, mutability="readOnly"),
    AttributeInfo("userName", "string", required=True),
    AttributeInfo("active", "boolean"),
    *(AttributeInfo(p, "string") for p in ("displayName", "title", "preferredLanguage", "externalId")),
    AttributeInfo('emails[type eq "work"].value', "string"),
    *(AttributeInfo(f"name.{p}", "string") for p in ("givenName", "familyName", "formatted")),
    *(AttributeInfo(f'addresses[type eq "work"].{p}', "string") for p in _WORK_ADDRESS),
    *(AttributeInfo(f'phoneNumbers[type eq "{t}"].value', "string") for t in ("work", "mobile", "fax")),
    AttributeInfo(f"{ENTERPRISE_USER}:employeeNumber", "string"),
    AttributeInfo(f"{ENTERPRISE_USER}:department", "string"),
    AttributeInfo(f"{ENTERPRISE_USER}:manager", "reference", references=("User",)),
]
_DEFAULT_GROUP = [
    AttributeInfo("id", "string", case_exact=True, mutability="readOnly"),
    AttributeInfo("displayName", "string", required=True),
    AttributeInfo("externalId", "string"),
    AttributeInfo("members", "reference", multi_valued=True, references=("User", "Group")),
]


def default_catalog() -> Catalog:
    types = {
        _key(CORE_USER, "active", None): "boolean",
        _key(CORE_GROUP, "members", None): "complex",
        _key(CORE_GROUP, "members", "value"): "string",
        _key(ENTERPRISE_USER, "manager", "value"): "string",
    }
    multi = {_key(CORE_GROUP, "members", None)}
    for name in ("emails", "phoneNumbers", "addresses", "roles", "entitlements", "ims", "photos"):
        types[_key(CORE_USER, name, None)] = "complex"
        multi.add(_key(CORE_USER, name, None))
    return Catalog({"User": (CORE_USER, _DEFAULT_USER), "Group": (CORE_GROUP, _DEFAULT_GROUP)}, types, multi)


__all__ = ["AttributeInfo", "Catalog", "catalog_from_discovery", "default_catalog"]
