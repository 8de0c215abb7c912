"""The review log's schema: the migrations that build it, and the checks made before any write.

The schema is versioned (`PRAGMA user_version`); `MIGRATIONS` lists the steps, applied in
order, each in its own transaction together with the version bump, so a later feature
appends a step and old logs are upgraded in place. A file that is not a SQLite database,
fails `PRAGMA quick_check`, or was written by a newer quizapp raises `StoreError` and is
left exactly as it was: never overwritten, deleted, converted to WAL or migrated.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from engine.storage.records import StoreError

BUSY_TIMEOUT_S: Final = 5.0
"""How long a write waits for another process holding the log's write lock."""


@dataclass(frozen=True)
class Migration:
    """One schema step: the SQL statements that take the log from version N-1 to N."""

    description: str
    statements: tuple[str, ...]


MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(
        "sessions, reviews and card states",
        (
            """
            CREATE TABLE sessions (
                id INTEGER PRIMARY KEY,
                started_at TEXT NOT NULL,
                ended_at TEXT,
                mode TEXT NOT NULL CHECK (mode IN ('study', 'drill')),
                deck_ids TEXT NOT NULL  -- a JSON list of deck ids
            )
            """,
            """
            CREATE TABLE reviews (
                id INTEGER PRIMARY KEY,
                session_id INTEGER REFERENCES sessions(id),
                reviewed_at TEXT NOT NULL,
                card_id TEXT NOT NULL,  -- the full id, deck-id/card-id
                deck_id TEXT NOT NULL,
                seed INTEGER,
                answer TEXT NOT NULL,
                correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
                score REAL NOT NULL,
                mistake TEXT,
                rating INTEGER CHECK (rating BETWEEN 1 AND 4),
                duration_ms INTEGER NOT NULL,
                verdict_json TEXT,
                mode TEXT NOT NULL CHECK (mode IN ('study', 'drill'))
            )
            """,
            "CREATE INDEX reviews_by_card ON reviews (card_id, reviewed_at)",
            "CREATE INDEX reviews_by_time ON reviews (reviewed_at)",
            """
            CREATE TABLE card_states (
                card_id TEXT PRIMARY KEY,
                fsrs_json TEXT NOT NULL,  -- fsrs.Card.to_dict() as JSON
                due TEXT NOT NULL,
                last_review TEXT,
                reps INTEGER NOT NULL DEFAULT 0,
                lapses INTEGER NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX card_states_by_due ON card_states (due)",
        ),
    ),
    Migration(
        "drill results",
        (
            """
            CREATE TABLE drill_results (
                session_id INTEGER PRIMARY KEY REFERENCES sessions(id),
                finished_at TEXT NOT NULL,
                questions INTEGER NOT NULL,  -- how many the drill set
                answered INTEGER NOT NULL,
                correct INTEGER NOT NULL,
                score REAL NOT NULL,  -- the sum of the answers' scores (partial credit counts)
                duration_ms INTEGER NOT NULL,
                time_limit_s INTEGER,
                seed INTEGER,
                scheduled INTEGER NOT NULL CHECK (scheduled IN (0, 1))
            )
            """,
        ),
    ),
    Migration(
        "the schedule change each review made, for re-rating and undo",
        (
            # 1 when the review moved the card's schedule (study, or a drill with --schedule).
            "ALTER TABLE reviews ADD COLUMN scheduled INTEGER NOT NULL DEFAULT 0 CHECK (scheduled IN (0, 1))",
            # The card's state before the review, as JSON {"card", "reps", "lapses"};
            # NULL when the card had none (first review) or the review did not schedule.
            "ALTER TABLE reviews ADD COLUMN state_before TEXT",
        ),
    ),
    Migration(
        "the learner's own FSRS parameters, fitted to their reviews",
        (
            """
            CREATE TABLE scheduler_parameters (
                id INTEGER PRIMARY KEY,
                fitted_at TEXT NOT NULL,
                parameters TEXT NOT NULL,  -- a JSON list of the FSRS weights
                reviews INTEGER NOT NULL,  -- how many qualifying reviews the fit used
                loss_before REAL,  -- log loss on those reviews with the parameters it replaced
                loss_after REAL
            )
            """,
        ),
    ),
    Migration(
        "cards set aside: suspended, buried for the day, leeches",
        (
            # One row per card the learner has set aside (a new card may be suspended too).
            """
            CREATE TABLE card_flags (
                card_id TEXT PRIMARY KEY,  -- the full id, deck-id/card-id
                suspended INTEGER NOT NULL DEFAULT 0 CHECK (suspended IN (0, 1)),
                buried_until TEXT,  -- the start of the study day it comes back, or NULL
                leech INTEGER NOT NULL DEFAULT 0 CHECK (leech IN (0, 1)),
                changed_at TEXT NOT NULL
            )
            """,
        ),
    ),
)
SCHEMA_VERSION: Final = len(MIGRATIONS)


def check_and_configure(db: sqlite3.Connection, path: Path, migrations: Sequence[Migration]) -> None:
    """Refuse a damaged or newer file before anything writes to it, then configure and migrate."""
    untouched = "it was left untouched"
    try:
        # Reads only: the first read of a file that is not a database fails here.
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        problems = [row[0] for row in db.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.OperationalError as error:
        raise StoreError(f"cannot open the review log {path}: {error}") from error
    except sqlite3.DatabaseError as error:
        raise StoreError(
            f"{path} is not a usable quizapp review log ({error}); {untouched}. "
            "Move it aside (or restore a backup) and quizapp will start a new one."
        ) from error
    if problems != ["ok"]:
        detail = "; ".join(str(p) for p in problems[:3])
        raise StoreError(
            f"the review log {path} is damaged (quick_check: {detail}); {untouched}. "
            "Move it aside (or restore a backup) and quizapp will start a new one."
        )
    if version > len(migrations):
        raise StoreError(
            f"the review log {path} was created by a newer version of quizapp (schema {version}, "
            f"this one knows up to {len(migrations)}); {untouched}. Upgrade quizapp to use it."
        )
    if version == 0 and db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
        raise StoreError(
            f"{path} is a SQLite database but not a quizapp review log (it has tables and no "
            f"schema version); {untouched}."
        )
    try:
        db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        db.execute("PRAGMA foreign_keys = ON")
        mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"cannot switch the review log {path} to WAL mode (it is in {mode} mode)")
        # NORMAL in WAL mode: a commit survives the process being killed (not a power cut).
        db.execute("PRAGMA synchronous = NORMAL")
        _migrate(db, version, migrations)
    except sqlite3.DatabaseError as error:
        raise StoreError(f"cannot set up the review log {path}: {error}") from error


def _migrate(db: sqlite3.Connection, version: int, migrations: Sequence[Migration]) -> None:
    """Apply the steps after `version`, each atomically with its `user_version` bump."""
    for number, migration in enumerate(migrations[version:], start=version + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the write lock.
            current = int(db.execute("PRAGMA user_version").fetchone()[0])
            if current >= number:
                db.execute("COMMIT")
                continue
            for statement in migration.statements:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
