"""What a card kind is: the one interface through which the engine and the app treat a card.

A kind says how a card of it is solved (what its instance expects), checked (a verdict
on any answer), previewed while typed, shown (its expected answer, the hint in the answer
line, what is listed under the prompt) and validated. Everything outside
`engine.decks.kinds` asks the card's kind (`kind_of(card)`) instead of testing its name,
so that a new kind is one module here and one row in the table of `engine.decks.kinds`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from engine.errors import EngineError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from engine.checking.verdict import Verdict
    from engine.decks.cards import Card, Step
    from engine.decks.instance import Instance
    from engine.decks.solution import Solution

    Array = npt.NDArray[np.float64]


class CardUsageError(EngineError):
    """A check that does not apply to this card (a flash card is rated, not checked)."""


class CardChecks(Protocol):
    """What `validate` can check of a card; a kind picks the checks that apply to it."""

    def symbolic(self) -> None:
        """The expected answer and each declared mistake parse, and differ from each other."""

    def instanced(self) -> None:
        """Instances are drawn and solved, and every expected value agrees with torch."""

    def blanks(self) -> None:
        """Each blank reads in the card's variables and is not given away by the prompt, and
        the formula filled in is the card's answer when it has one."""


@dataclass(frozen=True)
class Listing:
    """What is listed under a card's prompt: options to pick from, or parts to answer in order."""

    items: tuple[str, ...]
    numbering: Literal["a", "1"]  # lettered options, or numbered parts


class Kind:
    """The behaviour of one card kind; each module of `engine.decks.kinds` defines one.

    The defaults are those of a card that is checked and has one expected answer; a kind
    overrides what differs.
    """

    name: ClassVar[str]
    checked: ClassVar[bool] = True
    """Whether answers are checked (a flash card is revealed and self-rated instead)."""
    expected_ms: ClassVar[int] = 20_000
    """How long a right answer is expected to take: the suggested rating's yardstick."""

    def solve(
        self,
        card: Card,
        solution: Solution,
        outputs: Mapping[str, Array],
        reference_mistakes: list[Any],
        batched: bool,
    ) -> None:
        """Fill in `solution` the expected answers of this instance (or batch), given the
        outputs of the card's torch reference (empty without one)."""

    def check(self, instance: Instance, answer: str) -> Verdict:
        """The verdict on `answer`, whatever it is; a broken card raises."""
        raise CardUsageError(f"{self.name} cards are not checked")

    def check_part(self, instance: Instance, step: Step, answer: str) -> Verdict:
        """The verdict on one part of a card with parts (a step, a blank), never raising."""
        raise CardUsageError(f"{self.name} cards have no parts")

    def expected_text(self, instance: Instance) -> str:
        """The expected answer, as `quizapp show --reveal` prints it."""
        raise NotImplementedError

    def preview(self, instance: Instance, text: str, step: Step | None = None) -> tuple[bool, str]:
        """How `text` would be read (readable, message), the same way `check` reads it."""
        return True, ""

    def placeholder(self, card: Card) -> str:
        """The hint in an empty answer line."""
        return ""

    def listing(self, card: Card) -> Listing | None:
        """What is shown under the prompt, if anything."""
        return None

    def validate(self, card: Card, checks: CardChecks) -> None:
        """Run the checks of `validate` that apply to this kind."""
