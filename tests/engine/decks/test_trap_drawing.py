"""Trap-aware drawing: an instance is drawn where the card can tell its named mistakes from the answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from engine.decks.cards import Card
from engine.decks.instance import (
    TRAP_DRAWS,
    draw_instance,
    draw_instances,
    draw_values,
    instance_rng,
    plan_givens,
)
from engine.decks.kinds import check_answer
from engine.decks.loader import load_deck
from engine.decks.solution import FormulaError, solve

ELU = """\
given:
  alpha: choice(0.5, 1, 1.5)
  x: uniform(-3, 2)
answer: where(x > 0, x, alpha*(exp(x) - 1))
mistakes:
  - {answer: "where(x > 0, x, alpha*exp(x))", feedback: Forgot the −1., name: missing-minus-one}
"""
SEEDS = range(60)


def card_from(write_deck: Callable[..., Path], quiz: str) -> Card:
    result = load_deck(write_deck(f"## C {{#c}}\n\n```quiz\n{quiz}```\n\nWhat is it at {{x}}?\n"))
    assert result.problems == []
    assert result.deck is not None
    return result.deck.cards[0]


def first_draw(card: Card, seed: int) -> dict[str, np.ndarray]:
    return draw_values(plan_givens(card.given), instance_rng(card.full_id, seed))


def test_a_trap_is_never_accepted_as_right(write_deck: Callable[..., Path]) -> None:
    card = card_from(write_deck, ELU)
    instances = draw_instances(card, SEEDS)
    for instance in instances:
        x, alpha = float(instance.values["x"]), float(instance.values["alpha"])
        assert x <= 0  # the mistake gives the right answer, x, for every x > 0
        verdict = check_answer(instance, repr(alpha * float(np.exp(x))))
        assert not verdict.correct
        assert verdict.mistake == "missing-minus-one"
        assert check_answer(instance, repr(alpha * float(np.exp(x) - 1))).correct
    redrawn = [instance for instance in instances if instance.draw > 0]
    assert 0 < len(redrawn) < len(instances)
    assert all(0 < instance.draw < TRAP_DRAWS for instance in redrawn)
    assert all(float(first_draw(card, instance.seed)["x"]) > 0 for instance in redrawn)


def test_drawing_is_reproducible_and_keeps_each_seeds_first_draw_where_it_can(
    write_deck: Callable[..., Path],
) -> None:
    card = card_from(write_deck, ELU)
    batch = draw_instances(card, SEEDS)
    for instance in batch:
        again = draw_instance(card, instance.seed)
        assert again.draw == instance.draw
        assert again.values == instance.values
        if instance.draw == 0:
            assert instance.values == first_draw(card, instance.seed)
    other = load_deck(write_deck(f"## C {{#other}}\n\n```quiz\n{ELU}```\n\nQ {{x}}\n", name="d2.md")).deck
    assert other is not None
    assert [i.values for i in draw_instances(other.cards[0], SEEDS)] != [i.values for i in batch]


def test_the_kept_instance_carries_its_solution(write_deck: Callable[..., Path]) -> None:
    card = card_from(write_deck, ELU)
    instance = draw_instance(card, 3)
    assert instance.solved is not None
    alone = solve(card, instance.values)
    assert instance.solution.answer is not None
    assert alone.answer is not None
    np.testing.assert_allclose(instance.solution.answer.value, alone.answer.value, rtol=1e-15)


def test_a_card_without_traps_is_drawn_once_and_solved_when_asked(write_deck: Callable[..., Path]) -> None:
    card = card_from(write_deck, "given:\n  x: uniform(-3, 2)\nanswer: where(x > 0, x, exp(x) - 1)\n")
    instance = draw_instance(card, 5)
    assert (instance.draw, instance.solved) == (0, None)
    assert instance.values == first_draw(card, 5)


def test_traps_that_live_apart_are_tested_in_turn(write_deck: Callable[..., Path]) -> None:
    card = card_from(
        write_deck,
        "given:\n  x: uniform(-2, 2)\nanswer: abs(x)\nmistakes:\n"
        "  - {answer: x, feedback: Not for negative x., name: x}\n"  # wrong only for x < 0
        "  - {answer: -x, feedback: Not for positive x., name: minus-x}\n",  # wrong only for x > 0
    )
    tested: list[set[str]] = []
    for instance in draw_instances(card, SEEDS):
        x = float(instance.values["x"])
        first_x = float(first_draw(card, instance.seed)["x"])
        assert (x < 0) == (first_x < 0) or abs(first_x) < 0.01  # drawing again never loses a trap
        tested.append(
            {
                name
                for name, value in (("x", x), ("minus-x", -x))
                if not check_answer(instance, repr(value)).correct
            }
        )
    assert all(len(names) == 1 for names in tested)  # one at a time, never none
    assert set().union(*tested) == {"x", "minus-x"}


def test_a_mistake_no_draw_can_separate_leaves_the_first_draw(write_deck: Callable[..., Path]) -> None:
    card = card_from(
        write_deck,
        "given:\n  x: uniform(1, 2)\nanswer: 2*x\nmistakes:\n  - {answer: x + x, feedback: same}\n",
    )
    instance = draw_instance(card, 7)
    assert instance.draw == 0
    assert instance.values == first_draw(card, 7)


def test_a_reference_mistake_the_card_can_never_test_is_not_one_of_its_traps(
    write_deck: Callable[..., Path],
) -> None:
    card = card_from(
        write_deck,
        "given:\n  theta: uniform(-1, 1)\n  g: uniform(-1, 1)\n"
        "reference: {name: adam_step, output: theta, inputs: {theta_prev: theta, grad: g}}\n"
        "precision: 4 dp\n",
    )
    instance = draw_instance(card, 0)
    every = solve(card, instance.values)
    assert every.answer is not None
    assert instance.solution.answer is not None
    named = {mistake.name for mistake in every.answer.mistakes}
    kept = {mistake.name for mistake in instance.solution.answer.mistakes}
    # eps = 1e-8 inside or outside the root, and weight decay 0 decoupled or not, are the same here
    assert {"eps-inside-sqrt", "decoupled-weight-decay"} <= named - kept
    assert "no-bias-correction" in kept


def test_a_broken_card_draws_as_before_and_fails_where_it_is_solved(write_deck: Callable[..., Path]) -> None:
    card = card_from(
        write_deck,
        "given:\n  x: uniform(-3, 2)\nanswer: x\nreference: {name: gelu, inputs: {nothing: x}}\n",
    )
    instance = draw_instance(card, 0)
    assert instance.values == first_draw(card, 0)
    with pytest.raises(FormulaError, match="gelu has no input 'nothing'"):
        _ = instance.solution
