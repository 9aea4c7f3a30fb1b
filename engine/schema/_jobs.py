"""Jobs and their status: synchronizationJob, synchronizationSchedule, synchronizationStatus and its parts,
synchronizationJobRestartCriteria (spec §C.1, §C.4). Dates are kept as the strings Graph writes
(``0001-01-01T00:00:00Z`` included), so documents round-trip untouched."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import GraphModel
from ._directory import StringKeyStringValuePair
from ._schema import SynchronizationSchema

RESET_SCOPES = (
    "None",
    "ConnectorDataStore",
    "Escrows",
    "Watermark",
    "QuarantineState",
    "Full",
    "ForceDeletes",
)
"""The flags of ``synchronizationJobRestartCriteria.resetScope``."""


class SynchronizationSecretKeyStringValuePair(GraphModel):
    """One synchronization secret (``PUT .../synchronization/secrets`` replaces them all)."""

    key: str | None = None
    """The secret's name: BaseAddress, SecretToken, SyncNotificationSettings, SkipOutOfScopeDeletions, ..."""
    value: str | None = None
    """Its value (a string; SyncNotificationSettings holds JSON)."""


class SynchronizationSchedule(GraphModel):
    """When a job runs."""

    expiration: str | None = None
    """When the schedule stops (DateTimeOffset)."""
    interval: str | None = None
    """ISO-8601 duration between cycles (``PT40M``)."""
    state: str | None = None
    """Active, Disabled or Paused."""


class SynchronizationError(GraphModel):
    """An error recorded on a status, execution or quarantine."""

    code: str | None = None
    """Error code."""
    message: str | None = None
    """Error message."""
    tenant_actionable: bool | None = None
    """True when the customer can fix it."""


class SynchronizationProgress(GraphModel):
    """Progress of a running cycle."""

    completed_units: int | None = None
    """Units done."""
    progress_observation_date_time: str | None = None
    """When the figures were taken."""
    total_units: int | None = None
    """Units in total."""
    units: str | None = None
    """What a unit is."""


class SynchronizationQuarantine(GraphModel):
    """Why and since when a job is quarantined."""

    current_began: str | None = None
    """Start of the current quarantine."""
    next_attempt: str | None = None
    """Next retry."""
    reason: str | None = None
    """EncounteredBaseEscrowThreshold, TooManyDeletes, ..."""
    series_began: str | None = None
    """Start of the series of quarantines."""
    series_count: int | None = None
    """Quarantines in the series."""
    error: SynchronizationError | None = None
    """The error that caused it."""


class SynchronizationTaskExecution(GraphModel):
    """Figures of one cycle."""

    activity_identifier: str | None = None
    """Activity id."""
    count_entitled: int | None = None
    """Objects in scope."""
    count_entitled_for_provisioning: int | None = None
    """Objects in scope for provisioning."""
    count_escrowed: int | None = None
    """Objects escrowed."""
    count_escrowed_raw: int | None = None
    """Escrows including system escrows."""
    count_exported: int | None = None
    """Exports done."""
    count_exports: int | None = None
    """Exports expected."""
    count_imported: int | None = None
    """Objects imported."""
    count_imported_deltas: int | None = None
    """Deltas imported."""
    count_imported_reference_deltas: int | None = None
    """Reference deltas imported."""
    error: SynchronizationError | None = None
    """Cycle-level error."""
    state: str | None = None
    """Succeeded, Failed or EntryLevelErrors."""
    time_began: str | None = None
    """Cycle start."""
    time_ended: str | None = None
    """Cycle end."""


class SynchronizationStatus(GraphModel):
    """A job's status."""

    code: str | None = None
    """NotConfigured, NotRun, Active, Paused or Quarantine."""
    count_successive_complete_failures: int | None = None
    """Cycles failed in a row."""
    escrows_pruned: bool | None = None
    """Escrows dropped during an initial cycle."""
    last_execution: SynchronizationTaskExecution | None = None
    """The last cycle."""
    last_successful_execution: SynchronizationTaskExecution | None = None
    """The last successful cycle."""
    last_successful_execution_with_exports: SynchronizationTaskExecution | None = None
    """The last successful cycle that exported something."""
    progress: list[SynchronizationProgress] | None = None
    """Progress of the running cycle."""
    quarantine: SynchronizationQuarantine | None = None
    """Quarantine details."""
    steady_state_first_achieved_time: str | None = None
    """First time the job was in steady state."""
    steady_state_last_achieved_time: str | None = None
    """Last time the job was in steady state."""
    synchronized_entry_count_by_type: list[dict[str, Any]] | None = None
    """``{key: objectType, value: count}`` pairs."""
    troubleshooting_url: str | None = None
    """Where to read more."""


class SynchronizationJobRestartCriteria(GraphModel):
    """Body of ``POST .../jobs/{id}/restart``: which state to reset."""

    reset_scope: str | None = None
    """Comma-separated subset of :data:`RESET_SCOPES`; empty means Watermark, Escrows, QuarantineState."""

    @property
    def scopes(self) -> frozenset[str]:
        """The flags named, in their documented casing; ``None`` is dropped, and nothing left means the
        portal's restart (Watermark, Escrows, QuarantineState). Unknown flags raise ValueError."""
        known = {s.lower(): s for s in RESET_SCOPES}
        names = [p.strip() for p in (self.reset_scope or "").split(",") if p.strip()]
        bad = [n for n in names if n.lower() not in known]
        if bad:
            raise ValueError(f"unknown reset scope {bad[0]!r}; known: {', '.join(RESET_SCOPES)}")
        chosen = frozenset(known[n.lower()] for n in names) - {"None"}
        return chosen or frozenset({"Watermark", "Escrows", "QuarantineState"})


class SynchronizationJob(GraphModel):
    """A synchronization job: a template's schema running on a schedule."""

    id: str | None = None
    """Job id (``scim.e4bb...``)."""
    template_id: str | None = None
    """The template the job was created from."""
    schedule: SynchronizationSchedule | None = None
    """When it runs."""
    status: SynchronizationStatus | None = None
    """How it is doing."""
    synchronization_job_settings: list[StringKeyStringValuePair] | None = None
    """Job settings (key/value)."""
    schema_: SynchronizationSchema | None = Field(default=None, alias="schema")
    """The job's synchronizationSchema (relation; usually fetched separately)."""
