"""Run an example job of ``examples/`` from a temporary copy (its state database stays out of the repo)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import ldap
import pytest

import engine
from tests.peers.slapd import LdapSubtree

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example_engine(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Any:
    """``SyncEngine`` of ``examples/<name>/job.yaml`` copied (with its files) into ``tmp_path``."""
    folder = tmp_path / name
    shutil.copytree(EXAMPLES / name, folder)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return engine.SyncEngine(engine.load_job(folder / "job.yaml"))


def ldap_env(tree: LdapSubtree) -> dict[str, str]:
    server = tree.server
    return {"LDAP_URL": server.url, "LDAP_BIND_DN": server.bind_dn, "LDAP_PASSWORD": server.password,
            "LDAP_BASE_DN": tree.dn}  # fmt: skip


def cycle(sync: Any, *, full: bool = False) -> Any:
    report = sync.run_cycle(full=full)
    assert report.state == "Succeeded", report.error
    assert report.escrowed == 0
    return report


def ldap_client(tree: LdapSubtree) -> Any:
    client = ldap.initialize(tree.server.url)
    client.simple_bind_s(tree.server.bind_dn, tree.server.password)
    return client
