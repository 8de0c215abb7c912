"""A study session: which cards come next, and what happened to each.

The Textual screens drive it, but it knows nothing of them: it asks the scheduler for
the queue (due cards first, then new ones under the daily limit), draws a fresh random
instance of each card, and writes every answer to the review log the moment it is given,
so that a session killed halfway loses nothing already answered.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from engine.cards import Card
from engine.instance import Instance, draw_instance
from engine.scheduling import StudyScheduler
from engine.storage import ReviewStore
from engine.verdict import Verdict


@dataclass
class Outcome:
    """One answered card, as the summary shows it."""

    card: Card
    correct: bool
    rating: int
    duration_ms: int
    mistake: str | None = None


@dataclass
class StudySession:
    store: ReviewStore
    scheduler: StudyScheduler
    queue: list[Card]
    session_id: int
    deck_ids: tuple[str, ...]
    outcomes: list[Outcome] = field(default_factory=list)
    position: int = 0
    current: Instance | None = None
    last_review_id: int | None = None
    seeds: random.Random = field(default_factory=random.SystemRandom)

    @classmethod
    def start(
        cls,
        store: ReviewStore,
        scheduler: StudyScheduler,
        cards: Sequence[Card],
        *,
        new_limit: int = 20,
        now: datetime | None = None,
        seed: int | None = None,
    ) -> StudySession:
        """A session over `cards`: their due ones, then new ones under the daily limit."""
        by_id = {card.full_id: card for card in cards}
        order = scheduler.queue(list(by_id), now=now, new_limit=new_limit).cards
        queue = [by_id[card_id] for card_id in order]
        deck_ids = tuple(dict.fromkeys(card.deck_id for card in cards))
        session_id = store.start_session("study", list(deck_ids))
        seeds = random.Random(seed) if seed is not None else random.SystemRandom()
        return cls(store, scheduler, queue, session_id, deck_ids, seeds=seeds)

    @property
    def total(self) -> int:
        return len(self.queue)

    @property
    def finished(self) -> bool:
        return self.position >= len(self.queue)

    def next_instance(self) -> Instance | None:
        """A fresh random instance of the next card (None at the end of the queue)."""
        if self.finished:
            self.current = None
            return None
        self.current = draw_instance(self.queue[self.position], self.seeds.randrange(2**31))
        return self.current

    def record(self, answer: str, verdict: Verdict | None, rating: int, duration_ms: int) -> int:
        """Log the answer to the current instance now (committed), and schedule the card."""
        assert self.current is not None
        card = self.current.card
        review_id = self.store.record_review(
            self.session_id, card.full_id, self.current.seed, answer, verdict, rating, duration_ms
        )
        self.last_review_id = review_id
        correct = verdict.correct if verdict is not None else rating >= 3
        mistake = verdict.mistake if verdict is not None else None
        self.outcomes.append(Outcome(card, correct, rating, duration_ms, mistake))
        return review_id

    def rerate(self, rating: int) -> None:
        """Change the rating of the answer just given, before moving on."""
        if self.last_review_id is None or not self.outcomes:
            return
        self.store.set_rating(self.last_review_id, rating)
        self.outcomes[-1].rating = rating

    def advance(self) -> None:
        """Move on: the last rating is final, so the card is scheduled now."""
        if self.outcomes and self.current is not None and len(self.outcomes) == self.position + 1:
            outcome = self.outcomes[-1]
            self.scheduler.review(outcome.card.full_id, outcome.rating, duration_ms=outcome.duration_ms)
        self.position += 1

    def end(self) -> None:
        self.store.end_session(self.session_id)

    # -- summary -------------------------------------------------------------------------

    @property
    def right(self) -> int:
        return sum(o.correct for o in self.outcomes)

    @property
    def wrong(self) -> int:
        return len(self.outcomes) - self.right

    @property
    def time_ms(self) -> int:
        return sum(o.duration_ms for o in self.outcomes)

    def mistakes_seen(self) -> list[tuple[str, int]]:
        counts = Counter(o.mistake for o in self.outcomes if o.mistake)
        return counts.most_common()
