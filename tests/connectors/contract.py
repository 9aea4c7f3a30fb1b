"""The connector contract suite: one set of tests every connector kind passes.

How to run it for a connector kind -- write ``tests/connectors/test_contract_<kind>.py``::

    import pytest
    from .contract import ConnectorContract, ContractNames, ContractSubject

    class TestMyKindContract(ConnectorContract):
        @pytest.fixture
        def subject(self, tmp_path):                      # any fixtures you need (a peer server, tmp_path...)
            connector = create_connector("mykind", {...}, ConnectorContext("My Directory", base_dir=tmp_path))
            yield ContractSubject(connector, names=ContractNames(email="mail", multi="mail2"), ...)
            connector.close()

The ``subject`` fixture must return a ``ContractSubject`` holding a **fresh, empty** connector (no objects
of the two object types; every test starts from nothing and creates what it needs) and:

* ``names``: a ``ContractNames`` mapping the roles the suite uses to this directory's attribute names:
  ``user_type`` / ``group_type`` (object names, e.g. ``User``/``Group`` or the SCIM URNs); ``name``
  (single-valued text that takes any Unicode, quotes, commas, ``*``, ``(``, ``)``, ``\\``, and that
  ``find`` accepts); ``email`` (single-valued ASCII text, unique per user, ``find`` accepts it); ``multi``
  (a multi-valued text attribute of users); ``manager`` (user -> user reference); ``members``
  (group -> users reference, multi-valued); ``group_name`` (the group's single-valued name).
* ``extra`` (optional): ``(object_type, token) -> {attribute: (values...)}`` -- more initial values every
  create needs (an LDAP RDN such as ``uid``/``cn``, a required ``sn``); ``token`` is unique per object
  and ASCII-safe (letters and digits).
* ``unreachable`` (optional, networked kinds): a callable building a connector pointed at a closed port /
  dead host; the suite expects a fatal ``ConnectorError`` from ``validate_credentials()`` or the first
  ``read`` within ``unreachable_seconds`` -- never a hang. Kinds without a network leave it None (that
  test is skipped with the reason).
* ``large`` (default True): set False only for a peer that cannot hold 1,050 objects (paging skips).
* ``groups`` (default True): False for a directory of users only (a csv file): the group half of the
  references test is left out.

What the suite checks (each a method below): create -> find -> update -> read changes -> delete -> read
changes sees the deletion; references (manager, members: ids of this directory, add/remove of members);
paging past 1,000 objects on a full read; values with non-ASCII characters, quotes, commas, ``*``, ``(``,
``)``, ``\\`` round-trip and match only themselves in ``find``; per-change failures come back in the
results (never raised); watermarks never go backwards and survive JSON (the engine stores them so);
``describe()`` is a directoryDefinition; an unreachable server fails fast.

Changes are read through a dict-backed data store committed page by page, exactly as the engine does, so
connectors that find changes through fingerprints (json, csv, SQL without a change column) are tested too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from connectors import (
    ApplyResult,
    Change,
    Connector,
    ConnectorError,
    DirectoryObject,
    Modification,
    ObjectRejected,
    Operation,
    Scalar,
    ValueOp,
    Watermark,
)

from .datastore import DictStore

Extra = Callable[[str, str], Mapping[str, tuple[Scalar, ...]]]

SPECIAL_NAMES = (
    "Zoë Ångström-Øre 日本語",
    "Quote \"double\" and 'single'",
    "Comma, Separated, Name",
    "*",
    "*)(uid=*",
    "(parenthesised)",
    "back\\slash \\2a",
)


@dataclass(frozen=True)
class ContractNames:
    """This directory's attribute names for the roles the suite plays with."""

    user_type: str = "User"
    group_type: str = "Group"
    name: str = "displayName"
    email: str = "mail"
    multi: str = "otherMails"
    manager: str = "manager"
    members: str = "members"
    group_name: str = "displayName"


