"""Functions about the tenant, the application and the object's fate: DefaultDomain, the app-role
functions, Error, and AltSecIdFromNetId (known but not evaluable locally, DESIGN decision 13)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._context import EvaluationContext
from ._errors import ExpressionEvaluationError
from ._registry import FunctionSpec, Param, function, register
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


register(
    FunctionSpec("AltSecIdFromNetId", (Param("source"),), impl=lambda *a: None, supported=False, pure=False)
)
