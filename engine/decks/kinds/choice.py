"""Choice cards: pick one of the options, by letter, by text or by value.

The right option is the deck's `answer`, or what the card's torch reference computes (a
classification such as "minimum" or "saddle point", per instance). Reading which option an
answer names is strict on purpose (`option_index`): a loose reading turns a slip into a
wrong grade, so an answer that names no option, or several, is unreadable, never wrong.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar, Final

from engine.checking.boundary import failure_message, judged
from engine.checking.verdict import Verdict
from engine.decks.kinds.base import CardChecks, Kind, Listing
from engine.decks.solution import Array, Solution, batch_size, choices
from engine.errors import ExpressionError

if TYPE_CHECKING:
    from engine.decks.cards import Card, Step
    from engine.decks.instance import Instance


class Choice(Kind):
    name: ClassVar[str] = "choice"

    def solve(
        self,
        card: Card,
        solution: Solution,
        outputs: Mapping[str, Array],
        reference_mistakes: list[Any],
        batched: bool,
    ) -> None:
        solution.choices = choices(card, outputs, batch_size(solution.values, batched))

    def check(self, instance: Instance, answer: str) -> Verdict:
        options, right = instance.card.options, instance.solution.choices[0]
        return judged(right, None, answer, lambda _: check_option(options, right, answer))

    def expected_text(self, instance: Instance) -> str:
        return instance.solution.choices[0]

    def preview(self, instance: Instance, text: str, step: Step | None = None) -> tuple[bool, str]:
        return preview_option(instance.card.options, text)

    def placeholder(self, card: Card) -> str:
        return "a letter, a number or the option"

    def listing(self, card: Card) -> Listing:
        return Listing(card.options, "a")

    def validate(self, card: Card, checks: CardChecks) -> None:
        checks.instanced()


def preview_option(options: tuple[str, ...], text: str) -> tuple[bool, str]:
    """The live preview of a pick: the option it names, or why it names none."""
    try:
        index = option_index(options, text)
    except Exception as error:  # the same rule as `judged`: nothing was read
        return False, f"⚠ {failure_message(error, text)}"
    return True, f"→ ({option_letter(index)}) {options[index]}"


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


def check_option(options: tuple[str, ...], right: str, answer: str, part: str | None = None) -> Verdict:
    """The verdict on picking an option; an answer that names none is unreadable, never wrong."""
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


KIND = Choice()
