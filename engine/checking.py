"""Judge an answer to an instance of a card, and say why.

Every verdict carries how the answer was read (pretty-printed), the expected answer, a
sentence of feedback, the name of the recognised mistake if there is one, and an error
message instead of a judgement when the input could not be read. Nothing here raises for
bad answers: they are a normal part of studying.
"""

from __future__ import annotations

import re
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from engine.cards import Card, DeclaredMistake, Step, Tolerance
from engine.equivalence import Equivalence, equivalent
from engine.errors import EngineError, EvaluationError, ExpressionError
from engine.expr.ast import Neg, Node, Number
from engine.expr.numeric import Value, describe_shape, evaluate
from engine.expr.parser import ParseOptions, parse, parse_with_variables
from engine.expr.printer import to_unicode
from engine.instance import Instance, format_number, format_value
from engine.solution import Target
from engine.verdict import Verdict

Array = npt.NDArray[np.float64]
_STEP_SEPARATOR: Final = re.compile(r"[;\n]")


class CardUsageError(EngineError):
    """A check that does not apply to this card (a flash card is rated, not checked)."""


def check_answer(instance: Instance, answer: str) -> Verdict:
    """The verdict on `answer` for this instance of its card."""
    card = instance.card
    if card.kind == "flash":
        raise CardUsageError("flash cards are self-rated: show the card with --reveal instead")
    if card.kind == "symbolic":
        return _check_symbolic(card, instance.seed, answer)
    if card.kind == "choice":
        return _check_choice(card.options, instance.solution.choices[0], answer)
    if card.kind == "steps":
        return _check_steps(instance, answer)
    assert instance.solution.answer is not None
    return _check_numeric(instance.solution.answer, answer, card.tolerance)


def expected_answer_text(instance: Instance) -> str:
    """The expected answer, as `quizapp show --reveal` prints it."""
    card = instance.card
    if card.kind == "flash":
        return card.explanation
    if card.kind == "symbolic":
        assert card.answer is not None
        return to_unicode(parse_with_variables(card.answer.text, card.variables))
    solution = instance.solution
    if card.kind == "choice":
        return solution.choices[0]
    if card.kind == "steps":
        lines = []
        for step in card.steps:
            if step.is_choice:
                assert step.answer is not None
                lines.append(f"{step.prompt} {step.answer.text}")
            else:
                lines.append(f"{step.prompt} {format_value(solution.parts[step.name].value)}")
        return "\n".join(lines)
    assert solution.answer is not None
    return format_value(solution.answer.value)


# -- symbolic ----------------------------------------------------------------------------


def _check_symbolic(card: Card, seed: int, answer: str) -> Verdict:
    assert card.answer is not None
    expected_node = parse_with_variables(card.answer.text, card.variables)
    expected_text = to_unicode(expected_node)
    try:
        node = parse_with_variables(answer, card.variables)
    except ExpressionError as error:
        return Verdict(False, None, expected_text, "Your answer could not be read.", error=error.message)
    interpreted = to_unicode(node)
    try:
        outcome = equivalent(node, expected_node, card.variables, seed=seed)
    except EngineError as error:
        return Verdict(
            False, interpreted, expected_text, "Your answer could not be evaluated.", error=error.message
        )
    if outcome.equal:
        return Verdict(
            True, interpreted, expected_text, "Correct: equivalent to the expected answer.", score=1.0
        )
    for index, mistake in enumerate(card.mistakes):
        try:
            mistake_node = parse_with_variables(mistake.answer.text, card.variables)
            if equivalent(node, mistake_node, card.variables, seed=seed, time_budget=0.3).equal:
                return Verdict(
                    False, interpreted, expected_text, mistake.feedback, _mistake_name(mistake, index)
                )
        except EngineError:
            continue  # validation reports broken mistakes; a learner should not see them
    return Verdict(False, interpreted, expected_text, _explain_difference(outcome))


def _explain_difference(outcome: Equivalence) -> str:
    point = ", ".join(f"{name} = {format_number(value)}" for name, value in outcome.counterexample.items())
    if outcome.undefined:
        return f"Not equivalent: your answer is not a real number where the expected one is (at {point})."
    if outcome.values is None:
        return f"Not equivalent ({outcome.method})."
    mine, theirs = outcome.values
    where = f" at {point}" if point else ""
    return (
        f"Not equivalent: {where.strip() or 'here'}, your answer gives {format_number(mine)}"
        f" but the expected answer gives {format_number(theirs)}."
    )


def _mistake_name(mistake: DeclaredMistake, index: int) -> str:
    return mistake.name or f"mistake-{index + 1}"


# -- numeric -----------------------------------------------------------------------------


def read_numeric_answer(answer: str) -> tuple[Node, Value]:
    """Parse and evaluate a numeric answer: numbers, expressions of numbers, [vectors]."""
    node = parse(answer, ParseOptions(allow_names=False))
    try:
        return node, evaluate(node)
    except EvaluationError as error:
        raise ExpressionError(error.message) from error


def within_tolerance(answer: npt.NDArray[Any], expected: Array, tolerance: Tolerance) -> bool:
    return bool(np.all(np.abs(answer - expected) <= tolerance.atol + tolerance.rtol * np.abs(expected)))


