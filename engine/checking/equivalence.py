"""Decide whether two scalar expressions are the same function: fast, right, bounded.

sympy's `simplify`/`equals` alone is slow, incomplete and can hang; graders such as
WeBWorK and Numbas compare at random points instead. We combine the two:

1. an exact pass: sympy's canonical form (cheap: no simplification) says "equal";
2. a numeric pass in float64 (`_Comparison`, below): "different here", "equal", or nothing;
3. points that fail only narrowly (within 1e-5 relative, or within a million times the
   rounding bounds below) are re-evaluated at 60 digits (mpmath, within float64's range)
   before they count, so catastrophic cancellation does not reject a right answer;
4. a bounded symbolic pass (`simplify`) only when the numeric pass cannot decide.

Every sympy call (passes 1 and 4) runs in a worker process with a deadline
(`engine.checking.timeouts`), on a tree `to_sympy` has bounded, so no answer can hold this
process: a pass that runs late is stopped and counts as undecided.

Where the points are. A difference can hide far from the origin (`max(x, 10)` and `10`)
or past the switch of a piecewise function (`where(x > 1e8, x, 0)` and `0`). So a
variable without finite ends is drawn at every scale from 1e-4 to 1e6 (`_magnitudes`; a
bounded or integer domain keeps its own sampler), and points are added on both sides of
every switch: the arguments of `abs`, `sign` and `relu`, the differences of the
arguments of `max` and `min`, `clip`'s argument minus each bound, and the two sides of
each `where` condition, in either expression, are solved for zero along each variable
(sign changes on a logarithmic grid out to 1e12, then secant and halving steps), the
other variables held where both expressions are defined; the new points lie 1e-6, 1e-3
and 0.1 of the way past each root, on each side. A point where either side is not a
finite real number (undefined there, or beyond float64's range) is not compared.

How close is equal. Each side is evaluated with a bound on its float64 rounding error at
each point (`_Rounded`, a running error analysis: `1 − tanh(x)²` at x = 20 is 0 in
float64 and 1.7e-17 in truth, and carries a bound of about 2e-15). Two values agree when
they differ by at most 1e-9 of the larger, plus twice the two bounds, plus 1e-300: the
tolerance depends on the values at that point alone, never on the function's size
elsewhere, so a constant next to `exp(10x²)` is seen wherever x is moderate. A point
whose tolerance is not small against its values (float64 cannot tell there) may show a
difference but does not count towards the 16 points needed to call two sides equal.

Where the sides are defined. They are compared where both are real numbers, so
`log(x²)` equals `2 log(x)`, and without declared domains `√(ab)` equals `√a·√b` and
`log(abcd)` equals `log a + log b + log c + log d` (on the positive orthant, the only place
where both sides are defined). When the points drawn over the whole domain leave too few
to compare, the signs of the variables that may take either sign are fixed in turn (first
the sign patterns of the points where both sides were defined, then all positive, then
fewer negatives first) and more points drawn in each such orthant, up to six rounds. An
answer undefined at every point tried where the expected one is defined is different
(`undefined`). When there are still too few points, and sympy cannot simplify the
difference to zero, the outcome is undecided (`decided` is False): neither equal nor
different.
"""

from __future__ import annotations

import functools
import itertools
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Final

import mpmath
import numpy as np
import numpy.typing as npt

from engine.checking.timeouts import Worker
from engine.errors import EngineError
from engine.expr.ast import BinOp, Call, Compare, Constant, Name, Neg, Node, Number, free_names, walk
from engine.expr.domains import REAL, Domain
from engine.expr.numeric import evaluate
from engine.expr.precise import evaluate_precisely

Array = npt.NDArray[np.float64]
Points = dict[str, Array]

