"""Source attributes a job's schema reads but its source directory definition does not declare.

``idsync run`` and ``idsync dry-run`` warn about each once before their cycle (``[givenNmae]`` would
otherwise flow ∅ silently); ``idsync validate`` reports the same as findings with a caret. A directory whose
``discoverabilities`` include ``AttributeNames`` declares that it has more attributes than it lists
(extension attributes), so a name missing from it is only possibly wrong; the warning says so.
"""

from __future__ import annotations

import difflib

import expressions
from engine.schema import DirectoryDefinition, ObjectDefinition, ObjectMapping, SynchronizationSchema

_DERIVED = frozenset({"issoftdeleted"})
"""Attributes the engine derives for every source object (spec §D.4), whatever the definition lists."""


def unknown_source_attributes(schema: SynchronizationSchema) -> list[str]:
    """One message per attribute an enabled mapping's expressions or scoping clauses read that the source
    object definition does not declare, with a "did you mean" when a declared name is close."""
    messages: list[str] = []
    for rule in schema.synchronization_rules:
        directory = schema.directory(rule.source_directory_name or "")
        for mapping in rule.object_mappings:
            wanted = mapping.source_object_name if mapping.enabled else None
            source = directory.object(wanted) if directory is not None and wanted else None
            if directory is None or source is None or not source.attributes:
                continue
            for name in sorted(_names_read(mapping)):
                if name.lower() not in _DERIVED and source.attribute(name) is None:
                    target = (mapping.target_object_name or "?").rsplit(":", 1)[-1]
                    messages.append(_message(name, source, directory, target))
    return list(dict.fromkeys(messages))


def _names_read(mapping: ObjectMapping) -> set[str]:
    names: set[str] = set()
    for attribute_mapping in mapping.attribute_mappings:
        try:
            compiled = attribute_mapping.compiled()
        except expressions.ExpressionError:  # refused when the schema compiles, with where
            continue
        if compiled is not None:
            names.update(compiled.attribute_names)
    scope = mapping.scope
    if scope is not None:
        for groups in (scope.groups, scope.input_filter_groups, scope.category_filter_groups):
            for group in groups or []:
                names.update(clause.source_operand_name for clause in group.clauses)
    return names


def _message(name: str, source: ObjectDefinition, directory: DirectoryDefinition, target: str) -> str:
    by_lower = {n.lower(): n for n in source.attribute_names}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    hint = f"; did you mean {by_lower[close[0]]!r}?" if close else ""
    open_list = "AttributeNames" in (directory.discoverabilities or "")
    why = (
        "it may be an extension attribute the definition does not list"
        if open_list
        else "it reads as ∅ for every object"
    )
    return (
        f"the {source.name} → {target} mapping reads [{name}], which {directory.name!r} does not declare "
        f"for {source.name} ({why}){hint}"
    )
