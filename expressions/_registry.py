"""The function registry: one ``FunctionSpec`` per documented function, looked up case-insensitively.

Library modules register plain functions with ``@function(...)`` (values in, value out; null policy in
``_lib_text``'s docstring) or ``@special(...)`` for functions that control evaluation themselves (IIF,
Switch, Coalesce, Replace, SelectUniqueValue, ...): a special receives the compiled arguments and returns
the evaluator. The same specs give arity/kind checks, Graph parameter keys and ``function_catalog()``.

Graph parameter keys, in order of authority: the keys Graph's ``functions`` endpoint publishes (Append,
FormatDateTime, Join, Mid, Not, Replace, Split, StripSpaces, Switch, ...); the keys real exports use
(tests/samples: ``Left(source, length)``, ``Item(source, index)``, ``BitAnd(left, right)``,
``FormatDateTime(source, dateTimeStyle, inputFormat, outputFormat)``, ``Error(message)``, ``source`` for
IsPresent, Trim, CBool, DateFromNum, RemoveDuplicates, IgnoreFlowIfNullOrEmpty); for the rest, the FN
parameter names in lowerCamel case, with ``source`` for the first parameter as Graph writes it everywhere
we could check. ``from_graph`` reads keys it does not know in order, so other spellings load too.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._context import EvaluationContext
from ._errors import did_you_mean
from ._ir import Node

Evaluator = Callable[[Mapping[str, Any], EvaluationContext], Any]

FLOW_KEYWORDS = frozenset({"IgnoreAttributeFlow", "IgnoreObjectFlow"})


class CompileError(Exception):
    """A compile-time problem found by a function's checks; ``index`` is the argument slot (or None)."""

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.index = index


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter: Graph key, catalog type, whether it must be given, whether it repeats."""

    key: str
    type: str = "String"
    required: bool = True
    repeat: bool = False
    keywords: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Compiled:
    """A compiled argument as builders see it: the evaluator, and the value when it is a constant."""

    fn: Evaluator
    node: Node | None
    constant: bool = False
    value: Any = None


Builder = Callable[["FunctionSpec", Sequence[Compiled | None]], Evaluator]


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    name: str
    params: tuple[Param, ...]
    impl: Callable[..., Any] | None = None
    builder: Builder | None = None
    context: bool = False  # impl takes the EvaluationContext first
    pure: bool = True  # foldable when every argument is constant
    supported: bool = True  # False: known but not evaluable locally (DESIGN decision 13)
    top_level_only: bool = False
    layouts: Mapping[int, tuple[str, ...]] = field(default_factory=dict)  # keys by slot count
    description: str = ""
    minimum: int | None = None  # fewest slots, when the layouts make it smaller than the params say

    @property
    def min_slots(self) -> int:
        if self.minimum is not None:
            return self.minimum
        required = [i for i, p in enumerate(self.params) if p.required]
        return required[-1] + 1 if required else 0

    @property
    def max_slots(self) -> int | None:
        return None if self.params and self.params[-1].repeat else len(self.params)

    def param_at(self, index: int, slot_count: int) -> Param:
        """The parameter that slot ``index`` fills in a call with ``slot_count`` slots."""
        layout = self.layouts.get(slot_count)
        if layout is not None:
            by_key = {p.key: p for p in self.params}
            return by_key[layout[index]]
        return self.params[min(index, len(self.params) - 1)]

    def keys_for(self, slot_count: int) -> list[str]:
        return [self.param_at(i, slot_count).key for i in range(slot_count)]


_FUNCTIONS: dict[str, FunctionSpec] = {}


def register(spec: FunctionSpec) -> FunctionSpec:
    _FUNCTIONS[spec.name.lower()] = spec
    return spec


def function(
    name: str,
    *params: Param,
    context: bool = False,
    pure: bool = True,
    elementwise: bool = False,
    **extra: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register an eager function. ``elementwise``: a multi-valued first argument is mapped value by value."""

    def decorate(impl: Callable[..., Any]) -> Callable[..., Any]:
        body = _elementwise(impl, context) if elementwise else impl
        doc = impl.__doc__ or ""
        register(FunctionSpec(name, params, impl=body, context=context, pure=pure, description=doc, **extra))
        return impl

    return decorate


def special(
    name: str, *params: Param, pure: bool = True, top_level_only: bool = False, **extra: Any
) -> Callable[[Builder], Builder]:
    """Register a function whose builder turns compiled arguments into an evaluator."""

    def decorate(builder: Builder) -> Builder:
        register(
            FunctionSpec(
                name,
                params,
                builder=builder,
                pure=pure,
                top_level_only=top_level_only,
                description=builder.__doc__ or "",
                **extra,
            )
        )
        return builder

    return decorate


def _elementwise(impl: Callable[..., Any], context: bool) -> Callable[..., Any]:
    if context:

        def with_context(ctx: EvaluationContext, first: Any, *rest: Any) -> Any:
            if isinstance(first, list | tuple):
                return [impl(ctx, v, *rest) for v in first]
            return impl(ctx, first, *rest)

        return with_context

    def mapped(first: Any, *rest: Any) -> Any:
        if first.__class__ is list or isinstance(first, list | tuple):
            return [impl(v, *rest) for v in first]
        return impl(first, *rest)

    def mapped1(first: Any) -> Any:
        if first.__class__ is str:  # the common case first: one value
            return impl(first)
        if isinstance(first, list | tuple):
            return [impl(v) for v in first]
        return impl(first)

    def mapped2(first: Any, second: Any = None) -> Any:
        if first.__class__ is str:
            return impl(first, second)
        if isinstance(first, list | tuple):
            return [impl(v, second) for v in first]
        return impl(first, second)

    def mapped3(first: Any, second: Any = None, third: Any = None) -> Any:
        if first.__class__ is str:
            return impl(first, second, third)
        if isinstance(first, list | tuple):
            return [impl(v, second, third) for v in first]
        return impl(first, second, third)

    # Optional parameters default to None, which is also what an omitted slot passes.
    positional = [p for p in inspect.signature(impl).parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
    return {1: mapped1, 2: mapped2, 3: mapped3}.get(len(positional), mapped)


def lookup(name: str) -> FunctionSpec | None:
    return _FUNCTIONS.get(name.lower())


def suggest(name: str) -> str | None:
    return did_you_mean(name, [spec.name for spec in _FUNCTIONS.values()])


def canonical_name(name: str) -> str:
    """The documented casing of a known function name (unknown names unchanged)."""
    spec = _FUNCTIONS.get(name.lower())
    return spec.name if spec else name


def all_specs() -> list[FunctionSpec]:
    return sorted(_FUNCTIONS.values(), key=lambda spec: spec.name.lower())


def function_catalog() -> list[dict[str, Any]]:
    """Every function in Graph's ``attributeMappingFunctionSchema`` shape (``GET .../schema/functions``)."""
    return [
        {
            "name": spec.name,
            "parameters": [
                {
                    "name": p.key,
                    "required": p.required,
                    "allowMultipleOccurrences": p.repeat,
                    "type": p.type,
                }
                for p in spec.params
            ],
        }
        for spec in all_specs()
    ]
