"""End to end: an HR feed (CSV) into a slapd directory with the csv-to-ldap template
(examples/csv-to-ldap/job.yaml and its hr.csv): the initial cycle, then a changed surname, a leaver, a removed
row and a new hire, each checked in LDAP after an incremental cycle. (The template maps ``uid`` with flowType
ObjectAddOnly, as Entra does for login names, so a changed surname does not rename the entry; the connector's
modrdn is tested in tests/connectors/test_ldap.py.)"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import ldap
import pytest

from tests.peers.slapd import LdapSubtree

from ._jobs import cycle, example_engine, ldap_client, ldap_env

pytestmark = pytest.mark.peer


def entries(tree: LdapSubtree) -> dict[str, dict[str, list[str]]]:
    """uid -> attributes of the people in LDAP (DNs given as ``dn``)."""
    client = ldap_client(tree)
    try:
        found = client.search_s(f"ou=people,{tree.dn}", ldap.SCOPE_ONELEVEL, "(objectClass=inetOrgPerson)")
    finally:
        client.unbind_s()
    people = {}
    for dn, attrs in found:
        values = {k: [v.decode() for v in vs] for k, vs in attrs.items()}
        people[values["uid"][0]] = {**values, "dn": [dn]}
    return people


def edit_feed(folder: Path, change: Any) -> None:
    """Rewrite hr.csv with ``change(rows)`` applied (rows: list of dicts)."""
    path = folder / "hr.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    rows = change(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(fields or []))
        writer.writeheader()
        writer.writerows(rows)


def test_csv_to_ldap(ldap_subtree: LdapSubtree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sync = example_engine("csv-to-ldap", tmp_path, monkeypatch, ldap_env(ldap_subtree))
    folder = tmp_path / "csv-to-ldap"
    people = f"ou=people,{ldap_subtree.dn}"

    cycle(sync, full=True)
    found = entries(ldap_subtree)
    assert sorted(found) == ["ann.smith", "bob.jones", "zoe.angstrom"]  # E004 is not Active: out of scope
    bob = found["bob.jones"]
    assert bob["dn"] == [f"uid=bob.jones,{people}"]
    assert bob["cn"] == ["Bob Jones"] and bob["givenName"] == ["Bob"] and bob["employeeNumber"] == ["E002"]
    assert bob["manager"] == [f"uid=ann.smith,{people}"]
    assert found["zoe.angstrom"]["sn"] == ["Ångström"]  # NormalizeDiacritics only shapes the uid

    def new_surname(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for row in rows:
            if row["employeeId"] == "E002":
                row["lastName"] = "Jones-Hall"
        return rows

    edit_feed(folder, new_surname)
    cycle(sync)
    found = entries(ldap_subtree)
    assert sorted(found) == ["ann.smith", "bob.jones", "zoe.angstrom"]
    assert found["bob.jones"]["sn"] == ["Jones-Hall"] and found["bob.jones"]["cn"] == ["Bob Jones-Hall"]

    def ann_leaves(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for row in rows:
            if row["employeeId"] == "E001":
                row["status"] = "Terminated"
        return [row for row in rows if row["employeeId"] != "E003"]

    edit_feed(folder, ann_leaves)
    cycle(sync)
    assert sorted(entries(ldap_subtree)) == ["bob.jones"]  # no soft delete in LDAP: leavers are deleted

    def hire(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        new = dict(rows[0], employeeId="E005", firstName="Dan", lastName="New", email="dan.new@example.com")
        return [*rows, {**new, "managerId": "E002", "status": "Active"}]

    edit_feed(folder, hire)
    cycle(sync)
    found = entries(ldap_subtree)
    assert sorted(found) == ["bob.jones", "dan.new"]
    assert found["dan.new"]["manager"] == [f"uid=bob.jones,{people}"]
    assert cycle(sync).exported == 0, "an unchanged feed writes nothing"
