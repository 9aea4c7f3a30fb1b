"""Real test peers (slapd, PostgreSQL, scim2-server), started by the suite itself.

DESIGN.md: a test that needs a peer that is missing *fails* in CI (``CI=true``) and is *skipped* with a
clear reason elsewhere. Every peer fixture calls ``require_peer`` instead of ``pytest.skip``.
"""

from __future__ import annotations

import os
import socket
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def peer_missing(peer: str, reason: str) -> NoReturn:
    """Fail under CI, skip elsewhere, always saying what is missing and how to get it."""
    message = f"{peer} is not available: {reason} (scripts/test installs it)"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (never assume a fixed port is ours)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
