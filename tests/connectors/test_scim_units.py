"""Fast unit tests of the scim connector through an injected httpx transport (beside the real-HTTP tests):
retries and Retry-After, error mapping, the exact request shapes of both dialects, settings, paths."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors import (
    AuthenticationFailed,
    Change,
    ConnectorConfigError,
    ConnectorContext,
    Modification,
    Operation,
    RetriableConnectorError,
    ValueOp,
    create_connector,
)
from connectors.scim import ScimConnector
from connectors.scim._http import MAX_ATTEMPTS, retry_after
from connectors.scim._paths import filter_literal, parse_path
from connectors.scim._resource import build_resource, flatten
from connectors.scim._schema import default_catalog

BASE = "https://app.example/scim/v2"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
R, A, D = ValueOp.REPLACE, ValueOp.ADD, ValueOp.REMOVE
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A fake SCIM app: answers from ``handler``; records (method, path, json body) and the sleeps asked."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.calls: list[tuple[str, str, Any]] = []
        self.urls: list[httpx.URL] = []
        self.sleeps: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/scim/v2")
        self.urls.append(request.url)
        self.calls.append((request.method, path, json.loads(request.content) if request.content else None))
        if path in {"/Schemas", "/ResourceTypes", "/ServiceProviderConfig"}:
            return httpx.Response(404)
        return self.handler(request)

    def connector(self, **settings: Any) -> ScimConnector:
        context = ConnectorContext(
            "SCIM App", options={"transport": httpx.MockTransport(self), "sleep": self.sleeps.append}
        )
        connector = create_connector("scim", {"baseAddress": BASE, "secretToken": "s", **settings}, context)
        assert isinstance(connector, ScimConnector)
        return connector

    def writes(self) -> list[tuple[str, str, Any]]:
        return [call for call in self.calls if call[0] != "GET"]


def created(request: httpx.Request) -> httpx.Response:
    if request.method == "POST":
        return httpx.Response(201, json={"id": "new1", "userName": "x"})
    return httpx.Response(204)


def sequence(*responses: httpx.Response) -> Handler:
    queue = list(responses)
    return lambda request: queue.pop(0) if len(queue) > 1 else queue[0]


def create_user(**values: str) -> Change:
    mods = tuple(Modification(name, R, (value,)) for name, value in {"userName": "u@x", **values}.items())
    return Change(Operation.CREATE, "User", modifications=mods, key="k")


def patch_user(*mods: Modification, object_type: str = "User") -> Change:
    return Change(Operation.UPDATE, object_type, "id1", tuple(mods), key="k")


# -- retries ----------------------------------------------------------------------------------------------


def test_429_waits_for_retry_after_then_succeeds() -> None:
    fake = Recorder(
        sequence(httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(201, json={"id": "a"}))
    )
    [result] = fake.connector().apply([create_user()])
    assert result.ok and result.target_id == "a"
    assert fake.sleeps == [2.0] and [c[0] for c in fake.writes()] == ["POST", "POST"]


def test_503_backs_off_exponentially_then_succeeds() -> None:
    fake = Recorder(sequence(httpx.Response(503), httpx.Response(503), httpx.Response(204)))
    [result] = fake.connector().apply([patch_user(Modification("title", R, ("t",)))])
    assert result.ok and len(fake.sleeps) == 2
    assert 0 < fake.sleeps[0] < fake.sleeps[1] * 2 and fake.sleeps[1] <= 1.0


def test_retries_are_bounded_then_the_batch_error_is_retriable() -> None:
    fake = Recorder(lambda request: httpx.Response(503, json={"detail": "maintenance", "status": "503"}))
    with pytest.raises(RetriableConnectorError, match=f"tried {MAX_ATTEMPTS} times") as caught:
        fake.connector().apply([patch_user(Modification("title", R, ("t",)))])
    assert len(fake.writes()) == MAX_ATTEMPTS and "maintenance" in str(caught.value)
    assert caught.value.policy == "retriable"


def test_a_long_retry_after_is_handed_to_the_engine_not_slept() -> None:
    fake = Recorder(lambda request: httpx.Response(429, headers={"Retry-After": "3600"}))
    with pytest.raises(RetriableConnectorError) as caught:
        fake.connector().get("User", ["id1"])
    assert caught.value.retry_after == 3600 and fake.sleeps == []


def test_post_is_not_repeated_after_a_500() -> None:
    fake = Recorder(lambda request: httpx.Response(500))
    with pytest.raises(RetriableConnectorError):
        fake.connector().apply([create_user()])
    assert [c[0] for c in fake.writes()] == ["POST"], "the object may exist: matching finds it next time"


def test_a_read_timeout_is_retried_for_idempotent_requests() -> None:
    answers: list[Any] = [httpx.ReadTimeout("slow"), httpx.Response(200, json={"id": "id1", "userName": "u"})]

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]

    fake = Recorder(handler)
    assert list(fake.connector().get("User", ["id1"])) == ["id1"] and len(fake.sleeps) == 1


def test_forbidden_is_fatal_authentication_failure() -> None:
    fake = Recorder(lambda request: httpx.Response(403, json={"detail": "token expired", "status": "403"}))
    with pytest.raises(AuthenticationFailed, match="secretToken") as caught:
        fake.connector().apply([create_user()])
    assert caught.value.policy == "fatal" and "token expired" in str(caught.value)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert retry_after("7") == 7.0 and retry_after(None) is None and retry_after("soon") is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0, "a date in the past means now"


# -- request shapes ---------------------------------------------------------------------------------------


def test_rfc7644_shapes() -> None:
    fake = Recorder(created)
    connector = fake.connector()
    extra = {f"{ENT}:manager": "boss", 'emails[type eq "work"].value': "e"}
    connector.apply([create_user(active="True", **extra)])
    [(_, path, body)] = fake.writes()
    assert path == "/Users" and body["active"] is True and body[ENT] == {"manager": {"value": "boss"}}
    assert body["emails"] == [{"type": "work", "value": "e"}] and ENT in body["schemas"]
    members = (Modification("members", D, ("u1", 'q"2')), Modification("members", A, ("u3",)))
    connector.apply([patch_user(*members, object_type="Group")])
    assert fake.writes()[-1][2]["Operations"] == [
        {"op": "remove", "path": 'members[value eq "u1"]'},
        {"op": "remove", "path": 'members[value eq "q\\"2"]'},
        {"op": "add", "path": "members", "value": [{"value": "u3"}]},
    ]
    connector.apply([patch_user(Modification("active", R, ("False",)), Modification("title", R, ()))])
    assert fake.writes()[-1][2]["Operations"] == [
        {"op": "replace", "path": "active", "value": False},
        {"op": "remove", "path": "title"},
    ]


def test_entra_shapes_follow_spec_d8() -> None:
    fake = Recorder(created)
    connector = fake.connector(dialect="entra")
    extra = {f"{ENT}:manager": "boss", 'emails[type eq "work"].value': "e"}
    connector.apply([create_user(active="True", **extra)])
    (_, _, post), (method, path, follow_up) = fake.writes()
    assert post["active"] is True and post["meta"] == {"resourceType": "User"} and ENT not in post
    assert post["emails"] == [{"type": "work", "value": "e", "primary": True}]
    assert (method, path) == ("PATCH", "/Users/new1")
    assert follow_up["Operations"] == [{"op": "Add", "path": f"{ENT}:manager", "value": "boss"}]

    values = (Modification("displayName", R, ("G",)), Modification("members", R, ("u1",)))
    connector.apply([Change(Operation.CREATE, "Group", modifications=values, key="g")])
    (_, _, post), (_, _, members) = fake.writes()[-2:]
    assert "members" not in post and post["schemas"][-1].endswith("ADSCIM/2.0/Group")
    assert members["Operations"] == [{"op": "Replace", "path": "members", "value": [{"value": "u1"}]}]

    edits = (Modification("members", A, ("u2",)), Modification("members", D, ("u1",)))
    connector.apply([patch_user(*edits, object_type="Group")])
    assert fake.writes()[-1][2]["Operations"] == [
        {"op": "Add", "path": "members", "value": [{"$ref": None, "value": "u2"}]},
        {"op": "Remove", "path": "members", "value": [{"value": "u1"}]},
    ]
    connector.apply([patch_user(Modification("active", R, ("False",)), Modification("title", R, ("T",)))])
    assert fake.writes()[-1][2]["Operations"] == [
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Replace", "path": "title", "value": "T"},
    ]


def test_lookups_escape_values_and_leave_group_members_out() -> None:
    fake = Recorder(lambda request: httpx.Response(200, json={"totalResults": 0, "Resources": []}))
    assert fake.connector().find("Group", "displayName", ['a"b\\c']) == {}
    [url] = fake.urls
    assert url.params["filter"] == 'displayName eq "a\\"b\\\\c"'
    assert url.params["excludedAttributes"] == "members"


# -- settings and paths -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "setting", "message"),
    [
        ({"secretToken": "s"}, "baseAddress", "give the SCIM base URL"),
        ({"baseAddress": "ftp://x", "secretToken": "s"}, "baseAddress", "not an http"),
        ({"baseAddress": f"{BASE}?aadOptscim062020", "secretToken": "s"}, "baseAddress", "query string"),
        ({"baseAddress": BASE}, "secretToken", "bearer token"),
        ({"baseAddress": BASE, "secretToken": "s", "dialect": "azure"}, "dialect", "rfc7644, entra"),
        ({"baseAddress": BASE, "secretToken": "s", "concurrency": 0}, "concurrency", "whole number from 1"),
        ({"baseAddress": BASE, "secretToken": "s", "timeoutSecond": 3}, "timeoutSecond", "timeoutSeconds"),
    ],
)
def test_bad_settings_name_the_setting(settings: dict[str, Any], setting: str, message: str) -> None:
    with pytest.raises(ConnectorConfigError, match=message) as caught:
        create_connector("scim", settings, ConnectorContext("SCIM App"))
    assert caught.value.setting == setting


@given(st.text())
def test_filter_literals_parse_back_to_the_same_value(value: str) -> None:
    path = parse_path(f"emails[type eq {filter_literal(value)}].value")
    assert path.filter_value == value and parse_path(path.text()) == path


def test_paths_parse_urns_filters_and_case() -> None:
    path = parse_path(f"{ENT}:employeeNumber")
    assert (path.urn, path.attribute) == (ENT, "employeeNumber")
    assert parse_path('emails[type eq "work"].value').key == parse_path('EMAILS[Type eq "Work"].Value').key
    with pytest.raises(ValueError, match="not a SCIM attribute path"):
        parse_path('emails[type co "w"].value')


def test_without_schemas_describe_lists_entras_default_scim_attributes() -> None:
    fake = Recorder(created)  # answers 404 to /Schemas and /ResourceTypes
    definition = fake.connector().describe()
    objects = {o["name"]: {a["name"]: a for a in o["attributes"]} for o in definition["objects"]}
    user = objects["User"]
    assert len(user) == 23, "id + the 22 targets of Entra's default user mappings (spec entra-scim.md §1.2)"
    assert user["active"]["type"] == "Boolean" and user[f"{ENT}:manager"]["type"] == "Reference"
    assert set(objects["Group"]) == {"id", "displayName", "externalId", "members"}


def test_a_fatal_error_stops_the_changes_not_yet_started() -> None:
    answers = iter([httpx.Response(201, json={"id": "a"}), httpx.Response(401)])
    fake = Recorder(lambda request: next(answers, httpx.Response(201, json={"id": "late"})))
    with pytest.raises(AuthenticationFailed):
        fake.connector(concurrency=1).apply([create_user() for _ in range(5)])
    assert len(fake.writes()) == 2, "nothing is sent after the refusal"


DEFAULT_USER_PATHS = [
    a["name"]
    for a in Recorder(created).connector().describe()["objects"][0]["attributes"]
    if a["name"] not in {"id", "active"} and a["type"] == "String"
]
scalars = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)


@given(st.dictionaries(st.sampled_from(DEFAULT_USER_PATHS), scalars, min_size=1))
def test_a_created_body_flattens_back_to_the_values_written(values: dict[str, str]) -> None:
    mods = [Modification(name, R, (value,)) for name, value in values.items()]
    body = build_resource("urn:ietf:params:scim:schemas:core:2.0:User", mods, default_catalog())
    flat = flatten({**body, "id": "x"})
    assert {name: flat.get(name) for name in values} == values


@given(st.text(max_size=60))
def test_every_text_is_a_path_or_a_value_error(text: str) -> None:
    try:
        path = parse_path(text)
    except ValueError:
        return
    assert parse_path(path.text()).key == path.key
