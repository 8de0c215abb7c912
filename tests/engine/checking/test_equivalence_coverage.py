"""Where the equivalence check looks, in both directions and at many seeds.

A difference far from the origin or past a switch of a piecewise function is found at
every seed; a small constant next to a large function, or a factor of 1.0001, too; right
answers whose float64 values cancel, and identities that hold only where both sides are
defined (`log(abcd)`, `√(ab)` without declared domains), are accepted at every seed; and
what cannot be compared is undecided, not wrong. The float64 error bounds that the
tolerance rests on are checked against 400-digit arithmetic.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from engine.checking.equivalence import BOUND_SAFETY, UNDECIDED, draw, equivalent
from engine.expr.domains import REAL
from engine.expr.numeric import evaluate
from engine.expr.parser import parse_with_variables
from engine.expr.precise import evaluate_precisely
from engine.expr.rounding import Rounded
from tests.engine.checking.test_equivalence import (
    EQUIVALENT_FORMS,
    NAMES,
    WRONG_ANSWERS,
    assert_counterexample_is_real,
    compare,
)

SEEDS = range(1, 51)  # 50 seeds besides the 0 that test_equivalence uses


def rejected_at_every_seed(answer: str, expected: str, domains: dict[str, str] | None = None) -> None:
    for seed in SEEDS:
        outcome = compare(answer, expected, domains, seed=seed)
        assert outcome.decided, (seed, outcome)
        assert_counterexample_is_real(answer, expected, outcome)


def accepted_at_every_seed(answer: str, expected: str, domains: dict[str, str] | None = None) -> None:
    for seed in SEEDS:
        outcome = compare(answer, expected, domains, seed=seed)
        assert outcome.equal, (seed, outcome)


# -- differences far from the origin, and past the switches of piecewise functions -------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("abs(x + 10) - 10", "abs(x + 11) - 11"),  # apart only for x < −10
        ("max(x, 10)", "10"),
        ("min(x, -10)", "-10"),
        ("relu(x - 10)", "0"),
        ("clip(x, -10, 10)", "x"),
        ("clip(x, -10, 10)", "clip(x, -10, 20)"),  # the upper bound alone
        ("clip(x, -20, 10)", "clip(x, -10, 10)"),  # the lower bound alone
        ("where(x > 20, x, 0)", "0"),
        ("sign(x - 15)", "sign(x)"),
        # Huber with δ = 15 is a²/2 only within |a| ≤ 15.
        ("where(abs(a) <= 15, a^2/2, 15*(abs(a) - 7.5))", "a^2/2"),
        # Past any random sample: found only by solving for the switch.
        ("where(x > 1e8, x, 0)", "0"),
        ("max(x, 1e9)", "1e9"),
        ("relu(x - 3e7)", "0"),
        ("clip(x, -1e10, 1e10)", "x"),
        ("min(x, y + 1e8)", "x"),
    ],
)
def test_a_piecewise_difference_far_from_the_origin_is_found_at_every_seed(
    answer: str, expected: str
) -> None:
    rejected_at_every_seed(answer, expected)
    rejected_at_every_seed(expected, answer)


def test_a_switch_beyond_the_samples_is_shown_just_past_it() -> None:
    outcome = compare("where(x > 1e8, x, 0)", "0")
    assert 1e8 < outcome.counterexample["x"] < 1.2e8
    assert outcome.counterexample["x"] == round(outcome.counterexample["x"], -1)  # rounded: it reads well


# -- the tolerance is pointwise: a constant next to a large function is seen ----------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("exp(10x^2) + 1", "exp(10x^2)"),
        ("exp(20x^2) + 1", "exp(20x^2)"),
        ("exp(20x^2) + 1e-3", "exp(20x^2)"),
        ("cosh(5x) + 0.01", "cosh(5x)"),
        ("x^8 + 1e-6", "x^8"),
        ("1.0001*x^3", "x^3"),
        ("x^3 + 1e-4*x^3", "x^3"),
    ],
)
def test_a_small_difference_next_to_a_large_function_is_found_at_every_seed(
    answer: str, expected: str
) -> None:
    rejected_at_every_seed(answer, expected)


def test_no_absolute_floor_forgives_a_small_function() -> None:
    for seed in SEEDS:
        outcome = compare("1e-13*x", "0", seed=seed)
        assert outcome.decided, seed
        assert not outcome.equal, seed


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        # float64 gets 0 for 1 − tanh²(x) beyond x ≈ 19, and 0·e^(2x) is not 4.
        ("exp(2x)*(1 - tanh(x)^2)", "4/(1 + exp(-2x))^2"),
        ("1e6*(1 - tanh(x)^2)", "1e6*sech(x)^2"),
        ("1e12*σ(x)(1 - σ(x))", "1e12*exp(-x)/(1 + exp(-x))^2"),
        ("(x + 1)^5 - x^5", "5x^4 + 10x^3 + 10x^2 + 5x + 1"),
        ("cosh(x)^2 - sinh(x)^2", "1"),
        ("sin(x)^2 + cos(x)^2 - 1", "0"),
        ("softplus(x) - x", "softplus(-x)"),
        ("log(sigmoid(x))", "-softplus(-x)"),
        ("x Phi(x)", "(x/2)(1 + erf(x/sqrt(2)))"),
        ("(-1)^(t + 1)", "-cos(pi t)"),
    ],
)
def test_a_right_answer_that_float64_cancels_is_accepted_at_every_seed(answer: str, expected: str) -> None:
    domains = {"t": "positive integer"} if "t" in answer else {}
    accepted_at_every_seed(answer, expected, domains)


# -- identities that hold where both sides are defined, with no declared domain ------------------

BIAS_CORRECTED = "lr*m*sqrt(1 - beta_2^t)/((1 - beta_1^t)*sqrt(v))"
BIAS_CORRECTED_AS_WRITTEN = "lr*(m/(1 - beta_1^t))/sqrt(v/(1 - beta_2^t))"
ADAM_NAMES = ["lr", "m", "v", "t", "beta_1", "beta_2"]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("log(a*b*c*d)", "log(a) + log(b) + log(c) + log(d)"),
        ("log(a/b)", "log(a) - log(b)"),
        ("log(a^2*b)", "2log(a) + log(b)"),
        # Equal on the positive quadrant, the only place where √a·√b is a real number:
        # the comparison is over the points where both sides are real.
        ("sqrt(a*b)", "sqrt(a)*sqrt(b)"),
        ("sqrt(a/b)", "sqrt(a)/sqrt(b)"),
        ("sqrt(a*b*c)", "sqrt(a)*sqrt(b)*sqrt(c)"),
    ],
)
def test_identities_on_the_common_domain_are_accepted_at_every_seed(answer: str, expected: str) -> None:
    accepted_at_every_seed(answer, expected)
    accepted_at_every_seed(expected, answer)


def test_adam_bias_correction_written_two_ways_is_accepted_at_every_seed() -> None:
    answer = parse_with_variables(BIAS_CORRECTED, ADAM_NAMES)
    expected = parse_with_variables(BIAS_CORRECTED_AS_WRITTEN, ADAM_NAMES)
    for seed in SEEDS:
        assert equivalent(answer, expected, seed=seed).equal, seed


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("log(a*b*c*d)", "log(a) + log(b) + log(c) + 2log(d)"),
        ("sqrt(a*b)", "sqrt(a)*sqrt(b) + 1e-6"),
        ("log(a/b)", "log(a) + log(b)"),
    ],
)
def test_a_wrong_identity_on_the_common_domain_is_rejected_at_every_seed(answer: str, expected: str) -> None:
    rejected_at_every_seed(answer, expected)


def test_adam_bias_correction_upside_down_is_rejected_at_every_seed() -> None:
    upside_down = "lr*m*sqrt(1 - beta_1^t)/((1 - beta_2^t)*sqrt(v))"
    answer = parse_with_variables(upside_down, ADAM_NAMES)
    expected = parse_with_variables(BIAS_CORRECTED_AS_WRITTEN, ADAM_NAMES)
    for seed in SEEDS:
        outcome = equivalent(answer, expected, seed=seed)
        assert outcome.decided, (seed, outcome)
        assert not outcome.equal, (seed, outcome)


# -- what cannot be compared is undecided, never wrong -------------------------------------------


def test_sides_defined_nowhere_are_undecided() -> None:
    for seed in range(10):
        outcome = compare("sqrt(-1 - x^2)", "sqrt(-2 - x^2)", seed=seed)
        assert not outcome.equal
        assert not outcome.decided
        assert outcome.method.startswith(UNDECIDED)
        assert not outcome.counterexample


def test_an_answer_defined_only_where_the_expected_one_is_not_is_wrong() -> None:
    """Not undecided: at every point tried where the expected answer is a number, the
    answer is not."""
    for seed in range(10):
        outcome = compare("log(-x)", "log(x)", seed=seed)
        assert outcome.decided
        assert outcome.undefined
        assert outcome.counterexample["x"] > 0


# -- the existing pairs, at 50 more seeds ---------------------------------------------------------


@pytest.mark.parametrize(("answer", "expected", "domains"), EQUIVALENT_FORMS)
def test_each_equivalent_form_is_accepted_at_every_seed(
    answer: str, expected: str, domains: dict[str, str]
) -> None:
    accepted_at_every_seed(answer, expected, domains)


@pytest.mark.parametrize(("answer", "expected", "domains"), WRONG_ANSWERS)
def test_each_wrong_answer_is_rejected_at_every_seed(
    answer: str, expected: str, domains: dict[str, str]
) -> None:
    rejected_at_every_seed(answer, expected, domains)


# -- the float64 error bounds -----------------------------------------------------------------


BOUNDED = [
    "σ(x)(1 - σ(x))",
    "exp(-x)/(1 + exp(-x))^2",
    "1 - tanh(x)^2",
    "exp(2x)*(1 - tanh(x)^2)",
    "x/2 (1 + erf(x/sqrt(2)))",
    "x Phi(x)",
    "(x + 1)^5 - x^5 - 5x^4",
    "log(x^2) - 2log(abs(x))",
    "sqrt(x^2 + 1) - abs(x)",
    "x^(1/3) - x^0.3333",
    "(x + 0.1)^3 / (x - 0.1)",
    "sinh(x) - x",
    "cosh(x/10) - 1",
    "tan(x) - x",
    "sech(x)^2 * x",
    "softplus(x) - x",
    "log(1 + exp(x)) - x",
    "where(x > 0.3, x - 0.3, 0.3 - x)",
    "clip(x, -2, 2) - max(-2, min(x, 2))",
    "relu(x - 0.1) + floor(x) + sign(x)",
    "log(abs(x) + 1, 2) - x/3",
]


@pytest.mark.parametrize("text", BOUNDED)
def test_the_rounding_bound_covers_the_float64_error(text: str) -> None:
    """At points over every scale, the float64 value (the one `engine.expr.numeric` gives)
    is within the bound of the exact value (400 digits, enough for any cancellation within
    float64's range)."""
    node = parse_with_variables(text, NAMES)
    points = {"x": draw(REAL, np.random.default_rng(7), 150)}
    value, bound = Rounded(points, 150).of(node)
    plain = evaluate(node, points, batched=True).data
    assert np.array_equal(value, np.broadcast_to(plain, value.shape), equal_nan=True)
    for index in np.flatnonzero(np.isfinite(value)):
        exact = evaluate_precisely(node, {"x": float(points["x"][index])}, 400)
        if not mpmath.isfinite(exact):
            continue
        error = abs(float(exact - value[index]))
        assert error <= BOUND_SAFETY * bound[index] + 1e-300, (float(points["x"][index]), error, bound[index])


def test_a_bound_says_where_float64_cannot_tell() -> None:
    """1 − tanh²(40) is 0 in float64 and 7e-35 in truth: the bound says so, so that point
    neither rejects nor counts towards "equal"."""
    node = parse_with_variables("1 - tanh(x)^2", NAMES)
    value, bound = Rounded({"x": np.array([0.5, 40.0])}, 2).of(node)
    assert value[1] == 0.0
    assert 1e-17 < bound[1] < 1e-14
    assert bound[0] < 1e-15
