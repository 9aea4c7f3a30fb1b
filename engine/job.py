"""The job file contract: ``load_job(path) -> Job``.

A job binds a synchronization schema (a Graph ``synchronizationSchema`` file, or a built-in template) to one
connector per directory name its rules use, plus job settings, a schedule and a state URL::

    id: demo
    schema: schema.json            # or  template: scim
    schedule: PT40M                # ISO-8601 interval (seconds allowed: PT5S)
    servicePrincipal: local        # optional
    directories:
      Azure Active Directory: {connector: json, path: source.json}
      SCIM App:               {connector: json, path: target.json}
    settings: {deleteThreshold: 500, skipOutOfScopeDeletions: false}
    state: sqlite:///demo-state.db # optional; default: <job file stem>.state.db beside the job file

``state`` may also be a mapping, for the state store's settings: ``state: {url: sqlite:///demo-state.db,
parallelReads: auto}`` (``url`` optional, as above; ``parallelReads``: ``auto``, ``on`` or ``off``, how the
state store reads lists of ids, chosen when it opens: see ``engine.state``).

Decisions: relative paths (the schema file, SQLite state files, connector paths through
``ConnectorContext.base_dir``) are relative to the job file's folder. ``${ENV_VAR}`` references inside
connector settings are resolved only when connectors are bound (``bind_connectors``), so secrets are never
held by the ``Job`` nor written anywhere; an unset variable is an error naming the key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors import Connector, ConnectorContext, ConnectorError, create_connector

from ._duration import parse_duration
from ._jobfile import JobFileError, key_path, position, read_document
from .state import PARALLEL_READS, ParallelReadsSetting

if TYPE_CHECKING:
    from .schema import SynchronizationSchema

__all__ = ["Job", "JobFileError", "JobSettings", "bind_connectors", "load_job"]

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class JobSettings(BaseModel):
    """Job settings (``settings:`` in the job file); camelCase keys, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    delete_threshold: int | None = Field(500, alias="deleteThreshold", ge=1)
    """Removals (deletes + disables) per cycle that quarantine the job (TooManyDeletes); null disables it."""
    skip_out_of_scope_deletions: bool = Field(False, alias="skipOutOfScopeDeletions")
    """Objects leaving scope are left alone instead of being disabled or deleted."""
    placeholders: dict[str, str] = Field(default_factory=dict)
    """Values of ``%Name%`` constants (decision 12), e.g. ``{DomainFQDN: contoso.com}``."""
    default_domain: str | None = Field(None, alias="defaultDomain")
    """What ``DefaultDomain()`` returns."""
    page_size: int = Field(1000, alias="pageSize", ge=1)
    """Objects per source page (memory is bounded by this, not the directory size)."""
    batch_size: int | None = Field(None, alias="batchSize", ge=1)
    """Changes per target write; default: the target connector's own batch size."""
    escrow_retry_hours: tuple[float, ...] = Field((6.0, 12.0, 24.0), alias="escrowRetryHours")
    """Backoff between escrow retries (spec §D.6: 6 h, 12 h, then every 24 h)."""
    escrow_max_days: float = Field(28.0, alias="escrowMaxDays", gt=0)
    """An escrow older than this is dropped (spec §D.6)."""
    max_retries: int = Field(3, alias="maxRetries", ge=0)
    """Retries of a target batch after a retriable error (429, timeouts) before the cycle fails."""


