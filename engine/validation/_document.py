"""``validate(document_or_path)``: what kind of document it is, whether it fits the Graph model, and then
every check. Malformed files and wrong types become findings with line and column, never tracebacks."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from engine.schema import (
    Document,
    DocumentError,
    SchemaLoadError,
    SynchronizationSchema,
    SynchronizationTemplate,
    is_template_document,
    parse_document,
    read_text,
    validate_model,
)

from ._finding import Collector, Finding
from ._schema_checks import check_schema

_YAML_SUFFIXES = (".yaml", ".yml")


def read_for_validation(source: str | Path | Mapping[str, Any], file: str | None) -> Document:
    """The document with positions; DocumentError when it cannot be read or parsed."""
    if isinstance(source, Mapping):
        return Document(data=source, file=file)
    name = file or str(source)
    text = read_text(source)
    yaml_ok = Path(source).suffix.lower() in _YAML_SUFFIXES or not text.lstrip().startswith(("{", "["))
    return parse_document(text, file=name, yaml_ok=yaml_ok)


def document_error_finding(exc: DocumentError) -> Finding:
    return Finding("error", "", exc.message, exc.file, exc.line, exc.column)


def is_job_document(data: Mapping[str, Any]) -> bool:
    """A job file binds directory names (a mapping); a schema lists directory definitions (a list)."""
    return isinstance(data.get("directories"), Mapping)


def validate_schema_document(document: Document, placeholders: Collection[str] = ()) -> list[Finding]:
    """Findings for a schema or template document (kind decided from its shape)."""
    data = document.data
    if not isinstance(data, Mapping):
        out = Collector(document)
        out.error(
            "", f"expected a JSON object (a synchronizationSchema or template), found {type(data).__name__}"
        )
        return out.findings
    if is_template_document(data):
        return _validate_model(document, SynchronizationTemplate, placeholders)
    if not ({"synchronizationRules", "directories"} & set(data)):
        out = Collector(document)
        out.error(
            "", "not a synchronizationSchema, template or job file: no synchronizationRules or directories"
        )
        return out.findings
    return _validate_model(document, SynchronizationSchema, placeholders)


def _validate_model(
    document: Document,
    model: type[SynchronizationSchema] | type[SynchronizationTemplate],
    placeholders: Collection[str],
) -> list[Finding]:
    out = Collector(document)
    try:
        loaded = validate_model(model, document.data, file=document.file, text=None)
    except SchemaLoadError as exc:
        for problem in exc.problems:
            out.error(problem.path, f"does not fit the Graph model: {problem.message}")
        return out.findings
    if isinstance(loaded, SynchronizationTemplate):
        if loaded.schema_ is None:
            out.error("schema", "the template has no schema")
            return out.findings
        out.prefix = "schema"
        loaded = loaded.schema_
    check_schema(loaded, out, placeholders)
    return out.findings
