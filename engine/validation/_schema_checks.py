"""Structural checks of a synchronization schema: directories, rules, object mappings, attribute mappings.

Paths are relative to the schema's root (the collector adds ``schema.`` for template documents).
Disabled object mappings are skipped, as Entra skips them (real exports carry nameless disabled stubs).
"""

from __future__ import annotations

from collections.abc import Collection

from engine.schema import DirectoryDefinition, ObjectDefinition, ObjectMapping, SynchronizationSchema

from ._construct_checks import check_constructs
from ._expression_checks import check_attribute_mapping
from ._finding import Collector, suggest
from ._scope_checks import check_scope


def check_schema(schema: SynchronizationSchema, out: Collector, placeholders: Collection[str] = ()) -> None:
    """Every structural check; findings go to ``out``."""
    _check_directories(schema, out)
    check_constructs(schema, out)
    for i, rule in enumerate(schema.synchronization_rules):
        base = f"synchronizationRules[{i}]"
        source = _directory(schema, rule.source_directory_name, f"{base}.sourceDirectoryName", out)
        target = _directory(schema, rule.target_directory_name, f"{base}.targetDirectoryName", out)
        for j, mapping in enumerate(rule.object_mappings):
            if mapping.enabled:
                path = f"{base}.objectMappings[{j}]"
                _check_object_mapping(mapping, source, target, path, out, placeholders)


def _directory(
    schema: SynchronizationSchema, name: str | None, path: str, out: Collector
) -> DirectoryDefinition | None:
    if not name:
        out.error(path, "the rule names no directory")
        return None
    found = schema.directory(name)
    if found is None:
        names = [d.name for d in schema.directories]
        known = ", ".join(repr(n) for n in names) or "none"
        out.error(
            path,
            f"no directory definition named {name!r} (defined: {known})",
            suggestion=suggest(name, names),
        )
    return found


def _check_directories(schema: SynchronizationSchema, out: Collector) -> None:
    seen: set[str] = set()
    for d, directory in enumerate(schema.directories):
        if directory.name.lower() in seen:
            out.error(f"directories[{d}].name", f"directory {directory.name!r} is defined twice")
        seen.add(directory.name.lower())
        objects: set[str] = set()
        for o, obj in enumerate(directory.objects):
            path = f"directories[{d}].objects[{o}]"
            if obj.name.lower() in objects:
                # A warning: Entra's own 2025 cloud-sync export defines 'User' twice; the first one is used.
                out.warning(
                    f"{path}.name",
                    f"object {obj.name!r} is defined twice in {directory.name!r}; the first is used",
                )
            objects.add(obj.name.lower())
            _check_attributes(obj, path, out)


def _check_attributes(obj: ObjectDefinition, path: str, out: Collector) -> None:
    names: set[str] = set()
    for a, attribute in enumerate(obj.attributes):
        if attribute.name.lower() in names:
            out.warning(f"{path}.attributes[{a}].name", f"attribute {attribute.name!r} is defined twice")
        names.add(attribute.name.lower())
    anchors = [a.name for a in obj.attributes if a.anchor]
    if len(anchors) > 1:
        out.warning(
            path,
            f"object {obj.name!r} has {len(anchors)} anchor attributes ({', '.join(anchors)}): the "
            "connector's id is the object's identity, and no anchor attribute is filled from it (a mapping "
            "reading one gets only the value the source gives)",
        )


def _object(
    directory: DirectoryDefinition | None, name: str | None, path: str, out: Collector
) -> ObjectDefinition | None:
    if directory is None:
        return None
    found = directory.object(name) if name else None
    if found is None:
        names = directory.object_names
        out.error(
            path,
            f"directory {directory.name!r} has no object {name!r} (objects: {', '.join(names) or 'none'})",
            suggestion=suggest(name or "", names),
        )
    return found


def _check_object_mapping(
    mapping: ObjectMapping,
    source_dir: DirectoryDefinition | None,
    target_dir: DirectoryDefinition | None,
    path: str,
    out: Collector,
    placeholders: Collection[str],
) -> None:
    source = _object(source_dir, mapping.source_object_name, f"{path}.sourceObjectName", out)
    target = _object(target_dir, mapping.target_object_name, f"{path}.targetObjectName", out)
    _check_matching(mapping, path, out)
    _check_targets(mapping, target, path, out)
    for k, attribute_mapping in enumerate(mapping.attribute_mappings):
        check_attribute_mapping(
            attribute_mapping, source, f"{path}.attributeMappings[{k}]", out, placeholders
        )
    if target is not None and "Add" in mapping.flow_types:
        _check_required(mapping, target, path, out)
    check_scope(mapping.scope, source, f"{path}.scope", out)


def _check_matching(mapping: ObjectMapping, path: str, out: Collector) -> None:
    if not mapping.matching_mappings:
        out.error(
            path,
            "the object mapping has no matching attribute: give one attribute mapping matchingPriority 1",
        )
    first_use: dict[int, int] = {}
    for k, attribute_mapping in enumerate(mapping.attribute_mappings):
        priority = attribute_mapping.matching_priority
        if priority <= 0:
            continue
        if priority in first_use:
            other = first_use[priority]
            name = mapping.attribute_mappings[other].target_attribute_name
            out.error(
                f"{path}.attributeMappings[{k}].matchingPriority",
                f"matching priority {priority} is already used by attributeMappings[{other}] ({name}); "
                "matching priorities must be distinct",
            )
        else:
            first_use[priority] = k


def _check_targets(
    mapping: ObjectMapping, target: ObjectDefinition | None, path: str, out: Collector
) -> None:
    seen: dict[str, int] = {}
    for k, attribute_mapping in enumerate(mapping.attribute_mappings):
        name = attribute_mapping.target_attribute_name
        where = f"{path}.attributeMappings[{k}].targetAttributeName"
        if not name:
            out.error(where, "the attribute mapping names no target attribute")
            continue
        if name.lower() in seen:
            out.error(
                where,
                f"target attribute {name!r} is already mapped by attributeMappings[{seen[name.lower()]}]",
            )
        seen.setdefault(name.lower(), k)
        if target is not None and target.attribute(name) is None:
            out.error(
                where,
                f"target object {target.name!r} has no attribute {name!r}",
                suggestion=suggest(name, target.attribute_names),
            )


def _check_required(mapping: ObjectMapping, target: ObjectDefinition, path: str, out: Collector) -> None:
    # A warning, not an error: Entra accepts such schemas and records an error per object at create time
    # (the 2017 Salesforce template leaves ProfileId to app-role assignment).
    mapped = {(m.target_attribute_name or "").lower() for m in mapping.attribute_mappings}
    for attribute in target.attributes:
        needed = attribute.required and not attribute.anchor and not attribute.default_value
        if needed and attribute.name.lower() not in mapped:
            out.warning(
                f"{path}.attributeMappings",
                f"required target attribute {attribute.name!r} is neither mapped nor defaulted; "
                "creating objects will fail (MissingRequiredValue; matched objects are updated)",
            )
