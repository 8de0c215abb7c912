"""Float64 values of a scalar expression, each with a bound on its rounding error.

Owns `Rounded`, a running error analysis: a tree is evaluated in float64 at a batch of
points, to the values `engine.expr.numeric` gives, and each operation adds what its own
rounding may lose and passes on how far its arguments' errors can move it. `1 − tanh(x)²`
at x = 20 is 0 in float64 and 1.7e-17 in truth, and carries a bound of about 2e-15.

It is separate from the equivalence check that uses it (`engine.checking.equivalence`,
whose tolerance at each point is twice the two sides' bounds) because it is a walk over
expression trees, like the other evaluators here, and needs nothing but the tree, the
points and `engine.expr.numeric`; its correctness (each bound covers the true error) is
tested on its own, against 400-digit arithmetic.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Final

import numpy as np
import numpy.typing as npt

from engine.errors import EngineError
from engine.expr.ast import BinOp, Call, Compare, Constant, Name, Neg, Node, Number, walk
from engine.expr.numeric import evaluate

Array = npt.NDArray[np.float64]
Points = dict[str, Array]  # each variable's values, one per point

EPS: Final = 2.0**-52  # twice the unit roundoff: what one rounded operation may lose, relatively
SUBNORMAL: Final = 2.0**-1074  # what one rounding may lose, absolutely, near zero
LIBRARY_ULPS: Final = 4.0  # numpy's and math's functions are within a few ulps of the exact value
_TWO_53: Final = 2.0**53
_ERF: Final = np.frompyfunc(math.erf, 1, 1)
_ERFC: Final = np.frompyfunc(math.erfc, 1, 1)
_SQRT_PI: Final = math.sqrt(math.pi)

Bounded = tuple[Array, Array]  # float64 values, and a bound on how far each is from the exact value


def _sigmoid(x: Array) -> Array:
    # The float64 evaluator's two branches, so the values are those it gives.
    exp_neg = np.exp(-np.abs(x))
    return np.asarray(np.where(x >= 0, 1.0 / (1.0 + exp_neg), exp_neg / (1.0 + exp_neg)))


def _sigmoid_slope(v: Array) -> Array:
    """σ′(v) = σ(v)σ(−v), computed without cancellation; the largest slope over [v, ∞) for v ≥ 0."""
    e = np.exp(-np.abs(v))
    return np.asarray(e / (1.0 + e) ** 2)


def _integer(x: Array) -> npt.NDArray[np.bool_]:
    return np.asarray((np.floor(x) == x) & (np.abs(x) < _TWO_53))


# Each scalar function: its float64 value (as `engine.expr.numeric` computes it) and a
# bound on how much it can move when its argument u moves by at most e; `near` is the end
# of [u − e, u + e] nearest to zero, in magnitude, where the slopes below are largest.
_FUNCTIONS: Final[
    dict[str, tuple[Callable[[Array], Array], Callable[[Array, Array, Array, Array], Array]]]
] = {
    "exp": (np.exp, lambda u, e, r, near: r * np.expm1(e)),
    "log": (np.log, lambda u, e, r, near: np.where(e < np.abs(u), -np.log1p(-e / np.abs(u)), np.inf)),
    "sqrt": (np.sqrt, lambda u, e, r, near: np.fmin(np.sqrt(e), e / (np.sqrt(np.abs(u)) + np.sqrt(near)))),
    "abs": (np.abs, lambda u, e, r, near: e),
    "relu": (lambda x: np.maximum(x, 0.0), lambda u, e, r, near: e),
    "sign": (np.sign, lambda u, e, r, near: np.where((e > 0) & (np.abs(u) <= e), 2.0, 0.0)),
    "floor": (np.floor, lambda u, e, r, near: np.floor(u + e) - np.floor(u - e)),
    "sin": (np.sin, lambda u, e, r, near: np.minimum(e, 2.0)),
    "cos": (np.cos, lambda u, e, r, near: np.minimum(e, 2.0)),
    "tan": (np.tan, lambda u, e, r, near: _tan_bound(u, e)),
    "sinh": (np.sinh, lambda u, e, r, near: e * np.cosh(np.abs(u) + e)),
    "cosh": (np.cosh, lambda u, e, r, near: e * np.sinh(np.abs(u) + e)),
    "tanh": (np.tanh, lambda u, e, r, near: e / np.cosh(near) ** 2),
    "sech": (lambda x: 1.0 / np.cosh(x), lambda u, e, r, near: e / np.cosh(near)),
    "sigmoid": (_sigmoid, lambda u, e, r, near: e * _sigmoid_slope(near)),
    "softplus": (lambda x: np.logaddexp(0.0, x), lambda u, e, r, near: e * _sigmoid(u + e)),
    "erf": (
        lambda x: np.asarray(_ERF(x), dtype=np.float64),
        lambda u, e, r, near: e * 2.0 / _SQRT_PI * np.exp(-(near**2)),
    ),
    "Phi": (
        lambda x: 0.5 * np.asarray(_ERFC(-x / math.sqrt(2.0)), dtype=np.float64),
        lambda u, e, r, near: e * np.exp(-(near**2) / 2) / math.sqrt(2 * math.pi),
    ),
}


_EXACT_FUNCTIONS: Final = frozenset({"abs", "relu", "sign", "floor"})  # no rounding of their own


def _tan_bound(u: Array, e: Array) -> Array:
    """tan moves by at most e·sec² at the worse end, unless a pole lies within reach."""
    low, high = np.cos(u - e), np.cos(u + e)
    pole = (e >= math.pi / 2) | (np.sign(low) != np.sign(high))
    return np.asarray(np.where(pole, np.inf, e * np.maximum(1 / low**2, 1 / high**2)))


class Rounded:
    """Evaluate a scalar tree in float64 (the values `engine.expr.numeric` gives) with a
    running bound on each value's rounding error: each operation adds what its rounding
    may lose and passes on how much its arguments' errors can move it. Exact sums and
    products of whole numbers add nothing, so `t + 1` in `(−1)^(t+1)` stays exact.

    Anything else (lists, vectors, indexing) is evaluated by `engine.expr.numeric` and
    given a relative bound by its size: those functions are for numeric cards, and a
    symbolic answer that uses them gets a plain comparison.
    """

    def __init__(self, points: Points, count: int) -> None:
        self.points = points
        self.count = count

    def of(self, node: Node) -> Bounded:
        """Values and bounds at every point (non-finite bounds become inf)."""
        done: dict[int, Bounded] = {}
        stack: list[tuple[Node, bool]] = [(node, False)]
        with np.errstate(all="ignore"):
            while stack:
                current, ready = stack.pop()
                key = id(current)
                if key in done:
                    continue
                parts = _parts(current)
                if parts is None:
                    done[key] = self.opaque(current)
                elif ready or not parts:
                    done[key] = self.step(current, [done[id(p)] for p in parts])
                else:
                    stack.append((current, True))
                    stack.extend((p, False) for p in reversed(parts))
            value, bound = done[id(node)]
            bound = np.where(np.isnan(bound), np.inf, bound)
        shape = (self.count,)
        value = np.broadcast_to(value, shape).astype(np.float64)
        return value, np.broadcast_to(bound, shape).astype(np.float64)

    def step(self, node: Node, args: list[Bounded]) -> Bounded:
        match node:
            case Number(text):
                value = np.asarray(float(text))
                return value, np.asarray(0.0 if _exact(text) else EPS * abs(float(value)))
            case Constant(name):
                value = np.asarray(math.pi if name == "pi" else math.e)
                return value, EPS * value
            case Name(name):
                return self.points[name], np.zeros(())
            case Neg():
                return -args[0][0], args[0][1]
            case BinOp(op):
                return _ARITHMETIC[op](args[0], args[1])
            case Call("log", (_, _)):
                return _divide(self.function("log", args[0]), self.function("log", args[1]))
            case Call("max" | "min" as name):
                combine = np.maximum if name == "max" else np.minimum
                value, bound = args[0]
                for other, other_bound in args[1:]:
                    value, bound = combine(value, other), np.maximum(bound, other_bound)
                return value, bound
            case Call("clip"):
                value = np.minimum(np.maximum(args[0][0], args[1][0]), args[2][0])
                return value, np.maximum(np.maximum(args[0][1], args[1][1]), args[2][1])
            case Call("where", (Compare(op, _, _), _, _)):
                return _where(op, *args)
            case Call(name):
                return self.function(name, args[0])
        raise TypeError(f"not a scalar expression node: {node!r}")

    def function(self, name: str, arg: Bounded) -> Bounded:
        u, e = arg
        value_of, moves = _FUNCTIONS[name]
        r = value_of(u)
        if name == "Phi":  # its argument is rounded once more inside, as −x/√2
            e = e + EPS * np.abs(u)
        near = np.maximum(np.abs(u) - e, 0.0)
        rounding = 0.0 if name in _EXACT_FUNCTIONS else LIBRARY_ULPS * EPS * np.abs(r) + SUBNORMAL
        return r, moves(u, e, r, near) + rounding

    def opaque(self, node: Node) -> Bounded:
        value = evaluate(node, self.points, batched=True)
        if value.rank != 0:
            raise EngineError("expected a single number, not a vector")
        data = value.data.astype(np.float64)
        return data, LIBRARY_ULPS * EPS * sum(1 for _ in walk(node)) * np.abs(data)


def _parts(node: Node) -> tuple[Node, ...] | None:
    """The sub-expressions `Rounded` evaluates before `node` (None: `node` is opaque)."""
    match node:
        case Number() | Constant() | Name():
            return ()
        case Neg(operand):
            return (operand,)
        case BinOp(op, left, right) if op in _ARITHMETIC:
            return (left, right)
        case Call("where", (Compare(_, left, right), then, otherwise)):
            return (left, right, then, otherwise)
        case Call("log", args) if len(args) in (1, 2):
            return args
        case Call("max" | "min" | "clip", args) if len(args) > 1:
            return args
        case Call(name, (argument,)) if name in _FUNCTIONS:
            return (argument,)
    return None


@functools.lru_cache(maxsize=1024)
def _exact(text: str) -> bool:
    """Whether the literal `text` is exactly a float64 (`0.5` is, `0.1` is not)."""
    try:
        return Fraction(float(text)) == Fraction(text)
    except (ValueError, OverflowError):
        return False


def _rounding(r: Array, exact: npt.NDArray[np.bool_] | bool) -> Array:
    return np.asarray(np.where(exact, 0.0, EPS * np.abs(r) + SUBNORMAL))


def _add(a: Bounded, b: Bounded) -> Bounded:
    (x, ex), (y, ey) = a, b
    r = x + y
    # The rounding error of the sum itself, exactly (Knuth's two-sum).
    y_part = r - x
    error = np.abs((x - (r - y_part)) + (y - y_part))
    error = np.where(np.isfinite(error), error, EPS * np.abs(r))
    return r, ex + ey + error


def _subtract(a: Bounded, b: Bounded) -> Bounded:
    return _add(a, (-b[0], b[1]))


def _multiply(a: Bounded, b: Bounded) -> Bounded:
    (x, ex), (y, ey) = a, b
    r = x * y
    exact = _integer(x) & _integer(y) & (np.abs(r) < _TWO_53)
    return r, np.abs(x) * ey + np.abs(y) * ex + ex * ey + _rounding(r, exact)


def _divide(a: Bounded, b: Bounded) -> Bounded:
    (x, ex), (y, ey) = a, b
    r = x / y
    exact = _integer(r) & _integer(y) & _integer(x) & (r * y == x)
    moved = (np.abs(x) * ey + np.abs(y) * ex) / (np.abs(y) * (np.abs(y) - ey))
    return r, np.where(np.abs(y) > ey, moved, np.inf) + _rounding(r, exact)


def _power(a: Bounded, b: Bounded) -> Bounded:
    (x, ex), (y, ey) = a, b
    r = np.power(x, y)
    size = np.abs(x)
    # A whole exponent known exactly: |x ± e|^n moves by |x|^n·((1 ± e/|x|)^n − 1).
    shrink = np.where(y > 0, np.log1p(ex / size), np.log1p(-ex / size))
    whole = np.abs(r) * np.expm1(y * shrink)
    whole = np.where(ex == 0, 0.0, np.where((y < 0) & (ex >= size), np.inf, whole))
    whole = np.where((size == 0) & (ex > 0), np.where(y > 0, ex**y, np.inf), whole)
    # Otherwise x^y = exp(y·log x), for x > 0: the exponent moves by |log x|·e_y + |y|·e_log.
    log_moves = np.where(ex < size, -np.log1p(-ex / size), np.inf)
    exponent_moves = np.abs(np.log(size)) * ey + (np.abs(y) + ey) * log_moves
    general = np.where(x > 0, np.abs(r) * np.expm1(exponent_moves), np.where(ex + ey > 0, np.inf, 0.0))
    moved = np.where(_integer(y) & (ey == 0), whole, general)
    exact = _integer(x) & _integer(y) & (y >= 0) & (np.abs(r) < _TWO_53)
    return r, moved + np.where(exact, 0.0, LIBRARY_ULPS * EPS * np.abs(r) + SUBNORMAL)


_ARITHMETIC: Final[dict[str, Callable[[Bounded, Bounded], Bounded]]] = {
    "+": _add,
    "-": _subtract,
    "*": _multiply,
    "/": _divide,
    "^": _power,
}
_RELATIONS: Final[dict[str, Callable[[Array, Array], npt.NDArray[np.bool_]]]] = {
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "=": np.equal,
}  # fmt: skip


def _where(op: str, left: Bounded, right: Bounded, then: Bounded, otherwise: Bounded) -> Bounded:
    """The branch the condition picks; where rounding could flip the condition, the bound
    covers the other branch too.

    A side that overflowed (±inf against a finite other side) is beyond every finite value
    whatever its own bound: `exp(exp(exp(10))) > x` holds at every sampled x, so its
    condition cannot flip. Two infinities (or a NaN) leave the condition unknown.
    """
    chosen = _RELATIONS[op](left[0], right[0])
    value = np.where(chosen, then[0], otherwise[0])
    reach = left[1] + right[1]
    gap = left[0] - right[0]
    may_flip = (reach > 0) & ~np.isinf(gap) & (np.isnan(gap) | (np.abs(gap) <= reach))
    either = np.abs(then[0] - otherwise[0]) + then[1] + otherwise[1]
    return value, np.where(may_flip, either, np.where(chosen, then[1], otherwise[1]))
