"""A timed drill: mixed questions, fresh instances, and an honest report at the end.

Drills serve interview preparation, not daily review, so they differ from a study
session (`engine.session`) in three ways:

- the questions are a random mix of checked cards (flash cards are self-rated, which a
  timed drill cannot score), drawn from any decks and tags, each a fresh instance;
- nothing is explained until the end: the screen shows no verdict while the clock runs;
- the answers go to the same review log (mode 'drill'), but the FSRS schedule is left
  alone unless the learner asks (`schedule=True`): a bad day of drilling should not pull
  every card back into tomorrow's reviews.

The report (`DrillReport`) is built from what was recorded, so the screen and the
command line show the same thing, and each finished drill's totals are stored
(`ReviewStore.save_drill_result`) so that the next report can compare with earlier ones.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from engine.cards import Card, Deck
from engine.instance import Instance, draw_instance
from engine.scheduling import StudyScheduler, expected_ms, rating_from_verdict
from engine.storage import DrillResult, ReviewStore, to_utc
from engine.verdict import Verdict

DEFAULT_COUNT: Final = 10
DEFAULT_MINUTES: Final = 10.0
EARLIER_SHOWN: Final = 5
"""How many earlier drills the report compares with."""
WEAKEST_SHOWN: Final = 3


@dataclass(frozen=True)
class DrillOptions:
    """What a drill asks: how many questions, how long, and whether it may schedule."""

    count: int = DEFAULT_COUNT
    minutes: float | None = DEFAULT_MINUTES  # None: no time limit
    seed: int | None = None
    schedule: bool = False

    @property
    def time_limit_s(self) -> int | None:
        return None if self.minutes is None else round(self.minutes * 60)


def drill_cards(decks: Iterable[Deck], deck_ids: Sequence[str] = (), tags: Sequence[str] = ()) -> list[Card]:
    """The cards a drill may ask: checked cards of these decks (all when none) carrying any of these tags."""
    wanted_decks, wanted_tags = set(deck_ids), set(tags)
    return [
        card
        for deck in decks
        if not wanted_decks or deck.id in wanted_decks
        for card in deck.cards
        if card.kind != "flash" and (not wanted_tags or wanted_tags.intersection(card.tags))
    ]


def pick_questions(cards: Sequence[Card], count: int, rng: random.Random) -> list[Card]:
    """`count` distinct cards (fewer if there are fewer), in a random order: a mixed drill."""
    return rng.sample(list(cards), min(count, len(cards)))


@dataclass(frozen=True)
class DrillAnswer:
    """One answered (or skipped) question, with everything the report needs about it."""

    instance: Instance
    answer: str
    verdict: Verdict
    duration_ms: int
    skipped: bool = False

    @property
    def card(self) -> Card:
        return self.instance.card


@dataclass(frozen=True)
class TagScore:
    """How a topic went: the score (partial credit counts) over the questions asked."""

    tag: str
    score: float
    total: int

    @property
    def accuracy(self) -> float:
        return self.score / self.total if self.total else 0.0


@dataclass(frozen=True)
class DrillReport:
    """The end of a drill: score, timings, named mistakes, weak topics, and the trend."""

    result: DrillResult
    answers: tuple[DrillAnswer, ...]
    unanswered: tuple[Card, ...]  # left when the time ran out (or the drill was ended)
    mistakes: tuple[tuple[str, int], ...]
    weakest: tuple[TagScore, ...]
    earlier: tuple[DrillResult, ...]  # the drills before this one, oldest first

    @property
    def to_review(self) -> list[Card]:
        """The cards answered wrongly or not at all, once each, in the order asked."""
        cards = {a.card.full_id: a.card for a in self.answers if not a.verdict.correct}
        cards.update({card.full_id: card for card in self.unanswered})
        return list(cards.values())

    def comparison(self) -> str:
        """This drill against the earlier ones, in one sentence."""
        if not self.earlier:
            return "Your first drill: the next one will be compared with it."
        now = self.result.accuracy
        last = self.earlier[-1].accuracy
        mean = sum(d.accuracy for d in self.earlier) / len(self.earlier)
        if abs(now - last) < 0.005:
            trend = f"the same as your last drill ({last:.0%})"
        else:
            trend = f"{'up' if now > last else 'down'} from {last:.0%} in your last drill"
        plural = "s" if len(self.earlier) > 1 else ""
        return f"{now:.0%}: {trend}; {mean:.0%} on average over the {len(self.earlier)} before it{plural}."


@dataclass
class DrillSession:
    """A drill in progress. The screen owns the clock; this owns the questions and the log."""

    store: ReviewStore
    questions: list[Card]
    session_id: int
    options: DrillOptions
    deck_ids: tuple[str, ...]
    scheduler: StudyScheduler | None = None
    answers: list[DrillAnswer] = field(default_factory=list)
    position: int = 0
    current: Instance | None = None
    seeds: random.Random = field(default_factory=random.SystemRandom)
    report: DrillReport | None = None

    @classmethod
    def start(
        cls,
        store: ReviewStore,
        cards: Sequence[Card],
        options: DrillOptions,
        *,
        scheduler: StudyScheduler | None = None,
        now: datetime | None = None,
    ) -> DrillSession:
        """Pick the questions among `cards` and open a 'drill' session in the log.

        `scheduler` is used only with `options.schedule`.
        """
        rng = random.Random(options.seed) if options.seed is not None else random.Random()
        questions = pick_questions(cards, options.count, rng)
        deck_ids = tuple(dict.fromkeys(card.deck_id for card in questions))
        session_id = store.start_session("drill", list(deck_ids), now=now)
        return cls(store, questions, session_id, options, deck_ids, scheduler, seeds=rng)

    @property
    def total(self) -> int:
        return len(self.questions)

    @property
    def finished(self) -> bool:
        return self.report is not None or self.position >= len(self.questions)

    def next_instance(self) -> Instance | None:
        """A fresh random instance of the next question (None when there are no more)."""
        if self.finished:
            self.current = None
            return None
        self.current = draw_instance(self.questions[self.position], self.seeds.randrange(2**31))
        return self.current

    def record(self, answer: str, verdict: Verdict, duration_ms: int, *, skipped: bool = False) -> None:
        """Log the answer to the current question (committed now) and move past it."""
        assert self.current is not None
        card = self.current.card
        rating = rating_from_verdict(verdict, duration_ms, expected_ms(card.kind))
        self.store.record_review(
            self.session_id,
            card.full_id,
            self.current.seed,
            answer,
            verdict,
            rating if self.options.schedule else None,
            duration_ms,
            mode="drill",
        )
        if self.options.schedule:
            scheduler = self.scheduler if self.scheduler is not None else StudyScheduler(self.store)
            scheduler.review(card.full_id, rating, duration_ms=duration_ms)
        self.answers.append(DrillAnswer(self.current, answer, verdict, duration_ms, skipped))
        self.position += 1
        self.current = None

    def skip(self, expected: str, duration_ms: int) -> None:
        """Give up on the current question: it counts as wrong, and the report shows its answer."""
        verdict = Verdict(correct=False, interpreted=None, expected=expected, feedback="Skipped.")
        self.record("", verdict, duration_ms, skipped=True)

    def finish(self, now: datetime | None = None) -> DrillReport:
        """End the drill (time up, every question answered, or ended early): store it, report it."""
        if self.report is not None:
            return self.report
        earlier = [d for d in self.store.drill_results() if d.session_id != self.session_id]
        moment = to_utc(now)
        result = DrillResult(
            session_id=self.session_id,
            finished_at=moment,
            questions=self.total,
            answered=sum(not a.skipped for a in self.answers),
            correct=sum(a.verdict.correct for a in self.answers),
            score=sum(a.verdict.score for a in self.answers),
            duration_ms=sum(a.duration_ms for a in self.answers),
            time_limit_s=self.options.time_limit_s,
            seed=self.options.seed,
            scheduled=self.options.schedule,
        )
        self.store.save_drill_result(result)
        self.store.end_session(self.session_id, now=moment)
        unanswered = tuple(self.questions[len(self.answers) :])
        self.report = DrillReport(
            result=result,
            answers=tuple(self.answers),
            unanswered=unanswered,
            mistakes=tuple(
                Counter(a.verdict.mistake for a in self.answers if a.verdict.mistake).most_common()
            ),
            weakest=weakest_topics(self.answers, unanswered),
            earlier=tuple(earlier[-EARLIER_SHOWN:]),
        )
        return self.report


def weakest_topics(
    answers: Sequence[DrillAnswer], unanswered: Sequence[Card] = (), limit: int = WEAKEST_SHOWN
) -> tuple[TagScore, ...]:
    """The tags with the lowest score, worst first; only tags with something to improve."""
    scores: dict[str, float] = defaultdict(float)
    totals: Counter[str] = Counter()
    for answer in answers:
        for tag in answer.card.tags:
            scores[tag] += answer.verdict.score
            totals[tag] += 1
    for card in unanswered:
        for tag in card.tags:
            totals[tag] += 1
    ranked = sorted(
        (TagScore(tag, scores[tag], totals[tag]) for tag in totals),
        key=lambda t: (t.accuracy, -t.total, t.tag),
    )
    return tuple(t for t in ranked if t.accuracy < 1.0)[:limit]
