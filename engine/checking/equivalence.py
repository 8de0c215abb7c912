"""Decide whether two scalar expressions are the same function: fast, right, bounded.

sympy's `simplify`/`equals` alone is slow, incomplete and can hang; graders such as
WeBWorK and Numbas compare at random points instead. We combine the two:

1. an exact pass: sympy's canonical form (cheap: no simplification) says "equal";
2. a numeric pass: both sides in float64 at many random non-integer points drawn over
   each variable's domain at several scales, keeping the points where both are real and
   defined and resampling when too few are; the tolerance is tight (1e-9 relative, plus
   1e-12 of the function's typical size), so near misses such as the tanh-approximate
   GELU (1e-4 apart) are told apart;
3. points that fail only narrowly are re-evaluated at high precision (mpmath, at a fixed
   precision and within float64's range) before they count, so catastrophic cancellation
   in float64 does not reject a right answer;
4. a bounded symbolic pass (`simplify`) only when the numeric pass has too few points to
   decide.

Every sympy call (passes 1 and 4) runs in a worker process with a deadline
(`engine.checking.timeouts`), on a tree `to_sympy` has bounded, so no answer can hold this process:
a pass that runs late is stopped and counts as undecided.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import mpmath
import numpy as np
import numpy.typing as npt

from engine.checking.timeouts import Worker
from engine.errors import EngineError
from engine.expr.ast import BinOp, Node, Number, free_names, walk
from engine.expr.domains import REAL, Domain
from engine.expr.numeric import evaluate
from engine.expr.precise import evaluate_precisely

POINTS: Final = 64
MIN_VALID_POINTS: Final = 16
RESAMPLE_ROUNDS: Final = 3
RELATIVE_TOLERANCE: Final = 1e-9
ABSOLUTE_FLOOR: Final = 1e-12
MARGINAL_GAP: Final = 1e-5
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


def equivalent(
    answer: Node,
    expected: Node,
    domains: Mapping[str, Domain] | None = None,
    *,
    seed: int = 0,
    time_budget: float = 1.0,
) -> Equivalence:
    """Compare `answer` with `expected` over the variables' domains."""
    domains = dict(domains or {})
    names = sorted(free_names(answer) | free_names(expected))
    for name in names:
        domains.setdefault(name, REAL)
    started = time.perf_counter()
    facts = _assumptions(domains)
    exact_deadline = max(MIN_DEADLINE_S, min(EXACT_DEADLINE_S, time_budget / 4))
    if _in_sympy("same_canonical_form", (answer, expected, facts), exact_deadline, "the exact comparison"):
        return Equivalence(True, "identical after normalisation")
    outcome = _numeric_comparison(answer, expected, domains, names, seed, started + time_budget)
    if outcome is not None:
        return outcome
    remaining = max(MIN_DEADLINE_S, time_budget - (time.perf_counter() - started))
    if (
        _small_enough_to_simplify(answer)
        and _small_enough_to_simplify(expected)
        and _in_sympy("simplifies_to_zero", (answer, expected, facts), remaining, "simplify")
    ):
        return Equivalence(True, "equal by symbolic simplification")
    return Equivalence(False, "not comparable: the expressions are undefined at almost every point tried")


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


def _sample(
    domains: Mapping[str, Domain], names: list[str], rng: np.random.Generator, count: int
) -> dict[str, npt.NDArray[np.float64]]:
    return {name: domains[name].sample(rng, count) for name in names}


def _values(node: Node, points: Mapping[str, npt.NDArray[np.float64]], count: int) -> npt.NDArray[np.float64]:
    value = evaluate(node, points, batched=True)
    if value.rank != 0:
        raise EngineError("expected a single number, not a vector")
    return np.broadcast_to(value.data.astype(np.float64), (count,))


def _numeric_comparison(
    answer: Node,
    expected: Node,
    domains: Mapping[str, Domain],
    names: list[str],
    seed: int,
    deadline: float,
) -> Equivalence | None:
    rng = np.random.default_rng(seed)
    checked = 0
    precise_checks = 0
    answer_defined_somewhere = False
    expected_defined_at: dict[str, float] | None = None
    for _ in range(RESAMPLE_ROUNDS):
        points = _sample(domains, names, rng, POINTS)
        a = _values(answer, points, POINTS)
        b = _values(expected, points, POINTS)
        a_ok, b_ok = np.isfinite(a), np.isfinite(b)
        answer_defined_somewhere |= bool(a_ok.any())
        if expected_defined_at is None and b_ok.any():
            expected_defined_at = _point(points, int(np.argmax(b_ok)))
        valid = a_ok & b_ok
        with np.errstate(invalid="ignore"):  # inf − inf where both overflow: not compared
            gap = np.abs(a - b)
        scale = np.maximum(np.abs(a), np.abs(b))
        # The absolute floor, relative to the function's typical size, forgives float64
        # underflow in the tails (1 + erf(−9) is 0 in float64, 2e-37 in truth).
        typical = float(np.median(scale[valid])) if valid.any() else 0.0
        allowed = RELATIVE_TOLERANCE * scale + ABSOLUTE_FLOOR * typical + 1e-300
        failing = np.flatnonzero(valid & (gap > allowed))
        # Show the most readable counterexample first: coordinates nearest magnitude 1.
        readability = [_readability(_point(points, int(i))) for i in failing]
        failing = failing[np.argsort(readability, kind="stable")]
        for index in failing:
            point = _point(points, int(index))
            narrow = gap[index] <= MARGINAL_GAP * scale[index]
            if narrow and precise_checks < MAX_PRECISE_POINTS:
                precise_checks += 1
                if _agree_precisely(answer, expected, point, deadline):
                    continue
            return Equivalence(False, "differs at a random point", point, (float(a[index]), float(b[index])))
        checked += int(valid.sum())
        if checked >= MIN_VALID_POINTS:
            return Equivalence(True, f"agrees at {checked} random points")
    if expected_defined_at is not None and not answer_defined_somewhere:
        return Equivalence(False, "answer undefined", expected_defined_at, undefined=True)
    return None


def _readability(point: Mapping[str, float]) -> float:
    return max((abs(np.log10(abs(v) + 1e-300)) for v in point.values()), default=0.0)


def _point(points: Mapping[str, npt.NDArray[np.float64]], index: int) -> dict[str, float]:
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
