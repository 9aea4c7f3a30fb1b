"""A wrong or missing job file gets validate's words from every command that refuses it (issue 17): ``run``
and ``dry-run`` print what ``idsync validate`` prints -- every error with its caret and "did you mean", not
only the first -- and a missing file is "no such file" everywhere. ``engine.validation.job_file_report`` is
that text for the commands and the daemon that load job files."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from engine.cli import main
from engine.validation import job_file_report

TYPOS = """\
id: typos
template: scim
schedual: PT40M
directories:
  Azure Active Directory: {connector: json, path: source.json}
  SCIM App: {connector: json, pth: target.json}
settings: {deleteTreshold: 5}
"""


def test_a_misspelled_job_file_gets_validates_words_everywhere(tmp_path: Path) -> None:
    job = tmp_path / "job.yaml"
    job.write_text(TYPOS, encoding="utf-8")
    (tmp_path / "source.json").write_text('{"User": []}', encoding="utf-8")
    validated = CliRunner().invoke(main, ["validate", str(job)])
    assert validated.exit_code == 1
    report = job_file_report(job)
    assert report.strip() == validated.output.strip()
    for suggestion in ("'schedule'", "'deleteThreshold'", "'path'"):
        assert f"did you mean {suggestion}?" in report
    for command in ("run", "dry-run"):
        refused = CliRunner().invoke(main, [command, str(job)])
        assert refused.exit_code == 2 and refused.output.strip() == report.strip(), refused.output


def test_a_missing_job_file_is_no_such_file_everywhere(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert job_file_report(missing) == f"{missing}: no such file"
    for command in ("validate", "run", "dry-run", "logs"):
        result = CliRunner().invoke(main, [command, str(missing)])
        assert result.exit_code == 2, (command, result.output)
        assert result.output.strip() == f"idsync: error: {missing}: no such file", (command, result.output)


def test_a_loader_error_validate_does_not_see_is_kept(tmp_path: Path) -> None:
    good = tmp_path / "job.yaml"
    (tmp_path / "source.json").write_text('{"User": []}', encoding="utf-8")
    good.write_text(TYPOS.replace("schedual", "schedule").replace("pth", "path").replace("Tre", "Thre"))
    assert job_file_report(good, ValueError("only a run meets this")) == "only a run meets this"
