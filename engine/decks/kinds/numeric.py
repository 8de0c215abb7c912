"""Numeric cards: a number, vector or matrix, right at the card's precision (or within its tolerance).

The expected value comes from the card's torch reference when it names one (torch is the
truth), else from its `answer` formula, on the instance's drawn givens. An answer may be
an expression of numbers (`sqrt(2)/2`, `[1, -2]`), never of names; a wrong one is named
when it matches a known mistake (the card's or the reference's) at the same accuracy.
Here too is what decides whether an instance can tell a mistake from the answer at all
(`separated`), which drawing (`engine.decks.instance`) and `validate` both ask.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final

import numpy as np
import numpy.typing as npt

from engine.checking.boundary import Attempt, failure_message, judged
from engine.checking.verdict import Verdict
from engine.decks.cards import Accuracy, Tolerance
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
_ZERO_SHARE: Final = 1e-12
"""An element below this share of its answer's largest is an exact zero that float64 left as
noise (1e-17 where the value is 0): its significant figures are counted at the answer's scale."""
_SLACK: Final = 1e-12
"""Relative room for float64 in the comparison, so that 1.01 is within 0.01 of 1 (in floats
|1.01 − 1| is 0.010000000000000009): far below any precision a card can ask for."""


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
        accuracy = instance.card.accuracy
        return judged(expected, None, answer, lambda attempt: check_number(goal, answer, accuracy, attempt))

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


def band(expected: Array, accuracy: Accuracy, batched: bool = False) -> Array:
    """How far an answer may be from `expected`, element by element (the rule of docs/deck-format.md).

    A tolerance allows atol + rtol·|e|. A precision allows one unit in the last asked-for
    place of the exact value, so that rounding it either way, or cutting it off, passes and
    a digit fewer does not: 10^-d for `d dp`; 10^(k − n + 1) for `n sig`, where 10^k ≤ |e| <
    10^(k+1), counted for each element on its own (a vector's 0.5 and 0.0012 both to n
    figures). An element that is 0 has no significant figures: it is held to its answer's
    largest element's unit, and an answer that is 0 throughout must be 0.
    """
    magnitude = np.abs(np.asarray(expected, dtype=np.float64))
    if isinstance(accuracy, Tolerance):
        return np.asarray(accuracy.atol + accuracy.rtol * magnitude, dtype=np.float64)
    if accuracy.unit == "dp":
        return np.full(magnitude.shape, 10.0**-accuracy.digits)
    items = tuple(range(1 if batched else 0, magnitude.ndim))
    scale = magnitude.max(axis=items, keepdims=True) if items else magnitude
    counted = np.where(magnitude > _ZERO_SHARE * scale, magnitude, scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.floor(np.log10(counted))
        exponent += 10.0 ** (exponent + 1) <= counted  # log10 may land a hair below a power of ten
        exponent -= 10.0**exponent > counted
        unit = 10.0 ** (exponent - accuracy.digits + 1)
    return np.where(counted > 0, unit, 0.0)


def _deviation_allowed(expected: Array, accuracy: Accuracy, batched: bool) -> Array:
    return band(expected, accuracy, batched) * (1 + _SLACK) + _SLACK * np.abs(expected)


def within_tolerance(answer: npt.NDArray[Any], expected: Array, accuracy: Accuracy) -> bool:
    """Whether every element of `answer` is within the accuracy's band of `expected` (finite)."""
    deviation = np.abs(answer - expected)
    return bool(
        np.all(np.isfinite(expected)) and np.all(deviation <= _deviation_allowed(expected, accuracy, False))
    )


def separated(
    expected: Array, mistake: Array, accuracy: Accuracy, batched: bool = False
) -> npt.NDArray[np.bool_]:
    """Whether the mistake can be told from the answer (per instance, when `batched`).

    It can when both are finite and, in some element, their bands do not overlap: then no
    answer is both right and the mistake at this accuracy, and whoever makes the mistake,
    rounding its value as asked, is told so rather than told they are right. A mistake of
    another shape is told apart by its shape. A non-finite mistake is never separated: it
    is no mistake at this instance (`check_number` skips it).
    """
    if mistake.shape != expected.shape:
        return np.full(expected.shape[:1] if batched else (), True)
    items = tuple(range(1 if batched else 0, expected.ndim))
    finite = np.isfinite(expected) & np.isfinite(mistake)
    apart = np.abs(mistake - expected) > (
        _deviation_allowed(expected, accuracy, batched) + _deviation_allowed(mistake, accuracy, batched)
    )
    return np.asarray(np.all(finite, axis=items) & np.any(apart & finite, axis=items))


def check_number(
    goal: Target, answer: str, accuracy: Accuracy, attempt: Attempt, part: str | None = None
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
    if within_tolerance(got, expected, accuracy):
        return Verdict(
            True, interpreted, expected_text, f"Correct (expected {expected_text}).", score=1.0, part=part
        )
    for mistake in goal.mistakes:  # one that is infinite or NaN here is no mistake here
        if mistake.value.shape == got.shape and within_tolerance(got, mistake.value, accuracy):
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
