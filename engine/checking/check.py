"""Judge an answer to an instance of a card, and say why.

Every verdict carries how the answer was read (pretty-printed), the expected answer, a
sentence of feedback, the name of the recognised mistake if there is one, and an error
message instead of a judgement when the input could not be read. Nothing here raises for
bad answers: they are a normal part of studying. One boundary (`_judged`, and the same
rule in `read_as`) turns any failure while an answer is parsed, evaluated and compared into
a verdict: unreadable if the answer was not read yet (or is not a valid expression), else
a readable answer that could not be evaluated, judged wrong with the reason.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from engine.checking.equivalence import Equivalence, equivalent
from engine.checking.verdict import Verdict
from engine.decks.cards import Card, DeclaredMistake, Step, Tolerance
from engine.decks.instance import Instance, format_number, format_value
from engine.decks.solution import Target
from engine.errors import EngineError, EvaluationError, ExpressionError
from engine.expr.ast import Neg, Node, Number
from engine.expr.numeric import Value, describe_shape, evaluate
from engine.expr.parser import ParseOptions, parse, parse_with_variables
from engine.expr.printer import to_unicode

Array = npt.NDArray[np.float64]
_STEP_SEPARATOR: Final = re.compile(r"[;\n]")
_NUMERIC_ANSWER: Final = ParseOptions(allow_names=False)
_PREVIEW_NUMBERS: Final = 16  # the preview shows a larger result by its shape, not its numbers
_log = logging.getLogger(__name__)


class CardUsageError(EngineError):
    """A check that does not apply to this card (a flash card is rated, not checked)."""


def check_answer(instance: Instance, answer: str) -> Verdict:
    """The verdict on `answer` for this instance of its card, whatever the answer.

    The card's expected answer is worked out first, outside the boundary: a broken card
    raises, as it should, rather than put the blame on the answer.
    """
    card = instance.card
    if card.kind == "flash":
        raise CardUsageError("flash cards are self-rated: show the card with --reveal instead")
    expected = expected_answer_text(instance)
    if card.kind == "symbolic":
        return _judged(
            expected, None, answer, lambda attempt: _check_symbolic(card, instance.seed, answer, attempt)
        )
    if card.kind == "choice":
        right = instance.solution.choices[0]
        return _judged(expected, None, answer, lambda _: _check_choice(card.options, right, answer))
    if card.kind == "steps":
        return _judged(expected, None, answer, lambda _: _check_steps(instance, answer))
    target = instance.solution.answer
    assert target is not None
    return _judged(
        expected, None, answer, lambda attempt: _check_numeric(target, answer, card.tolerance, attempt)
    )


@dataclass
class _Attempt:
    """How far the check of one answer got: `interpreted` is set once the answer is read."""

    interpreted: str | None = None

    def unreadable(self, error: Exception) -> bool:
        """Whether `error` leaves the answer unreadable: it is not a valid answer
        (`ExpressionError`), or the failure came before the answer was read."""
        return self.interpreted is None or isinstance(error, ExpressionError)


def _judged(expected: str, part: str | None, answer: str, check: Callable[[_Attempt], Verdict]) -> Verdict:
    """The boundary of a check: `check`'s verdict, or a verdict that says what went wrong.

    An `ExpressionError` means the text is not a valid answer, and so does any failure
    before the answer was read: unreadable, and the learner fixes it. An evaluation that
    fails after it was read (an `EngineError`: undefined, too large, out of time) makes a
    readable answer judged wrong with the reason, so that the learner is never stuck on an
    answer they cannot fix. Any other failure is a bug of ours: the verdict says so and is
    not `judged`, and no session records it.
    """
    attempt = _Attempt()
    try:
        return check(attempt)
    except Exception as error:
        message = _problem(error, answer)
        if attempt.unreadable(error):
            return Verdict(False, None, expected, "Your answer could not be read.", error=message, part=part)
        if not isinstance(error, EngineError):  # a bug of ours, not the answer's doing
            return Verdict(
                False,
                attempt.interpreted,
                expected,
                "The checker failed on this answer: it is neither right nor wrong.",
                error=message,
                part=part,
                judged=False,
            )
        return Verdict(
            False,
            attempt.interpreted,
            expected,
            "Your answer could not be evaluated.",
            error=message,
            part=part,
        )


def _problem(error: Exception, answer: str) -> str:
    """A failure as one line for the learner: the engine's message, or (logged) the kind of failure."""
    if isinstance(error, EngineError):
        return error.message
    _log.info("checking %r failed", answer[:200], exc_info=error)
    detail = str(error)
    detail = detail if len(detail) <= 120 else detail[:119] + "…"
    return f"the checker failed on this answer ({type(error).__name__}: {detail})"


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


