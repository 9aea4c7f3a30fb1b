"""The connector contract: value types and the ``Connector`` base class. No I/O here.

A connector is a directory (JSON file, LDAP server, SCIM app, SQL tables, CSV feed) seen through one small
interface, used by the engine both as a *source* (``read``) and as a *target* (``get``, ``find``, ``apply``).

Rules every connector keeps (the contract suite in ``tests/connectors`` checks them):

* **Stateless about sync.** A connector never stores watermarks or links. ``read`` reports where it got to
  (``Page.watermark``); the engine commits that in the same transaction as the links of the page. Sources
  with no native change tracking (a JSON or CSV file) keep per-object fingerprints in the engine-owned
  *connector data store* (Entra's "ConnectorDataStore", cleared by ``restart`` with that scope): they read
  it through ``DataStore`` and return their writes in ``Page.store_updates`` for the engine to commit.
* **Watermarks** have a closed lower bound: ``read(since=w)`` returns every object whose change cursor is
  ``>= w.cursor`` except the ids in ``w.boundary_ids`` (already delivered at exactly that cursor), because
  LDAP CSNs, SQL timestamps and file times have coarse resolution. A page's watermark never goes backwards
  and never passes the cursor observed when the read began (the signpost): later changes wait for the next
  cycle.
* **Deletions.** ``read(since=w)`` yields tombstones (``DirectoryObject.deleted``) for objects deleted since
  ``w``. A full read (``since=None``) yields only live objects; the engine finds deletions by comparing the
  anchors it saw with its links -- only after a complete read: a read that skipped objects it could not read
  says so (``Page.incomplete``), and one that cannot read at all (a missing file, a dropped table, an
  unreachable server) raises.
* **References** (manager, members) hold the referenced objects' ids *in this directory*; the connector
  maps them to DNs, SCIM ids or foreign keys itself. The engine translates source ids to target ids.
* **Errors**: only ``connectors`` errors escape (see ``_errors``). ``apply`` returns one ``ApplyResult`` per
  change, in order; a per-object failure is an ``ObjectRejected`` inside its result, a failure of the whole
  directory is raised. A batch cut short by a fatal error may have written some changes without the engine
  learning their new ids: the engine's matching step links such objects on the next cycle instead of
  creating them twice, so targets must support ``find`` on the matching attributes.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, NamedTuple, Protocol

Scalar = str | bool | int | float
"""One attribute value. Dates travel as ISO-8601 strings, binary values as base64 strings."""

Value = Scalar | list[Scalar] | None
"""An attribute's value: a scalar, a list for multi-valued attributes, or None (absent)."""

WATERMARK_VERSION = 1


@dataclass(frozen=True, slots=True)
class DirectoryObject:
    """One object read from a directory."""

    object_type: str
    """The object name of the directory definition (``User``, ``Group``, a SCIM schema URN...)."""
    id: str
    """The object's anchor in this directory (entryUUID, SCIM id, primary key, the JSON ``id``)."""
    attributes: Mapping[str, Value] = field(default_factory=dict)
    """Attribute name -> value; an absent name means null. References hold ids of this directory."""
    deleted: bool = False
    """True for a tombstone: the object was hard-deleted since the watermark."""
    cursor: str | int | None = None
    """The object's change cursor when the directory has one (diagnostics only)."""


