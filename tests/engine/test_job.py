"""The job file contract: load_job, precise errors, secrets resolved at bind time, relative paths."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from engine import JobFileError, bind_connectors, load_job
from engine._duration import format_duration, parse_duration

JOB = """\
id: demo
template: scim
schedule: PT5S
directories:
  Azure Active Directory: {connector: json, path: source.json}
  SCIM App: {connector: json, path: "${IDSYNC_TEST_TARGET}"}
settings: {deleteThreshold: 10, skipOutOfScopeDeletions: true, placeholders: {DomainFQDN: contoso.com}}
"""


def write(tmp_path: Path, text: str, name: str = "job.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_yaml_job(tmp_path: Path) -> None:
    job = load_job(write(tmp_path, JOB))
    assert job.id == "demo" and job.service_principal == "local"
    assert job.interval == timedelta(seconds=5)
    assert job.settings.delete_threshold == 10 and job.settings.skip_out_of_scope_deletions
    assert job.settings.placeholders == {"DomainFQDN": "contoso.com"}
    assert job.state_url == f"sqlite:///{tmp_path / 'job.state.db'}"
    assert job.directories["SCIM App"]["path"] == "${IDSYNC_TEST_TARGET}"  # secrets are never resolved early
    assert job.schema.directory("SCIM App") is not None


def test_json_job_with_schema_file_and_relative_state(tmp_path: Path) -> None:
    from engine import dump_schema, get_template

    schema = get_template("scim").schema_
    assert schema is not None
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "s.json").write_text(json.dumps(dump_schema(schema)), encoding="utf-8")
    document = json.loads(
        json.dumps(
            {
                "id": "j",
                "schema": "schemas/s.json",
                "state": "sqlite:///st/state.db",
                "directories": {
                    "Azure Active Directory": {"connector": "json", "path": "a"},
                    "SCIM App": {"connector": "json", "path": "b"},
                },
            }
        )
    )
    job = load_job(write(tmp_path, json.dumps(document), "job.json"))
    assert job.state_url == f"sqlite:///{tmp_path / 'st/state.db'}"
    assert job.interval == timedelta(minutes=40)


@pytest.mark.parametrize(
    ("text", "key", "line", "message"),
    [
        (JOB.replace("deleteThreshold", "deleteTreshold"), "settings.deleteTreshold", 7, "unknown key"),
        (JOB.replace("PT5S", "5 seconds"), "schedule", 3, "ISO-8601"),
        (
            JOB.replace('  SCIM App: {connector: json, path: "${IDSYNC_TEST_TARGET}"}\n', ""),
            "directories",
            4,  # the `directories:` key itself
            "no connector bound to directory 'SCIM App'",
        ),
        (JOB.replace("template: scim", "template: nope"), "template", 2, "nope"),
        (JOB.replace("id: demo", "id: 'bad id'"), "id", 1, "letters"),
        (JOB.replace("id: demo\n", ""), "id", None, "required"),
    ],
)
def test_errors_name_file_key_and_line(
    tmp_path: Path, text: str, key: str, line: int | None, message: str
) -> None:
    with pytest.raises(JobFileError) as info:
        load_job(write(tmp_path, text))
    error = info.value
    assert error.key == key and error.line == line and message in str(error)
    assert str(error).startswith(str(tmp_path / "job.yaml"))


@pytest.mark.parametrize(
    ("state", "url", "reads"),
    [
        ("", "sqlite:///{dir}/job.state.db", "auto"),
        ("state: sqlite:///st.db\n", "sqlite:///{dir}/st.db", "auto"),
        ("state: {parallelReads: off}\n", "sqlite:///{dir}/job.state.db", "off"),  # YAML 1.1: a boolean
        ("state: {parallelReads: 'on'}\n", "sqlite:///{dir}/job.state.db", "on"),
        ("state:\n  url: postgresql://db/idsync\n  parallelReads: auto\n", "postgresql://db/idsync", "auto"),
    ],
)
def test_state_is_a_url_or_a_mapping_with_parallel_reads(
    tmp_path: Path, state: str, url: str, reads: str
) -> None:
    job = load_job(write(tmp_path, JOB + state))
    assert job.state_url == url.format(dir=tmp_path) and job.state_parallel_reads == reads


@pytest.mark.parametrize(
    ("state", "key", "message"),
    [
        ("state:\n  parallelReads: sometimes\n", "state.parallelReads", "use one of auto, on, off"),
        ("state:\n  parallelRead: on\n", "state.parallelRead", "unknown key"),
        ("state:\n  - sqlite:///st.db\n", "state", "parallelReads: auto|on|off"),
    ],
)
def test_a_wrong_state_names_the_key_and_line(tmp_path: Path, state: str, key: str, message: str) -> None:
    with pytest.raises(JobFileError) as info:
        load_job(write(tmp_path, JOB + state))
    error = info.value
    assert error.key == key and message in str(error)
    assert error.line == 9 and error.column is not None and "Value error" not in str(error)


def test_malformed_yaml_and_json_give_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(JobFileError) as info:
        load_job(write(tmp_path, "id: x\ndirectories: [\n"))
    assert info.value.line is not None and "invalid YAML" in str(info.value)
    with pytest.raises(JobFileError) as info:
        load_job(write(tmp_path, '{"id": "x",\n "schema": }', "job.json"))
    assert (info.value.line, info.value.column) == (2, 12)


def test_missing_schema_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(JobFileError, match="does not exist"):
        load_job(write(tmp_path, JOB.replace("template: scim", "schema: missing.json")))


def test_secrets_resolved_only_when_binding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    job = load_job(write(tmp_path, JOB))
    monkeypatch.delenv("IDSYNC_TEST_TARGET", raising=False)
    with pytest.raises(JobFileError) as info:
        bind_connectors(job)
    assert info.value.key == "directories.SCIM App.path" and "IDSYNC_TEST_TARGET" in str(info.value)
    monkeypatch.setenv("IDSYNC_TEST_TARGET", "resolved.json")
    connectors = bind_connectors(job)
    assert Path(connectors["SCIM App"].path) == tmp_path / "resolved.json"  # type: ignore[attr-defined]
    for connector in connectors.values():
        connector.close()


def test_unknown_connector_kind_names_the_directory(tmp_path: Path) -> None:
    job = load_job(
        write(tmp_path, JOB.replace("{connector: json, path: source.json}", "{connector: nosuch}"))
    )
    with pytest.raises(JobFileError) as info:
        bind_connectors(job)
    assert info.value.key == "directories.Azure Active Directory.connector" and "nosuch" in str(info.value)


@pytest.mark.parametrize(
    ("text", "seconds"), [("PT40M", 2400), ("PT5S", 5), ("P1DT2H", 93600), ("PT1.5S", 1.5), ("P1W", 604800)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds
    assert parse_duration(format_duration(parse_duration(text))) == parse_duration(text)


@pytest.mark.parametrize("text", ["", "P", "PT", "40M", "P1Y", "PT0S", "-PT5S"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_graph_max_timespan_is_accepted() -> None:
    assert parse_duration("P10675199DT2H48M5.4775807S") > timedelta(days=10_000_000)


def test_schema_and_template_are_exclusive(tmp_path: Path) -> None:
    with pytest.raises(JobFileError, match="exactly one of") as info:
        load_job(write(tmp_path, JOB.replace("template: scim", "template: scim\nschema: s.json")))
    assert info.value.key == "schema" and info.value.line == 3
