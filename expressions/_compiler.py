"""IR → closures. Checks names, arity and argument kinds, folds constants; no tree walk per evaluation.

Every node becomes ``fn(record, context) -> value``. Calls to plain library functions are specialised by
argument count, with constant arguments bound in the closure; specials (IIF, Switch, ...) build their own.
A ``CompiledExpression`` holds the evaluator and facts about the expression that the engine and the
schema validator need (attribute names read, functions used, placeholders, ...). It holds no mutable
state: one instance can evaluate any number of records, from any number of threads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import (  # noqa: F401  (importing them registers their functions)
    _lib_dates,
    _lib_logic,
    _lib_misc,
    _lib_predicates,
    _lib_replace,
    _lib_tenant,
    _lib_text,
)
from ._context import DEFAULT_CONTEXT, EvaluationContext
from ._errors import ExpressionEvaluationError, ExpressionSyntaxError, did_you_mean
from ._ir import Attribute, Call, Comparison, Constant, Node, render, walk
from ._lib_logic import compare
from ._registry import FLOW_KEYWORDS, Compiled, CompileError, Evaluator, FunctionSpec, lookup, suggest
from ._registry import canonical_name as _canonical
from ._values import IGNORE_ATTRIBUTE, IGNORE_OBJECT, ArgumentError, FlowSignal

_WRAPPED = (ValueError, TypeError, ArithmeticError, LookupError, UnicodeError, OverflowError)


class CompiledExpression:
    """A compiled mapping expression. Build with ``expressions.compile`` or ``expressions.from_graph``."""

    __slots__ = (
        "_fn",
        "attribute_names",
        "function_names",
        "is_constant",
        "node",
        "placeholders",
        "text",
        "unsupported_functions",
        "uses_select_unique_value",
    )

    def __init__(self, node: Node, fn: Evaluator, is_constant: bool) -> None:
        self.node = node
        self._fn = fn
        self.is_constant = is_constant
        self.text = render(node, _canonical)
        nodes = walk(node)
        self.attribute_names = frozenset(n.name for n in nodes if isinstance(n, Attribute))
        calls = [lookup(n.name) for n in nodes if isinstance(n, Call)]
        specs = [spec for spec in calls if spec is not None]
        self.function_names = frozenset(spec.name for spec in specs)
        self.unsupported_functions = frozenset(spec.name for spec in specs if not spec.supported)
        self.uses_select_unique_value = "SelectUniqueValue" in self.function_names
        self.placeholders = frozenset(
            n.value[1:-1] for n in nodes if isinstance(n, Constant) and n.kind == "placeholder"
        )

    def evaluate(self, record: Mapping[str, Any], context: EvaluationContext | None = None) -> Any:
        """Evaluate against ``record`` (attribute → value; absent = null). May return IGNORE_* sentinels."""
        try:
            return self._fn(record, context or DEFAULT_CONTEXT)
        except FlowSignal as signal:
            return signal.sentinel

    def to_graph(self) -> dict[str, Any]:
        """Graph ``attributeMappingSource`` JSON of this expression."""
        from ._graph import to_graph

        return to_graph(self.node)

    def __repr__(self) -> str:
        return f"CompiledExpression({self.text!r})"


def compile_node(node: Node, text: str | None = None) -> CompiledExpression:
    """Compile an IR tree; ``text`` (the source) positions errors, else the canonical text is used."""
    source = text if text is not None else render(node, _canonical)
    compiled = _Compiler(source).node(node, top=True)
    return CompiledExpression(node, compiled.fn, compiled.constant)


class _Compiler:
    def __init__(self, text: str) -> None:
        self.text = text

    def fail(self, message: str, node: Node | None, suggestion: str | None = None) -> ExpressionSyntaxError:
        span = getattr(node, "span", None)
        line, column = (span.line, span.column) if span else (1, 1)
        return ExpressionSyntaxError(message, self.text, line, column, suggestion)

    def node(self, node: Node, top: bool = False) -> Compiled:
        if isinstance(node, Attribute):
            name = node.name
            return Compiled(lambda r, c: r.get(name), node)
        if isinstance(node, Constant):
            return self.constant(node)
        if isinstance(node, Comparison):
            return self.comparison(node)
        return self.call(node, top)

    def constant(self, node: Constant, keywords: frozenset[str] = frozenset()) -> Compiled:
        """A literal; a bare keyword must be a flow keyword or one of ``keywords`` (its parameter's)."""
        if node.kind == "keyword":
            # Keywords match case-insensitively, like function names (decision 1), in their documented casing.
            known = {word.lower(): word for word in keywords | FLOW_KEYWORDS}
            word = known.get(node.value.lower())
            if word in FLOW_KEYWORDS:
                signal = FlowSignal(IGNORE_ATTRIBUTE if word == "IgnoreAttributeFlow" else IGNORE_OBJECT)

                def flow(r: Mapping[str, Any], c: EvaluationContext) -> Any:
                    raise signal

                return Compiled(flow, node)
            if word is None:
                raise self._unknown_keyword(node, keywords)
            return Compiled(lambda r, c: word, node, True, word)
        if node.kind == "placeholder":
            name, written = node.value[1:-1], node.value

            def placeholder(r: Mapping[str, Any], c: EvaluationContext) -> Any:
                filled = c.placeholders
                return filled.get(name, written) if filled else written

            return Compiled(placeholder, node)
        value: Any = int(node.value[2:], 16) if node.kind == "hex" else node.value
        return Compiled(lambda r, c: value, node, True, value)

    def _unknown_keyword(self, node: Constant, allowed: frozenset[str]) -> ExpressionSyntaxError:
        choices = sorted(allowed | FLOW_KEYWORDS)
        hint = did_you_mean(node.value, choices) or (
            suggest(node.value) if lookup(node.value) is None else None
        )
        message = f"unknown keyword {node.value!r} here; allowed: {', '.join(choices)}"
        if lookup(node.value) is not None:
            message = f"{node.value} is a function: call it as {node.value}(...)"
        return self.fail(message, node, hint)

    def comparison(self, node: Comparison) -> Compiled:
        left, right, op = self.node(node.left), self.node(node.right), node.op
        lf, rf = left.fn, right.fn

        def compared(r: Mapping[str, Any], c: EvaluationContext) -> Any:
            try:
                return compare(op, lf(r, c), rf(r, c))
            except ArgumentError as exc:
                raise ExpressionEvaluationError(exc.message, f"comparison {op}", exc.argument) from None
            except _WRAPPED as exc:
                raise ExpressionEvaluationError(str(exc), f"comparison {op}") from None

        return self.fold(Compiled(compared, node), [left, right])

    def call(self, node: Call, top: bool) -> Compiled:
        spec = lookup(node.name)
        if spec is None:
            raise self.fail(f"unknown function {node.name!r}", node, suggest(node.name))
        if spec.top_level_only and not top:
            raise self.fail(f"{spec.name} must be the whole expression, not nested inside another call", node)
        args = self.arguments(spec, node)
        try:
            fn = _guarded(spec, spec.builder(spec, args)) if spec.builder else _eager(spec, args)
        except CompileError as exc:
            where = node.args[exc.index] if exc.index is not None and exc.index < len(node.args) else None
            raise self.fail(f"{spec.name}: {exc.message}", where or node) from None
        if not spec.supported:
            fn = _unsupported(spec)
        compiled = Compiled(fn, node)
        return self.fold(compiled, args) if spec.pure and spec.supported else compiled

    def arguments(self, spec: FunctionSpec, node: Call) -> list[Compiled | None]:
        """Check the call's arity and compile its arguments (constants converted to the parameter's type)."""
        self.check_arity(spec, node)
        return [self.argument(spec, node, i, arg) for i, arg in enumerate(node.args)]

    def check_arity(self, spec: FunctionSpec, node: Call) -> None:
        count, low, high = len(node.args), spec.min_slots, spec.max_slots
        if count < low or (high is not None and count > high):
            expected = (
                f"{low}" if low == high else f"{low} to {high}" if high is not None else f"at least {low}"
            )
            signature = ", ".join(p.key + ("..." if p.repeat else "") for p in spec.params)
            raise self.fail(
                f"{spec.name} takes {expected} argument(s), got {count}: {spec.name}({signature})", node
            )
        given: dict[str, bool] = {}
        for index, arg in enumerate(node.args):
            param = spec.param_at(index, count)
            given[param.key] = given.get(param.key, False) or arg is not None
        # a repeatable parameter may have empty slots (real exports hold `Join("@", [x], )`), not all empty
        for param in spec.params:
            if param.required and param.key in given and not given[param.key]:
                raise self.fail(f"{spec.name}: argument {param.key!r} is required", node)

    def argument(self, spec: FunctionSpec, call: Call, index: int, arg: Node | None) -> Compiled | None:
        if arg is None:
            return None
        param = spec.param_at(index, len(call.args))
        if isinstance(arg, Constant) and arg.kind == "keyword":
            return self.constant(arg, keywords=param.keywords)
        if isinstance(arg, Comparison) and param.type != "Boolean":
            raise self.fail(f"{spec.name}: a comparison is only allowed as a condition", arg)
        if param.type == "Integer" and isinstance(arg, Constant) and arg.kind in {"string", "number"}:
            try:
                number = _integer(arg.value)
            except ValueError:
                raise self.fail(f"{spec.name}: argument {param.key!r} must be an integer", arg) from None
            return Compiled(lambda r, c: number, arg, True, number)  # converted once, not per record
        return self.node(arg)

    def fold(self, compiled: Compiled, args: list[Compiled | None]) -> Compiled:
        if not all(arg is None or arg.constant for arg in args):
            return compiled
        try:
            value = compiled.fn({}, DEFAULT_CONTEXT)
        except (ExpressionEvaluationError, FlowSignal):
            return compiled  # fails (or drops the value) for every record: keep it for evaluation time
        return Compiled(lambda r, c: value, compiled.node, True, value)


def _integer(text: str) -> int:
    text = text.strip()
    return int(text[2:], 16) if text[:2].lower() == "&h" else int(float(text)) if "." in text else int(text)


def _unsupported(spec: FunctionSpec) -> Evaluator:
    def unsupported(r: Mapping[str, Any], c: EvaluationContext) -> Any:
        raise ExpressionEvaluationError(
            "not supported locally: its semantics are not documented (the schema loads; this mapping cannot "
            "be evaluated)",
            spec.name,
        )

    return unsupported


def _guarded(spec: FunctionSpec, fn: Evaluator) -> Evaluator:
    """A special's evaluator, with argument trouble reported as an evaluation error naming the function."""

    def guarded(r: Mapping[str, Any], c: EvaluationContext) -> Any:
        try:
            return fn(r, c)
        except (ArgumentError, *_WRAPPED) as exc:
            raise _raise(spec, exc) from None

    return guarded


def _raise(spec: FunctionSpec, exc: Exception) -> ExpressionEvaluationError:
    if isinstance(exc, ArgumentError):
        return ExpressionEvaluationError(exc.message, spec.name, exc.argument)
    return ExpressionEvaluationError(str(exc) or type(exc).__name__, spec.name)


def _eager(spec: FunctionSpec, args: list[Compiled | None]) -> Evaluator:
    """A closure calling ``spec.impl`` on evaluated arguments, specialised for 0-3 arguments."""
    impl = spec.impl
    assert impl is not None
    getters = [_getter(arg) for arg in args]
    if spec.context:
        return _eager_with_context(spec, impl, getters)
    if len(getters) == 1:
        (a,) = getters

        def call1(r: Mapping[str, Any], c: EvaluationContext) -> Any:
            try:
                return impl(a(r, c))
            except (ArgumentError, *_WRAPPED) as exc:
                raise _raise(spec, exc) from None

        return call1
    if len(getters) == 2:
        a, b = getters
        if args[1] is not None and args[1].constant:
            bv = args[1].value

            def call2c(r: Mapping[str, Any], c: EvaluationContext) -> Any:
                try:
                    return impl(a(r, c), bv)
                except (ArgumentError, *_WRAPPED) as exc:
                    raise _raise(spec, exc) from None

            return call2c

        def call2(r: Mapping[str, Any], c: EvaluationContext) -> Any:
            try:
                return impl(a(r, c), b(r, c))
            except (ArgumentError, *_WRAPPED) as exc:
                raise _raise(spec, exc) from None

        return call2
    if len(getters) == 3:
        a, b, d = getters

        def call3(r: Mapping[str, Any], c: EvaluationContext) -> Any:
            try:
                return impl(a(r, c), b(r, c), d(r, c))
            except (ArgumentError, *_WRAPPED) as exc:
                raise _raise(spec, exc) from None

        return call3

    def call_n(r: Mapping[str, Any], c: EvaluationContext) -> Any:
        try:
            return impl(*[g(r, c) for g in getters])
        except (ArgumentError, *_WRAPPED) as exc:
            raise _raise(spec, exc) from None

    return call_n


def _eager_with_context(spec: FunctionSpec, impl: Any, getters: list[Evaluator]) -> Evaluator:
    def call_ctx(r: Mapping[str, Any], c: EvaluationContext) -> Any:
        try:
            return impl(c, *[g(r, c) for g in getters])
        except (ArgumentError, *_WRAPPED) as exc:
            raise _raise(spec, exc) from None

    return call_ctx


def _none(r: Mapping[str, Any], c: EvaluationContext) -> Any:
    return None


def _getter(arg: Compiled | None) -> Evaluator:
    return _none if arg is None else arg.fn
