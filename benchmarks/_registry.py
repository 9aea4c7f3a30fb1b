"""Every benchmark scenario, by name. Adding one: write its module, add one line below."""

from __future__ import annotations

from ._harness import Scenario


def scenarios() -> dict[str, Scenario]:
    from . import (
        scenario_cycles,
        scenario_expressions,
        scenario_files,
        scenario_ldap,
        scenario_many_jobs,
        scenario_scim,
        scenario_warm,
    )

    found: list[Scenario] = []
    found += scenario_expressions.SCENARIOS
    found += scenario_scim.SCENARIOS
    found += scenario_ldap.SCENARIOS
    found += scenario_cycles.SCENARIOS
    found += scenario_files.SCENARIOS
    found += scenario_warm.SCENARIOS
    found += scenario_many_jobs.SCENARIOS
    return {scenario.name: scenario for scenario in found}
