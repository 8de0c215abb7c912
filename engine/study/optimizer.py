"""The learner's own FSRS parameters: fitted to their reviews with fsrs's own optimiser.

FSRS predicts the chance of recalling a card from its memory state, and 21 weights say
how that state grows and decays. fsrs's defaults were fitted to many people's Anki
collections; `fit_parameters` fits them to this learner's log, so that the intervals
follow how *they* forget (`quizapp optimize`, or the app's command palette).

What is fitted: every review that moved a card's schedule (`scheduling_reviews`: study
reviews, and drills run with --schedule), as fsrs `ReviewLog`s (the card's id as a stable
integer, the rating, the UTC time, the duration in ms). fsrs learns from a review only
when it comes at least a whole day after the card's previous one (a same-day repeat
tests short-term memory, which FSRS does not model), among each card's first 64; these
are the *qualifying* reviews. Below `MIN_REVIEWS` of them fsrs's
`compute_optimal_parameters` fits nothing and returns its defaults, so we do not call
it and say how many more are needed.

A fit is judged on the learner's own log: the mean log loss (binary cross-entropy of the
predicted recall against what happened, over the qualifying reviews, as fsrs's optimiser
computes it) with the parameters in use before and with the new ones. fsrs's optimiser
starts from its defaults every time, so a refit can come out worse than an earlier fit;
it is stored (and used from then on) only when it lowers the loss.

Why fsrs's `Optimizer` (the `fsrs[optimizer]` extra: torch, pandas, tqdm) rather than
fsrs-rs-python (the Rust optimiser's bindings, no torch): it is the same package and
version as the scheduler that uses the weights, so the two cannot disagree on what the
weights mean (FSRS-6's 21 against FSRS-5's 19, their bounds); torch is a dependency of
quizapp already (the references), so the extra costs pandas and tqdm only, where
fsrs-rs-python is one more native wheel to build or find for every platform. What
fsrs-rs-python does better, speed (the Python optimiser takes some seconds per thousand
reviews) and more refined training (outlier filtering, a pre-trained initial
stability), matters little for one learner's log, refitted now and then.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import pairwise
from typing import Any, Final, TypeVar

import fsrs
from fsrs.scheduler import DEFAULT_PARAMETERS

from engine.errors import EngineError
from engine.storage import ReviewStore, to_utc
from engine.storage.parameters import (
    FittedParameters,
    SchedulingReview,
    latest_parameters,
    save_parameters,
    scheduling_reviews,
)
from engine.study.scheduling import fsrs_card_id

T = TypeVar("T")

MIN_REVIEWS: Final = 512
"""fsrs's optimiser fits nothing below this many qualifying reviews (`fsrs.optimizer.mini_batch_size`:
`compute_optimal_parameters` then returns the defaults)."""
FIRST_REVIEWS_USED: Final = 64
"""fsrs's optimiser learns from each card's first 64 reviews only (`fsrs.optimizer.max_seq_len`)."""
_LOG_FLOOR: Final = (
    -100.0
)  # torch's BCELoss clamps each log at -100, so one certain miss costs 100, not infinity


class OptimizerUnavailable(EngineError):
    """fsrs's optimiser cannot be imported (the `fsrs[optimizer]` extra is not installed)."""


@dataclass(frozen=True)
class Fit:
    """What fitting found: the reviews, the parameters before and after, and the log loss of each."""

    reviews: int  # reviews in the log that moved a schedule
    qualifying: int  # of those, the ones fsrs learns from
    previous: tuple[float, ...]  # the parameters in use before
    previous_fit: FittedParameters | None  # None: they were fsrs's defaults
    parameters: tuple[float, ...] | None  # the fitted ones; None when there were too few reviews
    loss_before: float | None  # None when no review qualifies
    loss_after: float | None
    saved: FittedParameters | None  # the stored fit, when it was stored
    optimal_retention: float | None = None  # when asked for, and the log allows it
    warnings: tuple[str, ...] = ()  # damaged rows of the log left out

    @property
    def missing(self) -> int:
        """How many more qualifying reviews fsrs needs before it fits anything."""
        return max(0, MIN_REVIEWS - self.qualifying)

    @property
    def improved(self) -> bool:
        """Whether the fitted parameters predict this learner's recall better than those in use."""
        return (
            self.parameters is not None
            and self.loss_before is not None
            and self.loss_after is not None
            and self.loss_after < self.loss_before
        )


