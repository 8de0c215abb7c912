"""Which known mistake a wrong answer is told, and how `validate` names the mistake a formula makes.

A learner is told a mistake only where the instance can tell it from the answer; when several
match (they then coincide, at the card's precision), every one is said, the most specific
first. Over a batch, a formula and a mistake are compared at the scale of the right answer, so
that an epsilon of 1e-8 that one has and the other lacks does not hide the match where a value
is near 0.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.authoring.validation import validate
from engine.checking.boundary import Attempt
from engine.decks.cards import Card, Precision
from engine.decks.instance import draw_instance
from engine.decks.kinds import check_answer
from engine.decks.kinds.numeric import agree, check_number, mistakes_matching_over
from engine.decks.loader import load_deck
from engine.decks.solution import KnownMistake, Target

TWO_COINCIDE = """\
kind: numeric
given:
  x: 2
answer: 3*x
precision: 3 sig
mistakes:
  - answer: x^2
    feedback: You squared x.
    name: squared
  - answer: 2*x
    feedback: You doubled x.
    name: doubled
  - answer: x^2 + 0.0001
    feedback: You squared x and added a ten-thousandth.
    name: squared-plus
"""


def card_from(write_deck: Callable[..., Path], quiz: str) -> Card:
    result = load_deck(write_deck(f"## C {{#c}}\n\n```quiz\n{quiz}```\n\nWhat is it?\n"))
    assert result.problems == []
    assert result.deck is not None
    return result.deck.cards[0]


def test_mistakes_that_coincide_are_all_said_the_most_specific_first(write_deck: Callable[..., Path]) -> None:
    """At x = 2, x² and 2x are both 4: the answer 4 cannot tell which was made, so both are said."""
    instance = draw_instance(card_from(write_deck, TWO_COINCIDE), 0)
    verdict = check_answer(instance, "4")
    assert not verdict.correct
    assert verdict.mistake == "squared"  # an exact tie: the first declared
    assert verdict.feedback.startswith("This matches 3 known mistakes, which your answer cannot tell apart:")
    assert "(1) You squared x. (2) You doubled x. (3) You squared x and added" in verdict.feedback


def test_digits_beyond_the_precision_pick_the_closest_mistake(write_deck: Callable[..., Path]) -> None:
    instance = draw_instance(card_from(write_deck, TWO_COINCIDE), 0)
    verdict = check_answer(instance, "4.0001")
    assert verdict.mistake == "squared-plus"
    assert "(1) You squared x and added a ten-thousandth." in verdict.feedback


def test_on_a_tie_the_cards_own_mistake_comes_before_its_references() -> None:
    same = np.array(0.25)
    goal = Target(
        np.array(0.5),
        "torch sigmoid.y",
        mistakes=(
            KnownMistake("reference-one", "The reference's words.", same),
            KnownMistake("own-one", "The author's words for this card.", same, line=12),
        ),
    )
    verdict = check_number(goal, "0.25", Precision(3, "sig"), Attempt())
    assert verdict.mistake == "own-one"
    assert "(1) The author's words for this card. (2) The reference's words." in verdict.feedback


def test_one_matching_mistake_keeps_its_own_feedback(write_deck: Callable[..., Path]) -> None:
    instance = draw_instance(
        card_from(write_deck, TWO_COINCIDE.replace("x: 2", "x: 4")), 0
    )  # 12; 16, 8, 16.0001
    assert check_answer(instance, "13").mistake is None
    doubled = check_answer(instance, "8")
    assert (doubled.mistake, doubled.feedback) == ("doubled", "You doubled x.")
    squared = check_answer(instance, "16.0001")
    assert squared.mistake == "squared-plus"  # 16 and 16.0001 coincide at 3 sig; the closer is first
    assert squared.feedback.startswith("This matches 2 known mistakes")


def test_a_mistake_the_instance_cannot_tell_from_the_answer_is_never_named() -> None:
    """The answer is 0 to 4 dp; the mistake, 1e-8, is inside its band: an answer just outside
    the band is wrong, but it is no evidence of the mistake (nor of anything else)."""
    goal = Target(
        np.array(0.0), "formula", mistakes=(KnownMistake("no-eps", "You left out eps.", np.array(1e-8)),)
    )
    verdict = check_number(goal, "0.000100005", Precision(4, "dp"), Attempt())
    assert not verdict.correct
    assert verdict.mistake is None
    assert verdict.feedback.startswith("Wrong: expected")
    apart = Target(
        np.array(0.0), "formula", mistakes=(KnownMistake("no-eps", "You left out eps.", np.array(1e-3)),)
    )
    assert check_number(apart, "0.001", Precision(4, "dp"), Attempt()).mistake == "no-eps"


# -- over a batch --------------------------------------------------------------------------


def test_a_batch_is_compared_at_the_scale_of_its_right_answer() -> None:
    expected = np.array([1.0, 0.0, -2.0])
    formula = np.array([1.5, 2e-9, -2.5])
    eps_apart = formula + np.array([0.0, 1e-8, 0.0])  # an epsilon where the answer is 0
    assert agree(formula, eps_apart, expected).all()
    assert not np.allclose(formula, eps_apart, rtol=1e-7, atol=1e-12)  # element by element, it would not
    assert agree(formula, formula * (1 + 1e-9), expected).all()
    assert not agree(formula, formula + np.array([0.0, 1e-6, 0.0]), expected)[
        1
    ]  # 1e-6 of the scale is not noise
    vectors = np.array([[1000.0, 1.0], [2000.0, 0.5]])
    assert not agree(
        vectors, vectors + np.array([0.0, 1e-3]), vectors
    ).any()  # each element position has its own scale
    assert agree(np.zeros((2, 2)), np.full((2, 2), 1e-9), np.zeros((2, 2))).all()  # no scale: absolute 1e-7


def test_matching_over_a_batch_names_the_closest_mistakes_first() -> None:
    expected = np.array([1.0, 0.0, 2.0])
    formula = np.array([1.5, 1e-9, 2.5])
    near = KnownMistake("near", "", formula + np.array([0.0, 1e-8, 0.0]))
    exact = KnownMistake("exact", "", formula.copy())
    far = KnownMistake("far", "", formula + 0.1)
    wrong = np.array([True, True, True])
    assert [m.name for m in mistakes_matching_over(formula, [near, far, exact], wrong, expected)] == [
        "exact",
        "near",
    ]
    assert mistakes_matching_over(formula, [near], np.zeros(3, dtype=bool), expected) == []


ADAM_WITHOUT_EPS = """
## Adam without eps {#adam-no-eps}

```quiz
kind: numeric
given:
  theta_prev: 0.32
  grad: uniform(6, 9)
  lr: 0.1
answer: theta_prev - lr*m/sqrt(v)
reference: adam_step.theta
```

What is θ₁ after one Adam step with lr = {lr}?
"""


def test_validate_names_a_mistake_that_lacks_eps_where_the_formula_is_near_0(
    write_deck: Callable[..., Path],
) -> None:
    """θ − lr·m/√v (no bias correction, and no eps) is 0.0038 here, and the known mistake
    no-bias-correction, θ − lr·m/(√v + eps), differs from it by about 1e-8: element by element at
    1e-7 that is a different value; at the scale of the answer (0.22) it is the same."""
    report = validate([write_deck(ADAM_WITHOUT_EPS)], samples=50)
    (problem,) = report.problems
    assert "disagrees with torch reference adam_step.theta" in problem.message
    assert "it matches the known mistake 'no-bias-correction'" in problem.message
