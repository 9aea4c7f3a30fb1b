"""IR ↔ Graph ``attributeMappingSource`` JSON (spec §A.2, DESIGN decisions 11 and 12).

Writing: a node is ``{expression, name, parameters, type}``; only written arguments produce parameters,
keyed by the function's published parameter names; constants keep Graph's form (numbers as quoted
strings, ``%Name%`` placeholders and bare keywords unquoted). ``IIF`` uses the positional keys Graph
stores it with — ``one`` (condition) or ``one``/``two``/``three`` (left, operator, right of a comparison),
then ``four`` and ``five`` — and any other function whose first argument is a comparison does the same.
A comparison that is the whole expression is written as ``CBool(<comparison>)`` (same value).

Reading accepts what Graph and real exports hold: ``expression`` may be null, a Constant's ``name`` may be
null (the empty string), keys that are not the published ones are read in order as positions.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ._errors import ExpressionSyntaxError
from ._ir import (
    COMPARISON_OPERATORS,
    MAX_DEPTH,
    Attribute,
    Call,
    Comparison,
    Constant,
    ConstantKind,
    Node,
    quote,
    render,
)
from ._registry import FunctionSpec, canonical_name, lookup, suggest

_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
_POSITION = {word: index for index, word in enumerate(_WORDS)}
_PLACEHOLDER = re.compile(r"%[A-Za-z_][A-Za-z0-9_]*%")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEX = re.compile(r"&[Hh][0-9A-Fa-f]+")
_PADDED = frozenset({"IIF", "Replace"})  # Graph writes every slot of these, omitted ones empty


def to_graph(node: Node) -> dict[str, Any]:
    if isinstance(node, Comparison):
        return to_graph(Call("CBool", (node,)))
    if isinstance(node, Attribute):
        return _entry(render(node), node.name, "Attribute", [])
    if isinstance(node, Constant):
        shown = quote(node.value) if node.kind in ("string", "number") else node.value
        return _entry(shown, node.value, "Constant", [])
    spec = lookup(node.name)
    name = spec.name if spec else node.name
    return _entry(render(node, canonical_name), name, "Function", _parameters(node, spec))


def _entry(expression: str, name: str, kind: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {"expression": expression, "name": name, "parameters": parameters, "type": kind}


def _positional(node: Call, spec: FunctionSpec | None) -> bool:
    return (spec is not None and spec.name == "IIF") or bool(
        node.args and isinstance(node.args[0], Comparison)
    )


def _parameters(node: Call, spec: FunctionSpec | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if _positional(node, spec):
        for index, arg in enumerate(node.args):
            if isinstance(arg, Comparison) and index == 0:
                out += [_param("one", arg.left), _param("two", Constant(arg.op)), _param("three", arg.right)]
            elif arg is not None:
                out.append(_param(_WORDS[index + 2 if index else 0], arg))
        return out
    keys = spec.keys_for(len(node.args)) if spec else [f"arg{i + 1}" for i in range(len(node.args))]
    return [_param(key, arg) for key, arg in zip(keys, node.args, strict=True) if arg is not None]


def _param(key: str, node: Node) -> dict[str, Any]:
    return {"key": key, "value": to_graph(node)}


def from_graph(source: Any, path: str = "$", depth: int = 1) -> Node:
    """Build IR from ``attributeMappingSource`` JSON, or raise ExpressionSyntaxError naming the JSON path."""
    if depth > MAX_DEPTH:
        raise _error(f"{path}: functions are nested more than {MAX_DEPTH} levels deep", source)
    if not isinstance(source, dict):
        raise _error(
            f"{path}: expected an attributeMappingSource object, got {type(source).__name__}", source
        )
    kind = source.get("type") or "Attribute"
    name = source.get("name")
    if kind == "Attribute":
        if not isinstance(name, str) or not name:
            raise _error(f"{path}.name: an Attribute source needs the attribute name", source)
        if "]" in name:  # [name] could not be written as text
            raise _error(f"{path}.name: an attribute name cannot contain ']' ({name!r})", source)
        return Attribute(name)
    if kind == "Constant":
        return _constant(source, path)
    if kind == "Function":
        return _function(source, path, depth)
    raise _error(f"{path}.type: expected Attribute, Constant or Function, got {kind!r}", source)


def _constant(source: dict[str, Any], path: str) -> Constant:
    name = source.get("name")
    if name is None:
        name = ""
    if not isinstance(name, str):
        raise _error(f"{path}.name: a Constant's name must be a string", source)
    expression = source.get("expression")
    unquoted = isinstance(expression, str) and not expression.lstrip().startswith('"') and expression.strip()
    kind: ConstantKind = "string"
    if _PLACEHOLDER.fullmatch(name) and (unquoted or expression is None):
        kind = "placeholder"
    elif unquoted and _HEX.fullmatch(name):
        kind = "hex"
    elif unquoted and _IDENTIFIER.fullmatch(name):
        kind = "keyword"
    return Constant(name, kind)


def _function(source: dict[str, Any], path: str, depth: int) -> Call:
    name = source.get("name")
    if not isinstance(name, str) or not name:
        raise _error(f"{path}.name: a Function source needs the function name", source)
    spec = lookup(name)
    if spec is None:
        hint = suggest(name)
        raise _error(
            f"{path}.name: unknown function {name!r}" + (f" (did you mean {hint}?)" if hint else ""), source
        )
    raw = source.get("parameters") or []
    if not isinstance(raw, list):
        raise _error(f"{path}.parameters: expected a list of {{key, value}}", source)
    entries: list[tuple[str, Node]] = []
    for index, entry in enumerate(raw):
        where = f"{path}.parameters[{index}]"
        if not isinstance(entry, dict) or "value" not in entry:
            raise _error(f'{where}: expected {{"key": ..., "value": ...}}', source)
        entries.append((str(entry.get("key") or ""), from_graph(entry["value"], f"{where}.value", depth + 1)))
    return Call(spec.name, _slots(spec, entries))


def _slots(spec: FunctionSpec, entries: list[tuple[str, Node]]) -> tuple[Node | None, ...]:
    keys = [key for key, _ in entries]
    if keys and all(key.lower() in _POSITION for key in keys):
        slots = _positional_slots(entries)
    else:
        slots = _named_slots(spec, entries)
    width = len(spec.params) if spec.name in _PADDED else 0
    return tuple(slots + [None] * (width - len(slots)))


def _positional_slots(entries: list[tuple[str, Node]]) -> list[Node | None]:
    by_position = {_POSITION[key.lower()]: node for key, node in entries}
    operator = by_position.get(1)
    slots: dict[int, Node] = {}
    if isinstance(operator, Constant) and operator.value in COMPARISON_OPERATORS and 0 in by_position:
        right = by_position.get(2, Constant(""))
        slots[0] = Comparison(by_position[0], operator.value, right)
        slots.update({pos - 2: node for pos, node in by_position.items() if pos >= 3})
    else:  # one = first slot; four, five, ... = the following slots (IIF's layout)
        for pos, node in by_position.items():
            slots[pos - 2 if pos >= 3 else pos] = node
    return [slots.get(i) for i in range(max(slots, default=-1) + 1)]


def _named_slots(spec: FunctionSpec, entries: list[tuple[str, Node]]) -> list[Node | None]:
    keys = [key for key, _ in entries]
    layout = _layout_for(spec, keys)
    if layout is None:  # keys we do not know: take the entries in order
        return [node for _, node in entries]
    slots: dict[int, Node] = {}
    for key, node in entries:
        index = layout.index(key)
        while index in slots and index + 1 < len(layout) and layout[index + 1] == key:
            index += 1
        if index in slots:  # a repeated key past the layout: append
            index = max(slots) + 1
        slots[index] = node
    return [slots.get(i) for i in range(max(slots, default=-1) + 1)]


def _layout_for(spec: FunctionSpec, keys: list[str]) -> list[str] | None:
    wanted = set(keys)
    candidates = [*sorted(spec.layouts.items()), (len(spec.params), tuple(p.key for p in spec.params))]
    for _, layout in candidates:
        if wanted <= set(layout):
            repeat = spec.params[-1].key if spec.params and spec.params[-1].repeat else None
            extra = [repeat] * len(keys) if repeat else []
            return list(layout) + extra
    return None


def _error(message: str, source: Any) -> ExpressionSyntaxError:
    try:
        text = json.dumps(source, ensure_ascii=False)[:500]
    except (TypeError, ValueError):
        text = repr(source)[:500]
    return ExpressionSyntaxError(message, text, 1, 1)
