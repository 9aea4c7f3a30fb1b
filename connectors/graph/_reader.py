"""Reading Entra ID through Graph's delta queries, for ``GraphConnector.read``.

* **A full read** (``since=None``) is a new delta *round*: ``/users/delta`` or ``/groups/delta`` with the
  ``$select`` of the attributes read, followed by ``@odata.nextLink`` until the ``@odata.deltaLink``. Its
  pages
  carry no watermark; the last one carries the delta link, so the watermark advances only with the commit of
  the page that ends the round (a crash mid-round starts the round again).
* **An incremental read** follows the stored delta link. An entry with ``@removed: {reason: deleted}`` is a
  tombstone (permanently deleted); ``reason: changed`` is a soft delete (the recycle bin): the object comes
  with ``deletedDateTime`` set, which the engine reads as IsSoftDeleted. Any other entry is a changed object:
  a round lists only changed properties, so the object is read again whole (``GET /users/{id}``), and a
  group whose ``members@delta`` moved has its members read from ``/groups/{id}/members``.
* **410** (``resyncRequired``): the link is gone; a new round reads everything again, and objects the data
  store saw before that the new round no longer has become tombstones.
* **The watermark cursor** is ``"<round number, 20 digits> <delta link>"``: Graph's links are opaque, and the
  engine keeps a watermark only if it does not go backwards, so a number in front makes them compare in the
  order they were made: the time the round began in microseconds, and always past the previous round's
  (a full read after a restart or a schema change gets a link the engine keeps, too).
* **scope: assigned** (Entra's "sync only assigned users and groups"): the users assigned to the app
  (``/servicePrincipals/{id}/appRoleAssignedTo``) and the *direct* user members of the groups assigned to it
  (spec §D.7: no nesting) are entitled; groups are entitled when assigned. Every object carries
  ``IsEffectivelyEntitledForProvisioning`` (the name of Entra's scoping step detail): False puts it out of
  scope (IsSoftDeleted). The entitled ids are kept in the data store (``a:<id>``), so an incremental read
  also delivers the objects whose assignment changed although Graph's round does not list them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from .._base import DataStore, DirectoryObject, Page, Value, Watermark
from .._errors import ConnectorConfigError, ConnectorError
from . import _names
from ._http import GraphHttp, ResyncRequired
from ._settings import GraphSettings

ENTITLED = "IsEffectivelyEntitledForProvisioning"
USER_TYPE = "#microsoft.graph.user"
_ASSIGNED = "a:"
_SEEN = "s:"
_MAX_PAGE = 999


def cursor_of(round_number: int, link: str) -> str:
    return f"{round_number:020d} {link}"


def parse_cursor(watermark: Watermark) -> tuple[int, str]:
    text = watermark.cursor
    number, _, link = str(text).partition(" ") if isinstance(text, str) else ("", "", "")
    if not number.isdigit() or not link.startswith(("https://", "http://")):
        raise ConnectorError(
            f"the watermark {str(text)[:60]!r} is not a Graph delta link; restart the job with the Watermark "
            "scope to read everything again",
            connector="graph",
        )
    return int(number), link


class GraphReader:
    """Reads one object type (``User`` or ``Group``)."""

    def __init__(self, http: GraphHttp, settings: GraphSettings, object_type: str, names: Sequence[str]):
        self.http = http
        self.settings = settings
        self.object_type = object_type
        self.collection = "users" if object_type == "User" else "groups"
        self.names = tuple(names)
        self.with_manager = object_type == "User" and "manager" in self.names
        self.with_members = object_type == "Group" and "members" in self.names

    # -- one object ---------------------------------------------------------------------------------------

    def select(self) -> str:
        extra = ["manager"] if self.with_manager else []
        extra += ["members"] if self.with_members else []
        return ",".join(_names.select([*self.names, *extra]))

    def to_object(
        self,
        resource: Mapping[str, Any],
        references: Mapping[str, Value] | None = None,
        entitled: set[str] | None = None,
    ) -> DirectoryObject:
        object_id = str(resource["id"])
        attrs = _names.attributes(resource, self.names)
        for name, value in (references or {}).items():
            if value not in (None, []):
                attrs[name] = value
        if entitled is not None:
            attrs[ENTITLED] = object_id in entitled
        return DirectoryObject(self.object_type, object_id, attrs)

    def fetch(self, object_id: str, entitled: set[str] | None = None) -> DirectoryObject | None:
        """The current state of one object (None when it is gone)."""
        params = {"$select": ",".join(_names.select(self.names))}
        if self.with_manager:
            params["$expand"] = "manager($select=id)"
        body = self.http.get(f"/{self.collection}/{object_id}", params)
        if body is None:
            return None
        references: dict[str, Value] = {}
        if self.with_manager:
            manager = body.get("manager")
            references["manager"] = (
                str(manager["id"]) if isinstance(manager, dict) and "id" in manager else None
            )
        if self.with_members:
            references["members"] = sorted(self.members(object_id)) or None
        return self.to_object(body, references, entitled)

    def members(self, group_id: str, users_only: bool = False) -> set[str]:
        found: set[str] = set()
        for item in self.listing(f"/groups/{group_id}/members", {"$select": "id"}):
            if not users_only or item.get("@odata.type", USER_TYPE) == USER_TYPE:
                found.add(str(item["id"]))
        return found

    def listing(self, path: str, params: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        """Every item of a paged Graph list (``@odata.nextLink``)."""
        body = self.http.get(path, {**params, "$top": str(_MAX_PAGE)})
        while body is not None:
            yield from body.get("value", [])
            link = body.get("@odata.nextLink")
            body = self.http.get(link) if link else None

    # -- scope: assigned --------------------------------------------------------------------------------

    def entitled(self) -> set[str] | None:
        """The ids in the app's scope (users or groups, by this reader's type); None for scope: all."""
        if self.settings.scope != "assigned":
            return None
        principal = self.settings.service_principal_id
        path = f"/servicePrincipals/{principal}/appRoleAssignedTo"
        if self.http.get(path, {"$top": "1"}) is None:
            raise ConnectorConfigError(
                f"Graph has no service principal {principal!r}; give the object id of the "
                "app's service principal (Enterprise applications)",
                setting="servicePrincipalId",
                connector="graph",
            )
        users: set[str] = set()
        groups: set[str] = set()
        for row in self.listing(path, {"$select": "principalId,principalType"}):
            (groups if row.get("principalType") == "Group" else users).add(str(row["principalId"]))
        if self.object_type == "Group":
            return groups
        for group_id in sorted(groups):  # direct members only (spec §D.7)
            users |= self.members(group_id, users_only=True)
        return users

    # -- reads ----------------------------------------------------------------------------------------------

    def read(
        self, since: Watermark | None, page_size: int, store: DataStore | None, entitled: set[str] | None
    ) -> Iterator[Page]:
        """``entitled``: the ids in the app's scope when the read began (``entitled()``), None for all."""
        page_size = max(1, page_size)
        previous, link = parse_cursor(since) if since is not None else (0, None)
        number = max(previous + 1, time.time_ns() // 1000)
        try:
            if link is None:
                yield from self._round(number, page_size, store, entitled, tombstones=False)
            else:
                yield from self._changes(link, number, page_size, store, entitled)
        except ResyncRequired:
            yield from self._round(number, page_size, store, entitled, tombstones=since is not None)

    def _delta_pages(
        self, link: str | None, page_size: int
    ) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
        headers = {"Prefer": f"odata.maxpagesize={min(page_size, _MAX_PAGE)}"}
        if link is None:
            body = self.http.get(f"/{self.collection}/delta", {"$select": self.select()}, headers)
        else:
            body = self.http.get(link, None, headers)
        while True:
            if body is None:
                raise ResyncRequired("the delta link answered 404")
            next_link, delta_link = body.get("@odata.nextLink"), body.get("@odata.deltaLink")
            yield list(body.get("value", [])), delta_link
            if delta_link or not next_link:
                if not delta_link:
                    raise ConnectorError(
                        f"a {self.collection} delta page has neither @odata.nextLink nor @odata.deltaLink",
                        connector="graph",
                    )
                return
            body = self.http.get(next_link, None, headers)

    def _managers(self) -> dict[str, str]:
        if not self.with_manager:
            return {}
        found: dict[str, str] = {}
        for user in self.listing("/users", {"$select": "id", "$expand": "manager($select=id)"}):
            manager = user.get("manager")
            if isinstance(manager, dict) and manager.get("id"):
                found[str(user["id"])] = str(manager["id"])
        return found

    def _round(
        self,
        number: int,
        page_size: int,
        store: DataStore | None,
        entitled: set[str] | None,
        *,
        tombstones: bool,
    ) -> Iterator[Page]:
        """A new round: every object. ``tombstones``: what the store knew and the round lacks is deleted."""
        managers = self._managers()
        members: dict[str, set[str]] = {}
        seen: set[str] = set()
        for items, delta_link in self._delta_pages(None, page_size):
            objects: list[DirectoryObject] = []
            for item in items:
                if "@removed" in item:
                    continue
                object_id = str(item["id"])
                refs: dict[str, Value] = {}
                if self.with_manager:
                    refs["manager"] = managers.get(object_id)
                if self.with_members:
                    group = members.setdefault(object_id, set())
                    for member in item.get("members@delta", []):
                        (group.discard if "@removed" in member else group.add)(str(member["id"]))
                    refs["members"] = sorted(group)
                seen.add(object_id)
                objects.append(self.to_object(item, refs, entitled))
            updates: dict[str, str | None] = {_SEEN + o.id: "1" for o in objects}
            updates.update(self._entitlement_updates(objects, entitled))
            if delta_link is None:
                yield from self._chunks(objects, page_size, updates, None)
                continue
            gone = [
                key
                for key in (store.keys() if store is not None else ())
                if key.startswith(_SEEN) and key[len(_SEEN) :] not in seen
            ]
            updates.update(dict.fromkeys(gone))
            if entitled is not None and store is not None:
                updates.update(
                    {k: None for k in list(store.keys()) if k.startswith(_ASSIGNED) and k[2:] not in entitled}
                )
            if tombstones:
                objects += [
                    DirectoryObject(self.object_type, key[len(_SEEN) :], deleted=True) for key in gone
                ]
            mark = Watermark(cursor_of(number, delta_link))
            yield from self._chunks(objects, page_size, updates, mark)

    def _changes(
        self, link: str, number: int, page_size: int, store: DataStore | None, entitled: set[str] | None
    ) -> Iterator[Page]:
        delivered: set[str] = set()
        for items, delta_link in self._delta_pages(link, page_size):
            objects: list[DirectoryObject] = []
            updates: dict[str, str | None] = {}
            for item in items:
                object_id = str(item["id"])
                delivered.add(object_id)
                reason = (item.get("@removed") or {}).get("reason") if "@removed" in item else None
                if reason == "deleted":
                    objects.append(DirectoryObject(self.object_type, object_id, deleted=True))
                    updates[_SEEN + object_id] = None
                    updates[_ASSIGNED + object_id] = None
                elif reason is not None:  # "changed": in the recycle bin, restorable for 30 days
                    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                    attrs: dict[str, Value] = {"deletedDateTime": now}
                    if entitled is not None:
                        attrs[ENTITLED] = object_id in entitled
                    objects.append(DirectoryObject(self.object_type, object_id, attrs))
                else:
                    current = self.fetch(object_id, entitled)
                    if current is not None:  # gone since the round was made: the next round says how
                        objects.append(current)
                        updates[_SEEN + object_id] = "1"
            updates.update(self._entitlement_updates([o for o in objects if not o.deleted], entitled))
            if delta_link is None:
                yield from self._chunks(objects, page_size, updates, None)
                continue
            moved, moved_updates = self._assignment_moves(store, entitled, delivered)
            updates.update(moved_updates)
            mark = Watermark(cursor_of(number, delta_link))
            yield from self._chunks(objects + moved, page_size, updates, mark)

    def _assignment_moves(
        self, store: DataStore | None, entitled: set[str] | None, delivered: set[str]
    ) -> tuple[list[DirectoryObject], dict[str, str | None]]:
        """Objects whose assignment changed since the last read although the round did not list them."""
        if entitled is None or store is None:
            return [], {}
        before = {key[len(_ASSIGNED) :] for key in list(store.keys()) if key.startswith(_ASSIGNED)}
        objects: list[DirectoryObject] = []
        updates: dict[str, str | None] = {}
        for object_id in sorted((before ^ entitled) - delivered):
            current = self.fetch(object_id, entitled)
            if current is not None:
                objects.append(current)
            updates[_ASSIGNED + object_id] = "1" if object_id in entitled else None
        return objects, updates

    @staticmethod
    def _entitlement_updates(
        objects: Sequence[DirectoryObject], entitled: set[str] | None
    ) -> dict[str, str | None]:
        if entitled is None:
            return {}
        return {_ASSIGNED + o.id: "1" if o.id in entitled else None for o in objects}

    @staticmethod
    def _chunks(
        objects: list[DirectoryObject], size: int, updates: Mapping[str, str | None], mark: Watermark | None
    ) -> Iterator[Page]:
        """Pages of at most ``size`` objects; the store updates and the watermark ride on the last one."""
        starts = list(range(0, len(objects), size)) or [0]
        for index, start in enumerate(starts):
            last = index == len(starts) - 1
            yield Page(objects[start : start + size], mark if last else None, dict(updates) if last else {})


__all__ = ["ENTITLED", "GraphReader", "cursor_of", "parse_cursor"]
