"""``idsync validate``: precise findings for schema, template and job documents.

``validate(document_or_path, *, file=None) -> list[Finding]``; a finding names the file, the JSON path,
the line and column, and for expressions the column within the expression with a caret drawing.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.schema import DocumentError, is_template_document

from ._document import (
    document_error_finding,
    is_job_document,
    read_for_validation,
    validate_schema_document,
)
from ._finding import Finding as Finding
from ._job import validate_job
from ._report import job_file_report as job_file_report
from ._report import verdict as verdict


def validate(document_or_path: str | Path | Mapping[str, Any], *, file: str | None = None) -> list[Finding]:
    """Every finding for a schema, template or job document (a path, or the parsed JSON as a dict).

    Never raises for bad input: unreadable files, malformed JSON/YAML and wrong types are findings."""
    try:
        document = read_for_validation(document_or_path, file)
    except DocumentError as exc:
        return [document_error_finding(exc)]
    if _is_job(document.data, document_or_path):
        return validate_job(document)
    return validate_schema_document(document)


def _is_job(data: Any, source: str | Path | Mapping[str, Any]) -> bool:
    """A job file binds directory names (a mapping); a schema lists directory definitions. A YAML file that
    is not shaped like a schema is taken for a (broken) job file: Graph's documents are JSON."""
    yaml_file = not isinstance(source, Mapping) and Path(source).suffix.lower() in (".yaml", ".yml")
    if not isinstance(data, Mapping):
        return yaml_file
    if is_job_document(data):
        return True
    if (
        "synchronizationRules" in data
        or isinstance(data.get("directories"), list)
        or is_template_document(data)
    ):
        return False
    job_keys = {"schedule", "settings", "servicePrincipal", "state"}
    return yaml_file or bool(job_keys & set(data)) or isinstance(data.get("schema"), str)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


__all__ = ["Finding", "has_errors", "job_file_report", "validate", "verdict"]