@dataclass
class ContractSubject:
    connector: Connector
    names: ContractNames = field(default_factory=ContractNames)
    extra: Extra | None = None
    unreachable: Callable[[], Connector] | None = None
    unreachable_seconds: float = 15.0
    large: bool = True
    groups: bool = True
    stores: dict[str, DictStore] = field(default_factory=dict)

    # -- helpers the tests share -------------------------------------------------------------------------

    def create(self, object_type: str, token: str, values: Mapping[str, tuple[Scalar, ...]]) -> Change:
        initial = dict(self.extra(object_type, token)) if self.extra else {}
        initial.update(values)
        mods = tuple(Modification(name, ValueOp.REPLACE, vals) for name, vals in initial.items())
        return Change(Operation.CREATE, object_type, modifications=mods, key=token)

    def user(self, token: str, name: str | None = None, **more: tuple[Scalar, ...]) -> Change:
        n = self.names
        values: dict[str, tuple[Scalar, ...]] = {
            n.name: (name or f"User {token}",),
            n.email: (f"{token}@example.org",),
        }
        values.update(more)
        return self.create(n.user_type, token, values)

    def group(self, token: str, members: Sequence[str] = ()) -> Change:
        values: dict[str, tuple[Scalar, ...]] = {self.names.group_name: (f"Group {token}",)}
        if members:
            values[self.names.members] = tuple(members)
        return self.create(self.names.group_type, token, values)

    def apply_ok(self, changes: Sequence[Change]) -> list[str]:
        """Apply in the connector's batch size; every change must succeed; the target ids."""
        ids: list[str] = []
        size = max(self.connector.capabilities.batch_size, 1)
        for start in range(0, len(changes), size):
            batch = changes[start : start + size]
            results = self.connector.apply(batch)
            assert len(results) == len(batch), "apply returns one result per change"
            for change, result in zip(batch, results, strict=True):
                assert result.ok, f"{change.operation.value} {change.key} failed: {result.error}"
                assert result.key == change.key and result.target_id
                ids.append(result.target_id)
        return ids

    def read(
        self, object_type: str, since: Watermark | None, page_size: int = 1000
    ) -> tuple[list[DirectoryObject], Watermark]:
        """A whole read, committing each page's store updates like the engine: (objects, last watermark)."""
        store = self.stores.setdefault(object_type, DictStore())
        objects: list[DirectoryObject] = []
        watermark = since
        for page in self.connector.read(object_type, since, page_size=page_size, store=store):
            assert len(page.objects) <= page_size, "a page holds at most page_size objects"
            objects.extend(page.objects)
            store.commit(page)
            if page.watermark is not None:
                assert watermark is None or watermark.is_before_or_at(page.watermark), (
                    "watermark went backwards"
                )
                watermark = page.watermark
        assert watermark is not None, "a completed read reports a watermark"
        # The engine stores watermarks as JSON: the next read must work from the stored form.
        stored = Watermark.from_json(json.loads(json.dumps(watermark.to_json())))
        assert stored == watermark, f"watermark {watermark} does not survive JSON"
        return objects, stored

    def one(self, object_type: str, object_id: str) -> DirectoryObject:
        found = self.connector.get(object_type, [object_id])
        assert list(found) == [object_id], f"get({object_id!r}) returned {list(found)}"
        return found[object_id]


def values_of(obj: DirectoryObject, name: str) -> list[Scalar]:
    value = obj.attributes.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def by_id(objects: Sequence[DirectoryObject]) -> dict[str, DirectoryObject]:
    return {obj.id: obj for obj in objects}