@dataclass(frozen=True, slots=True)
class Watermark:
    """Where a source read got to: a closed lower bound plus the ids already seen at that bound."""

    cursor: str | int | None
    boundary_ids: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        return {"version": WATERMARK_VERSION, "cursor": self.cursor, "boundaryIds": sorted(self.boundary_ids)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Watermark:
        version = data.get("version", WATERMARK_VERSION)
        if not isinstance(version, int) or version > WATERMARK_VERSION:
            raise ValueError(f"watermark version {version!r} is newer than this idsync understands")
        cursor = data.get("cursor")
        if cursor is not None and not isinstance(cursor, str | int):
            raise ValueError(f"watermark cursor must be a string or an integer, got {cursor!r}")
        return cls(cursor=cursor, boundary_ids=frozenset(data.get("boundaryIds", ())))

    def is_before_or_at(self, other: Watermark) -> bool:
        """True when ``other`` does not go backwards from ``self`` (cursors of different kinds: unknown)."""
        if self.cursor is None or other.cursor is None:
            return other.cursor is not None or self.cursor is None
        if type(self.cursor) is not type(other.cursor):
            return True
        return bool(self.cursor <= other.cursor)  # type: ignore[operator]


@dataclass(frozen=True, slots=True)
class Page:
    """A bounded slice of a read. The engine applies its objects, then commits ``watermark`` and
    ``store_updates`` together with the links, in one transaction."""

    objects: Sequence[DirectoryObject]
    watermark: Watermark | None = None
    """Safe to commit once this page is applied; None while the read cannot yet promise anything."""
    store_updates: Mapping[str, str | None] = field(default_factory=dict)
    """Connector data store writes (key -> value; None removes the key)."""
    incomplete: str | None = None
    """Why this read is not complete (some objects could not be read: a malformed row, an oversized
    field...), or None. On any page of a full read it keeps the engine from taking an object's absence for
    a deletion; an incremental read yields no tombstone it cannot vouch for in the first place."""


class DataStore(Protocol):
    """Read-only view of the engine-owned connector data store for one directory and object type."""

    def get_many(self, keys: Iterable[str]) -> dict[str, str]: ...

    def keys(self) -> Iterator[str]: ...

    def count(self) -> int:
        """How many keys the store holds (lets a connector check for deletions without reading them all)."""
        ...


class Operation(str, enum.Enum):  # noqa: UP042 -- StrEnum would change str() and format()
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class ValueOp(str, enum.Enum):  # noqa: UP042 -- StrEnum would change str() and format()
    REPLACE = "replace"
    """Set the attribute to exactly ``values`` (an empty tuple clears it)."""
    ADD = "add"
    """Add ``values`` to a multi-valued attribute (values already present are kept once)."""
    REMOVE = "remove"
    """Remove ``values`` from a multi-valued attribute (an empty tuple removes the attribute)."""


class Modification(NamedTuple):
    """One attribute-level edit of a create or update (a named tuple: immutable, and cheap to make — an
    initial cycle makes one per attribute of every object)."""

    name: str
    op: ValueOp
    values: tuple[Scalar, ...] = ()


@dataclass(frozen=True, slots=True)
class Change:
    """One write for ``Connector.apply``."""

    operation: Operation
    object_type: str
    target_id: str | None = None
    """The object's id in the target; None for a create."""
    modifications: tuple[Modification, ...] = ()
    """For a create, REPLACE modifications give the initial attributes; empty for a delete."""
    key: str = ""
    """The engine's correlation key (usually the source anchor), echoed back in the result."""


class ApplyResult(NamedTuple):
    """The outcome of one change (a named tuple: a batch makes one per change)."""

    key: str
    target_id: str | None
    """The object's id in the target (the new id after a create)."""
    error: Exception | None = None
    """A skippable ``ConnectorError`` when the directory refused this one change."""

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class Capabilities:
    read: bool = True
    write: bool = True
    soft_delete: bool = False
    """The target can disable an object instead of deleting it (through the IsSoftDeleted mapping)."""
    batch_size: int = 100
    """Changes the engine hands ``apply`` at once when the job does not set a batch size."""


@dataclass(frozen=True, slots=True)
class ConnectorContext:
    """What the engine tells a connector about where it is bound."""

    directory_name: str
    """The schema's directory name this connector serves (``Azure Active Directory``, ``SCIM App``...)."""
    base_dir: Path = field(default_factory=Path.cwd)
    """Relative paths in the settings are relative to this folder (the job file's)."""
    object_types: tuple[str, ...] = ()
    """Object names the job's schema uses in this directory."""
    multi_valued: frozenset[str] = frozenset()
    """Attribute names the job's schema declares multi-valued in this directory: a connector that cannot tell
    from its own data (a json file) keeps their values as lists, even with one value."""
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Attribute names the job's schema reads from each object type of this directory (its mappings' and
    scoping filters' source attributes, the account-enabled attribute, the anchor): a source that must name
    what it reads (Graph's ``$select``) reads these; empty when unknown."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Test and embedding hooks (e.g. an httpx ``transport`` for the SCIM connector)."""


class Connector(ABC):
    """Base class of every directory connector.

    Subclasses set ``kind`` (the ``connector:`` name in job files), take their settings (with ``${ENV}``
    secrets already resolved by the engine) in ``__init__``, and raise ``ConnectorConfigError`` naming the
    setting when they are wrong.
    """

    kind: ClassVar[str]
    settings_keys: ClassVar[frozenset[str] | None] = None
    """The top-level settings this kind takes in a job file; the engine refuses any other key (with a "did
    you mean"). None: not declared, the engine passes every key through unchecked (third-party kinds)."""

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        self.settings = settings
        self.context = context

    @property
    @abstractmethod
    def capabilities(self) -> Capabilities: ...

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """This directory as a Graph ``directoryDefinition`` document (name, objects, attributes)."""

    def validate_credentials(self) -> None:  # noqa: B027 -- an optional hook: no check by default
        """Raise ``ConnectionFailed`` / ``AuthenticationFailed`` when the directory cannot be used."""

    @abstractmethod
    def read(
        self,
        object_type: str,
        since: Watermark | None = None,
        *,
        page_size: int = 1000,
        store: DataStore | None = None,
    ) -> Iterator[Page]:
        """Every object (``since=None``) or the changes since a watermark, in bounded pages."""

    def count(self, object_type: str) -> int | None:
        """How many objects a full read of ``object_type`` delivers, when the directory can tell without
        reading them (the total of a progress bar); None when it cannot (the default)."""
        return None

    @abstractmethod
    def get(self, object_type: str, ids: Sequence[str]) -> dict[str, DirectoryObject]:
        """The objects with these ids that exist (missing ids are simply absent from the result)."""

    @abstractmethod
    def find(
        self, object_type: str, attribute: str, values: Sequence[str]
    ) -> dict[str, list[DirectoryObject]]:
        """Objects whose ``attribute`` equals each value, keyed by the value asked for (for matching)."""

    @abstractmethod
    def apply(self, changes: Sequence[Change]) -> list[ApplyResult]:
        """Write a batch; one result per change, in order."""

    def end_cycle(self) -> None:  # noqa: B027 -- an optional hook: nothing pending by default
        """The engine's cycle is over (succeeded or not): make its writes final. The file connectors fold
        their write journal into the file here (one atomic rewrite per cycle, not per batch)."""

    def close(self) -> None:  # noqa: B027 -- an optional hook: nothing to release by default
        """Release connections and files."""

    def __enter__(self) -> Connector:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
