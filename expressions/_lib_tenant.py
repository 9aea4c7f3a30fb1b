"""Functions about the tenant, the application and the object's fate: DefaultDomain, the app-role
functions, Error, and AltSecIdFromNetId (undocumented; implemented from Graph's resource, DESIGN decision 13).

``AltSecIdFromNetId([netId])`` -- cross-tenant synchronization's only matching attribute. Decision (the
function is undocumented): the value is one Graph ``alternativeSecurityId`` (``type`` Int32,
``identityProvider`` String, ``key`` Edm.Binary) as B2B users from another Entra tenant carry it: ``type``
5 (an external Entra ID account), ``identityProvider`` null, ``key`` the netId's text (the user's PUID, e.g.
``10032001C0A8B0D3``) as UTF-8 bytes, base64-encoded. It is rendered as compact JSON text in that field
order -- ``{"type":5,"identityProvider":null,"key":"MTAwMzIw..."}`` -- because the schema declares
``alternativeSecurityIds`` a multi-valued *String* and every local connector stores and finds text: the
same netId always gives the same text, so matching on it finds the user created from it. A null or empty
netId gives null."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from ._context import EvaluationContext
from ._errors import ExpressionEvaluationError
from ._registry import Param, function
from ._values import single, to_text, values_of


@function("Error", Param("message"), pure=False)
def error(message: Any) -> Any:
    """Raise an object-level error with the message."""
    raise ExpressionEvaluationError(to_text(single(message, "message")) or "Error() called", "Error")


@function("DefaultDomain", context=True, pure=False)
def default_domain(context: EvaluationContext) -> str:
    if not context.default_domain:
        raise ExpressionEvaluationError(
            "the tenant has no default verified domain configured", "DefaultDomain"
        )
    return context.default_domain


_ROLE_KEYS = ("value", "appRoleValue", "displayName", "roleName", "name")


def _role_name(entry: Any) -> str | None:
    """A role given by name, or as an object (the first of its value / displayName / name fields)."""
    if isinstance(entry, Mapping):
        return next((to_text(entry[key]) for key in _ROLE_KEYS if entry.get(key)), None)
    return to_text(entry)


def _roles(value: Any) -> list[str]:
    return [name for name in (_role_name(v) for v in values_of(value)) if name]


@function("SingleAppRoleAssignment", Param("source"))
def single_app_role(value: Any) -> str | None:
    """One role of the user's app-role assignments (the first; which one is unspecified when several)."""
    roles = _roles(value)
    return roles[0] if roles else None


@function("AppRoleAssignments", Param("source"))
def app_roles(value: Any) -> list[str] | None:
    """Every role of the user's app-role assignments."""
    return _roles(value) or None


@function("AppRoleAssignmentsComplex", Param("source"))
def app_roles_complex(value: Any) -> list[str] | None:
    """One role entry per assignment (role values; the connector builds ``primary=false`` entries)."""
    return _roles(value) or None


@function("AssertiveAppRoleAssignmentsComplex", Param("source"))
def app_roles_assertive(value: Any) -> list[str] | None:
    """As AppRoleAssignmentsComplex; exported as a replace so unassigned roles are removed."""
    return _roles(value) or None


ALT_SEC_ID_TYPE = 5
"""``alternativeSecurityId.type`` of an account from another Entra tenant (see the module docstring)."""


@function("AltSecIdFromNetId", Param("source"))
def alt_sec_id_from_net_id(value: Any) -> str | None:
    net_id = to_text(single(value, "source"))
    if not net_id:
        return None
    key = base64.b64encode(net_id.encode("utf-8")).decode("ascii")
    return json.dumps({"type": ALT_SEC_ID_TYPE, "identityProvider": None, "key": key}, separators=(",", ":"))
