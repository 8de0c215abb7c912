"""Symbolic cards: an expression in the card's variables, right when it equals the expected one.

Equality is decided by `engine.checking.equivalence` (sympy with a deadline, then
sampling), so any equivalent form is right; a wrong answer is named when it is equivalent
to one of the card's declared mistakes, else when it is one small edit of the expected answer
(`engine.checking.diagnosis`: `auto:<edit>`), and shown where it differs. When the two cannot be
compared (undefined almost everywhere, or beyond what float64 and sympy can tell), the
answer is neither right nor wrong: the verdict says so and is not `judged`, so no session
records it, and no mistake is named.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from engine.checking.boundary import Attempt, failure_message, judged
from engine.checking.diagnosis import diagnose
from engine.checking.equivalence import UNDECIDED, Equivalence, equivalent
from engine.checking.verdict import Verdict
from engine.decks.kinds.base import CardChecks, Kind
from engine.errors import EngineError
from engine.expr.names import display_name
from engine.expr.parser import parse_with_variables
from engine.expr.printer import to_unicode
from engine.render.numbers import format_apart, format_number

if TYPE_CHECKING:
    from engine.decks.cards import Card, Step
    from engine.decks.instance import Instance


class Symbolic(Kind):
    name: ClassVar[str] = "symbolic"

    def check(self, instance: Instance, answer: str) -> Verdict:
        expected = self.expected_text(instance)
        return judged(
            expected, None, answer, lambda attempt: _check(instance.card, instance.seed, answer, attempt)
        )

    def expected_text(self, instance: Instance) -> str:
        card = instance.card
        assert card.answer is not None
        return to_unicode(parse_with_variables(card.answer.text, card.variables))

    def preview(self, instance: Instance, text: str, step: Step | None = None) -> tuple[bool, str]:
        card = instance.card
        try:
            return True, "read as: " + to_unicode(parse_with_variables(text, card.variables))
        except Exception as error:  # the same rule as `judged`: nothing was read yet
            return False, f"⚠ {failure_message(error, text)}"

    def placeholder(self, card: Card) -> str:
        names = ", ".join(card.variables)
        return f"an expression in {names}" if names else "an expression"

    def validate(self, card: Card, checks: CardChecks) -> None:
        checks.symbolic()


def _check(card: Card, seed: int, answer: str, attempt: Attempt) -> Verdict:
    assert card.answer is not None
    expected_node = parse_with_variables(card.answer.text, card.variables)
    expected_text = to_unicode(expected_node)
    node = parse_with_variables(answer, card.variables)
    attempt.interpreted = interpreted = to_unicode(node)
    outcome = equivalent(node, expected_node, card.variables, seed=seed)
    if outcome.equal:
        return Verdict(
            True, interpreted, expected_text, "Correct: equivalent to the expected answer.", score=1.0
        )
    if not outcome.decided:
        return Verdict(False, interpreted, expected_text, _undecided(outcome), judged=False)
    for index, mistake in enumerate(card.mistakes):
        try:
            mistake_node = parse_with_variables(mistake.answer.text, card.variables)
            if equivalent(node, mistake_node, card.variables, seed=seed, time_budget=0.3).equal:
                return Verdict(
                    False,
                    interpreted,
                    expected_text,
                    mistake.feedback,
                    mistake.name or f"mistake-{index + 1}",
                )
        except EngineError:
            continue  # validation reports broken mistakes; a learner should not see them
    difference = _explain_difference(outcome)
    diagnosis = diagnose(node, expected_node, card.variables, seed=seed)
    if diagnosis is not None:  # one small edit of the expected answer, verified at every point
        feedback = f"{diagnosis.message} {difference}"
        return Verdict(False, interpreted, expected_text, feedback, diagnosis.mistake)
    return Verdict(False, interpreted, expected_text, difference)


def _undecided(outcome: Equivalence) -> str:
    reason = outcome.method.removeprefix(UNDECIDED)
    return f"Undecided: your answer and the expected one could not be compared ({reason}); it is not counted."


def _explain_difference(outcome: Equivalence) -> str:
    point = ", ".join(
        f"{display_name(name)} = {format_number(value)}" for name, value in outcome.counterexample.items()
    )
    if outcome.undefined:
        return f"Not equivalent: your answer is not a real number where the expected one is (at {point})."
    if outcome.values is None:
        return f"Not equivalent ({outcome.method})."
    # Digits enough to tell the two apart: 2366841.23 and 2366840 must not both read 2.36684e6.
    mine, theirs = format_apart(*outcome.values)
    where = f" at {point}" if point else ""
    return (
        f"Not equivalent: {where.strip() or 'here'}, your answer gives {mine}"
        f" but the expected answer gives {theirs}."
    )


KIND = Symbolic()
