"""``ApiConnector``: the records HR systems upload through ``bulkUpload`` (API-driven inbound provisioning),
as an idsync source. Read-only; object type ``User``; the object id is the record's ``externalId``.

Settings::

    connector: api
    inbox: hr-inbox.sqlite        # where bulkUpload keeps the records (relative to the job file's folder)
    maxRequestsPerSecond: 40      # bulkUpload answers 429 above this rate (Entra's documented limit)

Attribute names are the SCIM paths of Entra's inbound schema, with a multi-valued attribute's type as a path
step (idsync's expression names cannot hold ``[...]`` filters): ``externalId``, ``userName``, ``active``,
``name.givenName``, ``emails.work.value``, ``phoneNumbers.mobile.value``, ``addresses.work.locality``,
``urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`` (``...:manager`` is the manager's
``externalId``, a reference), custom extensions
``urn:ietf:params:scim:schemas:extension:<name>:1.0:User:<attribute>``.
``active: false`` is the account-enabled attribute of the ``api-inbound`` template, so such a record is
IsSoftDeleted (disabled in the target). ``bulkId`` carries the record's bulk operation id.

Watermark: the inbox sequence number (an integer cursor, closed lower bound): a read returns the newest
record of each person uploaded since, up to the newest record when the read began (the signpost).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .._base import (
    ApplyResult,
    Capabilities,
    Change,
    Connector,
    ConnectorContext,
    DataStore,
    DirectoryObject,
    Page,
    Scalar,
    Value,
    Watermark,
)
from .._describe import attribute_definition
from .._errors import ConnectorConfigError, ObjectRejected
from ._inbox import Inbox, StoredRecord

KNOWN = ("inbox", "maxRequestsPerSecond")
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
DEFAULT_RATE = 40.0
_TYPES = {"user": "User", CORE_USER.casefold(): "User"}


def inbox_path(settings: Mapping[str, Any], base_dir: Path) -> Path:
    """The inbox file of a job's ``api`` directory (``ConnectorConfigError`` naming ``inbox``)."""
    value = settings.get("inbox")
    if not isinstance(value, str) or not value.strip():
        raise ConnectorConfigError(
            "give the file that keeps the uploaded records, e.g. inbox: hr-inbox.sqlite",
            setting="inbox",
            connector="api",
        )
    path = Path(value.strip())
    return path if path.is_absolute() else base_dir / path


def rate_limit(settings: Mapping[str, Any]) -> float:
    value = settings.get("maxRequestsPerSecond", DEFAULT_RATE)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConnectorConfigError(
            f"must be a positive number, got {value!r}", setting="maxRequestsPerSecond", connector="api"
        )
    return float(value)


def _scalar(value: Any) -> Scalar | None:
    return value if isinstance(value, str | bool | int | float) else None


def _multi(name: str, items: list[Any], out: dict[str, Value]) -> None:
    """``emails``/``phoneNumbers``/``addresses``: one attribute per type and sub-attribute
    (``emails.work.value``; the first of a type wins)."""
    for item in items:
        if not isinstance(item, Mapping):
            continue
        kind = item.get("type") or ("primary" if item.get("primary") else None)
        for sub, value in item.items():
            if sub in ("type", "primary") or _scalar(value) is None:
                continue
            key = f"{name}.{kind}.{sub}" if kind else f"{name}.{sub}"
            out.setdefault(key, _scalar(value))


def flatten(data: Mapping[str, Any]) -> dict[str, Value]:
    """A SCIM user as attribute paths (see the module docstring)."""
    out: dict[str, Value] = {}
    for key, value in data.items():
        if key in ("schemas", "meta", "id"):
            continue
        if isinstance(value, Mapping):
            prefix = f"{key}:" if key.startswith("urn:") else f"{key}."
            for sub, inner in value.items():
                if isinstance(inner, Mapping):  # the enterprise manager: {value, displayName}
                    inner = inner.get("value")
                if _scalar(inner) is not None:
                    out[prefix + sub] = _scalar(inner)
        elif isinstance(value, list) and value and isinstance(value[0], Mapping):
            _multi(key, value, out)
        elif isinstance(value, list):
            out[key] = [v for v in value if _scalar(v) is not None] or None
        elif _scalar(value) is not None:
            out[key] = _scalar(value)
    return {k: v for k, v in out.items() if v is not None}


