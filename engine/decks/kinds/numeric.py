"""Numeric cards: a number, vector or matrix, right at the card's precision (or within its tolerance).

The expected value comes from the card's torch reference when it names one (torch is the
truth), else from its `answer` formula, on the instance's drawn givens. An answer may be
an expression of numbers (`sqrt(2)/2`, `[1, -2]`), never of names; a wrong one is named
when it matches a known mistake (the card's or the reference's) at the same accuracy, else,
when it is a single number, when it is a value near at hand (another part, a given, a
default) or a simple slip of the expected one (`engine.checking.diagnosis`: `auto:<edit>`).
Here too is what decides whether an instance can tell a mistake from the answer at all
(`separated`), which drawing (`engine.decks.instance`) and `validate` both ask.

Which mistake a wrong answer is told (`matching_mistakes`): only one that this instance can
tell from the answer (`separated`: where the two agree at the card's precision, an answer a
hair outside the band is no evidence of the mistake), and that the answer is within the
accuracy's band of. Two mistakes an answer matches always overlap at that accuracy (each is
within a band of the answer), so the answer cannot tell them apart: the learner is told
every one, the most specific first, and `Verdict.mistake` names that one. The most
specific is the closest to the answer (its distance counted in units of the mistake's own
band, so that digits beyond the precision asked for, when given, decide); on a tie (two
mistakes that coincide at this instance) the card's own mistake before its reference's,
since the author wrote it for this card, then the order they are declared in.

Two computations of one value over a batch (the author's formula against torch's, a known
mistake against the formula) are compared at the scale of the right answer over the batch
(`agree`), not element by element: where the answer is 0, a relative tolerance allows
nothing, and an epsilon of 1e-8 that one formula adds and the other leaves out would make
them differ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Final

import numpy as np
import numpy.typing as npt

from engine.checking.boundary import Attempt, failure_message, judged
from engine.checking.diagnosis import Diagnosis, diagnose_number
from engine.checking.verdict import Verdict
from engine.decks.cards import Accuracy, Tolerance
from engine.decks.kinds.base import CardChecks, Kind
from engine.decks.solution import KnownMistake, Solution, Target, card_output, target
from engine.errors import EvaluationError, ExpressionError
from engine.expr.ast import ListExpr, Neg, Node, Number
from engine.expr.names import canonical_name, display_name
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
MATCH_RTOL: Final = 1e-7
"""How close, as a share of the right answer's scale over a batch (`answer_scale`), two
computations of one value must be to be the same (`agree`): far below any precision a learner
is asked for, far above float64's rounding."""
_SCALE_FLOOR: Final = 1e-3
"""The least scale of an element position, as a share of the batch's largest element: a
position that is 0 at every instance (a gradient's coordinate that never moves) still has one."""
_TIE: Final = 1e-6
"""Mistakes whose distances from an answer (in units of their bands) differ by less than this
are equally close: they coincide at the instance, and specificity decides."""


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
        return judged(
            expected,
            None,
            answer,
            lambda attempt: check_number(
                goal, answer, accuracy, attempt, neighbours=partial(neighbouring_values, instance)
            ),
        )

    def expected_text(self, instance: Instance) -> str:
        assert instance.solution.answer is not None
        return format_value(instance.solution.answer.value)

    def preview(self, instance: Instance, text: str, step: Step | None = None) -> tuple[bool, str]:
        return preview_number(text)

    def placeholder(self, card: Card) -> str:
        return "a number, an expression of numbers, [1, 2] or [[1, 2], [3, 4]]"

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
    goal: Target,
    answer: str,
    accuracy: Accuracy,
    attempt: Attempt,
    part: str | None = None,
    neighbours: Callable[[], Mapping[str, float]] | None = None,
) -> Verdict:
    """The verdict on a numeric answer (or part) against its target; raises for `judged` to catch.

    A wrong number that matches no known mistake is diagnosed (`engine.checking.diagnosis`):
    the value of one of `neighbours` (`neighbouring_values`, worked out only then), the sign, or
    a factor of 2, ½, 10 or 0.1, at this accuracy.
    """
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
    matched = matching_mistakes(goal, got, accuracy)
    if matched:
        return Verdict(
            False, interpreted, expected_text, mistake_feedback(matched), matched[0].name, part=part
        )
    diagnosis = _diagnosis(expected, got, accuracy, neighbours() if neighbours is not None else {})
    if diagnosis is not None:
        feedback = f"{diagnosis.message} Expected {expected_text}, got {shown}."
        return Verdict(False, interpreted, expected_text, feedback, diagnosis.mistake, part=part)
    return Verdict(
        False, interpreted, expected_text, f"Wrong: expected {expected_text}, got {shown}.", part=part
    )


