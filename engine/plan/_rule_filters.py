"""A rule's ``containerFilter`` and ``groupFilter`` (cloud sync): which containers, and members of which
groups, are in scope -- executed as an extra stage after the object mapping's scoping filter.

Graph's shapes: ``containerFilter: {"includedContainers": ["OU=Sales,DC=contoso,DC=com", ...]}`` and
``groupFilter: {"includedGroups": ["<group DN or id>", ...]}``. Decisions (the semantics are Entra's
portal wording, "sync selected OUs" / "sync members of selected groups"):

* containerFilter: an object is in scope when its ``distinguishedName`` (or ``dn``) is one of the included
  containers or lies under one (its DN ends with ``,<container>``); DNs compare case-insensitively with
  the spaces around ``,`` and ``=`` ignored. An object whose source gives no DN is out of scope (the engine
  cannot place it in a container).
* groupFilter: an object is in scope when one of its ``memberOf`` values (DNs or ids, as the source gives
  them) names an included group -- direct membership only, as in Entra (spec §D.7) -- or when the object
  itself is an included group (its DN, or its anchor value, is listed).
* An object failing either is *out of scope* (not filtered out): a provisioned object that moves out of the
  containers or the groups is deprovisioned, as when it leaves the scoping filter.
* An empty or absent list means no restriction (Entra's "all").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Record = Mapping[str, Any]
_SPACES = re.compile(r"\s*([,=])\s*")
_DN_ATTRIBUTES = ("distinguishedName", "dn")


def normalize_dn(value: str) -> str:
    return _SPACES.sub(r"\1", value.strip()).casefold()


def _listed(raw: Any, key: str) -> list[str]:
    """``raw[key]`` (camelCase or PascalCase) as texts; [] for a filter that restricts nothing."""
    if not isinstance(raw, Mapping):
        return []
    found = raw.get(key)
    if found is None:
        found = raw.get(key[:1].upper() + key[1:])
    if isinstance(found, str):
        found = [found]
    return [str(v) for v in found or () if v not in (None, "")]


def _dn(record: Record) -> str | None:
    for name in _DN_ATTRIBUTES:
        value = record.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, str) and value:
            return normalize_dn(value)
    return None


def _texts(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    return [normalize_dn(str(v)) for v in items if v not in (None, "")]


def container_predicate(raw: Any) -> Callable[[Record], bool] | None:
    containers = tuple(normalize_dn(c) for c in _listed(raw, "includedContainers"))
    if not containers:
        return None
    suffixes = tuple("," + c for c in containers)

    def in_containers(record: Record) -> bool:
        dn = _dn(record)
        return dn is not None and (dn in containers or dn.endswith(suffixes))

    return in_containers


def group_predicate(raw: Any, anchor: str | None) -> Callable[[Record], bool] | None:
    groups = frozenset(normalize_dn(g) for g in _listed(raw, "includedGroups"))
    if not groups:
        return None

    def in_groups(record: Record) -> bool:
        if any(v in groups for v in _texts(record.get("memberOf"))):
            return True
        own = [_dn(record), *(_texts(record.get(anchor)) if anchor else [])]
        return any(v in groups for v in own if v)

    return in_groups


def rule_scope(scope: Callable[[Record], Any], rule: Any, anchor: str | None) -> Callable[[Record], Any]:
    """``scope`` with the rule's container and group filters after it (``scope`` itself, with no per-object
    cost, when the rule restricts neither)."""
    stages: Sequence[Callable[[Record], bool]] = [
        p
        for p in (
            container_predicate(getattr(rule, "container_filter", None)),
            group_predicate(getattr(rule, "group_filter", None), anchor),
        )
        if p is not None
    ]
    if not stages:
        return scope

    def scoped(record: Record) -> Any:
        result = scope(record)
        if str(result) == "inScope" and not all(stage(record) for stage in stages):
            return "outOfScope"
        return result

    return scoped
