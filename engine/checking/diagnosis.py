"""Say what a wrong answer got wrong, when it is one small edit away from the right one.

A wrong answer is named when it matches a mistake somebody wrote down (a card's `mistakes`,
its torch reference's). Most other wrong answers are still one slip away from the right
one: a sign, a factor of 2, a term or a factor left out, ε on the wrong side of a square
root, β where 1 − β belongs. This module searches those slips, after a wrong verdict, and
names the one that explains the answer, or says nothing.

Formulas (`diagnose`). The search edits the expected expression tree once, in every way
listed in `EDITS`, in the order of priority of `engine.checking.edits` (the simpler and the
likelier slip first), which generates the edits and words them, on trees that
`engine.checking.edit_places` walks and rebuilds. This module decides which edit, if any,
explains the answer.

Nothing is claimed that is not verified. Each edited expression is evaluated (numpy,
batched) at the points the equivalence check would draw (`engine.checking.equivalence`:
its `draw` over the variables' domains, at every scale, with the positive orthant tried
when too few points are defined), and explains the answer only when the two agree at every
point where the answer and the expected one are real numbers, within the equivalence
check's pointwise tolerance (1e-9 of the larger, plus twice the float64 rounding bounds of
the answer and the expected one). An edit that agrees with the expected answer everywhere
(a no-op) is never claimed, nor is anything for an answer that agrees with the expected one
at every point. The first edit that explains the answer, in the order of priority, is
checked again at a fresh batch of points before it is said. Where two different edits both
explain an answer, they are the same function at every point, and that order says which is
told.

The expressions are scalar: a subtree that is a list, an index or a vector function is
evaluated whole by `engine.expr.numeric`, and an edited tree whose value is not one number per
point explains nothing.

Time is bounded: the edits are generated lazily, each edited tree is evaluated reusing the
values of the subtrees it shares with the expected one (only the path from the edit to the
root is recomputed), and the search stops at its deadline (`budget`, 50 ms by default) and
returns None. It runs only after a wrong verdict.

Numbers (`diagnose_number`). A numeric answer is a single value, so the search is over
values: one the caller names (`neighbours`: a neighbouring step's value, a given, a
default), then the sign, then a factor of 2, ½, 10 or 0.1, each within the band the
caller's `agrees` says (a numeric card passes its precision's band) and told apart from the
expected value at that band.

May import: `engine.errors`, `engine.expr` (as all of `engine.checking`). The equivalence
check's sampling and tolerances are imported where `diagnose` uses them, not with this
module: they load mpmath and the sympy worker, which a numeric card, calling only
`diagnose_number`, never needs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from engine.checking.edit_places import with_children
from engine.checking.edits import FACTORS, candidates, off_by
from engine.checking.verdict import AUTO_MISTAKE as AUTO_MISTAKE
from engine.errors import EngineError
from engine.expr.ast import (
    BinOp,
    Call,
    Constant,
    Index,
    ListExpr,
    Name,
    Neg,
    Node,
    Number,
    children,
    free_names,
)
from engine.expr.domains import REAL, Domain
from engine.expr.names import FUNCTIONS
from engine.expr.numeric import evaluate
from engine.expr.rounding import Rounded

if TYPE_CHECKING:
    from engine.expr.rounding import Points

Array = npt.NDArray[np.float64]

EDITS: Final[dict[str, str]] = {
    "sign-flipped": "the sign of the whole answer is flipped",
    "dropped-term": "one term of a sum is left out",
    "dropped-factor": "one factor of a product (numerator or denominator) is left out",
    "term-sign-flipped": "the sign of one term is flipped",
    "factor-2": "the whole answer is twice the expected one",
    "factor-0.5": "the whole answer is half the expected one",
    "factor-10": "the whole answer is ten times the expected one",
    "factor-0.1": "the whole answer is a tenth of the expected one",
    "swapped-variables": "two variables are exchanged",
    "eps-inside-sqrt": "a term added to a square root is put inside it (√(v + ε) for √v + ε)",
    "eps-outside-sqrt": "a term inside a square root is put outside it (√v + ε for √(v + ε))",
    "one-minus": "x in place of 1 − x, or 1 − β in place of a decay rate β",
    "exponent-off-by-one": "an exponent is one too large or too small",
    "swapped-arguments": "the sides of a subtraction, division or power, or a function's arguments, are exchanged",
    "term-factor-2": "one term is twice what it should be",
    "term-factor-0.5": "one term is half what it should be",
    "term-factor-10": "one term is ten times what it should be",
    "term-factor-0.1": "one term is a tenth of what it should be",
    "sqrt-removed": "a square root is left out",
    "square-removed": "a square is left out",
    "sqrt-added": "a square root is taken where there is none",
    "square-added": "a subexpression is squared where it is not",
    "constant-factor": "the whole answer is the expected one times another constant",
    "neighbour-value": "a numeric answer is the value of a neighbouring quantity (a step, a given, a default)",
}
"""Every edit a diagnosis may name (`Diagnosis.edit`), with what it means. A verdict names it
as `auto:<edit>`; the codes are stable, the messages may be reworded."""

DEFAULT_BUDGET_S: Final = 0.05
_SMALL_WHOLE: Final = 10
"""A neighbouring value that is a whole number this small (a step count t = 1, a size n = 4)
says nothing of where an answer came from, and is not offered as its origin."""


@dataclass(frozen=True)
class Diagnosis:
    """What a wrong answer got wrong: a stable code (`EDITS`) and a sentence for the learner."""

    edit: str
    message: str

    @property
    def mistake(self) -> str:
        """The edit as a verdict names it: `auto:factor-2`."""
        return AUTO_MISTAKE + self.edit


# -- formulas ----------------------------------------------------------------------------------


def diagnose(
    answer: Node,
    expected: Node,
    variables: Mapping[str, Domain] | Iterable[str] | None = None,
    *,
    seed: int,
    budget: float = DEFAULT_BUDGET_S,
) -> Diagnosis | None:
    """The single edit of `expected` that `answer` is, or None (see the module's docstring).

    `answer` and `expected` are parsed scalar expressions (a symbolic card's answer, a
    formula blank); `variables` are their variables with their domains (a mapping from
    name to `Domain`, as a card declares them), or just names (real numbers), or None: every
    free name of either side not given a domain is real. `seed` fixes the points, so a
    diagnosis is reproducible. The search stops after `budget` seconds and returns None,
    as it does when nothing explains the answer, when the answer agrees with the expected
    one at every point, or when the two cannot be evaluated at enough points. It never
    raises for any answer: call it after a wrong verdict (never instead of one) and put
    `Diagnosis.message` in the feedback and `auto:<edit>` in `Verdict.mistake`.
    """
    deadline = time.perf_counter() + budget
    domains = _domains(variables, free_names(answer) | free_names(expected))
    rng = np.random.default_rng((seed, 0x0D1A))  # a stream of its own, apart from the equivalence check's
    with np.errstate(all="ignore"):
        try:
            search = _Search.prepare(answer, expected, domains, rng)
            if search is None:
                return None
            for candidate in candidates(expected, search.answer_values, search.expected_values):
                if time.perf_counter() > deadline:
                    return None
                if search.explains(candidate.node) and search.confirmed(candidate.node, domains, rng):
                    return Diagnosis(candidate.edit, candidate.describe())
        except (EngineError, ArithmeticError, ValueError, TypeError):
            return None  # the two cannot be evaluated as numbers together: there is nothing to say
    return None


def _domains(variables: Mapping[str, Domain] | Iterable[str] | None, names: set[str]) -> dict[str, Domain]:
    declared: dict[str, Domain] = {}
    if isinstance(variables, Mapping):
        declared = dict(variables)
    elif variables is not None:
        declared = dict.fromkeys(variables, REAL)
    return {name: declared.get(name, REAL) for name in sorted(names)}


class _NotScalar(Exception):
    """An edited tree whose value is not one number per point."""


class _Search:
    """The points where both sides are defined, the answer's and the expected one's values
    there, and a cache of the values of every subtree of the expected one, which edited trees
    share (so that an edit costs the path from it to the root)."""

    def __init__(self, answer: Node, expected: Node, sample: Sample, positive: bool) -> None:
        from engine.checking.equivalence import ABSOLUTE_FLOOR, BOUND_SAFETY, RELATIVE_TOLERANCE

        points, (a, a_bound), (e, e_bound) = sample
        defined = np.isfinite(a) & np.isfinite(e) & np.isfinite(a_bound) & np.isfinite(e_bound)
        self.points: Points = {name: values[defined] for name, values in points.items()}
        self.count = int(defined.sum())
        self.answer_node, self.expected = answer, expected
        self.answer_values, self.expected_values = a[defined], e[defined]
        self.bounds = (a_bound + e_bound)[defined]
        self.positive_orthant = positive
        self.relative, self.safety, self.floor = RELATIVE_TOLERANCE, BOUND_SAFETY, ABSOLUTE_FLOOR
        self.cache: dict[int, tuple[Node, Array]] = {}

    @classmethod
    def prepare(
        cls, answer: Node, expected: Node, domains: Mapping[str, Domain], rng: np.random.Generator
    ) -> _Search | None:
        """The search, or None when too few points have both sides defined, or float64 can tell
        them apart at too few, or the answer agrees with the expected one at every point (there
        is nothing to say)."""
        from engine.checking.equivalence import BOUND_SAFETY, MIN_VALID_POINTS, TELLING

        positive = False
        sample = _sample(answer, expected, domains, rng, positive=False)
        if sample is None:
            positive, sample = True, _sample(answer, expected, domains, rng, positive=True)
        if sample is None:
            return None
        search = cls(answer, expected, sample, positive)
        a, e = search.answer_values, search.expected_values
        telling = BOUND_SAFETY * search.bounds <= TELLING * np.maximum(np.abs(a), np.abs(e))
        if int(telling.sum()) < MIN_VALID_POINTS or search.agree(e, a, search.bounds).all():
            return None
        search.values(expected, keep=True)
        return search

    def agree(self, values: Array, other: Array, bounds: Array) -> npt.NDArray[np.bool_]:
        """Pointwise equality within the equivalence check's tolerance (see the module's docstring)."""
        allowed = (
            self.relative * np.maximum(np.abs(values), np.abs(other)) + self.safety * bounds + self.floor
        )
        return np.asarray(np.abs(values - other) <= allowed)  # False where either is NaN

    def explains(self, node: Node) -> bool:
        """Whether the edited tree `node` equals the answer at every point, and is no no-op."""
        try:
            values = self.values(node)
        except (EngineError, ArithmeticError, ValueError, _NotScalar):
            return False
        for index in range(min(_PROBES, self.count)):  # most edits fail at once: say so cheaply
            mine, theirs = float(values[index]), float(self.answer_values[index])
            allowed = (
                self.relative * max(abs(mine), abs(theirs)) + self.safety * self.bounds[index] + self.floor
            )
            if not abs(mine - theirs) <= allowed:
                return False
        return bool(
            self.agree(values, self.answer_values, self.bounds).all()
            and not self.agree(values, self.expected_values, self.bounds).all()
        )

    def confirmed(self, node: Node, domains: Mapping[str, Domain], rng: np.random.Generator) -> bool:
        """Whether `node`, evaluated whole, equals the answer at a fresh batch of points too."""
        from engine.checking.equivalence import MIN_VALID_POINTS

        sample = _sample(self.answer_node, self.expected, domains, rng, positive=self.positive_orthant)
        if sample is None:
            return False
        points, (a, a_bound), (e, _) = sample
        try:
            c, c_bound = Rounded(points, len(a)).of(node)
        except (EngineError, ArithmeticError, ValueError, TypeError):
            return False
        defined = np.isfinite(a) & np.isfinite(e) & np.isfinite(a_bound) & np.isfinite(c_bound)
        if int(defined.sum()) < MIN_VALID_POINTS:
            return False
        return bool(self.agree(c[defined], a[defined], (a_bound + c_bound)[defined]).all())

    def values(self, node: Node, keep: bool = False) -> Array:
        """The values of `node` at the points, reusing the cached values of shared subtrees.

        The cache is keyed by identity and holds its nodes, so an id is never reused while
        cached; the subtrees an edit builds are cached only for the evaluation (`keep` caches
        them for good: the expected tree's).
        """
        local: dict[int, tuple[Node, Array]] = {}
        result = self._value(node, local)
        if keep:
            self.cache.update(local)
        if result.shape != (self.count,):
            raise _NotScalar
        return result

    def _value(self, node: Node, local: dict[int, tuple[Node, Array]]) -> Array:
        key = id(node)
        known = self.cache.get(key) or local.get(key)
        if known is not None:
            return known[1]
        if isinstance(node, BinOp) and node.op in _ARITHMETIC:
            left, right = self._value(node.left, local), self._value(node.right, local)
            if left.ndim == 1 and right.ndim == 1:
                value = _ARITHMETIC[node.op](left, right)
            else:
                value = self._evaluated(node, [left, right])
        elif isinstance(node, Name):
            value = self.points[node.name]
        elif isinstance(node, Number):
            value = np.full(self.count, float(node.text))
        elif isinstance(node, Call) and node.func in _FAST_FUNCTIONS and len(node.args) == 1:
            argument = self._value(node.args[0], local)
            value = (
                _FAST_FUNCTIONS[node.func](argument)
                if argument.ndim == 1
                else self._evaluated(node, [argument])
            )
        elif isinstance(node, Neg):
            value = -self._value(node.operand, local)
        elif isinstance(node, Constant):
            value = np.full(self.count, math.pi if node.name == "pi" else math.e)
        elif _opaque(node):
            value = self._evaluated(node, None)
        else:
            value = self._evaluated(node, [self._value(part, local) for part in children(node)])
        local[key] = (node, value)
        return value

    def _evaluated(self, node: Node, args: list[Array] | None) -> Array:
        """`node` by the engine's evaluator (so that every function means what it means there): whole
        when `args` is None, else with its children's values in place of its children."""
        if args is None:
            value = evaluate(node, self.points, batched=True)
        else:
            placeholders = tuple(Name(f"\0{index}") for index in range(len(args)))
            env = {placeholder.name: arg for placeholder, arg in zip(placeholders, args, strict=True)}
            value = evaluate(with_children(node, placeholders), env, batched=True)
        data = np.asarray(value.data, dtype=np.float64)
        if data.ndim == value.rank:  # no batch axis: the same at every point
            data = np.broadcast_to(data, (self.count, *data.shape))
        return data


_PROBES: Final = 3
"""Points compared one by one before all of them are: an edit that does not explain the answer
almost always fails at the first, and numpy's cost is in the call, not the points."""
_ARITHMETIC: Final[dict[str, Callable[[Array, Array], Array]]] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power,
}  # fmt: skip
_FAST_FUNCTIONS: Final[dict[str, Callable[[Array], Array]]] = {
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs, "sign": np.sign, "sin": np.sin,
    "cos": np.cos, "tan": np.tan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
}  # fmt: skip


