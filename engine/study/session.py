"""The life of an answer, owned in one place: check, verdict, suggested rating, review and schedule.

A study session and a drill both ask cards one after another and both record what was
answered; they differ in which cards come and whether the answers move the schedule.
`AnswerSession` holds what they share, so that each answer goes through the same steps
whichever screen (or command) gives it:

1. `check(text)` judges the text against the current instance; an answer that cannot be
   read (`Verdict.readable` is False) is not an answer: the caller lets the learner fix it.
2. `submit(text, verdict, duration_ms)` suggests a rating from the verdict, the card's
   kind and the time taken, and writes the review *and* the card's new schedule in one
   SQLite transaction (`ReviewStore.record_review` with a `Reschedule`), so that at every
   instant (Escape, quit, kill -9) the log is consistent.
3. `rate(rating)` changes the rating of the answer just given: the same review row and
   the schedule recomputed from the state before it, again in one transaction.
4. `undo()` takes the last answer back: the review is deleted and the card's previous
   FSRS state restored exactly; the same instance is asked again.

Nothing here knows about Textual. Checks may be slow (sympy, torch): the screens call
`check` and `submit` from worker threads; the review log serialises its writers.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

from engine.checking.verdict import Verdict
from engine.decks.cards import Card, Step
from engine.decks.instance import Instance, draw_instance
from engine.decks.kinds import kind_of
from engine.storage import Mode, Reschedule, ReviewStore, to_utc
from engine.study.scheduling import DEFAULT_NEW_LIMIT, HARD, StudyScheduler, rating_from_verdict


@dataclass(frozen=True)
class Answered:
    """One recorded answer: what was given, how it was judged, and the rating in force.

    `verdict` is None for a flash card (self-rated). `rating` is None in a drill that
    leaves the schedule alone; `suggested` is what the verdict and the time implied.
    """

    review_id: int
    instance: Instance
    answer: str
    verdict: Verdict | None
    rating: int | None
    suggested: int | None
    duration_ms: int
    reviewed_at: datetime
    skipped: bool = False

    @property
    def card(self) -> Card:
        return self.instance.card

    @property
    def correct(self) -> bool:
        if self.verdict is not None:
            return self.verdict.correct
        return self.rating is not None and self.rating >= 2  # a self-rated flash card

    @property
    def mistake(self) -> str | None:
        return self.verdict.mistake if self.verdict is not None else None


class AnswerSession:
    """Cards asked one at a time, each answer recorded with its schedule change (see the module)."""

    mode: ClassVar[Mode] = "study"
    allows_hints: ClassVar[bool] = True
    """A drill measures what is known unaided: its sessions show no hints."""

    def __init__(
        self,
        store: ReviewStore,
        cards: Sequence[Card],
        session_id: int,
        *,
        scheduler: StudyScheduler | None,
        seeds: random.Random,
    ) -> None:
        """`scheduler` None: answers are logged but never move a card's schedule."""
        self.store = store
        self.queue = list(cards)
        self.session_id = session_id
        self.scheduler = scheduler
        self.seeds = seeds
        self.deck_ids = tuple(dict.fromkeys(card.deck_id for card in self.queue))
        self.answered: list[Answered] = []
        self.position = 0
        self.current: Instance | None = None
        self.hints_shown = 0  # of the current card's hints

    @property
    def total(self) -> int:
        return len(self.queue)

    @property
    def finished(self) -> bool:
        return self.position >= len(self.queue)

    def next_instance(self) -> Instance | None:
        """The instance to answer now: a fresh random one of the card at `position` (None at the end).

        Drawing can fail on a broken card (`EngineError`, or worse): the caller shows
        the card as broken and calls `advance`.
        """
        if self.finished:
            self.current = None
            return None
        card = self.queue[self.position]
        if self.current is None or self.current.card is not card:
            self.current = draw_instance(card, self.seeds.randrange(2**31))
            self.hints_shown = 0
        return self.current

    def next_hint(self) -> str | None:
        """The current card's next hint (its values filled in), or None when none is left.

        Every hint shown counts against the answer: a card answered after one is
        suggested Hard at best (`submit`). A session that does not allow hints (a drill)
        shows none.
        """
        instance = self.current
        if instance is None or not self.allows_hints or self.hints_shown >= len(instance.card.hints):
            return None
        self.hints_shown += 1
        return instance.hint(self.hints_shown - 1)

    def advance(self) -> None:
        """Move past the current card (answered, or broken and skipped)."""
        self.position += 1
        self.current = None
        self.hints_shown = 0

    # -- the life of an answer ---------------------------------------------------------

    def check(self, answer: str, step: Step | None = None) -> Verdict:
        """The verdict on `answer` for the current instance (one part of a steps card with `step`)."""
        from engine.decks.kinds import check_answer, kind_of  # sympy and torch: not at start-up

        instance = self._current()
        if step is None:
            return check_answer(instance, answer)
        return kind_of(instance.card).check_part(instance, step, answer)

    def submit(
        self,
        answer: str,
        verdict: Verdict | None,
        duration_ms: int,
        *,
        rating: int | None = None,
        skipped: bool = False,
    ) -> Answered:
        """Record the answer to the current instance with its schedule change, in one transaction.

        A checked answer gets the rating its verdict suggests (`rating_from_verdict`,
        with the time a card of its kind is expected to take); a flash card passes its
        self-rating as `rating`.
        """
        instance = self._current()
        card = instance.card
        if verdict is not None and not verdict.readable:
            raise ValueError("an answer that could not be read is not recorded")
        if verdict is not None and not verdict.judged:
            raise ValueError("an answer the checker failed on is neither right nor wrong: it is not recorded")
        if verdict is not None:
            suggested: int | None = rating_from_verdict(verdict, duration_ms, kind_of(card).expected_ms)
            if self.hints_shown and suggested is not None:  # helped: Hard at best
                suggested = min(suggested, HARD)
        elif rating is not None:
            suggested = rating
        else:
            raise ValueError("a flash card is recorded with its self-rating")
        final = rating if rating is not None else suggested
        schedules = self.scheduler is not None
        moment = to_utc(None)
        review_id = self.store.record_review(
            self.session_id,
            card.full_id,
            instance.seed,
            answer,
            verdict,
            final if schedules else None,
            duration_ms,
            mode=self.mode,
            now=moment,
            reschedule=self._rescheduler(card, moment, duration_ms),
        )
        answered = Answered(
            review_id,
            instance,
            answer,
            verdict,
            final if schedules else None,
            suggested,
            duration_ms,
            moment,
            skipped,
        )
        self.answered.append(answered)
        return answered

    def rate(self, rating: int) -> Answered:
        """Change the rating of the last answer (before moving on): the review and its schedule."""
        if not self.answered:
            raise ValueError("no answer to rate")
        last = self.answered[-1]
        if self.scheduler is None:
            raise ValueError("this session does not schedule: there is no rating to change")
        reschedule = self._rescheduler(last.card, last.reviewed_at, last.duration_ms)
        self.store.set_rating(last.review_id, rating, reschedule)
        self.answered[-1] = replace(last, rating=rating)
        return self.answered[-1]

    def undo(self) -> Instance | None:
        """Take back the last answer and its schedule change; its instance is asked again.

        Returns that instance (None when there is nothing to undo).
        """
        if not self.answered:
            return None
        last = self.answered.pop()
        self.store.undo_review(last.review_id)
        self.position = self._position_of(last)
        self.current = last.instance
        return last.instance

    def end(self, now: datetime | None = None) -> None:
        self.store.end_session(self.session_id, now=now)

    # -- summary -------------------------------------------------------------------------

    @property
    def right(self) -> int:
        return sum(a.correct for a in self.answered)

    @property
    def wrong(self) -> int:
        return len(self.answered) - self.right

    @property
    def time_ms(self) -> int:
        return sum(a.duration_ms for a in self.answered)

    def mistakes_seen(self) -> list[tuple[str, int]]:
        counts = Counter(a.mistake for a in self.answered if a.mistake)
        return counts.most_common()

    # -- plumbing ------------------------------------------------------------------------

    def _current(self) -> Instance:
        if self.current is None:
            raise ValueError("no card is being asked")
        return self.current

    def _position_of(self, answered: Answered) -> int:
        # The latest position at or before the current one that holds this card.
        for index in range(min(self.position, len(self.queue) - 1), -1, -1):
            if self.queue[index] is answered.card:
                return index
        raise ValueError(f"{answered.card.full_id} is not in this session")

    def _rescheduler(self, card: Card, moment: datetime, duration_ms: int) -> Reschedule | None:
        if self.scheduler is None:
            return None
        return self.scheduler.rescheduler(card.full_id, moment, duration_ms)


class StudySession(AnswerSession):
    """Daily study: the due cards, then new ones under the daily limit; every answer schedules."""

    mode: ClassVar[Mode] = "study"

    @classmethod
    def start(
        cls,
        store: ReviewStore,
        scheduler: StudyScheduler,
        cards: Sequence[Card],
        *,
        new_limit: int = DEFAULT_NEW_LIMIT,
        now: datetime | None = None,
        seed: int | None = None,
    ) -> StudySession:
        """A session over `cards`: their due ones, then new ones under the daily limit."""
        by_id = {card.full_id: card for card in cards}
        order = scheduler.queue(list(by_id), now=now, new_limit=new_limit).cards
        queue = [by_id[card_id] for card_id in order]
        deck_ids = list(dict.fromkeys(card.deck_id for card in cards))
        session_id = store.start_session("study", deck_ids, now=now)
        seeds = random.Random(seed) if seed is not None else random.SystemRandom()
        return cls(store, queue, session_id, scheduler=scheduler, seeds=seeds)