def _diagnosis(
    expected: Array, got: Array, accuracy: Accuracy, neighbours: Mapping[str, float]
) -> Diagnosis | None:
    """What a wrong single number is, at the band of this accuracy (`matching_mistakes`'): None for
    a vector or a matrix."""
    if expected.size != 1:
        return None

    def agrees(value: float, answer: float) -> bool:
        allowed = _deviation_allowed(np.asarray(value, dtype=np.float64), accuracy, False)
        return bool(abs(answer - value) <= allowed)

    return diagnose_number(
        float(got.reshape(-1)[0]), float(expected.reshape(-1)[0]), neighbours, agrees=agrees
    )


def neighbouring_values(instance: Instance, skip: str | None = None) -> dict[str, float]:
    """The single numbers near a numeric answer that a wrong one may be, named as a learner reads
    them: the card's other parts (not `skip`), its reference's other outputs, its givens, and the
    reference's defaults, in that order (the order `diagnose_number` tries them in)."""
    card, solution = instance.card, instance.solution
    found: dict[str, float] = {}

    def add(name: str, value: Array) -> None:
        number = np.asarray(value, dtype=np.float64)
        if number.size == 1 and np.isfinite(number).all() and name not in found:
            found[name] = float(number.reshape(-1)[0])

    for index, step in enumerate(card.steps, 1):
        if step.name != skip and step.name in solution.parts:
            add(f"part {index}, {step.label}", solution.parts[step.name].value)
    env = {canonical_name(name): value for name, value in solution.reference_env.items()}
    values = {canonical_name(name): value for name, value in solution.values.items()}
    givens = [canonical_name(given.name) for given in card.given]
    outputs: list[str] = []
    defaults: list[str] = []
    if card.reference is not None:
        from engine.references import get_reference

        reference = get_reference(card.reference.name)
        parts = {canonical_name(step.name) for step in card.steps}
        outputs = [canonical_name(output.name) for output in reference.outputs]
        outputs = [name for name in outputs if name not in parts]
        mapped = {canonical_name(name) for name, _ in card.reference.inputs}
        defaults = [canonical_name(param.name) for param in reference.inputs]
        defaults = [name for name in defaults if name not in mapped and name not in givens]
    for name in outputs:
        if name in env:
            add(f"{display_name(name)} (an intermediate result)", env[name])
    for name in givens:
        if name in values:
            add(f"{display_name(name)} (given in the question)", values[name])
    for name in defaults:
        if name in env:
            add(f"{display_name(name)} (torch's default)", env[name])
    return found


def matching_mistakes(goal: Target, got: Array, accuracy: Accuracy) -> list[KnownMistake]:
    """The known mistakes a wrong answer matches, the most specific first (see the module's docstring).

    A mistake is matched where it has the answer's shape, this instance tells it from the
    right answer (`separated`; one that is infinite or NaN here is no mistake here), and the
    answer is within its band.
    """
    found: list[tuple[float, bool, int, KnownMistake]] = []
    for index, mistake in enumerate(goal.mistakes):
        wrong = mistake.value
        if wrong.shape != got.shape or not separated(goal.value, wrong, accuracy):
            continue
        allowed = _deviation_allowed(wrong, accuracy, False)
        deviation = np.abs(got - wrong)
        if np.all(deviation <= allowed):
            units = np.divide(deviation, allowed, out=np.zeros_like(deviation), where=allowed > 0)
            found.append((float(units.max(initial=0.0)), mistake.line == 0, index, mistake))
    if not found:
        return []
    found.sort(key=lambda entry: entry[:3])
    closest = found[0][0]
    first = min((entry for entry in found if entry[0] <= closest + _TIE), key=lambda entry: entry[1:3])
    return [first[3]] + [entry[3] for entry in found if entry is not first]


