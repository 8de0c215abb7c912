"""A card's scheduling state in the review log, as the store's transactions read and write it.

The `card_states` table holds one row per studied card: its fsrs state, due date, and
review and lapse counts. A review reads the state it replaces (`stored_state`) and saves
the new one (`save_state`) inside the transaction that records the answer, so these take
the connection of that transaction rather than opening their own. They are apart from
the store so that the row's shape (its JSON, its stamps, keeping the counts when they are
not given) is written in one place, whichever of the store's writes changes a card.
"""

from __future__ import annotations

import json
import sqlite3

import fsrs

from engine.storage.records import CardState, stamp


def stored_state(db: sqlite3.Connection, card_id: str) -> CardState | None:
    """The card's stored state, or None for a card never studied (or one whose state is damaged)."""
    row = db.execute(
        "SELECT fsrs_json, reps, lapses FROM card_states WHERE card_id = ?", (card_id,)
    ).fetchone()
    if row is None:
        return None
    try:
        return CardState(fsrs.Card.from_dict(json.loads(row[0])), int(row[1]), int(row[2]))
    except (ValueError, TypeError, KeyError):
        # A state damaged by hand reads as none, as the queue reads it: the review
        # schedules the card afresh, and the new state replaces the damaged one.
        return None


def save_state(db: sqlite3.Connection, card_id: str, state: CardState) -> None:
    """Store `state` as the card's, counts included (replacing any earlier one)."""
    upsert_state(db, card_id, state.card, state.reps, state.lapses)


def upsert_state(
    db: sqlite3.Connection, card_id: str, card: fsrs.Card, reps: int | None, lapses: int | None
) -> None:
    """Store the card's fsrs state; `reps` and `lapses` stay as they were when None (0 for a new card)."""
    last = stamp(card.last_review) if card.last_review is not None else None
    db.execute(
        """
        INSERT INTO card_states (card_id, fsrs_json, due, last_review, reps, lapses)
        VALUES (?, ?, ?, ?, COALESCE(?, 0), COALESCE(?, 0))
        ON CONFLICT (card_id) DO UPDATE SET
            fsrs_json = excluded.fsrs_json,
            due = excluded.due,
            last_review = excluded.last_review,
            reps = COALESCE(?, card_states.reps),
            lapses = COALESCE(?, card_states.lapses)
        """,
        (card_id, json.dumps(card.to_dict()), stamp(card.due), last, reps, lapses, reps, lapses),
    )
