"""Generate the demo's source directory (``source.json``) deterministically.

Run ``python -m engine.demo._generate`` to rewrite it; the output is the same on every machine (a fixed
seed, no clock), so the demo's numbers never change.
"""

from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path
from typing import Any

FIRST = [
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Tim",
    "Hedy",
    "John",
    "Karen",
    "Niklaus",
    "Sophie",
    "Anita",
    "Guido",
    "Joan",
    "Björn",
    "Zoë",
    "José",
    "Chloé",
    "Søren",
    "Ingrid",
    "Mateo",
    "Aiko",
    "Priya",
    "Kwame",
]
LAST = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "McCarthy",
    "Spärck Jones",
    "Wirth",
    "Wilson",
    "Borg",
    "van Rossum",
    "Clarke",
    "Østergaard",
    "Nakamura",
    "Okafor",
    "Müller",
    "O'Neil",
]
DEPARTMENTS = ["Engineering", "Sales", "Marketing", "Finance", "Support", "Legal", "Research", "Operations"]
TITLES = ["Engineer", "Manager", "Analyst", "Specialist", "Director", "Consultant"]
CITIES = ["Seattle", "Dublin", "Singapore", "São Paulo", "Zürich", "Nairobi"]
USERS = 300


def _user(index: int, rng: random.Random) -> dict[str, Any]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    plain = unicodedata.normalize("NFKD", f"{first[0]}{last}").encode("ascii", "ignore").decode()
    nickname = plain.lower().replace(" ", "").replace("'", "").replace("-", "") + str(index)
    user: dict[str, Any] = {
        "id": f"user-{index:04d}",
        "userPrincipalName": f"{nickname}@contoso.example",
        "mailNickname": nickname,
        "displayName": f"{first} {last}",
        "givenName": first,
        "surname": last,
        "mail": f"{nickname}@contoso.example",
        "jobTitle": rng.choice(TITLES),
        "department": DEPARTMENTS[index % len(DEPARTMENTS)],
        "city": rng.choice(CITIES),
        "employeeId": f"E{10000 + index}",
        "accountEnabled": index % 41 != 40,  # a few disabled accounts, never provisioned
    }
    if index > 0:
        user["manager"] = f"user-{(index - 1) // 6:04d}"  # a tree: everyone but the CEO has a manager
    return user


def generate() -> dict[str, list[dict[str, Any]]]:
    rng = random.Random(20240601)
    users = [_user(i, rng) for i in range(USERS)]
    groups = []
    for number, department in enumerate(DEPARTMENTS):
        members = [u["id"] for u in users if u["department"] == department]
        groups.append(
            {
                "id": f"group-{number:02d}",
                "displayName": department,
                "objectId": f"group-{number:02d}",
                "mailNickname": department.lower(),
                "members": members,
            }
        )
    for number in range(12):
        members = sorted(rng.sample([u["id"] for u in users], 15))
        groups.append(
            {
                "id": f"group-{number + 10:02d}",
                "displayName": f"Project {number + 1}",
                "objectId": f"group-{number + 10:02d}",
                "mailNickname": f"project{number + 1}",
                "members": members,
            }
        )
    return {"User": users, "Group": groups}


def main() -> None:
    path = Path(__file__).with_name("source.json")
    path.write_text(json.dumps(generate(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