class ConnectorContract:
    """Subclass as ``Test<Kind>Contract`` and provide the ``subject`` fixture (see the module docstring)."""

    @pytest.fixture
    def subject(self) -> Iterator[ContractSubject]:
        raise NotImplementedError("the test module provides the subject fixture")

    def test_create_find_update_read_changes_delete(self, subject: ContractSubject) -> None:
        n = subject.names
        [uid] = subject.apply_ok([subject.user("lifecycle1", "Ann Able", **{n.multi: ("a1@example.net",)})])
        found = subject.connector.find(n.user_type, n.email, ["lifecycle1@example.org", "nobody@example.org"])
        assert list(found) == ["lifecycle1@example.org"], "find is keyed by the values that matched"
        assert [o.id for o in found["lifecycle1@example.org"]] == [uid]
        assert values_of(subject.one(n.user_type, uid), n.name) == ["Ann Able"]

        initial, mark = subject.read(n.user_type, None)
        assert uid in by_id(initial) and not by_id(initial)[uid].deleted
        update = Change(
            Operation.UPDATE,
            n.user_type,
            uid,
            (
                Modification(n.name, ValueOp.REPLACE, ("Ann Changed",)),
                Modification(n.multi, ValueOp.ADD, ("a2@example.net",)),
            ),
            key="lifecycle1",
        )
        assert subject.apply_ok([update]) == [uid]
        current = subject.one(n.user_type, uid)
        assert values_of(current, n.name) == ["Ann Changed"]
        assert sorted(map(str, values_of(current, n.multi))) == ["a1@example.net", "a2@example.net"]

        changed, mark2 = subject.read(n.user_type, mark)
        assert [values_of(o, n.name) for o in changed if o.id == uid] == [["Ann Changed"]]
        quiet, mark3 = subject.read(n.user_type, mark2)
        assert uid not in by_id(quiet), "an unchanged object is not delivered again"

        subject.apply_ok([Change(Operation.DELETE, n.user_type, uid, key="lifecycle1")])
        assert subject.connector.get(n.user_type, [uid]) == {}
        assert subject.connector.find(n.user_type, n.email, ["lifecycle1@example.org"]) == {}
        after, _ = subject.read(n.user_type, mark3)
        assert [(o.id, o.deleted) for o in after if o.id == uid] == [(uid, True)], (
            "the deletion is read as a tombstone"
        )

    def test_find_returns_every_match_of_each_value(self, subject: ContractSubject) -> None:
        n = subject.names
        twin1, twin2, solo = subject.apply_ok(
            [
                subject.user("twin1", "Twin Name"),
                subject.user("twin2", "Twin Name"),
                subject.user("solo", "Solo"),
            ]
        )
        found = subject.connector.find(n.user_type, n.name, ["Twin Name", "Solo", "Nobody"])
        assert sorted(found) == ["Solo", "Twin Name"]
        assert sorted(o.id for o in found["Twin Name"]) == sorted([twin1, twin2]), (
            "a matching conflict is visible"
        )
        assert [o.id for o in found["Solo"]] == [solo]

    def test_full_read_returns_only_live_objects(self, subject: ContractSubject) -> None:
        n = subject.names
        keep, drop = subject.apply_ok([subject.user("live1"), subject.user("live2")])
        subject.apply_ok([Change(Operation.DELETE, n.user_type, drop, key="live2")])
        objects, _ = subject.read(n.user_type, None)
        assert keep in by_id(objects) and drop not in by_id(objects)
        assert not any(o.deleted for o in objects)

    def test_count_is_unknown_or_what_a_full_read_delivers(self, subject: ContractSubject) -> None:
        n = subject.names
        _, drop = subject.apply_ok([subject.user("count1"), subject.user("count2")])
        subject.apply_ok([Change(Operation.DELETE, n.user_type, drop, key="count2")])
        objects, _ = subject.read(n.user_type, None)
        total = subject.connector.count(n.user_type)
        assert total is None or total == len(objects), "a progress total is the full read's length"

    def test_manager_reference_holds_an_id_of_this_directory(self, subject: ContractSubject) -> None:
        n = subject.names
        [boss] = subject.apply_ok([subject.user("boss")])
        [report] = subject.apply_ok([subject.user("report", **{n.manager: (boss,)})])
        assert values_of(subject.one(n.user_type, report), n.manager) == [boss]
        users, _ = subject.read(n.user_type, None)
        assert values_of(by_id(users)[report], n.manager) == [boss]
        clear = (Modification(n.manager, ValueOp.REPLACE, ()),)
        subject.apply_ok([Change(Operation.UPDATE, n.user_type, report, clear, key="report")])
        assert values_of(subject.one(n.user_type, report), n.manager) == []

    def test_group_members_hold_ids_and_take_adds_and_removes(self, subject: ContractSubject) -> None:
        if not subject.groups:
            pytest.skip("this directory holds users only")
        n = subject.names
        u1, u2, u3 = subject.apply_ok([subject.user("mem1"), subject.user("mem2"), subject.user("mem3")])
        [gid] = subject.apply_ok([subject.group("team", [u1, u2])])
        assert sorted(map(str, values_of(subject.one(n.group_type, gid), n.members))) == sorted([u1, u2])
        edit = (
            Modification(n.members, ValueOp.ADD, (u3,)),
            Modification(n.members, ValueOp.REMOVE, (u1,)),
        )
        subject.apply_ok([Change(Operation.UPDATE, n.group_type, gid, edit, key="team")])
        assert sorted(map(str, values_of(subject.one(n.group_type, gid), n.members))) == sorted([u2, u3])
        groups, _ = subject.read(n.group_type, None)
        assert sorted(map(str, values_of(by_id(groups)[gid], n.members))) == sorted([u2, u3])

    def test_paging_past_a_thousand_objects(self, subject: ContractSubject) -> None:
        if not subject.large:
            pytest.skip("this peer cannot hold 1,050 objects")
        n = subject.names
        created = subject.apply_ok([subject.user(f"bulk{i:04d}") for i in range(1050)])
        store = subject.stores.setdefault(n.user_type, DictStore())
        sizes: list[int] = []
        seen: list[str] = []
        for page in subject.connector.read(n.user_type, None, page_size=1000, store=store):
            sizes.append(len(page.objects))
            seen.extend(o.id for o in page.objects)
        assert max(sizes) <= 1000 and len([s for s in sizes if s]) >= 2, f"page sizes {sizes}"
        assert len(seen) == len(set(seen)), "no object is delivered twice"
        assert set(created) <= set(seen)

    @pytest.mark.parametrize("name", SPECIAL_NAMES)
    def test_special_characters_round_trip_and_match_only_themselves(
        self, subject: ContractSubject, name: str
    ) -> None:
        n = subject.names
        [plain, special] = subject.apply_ok([subject.user("plain", "plain"), subject.user("special", name)])
        assert values_of(subject.one(n.user_type, special), n.name) == [name]
        found = subject.connector.find(n.user_type, n.name, [name])
        assert [o.id for o in found.get(name, [])] == [special]
        assert [o.id for o in subject.connector.find(n.user_type, n.name, ["plain"])["plain"]] == [plain]
        objects, _ = subject.read(n.user_type, None)
        assert values_of(by_id(objects)[special], n.name) == [name]

    def test_failures_of_one_change_come_back_in_its_result(self, subject: ContractSubject) -> None:
        n = subject.names
        missing = "00000000-0000-4000-8000-00000000dead"
        update = Change(
            Operation.UPDATE, n.user_type, missing, (Modification(n.name, ValueOp.REPLACE, ("x",)),), "m1"
        )
        results: list[ApplyResult] = subject.connector.apply([update, subject.user("survivor")])
        assert [r.key for r in results] == ["m1", "survivor"]
        assert isinstance(results[0].error, ObjectRejected) and results[0].error.policy == "skippable"
        assert results[1].ok and subject.connector.get(n.user_type, [results[1].target_id or ""])
        assert subject.connector.get(n.user_type, [missing]) == {}
        [deleted] = subject.connector.apply([Change(Operation.DELETE, n.user_type, missing, key="d1")])
        assert deleted.ok or isinstance(deleted.error, ObjectRejected), (
            "deleting a missing object never raises"
        )

    def test_describe_is_a_directory_definition(self, subject: ContractSubject) -> None:
        subject.apply_ok([subject.user("described")])
        definition = subject.connector.describe()
        assert isinstance(definition.get("name"), str) and definition["name"]
        objects = {o["name"]: o for o in definition["objects"]}
        assert subject.names.user_type in objects
        attributes = objects[subject.names.user_type]["attributes"]
        assert all(isinstance(a["name"], str) and a["type"] for a in attributes)
        assert sum(1 for a in attributes if a.get("anchor")) == 1, "exactly one anchor attribute"
        capabilities = subject.connector.capabilities
        assert capabilities.batch_size >= 1

    def test_unreachable_server_fails_fast_and_fatally(self, subject: ContractSubject) -> None:
        if subject.unreachable is None:
            pytest.skip("not a networked connector: there is no server to be unreachable")
        started = time.monotonic()
        with pytest.raises(ConnectorError) as caught:
            connector = subject.unreachable()
            connector.validate_credentials()
            list(connector.read(subject.names.user_type))
        elapsed = time.monotonic() - started
        assert caught.value.policy == "fatal", f"{type(caught.value).__name__} is not fatal"
        assert str(caught.value), "the error says what happened"
        assert elapsed < subject.unreachable_seconds, f"took {elapsed:.1f}s"
