"""The records of the review log, and the conventions they share: modes, times, card ids.

Times are timezone-aware datetimes, stored as ISO-8601 UTC text of one fixed width
(`stamp`), so that text order is time order in SQL. A study day starts at 04:00 local
time. Cards are identified by their full id (`deck-id/card-id`): editing a card's text
keeps its history.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Final, Literal

import fsrs

from engine.checking.verdict import Verdict
from engine.errors import EngineError
from engine.settings import DEFAULTS

Mode = Literal["study", "drill"]
MODES: Final[tuple[Mode, ...]] = ("study", "drill")
DAY_START_HOUR: Final = DEFAULTS.day_boundary_hour
"""A study day starts at 04:00 local time (as in Anki), so a late-night session counts
towards the day it began."""


class StoreError(EngineError):
    """The review log cannot be used (corrupt, from a newer quizapp, unreachable); the message says why."""


# -- records -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewRow:
    """One recorded answer."""

    id: int
    session_id: int | None
    reviewed_at: datetime
    card_id: str
    deck_id: str
    seed: int | None
    answer: str
    correct: bool
    score: float
    mistake: str | None
    rating: int | None
    duration_ms: int
    verdict_json: str | None
    mode: str

    def verdict(self) -> Verdict | None:
        """The verdict as it was given (None for a flash card, which is self-rated)."""
        if self.verdict_json is None:
            return None
        return verdict_from_dict(json.loads(self.verdict_json))


@dataclass(frozen=True)
class SessionRow:
    id: int
    started_at: datetime
    ended_at: datetime | None
    mode: str
    deck_ids: tuple[str, ...]


@dataclass(frozen=True)
class DrillResult:
    """How one drill went, kept so that the next drill's report can compare with it."""

    session_id: int
    finished_at: datetime
    questions: int
    answered: int
    correct: int
    score: float
    duration_ms: int
    time_limit_s: int | None = None
    seed: int | None = None
    scheduled: bool = False

    @property
    def accuracy(self) -> float:
        """The score as a fraction of the questions set (unanswered ones count as wrong)."""
        return self.score / self.questions if self.questions else 0.0


@dataclass(frozen=True)
class CardRecord:
    """A card's stored scheduling state, with counters fsrs itself does not keep."""

    card_id: str
    card: fsrs.Card
    due: datetime
    last_review: datetime | None
    reps: int
    lapses: int


@dataclass(frozen=True)
class CardState:
    """What a review leaves of a card: its fsrs state, and the counters fsrs does not keep."""

    card: fsrs.Card
    reps: int
    lapses: int

    def to_json(self) -> str:
        return json.dumps({"card": self.card.to_dict(), "reps": self.reps, "lapses": self.lapses})

    @classmethod
    def from_json(cls, text: str) -> CardState:
        data = json.loads(text)
        return cls(fsrs.Card.from_dict(data["card"]), int(data["reps"]), int(data["lapses"]))


@dataclass(frozen=True)
class DamagedRow:
    """A row of the log that means nothing to quizapp, so reading the log skipped it.

    SQLite's own integrity check passes such a row: it is sound SQL holding a value that
    a hand edit or a broken tool put there (fsrs_json that is not JSON, a reviewed_at
    that is not a date). One such row must not hide every other answer, so readers skip
    it and say which one it was, for someone to repair or delete.
    """

    table: str
    row: str  # how to find it: "id 7 (card deck/card)", "card deck/card", "session 3"
    problem: str

    def __str__(self) -> str:
        return f"skipped a damaged row of the review log: {self.table} {self.row}: {self.problem}"


Reschedule = Callable[[CardState | None, int], CardState]
"""The next state of a card, from its state before a review (None: never studied) and the
rating; `StudyScheduler.rescheduler` makes one. The store calls it inside the transaction
that records the review, so the state it reads is the state it replaces."""

FLASH_RIGHT_FROM: Final = 2
"""A flash card is self-rated: Hard (recalled, with effort) and better count as right."""


# -- time --------------------------------------------------------------------------------


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_utc(moment: datetime | None) -> datetime:
    """`moment` (default: now) in UTC; naive datetimes are refused, since their zone is a guess."""
    if moment is None:
        return utc_now()
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got {moment!r}")
    return moment.astimezone(UTC)


def stamp(moment: datetime) -> str:
    # One fixed width (microseconds, +00:00) so that comparing text compares times.
    return to_utc(moment).isoformat(timespec="microseconds")


def parse_stamp(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def day_start(now: datetime | None = None, hour: int = DAY_START_HOUR, tz: tzinfo | None = None) -> datetime:
    """When the study day containing `now` began: the last `hour`:00 in local time `tz`, in UTC.

    `tz` None means the system's local zone; pass a `zoneinfo.ZoneInfo` to pin it (tests,
    or a user who travels).
    """
    moment = to_utc(now)
    local = moment.astimezone(tz) if tz is not None else moment.astimezone()
    start = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if local < start:
        start -= timedelta(days=1)
    return start.astimezone(UTC)


def deck_of(card_id: str) -> str:
    """The deck id of a full card id (`deck-id/card-id`)."""
    deck_id, slash, rest = card_id.partition("/")
    if not slash or not deck_id or not rest:
        raise ValueError(f"expected a full card id 'deck-id/card-id', got {card_id!r}")
    return deck_id


def check_rating(rating: int) -> int:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 4:
        raise ValueError(f"a rating is 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy), got {rating!r}")
    return int(rating)


def verdict_from_dict(data: dict[str, Any]) -> Verdict:
    """A verdict as `Verdict.to_json` stored it (fields this version does not know are left out)."""
    parts = tuple(verdict_from_dict(part) for part in data.get("parts", ()))
    fields = {k: v for k, v in data.items() if k in Verdict.__dataclass_fields__ and k != "parts"}
    return Verdict(**fields, parts=parts)
