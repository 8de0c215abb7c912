"""Cloze cards: a formula with blanks (`\\blank{...}`), each blank checked as a symbolic answer.

The prompt's display formula is shown with each blank as a numbered mark (`⟦1⟧`); the
learner writes each blank's content (plain, Unicode or LaTeX, as everywhere), part by
part or all at once separated by ';'. A blank is checked exactly as a symbolic card whose
answer is the blank's content is (`engine.decks.kinds.symbolic`): any equivalent form in
the card's variables is right, a blank that is a number is compared as a number (to about
nine digits, as any two expressions are: 0.999 is not 0.9999, nor 0.79788 √(2/π)), the card's declared mistakes are recognised in any blank, and a
blank that cannot be compared is undecided, not wrong. The card scores the share of
blanks that are right and names the first wrong one, as a steps card does.

The blanks are the card's parts (`Card.steps`, one `Step` per blank, read from the prompt
by the loader), so the app answers them with the same part-by-part line as steps.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from engine.checking.boundary import failure_message, judged
from engine.checking.verdict import Verdict
from engine.decks.kinds.base import CardChecks, Kind, Listing
from engine.decks.kinds.steps import check_parts
from engine.decks.kinds.symbolic import KIND as SYMBOLIC
from engine.expr.parser import parse_with_variables
from engine.expr.printer import to_unicode

if TYPE_CHECKING:
    from engine.decks.cards import Card, Step
    from engine.decks.instance import Instance


class Cloze(Kind):
    name: ClassVar[str] = "cloze"
    expected_ms: ClassVar[int] = 30_000  # a formula written piece by piece, as long as steps

    def check(self, instance: Instance, answer: str) -> Verdict:
        expected = self.expected_text(instance)
        return judged(
            expected, None, answer, lambda _: check_parts(instance, answer, check_blank, expected, "blank")
        )

    def check_part(self, instance: Instance, step: Step, answer: str) -> Verdict:
        return check_blank(instance, step, answer)

    def expected_text(self, instance: Instance) -> str:
        return "\n".join(
            f"{step.prompt} {blank_expected(instance.card, step)}" for step in instance.card.steps
        )

    def preview(self, instance: Instance, text: str, step: Step | None = None) -> tuple[bool, str]:
        if step is None:  # the whole answer at once: each blank must read
            from engine.decks.kinds.steps import read_parts

            parts, problem = read_parts(instance, text)
            if problem:
                return False, problem
            return True, "read as: " + "; ".join(self._read(instance.card, part) for part in parts)
        return SYMBOLIC.preview(instance, text)

    def _read(self, card: Card, text: str) -> str:
        return to_unicode(parse_with_variables(text, card.variables))

    def placeholder(self, card: Card) -> str:
        count = len(card.steps)
        return "what fills the blank" if count == 1 else f"{count} blanks, in order, separated by ';'"

    def listing(self, card: Card) -> Listing:
        return Listing(tuple(step.prompt for step in card.steps), "1")

    def validate(self, card: Card, checks: CardChecks) -> None:
        checks.blanks()


def blank_card(card: Card, step: Step) -> Card:
    """The symbolic card a blank is checked as: the cloze card, with the blank's content as its answer."""
    return replace(card, kind="symbolic", answer=step.answer, steps=())


def blank_expected(card: Card, step: Step) -> str:
    """A blank's content as the engine reads it (Unicode), or as written when it does not read."""
    assert step.answer is not None
    try:
        return to_unicode(parse_with_variables(step.answer.text, card.variables))
    except Exception:  # validate reports the blank; showing it must not fail
        return step.answer.text


def check_blank(instance: Instance, step: Step, answer: str) -> Verdict:
    """The verdict on one blank (never raises for any answer, as `check_answer`)."""
    card = blank_card(instance.card, step)
    try:
        verdict = SYMBOLIC.check(replace(instance, card=card), answer)
    except Exception as error:  # a blank that does not read is the deck's fault: said, not judged
        return Verdict(
            False,
            None,
            step.answer.text if step.answer else "",
            "The checker failed on this blank: it is neither right nor wrong.",
            error=failure_message(error, answer),
            part=step.name,
            judged=False,
        )
    return replace(verdict, part=step.name)


KIND = Cloze()