POINTS: Final = 64
MIN_VALID_POINTS: Final = 16  # points that count (where float64 can tell) before "equal"
MAX_ROUNDS: Final = 6  # rounds of POINTS random points: the whole domain, then orthants
RELATIVE_TOLERANCE: Final = 1e-9
ABSOLUTE_FLOOR: Final = 1e-300
BOUND_SAFETY: Final = 2.0  # room for what the rounding bounds leave out (second-order terms)
TELLING: Final = 1e-3  # a point counts when its tolerance is below this share of its values
MARGINAL_GAP: Final = 1e-5
MARGINAL_BOUNDS: Final = 1e6  # a gap within this many rounding bounds may be float64's doing
PRECISE_DIGITS: Final = 60  # agreement is asked to 25 digits, so 35 may cancel
PRECISE_AGREEMENT: Final = 1e-25
MAX_PRECISE_POINTS: Final = 6
EXACT_DEADLINE_S: Final = 0.25
MIN_DEADLINE_S: Final = 0.1  # a sympy pass cut shorter than this would be stopped on a busy machine

# sympy runs here, never in the checking process (see the module's docstring).
SYMPY: Final = Worker(preload=("engine.expr.symbolic",), prime="engine.expr.symbolic:prime")


@dataclass(frozen=True)
class Equivalence:
    """The outcome of a comparison, with the evidence a person can check."""

    equal: bool
    method: str
    counterexample: dict[str, float] = field(default_factory=dict)
    values: tuple[float, float] | None = None  # (answer, expected) at the counterexample
    undefined: bool = False  # the answer is not a real number wherever the expected one is
    decided: bool = True
    """False when the two could not be compared (undefined almost everywhere, or beyond
    what float64 and sympy can tell): `equal` is then False, but the answer is not wrong."""


UNDECIDED: Final = "not comparable: "  # how `method` starts when undecided; the reason follows


def equivalent(
    answer: Node,
    expected: Node,
    domains: Mapping[str, Domain] | None = None,
    *,
    seed: int = 0,
    time_budget: float = 1.0,
) -> Equivalence:
    """Compare `answer` with `expected` over the variables' domains (undeclared: real):
    equal, different (with a point to show), or undecided (`decided` False)."""
    domains = dict(domains or {})
    names = sorted(free_names(answer) | free_names(expected))
    for name in names:
        domains.setdefault(name, REAL)
    started = time.perf_counter()
    facts = _assumptions(domains)
    exact_deadline = max(MIN_DEADLINE_S, min(EXACT_DEADLINE_S, time_budget / 4))
    if _in_sympy("same_canonical_form", (answer, expected, facts), exact_deadline, "the exact comparison"):
        return Equivalence(True, "identical after normalisation")
    comparison = _Comparison(answer, expected, domains, names, started + time_budget)
    outcome = comparison.run(np.random.default_rng(seed))
    if outcome is not None:
        return outcome
    remaining = max(MIN_DEADLINE_S, time_budget - (time.perf_counter() - started))
    if (
        _small_enough_to_simplify(answer)
        and _small_enough_to_simplify(expected)
        and _in_sympy("simplifies_to_zero", (answer, expected, facts), remaining, "simplify")
    ):
        return Equivalence(True, "equal by symbolic simplification")
    return Equivalence(False, UNDECIDED + comparison.why_undecided(), decided=False)


SIMPLIFY_MAX_NODES: Final = 80
SIMPLIFY_MAX_POWER: Final = 12


def _small_enough_to_simplify(node: Node) -> bool:
    """Whether sympy's simplify may be tried: a simplify that runs late costs a new worker
    (a second of start-up), so expressions that could keep it busy (big trees, high powers)
    skip it."""
    nodes = list(walk(node))
    if len(nodes) > SIMPLIFY_MAX_NODES:
        return False
    return not any(
        isinstance(current, BinOp)
        and current.op == "^"
        and isinstance(current.right, Number)
        and abs(float(current.right.text)) > SIMPLIFY_MAX_POWER
        for current in nodes
    )


Facts = dict[str, dict[str, bool]]  # what sympy may assume of each variable (positive, integer)


def _assumptions(domains: Mapping[str, Domain]) -> Facts:
    return {name: domain.sympy_assumptions() for name, domain in domains.items()}


