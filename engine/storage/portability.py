"""Moving the review log between machines: every review as a line of JSON, and back.

A learner who studies on two machines (or moves to a new one) should keep one history.
`export_reviews` writes each review as one JSON object per line (JSON lines), with the
card's full id and everything the review holds: the answer as typed, the verdict, the
named mistake, the rating, the time, whether it moved the card's schedule.

`import_reviews` adds the reviews this log does not have yet. A review is identified by
what it is, not by a row number: its card, its moment (to the microsecond), its mode and
the answer given. So importing a file twice, or importing a log's own export, adds
nothing; and no new column is needed. The schedules of the cards that gained reviews
are then rebuilt from the merged log: each card's scheduling reviews replayed in time
order through the scheduler (`Replay`, which `StudyScheduler.next_state` is), each at the
moment it was answered, as it was computed then; with the same FSRS parameters, an empty
log gets exactly the original due dates. A card whose replayed lapses reach the leech
rule's count is marked a leech, as the live review would have marked it.

A line that is not a review (not JSON, a missing or wrong field) is reported with its
number and skipped; the rest go in together, in one transaction, with the rebuilt
schedules: nothing is ever half-imported.

Imported reviews belong to no session (`session_id` NULL): the sessions and drill
totals of the other machine are not carried over. Suspended and buried cards are not
carried either; leeches follow from the reviews.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TextIO

from engine.storage.card_states import save_state, stored_state
from engine.storage.codecs import REVIEW_COLUMNS, review_row
from engine.storage.connection import LogConnection
from engine.storage.flags import LeechRule, mark_leech
from engine.storage.records import (
    MODES,
    CardState,
    check_rating,
    deck_of,
    parse_stamp,
    stamp,
    to_utc,
    verdict_from_dict,
)

FORMAT_VERSION: Final = 1
MAX_LINE: Final = 1_000_000
"""Characters in one line: a review (an answer of at most 2,000 characters, its verdict) is far smaller."""

Replay = Callable[[str, CardState | None, int, datetime, int], CardState]
"""The card's state after one review: (card id, state before or None, rating, moment,
duration in ms) -> state after. `StudyScheduler.next_state` is one."""


@dataclass(frozen=True)
class PortableReview:
    """One review as it travels between logs (a line of the export)."""

    card_id: str
    reviewed_at: datetime
    mode: str
    answer: str
    seed: int | None
    correct: bool
    score: float
    mistake: str | None
    rating: int | None
    duration_ms: int
    verdict: dict[str, Any] | None
    scheduled: bool

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """What makes two reviews the same review, in any log: card, moment, mode and answer."""
        return (self.card_id, stamp(self.reviewed_at), self.mode, self.answer)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "card_id": self.card_id,
            "reviewed_at": stamp(self.reviewed_at),
            "mode": self.mode,
            "answer": self.answer,
            "seed": self.seed,
            "correct": self.correct,
            "score": self.score,
            "mistake": self.mistake,
            "rating": self.rating,
            "duration_ms": self.duration_ms,
            "verdict": self.verdict,
            "scheduled": self.scheduled,
        }


@dataclass(frozen=True)
class BadLine:
    line: int  # 1-based
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.problem}"


@dataclass(frozen=True)
class ImportReport:
    added: int  # reviews this log did not have
    already: int  # reviews it had (or that the file repeats)
    cards: int  # cards whose schedules were rebuilt
    leeches: tuple[str, ...] = ()  # cards the rebuilt schedules made leeches
    bad: tuple[BadLine, ...] = field(default_factory=tuple)


# -- reading a line ---------------------------------------------------------------------------


class _Bad(ValueError):
    pass


def _need(data: dict[str, Any], key: str, kinds: type | tuple[type, ...], what: str) -> Any:
    if key not in data:
        raise _Bad(f"no {key!r}")
    value = data[key]
    if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
        raise _Bad(f"{key!r} is not {what}")
    if not isinstance(value, kinds):
        raise _Bad(f"{key!r} is not {what}")
    return value


def parse_review(text: str) -> PortableReview:
    """One line of an export as a review; `ValueError` says what is wrong with it."""
    if len(text) > MAX_LINE:
        raise _Bad(f"longer than {MAX_LINE:,} characters")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise _Bad(f"not JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(data, dict):
        raise _Bad("not a JSON object")
    version = data.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise _Bad(f"format version {version!r}; this quizapp reads version {FORMAT_VERSION}")
    card_id = _need(data, "card_id", str, "a card id")
    try:
        deck_of(card_id)
        reviewed_at = datetime.fromisoformat(_need(data, "reviewed_at", str, "a time"))
    except ValueError as error:
        raise _Bad(str(error)) from None
    if reviewed_at.tzinfo is None:
        raise _Bad("'reviewed_at' has no time zone (expected ISO 8601, like 2025-01-31T09:15:00+00:00)")
    reviewed_at = to_utc(reviewed_at)
    mode = _need(data, "mode", str, "a mode")
    if mode not in MODES:
        raise _Bad(f"'mode' is 'study' or 'drill', not {mode!r}")
    rating = _need(data, "rating", (int, type(None)), "a rating 1-4 or null")
    if rating is not None:
        try:
            check_rating(rating)
        except ValueError as error:
            raise _Bad(str(error)) from None
    score = float(_need(data, "score", (int, float), "a number"))
    if not math.isfinite(score):
        raise _Bad("'score' is not finite")
    duration = _need(data, "duration_ms", int, "a whole number of milliseconds")
    if duration < 0:
        raise _Bad("'duration_ms' is negative")
    verdict = _need(data, "verdict", (dict, type(None)), "a verdict object or null")
    if verdict is not None:
        try:
            verdict_from_dict(verdict)
        except (TypeError, ValueError, KeyError, AttributeError) as error:
            raise _Bad(f"'verdict' cannot be read: {error}") from None
    elif rating is None:
        raise _Bad("a review without a verdict (a flash card) needs its rating")
    scheduled = _need(data, "scheduled", bool, "true or false")
    if scheduled and rating is None:
        raise _Bad("a review that scheduled its card needs its rating")
    mistake = _need(data, "mistake", (str, type(None)), "a mistake's name or null")
    return PortableReview(
        card_id=card_id,
        reviewed_at=reviewed_at,
        mode=mode,
        answer=_need(data, "answer", str, "text"),
        seed=_need(data, "seed", (int, type(None)), "a whole number or null"),
        correct=_need(data, "correct", bool, "true or false"),
        score=score,
        mistake=mistake,
        rating=rating,
        duration_ms=duration,
        verdict=verdict,
        scheduled=scheduled,
    )


def read_reviews(lines: Iterable[str]) -> tuple[list[PortableReview], list[BadLine]]:
    """The reviews of an export, and its bad lines (blank lines are neither)."""
    reviews, bad = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            reviews.append(parse_review(line))
        except ValueError as error:
            bad.append(BadLine(number, str(error)))
    return reviews, bad


# -- the store's part -------------------------------------------------------------------------


class PortableLog(LogConnection):
    """Export and import of reviews: the part of `ReviewStore` that moves the log between machines."""

    def export_reviews(self, out: TextIO) -> int:
        """Write every review (oldest first) as one JSON line to `out`; returns how many.

        A damaged row is skipped, as every read skips it (`damaged_rows` names it).
        """
        rows = self._all(f"SELECT {REVIEW_COLUMNS}, scheduled FROM reviews ORDER BY reviewed_at, id")
        reviews = self._readable("reviews", rows, lambda row: f"id {row[0]} (card {row[3]})", _portable)
        for review in reviews:
            out.write(json.dumps(review.to_json(), ensure_ascii=False) + "\n")
        return len(reviews)

    def import_reviews(
        self, lines: Iterable[str], replay: Replay, leech: LeechRule | None = None
    ) -> ImportReport:
        """Add the reviews of an export this log lacks and rebuild the schedules they change, in one transaction."""
        reviews, bad = read_reviews(lines)
        added, already = 0, 0
        touched: dict[str, None] = {}
        seen: set[tuple[str, str, str, str]] = set()
        with self._transaction() as db:
            for review in reviews:
                if review.identity in seen or _present(db, review):
                    already += 1
                    continue
                seen.add(review.identity)
                _insert(db, review)
                added += 1
                if review.scheduled:
                    touched[review.card_id] = None
            leeches = [card_id for card_id in touched if _rebuild(db, card_id, replay, leech)]
        return ImportReport(added, already, len(touched), tuple(leeches), tuple(bad))


def _portable(row: Any) -> PortableReview:
    review = review_row(row)
    return PortableReview(
        card_id=review.card_id,
        reviewed_at=review.reviewed_at,
        mode=review.mode,
        answer=review.answer,
        seed=review.seed,
        correct=review.correct,
        score=review.score,
        mistake=review.mistake,
        rating=review.rating,
        duration_ms=review.duration_ms,
        verdict=json.loads(review.verdict_json) if review.verdict_json is not None else None,
        scheduled=bool(row[-1]),
    )


def _present(db: sqlite3.Connection, review: PortableReview) -> bool:
    card_id, at, mode, answer = review.identity
    row = db.execute(
        "SELECT 1 FROM reviews WHERE card_id = ? AND reviewed_at = ? AND mode = ? AND answer = ? LIMIT 1",
        (card_id, at, mode, answer),
    ).fetchone()
    return row is not None


def _insert(db: sqlite3.Connection, review: PortableReview) -> None:
    db.execute(
        """
        INSERT INTO reviews (session_id, reviewed_at, card_id, deck_id, seed, answer, correct, score,
                             mistake, rating, duration_ms, verdict_json, mode, scheduled, state_before)
        VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
        """,
        (
            stamp(review.reviewed_at),
            review.card_id,
            deck_of(review.card_id),
            review.seed,
            review.answer,
            int(review.correct),
            review.score,
            review.mistake,
            review.rating,
            review.duration_ms,
            json.dumps(review.verdict, ensure_ascii=False) if review.verdict is not None else None,
            review.mode,
            int(review.scheduled),
        ),
    )


def _rebuild(db: sqlite3.Connection, card_id: str, replay: Replay, leech: LeechRule | None) -> bool:
    """Replay the card's scheduling reviews in time order; save its state; True if it became a leech.

    Each review's `state_before` is rewritten to the replayed state before it, so the log
    keeps saying what each review replaced.
    """
    old = stored_state(db, card_id)
    state: CardState | None = None
    last_moment = None
    for review_id, rating, reviewed_at, duration_ms in db.execute(
        """
        SELECT id, rating, reviewed_at, duration_ms FROM reviews
        WHERE card_id = ? AND scheduled = 1 AND rating IS NOT NULL ORDER BY reviewed_at, id
        """,
        (card_id,),
    ).fetchall():
        db.execute(
            "UPDATE reviews SET state_before = ? WHERE id = ?",
            (state.to_json() if state is not None else None, review_id),
        )
        last_moment = parse_stamp(reviewed_at)
        state = replay(card_id, state, int(rating), last_moment, int(duration_ms))
    if state is None or last_moment is None:
        return False
    save_state(db, card_id, state)
    if leech is None:
        return False
    return mark_leech(db, card_id, old.lapses if old is not None else 0, state, leech, last_moment)
