"""Fitted FSRS parameters in the log, and the reviews a fit reads."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import fsrs
import pytest
from fsrs.scheduler import DEFAULT_PARAMETERS

from engine.checking.verdict import Verdict
from engine.storage import CardState, ReviewStore
from engine.storage.parameters import latest_parameters, save_parameters, scheduling_reviews

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
WEIGHTS = tuple(round(w * 1.1, 4) if i < 4 else w for i, w in enumerate(DEFAULT_PARAMETERS))


def test_no_fit_until_one_is_saved_then_the_latest(store: ReviewStore) -> None:
    assert latest_parameters(store) is None
    first = save_parameters(store, DEFAULT_PARAMETERS, 600, 0.35, 0.33, now=T0)
    second = save_parameters(store, WEIGHTS, 900, 0.33, 0.31, now=T0 + timedelta(days=30))
    assert latest_parameters(store) == second
    assert second.parameters == WEIGHTS
    assert (second.reviews, second.loss_before, second.loss_after) == (900, 0.33, 0.31)
    assert first.fitted_at == T0


def test_weights_fsrs_would_refuse_are_never_stored(store: ReviewStore) -> None:
    with pytest.raises(ValueError, match="out of bounds"):
        save_parameters(store, (-1.0, *DEFAULT_PARAMETERS[1:]), 600, None, None)
    with pytest.raises(ValueError, match="Expected 21 parameters"):
        save_parameters(store, DEFAULT_PARAMETERS[:19], 600, None, None)
    assert latest_parameters(store) is None


def test_a_fit_damaged_by_hand_is_skipped_and_named(store: ReviewStore) -> None:
    good = save_parameters(store, WEIGHTS, 600, None, None, now=T0)
    bad = save_parameters(store, DEFAULT_PARAMETERS, 700, None, None, now=T0 + timedelta(days=1))
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE scheduler_parameters SET parameters = '[1, 2, 3]' WHERE id = ?", (bad.id,))
    assert latest_parameters(store) == good
    (damaged,) = store.damaged_rows
    assert damaged.table == "scheduler_parameters"
    assert damaged.row == f"id {bad.id}"
    assert "parameters '[1, 2, 3]' is not a JSON list of FSRS weights" in damaged.problem


def test_a_fit_reads_study_reviews_and_scheduled_drills_only(store: ReviewStore) -> None:
    right = Verdict(True, "1", "1", "Correct.")
    study = store.start_session("study", ["d"], now=T0)
    store.record_review(study, "d/a", 0, "1", right, 3, 5000, now=T0, reschedule=lambda _b, _r: _state())
    store.record_review(study, "d/b", None, "", None, 1, 2000, now=T0 + timedelta(minutes=1))  # flash card
    drill = store.start_session("drill", ["d"], now=T0)
    store.record_review(drill, "d/a", 0, "1", right, None, 4000, mode="drill", now=T0 + timedelta(hours=1))
    store.record_review(
        drill,
        "d/c",
        0,
        "1",
        right,
        4,
        3000,
        mode="drill",
        now=T0 + timedelta(hours=2),
        reschedule=lambda _b, _r: _state(),
    )
    reviews = scheduling_reviews(store)
    assert [(r.card_id, r.rating, r.duration_ms) for r in reviews] == [
        ("d/a", 3, 5000),
        ("d/b", 1, 2000),
        ("d/c", 4, 3000),  # the drill run with --schedule
    ]
    assert reviews[0].reviewed_at == T0


def _state() -> CardState:
    return CardState(fsrs.Card(card_id=1, due=T0), 1, 0)