def _in_sympy(task: str, args: tuple[Node, Node, Facts], seconds: float, what: str) -> bool:
    """Whether a sympy pass (a function of `engine.expr.symbolic`, run in the worker) says
    "equal"; False when it cannot tell: refused by the bounds of `to_sympy`, stopped at
    its deadline, or failed."""
    try:
        return bool(SYMPY.run(f"engine.expr.symbolic:{task}", args, seconds, what))
    except EngineError:
        return False


# -- where the points come from ----------------------------------------------------------------


def _magnitudes(rng: np.random.Generator, count: int) -> Array:
    """Positive numbers at every scale a difference hides at: 45% moderate (0.05 to 3),
    12% tiny (1e-4 to 0.1, where `√(v + ε)` and `√v + ε` part), 13% up to 10, and 30%
    large (10 to 1e6, log-uniform, where `max(x, 10)` and `10` part)."""
    scale = rng.uniform(size=count)
    moderate = rng.uniform(0.05, 3.0, size=count)
    tiny = 10.0 ** rng.uniform(-4.0, -1.0, size=count)
    larger = rng.uniform(3.0, 10.0, size=count)
    large = 10.0 ** rng.uniform(1.0, 6.0, size=count)
    return np.select([scale < 0.45, scale < 0.57, scale < 0.7], [moderate, tiny, larger], large)


def _either_sign(domain: Domain) -> bool:
    """Whether a variable may take either sign: its sign is then a choice the orthant search makes."""
    return not domain.integer and domain.low == -math.inf and domain.high == math.inf


def _draw(domain: Domain, rng: np.random.Generator, count: int, sign: float = 0.0) -> Array:
    """`count` points of `domain`; a variable of either sign gets `sign` (0: both)."""
    if domain.integer or (math.isfinite(domain.low) and math.isfinite(domain.high)):
        return domain.sample(rng, count)
    if math.isfinite(domain.low):
        return domain.low + _magnitudes(rng, count)
    if math.isfinite(domain.high):
        return domain.high - _magnitudes(rng, count)
    signs = rng.choice([-1.0, 1.0], size=count) if sign == 0 else np.full(count, sign)
    return signs * _magnitudes(rng, count)


def _inside(domain: Domain, values: Array) -> npt.NDArray[np.bool_]:
    low = values >= domain.low if domain.closed[0] else values > domain.low
    high = values <= domain.high if domain.closed[1] else values < domain.high
    return np.asarray(low & high)


def _sign_patterns(free: list[str], seen: Counter[tuple[float, ...]]) -> Iterator[tuple[float, ...] | None]:
    """Orthants to draw from, most promising first: those where both sides were defined,
    all positive, then fewer negative variables first; then the whole domain again (None)."""
    given: set[tuple[float, ...]] = set()
    candidates = itertools.chain(
        (pattern for pattern, _ in seen.most_common()),
        (
            tuple(-1.0 if i in negative else 1.0 for i in range(len(free)))
            for count in range(len(free) + 1)
            for negative in itertools.combinations(range(len(free)), count)
        ),
    )
    for pattern in candidates if free else ():
        if pattern not in given:
            given.add(pattern)
            yield pattern
    while True:
        yield None


# -- the numeric pass ----------------------------------------------------------------------------