class ApiConnector(Connector):
    kind = "api"
    settings_keys = frozenset(KNOWN)

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(settings, context)
        for key in settings:
            if key not in KNOWN:
                raise ConnectorConfigError(
                    f"unknown setting; known settings: {', '.join(KNOWN)}", setting=key, connector="api"
                )
        self.inbox = Inbox(inbox_path(settings, context.base_dir))
        self.rate = rate_limit(settings)
        self._committed = 0
        """The highest watermark a read of this connector was given: committed by the job."""

    def end_cycle(self) -> None:
        """After a cycle (under the job's lease; never after a dry-run): the records superseded below the
        committed watermark go (``Inbox.compact``), so the inbox holds about one record a person."""
        if self._committed:
            self.inbox.compact(self._committed)

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(read=True, write=False, batch_size=100)

    @staticmethod
    def _type(object_type: str) -> str:
        found = _TYPES.get(object_type.casefold())
        if found is None:
            raise ConnectorConfigError(
                f"the api connector holds users only (User), not {object_type!r}", connector="api"
            )
        return found

    def to_object(self, object_type: str, record: StoredRecord) -> DirectoryObject:
        attrs = flatten(record.data)
        attrs["externalId"] = record.external_id
        if record.bulk_id:
            attrs["bulkId"] = record.bulk_id
        return DirectoryObject(object_type, record.external_id, attrs, cursor=record.seq)

    def describe(self) -> dict[str, Any]:
        names: dict[str, str] = {}
        for record in self.inbox.latest(0, self.inbox.last_seq()):
            for name, value in flatten(record.data).items():
                names.setdefault(name, "Boolean" if isinstance(value, bool) else "String")
        attributes = [attribute_definition("externalId", anchor=True)]
        attributes += [attribute_definition(n, type_=t) for n, t in names.items() if n != "externalId"]
        manager = f"{ENTERPRISE}:manager"
        for attribute in attributes:
            if attribute["name"] == manager:
                attribute["type"] = "Reference"
                attribute["referencedObjects"] = [
                    {"referencedObjectName": "User", "referencedProperty": None}
                ]
        return {
            "id": self.context.directory_name,
            "name": self.context.directory_name,
            "readOnly": True,
            "discoverabilities": "AttributeNames",
            "objects": [
                {
                    "name": "User",
                    "attributes": attributes,
                    "metadata": [{"key": "PropertyNameAccountEnabled", "value": "active"}],
                    "supportedApis": [],
                }
            ],
        }

    def validate_credentials(self) -> None:
        self.inbox.last_seq()

    def read(
        self,
        object_type: str,
        since: Watermark | None = None,
        *,
        page_size: int = 1000,
        store: DataStore | None = None,
    ) -> Iterator[Page]:
        self._type(object_type)
        signpost = self.inbox.last_seq()
        start = since.cursor if since is not None and isinstance(since.cursor, int) else 0
        if since is not None and not isinstance(since.cursor, int):
            raise ConnectorConfigError(
                "the watermark is not an inbox sequence number; restart the job with the Watermark scope",
                connector="api",
            )
        self._committed = max(self._committed, start)
        records = [
            r
            for r in self.inbox.latest(start, signpost)
            if since is None or r.external_id not in since.boundary_ids or r.seq > start
        ]
        size = max(1, page_size)
        chunks = [records[i : i + size] for i in range(0, len(records), size)] or [[]]
        end = Watermark(signpost + 1)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            # an incremental read may commit as it goes (a person's newest record is past every older one);
            # a full read promises nothing before its end
            mark = end if last else (Watermark(chunk[-1].seq + 1) if since is not None and chunk else None)
            yield Page([self.to_object(object_type, r) for r in chunk], mark)

    def get(self, object_type: str, ids: Sequence[str]) -> dict[str, DirectoryObject]:
        kind = self._type(object_type)
        found = {i: self.inbox.person(i) for i in dict.fromkeys(ids)}
        return {i: self.to_object(kind, r) for i, r in found.items() if r is not None}

    def find(
        self, object_type: str, attribute: str, values: Sequence[str]
    ) -> dict[str, list[DirectoryObject]]:
        kind = self._type(object_type)
        wanted = set(values)
        result: dict[str, list[DirectoryObject]] = {}
        for record in self.inbox.latest(0, self.inbox.last_seq()):
            obj = self.to_object(kind, record)
            value = obj.attributes.get(attribute)
            for one in value if isinstance(value, list) else [value]:
                if isinstance(one, str) and one in wanted:
                    result.setdefault(one, []).append(obj)
        return result

    def apply(self, changes: Sequence[Change]) -> list[ApplyResult]:
        return [
            ApplyResult(
                c.key,
                c.target_id,
                ObjectRejected(
                    "the api connector is a source only (records arrive through bulkUpload)", connector="api"
                ),
            )
            for c in changes
        ]


__all__ = ["ApiConnector", "inbox_path", "rate_limit"]
