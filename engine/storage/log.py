"""The review log's records: every answer, every session, each card's scheduling state.

Studying is only worth something if the record of it survives, so the store is built to
lose nothing and to damage nothing:

- Each answer is committed the moment it is recorded (WAL journal with
  `synchronous=NORMAL`), so killing the app mid-session loses nothing already answered.
  The answer and the card's new schedule are written in one transaction, together
  with the state the card had before (so that a changed rating or an undo restores it
  exactly): at no instant does the log hold one without the other.
- Opening a log checks it first, and leaves a damaged one, or one from a newer quizapp,
  exactly as it was; the schema is versioned and migrated in place
  (`engine.storage.connection`, `engine.storage.schema`).

Times are timezone-aware datetimes; they are stored as ISO-8601 UTC text of a fixed
width, so that text order is time order in SQL. Cards are identified by their full id
(`deck-id/card-id`): editing a card's text keeps its history.

The connection, its lock, its transactions and the reads that skip a damaged row are
`LogConnection`'s; this module is what is recorded and asked of the log.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import fsrs

from engine.checking.verdict import Verdict
from engine.storage.card_states import save_state, stored_state, upsert_state
from engine.storage.codecs import (
    REVIEW_COLUMNS,
    card_record_of,
    drill_result,
    review_row,
    session_row,
)
from engine.storage.flags import (
    FlagStore,
    LeechWatch,
    mark_leech,
    read_flags,
    restore_flags_before,
    write_flags,
)
from engine.storage.portability import PortableLog
from engine.storage.records import (
    DAY_START_HOUR,
    FLASH_RIGHT_FROM,
    MODES,
    CardRecord,
    CardState,
    DrillResult,
    Mode,
    Reschedule,
    ReviewRow,
    SessionRow,
    check_rating,
    day_start,
    deck_of,
    parse_stamp,
    stamp,
    to_utc,
)

# -- the store ---------------------------------------------------------------------------


class ReviewStore(FlagStore, PortableLog):
    """The review log in one SQLite file. Open with `ReviewStore.open(path)`; use as a context manager.

    Safe to share between threads (one lock serialises access) and between processes
    (WAL, with a busy timeout). Setting cards aside (suspend, bury, leeches) is
    `FlagStore`'s part of it, moving the log between machines `PortableLog`'s.
    """

    # -- sessions ------------------------------------------------------------------------

    def start_session(self, mode: Mode, deck_ids: Sequence[str], now: datetime | None = None) -> int:
        """Record the start of a session; returns its id, for `record_review` and `end_session`."""
        if mode not in MODES:
            raise ValueError(f"mode is 'study' or 'drill', got {mode!r}")
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO sessions (started_at, mode, deck_ids) VALUES (?, ?, ?)",
                (stamp(to_utc(now)), mode, json.dumps(list(deck_ids))),
            )
            return _rowid(cursor)

    def end_session(self, session_id: int, now: datetime | None = None) -> None:
        with self._write() as db:
            db.execute("UPDATE sessions SET ended_at = ? WHERE id = ?", (stamp(to_utc(now)), session_id))

    def sessions(self) -> list[SessionRow]:
        """Every session, oldest first (a damaged row is skipped: see `damaged_rows`)."""
        rows = self._all("SELECT id, started_at, ended_at, mode, deck_ids FROM sessions ORDER BY id")
        return self._readable("sessions", rows, lambda row: f"id {row[0]}", session_row)

    # -- drills --------------------------------------------------------------------------

    def save_drill_result(self, result: DrillResult) -> None:
        """Store a finished drill's totals (replacing any earlier ones for its session)."""
        with self._write() as db:
            db.execute(
                """
                INSERT OR REPLACE INTO drill_results (session_id, finished_at, questions, answered,
                    correct, score, duration_ms, time_limit_s, seed, scheduled)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    result.session_id,
                    stamp(result.finished_at),
                    result.questions,
                    result.answered,
                    result.correct,
                    float(result.score),
                    int(result.duration_ms),
                    result.time_limit_s,
                    result.seed,
                    int(result.scheduled),
                ),
            )

    def drill_results(self) -> list[DrillResult]:
        """Every finished drill, oldest first (a damaged row is skipped: see `damaged_rows`)."""
        rows = self._all(
            """
            SELECT session_id, finished_at, questions, answered, correct, score, duration_ms,
                   time_limit_s, seed, scheduled
            FROM drill_results ORDER BY finished_at, session_id
            """
        )
        return self._readable("drill_results", rows, lambda row: f"session {row[0]}", drill_result)

    # -- reviews -------------------------------------------------------------------------

    def record_review(
        self,
        session_id: int | None,
        card_id: str,
        seed: int | None,
        answer: str,
        verdict: Verdict | None,
        rating: int | None,
        duration_ms: int,
        mode: Mode = "study",
        now: datetime | None = None,
        reschedule: Reschedule | None = None,
    ) -> int:
        """Record one answer, committed before this returns; returns the review's id.

        For a checked card pass its `verdict` (correctness, score and mistake come from
        it) and the rating to schedule with. For a flash card `verdict` is None and
        `rating` is the self-rating: Hard or better (>= 2) counts as right.

        With `reschedule`, the card's new schedule is computed from its stored state and
        `rating` and saved in the same transaction as the review, with the state it
        replaces (for `set_rating` and `undo_review`); a `LeechWatch` also marks the card
        a leech there when this is the lapse that makes it one.
        """
        deck_id = deck_of(card_id)
        if rating is not None:
            check_rating(rating)
        if duration_ms < 0:
            raise ValueError(f"duration_ms must be >= 0, got {duration_ms}")
        if mode not in MODES:
            raise ValueError(f"mode is 'study' or 'drill', got {mode!r}")
        if verdict is not None:
            correct, score, mistake = verdict.correct, float(verdict.score), verdict.mistake
            verdict_json: str | None = json.dumps(verdict.to_json(), ensure_ascii=False)
        elif rating is not None:
            correct = rating >= FLASH_RIGHT_FROM
            score, mistake, verdict_json = float(correct), None, None
        else:
            raise ValueError("a review needs a verdict or, for a flash card, a rating")
        if reschedule is not None and rating is None:
            raise ValueError("a review that schedules the card needs a rating")
        moment = to_utc(now)
        with self._transaction() as db:
            before = stored_state(db, card_id) if reschedule is not None else None
            cursor = db.execute(
                """
                INSERT INTO reviews (session_id, reviewed_at, card_id, deck_id, seed, answer, correct,
                                     score, mistake, rating, duration_ms, verdict_json, mode,
                                     scheduled, state_before)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    session_id,
                    stamp(moment),
                    card_id,
                    deck_id,
                    seed,
                    answer,
                    int(correct),
                    score,
                    mistake,
                    rating,
                    int(duration_ms),
                    verdict_json,
                    mode,
                    int(reschedule is not None),
                    before.to_json() if before is not None else None,
                ),
            )
            review_id = _rowid(cursor)
            if reschedule is not None:
                assert rating is not None
                after = reschedule(before, rating)
                save_state(db, card_id, after)
                if isinstance(reschedule, LeechWatch):
                    lapses = before.lapses if before is not None else 0
                    mark_leech(db, card_id, lapses, after, reschedule.rule, moment, review_id)
            return review_id

    def set_rating(self, review_id: int, rating: int, reschedule: Reschedule | None = None) -> None:
        """Change a review's rating (the learner overrode the suggestion before moving on).

        On a flash card the rating is the answer, so its correctness follows it. When the
        review scheduled the card, `reschedule` recomputes the schedule from the state the
        card had before that review, in the same transaction: the log never holds a
        rating and a schedule that disagree.
        """
        check_rating(rating)
        right = rating >= FLASH_RIGHT_FROM
        with self._transaction() as db:
            cursor = db.execute(
                """
                UPDATE reviews SET rating = ?,
                    correct = CASE WHEN verdict_json IS NULL THEN ? ELSE correct END,
                    score = CASE WHEN verdict_json IS NULL THEN ? ELSE score END
                WHERE id = ?
                RETURNING card_id, scheduled, state_before, reviewed_at
                """,
                (rating, int(right), float(right), review_id),
            )
            row = cursor.fetchone()
            if row is None:
                raise KeyError(f"no review {review_id}")
            card_id, scheduled, before, reviewed_at = row
            if scheduled and reschedule is not None:
                moment = parse_stamp(reviewed_at)
                # The flags go back to what they were before this answer, then follow the new rating.
                before = restore_flags_before(db, review_id, card_id, before, moment)
                state = CardState.from_json(before) if before else None
                after = reschedule(state, rating)
                save_state(db, card_id, after)
                if isinstance(reschedule, LeechWatch):
                    lapses = state.lapses if state is not None else 0
                    mark_leech(db, card_id, lapses, after, reschedule.rule, moment, review_id)

    def undo_review(self, review_id: int) -> ReviewRow:
        """Take back a review: delete it and restore the card's state from before it, exactly.

        One transaction. Only a card's latest review can be taken back (a later one was
        scheduled from the state this one left). Returns the review as it was.
        """
        with self._transaction() as db:
            row = db.execute(
                f"SELECT {REVIEW_COLUMNS}, scheduled, state_before FROM reviews WHERE id = ?", (review_id,)
            ).fetchone()
            if row is None:
                raise KeyError(f"no review {review_id}")
            review = review_row(row)
            later = db.execute(
                "SELECT COUNT(*) FROM reviews WHERE card_id = ? AND id > ?", (review.card_id, review_id)
            ).fetchone()[0]
            if later:
                raise ValueError(
                    f"review {review_id} is not the latest of {review.card_id}: it cannot be undone"
                )
            db.execute("DELETE FROM reviews WHERE id = ?", (review_id,))
            scheduled, before = row[-2], row[-1]
            if scheduled:
                before = restore_flags_before(db, review_id, review.card_id, before, to_utc(None))
                if before is None:
                    db.execute("DELETE FROM card_states WHERE card_id = ?", (review.card_id,))
                else:
                    save_state(db, review.card_id, CardState.from_json(before))
            return review

    def reviews(self, card_id: str | None = None, since: datetime | None = None) -> list[ReviewRow]:
        """Recorded answers, oldest first: all, one card's, and/or those at or after `since`.

        A damaged row is skipped and noted in `damaged_rows`.
        """
        clauses, params = [], []
        if card_id is not None:
            clauses.append("card_id = ?")
            params.append(card_id)
        if since is not None:
            clauses.append("reviewed_at >= ?")
            params.append(stamp(to_utc(since)))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._all(
            f"SELECT {REVIEW_COLUMNS} FROM reviews {where} ORDER BY reviewed_at, id",
            params,  # only fixed clauses are interpolated; values are parameters
        )
        return self._readable(
            "reviews", rows, lambda row: f"id {row[0]} (card {row[3]})", review_row, whole_table=not clauses
        )

    def review_count_today(
        self,
        deck_ids: Iterable[str] | None = None,
        now: datetime | None = None,
        day_start_hour: int = DAY_START_HOUR,
        mode: Mode | None = None,
    ) -> int:
        """How many answers were recorded since the study day began (all decks, or these)."""
        start = day_start(now, day_start_hour, self.local_tz)
        where, params = _deck_filter(deck_ids)
        if mode is not None:
            where += " AND mode = ?"
            params.append(mode)
        row = self._one(
            f"SELECT COUNT(*) FROM reviews WHERE reviewed_at >= ? {where}",
            [stamp(start), *params],
        )
        return int(row[0])

    def new_cards_introduced_today(
        self,
        deck_ids: Iterable[str] | None = None,
        now: datetime | None = None,
        day_start_hour: int = DAY_START_HOUR,
    ) -> int:
        """How many cards were studied for the first time ever since the study day began.

        This is what the daily new-card limit counts, so a limit of 20 means 20 a day
        however many sessions the day has. Drills do not introduce cards.
        """
        start = day_start(now, day_start_hour, self.local_tz)
        where, params = _deck_filter(deck_ids)
        row = self._one(
            f"""
            SELECT COUNT(*) FROM (
                SELECT card_id FROM reviews WHERE mode = 'study' {where}
                GROUP BY card_id HAVING MIN(reviewed_at) >= ?
            )
            """,
            [*params, stamp(start)],
        )
        return int(row[0])

    def forget_card(self, card_id: str, now: datetime | None = None) -> None:
        """Reset a card to new, in one transaction: its schedule goes, its history stays.

        Its reviews are kept (the browser still shows them) but no longer count towards
        its schedule (`scheduled` 0), so rebuilding schedules from the log (an import)
        starts it afresh too. It stops being a leech and is no longer buried; a suspended
        card stays suspended until the learner takes it back.
        """
        deck_of(card_id)
        moment = to_utc(now)
        with self._transaction() as db:
            db.execute("DELETE FROM card_states WHERE card_id = ?", (card_id,))
            db.execute("UPDATE reviews SET scheduled = 0 WHERE card_id = ?", (card_id,))
            flags = read_flags(db, card_id)
            if flags is not None and (flags.leech or flags.buried_until is not None):
                kept = replace(flags, leech=False, buried_until=None, changed_at=moment)
                write_flags(db, kept, card_id, moment)

    # -- card states ---------------------------------------------------------------------

    def card_state(self, card_id: str) -> fsrs.Card | None:
        """The card's fsrs state, or None for a card never studied."""
        record = self.card_record(card_id)
        return record.card if record is not None else None

    def card_record(self, card_id: str) -> CardRecord | None:
        row = self._one_or_none(
            "SELECT card_id, fsrs_json, due, last_review, reps, lapses FROM card_states WHERE card_id = ?",
            (card_id,),
        )
        return card_record_of(row) if row is not None else None

    def card_records(self, card_ids: Iterable[str] | None = None) -> dict[str, CardRecord]:
        """Stored states by card id: all of them, or those of `card_ids` that have one.

        A damaged state is skipped (noted in `damaged_rows`): its card counts as never
        studied, so the other cards' counts and queues go on.
        """
        rows = self._all("SELECT card_id, fsrs_json, due, last_review, reps, lapses FROM card_states")
        parsed = self._readable("card_states", rows, lambda row: f"card {row[0]}", card_record_of)
        records = {record.card_id: record for record in parsed}
        if card_ids is None:
            return records
        return {card_id: records[card_id] for card_id in card_ids if card_id in records}

    def save_card_state(
        self, card_id: str, card: fsrs.Card, *, reps: int | None = None, lapses: int | None = None
    ) -> None:
        """Store the card's fsrs state (replacing any earlier one).

        `reps` and `lapses` are kept as they were when not given (0 for a new card);
        `StudyScheduler.review` maintains them.
        """
        deck_of(card_id)
        with self._write() as db:
            upsert_state(db, card_id, card, reps, lapses)


# -- helpers -----------------------------------------------------------------------------


def _deck_filter(deck_ids: Iterable[str] | None) -> tuple[str, list[Any]]:
    if deck_ids is None:
        return "", []
    ids = sorted(set(deck_ids))
    if not ids:
        return "AND 0", []
    return f"AND deck_id IN ({', '.join('?' for _ in ids)})", list(ids)


def _rowid(cursor: sqlite3.Cursor) -> int:
    assert cursor.lastrowid is not None
    return cursor.lastrowid
