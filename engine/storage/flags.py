"""Cards set aside: suspended until the learner takes them back, buried for the rest of the day, leeches.

The `card_flags` table (schema 5) holds one row per card the learner (or the leech rule)
has set aside; a card with no row is in play. The queue (`StudyScheduler.queue`) leaves
out a suspended card, and a buried one until the study day it comes back; a leech is a
card failed so often (`LeechRule`) that drilling it again is wasted effort until it is
rewritten or relearned another way.

A leech is marked in the transaction that records the lapse making it one, so the log
never holds the lapse without the flag. That lapse's review keeps the card's flags from
before it (`flags_before` in its `state_before` JSON, beside the card state that column
already keeps), so that changing the rating of that answer, or taking it back, restores
the flags exactly as it restores the schedule.

The store's methods for all this are `FlagStore`'s (a part of `ReviewStore`); the helpers
that take a connection are used inside the store's own transactions.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

from engine.settings import DEFAULTS, LEECH_ACTIONS, LeechAction
from engine.storage.codecs import DamagedField
from engine.storage.connection import LogConnection
from engine.storage.records import (
    DAY_START_HOUR,
    CardState,
    Reschedule,
    day_start,
    deck_of,
    parse_stamp,
    stamp,
    to_utc,
)

_FLAGS_BEFORE: Final = "flags_before"  # the key a leech's review adds to its state_before JSON


class LeechSettings(Protocol):
    """What the leech rule reads of the learner's settings (`engine.settings.Settings` has both)."""

    @property
    def leech_lapses(self) -> int: ...

    @property
    def leech_action(self) -> str: ...


@dataclass(frozen=True)
class LeechRule:
    """A card becomes a leech when the lapse that brings it to `lapses` lapses is recorded.

    `action` "suspend" also suspends it (Anki's default); "tag" only marks it, so it stays
    in the queue and is listed among the leeches. A lapse is a review rated Again on a card
    in the Review state (`StudyScheduler.next_state` counts them in `card_states.lapses`).
    """

    lapses: int = DEFAULTS.leech_lapses
    action: LeechAction = DEFAULTS.leech_action

    def __post_init__(self) -> None:
        if isinstance(self.lapses, bool) or not isinstance(self.lapses, int) or self.lapses < 1:
            raise ValueError(f"a leech needs at least 1 lapse, got {self.lapses!r}")
        if self.action not in LEECH_ACTIONS:
            raise ValueError(f"the leech action is 'suspend' or 'tag', got {self.action!r}")

    @classmethod
    def of(cls, settings: LeechSettings) -> LeechRule:
        """The rule the learner's settings give (`leech_lapses`, `leech_action`)."""
        action = settings.leech_action
        if action not in LEECH_ACTIONS:
            raise ValueError(f"the leech action is 'suspend' or 'tag', got {action!r}")
        return cls(settings.leech_lapses, "suspend" if action == "suspend" else "tag")

    def reached(self, lapses_before: int, lapses_after: int) -> bool:
        """Whether this change of the lapse count is the one that makes the card a leech."""
        return lapses_before < self.lapses <= lapses_after


@dataclass(frozen=True)
class LeechWatch:
    """A `Reschedule` watched for leeches: the store marks one in the review's own transaction.

    `StudyScheduler.rescheduler` returns one, so every answer that moves a schedule (study,
    or a drill with --schedule) is watched, with no change to how answers are recorded.
    """

    reschedule: Reschedule
    rule: LeechRule

    def __call__(self, before: CardState | None, rating: int) -> CardState:
        return self.reschedule(before, rating)


@dataclass(frozen=True)
class CardFlags:
    """How a card is set aside. `buried_until` is the start of the study day it comes back."""

    card_id: str
    suspended: bool = False
    buried_until: datetime | None = None
    leech: bool = False
    changed_at: datetime | None = None

    def buried(self, now: datetime | None = None) -> bool:
        return self.buried_until is not None and self.buried_until > to_utc(now)

    def set_aside(self, now: datetime | None = None) -> bool:
        """Whether the queue leaves the card out now."""
        return self.suspended or self.buried(now)

    @property
    def empty(self) -> bool:
        return not (self.suspended or self.buried_until is not None or self.leech)

    def to_dict(self) -> dict[str, Any]:
        return {
            "suspended": self.suspended,
            "buried_until": stamp(self.buried_until) if self.buried_until is not None else None,
            "leech": self.leech,
            "changed_at": stamp(self.changed_at) if self.changed_at is not None else None,
        }

    @classmethod
    def from_dict(cls, card_id: str, data: dict[str, Any]) -> CardFlags:
        buried, changed = data.get("buried_until"), data.get("changed_at")
        return cls(
            card_id,
            bool(data.get("suspended")),
            parse_stamp(buried) if buried is not None else None,
            bool(data.get("leech")),
            parse_stamp(changed) if changed is not None else None,
        )