class _Comparison:
    """The numeric pass: rounds of points, each compared with the tolerance described above."""

    def __init__(
        self, answer: Node, expected: Node, domains: Mapping[str, Domain], names: list[str], deadline: float
    ) -> None:
        self.answer, self.expected = answer, expected
        self.domains, self.names, self.deadline = domains, names, deadline
        self.free = [name for name in names if _either_sign(domains[name])]
        self.telling = 0  # points compared where float64 can tell
        self.defined = 0  # points where both sides are finite
        self.precise_checks = 0
        self.expected_defined_at: dict[str, float] | None = None

    def run(self, rng: np.random.Generator) -> Equivalence | None:
        """Different (with a point), equal, or None when the points cannot decide."""
        switches_done = False
        seen: Counter[tuple[float, ...]] = Counter()
        patterns: Iterator[tuple[float, ...] | None] | None = None
        for _ in range(MAX_ROUNDS):
            if patterns is None:
                points = {n: _draw(self.domains[n], rng, POINTS) for n in self.names}
            else:
                pattern = next(patterns)
                signs = dict(zip(self.free, pattern or (), strict=False))
                points = {n: _draw(self.domains[n], rng, POINTS, signs.get(n, 0.0)) for n in self.names}
            outcome, valid = self.compare(points)
            if outcome is not None:
                return outcome
            if patterns is None:
                seen.update(zip(*(np.sign(points[n][valid]) for n in self.free), strict=True))
                patterns = _sign_patterns(self.free, seen)
            if not switches_done and valid.any():
                switches_done = True
                base = {n: values[valid][:SWITCH_BASES] for n, values in points.items()}
                extra = _switch_points([self.answer, self.expected], self.domains, base, self.deadline)
                if extra:
                    outcome, _ = self.compare(extra)
                    if outcome is not None:
                        return outcome
            if self.telling >= MIN_VALID_POINTS and switches_done:
                return Equivalence(True, f"agrees at {self.telling} points")
            if time.perf_counter() >= self.deadline:
                break
        if self.expected_defined_at is not None and self.defined == 0:
            return Equivalence(False, "answer undefined", self.expected_defined_at, undefined=True)
        return None

    def why_undecided(self) -> str:
        if self.defined >= MIN_VALID_POINTS:
            return "float64 cannot evaluate them accurately enough at the points tried"
        return "they are undefined at almost every point tried"

    def compare(self, points: Points) -> tuple[Equivalence | None, npt.NDArray[np.bool_]]:
        """A difference found at `points` (None if none), and where both sides are defined."""
        count = len(next(iter(points.values()))) if points else POINTS
        a, a_bound = _Rounded(points, count).of(self.answer)
        b, b_bound = _Rounded(points, count).of(self.expected)
        a_ok, b_ok = np.isfinite(a), np.isfinite(b)
        if self.expected_defined_at is None and b_ok.any():
            self.expected_defined_at = _point(points, int(np.argmax(b_ok)))
        valid = a_ok & b_ok
        with np.errstate(invalid="ignore", over="ignore"):
            gap = np.abs(a - b)
            scale = np.maximum(np.abs(a), np.abs(b))
            bounds = a_bound + b_bound
            allowed = RELATIVE_TOLERANCE * scale + BOUND_SAFETY * bounds + ABSOLUTE_FLOOR
            failing = np.flatnonzero(valid & (gap > allowed))
            telling = valid & ((gap == 0) | (allowed <= TELLING * scale))
        # Show the most readable counterexample first: coordinates nearest magnitude 1.
        for index in failing[np.argsort(_readability(points, failing), kind="stable")]:
            point = _point(points, int(index))
            narrow = gap[index] <= MARGINAL_GAP * scale[index] + MARGINAL_BOUNDS * bounds[index]
            if narrow and self.precise_checks < MAX_PRECISE_POINTS:
                self.precise_checks += 1
                if _agree_precisely(self.answer, self.expected, point, self.deadline):
                    continue
            found = Equivalence(False, "differs at a point", point, (float(a[index]), float(b[index])))
            return found, valid
        self.telling += int(telling.sum())
        self.defined += int(valid.sum())
        return None, valid


def _readability(points: Points, indices: npt.NDArray[np.intp]) -> Array:
    """How far the coordinates of each point are from magnitude 1, in decades (lower reads better)."""
    decades = [np.abs(np.log10(np.abs(values[indices]) + 1e-300)) for values in points.values()]
    return np.max(decades, axis=0) if decades else np.zeros(len(indices))


def _point(points: Mapping[str, Array], index: int) -> dict[str, float]:
    return {name: float(values[index]) for name, values in points.items()}


