"""When to see each card again: FSRS (the `fsrs` package) over the review log.

`StudyScheduler.queue(card_ids)` gives the cards to study now, due ones first, then new
ones under one daily limit shared by every deck. Answers are recorded by a session
(`engine.study.session`), which passes `StudyScheduler.rescheduler(...)` to the review log so
that the answer and the card's next state are written in one transaction.

A card's identity is its full id (`deck-id/card-id`), never its text: editing a card
keeps its history. fsrs's own integer card id is derived from the full id, so it is
stable too, but nothing depends on it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import fsrs
from fsrs.scheduler import DEFAULT_PARAMETERS

from engine.checking.verdict import Verdict
from engine.settings import DEFAULTS, Settings
from engine.storage import CardState, Reschedule, ReviewStore, deck_of, to_utc
from engine.storage.flags import LeechRule, LeechWatch
from engine.storage.parameters import latest_parameters

AGAIN: Final = int(fsrs.Rating.Again)
HARD: Final = int(fsrs.Rating.Hard)
GOOD: Final = int(fsrs.Rating.Good)
EASY: Final = int(fsrs.Rating.Easy)

DEFAULT_NEW_LIMIT: Final = DEFAULTS.new_cards_per_day


def rating_from_verdict(verdict: Verdict, duration_ms: int, expected_ms: int) -> int:
    """The rating an answer earns, as fsrs counts it (1 Again, 2 Hard, 3 Good, 4 Easy).

    The rule, so that a learner can predict it:

    - wrong, with nothing right: Again;
    - partly right (a steps card with some parts right, 0 < score < 1): Hard;
    - right but slow (more than 2x `expected_ms`): Hard: the answer was recalled with effort;
    - right and fast (under 1/3 of `expected_ms`): Easy;
    - right otherwise: Good.

    `expected_ms` is the card kind's (`Kind.expected_ms`): 30 s for numeric and steps
    cards, 20 s for the others. The learner can always override the suggestion.
    """
    if not verdict.correct:
        return HARD if 0.0 < verdict.score < 1.0 else AGAIN
    if duration_ms > 2 * expected_ms:
        return HARD
    if duration_ms * 3 < expected_ms:
        return EASY
    return GOOD


@dataclass(frozen=True)
class StudyQueue:
    """The cards to study now, in order: `due` (earliest due first), then `new` (deck order)."""

    due: tuple[str, ...]
    new: tuple[str, ...]
    new_left_today: int  # how many more new cards the daily limit allows after these

    @property
    def cards(self) -> tuple[str, ...]:
        return self.due + self.new

    def __iter__(self) -> Iterator[str]:
        return iter(self.cards)

    def __len__(self) -> int:
        return len(self.due) + len(self.new)


@dataclass(frozen=True)
class DeckCounts:
    """What the home screen shows for a deck: due now, new available today, cards in all."""

    due: int
    new: int
    total: int


def fsrs_card_id(card_id: str) -> int:
    """A stable positive integer for fsrs's `Card.card_id`, derived from the full card id."""
    return int.from_bytes(hashlib.blake2b(card_id.encode(), digest_size=6).digest(), "big")


