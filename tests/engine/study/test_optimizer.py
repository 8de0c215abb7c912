"""Fitting FSRS to the learner's log: on a log simulated from a known forgetting curve, the fit
moves toward that curve and predicts the reviews better; below fsrs's threshold nothing changes.

The simulated learner forgets faster than fsrs's defaults assume (a first Good leaves a
stability of 0.8 days, not 2.3; a first Again 0.1, not 0.21; each success grows the
stability less: w8 = 1.0, not 1.87), and is scheduled, as a new quizapp user is, by fsrs
with its default parameters. Whether each review is recalled is drawn from the true
curve. Measured here (150 cards, 3,040 reviews of which 1,998 qualify): log loss
0.4868 → 0.4610 (0.4608 with the true parameters), distance to the truth 1.744 → 1.592,
the fit about 14 s on a busy 2-core machine. Both are deterministic (seeded simulation,
fsrs's optimiser seeds its own shuffling), so the margins below do not flicker.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import fsrs
import pytest
from fsrs.scheduler import DEFAULT_PARAMETERS

from engine.settings import Settings
from engine.storage import ReviewStore
from engine.storage.parameters import latest_parameters, save_parameters, scheduling_reviews
from engine.study import optimizer
from engine.study.optimizer import (
    MIN_REVIEWS,
    OptimizerUnavailable,
    fit_parameters,
    format_fit,
    log_loss,
    qualifying_reviews,
    review_logs,
)
from engine.study.scheduling import StudyScheduler

START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
TRUTH = list(DEFAULT_PARAMETERS)
TRUTH[0], TRUTH[2], TRUTH[8] = 0.1, 0.8, 1.0
TRUTH_T = tuple(TRUTH)


@dataclass(frozen=True)
class Answer:
    card_id: str
    at: datetime
    rating: int
    duration_ms: int


def simulate(cards: int, days: int = 365, seed: int = 1) -> list[Answer]:
    """A learner whose memory follows TRUTH, reviewing when fsrs's default scheduler says."""
    rng = random.Random(seed)
    truth = fsrs.Scheduler(parameters=TRUTH_T, enable_fuzzing=False)
    schedule = fsrs.Scheduler(enable_fuzzing=False)
    end = START + timedelta(days=days)
    answers: list[Answer] = []
    for number in range(cards):
        moment = START + timedelta(days=rng.randrange(days // 3), minutes=rng.randrange(600))
        memory = fsrs.Card(card_id=number + 1, due=moment)
        scheduled = fsrs.Card(card_id=number + 1, due=moment)
        while moment < end:
            if memory.last_review is None:
                rating = rng.choice((1, 2, 3, 3, 4))  # a first answer: no memory to measure yet
            elif rng.random() < truth.get_card_retrievability(memory, moment):
                rating = rng.choices((2, 3, 4), (1, 6, 1))[0]
            else:
                rating = 1
            answers.append(Answer(f"sim/c{number}", moment, rating, rng.randrange(3_000, 30_000)))
            memory, _ = truth.review_card(memory, fsrs.Rating(rating), moment)
            scheduled, _ = schedule.review_card(scheduled, fsrs.Rating(rating), moment)
            moment = scheduled.due + timedelta(minutes=rng.randrange(120))  # a little late, as people are
    return answers


def record(store: ReviewStore, answers: Sequence[Answer]) -> None:
    session = store.start_session("study", ["sim"], now=START)
    for a in answers:
        store.record_review(session, a.card_id, None, "", None, a.rating, a.duration_ms, now=a.at)


def distance(a: Sequence[float], b: Sequence[float]) -> float:
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)))


def test_the_thresholds_are_fsrs_own() -> None:
    import fsrs.optimizer as fsrs_optimizer

    assert fsrs_optimizer.mini_batch_size == MIN_REVIEWS
    assert fsrs_optimizer.max_seq_len == optimizer.FIRST_REVIEWS_USED


def test_a_review_qualifies_a_whole_day_after_the_cards_previous_one() -> None:
    def at(hours: float) -> fsrs.ReviewLog:
        return fsrs.ReviewLog(7, fsrs.Rating.Good, START + timedelta(hours=hours), None)

    # 0 h (first), 0.5 h (same day), 23 h (under a day), 48 h (qualifies), 80 h (qualifies)
    assert qualifying_reviews([at(80), at(0), at(23), at(0.5), at(48)]) == 2
    many = [fsrs.ReviewLog(8, fsrs.Rating.Good, START + timedelta(days=2 * i), None) for i in range(100)]
    assert qualifying_reviews(many) == optimizer.FIRST_REVIEWS_USED - 1  # the first 64 only


def test_the_log_loss_is_the_one_fsrs_optimiser_computes() -> None:
    logs = [
        fsrs.ReviewLog(int(a.card_id.rpartition("c")[2]) + 1, fsrs.Rating(a.rating), a.at, a.duration_ms)
        for a in simulate(25, days=200)
    ]
    fsrs_loss = fsrs.Optimizer(logs)._compute_batch_loss(parameters=list(TRUTH_T))
    assert log_loss(logs, TRUTH_T) == pytest.approx(fsrs_loss, rel=1e-9)


