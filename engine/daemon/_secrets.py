"""The synchronization secrets of each service principal (``PUT .../synchronization/secrets``).

Secrets are never returned by the API (a GET lists the keys with empty values, as Graph's beta GET does for
write-only secrets), never appear in a repr or a log line, and never reach a job's state database. Where they
live depends on the daemon:

* with a state folder (``idsync serve --state-dir``), in the daemon's database, each value encrypted under
  ``IDSYNC_SECRET_KEY`` (``_home``); without that key the daemon refuses to store them and says so;
* without one (a daemon built in a test, or ``serve`` without ``--state-dir``), in memory only: a restarted
  daemon has forgotten them.

The daemon binds them to the connectors of the principal's API-created jobs (``_apijobs``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from ._home import DaemonHome

__all__ = ["SecretStore"]


class SecretStore:
    """Key/value secrets per service principal; PUT replaces all of them (Graph has no PATCH)."""

    def __init__(self, home: DaemonHome | None = None) -> None:
        self._home = home
        self._by_principal: dict[str, dict[str, str]] = home.load_secrets() if home is not None else {}
        self._lock = threading.Lock()

    def replace(self, principal: str, pairs: Iterable[tuple[str, str]]) -> None:
        """``SecretKeyMissing`` (a ``ValueError``) when they would be stored without a key."""
        values = dict(pairs)
        with self._lock:
            if self._home is not None:
                self._home.replace_secrets(principal, values)
            self._by_principal[principal] = values

    def keys(self, principal: str) -> list[str]:
        with self._lock:
            return sorted(self._by_principal.get(principal, {}))

    def values(self, principal: str) -> dict[str, str]:
        """The values themselves, for binding connectors only (never for an answer or a log line)."""
        with self._lock:
            return dict(self._by_principal.get(principal, {}))

    def __repr__(self) -> str:
        with self._lock:
            counts = {p: len(s) for p, s in self._by_principal.items()}
        return f"SecretStore({counts} secrets per principal; values withheld)"
