"""``bulkUpload`` (API-driven inbound provisioning) through a running ``idsync serve``: Entra's documented
kind of bulk requests (create, update, disable) reach the target with the api-inbound template's mapped
values; a daemon killed with SIGKILL right after a 202 still processes the records on its next start;
malformed, oversized and too frequent requests are refused in Graph's error shape."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.api import Inbox
from tests.daemon.serve_helpers import Served, serve_env

BASE = "/servicePrincipals/local/synchronization/jobs"
SCIM = "application/scim+json"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def _job(folder: Path, *, schedule: str = "PT1S", rate: float = 40, job_id: str = "hr") -> Path:
    (folder / f"{job_id}-target.json").write_text(json.dumps({"User": []}))
    path = folder / f"{job_id}.yaml"
    path.write_text(
        f"id: {job_id}\ntemplate: api-inbound\n"
        f"schedule: {schedule}\n"
        "directories:\n"
        f"  Inbound API: {{connector: api, inbox: {job_id}-inbox.sqlite, maxRequestsPerSecond: {rate}}}\n"
        f"  Target Directory: {{connector: json, path: {job_id}-target.json}}\n"
    )
    return path


def _user(external: str, given: str, family: str, **more: Any) -> dict[str, Any]:
    """A record shaped like the examples of Entra's bulkUpload documentation."""
    data: dict[str, Any] = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "externalId": external,
        "userName": f"{given[0].lower()}{family.lower()}@example.com",
        "name": {"formatted": f"{given} {family}", "familyName": family, "givenName": given},
        "displayName": f"{given} {family}",
        "emails": [
            {"value": f"{given[0].lower()}{family.lower()}@example.com", "type": "work", "primary": True}
        ],
        "addresses": [
            {
                "type": "work",
                "streetAddress": "100 Universal City Plaza",
                "locality": "Hollywood",
                "region": "CA",
                "postalCode": "91608",
                "country": "USA",
                "primary": True,
            }
        ],
        "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
        "userType": "Employee",
        "title": "Tour Guide",
        "preferredLanguage": "en-US",
        "active": True,
        ENTERPRISE: {
            "employeeNumber": external,
            "costCenter": "4130",
            "organization": "Universal Studios",
            "division": "Theme Park",
            "department": "Tour Operations",
        },
    }
    data.update(more)
    return data


def _bulk(*records: dict[str, Any], bulk_ids: list[str] | None = None) -> dict[str, Any]:
    ids = bulk_ids or [f"bulk-{r['externalId']}" for r in records]
    return {
        "schemas": [BULK],
        "Operations": [
            {"method": "POST", "bulkId": b, "path": "/Users", "data": r}
            for b, r in zip(ids, records, strict=True)
        ],
        "failOnErrors": None,
    }


def _post(served: Served, body: Any, content_type: str = SCIM, job: str = "hr") -> httpx.Response:
    return served.client.post(
        f"{BASE}/{job}/bulkUpload", content=json.dumps(body), headers={"Content-Type": content_type}
    )


def _target(folder: Path) -> dict[str, dict[str, Any]]:
    try:
        users = json.loads((folder / "hr-target.json").read_text())["User"]
    except (OSError, ValueError, KeyError):
        return {}
    return {u["employeeId"]: u for u in users if "employeeId" in u}


