"""Convert an expression tree into a sympy expression, for exact comparisons.

Only trees from our own parser come here, never text: sympy never sees a string. The
deep-learning functions become their elementary definitions (σ(x) = 1/(1 + e^(−x)),
Φ(x) = (1 + erf(x/√2))/2, ReLU = max(0, x)), so sympy can reason about them; the
printer, not sympy, shows a person what they typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any, Final

import sympy as sp

from engine.errors import ExpressionError
from engine.expr.ast import BinOp, Call, Compare, Constant, Index, ListExpr, Name, Neg, Node, Number
from engine.expr.names import FUNCTIONS

_HALF: Final = sp.Rational(1, 2)

_FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "exp": sp.exp, "sqrt": sp.sqrt, "abs": sp.Abs, "sign": sp.sign, "sin": sp.sin,
    "cos": sp.cos, "tan": sp.tan, "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh,
    "sech": sp.sech, "erf": sp.erf, "floor": sp.floor, "min": sp.Min, "max": sp.Max,
    "sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
    "relu": lambda x: sp.Max(0, x),
    "softplus": lambda x: sp.log(1 + sp.exp(x)),
    "Phi": lambda x: (1 + sp.erf(x / sp.sqrt(2))) * _HALF,
    "log": lambda x, base=None: sp.log(x) if base is None else sp.log(x) / sp.log(base),
    "clip": lambda x, lo, hi: sp.Min(sp.Max(x, lo), hi),
    "where": lambda cond, a, b: sp.Piecewise((a, cond), (b, True)),
}  # fmt: skip

_RELATIONS: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge, "=": sp.Eq,
}  # fmt: skip


def symbol(name: str, **assumptions: bool) -> sp.Symbol:
    """The sympy symbol for a variable; real unless told more."""
    return sp.Symbol(name, real=True, **assumptions)


def to_sympy(node: Node, assumptions: Mapping[str, Mapping[str, bool]] | None = None) -> Any:
    """Build the sympy expression for `node` (scalars only)."""
    assumptions = assumptions or {}

    def convert(current: Node) -> Any:
        match current:
            case Number(text):
                value = Fraction(text)
                return sp.Rational(value.numerator, value.denominator)
            case Name(name):
                return symbol(name, **assumptions.get(name, {}))
            case Constant(name):
                return sp.pi if name == "pi" else sp.E
            case Neg(operand):
                return -convert(operand)
            case BinOp("+", left, right):
                return convert(left) + convert(right)
            case BinOp("-", left, right):
                return convert(left) - convert(right)
            case BinOp("*", left, right):
                return convert(left) * convert(right)
            case BinOp("/", left, right):
                return convert(left) / convert(right)
            case BinOp("^", left, right):
                return sp.Pow(convert(left), convert(right))
            case Compare(op, left, right):
                return _RELATIONS[op](convert(left), convert(right))
            case Call(func, args) if FUNCTIONS[func].symbolic:
                return _FUNCTIONS[func](*(convert(a) for a in args))
            case Call(func, _):
                raise ExpressionError(f"{func}() works on vectors; it has no place in a symbolic answer")
            case ListExpr() | Index() | BinOp("@", _, _):
                raise ExpressionError("vectors and matrices have no place in a symbolic answer")
        raise TypeError(f"not an expression node: {current!r}")

    return convert(node)
