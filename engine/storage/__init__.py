"""The review log: every answer, every session and each card's scheduling state, in SQLite.

Owns the schema and its migrations (`schema`), the records read from and written to the
log and the conventions they share (`records`: modes, times, card ids), reading rows back
with a damaged value named rather than raised (`codecs`), the connection and its
discipline (`connection`: opening safely, one lock, transactions, reads that skip a
damaged row), a card's scheduling state as a transaction reads and writes it
(`card_states`), the store itself (`log`: `ReviewStore`, where each answer and its
schedule change are one transaction), cards set aside and leeches (`flags`), the log as
JSON lines between machines (`portability`), and where the log lives on disk (`datadir`).

May import: `engine.errors`, `engine.checking.verdict` (a review keeps its verdict), fsrs.
Never: `engine.decks`, `engine.study`, textual.
"""

from engine.storage.log import ReviewStore
from engine.storage.records import (
    DAY_START_HOUR,
    MODES,
    CardRecord,
    CardState,
    DamagedRow,
    DrillResult,
    Mode,
    Reschedule,
    ReviewRow,
    SessionRow,
    StoreError,
    day_start,
    deck_of,
    to_utc,
    utc_now,
)
from engine.storage.schema import BUSY_TIMEOUT_S, MIGRATIONS, SCHEMA_VERSION, Migration

__all__ = [
    "BUSY_TIMEOUT_S",
    "DAY_START_HOUR",
    "MIGRATIONS",
    "MODES",
    "SCHEMA_VERSION",
    "CardRecord",
    "CardState",
    "DamagedRow",
    "DrillResult",
    "Migration",
    "Mode",
    "Reschedule",
    "ReviewRow",
    "ReviewStore",
    "SessionRow",
    "StoreError",
    "day_start",
    "deck_of",
    "to_utc",
    "utc_now",
]
