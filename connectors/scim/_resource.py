"""SCIM resources <-> idsync attributes: flattening what the server returns, building what we POST.

Flattening (``flatten``) turns a resource into SCIM paths, the names a directory definition uses:

* ``userName`` -> ``userName``; ``name: {familyName}`` -> ``name.familyName``;
* every element of a multi-valued complex attribute that has a ``type`` gives
  ``emails[type eq "work"].value``, ``addresses[type eq "work"].locality``...; an element marked
  ``primary`` also gives ``roles[primary eq "True"].value`` (Entra's spelling for roles);
* the ``value`` of every element gives the multi-valued ``emails`` / ``members`` / ``groups`` (members hold
  the member ids: references are ids of this directory);
* extension schemas give ``<URN>:<attribute>``; a complex one with a ``value`` (the enterprise ``manager``)
  gives that value, i.e. the manager's id.

``schemas``, ``id`` and ``meta`` are not attributes (the id is ``DirectoryObject.id``, ``meta.lastModified``
its cursor). Lookups in the result are case-insensitive on the path (``ScimAttributes``).

Building (``build_resource``) is the reverse for a create: a filtered path becomes (or joins) the element
``{"type": "work", "value": ...}``, so several paths of one element land in one element, as Entra expects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from .._base import Modification, Scalar, Value, ValueOp
from ._paths import ScimPath, filter_literal, parse_path
from ._schema import Catalog

_NOT_ATTRIBUTES = frozenset({"schemas", "id", "meta"})
MULTI_REFERENCES = frozenset({"members"})
"""Multi-valued reference attributes: their values are ids, written as ``[{"value": id}]``."""
SINGLE_REFERENCES = frozenset({"manager"})
"""Single-valued reference attributes, written as ``{"value": id}`` (RFC 7643 §4.3)."""


class ScimAttributes(dict[str, Value]):
    """A resource's flattened attributes; a name not present as written is looked up case-insensitively
    by SCIM path (``emails[type eq "Work"].Value`` finds ``emails[type eq "work"].value``).

    A ``dict`` subclass so that it serialises, compares and fingerprints like the plain dict it holds."""

    def _canonical(self, name: object) -> str | None:
        if not isinstance(name, str):
            return None
        wanted = _lookup_key(name)
        return next((key for key in self if _lookup_key(key) == wanted), None)

    def __missing__(self, name: str) -> Value:
        canonical = self._canonical(name)
        if canonical is None:
            raise KeyError(name)
        return self[canonical]

    def get(self, name: str, default: Value = None) -> Value:  # type: ignore[override]
        if dict.__contains__(self, name):
            return dict.__getitem__(self, name)
        canonical = self._canonical(name)
        return default if canonical is None else dict.__getitem__(self, canonical)

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or self._canonical(name) is not None


@lru_cache(maxsize=8192)
def _lookup_key(name: str) -> tuple[str, ...]:
    try:
        return parse_path(name).key
    except ValueError:
        return (name.casefold(),)


def _is_scalar(value: object) -> bool:
    return isinstance(value, str | bool | int | float)


def flatten(resource: Mapping[str, Any]) -> ScimAttributes:
    out: dict[str, Value] = {}
    for name, value in resource.items():
        if name in _NOT_ATTRIBUTES:
            continue
        if name.lower().startswith("urn:") and isinstance(value, dict):
            for sub_name, sub_value in value.items():
                _flatten_attribute(out, f"{name}:{sub_name}", sub_name, sub_value)
        else:
            _flatten_attribute(out, name, name, value)
    return ScimAttributes(out)


def _flatten_attribute(out: dict[str, Value], prefix: str, name: str, value: object) -> None:
    if _is_scalar(value):
        out[prefix] = value  # type: ignore[assignment]
    elif isinstance(value, dict):
        if name.casefold() in SINGLE_REFERENCES and _is_scalar(value.get("value")):
            out[prefix] = value["value"]
            return
        for sub, sub_value in value.items():
            if _is_scalar(sub_value):
                out[f"{prefix}.{sub}"] = sub_value
    elif isinstance(value, list):
        _flatten_multi(out, prefix, value)


def _flatten_multi(out: dict[str, Value], prefix: str, elements: list[Any]) -> None:
    if all(_is_scalar(element) for element in elements):
        if elements:
            out[prefix] = list(elements)
        return
    values = [el["value"] for el in elements if isinstance(el, dict) and _is_scalar(el.get("value"))]
    if values:
        out[prefix] = values
    for element in elements:
        if not isinstance(element, dict):
            continue
        selectors = []
        if _is_scalar(element.get("type")):
            selectors.append(f"[type eq {filter_literal(str(element['type']))}]")
        if element.get("primary") is True:
            selectors.append('[primary eq "True"]')
        for selector in selectors:
            for sub, sub_value in element.items():
                if sub != "type" and _is_scalar(sub_value):
                    out[f"{prefix}{selector}.{sub}"] = sub_value


# -- building a resource for POST --------------------------------------------------------------------------


def resolve(path: ScimPath, core_urn: str) -> ScimPath:
    """A path qualified with the resource's own core schema URN is a core attribute."""
    if path.urn is not None and path.urn.casefold() == core_urn.casefold():
        return ScimPath(None, path.attribute, path.filter_attribute, path.filter_value, path.filter_quoted,
                        path.sub_attribute)  # fmt: skip
    return path


