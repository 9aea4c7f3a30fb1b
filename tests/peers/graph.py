"""A Microsoft Graph (Entra ID) peer for the tests, written from Graph's documented response shapes, served
over real HTTPS by uvicorn in a thread.

What it serves (only what idsync's ``graph`` connector and its tests need, in Graph's shapes):

* **The identity platform** at ``https://127.0.0.1:PORT/<tenant>``: the OpenID configuration msal reads
  (``/<tenant>/v2.0/.well-known/openid-configuration``) and the v2 token endpoint for the client-credentials
  grant (a client secret, or a certificate's RS256/PS256 client assertion checked with PyJWT against the
  certificates registered with ``add_certificate``). Errors as AAD writes them: an unknown tenant
  (``AADSTS90002``), a wrong secret (``AADSTS7000215``), an expired secret (``AADSTS7000222``), an unknown
  application (``AADSTS700016``), a refused certificate (``AADSTS700027``).
* **Graph v1.0** at ``https://127.0.0.1:PORT/v1.0``: ``/users/delta`` and ``/groups/delta`` (initial round
  and rounds from a ``$deltatoken``; ``@odata.nextLink`` / ``@odata.deltaLink``; ``Prefer:
  odata.maxpagesize``; ``@removed`` with reason ``changed`` (recycle bin) or ``deleted`` (permanently);
  ``members@delta`` and ``manager@delta``; only changed properties on an update, as Graph's "at least the
  updated properties"), ``/users`` and ``/groups`` lists with ``$filter=p eq 'v'`` and
  ``p/any(x:x eq 'v')``, ``$select``, ``$expand=manager($select=id)``, one object by id, a group's
  ``/members``, a user's ``/directReports`` and ``/memberOf``, ``/servicePrincipals/{id}/appRoleAssignedTo``
  and ``POST /directoryObjects/getAvailableExtensionProperties``.
* **Faults**: ``throttle(n, status, retry_after)`` answers the next ``n`` Graph calls 429/503 with
  ``Retry-After``; ``expire_tokens()`` makes every issued access token answer 401
  ``InvalidAuthenticationToken``; ``expire_secret()``; ``require_resync()`` answers 410 ``resyncRequired`` to
  every delta or skip token issued so far.

TLS: msal takes only ``https`` authorities, so the peer makes a throwaway CA and a certificate for 127.0.0.1
(``cryptography``); ``ca_file`` is what the connector's ``caBundle`` setting points at.

Fixture: ``graph_peer`` (function scope: a fresh tenant per test; starting costs ~0.2 s).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.peers import free_port

USER_PROPERTIES = frozenset(
    [
        "id",
        "accountEnabled",
        "userPrincipalName",
        "displayName",
        "givenName",
        "surname",
        "mail",
        "mailNickname",
        "jobTitle",
        "department",
        "companyName",
        "employeeId",
        "employeeType",
        "officeLocation",
        "streetAddress",
        "city",
        "state",
        "postalCode",
        "country",
        "businessPhones",
        "mobilePhone",
        "faxNumber",
        "preferredLanguage",
        "userType",
        "proxyAddresses",
        "otherMails",
        "onPremisesExtensionAttributes",
        "onPremisesSecurityIdentifier",
        "onPremisesSyncEnabled",
        "usageLocation",
        "manager",
        "deletedDateTime",
    ]
)
GROUP_PROPERTIES = frozenset(
    [
        "id",
        "displayName",
        "description",
        "mail",
        "mailNickname",
        "proxyAddresses",
        "securityEnabled",
        "mailEnabled",
        "members",
        "groupTypes",
        "deletedDateTime",
    ]
)
"""What ``$select`` may name (and ``extension_*`` directory extensions); Graph answers 400 to others."""
USER_TYPE = "#microsoft.graph.user"
GROUP_TYPE = "#microsoft.graph.group"


def _make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) for 127.0.0.1, valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idsync test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


@dataclass
class _Change:
    seq: int
    props: set[str] = field(default_factory=set)
    added: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)


@dataclass
class _Round:
    """A delta round in progress (a skip token) or done (a delta token)."""

    collection: str
    select: tuple[str, ...]
    since: int
    """Changes after this sequence number belong to the next round."""
    pending: list[dict[str, Any]] | None = None
    """The items still to page out (a skip token); None for a delta token."""
    upto: int = 0


class GraphTenant:
    """The directory and the fault switches; every method is thread-safe (the server runs in a thread)."""

    def __init__(self, tenant_id: str, client_id: str, client_secret: str, service_principal_id: str):
        self.tenant_id, self.client_id, self.client_secret = tenant_id, client_id, client_secret
        self.service_principal_id = service_principal_id
        self.lock = threading.RLock()
        self.seq = itertools.count(1)
        self.now = 0
        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.members: dict[str, set[str]] = {}
        self.recycled: set[str] = set()
        self.purged: set[str] = set()
        self.changes: dict[str, dict[str, _Change]] = {"users": {}, "groups": {}}
        self.assignments: dict[str, str] = {}
        """principalId -> principalType (User, Group) of appRoleAssignedTo the service principal."""
        self.tokens: dict[str, float] = {}
        self.rounds: dict[str, _Round] = {}
        self.secret_expired = False
        self.certificates: list[bytes] = []
        self.extensions: list[dict[str, Any]] = []
        """Directory extension properties (``getAvailableExtensionProperties``)."""
        self.tokens_refused = False
        """Every access token answers 401 (a token for the wrong tenant or audience)."""
        self.faults: list[tuple[int, float]] = []
        self.requests: list[str] = []
        """Every Graph request as ``METHOD path?query`` (tests assert on $select and friends)."""

    def reset(self) -> None:
        """An empty tenant again (same ids and secret): one server for many hypothesis examples."""
        with self.lock:
            self.__init__(self.tenant_id, self.client_id, self.client_secret, self.service_principal_id)  # type: ignore[misc]

    # -- admin: the directory ---------------------------------------------------------------------------

    def _touch(
        self,
        collection: str,
        object_id: str,
        props: set[str],
        added: set[str] | None = None,
        removed: set[str] | None = None,
    ) -> None:
        added, removed = added or set(), removed or set()
        self.now = next(self.seq)
        change = self.changes[collection].setdefault(object_id, _Change(self.now))
        change.seq = self.now
        change.props |= props
        change.added = (change.added | added) - removed
        change.removed = (change.removed | removed) - added

    def add_user(self, **props: Any) -> str:
        with self.lock:
            user_id = str(props.pop("id", uuid.uuid4()))
            props.setdefault("accountEnabled", True)
            self.users[user_id] = {"id": user_id, **props}
            self.changes["users"].pop(user_id, None)
            self._touch("users", user_id, {"*"})
            return user_id

    def update_user(self, user_id: str, **props: Any) -> None:
        with self.lock:
            for name, value in props.items():
                if value is None:
                    self.users[user_id].pop(name, None)
                else:
                    self.users[user_id][name] = value
            self._touch("users", user_id, set(props))

    def set_manager(self, user_id: str, manager_id: str | None) -> None:
        self.update_user(user_id, manager=manager_id)

    def soft_delete_user(self, user_id: str) -> None:
        """To the recycle bin: ``@removed: changed``; Graph also drops the user from every group."""
        with self.lock:
            self.recycled.add(user_id)
            self._touch("users", user_id, {"*"})
            for group_id, members in self.members.items():
                if user_id in members:
                    self.remove_member(group_id, user_id)

    def restore_user(self, user_id: str) -> None:
        with self.lock:
            self.recycled.discard(user_id)
            self._touch("users", user_id, {"*"})

    def hard_delete_user(self, user_id: str) -> None:
        """Permanently: ``@removed: deleted``."""
        with self.lock:
            if user_id not in self.recycled:
                self.soft_delete_user(user_id)
            self.recycled.discard(user_id)
            self.users.pop(user_id, None)
            self.purged.add(user_id)
            self.assignments.pop(user_id, None)
            self._touch("users", user_id, {"*"})

    def add_group(self, members: tuple[str, ...] = (), **props: Any) -> str:
        with self.lock:
            group_id = str(props.pop("id", uuid.uuid4()))
            self.groups[group_id] = {"id": group_id, **props}
            self.members[group_id] = set(members)
            self._touch("groups", group_id, {"*"}, set(members))
            return group_id

    def update_group(self, group_id: str, **props: Any) -> None:
        with self.lock:
            self.groups[group_id].update(props)
            self._touch("groups", group_id, set(props))

    def add_member(self, group_id: str, user_id: str) -> None:
        with self.lock:
            self.members[group_id].add(user_id)
            self._touch("groups", group_id, set(), added={user_id})

    def remove_member(self, group_id: str, user_id: str) -> None:
        with self.lock:
            self.members[group_id].discard(user_id)
            self._touch("groups", group_id, set(), removed={user_id})

    def delete_group(self, group_id: str) -> None:
        """A security group is deleted permanently (``@removed: deleted``)."""
        with self.lock:
            self.groups.pop(group_id, None)
            self.members.pop(group_id, None)
            self.purged.add(group_id)
            self.assignments.pop(group_id, None)
            self._touch("groups", group_id, {"*"})

    def assign(self, principal_id: str, principal_type: str = "User") -> None:
        with self.lock:
            self.assignments[principal_id] = principal_type

    def unassign(self, principal_id: str) -> None:
        with self.lock:
            self.assignments.pop(principal_id, None)

    # -- admin: faults ------------------------------------------------------------------------------------

    def throttle(self, times: int = 1, status: int = 429, retry_after: float = 1) -> None:
        with self.lock:
            self.faults.extend([(status, retry_after)] * times)

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    def expire_secret(self) -> None:
        with self.lock:
            self.secret_expired = True

    def add_extension(self, name: str, data_type: str, *targets: str) -> None:
        with self.lock:
            self.extensions.append(
                {
                    "id": str(uuid.uuid4()),
                    "name": name,
                    "dataType": data_type,
                    "targetObjects": list(targets),
                    "isMultiValued": False,
                    "isSyncedFromOnPremises": False,
                    "appDisplayName": "HR extensions",
                }
            )

    def add_certificate(self, public_pem: bytes) -> None:
        """Register a certificate's public key for the client-assertion (certificate) flow."""
        with self.lock:
            self.certificates.append(public_pem)

    def check_assertion(self, assertion: str, audience: str) -> str | None:
        """Why a client assertion (an RS256/PS256 JWT signed with a registered certificate) is refused."""
        import jwt
        from cryptography import x509

        for pem in self.certificates:
            key = x509.load_pem_x509_certificate(pem).public_key()
            try:
                claims = jwt.decode(assertion, key, algorithms=["RS256", "PS256"], audience=audience)  # type: ignore[arg-type]
            except jwt.PyJWTError:
                continue
            if claims.get("iss") == self.client_id and claims.get("sub") == self.client_id:
                return None
        return "Client assertion contains an invalid signature."

    def refuse_tokens(self) -> None:
        with self.lock:
            self.tokens_refused = True

    def require_resync(self) -> None:
        with self.lock:
            self.rounds.clear()

    # -- reading ----------------------------------------------------------------------------------------

    def shaped(self, collection: str, obj: dict[str, Any], select: tuple[str, ...], expand: bool) -> dict:
        """``obj`` with only the selected properties (and ``manager`` expanded when asked)."""
        if not select:
            select = tuple(name for name in obj if name != "manager")
        out = {"id": obj["id"]}
        if "@odata.type" in obj:
            out["@odata.type"] = obj["@odata.type"]
        for name in select:
            if name in ("manager", "members"):
                continue
            if name in obj:
                out[name] = obj[name]
            elif name not in ("id",):
                out[name] = [] if name in ("businessPhones", "proxyAddresses", "otherMails") else None
        if expand and collection == "users":
            manager = obj.get("manager")
            out["manager"] = {"@odata.type": USER_TYPE, "id": manager} if manager in self.users else None
        return out

    def delta_items(
        self, collection: str, select: tuple[str, ...], since: int | None
    ) -> list[dict[str, Any]]:
        store = self.users if collection == "users" else self.groups
        items: list[dict[str, Any]] = []
        if since is None:
            for object_id, obj in store.items():
                if object_id in self.recycled:
                    continue
                item = self.shaped(collection, obj, select, expand=False)
                self._links(
                    collection, obj, select, item, added=self.members.get(object_id, set()), removed=set()
                )
                items.append(item)
            return items
        for object_id, change in sorted(self.changes[collection].items(), key=lambda kv: kv[1].seq):
            if change.seq <= since:
                continue
            if object_id in self.purged:
                items.append({"id": object_id, "@removed": {"reason": "deleted"}})
                continue
            if object_id in self.recycled:
                items.append({"id": object_id, "@removed": {"reason": "changed"}})
                continue
            obj = store[object_id]
            chosen = select if "*" in change.props else tuple(n for n in select if n in change.props)
            item = self.shaped(collection, obj, chosen, expand=False)
            self._links(collection, obj, chosen, item, added=change.added, removed=change.removed)
            items.append(item)
        return items

    def _links(
        self,
        collection: str,
        obj: dict[str, Any],
        select: tuple[str, ...],
        item: dict[str, Any],
        added: set[str],
        removed: set[str],
    ) -> None:
        if collection == "users" and "manager" in select:
            manager = obj.get("manager")
            item["manager@delta"] = [{"@odata.type": USER_TYPE, "id": manager}] if manager else []
        if collection == "groups" and "members" in select and (added or removed):
            item["members@delta"] = [{"@odata.type": USER_TYPE, "id": m} for m in sorted(added)] + [
                {"@odata.type": USER_TYPE, "id": m, "@removed": {"reason": "deleted"}}
                for m in sorted(removed)
            ]


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": dt.datetime.now(dt.UTC).isoformat(), "request-id": str(uuid.uuid4())},
        }
    }
    return JSONResponse(body, status_code=status, headers=headers)


