"""The benchmark generator: deterministic, realistic, streaming."""

from __future__ import annotations

import base64
import json
import sqlite3
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import generator
from benchmarks._people import ascii_fold, group_members, manager_index
from benchmarks.generator import DirectorySpec

SPEC = DirectorySpec(users=600, groups=20, seed=11)


def _document(path: Path) -> dict[str, list[dict[str, object]]]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_same_seed_gives_the_same_bytes_in_every_format(tmp_path: Path) -> None:
    for name, writer in (
        ("json", generator.write_json),
        ("csv", generator.write_csv),
        ("ldif", generator.write_ldif),
    ):
        first = writer(SPEC, tmp_path / f"a.{name}").read_bytes()
        second = writer(SPEC, tmp_path / f"b.{name}").read_bytes()
        other = writer(DirectorySpec(users=600, groups=20, seed=12), tmp_path / f"c.{name}").read_bytes()
        assert first == second, name
        assert first != other, name


def test_sqlite_tables_are_identical_for_the_same_seed(tmp_path: Path) -> None:
    dumps = []
    for name in ("a.db", "b.db"):
        connection = sqlite3.connect(generator.write_sqlite(SPEC, tmp_path / name))
        dumps.append("\n".join(connection.iterdump()))
        connection.close()
    assert dumps[0] == dumps[1]
    assert "CREATE INDEX" in dumps[0] and generator.CHANGE_COLUMN in dumps[0]


def test_manager_tree_has_no_cycles_and_points_at_existing_users(tmp_path: Path) -> None:
    users = _document(generator.write_json(SPEC, tmp_path / "d.json"))["User"]
    managers = {u["id"]: u["manager"] for u in users}
    roots = 0
    for start in managers:
        seen: set[object] = set()
        current: object = start
        while current is not None:
            assert current in managers, f"manager {current} is not a user"
            assert current not in seen, f"cycle through {current}"
            seen.add(current)
            current = managers[current]
        roots += managers[start] is None
    assert roots == 1
    assert len({m for m in managers.values() if m}) > 10  # a tree, not a star


def test_group_members_are_existing_users(tmp_path: Path) -> None:
    document = _document(generator.write_json(SPEC, tmp_path / "d.json"))
    user_ids = {u["id"] for u in document["User"]}
    groups = document["Group"]
    assert len(groups) == 20
    members = [m for g in groups for m in g["members"]]
    assert members and set(members) <= user_ids
    assert all(len(g["members"]) == len(set(g["members"])) for g in groups)


def test_users_look_like_entra_users(tmp_path: Path) -> None:
    users = _document(generator.write_json(SPEC, tmp_path / "d.json"))["User"]
    assert any(not u["displayName"].isascii() for u in users), "diacritics expected in names"
    assert all(u["userPrincipalName"].isascii() and u["mail"].isascii() for u in users)
    assert len({u["userPrincipalName"] for u in users}) == len(users)
    assert all(isinstance(u["proxyAddresses"], list) and len(u["proxyAddresses"]) >= 2 for u in users)
    disabled = sum(1 for u in users if u["accountEnabled"] is False)
    soft_deleted = sum(1 for u in users if u["deletedDateTime"] is not None)
    assert 0 < disabled < len(users) // 10 and 0 < soft_deleted < len(users) // 10
    assert len({u["department"] for u in users}) > 5 and len({u["jobTitle"] for u in users}) > 5


def test_json_output_loads_through_the_json_connector(tmp_path: Path) -> None:
    from connectors import ConnectorContext, create_connector

    path = generator.write_json(SPEC, tmp_path / "d.json")
    connector = create_connector("json", {"path": str(path)}, ConnectorContext("Azure Active Directory"))
    objects = [o for page in connector.read("User") for o in page.objects]
    assert len(objects) == SPEC.users
    assert objects[0].attributes["proxyAddresses"]


def test_ascii_fold_handles_letters_nfkd_keeps() -> None:
    assert ascii_fold("Łukasz Østergaard Weiß Dvořák Nguyễn") == "Lukasz Ostergaard Weiss Dvorak Nguyen"


def test_ldif_encodes_non_ascii_values_in_base64(tmp_path: Path) -> None:
    text = generator.write_ldif(SPEC, tmp_path / "d.ldif").read_text(encoding="utf-8")
    assert text.isascii()
    encoded = [line.split(":: ", 1)[1] for line in text.splitlines() if ":: " in line]
    assert any(not base64.b64decode(value).decode().isascii() for value in encoded)
    assert text.count("objectClass: inetOrgPerson") == SPEC.users
    assert text.count("objectClass: groupOfNames") == SPEC.group_count


def test_csv_has_a_row_per_user_with_joined_multi_values(tmp_path: Path) -> None:
    lines = generator.write_csv(SPEC, tmp_path / "d.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("id,userPrincipalName") and len(lines) == SPEC.users + 1
    assert "SMTP:" in lines[1] and ";smtp:" in lines[1]


def test_touch_users_changes_exactly_those_rows(tmp_path: Path) -> None:
    path = generator.write_sqlite(SPEC, tmp_path / "d.db")
    indexes = generator.changed_user_indexes(SPEC, 15)
    assert len(set(indexes)) == 15
    generator.touch_users_sqlite(SPEC, path, indexes, version=1, changed_at="2026-03-01T00:00:00Z")
    connection = sqlite3.connect(path)
    changed = connection.execute(
        "SELECT employeeId, jobTitle FROM users WHERE updated_at >= ?", ("2026-03-01T00:00:00Z",)
    ).fetchall()
    total = connection.execute("SELECT count(*) FROM users").fetchone()[0]
    connection.close()
    assert sorted(int(e[1:]) for e, _ in changed) == indexes
    assert total == SPEC.users


def _peak_bytes(users: int, path: Path) -> int:
    tracemalloc.start()
    try:
        # Groups hold member lists (capped at 5,000 ids), so only users are counted here.
        generator.write_json(DirectorySpec(users=users, groups=0, seed=5), path)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_writing_streams_memory_does_not_grow_with_the_size(tmp_path: Path) -> None:
    small = _peak_bytes(1_000, tmp_path / "small.json")
    large = _peak_bytes(8_000, tmp_path / "large.json")
    # Eight times the users: a writer holding every record would need about eight times the memory.
    assert large < 2 * small, (small, large)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10**6), index=st.integers(0, 10**6), users=st.integers(1, 10**6))
def test_managers_have_lower_indexes_and_members_are_in_range(seed: int, index: int, users: int) -> None:
    manager = manager_index(seed, index)
    assert (manager is None) == (index == 0)
    assert manager is None or 0 <= manager < index
    members = group_members(seed, index, users)
    assert members == sorted(set(members)) and all(0 <= m < users for m in members)


def test_command_line_writes_the_chosen_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "feed.csv"
    assert generator.main(["--users", "40", "--seed", "3", "--format", "csv", str(out)]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 41
    assert "wrote 40 users" in capsys.readouterr().out


def test_command_line_refuses_negative_sizes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        generator.main(["--users", "-5", str(tmp_path / "x.json")])
    assert stopped.value.code == 2
    assert "--users and --groups must not be negative" in capsys.readouterr().err