def mistake_feedback(matched: list[KnownMistake]) -> str:
    """What a learner whose answer matches these mistakes (most specific first) is told: all of them,
    since their answer cannot tell them apart, and saying one would be a guess."""
    if len(matched) == 1:
        return matched[0].feedback
    listed = " ".join(f"({number}) {mistake.feedback}" for number, mistake in enumerate(matched, 1))
    return f"This matches {len(matched)} known mistakes, which your answer cannot tell apart: {listed}"


def answer_scale(expected: Array) -> Array:
    """The scale of a batch's right answer (batch axis first), per element position: the largest
    magnitude any instance has there, and at least `_SCALE_FLOOR` of the batch's largest.

    An answer that is 0 (or not finite) everywhere has no scale: 1 stands in, so that a
    difference is then absolute.
    """
    magnitude = np.where(np.isfinite(expected), np.abs(expected), 0.0)
    largest = float(magnitude.max(initial=0.0))
    if largest == 0.0:
        return np.ones(expected.shape[1:])
    return np.asarray(np.maximum(magnitude.max(axis=0), _SCALE_FLOOR * largest), dtype=np.float64)


def allowed_difference(scale: Array, other: Array, rtol: float) -> Array:
    """How far a value may be from `other` and still agree: `rtol` of the answer's `scale`, or of
    `other`'s own size where that is larger. The one band every batch comparison uses."""
    return np.asarray(rtol * np.maximum(scale, np.abs(other)), dtype=np.float64)


def close_at_scale(
    values: Array, other: Array, expected: Array, rtol: float = MATCH_RTOL
) -> npt.NDArray[np.bool_]:
    """Element by element over a batch: whether `values` and `other` differ by at most `rtol` of
    the right answer's scale (`answer_scale` of `expected`), or of `other`'s own size where that
    is larger. Equal infinities are close; NaN is close to nothing."""
    allowed = allowed_difference(answer_scale(expected), other, rtol)
    with np.errstate(invalid="ignore"):
        return np.asarray((np.abs(values - other) <= allowed) | (values == other))


def agree(values: Array, other: Array, expected: Array, rtol: float = MATCH_RTOL) -> npt.NDArray[np.bool_]:
    """Per instance of a batch: whether every element of `values` is close to `other`'s (`close_at_scale`)."""
    close = close_at_scale(values, other, expected, rtol)
    return np.asarray(close.reshape(len(close), -1).all(axis=1))


def mistakes_matching_over(
    formula: Array, mistakes: Iterable[KnownMistake], where: npt.NDArray[np.bool_], expected: Array
) -> list[KnownMistake]:
    """The known mistakes `formula` is at every instance `where` says (`agree`, at the scale of
    `expected`), the closest first: what a formula that disagrees with torch there got wrong.

    Mistakes that all match coincide on these instances, and the closest is the most likely
    (as for a learner's answer); each is a lead for the author.
    """
    found: list[tuple[float, int, KnownMistake]] = []
    if not where.any():
        return []
    for index, mistake in enumerate(mistakes):
        if (
            mistake.value.shape != formula.shape
            or not agree(formula[where], mistake.value[where], expected).all()
        ):
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            deviation = np.abs(formula[where] - mistake.value[where]) / answer_scale(expected)
        found.append((float(np.nan_to_num(deviation).max(initial=0.0)), index, mistake))
    return [mistake for *_, mistake in sorted(found, key=lambda entry: entry[:2])]


def preview_number(text: str) -> tuple[bool, str]:
    """The live preview of a numeric answer: what it reads as and, for an expression, its value."""
    attempt = Attempt()
    try:
        node = parse(text, NUMERIC_ANSWER)
        attempt.interpreted = shown = to_unicode(node)
        value = numeric_value(node)
        if not _literal(node):  # an expression: its value too ([[1, -2]] is its own value)
            big = value.data.size > _PREVIEW_NUMBERS
            shown += " = " + (describe_shape(value.item_shape) if big else format_value(value.data))
    except Exception as error:
        message = failure_message(error, text)
        if attempt.unreadable(error):
            return False, f"⚠ {message}"
        return True, f"read as: {attempt.interpreted} (it could not be evaluated: {message})"
    return True, "read as: " + shown


def _literal(node: Node) -> bool:
    """Whether `node` is written-out numbers: `0.5`, `-2`, `[[1, -2], [0.5, 3]]`."""
    if isinstance(node, Neg):
        return _literal(node.operand)
    if isinstance(node, ListExpr):
        return all(_literal(item) for item in node.items)
    return isinstance(node, Number)


KIND = Numeric()
