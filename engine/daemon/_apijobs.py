"""Running the jobs created through Graph's ``POST .../jobs {"templateId": ...}``.

Such a job is the template's schema plus one connector per directory of it, bound from two places:

* the daemon's configuration: ``idsync serve --directory "NAME=FILE"`` binds directory ``NAME`` of every API
  job to the connector described in ``FILE`` (a YAML or JSON mapping written like a job file's directory
  entry, ``{connector: json, path: source.json}``; relative paths are relative to the file, ``${ENV}``
  references are resolved). This is how the source of an API job is named (Entra's is its own tenant);
* the service principal's secrets (``PUT .../secrets``), for the schema's *target* directory (the rules'
  ``targetDirectoryName``): ``BaseAddress`` and ``SecretToken`` bind a ``scim`` connector; ``Server`` (or
  ``Url``), ``UserName`` and ``Password`` give an ``ldap`` connector its ``url``, ``bindDn`` and ``password``;
  ``ConnectionString`` gives a ``sql`` connector its ``url``. LDAP and SQL targets need more than
  credentials (base DN, objects, tables), so they take those from a ``--directory`` file for the target
  and only the credentials from the secrets. Secret values are used as they are (no ``${ENV}`` expansion:
  an API caller must not be able to read the daemon's environment through a connector).

Until every directory is bound the job is ``NotConfigured`` and ``unbound_reason`` says what is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from connectors import Connector, ConnectorContext, create_connector
from engine.job import Job, JobSettings, object_types, resolve_secrets
from engine.schema import SynchronizationSchema

from ._home import ApiJobRecord, DaemonHome

__all__ = ["SECRET_SETTINGS", "api_job", "bind_api_job", "load_directory_binding", "target_directories"]

#: Graph's synchronizationSecret keys idsync reads, and the connector setting each one fills.
SECRET_SETTINGS: Mapping[str, tuple[str, str]] = {
    "BaseAddress": ("scim", "baseAddress"),
    "SecretToken": ("scim", "secretToken"),
    "Server": ("ldap", "url"),
    "Url": ("ldap", "url"),
    "UserName": ("ldap", "bindDn"),
    "Password": ("ldap", "password"),
    "ConnectionString": ("sql", "url"),
}

_INTERVAL = timedelta(minutes=40)  # Entra's default schedule


class NotBound(ValueError):
    """What an API job still needs before it can run."""


def load_directory_binding(spec: str) -> tuple[str, dict[str, Any]]:
    """``"NAME=FILE"`` -> ``(NAME, binding)``; ``ValueError`` naming what is wrong."""
    name, sep, file = spec.partition("=")
    if not sep or not name.strip() or not file.strip():
        raise ValueError(f"--directory {spec!r}: write NAME=FILE, e.g. 'Azure Active Directory=source.yaml'")
    path = Path(file.strip()).resolve()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"--directory {name.strip()!r}: cannot read {path}: {exc}") from exc
    if not isinstance(data, Mapping) or not isinstance(data.get("connector"), str):
        raise ValueError(f"{path}: expected a mapping with a 'connector' key: {{connector: json, ...}}")
    return name.strip(), {**data, "baseDir": str(path.parent)}


def target_directories(schema: SynchronizationSchema) -> set[str]:
    return {rule.target_directory_name for rule in schema.synchronization_rules if rule.target_directory_name}


def _used_directories(schema: SynchronizationSchema) -> list[str]:
    names: list[str] = []
    for rule in schema.synchronization_rules:
        for name in (rule.source_directory_name, rule.target_directory_name):
            if name and name not in names:
                names.append(name)
    return names


def _secret_settings(secrets: Mapping[str, str]) -> tuple[str | None, dict[str, str]]:
    kinds = {SECRET_SETTINGS[key][0] for key in secrets if key in SECRET_SETTINGS}
    settings = {SECRET_SETTINGS[k][1]: v for k, v in secrets.items() if k in SECRET_SETTINGS}
    return (kinds.pop() if len(kinds) == 1 else None), settings


def api_job(record: ApiJobRecord, schema: SynchronizationSchema, home: DaemonHome) -> Job:
    """The ``engine.job.Job`` of an API job: its schema, a state database in the daemon's folder, and the
    directories as configured (without secret values: those reach the connectors only)."""
    used = _used_directories(schema)
    unset = {"connector": "(from secrets)"}
    directories = {
        name: {k: v for k, v in home.directories.get(name, unset).items() if k != "baseDir"} for name in used
    }
    return Job(
        id=record.id,
        service_principal=record.principal,
        schema=schema,
        interval=_INTERVAL,
        settings=JobSettings(),
        state_url=home.state_url(record.principal, record.id),
        path=home.folder / f"{record.principal}.{record.id}",
        directories=directories,
        template_id=record.template_id,
    )


def bind_api_job(job: Job, home: DaemonHome, secrets: Mapping[str, str]) -> dict[str, Connector]:
    """One connector per directory of the job's schema; ``NotBound`` saying what is missing."""
    targets = target_directories(job.schema)
    kind_from_secrets, from_secrets = _secret_settings(secrets)
    plans: dict[str, tuple[str, dict[str, Any], Path]] = {}
    for name in _used_directories(job.schema):
        configured = dict(home.directories.get(name, {}))
        base_dir = Path(str(configured.pop("baseDir", home.folder)))
        kind = configured.pop("connector", None)
        settings = resolve_secrets(configured, job=job, key=f"--directory {name}")
        if name in targets and from_secrets:
            kind = kind or kind_from_secrets
            settings = {**settings, **from_secrets}
        if not kind:
            raise NotBound(_missing(name, name in targets))
        plans[name] = (str(kind), settings, base_dir)
    bound: dict[str, Connector] = {}
    try:
        for name, (kind, settings, base_dir) in plans.items():
            context = ConnectorContext(
                directory_name=name, base_dir=base_dir, object_types=object_types(job.schema, name)
            )
            bound[name] = create_connector(kind, settings, context)
    except BaseException:
        for connector in bound.values():
            connector.close()
        raise
    return bound


def _missing(name: str, is_target: bool) -> str:
    if is_target:
        return (
            f"directory {name!r} has no connector: PUT the service principal's secrets (SCIM: BaseAddress "
            f"and SecretToken; LDAP: Server, UserName, Password; SQL: ConnectionString)"
        )
    return f"directory {name!r} has no connector: serve with --directory '{name}=FILE' (a connector binding)"