def test_below_the_threshold_the_defaults_stay_and_it_says_how_many_more(store: ReviewStore) -> None:
    record(store, simulate(12, days=60))
    fit = fit_parameters(store)
    assert 0 < fit.qualifying < MIN_REVIEWS
    assert fit.parameters is None
    assert fit.saved is None
    assert latest_parameters(store) is None
    assert fit.missing == MIN_REVIEWS - fit.qualifying
    text = format_fit(fit)
    assert f"FSRS needs 512 qualifying reviews to fit parameters: {fit.missing:,} more" in text
    assert "The scheduler keeps fsrs's default parameters." in text
    assert StudyScheduler.for_learner(store).scheduler.parameters == tuple(DEFAULT_PARAMETERS)


def test_the_fit_moves_toward_the_true_curve_and_lowers_the_log_loss(
    store: ReviewStore, capsys: pytest.CaptureFixture[str]
) -> None:
    record(store, simulate(150))
    began = time.perf_counter()
    fit = fit_parameters(store, now=START + timedelta(days=366))
    seconds = time.perf_counter() - began
    assert fit.qualifying >= MIN_REVIEWS
    assert fit.parameters is not None
    assert fit.loss_before is not None
    assert fit.loss_after is not None
    logs = review_logs(scheduling_reviews(store))
    true_loss = log_loss(logs, TRUTH_T)
    assert true_loss is not None
    before, after = distance(DEFAULT_PARAMETERS, TRUTH_T), distance(fit.parameters, TRUTH_T)
    with capsys.disabled():
        print(
            f"\n{fit.reviews} reviews, {fit.qualifying} qualifying; log loss {fit.loss_before:.4f} → "
            f"{fit.loss_after:.4f} (truth {true_loss:.4f}); distance to the truth {before:.3f} → "
            f"{after:.3f}; {seconds:.1f} s"
        )
    assert fit.loss_after < fit.loss_before - 0.005
    assert true_loss < fit.loss_before  # the log does say the defaults are wrong for this learner
    assert after < 0.95 * before
    # The parameters the truth changed move its way: faster forgetting, slower growth.
    assert fit.parameters[2] < DEFAULT_PARAMETERS[2]
    assert fit.parameters[8] < DEFAULT_PARAMETERS[8]

    assert fit.saved is not None
    assert latest_parameters(store) == fit.saved
    scheduler = StudyScheduler.for_learner(store, Settings(desired_retention=0.85)).scheduler
    assert scheduler.parameters == fit.parameters
    assert scheduler.desired_retention == 0.85
    text = format_fit(fit)
    assert "Saved: the scheduler uses them from now on (fitted 2026-01-07" in text
    assert f"{fit.loss_before:.4f} with fsrs's default parameters, {fit.loss_after:.4f}" in text


# -- the decisions around the fit, with fsrs's optimiser replaced by one that answers at once -----


class FixedOptimizer:
    def __init__(self, parameters: Sequence[float]) -> None:
        self.parameters = list(parameters)

    def compute_optimal_parameters(self, verbose: bool = False) -> list[float]:
        return self.parameters

    def compute_optimal_retention(self, parameters: Sequence[float]) -> float:
        return 0.85


@pytest.fixture
def small_log(store: ReviewStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReviewStore]:
    """A log of 40 simulated cards, with the threshold lowered so that it can be fitted."""
    record(store, simulate(40, days=200))
    monkeypatch.setattr(optimizer, "MIN_REVIEWS", 10)
    yield store


def fitted_with(monkeypatch: pytest.MonkeyPatch, parameters: Sequence[float]) -> None:
    monkeypatch.setattr(optimizer, "_optimizer", lambda logs: FixedOptimizer(parameters))


def test_a_dry_run_reports_without_storing(small_log: ReviewStore, monkeypatch: pytest.MonkeyPatch) -> None:
    fitted_with(monkeypatch, TRUTH_T)
    fit = fit_parameters(small_log, save=False)
    assert fit.improved
    assert fit.saved is None
    assert latest_parameters(small_log) is None
    assert "Not saved (--dry-run)" in format_fit(fit)


def test_a_fit_that_predicts_worse_is_not_kept(
    small_log: ReviewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    earlier = save_parameters(small_log, TRUTH_T, 100, None, None, now=START)
    worse = (100.0, 100.0, 100.0, 100.0, *DEFAULT_PARAMETERS[4:])  # never forgets anything
    fitted_with(monkeypatch, worse)
    fit = fit_parameters(small_log)
    assert fit.previous == TRUTH_T
    assert not fit.improved
    assert fit.saved is None
    assert latest_parameters(small_log) == earlier
    assert (
        "They do not predict your reviews better: the scheduler keeps your parameters fitted 2025-01-06"
        in (format_fit(fit))
    )


def test_the_optimal_retention_is_reported_when_asked(
    small_log: ReviewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    fitted_with(monkeypatch, TRUTH_T)
    fit = fit_parameters(small_log, retention=True)
    assert fit.optimal_retention == 0.85
    assert (
        "Optimal retention, by fsrs's simulation of a year of reviews: 0.85 (desired_retention is 0.9)"
        in (format_fit(fit, 0.9))
    )


def test_without_fsrs_optimizer_extra_the_message_says_how_to_install_it(
    small_log: ReviewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(*args: Any) -> None:
        raise ImportError("Optimizer is not installed.")

    monkeypatch.setattr(fsrs, "Optimizer", missing, raising=False)
    with pytest.raises(OptimizerUnavailable, match=r"pip install 'fsrs\[optimizer\]'"):
        fit_parameters(small_log)