@dataclass(frozen=True)
class Leech:
    """A leech, with what it is failed on most often (for the statistics and the summary)."""

    card_id: str
    lapses: int
    suspended: bool
    marked_at: datetime
    mistake: str | None  # the named mistake seen most often in its reviews
    mistake_count: int


# -- inside the store's transactions ----------------------------------------------------------


def read_flags(db: sqlite3.Connection, card_id: str) -> CardFlags | None:
    row = db.execute(
        "SELECT card_id, suspended, buried_until, leech, changed_at FROM card_flags WHERE card_id = ?",
        (card_id,),
    ).fetchone()
    if row is None:
        return None
    try:
        return flags_of(row)
    except DamagedField:
        return None  # read as none, and replaced by the write that follows


def write_flags(db: sqlite3.Connection, flags: CardFlags | None, card_id: str, now: datetime) -> None:
    """Store `flags` as the card's (`None`, or flags with nothing set: the row goes)."""
    if flags is None or flags.empty:
        db.execute("DELETE FROM card_flags WHERE card_id = ?", (card_id,))
        return
    db.execute(
        """
        INSERT OR REPLACE INTO card_flags (card_id, suspended, buried_until, leech, changed_at)
        VALUES (?, ?, ?, ?, ?)
        """,
        (
            card_id,
            int(flags.suspended),
            stamp(flags.buried_until) if flags.buried_until is not None else None,
            int(flags.leech),
            stamp(flags.changed_at or now),
        ),
    )


def mark_leech(
    db: sqlite3.Connection,
    card_id: str,
    lapses_before: int,
    after: CardState,
    rule: LeechRule,
    moment: datetime,
    review_id: int | None = None,
) -> bool:
    """Flag the card a leech (and suspend it, by the rule) if this change of lapses makes it one.

    With `review_id`, that review keeps the flags from before, so that re-rating or undoing
    it restores them (`restore_flags_before`).
    """
    if not rule.reached(lapses_before, after.lapses):
        return False
    previous = read_flags(db, card_id)
    base = previous or CardFlags(card_id)
    marked = CardFlags(
        card_id,
        suspended=base.suspended or rule.action == "suspend",
        buried_until=base.buried_until,
        leech=True,
        changed_at=moment,
    )
    write_flags(db, marked, card_id, moment)
    if review_id is not None:
        row = db.execute("SELECT state_before FROM reviews WHERE id = ?", (review_id,)).fetchone()
        if row is not None and row[0] is not None:
            data = json.loads(row[0])
            data[_FLAGS_BEFORE] = previous.to_dict() if previous is not None else None
            db.execute("UPDATE reviews SET state_before = ? WHERE id = ?", (json.dumps(data), review_id))
    return True


def restore_flags_before(
    db: sqlite3.Connection, review_id: int, card_id: str, state_before: str | None, now: datetime
) -> str | None:
    """Put back the flags a review that made its card a leech replaced; returns `state_before` without them.

    A review that changed no flags is left alone (and its `state_before` returned as it was).
    """
    if state_before is None:
        return None
    data = json.loads(state_before)
    if _FLAGS_BEFORE not in data:
        return state_before
    previous = data.pop(_FLAGS_BEFORE)
    flags = CardFlags.from_dict(card_id, previous) if previous is not None else None
    write_flags(db, flags, card_id, now)
    cleaned = json.dumps(data)
    db.execute("UPDATE reviews SET state_before = ? WHERE id = ?", (cleaned, review_id))
    return cleaned


def flags_of(row: Any) -> CardFlags:
    """A `card_flags` row read back; a time that is not a date raises `DamagedField`."""

    def moment(column: str, value: Any) -> datetime | None:
        if value is None:
            return None
        try:
            return parse_stamp(value)
        except (ValueError, TypeError) as error:
            raise DamagedField(f"{column} {value!r} is not a date") from error

    return CardFlags(
        row[0], bool(row[1]), moment("buried_until", row[2]), bool(row[3]), moment("changed_at", row[4])
    )


def next_day_start(now: datetime | None, hour: int, tz: Any) -> datetime:
    """The start of the study day after the one containing `now` (36 hours on lands in it, whatever DST does)."""
    return day_start(day_start(now, hour, tz) + timedelta(hours=36), hour, tz)


