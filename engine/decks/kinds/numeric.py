"""Numeric cards: a number, vector or matrix, right within the card's tolerance.

The expected value comes from the card's torch reference when it names one (torch is the
truth), else from its `answer` formula, on the instance's drawn givens. An answer may be
an expression of numbers (`sqrt(2)/2`, `[1, -2]`), never of names; a wrong one is named
when it matches a known mistake (the card's or the reference's) within the same tolerance.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final

import numpy as np
import numpy.typing as npt

from engine.checking.boundary import Attempt, failure_message, judged
from engine.checking.verdict import Verdict
from engine.decks.cards import Tolerance
from engine.decks.kinds.base import CardChecks, Kind
from engine.decks.solution import Solution, Target, card_output, target
from engine.errors import EvaluationError, ExpressionError
from engine.expr.ast import Neg, Node, Number
from engine.expr.numeric import Value, describe_shape, evaluate
from engine.expr.parser import ParseOptions, parse
from engine.expr.printer import to_unicode
from engine.render.numbers import format_value

if TYPE_CHECKING:
    from engine.decks.cards import Card, Step
    from engine.decks.instance import Instance

Array = npt.NDArray[np.float64]
NUMERIC_ANSWER: Final = ParseOptions(allow_names=False)
_PREVIEW_NUMBERS: Final = 16  # the preview shows a larger result by its shape, not its numbers


class Numeric(Kind):
    name: ClassVar[str] = "numeric"
    expected_ms: ClassVar[int] = 30_000  # arithmetic by hand takes longer

    def solve(
        self,
        card: Card,
        solution: Solution,
        outputs: Mapping[str, Array],
        reference_mistakes: list[Any],
        batched: bool,
    ) -> None:
        output = card_output(card, outputs)
        solution.answer = target(
            card.answer, output, outputs, card.mistakes, reference_mistakes, solution, batched, card.line
        )

    def check(self, instance: Instance, answer: str) -> Verdict:
        expected = self.expected_text(instance)
        goal = instance.solution.answer
        assert goal is not None
        tolerance = instance.card.tolerance
        return judged(expected, None, answer, lambda attempt: check_number(goal, answer, tolerance, attempt))

    def expected_text(self, instance: Instance) -> str:
        assert instance.solution.answer is not None
        return format_value(instance.solution.answer.value)

    def preview(self, instance: Instance, text: str, step: Step | None = None) -> tuple[bool, str]:
        return preview_number(text)

    def placeholder(self, card: Card) -> str:
        return "a number, an expression of numbers, or [a vector]"

    def validate(self, card: Card, checks: CardChecks) -> None:
        checks.instanced()


def read_numeric_answer(answer: str) -> tuple[Node, Value]:
    """Parse and evaluate a numeric answer: numbers, expressions of numbers, [vectors]."""
    node = parse(answer, NUMERIC_ANSWER)
    return node, numeric_value(node)


def numeric_value(node: Node) -> Value:
    """The value of a parsed numeric answer; one that has none (mismatched shapes, an index
    out of range) cannot be read as a number, so that is an `ExpressionError`."""
    try:
        return evaluate(node)
    except EvaluationError as error:
        raise ExpressionError(error.message) from error


def within_tolerance(answer: npt.NDArray[Any], expected: Array, tolerance: Tolerance) -> bool:
    return bool(np.all(np.abs(answer - expected) <= tolerance.atol + tolerance.rtol * np.abs(expected)))


def check_number(
    goal: Target, answer: str, tolerance: Tolerance, attempt: Attempt, part: str | None = None
) -> Verdict:
    """The verdict on a numeric answer (or part) against its target; raises for `judged` to catch."""
    expected = goal.value
    expected_text = format_value(expected)
    node = parse(answer, NUMERIC_ANSWER)
    attempt.interpreted = interpreted = to_unicode(node)
    value = numeric_value(node)
    got = np.asarray(value.data, dtype=np.float64)
    if got.size == 1 and expected.size == 1:  # 1.27 answers a one-coordinate point [1.27]
        got = got.reshape(expected.shape)
    if got.shape != expected.shape:
        message = f"expected {describe_shape(expected.shape)}, got {describe_shape(got.shape)}"
        return Verdict(False, interpreted, expected_text, "Wrong shape.", error=message, part=part)
    if not np.all(np.isfinite(got)):
        return Verdict(
            False,
            interpreted,
            expected_text,
            "Not a finite number.",
            error="your answer is NaN or infinite",
            part=part,
        )
    shown = format_value(got)
    if not isinstance(node, Number | Neg):  # show what an expression such as sqrt(2)/2 came to
        interpreted = f"{interpreted} = {shown}"
    if within_tolerance(got, expected, tolerance):
        return Verdict(
            True, interpreted, expected_text, f"Correct (expected {expected_text}).", score=1.0, part=part
        )
    for mistake in goal.mistakes:
        if mistake.value.shape == got.shape and within_tolerance(got, mistake.value, tolerance):
            return Verdict(False, interpreted, expected_text, mistake.feedback, mistake.name, part=part)
    return Verdict(
        False, interpreted, expected_text, f"Wrong: expected {expected_text}, got {shown}.", part=part
    )


def preview_number(text: str) -> tuple[bool, str]:
    """The live preview of a numeric answer: what it reads as and, for an expression, its value."""
    attempt = Attempt()
    try:
        node = parse(text, NUMERIC_ANSWER)
        attempt.interpreted = shown = to_unicode(node)
        value = numeric_value(node)
        if not isinstance(node, Number | Neg):
            big = value.data.size > _PREVIEW_NUMBERS
            shown += " = " + (describe_shape(value.item_shape) if big else format_value(value.data))
    except Exception as error:
        message = failure_message(error, text)
        if attempt.unreadable(error):
            return False, f"⚠ {message}"
        return True, f"read as: {attempt.interpreted} (it could not be evaluated: {message})"
    return True, "read as: " + shown


KIND = Numeric()