def test_create_update_disable_through_a_running_daemon(tmp_path: Path) -> None:
    served = Served([str(_job(tmp_path))], serve_env(), tmp_path)
    try:
        served.wait_ready()
        barbara = _user("701984", "Barbara", "Jensen")
        kathy = _user("701985", "Kathy", "Jensen")
        kathy[ENTERPRISE] = {
            **kathy[ENTERPRISE],
            "manager": {"value": "701984", "displayName": "Barbara Jensen"},
        }
        answer = _post(served, _bulk(barbara, kathy))
        assert answer.status_code == 202 and answer.content == b""
        users = served.wait_for(lambda: len(_target(tmp_path)) == 2 and _target(tmp_path), what="the creates")
        b = users["701984"]
        assert {
            k: b.get(k)
            for k in (
                "userPrincipalName",
                "givenName",
                "surname",
                "mail",
                "city",
                "state",
                "department",
                "companyName",
                "costCenter",
                "jobTitle",
                "accountEnabled",
            )
        } == {
            "userPrincipalName": "bjensen@example.com",
            "givenName": "Barbara",
            "surname": "Jensen",
            "mail": "bjensen@example.com",
            "city": "Hollywood",
            "state": "CA",
            "department": "Tour Operations",
            "companyName": "Universal Studios",
            "costCenter": "4130",
            "jobTitle": "Tour Guide",
            "accountEnabled": True,
        }
        assert served.wait_for(
            lambda: _target(tmp_path)["701985"].get("manager") == b["id"], what="the manager"
        )

        assert (
            _post(
                served,
                _bulk(_user("701984", "Barbara", "Jensen", title="Head Tour Guide"), bulk_ids=["upd-1"]),
            ).status_code
            == 202
        )
        served.wait_for(
            lambda: _target(tmp_path)["701984"].get("jobTitle") == "Head Tour Guide", what="the update"
        )

        assert _post(served, _bulk(_user("701985", "Kathy", "Jensen", active=False))).status_code == 202
        served.wait_for(
            lambda: _target(tmp_path)["701985"].get("accountEnabled") is False, what="the disable"
        )
        assert _target(tmp_path)["701984"]["accountEnabled"] is True
        logs = served.client.get("/auditLogs/provisioning", params={"$filter": "jobId eq 'hr'"}).json()[
            "value"
        ]
        actions = {(e["sourceIdentity"]["id"], e["provisioningAction"]) for e in logs}
        bulk_ids = {
            (e["sourceIdentity"]["id"], e["provisioningAction"]): e["sourceIdentity"]["details"] for e in logs
        }
        assert bulk_ids[("701984", "create")] == {"bulkId": "bulk-701984"}, (
            "the log shows each record's bulkId"
        )
        assert {
            ("701984", "create"),
            ("701985", "create"),
            ("701984", "update"),
            ("701985", "disable"),
        } <= actions
    finally:
        assert served.stop(signal.SIGTERM) == 0, served.output()


def test_records_accepted_before_a_kill_9_are_processed_after_a_restart(tmp_path: Path) -> None:
    job = _job(tmp_path, schedule="PT1H")
    served = Served([str(job)], serve_env(), tmp_path)
    try:
        served.wait_ready()
        answer = _post(served, _bulk(*(_user(f"90{n:04d}", f"Person{n}", "Kill") for n in range(50))))
        assert answer.status_code == 202
    finally:
        served.kill()  # SIGKILL right after the 202: nothing is flushed, no cycle ran on these records
    assert Inbox(tmp_path / "hr-inbox.sqlite").last_seq() == 50
    assert all(not k.startswith("90") for k in _target(tmp_path))
    again = Served([str(job)], serve_env(), tmp_path)
    try:
        again.wait_ready()
        again.wait_for(lambda: len(_target(tmp_path)) == 50, timeout=60, what="the records after the restart")
        assert _target(tmp_path)["900007"]["givenName"] == "Person7"
    finally:
        assert again.stop(signal.SIGTERM) == 0, again.output()