class _StateSettings(BaseModel):
    """``state:`` as a mapping (a URL alone is ``{url: ...}``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    url: str | None = Field(None, min_length=1)
    """A SQLAlchemy URL; default: ``<job file stem>.state.db`` beside the job file."""
    parallel_reads: ParallelReadsSetting = Field("auto", alias="parallelReads")
    """How the state store reads lists of ids (``engine.state``): auto, on or off."""

    @field_validator("parallel_reads", mode="before")
    @classmethod
    def _yaml_booleans(cls, value: Any) -> Any:
        # YAML 1.1 reads a bare on / off as a boolean.
        return {True: "on", False: "off"}.get(value, value) if isinstance(value, bool) else value


class _DirectoryBinding(BaseModel):
    model_config = ConfigDict(extra="allow")

    connector: str = Field(min_length=1)


class _JobDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(min_length=1)
    schema_file: str | None = Field(None, alias="schema")
    template: str | None = None
    schedule: str = "PT40M"
    service_principal: str = Field("local", alias="servicePrincipal", min_length=1)
    directories: dict[str, _DirectoryBinding]
    settings: JobSettings = Field(default_factory=JobSettings)
    state: _StateSettings = Field(default_factory=_StateSettings)

    @field_validator("state", mode="before")
    @classmethod
    def _state_url_alone(cls, value: Any) -> Any:
        if value is None:
            return {}
        if isinstance(value, str):
            return {"url": value}
        if not isinstance(value, Mapping):
            raise ValueError(
                "give a database URL (sqlite:///state.db) or a mapping "
                f"{{url: ..., parallelReads: {'|'.join(PARALLEL_READS)}}}"
            )
        return value

    @field_validator("id")
    @classmethod
    def _id_chars(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", value):
            raise ValueError("use letters, digits, '.', '_' and '-' (it appears in URLs and file names)")
        return value


@dataclass(frozen=True)
class Job:
    """A loaded job: what ``SyncEngine`` runs. Connector settings still hold ``${ENV}`` references."""

    id: str
    service_principal: str
    schema: SynchronizationSchema
    interval: timedelta
    settings: JobSettings
    state_url: str
    path: Path
    directories: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Directory name -> ``{"connector": kind, ...settings}`` as written (secrets unresolved)."""
    template_id: str | None = None
    state_parallel_reads: ParallelReadsSetting = "auto"
    """``state.parallelReads``: how the state store reads lists of ids (``StateStore(parallel_reads=)``)."""

    @property
    def base_dir(self) -> Path:
        return self.path.parent


def load_job(path: str | Path) -> Job:
    """Load and check a job file; ``JobFileError`` naming the file, key, line and column when it is wrong."""
    job_path = Path(path).resolve()
    data, node = read_document(job_path)
    try:
        document = _JobDocument.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, job_path, node) from None
    interval = _interval(document, job_path, node)
    schema = _load_schema(document, job_path, node)
    _check_directories(schema, document, job_path, node)
    return Job(
        id=document.id,
        service_principal=document.service_principal,
        schema=schema,
        interval=interval,
        settings=document.settings,
        state_url=_state_url(document.state.url, job_path),
        path=job_path,
        directories={name: binding.model_dump() for name, binding in document.directories.items()},
        template_id=document.template,
        state_parallel_reads=document.state.parallel_reads,
    )


def _first_error(exc: ValidationError, path: Path, node: Any) -> JobFileError:
    error = exc.errors()[0]
    loc = [part for part in error["loc"] if isinstance(part, str | int)]
    line, column = position(node, loc)
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key (check its spelling; see the job file reference in engine/job.py)"
    elif error["type"] == "missing":
        message = "this key is required"
    elif error["type"] == "value_error":
        message = message.removeprefix("Value error, ")
    return JobFileError(message, file=path, key=key_path(loc), line=line, column=column)


def _error_at(message: str, path: Path, node: Any, *loc: str | int) -> JobFileError:
    line, column = position(node, loc)
    return JobFileError(message, file=path, key=key_path(loc), line=line, column=column)


def _interval(document: _JobDocument, path: Path, node: Any) -> timedelta:
    try:
        return parse_duration(document.schedule)
    except ValueError as exc:
        raise _error_at(str(exc), path, node, "schedule") from None


