"""``idsync validate``: precise findings for schema, template and job documents.

``validate(document_or_path, *, file=None) -> list[Finding]``; a finding names the file, the JSON path,
the line and column, and for expressions the column within the expression with a caret drawing.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.schema import DocumentError

from ._document import (
    document_error_finding,
    is_job_document,
    read_for_validation,
    validate_schema_document,
)
from ._finding import Finding as Finding
from ._job import validate_job


def validate(document_or_path: str | Path | Mapping[str, Any], *, file: str | None = None) -> list[Finding]:
    """Every finding for a schema, template or job document (a path, or the parsed JSON as a dict).

    Never raises for bad input: unreadable files, malformed JSON/YAML and wrong types are findings."""
    try:
        document = read_for_validation(document_or_path, file)
    except DocumentError as exc:
        return [document_error_finding(exc)]
    data = document.data
    if isinstance(data, Mapping) and is_job_document(data):
        return validate_job(document)
    return validate_schema_document(document)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


__all__ = ["Finding", "has_errors", "validate"]