def _agree_precisely(answer: Node, expected: Node, point: dict[str, float], deadline: float) -> bool:
    """Whether a narrow float64 disagreement vanishes at high precision."""
    if time.perf_counter() >= deadline:
        return False
    try:
        left = evaluate_precisely(answer, point, PRECISE_DIGITS)
        right = evaluate_precisely(expected, point, PRECISE_DIGITS)
    except EngineError:
        return False
    if not (mpmath.isfinite(left) and mpmath.isfinite(right)):
        return False
    return bool(abs(left - right) <= PRECISE_AGREEMENT * max(abs(left), abs(right)))


# -- points on both sides of every switch ----------------------------------------------------

SWITCH_BASES: Final = 2  # points (where both sides are defined) whose other coordinates are kept
MAX_SWITCHES: Final = 8  # switching arguments searched, of both sides together
MAX_SWITCH_NODES: Final = 60  # a larger argument is not searched (each step evaluates it)
MAX_ROOTS: Final = 12  # sign changes followed per argument
ROOT_STEPS: Final = 40  # evaluations of a switching argument per search, at most
_GRID: Final = 10.0 ** np.linspace(-6.0, 12.0, 73)  # four points a decade, out to 1e12
_OFFSETS: Final = np.array([-0.1, -1e-3, -1e-6, 1e-6, 1e-3, 0.1])


def _switching_arguments(node: Node) -> Iterator[Node]:
    """Expressions whose sign change switches a piece of `node`."""
    for current in walk(node):
        match current:
            case Call("abs" | "sign" | "relu", (argument,)):
                yield argument
            case Call("max" | "min", arguments) if len(arguments) > 1:
                for left, right in itertools.combinations(arguments, 2):
                    yield BinOp("-", left, right)
            case Call("clip", (x, low, high)):
                yield BinOp("-", x, low)
                yield BinOp("-", x, high)
            case Call("where", (Compare(_, left, right), _, _)):
                yield BinOp("-", left, right)


def _switch_points(
    sides: list[Node], domains: Mapping[str, Domain], base: Points, deadline: float
) -> Points | None:
    """Points just before and just after each place where a piece of either side
    switches, found along each variable with the others held at `base`."""
    found: list[Points] = []
    arguments = (a for side in sides for a in _switching_arguments(side))
    searchable = (a for a in arguments if sum(1 for _ in walk(a)) <= MAX_SWITCH_NODES and free_names(a))
    for argument in itertools.islice(searchable, MAX_SWITCHES):
        if time.perf_counter() >= deadline:
            break
        variables = [n for n in sorted(free_names(argument)) if n in base and not domains[n].integer]
        for name in variables:
            points = _around_roots(argument, name, domains[name], base)
            if points is not None:
                found.append(points)
    if not found:
        return None
    return {name: np.concatenate([points[name] for points in found]) for name in base}


def _grid(domain: Domain) -> Array:
    if math.isfinite(domain.low) and math.isfinite(domain.high):
        return domain.low + (domain.high - domain.low) * np.linspace(1e-3, 1 - 1e-3, 49)
    if math.isfinite(domain.low):
        return domain.low + _GRID
    if math.isfinite(domain.high):
        return domain.high - _GRID[::-1]
    return np.concatenate([-_GRID[::-1], [0.0], _GRID])


