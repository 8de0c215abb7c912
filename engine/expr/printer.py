"""One-line Unicode rendering of an expression tree: "σ(x)·(1 − σ(x))".

This is how the tool tells a person how their input was read, so it shows the structure
the parser chose, in the order they wrote it, with just the parentheses that remove
doubt: `1/2x` comes back as `1/(2·x)`, `-x^2` as `−x²`.
"""

from __future__ import annotations

import re
from typing import Final

from engine.expr.ast import BinOp, Call, Compare, Constant, Index, ListExpr, Name, Neg, Node, Number
from engine.expr.names import FUNCTIONS, GREEK, SUBSCRIPT_DIGITS, display_name

_SUPERSCRIPT: Final = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUBSCRIPT: Final = str.maketrans("0123456789", SUBSCRIPT_DIGITS)
_PLAIN_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_COMPARE_SIGNS: Final = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "=": "="}

_ATOM: Final = 100
_POWER: Final = 40
_NEG: Final = 27
_PRODUCT: Final = 20
_SUM: Final = 10
_COMPARE: Final = 5


def to_unicode(node: Node) -> str:
    """Render `node` on one line with Unicode math symbols."""
    return _render(node)[0]


def _precedence(node: Node) -> int:
    match node:
        case BinOp("^", _, _):
            return _POWER
        case BinOp("*" | "/" | "@", _, _):
            return _PRODUCT
        case BinOp():
            return _SUM
        case Neg():
            return _NEG
        case Compare():
            return _COMPARE
        case Number(text) if text.startswith("-"):
            return _NEG
        case _:
            return _ATOM


def _wrapped(node: Node, needs_parens: bool) -> str:
    text = _render(node)[0]
    return f"({text})" if needs_parens else text


def _render(node: Node) -> tuple[str, int]:
    precedence = _precedence(node)
    match node:
        case Number(text):
            return text, precedence
        case Name(name):
            return display_name(name), precedence
        case Constant(name):
            return GREEK.get(name, name), precedence
        case Neg(operand):
            inner = _precedence(operand)
            return "−" + _wrapped(operand, inner < _POWER), precedence
        case Compare(op, left, right):
            return f"{_render(left)[0]} {_COMPARE_SIGNS[op]} {_render(right)[0]}", precedence
        case BinOp("^", base, exponent):
            # (√x)², not √x², which reads as √(x²).
            base_is_root = isinstance(base, Call) and base.func == "sqrt"
            base_text = _wrapped(base, _precedence(base) <= _POWER or base_is_root)
            if isinstance(exponent, Number) and exponent.text.isdigit():
                return base_text + exponent.text.translate(_SUPERSCRIPT), precedence
            exponent_text = _wrapped(exponent, _precedence(exponent) < _ATOM)
            return f"{base_text}^{exponent_text}", precedence
        case BinOp(op, left, right) if op in ("*", "/", "@"):
            # (1/2)·x, not 1/2·x, which reads as 1/(2·x) under implicit multiplication.
            left_is_quotient = isinstance(left, BinOp) and left.op == "/"
            left_text = _wrapped(left, _precedence(left) < _PRODUCT or left_is_quotient)
            right_prec = _precedence(right)
            # a·b·c needs no parentheses; a/(b·c) and a·(b/c) keep theirs.
            associative = op == "*" and isinstance(right, BinOp) and right.op == "*"
            right_parens = (
                right_prec < _PRODUCT
                or (right_prec == _PRODUCT and not associative)
                or right_prec == _NEG  # x·(−y), not x·−y
            )
            sign = {"*": "·", "/": "/", "@": " @ "}[op]
            return left_text + sign + _wrapped(right, right_parens), precedence
        case BinOp(op, left, right):
            left_text = _wrapped(left, _precedence(left) < _SUM)
            right_parens = _precedence(right) <= _SUM or _precedence(right) == _NEG
            sign = " + " if op == "+" else " − "
            return left_text + sign + _wrapped(right, right_parens), precedence
        case Call("abs", (arg,)):
            return f"|{_render(arg)[0]}|", precedence
        case Call("sqrt", (arg,)):
            return "√" + _wrapped(arg, _precedence(arg) < _ATOM or isinstance(arg, Call)), precedence
        case Call("log", (arg, base)):  # log₁₀(x), log_b(x), else log(x, b): never ln(x, b)
            return _logarithm(_render(arg)[0], _render(base)[0]), precedence
        case Call(func, args):
            shown = FUNCTIONS[func].display
            return f"{shown}({', '.join(_render(a)[0] for a in args)})", precedence
        case ListExpr(items):
            return "[" + ", ".join(_render(item)[0] for item in items) + "]", precedence
        case Index(base, index):
            return f"{_render(base)[0]}[{_render(index)[0]}]", precedence
    raise TypeError(f"not an expression node: {node!r}")


def _logarithm(argument: str, base: str) -> str:
    """A logarithm with a base as people write it, and as the parser reads it back."""
    if base.isdigit():
        return f"log{base.translate(_SUBSCRIPT)}({argument})"
    if _PLAIN_NAME.fullmatch(base):
        return f"log_{base}({argument})"
    return f"log({argument}, {base})"
