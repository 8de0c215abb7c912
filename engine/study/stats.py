"""Statistics over the review log: what the statistics screen plots and `quizapp stats` prints.

Everything is computed from the log itself (reviews, card states, drill results), so the
numbers cannot drift from what was recorded. Days are study days (starting at 04:00
local time, as `engine.storage.day_start` defines them), so a late-night session counts
towards the day it began. Tags come from the decks, not the log: a card's tags may change
and its history stays.

Retention is Anki's "true retention": of the study reviews of cards seen before, the
share answered right. First answers measure nothing remembered, and drills are excluded
because they draw cards regardless of when they are due.

Next to the measured retention stand the scheduler's targets: the desired retention (the
learner's setting) and the FSRS parameters in use, fsrs's defaults or the learner's latest
fit (`quizapp optimize`), with its date, so the two retentions can be compared knowing
which model scheduled the reviews.

A row of the log that cannot be read (edited by hand, or written by a broken tool) is
left out of every number and named in `Stats.warnings`, so one bad row neither hides the
rest of the history nor goes unnoticed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Final

from fsrs.scheduler import DEFAULT_PARAMETERS

from engine.checking.verdict import AUTO_MISTAKE
from engine.decks.cards import Card
from engine.settings import DEFAULTS, Settings
from engine.storage import DAY_START_HOUR, DamagedRow, DrillResult, ReviewStore, to_utc
from engine.storage.parameters import FittedParameters, latest_parameters

DEFAULT_DAYS: Final = 30
FORECAST_DAYS: Final = 14
TOP_MISTAKES: Final = 8
_READ_TABLES: Final = frozenset({"reviews", "card_states", "drill_results", "scheduler_parameters"})


@dataclass(frozen=True)
class Accuracy:
    """Right answers out of all answers, for one deck or tag."""

    name: str
    right: int
    total: int

    @property
    def ratio(self) -> float:
        return self.right / self.total if self.total else 0.0


@dataclass(frozen=True)
class DayCount:
    day: date
    reviews: int
    right: int


@dataclass(frozen=True)
class Stats:
    today: date
    days: tuple[DayCount, ...]  # the last `DEFAULT_DAYS` study days, oldest first, today last
    reviews: int  # all time
    study_reviews: int
    drill_reviews: int
    cards_seen: int
    retention: float | None  # None until some card has been reviewed a second time
    retention_reviews: int
    by_deck: tuple[Accuracy, ...]
    by_tag: tuple[Accuracy, ...]
    mistakes: tuple[tuple[str, int], ...]
    forecast: tuple[tuple[date, int], ...]  # due per day from today (overdue counts as today)
    drills: tuple[DrillResult, ...]
    damaged: tuple[DamagedRow, ...] = ()  # rows of the log left out because they cannot be read
    desired_retention: float = DEFAULTS.desired_retention  # what the scheduler aims for
    parameters: tuple[float, ...] = tuple(DEFAULT_PARAMETERS)  # the FSRS weights in use
    fit: FittedParameters | None = None  # where they come from; None: fsrs's defaults
    day_start_hour: int = DAY_START_HOUR

    @property
    def mistakes_shown(self) -> tuple[tuple[str, int], ...]:
        """`mistakes` as the statistics show them: a diagnosed edit in words (`mistake_label`)."""
        return tuple((mistake_label(name), count) for name, count in self.mistakes)

    @property
    def warnings(self) -> tuple[str, ...]:
        """One line per damaged row left out of these numbers, naming its table and row."""
        return tuple(str(row) for row in self.damaged)

    def to_json(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "reviews": self.reviews,
            "study_reviews": self.study_reviews,
            "drill_reviews": self.drill_reviews,
            "cards_seen": self.cards_seen,
            "retention": self.retention,
            "retention_reviews": self.retention_reviews,
            "desired_retention": self.desired_retention,
            "scheduler_parameters": {
                "source": "default" if self.fit is None else "fitted",
                "fitted_at": None if self.fit is None else self.fit.fitted_at.isoformat(),
                "reviews": None if self.fit is None else self.fit.reviews,
                "values": list(self.parameters),
            },
            "day_start_hour": self.day_start_hour,
            "reviews_per_day": [
                {"day": d.day.isoformat(), "reviews": d.reviews, "right": d.right} for d in self.days
            ],
            "accuracy_by_deck": [_accuracy_json(a) for a in self.by_deck],
            "accuracy_by_tag": [_accuracy_json(a) for a in self.by_tag],
            "mistakes": [{"name": name, "count": count} for name, count in self.mistakes],
            "due_forecast": [{"day": day.isoformat(), "due": count} for day, count in self.forecast],
            "drills": [
                {
                    "finished_at": d.finished_at.isoformat(),
                    "questions": d.questions,
                    "answered": d.answered,
                    "correct": d.correct,
                    "accuracy": round(d.accuracy, 4),
                    "duration_ms": d.duration_ms,
                }
                for d in self.drills
            ],
            "damaged_rows": [
                {"table": row.table, "row": row.row, "problem": row.problem} for row in self.damaged
            ],
        }


def mistake_label(name: str) -> str:
    """A mistake as the statistics show it: a deck's by its name, a diagnosed edit in words
    (`auto:factor-2` is "auto: factor 2", `auto:eps-inside-sqrt` "auto: eps inside sqrt")."""
    if name.startswith(AUTO_MISTAKE):
        return "auto: " + name.removeprefix(AUTO_MISTAKE).replace("-", " ")
    return name


def _accuracy_json(accuracy: Accuracy) -> dict[str, Any]:
    return {
        "name": accuracy.name,
        "right": accuracy.right,
        "total": accuracy.total,
        "accuracy": round(accuracy.ratio, 4),
    }


def study_day(moment: datetime, tz: tzinfo | None = None, hour: int = DAY_START_HOUR) -> date:
    """The study day a moment belongs to: its local date, with the day starting at `hour`:00."""
    local = to_utc(moment).astimezone(tz) if tz is not None else to_utc(moment).astimezone()
    return (local - timedelta(hours=hour)).date()


def compute_stats(
    store: ReviewStore,
    cards: Iterable[Card] = (),
    *,
    now: datetime | None = None,
    days: int = DEFAULT_DAYS,
    forecast_days: int = FORECAST_DAYS,
    settings: Settings = DEFAULTS,
) -> Stats:
    """The statistics of the log in `store`; `cards` (the loaded decks' cards) supply the tags.

    `settings` give the start of a study day and the desired retention shown.
    """
    moment = to_utc(now)
    tz = store.local_tz
    hour = settings.day_boundary_hour
    today = study_day(moment, tz, hour)
    tags = {card.full_id: card.tags for card in cards}
    reviews = store.reviews()

    per_day: Counter[date] = Counter()
    right_per_day: Counter[date] = Counter()
    decks: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_tag: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    mistakes: Counter[str] = Counter()
    seen: set[str] = set()
    retained = recalls = 0
    for review in reviews:
        day = study_day(review.reviewed_at, tz, hour)
        per_day[day] += 1
        right_per_day[day] += review.correct
        decks[review.deck_id][0] += review.correct
        decks[review.deck_id][1] += 1
        for tag in tags.get(review.card_id, ()):
            by_tag[tag][0] += review.correct
            by_tag[tag][1] += 1
        if review.mistake:
            mistakes[review.mistake] += 1
        if review.mode == "study":
            if review.card_id in seen:
                recalls += 1
                retained += review.correct
            seen.add(review.card_id)

    window = [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    forecast: Counter[int] = Counter()
    for record in store.card_records().values():
        offset = (study_day(record.due, tz, hour) - today).days
        if offset < forecast_days:
            forecast[max(0, offset)] += 1
    drills = tuple(store.drill_results())
    fit = latest_parameters(store)

    return Stats(
        today=today,
        days=tuple(DayCount(day, per_day[day], right_per_day[day]) for day in window),
        reviews=len(reviews),
        study_reviews=sum(r.mode == "study" for r in reviews),
        drill_reviews=sum(r.mode == "drill" for r in reviews),
        cards_seen=len({r.card_id for r in reviews}),
        retention=retained / recalls if recalls else None,
        retention_reviews=recalls,
        by_deck=_ranked(decks),
        by_tag=_ranked(by_tag),
        mistakes=tuple(mistakes.most_common(TOP_MISTAKES)),
        forecast=tuple((today + timedelta(days=i), forecast[i]) for i in range(forecast_days)),
        drills=drills,
        # Every row of these tables was just read, so what the store knows of them is current.
        damaged=tuple(row for row in store.damaged_rows if row.table in _READ_TABLES),
        desired_retention=settings.desired_retention,
        parameters=fit.parameters if fit is not None else tuple(DEFAULT_PARAMETERS),
        fit=fit,
        day_start_hour=hour,
    )


def parameters_source(fit: FittedParameters | None) -> str:
    """Where the scheduler's parameters come from, in words (the screen and `quizapp stats` say it)."""
    if fit is None:
        return "fsrs's defaults (`quizapp optimize` fits your own once you have enough reviews)"
    return f"fitted to your {fit.reviews:,} reviews on {fit.fitted_at:%Y-%m-%d}"


def _ranked(counts: dict[str, list[int]]) -> tuple[Accuracy, ...]:
    """Accuracies, weakest first (then the most answered), so the eye lands on what needs work."""
    rows = (Accuracy(name, right, total) for name, (right, total) in counts.items())
    return tuple(sorted(rows, key=lambda a: (a.ratio, -a.total, a.name)))


def format_stats(stats: Stats) -> str:
    """The text summary `quizapp stats` prints."""
    if not stats.reviews:
        return "No reviews yet: study or drill a deck first (quizapp, or quizapp drill)."
    lines = [
        f"{stats.reviews} reviews ({stats.study_reviews} study, {stats.drill_reviews} drill)"
        f" of {stats.cards_seen} cards",
    ]
    desired = f"desired {stats.desired_retention:.0%}"
    if stats.retention is not None:
        lines.append(
            f"retention: {stats.retention:.0%} of {stats.retention_reviews} repeated study reviews ({desired})"
        )
    else:
        lines.append(f"retention: not yet measured (no card has been reviewed twice; {desired})")
    lines.append(f"FSRS parameters: {parameters_source(stats.fit)}")
    week = stats.days[-7:]
    lines.append("")
    lines.append("reviews per day (last 7): " + "  ".join(f"{d.day:%a} {d.reviews}" for d in week))
    lines.append("due (next 7 days):        " + "  ".join(f"{day:%a} {n}" for day, n in stats.forecast[:7]))
    for title, rows in (("accuracy by deck", stats.by_deck), ("accuracy by tag", stats.by_tag)):
        if rows:
            lines += ["", f"{title} (weakest first):"]
            width = max(len(a.name) for a in rows)
            lines += [f"  {a.name:<{width}}  {a.ratio:>4.0%}  ({a.right}/{a.total})" for a in rows]
    if stats.mistakes:
        lines += ["", "mistakes seen most often:"]
        lines += [f"  {name} ×{count}" for name, count in stats.mistakes_shown]
    if stats.drills:
        recent = stats.drills[-5:]
        lines += ["", "drills (latest last): " + ", ".join(f"{d.accuracy:.0%}" for d in recent)]
    return "\n".join(lines)