def _around_roots(argument: Node, name: str, domain: Domain, base: Points) -> Points | None:
    """Points on both sides of the sign changes of `argument` along `name`."""
    grid = _grid(domain)
    rows = len(next(iter(base.values())))

    def at(values: Array, row: npt.NDArray[np.intp]) -> Array:
        env = {n: v[row] for n, v in base.items()}
        env[name] = values
        try:
            result = evaluate(argument, env, batched=True)
        except EngineError:
            return np.full(len(values), np.nan)
        if result.rank != 0:
            return np.full(len(values), np.nan)
        return np.broadcast_to(result.data.astype(np.float64), (len(values),))

    row = np.repeat(np.arange(rows), len(grid))
    xs = np.tile(grid, rows)
    gs = at(xs, row)
    same_row = row[:-1] == row[1:]
    finite = np.isfinite(gs[:-1]) & np.isfinite(gs[1:])
    starts = np.flatnonzero(same_row & finite & (np.sign(gs[:-1]) * np.sign(gs[1:]) <= 0))
    if len(starts) == 0:
        return None
    if len(starts) > MAX_ROOTS:
        starts = starts[np.linspace(0, len(starts) - 1, MAX_ROOTS).astype(np.intp)]
    roots = _bracketed_roots(
        lambda v: at(v, row[starts]), xs[starts], xs[starts + 1], gs[starts], gs[starts + 1]
    )
    step = (_OFFSETS[None, :] * np.maximum(np.abs(roots), 1e-3)[:, None]).ravel()
    # Rounded to a power of ten below a quarter of the step, so a counterexample reads
    # 100000100 rather than 100000099.99998: still on the same side, as far from the switch.
    quantum = 10.0 ** np.floor(np.log10(np.abs(step) / 4))
    candidate = np.round((np.repeat(roots, len(_OFFSETS)) + step) / quantum) * quantum
    owner = np.repeat(row[starts], len(_OFFSETS))
    keep = _inside(domain, candidate)
    points = {n: v[owner[keep]] for n, v in base.items()}
    points[name] = candidate[keep]
    return points


def _bracketed_roots(g: Callable[[Array], Array], lo: Array, hi: Array, g_lo: Array, g_hi: Array) -> Array:
    """Where `g` changes sign within each [lo, hi], to about 1e-8 of its size (the points
    placed around it are 1e-6 away at the nearest): false-position steps, exact for a
    straight line, with the Illinois rule (an end kept twice has its value halved, so the
    other end moves too), and a halving every fourth step for the functions that jump."""
    lo = np.where(g_hi == 0, hi, lo)  # an end where g is 0 is the root
    hi = np.where(g_lo == 0, lo, hi)
    g_lo, g_hi = g_lo.copy(), g_hi.copy()
    kept = np.zeros(len(lo), dtype=np.int8)  # which end the last step kept: −1 lo, 1 hi
    with np.errstate(all="ignore"):
        for step in range(ROOT_STEPS):
            done = np.abs(hi - lo) <= 1e-8 * np.maximum(np.maximum(np.abs(lo), np.abs(hi)), 1e-3)
            if done.all():
                break
            middle = (lo + hi) / 2
            if step % 4 != 3:
                secant = lo - g_lo * (hi - lo) / (g_hi - g_lo)
                inside = np.isfinite(secant) & (secant > np.minimum(lo, hi)) & (secant < np.maximum(lo, hi))
                middle = np.where(inside, secant, middle)
            g_middle = g(middle)
            exact = (g_middle == 0) | done
            lo, hi = np.where(exact & ~done, middle, lo), np.where(exact & ~done, middle, hi)
            left = ~exact & (np.sign(g_middle) == np.sign(g_lo))
            right = ~exact & ~left
            g_hi = np.where(left & (kept == 1), g_hi / 2, g_hi)
            g_lo = np.where(right & (kept == -1), g_lo / 2, g_lo)
            lo, g_lo = np.where(left, middle, lo), np.where(left, g_middle, g_lo)
            hi, g_hi = np.where(right, middle, hi), np.where(right, g_middle, g_hi)
            kept = np.where(left, 1, np.where(right, -1, 0)).astype(np.int8)
    return np.asarray((lo + hi) / 2, dtype=np.float64)


# -- float64 values with a bound on their rounding error ------------------------------------------

EPS: Final = 2.0**-52  # twice the unit roundoff: what one rounded operation may lose, relatively
SUBNORMAL: Final = 2.0**-1074  # what one rounding may lose, absolutely, near zero
LIBRARY_ULPS: Final = 4.0  # numpy's and math's functions are within a few ulps of the exact value
_TWO_53: Final = 2.0**53
_ERF: Final = np.frompyfunc(math.erf, 1, 1)
_ERFC: Final = np.frompyfunc(math.erfc, 1, 1)
_SQRT_PI: Final = math.sqrt(math.pi)

