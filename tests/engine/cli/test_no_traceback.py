"""No traceback, ever: every command over the corpus of broken inputs answers with one clear error line that
names the file (and where in it), and the exit code the CLI documents (``engine.cli._common``).

By default: ``validate`` and ``run`` over every case and every command over one case of each family, in
process (click's runner), plus the headline cases through the real ``idsync`` executable in subprocesses;
under ``-m slow`` every command over every case, in process and in subprocesses.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main

from .corpus import CASES, UNSET, Case, build

IDSYNC = Path(sys.executable).parent / "idsync"

COMMANDS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("validate",), ()),
    (("run",), ()),
    (("dry-run",), ()),
    (("explain",), ("u1",)),
    (("provision",), ("u1",)),
    (("test-connection",), ()),
    (("logs",), ()),
    (("discover",), ()),
    (("jobs", "status"), ()),
    (("jobs", "list"), ()),
    (("jobs", "pause"), ()),
    (("jobs", "start"), ()),
    (("jobs", "restart"), ("--scope", "Full")),
)
HEADLINES = ("unbalanced-parenthesis", "unknown-operator", "unset-env", "attribute-typo")
FAMILIES = (
    *HEADLINES,
    "connector-setting-typo",
    "key-typo-settings",
    "malformed-yaml",
    "schema-malformed",
    "source-malformed",
    "state-folder-missing",
)


def _names_where(output: str, job: Path) -> bool:
    """An error names the job file, or the schema or directory file it comes from."""
    return any(name in output for name in (str(job), job.name, "schema.json", "source.json", "target.json"))


def check(case: Case, command: tuple[str, ...], code: int, output: str, job: Path) -> None:
    where = f"{case.name}: idsync {' '.join(command)} -> {code}\n{output}"
    assert "Traceback" not in output, where
    assert "internal error" not in output, where
    assert code in (0, 1, 2), where
    if code:
        assert _names_where(output, job), where
    if command == ("run",):
        assert code == case.run_exit, where
        assert case.says in output, where
        for word in case.needs:
            assert word in output, where
    if command == ("validate",):
        assert code == case.validate_exit, where
        if case.validate_exit:  # validate refuses with run's own words
            assert case.says in output or case.run_exit == 0, where
            for word in case.needs:
                assert word in output, where


def in_process(
    folder: Path, case: Case, commands: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
) -> None:
    runner = CliRunner()
    for head, tail in commands:
        job = build(folder / "-".join(head), case)
        result = runner.invoke(main, [*head, str(job), *tail], catch_exceptions=True)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"{case.name}: idsync {' '.join(head)} raised {result.exception!r}"
        )
        check(case, head, result.exit_code, result.output, job)


@pytest.fixture(autouse=True)
def _unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(UNSET, raising=False)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_validate_and_run_answer_every_broken_input(tmp_path: Path, case: Case) -> None:
    in_process(tmp_path, case, COMMANDS[:2])


@pytest.mark.parametrize("name", FAMILIES)
def test_every_command_answers_each_family_of_broken_input(tmp_path: Path, name: str) -> None:
    in_process(tmp_path, next(c for c in CASES if c.name == name), COMMANDS)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_command_answers_every_broken_input(tmp_path: Path, case: Case) -> None:
    in_process(tmp_path, case, COMMANDS)


def test_a_missing_job_file_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    for head, tail in COMMANDS:
        result = CliRunner().invoke(main, [*head, str(missing), *tail])
        assert result.exit_code == 2, (head, result.output)
        assert "nope.yaml" in result.output and "Traceback" not in result.output


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != UNSET}
    environment.update(env or {})
    return subprocess.run(
        [str(IDSYNC), *args], capture_output=True, text=True, timeout=120, env=environment, check=False
    )


@pytest.mark.parametrize("name", HEADLINES)
def test_the_real_executable_on_the_headline_cases(tmp_path: Path, name: str) -> None:
    case = next(c for c in CASES if c.name == name)
    job = build(tmp_path, case)
    done = _run(["run", str(job)])
    check(case, ("run",), done.returncode, done.stdout + done.stderr, job)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_real_executable_on_the_whole_matrix(tmp_path: Path, case: Case) -> None:
    for head, tail in COMMANDS:
        job = build(tmp_path / "-".join(head), case)
        done = _run([*head, str(job), *tail])
        check(case, head, done.returncode, done.stdout + done.stderr, job)


def test_jobs_commands_work_without_the_server_extra(tmp_path: Path) -> None:
    """`pip install idsync` has no prometheus_client, fastapi or uvicorn: `idsync jobs` works, `serve` says
    which extra it needs, and nothing changes a job's state before failing."""
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    for module in ("prometheus_client", "fastapi", "uvicorn"):
        (blocked / f"{module}.py").write_text(
            f'raise ModuleNotFoundError("No module named {module}", name="{module}")\n'
        )
    env = {"PYTHONPATH": str(blocked)}
    job = build(tmp_path / "job", next(c for c in CASES if c.name == "attribute-typo"))
    pause = _run(["jobs", "pause", str(job)], env)
    assert pause.returncode == 0 and "paused" in pause.stdout, pause.stderr
    status = _run(["jobs", "status", str(job)], env)
    assert status.returncode == 0 and '"paused": true' in status.stdout, status.stderr
    start = _run(["jobs", "start", str(job)], env)
    assert start.returncode == 0 and "started" in start.stdout, start.stderr
    for args in (["jobs", "list", str(job)], ["jobs", "restart", str(job), "--scope", "Full"]):
        done = _run(args, env)
        assert done.returncode == 0 and "Traceback" not in done.stderr, (args, done.stderr)
    serve = _run(["serve", "--no-auth", str(job)], env)
    assert serve.returncode == 2 and "idsync[server]" in serve.stderr and "Traceback" not in serve.stderr
