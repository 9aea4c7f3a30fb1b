"""The synchronization secrets of each service principal (``PUT .../synchronization/secrets``).

Decision (DESIGN.md: secrets are never stored or logged in clear): secrets are kept **in the daemon's memory
only**. They are never written to the state database, never returned by the API (a GET lists the keys with
empty values, as Graph's beta GET does for write-only secrets), and never appear in a repr or a log line. The
price: a restarted daemon has forgotten them, so long-lived credentials belong in the job file as
``${ENV_VAR}`` references; the API store is for what Entra's clients push at run time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

__all__ = ["SecretStore"]


class SecretStore:
    """Key/value secrets per service principal; PUT replaces all of them (Graph has no PATCH)."""

    def __init__(self) -> None:
        self._by_principal: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def replace(self, principal: str, pairs: Iterable[tuple[str, str]]) -> None:
        with self._lock:
            self._by_principal[principal] = dict(pairs)

    def keys(self, principal: str) -> list[str]:
        with self._lock:
            return sorted(self._by_principal.get(principal, {}))

    def __repr__(self) -> str:
        with self._lock:
            counts = {p: len(s) for p, s in self._by_principal.items()}
        return f"SecretStore({counts} secrets per principal; values withheld)"
