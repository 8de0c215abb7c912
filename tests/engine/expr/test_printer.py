"""The printer: how the tool tells a person what it read. The output must show the
structure the parser chose, and it must read back as the same expression."""

from __future__ import annotations

import pytest

from engine.checking.equivalence import equivalent
from engine.errors import ExpressionError
from engine.expr.ast import BinOp, Call, Name, Neg, Number
from engine.expr.parser import ParseOptions, parse
from engine.expr.printer import to_unicode

VARIABLES = frozenset(
    {"x", "y", "z", "m", "v", "t", "lr", "eps", "beta_1", "beta_2", "m_hat", "v_hat", "theta_t"}
)
OPTIONS = ParseOptions(variables=VARIABLES)


def shown(text: str) -> str:
    return to_unicode(parse(text, OPTIONS))


@pytest.mark.parametrize(
    ("text", "read_as"),
    [
        ("σ(x)(1-σ(x))", "σ(x)·(1 − σ(x))"),
        ("\\sigma(x)\\left(1-\\sigma(x)\\right)", "σ(x)·(1 − σ(x))"),
        ("1/2x", "1/(2·x)"),
        ("-x^2", "−x²"),
        ("(-x)^2", "(−x)²"),
        ("beta_1*m", "β₁·m"),
        ("\\frac12 x", "(1/2)·x"),
        ("\\frac{1}{1+e^{-x}}", "1/(1 + e^(−x))"),
        ("1-\\tanh^2(x)", "1 − tanh(x)²"),
        ("x/2(1+x)", "x/(2·(1 + x))"),
        ("x/y*z", "(x/y)·z"),
        ("x/(y/z)", "x/(y/z)"),
        ("x-(y-z)", "x − (y − z)"),
        ("(x-y)-z", "x − y − z"),
        ("x - -y", "x − (−y)"),
        ("x*(-y)", "x·(−y)"),
        ("2^3^2", "2^(3²)"),
        ("(x^y)^z", "(x^y)^z"),
        ("x^-1", "x^(−1)"),
        ("sqrt(x)^2", "(√x)²"),
        ("sqrt(x^2)", "√(x²)"),
        ("√2/2", "√2/2"),
        ("sqrt(x+1)", "√(x + 1)"),
        ("|x|", "|x|"),
        ("\\lvert x - y \\rvert", "|x − y|"),
        ("lr*m/sqrt(v+eps)", "lr·m/√(v + ε)"),
        ("lr*m_hat/(sqrt(v_hat)+eps)", "lr·m̂/(√v̂ + ε)"),
        ("m/(1-beta_1^t)", "m/(1 − β₁^t)"),
        ("\\theta_t", "θ_t"),
        ("x Phi(x)", "x·Φ(x)"),
        ("relu(x) + sign(x) + log(x)", "ReLU(x) + sgn(x) + ln(x)"),
        ("where(x >= 0, 1, 0)", "where(x ≥ 0, 1, 0)"),
        ("[0.5, 0.25]", "[0.5, 0.25]"),
        ("[[1, 0], [0, 1]] @ [x, y]", "[[1, 0], [0, 1]] @ [x, y]"),
        ("v[0]", "v[0]"),
        ("xy^2", "x·y²"),
    ],
)
def test_read_as(text: str, read_as: str) -> None:
    assert shown(text) == read_as


ROUND_TRIP = [
    "σ(x)(1-σ(x))",
    "\\frac{1}{1+e^{-x}}",
    "1-\\tanh^2(x)",
    "sech(x)^2",
    "x Phi(x) + x/2(1+erf(x/sqrt(2)))",
    "0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3)))",
    "x σ(1.702x)",
    "σ(x)(1 + x(1 - σ(x)))",
    "log(1 + exp(x))",
    "lr*m/sqrt(v+eps)",
    "lr*m_hat/(sqrt(v_hat)+eps)",
    "\\frac{\\hat{m}}{\\sqrt{\\hat{v}}+\\epsilon}",
    "m/(1-beta_1^t)",
    "beta_2 v + (1-beta_2) x^2",
    "sqrt(x)^2",
    "sqrt(x^2)",
    "√x^3 + √(x^3)",
    "-x^2",
    "(-x)^2",
    "-(x - y)",
    "x - -y",
    "x * -y / -z",
    "2^-x",
    "2^3^2",
    "(x^y)^z",
    "x^(1/3)",
    "\\sqrt[3]{x}",
    "e^(-x^2/2)/sqrt(2pi)",
    "|x - |y||",
    "||x|·|y||",
    "|x|^2 - |x^2|",
    "x⁻¹ + x^-2",
    "1/2x + (1/2)x",
    "x/y/z - x/(y/z)",
    "clip(x, -1, 1) + max(0, x) - min(x, y, z)",
    "where(x > 0, x, 0.01x)",
    "log(x, 2) + ln(y)",
    "θ_t - lr * x",
    "β₁m + (1 − β₁)x",
    "xy^2 - xe^x",
    "sin^2(x) + \\cos^2 x",
    "relu(x) sign(x) abs(x) softplus(x)",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_printed_form_reads_back_as_the_same_expression(text: str) -> None:
    tree = parse(text, OPTIONS)
    printed = to_unicode(tree)
    again = parse(printed, OPTIONS)
    assert equivalent(again, tree).equal, printed
    # And printing is a fixed point: what we show is exactly what we read back.
    assert to_unicode(again) == printed


def test_round_trip_of_every_node_shape() -> None:
    """Trees the parser never builds from these strings, but that must still print readably."""
    x, y = Name("x"), Name("y")
    trees = [
        BinOp("^", Call("sqrt", (x,)), Neg(Number("2"))),
        BinOp("*", x, BinOp("*", y, Neg(x))),
        BinOp("/", Neg(x), Neg(y)),
        Neg(Neg(BinOp("^", x, y))),
        BinOp("-", Neg(x), BinOp("+", x, y)),
        BinOp("^", BinOp("^", x, Number("2")), Number("3")),
        BinOp("^", Neg(x), BinOp("/", Number("1"), Number("2"))),
    ]
    for tree in trees:
        printed = to_unicode(tree)
        again = parse(printed, OPTIONS)
        assert equivalent(again, tree).equal, printed
        assert to_unicode(again) == printed


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("log(x, 10)", "log₁₀(x)"),
        ("log(x, 2)", "log₂(x)"),
        ("log(x, 1000)", "log₁₀₀₀(x)"),
        ("log(x + 1, b)", "log_b(x + 1)"),
        ("log(x, e)", "log_e(x)"),
        ("log(x, 2.5)", "log(x, 2.5)"),
        ("log(x, b + 1)", "log(x, b + 1)"),
        ("log(x, beta1)", "log(x, β₁)"),
        ("log(x)", "ln(x)"),
    ],
)
def test_a_logarithm_shows_its_base_and_reads_back(text: str, shown: str) -> None:
    node = parse(text)
    assert to_unicode(node) == shown
    assert parse(shown) == node


def test_a_subscripted_log_takes_one_argument() -> None:
    with pytest.raises(ExpressionError, match="takes one argument"):
        parse("log_2(x, 3)")
