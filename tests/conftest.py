"""Suite-wide settings.

Hypothesis: no per-example deadline (the suite runs two workers on two cores beside real slapd, PostgreSQL
and scim2-server processes, so wall-clock per example is noise, not a property). Under CI the examples are
derandomized, so a landing is decided by the code, not by the draw; locally they stay random to keep
finding new cases.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from tests.peers import in_ci

settings.register_profile(
    "idsync",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "idsync-ci", parent=settings.get_profile("idsync"), derandomize=True, print_blob=True
)
settings.load_profile("idsync-ci" if in_ci() else "idsync")
