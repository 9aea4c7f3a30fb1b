"""A corpus of broken inputs for the command line: realistic mistakes in job files, schemas and directory
files, each with what ``idsync run`` must answer (exit code, a fragment of its one-line error).

Each case starts from a job that works (the ``scim`` template's schema as a file, json directories with two
users and a group) and changes one thing. ``build(folder, case)`` writes it and returns the job file.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine import dump_schema, get_template

UNSET = "IDSYNC_CORPUS_NEVER_SET"


def _schema() -> dict[str, Any]:
    schema = get_template("scim").schema_
    assert schema is not None
    return dump_schema(schema)


BASE_SCHEMA = _schema()
BASE_JOB: dict[str, Any] = {
    "id": "corpus",
    "schema": "schema.json",
    "schedule": "PT40M",
    "directories": {
        "Azure Active Directory": {"connector": "json", "path": "source.json"},
        "SCIM App": {"connector": "json", "path": "target.json"},
    },
    "settings": {"deleteThreshold": 50, "pageSize": 100},
}
SOURCE = {
    "User": [
        {"id": "u1", "userPrincipalName": "u1@contoso.com", "displayName": "One", "mailNickname": "u1",
         "givenName": "Ada", "accountEnabled": True},
        {"id": "u2", "userPrincipalName": "u2@contoso.com", "displayName": "Two", "mailNickname": "u2",
         "givenName": "Bo", "accountEnabled": True, "manager": "u1"},
    ],
    "Group": [{"id": "g1", "displayName": "G", "objectId": "g1", "members": ["u1", "u2"]}],
}  # fmt: skip

Mutation = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Case:
    name: str
    job: Mutation | None = None
    """Changes the job document (a dict, written as YAML)."""
    schema: Mutation | None = None
    """Changes the schema document (written as indented JSON)."""
    raw_job: str | None = None
    """The job file's whole text instead of the (changed) base job."""
    files: dict[str, str] = field(default_factory=dict)
    """Files written over the base ones (name -> text)."""
    run_exit: int = 2
    says: str = ""
    """A fragment of ``run``'s error (and of validate's output when validate refuses)."""
    validate_exit: int = 1
    """``idsync validate``'s exit code: 1 when it must refuse what run refuses."""
    needs: tuple[str, ...] = ()
    """Words that must also appear in run's error (a position, a suggestion)."""


def _attribute(index: int, expression: str) -> Mutation:
    def change(schema: dict[str, Any]) -> None:
        mapping = schema["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"][index]
        mapping["source"] = {"type": "Function", "expression": expression, "name": "", "parameters": []}

    return change


def _scope(operator: str) -> Mutation:
    def change(schema: dict[str, Any]) -> None:
        clause = {"operatorName": operator, "sourceOperandName": "department"}
        clause["targetOperand"] = {"values": ["x"]}
        schema["synchronizationRules"][0]["objectMappings"][0]["scope"] = {"groups": [{"clauses": [clause]}]}

    return change


def _set(*path: str | int, value: Any) -> Mutation:
    def change(document: dict[str, Any]) -> None:
        node: Any = document
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return change


def _rename(*path: str, to: str) -> Mutation:
    def change(document: dict[str, Any]) -> None:
        node: Any = document
        for part in path[:-1]:
            node = node[part]
        node[to] = node.pop(path[-1])

    return change


def _drop(*path: str) -> Mutation:
    def change(document: dict[str, Any]) -> None:
        node: Any = document
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return change


SOURCE_DIR = ("directories", "Azure Active Directory")
TARGET_DIR = ("directories", "SCIM App")

