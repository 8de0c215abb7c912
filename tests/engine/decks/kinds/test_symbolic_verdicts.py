"""The symbolic kind's verdicts on what the equivalence check cannot decide, or decides narrowly.

An answer that cannot be compared with the expected one (both undefined at almost every
point) is undecided: neither right nor wrong, never counted, and no mistake is named; a
mistake whose own comparison is undecided is not named; and values that differ are
printed with enough digits to show that they differ.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.decks.cards import Card
from engine.decks.instance import draw_instance
from engine.decks.kinds import check_answer
from engine.decks.loader import load_deck


@pytest.fixture
def cards(write_deck: Callable[..., Path]) -> dict[str, Card]:
    """A card whose expected answer is undefined everywhere, and one with such a mistake;
    one whose answer a wrong answer is close to at seven digits."""
    path = write_deck(
        """
        # Edge cases {#edge}

        ## Nowhere {#nowhere}

        ```quiz
        kind: symbolic
        variables: [x]
        answer: sqrt(-1 - x^2)
        mistakes:
          - {answer: sqrt(-3 - x^2), feedback: a mistake defined nowhere, name: other-root}
        ```

        Prompt.

        ## Somewhere {#somewhere}

        ```quiz
        kind: symbolic
        variables: [x]
        answer: x
        mistakes:
          - {answer: sqrt(-1 - x^2), feedback: a mistake defined nowhere, name: nowhere}
        ```

        Prompt.

        ## Large {#large}

        ```quiz
        kind: symbolic
        variables: [x]
        answer: x + 2366840
        ```

        Prompt.
        """
    )
    deck = load_deck(path).deck
    assert deck is not None
    return {card.card_id: card for card in deck.cards}


def test_an_undecided_answer_is_neither_right_nor_wrong_and_names_no_mistake(cards: dict[str, Card]) -> None:
    instance = draw_instance(cards["nowhere"], 0)
    for answer in ("sqrt(-3 - x^2)", "x"):
        verdict = check_answer(instance, answer)
        assert not verdict.correct
        assert not verdict.judged  # never recorded by a study session
        assert verdict.readable
        assert verdict.error is None
        assert verdict.mistake is None
        assert verdict.interpreted
        assert verdict.expected == "√(−1 − x²)"
        assert verdict.feedback == (
            "Undecided: your answer and the expected one could not be compared (they are"
            " undefined at almost every point tried); it is not counted."
        )


def test_a_mistake_whose_comparison_is_undecided_is_not_named(cards: dict[str, Card]) -> None:
    instance = draw_instance(cards["somewhere"], 0)
    verdict = check_answer(instance, "sqrt(-2 - x^2)")  # undecided against the mistake
    assert verdict.judged
    assert not verdict.correct
    assert verdict.mistake is None
    assert verdict.feedback.startswith("Not equivalent: your answer is not a real number")


def test_values_that_differ_are_printed_differently(cards: dict[str, Card]) -> None:
    instance = draw_instance(cards["large"], 0)
    verdict = check_answer(instance, "x + 2366841.23")
    match = re.search(r"your answer gives (\S+) but the expected answer gives (\S+)\.$", verdict.feedback)
    assert match is not None, verdict.feedback
    mine, theirs = match.groups()
    assert mine != theirs  # six digits would print both as 2.36684e6
    assert float(mine) > float(theirs)
