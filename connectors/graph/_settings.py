"""The ``graph`` connector's settings in a job file, checked once, with errors naming the setting.

::

    connector: graph
    tenantId: 00000000-0000-0000-0000-000000000000
    clientId: 11111111-1111-1111-1111-111111111111
    clientSecret: ${GRAPH_CLIENT_SECRET}         # or certificate: {path: app.pem, thumbprint: AB12...}
    authority: https://login.microsoftonline.com # default; a national cloud's login host, a test authority
    validateAuthority: true                      # msal's authority validation and instance discovery
    baseUrl: https://graph.microsoft.com/v1.0    # default; e.g. https://graph.microsoft.us/v1.0
    objects: [User, Group]                       # the object types this directory serves (default both)
    scope: assigned                              # or all (default); Entra's "sync only assigned users/groups"
    servicePrincipalId: 22222222-...             # the app whose assignments decide the scope (assigned)
    attributes: {User: [employeeHireDate]}       # more Graph properties to read (beyond the schema's)
    caBundle: /etc/ssl/private-ca.pem            # CA file for a private authority or Graph endpoint
    timeoutSeconds: 30
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .._errors import ConnectorConfigError

KNOWN = (
    "tenantId",
    "clientId",
    "clientSecret",
    "certificate",
    "authority",
    "validateAuthority",
    "baseUrl",
    "objects",
    "scope",
    "servicePrincipalId",
    "attributes",
    "caBundle",
    "timeoutSeconds",
)
PUBLIC_AUTHORITY = "https://login.microsoftonline.com"
PUBLIC_GRAPH = "https://graph.microsoft.com/v1.0"
OBJECT_TYPES = ("User", "Group")


@dataclass(frozen=True, slots=True)
class Certificate:
    private_key: str
    thumbprint: str
    public_certificate: str | None = None


@dataclass(frozen=True, slots=True)
class GraphSettings:
    tenant_id: str
    client_id: str
    client_secret: str | None
    certificate: Certificate | None
    authority: str
    """The full authority URL (login host + tenant), as msal takes it."""
    validate_authority: bool
    base_url: str
    objects: tuple[str, ...]
    scope: str
    service_principal_id: str | None
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    ca_bundle: str | None = None
    timeout_seconds: float = 30.0

    @property
    def token_scope(self) -> str:
        """``https://graph.microsoft.com/.default`` for the cloud ``baseUrl`` belongs to."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}/.default"

    def __repr__(self) -> str:  # never show the secret, even in a debugger or a traceback
        return f"GraphSettings(tenant={self.tenant_id!r}, client={self.client_id!r}, url={self.base_url!r})"


def _fail(setting: str, message: str) -> ConnectorConfigError:
    return ConnectorConfigError(message, setting=setting, connector="graph")


def _text(settings: Mapping[str, Any], name: str, hint: str, *, required: bool = True) -> str | None:
    value = settings.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(name, hint)
    return value.strip()