class StudyScheduler:
    """Queues and reschedules cards with FSRS, keeping their states in a `ReviewStore`.

    `scheduler` defaults to fsrs's with default parameters and fuzzing off (`fuzz=False`),
    so the same answers give the same due dates (reproducible, testable). Fuzzing spreads
    out cards learned together; pass `fuzz=True` or your own `fsrs.Scheduler` for it.
    `desired_retention` and `parameters` (the 21 FSRS weights; None: fsrs's defaults) tune
    the default one; `day_start_hour` is when a study day begins, for the new-card limit.
    `StudyScheduler.for_learner` builds all of these from the learner's settings and fits.

    `leech` is when a card becomes a leech and what then happens to it (default: 8 lapses,
    suspended); build it from the learner's settings with `LeechRule.of(settings)`.
    """

    def __init__(
        self,
        store: ReviewStore,
        scheduler: fsrs.Scheduler | None = None,
        *,
        fuzz: bool = False,
        leech: LeechRule | None = None,
        desired_retention: float = DEFAULTS.desired_retention,
        parameters: Sequence[float] | None = None,
        day_start_hour: int = DEFAULTS.day_boundary_hour,
    ) -> None:
        self.store = store
        self.day_start_hour = day_start_hour
        if scheduler is None:
            scheduler = fsrs.Scheduler(
                parameters=DEFAULT_PARAMETERS if parameters is None else parameters,
                desired_retention=desired_retention,
                enable_fuzzing=fuzz,
            )
        self.scheduler = scheduler
        self.leech = leech if leech is not None else LeechRule()

    @classmethod
    def for_learner(
        cls, store: ReviewStore, settings: Settings = DEFAULTS, *, fuzz: bool = False
    ) -> StudyScheduler:
        """The scheduler the learner's study uses: their settings, and their latest fitted parameters.

        fsrs's default parameters until `quizapp optimize` has stored a fit
        (`engine.study.optimizer`); read once, so a fit applies from the next scheduler built.
        """
        fitted = latest_parameters(store)
        return cls(
            store,
            fuzz=fuzz,
            leech=LeechRule.of(settings),
            desired_retention=settings.desired_retention,
            parameters=fitted.parameters if fitted is not None else None,
            day_start_hour=settings.day_boundary_hour,
        )

    def queue(
        self,
        card_ids: Sequence[str],
        now: datetime | None = None,
        new_limit: int = DEFAULT_NEW_LIMIT,
        learn_ahead: timedelta = timedelta(0),
    ) -> StudyQueue:
        """The cards among `card_ids` to study now.

        Due cards (a state with due <= now + `learn_ahead`) come first, earliest due first;
        then cards never studied, in the order given, up to `new_limit` a day. The limit
        is shared by every deck: each card introduced today (since the study day began, at
        `day_start_hour`), from any deck, counts against it, so studying one deck and then
        another never gives more than `new_limit` new cards in a day. Cards set aside are left out: suspended ones,
        and buried ones until their study day comes (`ReviewStore.bury`).
        """
        moment = to_utc(now)
        aside = self.store.set_aside_now(card_ids, moment)
        if aside:
            card_ids = [card_id for card_id in card_ids if card_id not in aside]
        records = self.store.card_records(card_ids)
        horizon = moment + learn_ahead
        order = {card_id: index for index, card_id in enumerate(card_ids)}
        due = sorted(
            (card_id for card_id, record in records.items() if record.due <= horizon),
            key=lambda card_id: (records[card_id].due, order[card_id]),
        )
        unseen = [card_id for card_id in dict.fromkeys(card_ids) if card_id not in records]
        introduced = self.store.new_cards_introduced_today(now=moment, day_start_hour=self.day_start_hour)
        allowed = max(0, new_limit - introduced)
        new = unseen[:allowed]
        return StudyQueue(tuple(due), tuple(new), allowed - len(new))

    def counts(
        self, card_ids: Sequence[str], now: datetime | None = None, new_limit: int = DEFAULT_NEW_LIMIT
    ) -> DeckCounts:
        """Due now, new still allowed today, and the total, for these cards (one deck's, say)."""
        queue = self.queue(card_ids, now, new_limit)
        return DeckCounts(due=len(queue.due), new=len(queue.new), total=len(set(card_ids)))

    def next_state(
        self,
        card_id: str,
        before: CardState | None,
        rating: int,
        now: datetime | None = None,
        duration_ms: int | None = None,
    ) -> CardState:
        """The card's state after a review rated `rating`, from its state `before` (None: new)."""
        moment = to_utc(now)
        if before is not None:
            card, reps, lapses = before.card, before.reps, before.lapses
        else:
            card, reps, lapses = fsrs.Card(card_id=fsrs_card_id(card_id), due=moment), 0, 0
        grade = fsrs.Rating(rating)
        updated, _log = self.scheduler.review_card(card, grade, moment, duration_ms)
        lapsed = card.state == fsrs.State.Review and grade == fsrs.Rating.Again
        return CardState(updated, reps + 1, lapses + int(lapsed))

    def rescheduler(
        self, card_id: str, now: datetime | None = None, duration_ms: int | None = None
    ) -> Reschedule:
        """How `ReviewStore.record_review` and `set_rating` compute this card's next state.

        The moment is fixed now, so that a rating changed a minute later schedules from
        the time of the answer, as if it had been chosen then. It is watched for leeches
        (`LeechWatch`): the store marks one in the transaction that records its lapse.
        """
        moment = to_utc(now)

        def reschedule(before: CardState | None, rating: int) -> CardState:
            return self.next_state(card_id, before, rating, moment, duration_ms)

        return LeechWatch(reschedule, self.leech)

    def review(
        self, card_id: str, rating: int, now: datetime | None = None, duration_ms: int | None = None
    ) -> fsrs.Card:
        """Apply a rating to the card's stored state without recording an answer; return the new state.

        For imports and tests: a study or drill answer goes through `engine.study.session`,
        which writes the answer and this change together.
        """
        deck_of(card_id)
        record = self.store.card_record(card_id)
        before = CardState(record.card, record.reps, record.lapses) if record is not None else None
        state = self.next_state(card_id, before, rating, now, duration_ms)
        self.store.save_card_state(card_id, state.card, reps=state.reps, lapses=state.lapses)
        return state.card
