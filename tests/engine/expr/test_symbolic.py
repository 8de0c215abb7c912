"""The sympy converter: exact where that is cheap, and bounded before sympy computes anything.

sympy folds constants as it builds, so an exponent that looks symbolic to the parser can
reach it as a huge number (`2^(1e9 + x − x)`), and some of its own rewritings make powers
(exp(k·log 2) = 2^k). Each must be refused at once, whatever shape it takes; the exact
comparison is then skipped and the numeric one decides.
"""

from __future__ import annotations

import time

import pytest
import sympy as sp

from engine.errors import ExpressionError
from engine.expr.parser import parse_with_variables
from engine.expr.symbolic import symbol, to_sympy

X = symbol("x")


def converted(text: str) -> object:
    return to_sympy(parse_with_variables(text, ["x", "y"]))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sqrt(8)", 2 * sp.sqrt(2)),
        ("2^10", sp.Integer(1024)),
        ("(2x)^3", 8 * X**3),
        ("exp(3*log(2))", sp.Integer(8)),
        ("e^(3 log(2) + x - x)", sp.Integer(8)),
        ("(2^(3x))^(1/x)", sp.Integer(8)),
        ("2^(1000 + x - x)", sp.Integer(2) ** 1000),
        ("floor(exp(10 + x - x))", sp.Integer(22026)),
        ("max(exp(700), x)", sp.Max(sp.exp(700), X)),
        ("where(x > 0, 1, 0)", sp.Piecewise((1, X > 0), (0, True))),
        ("0.1", sp.Rational(1, 10)),
        ("(3/7)^50", sp.Rational(3, 7) ** 50),
        ("1^(1e300 + x - x)", sp.Integer(1)),
        ("x^(1e300 + y - y)", X ** (sp.Integer(10) ** 300)),  # a power of a symbol costs nothing
    ],
)
def test_exact_where_exact_is_cheap(text: str, expected: object) -> None:
    assert converted(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2^(1e300 + x - x)", "too large to compute exactly"),
        ("2^(1e9 + x - x)", "too large to compute exactly"),
        ("(2x)^(1e9 + x - x)", "too large to compute exactly"),
        ("(x - x + 2)^(1e9 + x - x)", "too large to compute exactly"),
        ("(1.000001 + x - x)^(1e6 + x - x)", "too large to compute exactly"),
        ("(2^(1000x))^(1e6/x)", "too large to compute exactly"),
        ("2^(3x)*2^(1e9 - 3x)", "too large to compute exactly"),
        ("2^(1e9 - 3x)/2^(-3x)", "too large to compute exactly"),
        ("exp(1e9*log(2) + x - x)", "too large to compute exactly"),
        ("e^((1e9 + x - x)*log(2))", "too large to compute exactly"),
        ("sinh((1e9 + x - x)*log(2))", "too large to compute exactly"),
        ("sigmoid(-(1e9 + x - x)*log(2))", "too large to compute exactly"),
        ("cosh(123456789012345678901234567890^0.89)", "a root of a number with more than 20 bits"),
        ("(123456789012345678901234567890 + x - x)^(1/3)", "a root of a number with more than 20 bits"),
        ("floor(exp(exp(10 + x - x)))", "too large (beyond 10^308)"),
        ("max(exp(exp(exp(10 + x - x))), x)", "too large (beyond 10^308)"),
        ("exp(1000)", "too large (beyond 10^308)"),
        ("1e300 * 1e300 * x / x", "too large (beyond 10^308)"),
        ("relu(0/0)", "not a real number"),
        ("max(x, 1/0)", "too large (beyond 10^308) or infinite"),
        ("sqrt(-2 + x - x)", "not a real number"),
        ("log(-1)", "not a real number"),
        ("where(0/0 > x, 1, 2)", "not a real number"),
    ],
)
def test_what_sympy_would_compute_for_too_long_is_refused_at_once(text: str, reason: str) -> None:
    started = time.perf_counter()
    with pytest.raises(
        ExpressionError, match=reason.replace("^", r"\^").replace("(", r"\(").replace(")", r"\)")
    ):
        converted(text)
    assert time.perf_counter() - started < 1.0


def test_vectors_have_no_place_in_a_symbolic_answer() -> None:
    with pytest.raises(ExpressionError, match="vectors and matrices"):
        converted("[x, 1]")
    with pytest.raises(ExpressionError, match="works on vectors"):
        converted("sum(x)")