@pytest.fixture(scope="module")
def refusing(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One daemon, three jobs: ``hr`` (a high rate), ``slow`` (one request a second), ``plain`` (no api)."""
    folder = tmp_path_factory.mktemp("bulk-errors")
    (folder / "src.json").write_text(json.dumps({"User": [], "Group": []}))
    (folder / "plain.yaml").write_text(
        "id: plain\ntemplate: scim\nschedule: PT1H\ndirectories:\n"
        "  Azure Active Directory: {connector: json, path: src.json}\n"
        "  SCIM App: {connector: json, path: out.json}\n"
    )
    jobs = [_job(folder, schedule="PT1H", rate=1000), _job(folder, schedule="PT1H", rate=1, job_id="slow")]
    served = Served([*map(str, jobs), str(folder / "plain.yaml")], serve_env(), folder)
    served.wait_ready()
    yield served
    served.stop(signal.SIGTERM)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code", "target"),
    [
        (_bulk(_user("1", "A", "B")), "application/json", 400, "InvalidDataFormat", "Content-Type"),
        ("not json", SCIM, 400, "InvalidDataFormat", None),
        ({"Operations": []}, SCIM, 400, "InvalidBulkRequest", "schemas"),
        (
            {**_bulk(_user("1", "A", "B"), {"userName": "no-external-id"}, bulk_ids=["a", "b"])},
            SCIM,
            400,
            "InvalidBulkRequest",
            "Operations[1].data.externalId",
        ),
        (
            {"schemas": [BULK], "Operations": [{"method": "DELETE", "path": "/Users", "data": {}}]},
            SCIM,
            400,
            "InvalidBulkRequest",
            "Operations[0].method",
        ),
        (
            _bulk(_user("1", "A", "B", active="no")),
            SCIM,
            400,
            "InvalidBulkRequest",
            "Operations[0].data.active",
        ),
        (
            _bulk(*(_user(str(n), "A", "B") for n in range(51))),
            SCIM,
            413,
            "RequestEntityTooLarge",
            "Operations",
        ),
    ],
)
def test_bad_requests_are_refused_in_graphs_shape_and_store_nothing(
    refusing: Served, body: Any, content_type: str, status: int, code: str, target: str | None
) -> None:
    content = body if isinstance(body, str) else json.dumps(body)
    answer = refusing.client.post(
        f"{BASE}/hr/bulkUpload", content=content, headers={"Content-Type": content_type}
    )
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code and error["message"]
    if target:
        assert error["details"][0]["target"] == target and target in error["message"]
    assert Inbox(Path(refusing.log).parent / "hr-inbox.sqlite").last_seq() == 0


def test_over_the_rate_is_429_with_retry_after(refusing: Served) -> None:
    answers = [_post(refusing, _bulk(_user(str(n), "A", "B")), job="slow") for n in range(3)]
    assert answers[0].status_code == 202
    refused = [r for r in answers if r.status_code == 429]
    assert refused and refused[0].json()["error"]["code"] == "TooManyRequests"
    assert int(refused[0].headers["Retry-After"]) >= 1
    assert Inbox(Path(refusing.log).parent / "slow-inbox.sqlite").last_seq() == 3 - len(refused)


def test_a_job_without_an_api_source_refuses_bulk_upload(refusing: Served) -> None:
    answer = _post(refusing, _bulk(_user("1", "A", "B")), job="plain")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "InvalidJobSource"
    assert "connector: api" in answer.json()["error"]["message"]
    assert _post(refusing, _bulk(_user("1", "A", "B")), job="nope").status_code == 404


# -- the api connector that reads what bulkUpload stored ------------------------------------------------


def _connector(folder: Path) -> Any:
    from connectors import ConnectorContext, create_connector

    return create_connector("api", {"inbox": "in.sqlite"}, ConnectorContext("Inbound API", base_dir=folder))


def test_records_flatten_to_the_templates_names() -> None:
    from connectors.api import flatten

    record = _user("701984", "Barbara", "Jensen")
    record[ENTERPRISE] = {**record[ENTERPRISE], "manager": {"value": "89607", "displayName": "John Smith"}}
    flat = flatten(record)
    assert flat["name.givenName"] == "Barbara" and flat["emails.work.value"] == "bjensen@example.com"
    assert (
        flat["addresses.work.locality"] == "Hollywood" and flat["phoneNumbers.work.value"] == "555-555-5555"
    )
    assert flat[f"{ENTERPRISE}:department"] == "Tour Operations" and flat[f"{ENTERPRISE}:manager"] == "89607"
    assert flat["active"] is True and "schemas" not in flat


def test_reads_give_each_persons_newest_record_and_advance_by_sequence(tmp_path: Path) -> None:
    from connectors import Watermark
    from connectors.api import InboundRecord

    connector = _connector(tmp_path)
    inbox = Inbox(tmp_path / "in.sqlite")
    inbox.append(
        "r1",
        [
            InboundRecord("a", "b1", {"externalId": "a", "title": "one"}),
            InboundRecord("b", "b2", {"externalId": "b", "title": "two"}),
        ],
    )
    inbox.append("r2", [InboundRecord("a", "b3", {"externalId": "a", "title": "three", "active": False})])
    pages = list(connector.read("User", None, page_size=1))
    assert [p.watermark for p in pages] == [None, Watermark(4)], "a full read promises nothing before its end"
    objects = [o for p in pages for o in p.objects]
    assert [(o.id, o.attributes["title"], o.attributes["bulkId"]) for o in objects] == [
        ("b", "two", "b2"),
        ("a", "three", "b3"),
    ]
    assert objects[1].attributes["active"] is False
    inbox.append(
        "r3", [InboundRecord("c", "b4", {"externalId": "c"}), InboundRecord("b", "b5", {"externalId": "b"})]
    )
    pages = list(connector.read("User", Watermark(4), page_size=1))
    assert [[o.id for o in p.objects] for p in pages] == [["c"], ["b"]]
    assert [p.watermark for p in pages] == [Watermark(5), Watermark(6)]
    assert [o for p in connector.read("User", Watermark(6)) for o in p.objects] == []
    assert connector.get("User", ["a", "zz"])["a"].attributes["title"] == "three"
    assert [
        o.id for o in connector.find("User", "title", ["two", "none"]).get("two", [])
    ] == []  # b was replaced
    definition = connector.describe()
    [user] = definition["objects"]
    assert [a["name"] for a in user["attributes"] if a["anchor"]] == ["externalId"]
    assert not connector.apply([]) and connector.capabilities.write is False


def test_an_api_directory_needs_its_inbox_setting(tmp_path: Path) -> None:
    from connectors import ConnectorConfigError, ConnectorContext, create_connector

    with pytest.raises(ConnectorConfigError) as caught:
        create_connector("api", {}, ConnectorContext("Inbound API", base_dir=tmp_path))
    assert caught.value.setting == "inbox" and "inbox: hr-inbox.sqlite" in str(caught.value)


def test_a_cycle_leaves_about_one_record_a_person_in_the_inbox(tmp_path: Path) -> None:
    """The records superseded below the committed watermark go after a cycle; every read still gives each
    person's newest record, and a record uploaded meanwhile is kept."""
    from connectors import Watermark
    from connectors.api import InboundRecord

    connector = _connector(tmp_path)
    inbox = Inbox(tmp_path / "in.sqlite")
    for title in ("one", "two", "three"):
        inbox.append(title, [InboundRecord("a", title, {"externalId": "a", "title": title})])
    inbox.append("b", [InboundRecord("b", "b1", {"externalId": "b", "title": "bee"})])
    connector.end_cycle()  # no read yet: nothing is known committed, nothing goes
    assert _rows(tmp_path) == 4
    list(connector.read("User", Watermark(5)))  # a cycle whose committed watermark is past them all
    inbox.append("four", [InboundRecord("a", "four", {"externalId": "a", "title": "four"})])
    connector.end_cycle()
    assert _rows(tmp_path) == 3  # a's "three", b's record, and a's "four" uploaded after the read began
    full = {o.id: o.attributes["title"] for p in connector.read("User", None) for o in p.objects}
    assert full == {"a": "four", "b": "bee"}
    assert connector.get("User", ["a"])["a"].attributes["title"] == "four"


def _rows(folder: Path) -> int:
    import sqlite3

    with sqlite3.connect(folder / "in.sqlite") as connection:
        return int(connection.execute("SELECT COUNT(*) FROM records").fetchone()[0])