def review_logs(reviews: Iterable[SchedulingReview]) -> list[fsrs.ReviewLog]:
    """The reviews as fsrs's optimiser reads them: integer card ids, ratings, UTC times, durations in ms."""
    return [
        fsrs.ReviewLog(
            card_id=fsrs_card_id(review.card_id),
            rating=fsrs.Rating(review.rating),
            review_datetime=to_utc(review.reviewed_at),
            review_duration=review.duration_ms,
        )
        for review in reviews
    ]


def _histories(logs: Iterable[fsrs.ReviewLog]) -> list[list[fsrs.ReviewLog]]:
    """Each card's first `FIRST_REVIEWS_USED` reviews in time order, cards in id order, as fsrs reads them."""
    by_card: dict[int, list[fsrs.ReviewLog]] = defaultdict(list)
    for log in logs:
        by_card[log.card_id].append(log)
    return [
        sorted(by_card[card_id], key=lambda log: log.review_datetime)[:FIRST_REVIEWS_USED]
        for card_id in sorted(by_card)
    ]


def qualifying_reviews(logs: Iterable[fsrs.ReviewLog]) -> int:
    """How many reviews fsrs learns from: at least a whole day after the card's previous review."""
    return sum(
        1
        for history in _histories(logs)
        for previous, review in pairwise(history)
        if (review.review_datetime - previous.review_datetime).days > 0
    )


def log_loss(logs: Iterable[fsrs.ReviewLog], parameters: Sequence[float]) -> float | None:
    """The mean log loss of `parameters` on the qualifying reviews (None when none qualifies).

    The loss fsrs's optimiser minimises (its `_compute_batch_loss`), computed in plain
    floats: each card's reviews are replayed through a `fsrs.Scheduler` with these
    parameters, and at each qualifying review the predicted recall p is scored against
    what happened (y: 1 unless rated Again) as -(y·log p + (1-y)·log(1-p)).
    """
    scheduler = fsrs.Scheduler(parameters=parameters, enable_fuzzing=False)
    total, count = 0.0, 0
    for history in _histories(logs):
        card = fsrs.Card(card_id=history[0].card_id, due=history[0].review_datetime)
        for review in history:
            moment = review.review_datetime
            if card.last_review is not None and (moment - card.last_review).days > 0:
                predicted = float(scheduler.get_card_retrievability(card, moment))
                recalled = review.rating != fsrs.Rating.Again
                total -= _log(predicted) if recalled else _log(1.0 - predicted)
                count += 1
            card, _ = scheduler.review_card(card, review.rating, moment)
    return total / count if count else None


def _log(p: float) -> float:
    return max(_LOG_FLOOR, math.log(p)) if p > 0 else _LOG_FLOOR


def fit_parameters(
    store: ReviewStore,
    *,
    save: bool = True,
    retention: bool = False,
    now: datetime | None = None,
    verbose: bool = False,
) -> Fit:
    """Fit FSRS's parameters to the learner's reviews in `store`; store them when they are better.

    `save` False reports without storing (`quizapp optimize --dry-run`). `retention` also
    asks fsrs for the desired retention that costs the least study time per card
    remembered, by simulating a year of reviews with the better of the two parameter sets
    (seconds more). `verbose` lets fsrs's optimiser draw its progress bar on stderr.
    Raises OptimizerUnavailable when the `fsrs[optimizer]` extra is missing.
    """
    reviews = scheduling_reviews(store)
    warnings = tuple(str(row) for row in store.damaged_rows if row.table == "reviews")
    logs = review_logs(reviews)
    qualifying = qualifying_reviews(logs)
    previous_fit = latest_parameters(store)
    previous = previous_fit.parameters if previous_fit is not None else tuple(DEFAULT_PARAMETERS)
    loss_before = log_loss(logs, previous)
    unfitted = Fit(
        reviews=len(logs),
        qualifying=qualifying,
        previous=previous,
        previous_fit=previous_fit,
        parameters=None,
        loss_before=loss_before,
        loss_after=None,
        saved=None,
        warnings=warnings,
    )
    if qualifying < MIN_REVIEWS:
        return unfitted
    optimizer = _optimizer(logs)
    fitted = tuple(float(p) for p in _single_threaded(lambda: optimizer.compute_optimal_parameters(verbose)))
    loss_after = log_loss(logs, fitted)
    better = loss_after is not None and loss_before is not None and loss_after < loss_before
    saved = (
        save_parameters(store, fitted, qualifying, loss_before, loss_after, now=now)
        if save and better
        else None
    )
    optimal = None
    if retention:
        in_use = fitted if better else previous
        # Annotated `list[float]` in fsrs 6.3.2, it returns the one it found (0.7, 0.75, ... 0.95).
        found: Any = _single_threaded(lambda: optimizer.compute_optimal_retention(list(in_use)))
        optimal = float(found)
    return replace(unfitted, parameters=fitted, loss_after=loss_after, saved=saved, optimal_retention=optimal)


