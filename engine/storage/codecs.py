"""Rows of the review log read back into records, a damaged value named rather than raised.

A row can hold a value that means nothing to quizapp (a hand edit, a broken tool: SQLite's
own integrity check passes it). Each reader here checks its columns and raises
`DamagedField` naming the column, so that the store skips that row and says which it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final, TypeVar

import fsrs

from engine.storage.records import (
    CardRecord,
    DrillResult,
    ReviewRow,
    SessionRow,
    parse_stamp,
)

T = TypeVar("T")


REVIEW_COLUMNS: Final = (
    "id, session_id, reviewed_at, card_id, deck_id, seed, answer, correct, score,"
    " mistake, rating, duration_ms, verdict_json, mode"
)


class DamagedField(ValueError):
    """A stored value that cannot be read as what its column holds; the message names both."""


DAMAGE: Final = (ValueError, TypeError, KeyError, AttributeError, OverflowError, IndexError)
"""What reading a hand-edited value can raise (json, fromisoformat, int, fsrs.Card.from_dict)."""


def _read(column: str, value: Any, read: Callable[[Any], T], what: str) -> T:
    """`read(value)`, or DamagedField saying which column holds what instead of `what`."""
    try:
        return read(value)
    except DAMAGE as error:
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:59] + "…"
        raise DamagedField(f"{column} {shown} is not {what}") from error


def _optional(read: Callable[[Any], T]) -> Callable[[Any], T | None]:
    return lambda value: None if value is None else read(value)


def _aware(text: Any) -> datetime:
    """A stored time; naive ones are read as local time, as `_parse` does."""
    if not isinstance(text, str):
        raise TypeError(f"expected text, got {type(text).__name__}")
    return parse_stamp(text)


def _deck_ids(text: Any) -> tuple[str, ...]:
    ids = json.loads(text)
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ValueError("not a list of deck ids")
    return tuple(ids)


def fsrs_card(text: Any) -> fsrs.Card:
    card = fsrs.Card.from_dict(json.loads(text))
    if card.due.tzinfo is None or (card.last_review is not None and card.last_review.tzinfo is None):
        raise ValueError("its times have no time zone")  # fsrs would fail comparing them later
    return card


def session_row(row: Sequence[Any]) -> SessionRow:
    return SessionRow(
        id=row[0],
        started_at=_read("started_at", row[1], _aware, "a date"),
        ended_at=_read("ended_at", row[2], _optional(_aware), "a date"),
        mode=row[3],
        deck_ids=_read("deck_ids", row[4], _deck_ids, "a JSON list of deck ids"),
    )


def drill_result(row: Sequence[Any]) -> DrillResult:
    return DrillResult(
        session_id=row[0],
        finished_at=_read("finished_at", row[1], _aware, "a date"),
        questions=_read("questions", row[2], int, "a whole number"),
        answered=_read("answered", row[3], int, "a whole number"),
        correct=_read("correct", row[4], int, "a whole number"),
        score=_read("score", row[5], float, "a number"),
        duration_ms=_read("duration_ms", row[6], int, "a whole number"),
        time_limit_s=_read("time_limit_s", row[7], _optional(int), "a whole number"),
        seed=_read("seed", row[8], _optional(int), "a whole number"),
        scheduled=bool(row[9]),
    )


def review_row(row: Sequence[Any]) -> ReviewRow:
    return ReviewRow(
        id=row[0],
        session_id=row[1],
        reviewed_at=_read("reviewed_at", row[2], _aware, "a date"),
        card_id=row[3],
        deck_id=row[4],
        seed=row[5],
        answer=row[6],
        correct=bool(row[7]),
        score=_read("score", row[8], float, "a number"),
        mistake=row[9],
        rating=row[10],
        duration_ms=row[11],
        verdict_json=row[12],
        mode=row[13],
    )


def card_record_of(row: Any) -> CardRecord:
    return CardRecord(
        card_id=row[0],
        card=_read("fsrs_json", row[1], fsrs_card, "an fsrs card state in JSON"),
        due=_read("due", row[2], _aware, "a date"),
        last_review=_read("last_review", row[3], _optional(_aware), "a date"),
        reps=_read("reps", row[4], int, "a whole number"),
        lapses=_read("lapses", row[5], int, "a whole number"),
    )
