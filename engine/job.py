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
    mappings: [...]                # optional overlays on the schema (engine._overlay); scope: [...] too

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
from typing import TYPE_CHECKING, Any, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors import Connector, ConnectorContext, ConnectorError, available_connectors, connector_class

from ._duration import parse_duration
from ._jobfile import JobFileError, closest, key_path, position, read_document
from ._overlay import MappingOverlay, ScopeOverlay, apply_overlay
from .state import PARALLEL_READS, ParallelReadsSetting

if TYPE_CHECKING:
    from .schema import SynchronizationSchema

__all__ = [
    "Job",
    "JobFileError",
    "JobSettings",
    "bind_connectors",
    "check_job",
    "load_job",
    "source_file_problems",
    "state_problem",
]

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class JobSettings(BaseModel):
    """Job settings (``settings:`` in the job file); camelCase keys, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    delete_threshold: int | None = Field(500, alias="deleteThreshold", ge=1)
    """Removals (deletes + disables) per cycle that quarantine the job (TooManyDeletes); null disables it."""
    delete_threshold_percent: float | None = Field(None, alias="deleteThresholdPercent", gt=0, le=100)
    """Not Entra's: removals, as a percentage of the objects linked when the cycle starts, that quarantine
    the job too (whichever threshold is reached first holds them); null (the default): no such limit."""
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
    mappings: list[MappingOverlay] = Field(default_factory=list)
    """Attribute mappings added, replaced or removed over the schema or template (``engine._overlay``)."""
    scope: list[ScopeOverlay] = Field(default_factory=list)
    """Scoping clauses added to object mappings' filters (``engine._overlay``)."""

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
        raise _document_errors(exc, job_path, node)[0] from None
    return _build(document, job_path, node)


def check_job(path: str | Path) -> list[JobFileError]:
    """Everything ``load_job``, binding the connectors (without connecting: kinds, settings, ``${ENV}``) and
    opening the state for writing would refuse, each as the ``JobFileError`` they raise; [] when none.

    ``idsync validate`` reports these, so it refuses exactly what ``idsync run`` refuses, with its words."""
    job_path = Path(path).resolve()
    try:
        data, node = read_document(job_path)
        try:
            document = _JobDocument.model_validate(data)
        except ValidationError as exc:
            return _document_errors(exc, job_path, node) + _raw_binding_errors(data, job_path)
        job = _build(document, job_path, node)
    except JobFileError as exc:
        return [exc]
    problems = [problem for problem in (state_problem(job),) if problem is not None]
    for name in job.directories:
        try:
            _bind_one(job, name, None).close()
        except JobFileError as exc:
            problems.append(exc)
    bound = {p.key.split(".")[1] for p in problems if p.key and p.key.startswith("directories.")}
    return problems + [p for p in source_file_problems(job) if p.key and p.key.split(".")[1] not in bound]


def source_file_problems(job: Job) -> list[JobFileError]:
    """Source directories whose file (a ``path`` setting) does not exist. A json source without its file
    reads as empty, which would remove every object it provisioned, so ``idsync run`` refuses it (a target's
    file is created by its first write and may be missing)."""
    sources = {rule.source_directory_name for rule in job.schema.synchronization_rules}
    found: list[JobFileError] = []
    for name, binding in job.directories.items():
        raw = binding.get("path")
        if name not in sources or not isinstance(raw, str):
            continue
        try:
            takes_path = "path" in (connector_class(str(binding.get("connector"))).settings_keys or ())
            text = resolve_secrets(raw, job=job, key=f"directories.{name}.path")
        except (ConnectorError, JobFileError):  # reported by binding, in its words
            continue
        file = Path(text).expanduser()
        file = file if file.is_absolute() else job.base_dir / file
        if takes_path and not file.exists():
            found.append(
                _error_in_file(
                    f"the source file {file} does not exist; check 'path' (read as empty, a source would "
                    "remove every object it provisioned)",
                    job.path,
                    f"directories.{name}.path",
                    ("directories", name, "path"),
                )
            )
    return found


def _build(document: _JobDocument, job_path: Path, node: Any) -> Job:
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


