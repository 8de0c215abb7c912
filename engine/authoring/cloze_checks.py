"""What `validate` checks of a cloze card: its blanks, and the formula they complete.

A blank is only as good as three things an author can get wrong without noticing:
its content must read in the card's variables (else no answer could ever be right), the
formula with every blank filled in must be the card's `answer` when the card gives one
(a blank cut from the wrong place, or a typo in the rest of the formula, shows up here),
and the content must not be written elsewhere in the prompt (a blank the prompt gives
away tests nothing).
"""

from __future__ import annotations

import re
from typing import Any, Final, Protocol

from engine.checking.equivalence import equivalent
from engine.decks.blanks import BLANK_COMMAND, BlankSyntaxError, blanked, cloze_formula, find_blanks
from engine.decks.cards import Card
from engine.decks.kinds import KINDS
from engine.decks.problems import Severity
from engine.errors import EngineError
from engine.expr.parser import parse_with_variables
from engine.expr.printer import to_unicode
from engine.expr.symbolic import to_sympy
from engine.render.latex import latex_to_unicode
from engine.render.math_text import render_math_text

_SPACE: Final = re.compile(r"\s+|\\[,;:! ]")
MIN_GUESSABLE: Final = 3
"""Shorter contents (`t`, `2`, `\\eta`) are bound to appear elsewhere, and tell nothing."""


class Report(Protocol):
    def __call__(
        self, line: int, message: str, severity: Severity = "error", *, code: str, **found: Any
    ) -> None: ...


def check_blanks(card: Card, seed: int, report: Report) -> None:
    """Report every problem of `card`'s blanks (the loader has already found them well formed)."""
    try:
        formula = cloze_formula(card.prompt)
    except BlankSyntaxError as error:  # the loader refuses such a card; kept for a card built by hand
        report(card.line, error.message, code="invalid-blank")
        return
    readable = True
    for step, blank in zip(card.steps, formula.blanks, strict=True):
        try:
            node = parse_with_variables(blank.content, card.variables)
            to_sympy(node)
        except EngineError as error:
            readable = False
            report(step.line, f"blank {blank.mark} ({blank.content}): {error.message}", code="blank-error")
            continue
        if _given_away(card.prompt, blank.content):
            report(
                step.line,
                f"blank {blank.mark} is written elsewhere in the prompt ({to_unicode(node)}):"
                " the learner can copy it",
                "warning",
                code="blank-guessable",
            )
    for mistake in card.mistakes:
        try:
            parse_with_variables(mistake.answer.text, card.variables)
        except EngineError as error:
            report(
                mistake.answer.line, f"mistake: {error.message}", code="formula-error", mistake=mistake.name
            )
    if card.answer is not None and readable:
        _whole_formula(card, formula.right_side, seed, report)


def check_no_blanks(card: Card, report: Report) -> None:
    """A `\\blank` in a card that is not a cloze card is shown as written: say so."""
    if BLANK_COMMAND in card.prompt and not KINDS[card.kind].blanks:
        report(
            card.line,
            "\\blank{...} marks a blank only on cloze cards (kind: cloze); here it is shown as written",
            "warning",
            code="blank-outside-cloze",
        )


def _whole_formula(card: Card, right_side: str, seed: int, report: Report) -> None:
    assert card.answer is not None
    line = card.answer.line
    try:
        answer = parse_with_variables(card.answer.text, card.variables)
    except EngineError as error:
        report(line, f"answer: {error.message}", code="formula-error")
        return
    try:
        whole = parse_with_variables(right_side, card.variables)
    except EngineError as error:
        report(
            card.steps[0].line,
            f"the formula with its blanks filled in cannot be read ({error.message}):"
            " write the rest of it in the card's variables, or leave out `answer`",
            code="blank-error",
        )
        return
    outcome = equivalent(whole, answer, card.variables, seed=seed)
    if not outcome.equal:
        report(
            line,
            f"the formula with its blanks filled in is {to_unicode(whole)},"
            f" which is not the card's answer {to_unicode(answer)}",
            code="blank-formula-disagrees",
        )


def _given_away(prompt: str, content: str) -> bool:
    """Whether the blank's content is written elsewhere in the prompt (as LaTeX, or as it reads).

    The prompt is searched with its blanks hidden, so a blank never gives itself away; a
    content shorter than `MIN_GUESSABLE` (a letter, a digit) is not searched for.
    """
    if len(_compact(content)) < MIN_GUESSABLE:
        return False
    try:
        find_blanks(prompt)
    except BlankSyntaxError:
        return False
    shown = blanked(prompt)
    if _compact(content) in _compact(shown):
        return True
    rendered = _compact(latex_to_unicode(content))
    return len(rendered) >= MIN_GUESSABLE and rendered in _compact(render_math_text(shown))


def _compact(text: str) -> str:
    return _SPACE.sub("", text)
