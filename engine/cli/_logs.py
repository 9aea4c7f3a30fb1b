"""``idsync logs JOB [--json] [--cycle ID] [--object ID] [--action A] [--status S] [--since T] [--until T]
[--limit N]``: the provisioning log (provisioningObjectSummary), newest last."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import click

from engine.run import SyncEngine

from ._common import EXIT_INVALID, EXIT_OK, echo_json, fail
from ._jobopen import open_engine, short_type, show

_COLOURS = {"success": "green", "failure": "red", "skipped": "white", "warning": "yellow"}


@click.command("logs")
@click.argument("job", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help='Print Graph\'s shape: {"value": [records]}.')
@click.option("--cycle", "cycle_id", help="Only the records of this cycle.")
@click.option("--object", "object_id", help="Only the records of this source or target object id.")
@click.option("--action", help="Only this provisioningAction (create, update, delete, disable, skip, ...).")
@click.option("--status", help="Only this status (success, failure, skipped, warning).")
@click.option("--since", type=click.DateTime(), help="Only records at or after this time (UTC).")
@click.option("--until", type=click.DateTime(), help="Only records before this time (UTC).")
@click.option(
    "--limit", default=200, show_default=True, type=click.IntRange(min=1), help="The newest N records."
)
def logs_command(
    job: str,
    as_json: bool,
    cycle_id: str | None,
    object_id: str | None,
    action: str | None,
    status: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> None:
    """Show the provisioning log of JOB (newest last)."""
    wanted = _matcher(object_id, action, status, since, until)
    with open_engine(job, read_only=True) as engine:
        records: list[dict[str, Any]] = []
        for record in _newest_first(engine, cycle_id):
            if since is not None and _when(record) < since.replace(tzinfo=since.tzinfo or UTC):
                break
            if wanted(record):
                records.append(record)
                if len(records) == limit:
                    break
        records.reverse()
        if cycle_id is not None and not records and wanted is _everything:
            _no_records_of(cycle_id, [str(c.get("id")) for c in engine.cycles(limit=10_000)])
    if as_json:
        echo_json({"value": records})
        return
    for record in records:
        status = record["provisioningStatusInfo"]["status"]
        source = record["sourceIdentity"]
        line = (
            f"{record['activityDateTime'][:19]} {click.style(f'{status:<8}', fg=_COLOURS.get(status))} "
            f"{record['provisioningAction']:<12} {short_type(source.get('identityType') or '')}"
            f" {source['id']}"
        )
        if source.get("displayName"):
            line += f" ({source['displayName']})"
        error = record["provisioningStatusInfo"].get("errorInformation")
        if error and error.get("reason"):
            line += f" — {error['reason']}"
        elif record["provisioningAction"] == "create":
            line += _create_reason(record)
        click.echo(line)
        for prop in record["modifiedProperties"]:
            click.echo(f"{'':30}{_change(prop['displayName'], prop['oldValue'], prop['newValue'])}")
    if not records:
        click.echo("no provisioning log records yet")


def _create_reason(record: dict[str, Any]) -> str:
    """`` — no target object with userName = 'x'``: what matching looked for (its step's description)."""
    for found in record.get("provisioningSteps") or ():
        text = str(found.get("description") or "")
        if found.get("provisioningStepType") == "matching" and text.startswith("Matching: no "):
            return f" — {text.removeprefix('Matching: ')}"
    return ""


def _everything(record: dict[str, Any]) -> bool:
    return True


def _matcher(
    object_id: str | None,
    action: str | None,
    status: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Callable[[dict[str, Any]], bool]:
    if object_id is None and action is None and status is None and since is None and until is None:
        return _everything
    low = since.replace(tzinfo=since.tzinfo or UTC) if since else None
    high = until.replace(tzinfo=until.tzinfo or UTC) if until else None

    def wanted(record: dict[str, Any]) -> bool:
        ids = {(record.get("sourceIdentity") or {}).get("id"), (record.get("targetIdentity") or {}).get("id")}
        when = _when(record)
        return (
            (object_id is None or object_id in ids)
            and (action is None or str(record.get("provisioningAction", "")).lower() == action.lower())
            and (status is None or str(record["provisioningStatusInfo"]["status"]).lower() == status.lower())
            and (low is None or when >= low)
            and (high is None or when < high)
        )

    return wanted


def _when(record: dict[str, Any]) -> datetime:
    when = datetime.fromisoformat(str(record["activityDateTime"]).replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _newest_first(engine: SyncEngine, cycle_id: str | None) -> Iterator[dict[str, Any]]:
    """The job's records, newest first, a page at a time."""
    since = 0
    while True:
        page, since = engine.log_page(cycle_id=cycle_id, since=since, limit=1000, newest_first=True)
        yield from page
        if not since:
            return


def _change(name: str, old: object, new: object) -> str:
    """As the dry-run shows a change: ``∅`` for no value, a list change as its added and removed values."""
    if isinstance(old, list) and isinstance(new, list):
        added = [f"+{show(v)}" for v in new if v not in old]
        removed = [f"-{show(v)}" for v in old if v not in new]
        return f"{name}: {' '.join(added + removed)}"
    return f"{name}: {show(old)} → {show(new)}"


def _no_records_of(cycle_id: str, known: list[str]) -> None:
    """``--cycle`` named a cycle without records: say whether it exists at all (exit 1 when it does not)."""
    if cycle_id in known:
        click.echo(f"cycle {cycle_id} logged no records (it found nothing to change)")
        sys.exit(EXIT_OK)
    recent = ", ".join(known[:3]) or "none yet"
    fail(
        f"no cycle {cycle_id!r} in this job's state (the newest: {recent}); `idsync jobs status` and "
        "`idsync run --json` show cycle ids",
        EXIT_INVALID,
    )
