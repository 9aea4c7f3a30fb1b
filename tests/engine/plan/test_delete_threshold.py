"""``deleteThresholdPercent`` (issue 14; not Entra's, off by default) beside Entra's absolute
``deleteThreshold``: the guard holds removals at whichever threshold comes first."""

from __future__ import annotations

import pytest

from engine.plan import Verdict, delete_threshold, guard_verdict


@pytest.mark.parametrize(
    ("absolute", "percent", "linked", "expected"),
    [
        (500, None, 10_000, 500),  # off by default: Entra's threshold alone
        (None, None, 10_000, None),  # no guard at all
        (500, 10, 1_000, 100),  # the percentage is lower
        (50, 10, 1_000, 50),  # the absolute threshold is lower
        (None, 10, 1_000, 100),  # the percentage alone
        (None, 10, 15, 2),  # rounded up: 1.5 -> 2
        (None, 0.5, 0, 1),  # never 0 (which would hold every removal of an empty job)
        (None, 100, 40, 40),
    ],
)
def test_the_threshold_is_the_lower_of_the_two(
    absolute: int | None, percent: float | None, linked: int, expected: int | None
) -> None:
    assert delete_threshold(absolute, percent, linked) == expected


def test_the_verdict_holds_at_the_percentage() -> None:
    threshold = delete_threshold(500, 10, 200)
    assert guard_verdict(19, threshold, force=False) is Verdict.APPLY
    assert guard_verdict(20, threshold, force=False) is Verdict.QUARANTINE
    assert guard_verdict(20, threshold, force=True) is Verdict.APPLY
