"""Nothing in a schema is silently ignored (DESIGN decision 17): every metadata key and rule-level construct
is executed by the engine, or ``idsync validate`` reports it -- by JSON path, as a warning saying what the
engine does instead.

The tables below are the whole account: ``EXECUTED`` names where the engine acts on a key (and, for keys
with several values, which values it executes), ``DESCRIPTIVE`` the keys that describe and ask for no
behaviour (kept and round-tripped; nothing to execute) -- except, in ``EXPECTED``, the values of
descriptive keys a user may take for a behaviour (``IsSynchronizeAllSupported=false``), warned about on the
objects an enabled mapping reads or writes. Anything else -- an unknown key, or a value of a
known key the engine does not execute -- is reported. Attribute metadata is reported only for attributes
an enabled object mapping reads or writes (an unused definition carries no behaviour).
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.schema import AttributeMapping, ObjectMapping, SynchronizationSchema, is_entra_directory

from ._finding import Collector

EXECUTED: dict[str, tuple[str, frozenset[str] | None]] = {
    # key (lower case) -> (where the engine executes it, the values executed; None: every value)
    "issoftdeletionsupported": (
        "engine/plan/_decide.py decide_removal (a target keeping no disabled objects; into Microsoft Entra "
        "ID a delete is Entra's soft delete: README, 'Deprovisioning into Microsoft Entra ID')",
        None,
    ),
    "propertynameaccountenabled": ("engine/plan/_map.py derive (the source's enabled flag)", None),
    "propertynamesoftdeleted": ("engine/plan/_map.py derive (the source's soft-deleted flag)", None),
    "issynthetic": ("engine/plan/_rules.py (synthetic target attributes are never written)", None),
    "escrowbehavior": (
        "engine/plan/_references.py: a reference whose object is not provisioned yet never escrows; it is "
        "retried each cycle (DESIGN decision 9), which covers both Default and "
        "IgnoreLookupReferenceResolutionFailure",
        None,
    ),
    "disposition": ("objects are processed normally", frozenset({"normal"})),
    "disablemonitoringforchanges": ("changes are read every cycle", frozenset({"false"})),
    "excludefromreporting": ("every object is logged", frozenset({"false"})),
    "unsynchronized": ("the enabled mapping runs", frozenset({"false"})),
}

DESCRIPTIVE: dict[str, str] = {
    "iscustomerdefined": "whether an administrator added the mapping; no behaviour",
    "originaljoiningproperty": "the matching attribute the mapping was created with; matching follows "
    "matchingPriority",
    "connectordatastoragerequired": "whether Entra's connector needs its data store; local connectors keep "
    "what they need",
    "issynchronizeallsupported": "whether the portal offers 'sync all users and groups' for the object; "
    "locally every object of the source directory is assigned (engine/plan/_map.py)",
    "isharddeletionsupported": "whether the directory can purge objects; a delete is the connector's delete",
    "iscontainer": "the attribute holds the members of a container (references are resolved as such)",
    "linkpropertynames": "Salesforce link definition (describes the link object's properties)",
    "linktypename": "Salesforce link definition (names the link object type)",
    "defaultsourceobjectmappings": "the gallery's default mappings, for 'restore defaults'",
    "supportsprovisionondemand": "the portal's provision-on-demand button (idsync explain does this)",
    "configurationfields": "the gallery's configuration form",
    "galleryapplicationidentifier": "the gallery application's id",
    "galleryapplicationkey": "the gallery application's key",
    "isoauthenabled": "the gallery application's sign-in kind",
    "idsyncbuiltin": "marks idsync's own templates",
}

EXPECTED: dict[str, tuple[str, frozenset[str], str]] = {
    # Descriptive keys (in DESCRIPTIVE) whose value a user may read as a behaviour the engine does not have:
    # key (lower case) -> (the role of the object it matters for, the values warned about, what happens)
    "issynchronizeallsupported": (
        "source",
        frozenset({"false"}),
        "Entra syncs only the users and groups assigned to the application here; idsync has no "
        "assignments: every object the source directory gives is considered (a scoping filter restricts "
        "them)",
    ),
    "isharddeletionsupported": (
        "target",
        frozenset({"false"}),
        "idsync still deletes a linked object whose source object is gone when the object mapping allows "
        "Delete (take Delete out of its flowTypes to prevent it)",
    ),
    "supportsprovisionondemand": (
        "source",
        frozenset({"false"}),
        "`idsync provision` provisions any object of any enabled object mapping on demand",
    ),
}
"""Warned where it matters: on an object an enabled mapping reads (``source``) or writes (``target``)."""

REPORTED = {
    "secret": "the attribute is secret (Secret=true): the engine does not redact its values in dry-runs, "
    "explain output or logs",
    "complexobjectdefinition": "the attribute holds complex values (ComplexObjectDefinition): the engine "
    "passes the values as the source gives them and compares them as a whole; the json connector keeps "
    "them whole, the csv connector refuses them (per object, naming the attribute), and text functions "
    "see them as text",
}


def check_constructs(schema: SynchronizationSchema, out: Collector) -> None:
    used = _used_attributes(schema)
    roles = _roles(schema)
    for d, directory in enumerate(schema.directories):
        for o, obj in enumerate(directory.objects):
            path = f"directories[{d}].objects[{o}]"
            _check_metadata(obj.metadata, f"{path}.metadata", out)
            role = roles.get((directory.name.lower(), obj.name.lower()), set())
            _check_expected(obj.metadata, f"{path}.metadata", role, out)
            for a, attribute in enumerate(obj.attributes):
                if (directory.name.lower(), obj.name.lower(), attribute.name.lower()) not in used:
                    continue
                if attribute.api_expressions:
                    out.warning(
                        f"{path}.attributes[{a}].apiExpressions",
                        "apiExpressions (Workday XPath / SuccessFactors JSONPath) are not executed: the "
                        "attribute is read from the source object by its name",
                    )
                where = f"{path}.attributes[{a}].metadata"
                for k, entry in enumerate(attribute.metadata):
                    key = entry.key.lower()
                    if key in REPORTED:
                        out.warning(f"{where}[{k}]", REPORTED[key])
                    elif key not in EXECUTED and key not in DESCRIPTIVE:
                        _unknown(f"{where}[{k}]", entry.key, out)
    for i, rule in enumerate(schema.synchronization_rules):
        base = f"synchronizationRules[{i}]"
        _check_metadata(rule.metadata, f"{base}.metadata", out)
        for j, mapping in enumerate(rule.object_mappings):
            if not mapping.enabled:
                continue
            path = f"{base}.objectMappings[{j}]"
            _check_metadata(mapping.metadata, f"{path}.metadata", out)
            _check_synthetic(schema, rule.target_directory_name, mapping, path, out)
            for k, am in enumerate(mapping.attribute_mappings):
                if am.export_missing_references:
                    out.warning(
                        f"{path}.attributeMappings[{k}].exportMissingReferences",
                        "exportMissingReferences is not executed: a reference to an object that is not "
                        "provisioned is never exported; it waits and is retried each cycle (decision 9)",
                    )


def _check_metadata(entries: Iterable[object], path: str, out: Collector) -> None:
    for k, entry in enumerate(entries):
        key: str = getattr(entry, "key", "") or ""
        value = str(getattr(entry, "value", "") or "").strip().strip('"').lower()
        lower = key.lower()
        if lower in DESCRIPTIVE:
            continue
        if lower in EXECUTED:
            what, values = EXECUTED[lower]
            if values is not None and value not in values:
                out.warning(
                    f"{path}[{k}]",
                    f"metadata {key}={value!r} is not executed: the engine behaves as with "
                    f"{'/'.join(sorted(values))} ({what})",
                )
            continue
        _unknown(f"{path}[{k}]", key, out)


def _check_expected(entries: Iterable[object], path: str, role: set[str], out: Collector) -> None:
    """Descriptive keys whose value reads like a behaviour (``EXPECTED``): a warning saying what happens."""
    for k, entry in enumerate(entries):
        key: str = getattr(entry, "key", "") or ""
        expected = EXPECTED.get(key.lower())
        if expected is None or expected[0] not in role:
            continue
        value = str(getattr(entry, "value", "") or "").strip().strip('"').lower()
        if value in expected[1]:
            said = f"metadata {key}={value!r} is descriptive, not executed: {expected[2]}"
            out.warning(f"{path}[{k}]", said)


def _roles(schema: SynchronizationSchema) -> dict[tuple[str, str], set[str]]:
    """(directory, object) -> "source" / "target": read or written by an enabled object mapping."""
    roles: dict[tuple[str, str], set[str]] = {}
    for rule in schema.synchronization_rules:
        for mapping in rule.object_mappings:
            if not mapping.enabled:
                continue
            source = ((rule.source_directory_name or "").lower(), (mapping.source_object_name or "").lower())
            target = ((rule.target_directory_name or "").lower(), (mapping.target_object_name or "").lower())
            roles.setdefault(source, set()).add("source")
            roles.setdefault(target, set()).add("target")
    return roles


def _unknown(path: str, key: str, out: Collector) -> None:
    out.warning(path, f"metadata {key!r} is not known to the engine: kept as written, not executed")


def _check_synthetic(
    schema: SynchronizationSchema, target_dir: str | None, mapping: ObjectMapping, path: str, out: Collector
) -> None:
    target = schema.object_definition(target_dir, mapping.target_object_name)
    if target is None:
        return
    for k, am in enumerate(mapping.attribute_mappings):
        definition = target.attribute(am.target_attribute_name or "")
        if definition is None:
            continue
        if definition.mutability.value == "ReadOnly":
            out.warning(
                f"{path}.attributeMappings[{k}].targetAttributeName",
                f"target attribute {definition.name!r} is ReadOnly: the engine does not enforce it and "
                "exports the mapped value; the target may refuse it",
            )
        if not definition.metadata_flag("IsSynthetic"):
            continue
        if not _reads_soft_deleted(am):
            what = "its value is never written"
        elif is_entra_directory(target_dir):
            what = (
                "it is Entra's switch that soft-deletes the target object: an object leaving scope, "
                "unassigned or soft-deleted in the source is deleted (Entra keeps it 30 days in its recycle "
                "bin; a target without one gets it again as a new object if it comes back), while an "
                "account only disabled in the source is an update of its accountEnabled (README: "
                "'Deprovisioning into Microsoft Entra ID')"
            )
        else:
            what = (
                "a disable through it marks the object disabled (no further changes flow) and writes only "
                "the mapping's other IsSoftDeleted-driven attributes"
            )
        out.warning(
            f"{path}.attributeMappings[{k}].targetAttributeName",
            f"target attribute {definition.name!r} is synthetic (IsSynthetic): not written as an attribute; "
            f"{what}",
        )


def _reads_soft_deleted(mapping: AttributeMapping) -> bool:
    try:
        compiled = mapping.compiled()
    except Exception:  # reported by the expression checks
        return False
    return "IsSoftDeleted" in getattr(compiled, "attribute_names", ())


def _used_attributes(schema: SynchronizationSchema) -> set[tuple[str, str, str]]:
    """(directory, object, attribute) read or written by an enabled object mapping (lower case)."""
    used: set[tuple[str, str, str]] = set()
    for rule in schema.synchronization_rules:
        source_dir = (rule.source_directory_name or "").lower()
        target_dir = (rule.target_directory_name or "").lower()
        for mapping in rule.object_mappings:
            if not mapping.enabled:
                continue
            source = (mapping.source_object_name or "").lower()
            target = (mapping.target_object_name or "").lower()
            for am in mapping.attribute_mappings:
                used.add((target_dir, target, (am.target_attribute_name or "").lower()))
                try:
                    compiled = am.compiled()
                except Exception:  # reported by the expression checks
                    continue
                for name in getattr(compiled, "attribute_names", ()):
                    used.add((source_dir, source, name.lower()))
    return used


__all__ = ["DESCRIPTIVE", "EXECUTED", "EXPECTED", "REPORTED", "check_constructs"]
