"""Connector errors, classified by what the engine must do with them.

Every third-party exception (python-ldap, httpx, SQLAlchemy, OS errors) is mapped to one of these at the
connector boundary (``raise ... from exc``); nothing else escapes ``connectors``::

    ConnectorError                      policy
    ├── ConnectorConfigError            fatal       bad settings in the job file (names the setting)
    ├── ConnectionFailed                fatal       directory unreachable
    │   └── AuthenticationFailed        fatal       bad credentials
    ├── RetriableConnectorError         retriable   timeouts, 429 / 503, busy server (``retry_after`` seconds)
    └── ObjectRejected                  skippable   the directory refused one object (escrow it, go on)
        └── ObjectConflict              skippable   uniqueness clash (already exists, matching conflict)

The engine reads ``policy`` (a ClassVar), never the class name: fatal stops the cycle without advancing
the watermark, retriable backs off and retries the batch, skippable escrows the one object.
"""

from __future__ import annotations

from typing import ClassVar, Literal

Policy = Literal["fatal", "retriable", "skippable"]


class ConnectorError(Exception):
    """Base of every error a connector raises."""

    policy: ClassVar[Policy] = "fatal"

    def __init__(self, message: str, *, connector: str | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.connector = connector
        self.detail = detail

    def __str__(self) -> str:
        prefix = f"[{self.connector}] " if self.connector else ""
        suffix = f" ({self.detail})" if self.detail else ""
        return f"{prefix}{self.message}{suffix}"


class ConnectorConfigError(ConnectorError):
    """The connector's settings are wrong; ``setting`` names the offending key (``objects.User.table``)."""

    policy: ClassVar[Policy] = "fatal"

    def __init__(self, message: str, *, setting: str | None = None, connector: str | None = None) -> None:
        super().__init__(message, connector=connector)
        self.setting = setting

    def __str__(self) -> str:
        where = f"setting '{self.setting}': " if self.setting else ""
        prefix = f"[{self.connector}] " if self.connector else ""
        return f"{prefix}{where}{self.message}"


class ConnectionFailed(ConnectorError):
    """The directory cannot be reached at all."""

    policy: ClassVar[Policy] = "fatal"


class AuthenticationFailed(ConnectionFailed):
    """The directory refused the credentials."""


class RetriableConnectorError(ConnectorError):
    """A transient failure; the same call may succeed after ``retry_after`` seconds."""

    policy: ClassVar[Policy] = "retriable"

    def __init__(
        self,
        message: str,
        *,
        retry_after: float = 1.0,
        connector: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message, connector=connector, detail=detail)
        self.retry_after = retry_after


class ObjectRejected(ConnectorError):
    """The directory refused one object's change (bad value, schema violation, missing required value)."""

    policy: ClassVar[Policy] = "skippable"


class ObjectConflict(ObjectRejected):
    """The change clashes with another object (uniqueness, already exists)."""
