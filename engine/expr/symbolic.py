"""Convert an expression tree into a sympy expression, for exact comparisons.

Only trees from our own parser come here, never text: sympy never sees a string. The
deep-learning functions become their elementary definitions (σ(x) = 1/(1 + e^(−x)),
Φ(x) = (1 + erf(x/√2))/2, ReLU = max(0, x)), so sympy can reason about them; the
printer, not sympy, shows a person what they typed.

sympy evaluates as it builds: `2^(1e9 + x − x)` folds its exponent to 10^9 and then
computes 2^(10^9) exactly, in C, for as long as that takes. So the conversion bounds every
step before sympy takes it, whatever the folding did (the parser's own bound only sees
exponents written as constants):

- a power is built only if the exact numbers it would compute have at most
  `MAX_EXACT_BITS` bits, and a root (a non-integer exponent) only of integers up to
  `MAX_ROOT_BITS` bits, since sympy factors the integer to simplify it; this covers the
  powers sympy makes on its own too, such as exp(k·log 2) = 2^k and (2^(kx))^(1/x);
- every constant the conversion makes must be a real number within float64's range (its
  value is estimated in float64 from parts that already passed), so a nested exponential
  such as exp(exp(10)) is refused before `floor` or `max` would evaluate it exactly.

Anything beyond the bounds raises `ExpressionError`: the exact comparison is then
skipped, and the numeric one (where such a value is simply infinite) decides.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any, Final

import sympy as sp

from engine.errors import ExpressionError
from engine.expr.ast import BinOp, Call, Compare, Constant, Index, ListExpr, Name, Neg, Node, Number
from engine.expr.names import FUNCTIONS

MAX_EXACT_BITS: Final = 4096
MAX_ROOT_BITS: Final = 20

_HALF: Final = sp.Rational(1, 2)

_RELATIONS: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge, "=": sp.Eq,
}  # fmt: skip


def symbol(name: str, **assumptions: bool) -> sp.Symbol:
    """The sympy symbol for a variable; real unless told more."""
    return sp.Symbol(name, real=True, **assumptions)


Assumptions = Mapping[str, Mapping[str, bool]]  # facts sympy may use, by variable: {"v": {"positive": True}}


def to_sympy(node: Node, assumptions: Assumptions | None = None) -> Any:
    """Build the sympy expression for `node` (scalars only), within the bounds above."""
    return _Converter(assumptions or {}).convert(node)


# The exact passes of `engine.checking.equivalence`, run in its sympy worker process.


def same_canonical_form(answer: Node, expected: Node, facts: Assumptions) -> bool:
    """Whether the two are equal in sympy's canonical form (cheap: no simplification)."""
    return bool(_converted(answer, _frozen(facts)) == _converted(expected, _frozen(facts)))


def simplifies_to_zero(answer: Node, expected: Node, facts: Assumptions) -> bool:
    """Whether the difference simplifies to 0 (can be slow: the worker's deadline bounds it)."""
    return bool(sp.simplify(_converted(answer, _frozen(facts)) - _converted(expected, _frozen(facts))) == 0)


FrozenFacts = tuple[tuple[str, tuple[tuple[str, bool], ...]], ...]


@functools.lru_cache(maxsize=32)
def _converted(node: Node, facts: FrozenFacts) -> Any:
    """`to_sympy`, remembered: an answer is compared with the expected answer and then with
    each declared mistake, and is converted once for all of them."""
    return to_sympy(node, {name: dict(known) for name, known in facts})


def _frozen(facts: Assumptions) -> FrozenFacts:
    return tuple(sorted((name, tuple(sorted(known.items()))) for name, known in facts.items()))


def prime() -> None:
    """One small comparison in a new worker, so that the first real one does not pay for
    sympy's cold caches (a tenth of a second on a long sum)."""
    from engine.expr.parser import parse

    node = parse("sigmoid(x)*(1 - sigmoid(x)) + x^2/(1 + x) - max(x, 0) + x + x + x")
    same_canonical_form(node, node, {"x": {}})


