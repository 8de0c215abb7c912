"""Flash cards: a question and its answer, revealed and rated by the learner, never checked."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from engine.decks.kinds.base import CardUsageError, Kind

if TYPE_CHECKING:
    from engine.checking.verdict import Verdict
    from engine.decks.instance import Instance


class Flash(Kind):
    name: ClassVar[str] = "flash"
    checked: ClassVar[bool] = False

    def check(self, instance: Instance, answer: str) -> Verdict:
        raise CardUsageError("flash cards are self-rated: show the card with --reveal instead")

    def expected_text(self, instance: Instance) -> str:
        return instance.card.explanation


KIND = Flash()