def _aad_error(status: int, error: str, code: str, text: str) -> JSONResponse:
    return JSONResponse(
        {
            "error": error,
            "error_description": f"{code}: {text}",
            "error_codes": [int(code[6:])],
            "timestamp": dt.datetime.now(dt.UTC).isoformat(),
            "trace_id": str(uuid.uuid4()),
        },
        status_code=status,
    )


_EQ = re.compile(r"^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$")
_ANY = re.compile(r"^\s*(\w+)/any\(\s*(\w+)\s*:\s*\2\s+eq\s+'((?:[^']|'')*)'\s*\)\s*$")


def _matches(obj: dict[str, Any], expression: str) -> bool:
    found = _EQ.match(expression)
    if found:
        return bool(obj.get(found.group(1)) == found.group(2).replace("''", "'"))
    found = _ANY.match(expression)
    if found:
        return found.group(3).replace("''", "'") in (obj.get(found.group(1)) or [])
    raise ValueError(expression)


class GraphPeer:
    """The tenant behind a uvicorn server on a free loopback port, with TLS."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.tenant = GraphTenant(
            str(uuid.uuid4()), str(uuid.uuid4()), "s3cr3t-" + uuid.uuid4().hex, str(uuid.uuid4())
        )
        self.port = free_port()
        self.root = f"https://127.0.0.1:{self.port}"
        self.authority = f"{self.root}/{self.tenant.tenant_id}"
        self.base_url = f"{self.root}/v1.0"
        self.ca_file, self._cert, self._key = _make_certificates(folder)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def settings(self, **more: Any) -> dict[str, Any]:
        """The ``graph`` connector's settings for this tenant."""
        t = self.tenant
        return {
            "tenantId": t.tenant_id,
            "clientId": t.client_id,
            "clientSecret": t.client_secret,
            "authority": self.authority,
            "baseUrl": self.base_url,
            "caBundle": str(self.ca_file),
            "validateAuthority": False,
            **more,
        }

    def start(self) -> GraphPeer:
        config = uvicorn.Config(
            self.app(),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            ssl_certfile=str(self._cert),
            ssl_keyfile=str(self._key),
            log_config=None,
            timeout_graceful_shutdown=1,
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the Graph peer did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(10)

    # -- the ASGI app -----------------------------------------------------------------------------------

    def app(self) -> Starlette:
        t = self.tenant
        root = self.root

        async def openid(request: Request) -> Response:
            tenant = request.path_params["tenant"]
            if tenant not in (t.tenant_id, "organizations"):
                return _aad_error(400, "invalid_tenant", "AADSTS90002", f"Tenant '{tenant}' not found.")
            base = f"{root}/{tenant}"
            return JSONResponse(
                {
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "issuer": f"{root}/{tenant}/v2.0",
                    "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                }
            )

        async def token(request: Request) -> Response:
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            if request.path_params["tenant"] != t.tenant_id:
                return _aad_error(400, "invalid_tenant", "AADSTS90002", "Tenant not found.")
            if form.get("grant_type") != "client_credentials":
                return _aad_error(400, "unsupported_grant_type", "AADSTS70003", "unsupported grant")
            if form.get("client_id") != t.client_id:
                return _aad_error(
                    400,
                    "unauthorized_client",
                    "AADSTS700016",
                    f"Application with identifier '{form.get('client_id')}' was not found in the "
                    f"directory '{t.tenant_id}'.",
                )
            if form.get("client_assertion"):
                refused = t.check_assertion(
                    form["client_assertion"], f"{root}/{t.tenant_id}/oauth2/v2.0/token"
                )
                if refused:
                    return _aad_error(401, "invalid_client", "AADSTS700027", refused)
            elif form.get("client_secret") != t.client_secret:
                return _aad_error(
                    401,
                    "invalid_client",
                    "AADSTS7000215",
                    "Invalid client secret provided. Ensure the secret being sent in the request "
                    "is the client secret value, not the client secret ID",
                )
            if t.secret_expired:
                return _aad_error(
                    401,
                    "invalid_client",
                    "AADSTS7000222",
                    f"The provided client secret keys for app '{t.client_id}' are expired.",
                )
            access = uuid.uuid4().hex
            with t.lock:
                t.tokens[access] = time.time() + 3600
            return JSONResponse(
                {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": access}
            )

        def guard(request: Request) -> Response | None:
            with t.lock:
                t.requests.append(f"{request.method} {request.url.path}?{request.url.query}")
                if t.faults:
                    status, wait = t.faults.pop(0)
                    return _error(
                        status,
                        "TooManyRequests" if status == 429 else "ServiceUnavailable",
                        "Too many requests" if status == 429 else "Service unavailable",
                        {"Retry-After": f"{wait:g}"},
                    )
                header = request.headers.get("authorization", "")
                expiry = t.tokens.get(header.removeprefix("Bearer "), None)
            if expiry is None or t.tokens_refused:
                return _error(
                    401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."
                )
            if expiry < time.time():
                return _error(
                    401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid."
                )
            return None

        def unknown_properties(collection: str, select: str) -> Response | None:
            known = USER_PROPERTIES if collection == "users" else GROUP_PROPERTIES
            for name in filter(None, select.split(",")):
                if name not in known and not name.startswith("extension_"):
                    kind = "user" if collection == "users" else "group"
                    return _error(
                        400,
                        "Request_BadRequest",
                        f"Could not find a property named '{name}' on type 'microsoft.graph.{kind}'.",
                    )
            return None

        def page_size(request: Request) -> int:
            prefer = request.headers.get("prefer", "")
            found = re.search(r"odata\.maxpagesize=(\d+)", prefer)
            return max(1, min(int(found.group(1)), 1000)) if found else 100

        def page_out(
            collection: str,
            items: list[dict[str, Any]],
            select: tuple[str, ...],
            since: int,
            upto: int,
            size: int,
        ) -> dict[str, Any]:
            body: dict[str, Any] = {
                "@odata.context": f"{root}/v1.0/$metadata#{collection}({','.join(select)})",
                "value": items[:size],
            }
            rest = items[size:]
            token = uuid.uuid4().hex
            if rest:
                t.rounds[token] = _Round(collection, select, since, rest, upto)
                body["@odata.nextLink"] = f"{root}/v1.0/{collection}/delta()?$skiptoken={token}"
            else:
                t.rounds[token] = _Round(collection, select, upto)
                body["@odata.deltaLink"] = f"{root}/v1.0/{collection}/delta()?$deltatoken={token}"
            return body

        async def delta(request: Request) -> Response:
            collection = request.path_params["collection"]
            refused = guard(request)
            if refused is not None:
                return refused
            unknown = unknown_properties(collection, request.query_params.get("$select", ""))
            if unknown:
                return unknown
            q = request.query_params
            size = page_size(request)
            with t.lock:
                state = q.get("$skiptoken") or q.get("$deltatoken")
                if state is not None:
                    found = t.rounds.get(state)
                    if found is None or found.collection != collection:
                        return _error(
                            410,
                            "resyncRequired",
                            "Resync required. Replace any local cached copies of the collection "
                            "with a new full read (a delta request without a token).",
                        )
                    if found.pending is not None:
                        return JSONResponse(
                            page_out(collection, found.pending, found.select, found.since, found.upto, size)
                        )
                    items = t.delta_items(collection, found.select, found.since)
                    return JSONResponse(page_out(collection, items, found.select, found.since, t.now, size))
                select = tuple(s for s in q.get("$select", "").split(",") if s)
                items = t.delta_items(collection, select, None)
                return JSONResponse(page_out(collection, items, select, 0, t.now, size))

        def listing(collection: str, objects: list[dict[str, Any]], request: Request) -> Response:
            q = request.query_params
            select = tuple(s for s in q.get("$select", "").split(",") if s)
            expand = q.get("$expand", "").startswith("manager")
            try:
                chosen = [o for o in objects if not q.get("$filter") or _matches(o, q["$filter"])]
            except ValueError:
                return _error(400, "Request_UnsupportedQuery", f"Unsupported query: {q['$filter']}")
            start = int(q.get("$skiptoken", "0"))
            size = min(int(q.get("$top", "100")), 999)
            body: dict[str, Any] = {
                "value": [t.shaped(collection, o, select, expand) for o in chosen[start : start + size]]
            }
            if start + size < len(chosen):
                query = "&".join(f"{k}={v}" for k, v in q.items() if k != "$skiptoken")
                body["@odata.nextLink"] = f"{root}{request.url.path}?{query}&$skiptoken={start + size}"
            return JSONResponse(body)

        async def collection_list(request: Request) -> Response:
            collection = request.path_params["collection"]
            refused = guard(request)
            if refused is not None:
                return refused
            unknown = unknown_properties(collection, request.query_params.get("$select", ""))
            if unknown:
                return unknown
            with t.lock:
                store = t.users if collection == "users" else t.groups
                live = [o for i, o in store.items() if i not in t.recycled]
                return listing(collection, live, request)

        async def one(request: Request) -> Response:
            collection, object_id = request.path_params["collection"], request.path_params["id"]
            refused = guard(request)
            if refused is not None:
                return refused
            with t.lock:
                store = t.users if collection == "users" else t.groups
                obj = store.get(object_id)
                if obj is None or object_id in t.recycled:
                    return _error(
                        404,
                        "Request_ResourceNotFound",
                        f"Resource '{object_id}' does not exist or one of its queried reference-property "
                        "objects are not present.",
                    )
                q = request.query_params
                select = tuple(s for s in q.get("$select", "").split(",") if s)
                return JSONResponse(
                    t.shaped(collection, obj, select, q.get("$expand", "").startswith("manager"))
                )

        async def members(request: Request) -> Response:
            refused = guard(request)
            if refused is not None:
                return refused
            with t.lock:
                group_id = request.path_params["id"]
                if group_id not in t.groups:
                    return _error(404, "Request_ResourceNotFound", f"Resource '{group_id}' does not exist.")
                users = [
                    {"@odata.type": USER_TYPE, **t.users[m]}
                    for m in sorted(t.members[group_id])
                    if m in t.users
                ]
                return listing("users", users, request)

        async def related(request: Request) -> Response:
            """``/users/{id}/directReports`` and ``/users/{id}/memberOf``."""
            refused = guard(request)
            if refused is not None:
                return refused
            with t.lock:
                user_id = request.path_params["id"]
                if user_id not in t.users or user_id in t.recycled:
                    return _error(404, "Request_ResourceNotFound", f"Resource '{user_id}' does not exist.")
                if request.path_params["relation"] == "directReports":
                    rows = [
                        {"@odata.type": USER_TYPE, **u}
                        for i, u in t.users.items()
                        if u.get("manager") == user_id and i not in t.recycled
                    ]
                else:
                    rows = [
                        {"@odata.type": GROUP_TYPE, **t.groups[g]}
                        for g, m in t.members.items()
                        if user_id in m
                    ]
                return listing("users", rows, request)

        async def extension_properties(request: Request) -> Response:
            refused = guard(request)
            if refused is not None:
                return refused
            with t.lock:
                return JSONResponse({"value": list(t.extensions)})

        async def assigned_to(request: Request) -> Response:
            refused = guard(request)
            if refused is not None:
                return refused
            with t.lock:
                if request.path_params["id"] != t.service_principal_id:
                    return _error(404, "Request_ResourceNotFound", "The service principal does not exist.")
                rows = [
                    {
                        "id": uuid.uuid5(uuid.NAMESPACE_OID, p).hex,
                        "principalId": p,
                        "principalType": kind,
                        "resourceId": t.service_principal_id,
                        "appRoleId": "00000000-0000-0000-0000-000000000000",
                    }
                    for p, kind in sorted(t.assignments.items())
                ]
                return listing("assignments", rows, request)

        return Starlette(
            routes=[
                Route("/{tenant}/v2.0/.well-known/openid-configuration", openid),
                Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
                Route("/v1.0/{collection:str}/delta()", delta),
                Route("/v1.0/{collection:str}/delta", delta),
                Route("/v1.0/servicePrincipals/{id}/appRoleAssignedTo", assigned_to),
                Route(
                    "/v1.0/directoryObjects/getAvailableExtensionProperties",
                    extension_properties,
                    methods=["POST"],
                ),
                Route("/v1.0/groups/{id}/members", members),
                Route("/v1.0/users/{id}/{relation:str}", related),
                Route("/v1.0/{collection:str}/{id}", one),
                Route("/v1.0/{collection:str}", collection_list),
            ]
        )


@pytest.fixture
def graph_peer(tmp_path: Path) -> Iterator[GraphPeer]:
    peer = GraphPeer(tmp_path).start()
    try:
        yield peer
    finally:
        peer.stop()


__all__ = ["GraphPeer", "GraphTenant", "graph_peer"]