def _check_symbolic(card: Card, seed: int, answer: str, attempt: _Attempt) -> Verdict:
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
    node = parse(answer, _NUMERIC_ANSWER)
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


def _check_numeric(
    target: Target, answer: str, tolerance: Tolerance, attempt: _Attempt, part: str | None = None
) -> Verdict:
    expected = target.value
    expected_text = format_value(expected)
    node = parse(answer, _NUMERIC_ANSWER)
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
    for mistake in target.mistakes:
        if mistake.value.shape == got.shape and within_tolerance(got, mistake.value, tolerance):
            return Verdict(False, interpreted, expected_text, mistake.feedback, mistake.name, part=part)
    return Verdict(
        False, interpreted, expected_text, f"Wrong: expected {expected_text}, got {shown}.", part=part
    )


# -- choice ------------------------------------------------------------------------------


# Characters a keyboard types in place of the ones decks print (− ′ ’ “ ⁄), compared as typed.
_LOOKALIKES: Final = str.maketrans(
    {"−": "-", "–": "-", "‐": "-", "‑": "-", "′": "'", "‘": "'", "’": "'", "“": '"', "”": '"', "⁄": "/"}
)
# A plain number (0.01, .01, 1e-2, -3, 1/2), after folding. The exponent and the position
# are kept short so that a hostile answer cannot make Fraction build a gigantic integer.
_NUMBER: Final = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]{1,3})?(?:/[0-9]+)?")
_LABEL: Final = re.compile(r"\(?([a-z]|[0-9]{1,3})\)?\.?")  # b, (b), b), b.; 2, (2), 2.
_EDGE_PUNCTUATION: Final = "\"'`.,;:!?"
_MIN_PREFIX: Final = 3
_SAME_VALUE: Final = Fraction(1, 10**9)  # relative: 0.010 and 1e-2 are 0.01; 0.0 and 0.011 are not


def option_index(options: tuple[str, ...], answer: str) -> int:
    """Which option `answer` picks; ExpressionError (listing the options) when none or several fit.

    An option is named exactly, because a loose reading turns a slip into a wrong grade:
    by its letter as the study screen shows it (b, (b), b), b.); by its text, where case,
    spacing, NFKC forms (β1 for β₁) and - or ' typed for − or ′ do not matter, nor do
    surrounding quotes or a final full stop; by its value when it is a number (0.01, 1e-2
    and .010 are one value); by its position (2) only when no option is a number, since
    among 0.25, 0.75, 1, 2 the answer 1 means the option 1. The start of a text option
    (3 characters or more) names it when it starts no other; a number is never read as
    a prefix, so 0.0 is not 0.01. Readings that disagree ('a' among the options b, a)
    are ambiguous: unreadable, like an unknown answer, never graded wrong.
    """
    typed = _fold(answer)
    folded = [_fold(option) for option in options]
    values = [_number(option) for option in folded]
    numeric = any(value is not None for value in values)
    stripped = [_strip_edges(option) for option in folded]
    picks = _exact_picks(typed, folded, values, numeric)
    if not picks and _strip_edges(typed):  # "saddle point." or '"tanh"' or "0.01."
        picks = _exact_picks(_strip_edges(typed), stripped, values, numeric)
    if not picks:  # "x-f'(x)/f''(x)" for "x − f′(x)/f″(x)"
        spaceless = "".join(typed.split())
        picks = {i for i, option in enumerate(folded) if spaceless and "".join(option.split()) == spaceless}
    if not picks and _number(typed) is None and len(typed) >= _MIN_PREFIX:
        picks = {i for i, option in enumerate(folded) if values[i] is None and option.startswith(typed)}
    if len(picks) == 1:
        return picks.pop()
    listed = ", ".join(f"({option_letter(i)}) {option}" for i, option in enumerate(options))
    shown = answer.strip()
    shown = shown if len(shown) <= 40 else shown[:39] + "…"
    if picks:
        which = " or ".join(f"({option_letter(i)})" for i in sorted(picks))
        raise ExpressionError(
            f"{shown!r} is not one of the options: it could be {which}; type a letter: {listed}"
        )
    hint = ""
    if numeric and _number(typed) is not None:
        hint = " (a number is compared with the options' values; type a letter to pick by position)"
    raise ExpressionError(f"{shown!r} is not one of the options: {listed}{hint}")


