"""The in-memory directory shared by the memory, json and csv connectors: objects, lookups and writes.

``Directory`` holds ``object type -> id -> attributes`` in insertion order and implements the target half of
the contract (``get``, ``find``, ``apply``) over it; the file connectors load it from their file, journal
each applied batch (``_journal``) and write the file from it at the end of a cycle. The pure rules for
attribute-level edits are in ``apply_modifications``; the ``find`` indexes are kept up to date by every write.

Decisions (the spec is silent; these are what a directory user expects):

* ``REPLACE`` with one value stores a scalar, unless the attribute already holds a list or is declared
  multi-valued; with several values it stores a list; with none it removes the attribute.
* ``ADD`` always leaves a list (adding to a scalar makes it a list); values already present are kept once.
* ``REMOVE`` drops the given values (an emptied list removes the attribute); with no values it removes the
  attribute.
* Deleting an id that is not there succeeds: the engine may repeat a delete after a crash, and the object is
  gone either way. Updating a missing id is an ``ObjectRejected`` for that change.
* ``find`` is case-sensitive equality on the text of a value; multi-valued attributes match any value.
* A value is a string, Boolean or number, or a *complex value*: a JSON object (SCIM's ``name``, an entry of
  ``addresses`` or ``emails``, an ``alternativeSecurityId``), whose members are JSON data. It is kept as a
  whole: written, compared and found by its compact JSON text (keys in the order given), never merged
  member by member. Anything else (a date object, a set) is an ``ObjectRejected`` naming the attribute.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ._base import ApplyResult, Change, DirectoryObject, Modification, Operation, Scalar, Value, ValueOp
from ._errors import ObjectConflict, ObjectRejected

Attributes = dict[str, Value]


def value_text(value: Scalar) -> str:
    """The text ``find`` compares: booleans as ``true`` / ``false`` (JSON's spelling), numbers as written,
    a complex value as its compact JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def value_texts(value: Value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [value_text(item) for item in value]
    return [value_text(value)]


_PLAIN = frozenset({str, bool, int, float})


def is_json(value: object, depth: int = 0) -> bool:
    """Whether ``value`` is JSON data: a string, Boolean, number or null, or lists and objects (string keys)
    of those, nested at most 32 deep."""
    if value is None or isinstance(value, str | bool | int | float):
        return True
    if depth >= 32:
        return False
    if isinstance(value, list):
        return all(is_json(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_json(v, depth + 1) for k, v in value.items())
    return False


def _check_values(name: str, values: Sequence[object]) -> None:
    for value in values:
        if not isinstance(value, str | bool | int | float) and not (
            isinstance(value, dict) and is_json(value)
        ):
            raise ObjectRejected(
                f"attribute {name!r}: value {value!r} is not a string, Boolean, number or complex value "
                "(a JSON object)"
            )


def _identity(value: Any) -> tuple[Any, ...]:
    """A hashable key telling values apart as a directory does: True is not 1, and complex values are equal
    when their JSON is (whatever the order of their members)."""
    if isinstance(value, dict):
        return (dict, json.dumps(value, sort_keys=True, separators=(",", ":")))
    return (type(value), value)


def _as_list(value: Value) -> list[Scalar]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _modify(current: Value, mod: Modification, multi_valued: bool) -> Value:
    values = list(mod.values)
    if mod.op is ValueOp.REPLACE:
        if not values:
            return None
        if len(values) == 1 and not multi_valued and not isinstance(current, list):
            return values[0]
        return values
    existing = _as_list(current)
    if mod.op is ValueOp.ADD:
        # (type, value) keys: a set lookup each, not a scan (a group's thousands of members); True == 1 in
        # Python, but a directory keeps them apart.
        seen = {_identity(v) for v in existing}
        added = existing
        for value in values:
            key = _identity(value)
            if key not in seen:
                seen.add(key)
                added.append(value)
        return added or None
    if not values:
        return None
    removed = {_identity(v) for v in values}
    kept = [v for v in existing if _identity(v) not in removed]
    if not kept:
        return None
    return kept if isinstance(current, list) or multi_valued or len(kept) > 1 else kept[0]


def apply_modifications(
    attributes: Mapping[str, Value],
    modifications: Iterable[Modification],
    multi_valued: frozenset[str] = frozenset(),
) -> Attributes:
    """The attributes after ``modifications`` (a new dict; ``attributes`` is not changed)."""
    result = dict(attributes)
    plain = _PLAIN
    for mod in modifications:
        name, values = mod.name, mod.values
        if not plain.issuperset(map(type, values)):
            _check_values(name, values)
        if mod.op is ValueOp.REPLACE and values:  # the usual case, a create's: without the calls below
            if len(values) == 1 and name not in multi_valued and type(result.get(name)) is not list:
                result[name] = values[0]
            else:
                result[name] = list(values)
            continue
        new = _modify(result.get(name), mod, name in multi_valued)
        if new is None:
            result.pop(name, None)
        else:
            result[name] = new
    return result


def _created(modifications: Sequence[Modification], multi_valued: frozenset[str]) -> Attributes | None:
    """``apply_modifications({}, modifications)`` of the usual create (each attribute replaced once, plain
    values), in one pass; None for any other, which the general rules build. Every name given is a key of
    the result, so the result's keys are the names to check."""
    result: Attributes = {}
    plain, replace = _PLAIN, ValueOp.REPLACE
    for name, op, values in modifications:
        if op is not replace or not values or name in result:
            return None
        if len(values) == 1 and name not in multi_valued:
            value = values[0]
            if type(value) not in plain:
                return None
            result[name] = value
        elif plain.issuperset(map(type, values)):
            result[name] = list(values)
        else:
            return None
    return result


def copy_attributes(attributes: Mapping[str, Value]) -> Attributes:
    return {
        name: list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value
        for name, value in attributes.items()
    }


def new_id() -> str:
    """A random (version 4) UUID as text: ``str(uuid.uuid4())``, made from the same random bytes in a
    third of its time (a target's initial cycle makes one per object)."""
    return new_ids(1)[0]


def new_ids(count: int) -> list[str]:
    """``count`` ``new_id()`` texts from one ``os.urandom`` call (a batch's creates): 16 random bytes each,
    the version nibble set to 4 and the variant's two top bits to 10, as ``uuid4`` does."""
    h = os.urandom(16 * count).hex()
    variant = _VARIANT
    return [
        f"{h[i : i + 8]}-{h[i + 8 : i + 12]}-4{h[i + 13 : i + 16]}-{variant[h[i + 16]]}{h[i + 17 : i + 20]}-"
        f"{h[i + 20 : i + 32]}"
        for i in range(0, 32 * count, 32)
    ]


_VARIANT = {f"{n:x}": "89ab"[n & 3] for n in range(16)}
"""The RFC 4122 variant's hex digit (its two top bits 10) for a random hex digit's two low bits."""


def _done(key: str, target_id: str | None) -> ApplyResult:
    """``ApplyResult(key, target_id)``, through ``tuple.__new__`` (the named tuple's constructor is a Python
    function): one per written object."""
    return tuple.__new__(ApplyResult, (key, target_id, None))


class Directory:
    """Objects by type and id, with the target operations of the contract.

    ``anchor``: None means ids are assigned here (uuid4) and ``id`` is not an attribute (memory, json);
    a name means the id *is* that attribute's value (csv: the anchor column), given on create and immutable.
    """

    def __init__(self, *, anchor: str | None = None, multi_valued: frozenset[str] = frozenset()) -> None:
        self.anchor = anchor
        self.multi_valued = multi_valued
        self._objects: dict[str, dict[str, Attributes]] = {}
        self._indexes: dict[tuple[str, str], dict[str, list[str]]] = {}
        self._type_indexes: dict[str, list[tuple[str, dict[str, list[str]]]]] = {}
        """``_indexes`` by object type: (attribute, index) of each one built (what writes keep up to date)."""

    # -- reading ------------------------------------------------------------------------------------------

    def object_types(self) -> list[str]:
        return list(self._objects)

    def ids(self, object_type: str) -> list[str]:
        return list(self._objects.get(object_type, {}))

    def count(self, object_type: str) -> int:
        return len(self._objects.get(object_type, {}))

    def attributes(self, object_type: str, object_id: str) -> Attributes | None:
        found = self._objects.get(object_type, {}).get(object_id)
        return None if found is None else copy_attributes(found)

    def objects(self, object_type: str, *, copy: bool = True) -> Iterator[DirectoryObject]:
        """Every object of ``object_type``, as it is now. ``copy`` False shares the held attributes (a
        source read handing them to the engine, which never changes them): safe because no write changes
        a held value in place -- each replaces the object's attributes with a new dict."""
        if not copy:
            items = list(self._objects.get(object_type, {}).items())
            return (DirectoryObject(object_type, i, attributes) for i, attributes in items)
        return self._copies(object_type)

    def _copies(self, object_type: str) -> Iterator[DirectoryObject]:
        for object_id, attributes in list(self._objects.get(object_type, {}).items()):
            yield DirectoryObject(object_type, object_id, copy_attributes(attributes))

    def get(self, object_type: str, ids: Sequence[str]) -> dict[str, DirectoryObject]:
        table = self._objects.get(object_type, {})
        return {i: DirectoryObject(object_type, i, copy_attributes(table[i])) for i in ids if i in table}

    def find(
        self, object_type: str, attribute: str, values: Sequence[str]
    ) -> dict[str, list[DirectoryObject]]:
        index = self._index(object_type, attribute)
        found: dict[str, list[DirectoryObject]] = {}
        for value in values:
            ids = index.get(value, [])
            if ids:
                found[value] = list(self.get(object_type, ids).values())
        return found

    def _index(self, object_type: str, attribute: str) -> dict[str, list[str]]:
        # Built on first use and kept up to date by every write (``_store``): matching calls find once per
        # page, so a scan per call -- or a rebuild after each written batch -- would make a cycle quadratic
        # in the directory size.
        key = (object_type, attribute)
        index = self._indexes.get(key)
        if index is None:
            index = {}
            for object_id, attributes in self._objects.get(object_type, {}).items():
                for text in self._texts(object_id, attribute, attributes):
                    index.setdefault(text, []).append(object_id)
            self._indexes[key] = index
            self._type_indexes.setdefault(object_type, []).append((attribute, index))
        return index

    def _texts(self, object_id: str, attribute: str, attributes: Mapping[str, Value] | None) -> list[str]:
        if attributes is None:
            return []
        if attribute == "id" and self.anchor is None:
            return [object_id]
        value = attributes.get(attribute)
        return [value] if type(value) is str else value_texts(value)

    def _store(self, object_type: str, object_id: str, attributes: Attributes | None) -> None:
        """Set (``None``: remove) one object, keeping the built indexes of its type up to date."""
        table = self._objects.setdefault(object_type, {})
        before = table.get(object_id)
        if attributes is None:
            table.pop(object_id, None)
        else:
            table[object_id] = attributes
        if self._indexes:
            self._reindex(object_type, object_id, before, attributes)

    def _reindex(
        self, object_type: str, object_id: str, before: Attributes | None, attributes: Attributes | None
    ) -> None:
        for attribute, index in self._type_indexes.get(object_type, ()):
            old = self._texts(object_id, attribute, before) if before is not None else []
            new = self._texts(object_id, attribute, attributes)
            if old == new:
                continue
            for text in old:
                ids = index.get(text)
                if ids is not None and object_id in ids:
                    ids.remove(object_id)
                    if not ids:
                        del index[text]
            for text in new:
                index.setdefault(text, []).append(object_id)

    def items(self, object_type: str) -> Iterable[tuple[str, Attributes]]:
        """(id, attributes) of every object of ``object_type``, as held (not copies: for writing a file)."""
        return self._objects.get(object_type, {}).items()

    def raw(self, object_type: str, object_id: str) -> Attributes | None:
        """The attributes as held (not a copy: for writing them out at once), or None."""
        return self._objects.get(object_type, {}).get(object_id)

    def snapshot(self) -> dict[str, list[Attributes]]:
        """Everything as ``{"User": [{"id": ..., attr: value}, ...]}`` (the json file's shape)."""
        out: dict[str, list[Attributes]] = {}
        for object_type, table in self._objects.items():
            rows = []
            for object_id, attributes in table.items():
                row: Attributes = {"id": object_id} if self.anchor is None else {}
                row.update(copy_attributes(attributes))
                rows.append(row)
            out[object_type] = rows
        return out

    # -- writing ------------------------------------------------------------------------------------------

    def put(self, object_type: str, object_id: str, attributes: Mapping[str, Value]) -> None:
        """Create or replace one object as is (tests and loaders; no contract checks)."""
        self._store(object_type, object_id, copy_attributes(attributes))

    def adopt(self, object_type: str, object_id: str, attributes: Attributes) -> None:
        """``put`` without the copy, for a loader handing over attributes nobody else holds (just parsed)."""
        self._store(object_type, object_id, attributes)

    def remove(self, object_type: str, object_id: str) -> bool:
        removed = object_id in self._objects.get(object_type, {})
        if removed:
            self._store(object_type, object_id, None)
        return removed

    def clear(self) -> None:
        self._objects.clear()
        self._indexes.clear()
        self._type_indexes.clear()

    def apply(self, changes: Sequence[Change]) -> list[ApplyResult]:
        """Apply each change; a refused change becomes an ``ObjectRejected`` in its result."""
        ids: Iterator[str] | None = None
        if self.anchor is None:  # the batch's new ids at once
            create = Operation.CREATE
            ids = iter(new_ids(sum(change.operation is create for change in changes)))
        apply_one = self.apply_one
        return [apply_one(change, ids) for change in changes]

    def apply_one(self, change: Change, ids: Iterator[str] | None = None) -> ApplyResult:
        """``change`` applied; ``ids``: new ids to take for creates (else made one at a time)."""
        try:
            target_id = self._dispatch(change, ids)
        except ObjectRejected as exc:
            return ApplyResult(change.key, change.target_id, exc)
        return _done(change.key, target_id)

    def _dispatch(self, change: Change, ids: Iterator[str] | None) -> str | None:
        if change.operation is Operation.CREATE:
            return self._create(change, ids)
        self._check_names(change)
        table = self._objects.setdefault(change.object_type, {})
        if change.target_id is None:
            raise ObjectRejected(f"{change.operation.value} of a {change.object_type} without a target id")
        if change.operation is Operation.DELETE:
            if change.target_id in table:
                self._store(change.object_type, change.target_id, None)
            return change.target_id
        current = table.get(change.target_id)
        if current is None:
            raise ObjectRejected(f"no {change.object_type} with id {change.target_id!r} to update")
        updated = apply_modifications(current, change.modifications, self.multi_valued)
        if self.anchor is not None and updated.get(self.anchor) != current.get(self.anchor):
            raise ObjectRejected(f"the anchor {self.anchor!r} of {change.target_id!r} cannot be changed")
        self._store(change.object_type, change.target_id, updated)
        return change.target_id

    def _check_names(self, change: Change) -> None:
        names = {mod.name for mod in change.modifications}  # one set, then the loop only for a bad name
        if "" not in names and (self.anchor is not None or "id" not in names):
            return
        for mod in change.modifications:
            if self.anchor is None and mod.name == "id":
                raise ObjectRejected(
                    "'id' is the object's anchor, assigned by the directory; it cannot be written"
                )
            if not mod.name:
                raise ObjectRejected("a modification has an empty attribute name")

    def _create(self, change: Change, ids: Iterator[str] | None) -> str:
        attributes = _created(change.modifications, self.multi_valued)
        if attributes is None or "" in attributes or (self.anchor is None and "id" in attributes):
            self._check_names(change)  # (a usual create's names are its attributes' keys, tested above)
            if attributes is None:
                attributes = apply_modifications({}, change.modifications, self.multi_valued)
        table = self._objects.setdefault(change.object_type, {})
        if self.anchor is None:
            object_id = new_id() if ids is None else next(ids)
        else:
            object_id = self._anchor_value(attributes)
            if object_id in table:
                raise ObjectConflict(
                    f"a {change.object_type} with {self.anchor} {object_id!r} already exists"
                )
        self._store(change.object_type, object_id, attributes)
        return object_id

    def _anchor_value(self, attributes: Attributes) -> str:
        assert self.anchor is not None
        value = attributes.get(self.anchor)
        if value is None:
            # A target export without the anchor value still gets a stable, unique key.
            value = new_id()
            attributes[self.anchor] = value
        if isinstance(value, list):
            raise ObjectRejected(f"the anchor {self.anchor!r} must be a single value, got {value!r}")
        return value_text(value)


__all__ = ["Attributes", "Directory", "apply_modifications", "copy_attributes", "is_json", "value_text"]
