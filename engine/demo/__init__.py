"""The bundled demo job (package data): ``job.yaml`` on the ``scim`` template, ``source.json`` with 300
Entra-shaped users (managers, a few disabled) and 20 groups, an empty ``target.json``.

``prepare(folder)`` copies it into a working folder (the state database is created there on the first
cycle); ``mutate(folder)`` makes the few source changes the demo's incremental cycle then provisions.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["DEMO_FILES", "mutate", "prepare"]

DEMO_FILES = ("job.yaml", "source.json", "target.json")


def prepare(folder: Path) -> Path:
    """Copy the demo into ``folder`` (its demo files and state are replaced); the job file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    package = resources.files(__name__)
    for name in DEMO_FILES:
        (folder / name).write_bytes(package.joinpath(name).read_bytes())
    for stale in folder.glob("job.state.db*"):
        stale.unlink()
    return folder / "job.yaml"


def _load(folder: Path) -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = json.loads((folder / "source.json").read_text(encoding="utf-8"))
    return data


def mutate(folder: Path) -> list[str]:
    """Change a few source objects, like a day in a directory; returns what was done, for the screen."""
    data = _load(folder)
    users = {u["id"]: u for u in data["User"]}
    groups = {g["id"]: g for g in data["Group"]}
    done = []
    users["user-0007"]["displayName"] = "Grace B. Hopper"
    users["user-0007"]["jobTitle"] = "Rear Admiral"
    done.append("user-0007: renamed to 'Grace B. Hopper', new job title")
    users["user-0012"]["accountEnabled"] = False
    done.append("user-0012: account disabled (→ disabled in the target)")
    users["user-0013"]["manager"] = "user-0001"
    done.append("user-0013: new manager user-0001")
    del users["user-0299"]
    for group in groups.values():
        group["members"] = [m for m in group["members"] if m != "user-0299"]
    done.append("user-0299: deleted (→ deleted in the target)")
    users["user-0300"] = {
        "id": "user-0300",
        "userPrincipalName": "newhire300@contoso.example",
        "mailNickname": "newhire300",
        "displayName": "New Hire",
        "givenName": "New",
        "surname": "Hire",
        "mail": "newhire300@contoso.example",
        "department": "Research",
        "accountEnabled": True,
        "manager": "user-0006",
    }
    groups["group-06"]["members"].append("user-0300")
    done.append("user-0300: new hire in Research (created, manager set, added to the Research group)")
    data["User"] = list(users.values())
    data["Group"] = list(groups.values())
    (folder / "source.json").write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    return done