def _fold(text: str) -> str:
    """`text` as options are compared: NFKC, case-folded, typed look-alikes, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_LOOKALIKES).casefold().split())


def _strip_edges(folded: str) -> str:
    """Without the quotes around it or the punctuation after it, which name no option."""
    return folded.strip(_EDGE_PUNCTUATION + " ")


def _number(folded: str) -> Fraction | None:
    """The exact value of a plain number (so 0.1 is 1/10, not a float near it); None otherwise."""
    if _NUMBER.fullmatch(folded) is None:
        return None
    numerator, _, denominator = folded.partition("/")
    try:
        value = Fraction(numerator)
        return value / Fraction(denominator) if denominator else value
    except (ValueError, ZeroDivisionError):  # 1/0, or more digits than int() accepts
        return None


def _same_value(a: Fraction, b: Fraction) -> bool:
    return abs(a - b) <= _SAME_VALUE * max(abs(a), abs(b))


def option_letter(index: int) -> str:
    """The letter an option is shown and picked by: a, b, c..."""
    return chr(ord("a") + index)


def option_lines(options: tuple[str, ...]) -> str:
    """The options as every view lists them: `  (a) minimum`, one a line."""
    return "\n".join(f"  ({option_letter(i)}) {option}" for i, option in enumerate(options))


def _exact_picks(typed: str, folded: list[str], values: list[Fraction | None], numeric: bool) -> set[int]:
    """Every option `typed` names exactly: by text, by value, by letter, or by position."""
    picks = {i for i, option in enumerate(folded) if option == typed}
    typed_value = _number(typed)
    if typed_value is not None and numeric:
        picks |= {
            i for i, value in enumerate(values) if value is not None and _same_value(value, typed_value)
        }
    label = _LABEL.fullmatch(typed)
    if label is not None:
        name = label.group(1)
        if not name.isdigit():
            if ord(name) - ord("a") < len(folded):
                picks.add(ord(name) - ord("a"))
        elif not numeric and 1 <= int(name) <= len(folded):  # among numbers, 2 is a value
            picks.add(int(name) - 1)
    return picks


def _check_choice(options: tuple[str, ...], right: str, answer: str, part: str | None = None) -> Verdict:
    # The deck's answer is an option's own text; reading it like a learner's could be ambiguous.
    right_index = options.index(right) if right in options else option_index(options, right)
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
    """Check one part of a steps card (never raises for any answer, as `check_answer`)."""
    if step.is_choice:
        assert step.answer is not None
        right = step.answer.text
        return _judged(
            right, step.name, answer, lambda _: _check_choice(step.options, right, answer, part=step.name)
        )
    target = instance.solution.parts[step.name]
    return _judged(
        format_value(target.value),
        step.name,
        answer,
        lambda attempt: _check_numeric(target, answer, step.tolerance, attempt, part=step.name),
    )


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
    failed = next((p for p in parts if not p.judged), None)
    if failed is not None:  # the checker failed on one part: the answer cannot be judged
        assert failed.part is not None
        return replace(failed, part=None, error=f"{labels[failed.part]}: {failed.error}", parts=parts)
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


def read_parts(instance: Instance, text: str, first: int = 0) -> tuple[list[str], str]:
    """A steps card's parts typed in one go (separated by ';' or new lines), from part `first` on.

    Returns the parts and "" when each can be read, or the parts and what is wrong
    (naming the part by its label) when one cannot, or there are more than are left.
    """
    steps = instance.card.steps[first:]
    parts = [part for part in split_step_answers(text) if part]
    if len(parts) > len(steps):
        return parts, f"⚠ {len(parts)} answers, but only {len(steps)} parts are left"
    for part, step in zip(parts, steps, strict=False):
        readable, message = read_as(instance, part, step)
        if not readable:
            return parts, f"{step.label}: {message}"
    return parts, ""


def read_as(instance: Instance, text: str, step: Step | None = None) -> tuple[bool, str]:
    """How `text` would be read as an answer to this card (or part): the live preview.

    Returns (readable, message): "read as: σ(x)·(1 − σ(x))", or what is wrong with it.
    Readable exactly when `check_answer` would find the answer readable (the same
    boundary rule as `_judged`), and never raises.
    """
    card = instance.card
    options = step.options if step is not None else card.options
    attempt = _Attempt()
    try:
        if options:
            index = option_index(options, text)
            return True, f"→ ({option_letter(index)}) {options[index]}"
        if card.kind == "symbolic":
            return True, "read as: " + to_unicode(parse_with_variables(text, card.variables))
        node = parse(text, _NUMERIC_ANSWER)
        attempt.interpreted = shown = to_unicode(node)
        value = numeric_value(node)
        if not isinstance(node, Number | Neg):
            big = value.data.size > _PREVIEW_NUMBERS
            shown += " = " + (describe_shape(value.item_shape) if big else format_value(value.data))
    except Exception as error:
        message = _problem(error, text)
        if attempt.unreadable(error):
            return False, f"⚠ {message}"
        return True, f"read as: {attempt.interpreted} (it could not be evaluated: {message})"
    return True, "read as: " + shown
