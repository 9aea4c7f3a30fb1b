"""Cycles end to end on json directories with the ``scim`` template (spec §D.1–§D.7)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors import ConnectionFailed, ConnectorContext, ObjectRejected
from connectors.memory import Directory, MemoryConnector
from engine import Action, SyncEngine, load_job
from engine.plan import Reason

from .conftest import GROUP, MANAGER, USER, group, read_json, user, write_job


def target_users(folder: Path) -> dict[str, dict]:
    return {u["userName"]: u for u in read_json(folder / "target.json").get(USER, [])}


def write_source(folder: Path, source: dict) -> None:
    (folder / "source.json").write_text(json.dumps(source), encoding="utf-8")


def test_initial_cycle_creates_users_groups_and_references(tmp_path: Path, make_engine) -> None:
    engine = make_engine(
        {"User": [user("u1"), user("u2", manager="u1")], "Group": [group("g1", ["u1", "u2"])]}
    )
    report = engine.run_cycle()
    assert report.state == "Succeeded"
    users = target_users(tmp_path)
    assert set(users) == {"u1@contoso.com", "u2@contoso.com"}
    assert users["u2@contoso.com"][MANAGER] == users["u1@contoso.com"]["id"]
    assert users["u1@contoso.com"]["active"] is True
    (grp,) = read_json(tmp_path / "target.json")[GROUP]
    assert sorted(grp["members"]) == sorted(u["id"] for u in users.values())
    assert engine.status()["code"] == "Active"


def test_second_cycle_writes_nothing(tmp_path: Path, make_engine) -> None:
    engine = make_engine({"User": [user("u1"), user("u2", manager="u1")], "Group": [group("g1", ["u1"])]})
    engine.run_cycle()
    before = (tmp_path / "target.json").stat().st_mtime_ns
    report = engine.run_cycle()
    assert report.exported == 0 and report.imported == 0
    assert (tmp_path / "target.json").stat().st_mtime_ns == before
    full = engine.run_cycle(full=True)
    assert full.exported == 0 and full.imported == 3


def test_incremental_update_exports_only_the_difference(tmp_path: Path, make_engine) -> None:
    engine = make_engine({"User": [user("u1"), user("u2")]})
    engine.run_cycle()
    write_source(tmp_path, {"User": [user("u1", displayName="Renamed"), user("u2")]})
    report = engine.run_cycle()
    assert report.imported == 1 and report.exported == 1
    assert target_users(tmp_path)["u1@contoso.com"]["displayName"] == "Renamed"
    (record,) = [r for r in engine.logs(cycle_id=report.id) if r["provisioningAction"] == "update"]
    assert record["modifiedProperties"] == [
        {"displayName": "displayName", "oldValue": "User u1", "newValue": "Renamed"}
    ]


def test_disabled_and_out_of_scope_users_are_disabled_then_reenabled(tmp_path: Path, make_engine) -> None:
    engine = make_engine({"User": [user("u1"), user("u2")]})
    engine.run_cycle()
    write_source(
        tmp_path, {"User": [user("u1", accountEnabled=False), user("u2", deletedDateTime="2026-01-01")]}
    )
    report = engine.run_cycle()
    assert report.total(Action.DISABLE) == 2
    assert {u["active"] for u in target_users(tmp_path).values()} == {False}
    write_source(tmp_path, {"User": [user("u1"), user("u2", deletedDateTime="2026-01-01")]})
    engine.run_cycle()
    users = target_users(tmp_path)
    assert users["u1@contoso.com"]["active"] is True and users["u2@contoso.com"]["active"] is False


def test_disabled_user_is_never_provisioned(tmp_path: Path, make_engine) -> None:
    engine = make_engine({"User": [user("u1", accountEnabled=False)]})
    report = engine.run_cycle()
    assert report.total(Action.SKIP) == 1 and target_users(tmp_path) == {}


def test_hard_delete_deletes_user_and_group_without_soft_delete(tmp_path: Path, make_engine) -> None:
    engine = make_engine({"User": [user("u1"), user("u2")], "Group": [group("g1", ["u1"])]})
    engine.run_cycle()
    write_source(tmp_path, {"User": [user("u1")], "Group": []})
    report = engine.run_cycle()
    assert report.total(Action.DELETE) == 2
    assert set(target_users(tmp_path)) == {"u1@contoso.com"}
    assert read_json(tmp_path / "target.json")[GROUP] == []


def test_full_cycle_finds_deletions_by_comparing_links(tmp_path: Path, make_engine) -> None:
    engine = make_engine({"User": [user("u1"), user("u2")]})
    engine.run_cycle()
    write_source(tmp_path, {"User": [user("u1")]})
    report = engine.run_cycle(full=True)
    assert report.total(Action.DELETE) == 1
    assert set(target_users(tmp_path)) == {"u1@contoso.com"}


def _scoped_schema(folder: Path) -> str:
    """The scim template with a scoping filter on users: department must not be 'Excluded'."""
    from engine import dump_schema, get_template

    document = dump_schema(get_template("scim").schema_)  # type: ignore[arg-type]
    users = document["synchronizationRules"][0]["objectMappings"][0]
    users["scope"] = {
        "groups": [
            {
                "name": "not excluded",
                "clauses": [
                    {
                        "operatorName": "NOT EQUALS",
                        "sourceOperandName": "department",
                        "targetOperand": {"values": ["Excluded"]},
                    }
                ],
            }
        ]
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "schema.json").write_text(json.dumps(document), encoding="utf-8")
    return "schema.json"


def test_scoping_filter_and_skip_out_of_scope_deletions(tmp_path: Path, make_engine) -> None:
    schema = _scoped_schema(tmp_path)
    sales = {"department": "Sales"}
    engine = make_engine(
        {"User": [user("u1", **sales), user("u2", **sales), user("u3", department="Excluded")]},
        settings={"skipOutOfScopeDeletions": True},
        schema=schema,
    )
    engine.run_cycle()
    assert set(target_users(tmp_path)) == {"u1@contoso.com", "u2@contoso.com"}
    write_source(
        tmp_path,
        {
            "User": [
                user("u1", department="Excluded"),
                user("u2", accountEnabled=False, **sales),
                user("u3", department="Excluded"),
            ]
        },
    )
    report = engine.run_cycle()
    users = target_users(tmp_path)
    assert users["u1@contoso.com"]["active"] is True  # left scope: kept as is
    assert users["u2@contoso.com"]["active"] is False  # disabled in the source: still disabled
    assert report.total(Action.SKIP) == 1 and report.total(Action.DISABLE) == 1  # u3 unchanged: not read
    explanation = engine.explain("u1")
    (clause,) = next(s for s in explanation["steps"] if s["step"] == "scoping")["clauses"]
    assert clause["result"] is False and clause["value"] == "Excluded"


def test_leaving_scope_disables_without_the_setting(tmp_path: Path, make_engine) -> None:
    engine = make_engine({"User": [user("u1", department="Sales")]}, schema=_scoped_schema(tmp_path))
    engine.run_cycle()
    write_source(tmp_path, {"User": [user("u1", department="Excluded")]})
    assert engine.run_cycle().total(Action.DISABLE) == 1
    assert target_users(tmp_path)["u1@contoso.com"]["active"] is False


def test_deletion_threshold_quarantines_until_force_deletes(tmp_path: Path, make_engine) -> None:
    users = [user(f"u{i}") for i in range(5)]
    engine = make_engine({"User": users}, settings={"deleteThreshold": 3})
    engine.run_cycle()
    write_source(tmp_path, {"User": users[:1]})
    report = engine.run_cycle()
    assert report.quarantine == "TooManyDeletes" and report.staged == 4
    assert len(target_users(tmp_path)) == 5
    status = engine.status()
    assert status["code"] == "Quarantine" and status["quarantine"]["reason"] == "TooManyDeletes"
    staged = [r for r in engine.logs() if r["provisioningAction"] == "stagedDelete"]
    assert len(staged) == 4
    # The plan shows them held too, and further cycles keep holding them.
    assert engine.plan().summary()["stagedDelete"] == 4
    assert engine.run_cycle().quarantine == "TooManyDeletes" and len(target_users(tmp_path)) == 5
    engine.restart({"ForceDeletes"})
    report = engine.run_cycle()
    assert report.total(Action.DELETE) == 0 and report.exported == 4
    assert set(target_users(tmp_path)) == {"u0@contoso.com"}
    assert engine.status()["code"] == "Active" and engine.status()["stagedCount"] == 0


def test_existing_target_object_is_matched_not_duplicated(tmp_path: Path, make_engine) -> None:
    existing = {USER: [{"id": "t-1", "userName": "u1@contoso.com", "displayName": "Old"}]}
    engine = make_engine({"User": [user("u1")]}, target=existing)
    plan = engine.plan()
    (op,) = plan.operations
    assert op.action is Action.UPDATE and op.target_id == "t-1"
    engine.run_cycle()
    users = read_json(tmp_path / "target.json")[USER]
    assert len(users) == 1 and users[0]["id"] == "t-1" and users[0]["displayName"] == "User u1"


def test_dry_run_asks_no_empty_target_yet_needs_a_matching_value(tmp_path: Path) -> None:
    # A target that counts no object of the type is not asked (nothing could match), but an object
    # without any matching value still cannot be matched, as when the target is asked.
    people = Directory()
    for item in (user("u1"), user("u2", userPrincipalName=None)):
        people.put("User", item.pop("id"), item)
    source = MemoryConnector({}, ConnectorContext("Azure Active Directory", options={"directory": people}))
    target = MemoryConnector({}, ConnectorContext("SCIM App", options={"directory": Directory()}))
    asked: list[str] = []
    find = target.find
    target.find = lambda *args: asked.append(args[1]) or find(*args)  # type: ignore[method-assign]
    job = load_job(write_job(tmp_path, {}))
    connectors = {"Azure Active Directory": source, "SCIM App": target}
    with SyncEngine(job, connectors=connectors) as engine:
        ops = {op.source_id: op for op in engine.plan().operations}
        assert ops["u1"].action is Action.CREATE and asked == []
        assert ops["u2"].action is Action.FAIL and ops["u2"].reason.startswith(Reason.NO_MATCHING_VALUE)
        engine.run_cycle()  # the target now holds u1: the next dry-run asks it about a new user
        asked.clear()
        item = user("u3")
        people.put("User", item.pop("id"), item)
        ops = {op.source_id: op for op in engine.plan(full=True).operations}
        assert ops["u3"].action is Action.CREATE and asked == ["userName"]


def test_matching_conflict_is_escrowed_and_others_go_on(tmp_path: Path, make_engine) -> None:
    twins = {USER: [{"id": "a", "userName": "u1@contoso.com"}, {"id": "b", "userName": "u1@contoso.com"}]}
    engine = make_engine({"User": [user("u1"), user("u2")]}, target=twins)
    report = engine.run_cycle()
    assert report.state == "EntryLevelErrors" and report.escrowed == 1
    assert "u2@contoso.com" in {u["userName"] for u in read_json(tmp_path / "target.json")[USER]}
    failure = [r for r in engine.logs() if r["provisioningStatusInfo"]["status"] == "failure"]
    assert failure[0]["provisioningStatusInfo"]["errorInformation"]["errorCode"] == "MatchingConflict"
    assert engine.status()["escrowCount"] == 1


def test_escrow_is_retried_after_backoff(tmp_path: Path, make_engine) -> None:
    engine = make_engine({"User": [user("u1")]})
    target = engine.connectors["SCIM App"]
    original = target.apply
    target.apply = lambda changes: [  # type: ignore[method-assign]
        __import__("connectors").ApplyResult(c.key, None, ObjectRejected("bad value")) for c in changes
    ]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert engine.run_cycle(now=now).escrowed == 1
    target.apply = original  # type: ignore[method-assign]
    assert engine.run_cycle(now=now + timedelta(hours=1)).exported == 0  # not due yet
    assert engine.plan(now=now + timedelta(hours=1)).operations == []
    (retry,) = engine.plan(now=now + timedelta(hours=7)).operations  # the dry-run shows the due retry
    assert retry.action is Action.CREATE and retry.source_id == "u1"
    report = engine.run_cycle(now=now + timedelta(hours=7))
    assert report.exported == 1 and engine.status()["escrowCount"] == 0
    assert set(target_users(tmp_path)) == {"u1@contoso.com"}


def test_fatal_error_stops_the_cycle_without_advancing_the_watermark(tmp_path: Path, make_engine) -> None:
    engine = make_engine({"User": [user("u1")]})
    target = engine.connectors["SCIM App"]
    original = target.apply

    def down(changes):
        raise ConnectionFailed("target unreachable")

    target.apply = down  # type: ignore[method-assign]
    report = engine.run_cycle()
    assert report.state == "Failed" and "unreachable" in (report.error or "")
    assert engine.store.watermark(engine.mappings[0].key) is None
    target.apply = original  # type: ignore[method-assign]
    assert engine.run_cycle().exported == 1
    assert set(target_users(tmp_path)) == {"u1@contoso.com"}


def test_late_arriving_manager_is_fixed_without_restart(tmp_path: Path, make_engine) -> None:
    engine = make_engine({"User": [user("u1", accountEnabled=False), user("u2", manager="u1")]})
    engine.run_cycle()
    assert MANAGER not in target_users(tmp_path)["u2@contoso.com"]
    write_source(tmp_path, {"User": [user("u1"), user("u2", manager="u1")]})
    engine.run_cycle()
    users = target_users(tmp_path)
    assert users["u2@contoso.com"][MANAGER] == users["u1@contoso.com"]["id"]


def test_member_removal_and_manager_clearing_flow(tmp_path: Path, make_engine) -> None:
    engine = make_engine(
        {"User": [user("u1"), user("u2", manager="u1")], "Group": [group("g1", ["u1", "u2"])]}
    )
    engine.run_cycle()
    write_source(tmp_path, {"User": [user("u1"), user("u2")], "Group": [group("g1", ["u2"])]})
    engine.run_cycle()
    users = target_users(tmp_path)
    assert MANAGER not in users["u2@contoso.com"]
    (grp,) = read_json(tmp_path / "target.json")[GROUP]
    assert grp["members"] == [users["u2@contoso.com"]["id"]]


def test_restart_watermark_reprocesses_everything_without_duplicates(tmp_path: Path, make_engine) -> None:
    engine = make_engine({"User": [user("u1")]})
    engine.run_cycle()
    engine.restart(set())
    report = engine.run_cycle()
    assert report.imported == 1 and report.exported == 0
    engine.restart({"Full"})
    report = engine.run_cycle()  # links gone: matching links the existing object again
    assert report.exported == 0 and len(read_json(tmp_path / "target.json")[USER]) == 1


def test_pause_start_and_unknown_restart_scope(make_engine) -> None:
    engine = make_engine({"User": [user("u1")]})
    engine.pause()
    assert engine.status()["code"] == "Paused"
    engine.start()
    assert engine.status()["code"] == "NotRun"
    try:
        engine.restart({"Everything"})
    except ValueError as exc:
        assert "Everything" in str(exc)
    else:
        raise AssertionError("unknown scope accepted")


def test_dry_run_writes_nothing(tmp_path: Path, make_engine) -> None:
    engine = make_engine({"User": [user("u1"), user("u2", manager="u1")]})
    plan = engine.plan()
    assert plan.summary()["create"] == 2
    assert not (tmp_path / "target.json").exists()
    assert engine.store.watermark(engine.mappings[0].key) is None
    assert engine.run_cycle().exported == 3  # 2 creates + the manager reference


def test_explain_shows_scoping_matching_and_values(make_engine) -> None:
    engine = make_engine({"User": [user("u1", department="Sales")]})
    explanation = engine.explain("u1")
    steps = {s["step"]: s for s in explanation["steps"]}
    assert steps["scoping"]["inScope"] is True
    assert steps["matching"]["tried"] == [{"attribute": "userName", "value": "u1@contoso.com", "hits": 0}]
    assert steps["processing"]["values"]["displayName"] == "User u1"
    assert explanation["operation"]["action"] == "create"


def test_explain_resolves_references_through_the_links(tmp_path: Path, make_engine) -> None:
    engine = make_engine({"User": [user("u1"), user("u2", manager="u1"), user("u3", manager="nobody")]})
    engine.run_cycle()
    manager_id = target_users(tmp_path)["u1@contoso.com"]["id"]
    processing = next(s for s in engine.explain("u2")["steps"] if s["step"] == "processing")
    assert processing["references"] == {MANAGER: "u1"} and processing["resolvedReferences"] == {
        MANAGER: manager_id
    }
    pending = next(s for s in engine.explain("u3")["steps"] if s["step"] == "processing")
    assert pending["resolvedReferences"] == {MANAGER: None}


def test_provision_on_demand_creates_one_object(tmp_path: Path, make_engine) -> None:
    engine = make_engine({"User": [user("u1"), user("u2")]})
    record = engine.provision_on_demand("u2")
    assert record["provisioningAction"] == "create"
    assert record["provisioningStatusInfo"]["status"] == "success"
    assert set(target_users(tmp_path)) == {"u2@contoso.com"}


def test_job_in_other_folder_uses_relative_paths(tmp_path: Path) -> None:
    path = write_job(tmp_path / "jobs", {"User": [user("u1")]})
    with SyncEngine(load_job(path)) as engine:
        engine.run_cycle()
    assert (tmp_path / "jobs" / "target.json").exists()
    assert (tmp_path / "jobs" / "job.state.db").exists()


def test_escrow_gives_up_after_28_days(tmp_path: Path, make_engine) -> None:
    twins = {USER: [{"id": "a", "userName": "u1@contoso.com"}, {"id": "b", "userName": "u1@contoso.com"}]}
    engine = make_engine({"User": [user("u1")]}, target=twins)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    engine.run_cycle(now=start)
    assert engine.status()["escrowCount"] == 1
    engine.run_cycle(now=start + timedelta(days=10))  # retried (due), still a conflict: kept
    assert engine.status()["escrowCount"] == 1
    engine.run_cycle(now=start + timedelta(days=29))
    assert engine.status()["escrowCount"] == 0


def test_reference_updates_are_logged_as_reference_resolution(make_engine) -> None:
    engine = make_engine({"User": [user("u1"), user("u2", manager="u1")]})
    report = engine.run_cycle()
    records = engine.logs(cycle_id=report.id)
    (reference,) = [r for r in records if r["provisioningAction"] == "update"]
    assert reference["sourceIdentity"]["id"] == "u2"
    assert [s["provisioningStepType"] for s in reference["provisioningSteps"]] == [
        "import",
        "scoping",
        "matching",
        "processing",
        "referenceResolution",
    ]
    assert reference["modifiedProperties"][0]["displayName"] == MANAGER


def test_a_changed_mapping_makes_the_next_cycle_an_initial_one(tmp_path: Path) -> None:
    from engine import dump_schema, get_template

    document = dump_schema(get_template("scim").schema_)  # type: ignore[arg-type]
    (tmp_path / "schema.json").write_text(json.dumps(document), encoding="utf-8")
    job = write_job(tmp_path, {"User": [user("u1"), user("u2")]}, schema="schema.json")
    with SyncEngine(load_job(job)) as engine:
        engine.run_cycle()
        assert engine.run_cycle().full is False
    users = document["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"]
    title = next(m for m in users if m["targetAttributeName"] == "displayName")
    title["source"] = {"expression": 'Append([displayName], " (ext)")'}  # text form: compiled from text
    (tmp_path / "schema.json").write_text(json.dumps(document), encoding="utf-8")
    with SyncEngine(load_job(job)) as engine:
        assert engine.plan().summary()["update"] == 2
        report = engine.run_cycle()
        assert report.full and report.exported == 2
        assert engine.run_cycle().full is False
    assert {u["displayName"] for u in target_users(tmp_path).values()} == {"User u1 (ext)", "User u2 (ext)"}


def test_the_source_id_is_readable_as_the_anchor_attribute(tmp_path: Path, make_engine) -> None:
    """A json group has no ``objectId`` key, yet the scim template's ``externalId <- [objectId]`` flows:
    the connector's id is the object's anchor."""
    source = {"User": [user("u1")], "Group": [{"id": "g-42", "displayName": "Sales", "members": ["u1"]}]}
    assert make_engine(source).run_cycle().succeeded
    groups = read_json(tmp_path / "target.json")[GROUP]
    assert [g["externalId"] for g in groups] == ["g-42"]


def test_an_anchor_attribute_the_source_carries_wins_over_the_id(tmp_path: Path, make_engine) -> None:
    source = {"User": [user("u1")], "Group": [group("g-1", ["u1"], objectId="object-7")]}
    assert make_engine(source).run_cycle().succeeded
    assert [g["externalId"] for g in read_json(tmp_path / "target.json")[GROUP]] == ["object-7"]


def test_a_schema_stored_through_the_api_is_the_one_every_engine_runs(tmp_path: Path, make_engine) -> None:
    from engine import dump_schema

    def targets(engine: SyncEngine) -> set[str]:
        return {a.target for m in engine.mappings for a in m.attributes}

    first = make_engine({"User": [user("u1", jobTitle="Boss")]})
    assert "title" in targets(first)
    document = dump_schema(first.job.schema)
    users = document["synchronizationRules"][0]["objectMappings"][0]
    users["attributeMappings"] = [
        m for m in users["attributeMappings"] if m["targetAttributeName"] != "title"
    ]
    first.store.store_schema(document, datetime(2026, 11, 22, tzinfo=UTC))

    replaced = SyncEngine(load_job(tmp_path / "job.yaml"))
    try:
        assert replaced.schema_replaced == datetime(2026, 11, 22, tzinfo=UTC)
        assert "title" not in targets(replaced)
        assert replaced.run_cycle().succeeded
        assert "title" not in target_users(tmp_path)["u1@contoso.com"]
        replaced.store.store_schema(None, datetime(2026, 11, 23, tzinfo=UTC))
    finally:
        replaced.close()
    back = SyncEngine(load_job(tmp_path / "job.yaml"))
    try:
        assert back.schema_replaced is None and "title" in targets(back)
    finally:
        back.close()
