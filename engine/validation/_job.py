"""Validating a job file: the schema it names (a file relative to the job file, or a built-in template) is
validated finding by finding, every directory name the rules use must be bound under ``directories:``, and
everything ``idsync run`` would refuse before its cycle starts (``engine.job.check_job``: strict keys at
every level with "did you mean", values, connector kinds and settings, unset ``${ENV}``, the state folder)
is a finding with run's own message."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from engine.job import JobFileError, check_job, load_job
from engine.schema import Document, DocumentError, SynchronizationSchema, dump_schema, load_schema
from engine.state import PARALLEL_READS
from engine.templates import TEMPLATE_IDS, get_template

from ._document import document_error_finding, read_for_validation, validate_schema_document
from ._finding import Collector, Finding, draw_caret, suggest


def validate_job(document: Document) -> list[Finding]:
    findings = _validate_job(document)
    refusals = _run_refusals(document)
    if not refusals:
        return findings
    # run's own words win where both say the same thing (an unbound directory, a missing schema file); the
    # schema's findings stay: they are finer than run's first refusal of the same schema
    covered = {r.path.split(".")[0] for r in refusals}
    schema_errors = any(f.severity == "error" and f.file != document.file for f in findings)
    kept = [
        f
        for f in findings
        if f.severity != "error" or f.file != document.file or f.path.split(".")[0] not in covered
    ]
    if schema_errors:  # run's first refusal of that schema, or of bindings the wrong schema implies
        refusals = [r for r in refusals if r.path not in ("schema", "template", "directories")]
    return refusals + kept


def _run_refusals(document: Document) -> list[Finding]:
    """What ``idsync run`` refuses in this job file, as findings (only for a job file on disk)."""
    if not document.file or not Path(document.file).is_file():
        return []
    return [_finding(error, document) for error in check_job(Path(document.file))]


def _finding(error: JobFileError, document: Document) -> Finding:
    same_file = error.file is not None and Path(error.file).resolve() == Path(str(document.file)).resolve()
    caret = None
    if same_file and error.line is not None and error.column is not None:
        caret = draw_caret(document.source_line(error.line), error.column)
    file = document.file if same_file else error.file
    return Finding(
        "error", error.key or "", error.message, file, error.line, error.column, caret, error.suggestion
    )


def _validate_job(document: Document) -> list[Finding]:
    data: Mapping[str, Any] = document.data
    out = Collector(document)
    if not isinstance(data, Mapping):
        out.error("", "a job file must be a mapping of keys (id, schema, directories, ...)")
        return out.findings
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
        overlaid = _overlaid(data, document, placeholders)
        schema, findings = overlaid or (schema, findings)
        bound = data.get("directories")
        _check_bindings(schema, bound if isinstance(bound, Mapping) else {}, out)
    return out.findings + findings


def _overlaid(
    data: Mapping[str, Any], document: Document, placeholders: Collection[str]
) -> tuple[SynchronizationSchema, list[Finding]] | None:
    """With ``mappings:`` / ``scope:`` overlays: the findings of the schema they make (JSON paths into it),
    when the job loads (an overlay error is a refusal of ``check_job``, reported with its job-file place)."""
    if not (data.get("mappings") or data.get("scope")) or not document.file:
        return None
    try:
        schema = load_job(Path(document.file)).schema
    except JobFileError:
        return None
    name = f"{document.file} (the schema with its mappings and scope)"
    effective = Document(dump_schema(schema), file=name)
    return schema, validate_schema_document(effective, placeholders)


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