def _opaque(node: Node) -> bool:
    """Nodes evaluated whole by the engine's evaluator: lists, indexing, matrix products and the
    vector functions, whose arguments are not one number per point (an index, an axis, eye(n))."""
    if isinstance(node, ListExpr | Index):
        return True
    if isinstance(node, BinOp):
        return node.op == "@"
    return isinstance(node, Call) and node.func in FUNCTIONS and not FUNCTIONS[node.func].symbolic


Sample = tuple["Points", tuple[Array, Array], tuple[Array, Array]]
"""Points, and the answer's and the expected one's values and rounding bounds there."""


def _sample(
    answer: Node, expected: Node, domains: Mapping[str, Domain], rng: np.random.Generator, *, positive: bool
) -> Sample | None:
    """Points drawn as the equivalence check draws them (over the whole domain, or with every
    variable of either sign positive), and both sides' values and rounding bounds there; None
    when fewer than the equivalence check's minimum have both sides defined."""
    from engine.checking.equivalence import MIN_VALID_POINTS, POINTS, draw

    points = {name: draw(domain, rng, POINTS, 1.0 if positive else 0.0) for name, domain in domains.items()}
    a = Rounded(points, POINTS).of(answer)
    e = Rounded(points, POINTS).of(expected)
    defined = np.isfinite(a[0]) & np.isfinite(e[0])
    if int(defined.sum()) < MIN_VALID_POINTS:
        return None
    return points, a, e


