"""Find decks on disk and cards by reference (`deck-id/card-id` or `path/to/deck.md#card-id`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from engine.cards import Card, Deck
from engine.errors import CardNotFound
from engine.loader import load_deck, load_decks
from engine.problems import Problem


def deck_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into the markdown files they hold (sorted); keep files as given."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(p for p in path.glob("*.md") if p.is_file() and p.name.lower() != "readme.md")
            )
        else:
            files.append(path)
    return files


@dataclass
class Catalog:
    """Loaded decks, and the problems that kept some of them (or some cards) out."""

    decks: list[Deck]
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def load(cls, paths: Iterable[Path]) -> Catalog:
        decks, problems = load_decks(deck_files(paths))
        return cls(decks, problems)

    def deck(self, deck_id: str) -> Deck | None:
        return next((d for d in self.decks if d.id == deck_id), None)

    def find_card(self, reference: str) -> Card:
        """The card a reference names; a path reference loads that file on demand."""
        if "#" in reference:
            path_text, _, card_id = reference.rpartition("#")
            path = Path(path_text)
            if not path.is_file():
                raise CardNotFound(f"no deck file {path_text!r}")
            result = load_deck(path)
            if result.deck is None:
                reasons = "; ".join(str(p) for p in result.problems)
                raise CardNotFound(f"deck {path_text!r} could not be read: {reasons}")
            deck = result.deck
        else:
            deck_id, slash, card_id = reference.partition("/")
            found = self.deck(deck_id) if slash else None
            if found is None:
                known = ", ".join(d.id for d in self.decks) or "none"
                raise CardNotFound(
                    f"no deck {deck_id!r} (write deck-id/card-id or path/to/deck.md#card-id; decks: {known})"
                )
            deck = found
        card = deck.card(card_id)
        if card is None:
            known = ", ".join(c.card_id for c in deck.cards[:12])
            more = ", ..." if len(deck.cards) > 12 else ""
            raise CardNotFound(f"deck {deck.id!r} has no card {card_id!r} (cards: {known}{more})")
        return card
