"""Each package has one import surface: ``__all__`` names exactly its public names, and every one resolves.

Submodules and subpackages (``engine.schema``...) are reachable by import but are not part of ``__all__``.
"""

from __future__ import annotations

import importlib
import types

import pytest


@pytest.mark.parametrize("package", ["engine", "connectors", "expressions"])
def test_all_is_the_public_surface(package: str) -> None:
    module = importlib.import_module(package)
    exported = set(module.__all__)
    assert all(hasattr(module, name) for name in exported)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and name != "annotations" and not isinstance(value, types.ModuleType)
    }
    assert public == exported, f"not in __all__: {sorted(public - exported)}"


def test_design_md_names_are_exported() -> None:
    """The names DESIGN.md promises to other packages and to outside tests."""
    import connectors
    import engine
    import expressions

    assert {
        "compile",
        "from_graph",
        "format_value",
        "EvaluationContext",
        "IGNORE_ATTRIBUTE",
        "IGNORE_OBJECT",
        "ExpressionError",
        "ExpressionSyntaxError",
        "ExpressionEvaluationError",
        "CompiledExpression",
    } <= set(expressions.__all__)
    assert {"load_schema", "dump_schema", "evaluate_scope", "validate", "load_job", "SyncEngine"} <= set(
        engine.__all__
    )
    assert {"Connector", "create_connector", "register_connector", "Watermark", "Page"} <= set(
        connectors.__all__
    )
