"""``idsync dry-run --output FILE`` (the plan as JSON Lines, written as it is made) and ``--summary`` (counts
by object type and action, a few examples each); ``PlanStream`` keeps no operation but its examples."""

from __future__ import annotations

import io
import json
from pathlib import Path

from click.testing import CliRunner

from engine import SyncEngine, load_job
from engine.cli import main
from engine.run import PlanStream

from .conftest import USER, group, user, write_job


def _job(tmp_path: Path, users: int = 12) -> Path:
    people = [user("u0")] + [user(f"u{n}", manager="u0") for n in range(1, users)]
    people.append(user("off", accountEnabled=False))
    return write_job(tmp_path, {"User": people, "Group": [group("g1", ["u0", "u1"])]})


def test_output_writes_one_json_line_per_operation_and_nothing_else(tmp_path: Path) -> None:
    job = _job(tmp_path)
    out = tmp_path / "plan.jsonl"
    result = CliRunner().invoke(main, ["dry-run", str(job), "--output", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    creates = [line for line in lines if line["action"] == "create"]
    assert len(creates) == 13 and {"objectType", "sourceId", "changes", "reason"} <= set(creates[0])
    # Each manager is exported once its user exists: a line of its own, as the cycle logs it.
    references = [line for line in lines if line["reason"] == "ReferenceResolution"]
    assert references and all(line["action"] == "update" for line in references)
    assert f"{len(lines)} operations written to {out}" in result.output
    assert not (tmp_path / "target.json").exists() and not (tmp_path / "job.state.db").exists()


def test_summary_counts_by_type_and_action_with_a_few_examples(tmp_path: Path) -> None:
    job = _job(tmp_path)
    result = CliRunner().invoke(main, ["dry-run", str(job), "--summary"])
    assert result.exit_code == 0, result.output
    assert "User: create 12, skip 1" in result.output
    assert "… and 9 more create" in result.output  # 3 examples of 12
    assert "plan (initial/full): create 13" in result.output

    result = CliRunner().invoke(main, ["dry-run", str(job), "--summary", "--json"])
    summary = json.loads(result.output)["summary"]
    assert summary["create"] == 13 and summary["byObjectType"][USER]["skip"] == 1
    assert len(summary["examples"][f"{USER}.create"]) == 3


def test_a_stream_keeps_only_its_examples_and_matches_the_kept_plan(tmp_path: Path) -> None:
    job = _job(tmp_path, users=40)
    with SyncEngine(load_job(job)) as engine:
        plan = engine.plan()
        out = io.StringIO()
        stream = engine.plan(into=PlanStream(out, examples=2))
    assert stream.written == len(out.getvalue().splitlines())
    assert sum(len(ops) for ops in stream.examples.values()) <= 2 * len(stream.examples)
    kept, streamed = plan.summary(), stream.summary()
    for name in ("create", "skip", "delete", "unchanged", "full"):
        assert kept[name] == streamed[name]
    # Folded into their creates in the kept plan; their own lines in the stream.
    assert streamed["update"] + streamed["referenceUpdate"] >= kept["update"]
