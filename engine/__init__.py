"""idsync's engine: Graph schema models, validation, scoping, planning, the sync cycle, state, the daemon
and the command line. ``engine`` may import ``expressions`` and ``connectors``; never the reverse."""

__all__: list[str] = []
