"""Attribute names: Entra's "Azure Active Directory" directory definition ↔ Graph v1.0 properties.

Entra's provisioning schemas (the ``scim`` template, real exports) read the source under the names of Entra's
own AAD directory definition: ``objectId``, ``telephoneNumber``, ``mobile``, ``physicalDeliveryOfficeName``,
``facsimileTelephoneNumber``, ``extensionAttribute1``-``15``. Graph's REST API calls most properties the same,
and these few differently; this module is the one table between the two. Any other name a schema reads is a
Graph property as is (``userPrincipalName``, ``accountEnabled``, ``employeeId``, a directory extension
``extension_<appid>_<name>``...), so both spellings work (``officeLocation`` too).

``manager`` is read with ``$expand=manager($select=id)`` on the list and single-object calls (one paged list
per full read, one call per changed user), not from ``manager@delta``, which only marks a change; group
``members`` from ``members@delta`` on an initial round, and ``/groups/{id}/members`` when a later round says
a group's members changed (a round carries only the added and removed ones).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._base import Value
from .._describe import attribute_definition

ALIASES: dict[str, str] = {
    "objectId": "id",
    "physicalDeliveryOfficeName": "officeLocation",
    "telephoneNumber": "businessPhones",
    "mobile": "mobilePhone",
    "facsimileTelephoneNumber": "faxNumber",
    **{f"extensionAttribute{n}": "onPremisesExtensionAttributes" for n in range(1, 16)},
}
DERIVED = frozenset({"IsSoftDeleted"})
"""Names the engine derives (never asked of Graph)."""
MULTI = frozenset({"proxyAddresses", "otherMails", "businessPhones", "imAddresses", "members"})
BOOLEAN = frozenset(
    {"accountEnabled", "securityEnabled", "mailEnabled", "IsSoftDeleted", "showInAddressList"}
)
REFERENCE = frozenset({"manager", "members"})

DEFAULT_USER = (
    "objectId",
    "IsSoftDeleted",
    "accountEnabled",
    "userPrincipalName",
    "displayName",
    "givenName",
    "surname",
    "jobTitle",
    "mail",
    "mailNickname",
    "preferredLanguage",
    "physicalDeliveryOfficeName",
    "streetAddress",
    "city",
    "state",
    "postalCode",
    "country",
    "telephoneNumber",
    "mobile",
    "facsimileTelephoneNumber",
    "employeeId",
    "department",
    "companyName",
    "userType",
    "proxyAddresses",
    "manager",
)
DEFAULT_GROUP = (
    "objectId",
    "IsSoftDeleted",
    "displayName",
    "description",
    "mail",
    "mailNickname",
    "proxyAddresses",
    "securityEnabled",
    "mailEnabled",
    "members",
)
DEFAULTS = {"User": DEFAULT_USER, "Group": DEFAULT_GROUP}


def graph_property(name: str) -> str | None:
    """The Graph property holding attribute ``name`` (None for a derived one)."""
    if name in DERIVED:
        return None
    return ALIASES.get(name, name)


def select(names: Iterable[str]) -> list[str]:
    """``$select`` for these attribute names: Graph properties, ``id`` first, no derived names."""
    chosen = ["id"]
    for name in names:
        prop = graph_property(name)
        if prop is not None and prop not in chosen:
            chosen.append(prop)
    return chosen


def _value(raw: Any) -> Value:
    if raw is None or raw == [] or raw == "":
        return None
    if isinstance(raw, list):
        return [v for v in raw if isinstance(v, str | bool | int | float)] or None
    if isinstance(raw, str | bool | int | float):
        return raw
    return None


def attributes(resource: Mapping[str, Any], names: Iterable[str]) -> dict[str, Value]:
    """The attributes ``names`` of one Graph object (references excepted: the reader adds them)."""
    out: dict[str, Value] = {}
    for name in names:
        prop = graph_property(name)
        if prop is None or name in REFERENCE:
            continue
        raw = resource.get(prop)
        if prop == "onPremisesExtensionAttributes":
            raw = raw.get(name) if isinstance(raw, Mapping) else None
        elif prop == "businessPhones" and name == "telephoneNumber":
            raw = raw[0] if isinstance(raw, list) and raw else None
        value = _value(raw)
        if value is not None:
            out[name] = value
    return out


def definition(
    directory: str, names: Mapping[str, Iterable[str]], kinds: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """This directory as a Graph ``directoryDefinition``: the attributes read, typed; ``objectId`` anchors."""
    objects = []
    for object_type, object_names in names.items():
        attrs = []
        for name in dict.fromkeys(["objectId", *object_names]):
            kind = (kinds or {}).get(name) or ("Boolean" if name in BOOLEAN else "String")
            multi = name in MULTI
            attrs.append(attribute_definition(name, type_=kind, multivalued=multi, anchor=name == "objectId"))
        metadata = (
            [{"key": "PropertyNameAccountEnabled", "value": "accountEnabled"}]
            if object_type == "User"
            else []
        )
        metadata += [
            {"key": "IsSoftDeletionSupported", "value": "true" if object_type == "User" else "false"},
            {"key": "PropertyNameSoftDeleted", "value": "IsSoftDeleted"},
            {"key": "IsSynchronizeAllSupported", "value": "true"},
        ]
        objects.append({"name": object_type, "attributes": attrs, "metadata": metadata, "supportedApis": []})
    return {
        "id": directory,
        "name": directory,
        "readOnly": True,
        "discoverabilities": "AttributeNames,AttributeDataTypes,ReferenceAttributes",
        "objects": objects,
    }


__all__ = ["DEFAULTS", "attributes", "definition", "graph_property", "select"]
