"""What to send to the LDAP server for one ``Change``: the entry of an add, the modlist and the modrdn of an
update. Pure: values are turned into bytes by the ``encode`` callable the connector passes in (it resolves
reference ids to DNs and raises ``ObjectRejected`` for a value that cannot be written).

Decisions:

* ADD and REMOVE are sent with the permissive-modify control, so adding a value already there or removing one
  that is not are no-ops, as the contract says ("values already present are kept once").
* Changing the naming attribute (``rdnAttribute``) renames the entry (modrdn, old value removed) before the
  other modifications are applied to it under its new DN.
* groupOfNames / groupOfUniqueNames must hold at least one member, yet the engine creates groups before it
  adds references. Such groups carry the empty DN as a placeholder member (the usual LDAP practice): it is
  written on create and before any member change, and never read back as a reference.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .._base import Change, Modification, Scalar, ValueOp
from .._errors import ObjectRejected
from ._settings import ObjectSettings

# LDAP modify operation codes (RFC 4511 ModifyRequest); python-ldap's MOD_ADD / MOD_DELETE / MOD_REPLACE
MOD_ADD, MOD_DELETE, MOD_REPLACE = 0, 1, 2
PLACEHOLDER_MEMBER = b""

Encode = Callable[[str, Scalar], bytes]
ModList = list[tuple[int, str, list[bytes] | None]]


def member_attribute(settings: ObjectSettings) -> str | None:
    """The attribute that must keep at least one value for this object type, if any."""
    classes = {oc.lower() for oc in settings.object_classes}
    if "groupofnames" in classes:
        return "member"
    if "groupofuniquenames" in classes:
        return "uniqueMember"
    return None


def _values(modification: Modification, encode: Encode) -> list[bytes]:
    return [encode(modification.name, value) for value in modification.values]


@dataclass(frozen=True, slots=True)
class NewEntry:
    rdn_value: str
    attributes: list[tuple[str, list[bytes]]]


def new_entry(change: Change, settings: ObjectSettings, encode: Encode) -> NewEntry:
    """The attributes of an add (REPLACE and ADD modifications give the initial values)."""
    collected: dict[str, tuple[str, list[bytes]]] = {}
    for modification in change.modifications:
        if modification.op is ValueOp.REMOVE or not modification.values:
            continue
        _, values = collected.setdefault(modification.name.lower(), (modification.name, []))
        values.extend(v for v in _values(modification, encode) if v not in values)
    naming = collected.get(settings.rdn_attribute.lower())
    if naming is None or not naming[1]:
        raise ObjectRejected(
            f"cannot create a {settings.name}: it needs a value for its naming attribute "
            f"{settings.rdn_attribute!r} (objects.{settings.name}.rdnAttribute)",
            connector="ldap",
        )
    classes = collected.pop("objectclass", ("objectClass", []))[1]
    classes = [oc.encode() for oc in settings.object_classes] + [
        c for c in classes if c.decode() not in settings.object_classes
    ]
    members = member_attribute(settings)
    if members is not None and members.lower() not in collected:
        collected[members.lower()] = (members, [PLACEHOLDER_MEMBER])
    return NewEntry(
        rdn_value=naming[1][0].decode("utf-8"),
        attributes=[("objectClass", classes), *collected.values()],
    )


def modlist(modifications: Sequence[Modification], settings: ObjectSettings, encode: Encode) -> ModList:
    """The modify request of an update, the group placeholder kept in place."""
    members = member_attribute(settings)
    result: ModList = []
    touches_members = False
    for modification in modifications:
        values = _values(modification, encode)
        is_members = members is not None and modification.name.lower() == members.lower()
        touches_members = touches_members or is_members
        if modification.op is ValueOp.REPLACE:
            result.append(
                (
                    MOD_REPLACE,
                    modification.name,
                    [*values, PLACEHOLDER_MEMBER] if is_members else values or None,
                )
            )
        elif modification.op is ValueOp.ADD:
            if values:
                result.append((MOD_ADD, modification.name, values))
        else:
            result.append((MOD_DELETE, modification.name, values or None))
    if touches_members and members is not None:
        result.insert(0, (MOD_ADD, members, [PLACEHOLDER_MEMBER]))
    return result


def new_rdn_value(
    modifications: Sequence[Modification], settings: ObjectSettings, current: str
) -> str | None:
    """The new naming value when an update replaces the naming attribute with another value, else None."""
    for modification in modifications:
        if modification.name.lower() == settings.rdn_attribute.lower() and modification.op is ValueOp.REPLACE:
            if not modification.values:
                raise ObjectRejected(
                    f"cannot clear the naming attribute {settings.rdn_attribute!r} of a {settings.name}",
                    connector="ldap",
                )
            wanted = str(modification.values[0])
            values = [str(v) for v in modification.values]
            return None if current in values else wanted
    return None


def without_absent_values(
    modifications: ModList, current: dict[str, list[bytes]], key: Callable[[str, bytes], object]
) -> ModList:
    """The modlist minus removals of values the entry does not hold (``current``: its values by lower-cased
    name; ``key``: how the server compares two values of an attribute)."""
    result: ModList = []
    for op, name, values in modifications:
        if op == MOD_DELETE and values:
            held = {key(name, v) for v in current.get(name.lower(), [])}
            values = [v for v in values if key(name, v) in held]
            if not values:
                continue
        result.append((op, name, values))
    return result