# -- numbers -----------------------------------------------------------------------------------


def _default_agrees(candidate: float, value: float) -> bool:
    """The default tolerance of a numeric card ({rtol: 5e-3, atol: 1e-6}) around `candidate`."""
    return abs(value - candidate) <= 1e-6 + 5e-3 * abs(candidate)


def diagnose_number(
    answer: float,
    expected: float,
    neighbours: Mapping[str, float] | None = None,
    *,
    agrees: Callable[[float, float], bool] = _default_agrees,
) -> Diagnosis | None:
    """What a wrong numeric answer is, when it is a value near at hand or a simple slip; else None.

    Tried in order: each of `neighbours` (name → value, in the caller's order: the values of
    a card's other steps, its givens, its reference's defaults; the name is said as written,
    "the value of m̂₁ (part 3)"), then the sign, then a factor of 2, ½, 10 and 0.1. A value
    explains the answer when `agrees(value, answer)` (is the answer within the band around
    the value: a numeric card passes its precision's band) and not `agrees(value,
    expected)` (the band tells it from the expected value). A neighbour that is not finite,
    or a whole number within ±10 (a step count, a size: it says nothing of where the answer
    came from), is not offered. None also for an answer the band accepts, or that is not finite.
    """
    if not (math.isfinite(answer) and math.isfinite(expected)) or agrees(expected, answer):
        return None
    tried: list[tuple[str, float, str]] = []
    for name, value in (neighbours or {}).items():
        if math.isfinite(value) and not (value == int(value) and abs(value) <= _SMALL_WHOLE):
            tried.append(("neighbour-value", value, f"Your answer is the value of {name}."))
    tried.append(
        ("sign-flipped", -expected, "The sign is flipped: your answer is the negative of the expected one.")
    )
    tried.extend((f"factor-{code}", factor * expected, off_by(code)) for code, factor in FACTORS)
    for edit, value, message in tried:
        if agrees(value, answer) and not agrees(value, expected):
            return Diagnosis(edit, message)
    return None
