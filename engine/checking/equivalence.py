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
and 0.1 of the way past each root, on each side (`engine.checking.switches`). A point
where either side is not a finite real number (undefined there, or beyond float64's
range) is not compared.

How close is equal. Each side is evaluated with a bound on its float64 rounding error at
each point (`engine.expr.rounding.Rounded`, a running error analysis: `1 − tanh(x)²` at
x = 20 is 0 in float64 and 1.7e-17 in truth, and carries a bound of about 2e-15). Two
values agree when they differ by at most 1e-9 of the larger, plus twice the two bounds,
plus 1e-300: the tolerance depends on the values at that point alone, never on the
function's size elsewhere, so a constant next to `exp(10x²)` is seen wherever x is
moderate. A point whose tolerance is not small against its values (float64 cannot tell
there) may show a difference but does not count towards the 16 points needed to call two
sides equal.

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

import itertools
import math
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

import mpmath
import numpy as np
import numpy.typing as npt

from engine.checking.switches import SWITCH_BASES, switch_points
from engine.checking.timeouts import Worker
from engine.errors import EngineError
from engine.expr.ast import BinOp, Node, Number, free_names, walk
from engine.expr.domains import REAL, Domain
from engine.expr.precise import evaluate_precisely
from engine.expr.rounding import Array, Points, Rounded

POINTS: Final = 64
MIN_VALID_POINTS: Final = 16  # points that count (where float64 can tell) before "equal"
MAX_ROUNDS: Final = 6  # rounds of POINTS random points: the whole domain, then orthants
RELATIVE_TOLERANCE: Final = 1e-9
ABSOLUTE_FLOOR: Final = 1e-300
BOUND_SAFETY: Final = 2.0  # room for what the rounding bounds leave out (second-order terms)
TELLING: Final = 1e-3  # a point counts when its tolerance is below this share of its values
TELLING_SHARE: Final = 0.5
"""Of the points where both sides are defined, the share that must count before "equal":
where rounding bounds swamp most points (an overflow inside one side), the few that count
may be only those where the two happen to meet (tanh(x) = 1 at large x). Equal pairs in the
test corpora tell at 65% of their points or more."""
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


def draw(domain: Domain, rng: np.random.Generator, count: int, sign: float = 0.0) -> Array:
    """`count` points of `domain`; a variable of either sign gets `sign` (0: both)."""
    if domain.integer or (math.isfinite(domain.low) and math.isfinite(domain.high)):
        return domain.sample(rng, count)
    if math.isfinite(domain.low):
        return domain.low + _magnitudes(rng, count)
    if math.isfinite(domain.high):
        return domain.high - _magnitudes(rng, count)
    signs = rng.choice([-1.0, 1.0], size=count) if sign == 0 else np.full(count, sign)
    return signs * _magnitudes(rng, count)


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
                points = {n: draw(self.domains[n], rng, POINTS) for n in self.names}
            else:
                pattern = next(patterns)
                signs = dict(zip(self.free, pattern or (), strict=False))
                points = {n: draw(self.domains[n], rng, POINTS, signs.get(n, 0.0)) for n in self.names}
            outcome, valid = self.compare(points)
            if outcome is not None:
                return outcome
            if patterns is None:
                seen.update(zip(*(np.sign(points[n][valid]) for n in self.free), strict=True))
                patterns = _sign_patterns(self.free, seen)
            if not switches_done and valid.any():
                switches_done = True
                base = {n: values[valid][:SWITCH_BASES] for n, values in points.items()}
                extra = switch_points([self.answer, self.expected], self.domains, base, self.deadline)
                if extra:
                    outcome, _ = self.compare(extra)
                    if outcome is not None:
                        return outcome
            if (
                self.telling >= MIN_VALID_POINTS
                and self.telling >= TELLING_SHARE * self.defined
                and switches_done
            ):
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
        a, a_bound = Rounded(points, count).of(self.answer)
        b, b_bound = Rounded(points, count).of(self.expected)
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