def _document_errors(exc: ValidationError, path: Path, node: Any) -> list[JobFileError]:
    """One ``JobFileError`` per pydantic error, in document order of the checks."""
    found: list[JobFileError] = []
    for error in exc.errors():
        loc = [part for part in error["loc"] if isinstance(part, str | int)]
        line, column = position(node, loc, key=error["type"] == "extra_forbidden")
        message, suggestion = error["msg"], None
        if error["type"] == "extra_forbidden":
            known = _known_keys(loc[:-1])
            suggestion = closest(str(loc[-1]), known)
            message = f"unknown key {loc[-1]!r}" + (
                f" (known keys here: {', '.join(known)})" if known else ""
            )
        elif error["type"] == "literal_error":
            allowed = re.findall(r"'([^']*)'", str((error.get("ctx") or {}).get("expected", "")))
            suggestion = closest(str(error.get("input")), allowed)
            message = f"unknown value {error.get('input')!r}; use one of {', '.join(allowed)}"
        elif error["type"] == "missing":
            message = "this key is required"
        elif error["type"] == "value_error":
            message = message.removeprefix("Value error, ")
        elif error["type"].endswith("_parsing") or error["type"].endswith("_type"):
            message = f"{message}, got {error.get('input')!r}"
        found.append(
            JobFileError(
                message, file=path, key=key_path(loc), line=line, column=column, suggestion=suggestion
            )
        )
    return sorted(found, key=lambda e: (e.line or 0, e.column or 0))


def _raw_binding_errors(data: Mapping[str, Any], path: Path) -> list[JobFileError]:
    """Connector kinds and setting keys of the ``directories`` as written, when the rest of the document
    has errors (``check_job`` reports these too instead of one round of fixes per layer)."""
    directories = data.get("directories")
    if not isinstance(directories, Mapping):
        return []
    found: list[JobFileError] = []
    for name, binding in directories.items():
        if isinstance(binding, Mapping) and isinstance(binding.get("connector"), str):
            settings = {str(k): v for k, v in binding.items() if k != "connector"}
            try:
                _connector_class(path, str(name), binding["connector"], settings)
            except JobFileError as exc:
                found.append(exc)
    return found


def _known_keys(loc: list[str | int]) -> list[str]:
    """The keys the job file takes at ``loc`` (a mapping of the document), for "did you mean"."""
    model: type[BaseModel] = _JobDocument
    for part in loc:
        if isinstance(part, int):  # an item of a list of models (mappings, scope): same model
            continue
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        annotation = field.annotation if field is not None else None
        if get_origin(annotation) is list:
            annotation = get_args(annotation)[0]
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return [f.alias or n for n, f in model.model_fields.items()]


def _error_at(
    message: str, path: Path, node: Any, *loc: str | int, at_key: bool = False, suggestion: str | None = None
) -> JobFileError:
    line, column = position(node, loc, key=at_key)
    return JobFileError(
        message, file=path, key=key_path(loc), line=line, column=column, suggestion=suggestion
    )


def _interval(document: _JobDocument, path: Path, node: Any) -> timedelta:
    try:
        return parse_duration(document.schedule)
    except ValueError as exc:
        raise _error_at(str(exc), path, node, "schedule") from None


def _load_schema(document: _JobDocument, path: Path, node: Any) -> SynchronizationSchema:
    schema = _base_schema(document, path, node)
    if not (document.mappings or document.scope):
        return schema
    from . import dump_schema, load_schema

    def fail(message: str, *loc: str | int, suggestion: str | None = None) -> JobFileError:
        return _error_at(message, path, node, *loc, suggestion=suggestion)

    overlaid = apply_overlay(dump_schema(schema), document.mappings, document.scope, fail)
    try:
        return load_schema(overlaid)
    except Exception as exc:  # an overlay value the Graph model refuses
        message = f"the schema with this job's mappings/scope does not fit the Graph model: {exc}"
        raise fail(message, "mappings") from None


def _base_schema(document: _JobDocument, path: Path, node: Any) -> SynchronizationSchema:
    from . import get_template, load_schema  # the schema package imports nothing of the job layer

    if (document.schema_file is None) == (document.template is None):
        raise _error_at(
            "give exactly one of 'schema' (a file) or 'template' (a template id)", path, node, "schema"
        )
    if document.template is not None:
        try:
            template = get_template(document.template)
        except Exception as exc:  # the template registry's error lists the known ids
            from .templates import TEMPLATE_IDS

            hint = closest(document.template, TEMPLATE_IDS)
            raise _error_at(str(exc), path, node, "template", suggestion=hint) from None
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
            at_key=True,
            suggestion=closest(missing[0], [n for n in document.directories if n not in used]),
        )


def _state_url(state: str | None, path: Path) -> str:
    if state is None:
        return f"sqlite:///{path.parent / (path.stem + '.state.db')}"
    prefix = "sqlite:///"
    if state.startswith(prefix) and not state.startswith(prefix + "/") and state != prefix + ":memory:":
        return prefix + str(path.parent / state[len(prefix) :])
    return state


