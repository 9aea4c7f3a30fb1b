"""The immutable IR shared by text expressions and Graph ``attributeMappingSource`` JSON.

Four node types: ``Attribute`` (``[name]``), ``Constant`` (string, number, hex, bare keyword or ``%Name%``
placeholder), ``Call`` (a function with positional argument slots, ``None`` for an omitted slot) and
``Comparison`` (``left op right``, used as an IIF/CBool condition). Spans record where a node came from;
they take no part in equality, so trees built from text and from JSON compare equal.

``render`` gives canonical text: documented function casing, ``", "`` between arguments, omitted slots
as empty, no spaces around comparison operators (as Graph's own IIF expressions are written).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

ConstantKind: TypeAlias = Literal["string", "number", "hex", "keyword", "placeholder"]
COMPARISON_OPERATORS = ("=", "<>", ">", ">=", "<", "<=")


@dataclass(frozen=True, slots=True)
class Span:
    """Where a node was written: 0-based offsets ``start``..``end``, 1-based ``line`` and ``column``."""

    start: int
    end: int
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Constant:
    """A literal. ``value`` is the text after unescaping (numbers keep their written form)."""

    value: str
    kind: ConstantKind = "string"
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Call:
    """A function call; ``args`` has one entry per written slot, ``None`` for an omitted one."""

    name: str
    args: tuple[Node | None, ...]
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Comparison:
    left: Node
    op: str
    right: Node
    span: Span | None = field(default=None, compare=False, repr=False)


Node: TypeAlias = Attribute | Constant | Call | Comparison


def quote(value: str) -> str:
    """A string constant as written in an expression: ``\\`` and ``"`` escaped with a backslash."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(node: Node | None, canonical_name: Callable[[str], str] = lambda name: name) -> str:
    """Canonical text of ``node``; ``canonical_name`` maps a function name to its documented casing."""
    if node is None:
        return ""
    if isinstance(node, Attribute):
        return f"[{node.name}]"
    if isinstance(node, Constant):
        return quote(node.value) if node.kind == "string" else node.value
    if isinstance(node, Comparison):
        return f"{render(node.left, canonical_name)}{node.op}{render(node.right, canonical_name)}"
    args = ", ".join(render(arg, canonical_name) for arg in node.args)
    return f"{canonical_name(node.name)}({args})"


MAX_DEPTH = 100  # nesting levels; real mappings nest about ten deep, and the compiler recurses per level


def too_deep(node: Node) -> Node | None:
    """The first node nested deeper than MAX_DEPTH (found without recursion), or None."""
    stack: list[tuple[Node, int]] = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_DEPTH:
            return current
        if isinstance(current, Call):
            stack.extend((arg, depth + 1) for arg in current.args if arg is not None)
        elif isinstance(current, Comparison):
            stack.extend(((current.left, depth + 1), (current.right, depth + 1)))
    return None


def walk(node: Node | None) -> list[Node]:
    """Every node of the tree, parents before children."""
    if node is None:
        return []
    out: list[Node] = [node]
    if isinstance(node, Call):
        for arg in node.args:
            out.extend(walk(arg))
    elif isinstance(node, Comparison):
        out.extend(walk(node.left))
        out.extend(walk(node.right))
    return out