def _url(value: Any, name: str, example: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(name, f"give an https URL, e.g. {example}")
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise _fail(name, f"{value!r} is not an http(s) URL without a query, e.g. {example}")
    return value.strip().rstrip("/")


def _authority(settings: Mapping[str, Any], tenant: str) -> str:
    url = _url(settings.get("authority", PUBLIC_AUTHORITY), "authority", PUBLIC_AUTHORITY)
    if not url.startswith("https://"):
        raise _fail(
            "authority", f"{url!r}: the identity platform is only reached over https (msal refuses http)"
        )
    # The login host alone (as Microsoft lists national clouds) gets the tenant appended.
    return url if urlsplit(url).path.strip("/") else f"{url}/{tenant}"


def _certificate(value: Any, base_dir: Path) -> Certificate | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not isinstance(value.get("path"), str):
        raise _fail(
            "certificate", "give {path: <PEM file: private key and certificate>, thumbprint: <SHA-1>}"
        )
    path = Path(value["path"]) if Path(value["path"]).is_absolute() else base_dir / value["path"]
    try:
        pem = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(
            "certificate.path", f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    if "PRIVATE KEY" not in pem:
        raise _fail("certificate.path", f"{path} holds no PEM private key")
    public = pem if "BEGIN CERTIFICATE" in pem else None
    thumbprint = value.get("thumbprint")
    if thumbprint is None and public is None:
        raise _fail(
            "certificate.thumbprint",
            "give the certificate's SHA-1 thumbprint as the app registration "
            "shows it, or put the certificate in the PEM file beside the key",
        )
    if thumbprint is not None and (not isinstance(thumbprint, str) or not thumbprint.strip()):
        raise _fail("certificate.thumbprint", "the certificate's SHA-1 thumbprint, as hex")
    return Certificate(pem, thumbprint.replace(":", "").strip() if thumbprint else "", public)


def _objects(value: Any) -> tuple[str, ...]:
    if value is None:
        return OBJECT_TYPES
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or any(v not in OBJECT_TYPES for v in value):
        raise _fail("objects", f"a list of object types among {', '.join(OBJECT_TYPES)}, got {value!r}")
    return tuple(value)


def _attributes(value: Any) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(
            "attributes", "a mapping of object type to Graph property names, e.g. {User: [employeeHireDate]}"
        )
    out: dict[str, tuple[str, ...]] = {}
    for object_type, names in value.items():
        if object_type not in OBJECT_TYPES:
            raise _fail(f"attributes.{object_type}", f"not an object type; use {', '.join(OBJECT_TYPES)}")
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise _fail(f"attributes.{object_type}", "a list of Graph property names")
        out[object_type] = tuple(names)
    return out


def parse_settings(settings: Mapping[str, Any], base_dir: Path) -> GraphSettings:
    for key in settings:
        if key not in KNOWN:
            close = difflib.get_close_matches(key, KNOWN, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known settings: {', '.join(KNOWN)}"
            raise _fail(key, f"unknown setting{hint}")
    tenant = _text(settings, "tenantId", "give the directory (tenant) id of the app registration") or ""
    client = _text(settings, "clientId", "give the application (client) id of the app registration") or ""
    secret = settings.get("clientSecret")
    certificate = _certificate(settings.get("certificate"), base_dir)
    if certificate is None and (not isinstance(secret, str) or not secret):
        raise _fail(
            "clientSecret", "give the client secret (as ${ENV_VAR}, never in clear) or a 'certificate'"
        )
    scope = settings.get("scope", "all")
    if scope not in ("all", "assigned"):
        raise _fail(
            "scope", f"must be 'assigned' (only users and groups assigned to the app) or 'all', got {scope!r}"
        )
    principal = _text(
        settings,
        "servicePrincipalId",
        "give the object id of the app's service principal",
        required=scope == "assigned",
    )
    validate = settings.get("validateAuthority", True)
    if not isinstance(validate, bool):
        raise _fail("validateAuthority", f"must be true or false, got {validate!r}")
    timeout = settings.get("timeoutSeconds", 30.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0.1 <= timeout <= 600:
        raise _fail("timeoutSeconds", f"must be a number from 0.1 to 600, got {timeout!r}")
    bundle = settings.get("caBundle")
    if bundle is not None:
        path = Path(str(bundle)) if Path(str(bundle)).is_absolute() else base_dir / str(bundle)
        if not path.is_file():
            raise _fail("caBundle", f"{path} is not a file (a PEM file of CA certificates)")
        bundle = str(path)
    return GraphSettings(
        tenant_id=tenant,
        client_id=client,
        client_secret=secret if isinstance(secret, str) and secret else None,
        certificate=certificate,
        authority=_authority(settings, tenant),
        validate_authority=validate,
        base_url=_url(settings.get("baseUrl", PUBLIC_GRAPH), "baseUrl", PUBLIC_GRAPH),
        objects=_objects(settings.get("objects")),
        scope=str(scope),
        service_principal_id=principal,
        attributes=_attributes(settings.get("attributes")),
        ca_bundle=bundle,
        timeout_seconds=float(timeout),
    )


__all__ = ["KNOWN", "Certificate", "GraphSettings", "parse_settings"]