def _optimizer(logs: list[fsrs.ReviewLog]) -> fsrs.Optimizer:
    try:
        return fsrs.Optimizer(logs)
    except ImportError as error:
        raise OptimizerUnavailable(
            f"fitting FSRS parameters needs fsrs's optimiser ({error}); "
            "install it with: pip install 'fsrs[optimizer]'"
        ) from error


def _single_threaded(work: Callable[[], T]) -> T:
    """`work()` with torch on one thread: the optimiser's arithmetic is on scalars, where
    torch's threads cost more than they give (twice as fast on one thread, measured here).
    The setting is the process's, so it is put back afterwards."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return work()
    finally:
        torch.set_num_threads(threads)


def format_fit(fit: Fit, desired_retention: float | None = None, *, table: bool = True) -> str:
    """What `quizapp optimize` prints: the reviews, the loss before and after, the parameters (`table`)."""
    source = _source(fit.previous_fit)
    lines = [
        f"{fit.reviews:,} reviews moved a schedule; {fit.qualifying:,} of them qualify (a review at "
        f"least a day after the card's previous one, among its first {FIRST_REVIEWS_USED}).",
    ]
    lines += [f"warning: {warning}" for warning in fit.warnings]
    if fit.parameters is None:
        lines.append(
            f"FSRS needs {MIN_REVIEWS:,} qualifying reviews to fit parameters: {fit.missing:,} more. "
            f"The scheduler keeps {source}."
        )
        if fit.loss_before is not None:
            lines.append(f"Log loss of {source} on your reviews: {fit.loss_before:.4f}.")
        return "\n".join(lines)
    assert fit.loss_before is not None and fit.loss_after is not None
    change = (fit.loss_after - fit.loss_before) / fit.loss_before if fit.loss_before else 0.0
    lines.append(
        f"Log loss on them: {fit.loss_before:.4f} with {source}, {fit.loss_after:.4f} with the "
        f"fitted ones ({change:+.1%})."
    )
    if fit.saved is not None:
        lines.append(
            f"Saved: the scheduler uses them from now on (fitted {fit.saved.fitted_at:%Y-%m-%d %H:%M} UTC)."
        )
    elif fit.improved:
        lines.append("Not saved (--dry-run): the scheduler keeps " + source + ".")
    else:
        lines.append(f"They do not predict your reviews better: the scheduler keeps {source}.")
    if table:
        lines += ["", "parameter   in use → fitted"]
        lines += [
            f"  w{i:<2}  {old:>9.4f} → {new:.4f}"
            for i, (old, new) in enumerate(zip(fit.previous, fit.parameters, strict=True))
        ]
    if fit.optimal_retention is not None:
        lines.append("")
        wanted = f" (desired_retention is {desired_retention:g})" if desired_retention is not None else ""
        lines.append(
            f"Optimal retention, by fsrs's simulation of a year of reviews: {fit.optimal_retention:g}{wanted}; "
            "set desired_retention in the settings file (`quizapp config`) to use it."
        )
    return "\n".join(lines)


def _source(fit: FittedParameters | None) -> str:
    if fit is None:
        return "fsrs's default parameters"
    return f"your parameters fitted {fit.fitted_at:%Y-%m-%d}"
