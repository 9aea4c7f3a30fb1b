"""A full cycle looks at the target again (``idsync run --full``, and its dry-run; issue 17).

Entra's full cycle re-evaluates every object against the target, not against what it last exported. An
incremental cycle diffs against the stored essence (STYLE habit 11: no target read per object); a full
cycle reads, page by page, the target objects its links point at (``Connector.get``, one call per page of
the source read) before the page is planned:

* a link whose target object is gone (deleted by hand) is dropped -- a ``Batch`` committed through the sink,
  so a dry-run shows the same -- and the object is matched or created again like a new one (a crash in
  between leaves it unlinked: the next full cycle, or a change of the source object, provisions it);
* every other link is handed to the planner with the values its target object holds now as its essence
  (``engine.plan.target_essence``), so a value changed in the target by hand is sent again with the source's.

``TargetCheck.links`` replaces the planner's link lookup for the full read (``Driver.objects``); the
escrow retries and the reconciliations planned with the same planner see the target the same way. A target
that cannot be read fails the cycle (a ``ConnectorError``, as for any read).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from ..plan import CompiledMapping, target_essence
from ..state import Batch, Link
from ._context import CycleContext
from ._sinks import Sink

_log = logging.getLogger("idsync.engine")


class TargetCheck:
    """The planner's link lookup for a full read of ``mapping``: links checked against the target."""

    def __init__(self, ctx: CycleContext, sink: Sink, mapping: CompiledMapping) -> None:
        self.ctx, self.sink, self.mapping = ctx, sink, mapping
        self.target = ctx.connectors[mapping.target_directory]

    def links(self, mapping_key: str, source_ids: Iterable[str]) -> Mapping[str, Link]:
        found = self.sink.state.links(mapping_key, source_ids)
        wanted = sorted({link.target_id for link in found.values() if link.target_id})
        if not wanted:
            return found
        present = self.target.get(self.mapping.target_object, wanted)
        gone = [sid for sid, link in found.items() if link.target_id and link.target_id not in present]
        if gone:
            self._drop(mapping_key, gone)
        checked: dict[str, Link] = {}
        for sid, link in found.items():
            obj = present.get(link.target_id)
            if obj is None:
                if not link.target_id:
                    checked[sid] = link  # no target id to check (kept as the cycle would)
                continue
            checked[sid] = link._replace(essence=target_essence(self.mapping, obj.attributes))
        return checked

    def _drop(self, mapping_key: str, source_ids: list[str]) -> None:
        """Unlink objects whose target object is gone: the planner then matches or creates them again."""
        batch = Batch()
        for sid in source_ids:
            batch.unlink(mapping_key, sid)
        self.sink.commit(batch)
        _log.warning(
            "job %s: %d linked %s objects are no longer in the target; they are matched or created again",
            self.ctx.job.id,
            len(source_ids),
            self.mapping.target_object,
        )
