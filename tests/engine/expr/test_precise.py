"""The high-precision evaluator: float64's answers, to many more digits, in bounded time."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from engine.errors import EvaluationError
from engine.expr.numeric import evaluate
from engine.expr.parser import parse_with_variables
from engine.expr.precise import evaluate_precisely

NAMES = ["x", "y"]


def precise(text: str, digits: int = 60, **point: float) -> object:
    return evaluate_precisely(parse_with_variables(text, NAMES), point, digits)


@pytest.mark.parametrize(
    "text",
    [
        "sigmoid(x)*(1 - sigmoid(x))",
        "x Phi(x)",
        "softplus(x) - log(1 + exp(x))",
        "tanh(x)^2 + sech(x)^2",
        "clip(x, -1, 1) + relu(x) + max(x, y, 0) + min(x, y)",
        "where(x > 0, x, 0.01x) + sign(x) + abs(x) + floor(x)",
        "log(x^2, 2) + sqrt(x^2) + x^3/(1 + y^2)",
        "sin(x) cos(y) + tan(x/3) + sinh(x) - cosh(y) + erf(x)",
    ],
)
def test_agrees_with_float64_where_float64_is_accurate(text: str) -> None:
    node = parse_with_variables(text, NAMES)
    for x, y in [(0.3, -1.2), (-2.5, 0.7), (1.7, 2.0)]:
        expected = float(evaluate(node, {"x": x, "y": y}).data)
        got = float(evaluate_precisely(node, {"x": x, "y": y}, 60))
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_keeps_the_digits_float64_cancels() -> None:
    """(1 + 1e-20·x) − 1 is 0 in float64 and 1e-20·x here."""
    node = parse_with_variables("(1 + 1e-20 x) - 1", NAMES)
    assert float(evaluate(node, {"x": 3.0}).data) == 0.0
    assert float(evaluate_precisely(node, {"x": 3.0}, 60)) == pytest.approx(3e-20, rel=1e-15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sqrt(x)", math.nan),
        ("log(x)", math.nan),
        ("x^0.5", math.nan),
        ("log(0*x)", -math.inf),
        ("1/(x - x)", math.inf),
        ("(0*x)/(0*x)", math.nan),
        ("exp(exp(exp(-x)))", math.inf),  # 10^64 digits if computed exactly: infinite, as in float64
        ("exp(-exp(exp(-x)))", 0.0),
        ("sinh(1e300 x)", -math.inf),
        ("cosh(1e300 x)", math.inf),
        ("sech(1e300 x)", 0.0),
        ("tanh(exp(exp(-x)))", 1.0),
        ("sin(exp(exp(exp(-x))))", math.nan),
        ("1e300 * 1e300 / x", -math.inf),
        ("sigmoid(-exp(-x*1000))", 0.0),
        ("softplus(exp(-x*1000))", math.inf),
    ],
)
def test_stays_real_and_within_float64s_range_in_bounded_time(text: str, expected: float) -> None:
    started = time.perf_counter()
    value = float(precise(text, x=-5.0))
    assert time.perf_counter() - started < 0.5
    np.testing.assert_equal(value, expected)


def test_only_scalars() -> None:
    with pytest.raises(EvaluationError, match="only scalar expressions"):
        precise("sum([x, 1])", x=1.0)
    with pytest.raises(EvaluationError, match="no value for 'y'"):
        precise("x + y", x=1.0)