def resolve_secrets(value: Any, *, job: Job, key: str, loc: tuple[str | int, ...] = ()) -> Any:
    """``${ENV}`` references replaced by the environment's values; ``JobFileError`` naming an unset one."""
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise _error_in_file(
                    f"environment variable {name} is not set: export it before running idsync "
                    "(secrets are read from the environment, never stored)",
                    job.path,
                    key,
                    loc,
                )
            return os.environ[name]

        return _ENV.sub(substitute, value)
    if isinstance(value, Mapping):
        return {
            k: resolve_secrets(v, job=job, key=f"{key}.{k}", loc=(*loc, str(k))) for k, v in value.items()
        }
    if isinstance(value, list):
        return [resolve_secrets(v, job=job, key=f"{key}[{i}]", loc=(*loc, i)) for i, v in enumerate(value)]
    return value


def _error_in_file(
    message: str,
    path: Path,
    key: str,
    loc: tuple[str | int, ...],
    *,
    at_key: bool = False,
    suggestion: str | None = None,
) -> JobFileError:
    """A ``JobFileError`` raised after loading (binding): the position is looked up in the file again."""
    try:
        _, node = read_document(path)
    except JobFileError:
        node = None
    line, column = position(node, loc, key=at_key)
    return JobFileError(message, file=path, key=key, line=line, column=column, suggestion=suggestion)


def bind_connectors(job: Job, options: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Connector]:
    """One connector per directory name, secrets resolved now; ``JobFileError`` naming the directory key."""
    bound: dict[str, Connector] = {}
    try:
        for name in job.directories:
            bound[name] = _bind_one(job, name, (options or {}).get(name))
    except BaseException:
        for connector in bound.values():
            connector.close()
        raise
    return bound


BINDING_KEYS = frozenset({"rateLimit", "rateLimitKey"})
"""Keys of a directory binding that are the engine's, not the connector's: ``rateLimit`` (requests a second
to this directory, shared by every job and worker whose binding names the same ``rateLimitKey`` on one state
database; default key: the connector kind and its url, path or database)."""


def rate_limits(job: Job) -> dict[str, tuple[str, float]]:
    """Directory name -> (target key, requests a second) for the bindings that set ``rateLimit``."""
    found: dict[str, tuple[str, float]] = {}
    for name, binding in job.directories.items():
        rate = binding.get("rateLimit")
        if rate is None:
            continue
        where = next((binding[k] for k in ("url", "path", "database", "host") if binding.get(k)), name)
        found[name] = (str(binding.get("rateLimitKey") or f"{binding.get('connector')}:{where}"), float(rate))
    return found


def _bind_one(job: Job, name: str, options: Mapping[str, Any] | None) -> Connector:
    """The connector of directory ``name``: its kind known, its settings' keys known (when the kind
    declares them), ``${ENV}`` resolved, then built (connectors connect on first use, not here)."""
    _check_rate_limit(job.path, name, job.directories[name])
    settings = {k: v for k, v in job.directories[name].items() if k not in BINDING_KEYS}
    kind = str(settings.pop("connector"))
    where: tuple[str | int, ...] = ("directories", name)
    key = f"directories.{name}"
    cls = _connector_class(job.path, name, kind, settings)
    resolved = resolve_secrets(settings, job=job, key=key, loc=where)
    context = ConnectorContext(
        directory_name=name,
        base_dir=job.base_dir,
        object_types=object_types(job.schema, name),
        multi_valued=_multi_valued(job, name),
        attributes=_read_attributes(job, name),
        options=options or {},
    )
    try:
        return cls(resolved, context)
    except ConnectorError as exc:
        named = getattr(exc, "setting", None)
        loc = (*where, *str(named).split(".")) if named and named != "connector" else where
        full_key = key + (f".{named}" if named and named != "connector" else "")
        raise _error_in_file(exc.message, job.path, full_key, loc) from None


def _connector_class(path: Path, name: str, kind: str, settings: Mapping[str, Any]) -> type[Connector]:
    """The class of ``kind``, its settings' keys checked when it declares them; ``JobFileError`` else."""
    where: tuple[str | int, ...] = ("directories", name)
    key = f"directories.{name}"
    try:
        cls = connector_class(kind)
    except ConnectorError as exc:
        hint = closest(kind, available_connectors()) if "unknown connector" in exc.message else None
        raise _error_in_file(
            exc.message, path, f"{key}.connector", (*where, "connector"), suggestion=hint
        ) from None
    _check_rate_limit(path, name, settings)
    known = cls.settings_keys
    for setting in settings:
        if known is not None and setting not in known and setting not in BINDING_KEYS:
            raise _error_in_file(
                f"unknown setting {setting!r} of the {kind} connector "
                f"(its settings: {', '.join(sorted(known))})",
                path,
                f"{key}.{setting}",
                (*where, setting),
                at_key=True,
                suggestion=closest(setting, known),
            )
    return cls


