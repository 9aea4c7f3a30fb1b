"""SCIM attribute paths as idsync attribute names: parsing, canonical text, filter literals.

A directory definition for a SCIM app names its attributes the way Entra does (spec entra-scim.md §1)::

    userName                      name.familyName              emails[type eq "work"].value
    urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber
    urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager        members

That is RFC 7644's ``attrPath`` / ``valuePath`` subset Entra uses: an optional schema URN, an attribute, an
optional ``[sub eq value]`` element filter and an optional sub-attribute. SCIM attribute names are
case-insensitive (RFC 7643 §2.1), and Entra's own documented table writes ``.Value`` and ``.Formatted``, so
``ScimPath.key`` compares paths case-insensitively. Only ``eq`` is accepted in an element filter: it is the
only operator Entra uses, and an element we create must be identified by it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from .._errors import ConnectorConfigError

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

_NAME = r"[A-Za-z$][\w$-]*"
_LITERAL = r'"(?:[^"\\]|\\.)*"|true|false|null|-?\d+(?:\.\d+)?'
_PATH = re.compile(
    rf"^(?P<attr>{_NAME})"
    rf"(?:\[\s*(?P<fattr>{_NAME})\s+eq\s+(?P<fvalue>{_LITERAL})\s*\])?"
    rf"(?:\.(?P<sub>{_NAME}))?$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ScimPath:
    """One parsed attribute path; ``urn`` is None for core attributes."""

    urn: str | None
    attribute: str
    filter_attribute: str | None = None
    filter_value: str | None = None
    """The filter literal's text (unquoted and unescaped)."""
    filter_quoted: bool = True
    sub_attribute: str | None = None

    @property
    def key(self) -> tuple[str, ...]:
        """Case-insensitive identity of the path (SCIM names and ``type`` values are not case-exact)."""
        return tuple(
            (part or "").casefold()
            for part in (
                self.urn,
                self.attribute,
                self.filter_attribute,
                self.filter_value,
                self.sub_attribute,
            )
        )

    @property
    def has_filter(self) -> bool:
        return self.filter_attribute is not None

    def text(self) -> str:
        """The canonical text: the form a SCIM server and Entra write."""
        out = self.attribute
        if self.filter_attribute is not None:
            literal = filter_literal(self.filter_value or "") if self.filter_quoted else self.filter_value
            out += f"[{self.filter_attribute} eq {literal}]"
        if self.sub_attribute is not None:
            out += f".{self.sub_attribute}"
        return f"{self.urn}:{out}" if self.urn else out

    def element_path(self) -> str:
        """The path of the whole filtered element (``emails[type eq "work"]``), for removing it."""
        return ScimPath(
            self.urn, self.attribute, self.filter_attribute, self.filter_value, self.filter_quoted
        ).text()

    def matches_element(self, element: object) -> bool:
        """True when a multi-valued element satisfies this path's ``[sub eq value]`` filter."""
        if not isinstance(element, dict) or self.filter_attribute is None:
            return False
        wanted = self.filter_attribute.casefold()
        for name, value in element.items():
            if name.casefold() == wanted:
                return _literal_text(value).casefold() == (self.filter_value or "").casefold()
        return False


def _literal_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def filter_literal(value: str) -> str:
    """A SCIM filter string literal: double-quoted, ``\\`` and ``"`` escaped (RFC 7644 §3.4.2.2: JSON)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(ch if ch >= " " else f"\\u{ord(ch):04x}" for ch in escaped)
    return f'"{escaped}"'


def _unquote(literal: str) -> tuple[str, bool]:
    if not literal.startswith('"'):
        return literal.lower() if literal.lower() in {"true", "false", "null"} else literal, False
    try:
        return json.loads(literal), True  # SCIM filter strings are JSON strings (RFC 7644 §3.4.2.2)
    except ValueError:
        return re.sub(r"\\(.)", r"\1", literal[1:-1]), True


def _split_urn(text: str) -> tuple[str | None, str]:
    if not text.lower().startswith("urn:"):
        return None, text
    head = text.split("[", 1)[0]
    cut = head.rfind(":")
    if cut <= len("urn:"):
        raise ValueError("a schema URN must be followed by ':' and an attribute name")
    return text[:cut], text[cut + 1 :]


@lru_cache(maxsize=4096)
def parse_path(text: str) -> ScimPath:
    """Parse an attribute path; ``ValueError`` says what is wrong (callers add where it came from)."""
    urn, rest = _split_urn(text.strip())
    match = _PATH.match(rest)
    if match is None:
        raise ValueError(
            f"{text!r} is not a SCIM attribute path; expected e.g. 'userName', 'name.familyName', "
            "'emails[type eq \"work\"].value' or '<schema URN>:<attribute>'"
        )
    value, quoted = (None, True) if match["fvalue"] is None else _unquote(match["fvalue"])
    return ScimPath(urn, match["attr"], match["fattr"], value, quoted, match["sub"])


def parse_setting_path(text: str, where: str) -> ScimPath:
    """``parse_path`` for names that come from a job file: errors become ``ConnectorConfigError``."""
    try:
        return parse_path(text)
    except ValueError as exc:
        raise ConnectorConfigError(str(exc), setting=where, connector="scim") from exc


__all__ = [
    "CORE_GROUP",
    "CORE_USER",
    "ENTERPRISE_USER",
    "ScimPath",
    "filter_literal",
    "parse_path",
    "parse_setting_path",
]
