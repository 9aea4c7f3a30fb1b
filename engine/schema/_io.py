"""``load_schema`` / ``dump_schema`` and friends: Graph JSON in, models out, and back unchanged.

Round trip: ``dump_schema(load_schema(doc)) == doc`` for every document that uses the documented shapes
(fields absent in the input stay absent, unknown fields and ``@odata.*`` annotations are kept). The one
deliberate change is normalisation of old numeric enums (``"flowType": 0`` dumps as ``"Always"``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ._schema import SynchronizationSchema, SynchronizationTemplate
from ._source import DocumentError, loc_to_path, parse_document, read_text

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One reason a document does not fit the Graph model."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None


class SchemaLoadError(ValueError):
    """A schema or template document that does not fit the Graph model (wrong types, missing names)."""

    def __init__(self, problems: list[Problem], *, file: str | None):
        self.problems = problems
        self.file = file
        first = problems[0]
        where = ":".join(str(p) for p in (file or "<document>", first.line, first.column) if p is not None)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{where}: {first.path or '<root>'}: {first.message}{more}")


def is_template_document(data: Mapping[str, Any]) -> bool:
    """A synchronizationTemplate document holds its schema under ``schema``."""
    return isinstance(data.get("schema"), Mapping) and "synchronizationRules" not in data


def _read(source: str | Path | Mapping[str, Any]) -> tuple[Any, str | None, str | None]:
    if isinstance(source, Mapping):
        return source, None, None
    file = str(source)
    text = read_text(source)
    try:
        return json.loads(text), file, text
    except json.JSONDecodeError as exc:
        raise DocumentError(f"invalid JSON: {exc.msg}", file=file, line=exc.lineno, column=exc.colno) from exc


def validate_model(
    model: type[ModelT], data: Any, *, file: str | None, text: str | None, prefix: str = ""
) -> ModelT:
    """``model.model_validate(data)`` with errors turned into a :class:`SchemaLoadError` that names paths
    (and lines and columns when the text is known)."""
    if not isinstance(data, Mapping):
        kind = type(data).__name__
        raise SchemaLoadError([Problem(prefix, f"expected a JSON object, found {kind}", 1, 1)], file=file)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SchemaLoadError(_problems(exc, file=file, text=text, prefix=prefix), file=file) from None


def _problems(exc: ValidationError, *, file: str | None, text: str | None, prefix: str) -> list[Problem]:
    document = parse_document(text, file=file) if text is not None else None
    problems = []
    for error in exc.errors():
        path = loc_to_path(error["loc"])
        if prefix:
            path = f"{prefix}.{path}" if path and not path.startswith("[") else f"{prefix}{path}"
        where = document.position(path) if document is not None else None
        message = error["msg"]
        if error["type"] == "missing":
            message = "a required field is missing"
        elif error["type"] == "value_error" and "error" in error.get("ctx", {}):
            message = str(error["ctx"]["error"])  # our own validators' messages, without "Value error, "
        problems.append(Problem(path, message, *(where or (None, None))))
    return problems


def load_schema(source: str | Path | Mapping[str, Any]) -> SynchronizationSchema:
    """Load a Graph ``synchronizationSchema`` from a JSON file path or a dict.

    A template document (``{"id": ..., "schema": {...}}``) gives its schema. Raises
    :class:`DocumentError` for unreadable or malformed files and :class:`SchemaLoadError` for documents
    that do not fit the model; both say where."""
    data, file, text = _read(source)
    if isinstance(data, Mapping) and is_template_document(data):
        return validate_model(SynchronizationSchema, data["schema"], file=file, text=text, prefix="schema")
    return validate_model(SynchronizationSchema, data, file=file, text=text)


def load_template(source: str | Path | Mapping[str, Any]) -> SynchronizationTemplate:
    """Load a Graph ``synchronizationTemplate`` (with its schema) from a JSON file path or a dict."""
    data, file, text = _read(source)
    return validate_model(SynchronizationTemplate, data, file=file, text=text)


def dump_model(model: BaseModel) -> dict[str, Any]:
    """Graph JSON of any model: camelCase keys, only the fields the document had or that were set."""
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def dump_schema(schema: SynchronizationSchema) -> dict[str, Any]:
    """The schema as Graph JSON (the inverse of :func:`load_schema`)."""
    return dump_model(schema)
