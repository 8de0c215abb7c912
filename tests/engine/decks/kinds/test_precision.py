"""`precision:` on numeric cards and steps parts: how it is read, said in the prompt and checked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from engine.checking.boundary import Attempt
from engine.decks.cards import Card, Precision, Tolerance
from engine.decks.instance import draw_instance
from engine.decks.kinds import check_answer
from engine.decks.kinds.numeric import check_number, separated, within_tolerance
from engine.decks.kinds.steps import check_step
from engine.decks.loader import load_deck
from engine.decks.solution import KnownMistake, Target


def card_from(write_deck: Callable[..., Path], quiz: str, prompt: str = "What is it?") -> Card:
    result = load_deck(write_deck(f"## C {{#c}}\n\n```quiz\n{quiz}```\n\n{prompt}\n"))
    assert result.problems == []
    assert result.deck is not None
    return result.deck.cards[0]


def problems_of(write_deck: Callable[..., Path], quiz: str) -> list[str]:
    result = load_deck(write_deck(f"## C {{#c}}\n\n```quiz\n{quiz}```\n\nWhat is it?\n"))
    return [f"{p.line}: {p.severity}: {p.message}" for p in result.problems]


# -- reading ------------------------------------------------------------------------------


def test_precision_is_read_in_significant_figures_or_decimal_places(write_deck: Callable[..., Path]) -> None:
    card = card_from(write_deck, "kind: numeric\nanswer: sqrt(2)\nprecision: 4 sig\n")
    assert card.precision == Precision(4, "sig")
    assert card.accuracy == Precision(4, "sig")
    plain = card_from(write_deck, "kind: numeric\nanswer: sqrt(2)\n")
    assert plain.precision is None
    assert plain.accuracy == Tolerance()
    steps = card_from(
        write_deck,
        "steps:\n  - name: a\n    answer: 1/3\n    precision: 0 dp\n  - name: b\n    answer: 2/3\n",
    )
    assert [step.accuracy for step in steps.steps] == [Precision(0, "dp"), Tolerance()]


@pytest.mark.parametrize(
    ("quiz", "expected"),
    [
        ("precision: 4", "6: error: precision must be a count and a unit: '4 sig' (significant figures)"),
        (
            "precision: 4 sigfigs",
            "6: error: unknown precision unit 'sigfigs' (did you mean '4 sig'?): write sig or dp",
        ),
        ("precision: 3 decimals", "6: error: unknown precision unit 'decimals' (did you mean '3 dp'?)"),
        ("precision: 3 figures", "6: error: unknown precision unit 'figures': write sig or dp"),
        ("precision: four sig", "6: error: precision must be a count and a unit"),
        ("precision: [4, sig]", "6: error: precision must be a count and a unit"),
        ("precision: 0 sig", "6: error: precision 0 sig: significant figures run from 1 to 15"),
        ("precision: 16 dp", "6: error: precision 16 dp: decimal places run from 0 to 15"),
        ("tolerance: 1e-3\nprecision: 4 sig", "7: error: give precision or tolerance, not both"),
    ],
)
def test_a_bad_precision_is_an_error_at_its_line(
    quiz: str, expected: str, write_deck: Callable[..., Path]
) -> None:
    (problem,) = problems_of(write_deck, f"kind: numeric\nanswer: sqrt(2)\n{quiz}\n")
    assert problem.startswith(expected), problem


def test_precision_applies_to_numeric_cards_and_numeric_parts_only(write_deck: Callable[..., Path]) -> None:
    (symbolic,) = problems_of(write_deck, "variables: [x]\nanswer: x^2\nprecision: 3 sig\n")
    assert "'precision' does not apply to symbolic cards" in symbolic
    (choice_part,) = problems_of(
        write_deck,
        "steps:\n  - name: a\n    options: [up, down]\n    answer: up\n    precision: 3 sig\n",
    )
    assert choice_part == "5: error: step 'a' is a choice: precision applies to numeric parts"
    (both,) = problems_of(
        write_deck, "steps:\n  - name: a\n    answer: 1/3\n    precision: 3 sig\n    tolerance: 1e-3\n"
    )
    assert both == "5: error: give precision or tolerance, not both: the precision sets the tolerance"


# -- the prompt says it -------------------------------------------------------------------


def test_the_prompt_says_the_precision_once_from_the_quiz_block(write_deck: Callable[..., Path]) -> None:
    card = card_from(write_deck, "kind: numeric\nanswer: sqrt(2)\nprecision: 4 sig\n", "What is √2?")
    assert draw_instance(card, 0).prompt == "What is √2?\n\nGive the answer to 4 significant figures."
    one = card_from(write_deck, "kind: numeric\nanswer: 1/3\nprecision: 1 dp\n", "A third?")
    assert draw_instance(one, 0).prompt.endswith("Give the answer to 1 decimal place.")
    plain = card_from(write_deck, "kind: numeric\nanswer: 1/3\n", "A third?")
    assert draw_instance(plain, 0).prompt == "A third?"


def test_a_steps_card_names_the_parts_and_their_precision(write_deck: Callable[..., Path]) -> None:
    mixed = card_from(
        write_deck,
        "steps:\n"
        '  - {name: m, prompt: "m₁ =", answer: 1/3, precision: 5 sig}\n'
        '  - {name: v, prompt: "v₁ =", answer: 1/7, precision: 5 sig}\n'
        '  - {name: theta, prompt: "θ₁ =", answer: 1/9, precision: 4 dp}\n'
        '  - {name: k, prompt: "k =", answer: 2}\n'
        "  - {name: way, options: [up, down], answer: up}\n",
    )
    note = draw_instance(mixed, 0).prompt.split("\n\n")[-1]
    assert note == "Give m₁ and v₁ to 5 significant figures; θ₁ to 4 decimal places."
    alike = card_from(
        write_deck,
        "steps:\n  - {name: a, answer: 1/3, precision: 3 dp}\n  - {name: b, answer: 2/3, precision: 3 dp}\n"
        "  - {name: way, options: [up, down], answer: up}\n",
    )
    assert draw_instance(alike, 0).prompt.endswith("Give each numeric answer to 3 decimal places.")


# -- the rule: within one unit in the last asked-for place ------------------------------------


@pytest.mark.parametrize(
    ("exact", "precision", "accepted", "rejected"),
    [  # the table in docs/deck-format.md, and the edges of each band
        (
            2**0.5,
            Precision(5, "sig"),
            ["1.4142", "1.4143", "1.41421356", "1.41431"],
            ["1.414", "1.4141", "1.4144"],
        ),
        (0.00123456, Precision(3, "sig"), ["0.00123", "0.00124", "0.001235"], ["0.0012", "0.00125"]),
        (0.49937, Precision(4, "dp"), ["0.4994", "0.4993", "0.49937"], ["0.499", "0.4996"]),
        (1875.0, Precision(0, "dp"), ["1875", "1874", "1876"], ["1877", "1873.99"]),
        (1.0, Precision(3, "sig"), ["1.01", "0.99", "1.00"], ["1.0101", "0.9899"]),  # exactly one unit is in
        (0.125, Precision(2, "dp"), ["0.13", "0.12", "0.135", "0.115"], ["0.1351", "0.1149"]),
        (-98765.4321, Precision(2, "sig"), ["-99000", "-98000", "-97765.44"], ["-97765", "-100001"]),
        (9.9996, Precision(4, "sig"), ["10.00", "9.999", "10.0006"], ["10.001", "9.9985"]),
    ],
)
def test_an_answer_is_right_within_one_unit_of_the_last_asked_for_place(
    exact: float, precision: Precision, accepted: list[str], rejected: list[str]
) -> None:
    expected = np.asarray(exact)
    for text in accepted:
        assert within_tolerance(np.asarray(float(text)), expected, precision), text
    for text in rejected:
        assert not within_tolerance(np.asarray(float(text)), expected, precision), text


def test_significant_figures_count_per_element_and_zeros_at_the_answers_scale() -> None:
    two = Precision(2, "sig")
    expected = np.array([0.5, 0.0012, 0.0])
    assert within_tolerance(np.array([0.50, 0.0012, 0.0]), expected, two)
    assert within_tolerance(np.array([0.51, 0.0013, 0.01]), expected, two)  # 0 is held to 0.5's unit
    assert not within_tolerance(np.array([0.50, 0.0014, 0.0]), expected, two)  # 0.0012 to its own figures
    assert not within_tolerance(np.array([0.50, 0.0012, 0.011]), expected, two)
    noise = np.array([1.0, 1e-17])  # torch's float noise where the value is 0
    assert within_tolerance(np.array([1.0, 0.0]), noise, two)
    assert within_tolerance(np.array(0.0), np.array(0.0), two)
    assert not within_tolerance(np.array(1e-300), np.array(0.0), two)  # 0 throughout must be 0


def test_a_card_with_a_precision_is_checked_at_it(write_deck: Callable[..., Path]) -> None:
    card = card_from(write_deck, "kind: numeric\nanswer: sqrt(2)\nprecision: 5 sig\n")
    instance = draw_instance(card, 0)
    assert check_answer(instance, "1.4142").correct
    assert check_answer(instance, "sqrt(2)").correct
    wrong = check_answer(instance, "1.414")
    assert not wrong.correct
    assert wrong.feedback == "Wrong: expected 1.41421, got 1.414."
    steps = card_from(write_deck, "steps:\n  - {name: a, answer: 1/3, precision: 2 dp}\n")
    part = draw_instance(steps, 0)
    assert check_step(part, steps.steps[0], "0.33").correct
    assert not check_step(part, steps.steps[0], "0.3").correct


# -- mistakes that are not numbers ------------------------------------------------------------


def test_an_infinite_or_nan_mistake_matches_nothing() -> None:
    goal = Target(
        np.asarray(0.5),
        "formula",
        mistakes=(
            KnownMistake("overflow", "weighted both terms", np.asarray(np.inf)),
            KnownMistake("undefined", "took a log of 0", np.asarray(np.nan)),
            KnownMistake("half-inf", "a vector with an infinity", np.array([np.inf, 1.0])),
        ),
    )
    for accuracy in (Tolerance(), Tolerance(rtol=0.5, atol=10), Precision(3, "sig"), Precision(0, "dp")):
        for answer in ("12345", "-1e300", "1e300"):
            verdict = check_number(goal, answer, accuracy, Attempt())
            assert not verdict.correct
            assert verdict.mistake is None, (accuracy, answer)
    assert not separated(np.asarray(0.5), np.asarray(np.inf), Tolerance())
    assert not separated(np.asarray(0.5), np.asarray(np.nan), Precision(3, "sig"))


def test_an_overflowing_mistake_is_not_named_on_a_card(write_deck: Callable[..., Path]) -> None:
    card = card_from(
        write_deck,
        "given:\n  z: 1e9\nanswer: 1/(1 + exp(-z))\nmistakes:\n"
        "  - {answer: exp(z)/2, feedback: You weighted both terms., name: both-terms}\n",
    )
    verdict = check_answer(draw_instance(card, 0), "12345")
    assert not verdict.correct
    assert verdict.mistake is None
    assert verdict.feedback == "Wrong: expected 1, got 12345."
