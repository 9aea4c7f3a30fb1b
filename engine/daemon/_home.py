"""The daemon's own state: jobs created through the API and the synchronization secrets, in one SQLite file.

``idsync serve --state-dir DIR`` opens ``DIR/idsync-daemon.db`` (created on first use). It holds what Graph's
API creates and a job file does not: the jobs of ``POST .../jobs {"templateId": ...}`` (principal, id,
template, whether they were started) and the secrets of ``PUT .../secrets``, each value encrypted with
Fernet (``cryptography``) under the key in ``IDSYNC_SECRET_KEY``. Each API job's sync state is a state
database of its own in the same folder (``<principal>.<job id>.state.db``), like a job file's.

Key handling: ``IDSYNC_SECRET_KEY`` holds one Fernet key, or several separated by commas: the first encrypts,
all decrypt (``MultiFernet``), and opening the store re-encrypts every secret under the first key. Rotating is
therefore: put the new key first, keep the old one after it, restart the daemon once, then drop the old key.
Without a key the daemon refuses to store secrets (``SecretKeyMissing``) and says so; stored secrets it cannot
decrypt are reported by key name at start, never by value.

The daemon talks to this module only; it uses the standard library's ``sqlite3`` (the daemon's bookkeeping is
a few rows; SQLAlchemy stays in ``engine.state``, import-linter's rule).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ApiJobRecord", "DaemonHome", "SecretCipher", "SecretKeyMissing", "generate_key"]

log = logging.getLogger("idsync.daemon")

SCHEMA_VERSION = 1
DB_NAME = "idsync-daemon.db"
_TABLES = (
    "CREATE TABLE IF NOT EXISTS metadata (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS api_jobs (principal TEXT NOT NULL, id TEXT NOT NULL,"
    " template_id TEXT NOT NULL, started INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (principal, id))",
    "CREATE TABLE IF NOT EXISTS secrets (principal TEXT NOT NULL, key TEXT NOT NULL, token BLOB NOT NULL,"
    " PRIMARY KEY (principal, key))",
)


class SecretKeyMissing(ValueError):
    """Secrets would be stored in clear: the daemon has no ``IDSYNC_SECRET_KEY``."""


def generate_key() -> str:
    """A new Fernet key (what to put in ``IDSYNC_SECRET_KEY``)."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


class SecretCipher:
    """Fernet encryption under the key(s) of ``IDSYNC_SECRET_KEY``; ``ValueError`` for a malformed key."""

    def __init__(self, keys: str) -> None:
        from cryptography.fernet import Fernet, MultiFernet

        parts = [part.strip() for part in keys.split(",") if part.strip()]
        if not parts:
            raise ValueError("IDSYNC_SECRET_KEY is empty")
        try:
            self._fernet = MultiFernet([Fernet(part.encode("ascii")) for part in parts])
        except (ValueError, UnicodeEncodeError) as exc:
            raise ValueError(
                "IDSYNC_SECRET_KEY is not a Fernet key (32 url-safe base64 bytes; create one with "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
            ) from exc

    def encrypt(self, value: str) -> bytes:
        return self._fernet.encrypt(value.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        """``ValueError`` when no key decrypts it (the message names no value)."""
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken:
            raise ValueError("no key in IDSYNC_SECRET_KEY decrypts it") from None

    def rotate(self, token: bytes) -> bytes:
        return self._fernet.rotate(token)

    def __repr__(self) -> str:
        return "SecretCipher(keys withheld)"


@dataclass(frozen=True)
class ApiJobRecord:
    principal: str
    id: str
    template_id: str
    started: bool = False


class DaemonHome:
    """``DIR/idsync-daemon.db`` and the folder of the API jobs' state databases."""

    def __init__(
        self,
        folder: Path,
        *,
        cipher: SecretCipher | None = None,
        directories: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.folder = folder.resolve()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.cipher = cipher
        self.directories: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (directories or {}).items()}
        """Directory name -> connector binding (``--directory NAME=FILE``); ``baseDir``: the file's folder."""
        self.path = self.folder / DB_NAME
        self._lock = threading.Lock()
        with self._connect() as db:
            for statement in _TABLES:
                db.execute(statement)
            row = db.execute("SELECT value FROM metadata WHERE name = 'schema_version'").fetchone()
            if row is None:
                db.execute("INSERT INTO metadata VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) > SCHEMA_VERSION:
                raise ValueError(
                    f"{self.path} was written by a newer idsync (schema {row[0]}, this one knows "
                    f"{SCHEMA_VERSION}); upgrade idsync"
                )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock, closing(sqlite3.connect(self.path)) as db, db:
            yield db

    def state_url(self, principal: str, job_id: str) -> str:
        return f"sqlite:///{self.folder / f'{principal}.{job_id}.state.db'}"

    # -- jobs --------------------------------------------------------------------------------------------
    def jobs(self) -> list[ApiJobRecord]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT principal, id, template_id, started FROM api_jobs ORDER BY principal, id"
            )
            return [ApiJobRecord(p, i, t, bool(s)) for p, i, t, s in rows.fetchall()]

    def add_job(self, record: ApiJobRecord) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO api_jobs VALUES (?, ?, ?, ?)",
                (record.principal, record.id, record.template_id, int(record.started)),
            )

    def set_started(self, principal: str, job_id: str) -> None:
        with self._connect() as db:
            db.execute("UPDATE api_jobs SET started = 1 WHERE principal = ? AND id = ?", (principal, job_id))

    def remove_job(self, principal: str, job_id: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM api_jobs WHERE principal = ? AND id = ?", (principal, job_id))

    # -- secrets -----------------------------------------------------------------------------------------
    def replace_secrets(self, principal: str, values: Mapping[str, str]) -> None:
        """Store ``values`` encrypted, replacing the principal's; ``SecretKeyMissing`` without a key."""
        if self.cipher is None:
            raise SecretKeyMissing(
                "the daemon has no IDSYNC_SECRET_KEY, so it refuses to store secrets (they would be kept in "
                "clear); set it to a Fernet key and restart idsync serve"
            )
        rows = [(principal, key, self.cipher.encrypt(value)) for key, value in values.items()]
        with self._connect() as db:
            db.execute("DELETE FROM secrets WHERE principal = ?", (principal,))
            db.executemany("INSERT INTO secrets VALUES (?, ?, ?)", rows)

    def load_secrets(self) -> dict[str, dict[str, str]]:
        """Every principal's secrets, decrypted and re-encrypted under the first key (rotation). A secret that
        cannot be decrypted (no key, or a key dropped too early) is left out and named in a warning."""
        with self._connect() as db:
            rows = db.execute("SELECT principal, key, token FROM secrets").fetchall()
        found: dict[str, dict[str, str]] = {}
        if rows and self.cipher is None:
            log.warning(
                "%d stored secrets cannot be used: IDSYNC_SECRET_KEY is not set (jobs that need them stay "
                "NotConfigured)",
                len(rows),
            )
            return found
        rotated = []
        for principal, key, token in rows:
            assert self.cipher is not None
            try:
                found.setdefault(principal, {})[key] = self.cipher.decrypt(token)
            except ValueError as exc:
                log.warning("secret %s of service principal %s cannot be used: %s", key, principal, exc)
                continue
            rotated.append((self.cipher.rotate(token), principal, key))
        with self._connect() as db:
            db.executemany("UPDATE secrets SET token = ? WHERE principal = ? AND key = ?", rotated)
        return found

    def __repr__(self) -> str:
        return f"DaemonHome({str(self.folder)!r})"
