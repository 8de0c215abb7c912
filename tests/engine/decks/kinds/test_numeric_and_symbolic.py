"""Checking answers on every card kind: verdicts, tolerances, shapes, named mistakes."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from engine.decks.cards import Card
from engine.decks.catalog import Catalog
from engine.decks.instance import draw_instance
from engine.decks.kinds import CardUsageError, check_answer, expected_answer_text
from engine.decks.kinds.choice import option_index
from engine.decks.loader import load_deck
from engine.render.numbers import format_number, format_value
from tests.conftest import DECKS


@pytest.fixture(scope="module")
def starter() -> Catalog:
    return Catalog.load([DECKS])


def card_from(write_deck: Callable[..., Path], text: str) -> Card:
    deck = load_deck(write_deck(text)).deck
    assert deck is not None
    return deck.cards[0]


def gelu(x: float) -> float:
    return 0.5 * x * (1 + math.erf(x / math.sqrt(2)))


def test_numeric_card_accepts_rounded_answers_and_names_the_tanh_mistake(starter: Catalog) -> None:
    instance = draw_instance(starter.find_card("starter/gelu-at-point"), seed=3)
    x = float(instance.values["x"])
    assert f"x = {format_number(x)}" in instance.prompt
    assert instance.prompt.endswith("Give the answer to 5 decimal places.")
    assert check_answer(instance, f"{gelu(x):.5f}").correct
    assert not check_answer(instance, f"{gelu(x):.4f}").correct
    tanh_gelu = 0.5 * x * (1 + math.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    for written in (repr(tanh_gelu), f"{tanh_gelu:.5f}"):  # drawn where the two differ at 5 places
        verdict = check_answer(instance, written)
        assert not verdict.correct
        assert verdict.mistake == "tanh-gelu"
    sigmoid_gelu = x / (1 + math.exp(-1.702 * x))
    verdict = check_answer(instance, f"{sigmoid_gelu:.6f}")
    assert not verdict.correct
    assert verdict.mistake == "sigmoid-gelu"
    assert "tanh" not in verdict.feedback
    assert "1.702" in verdict.feedback


def test_numeric_answers_may_be_expressions_and_say_how_they_were_read(
    write_deck: Callable[..., Path],
) -> None:
    card = card_from(
        write_deck,
        """
        ## Half root two {#c}

        ```quiz
        kind: numeric
        answer: sqrt(2)/2
        ```

        What is cos(π/4)?
        """,
    )
    instance = draw_instance(card, 0)
    verdict = check_answer(instance, "√2/2")
    assert verdict.correct
    assert verdict.interpreted == "√2/2 = 0.707107"
    assert check_answer(instance, "0.7071").correct
    assert check_answer(instance, "1/sqrt(2)").correct
    assert not check_answer(instance, "0.70").correct  # 1% off: beyond the default 0.5%
    unreadable = check_answer(instance, "sqrt(2")
    assert not unreadable.correct
    assert unreadable.interpreted is None
    assert unreadable.error is not None
    assert "')'" in unreadable.error
    infinite = check_answer(instance, "1/0")
    assert not infinite.correct
    assert infinite.error == "your answer is NaN or infinite"


def test_vector_answers_check_shape_and_each_element(starter: Catalog) -> None:
    instance = draw_instance(starter.find_card("starter/softmax-vector"), seed=5)
    z = instance.values["z"]
    expected = np.exp(z) / np.exp(z).sum()
    assert check_answer(instance, format_value(np.round(expected, 4))).correct
    wrong_shape = check_answer(instance, "[0.5, 0.5]")
    assert not wrong_shape.correct
    assert wrong_shape.error == "expected a vector of 3, got a vector of 2"
    scalar = check_answer(instance, "1")
    assert scalar.error == "expected a vector of 3, got a number"
    sigmoid = 1 / (1 + np.exp(-z))
    verdict = check_answer(instance, format_value(np.round(sigmoid, 5)))
    assert verdict.mistake == "elementwise-sigmoid"


def test_tolerance_is_relative_plus_absolute(write_deck: Callable[..., Path]) -> None:
    card = card_from(
        write_deck,
        """
        ## Tiny {#tiny}

        ```quiz
        kind: numeric
        given: {g: 1e-5}
        answer: g^2
        tolerance: {rtol: 1e-2, atol: 0}
        ```

        g² for g = {g}?
        """,
    )
    instance = draw_instance(card, 0)
    assert check_answer(instance, "1e-10").correct
    assert check_answer(instance, "1.009e-10").correct
    assert not check_answer(instance, "1.02e-10").correct
    assert not check_answer(instance, "0").correct  # atol 0: zero is not 1e-10


def test_symbolic_card_accepts_equivalent_forms_in_any_notation(starter: Catalog) -> None:
    instance = draw_instance(starter.find_card("starter/sigmoid-derivative"), seed=0)
    for answer in (
        "σ(x)(1-σ(x))",
        "sigmoid(x) - sigmoid(x)^2",
        r"\frac{e^{-x}}{(1+e^{-x})^2}",
        r"\sigma(x)\left(1-\sigma(x)\right)",
        "exp(x)/(1+exp(x))^2",
    ):
        verdict = check_answer(instance, answer)
        assert verdict.correct, answer
        assert verdict.expected == "σ(x)·(1 − σ(x))"
    wrong = check_answer(instance, "sigmoid(x)")
    assert not wrong.correct
    assert wrong.mistake == "forgot-to-differentiate"
    assert wrong.interpreted == "σ(x)"
    other = check_answer(instance, "x^2")
    assert not other.correct
    assert other.mistake is None
    assert other.feedback.startswith("Not equivalent: at x = ")
    unknown = check_answer(instance, "y")
    assert unknown.error == "unknown name 'y' at column 1; this card's variables: x"


def test_symbolic_card_with_domains(starter: Catalog) -> None:
    instance = draw_instance(starter.find_card("starter/huber-gradient"), seed=0)
    assert check_answer(instance, "where(abs(a) < δ, a, δ*sign(a))").correct
    assert check_answer(instance, "max(-delta, min(a, delta))").correct
    assert check_answer(instance, "a").mistake == "mse-gradient"
    assert check_answer(instance, "sign(a)").mistake == "mae-gradient"


def test_choice_answers_by_letter_number_or_text(starter: Catalog) -> None:
    instance = draw_instance(starter.find_card("starter/hessian-classify"), seed=0)
    for answer in ("c", "C", "3", "saddle point", "Saddle Point", "sadd"):
        assert check_answer(instance, answer).correct, answer
    assert not check_answer(instance, "a").correct
    bad = check_answer(instance, "banana")
    assert not bad.correct
    assert bad.error is not None
    assert "(c) saddle point" in bad.error
    with pytest.raises(Exception, match="not one of the options"):
        option_index(("local minimum", "local maximum"), "local")  # ambiguous prefix


def test_steps_give_partial_credit_and_name_the_first_wrong_part(starter: Catalog) -> None:
    instance = draw_instance(starter.find_card("starter/adam-one-step"), seed=2)
    theta, g = float(instance.values["theta"]), float(instance.values["grad"])
    m, v = 0.1 * g, 0.001 * g * g
    theta_1 = theta - 0.1 * g / (abs(g) + 1e-8)
    right = f"{m:.6g}; {v:.6g}; {g:.6g}; {g * g:.6g}; {theta_1:.6g}"
    verdict = check_answer(instance, right)
    assert verdict.correct
    assert verdict.score == 1.0
    assert len(verdict.parts) == 5
    no_correction = theta - 0.1 * m / (math.sqrt(v) + 1e-8)
    partly = check_answer(instance, f"{m:.6g}; {v:.6g}; {g:.6g}; {g * g:.6g}; {no_correction:.6g}")
    assert not partly.correct
    assert partly.score == pytest.approx(0.8)
    assert partly.mistake == "no-bias-correction"
    assert "first wrong part is θ₁" in partly.feedback  # the prompt's label, not the internal name
    too_few = check_answer(instance, "1; 2")
    assert too_few.error == "expected 5 answers, got 2"
    assert not too_few.readable
    typo = check_answer(instance, f"{m:.6g}; {v:.6g} +*; {g:.6g}; {g * g:.6g}; {theta_1:.6g}")
    assert not typo.readable
    assert typo.error is not None
    assert typo.error.startswith("v₁")
    mistake_on_a_later_part = check_answer(instance, f"{m:.6g}; 7; {g:.6g}; {g * g:.6g}; {no_correction:.6g}")
    assert mistake_on_a_later_part.mistake == "no-bias-correction"  # named, though v₁ is wrong first
    multi_line = check_answer(instance, right.replace("; ", "\n"))
    assert multi_line.correct


def test_flash_cards_are_not_checked(starter: Catalog) -> None:
    instance = draw_instance(starter.find_card("starter/why-layernorm-nlp"), seed=0)
    with pytest.raises(CardUsageError):
        check_answer(instance, "anything")
    assert "BatchNorm" in expected_answer_text(instance)


def test_instances_are_reproducible_from_card_and_seed(starter: Catalog) -> None:
    card = starter.find_card("starter/adam-one-step")
    first = draw_instance(card, 7).values
    again = draw_instance(card, 7).values
    other = draw_instance(card, 8).values
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert any(not np.array_equal(first[k], other[k]) for k in first)
    # Drawn values are rounded to what the prompt shows, so the learner computes with them.
    assert float(first["theta"]) == round(float(first["theta"]), 2)


def test_the_choice_part_of_a_steps_answer_is_read_exactly() -> None:
    card = Catalog.load([DECKS]).find_card("critical-points/newton-to-maximum")
    instance = draw_instance(card, seed=0)
    x1 = format_value(instance.solution.parts["x_1"].value)
    assert check_answer(instance, f"{x1}; b").correct
    assert check_answer(instance, f"{x1}; Local Maximum.").correct
    wrong = check_answer(instance, f"{x1}; saddle point")
    assert not wrong.correct
    assert wrong.readable
    assert wrong.score == 0.5
    # The start of two options, and a position among three: not an answer yet, so not wrong.
    for choice in ("local", "4"):
        unreadable = check_answer(instance, f"{x1}; {choice}")
        assert not unreadable.readable
        assert unreadable.error is not None
        assert "(b) local maximum" in unreadable.error


def test_a_bug_in_the_checker_is_neither_right_nor_wrong(
    starter: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.decks.kinds.numeric

    def broken(*args: object, **kwargs: object) -> object:
        raise KeyError("a bug of ours")

    monkeypatch.setattr(engine.decks.kinds.numeric, "within_tolerance", broken)
    instance = draw_instance(starter.find_card("starter/gelu-at-point"), seed=0)
    verdict = check_answer(instance, "0.5")
    assert verdict.readable
    assert not verdict.judged
    assert not verdict.correct
    assert verdict.error is not None
    assert "KeyError" in verdict.error
    steps = check_answer(draw_instance(starter.find_card("starter/adam-one-step"), seed=0), "1; 2; 3; 4; 5")
    assert steps.readable
    assert not steps.judged
    assert check_answer(instance, "0.5 +* 2").readable is False  # a typo is still a typo
