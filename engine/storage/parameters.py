"""The learner's own FSRS parameters in the review log, and the reviews they are fitted to.

`scheduler_parameters` (schema 4) keeps every fit, newest last: a fit is a small row, and
keeping the earlier ones lets a learner see (or restore by hand) what a fit replaced. The
scheduler uses the latest readable one (`latest_parameters`); a row damaged by hand is
skipped and named in `damaged_rows`, and the one before it applies, so a bad edit costs
the learner one fit, never the app.

These are functions over a `LogConnection` rather than methods of `ReviewStore`: they
belong to the storage package and use its connection's discipline (one lock, reads that
skip a damaged row), but the store's module stays what every answer needs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import fsrs

from engine.storage.codecs import DAMAGE, DamagedField
from engine.storage.connection import LogConnection
from engine.storage.records import parse_stamp, stamp, to_utc

T = TypeVar("T")


@dataclass(frozen=True)
class FittedParameters:
    """One fit: the FSRS weights, when, on how many reviews, and the log loss it changed."""

    id: int
    fitted_at: datetime
    parameters: tuple[float, ...]
    reviews: int  # the qualifying reviews the fit used
    loss_before: float | None  # log loss on those reviews with the parameters it replaced
    loss_after: float | None


@dataclass(frozen=True)
class SchedulingReview:
    """A review that moved a card's schedule: what fitting FSRS to the learner reads."""

    card_id: str
    reviewed_at: datetime
    rating: int
    duration_ms: int


def save_parameters(
    store: LogConnection,
    parameters: Sequence[float],
    reviews: int,
    loss_before: float | None,
    loss_after: float | None,
    now: datetime | None = None,
) -> FittedParameters:
    """Store a fit (fsrs checks the weights first: a set it would refuse is never stored)."""
    values = tuple(float(p) for p in parameters)
    fsrs.Scheduler(parameters=values)  # raises ValueError, naming the weight out of bounds
    moment = to_utc(now)
    with store._write() as db:
        cursor = db.execute(
            "INSERT INTO scheduler_parameters (fitted_at, parameters, reviews, loss_before, loss_after)"
            " VALUES (?, ?, ?, ?, ?)",
            (stamp(moment), json.dumps(values), reviews, loss_before, loss_after),
        )
        row_id = cursor.lastrowid
    assert row_id is not None
    return FittedParameters(row_id, moment, values, reviews, loss_before, loss_after)


def latest_parameters(store: LogConnection) -> FittedParameters | None:
    """The newest readable fit, or None when there is none (the scheduler then uses fsrs's defaults)."""
    rows = store._all(
        "SELECT id, fitted_at, parameters, reviews, loss_before, loss_after"
        " FROM scheduler_parameters ORDER BY fitted_at DESC, id DESC"
    )
    fits = store._readable("scheduler_parameters", rows, lambda row: f"id {row[0]}", _fit)
    return fits[0] if fits else None


def scheduling_reviews(store: LogConnection) -> list[SchedulingReview]:
    """Every review that moved a schedule, oldest first: study reviews, and drills run with --schedule.

    A drill that left the schedule alone asked cards regardless of when they were due,
    so its answers say nothing about forgetting at the intervals FSRS chose. Study
    reviews recorded before schema 3 (no `scheduled` column then) did schedule, so they
    count by their mode.
    """
    rows = store._all(
        "SELECT id, card_id, reviewed_at, rating, duration_ms FROM reviews"
        " WHERE rating IS NOT NULL AND (mode = 'study' OR scheduled = 1)"
        " ORDER BY reviewed_at, id"
    )
    return store._readable(
        "reviews", rows, lambda row: f"id {row[0]} (card {row[1]})", _review, whole_table=False
    )


def _fit(row: Sequence[Any]) -> FittedParameters:
    return FittedParameters(
        id=row[0],
        fitted_at=_field("fitted_at", row[1], parse_stamp, "a date"),
        parameters=_field("parameters", row[2], _weights, "a JSON list of FSRS weights within fsrs's bounds"),
        reviews=_field("reviews", row[3], int, "a whole number"),
        loss_before=None if row[4] is None else _field("loss_before", row[4], float, "a number"),
        loss_after=None if row[5] is None else _field("loss_after", row[5], float, "a number"),
    )


def _weights(text: str) -> tuple[float, ...]:
    values = json.loads(text)
    if not isinstance(values, list) or not all(isinstance(v, int | float) for v in values):
        raise ValueError("not a list of numbers")
    weights = tuple(float(v) for v in values)
    fsrs.Scheduler(parameters=weights)  # the count and the bounds, as fsrs checks them
    return weights


def _review(row: Sequence[Any]) -> SchedulingReview:
    return SchedulingReview(
        card_id=row[1],
        reviewed_at=_field("reviewed_at", row[2], parse_stamp, "a date"),
        rating=row[3],
        duration_ms=_field("duration_ms", row[4], int, "a whole number"),
    )


def _field(column: str, value: Any, read: Callable[[Any], T], what: str) -> T:
    """`read(value)`, or DamagedField naming the column and what it should hold."""
    try:
        return read(value)
    except DAMAGE as error:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:59] + "…"
        raise DamagedField(f"{column} {shown} is not {what}") from error
