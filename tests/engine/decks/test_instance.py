"""Givens, samplers and placeholders."""

from __future__ import annotations

import numpy as np
import pytest

from engine.decks.cards import Given
from engine.decks.instance import (
    GivenError,
    draw_values,
    fill_placeholders,
    format_value,
    instance_rng,
    parse_sampler,
    placeholders,
    plan_givens,
)


def draw(**specs: object) -> dict[str, np.ndarray]:
    plans = plan_givens([Given(name, spec, i + 1) for i, (name, spec) in enumerate(specs.items())])
    return draw_values(plans, instance_rng("deck/card", 0))


def test_fixed_drawn_and_derived_givens() -> None:
    values = draw(
        lr=0.1,
        theta=[1.0, -2.0],
        x="uniform(-3, 3)",
        n="randint(1, 5)",
        beta="choice(0.9, 0.99)",
        w="normal(0, 1, shape=[2, 3])",
        eps="loguniform(1e-6, 1e-3)",
        y="x^2 + 1",
        lr2="1e-3",
    )
    assert values["lr"] == 0.1
    assert values["theta"].tolist() == [1.0, -2.0]
    assert -3 <= values["x"] <= 3
    assert values["x"] == round(float(values["x"]), 2)
    assert float(values["n"]) in {1, 2, 3, 4, 5}
    assert float(values["beta"]) in {0.9, 0.99}
    assert values["w"].shape == (2, 3)
    assert 1e-6 <= values["eps"] <= 1e-3
    assert values["y"] == pytest.approx(values["x"] ** 2 + 1)
    assert values["lr2"] == 1e-3  # only one letter or a Greek name takes a digit subscript


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("uniform(3, -3)", "empty range"),
        ("uniform(1)", "takes 2 numbers"),
        ("normal(0, -1)", "positive standard deviation"),
        ("uniform(0, 1, size=3)", "takes shape= and decimals="),
        ("uniform(0, 1, shape=[0])", "bad shape"),
        ("loguniform(0, 1)", "positive bounds"),
        ("x + 1", "unknown name 'x'"),
        ("__import__('os')", "unexpected character"),
        # Numbers a draw could not use: numpy failed on them deep inside, with a traceback.
        ("randint(0, 10^100)", r"randint\(\) takes finite numbers within ±1e15, got 1e100"),
        ("uniform(0, 1/0)", "got ∞"),
        ("normal(0, 0/0)", "got NaN"),
        ("randint(0.5, 3)", "whole-number bounds"),
        ("uniform(0, 1, decimals=0/0)", "decimals= must be a whole number from 0 to 15, got NaN"),
        ("uniform(0, 1, decimals=-1)", "from 0 to 15"),
        ("uniform(0, 1, decimals=2.5)", "from 0 to 15"),
        ("uniform(0, 1, shape=[2.5])", "bad shape"),
        ("uniform(0, 1, shape=[1, 1, 1, 1, 1])", "at most 4 positive sizes"),
        (f"uniform(0, 1, shape=[{'9' * 5000}])", "bad shape"),
        ("uniform(0, sum(1))", r"in uniform\(\): "),
        (1e400, "a fixed value must be a finite number"),
        (10**400, "a fixed value must be a finite number"),
    ],
)
def test_bad_givens_are_explained(spec: object, message: str) -> None:
    with pytest.raises(GivenError, match=message) as raised:
        plan_givens([Given("v", spec, 3)])
    assert raised.value.line == 3


def test_sampler_calls_are_recognised_only_for_samplers() -> None:
    assert parse_sampler("uniform(-1, 1, decimals=3)") is not None
    assert parse_sampler("sqrt(2)") is None


def test_placeholders_skip_latex_groups() -> None:
    text = r"At $x = {x}$, $\frac{x}{2}$ and $e^{x}$ and $\beta_{1}$ and \mathrm{x}; {beta1}"
    assert placeholders(text) == ["x", "beta1"]
    filled = fill_placeholders(text, {"x": np.float64(0.5), "beta_1": np.float64(0.9)})
    assert filled == r"At $x = 0.5$, $\frac{x}{2}$ and $e^{x}$ and $\beta_{1}$ and \mathrm{x}; 0.9"


def test_numbers_are_formatted_for_reading() -> None:
    assert format_value(np.array([[1.0, 0.5], [-2.0, 1e-8]])) == "[[1, 0.5], [-2, 1e-8]]"
    assert format_value(np.float64(0.123456789)) == "0.123457"


def test_term_placeholders_write_a_polynomial_as_a_person_would() -> None:
    text = r"$f(x, y) = {a*x^2} {+b*xy} {+c*y^2} {+d}$"
    assert placeholders(text) == ["a", "b", "c", "d"]

    def filled(a: float, b: float, c: float, d: float) -> str:
        values = {name: np.float64(v) for name, v in zip("abcd", (a, b, c, d), strict=True)}
        return fill_placeholders(text, values)

    assert filled(1, -2, 3, -4) == r"$f(x, y) = x^2 - 2xy + 3y^2 - 4$"
    assert filled(-1, 1, -1, 0.5) == r"$f(x, y) = -x^2 + xy - y^2 + 0.5$"
    assert filled(2.5, 0, -0.5, 0) == r"$f(x, y) = 2.5x^2 - 0.5y^2$"  # zero terms left out, spaces too
    assert filled(0, 0, 0, 0) == r"$f(x, y) = 0$"  # a leading 0 stays: the sum is never empty


def test_a_plain_placeholder_keeps_its_sign_and_the_space_before_it() -> None:
    values = {"b": np.float64(-2), "p": np.array([1.0, -0.5])}
    assert fill_placeholders("x + {b} and {p}", values) == "x + -2 and [1, -0.5]"
    assert fill_placeholders("{+p*u}", values) == "+ [1, -0.5]u"  # a vector has no sign to move
    assert fill_placeholders(r"$\frac{b*x}{2}$ and {+q}", values) == r"$\frac{b*x}{2}$ and {+q}"
