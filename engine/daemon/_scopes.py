"""Graph's restart reset scopes (spec §C.4 synchronizationJobRestartCriteria), parsed once for the API and
the ``idsync jobs restart`` command."""

from __future__ import annotations

from engine.run import RESET_SCOPES as _ENGINE_SCOPES

__all__ = ["DEFAULT_RESET", "RESET_SCOPES", "parse_reset_scope"]

#: spec §C.4 synchronizationJobRestartCriteria.resetScope: the engine's scopes, plus Graph's "None"
RESET_SCOPES = ("None", *sorted(_ENGINE_SCOPES))
#: an empty criteria is the portal's "Restart provisioning" (spec §C.4)
DEFAULT_RESET = frozenset({"Watermark", "Escrows", "QuarantineState"})


def parse_reset_scope(text: str | None) -> set[str]:
    """``"Watermark, Escrows"`` -> ``{"Watermark", "Escrows"}``; names match case-insensitively.

    ``ValueError`` names an unknown scope and lists the valid ones. An empty text, or only ``None``, means
    the portal's restart (Watermark, Escrows, QuarantineState).
    """
    known = {name.lower(): name for name in RESET_SCOPES}
    scopes: set[str] = set()
    for part in (text or "").split(","):
        name = part.strip()
        if not name:
            continue
        if name.lower() not in known:
            raise ValueError(
                f"unknown reset scope {name!r}; use a comma-separated subset of {', '.join(RESET_SCOPES)}"
            )
        scopes.add(known[name.lower()])
    scopes.discard("None")
    return scopes or set(DEFAULT_RESET)
