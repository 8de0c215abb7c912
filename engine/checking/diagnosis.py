"""Say what a wrong answer got wrong, when it is one small edit away from the right one.

A wrong answer is named when it matches a mistake somebody wrote down (a card's `mistakes`,
its torch reference's). Most other wrong answers are still one slip away from the right
one: a sign, a factor of 2, a term or a factor left out, ε on the wrong side of a square
root, β where 1 − β belongs. This module searches those slips, after a wrong verdict, and
names the one that explains the answer, or says nothing.

Formulas (`diagnose`). The search edits the expected expression tree once, in every way
listed in `EDITS`, in this order of priority (the simpler and the likelier slip first):

1. `sign-flipped`: the whole answer negated;
2. `dropped-factor`: one factor of a product left out, in a numerator or a denominator
   (the bias correction (1 − β₁ᵗ) of m/(1 − β₁ᵗ));
3. `dropped-term`: one term of a sum left out (any sum in the tree);
4. `term-sign-flipped`: the sign of one term;
5. `factor-2`, `factor-0.5`, `factor-10`, `factor-0.1`: the whole answer times a factor;
6. `swapped-variables`: two variables exchanged everywhere;
7. `eps-inside-sqrt`, `eps-outside-sqrt`: a term moved into or out of a square root
   (√v + ε ↔ √(v + ε));
8. `one-minus`: a subexpression 1 − x replaced by x, or a decay rate (a variable named
   beta…, alpha…, momentum… or rho…) replaced by 1 minus it;
9. `exponent-off-by-one`: an exponent n made n + 1 or n − 1 (β₁ᵗ⁺¹);
10. `swapped-arguments`: the two sides of a subtraction, division or power, or two
    arguments of a function, exchanged;
11. `term-factor-2`, `term-factor-0.5`, `term-factor-10`, `term-factor-0.1`: one term
    times a factor;
12. `sqrt-removed`, `square-removed`, `sqrt-added`, `square-added`: a square root or a
    square left out, or added to a subexpression;
13. `constant-factor`: the answer is the expected one times some other constant (the
    ratio of the two is the same at every point).

Where two edits give the same expression, the first in this order is said: σ(x) for
σ(x)(1 − σ(x)) is without the factor (1 − σ(x)) before it is without the term −σ(x) of that
factor, and x − y for y − x is the sign of the whole before the sides of a subtraction. Two
degenerate edits are left to the clearer one: an exponent 2 made 1 is a square left out, and a
term moved out of a square root is not one that would leave only a constant under it
(√(1 − α) is not √1 − α).

The relations the answer may have with the expected one are searched through these
edits: a difference that is a single term of the expected sum (−t is a dropped term, −2t
its sign flipped, +t the term counted twice: `term-factor-2`), and a ratio that is a single
factor of the expected product (1/f is a dropped factor of the numerator, f of the
denominator; f, or 1/f for a denominator's, is that factor squared: `square-added`).

Nothing is claimed that is not verified. Each edited expression is evaluated (numpy,
batched) at the points the equivalence check would draw (`engine.checking.equivalence`:
its `draw` over the variables' domains, at every scale, with the positive orthant tried
when too few points are defined), and explains the answer only when the two agree at every
point where the answer and the expected one are real numbers, within the equivalence
check's pointwise tolerance (1e-9 of the larger, plus twice the float64 rounding bounds of
the answer and the expected one). An edit that agrees with the expected answer everywhere
(a no-op) is never claimed, nor is anything for an answer that agrees with the expected one
at every point. The first edit that explains the answer, in the order above, is checked
again at a fresh batch of points before it is said. Where two different edits both
explain an answer, they are the same function at every point, and the order above says
which is told.

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

import itertools
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from engine.errors import EngineError
from engine.expr.ast import (
    BinOp,
    Call,
    Compare,
    Constant,
    Index,
    ListExpr,
    Name,
    Neg,
    Node,
    Number,
    children,
    free_names,
    walk,
)
from engine.expr.domains import REAL, Domain
from engine.expr.names import FUNCTIONS
from engine.expr.numeric import evaluate
from engine.expr.printer import to_unicode
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

AUTO_MISTAKE: Final = "auto:"
"""How `Verdict.mistake` names a diagnosed edit (`auto:factor-2`), apart from the mistakes decks name."""
DEFAULT_BUDGET_S: Final = 0.05
FACTORS: Final = (("2", 2.0), ("0.5", 0.5), ("10", 10.0), ("0.1", 0.1))
_FACTOR_WORDS: Final = {
    "2": ("2", "twice"),
    "0.5": ("2", "half"),
    "10": ("10", "ten times"),
    "0.1": ("10", "a tenth of"),
}
DECAY_PREFIXES: Final = ("beta", "alpha", "momentum", "rho")
"""Variables whose name starts with one of these are rates that learners confuse with 1 minus
themselves (β₁ and 1 − β₁ in Adam's moments, RMSprop's α, a momentum, Adadelta's ρ)."""
_ORDINALS: Final = (
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
)
_SMALL_WHOLE: Final = 10
"""A neighbouring value that is a whole number this small (a step count t = 1, a size n = 4)
says nothing of where an answer came from, and is not offered as its origin."""


@dataclass(frozen=True)
class Diagnosis:
    """What a wrong answer got wrong: a stable code (`EDITS`) and a sentence for the learner."""

    edit: str
    message: str


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
            for candidate in _candidates(expected, search):
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


@dataclass(frozen=True)
class _Candidate:
    """One edited expression: its code, its tree, and (only when said) its message."""

    edit: str
    node: Node
    describe: Callable[[], str]


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
            value = evaluate(_with_children(node, placeholders), env, batched=True)
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


# -- the edits, in order of priority ------------------------------------------------------------


Path = tuple[int, ...]


@dataclass(frozen=True)
class _Place:
    """A node of the expected tree, where it is, and what holds it."""

    path: Path
    node: Node
    parent: _Place | None

    @property
    def index(self) -> int:
        return self.path[-1]


def _places(root: Node) -> list[_Place]:
    """Every node of `root`, parents before children, each with its path."""
    found: list[_Place] = []
    stack = [_Place((), root, None)]
    while stack:
        place = stack.pop()
        found.append(place)
        kids = children(place.node)
        stack.extend(_Place((*place.path, i), kid, place) for i, kid in reversed(list(enumerate(kids))))
    return found


def _with_children(node: Node, kids: tuple[Node, ...]) -> Node:
    match node:
        case Neg():
            return Neg(kids[0])
        case BinOp(op, _, _, implicit):
            return BinOp(op, kids[0], kids[1], implicit)
        case Compare(op):
            return Compare(op, kids[0], kids[1])
        case Call(func):
            return Call(func, kids)
        case ListExpr():
            return ListExpr(kids)
        case Index():
            return Index(kids[0], kids[1])
    return node


def _replace(root: Node, path: Path, new: Node) -> Node:
    """`root` with the node at `path` replaced by `new` (only the nodes above it are rebuilt)."""
    if not path:
        return new
    kids = list(children(root))
    kids[path[0]] = _replace(kids[path[0]], path[1:], new)
    return _with_children(root, tuple(kids))


def _is_sum(node: Node) -> bool:
    return isinstance(node, BinOp) and node.op in ("+", "-")


def _is_product(node: Node) -> bool:
    return isinstance(node, BinOp) and node.op in ("*", "/")


def _negated(node: Node) -> Node:
    return node.operand if isinstance(node, Neg) else Neg(node)


def _text(node: Node) -> str:
    return to_unicode(node)


def _signed(negative: bool, term: Node) -> str:
    """A term as a sum shows it, with its sign: −2·y (a product needs no parentheses), −(a + b)."""
    text = to_unicode(term)
    if not negative:
        return text
    wrapped = _is_sum(term) or isinstance(term, Neg) or text.startswith("-")
    return f"−({text})" if wrapped else f"−{text}"


def _piece(node: Node) -> str:
    """A factor as a sentence shows it: a sum or a negative in parentheses, (1 − β₁ᵗ)."""
    text = to_unicode(node)
    wrapped = _is_sum(node) or isinstance(node, Neg) or (isinstance(node, Number) and text.startswith("-"))
    return f"({text})" if wrapped else text


@dataclass(frozen=True)
class _Term:
    """A term of a sum: its place, whether it is subtracted, the sum it belongs to, and its rank there."""

    place: _Place
    negative: bool
    chain: _Place
    ordinal: int

    @property
    def shown(self) -> str:
        return _signed(self.negative, self.place.node)


@dataclass(frozen=True)
class _Factor:
    """A factor of a product: its place, whether it divides, and the product it belongs to."""

    place: _Place
    denominator: bool
    chain: _Place


def _terms(places: list[_Place]) -> list[_Term]:
    """The terms of every sum of the tree: each operand of a `+` or `−` that does not continue its
    chain (a + b − c is the terms a, b and −c; a − (b + c) the terms a and −(b + c), and b and c
    of the group b + c)."""
    found: list[_Term] = []
    for place in places:
        parent = place.parent
        if parent is None or not _is_sum(parent.node) or (place.index == 0 and _is_sum(place.node)):
            continue
        assert isinstance(parent.node, BinOp)
        chain = parent
        while chain.parent is not None and _is_sum(chain.parent.node) and chain.index == 0:
            chain = chain.parent
        ordinal = [id(term) for _, term in _signed_terms(chain.node)].index(id(place.node))
        found.append(_Term(place, parent.node.op == "-" and place.index == 1, chain, ordinal))
    return found


def _signed_terms(node: Node) -> list[tuple[bool, Node]]:
    """The terms of a chain of `+` and `−`, each with whether it is subtracted, in order."""
    terms: list[tuple[bool, Node]] = []
    while isinstance(node, BinOp) and node.op in ("+", "-"):
        terms.append((node.op == "-", node.right))
        node = node.left
    terms.append((False, node))
    return terms[::-1]


def _build_sum(terms: list[tuple[bool, Node]]) -> Node:
    (first_negative, first), *rest = terms
    built: Node = Neg(first) if first_negative else first
    for negative, term in rest:
        built = BinOp("-" if negative else "+", built, term)
    return built


def _factors(places: list[_Place]) -> list[_Factor]:
    """The factors of every product of the tree, numerator's and denominator's (a·b/(c·d) has
    the factors a and b, and c·d, c and d in the denominator)."""
    found: list[_Factor] = []
    for place in places:
        parent = place.parent
        if parent is None or not _is_product(parent.node) or (place.index == 0 and _is_product(place.node)):
            continue
        divides = False
        step: _Place = place
        while step.parent is not None and _is_product(step.parent.node):
            assert isinstance(step.parent.node, BinOp)
            divides ^= step.parent.node.op == "/" and step.index == 1
            step = step.parent
        found.append(_Factor(place, divides, step))
    return found


def _holder(place: _Place) -> _Place:
    assert place.parent is not None
    return place.parent


def _dropped(place: _Place) -> Node:
    """The operation holding `place`, without it: a − b without a is −b; a/b without a is 1/b."""
    assert place.parent is not None and isinstance(place.parent.node, BinOp)
    operation = place.parent.node
    if place.index == 1:
        return operation.left
    if operation.op == "-":
        return _negated(operation.right)
    if operation.op == "/":
        return BinOp("/", Number("1"), operation.right)
    return operation.right


def _candidates(expected: Node, search: _Search) -> Iterator[_Candidate]:
    """Every single edit of `expected`, lazily, in the order of priority of the module's docstring."""
    places = _places(expected)
    terms = _terms(places)
    factors = _factors(places)
    words = _Words(_text(expected))
    yield _Candidate("sign-flipped", _negated(expected), partial(str, SIGN_FLIPPED))
    for factor in factors:
        holder = _holder(factor.place)
        dropped = _replace(expected, holder.path, _dropped(factor.place))
        yield _Candidate("dropped-factor", dropped, partial(words.dropped_factor, factor))
    for term in terms:
        holder = _holder(term.place)
        dropped = _replace(expected, holder.path, _dropped(term.place))
        yield _Candidate("dropped-term", dropped, partial(words.dropped_term, term))
    for term in terms:
        flipped = _replace(expected, term.place.path, _negated(term.place.node))
        yield _Candidate("term-sign-flipped", flipped, partial(words.term_sign, term))
    for code, _ in FACTORS:
        yield _Candidate(f"factor-{code}", BinOp("*", Number(code), expected), partial(_off_by, code))
    for first, second in itertools.combinations(sorted(free_names(expected)), 2):
        swapped = _swap_names(expected, first, second)
        yield _Candidate("swapped-variables", swapped, partial(_swapped_names, first, second))
    yield from _square_root_moves(expected, places)
    yield from _one_minus(expected, places)
    for place in places:
        node = place.node
        if isinstance(node, BinOp) and node.op == "^":
            for step in (1, -1):
                exponent = _shifted(node.right, step)
                if exponent == Number("1"):
                    continue  # x² read as x: a square left out, said as such below
                shifted = BinOp("^", node.left, exponent)
                yield _Candidate(
                    "exponent-off-by-one",
                    _replace(expected, place.path, shifted),
                    partial(_in_place, "The exponent is off by one", shifted, node),
                )
    for place in places:
        for new, what in _swaps(place.node):
            yield _Candidate(
                "swapped-arguments",
                _replace(expected, place.path, new),
                partial(_in_place, what, new, place.node),
            )
    for term in terms:
        for code, _ in FACTORS:
            scaled = _replace(expected, term.place.path, BinOp("*", Number(code), term.place.node))
            yield _Candidate(f"term-factor-{code}", scaled, partial(words.term_factor, term, code))
    yield from _roots_and_squares(expected, places)
    ratio = _constant_ratio(search)
    if ratio is not None:
        yield _Candidate(
            "constant-factor", BinOp("*", Number(repr(ratio)), expected), partial(_times_constant, ratio)
        )


SIGN_FLIPPED: Final = "The sign is flipped: your answer is the negative of the expected one."


@dataclass(frozen=True)
class _Words:
    """The sentences that name a term or a factor, in the words of the expected answer `whole`."""

    whole: str

    def context(self, part: str, chain: _Place) -> str:
        """Where a piece is, when its text alone does not say (it appears more than once)."""
        if chain.parent is None or self.whole.count(part) <= 1:
            return ""
        return f" (in {_text(chain.node)})"

    def dropped_term(self, term: _Term) -> str:
        return f"Your answer is the expected one without the term {term.shown}{self.context(term.shown, term.chain)}."

    def dropped_factor(self, factor: _Factor) -> str:
        where = " in the denominator" if factor.denominator else ""
        context = self.context(_text(factor.place.node), factor.chain)
        return (
            f"Your answer is the expected one without the factor {_piece(factor.place.node)}{where}{context}."
        )

    def term_sign(self, term: _Term) -> str:
        return (
            f"The sign of the {_ordinal(term.ordinal)} term ({term.shown}){_of_sum(term.chain)} is flipped."
        )

    def term_factor(self, term: _Term, code: str) -> str:
        size, how = _FACTOR_WORDS[code]
        return (
            f"The {_ordinal(term.ordinal)} term ({term.shown}){_of_sum(term.chain)} is off by a factor of"
            f" {size}: your answer has {how} it."
        )


def _of_sum(chain: _Place) -> str:
    """The sum a term is counted in, when it is not the whole answer."""
    return "" if chain.parent is None else f" of {_text(chain.node)}"


def _ordinal(index: int) -> str:
    return _ORDINALS[index] if index < len(_ORDINALS) else f"{index + 1}th"


def _off_by(code: str) -> str:
    size, how = _FACTOR_WORDS[code]
    return f"Off by a factor of {size}: your answer is {how} the expected one."


def _swapped_names(first: str, second: str) -> str:
    return f"{_text(Name(first))} and {_text(Name(second))} are swapped."


def _in_place(lead: str, new: Node, old: Node) -> str:
    return f"{lead}: {_text(new)} in place of {_text(old)}."


def _times_constant(ratio: float) -> str:
    return f"Your answer is the expected one times {_constant_text(ratio)}."


def _swap_names(node: Node, first: str, second: str) -> Node:
    """`node` with the variables `first` and `second` exchanged everywhere."""
    match node:
        case Name(name) if name in (first, second):
            return Name(second if name == first else first)
        case Name() | Number() | Constant():
            return node
    kids = children(node)
    swapped = tuple(_swap_names(kid, first, second) for kid in kids)
    if all(new is old for new, old in zip(swapped, kids, strict=True)):
        return node  # unchanged: its value is the expected tree's, already known
    return _with_children(node, swapped)


def _shifted(exponent: Node, step: int) -> Node:
    """An exponent plus `step` (±1): a number stays a number (x³ for x², not x^(2 + 1))."""
    number: float | None = None
    if isinstance(exponent, Number):
        number = float(exponent.text)
    elif isinstance(exponent, Neg) and isinstance(exponent.operand, Number):
        number = -float(exponent.operand.text)
    if number is None or not math.isfinite(number):
        return BinOp("+" if step > 0 else "-", exponent, Number("1"))
    value = number + step
    text = str(int(abs(value))) if value == int(value) and abs(value) < 1e15 else repr(abs(value))
    return Number(text) if value >= 0 else Neg(Number(text))


def _swaps(node: Node) -> Iterator[tuple[Node, str]]:
    """`node` with two of its operands exchanged, where the order matters, and what to call that."""
    if isinstance(node, BinOp) and node.op in _SWAPPED_SIDES:
        yield BinOp(node.op, node.right, node.left), _SWAPPED_SIDES[node.op]
    elif isinstance(node, Call) and node.func not in ("min", "max") and len(node.args) > 1:
        # where(c, a, b): its branches, never its condition with a branch
        first = 1 if node.func == "where" else 0
        for i, j in itertools.combinations(range(first, len(node.args)), 2):
            args = list(node.args)
            args[i], args[j] = args[j], args[i]
            yield Call(node.func, tuple(args)), f"Two arguments of {FUNCTIONS[node.func].display} are swapped"


_SWAPPED_SIDES: Final = {
    "-": "The two sides of the subtraction are swapped",
    "/": "The fraction is upside down",
    "^": "The base and the exponent are swapped",
}


def _square_root_moves(expected: Node, places: list[_Place]) -> Iterator[_Candidate]:
    """A term added to a square root moved inside it (√v + ε → √(v + ε)), and a term inside a
    square root moved out (√(v + ε) → √v + ε). A term u that holds a square root or an absolute
    value without being one (√(1 − α)·|g|) takes ε inside as √(u² + ε), which is √((1 − α)g² + ε)."""
    for place in places:
        node = place.node
        continues = place.parent is not None and _is_sum(place.parent.node) and place.index == 0
        if _is_sum(node) and not continues:
            for new, shown, rooted in _moved_inside(_signed_terms(node)):
                formula = (node, new) if rooted else None
                yield _Candidate(
                    "eps-inside-sqrt",
                    _replace(expected, place.path, new),
                    partial(_root_move, shown, "inside", formula),
                )
        if isinstance(node, Call) and node.func == "sqrt" and _is_sum(node.args[0]):
            terms = _signed_terms(node.args[0])
            for j, (negative, moved) in enumerate(terms):
                rest = [term for k, term in enumerate(terms) if k != j]
                if not any(free_names(term) for _, term in rest):
                    continue  # √(1 − α) is not √1 − α: nothing that varies would stay under the root
                new = BinOp("-" if negative else "+", Call("sqrt", (_build_sum(rest),)), moved)
                shown = _signed(negative, moved)
                yield _Candidate(
                    "eps-outside-sqrt",
                    _replace(expected, place.path, new),
                    partial(_root_move, shown, "outside", (node, new)),
                )


def _moved_inside(terms: list[tuple[bool, Node]]) -> Iterator[tuple[Node, str, bool]]:
    """Each sum with one term moved under another that is (or holds) a square root: the new sum,
    the moved term as shown, and whether the root was a term itself (√v, not √(1 − α)·|g|)."""
    for i, (negative, root) in enumerate(terms):
        rooted = isinstance(root, Call) and root.func == "sqrt"
        if negative or not (rooted or _holds_root(root)):
            continue
        for j, (moved_negative, moved) in enumerate(terms):
            if j == i:
                continue
            op = "-" if moved_negative else "+"
            under = root.args[0] if isinstance(root, Call) and rooted else BinOp("^", root, Number("2"))
            inside = Call("sqrt", (BinOp(op, under, moved),))
            rest = [(False, inside) if k == i else term for k, term in enumerate(terms) if k != j]
            yield _build_sum(rest), _signed(moved_negative, moved), rooted


def _root_move(shown: str, where: str, formula: tuple[Node, Node] | None) -> str:
    said = f"This is the expected answer with {shown} {where} the square root"
    if formula is None:
        return said + "."
    old, new = formula
    return f"{said}: {_text(new)} in place of {_text(old)}."


def _holds_root(node: Node) -> bool:
    return any(isinstance(n, Call) and n.func in ("sqrt", "abs") for n in walk(node))


def _one_minus(expected: Node, places: list[_Place]) -> Iterator[_Candidate]:
    """1 − x read as x, and a decay rate β read as 1 − β (everywhere, then at each place)."""
    for place in places:
        node = place.node
        if isinstance(node, BinOp) and node.op == "-" and node.left == Number("1"):
            yield _Candidate(
                "one-minus",
                _replace(expected, place.path, node.right),
                partial(_with_instead, node.right, node),
            )
    for name in sorted(free_names(expected)):
        if not name.startswith(DECAY_PREFIXES):
            continue
        spots = [place for place in places if place.node == Name(name)]
        complement = BinOp("-", Number("1"), Name(name))
        everywhere = expected
        for spot in reversed(spots):  # the deepest and last first: the paths of the others stay valid
            everywhere = _replace(everywhere, spot.path, complement)
        yield _Candidate("one-minus", everywhere, partial(_with_instead, complement, Name(name)))
        if len(spots) > 1:
            for spot in spots:
                yield _Candidate(
                    "one-minus",
                    _replace(expected, spot.path, complement),
                    partial(_with_instead, complement, Name(name), " in one of its places"),
                )


def _with_instead(new: Node, old: Node, where: str = "") -> str:
    return f"This is the expected answer with {_text(new)} in place of {_text(old)}{where}."


def _roots_and_squares(expected: Node, places: list[_Place]) -> Iterator[_Candidate]:
    """A square root or a square left out, then one added to a subexpression that varies."""
    for place in places:
        node = place.node
        if isinstance(node, Call) and node.func == "sqrt":
            yield _Candidate(
                "sqrt-removed",
                _replace(expected, place.path, node.args[0]),
                partial(_in_place, "Your answer is missing the square root", node.args[0], node),
            )
    for place in places:
        node = place.node
        if isinstance(node, BinOp) and node.op == "^" and node.right == Number("2"):
            yield _Candidate(
                "square-removed",
                _replace(expected, place.path, node.left),
                partial(_in_place, "Your answer is missing the square", node.left, node),
            )
    varies: set[int] = set()  # the nodes that hold a variable, children before parents
    for place in reversed(places):
        if isinstance(place.node, Name) or any(id(kid) in varies for kid in children(place.node)):
            varies.add(id(place.node))
    varying = [place for place in places if id(place.node) in varies and not isinstance(place.node, Compare)]
    for place in varying:
        root: Node = Call("sqrt", (place.node,))
        yield _Candidate(
            "sqrt-added",
            _replace(expected, place.path, root),
            partial(_in_place, "Your answer takes a square root the expected one does not", root, place.node),
        )
    for place in varying:
        square: Node = BinOp("^", place.node, Number("2"))
        yield _Candidate(
            "square-added",
            _replace(expected, place.path, square),
            partial(_in_place, "Your answer squares what the expected one does not", square, place.node),
        )


def _constant_ratio(search: _Search) -> float | None:
    """The answer's ratio to the expected one where it looks constant (then checked as any edit is)."""
    a, e = search.answer_values, search.expected_values
    usable = e != 0
    if not usable.any():
        return None
    ratio = float(np.median(a[usable] / e[usable]))
    if not math.isfinite(ratio) or ratio == 0.0 or abs(ratio - 1.0) < 1e-9:
        return None
    return ratio


def _constant_text(ratio: float) -> str:
    """A ratio as a person writes it: 3/2, −1/3, √(1/3), else its digits."""
    fraction = Fraction(ratio).limit_denominator(100)
    if abs(float(fraction) - ratio) <= 1e-9 * abs(ratio):
        return str(fraction).replace("-", "−")
    square = Fraction(ratio * ratio).limit_denominator(100)
    if abs(float(square) - ratio * ratio) <= 1e-9 * ratio * ratio:
        inside = str(square) if square.denominator == 1 else f"({square})"
        return ("−" if ratio < 0 else "") + "√" + inside
    return f"{ratio:.6g}".replace("-", "−")


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
    tried.extend((f"factor-{code}", factor * expected, _off_by(code)) for code, factor in FACTORS)
    for edit, value, message in tried:
        if agrees(value, answer) and not agrees(value, expected):
            return Diagnosis(edit, message)
    return None