# -- the store's methods ----------------------------------------------------------------------


class FlagStore(LogConnection):
    """Suspending, burying and the leeches: the part of `ReviewStore` that sets cards aside."""

    def card_flags(self, card_ids: Iterable[str] | None = None) -> dict[str, CardFlags]:
        """The flags of every card that has some (or of those of `card_ids` that have some)."""
        rows = self._all("SELECT card_id, suspended, buried_until, leech, changed_at FROM card_flags")
        read = self._readable("card_flags", rows, lambda row: f"card {row[0]}", flags_of)
        flags = {f.card_id: f for f in read}
        if card_ids is None:
            return flags
        return {card_id: flags[card_id] for card_id in card_ids if card_id in flags}

    def flags(self, card_id: str) -> CardFlags | None:
        return self.card_flags([card_id]).get(card_id)

    def set_aside_now(self, card_ids: Iterable[str], now: datetime | None = None) -> frozenset[str]:
        """Those of `card_ids` the queue leaves out now: suspended, or buried until a later moment."""
        moment = to_utc(now)
        return frozenset(card_id for card_id, f in self.card_flags(card_ids).items() if f.set_aside(moment))

    def suspend(self, card_id: str, now: datetime | None = None) -> CardFlags | None:
        """Suspend the card until `unsuspend`; returns its flags before (for an undo)."""
        return self._change(card_id, now, lambda f, moment: replace(f, suspended=True, changed_at=moment))

    def unsuspend(self, card_id: str, now: datetime | None = None) -> CardFlags | None:
        return self._change(card_id, now, lambda f, moment: replace(f, suspended=False, changed_at=moment))

    def bury(
        self, card_id: str, now: datetime | None = None, day_start_hour: int = DAY_START_HOUR
    ) -> CardFlags | None:
        """Leave the card out until the next study day begins; returns its flags before."""
        until = next_day_start(now, day_start_hour, self.local_tz)
        return self._change(card_id, now, lambda f, moment: replace(f, buried_until=until, changed_at=moment))

    def unbury(self, card_id: str, now: datetime | None = None) -> CardFlags | None:
        return self._change(card_id, now, lambda f, moment: replace(f, buried_until=None, changed_at=moment))

    def restore_flags(self, card_id: str, previous: CardFlags | None, now: datetime | None = None) -> None:
        """Put back flags as they were (`None`: none), e.g. to take back a suspend or a bury."""
        self._change(card_id, now, lambda _, moment: previous)

    def leeches(self, card_ids: Iterable[str] | None = None) -> list[Leech]:
        """Every leech (or those among `card_ids`), most recently marked first, each with the
        named mistake seen most often in its reviews (the latest wins a tie)."""
        wanted = None if card_ids is None else set(card_ids)
        flagged = [
            f for f in self.card_flags().values() if f.leech and (wanted is None or f.card_id in wanted)
        ]
        if not flagged:
            return []
        ids = [f.card_id for f in flagged]
        marks = ", ".join("?" for _ in ids)
        lapses = dict(self._all(f"SELECT card_id, lapses FROM card_states WHERE card_id IN ({marks})", ids))
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        latest: dict[tuple[str, str], str] = {}
        for card_id, mistake, count, last in self._all(
            f"""
            SELECT card_id, mistake, COUNT(*), MAX(reviewed_at) FROM reviews
            WHERE mistake IS NOT NULL AND card_id IN ({marks}) GROUP BY card_id, mistake
            """,
            ids,
        ):
            counts[card_id][mistake] = count
            latest[card_id, mistake] = last
        found = []
        for f in flagged:
            mistakes = counts.get(f.card_id)
            top = max(mistakes, key=lambda m: (mistakes[m], latest[f.card_id, m])) if mistakes else None
            found.append(
                Leech(
                    f.card_id,
                    int(lapses.get(f.card_id, 0)),
                    f.suspended,
                    f.changed_at or to_utc(None),
                    top,
                    mistakes[top] if mistakes and top is not None else 0,
                )
            )
        return sorted(found, key=lambda leech: (leech.marked_at, leech.card_id), reverse=True)

    def _change(
        self,
        card_id: str,
        now: datetime | None,
        change: Callable[[CardFlags, datetime], CardFlags | None],
    ) -> CardFlags | None:
        """Read, change and write a card's flags in one transaction; returns them as they were."""
        deck_of(card_id)
        moment = to_utc(now)
        with self._transaction() as db:
            previous = read_flags(db, card_id)
            write_flags(db, change(previous or CardFlags(card_id), moment), card_id, moment)
            return previous