def is_reference(path: ScimPath) -> bool:
    return (
        not path.has_filter
        and path.sub_attribute is None
        and (path.attribute.casefold() in MULTI_REFERENCES | SINGLE_REFERENCES)
    )


def reference_value(path: ScimPath, values: Sequence[Scalar]) -> object:
    """RFC 7643's reference shape: ``[{"value": id}, ...]`` for members, ``{"value": id}`` for manager."""
    if path.attribute.casefold() in MULTI_REFERENCES:
        return [{"value": str(v)} for v in values]
    return {"value": str(values[0])}


def build_resource(
    core_urn: str,
    modifications: Sequence[Modification],
    catalog: Catalog,
    *,
    primary_work_email: bool = False,
) -> dict[str, Any]:
    """The body of ``POST /Users`` or ``POST /Groups`` for a create's modifications."""
    body: dict[str, Any] = {"schemas": [core_urn]}
    for mod in modifications:
        if mod.op is ValueOp.REMOVE or not mod.values:
            continue
        path = resolve(parse_path(mod.name), core_urn)
        container = body
        if path.urn is not None:
            container = body.setdefault(path.urn, {})
            if path.urn not in body["schemas"]:
                body["schemas"].append(path.urn)
        _set(container, path, encode_values(path, mod.values, catalog, core_urn))
    if primary_work_email:
        for element in body.get("emails", []):
            if isinstance(element, dict) and str(element.get("type", "")).casefold() == "work":
                element.setdefault("primary", True)
    return body


def encode_values(path: ScimPath, values: Sequence[Scalar], catalog: Catalog, core_urn: str) -> object:
    """The JSON value written at ``path``: reference shapes for references, else typed scalars/lists."""
    if is_reference(path):
        return reference_value(path, values)
    if catalog.is_multi_complex(path, core_urn):
        return [{"value": v} for v in catalog.coerce(path, values, core_urn, multi=True)]  # type: ignore[attr-defined]
    return catalog.coerce(path, values, core_urn, multi=False)


def _set(container: dict[str, Any], path: ScimPath, value: object) -> None:
    if path.has_filter:
        element = find_or_add_element(container, path)
        element[path.sub_attribute or "value"] = value
    elif path.sub_attribute is not None:
        complex_value = container.setdefault(path.attribute, {})
        complex_value[path.sub_attribute] = value
    else:
        container[path.attribute] = value


def find_or_add_element(container: dict[str, Any], path: ScimPath) -> dict[str, Any]:
    elements = container.setdefault(path.attribute, [])
    for element in elements:
        if path.matches_element(element):
            return element  # type: ignore[no-any-return]
    element = {path.filter_attribute or "type": filter_value(path)}
    elements.append(element)
    return element


def filter_value(path: ScimPath) -> object:
    """The JSON value of a path's filter literal (``primary eq true`` is a Boolean)."""
    text = path.filter_value or ""
    if not path.filter_quoted and text in {"true", "false"}:
        return text == "true"
    if (
        path.filter_attribute
        and path.filter_attribute.casefold() == "primary"
        and text.lower() in {"true", "false"}
    ):
        return text.lower() == "true"
    return text


__all__ = [
    "MULTI_REFERENCES",
    "SINGLE_REFERENCES",
    "ScimAttributes",
    "build_resource",
    "encode_values",
    "filter_value",
    "find_or_add_element",
    "flatten",
    "is_reference",
    "reference_value",
    "resolve",
]
