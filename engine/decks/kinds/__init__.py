"""Card kinds: one module each (`flash`, `symbolic`, `numeric`, `choice`, `steps`, `cloze`), one table.

The table below is all that the rest of the engine knows of kinds by name: how a quiz
block implies a kind when it does not say (`implied_by`), what each kind needs to be read
(`needs`), and which module holds its behaviour (a `Kind`: solve, check, preview, show,
validate; see `base`). Everything else asks `kind_of(card)`. Adding a kind is one module
here and one row below (and its name in `engine.decks.cards.CardKind`).

The modules are imported on first use: reading a deck needs only the table, so the deck
list never waits for numpy or sympy.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from engine.decks.cards import CardKind
from engine.decks.kinds.base import CardChecks, CardUsageError, Kind, Listing

if TYPE_CHECKING:
    from engine.checking.verdict import Verdict
    from engine.decks.cards import Card, Step
    from engine.decks.instance import Instance

__all__ = [
    "KINDS",
    "CardChecks",
    "CardUsageError",
    "Kind",
    "KindRow",
    "Listing",
    "check_answer",
    "expected_answer_text",
    "implied_kind",
    "kind_named",
    "kind_of",
    "missing_fields",
    "read_as",
]


@dataclass(frozen=True)
class KindRow:
    """A kind's row in the table: what reading a quiz block needs to know of it."""

    keys: frozenset[str]
    """The quiz-block keys a card of this kind takes (besides `kind`, `tags` and `plot`)."""
    implied_by: tuple[str, ...]
    """Quiz-block keys whose presence implies this kind when `kind:` is absent."""
    needs: tuple[tuple[str, ...], ...]
    """Fields a card of this kind must have: each group is satisfied by any one of its fields."""
    blanks: bool = False
    """Whether the card's parts are the blanks of its prompt's formula (`engine.decks.blanks`)."""


KINDS: Final[dict[CardKind, KindRow]] = {
    # In the order a missing `kind:` is inferred: the first row with one of its keys wins.
    "steps": KindRow(
        keys=frozenset({"given", "steps", "reference"}),
        implied_by=("steps",),
        needs=(("steps",),),
    ),
    "choice": KindRow(
        keys=frozenset({"given", "options", "answer", "reference"}),
        implied_by=("options",),
        needs=(("options",), ("answer", "reference")),
    ),
    "symbolic": KindRow(
        keys=frozenset({"variables", "answer", "mistakes", "reference"}),
        implied_by=("variables",),
        needs=(("answer",),),
    ),
    "numeric": KindRow(
        keys=frozenset({"given", "answer", "reference", "tolerance", "precision", "mistakes"}),
        implied_by=("given", "reference"),
        needs=(("answer", "reference"),),
    ),
    "cloze": KindRow(
        keys=frozenset({"variables", "answer", "mistakes"}),
        implied_by=(),
        needs=(),
        blanks=True,
    ),
    "flash": KindRow(keys=frozenset(), implied_by=(), needs=()),
}
DEFAULT_KIND: Final[CardKind] = "flash"
_AS_NEEDED: Final = {
    "answer": "an answer",
    "reference": "a reference",
    "options": "options",
    "steps": "steps",
}


def implied_kind(keys: set[str]) -> CardKind:
    """The kind a quiz block without `kind:` has, from the keys it does have."""
    return next((name for name, row in KINDS.items() if keys.intersection(row.implied_by)), DEFAULT_KIND)


def missing_fields(card: Card) -> str | None:
    """What a card lacks for its kind ("a choice card needs options"), or None."""
    for group in KINDS[card.kind].needs:
        if not any(getattr(card, field) for field in group):
            return f"a {card.kind} card needs {' or '.join(_AS_NEEDED[field] for field in group)}"
    return None


def kind_of(card: Card) -> Kind:
    """The behaviour of `card`'s kind (its module is imported on first use)."""
    return kind_named(card.kind)


def kind_named(name: CardKind) -> Kind:
    """The behaviour of the kind called `name`."""
    if name not in KINDS:
        raise KeyError(f"no card kind {name!r}")
    kind: Kind = importlib.import_module(f"engine.decks.kinds.{name}").KIND
    return kind


def check_answer(instance: Instance, answer: str) -> Verdict:
    """The verdict on `answer` for this instance of its card, whatever the answer.

    The card's expected answer is worked out first, outside the checking boundary: a
    broken card raises, as it should, rather than put the blame on the answer. A flash
    card is not checked: `CardUsageError`.
    """
    return kind_of(instance.card).check(instance, answer)


def expected_answer_text(instance: Instance) -> str:
    """The expected answer, as `quizapp show --reveal` prints it."""
    return kind_of(instance.card).expected_text(instance)


def read_as(instance: Instance, text: str, step: Step | None = None) -> tuple[bool, str]:
    """How `text` would be read as an answer to this card (or part): the live preview.

    Returns (readable, message): "read as: σ(x)·(1 − σ(x))", or what is wrong with it.
    Readable exactly when `check_answer` would find the answer readable, and never raises.
    """
    return kind_of(instance.card).preview(instance, text, step)
