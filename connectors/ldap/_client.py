"""The python-ldap side of the ``ldap`` connector: connection, timeouts, paged and pipelined searches, writes,
RFC 4515 / RFC 4514 escaping, and the one place python-ldap exceptions become connector errors.

python-ldap is imported only inside ``connectors.ldap`` (this module and ``_schema``).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import ldap
import ldap.dn
import ldap.filter
from ldap.controls import LDAPControl, SimplePagedResultsControl
from ldap.controls.readentry import PostReadControl

from .._errors import (
    AuthenticationFailed,
    ConnectionFailed,
    ConnectorConfigError,
    ConnectorError,
    ObjectConflict,
    ObjectRejected,
    RetriableConnectorError,
)
from ._settings import LdapSettings

Entry = tuple[str, dict[str, list[bytes]]]
"""(DN, attribute name -> raw values), as python-ldap returns it."""
ModList = list[tuple[int, str, list[bytes] | None]]

PERMISSIVE_MODIFY = "1.2.840.113556.1.4.1413"
"""Adding a present value or deleting an absent one is not an error (OpenLDAP, AD): ADD/REMOVE idempotent."""

_AUTH = (
    ldap.INVALID_CREDENTIALS,
    ldap.INAPPROPRIATE_AUTH,
    ldap.STRONG_AUTH_REQUIRED,
    ldap.CONFIDENTIALITY_REQUIRED,
)
_RETRIABLE = (ldap.TIMEOUT, ldap.TIMELIMIT_EXCEEDED, ldap.BUSY, ldap.UNAVAILABLE, ldap.ADMINLIMIT_EXCEEDED)
_OBJECT_LEVEL = (
    ldap.CONSTRAINT_VIOLATION,
    ldap.OBJECT_CLASS_VIOLATION,
    ldap.INVALID_SYNTAX,
    ldap.UNDEFINED_TYPE,
    ldap.NAMING_VIOLATION,
    ldap.NOT_ALLOWED_ON_NONLEAF,
    ldap.NOT_ALLOWED_ON_RDN,
    ldap.INVALID_DN_SYNTAX,
    ldap.TYPE_OR_VALUE_EXISTS,
    ldap.NO_SUCH_ATTRIBUTE,
    ldap.INAPPROPRIATE_MATCHING,
    ldap.INSUFFICIENT_ACCESS,
    ldap.UNWILLING_TO_PERFORM,
    ldap.NO_SUCH_OBJECT,
    ldap.AFFECTS_MULTIPLE_DSAS,
)


class NoSuchEntry(ObjectRejected):
    """The entry a write names is not there (deleted or renamed behind the connector's back)."""


class NoSuchValue(ObjectRejected):
    """A value to remove is not there (slapd 2.5 ignores permissive modify for absent values)."""


def _describe(exc: ldap.LDAPError) -> str:
    details = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    parts = [str(details.get("desc") or type(exc).__name__), str(details.get("info") or "")]
    return ": ".join(part for part in parts if part)


@contextmanager
def map_ldap_errors(url: str, subject: str | None = None) -> Iterator[None]:
    """Turn python-ldap exceptions into connector errors classified by what the engine must do (STYLE 20);
    ``subject`` (the DN written) prefixes the message of an error about one object."""
    try:
        yield
    except ldap.LDAPError as exc:
        raise _classify(exc, url, subject) from exc


def _classify(exc: ldap.LDAPError, url: str, subject: str | None = None) -> ConnectorError:
    text = _describe(exc)
    about = f"{subject}: {text}" if subject else text
    label = "ldap"
    if isinstance(exc, ldap.ALREADY_EXISTS):
        return ObjectConflict(about, connector=label)
    if isinstance(exc, ldap.NO_SUCH_OBJECT):
        return NoSuchEntry(about, connector=label)
    if isinstance(exc, ldap.NO_SUCH_ATTRIBUTE):
        return NoSuchValue(about, connector=label)
    if isinstance(exc, _OBJECT_LEVEL):
        return ObjectRejected(about, connector=label)
    if isinstance(exc, _AUTH):
        return AuthenticationFailed(
            f"the LDAP server at {url} refused the bind: {text}; check bindDn and password", connector=label
        )
    if isinstance(exc, ldap.SERVER_DOWN | ldap.CONNECT_ERROR):
        return ConnectionFailed(
            f"cannot reach the LDAP server at {url}: {text}; check url, startTls and caFile", connector=label
        )
    if isinstance(exc, _RETRIABLE):
        return RetriableConnectorError(f"the LDAP server at {url} is busy or slow: {text}", connector=label)
    if isinstance(exc, ldap.SIZELIMIT_EXCEEDED):
        return ConnectorError(
            f"the LDAP server cut a search short at its size limit ({text}); raise olcSizeLimit (or the bind "
            "DN's limits) to unlimited for paged searches",
            connector=label,
        )
    if isinstance(exc, ldap.FILTER_ERROR):
        return ConnectorConfigError(
            f"the LDAP server rejected a search filter: {text}", setting="objects.*.filter"
        )
    return ConnectorError(f"LDAP operation failed: {text}", connector=label)


def escape_filter_value(value: str) -> str:
    """RFC 4515: ``*)(uid=*`` becomes ``\\2a\\29\\28uid=\\2a``, so a value never changes a filter's shape."""
    return str(ldap.filter.escape_filter_chars(value))


def equality_filter(attribute: str, value: str) -> str:
    return f"({attribute}={escape_filter_value(value)})"


def child_dn(rdn_attribute: str, value: str, parent: str) -> str:
    """RFC 4514: the DN ``<rdn_attribute>=<value escaped>,<parent>``."""
    return f"{rdn_attribute}={ldap.dn.escape_dn_chars(value)},{parent}"


def rdn_of(dn: str) -> tuple[str, str]:
    """The (attribute, value) of a DN's first RDN (its first AVA when multi-valued), unescaped."""
    attribute, value, _ = ldap.dn.str2dn(dn)[0][0]
    return str(attribute), str(value)


def is_dn(text: str) -> bool:
    return bool(text) and bool(ldap.dn.is_dn(text))


def normalize_dn(dn: str) -> str:
    """A cache key for a DN: attribute types and values lower-cased, spacing and escaping canonical."""
    try:
        return str(
            ldap.dn.dn2str([[(a.lower(), v.lower(), f) for a, v, f in rdn] for rdn in ldap.dn.str2dn(dn)])
        )
    except ldap.DECODING_ERROR:
        return dn.lower()


class LdapClient:
    """One bound connection, opened on first use."""

    def __init__(self, settings: LdapSettings) -> None:
        self.settings = settings
        self._conn: Any = None

    @property
    def conn(self) -> Any:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _connect(self) -> Any:
        try:
            return self._open()
        except RetriableConnectorError as exc:
            # no answer to StartTLS or the bind within timeoutSeconds: the server is not usable at all
            raise ConnectionFailed(
                f"the LDAP server at {self.settings.url} did not answer within {self.settings.timeout:g} s "
                "(timeoutSeconds)",
                connector="ldap",
            ) from exc

    def _open(self) -> Any:
        s = self.settings
        with map_ldap_errors(s.url):
            conn = ldap.initialize(s.url, bytes_mode=False)
            conn.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
            conn.set_option(ldap.OPT_REFERRALS, 0)
            conn.set_option(ldap.OPT_NETWORK_TIMEOUT, s.timeout)
            conn.set_option(ldap.OPT_TIMEOUT, s.timeout)
            conn.timeout = s.timeout  # python-ldap's own wait in result3(); -1 (forever) by default
            if s.ca_file is not None:
                conn.set_option(ldap.OPT_X_TLS_CACERTFILE, str(s.ca_file))
                conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
            if s.start_tls:
                conn.start_tls_s()
            conn.simple_bind_s(s.bind_dn, s.password)
        return conn

    @contextmanager
    def _errors(self, subject: str | None = None) -> Iterator[None]:
        """``map_ldap_errors``, and a connection that failed as a whole is dropped: the next call (the next
        cycle of a daemon) connects again instead of failing on a dead socket forever."""
        try:
            with map_ldap_errors(self.settings.url, subject):
                yield
        except (ConnectionFailed, RetriableConnectorError):
            self.close()
            raise

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            # the connection is being dropped either way: a failed unbind changes nothing for the caller
            with suppress(ldap.LDAPError):
                conn.unbind_s()

    def paged_search(
        self,
        base: str,
        filterstr: str,
        attrs: Sequence[str],
        page_size: int,
        base_setting: str = "baseDn",
        *,
        ahead: bool = False,
    ) -> Generator[list[Entry], None, None]:
        """Pages of a subtree search (RFC 2696); the server's size limit is an error, not a short read, and
        a missing ``base`` a config error naming ``base_setting``.

        Pages are requested one after the other. Nothing else may use this connection meanwhile (see
        ``LdapConnector._entry_pages``). ``ahead``: each page's successor is requested (with the cookie the
        page came with) before the page is handed over, so the server prepares it while the caller converts
        this one -- for a connection that serves this search alone, as a request stays outstanding between
        pages (abandoned if the caller stops early).
        """
        attrlist = list(attrs)
        pending: int | None = self._request_page(base, filterstr, attrlist, page_size, b"")
        try:
            while pending is not None:
                try:
                    entries, controls = self._whole_result(pending)
                except NoSuchEntry as exc:
                    message = f"no entry {base!r} on {self.settings.url} to search under"
                    raise ConnectorConfigError(message, setting=base_setting) from exc
                pending = None
                ctype = SimplePagedResultsControl.controlType
                cookies = [c.cookie for c in controls if c.controlType == ctype]
                following = cookies[0] if cookies and cookies[0] else None
                if following is not None and ahead:
                    pending = self._request_page(base, filterstr, attrlist, page_size, following)
                yield [entry for entry in entries if entry[0] is not None]  # drop referrals
                if following is not None and pending is None:
                    pending = self._request_page(base, filterstr, attrlist, page_size, following)
        finally:
            if pending is not None:  # stopped early with a page asked for: the server may drop it
                with suppress(ldap.LDAPError):
                    self.conn.abandon_ext(pending)

    def _whole_result(self, msgid: int) -> tuple[list[Entry], list[Any]]:
        """All entries of one search and its final controls (result3 may hand over entries before the
        SearchResultDone: keep collecting until it comes)."""
        entries: list[Entry] = []
        with self._errors():
            while True:
                rtype, data, _, controls = self.conn.result3(msgid)
                entries.extend(data)
                if rtype == ldap.RES_SEARCH_RESULT:
                    return entries, controls

    def _request_page(self, base: str, filterstr: str, attrs: list[str], size: int, cookie: bytes) -> int:
        control = SimplePagedResultsControl(True, size=size, cookie=cookie)
        with self._errors():
            msgid: int = self.conn.search_ext(
                base, ldap.SCOPE_SUBTREE, filterstr, attrs, serverctrls=[control]
            )
        return msgid

    def search_many(self, requests: Sequence[tuple[str, int, str, Sequence[str]]]) -> list[list[Entry]]:
        """Several searches sent at once and collected in order (one round trip's latency, not N)."""
        with self._errors():
            msgids = [
                self.conn.search_ext(base, scope, flt, list(attrs)) for base, scope, flt, attrs in requests
            ]
            return [self._collect(msgid) for msgid in msgids]

    def _collect(self, msgid: int) -> list[Entry]:
        try:
            _, entries, _, _ = self.conn.result3(msgid)
        except ldap.NO_SUCH_OBJECT:
            return []
        return [entry for entry in entries if entry[0] is not None]

    def base_entry(self, dn: str, attrs: Sequence[str]) -> dict[str, list[bytes]] | None:
        found = self.search_many([(dn, ldap.SCOPE_BASE, "(objectClass=*)", attrs)])[0]
        return found[0][1] if found else None

    def add(
        self, dn: str, attributes: list[tuple[str, list[bytes]]], read_back: Sequence[str]
    ) -> dict[str, list[bytes]]:
        """Add an entry; returns ``read_back`` attributes of the new entry (RFC 4527 post-read control)."""
        with self._errors(dn):
            _, _, _, controls = self.conn.add_ext_s(
                dn, attributes, serverctrls=[PostReadControl(True, list(read_back))]
            )
        for control in controls:
            if isinstance(control, PostReadControl) and control.entry:
                return dict(control.entry)
        return self.base_entry(dn, read_back) or {}

    def modify(self, dn: str, modlist: ModList) -> None:
        if modlist:
            with self._errors(dn):
                self.conn.modify_ext_s(dn, modlist, serverctrls=[LDAPControl(PERMISSIVE_MODIFY, False)])

    def rename(self, dn: str, rdn_attribute: str, value: str) -> str:
        """modrdn to a new naming value (old value removed); returns the new DN."""
        new_rdn = f"{rdn_attribute}={ldap.dn.escape_dn_chars(value)}"
        parent = str(ldap.dn.dn2str(ldap.dn.str2dn(dn)[1:]))
        with self._errors(dn):
            self.conn.rename_s(dn, new_rdn, delold=1)
        return f"{new_rdn},{parent}"

    def delete(self, dn: str) -> None:
        with self._errors(dn):
            self.conn.delete_s(dn)

    def naming_contexts(self) -> list[str]:
        root = self.base_entry("", ["namingContexts"]) or {}
        return [raw.decode() for raw in root.get("namingContexts", [])]

    def subschema_entry(self) -> dict[str, list[bytes]]:
        """The raw subschema subentry (attributeTypes, objectClasses...)."""
        with self._errors():
            dn = self.conn.search_subschemasubentry_s()
            if dn is None:
                raise ConnectorError("the LDAP server publishes no subschema subentry", connector="ldap")
            entry = self.conn.read_subschemasubentry_s(dn)
        return dict(entry or {})


SCOPE_BASE = ldap.SCOPE_BASE
SCOPE_SUBTREE = ldap.SCOPE_SUBTREE
MOD_ADD = ldap.MOD_ADD
MOD_DELETE = ldap.MOD_DELETE
MOD_REPLACE = ldap.MOD_REPLACE
