"""Validating a job file without loading the job: the schema it names (a file
relative to the job file, or a built-in template) is validated, and every directory name the rules use
must be bound under ``directories:``. Kept small on purpose; ``engine.load_job`` does the full load."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from engine.schema import Document, DocumentError, SynchronizationSchema, dump_schema, load_schema
from engine.state import PARALLEL_READS
from engine.templates import TEMPLATE_IDS, get_template

from ._document import document_error_finding, read_for_validation, validate_schema_document
from ._finding import Collector, Finding, suggest


def validate_job(document: Document) -> list[Finding]:
    data: Mapping[str, Any] = document.data
    out = Collector(document)
    _check_state(data.get("state"), out)
    placeholders = _placeholders(data)
    has_schema, has_template = data.get("schema") is not None, data.get("template") is not None
    if has_schema == has_template:
        out.error("", "give exactly one of 'schema' (a schema file) or 'template' (a built-in template id)")
        return out.findings
    if has_template:
        schema, findings = _template(data["template"], placeholders, out)
    else:
        schema, findings = _schema_file(data["schema"], document, placeholders, out)
    if schema is not None and not any(f.severity == "error" for f in findings):
        _check_bindings(schema, data["directories"], out)
    return out.findings + findings


def _check_state(state: Any, out: Collector) -> None:
    """``state:`` is a database URL, or a mapping ``{url: ..., parallelReads: auto|on|off}``."""
    if state is None or isinstance(state, str):
        return
    if not isinstance(state, Mapping):
        out.error(
            "state",
            "give a database URL (sqlite:///state.db) or a mapping "
            f"{{url: ..., parallelReads: {'|'.join(PARALLEL_READS)}}}",
        )
        return
    known = ("url", "parallelReads")
    for key in state:
        if key not in known:
            out.error(
                f"state.{key}",
                f"unknown key; the state mapping takes {', '.join(known)}",
                suggestion=suggest(str(key), known),
            )
    url = state.get("url")
    if url is not None and (not isinstance(url, str) or not url):
        out.error("state.url", "give a database URL (any SQLAlchemy URL, e.g. sqlite:///state.db)")
    reads = state.get("parallelReads")
    if isinstance(reads, bool):  # YAML 1.1 reads a bare on / off as a boolean
        reads = "on" if reads else "off"
    if "parallelReads" in state and reads not in PARALLEL_READS:
        out.error(
            "state.parallelReads",
            f"unknown value {reads!r}; use one of {', '.join(PARALLEL_READS)}",
            suggestion=suggest(str(reads), PARALLEL_READS),
        )


def _placeholders(data: Mapping[str, Any]) -> Collection[str]:
    settings = data.get("settings")
    found = settings.get("placeholders") if isinstance(settings, Mapping) else None
    return list(found) if isinstance(found, Mapping) else []


def _template(
    template_id: Any, placeholders: Collection[str], out: Collector
) -> tuple[SynchronizationSchema | None, list[Finding]]:
    if str(template_id) not in TEMPLATE_IDS:
        out.error(
            "template",
            f"unknown template {template_id!r}; known templates: {', '.join(TEMPLATE_IDS)}",
            suggestion=suggest(str(template_id), TEMPLATE_IDS),
        )
        return None, []
    schema = get_template(str(template_id)).schema_
    if schema is None:  # every built-in has one; kept for the type checker
        return None, []
    findings = validate_schema_document(
        Document(dump_schema(schema), file=f"template:{template_id}"), placeholders
    )
    return schema, findings


def _schema_file(
    value: Any, job: Document, placeholders: Collection[str], out: Collector
) -> tuple[SynchronizationSchema | None, list[Finding]]:
    base = Path(job.file).parent if job.file else Path.cwd()
    path = base / str(value)
    if not path.is_file():
        out.error("schema", f"the schema file {str(value)!r} does not exist (looked for {path})")
        return None, []
    try:
        schema_document = read_for_validation(path, str(path))
    except DocumentError as exc:
        return None, [document_error_finding(exc)]
    findings = validate_schema_document(schema_document, placeholders)
    if any(f.severity == "error" for f in findings):
        return None, findings
    return load_schema(path), findings


def _check_bindings(schema: SynchronizationSchema, bound: Mapping[str, Any], out: Collector) -> None:
    used: dict[str, str] = {}
    for i, rule in enumerate(schema.synchronization_rules):
        for key, name in (
            ("sourceDirectoryName", rule.source_directory_name),
            ("targetDirectoryName", rule.target_directory_name),
        ):
            if name:
                used.setdefault(name, f"synchronizationRules[{i}].{key}")
    bound_names = [str(n) for n in bound]
    for name, where in used.items():
        if name not in bound:
            out.error(
                "directories",
                f"directory {name!r} (used by the schema's {where}) is not bound: add it under directories: "
                "with its connector",
                suggestion=suggest(name, bound_names),
            )
    for name in bound_names:
        if name not in used:
            out.warning(
                f"directories.{name}" if name.isidentifier() else "directories",
                f"directory {name!r} is bound but no rule uses it",
            )
