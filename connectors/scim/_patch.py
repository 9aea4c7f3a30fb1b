"""PATCH operations for an update's modifications, in the two dialects (pure; no I/O).

One operation per changed attribute, each with a ``path`` (Entra's default, spec entra-scim.md §2.4):

==================  ==========================================  ==============================================
modification        ``rfc7644`` (default)                        ``entra`` (Entra's default ``scim`` job)
==================  ==========================================  ==============================================
replace value       ``replace`` path, typed value                ``Replace`` path; ``active`` as ``"True"``/
                                                                  ``"False"`` strings (Entra's compat page)
replace, no value   ``remove`` path                              ``Remove`` path
manager             ``replace`` URN:manager ``{"value": id}``    ``Add`` URN:manager ``"id"`` (plain string)
members add         ``add`` members ``[{"value": id}]``          ``Add`` members ``[{"$ref": null,
                                                                 "value": id}]``
members remove      ``remove`` ``members[value eq "id"]``, one   ``Remove`` members ``[{"value": id}, ...]``
                    op per member (RFC 7644 §3.5.2.2)
==================  ==========================================  ==============================================

What scim2-server 0.8.3 (the test peer) accepts of the ``entra`` shapes: capitalised ops, ``active`` as a
string, member ``Add`` with ``$ref: null``: yes. Member ``Remove`` with a value array and the plain-string
manager: **no**, HTTP 400 (peers/README.md §2.1, points 1 and 2); those changes come back as
``ObjectRejected`` naming the server's reason. Use ``rfc7644`` with RFC servers.

Entra chooses ``Add`` rather than ``Replace`` when the value it read back was empty; idsync does not read
the target before writing (the engine keeps what it exported), so single values are always ``Replace``.

Filtered paths (``addresses[type eq "work"].locality``) need an existing element; Entra expects ``Add`` to
create it, but RFC servers such as scim2-server answer 400 ``noTarget``. ``add_missing_elements`` rewrites
such operations, once the resource has been read, into one ``add`` of the new element per filter, so all
sub-attributes of one element land in that element.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._base import Modification, Scalar, ValueOp
from ._paths import ScimPath, filter_literal, parse_path
from ._resource import MULTI_REFERENCES, SINGLE_REFERENCES, encode_values, filter_value, is_reference, resolve
from ._schema import Catalog

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
DIALECTS = ("rfc7644", "entra")


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str

    @property
    def entra(self) -> bool:
        return self.name == "entra"

    def op(self, name: str) -> str:
        return name.capitalize() if self.entra else name


def patch_body(operations: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def patch_operations(
    modifications: Sequence[Modification], dialect: Dialect, catalog: Catalog, core_urn: str
) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = []
    for mod in modifications:
        path = resolve(parse_path(mod.name), core_urn)
        ops.extend(_operations(path, mod, dialect, catalog, core_urn))
    return ops


def _operations(
    path: ScimPath, mod: Modification, dialect: Dialect, catalog: Catalog, core_urn: str
) -> list[dict[str, Any]]:
    text = path.text()
    if not mod.values:
        return [] if mod.op is ValueOp.ADD else [{"op": dialect.op("remove"), "path": text}]
    if mod.op is ValueOp.REPLACE:
        return [_replace(path, mod.values, dialect, catalog, core_urn)]
    if mod.op is ValueOp.ADD:
        if path.attribute.casefold() in MULTI_REFERENCES and not path.has_filter:
            refs = [
                {"$ref": None, "value": str(v)} if dialect.entra else {"value": str(v)} for v in mod.values
            ]
            return [{"op": dialect.op("add"), "path": text, "value": refs}]
        value = encode_values(path, mod.values, catalog, core_urn)
        return [{"op": dialect.op("add"), "path": text, "value": value}]
    return _remove_values(path, mod.values, dialect)


def _replace(
    path: ScimPath, values: Sequence[Scalar], dialect: Dialect, catalog: Catalog, core_urn: str
) -> dict[str, Any]:
    text = path.text()
    if dialect.entra and is_reference(path) and path.attribute.casefold() in SINGLE_REFERENCES:
        return {"op": "Add", "path": text, "value": str(values[0])}
    value = encode_values(path, values, catalog, core_urn)
    if (
        dialect.entra
        and path.urn is None
        and path.attribute.casefold() == "active"
        and isinstance(value, bool)
    ):
        value = "True" if value else "False"
    return {"op": dialect.op("replace"), "path": text, "value": value}


def _remove_values(path: ScimPath, values: Sequence[Scalar], dialect: Dialect) -> list[dict[str, Any]]:
    if dialect.entra:
        return [{"op": "Remove", "path": path.text(), "value": [{"value": str(v)} for v in values]}]
    base = f"{path.urn}:{path.attribute}" if path.urn else path.attribute
    return [{"op": "remove", "path": f"{base}[value eq {filter_literal(str(v))}]"} for v in values]


# -- the noTarget fallback ----------------------------------------------------------------------


def has_filtered_writes(operations: Sequence[Mapping[str, Any]]) -> bool:
    return any(_filtered_write(op) is not None for op in operations)


def _filtered_write(op: Mapping[str, Any]) -> ScimPath | None:
    if str(op.get("op", "")).lower() not in {"add", "replace"} or not isinstance(op.get("path"), str):
        return None
    try:
        path = parse_path(op["path"])
    except ValueError:
        return None
    return path if path.has_filter else None


def add_missing_elements(
    operations: Sequence[Mapping[str, Any]], resource: Mapping[str, Any], dialect: Dialect
) -> list[dict[str, Any]]:
    """``operations`` with writes into absent filtered elements turned into ``add`` of whole new elements."""
    kept: list[dict[str, Any]] = []
    new_elements: dict[tuple[str, ...], tuple[ScimPath, dict[str, Any]]] = {}
    for op in operations:
        path = _filtered_write(op)
        if path is None or _element_exists(resource, path):
            kept.append(dict(op))
            continue
        element_key = path.key[:4]
        _, element = new_elements.setdefault(
            element_key, (path, {path.filter_attribute or "type": filter_value(path)})
        )
        element[path.sub_attribute or "value"] = op.get("value")
    for path, element in new_elements.values():
        target = f"{path.urn}:{path.attribute}" if path.urn else path.attribute
        kept.append({"op": dialect.op("add"), "path": target, "value": [element]})
    return kept


def _element_exists(resource: Mapping[str, Any], path: ScimPath) -> bool:
    container: Any = resource
    if path.urn is not None:
        container = _get_ci(resource, path.urn) or {}
    elements = _get_ci(container, path.attribute) if isinstance(container, Mapping) else None
    return isinstance(elements, list) and any(path.matches_element(el) for el in elements)


def _get_ci(mapping: Mapping[str, Any], name: str) -> Any:
    wanted = name.casefold()
    return next((value for key, value in mapping.items() if key.casefold() == wanted), None)


__all__ = ["DIALECTS", "PATCH_OP", "Dialect", "add_missing_elements", "has_filtered_writes", "patch_body",
           "patch_operations"]  # fmt: skip
