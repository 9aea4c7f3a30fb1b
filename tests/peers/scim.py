"""A real scim2-server over HTTP for the tests (and the SCIM benchmark), started by the suite itself.

``ScimServer`` runs the ``scim2-server`` command line (the same module, from this venv) in a subprocess on a
free loopback port, with a bearer token and ``--dynamic-tenants``, and takes its flushed
``Serving SCIM on ...`` line as the readiness signal (about 0.7 s). SIGINT stops it (its clean exit).

Isolation between tests: every test gets its own *tenant* (``/<random>/v2``), an empty in-memory storage of
its own, created by the server on the first request. That costs nothing, unlike a server per test, and is
more reliable than clearing a shared storage (no test sees another's objects, even under pytest-xdist
where each worker has its own server anyway).

The CLI serves with wsgiref (HTTP/1.0, one connection per request). That is fast enough for the tests; the
benchmark measures the connector and a bare httpx loop against the same server, so the ratio is fair.

Fixtures (registered in ``tests/connectors/conftest.py``):

* ``scim_server`` (session): the running server (``root``, ``token``).
* ``scim_tenant`` (function): ``ScimTenant(base_address, token)`` of a fresh, empty tenant.
"""

from __future__ import annotations

import importlib.util
import selectors
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pytest

from tests.peers import free_port, peer_missing

READY_LINE = "Serving SCIM on"
START_SECONDS = 20.0


@dataclass(frozen=True)
class ScimTenant:
    base_address: str
    """e.g. ``http://127.0.0.1:PORT/<tenant>/v2``: what a job file's ``baseAddress`` holds."""
    token: str

    def settings(self, **more: object) -> dict[str, object]:
        """The ``scim`` connector settings for this tenant."""
        return {"baseAddress": self.base_address, "secretToken": self.token, **more}


class ScimServer:
    """``scim2-server --hostname 127.0.0.1 --port P --bearer-token T --dynamic-tenants`` in a subprocess."""

    def __init__(self, token: str | None = None, extra_args: Sequence[str] = ()) -> None:
        self.token = token or uuid.uuid4().hex
        self.extra_args = tuple(extra_args)
        """More ``scim2-server`` options, e.g. ``("--service-provider-config", FILE)``."""
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> ScimServer:
        command = [sys.executable, "-m", "scim2_server.testserver.cli", "--hostname", "127.0.0.1",
                   "--port", str(self.port), "--bearer-token", self.token, "--dynamic-tenants"]  # fmt: skip
        command += self.extra_args
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True
        )
        line = self._first_line()
        if READY_LINE not in line:
            self.stop()
            raise RuntimeError(f"scim2-server did not start: {line.strip() or 'no output'}")
        return self

    def _first_line(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout=START_SECONDS):
                return f"no readiness line within {START_SECONDS:.0f}s"
        return self.process.stdout.readline()

    def tenant(self) -> ScimTenant:
        return ScimTenant(f"{self.root}/t{uuid.uuid4().hex}/v2", self.token)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> ScimServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def scim2_server_available() -> str | None:
    """None when scim2-server can run here, else why not."""
    if importlib.util.find_spec("scim2_server") is None:
        return "the scim2-server package is not installed (pip install scim2-server)"
    return None


@pytest.fixture(scope="session")
def scim_server() -> Iterator[ScimServer]:
    missing = scim2_server_available()
    if missing:
        peer_missing("scim2-server", missing)
    try:
        server = ScimServer().start()
    except (OSError, RuntimeError) as exc:
        peer_missing("scim2-server", str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def scim_tenant(scim_server: ScimServer) -> ScimTenant:
    return scim_server.tenant()
