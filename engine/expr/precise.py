"""Evaluate a scalar expression tree at one point to many significant digits, with mpmath.

The equivalence check compares answers in float64; where two of them part only narrowly
there, it looks again at high precision before calling them different, so that
cancellation in float64 does not reject a right answer. That second look is as bounded as
the first: the arithmetic runs at a fixed precision, and a value beyond float64's range
becomes infinite here just as it does there. So no step ever works on a number of
unbounded size: exp(exp(exp(x))) at x = 5 is infinite, not a number with 10^64 digits
(which is what an exact or adaptive-precision evaluation would set out to compute).

Real-number semantics, as in `engine.expr.numeric`: an undefined value (log of a negative
number, 0/0) is NaN, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import mpmath

from engine.errors import EvaluationError
from engine.expr.ast import BinOp, Call, Compare, Constant, Name, Neg, Node, Number

_RANGE_BITS: Final = 1024  # float64's largest finite magnitude is just below 2^1024
_TINY_BITS: Final = -1100  # below float64's smallest subnormal (2^-1074): zero
_EXP_BITS: Final = 12  # exp of a number beyond ±2^12 is far outside float64's range


def evaluate_precisely(node: Node, point: Mapping[str, float], digits: int) -> Any:
    """The value of a scalar `node` at `point` with `digits` significant digits (an mpmath
    number: NaN where undefined, ±inf beyond float64's range)."""
    ctx = mpmath.MPContext()  # a private precision: checks may run in several threads
    ctx.dps = digits
    return _Precise(ctx, {name: ctx.mpf(value) for name, value in point.items()}).value_of(node)


class _Precise:
    def __init__(self, ctx: Any, env: dict[str, Any]) -> None:
        self.ctx = ctx
        self.env = env
        self.functions: dict[str, Callable[..., Any]] = {
            "exp": self.exp, "log": self.log, "sqrt": self.sqrt, "abs": ctx.fabs,
            "sign": ctx.sign, "sin": self.periodic(ctx.sin), "cos": self.periodic(ctx.cos),
            "tan": self.periodic(ctx.tan), "sinh": self.growing(ctx.sinh, odd=True),
            "cosh": self.growing(ctx.cosh, odd=False), "tanh": self.tanh,
            "sech": lambda x: 1 / self.growing(ctx.cosh, odd=False)(x), "erf": ctx.erf,
            "Phi": lambda x: ctx.erfc(-x / ctx.sqrt(2)) / 2, "floor": ctx.floor,
            "sigmoid": self.sigmoid, "relu": lambda x: self.extreme(max, [x, ctx.zero]),
            "softplus": self.softplus, "min": lambda *a: self.extreme(min, a),
            "max": lambda *a: self.extreme(max, a),
            "clip": lambda x, lo, hi: self.extreme(min, [self.extreme(max, [x, lo]), hi]),
        }  # fmt: skip

    def value_of(self, node: Node) -> Any:
        ctx = self.ctx
        match node:
            case Number(text):
                return self.bounded(ctx.mpf(text))
            case Constant(name):
                return +ctx.pi if name == "pi" else +ctx.e
            case Name(name):
                if name not in self.env:
                    raise EvaluationError(f"no value for {name!r}")
                return self.env[name]
            case Neg(operand):
                return -self.value_of(operand)
            case BinOp(op, left, right) if op in "+-*/^":
                return self.bounded(self.arithmetic(op, self.value_of(left), self.value_of(right)))
            case Call("where", (Compare(op, left, right), then, otherwise)):
                chosen = self.compare(op, self.value_of(left), self.value_of(right))
                return self.value_of(then if chosen else otherwise)
            case Call("log", (x, base)):
                return self.bounded(self.log(self.value_of(x)) / self.log(self.value_of(base)))
            case Call(func, args) if func in self.functions:
                return self.bounded(self.real(self.functions[func](*(self.value_of(a) for a in args))))
        raise EvaluationError("only scalar expressions can be evaluated precisely")

    # -- keeping every value a bounded real number -----------------------------------------

    def bounded(self, value: Any) -> Any:
        """±inf beyond float64's range and 0 below it, as float64 would have it."""
        ctx = self.ctx
        if not ctx.isfinite(value) or value == 0:
            return value
        magnitude = ctx.mag(value)
        if magnitude > _RANGE_BITS:
            return ctx.inf if value > 0 else -ctx.inf
        if magnitude < _TINY_BITS:
            return ctx.zero
        return value

    def real(self, value: Any) -> Any:
        """A complex result (sqrt of a negative number) is undefined in the reals: NaN."""
        if isinstance(value, self.ctx.mpc):
            return value.real if value.imag == 0 else self.ctx.nan
        return value

    # -- operations ------------------------------------------------------------------------

    def arithmetic(self, op: str, a: Any, b: Any) -> Any:
        ctx = self.ctx
        if ctx.isnan(a) or ctx.isnan(b):
            return ctx.nan
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            if b == 0:
                return ctx.nan if a == 0 else ctx.inf * ctx.sign(a)
            return a / b
        if a == 0 and b < 0:
            return ctx.inf
        if a < 0 and not ctx.isint(b):
            return ctx.nan
        try:
            return self.real(ctx.power(a, b))
        except (ZeroDivisionError, ValueError):
            return ctx.nan

    def compare(self, op: str, a: Any, b: Any) -> bool:
        return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "=": a == b}[op])

    def extreme(self, pick: Callable[..., Any], values: Any) -> Any:
        """min or max, NaN if any value is NaN (as numpy's minimum and maximum)."""
        values = list(values)
        if any(self.ctx.isnan(v) for v in values):
            return self.ctx.nan
        return pick(values)

    def exp(self, x: Any) -> Any:
        ctx = self.ctx
        if ctx.isfinite(x) and ctx.mag(x) > _EXP_BITS:
            return ctx.inf if x > 0 else ctx.zero
        return ctx.exp(x)

    def growing(self, fn: Callable[[Any], Any], *, odd: bool) -> Callable[[Any], Any]:
        """sinh or cosh, infinite (with the sign of an odd function) where exp is."""

        def value(x: Any) -> Any:
            ctx = self.ctx
            if ctx.isfinite(x) and ctx.mag(x) > _EXP_BITS:
                return ctx.inf * (ctx.sign(x) if odd else 1)
            return fn(x)

        return value

    def log(self, x: Any) -> Any:
        ctx = self.ctx
        if ctx.isnan(x) or x < 0:
            return ctx.nan
        return -ctx.inf if x == 0 else ctx.log(x)

    def sqrt(self, x: Any) -> Any:
        return self.ctx.nan if self.ctx.isnan(x) or x < 0 else self.ctx.sqrt(x)

    def periodic(self, fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """sin, cos, tan: undefined at ±inf (mpmath would answer an interval)."""
        return lambda x: fn(x) if self.ctx.isfinite(x) else self.ctx.nan

    def tanh(self, x: Any) -> Any:
        return self.ctx.tanh(x) if self.ctx.isfinite(x) else self.ctx.sign(x)

    def sigmoid(self, x: Any) -> Any:
        # Two branches, as in the float64 evaluator, so the tails neither overflow nor cancel.
        if self.ctx.isnan(x):
            return x
        small = self.exp(-abs(x))
        return 1 / (1 + small) if x >= 0 else small / (1 + small)

    def softplus(self, x: Any) -> Any:
        if self.ctx.isnan(x):
            return x
        return max(x, self.ctx.zero) + self.ctx.log1p(self.exp(-abs(x)))
