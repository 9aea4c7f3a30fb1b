"""``settings.deleteThresholdPercent`` through the CLI: validate knows the key (and refuses a value outside
(0, 100], or a misspelling, with run's message); a cycle whose removals reach the percentage of the objects
linked is quarantined (exit 3, nothing removed), and its dry-run shows the removals held."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from engine.cli import main


def _person(uid: str) -> dict[str, Any]:
    return {"id": uid, "userPrincipalName": f"{uid}@x.test", "displayName": uid, "mailNickname": uid,
            "accountEnabled": True}  # fmt: skip


def _job(folder: Path, settings: dict[str, Any], users: int = 10) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    people = [_person(f"u{i}") for i in range(users)]
    (folder / "source.json").write_text(json.dumps({"User": people, "Group": []}), encoding="utf-8")
    job = {
        "id": "percent",
        "template": "scim",
        "directories": {
            "Azure Active Directory": {"connector": "json", "path": "source.json"},
            "SCIM App": {"connector": "json", "path": "target.json"},
        },
        "settings": settings,
    }
    path = folder / "job.json"
    path.write_text(json.dumps(job), encoding="utf-8")
    return path


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_validate_knows_the_setting(tmp_path: Path) -> None:
    assert _invoke("validate", str(_job(tmp_path / "ok", {"deleteThresholdPercent": 10}))).exit_code == 0
    for settings, says in (
        ({"deleteThresholdPercent": 150}, "deleteThresholdPercent"),
        ({"deleteThresholdPercent": 0}, "deleteThresholdPercent"),
        ({"deleteThresholdPercnt": 10}, "did you mean 'deleteThresholdPercent'"),
    ):
        job = _job(tmp_path / str(len(str(settings))), settings)
        checked, ran = _invoke("validate", str(job)), _invoke("run", str(job))
        assert checked.exit_code == 1 and says in checked.output, checked.output
        assert ran.exit_code == 2 and says in ran.output, ran.output


def test_removals_reaching_the_percentage_are_held(tmp_path: Path) -> None:
    job = _job(tmp_path, {"deleteThresholdPercent": 20})
    assert _invoke("run", str(job)).exit_code == 0
    source = json.loads((tmp_path / "source.json").read_text(encoding="utf-8"))
    source["User"] = source["User"][:8]  # 2 of 10 deleted: 20%
    (tmp_path / "source.json").write_text(json.dumps(source), encoding="utf-8")
    shown = _invoke("dry-run", "--json", str(job))
    assert shown.exit_code == 0 and json.loads(shown.output)["summary"]["stagedDelete"] == 2
    held = _invoke("run", str(job))
    assert held.exit_code == 3 and "TooManyDeletes" in held.output, held.output
    target = json.loads((tmp_path / "target.json").read_text(encoding="utf-8"))
    assert len(next(iter(target.values()))) == 10

    below = _job(tmp_path / "below", {"deleteThresholdPercent": 25})
    assert _invoke("run", str(below)).exit_code == 0
    (tmp_path / "below" / "source.json").write_text(json.dumps(source), encoding="utf-8")
    assert _invoke("run", str(below)).exit_code == 0  # 20% < 25%: applied
