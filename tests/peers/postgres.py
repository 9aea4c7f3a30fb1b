"""A throwaway PostgreSQL cluster for the tests: ``initdb`` + a foreground ``postgres`` on a free loopback
port with its own socket folder and fsync off, ready in about a second, removed at the end of the session.

initdb and postgres refuse to run as root: as root, both run as the ``postgres`` OS user (the Debian package
creates it) and the temporary folder is handed to that user. Binaries come from PATH or
/usr/lib/postgresql/<version>/bin; when they (or psycopg) are missing, ``peer_missing`` fails under CI and
skips elsewhere. Never touches another cluster (port 5432 may belong to someone else).

Fixture: ``postgres_url`` (session) -> ``postgresql+psycopg://test@127.0.0.1:<port>/test``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from . import free_port, peer_missing


def _version(path: str) -> tuple[int, ...]:
    major = Path(path).parent.parent.name
    return tuple(int(part) for part in major.split(".") if part.isdigit())


def find_bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found and (Path(found).resolve().parent / "postgres").exists():
        return Path(found).resolve().parent
    # The newest major version: compare "15" and "9.6" as numbers, not as text.
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    return Path(candidates[-1]).parent if candidates else None


class PostgresCluster:
    def __init__(self, bin_dir: Path, user: str = "test", dbname: str = "test") -> None:
        self.bin_dir, self.user, self.dbname = bin_dir, user, dbname
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="idsync-pg-", dir="/tmp"))
        self.run_as = "postgres" if os.geteuid() == 0 else None
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{dbname}"

    def _as_user(self) -> dict[str, Any]:
        # Popen(user=...) execs postgres directly (no su wrapper), so our signals reach it.
        return {"user": self.run_as, "group": self.run_as, "extra_groups": []} if self.run_as else {}

    def _run(self, *args: str) -> None:
        subprocess.run(args, check=True, capture_output=True, cwd=self.dir, timeout=60, **self._as_user())

    def start(self) -> None:
        if self.run_as:
            account = pwd.getpwnam(self.run_as)
            os.chown(self.dir, account.pw_uid, account.pw_gid)
        data = str(self.dir / "data")
        self._run(str(self.bin_dir / "initdb"), "-D", data, "-U", self.user, "--auth=trust", "-E", "UTF8",
                  "--no-locale", "--no-sync")  # fmt: skip
        log = open(self.dir / "postgres.log", "wb")  # noqa: SIM115 -- handed to the server process
        options = ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                   "-c", "full_page_writes=off", "-c", "max_connections=40"]  # fmt: skip
        self.proc = subprocess.Popen(
            [str(self.bin_dir / "postgres"), "-D", data, "-p", str(self.port), "-k", str(self.dir), *options],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.dir,
            **self._as_user(),
        )
        log.close()
        self._wait_ready()
        self._run(
            str(self.bin_dir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            self.user,
            self.dbname,
        )

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        probe = [str(self.bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        while subprocess.run(probe, check=False).returncode != 0:
            assert self.proc is not None
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = (self.dir / "postgres.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"postgres did not start on port {self.port}:\n{tail}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # "fast" shutdown: does not wait for clients
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a fresh database in a throwaway cluster (one per session; tests make their own tables)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        peer_missing("PostgreSQL", "initdb was found neither in PATH nor in /usr/lib/postgresql/*/bin")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        peer_missing("PostgreSQL", "the psycopg driver is not installed (pip install 'idsync[postgres]')")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            peer_missing("PostgreSQL", "running as root needs the 'postgres' OS user to run the server")
    cluster = PostgresCluster(bin_dir)
    try:
        cluster.start()
        yield cluster.url
    finally:
        cluster.stop()