# fmt: off
CASES: tuple[Case, ...] = (
    # the job file
    Case("malformed-yaml", raw_job="id: corpus\nschema: [schema.json\n", says="invalid YAML", needs=(":3:",)),
    Case("not-a-mapping", raw_job="- id: corpus\n", says="must be a mapping"),
    Case("empty-file", raw_job="", says="must be a mapping"),
    Case("key-typo-top", job=_rename("schedule", to="schedual"), says="unknown key 'schedual'",
         needs=("did you mean 'schedule'",)),
    Case("key-typo-settings", job=_rename("settings", "deleteThreshold", to="deleteTreshold"),
         says="unknown key 'deleteTreshold'", needs=("did you mean 'deleteThreshold'",)),
    Case("bad-duration", job=_set("schedule", value="40 minutes"), says="ISO-8601"),
    Case("bad-number", job=_set("settings", "pageSize", value="lots"), says="valid integer"),
    Case("negative-number", job=_set("settings", "deleteThreshold", value=-1), says="greater than"),
    Case("bad-enum", job=_set("state", value={"parallelReads": "aut"}),
         says="use one of auto, on, off", needs=("did you mean",)),
    Case("id-chars", job=_set("id", value="my job"), says="letters, digits"),
    Case("no-id", job=_drop("id"), says="this key is required"),
    Case("schema-and-template", job=_set("template", value="scim"), says="exactly one"),
    Case("unknown-template", job=lambda j: (j.pop("schema"), j.update(template="scm")),
         says="unknown template", needs=("did you mean 'scim'",)),
    Case("missing-schema-file", job=_set("schema", value="nope.json"), says="does not exist"),
    Case("connector-typo", job=_set(*SOURCE_DIR, "connector", value="jsn"), says="unknown connector 'jsn'",
         needs=("did you mean 'json'",)),
    Case("connector-missing-path", job=_drop(*TARGET_DIR, "path"), says="a file path is required"),
    Case("connector-setting-typo", job=_rename(*SOURCE_DIR, "path", to="pth"), says="unknown setting 'pth'",
         needs=("did you mean 'path'",)),
    Case("unset-env", job=_set(*SOURCE_DIR, "path", value="${" + UNSET + "}"), says=f"{UNSET} is not set"),
    Case("unbound-directory", job=_rename(*TARGET_DIR, to="SCIM Ap"), says="no connector bound",
         needs=("did you mean 'SCIM Ap'",)),
    Case("state-folder-missing", job=_set("state", value="sqlite:///no/such/folder/state.db"),
         says="does not exist"),
    Case("source-file-missing", job=_set(*SOURCE_DIR, "path", value="no/source.json"),
         says="the source file", needs=("does not exist",)),
    Case("csv-anchor-missing", job=_set(*SOURCE_DIR, value={"connector": "csv", "path": "users.csv"}),
         says="anchor"),
    Case("overlay-unknown-function", job=_set("mappings", value=[
        {"object": "User", "target": "displayName", "expression": "Joinn([givenName])"}]),
         says="unknown function 'Joinn'", needs=("did you mean 'Join'", "mappings[0].expression")),
    Case("overlay-unknown-object", job=_set("scope", value=[
        {"object": "Usr", "attribute": "department", "operator": "EQUALS", "values": ["x"]}]),
         says="no object mapping of 'Usr'", needs=("did you mean 'User'",)),
    # the schema
    Case("unbalanced-parenthesis", schema=_attribute(2, 'Join(" ", [givenName], [surname]'), says="invalid",
         needs=("schema.json:",)),
    Case("unknown-function", schema=_attribute(2, 'Joinn(" ", [givenName])'), says="invalid",
         needs=("did you mean 'Join'",)),
    Case("wrong-arity", schema=_attribute(2, "Left([givenName])"), says="invalid", needs=("Left takes 2",)),
    Case("unknown-operator", schema=_scope("EQUAL"), says="invalid", needs=("did you mean 'EQUALS'",)),
    Case("schema-malformed", files={"schema.json": '{"directories": ['}, says="invalid JSON",
         needs=("schema.json:1:18",)),
    Case("schema-wrong-type", schema=_set("synchronizationRules", value=5), says="valid list",
         needs=("schema.json:4:26",)),
    Case("schema-directory-typo", schema=_set("synchronizationRules", 0, "targetDirectoryName", value="SCIM"),
         says="'SCIM'", needs=("did you mean 'SCIM App'",)),
    # the directories' files: the job is valid; the cycle fails, naming the file
    Case("source-malformed", files={"source.json": '{"User": [{"id": "u1",'}, run_exit=1, validate_exit=0,
         says="source.json"),
    Case("target-wrong-shape", files={"target.json": '{"User": 5}'}, run_exit=1, validate_exit=0,
         says="target.json"),
    # valid, with a warning: the misspelled attribute flows nothing
    Case("attribute-typo", schema=_attribute(2, "[givenNmae]"), run_exit=0, validate_exit=1,
         says="[givenNmae]", needs=("did you mean 'givenName'",)),
)
# fmt: on


def build(folder: Path, case: Case) -> Path:
    """Write the case's job, schema and directory files into ``folder``; the job file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    schema = copy.deepcopy(BASE_SCHEMA)
    if case.schema is not None:
        case.schema(schema)
    (folder / "schema.json").write_text(json.dumps(schema, indent=1), encoding="utf-8")
    (folder / "source.json").write_text(json.dumps(SOURCE, indent=1), encoding="utf-8")
    job = copy.deepcopy(BASE_JOB)
    if case.job is not None:
        case.job(job)
    text = case.raw_job if case.raw_job is not None else yaml.safe_dump(job, sort_keys=False)
    path = folder / "job.yaml"
    path.write_text(text, encoding="utf-8")
    for name, content in case.files.items():
        (folder / name).write_text(content, encoding="utf-8")
    return path
