"""LDAP scenario: ``ldap_read`` — a full read of the users through the ldap connector vs
python-ldap's own paged search, against the same slapd, in the same run.

slapd is started as the test suite starts it (tests/peers/slapd.py) with the benchmark generator's LDIF
(``write_ldif``: inetOrgPerson users with a ``manager`` DN each, under ``ou=people,dc=contoso,dc=example``)
bulk-loaded offline by ``slapadd -q``.

* **ours**: ``LdapConnector.read("User")`` to the end (a new connector each run: bind, schema, signpost,
  pages of 1,000 turned into ``DirectoryObject`` values, managers turned from DNs into entryUUIDs);
* **baseline**: python-ldap's ``SimplePagedResultsControl`` loop (the reference recipe,
  peers/python_ldap_bench.py) asking for the same attributes, pages of 1,000, raw bytes only.

Runs alternate (baseline, ours, ...) and the best of each is kept, so drift on a shared machine hits both
alike. Both must see every user. Target: our rate >= 50% of the baseline's, i.e. ``ratio`` (our seconds /
baseline seconds) <= 2.0.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from connectors import ConnectorContext, create_connector

from ._formats import BASE_DN
from ._harness import Measurement, Scenario
from .generator import DirectorySpec, write_ldif

PAGE = 1000
ATTRIBUTES = ["*", "entryUUID", "entryCSN", "createTimestamp", "modifyTimestamp", "memberOf"]
"""What the connector asks for (connectors/ldap/_connector.py ``_attributes_to_read``)."""


class _Store:
    """An empty connector data store (a first, full read)."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def get_many(self, keys: Any) -> dict[str, str]:
        return {}

    def keys(self) -> Any:
        return iter(())

    def count(self) -> int:
        return 0


def _ours(server: Any) -> tuple[float, int]:
    settings = {
        "url": server.url,
        "bindDn": server.bind_dn,
        "password": server.password,
        "baseDn": BASE_DN,
        "objects": {"User": {"baseDn": f"ou=people,{BASE_DN}", "objectClass": "inetOrgPerson"}},
    }
    started = time.perf_counter()
    with create_connector("ldap", settings, ConnectorContext("LDAP")) as connector:
        count = sum(len(page.objects) for page in connector.read("User", page_size=PAGE, store=_Store()))
    return time.perf_counter() - started, count


def _baseline(server: Any) -> tuple[float, int]:
    import ldap  # here, outside the clock: `python -m benchmarks list` needs no python-ldap
    from ldap.controls import SimplePagedResultsControl

    started = time.perf_counter()
    conn = ldap.initialize(server.url)
    conn.simple_bind_s(server.bind_dn, server.password)
    control = SimplePagedResultsControl(True, size=PAGE, cookie=b"")
    count = 0
    while True:
        msgid = conn.search_ext(
            f"ou=people,{BASE_DN}", ldap.SCOPE_SUBTREE, "(objectClass=inetOrgPerson)", ATTRIBUTES,
            serverctrls=[control],
        )  # fmt: skip
        _, entries, _, controls = conn.result3(msgid)
        count += len(entries)
        cookies = [c.cookie for c in controls if c.controlType == SimplePagedResultsControl.controlType]
        if not cookies or not cookies[0]:
            break
        control.cookie = cookies[0]
    conn.unbind_s()
    return time.perf_counter() - started, count


def run_ldap_read(quick: bool) -> Measurement:
    try:
        from tests.peers.slapd import SlapdServer, slapd_available
    except ImportError as exc:  # the benchmark reuses the suite's peer: run it from the repository root
        raise RuntimeError(
            "ldap_read needs tests/peers/slapd.py: run `python -m benchmarks` from the repo"
        ) from exc
    reason = slapd_available()
    if reason:
        raise RuntimeError(f"ldap_read needs slapd: {reason}")
    users, rounds = (2000, 3) if quick else (10_000, 5)
    with tempfile.TemporaryDirectory() as folder:
        ldif = write_ldif(DirectorySpec(users=users, groups=0), Path(folder) / "directory.ldif").read_text()
    ours: list[float] = []
    baseline: list[float] = []
    with SlapdServer(base_dn=BASE_DN, ldif=ldif) as server:
        _baseline(server)  # warm-up, untimed: slapd's entry cache fills on the first read
        for _ in range(rounds):
            for side, run in ((baseline, _baseline), (ours, _ours)):
                seconds, count = run(server)
                if count != users:
                    raise RuntimeError(f"ldap_read: a read saw {count} users, not {users}")
                side.append(seconds)
    notes = (
        f"{users} users (manager DNs resolved to ids) x best of {rounds}, pages of {PAGE}, slapd 2.5 mdb; "
        f"ours {users / min(ours):.0f}/s, python-ldap paged search {users / min(baseline):.0f}/s"
    )
    return Measurement(users, min(ours), min(baseline), notes)


SCENARIOS = [
    Scenario(
        name="ldap_read",
        description="full read of the users through the ldap connector vs python-ldap's paged search",
        run=run_ldap_read,
        target="ratio <= 2.0 (>= 50% of python-ldap's paged-search rate)",
        tags=("connectors", "ldap"),
    )
]