class _Converter:
    def __init__(self, assumptions: Assumptions) -> None:
        self.assumptions = assumptions
        self.estimates: dict[Any, float] = {}
        self.functions: dict[str, Callable[..., Any]] = {
            "exp": self.exp, "sqrt": lambda x: self.power(x, _HALF), "abs": sp.Abs,
            "sign": sp.sign, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
            "sinh": self.exponential(sp.sinh), "cosh": self.exponential(sp.cosh),
            "tanh": self.exponential(sp.tanh), "sech": self.exponential(sp.sech), "erf": sp.erf,
            "floor": sp.floor, "min": sp.Min, "max": sp.Max,
            "sigmoid": lambda x: 1 / (1 + self.exp(-x)),
            "relu": lambda x: sp.Max(0, x),
            "softplus": lambda x: sp.log(1 + self.exp(x)),
            "Phi": lambda x: (1 + sp.erf(x / sp.sqrt(2))) * _HALF,
            "log": lambda x, base=None: sp.log(x) if base is None else sp.log(x) / sp.log(base),
            "clip": lambda x, lo, hi: sp.Min(sp.Max(x, lo), hi),
            "where": lambda cond, a, b: sp.Piecewise((a, cond), (b, True)),
        }  # fmt: skip

    def convert(self, node: Node) -> Any:
        result = self.build(node)
        if isinstance(result, sp.Expr) and not result.free_symbols:  # a number, not a truth value
            self.check_constant(result)
        return result

    def build(self, node: Node) -> Any:
        convert = self.convert
        match node:
            case Number(text):
                value = Fraction(text)
                return sp.Rational(value.numerator, value.denominator)
            case Name(name):
                return symbol(name, **self.assumptions.get(name, {}))
            case Constant(name):
                return sp.pi if name == "pi" else sp.E
            case Neg(operand):
                return -convert(operand)
            case BinOp("+", left, right):
                return convert(left) + convert(right)
            case BinOp("-", left, right):
                return convert(left) - convert(right)
            case BinOp("*", left, right):
                return self.product(convert(left), convert(right))
            case BinOp("/", left, right):
                return self.product(convert(left), self.power(convert(right), sp.Integer(-1)))
            case BinOp("^", left, right):
                return self.power(convert(left), convert(right))
            case Compare(op, left, right):
                return _RELATIONS[op](convert(left), convert(right))
            case Call(func, args) if FUNCTIONS[func].symbolic:
                return self.functions[func](*(convert(a) for a in args))
            case Call(func, _):
                raise ExpressionError(f"{func}() works on vectors; it has no place in a symbolic answer")
            case ListExpr() | Index() | BinOp("@", _, _):
                raise ExpressionError("vectors and matrices have no place in a symbolic answer")
        raise TypeError(f"not an expression node: {node!r}")

    # -- the operations sympy evaluates exactly, bounded first ------------------------------

    def power(self, base: Any, exponent: Any) -> Any:
        if base == sp.E:
            return self.exp(exponent)
        self.check_exact_power(base, exponent)
        return sp.Pow(base, exponent)

    def product(self, left: Any, right: Any) -> Any:
        """left·right, after bounding the powers sympy makes by adding the exponents of a
        common base (2^(kx) · 2^(c − kx) = 2^c)."""
        exponents: dict[Any, list[Any]] = {}
        for factor in sp.Mul.make_args(left):
            base, exponent = factor.as_base_exp()
            exponents.setdefault(base, []).append(exponent)
        for factor in sp.Mul.make_args(right):
            base, exponent = factor.as_base_exp()
            for other in exponents.get(base, ()):
                if base == sp.E:
                    self.check_exponential(exponent + other)
                else:
                    self.check_exact_power(base, exponent + other)
        return left * right

    def exp(self, argument: Any) -> Any:
        self.check_exponential(argument)
        return sp.exp(argument)

    def exponential(self, fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """A function sympy may rewrite through exp (sinh(k·log 2) in powers of 2): bounded as exp."""

        def apply(argument: Any) -> Any:
            self.check_exponential(argument)
            return fn(argument)

        return apply

    def check_exponential(self, argument: Any) -> None:
        """sympy turns exp(k·log(b)) into b^k: bound each such term of the argument."""
        for term in sp.Add.make_args(argument):
            coefficient, rest = term.as_coeff_Mul()
            if isinstance(rest, sp.log):
                self.check_exact_power(rest.args[0], coefficient)

    def check_exact_power(self, base: Any, exponent: Any) -> None:
        """Refuse base^exponent if sympy would compute an exact number that is too large.

        sympy distributes a power over a product and merges nested powers, so each factor
        b^r of the base (a number b) becomes b^(r·exponent), computed exactly when that
        exponent is rational.
        """
        for factor in sp.Mul.make_args(base):
            number, inner = factor.as_base_exp()
            if not isinstance(number, sp.Rational) or (abs(number.p) <= 1 and number.q == 1):
                continue  # symbols and irrationals stay symbolic; 0, 1 and -1 cost nothing
            power = inner * exponent
            if not isinstance(power, sp.Rational):
                continue
            bits = max(abs(number.p).bit_length(), number.q.bit_length())
            if power.q != 1 and bits > MAX_ROOT_BITS:
                raise ExpressionError(
                    f"a root of a number with more than {MAX_ROOT_BITS} bits is not kept exact"
                )
            if abs(power) * (bits - 1) > MAX_EXACT_BITS:
                raise ExpressionError("a power in the answer is too large to compute exactly")

    # -- constants ------------------------------------------------------------------------

    def check_constant(self, value: Any) -> None:
        """Refuse a constant that is not a real number within float64's range."""
        estimate = self.estimate(value)
        if math.isnan(estimate):
            raise ExpressionError("a constant in the answer is not a real number (such as 0/0)")
        if math.isinf(estimate):
            raise ExpressionError("a constant in the answer is too large (beyond 10^308) or infinite")

    def estimate(self, value: Any) -> float:
        """The float64 value of a constant, from its parts (which passed this check already).

        Anything this does not know is NaN, that is refused: only the forms the conversion
        builds, and sympy's evaluations of them, are expected here.
        """
        known = self.estimates.get(value)
        if known is None:
            try:
                known = self._estimate(value)
            except (ArithmeticError, ValueError):  # OverflowError, math domain errors
                known = math.nan
            self.estimates[value] = known
        return known

    def _estimate(self, value: Any) -> float:
        estimate = self.estimate
        if isinstance(value, sp.Rational):
            return _ratio(value.p, value.q)
        if isinstance(value, sp.Float):
            return float(value)
        if value is sp.pi:
            return math.pi
        if value is sp.E:
            return math.e
        if value in (sp.oo, -sp.oo, sp.zoo):
            return math.inf
        if isinstance(value, sp.Add):
            return math.fsum(estimate(a) for a in value.args)
        if isinstance(value, sp.Mul):
            return math.prod(estimate(a) for a in value.args)
        if isinstance(value, sp.Pow):
            return _real_power(estimate(value.base), estimate(value.exp))
        if isinstance(value, sp.Piecewise):
            for piece, condition in value.args:
                if self.truth(condition):
                    return estimate(piece)
            return math.nan
        if isinstance(value, sp.Max | sp.Min):
            values = [estimate(a) for a in value.args]
            return max(values) if isinstance(value, sp.Max) else min(values)
        function = _ESTIMATES.get(type(value))
        if function is not None and len(value.args) == 1:
            return function(estimate(value.args[0]))
        return math.nan

    def truth(self, condition: Any) -> bool:
        if condition is sp.true or condition is sp.false:
            return bool(condition)
        compare = _COMPARISONS.get(type(condition))
        if compare is None:
            raise ValueError(f"cannot estimate {condition}")
        return compare(self.estimate(condition.lhs), self.estimate(condition.rhs))


def _ratio(numerator: int, denominator: int) -> float:
    try:
        return numerator / denominator
    except OverflowError:
        return math.inf if numerator > 0 else -math.inf


def _real_power(base: float, exponent: float) -> float:
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return math.inf if base > 0 or exponent % 2 == 0 else -math.inf


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _log(x: float) -> float:
    return -math.inf if x == 0 else math.log(x)


_ESTIMATES: Final[dict[type, Callable[[float], float]]] = {
    sp.exp: _exp, sp.log: _log, sp.sin: math.sin, sp.cos: math.cos, sp.tan: math.tan,
    sp.sinh: lambda x: math.copysign(math.inf, x) if abs(x) > 710 else math.sinh(x),
    sp.cosh: lambda x: math.inf if abs(x) > 710 else math.cosh(x),
    sp.tanh: math.tanh, sp.sech: lambda x: 0.0 if abs(x) > 710 else 1 / math.cosh(x),
    sp.erf: math.erf, sp.floor: lambda x: float(math.floor(x)) if math.isfinite(x) else x,
    sp.Abs: abs, sp.sign: lambda x: math.copysign(1.0, x) if x and not math.isnan(x) else x,
}  # fmt: skip

_COMPARISONS: Final[dict[type, Callable[[float, float], bool]]] = {
    sp.StrictLessThan: lambda a, b: a < b, sp.LessThan: lambda a, b: a <= b,
    sp.StrictGreaterThan: lambda a, b: a > b, sp.GreaterThan: lambda a, b: a >= b,
    sp.Equality: lambda a, b: a == b, sp.Unequality: lambda a, b: a != b,
}  # fmt: skip
