"""``idsync validate JOB`` rejects exactly what ``idsync run JOB`` refuses, in run's words.

A hypothesis property over job files with one mutation each (a typo'd key at any level, a value of the
wrong type, a bad duration, an unset ``${ENV}`` reference, a missing path): validate finds an error if and
only if run refuses to start (exit 2), and then one of validate's messages is in run's error.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.cli import main

from .corpus import BASE_JOB, UNSET, Case, build

JOB: dict[str, Any] = copy.deepcopy(BASE_JOB)
JOB["servicePrincipal"] = "local"
JOB["settings"].update(skipOutOfScopeDeletions=False, escrowRetryHours=[6, 12], defaultDomain="c.com")
JOB["settings"]["placeholders"] = {"DomainFQDN": "contoso.com"}
JOB["state"] = {"url": "sqlite:///job.state.db", "parallelReads": "auto"}
JOB["directories"]["SCIM App"]["multiValued"] = ["members"]
JOB["mappings"] = [
    {"object": "User", "target": "displayName", "expression": "[displayName]", "flowType": "Always"}
]
JOB["scope"] = [{"object": "User", "attribute": "givenName", "operator": "IS NOT NULL"}]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path of the document (mapping keys and list items)."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        yield (*prefix, key)
        yield from _paths(value, (*prefix, key))


PATHS = sorted(_paths(JOB), key=repr)
KEYS = [p for p in PATHS if isinstance(p[-1], str)]


def _get(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


STRINGS = [p for p in PATHS if isinstance(_get(JOB, p), str) and p[0] == "directories"]
"""Where ``${ENV}`` is resolved: connector settings (elsewhere it is plain text)."""
SCALARS = [p for p in PATHS if not isinstance(_get(JOB, p), dict | list) and p != ("scope", 0, "attribute")]
"""Values to give a wrong type; not a scoping clause's attribute name: an undeclared attribute is, by design,
an error for validate and a warning for run (tests/engine/cli/test_commands.py)."""


@st.composite
def typo(draw: st.DrawFn, word: str) -> str:
    i = draw(st.integers(0, len(word) - 1))
    kind = draw(st.sampled_from(["drop", "double", "swap", "case"]))
    if kind == "drop" and len(word) > 1:
        return word[:i] + word[i + 1 :]
    if kind == "swap" and i + 1 < len(word) and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "case" and word[i].isalpha():
        return word[:i] + word[i].swapcase() + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    job = copy.deepcopy(JOB)
    kind = draw(st.sampled_from(["key", "type", "duration", "env", "path"]))
    if kind == "key":
        path = draw(st.sampled_from(KEYS))
        parent, key = _get(job, path[:-1]), path[-1]
        new = draw(typo(key))
        parent[new] = parent.pop(key)
        return f"key {path} -> {new!r}", job
    if kind == "type":
        path = draw(st.sampled_from(SCALARS))
        value = draw(st.sampled_from(["lots", -3, 2.5, [1], {"a": 1}, None, True, ""]))
        _get(job, path[:-1])[path[-1]] = value
        return f"value {path} = {value!r}", job
    if kind == "duration":
        job["schedule"] = draw(
            st.sampled_from(["40 minutes", "PT", "P1M", "PT-5S", "PT0S", "PT5S", "P1DT2H"])
        )
        return f"schedule {job['schedule']!r}", job
    if kind == "env":
        path = draw(st.sampled_from(STRINGS))
        _get(job, path[:-1])[path[-1]] = "${" + UNSET + "}"
        return f"env at {path}", job
    directory = draw(st.sampled_from(sorted(job["directories"])))
    job["directories"][directory]["path"] = "missing/folder/file.json"
    return f"missing path of {directory}", job


def _refused(job: Path) -> tuple[bool, str]:
    result = CliRunner().invoke(main, ["run", str(job)])
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    assert result.exit_code in (0, 1, 2), result.output
    return result.exit_code == 2, result.output


@pytest.fixture(autouse=True)
def _unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(UNSET, raising=False)


def test_the_unmutated_job_is_valid_and_runs(tmp_path: Path) -> None:
    job = build(tmp_path, Case("base", job=lambda j: j.update(copy.deepcopy(JOB))))
    assert [f for f in engine.validate(job) if f.severity == "error"] == []
    refused, said = _refused(job)
    assert not refused and "Succeeded" in said


@settings(max_examples=60)
@given(mutations())
def test_validate_rejects_exactly_what_run_refuses(mutation: tuple[str, dict[str, Any]]) -> None:
    what, document = mutation
    with tempfile.TemporaryDirectory() as folder:
        job = build(Path(folder), Case(what, job=lambda j: (j.clear(), j.update(document))))
        job.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        errors = [f for f in engine.validate(job) if f.severity == "error"]
        refused, said = _refused(job)
        assert bool(errors) == refused, f"{what}: validate {[f.format() for f in errors]}; run: {said}"
        if refused:
            assert any(f.message in said for f in errors), f"{what}: run said {said}, validate {errors}"
