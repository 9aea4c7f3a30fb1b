"""The SCIM server as a *target*: one change -> POST / PATCH / DELETE, and the status codes judged.

Per-change outcomes (raised here, turned into the change's ``ApplyResult`` by the connector):

* 400 -> ``ObjectRejected`` with the server's ``scimType: detail``; 409 -> ``ObjectConflict``
  (uniqueness; the engine's matching or an escrow deals with it); 404 on an update -> ``ObjectRejected``
  (the object is gone; the next cycle sees the deletion).
* DELETE of an object that is already gone (404) succeeds: the engine may repeat a delete after a crash.
* 401/403, unreachable server, exhausted retries: raised by ``_http`` and fatal / retriable for the batch.

``entra`` dialect only: Entra creates an object without its references and sets them with a follow-up
PATCH (spec entra-scim.md §2.2, §2.5: manager "once the manager is linked", groups created without members),
and the POST of a group lists Entra's extra schema URN (scim2-server refuses it with a 400: peers §2.1 #3).
If such a follow-up PATCH fails, the object exists: its result carries the new id *and* the error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .._base import Change, Modification, Operation
from .._errors import ObjectConflict, ObjectRejected
from ._http import Reply, ScimHttp
from ._patch import Dialect, add_missing_elements, has_filtered_writes, patch_body, patch_operations
from ._paths import CORE_GROUP, parse_path
from ._resource import build_resource, is_reference, resolve
from ._schema import Catalog

ADSCIM_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


class CreatedWithErrors(ObjectRejected):
    """The object was created but a follow-up write failed; ``target_id`` is its new id."""

    def __init__(self, target_id: str, cause: ObjectRejected) -> None:
        super().__init__(
            f"created as {target_id}, but {cause.message}", connector="scim", detail=cause.detail
        )
        self.target_id = target_id


def _rejected(reply: Reply, what: str) -> ObjectRejected:
    cls = ObjectConflict if reply.status == 409 else ObjectRejected
    return cls(
        f"the SCIM server refused to {what} (HTTP {reply.status})",
        connector="scim",
        detail=reply.error_detail(),
    )


class ScimWriter:
    def __init__(
        self,
        http: ScimHttp,
        dialect: Dialect,
        catalog: Callable[[], Catalog],
        endpoint: Callable[[str], tuple[str, str]],
    ) -> None:
        self.http = http
        self.dialect = dialect
        self.catalog = catalog
        self.endpoint = endpoint

    def write(self, change: Change) -> str | None:
        """Apply one change; the object's id in the target."""
        if change.operation is Operation.CREATE:
            return self.create(change.object_type, change.modifications)
        if change.target_id is None:
            raise ObjectRejected(f"{change.operation.value} of a {change.object_type} without a target id")
        if change.operation is Operation.DELETE:
            self.delete(change.object_type, change.target_id)
        else:
            self.update(change.object_type, change.target_id, change.modifications)
        return change.target_id

    def create(self, object_type: str, modifications: Sequence[Modification]) -> str:
        path, core = self.endpoint(object_type)
        deferred = [m for m in modifications if self._deferred(m, core)]
        initial = [m for m in modifications if m not in deferred]
        body = build_resource(core, initial, self.catalog(), primary_work_email=self.dialect.entra)
        if self.dialect.entra:
            body["meta"] = {"resourceType": "Group" if core == CORE_GROUP else "User"}
            if core == CORE_GROUP:
                body["schemas"].append(ADSCIM_GROUP)
        reply = self.http.request("POST", path, body=body)
        if reply.status not in (200, 201):
            raise _rejected(reply, f"create the {object_type}")
        new_id = reply.body.get("id") if isinstance(reply.body, dict) else None
        if not isinstance(new_id, str) or not new_id:
            raise ObjectRejected(
                f"the SCIM server created the {object_type} but returned no 'id'", connector="scim"
            )
        if deferred:
            try:
                self.update(object_type, new_id, deferred)
            except ObjectRejected as exc:
                raise CreatedWithErrors(new_id, exc) from exc
        return new_id

    def _deferred(self, mod: Modification, core: str) -> bool:
        return self.dialect.entra and is_reference(resolve(parse_path(mod.name), core))

    def update(self, object_type: str, object_id: str, modifications: Sequence[Modification]) -> None:
        path, core = self.endpoint(object_type)
        operations = patch_operations(modifications, self.dialect, self.catalog(), core)
        if not operations:
            return
        if self.dialect.entra:
            # Entra sets references in a PATCH of their own, after the other attributes.
            refs = [m for m in modifications if self._deferred(m, core)]
            if refs and len(refs) < len(modifications):
                self.update(object_type, object_id, [m for m in modifications if m not in refs])
                operations = patch_operations(refs, self.dialect, self.catalog(), core)
        self._patch(f"{path}/{object_id}", object_type, operations)

    def _patch(self, location: str, object_type: str, operations: list[dict[str, Any]]) -> None:
        reply = self.http.request("PATCH", location, body=patch_body(operations))
        if _no_target(reply) and has_filtered_writes(operations):
            current = self.http.request("GET", location)
            if current.status == 200 and isinstance(current.body, dict):
                fixed = add_missing_elements(operations, current.body, self.dialect)
                reply = self.http.request("PATCH", location, body=patch_body(fixed))
        if reply.status == 404:
            raise ObjectRejected(f"the {object_type} {location.rsplit('/', 1)[-1]} does not exist (HTTP 404)",
                                 connector="scim", detail=reply.error_detail())  # fmt: skip
        if not 200 <= reply.status < 300:
            raise _rejected(reply, f"update the {object_type}")

    def delete(self, object_type: str, object_id: str) -> None:
        path, _ = self.endpoint(object_type)
        reply = self.http.request("DELETE", f"{path}/{object_id}")
        if reply.status != 404 and not 200 <= reply.status < 300:
            raise _rejected(reply, f"delete the {object_type}")


def _no_target(reply: Reply) -> bool:
    return reply.status == 400 and isinstance(reply.body, dict) and reply.body.get("scimType") == "noTarget"


__all__ = ["ADSCIM_GROUP", "CreatedWithErrors", "ScimWriter"]
