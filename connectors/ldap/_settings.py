"""The ``ldap`` connector's settings (the job file's keys), checked once, with errors naming the key.

Keys: ``url``, ``bindDn``, ``password``, ``baseDn``, ``objects`` (per object name: ``baseDn``,
``objectClass``, optional ``filter``, optional ``rdnAttribute``), optional ``anchor`` (default
``entryUUID``), ``startTls``, ``caFile``, ``timeoutSeconds`` (default 10: how long connecting and each
operation may take, so an unreachable server fails fast instead of hanging a cycle), and ``softDelete``
(default false: LDAP has no standard "disabled" flag, so objects leaving scope are deleted; true when the
schema maps IsSoftDeleted to an attribute of this directory, e.g. a lock or status attribute, so they are
disabled through that mapping instead).

Pure: DN syntax is checked through the ``is_dn`` callable the connector passes in (python-ldap's).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import ConnectorConfigError

KNOWN_KEYS = frozenset(
    {
        "url",
        "bindDn",
        "password",
        "baseDn",
        "objects",
        "anchor",
        "startTls",
        "caFile",
        "timeoutSeconds",
        "softDelete",
    }
)
OBJECT_KEYS = frozenset({"baseDn", "objectClass", "filter", "rdnAttribute"})
URL_SCHEMES = ("ldap://", "ldaps://", "ldapi://")
DEFAULT_RDN = "cn"
"""RDN attribute of created entries when ``rdnAttribute`` is not given (``uid`` is common for people)."""


@dataclass(frozen=True, slots=True)
class ObjectSettings:
    name: str
    base_dn: str
    object_classes: tuple[str, ...]
    """Written on create; an entry must carry all of them to be read as this object type."""
    filter: str | None
    rdn_attribute: str

    def search_filter(self, extra: str = "") -> str:
        """The object type's filter AND-ed with ``extra`` (an already escaped filter or '')."""
        parts = [f"(objectClass={oc})" for oc in self.object_classes]
        if self.filter:
            parts.append(self.filter)
        if extra:
            parts.append(extra)
        return parts[0] if len(parts) == 1 else "(&" + "".join(parts) + ")"

    @property
    def is_group(self) -> bool:
        """groupOfNames / groupOfUniqueNames need at least one member (see the writes module)."""
        return bool({oc.lower() for oc in self.object_classes} & {"groupofnames", "groupofuniquenames"})


@dataclass(frozen=True, slots=True)
class LdapSettings:
    url: str
    bind_dn: str
    password: str
    base_dn: str
    objects: Mapping[str, ObjectSettings]
    anchor: str = "entryUUID"
    start_tls: bool = False
    ca_file: Path | None = None
    timeout: float = 10.0
    soft_delete: bool = False

    def object(self, name: str) -> ObjectSettings:
        try:
            return self.objects[name]
        except KeyError:
            known = ", ".join(sorted(self.objects)) or "none"
            raise ConnectorConfigError(
                f"object type {name!r} is not configured (configured: {known}); add it under 'objects'",
                setting=f"objects.{name}",
            ) from None


def _string(raw: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConnectorConfigError(f"expected a non-empty string, got {value!r}", setting=where)
    return value.strip()


def _dn(raw: Mapping[str, Any], key: str, where: str, is_dn: Callable[[str], bool]) -> str:
    value = _string(raw, key, where)
    assert value is not None
    if not is_dn(value):
        raise ConnectorConfigError(
            f"{value!r} is not a valid DN (RFC 4514), e.g. ou=people,dc=example,dc=org", setting=where
        )
    return value


def _unknown_keys(raw: Mapping[str, Any], known: frozenset[str], where: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        prefix = f"{where}." if where else ""
        raise ConnectorConfigError(
            f"unknown setting; known ones are {', '.join(sorted(known))}", setting=f"{prefix}{unknown[0]}"
        )


def _object_classes(value: Any, where: str) -> tuple[str, ...]:
    classes = [value] if isinstance(value, str) else value
    if (
        not isinstance(classes, list)
        or not classes
        or not all(isinstance(c, str) and c.strip() for c in classes)
    ):
        raise ConnectorConfigError(
            f"expected an object class name or a list of them, got {value!r}", setting=where
        )
    return tuple(c.strip() for c in classes)


def _filter(value: str | None, where: str) -> str | None:
    if value is None:
        return None
    text = value if value.startswith("(") else f"({value})"
    depth = 0
    for char in text.replace("\\(", "").replace("\\)", ""):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0:
        raise ConnectorConfigError(
            f"unbalanced parentheses in LDAP filter {value!r} (RFC 4515)", setting=where
        )
    return text


def _object(name: str, raw: Any, is_dn: Callable[[str], bool]) -> ObjectSettings:
    where = f"objects.{name}"
    if not isinstance(raw, Mapping):
        raise ConnectorConfigError("expected a mapping with baseDn and objectClass", setting=where)
    _unknown_keys(raw, OBJECT_KEYS, where)
    return ObjectSettings(
        name=name,
        base_dn=_dn(raw, "baseDn", f"{where}.baseDn", is_dn),
        object_classes=_object_classes(raw.get("objectClass"), f"{where}.objectClass"),
        filter=_filter(_string(raw, "filter", f"{where}.filter", required=False), f"{where}.filter"),
        rdn_attribute=_string(raw, "rdnAttribute", f"{where}.rdnAttribute", required=False) or DEFAULT_RDN,
    )


def _timeout(value: Any) -> float:
    if value is None:
        return 10.0
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConnectorConfigError(
            f"expected a positive number of seconds, got {value!r}", setting="timeoutSeconds"
        )
    return float(value)


def _flag(raw: Mapping[str, Any], key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise ConnectorConfigError(f"expected true or false, got {value!r}", setting=key)
    return value


def parse_settings(raw: Mapping[str, Any], base_dir: Path, is_dn: Callable[[str], bool]) -> LdapSettings:
    """Check the job file's settings; ``ConnectorConfigError`` names the first wrong key."""
    _unknown_keys(raw, KNOWN_KEYS, "")
    url = _string(raw, "url", "url")
    assert url is not None
    if not url.lower().startswith(URL_SCHEMES):
        raise ConnectorConfigError(
            f"expected an ldap://, ldaps:// or ldapi:// URL, got {url!r}", setting="url"
        )
    objects = raw.get("objects")
    if not isinstance(objects, Mapping) or not objects:
        raise ConnectorConfigError(
            "expected a mapping of object names (e.g. User) to {baseDn, objectClass}", setting="objects"
        )
    start_tls, soft_delete = _flag(raw, "startTls"), _flag(raw, "softDelete")
    ca_file = _string(raw, "caFile", "caFile", required=False)
    password = raw.get("password", "")
    if not isinstance(password, str):
        raise ConnectorConfigError(
            "expected a string (use ${ENV_VAR} to keep it out of the file)", setting="password"
        )
    return LdapSettings(
        url=url.rstrip("/"),
        bind_dn=_dn(raw, "bindDn", "bindDn", is_dn),
        password=password,
        base_dn=_dn(raw, "baseDn", "baseDn", is_dn),
        objects={str(name): _object(str(name), spec, is_dn) for name, spec in objects.items()},
        anchor=_string(raw, "anchor", "anchor", required=False) or "entryUUID",
        start_tls=start_tls,
        ca_file=(base_dir / ca_file) if ca_file else None,
        timeout=_timeout(raw.get("timeoutSeconds")),
        soft_delete=soft_delete,
    )
