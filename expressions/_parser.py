"""Text → IR. The only module that imports lark; every lark error becomes an ``ExpressionSyntaxError``.

One LALR parser is built lazily from ``grammar.lark`` (next to this file) and shared; parsing holds no
state, so it is safe across threads.
"""

from __future__ import annotations

import importlib.resources
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, v_args

from ._errors import ExpressionSyntaxError, position_of
from ._ir import MAX_DEPTH, Attribute, Call, Comparison, Constant, Node, Span, too_deep

MAX_LENGTH = 10_000  # documented limit of one mapping expression (FN, CAA, EB, KI)

_READABLE = {
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "ATTRIBUTE": "an attribute like [name]",
    "STRING": 'a string like "text"',
    "NUMBER": "a number",
    "HEX": "a hex number like &HFF",
    "PLACEHOLDER": "a placeholder like %Name%",
    "NAME": "a function name or keyword",
    "COMP_OP": "a comparison operator",
    "AMPERSAND": "'&'",
    "$END": "the end of the expression",
}


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = importlib.resources.files(__package__).joinpath("grammar.lark").read_text(encoding="utf-8")
    # Tree-less mode: the transformer runs inside the parser, so no parse tree is built and walked again
    # (parsing is most of compile time, and compiling a whole schema must stay well under 50 ms). Spans
    # come from the tokens, which carry their positions, so propagate_positions is not needed.
    return Lark(grammar, parser="lalr", maybe_placeholders=False, transformer=_TRANSFORMER)


def _token_span(token: Token) -> Span:
    return Span(token.start_pos or 0, token.end_pos or 0, token.line or 1, token.column or 1)


def _joined(first: Span | None, last: Span | None) -> Span | None:
    """The span from the start of ``first`` to the end of ``last``."""
    if first is None or last is None:
        return first or last
    return Span(first.start, last.end, first.line, first.column)


def _unescape(body: str) -> str:
    """Undo ``\\"`` and ``\\\\``; any other backslash stays as written (DESIGN decision 2)."""
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body) and body[i + 1] in '"\\':
            out.append(body[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


@v_args(inline=True)
class _ToIR(Transformer[Token, Node]):
    def start(self, node: Node) -> Node:
        return node

    def attribute(self, tok: Token) -> Node:
        return Attribute(str(tok)[1:-1], _token_span(tok))

    def string(self, tok: Token) -> Node:
        return Constant(_unescape(str(tok)[1:-1]), "string", _token_span(tok))

    def number(self, tok: Token) -> Node:
        return Constant(str(tok), "number", _token_span(tok))

    def hex(self, tok: Token) -> Node:
        return Constant("&H" + str(tok)[2:].upper(), "hex", _token_span(tok))

    def placeholder(self, tok: Token) -> Node:
        return Constant(str(tok), "placeholder", _token_span(tok))

    def keyword(self, tok: Token) -> Node:
        return Constant(str(tok), "keyword", _token_span(tok))

    def concat(self, *operands: Node) -> Node:
        # VB's & treats null as "" and Join skips nulls and empties: the same value, and Graph can hold it
        return Call("Join", (Constant("", "string"), *operands), _joined(operands[0].span, operands[-1].span))

    def comparison(self, left: Node, op: Token, right: Node) -> Node:
        return Comparison(left, str(op), right, _joined(left.span, right.span))

    def call(self, name: Token, args: tuple[Node | None, ...], rpar: Token) -> Node:
        return Call(str(name), args, _joined(_token_span(name), _token_span(rpar)))

    def args(self, *slots: Node | None) -> tuple[Node | None, ...]:
        # "F()" is written with one empty slot; it means no arguments at all.
        return () if slots == (None,) else tuple(slots)

    def slot(self, node: Node | None = None) -> Node | None:
        return node


_TRANSFORMER = _ToIR()


def parse(text: str) -> Node:
    """Parse expression ``text`` into IR, or raise ``ExpressionSyntaxError``."""
    if not isinstance(text, str):
        raise ExpressionSyntaxError(f"an expression must be a string, not {type(text).__name__}", "")
    if len(text) > MAX_LENGTH:
        line, column = position_of(text, MAX_LENGTH)
        raise ExpressionSyntaxError(
            f"expression is {len(text)} characters long; Entra allows at most {MAX_LENGTH}",
            text,
            line,
            column,
        )
    if not text.strip():
        raise ExpressionSyntaxError("empty expression", text, 1, 1)
    try:
        built: Any = _lark().parse(text)  # the transformer inside the parser already built the IR
    except UnexpectedInput as exc:
        raise _wrap(exc, text) from None
    node: Node = built
    deep = too_deep(node)
    if deep is not None:
        span = deep.span
        line, column = (span.line, span.column) if span else (1, 1)
        raise ExpressionSyntaxError(
            f"calls are nested more than {MAX_DEPTH} levels deep here; split the logic or flatten it",
            text,
            line,
            column,
        )
    return node


def _wrap(exc: UnexpectedInput, text: str) -> ExpressionSyntaxError:
    token = getattr(exc, "token", None)
    if isinstance(exc, UnexpectedEOF) or (token is not None and token.type == "$END"):
        line, column = position_of(text, len(text.rstrip()))
        return ExpressionSyntaxError(
            f"unexpected end of expression; expected {_expected(exc)}", text, line, column
        )
    pos = exc.pos_in_stream if exc.pos_in_stream is not None else len(text)
    line, column = position_of(text, pos)
    if isinstance(exc, UnexpectedCharacters):
        return ExpressionSyntaxError(_describe_character(text, pos), text, line, column)
    shown = repr(str(token)) if token is not None else "input"
    return ExpressionSyntaxError(f"unexpected {shown}; expected {_expected(exc)}", text, line, column)


def _describe_character(text: str, pos: int) -> str:
    ch = text[pos] if pos < len(text) else ""
    if ch == '"':
        return 'unterminated string constant: add the closing " (write \\" for a quote inside it)'
    if ch == "[":
        return "unterminated attribute reference: add the closing ]"
    if ch == "&":
        return '& joins two values and goes between them, as in "t-" & [alias]'
    if ch == "'":
        return "single quotes are not string delimiters: use double quotes"
    return f"unexpected character {ch!r}"


def _expected(exc: UnexpectedInput) -> str:
    names: set[str] = set(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())
    readable = sorted({_READABLE.get(name, name) for name in names})
    if not readable:
        return "a valid expression"
    return ", ".join(readable[:-1]) + (" or " if len(readable) > 1 else "") + readable[-1]
