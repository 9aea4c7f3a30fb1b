"""Conversions between database values and connector values, and the SQLAlchemy error boundary.

Reading: dates and times become ISO-8601 strings, binary values base64, decimals numbers; a text cell
holding a JSON array of scalars (how this connector stores multi-valued attributes) becomes a list; JSON
and ARRAY columns give lists as they are. Writing converts each value to the column's Python type and
refuses what does not fit (``ObjectRejected`` naming the column); a list goes to a JSON / ARRAY column as
is and to any other column as JSON text.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import decimal
import functools
import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from .._base import Scalar, Value
from .._directory import value_text
from .._errors import (
    ConnectionFailed,
    ConnectorConfigError,
    ConnectorError,
    ObjectConflict,
    ObjectRejected,
    RetriableConnectorError,
)

KIND = "sql"


@functools.cache
def python_type(column: sa.Column[Any]) -> type | None:
    """The column's Python type (cached: columns are reflected once and asked for every value)."""
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def is_list_column(column: sa.Column[Any]) -> bool:
    return isinstance(column.type, sa.JSON | sa.ARRAY)


# -- database -> connector ------------------------------------------------------------------------------


def from_db(value: Any) -> Value:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return _maybe_list(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, list | tuple):
        return [item if isinstance(item, str | bool | int | float) else str(item) for item in value]
    return json.dumps(value, default=str) if isinstance(value, dict) else str(value)


def _maybe_list(text: str) -> Value:
    if not (text.startswith("[") and text.endswith("]")):
        return text
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    if isinstance(parsed, list) and all(isinstance(item, str | bool | int | float) for item in parsed):
        return parsed
    return text


def cursor_out(value: Any) -> str | int | None:
    """A change-column value as a watermark cursor (JSON-safe, ordered like the column)."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds")
    return str(from_db(value))


# -- connector -> database ------------------------------------------------------------------------------


def to_db(column: sa.Column[Any], value: Value) -> Any:
    """``value`` as the column stores it; ``ObjectRejected`` when it does not fit."""
    if value is None:
        return None
    if isinstance(value, list):
        return list(value) if is_list_column(column) else json.dumps(value, ensure_ascii=False)
    if type(value) is str and python_type(column) is str:
        return value  # the common case, without the general conversion
    try:
        return _scalar_to(python_type(column), value)
    except (ValueError, TypeError, OverflowError, decimal.InvalidOperation) as exc:
        raise ObjectRejected(f"column {column.name!r} cannot hold {value!r} ({exc})", connector=KIND) from exc


def _scalar_to(target: type | None, value: Scalar) -> Any:
    if target is None or target is str:
        return value_text(value) if target is str else value
    if target is bool:
        return _bool(value)
    if target is int:
        # A Boolean into an integer column is 1 / 0 (how many schemas keep flags).
        return int(value) if isinstance(value, int) else int(str(value))
    if target in (float, decimal.Decimal):
        if isinstance(value, bool):
            raise ValueError(f"not a number: {value!r}")
        return target(str(value))
    if target is dt.datetime:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if target is dt.date:
        return dt.date.fromisoformat(str(value))
    if target is bytes:
        return base64.b64decode(str(value), validate=True)
    return value


def _bool(value: Scalar) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes"}:
        return True
    if text in {"false", "0", "no"}:
        return False
    raise ValueError(f"not a Boolean: {value!r}")


def anchor_param(column: sa.Column[Any], object_id: str) -> Any | None:
    """An id string as the anchor column's type; None when it cannot be one (so it matches nothing)."""
    try:
        return _scalar_to(python_type(column), object_id)
    except (ValueError, TypeError, OverflowError, decimal.InvalidOperation):
        return None


def now_for(column: sa.Column[Any]) -> Any:
    """The current time for a change column this connector maintains (None for integer counters)."""
    kind = python_type(column)
    moment = dt.datetime.now(dt.UTC)
    if kind is dt.datetime:
        return moment if getattr(column.type, "timezone", False) else moment.replace(tzinfo=None)
    if kind is str:
        return moment.isoformat(timespec="microseconds")
    return None


def is_deleted(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes", "y", "t"}
    flag: bool = value is not None and bool(value)
    return flag


# -- errors ---------------------------------------------------------------------------------------------

_TRANSIENT = ("locked", "deadlock", "could not serialize", "timeout", "timed out", "too many connections")


@contextlib.contextmanager
def sql_errors(what: str) -> Iterator[None]:
    """Map SQLAlchemy / driver exceptions to connector errors (fatal, retriable, skippable)."""
    try:
        yield
    except ConnectorError:
        raise
    except sa_exc.NoSuchTableError as exc:
        raise ConnectorConfigError(f"no table {exc} in the database", connector=KIND) from exc
    except sa_exc.IntegrityError as exc:
        raise ObjectConflict(f"{what}: {_reason(exc)}", connector=KIND) from exc
    except sa_exc.DataError as exc:
        raise ObjectRejected(f"{what}: {_reason(exc)}", connector=KIND) from exc
    except sa_exc.OperationalError as exc:
        reason = _reason(exc)
        if exc.connection_invalidated or any(word in reason.lower() for word in _TRANSIENT):
            raise RetriableConnectorError(f"{what}: {reason}", retry_after=2.0, connector=KIND) from exc
        raise ConnectionFailed(f"{what}: {reason}", connector=KIND) from exc
    except sa_exc.DBAPIError as exc:
        raise ConnectionFailed(f"{what}: {_reason(exc)}", connector=KIND) from exc
    except sa_exc.SQLAlchemyError as exc:
        raise ConnectorError(f"{what}: {exc}", connector=KIND) from exc


def _reason(exc: sa_exc.DBAPIError) -> str:
    # The driver's own message, without SQLAlchemy's statement dump (which may hold values).
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
