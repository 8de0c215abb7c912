"""Choice answers name one option exactly, over every bundled choice card and choice step.

A loose reading of a choice answer is a wrong grade the learner cannot argue with: 0.0
taken for 0.01 by its prefix, or .01 taken for the option 0 by its digits. So each
option must be accepted by its own text, letter and value and by nothing else; numbers
are compared by value, never by prefix, and never read as positions among numbers;
anything that names no option, or several, is unreadable rather than wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import partial

import pytest

from engine.checking.verdict import Verdict
from engine.decks.catalog import Catalog
from engine.decks.instance import Instance, draw_instance
from engine.decks.kinds import check_answer, read_as
from engine.decks.kinds.choice import option_index
from engine.decks.kinds.steps import check_step
from engine.errors import ExpressionError
from tests.conftest import DECKS

SEEDS = range(12)  # enough draws for a classifying card to give each of its answers


@dataclass(frozen=True)
class Question:
    """One choice to make: a choice card's instance with a given right answer, or a choice step."""

    name: str
    instance: Instance
    options: tuple[str, ...]
    right: str
    check: Callable[[str], Verdict]


def bundled_questions() -> Iterator[Question]:
    for deck in Catalog.load([DECKS]).decks:
        for card in deck.cards:
            if card.kind == "choice":
                by_answer: dict[str, Instance] = {}
                for seed in SEEDS:
                    instance = draw_instance(card, seed)
                    by_answer.setdefault(instance.solution.choices[0], instance)
                for right, instance in by_answer.items():
                    yield Question(
                        f"{card.full_id}={right}",
                        instance,
                        card.options,
                        right,
                        partial(check_answer, instance),
                    )
            for step in card.steps:
                if step.is_choice:
                    assert step.answer is not None
                    instance = draw_instance(card, 0)
                    check = partial(check_step, instance, step)
                    yield Question(
                        f"{card.full_id}:{step.name}", instance, step.options, step.answer.text, check
                    )


def value(text: str) -> Fraction | None:
    """The option's value when it is written as a plain number (0.01, 1e-6), else None."""
    try:
        return Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        return None


def letter(index: int) -> str:
    return chr(ord("a") + index)


QUESTIONS: tuple[Question, ...] = tuple(bundled_questions())
NUMERIC = tuple(q for q in QUESTIONS if any(value(o) is not None for o in q.options))


def spellings(number: str) -> set[str]:
    """The same value written differently: 1e-2 and 0.010 for 0.01, 0.0 for 0."""
    exact = value(number)
    assert exact is not None
    as_float = float(exact)
    written = {f"{as_float:.3e}", f"{as_float:.10f}", repr(as_float), f" {number} ", f"{number}."}
    if number.startswith("0."):
        written.add(number[1:])  # .01
    return written - {number}


