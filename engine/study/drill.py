"""A timed drill: mixed questions, fresh instances, and an honest report at the end.

Drills serve interview preparation, not daily review, so they differ from a study
session (`engine.study.session`) in three ways:

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
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Final

from engine.checking.verdict import Verdict
from engine.decks.cards import Card, Deck
from engine.decks.instance import Instance
from engine.decks.kinds import kind_of
from engine.settings import DEFAULTS
from engine.storage import DrillResult, Mode, ReviewStore, to_utc
from engine.study.scheduling import StudyScheduler
from engine.study.session import Answered, AnswerSession

DEFAULT_COUNT: Final = DEFAULTS.drill_questions
DEFAULT_MINUTES: Final = DEFAULTS.drill_time_limit
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
        if kind_of(card).checked and (not wanted_tags or wanted_tags.intersection(card.tags))
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


class DrillSession(AnswerSession):
    """A drill in progress. The screen owns the clock; `AnswerSession` the answers and the log.

    Each answer is recorded as it is given and the next question comes at once; the
    schedule moves only with `options.schedule`.
    """

    mode: ClassVar[Mode] = "drill"
    allows_hints: ClassVar[bool] = False

    def __init__(
        self,
        store: ReviewStore,
        questions: Sequence[Card],
        session_id: int,
        options: DrillOptions,
        *,
        scheduler: StudyScheduler | None,
        seeds: random.Random,
    ) -> None:
        super().__init__(store, questions, session_id, scheduler=scheduler, seeds=seeds)
        self.options = options
        self.report: DrillReport | None = None

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

        The schedule moves only with `options.schedule` (with `scheduler`, or a default one).
        """
        rng = random.Random(options.seed) if options.seed is not None else random.Random()
        questions = pick_questions(cards, options.count, rng)
        deck_ids = list(dict.fromkeys(card.deck_id for card in questions))
        session_id = store.start_session("drill", deck_ids, now=now)
        if options.schedule and scheduler is None:
            scheduler = StudyScheduler(store)
        return cls(
            store,
            questions,
            session_id,
            options,
            scheduler=scheduler if options.schedule else None,
            seeds=rng,
        )

    @property
    def questions(self) -> list[Card]:
        return self.queue

    @property
    def finished(self) -> bool:
        return self.report is not None or super().finished

    @property
    def answers(self) -> list[DrillAnswer]:
        """The answers given so far, as the report shows them."""
        return [
            DrillAnswer(a.instance, a.answer, a.verdict, a.duration_ms, a.skipped)
            for a in self.answered
            if a.verdict is not None
        ]

    def record(self, answer: str, verdict: Verdict, duration_ms: int, *, skipped: bool = False) -> Answered:
        """Log the answer to the current question (with its schedule change, if the drill
        schedules) and move past it: a drill never waits on a verdict."""
        answered = self.submit(answer, verdict, duration_ms, skipped=skipped)
        self.advance()
        return answered

    def skip(self, expected: str, duration_ms: int) -> Answered:
        """Give up on the current question: it counts as wrong, and the report shows its answer."""
        verdict = Verdict(correct=False, interpreted=None, expected=expected, feedback="Skipped.")
        return self.record("", verdict, duration_ms, skipped=True)

    def finish(self, now: datetime | None = None) -> DrillReport:
        """End the drill (time up, every question answered, or ended early): store it, report it."""
        if self.report is not None:
            return self.report
        earlier = [d for d in self.store.drill_results() if d.session_id != self.session_id]
        moment = to_utc(now)
        answers = self.answers
        result = DrillResult(
            session_id=self.session_id,
            finished_at=moment,
            questions=self.total,
            answered=sum(not a.skipped for a in answers),
            correct=sum(a.verdict.correct for a in answers),
            score=sum(a.verdict.score for a in answers),
            duration_ms=sum(a.duration_ms for a in answers),
            time_limit_s=self.options.time_limit_s,
            seed=self.options.seed,
            scheduled=self.options.schedule,
        )
        self.store.save_drill_result(result)
        self.store.end_session(self.session_id, now=moment)
        unanswered = tuple(self.questions[self.position :])
        self.report = DrillReport(
            result=result,
            answers=tuple(answers),
            unanswered=unanswered,
            mistakes=tuple(Counter(a.verdict.mistake for a in answers if a.verdict.mistake).most_common()),
            weakest=weakest_topics(answers, unanswered),
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
