"""Streaming writers of generated directories: a JSON document (the ``json`` connector's format), a SQLite
table set (the ``sql`` connector's), a CSV feed and LDIF. Called by ``benchmarks.generator``.

Each writer consumes record iterators and writes as it goes, so memory stays flat whatever the size; output
is byte-identical for the same records (fixed key order, no timestamps taken from the clock).
"""

from __future__ import annotations

import base64
import csv
import json
import sqlite3
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, TextIO

Record = dict[str, Any]

USER_COLUMNS = (
    "id", "userPrincipalName", "mail", "mailNickname", "displayName", "givenName", "surname", "department",
    "jobTitle", "employeeId", "city", "country", "usageLocation", "mobilePhone", "proxyAddresses",
    "accountEnabled", "deletedDateTime", "manager",
)  # fmt: skip
GROUP_COLUMNS = ("id", "displayName", "mailNickname", "description", "securityEnabled", "members")
LIST_COLUMNS = frozenset({"proxyAddresses", "members"})
BOOLEAN_COLUMNS = frozenset({"accountEnabled", "securityEnabled"})
CHANGE_COLUMN = "updated_at"
TABLES = {"User": ("users", USER_COLUMNS), "Group": ("groups", GROUP_COLUMNS)}


def _dump(record: Record) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def write_json(out: TextIO, sections: Iterable[tuple[str, Iterable[Record]]]) -> int:
    """``{"User": [...], "Group": [...]}``, one object per line; returns the number of objects."""
    count = 0
    out.write("{")
    for number, (name, records) in enumerate(sections):
        out.write(f"{',' if number else ''}\n{json.dumps(name)}: [")
        for position, record in enumerate(records):
            out.write(("," if position else "") + "\n" + _dump(record))
            count += 1
        out.write("\n]")
    out.write("\n}\n")
    return count


def _batches(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def sql_value(column: str, value: Any) -> Any:
    """A record value as stored in SQLite: lists as JSON text, Booleans as 0/1, None as NULL."""
    if column in LIST_COLUMNS:
        return json.dumps(value or [], ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, bool):
        return int(value)
    return value


def _column_type(column: str) -> str:
    # Declared types matter: the sql connector reflects them (BOOLEAN cells come back as True / False).
    if column == "id":
        return "TEXT PRIMARY KEY"
    return "BOOLEAN" if column in BOOLEAN_COLUMNS else "TEXT"


def create_tables(connection: sqlite3.Connection) -> None:
    for table, columns in TABLES.values():
        body = ", ".join(f'"{c}" {_column_type(c)}' for c in columns)
        connection.execute(f'CREATE TABLE "{table}" ({body}, "{CHANGE_COLUMN}" TEXT NOT NULL)')
        connection.execute(f'CREATE INDEX "{table}_{CHANGE_COLUMN}" ON "{table}" ("{CHANGE_COLUMN}")')


def upsert_rows(
    connection: sqlite3.Connection, object_type: str, records: Iterable[Record], stamps: Iterable[str]
) -> int:
    """Insert or replace records of ``object_type`` in batches, each stamped with the next change time."""
    table, columns = TABLES[object_type]
    names = ", ".join(f'"{c}"' for c in (*columns, CHANGE_COLUMN))
    marks = ", ".join("?" * (len(columns) + 1))
    statement = f'INSERT OR REPLACE INTO "{table}" ({names}) VALUES ({marks})'
    rows = (
        (*(sql_value(c, r.get(c)) for c in columns), stamp) for r, stamp in zip(records, stamps, strict=False)
    )
    count = 0
    for batch in _batches(rows, 5000):
        connection.executemany(statement, batch)
        count += len(batch)
    return count


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return str(value)


def write_csv(out: TextIO, users: Iterable[Record]) -> int:
    """An HR-style feed of users: a header row, multi-valued cells joined with ``;``."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(USER_COLUMNS)
    count = 0
    for record in users:
        writer.writerow([_csv_cell(record.get(c)) for c in USER_COLUMNS])
        count += 1
    return count


BASE_DN = "dc=contoso,dc=example"


def user_dn(employee_id: str) -> str:
    return f"uid={employee_id},ou=people,{BASE_DN}"


def group_dn(index: int) -> str:
    return f"cn=g{index:06d},ou=groups,{BASE_DN}"


def _ldif_line(name: str, value: str) -> str:
    # RFC 2849: values that are not plain ASCII (or start with a space, colon or '<') go base64-encoded.
    if value.isascii() and value.isprintable() and not value.startswith((" ", ":", "<")):
        return f"{name}: {value}\n"
    return f"{name}:: {base64.b64encode(value.encode()).decode()}\n"


_LDAP_USER = (
    ("cn", "displayName"), ("displayName", "displayName"), ("givenName", "givenName"), ("sn", "surname"),
    ("mail", "mail"), ("title", "jobTitle"), ("departmentNumber", "department"), ("l", "city"),
    ("mobile", "mobilePhone"), ("employeeNumber", "id"),
)  # fmt: skip


def ldif_user(record: Record, manager_dn: str | None) -> str:
    """One inetOrgPerson entry (the anchor id kept in employeeNumber)."""
    text = f"dn: {user_dn(record['employeeId'])}\nobjectClass: inetOrgPerson\n"
    text += f"uid: {record['employeeId']}\n"
    text += "".join(
        _ldif_line(attribute, str(record[key])) for attribute, key in _LDAP_USER if record.get(key)
    )
    if manager_dn:
        text += _ldif_line("manager", manager_dn)
    return text + "\n"


def ldif_group(record: Record, index: int, member_dns: list[str]) -> str:
    """One groupOfNames entry (which needs at least one member: the group itself stands in when empty)."""
    text = f"dn: {group_dn(index)}\nobjectClass: groupOfNames\ncn: g{index:06d}\n"
    text += _ldif_line("description", record["displayName"])
    text += "".join(_ldif_line("member", dn) for dn in member_dns or [group_dn(index)])
    return text + "\n"


def ldif_containers() -> str:
    return "".join(
        f"dn: ou={ou},{BASE_DN}\nobjectClass: organizationalUnit\nou: {ou}\n\n" for ou in ("people", "groups")
    )
