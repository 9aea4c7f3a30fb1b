"""Start ``idsync serve`` as a real subprocess on a free port, and talk to it over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.peers import free_port

TOKEN = "serve-test-token"
IDSYNC = [sys.executable, "-c", "from engine.cli import main; main()"]

USERS = [
    {
        "id": f"u{n}",
        "userPrincipalName": f"user{n}@contoso.test",
        "displayName": f"User {n}",
        "mailNickname": f"user{n}",
        "accountEnabled": True,
        "preferredLanguage": "en-US",
    }
    for n in range(1, 6)
]


def write_job(folder: Path, job_id: str = "http-demo", interval: str = "PT1S") -> Path:
    (folder / f"{job_id}-source.json").write_text(json.dumps({"User": USERS, "Group": []}))
    job = folder / f"{job_id}.yaml"
    job.write_text(
        f"id: {job_id}\n"
        "template: scim\n"
        f"schedule: {interval}\n"
        "directories:\n"
        f"  Azure Active Directory: {{connector: json, path: {job_id}-source.json}}\n"
        f"  SCIM App: {{connector: json, path: {job_id}-target.json}}\n"
    )
    return job


class Served:
    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = cwd / f"serve-{self.port}.log"
        self._log_file = self.log.open("wb")
        self.proc = subprocess.Popen(
            [*IDSYNC, "serve", *args, "--port", str(self.port)],
            env=env,
            cwd=cwd,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        self.client = httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"idsync serve exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if self.client.get("/openapi.json").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"idsync serve did not answer within {timeout}s:\n{self.output()}")

    def wait_for(
        self, check: Callable[[], Any], timeout: float = 30, what: str = "condition", poll: float = 0.2
    ) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(poll)
        raise AssertionError(f"timed out waiting for {what}:\n{self.output()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            self.client.close()
            self._log_file.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.client.close()
        self._log_file.close()

    def output(self) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        return self.log.read_text(errors="replace")


def serve_env(token: str | None = TOKEN) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "IDSYNC_API_TOKEN"}
    if token is not None:
        env["IDSYNC_API_TOKEN"] = token
    return env