def _check_rate_limit(path: Path, name: str, settings: Mapping[str, Any]) -> None:
    where: tuple[str | int, ...] = ("directories", name)
    rate, key = settings.get("rateLimit"), settings.get("rateLimitKey")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0):
        raise _error_in_file(
            f"rateLimit must be a number of requests a second above 0, not {rate!r}",
            path,
            f"directories.{name}.rateLimit",
            (*where, "rateLimit"),
        )
    if key is not None and (not isinstance(key, str) or not key.strip()):
        raise _error_in_file(
            f"rateLimitKey must be a non-empty text naming the target, not {key!r}",
            path,
            f"directories.{name}.rateLimitKey",
            (*where, "rateLimitKey"),
        )
    if key is not None and rate is None:
        raise _error_in_file(
            "rateLimitKey names a shared rate limit, but this binding sets no rateLimit: add one",
            path,
            f"directories.{name}.rateLimitKey",
            (*where, "rateLimitKey"),
            at_key=True,
        )


def state_problem(job: Job) -> JobFileError | None:
    """Why the job's SQLite state file cannot be created or written (its folder is missing or read-only),
    or None; other databases are checked when they are opened."""
    prefix = "sqlite:///"
    url = job.state_url
    if not url.startswith(prefix) or url == prefix + ":memory:":
        return None
    file = Path(url[len(prefix) :])
    folder = file.parent
    if file.exists():
        if os.access(file, os.R_OK | os.W_OK):
            return None
        problem = f"the state file {file} is not writable; make it writable or change 'state'"
    elif not folder.is_dir():
        problem = f"the state folder {folder} does not exist; create it or change 'state'"
    elif not os.access(folder, os.W_OK | os.X_OK):
        problem = f"the state folder {folder} is not writable; choose a writable folder in 'state'"
    else:
        return None
    return _error_in_file(problem, job.path, "state", ("state",))


def _multi_valued(job: Job, directory: str) -> frozenset[str]:
    """The attributes the schema declares multi-valued in ``directory`` (the connector's ``multi_valued``)."""
    definition = job.schema.directory(directory)
    if definition is None:
        return frozenset()
    return frozenset(a.name for obj in definition.objects for a in obj.attributes if a.multivalued)


def _read_attributes(job: Job, directory: str) -> dict[str, tuple[str, ...]]:
    """Object name -> the attribute names the schema reads from it in ``directory`` (graph's $select): the
    source attributes of its mappings' expressions and scoping clauses, the account-enabled attribute that
    IsSoftDeleted derives from, and the anchor."""
    import expressions

    found: dict[str, set[str]] = {}
    for rule in job.schema.synchronization_rules:
        if (rule.source_directory_name or "").lower() != directory.lower():
            continue
        for mapping in rule.object_mappings:
            names = found.setdefault(mapping.source_object_name or "", set())
            for attribute_mapping in mapping.attribute_mappings:
                try:
                    compiled = attribute_mapping.compiled()
                except expressions.ExpressionError:  # refused with its position when the schema compiles
                    continue
                names.update(compiled.attribute_names if compiled is not None else ())
            for groups in (mapping.scope.groups, mapping.scope.input_filter_groups,
                           mapping.scope.category_filter_groups) if mapping.scope else ():  # fmt: skip
                names.update(clause.source_operand_name for group in groups or [] for clause in group.clauses)
            definition = job.schema.object_definition(directory, mapping.source_object_name)
            if definition is not None:
                enabled = definition.metadata_value("PropertyNameAccountEnabled")
                names.update([enabled] if enabled else [])
                names.update(a.name for a in definition.attributes if a.anchor)
    return {name: tuple(sorted(n for n in names if n)) for name, names in found.items() if name}


def object_types(schema: SynchronizationSchema, directory: str) -> tuple[str, ...]:
    """The object types the schema's rules read or write in ``directory`` (a connector's ``object_types``)."""
    names: list[str] = []
    for rule in schema.synchronization_rules:
        for mapping in rule.object_mappings:
            for dir_name, object_name in (
                (rule.source_directory_name, mapping.source_object_name),
                (rule.target_directory_name, mapping.target_object_name),
            ):
                if dir_name == directory and object_name and object_name not in names:
                    names.append(object_name)
    return tuple(names)