def _load_schema(document: _JobDocument, path: Path, node: Any) -> SynchronizationSchema:
    from . import get_template, load_schema  # the schema package imports nothing of the job layer

    if (document.schema_file is None) == (document.template is None):
        raise _error_at(
            "give exactly one of 'schema' (a file) or 'template' (a template id)", path, node, "schema"
        )
    if document.template is not None:
        try:
            template = get_template(document.template)
        except Exception as exc:  # the template registry's error lists the known ids
            raise _error_at(str(exc), path, node, "template") from None
        if template.schema_ is None:
            raise _error_at(f"template {document.template!r} has no schema", path, node, "template")
        return template.schema_
    schema_path = (path.parent / str(document.schema_file)).resolve()
    if not schema_path.is_file():
        raise _error_at(f"schema file {schema_path} does not exist", path, node, "schema")
    try:
        return load_schema(schema_path)
    except Exception as exc:  # the schema loader's error names the JSON path inside the schema file
        raise _error_at(f"invalid schema {schema_path}: {exc}", path, node, "schema") from None


def _check_directories(schema: SynchronizationSchema, document: _JobDocument, path: Path, node: Any) -> None:
    used: list[str] = []
    for rule in schema.synchronization_rules:
        for name in (rule.source_directory_name, rule.target_directory_name):
            if name and name not in used:
                used.append(name)
    missing = [name for name in used if name not in document.directories]
    if missing:
        bound = ", ".join(repr(name) for name in document.directories) or "none"
        raise _error_at(
            f"no connector bound to directory {', '.join(repr(n) for n in missing)} used by the schema's "
            f"rules (bound: {bound}); add e.g. '{missing[0]}: {{connector: json, path: ...}}'",
            path,
            node,
            "directories",
        )


def _state_url(state: str | None, path: Path) -> str:
    if state is None:
        return f"sqlite:///{path.parent / (path.stem + '.state.db')}"
    prefix = "sqlite:///"
    if state.startswith(prefix) and not state.startswith(prefix + "/") and state != prefix + ":memory:":
        return prefix + str(path.parent / state[len(prefix) :])
    return state


def resolve_secrets(value: Any, *, job: Job, key: str) -> Any:
    """``${ENV}`` references replaced by the environment's values; ``JobFileError`` naming an unset one."""
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise JobFileError(f"environment variable {name} is not set", file=job.path, key=key)
            return os.environ[name]

        return _ENV.sub(substitute, value)
    if isinstance(value, Mapping):
        return {k: resolve_secrets(v, job=job, key=f"{key}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_secrets(v, job=job, key=f"{key}[{i}]") for i, v in enumerate(value)]
    return value


def bind_connectors(job: Job, options: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Connector]:
    """One connector per directory name, secrets resolved now; ``JobFileError`` naming the directory key."""
    bound: dict[str, Connector] = {}
    try:
        for name, binding in job.directories.items():
            settings = dict(binding)
            kind = str(settings.pop("connector"))
            resolved = resolve_secrets(settings, job=job, key=f"directories.{name}")
            context = ConnectorContext(
                directory_name=name,
                base_dir=job.base_dir,
                object_types=_object_types(job, name),
                options=(options or {}).get(name, {}),
            )
            try:
                bound[name] = create_connector(kind, resolved, context)
            except ConnectorError as exc:
                setting = getattr(exc, "setting", None)
                key = f"directories.{name}" + (f".{setting}" if setting and setting != "connector" else "")
                raise JobFileError(exc.message, file=job.path, key=key) from None
    except BaseException:
        for connector in bound.values():
            connector.close()
        raise
    return bound


def _object_types(job: Job, directory: str) -> tuple[str, ...]:
    names: list[str] = []
    for rule in job.schema.synchronization_rules:
        for mapping in rule.object_mappings:
            for dir_name, object_name in (
                (rule.source_directory_name, mapping.source_object_name),
                (rule.target_directory_name, mapping.target_object_name),
            ):
                if dir_name == directory and object_name and object_name not in names:
                    names.append(object_name)
    return tuple(names)
