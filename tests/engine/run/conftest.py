"""Fixtures for the sync engine tests: a job on the ``scim`` template bound to json files in tmp_path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine import SyncEngine, load_job

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
MANAGER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"


def user(uid: str, **attrs: Any) -> dict[str, Any]:
    base = {
        "id": uid,
        "userPrincipalName": f"{uid}@contoso.com",
        "displayName": f"User {uid}",
        "mailNickname": uid,
        "accountEnabled": True,
    }
    base.update(attrs)
    return {k: v for k, v in base.items() if v is not None}


def group(gid: str, members: list[str], **attrs: Any) -> dict[str, Any]:
    return {"id": gid, "displayName": f"Group {gid}", "objectId": gid, "members": members, **attrs}


def write_job(
    folder: Path,
    source: dict[str, Any],
    *,
    settings: dict[str, Any] | None = None,
    target: dict[str, Any] | None = None,
    schema: str | None = None,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "source.json").write_text(json.dumps(source), encoding="utf-8")
    if target is not None:
        (folder / "target.json").write_text(json.dumps(target), encoding="utf-8")
    job = {
        "id": "test",
        "schedule": "PT5S",
        "directories": {
            "Azure Active Directory": {"connector": "json", "path": "source.json"},
            "SCIM App": {"connector": "json", "path": "target.json"},
        },
        "settings": settings or {},
    }
    job["schema" if schema else "template"] = schema or "scim"
    path = folder / "job.yaml"
    path.write_text(json.dumps(job), encoding="utf-8")
    return path


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


@pytest.fixture
def make_engine(tmp_path: Path) -> Callable[..., SyncEngine]:
    engines: list[SyncEngine] = []

    def make(source: dict[str, Any], **kwargs: Any) -> SyncEngine:
        engine = SyncEngine(load_job(write_job(tmp_path, source, **kwargs)))
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()
