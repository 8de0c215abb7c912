"""Steps cards: several parts answered in order (numbers or options), with partial credit.

Each part is checked as a numeric or a choice answer is (`check_step`), against the
card's torch reference output of its name when the card names one; the card's verdict
gives the score, and the first wrong part with its feedback. Parts are typed one at a time
in the app, or all at once separated by ';' (or new lines).

A part of a card with a reference that is none of the reference's outputs (a bias
correction, a gap between two outputs) has only its author's formula for truth. `validate`
checks it through the card's own chain where there is one: a later part that torch computes,
whose formula uses it (directly or through other such parts), agrees with torch only when
it is right. A part no such formula uses is checked against nothing but itself, and
`formula_only_parts` says so, so that its author knows what torch does not vouch for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Final

from engine.checking.boundary import judged
from engine.checking.verdict import Verdict
from engine.decks.kinds.base import CardChecks, Kind, Listing
from engine.decks.kinds.choice import check_option, preview_option
from engine.decks.kinds.numeric import check_number, neighbouring_values, preview_number
from engine.decks.solution import Array, Solution, step_output, target
from engine.errors import EngineError
from engine.expr.ast import free_names
from engine.expr.names import canonical_name
from engine.expr.parser import ParseOptions, parse
from engine.render.numbers import format_value

if TYPE_CHECKING:
    from engine.decks.cards import Card, Step
    from engine.decks.instance import Instance

_STEP_SEPARATOR: Final = re.compile(r"[;\n]")


class Steps(Kind):
    name: ClassVar[str] = "steps"
    expected_ms: ClassVar[int] = 30_000  # arithmetic by hand takes longer

    def solve(
        self,
        card: Card,
        solution: Solution,
        outputs: Mapping[str, Array],
        reference_mistakes: list[Any],
        batched: bool,
    ) -> None:
        for step in card.steps:
            if step.is_choice:
                continue
            output = step_output(card, step, outputs)
            goal = target(
                step.answer, output, outputs, step.mistakes, reference_mistakes, solution, batched, step.line
            )
            solution.parts[step.name] = goal
            solution.values[step.name] = goal.value

    def check(self, instance: Instance, answer: str) -> Verdict:
        expected = self.expected_text(instance)
        return judged(expected, None, answer, lambda _: _check_all(instance, answer))

    def expected_text(self, instance: Instance) -> str:
        lines = []
        for step in instance.card.steps:
            if step.is_choice:
                assert step.answer is not None
                lines.append(f"{step.prompt} {step.answer.text}")
            else:
                lines.append(f"{step.prompt} {format_value(instance.solution.parts[step.name].value)}")
        return "\n".join(lines)

    def check_part(self, instance: Instance, step: Step, answer: str) -> Verdict:
        return check_step(instance, step, answer)

    def preview(self, instance: Instance, text: str, step: Step | None = None) -> tuple[bool, str]:
        if step is not None and step.options:
            return preview_option(step.options, text)
        return preview_number(text)

    def placeholder(self, card: Card) -> str:
        return f"{len(card.steps)} answers separated by ';'"

    def listing(self, card: Card) -> Listing:
        return Listing(tuple(step.prompt for step in card.steps), "1")

    def validate(self, card: Card, checks: CardChecks) -> None:
        checks.instanced()


def split_step_answers(answer: str) -> list[str]:
    """Answers to a steps card, one per part, separated by ';' or new lines."""
    return [part.strip() for part in _STEP_SEPARATOR.split(answer)]


def check_step(instance: Instance, step: Step, answer: str) -> Verdict:
    """Check one part of a steps card (never raises for any answer, as `check_answer`)."""
    if step.is_choice:
        assert step.answer is not None
        right = step.answer.text
        return judged(
            right, step.name, answer, lambda _: check_option(step.options, right, answer, part=step.name)
        )
    goal = instance.solution.parts[step.name]
    return judged(
        format_value(goal.value),
        step.name,
        answer,
        lambda attempt: check_number(
            goal,
            answer,
            step.accuracy,
            attempt,
            part=step.name,
            neighbours=partial(neighbouring_values, instance, step.name),
        ),
    )


def _check_all(instance: Instance, answer: str) -> Verdict:
    return check_parts(instance, answer, check_step, KIND.expected_text(instance))


def check_parts(
    instance: Instance,
    answer: str,
    check_part: Callable[[Instance, Step, str], Verdict],
    expected: str,
    noun: str = "part",
) -> Verdict:
    """The verdict on all parts of a card answered at once (separated by ';' or new lines).

    Each part is checked by `check_part`; the verdict scores the share that is right and
    names the first wrong one. Shared by the kinds whose card has parts (steps, cloze).
    """
    card = instance.card
    answers = split_step_answers(answer)
    if len(answers) != len(card.steps):
        names = ", ".join(s.label for s in card.steps)
        return Verdict(
            False,
            None,
            expected,
            f"Give {len(card.steps)} answers separated by ';' ({names}).",
            error=f"expected {len(card.steps)} answers, got {len(answers)}",
        )
    parts = tuple(check_part(instance, step, text) for step, text in zip(card.steps, answers, strict=True))
    labels = {step.name: step.label for step in card.steps}
    unreadable = next((p for p in parts if not p.readable), None)
    if unreadable is not None:  # a typo in one part: the answer is not given yet
        assert unreadable.part is not None
        return Verdict(
            False,
            None,
            expected,
            f"{noun.capitalize()} {labels[unreadable.part]} could not be read.",
            error=f"{labels[unreadable.part]}: {unreadable.error}",
            parts=parts,
        )
    failed = next((p for p in parts if not p.judged), None)
    if failed is not None:  # the checker failed on one part (or could not decide): not judged
        assert failed.part is not None
        error = f"{labels[failed.part]}: {failed.error}" if failed.error is not None else None
        return replace(failed, part=None, error=error, parts=parts)
    right = sum(p.correct for p in parts)
    first_wrong = next((p for p in parts if not p.correct), None)
    if len(parts) == 1:  # "1 of 1 blanks" says less than the part's own verdict
        feedback = parts[0].feedback
    elif first_wrong is None:
        feedback = f"All {len(parts)} {noun}s correct."
    else:
        assert first_wrong.part is not None
        feedback = (
            f"{right} of {len(parts)} {noun}s correct; the first wrong {noun} is"
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


def formula_only_parts(card: Card, solution: Solution) -> list[tuple[int, str]]:
    """(line, message) for each numeric part of a card with a reference that torch checks in no way.

    Such a part is none of the reference's outputs (its value is its author's formula), and
    no formula of a part torch computes uses it, directly or through other formula-only
    parts: were it wrong, no comparison with torch would notice. A part that such a formula
    uses is checked through it (`validate` compares that formula with torch), so it is not
    listed. A card without a reference has its formulas for truth, and nothing is listed.
    """
    if card.reference is None:
        return []
    numeric = [step for step in card.steps if step.name in solution.parts]
    alone = {canonical_name(s.name) for s in numeric if solution.parts[s.name].source == "formula"}
    names = frozenset(solution.values) | frozenset(solution.reference_env)
    uses: dict[str, set[str]] = {}
    for step in numeric:
        if step.answer is not None:
            try:
                node = parse(step.answer.text, ParseOptions(variables=names))
            except EngineError:  # reported where the part is solved
                continue
            uses[canonical_name(step.name)] = {canonical_name(name) for name in free_names(node)}
    checked: set[str] = set()
    frontier = [canonical_name(s.name) for s in numeric if solution.parts[s.name].formula is not None]
    while frontier:  # from the formulas compared with torch, through the formula-only parts they use
        used = uses.get(frontier.pop(), set()) & alone - checked
        checked |= used
        frontier.extend(used)
    return [
        (
            step.line,
            f"part {step.name!r} is not a torch output of {card.reference.name}:"
            " it is checked against its own formula only",
        )
        for step in numeric
        if canonical_name(step.name) in alone - checked
    ]


def read_parts(instance: Instance, text: str, first: int = 0) -> tuple[list[str], str]:
    """A card's parts typed in one go (separated by ';' or new lines), from part `first` on.

    Returns the parts and "" when each can be read, or the parts and what is wrong
    (naming the part by its label) when one cannot, or there are more than are left.
    """
    from engine.decks.kinds import kind_of

    kind = kind_of(instance.card)
    steps = instance.card.steps[first:]
    parts = [part for part in split_step_answers(text) if part]
    if len(parts) > len(steps):
        return parts, f"⚠ {len(parts)} answers, but only {len(steps)} parts are left"
    for part, step in zip(parts, steps, strict=False):
        readable, message = kind.preview(instance, part, step)
        if not readable:
            return parts, f"{step.label}: {message}"
    return parts, ""


KIND = Steps()
