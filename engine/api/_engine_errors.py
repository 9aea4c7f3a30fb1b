"""Errors raised by the engine during an API operation, answered in Graph's shape.

The engine's own error types are matched by what they are (a lookup that failed, a value that is wrong),
so this module needs no import of them: ``LookupError`` -> 404 (an object id the source does not hold),
``ValueError`` -> 400 (a request the engine refuses, e.g. an invalid schema). ``JobBusy`` and ``Fenced`` ->
409 ``Conflict``: another process (a worker's cycle, another daemon) holds the job's lease, so nothing was
done and the call may be made again later. Anything else is left to the 500 handler, which logs it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from engine.daemon import FacadeMissing, JobNotFound
from engine.state import Fenced, JobBusy

from ._errors import GraphError

__all__ = ["engine_errors"]


@contextlib.contextmanager
def engine_errors(*, invalid_code: str = "BadRequest") -> Iterator[None]:
    try:
        yield
    except (JobNotFound, FacadeMissing, GraphError):
        raise
    except (JobBusy, Fenced) as exc:
        raise GraphError(409, str(exc), code="Conflict") from exc
    except LookupError as exc:
        raise GraphError(404, _text(exc)) from exc
    except ValueError as exc:
        raise GraphError(400, _text(exc), code=invalid_code) from exc


def _text(exc: BaseException) -> str:
    # KeyError's str() wraps its message in quotes; take the argument itself.
    return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
