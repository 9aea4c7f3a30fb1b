"""Generated Python source for a whole mapping set: one function evaluates every attribute of an object.

Used where evaluation speed matters (the engine's map step, the ``expressions`` benchmark). Plain library
calls, attributes, constants, comparisons, IIF and IgnoreFlowIfNullOrEmpty become inline Python; every
other node (Switch with computed values, Replace, Coalesce, SelectUniqueValue, placeholders, flow keywords,
context functions) calls its compiled closure, so the semantics are the closures' by construction. When an
attribute fails, it is evaluated again through its ``CompiledExpression`` to raise exactly the error the
per-expression path raises. The source is kept on ``MappingSet.source`` for debugging, and the function is
named after the mapping set.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from typing import Any

from ._compiler import _WRAPPED, CompiledExpression, _Compiler
from ._context import DEFAULT_CONTEXT, EvaluationContext
from ._ir import Attribute, Call, Comparison, Node
from ._lib_logic import compare, iif_condition
from ._registry import Compiled, lookup
from ._values import IGNORE_ATTRIBUTE, IGNORE_OBJECT, ArgumentError, FlowSignal, format_value, is_empty

_INLINE_SPECIALS = frozenset({"IIF", "IgnoreFlowIfNullOrEmpty"})


class MappingSet:
    """Compiled expressions evaluated together by one generated function.

    ``evaluate(record, context=None)`` returns ``{target: value}`` for every mapping, values exactly as
    ``CompiledExpression.evaluate`` gives them (IGNORE_* sentinels included); an evaluation failure
    raises the same ``ExpressionEvaluationError`` the per-expression path raises.
    """

    def __init__(self, mappings: Mapping[str, CompiledExpression], name: str = "mapping_set") -> None:
        self.mappings = dict(mappings)
        self.name = _identifier(name)
        generator = _Generator(self.mappings)
        self.source = generator.module(self.name) + generator.module(f"{self.name}_export", export=True)
        namespace = generator.namespace
        exec(compile(self.source, f"<mapping set {self.name}>", "exec"), namespace)
        self._fn = namespace[self.name]
        self._export = namespace[f"{self.name}_export"]

    def evaluate(self, record: Mapping[str, Any], context: EvaluationContext | None = None) -> dict[str, Any]:
        """Every mapping's raw value (as ``CompiledExpression.evaluate``), by target attribute."""
        result: dict[str, Any] = self._fn(record, context or DEFAULT_CONTEXT)
        return result

    def export_values(self, record: Mapping[str, Any], context: EvaluationContext | None = None) -> Any:
        """The values to export, rendered by ``format_value``: null and IgnoreAttributeFlow results are left
        out; ``IGNORE_OBJECT`` is returned instead of a dict when any mapping gives IgnoreObjectFlow."""
        return self._export(record, context or DEFAULT_CONTEXT)


def _identifier(name: str) -> str:
    cleaned = re.sub(r"\W", "_", name) or "mapping_set"
    # the generated namespace binds its helpers and constants to names starting with "_"
    if cleaned[0].isdigit() or cleaned[0] == "_" or keyword.iskeyword(cleaned):
        cleaned = "m" + cleaned
    return cleaned


def _ignore_if_empty(value: Any, signal: FlowSignal) -> Any:
    if is_empty(value):
        raise signal
    return value


class _Generator:
    def __init__(self, mappings: Mapping[str, CompiledExpression]) -> None:
        self.mappings = mappings
        self.namespace: dict[str, Any] = {
            "_FlowSignal": FlowSignal,
            "_Failed": (ArgumentError, *_WRAPPED),
            "_compare": compare,
            "_iif": iif_condition,
            "_ignore": _ignore_if_empty,
            "_format": format_value,
            "_IGNORE_OBJECT": IGNORE_OBJECT,
        }

    def bind(self, value: Any) -> str:
        name = f"_v{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def module(self, name: str, export: bool = False) -> str:
        """Source of one function over every mapping; ``export``: rendered values, nulls left out."""
        lines = [f"def {name}(r, c):", "    _get = r.get", "    out = {}"]
        for target, compiled in self.mappings.items():
            key = repr(target)
            slow = self.bind(compiled.evaluate)
            body = self.expression(compiled.node, compiled.text)
            lines += ["    try:", f"        v = {body}", "    except _FlowSignal as signal:"]
            if export:
                lines += [
                    "        if signal.sentinel is _IGNORE_OBJECT:",
                    "            return _IGNORE_OBJECT",
                    "        v = None",
                ]
            else:
                lines.append("        v = signal.sentinel")
            lines += [
                "    except _Failed:",
                f"        v = {slow}(r, c)  # again through the closures: the precise error",
            ]
            if export:
                lines += [
                    "    if v.__class__ is str:",
                    f"        out[{key}] = v",
                    "    elif v is not None:",
                    "        v = _format(v)",
                    "        if v is not None:",
                    f"            out[{key}] = v",
                ]
            else:
                lines.append(f"    out[{key}] = v")
        lines.append("    return out")
        return "\n".join(lines) + "\n"

    def expression(self, node: Node, text: str, top: bool = True) -> str:
        compiler = _Compiler(text)
        compiled = compiler.node(node, top=top)
        return self.code(compiler, node, compiled)

    def code(self, compiler: _Compiler, node: Node, compiled: Compiled) -> str:
        if compiled.constant:
            return self.bind(compiled.value)
        if isinstance(node, Attribute):
            return f"_get({node.name!r})"
        if isinstance(node, Comparison):
            left = self.code(compiler, node.left, compiler.node(node.left))
            right = self.code(compiler, node.right, compiler.node(node.right))
            return f"_compare({node.op!r}, {left}, {right})"
        if isinstance(node, Call):
            inline = self.call(compiler, node)
            if inline is not None:
                return inline
        return f"{self.bind(compiled.fn)}(r, c)"

    def call(self, compiler: _Compiler, node: Call) -> str | None:
        spec = lookup(node.name)
        if spec is None or not spec.supported or spec.context:
            return None
        if spec.impl is None and spec.name not in _INLINE_SPECIALS:
            return None
        args = [
            "None" if compiled is None else self.code(compiler, arg, compiled)  # type: ignore[arg-type]
            for arg, compiled in zip(node.args, compiler.arguments(spec, node), strict=True)
        ]
        if spec.name == "IIF":
            condition, yes, no = args
            return f"({yes} if _iif({condition}) else {no})"
        if spec.name == "IgnoreFlowIfNullOrEmpty":
            return f"_ignore({args[0]}, {self.bind(FlowSignal(IGNORE_ATTRIBUTE))})"
        return f"{self.bind(spec.impl)}({', '.join(args)})"
