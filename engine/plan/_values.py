"""Target values: coercion to the target attribute's type, and change detection that honours caseExact.

Decisions (spec §C.2 and §D.3 leave the details open):

* Values are coerced to the target attribute definition's type: Boolean accepts ``True``/``False`` text
  (what expressions like ``Switch([IsSoftDeleted], , "False", "True", "True", "False")`` return), Integer
  accepts decimal text, String renders Booleans and numbers the way Entra does (``True``, ``42``). An
  attribute the target definition does not declare keeps the evaluated value unchanged.
* A multi-valued target attribute always holds a list; order does not matter when comparing.
* Strings compare case-insensitively unless the attribute is ``caseExact``.
"""

from __future__ import annotations

from typing import Any

_TRUE = {"true": True, "false": False}
TEXT_KINDS = frozenset({None, "String", "DateTime", "Binary", "Reference"})
"""Target types (None: undeclared) whose text values ``coerce`` keeps as they are."""


def _to_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return value


def _coerce_scalar(value: Any, kind: str | None) -> Any:
    if kind == "Boolean" and isinstance(value, str) and value.strip().lower() in _TRUE:
        return _TRUE[value.strip().lower()]
    if kind == "Integer" and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    if kind in TEXT_KINDS and kind is not None:
        return _to_text(value)
    return value


def coerce(value: Any, kind: str | None, multivalued: bool) -> Any:
    """``value`` as the target attribute (type ``kind``; None when undeclared) should hold it."""
    if value is None:
        return None
    if value == "":
        return None  # Entra sends no empty values
    if isinstance(value, list | tuple):
        items = [_coerce_scalar(v, kind) for v in value if v is not None and v != ""]
        if not multivalued and kind is not None:
            return items[0] if len(items) == 1 else (items if items else None)
        return items
    scalar = _coerce_scalar(value, kind)
    return [scalar] if multivalued else scalar


def is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list) and not value)


def _key(value: Any, case_exact: bool) -> Any:
    if isinstance(value, str) and not case_exact:
        return value.casefold()
    if isinstance(value, bool):
        return ("bool", value)  # True must not equal 1
    return value


def same(left: Any, right: Any, *, case_exact: bool = False) -> bool:
    """True when two target values are equal for change detection (lists as multisets)."""
    if is_empty(left) and is_empty(right):
        return True
    if isinstance(left, list) or isinstance(right, list):
        lefts = left if isinstance(left, list) else [left]
        rights = right if isinstance(right, list) else [right]
        return sorted(map(repr, (_key(v, case_exact) for v in lefts))) == sorted(
            map(repr, (_key(v, case_exact) for v in rights))
        )
    return bool(_key(left, case_exact) == _key(right, case_exact))


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def missing_values(wanted: Any, present: Any, *, case_exact: bool = False) -> list[Any]:
    """Values of ``wanted`` absent from ``present`` (for add-only multi-valued flows and member deltas)."""
    presents = as_list(present)
    if all(v.__class__ is str for v in presents):  # ids and names: a set of the keys themselves
        keys = set(presents) if case_exact else {v.casefold() for v in presents}
        return [
            v
            for v in as_list(wanted)
            if v.__class__ is not str or (v if case_exact else v.casefold()) not in keys
        ]
    have = {repr(_key(v, case_exact)) for v in presents}
    return [v for v in as_list(wanted) if repr(_key(v, case_exact)) not in have]
