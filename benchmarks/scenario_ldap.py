"""LDAP scenario: ``ldap_read`` — a full read of the users through the ldap connector vs
python-ldap's own paged search, against the same slapd, in the same run.

slapd is started as the test suite starts it (tests/peers/slapd.py) with the benchmark generator's LDIF
(``write_ldif``: inetOrgPerson users with a ``manager`` DN each, under ``ou=people,dc=contoso,dc=example``)
bulk-loaded offline by ``slapadd -q``.

* **ours**: ``LdapConnector.read("User")`` to the end (a new connector each run: bind, schema, signpost,
  pages of 1,000 turned into ``DirectoryObject`` values, managers turned from DNs into entryUUIDs);
* **baseline**: python-ldap's ``SimplePagedResultsControl`` loop (the reference recipe,
  peers/python_ldap_bench.py) asking for the same attributes, pages of 1,000, raw bytes only.

Runs alternate (baseline, ours, ...) so drift on a shared machine hits both alike; both must see every
user. Two statistics are reported, each labelled: ``ratio`` (the harness's row) is the best of our runs
over the best of the baseline's, and the notes give the median of the per-round ratios (ours / the
baseline run just before it) and the same two for the CPU time of the reading process
(``time.process_time``: slapd's own CPU is in neither). Target (issue 16): ratio <= 1.5, the median of
>= 5 alternating rounds.

``python -m benchmarks.scenario_ldap [--sizes N ...] [--rounds N]`` measures other sizes (default: 10,000
users, 5 rounds; ``python -m benchmarks run --scenario ldap_read`` runs the default).
"""

from __future__ import annotations

import argparse
import statistics
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


def _ours(server: Any) -> tuple[float, float, int]:
    settings = {
        "url": server.url,
        "bindDn": server.bind_dn,
        "password": server.password,
        "baseDn": BASE_DN,
        "objects": {"User": {"baseDn": f"ou=people,{BASE_DN}", "objectClass": "inetOrgPerson"}},
    }
    started, cpu = time.perf_counter(), time.process_time()
    with create_connector("ldap", settings, ConnectorContext("LDAP")) as connector:
        count = sum(len(page.objects) for page in connector.read("User", page_size=PAGE, store=_Store()))
    return time.perf_counter() - started, time.process_time() - cpu, count


def _baseline(server: Any) -> tuple[float, float, int]:
    import ldap  # here, outside the clock: `python -m benchmarks list` needs no python-ldap
    from ldap.controls import SimplePagedResultsControl

    started, cpu = time.perf_counter(), time.process_time()
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
    return time.perf_counter() - started, time.process_time() - cpu, count


def measure_ldap_read(users: int, rounds: int) -> Measurement:
    """``rounds`` alternating rounds (baseline, then ours) over ``users`` users."""
    try:
        from tests.peers.slapd import SlapdServer, slapd_available
    except ImportError as exc:  # the benchmark reuses the suite's peer: run it from the repository root
        raise RuntimeError(
            "ldap_read needs tests/peers/slapd.py: run `python -m benchmarks` from the repo"
        ) from exc
    reason = slapd_available()
    if reason:
        raise RuntimeError(f"ldap_read needs slapd: {reason}")
    with tempfile.TemporaryDirectory() as folder:
        ldif = write_ldif(DirectorySpec(users=users, groups=0), Path(folder) / "directory.ldif").read_text()
    ours: list[tuple[float, float]] = []
    baseline: list[tuple[float, float]] = []
    with SlapdServer(base_dn=BASE_DN, ldif=ldif) as server:
        _baseline(server)  # warm-up, untimed: slapd's entry cache fills on the first read
        for _ in range(rounds):
            for side, run in ((baseline, _baseline), (ours, _ours)):
                seconds, cpu, count = run(server)
                if count != users:
                    raise RuntimeError(f"ldap_read: a read saw {count} users, not {users}")
                side.append((seconds, cpu))
    best, best_baseline = min(w for w, _ in ours), min(w for w, _ in baseline)
    wall = statistics.median(o / b for (o, _), (b, _) in zip(ours, baseline, strict=True))
    cpu = statistics.median(o / b for (_, o), (_, b) in zip(ours, baseline, strict=True))
    notes = (
        f"{users} users (manager DNs resolved to ids), {rounds} alternating rounds, pages of {PAGE}, "
        f"slapd 2.5 mdb; wall: ratio of the bests {best / best_baseline:.2f}x, median of the per-round "
        f"ratios {wall:.2f}x; CPU of the reading process: ratio of the bests "
        f"{min(c for _, c in ours) / min(c for _, c in baseline):.2f}x, median of the per-round ratios "
        f"{cpu:.2f}x; ours {users / best:.0f}/s, python-ldap paged search {users / best_baseline:.0f}/s"
    )
    return Measurement(users, best, best_baseline, notes)


def run_ldap_read(quick: bool) -> Measurement:
    return measure_ldap_read(*((2000, 3) if quick else (10_000, 5)))


SCENARIOS = [
    Scenario(
        name="ldap_read",
        description="full read of the users through the ldap connector vs python-ldap's paged search",
        run=run_ldap_read,
        target="ratio <= 1.5, median of >= 5 alternating rounds (see notes; the row's ratio is best-of)",
        tags=("connectors", "ldap"),
    )
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scenario_ldap")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000], metavar="N")
    parser.add_argument("--rounds", type=int, default=5, metavar="N")
    args = parser.parse_args(argv)
    for users in args.sizes:
        measured = measure_ldap_read(users, args.rounds)
        ratio = measured.seconds / (measured.baseline_seconds or measured.seconds)
        print(f"ldap_read {users}: best-of ratio {ratio:.2f}x\n    {measured.notes}", flush=True)


if __name__ == "__main__":
    from engine.cli import tune_collector

    tune_collector()  # as the harness does (python -m benchmarks)
    main()
