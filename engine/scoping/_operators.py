"""The scoping operators of spec §B.2, each a builder of a per-value test.

Semantics (spec §B.2 and DESIGN decisions 6 and 7), for a clause ``attribute OPERATOR values``:

* EQUALS / NOT EQUALS compare Entra's string form of the value, case-sensitively (an integer 5 equals
  ``"5"``); REGEX MATCH / NOT REGEX MATCH search a .NET-style pattern anywhere in the value,
  case-sensitively; Includes / ENDS_WITH are ordinal ``contains`` / ``endswith``; Greater_Than and
  Greater_Than_OR_EQUALS compare integers (a value that is not an integer fails the clause); ``&`` is true
  when ``value & operand != 0`` and ``!&`` when it is 0; IS TRUE / IS FALSE test Booleans (and their
  string forms); IS NULL / IS NOT NULL test emptiness (null, ``""``, no values).
* Several operand values (decision 6): a positive operator holds when the value matches *any* of them; a
  negated operator (NOT EQUALS, NOT REGEX MATCH, ``!&``) when it matches *none*.
* Multi-valued attributes: the operator schema says ``multivaluedComparisonType: All``, so *every* value
  must pass the clause (for a negated operator: no value matches).
* Null or empty values fail every clause except IS NULL (spec §B.2 "common rules").
* The lenient variant (``lenient_null=True``) is used for ``inputFilterGroups`` only (cloud sync and
  cross-tenant sync; undocumented, "experimental"). There an empty value is compared as the text ``None``
  by the binary operators, and IS FALSE holds on it. So negated tests hold on an empty value and
  ``EQUALS None`` matches one. The real default filters need this: the cloud-sync exclusions
  (``adminDescription NOT REGEX MATCH ^User_``, ``msExchRecipientTypeDetails !& 566259712``,
  ``isCriticalSystemObject IS FALSE``) and cross-tenant sync's "Filter external users"
  (``alternativeSecurityIds EQUALS None``) would otherwise drop every ordinary user.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._values import as_boolean, as_integer, as_text, dotnet_regex

ValueTest = Callable[[Any], bool]
"""A test of one non-empty scalar value."""


class ScopeError(ValueError):
    """A scoping clause that cannot be evaluated: unknown operator, missing or malformed operand."""

    def __init__(self, message: str, path: str = ""):
        self.message = message
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


@dataclass(frozen=True)
class Operator:
    """One scoping operator: how it is written, what it applies to, and how its value test is built."""

    name: str
    arity: str  # "Unary" or "Binary"
    attribute_types: tuple[str, ...]
    negated: bool
    build: Callable[[tuple[str, ...]], ValueTest]
    """From the operand values to the test of one value (for negated operators: the positive test)."""
    on_empty: bool = False
    """The clause's result on an empty value under the documented rules."""


def _equals(operands: tuple[str, ...]) -> ValueTest:
    wanted = frozenset(operands)
    return lambda value: (value if type(value) is str else as_text(value)) in wanted


def _regex(operands: tuple[str, ...]) -> ValueTest:
    patterns = []
    for operand in operands:
        try:
            patterns.append(re.compile(dotnet_regex(operand)))
        except re.error as exc:
            raise ScopeError(f"invalid regular expression {operand!r}: {exc}") from None

    searches = tuple(p.search for p in patterns)
    if len(searches) == 1:  # the usual case, kept free of a generator per value
        search = searches[0]
        return lambda value: search(value if type(value) is str else as_text(value)) is not None

    def test(value: Any) -> bool:
        text = value if type(value) is str else as_text(value)
        return any(search(text) is not None for search in searches)

    return test


def _integers(operands: tuple[str, ...], operator: str) -> tuple[int, ...]:
    numbers = tuple(as_integer(o) for o in operands)
    bad = [o for o, n in zip(operands, numbers, strict=True) if n is None]
    if bad:
        raise ScopeError(f"{operator} compares integers; {bad[0]!r} is not an integer")
    return tuple(n for n in numbers if n is not None)


def _greater(strict: bool) -> Callable[[tuple[str, ...]], ValueTest]:
    name = "Greater_Than" if strict else "Greater_Than_OR_EQUALS"

    def build(operands: tuple[str, ...]) -> ValueTest:
        limits = _integers(operands, name)

        def test(value: Any) -> bool:
            number = as_integer(value)
            if number is None:
                return False
            return any(number > limit if strict else number >= limit for limit in limits)

        return test

    return build


def _bitwise(operands: tuple[str, ...]) -> ValueTest:
    masks = _integers(operands, "&")

    def test(value: Any) -> bool:
        number = as_integer(value)
        return number is not None and any(number & mask != 0 for mask in masks)

    return test


def _includes(operands: tuple[str, ...]) -> ValueTest:
    return lambda value: any(o in as_text(value) for o in operands)


def _ends_with(operands: tuple[str, ...]) -> ValueTest:
    suffixes = tuple(operands)
    return lambda value: as_text(value).endswith(suffixes)


def _is_boolean(wanted: bool) -> Callable[[tuple[str, ...]], ValueTest]:
    return lambda _operands: lambda value: as_boolean(value) is wanted


def _not_empty(_operands: tuple[str, ...]) -> ValueTest:
    return lambda _value: True


_TEXT = ("Integer", "String")
_ANY = ("Integer", "String", "Binary", "Boolean")
OPERATORS: tuple[Operator, ...] = (
    Operator("EQUALS", "Binary", _TEXT, False, _equals),
    Operator("NOT EQUALS", "Binary", _TEXT, True, _equals),
    Operator("IS TRUE", "Unary", ("Boolean",), False, _is_boolean(True)),
    Operator("IS FALSE", "Unary", ("Boolean",), False, _is_boolean(False)),
    Operator("IS NULL", "Unary", _ANY, True, _not_empty, on_empty=True),
    Operator("IS NOT NULL", "Unary", _ANY, False, _not_empty),
    Operator("REGEX MATCH", "Binary", _TEXT, False, _regex),
    Operator("NOT REGEX MATCH", "Binary", _TEXT, True, _regex),
    Operator("Greater_Than", "Binary", ("Integer",), False, _greater(strict=True)),
    Operator("Greater_Than_OR_EQUALS", "Binary", ("Integer",), False, _greater(strict=False)),
    Operator("Includes", "Binary", ("String",), False, _includes),
    Operator("ENDS_WITH", "Binary", ("String",), False, _ends_with),
    Operator("&", "Binary", ("Integer",), False, _bitwise),
    Operator("!&", "Binary", ("Integer",), True, _bitwise),
)
"""Every operator idsync evaluates, in the order Graph's filterOperators catalogue lists them."""

EMPTY_AS_TEXT = "None"
"""How an empty value reads to a binary operator in the lenient variant."""


def _key(name: str) -> str:
    return re.sub(r"[\s_]+", " ", name.strip()).upper()


_BY_KEY = {_key(o.name): o for o in OPERATORS}


def find_operator(name: str) -> Operator | None:
    """The operator written ``name`` (case, spaces and underscores are not significant), or None."""
    return _BY_KEY.get(_key(name))


def known_operator_names() -> list[str]:
    return [o.name for o in OPERATORS]


def empty_result(operator: Operator, test: ValueTest, *, lenient_null: bool) -> bool:
    """What a clause gives on a null or empty value (see the module docstring)."""
    if not lenient_null:
        return operator.on_empty
    if operator.arity == "Binary":
        return not test(EMPTY_AS_TEXT) if operator.negated else test(EMPTY_AS_TEXT)
    return operator.on_empty or operator.name == "IS FALSE"
