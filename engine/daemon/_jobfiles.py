"""Which files ``idsync serve JOB_OR_FOLDER...`` and ``idsync jobs`` load.

A file argument is a job file whatever its name. A folder contributes, non-recursively and in name order,
its ``*.yaml`` / ``*.yml`` files and its ``*.job.json`` files — plain ``*.json`` files in a job folder are
usually schemas or JSON directories, not jobs, so they are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .._jobfile import no_such_file

__all__ = ["find_job_files"]

_FOLDER_PATTERNS = ("*.yaml", "*.yml", "*.job.json")


def find_job_files(arguments: Iterable[Path]) -> list[Path]:
    """Job files named by the arguments; ``FileNotFoundError`` naming the first argument that is missing
    or a folder that holds no job file."""
    found: list[Path] = []
    for argument in arguments:
        if argument.is_file():
            found.append(argument)
        elif argument.is_dir():
            files = sorted({p for pattern in _FOLDER_PATTERNS for p in argument.glob(pattern) if p.is_file()})
            if not files:
                raise FileNotFoundError(
                    f"{argument}: the folder holds no job file (*.yaml, *.yml, *.job.json)"
                )
            found.extend(files)
        else:
            raise FileNotFoundError(no_such_file(argument))
    return list(dict.fromkeys(found))
