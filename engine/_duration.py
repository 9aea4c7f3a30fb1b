"""ISO-8601 durations (``PT40M``, ``PT5S``, ``P1DT2H``, Graph's ``P10675199DT2H48M5.4775807S``) to timedelta.

Used by the job file loader for ``schedule``. Years and months have no fixed length, so they are refused
with a clear message instead of being guessed.
"""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_MAX = timedelta.max


def parse_duration(text: str) -> timedelta:
    """Parse an ISO-8601 duration; ``ValueError`` with an example when the text is not one."""
    cleaned = text.strip().upper()
    match = _DURATION.match(cleaned)
    if not match or cleaned in {"P", "PT"} or cleaned.endswith("T"):
        raise ValueError(f"{text!r} is not an ISO-8601 duration (examples: PT40M, PT5S, P1D, PT1H30M)")
    parts = {name: float(value) for name, value in match.groupdict().items() if value is not None}
    try:
        duration = timedelta(**parts)
    except OverflowError:
        return _MAX
    if duration <= timedelta(0):
        raise ValueError(f"{text!r} is not a positive duration")
    return duration


def format_duration(value: timedelta) -> str:
    """The canonical ISO-8601 text of a timedelta (``PT40M``), as Graph's synchronizationSchedule shows it."""
    total = value.total_seconds()
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "P" + (f"{int(days)}D" if days else "")
    clock = (f"{int(hours)}H" if hours else "") + (f"{int(minutes)}M" if minutes else "")
    if seconds:
        clock += f"{seconds:g}S"
    return text + ("T" + clock if clock else ("" if days else "T0S"))
