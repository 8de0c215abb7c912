"""Cloze cards (engine.decks.kinds.cloze): each blank checked as a symbolic answer, with partial credit."""

from __future__ import annotations

import pytest

from engine.decks.cards import Card
from engine.decks.catalog import Catalog
from engine.decks.instance import draw_instance
from engine.decks.kinds import check_answer, expected_answer_text, kind_of, read_as
from tests.conftest import FIXTURES

SEEDS = range(12)


@pytest.fixture(scope="module")
def cards() -> dict[str, Card]:
    catalog = Catalog.load([FIXTURES / "cloze"])
    assert catalog.problems == []
    return {card.card_id: card for deck in catalog.decks for card in deck.cards}


def test_the_blanks_are_the_cards_parts_and_are_hidden(cards: dict[str, Card]) -> None:
    card = cards["batchnorm"]
    assert card.kind == "cloze"
    assert [(s.name, s.prompt, s.answer.text if s.answer else "") for s in card.steps] == [
        ("blank_1", "⟦1⟧", r"x - \mu"),
        ("blank_2", "⟦2⟧", r"\sigma^2 + \epsilon"),
        ("blank_3", "⟦3⟧", r"\beta"),
    ]
    prompt = draw_instance(card, 0).prompt
    assert r"\frac{⟦1⟧}{\sqrt{⟦2⟧}} + ⟦3⟧" in prompt
    assert "blank" not in prompt
    assert r"\mu}" not in prompt
    assert expected_answer_text(draw_instance(card, 0)) == "⟦1⟧ x − μ\n⟦2⟧ σ² + ε\n⟦3⟧ β"


@pytest.mark.parametrize(
    "answer",
    [
        "sqrt(v_hat) + eps",
        "sqrt(vhat)+eps",
        r"\sqrt{\hat v} + \epsilon",
        r"\sqrt{\hat{v}}+\varepsilon",
        "√v̂ + ε",
        "eps + v_hat^(1/2)",
        "(v_hat)^0.5 + eps",
    ],
)
def test_any_equivalent_form_of_a_blank_is_right(cards: dict[str, Card], answer: str) -> None:
    for seed in SEEDS:
        verdict = check_answer(draw_instance(cards["adam-denominator"], seed), answer)
        assert verdict.correct, (seed, verdict)
        assert verdict.score == 1.0


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        ("sqrt(v_hat + eps)", "eps-inside-sqrt"),
        (r"\sqrt{\epsilon + \hat v}", "eps-inside-sqrt"),
        ("sqrt(v_hat)", None),
        ("v_hat + eps", None),
        ("sqrt(v_hat) - eps", None),
    ],
)
def test_a_wrong_blank_is_wrong_at_every_seed(
    cards: dict[str, Card], answer: str, mistake: str | None
) -> None:
    for seed in SEEDS:
        verdict = check_answer(draw_instance(cards["adam-denominator"], seed), answer)
        assert not verdict.correct, (seed, verdict)
        assert verdict.judged, (seed, verdict)
        if mistake is not None:
            assert verdict.mistake == mistake
            assert "after the square root" in verdict.feedback


def test_partial_credit_names_the_first_wrong_blank(cards: dict[str, Card]) -> None:
    instance = draw_instance(cards["batchnorm"], 3)
    verdict = check_answer(instance, "x - mu; sigma + eps; beta")
    assert not verdict.correct
    assert verdict.score == pytest.approx(2 / 3)
    assert verdict.feedback.startswith("2 of 3 blanks correct; the first wrong blank is ⟦2⟧: ")
    assert [p.correct for p in verdict.parts] == [True, False, True]
    assert [p.part for p in verdict.parts] == ["blank_1", "blank_2", "blank_3"]
    right = check_answer(instance, r"-\mu + x; \epsilon+\sigma^{2}; β")
    assert right.correct
    assert right.feedback == "All 3 blanks correct."


def test_a_blank_that_is_a_number_is_compared_as_a_number_exactly(cards: dict[str, Card]) -> None:
    instance = draw_instance(cards["momentum-number"], 0)
    assert check_answer(instance, "0.9; 0.1").correct
    assert check_answer(instance, "9/10; 1 - 0.9").correct
    assert check_answer(instance, r"\frac{9}{10}; 10^{-1}").correct
    assert not check_answer(instance, "0.99; 0.1").correct
    assert not check_answer(instance, "0.9; 0.01").correct
    assert not check_answer(instance, "0.9000001; 0.1").correct


def test_an_unreadable_blank_is_not_an_answer(cards: dict[str, Card]) -> None:
    instance = draw_instance(cards["batchnorm"], 0)
    verdict = check_answer(instance, "x - mu; sigma^2 + ; beta")
    assert not verdict.readable
    assert "⟦2⟧" in verdict.feedback
    short = check_answer(instance, "x - mu; beta")
    assert not short.readable
    assert "3 answers" in short.feedback


def test_an_unknown_name_in_a_blank_says_which_names_exist(cards: dict[str, Card]) -> None:
    verdict = check_answer(draw_instance(cards["adam-denominator"], 0), "sqrt(w) + eps")
    assert not verdict.readable
    assert verdict.error is not None
    assert "v_hat" in verdict.error


def test_the_preview_reads_a_blank_and_a_whole_answer(cards: dict[str, Card]) -> None:
    card = cards["batchnorm"]
    instance = draw_instance(card, 0)
    assert read_as(instance, r"\sigma^2+\epsilon", card.steps[1]) == (True, "read as: σ² + ε")
    assert read_as(instance, "x-mu; sigma^2+eps; beta") == (True, "read as: x − μ; σ² + ε; β")
    readable, message = read_as(instance, "x-mu; sigma^2+; beta")
    assert not readable
    assert "⟦2⟧" in message


def test_each_blank_is_checked_on_its_own_as_the_app_does(cards: dict[str, Card]) -> None:
    card = cards["batchnorm"]
    instance = draw_instance(card, 0)
    kind = kind_of(card)
    assert kind.check_part(instance, card.steps[0], "x - mu").correct
    wrong = kind.check_part(instance, card.steps[1], "sigma + eps")
    assert not wrong.correct
    assert wrong.part == "blank_2"
    assert kind.placeholder(card) == "3 blanks, in order, separated by ';'"
    assert kind.placeholder(cards["adam-denominator"]) == "what fills the blank"


def test_one_blank_speaks_for_itself(cards: dict[str, Card]) -> None:
    instance = draw_instance(cards["adam-denominator"], 0)
    assert check_answer(instance, "sqrt(v_hat)+eps").feedback == "Correct: equivalent to the expected answer."
