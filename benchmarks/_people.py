"""Deterministic, Entra-like user and group records for the benchmark generator.

Every record is a pure function of ``(seed, index)``: a fresh ``random.Random`` is derived per object, so a
record can be rebuilt alone (the incremental scenarios mutate a few users without regenerating the rest) and
writing a million users never needs more than one record in memory. Called by ``benchmarks.generator``.

Realism, as the benchmark needs it: names with diacritics (their UPNs and mails folded to ASCII, as real
tenants do), departments and job titles, a manager tree (a user's manager always has a lower index, so the
tree has no cycles), multi-valued ``proxyAddresses``, about 3 % disabled and 1 % soft-deleted users, and
groups whose ``members`` are ids of existing users.
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
import uuid
from typing import Any

Record = dict[str, Any]

DOMAIN = "contoso.example"
GIVEN_NAMES = (
    "José",
    "Zoë",
    "Łukasz",
    "Søren",
    "Jürgen",
    "François",
    "Ana",
    "Björn",
    "Çağla",
    "Renée",
    "Ngọc",
    "Ólafur",
    "Małgorzata",
    "Dušan",
    "Maëlle",
    "İlker",
    "Åsa",
    "Chloé",
    "Mohammed",
    "Priya",
    "John",
    "Mary",
    "Wei",
    "Yuki",
    "Oluwaseun",
    "Siobhán",
    "Håkon",
    "Noémie",
    "Tomáš",
    "Inês",
)
SURNAMES = (
    "Müller",
    "Dvořák",
    "Østergaard",
    "Nguyễn",
    "García",
    "Kowalski",
    "Smith",
    "O'Brien",
    "Šimůnek",
    "Lefèvre",
    "Çelik",
    "Jönsson",
    "Żukowski",
    "Pérez",
    "Hernández",
    "Brontë",
    "Weiß",
    "Johansson",
    "Patel",
    "Tanaka",
    "Okafor",
    "Murphy",
    "Novák",
    "Fernández",
    "Ibáñez",
    "Kovačević",
    "Andersen",
    "Lindqvist",
    "Dubois",
    "Rossi",
)
DEPARTMENTS = (
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "Human Resources",
    "Legal",
    "Support",
    "Research",
    "Operations",
    "Procurement",
    "Facilities",
    "Data & Analytics",
)
TITLES = (
    "Engineer",
    "Senior Engineer",
    "Manager",
    "Director",
    "Analyst",
    "Specialist",
    "Consultant",
    "Coordinator",
    "Architect",
    "Administrator",
    "Associate",
    "Lead",
)
CITIES = (
    ("Zürich", "CH"),
    ("München", "DE"),
    ("Kraków", "PL"),
    ("São Paulo", "BR"),
    ("Montréal", "CA"),
    ("København", "DK"),
    ("Reykjavík", "IS"),
    ("Seattle", "US"),
    ("Dublin", "IE"),
    ("Praha", "CZ"),
    ("Málaga", "ES"),
    ("Tokyo", "JP"),
)
# Letters NFKD does not decompose into a base letter plus marks.
_FOLDS = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "đ": "d", "Đ": "D", "ı": "i"}
)


def ascii_fold(text: str) -> str:
    """``Łukasz Dvořák`` -> ``Lukasz Dvorak``: what tenants put in UPNs and mail addresses."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLDS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def object_id(seed: int, kind: str, index: int) -> str:
    """A stable GUID-shaped id for object ``index`` of ``kind`` (``u`` users, ``g`` groups)."""
    digest = hashlib.blake2b(f"{seed}:{kind}:{index}".encode(), digest_size=16).digest()
    return str(uuid.UUID(bytes=digest, version=4))


def _rng(seed: int, kind: str, index: int, version: int = 0) -> random.Random:
    return random.Random(f"{seed}:{kind}:{index}:{version}")


def manager_index(seed: int, index: int) -> int | None:
    """The manager of user ``index``: always a lower index (no cycles); user 0 has none."""
    if index == 0:
        return None
    rng = _rng(seed, "m", index)
    return rng.randint((index - 1) // 10, (index - 1) // 4)


def user_record(seed: int, index: int, version: int = 0) -> Record:
    """User ``index``; ``version`` > 0 gives the same user after ``version`` edits (other title, phone...)."""
    rng = _rng(seed, "u", index)
    given, surname = rng.choice(GIVEN_NAMES), rng.choice(SURNAMES)
    nickname = ascii_fold(f"{given}.{surname}").lower().replace("'", "").replace(" ", "") + str(index)
    city, country = rng.choice(CITIES)
    state = rng.random()
    edit = _rng(seed, "e", index, version)
    record: Record = {
        "id": object_id(seed, "u", index),
        "userPrincipalName": f"{nickname}@{DOMAIN}",
        "mail": f"{nickname}@{DOMAIN}",
        "mailNickname": nickname,
        "displayName": f"{given} {surname}",
        "givenName": given,
        "surname": surname,
        "department": edit.choice(DEPARTMENTS) if version else rng.choice(DEPARTMENTS),
        "jobTitle": edit.choice(TITLES) if version else rng.choice(TITLES),
        "employeeId": f"E{index:08d}",
        "city": city,
        "country": country,
        "usageLocation": country,
        "mobilePhone": f"+1 555 {edit.randrange(10**7):07d}"
        if version
        else f"+1 555 {rng.randrange(10**7):07d}",
        "proxyAddresses": _proxy_addresses(nickname, rng),
        "accountEnabled": state >= 0.03,
        "deletedDateTime": "2026-01-15T08:30:00Z" if 0.03 <= state < 0.04 else None,
    }
    manager = manager_index(seed, index)
    record["manager"] = None if manager is None else object_id(seed, "u", manager)
    return record


def _proxy_addresses(nickname: str, rng: random.Random) -> list[str]:
    addresses = [f"SMTP:{nickname}@{DOMAIN}", f"smtp:{nickname}@mail.{DOMAIN}"]
    if rng.random() < 0.3:
        addresses.append(f"smtp:{nickname}@legacy.{DOMAIN}")
    return addresses


def group_record(seed: int, index: int, users: int) -> Record:
    """Group ``index`` with members drawn from users ``0 .. users-1`` (sizes skewed: most groups small)."""
    department = _rng(seed, "g", index).choice(DEPARTMENTS)
    members = group_members(seed, index, users)
    name = f"{department} {index:05d}"
    return {
        "id": object_id(seed, "g", index),
        "displayName": name,
        "mailNickname": ascii_fold(name).lower().replace(" ", "-").replace("&", "and"),
        "description": f"Team {index} of {department}",
        "securityEnabled": True,
        "members": [object_id(seed, "u", member) for member in members],
    }


def group_members(seed: int, index: int, users: int) -> list[int]:
    """Indexes of the users in group ``index`` (sorted, distinct, all below ``users``)."""
    rng = _rng(seed, "gm", index)
    size = min(users, max(1, int(rng.paretovariate(1.3) * 8)), 5000)
    return sorted(rng.sample(range(users), size)) if users else []