Rounded = tuple[Array, Array]  # float64 values, and a bound on how far each is from the exact value


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


class _Rounded:
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

    def of(self, node: Node) -> Rounded:
        """Values and bounds at every point (non-finite bounds become inf)."""
        done: dict[int, Rounded] = {}
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

    def step(self, node: Node, args: list[Rounded]) -> Rounded:
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

    def function(self, name: str, arg: Rounded) -> Rounded:
        u, e = arg
        value_of, moves = _FUNCTIONS[name]
        r = value_of(u)
        if name == "Phi":  # its argument is rounded once more inside, as −x/√2
            e = e + EPS * np.abs(u)
        near = np.maximum(np.abs(u) - e, 0.0)
        rounding = 0.0 if name in _EXACT_FUNCTIONS else LIBRARY_ULPS * EPS * np.abs(r) + SUBNORMAL
        return r, moves(u, e, r, near) + rounding

    def opaque(self, node: Node) -> Rounded:
        value = evaluate(node, self.points, batched=True)
        if value.rank != 0:
            raise EngineError("expected a single number, not a vector")
        data = value.data.astype(np.float64)
        return data, LIBRARY_ULPS * EPS * sum(1 for _ in walk(node)) * np.abs(data)


def _parts(node: Node) -> tuple[Node, ...] | None:
    """The sub-expressions `_Rounded` evaluates before `node` (None: `node` is opaque)."""
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


def _add(a: Rounded, b: Rounded) -> Rounded:
    (x, ex), (y, ey) = a, b
    r = x + y
    # The rounding error of the sum itself, exactly (Knuth's two-sum).
    y_part = r - x
    error = np.abs((x - (r - y_part)) + (y - y_part))
    error = np.where(np.isfinite(error), error, EPS * np.abs(r))
    return r, ex + ey + error


def _subtract(a: Rounded, b: Rounded) -> Rounded:
    return _add(a, (-b[0], b[1]))


def _multiply(a: Rounded, b: Rounded) -> Rounded:
    (x, ex), (y, ey) = a, b
    r = x * y
    exact = _integer(x) & _integer(y) & (np.abs(r) < _TWO_53)
    return r, np.abs(x) * ey + np.abs(y) * ex + ex * ey + _rounding(r, exact)


def _divide(a: Rounded, b: Rounded) -> Rounded:
    (x, ex), (y, ey) = a, b
    r = x / y
    exact = _integer(r) & _integer(y) & _integer(x) & (r * y == x)
    moved = (np.abs(x) * ey + np.abs(y) * ex) / (np.abs(y) * (np.abs(y) - ey))
    return r, np.where(np.abs(y) > ey, moved, np.inf) + _rounding(r, exact)


def _power(a: Rounded, b: Rounded) -> Rounded:
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


_ARITHMETIC: Final[dict[str, Callable[[Rounded, Rounded], Rounded]]] = {
    "+": _add,
    "-": _subtract,
    "*": _multiply,
    "/": _divide,
    "^": _power,
}
_RELATIONS: Final[dict[str, Callable[[Array, Array], npt.NDArray[np.bool_]]]] = {
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "=": np.equal,
}  # fmt: skip


def _where(op: str, left: Rounded, right: Rounded, then: Rounded, otherwise: Rounded) -> Rounded:
    """The branch the condition picks; where rounding could flip the condition, the bound
    covers the other branch too."""
    chosen = _RELATIONS[op](left[0], right[0])
    value = np.where(chosen, then[0], otherwise[0])
    reach = left[1] + right[1]
    may_flip = (reach > 0) & (np.abs(left[0] - right[0]) <= reach)
    either = np.abs(then[0] - otherwise[0]) + then[1] + otherwise[1]
    return value, np.where(may_flip, either, np.where(chosen, then[1], otherwise[1]))