def _check_numeric(target: Target, answer: str, tolerance: Tolerance, part: str | None = None) -> Verdict:
    expected = target.value
    expected_text = format_value(expected)
    try:
        node, value = read_numeric_answer(answer)
    except ExpressionError as error:
        return Verdict(
            False, None, expected_text, "Your answer could not be read.", error=error.message, part=part
        )
    interpreted = to_unicode(node)
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
    for mistake in target.mistakes:
        if mistake.value.shape == got.shape and within_tolerance(got, mistake.value, tolerance):
            return Verdict(False, interpreted, expected_text, mistake.feedback, mistake.name, part=part)
    return Verdict(
        False, interpreted, expected_text, f"Wrong: expected {expected_text}, got {shown}.", part=part
    )


# -- choice ------------------------------------------------------------------------------


def option_index(options: tuple[str, ...], answer: str) -> int:
    """Which option `answer` picks: its text, its letter (b, b), (b)), number (2), or a unique prefix."""
    text = " ".join(answer.strip().lower().split())
    lowered = [" ".join(o.lower().split()) for o in options]
    if text in lowered:
        return lowered.index(text)
    label = text.strip("().")  # "(b)", "b)", "2." name an option by its label
    if len(label) == 1 and "a" <= label < chr(ord("a") + len(options)):
        return ord(label) - ord("a")
    if label.isdigit() and 1 <= int(label) <= len(options):
        return int(label) - 1
    matches = [i for i, o in enumerate(lowered) if len(text) >= 3 and o.startswith(text)]
    if len(matches) == 1:
        return matches[0]
    listed = ", ".join(f"({chr(ord('a') + i)}) {o}" for i, o in enumerate(options))
    raise ExpressionError(f"{answer.strip()!r} is not one of the options: {listed}")


def _check_choice(options: tuple[str, ...], right: str, answer: str, part: str | None = None) -> Verdict:
    right_index = option_index(options, right)
    expected_text = options[right_index]
    try:
        chosen = option_index(options, answer)
    except ExpressionError as error:
        return Verdict(False, None, expected_text, "Pick one of the options.", error=error.message, part=part)
    if chosen == right_index:
        return Verdict(True, options[chosen], expected_text, "Correct.", score=1.0, part=part)
    return Verdict(False, options[chosen], expected_text, f"Wrong: the answer is {expected_text}.", part=part)


# -- steps -------------------------------------------------------------------------------


def split_step_answers(answer: str) -> list[str]:
    """Answers to a steps card, one per part, separated by ';' or new lines."""
    return [part.strip() for part in _STEP_SEPARATOR.split(answer)]


def check_step(instance: Instance, step: Step, answer: str) -> Verdict:
    """Check one part of a steps card."""
    if step.is_choice:
        assert step.answer is not None
        return _check_choice(step.options, step.answer.text, answer, part=step.name)
    return _check_numeric(instance.solution.parts[step.name], answer, step.tolerance, part=step.name)


def _check_steps(instance: Instance, answer: str) -> Verdict:
    card = instance.card
    answers = split_step_answers(answer)
    if len(answers) != len(card.steps):
        names = ", ".join(s.label for s in card.steps)
        return Verdict(
            False,
            None,
            expected_answer_text(instance),
            f"Give {len(card.steps)} answers separated by ';' ({names}).",
            error=f"expected {len(card.steps)} answers, got {len(answers)}",
        )
    parts = tuple(check_step(instance, step, text) for step, text in zip(card.steps, answers, strict=True))
    labels = {step.name: step.label for step in card.steps}
    unreadable = next((p for p in parts if not p.readable), None)
    if unreadable is not None:  # a typo in one part: the answer is not given yet
        assert unreadable.part is not None
        return Verdict(
            False,
            None,
            expected_answer_text(instance),
            f"Part {labels[unreadable.part]} could not be read.",
            error=f"{labels[unreadable.part]}: {unreadable.error}",
            parts=parts,
        )
    right = sum(p.correct for p in parts)
    first_wrong = next((p for p in parts if not p.correct), None)
    if first_wrong is None:
        feedback = f"All {len(parts)} parts correct."
    else:
        assert first_wrong.part is not None
        feedback = (
            f"{right} of {len(parts)} parts correct; the first wrong part is"
            f" {labels[first_wrong.part]}: {first_wrong.feedback}"
        )
    named = next((p for p in parts if p.mistake), None)
    return Verdict(
        correct=first_wrong is None,
        interpreted="; ".join(p.interpreted or "?" for p in parts),
        expected="; ".join(p.expected for p in parts),
        feedback=feedback,
        mistake=named.mistake if named else None,
        error=first_wrong.error if first_wrong else None,
        score=right / len(parts),
        parts=parts,
    )


def read_as(instance: Instance, text: str, step: Step | None = None) -> tuple[bool, str]:
    """How `text` would be read as an answer to this card (or part): the live preview.

    Returns (readable, message): "read as: σ(x)·(1 − σ(x))", or what is wrong with it.
    """
    card = instance.card
    options = step.options if step is not None else card.options
    try:
        if options:
            index = option_index(options, text)
            return True, f"→ ({chr(ord('a') + index)}) {options[index]}"
        if card.kind == "symbolic":
            return True, "read as: " + to_unicode(parse_with_variables(text, card.variables))
        node, value = read_numeric_answer(text)
    except EngineError as error:
        return False, f"⚠ {error.message}"
    shown = to_unicode(node)
    if not isinstance(node, Number | Neg):
        shown += " = " + format_value(value.data)
    return True, "read as: " + shown