def by_name(questions: tuple[Question, ...]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("question", questions, ids=[q.name for q in questions])


def test_every_bundled_choice_card_and_step_is_covered() -> None:
    cards = {q.name.partition("=")[0] for q in QUESTIONS if "=" in q.name}
    steps = {q.name for q in QUESTIONS if "=" not in q.name}
    assert len(cards) >= 49, (len(cards), len(steps))
    assert len(steps) >= 15, (len(cards), len(steps))
    numeric_cards = {q.instance.card.full_id for q in NUMERIC}
    assert {
        "optimizers/adamw-default-wd",
        "losses/focal-alpha",
        "losses/triplet-eps",
        "normalization/bn-default-momentum",
        "optimizers/rmsprop-default-alpha",
        "activations/relu-grad-at-zero",
        "losses/huber-vs-smooth-l1",
    } <= numeric_cards


@by_name(QUESTIONS)
def test_the_right_option_is_accepted_by_its_text_letter_and_value(question: Question) -> None:
    index = question.options.index(question.right)
    right = question.right
    answers = {right, right.upper(), f"  {right}  ", f'"{right}"', f"{right}."}
    answers |= {
        letter(index),
        letter(index).upper(),
        f"({letter(index)})",
        f"{letter(index)})",
        f"{letter(index)}.",
    }
    if not any(value(o) is not None for o in question.options):
        answers |= {str(index + 1), f"({index + 1})"}  # a position, only where no option is a number
    if value(right) is not None:
        answers |= spellings(right)
    for answer in sorted(answers):
        verdict = question.check(answer)
        assert verdict.correct, (answer, verdict)
        assert verdict.interpreted == right, (answer, verdict)


@by_name(QUESTIONS)
def test_every_other_option_is_wrong_not_unreadable(question: Question) -> None:
    for index, option in enumerate(question.options):
        if option == question.right:
            continue
        answers = {option, letter(index), f"({letter(index)})"}
        if value(option) is not None:
            answers |= spellings(option)
        for answer in sorted(answers):
            verdict = question.check(answer)
            assert not verdict.correct, (answer, verdict)
            assert verdict.readable, (answer, verdict)
            assert verdict.interpreted == option, (answer, verdict)
            assert verdict.error is None, (answer, verdict)


@by_name(NUMERIC)
def test_a_number_is_never_matched_by_prefix_nearness_or_position(question: Question) -> None:
    values = [value(o) for o in question.options]
    right = value(question.right)
    near_misses: set[str] = set()
    for option, exact in zip(question.options, values, strict=True):
        if exact is None:
            continue
        near_misses |= {option[:k] for k in range(1, len(option))}  # 0.0 and 0.7 from 0.01 and 0.75
        near_misses |= {repr(float(exact) * 1.001), repr(float(exact) + 1e-3)}
    near_misses |= {str(k) for k in range(1, len(question.options) + 1)}  # positions
    for answer in sorted(near_misses):
        typed = value(answer)
        if typed is None or (right is not None and typed == right):
            continue  # "1e" is not a number; "0.1" from "0.10" is the right value
        verdict = question.check(answer)
        assert not verdict.correct, (answer, verdict)
        if typed in values:  # "0.0" is the option 0: wrong, and read as that option
            assert verdict.readable, (answer, verdict)
            assert value(verdict.interpreted or "") == typed, (answer, verdict)
        else:  # "0.7" is none of 0.25, 0.75, 1, 2: unreadable, so a slip costs nothing
            assert not verdict.readable, (answer, verdict)
            assert verdict.interpreted is None, (answer, verdict)


@by_name(QUESTIONS)
def test_garbage_is_unreadable_and_the_error_lists_the_options(question: Question) -> None:
    first = f"(a) {question.options[0]}"
    for answer in ("banana split", "", "?", "zz", "(z)", "0.123456789", "1e99999", "9" * 5000, "-"):
        verdict = question.check(answer)
        assert not verdict.correct, (answer, verdict)
        assert not verdict.readable, (answer, verdict)
        assert verdict.interpreted is None
        assert verdict.error is not None
        assert first in verdict.error


def question(name: str) -> Question:
    return next(q for q in QUESTIONS if q.name == name)


def test_the_reported_cases() -> None:
    adamw = question("optimizers/adamw-default-wd=0.01")  # options 0, 1e-4, 0.01, 0.1
    assert adamw.check(".01").correct
    assert adamw.check("1e-2").correct
    assert adamw.check("0.010").correct
    zero = adamw.check("0.0")
    assert not zero.correct
    assert zero.interpreted == "0"
    assert not adamw.check("0.01001").correct
    assert not adamw.check("0.01001").readable
    focal = question("losses/focal-alpha=0.75")  # options 0.25, 0.75, 1, 2
    assert not focal.check("0.7").correct
    assert not focal.check("0.7").readable
    assert focal.check("3/4").correct
    assert focal.check("b").correct
    assert focal.check("2").interpreted == "2"
    assert focal.check("1").interpreted == "1"
    relu = question("activations/relu-grad-at-zero=0")  # options 0, 0.5, 1, undefined (NaN)
    assert relu.check("1").interpreted == "1"
    assert not relu.check("1").correct
    assert relu.check("-0").correct
    assert relu.check("0.0").correct
    assert relu.check("undef").interpreted == "undefined (NaN)"
    assert not relu.check("nan").readable  # not a number here: it names no option


def test_the_live_preview_reads_choices_the_same_way() -> None:
    adamw = question("optimizers/adamw-default-wd=0.01")
    assert read_as(adamw.instance, "1e-2") == (True, "→ (c) 0.01")
    readable, message = read_as(adamw.instance, "0.0")
    assert readable
    assert message == "→ (a) 0"
    readable, message = read_as(question("losses/focal-alpha=0.75").instance, "0.7")
    assert not readable
    assert "(b) 0.75" in message


@pytest.mark.parametrize(
    ("options", "answer", "expected"),
    [
        (("x − f(x)/f′(x)", "x − f′(x)/f″(x)"), "x - f'(x)/f''(x)", 1),  # typed minus and primes
        (("x − f(x)/f′(x)", "x − f′(x)/f″(x)"), "x-f'(x)/f''(x)", 1),
        (("β₁ = 0.9, β₂ = 0.99", "β₁ = 0.9, β₂ = 0.999"), "β1 = 0.9, β2 = 0.999", 1),
        (("−1", "0", "1"), "-1", 0),
        (("−1", "0", "1"), "−1.0", 0),
        (("local minimum", "saddle point"), "Saddle   Point.", 1),
        (("1/2", "1/3"), "0.5", 0),
        (("the first half", "the second half"), "the sec", 1),
    ],
)
def test_option_text_is_normalised(options: tuple[str, ...], answer: str, expected: int) -> None:
    assert option_index(options, answer) == expected


@pytest.mark.parametrize(
    ("options", "answer"),
    [
        (("local minimum", "local maximum"), "local"),  # the start of two options
        (("b", "a"), "a"),  # the text of (b) and the letter of (a)
        (("0.1", "1e-1"), "0.10"),  # two options of one value
        (("0.25", "0.75"), "0.7"),  # a prefix of a number names nothing
        (("0.25", "0.75"), "2"),  # among numbers, 2 is a value, not a position
        (("ReLU", "GELU"), "re"),  # a prefix needs 3 characters
        (("0", "0.5 (one half)"), "0.5"),  # nor is a number the start of a text option
    ],
)
def test_ambiguous_or_unknown_answers_are_unreadable(options: tuple[str, ...], answer: str) -> None:
    with pytest.raises(ExpressionError, match="not one of the options"):
        option_index(options, answer)
