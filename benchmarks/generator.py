"""A deterministic generator of realistic Entra-like directories, for the benchmarks and their tests.

    spec = DirectorySpec(users=100_000, groups=2_000, seed=7)
    write_json(spec, "source.json")        # the json connector's {"User": [...], "Group": [...]}
    write_sqlite(spec, "source.db")        # the sql connector's tables "users" / "groups" (+ updated_at)
    write_csv(spec, "users.csv")           # an HR-style feed of the users
    write_ldif(spec, "directory.ldif")     # inetOrgPerson / groupOfNames entries for slapd
    touch_users_sqlite(spec, "source.db", changed_user_indexes(spec, 1000), version=1, changed_at=...)

Every object is a pure function of ``(seed, index)`` (see ``_people``), so the same spec gives byte-identical
files, writing streams one record at a time (a million users never sit in memory together), and the
incremental scenarios can rebuild and edit just the users they change. Also runnable:
``python -m benchmarks.generator --users 10000 --format json out.json``.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import _formats
from ._people import Record, group_members, group_record, manager_index, user_record

__all__ = [
    "CHANGE_COLUMN",
    "INITIAL_CHANGED_AT",
    "DirectorySpec",
    "Record",
    "change_stamp",
    "changed_user_indexes",
    "iter_groups",
    "iter_users",
    "main",
    "now_stamp",
    "touch_users_sqlite",
    "write_csv",
    "write_json",
    "write_ldif",
    "write_sqlite",
]

CHANGE_COLUMN = _formats.CHANGE_COLUMN
INITIAL_CHANGED_AT = "2000-01-01T00:00:00Z"
"""The first row's change time; each following row is a second later (distinct, realistic cursors, all in
the past so no watermark signpost hides them)."""


@dataclass(frozen=True, slots=True)
class DirectorySpec:
    """What to generate: ``users`` users, ``groups`` groups (default: one per 50 users), from ``seed``."""

    users: int
    groups: int | None = None
    seed: int = 1

    @property
    def group_count(self) -> int:
        return self.users // 50 if self.groups is None else self.groups


def iter_users(spec: DirectorySpec, version: int = 0) -> Iterator[Record]:
    return (user_record(spec.seed, index, version) for index in range(spec.users))


def iter_groups(spec: DirectorySpec) -> Iterator[Record]:
    return (group_record(spec.seed, index, spec.users) for index in range(spec.group_count))


def write_json(spec: DirectorySpec, path: str | Path) -> Path:
    target = Path(path)
    with target.open("w", encoding="utf-8", newline="\n") as out:
        _formats.write_json(out, [("User", iter_users(spec)), ("Group", iter_groups(spec))])
    return target


def write_sqlite(spec: DirectorySpec, path: str | Path, start: str = INITIAL_CHANGED_AT) -> Path:
    """A fresh SQLite file with tables ``users`` and ``groups`` (anchor ``id``, indexed ``updated_at``;
    row ``n`` changed ``n`` seconds after ``start``)."""
    target = Path(path)
    target.unlink(missing_ok=True)
    stamps = _stamps(start)
    connection = sqlite3.connect(target)
    try:
        with connection:
            _formats.create_tables(connection)
            _formats.upsert_rows(connection, "User", iter_users(spec), stamps)
            _formats.upsert_rows(connection, "Group", iter_groups(spec), stamps)
    finally:
        connection.close()
    return target


def _stamps(start: str) -> Iterator[str]:
    return (_stamp(start, n) for n in itertools.count())


def _stamp(start: str, seconds: int) -> str:
    first = datetime.fromisoformat(start.replace("Z", "+00:00"))
    return (first + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def change_stamp(spec: DirectorySpec, round_number: int, start: str = INITIAL_CHANGED_AT) -> str:
    """The change time of edit round ``round_number`` (>= 1): after every row ``write_sqlite`` stamped and
    after every earlier round, so each round's edits are exactly the rows at or after its stamp."""
    return _stamp(start, spec.users + spec.group_count + round_number)


def now_stamp() -> str:
    """The current UTC time in the change column's format (for edits made now)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_csv(spec: DirectorySpec, path: str | Path) -> Path:
    target = Path(path)
    with target.open("w", encoding="utf-8", newline="") as out:
        _formats.write_csv(out, iter_users(spec))
    return target


def write_ldif(spec: DirectorySpec, path: str | Path) -> Path:
    """LDIF for slapd: ou=people / ou=groups under dc=contoso,dc=example; manager and members as DNs."""
    target = Path(path)
    with target.open("w", encoding="utf-8", newline="\n") as out:
        out.write(_formats.ldif_containers())
        for index, record in enumerate(iter_users(spec)):
            manager = manager_index(spec.seed, index)
            out.write(_formats.ldif_user(record, None if manager is None else _employee_dn(manager)))
        for index, record in enumerate(iter_groups(spec)):
            members = [_employee_dn(m) for m in group_members(spec.seed, index, spec.users)]
            out.write(_formats.ldif_group(record, index, members))
    return target


def _employee_dn(index: int) -> str:
    return _formats.user_dn(f"E{index:08d}")


def changed_user_indexes(spec: DirectorySpec, count: int, round_number: int = 1) -> list[int]:
    """``count`` distinct user indexes to edit in round ``round_number`` (deterministic, sorted)."""
    rng = random.Random(f"{spec.seed}:changes:{round_number}")
    return sorted(rng.sample(range(spec.users), min(count, spec.users)))


def touch_users_sqlite(
    spec: DirectorySpec, path: str | Path, indexes: Sequence[int], *, version: int, changed_at: str
) -> int:
    """Rewrite the given users as their ``version`` edit (new title, department, phone), stamping
    ``updated_at`` with ``changed_at`` so an incremental read finds exactly them."""
    connection = sqlite3.connect(Path(path))
    try:
        with connection:
            records = (user_record(spec.seed, index, version) for index in indexes)
            return _formats.upsert_rows(connection, "User", records, itertools.repeat(changed_at))
    finally:
        connection.close()


_WRITERS = {"json": write_json, "sqlite": write_sqlite, "csv": write_csv, "ldif": write_ldif}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.generator", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--groups", type=int, default=None, help="default: one per 50 users")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--format", choices=sorted(_WRITERS), default="json")
    parser.add_argument("output", type=Path)
    args = parser.parse_args(argv)
    if args.users < 0 or (args.groups is not None and args.groups < 0):
        parser.error("--users and --groups must not be negative")
    spec = DirectorySpec(users=args.users, groups=args.groups, seed=args.seed)
    _WRITERS[args.format](spec, args.output)
    print(f"wrote {spec.users} users and {spec.group_count} groups to {args.output} ({args.format})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
