"""How `validate` words what it finds: an instance's inputs, the known mistakes a formula
matches, the accuracy a comparison was made to. One wording for every check that reports
a disagreement, so that a finding reads the same whoever found it.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.decks.cards import Accuracy, Tolerance
from engine.decks.solution import Array, KnownMistake
from engine.render.numbers import format_number, format_value


def instance_inputs(batch: Mapping[str, Array], index: int) -> tuple[tuple[str, str], ...]:
    """Instance `index`'s values, as the messages print them."""
    return tuple((name, format_value(values[index])) for name, values in batch.items() if values.ndim >= 1)


def matched_mistakes(mistakes: list[KnownMistake]) -> str:
    """What a disagreement adds when the formula is known mistakes (closest first): each is a lead."""
    said = "; it also matches ".join(f"the known mistake {m.name!r}: {m.feedback}" for m in mistakes)
    return f"; it matches {said}" if said else ""


def accuracy_words(accuracy: Accuracy) -> str:
    """ "to 4 significant figures", "within rtol 0.005, atol 1e-06": the accuracy a message means."""
    if isinstance(accuracy, Tolerance):
        return f"within rtol {format_number(accuracy.rtol)}, atol {format_number(accuracy.atol)}"
    return f"to {accuracy.words}"
