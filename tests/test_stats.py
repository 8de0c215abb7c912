"""Statistics over a populated log: per day, retention, accuracy by deck and tag, mistakes, forecast."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.catalog import Catalog
from engine.stats import compute_stats, format_stats
from engine.storage import ReviewStore
from engine.verdict import Verdict
from tests.conftest import FIXTURES

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def populate(store: ReviewStore) -> None:
    """Two study days and a drill: the same log the stats screen tests use."""
    from engine.scheduling import StudyScheduler

    scheduler = StudyScheduler(store)
    right = Verdict(True, "0.4", "0.4", "Correct.", score=1.0)
    wrong = Verdict(False, "σ(x)", "σ(x)·(1 − σ(x))", "That is σ itself.", "forgot-to-differentiate")
    for day, answers in ((3, ("half", "sigmoid-prime")), (1, ("half", "sigmoid-prime", "saddle"))):
        moment = NOW - timedelta(days=day)
        session = store.start_session("study", ["drillfix"], now=moment)
        for name in answers:
            verdict = wrong if name == "sigmoid-prime" and day == 3 else right
            card_id = f"drillfix/{name}"
            rating = 3 if verdict.correct else 1
            store.record_review(session, card_id, 0, "x", verdict, rating, 4000, now=moment)
            scheduler.review(card_id, rating, now=moment)
    drill = store.start_session("drill", ["drillfix"], now=NOW)
    store.record_review(drill, "drillfix/softplus", 0, "2", wrong, None, 4000, mode="drill", now=NOW)


def test_stats_of_a_populated_log(tmp_path: Path) -> None:
    cards = [c for d in Catalog.load([FIXTURES / "drill"]).decks for c in d.cards]
    with ReviewStore.open(tmp_path / "log.sqlite3", local_tz=UTC) as store:
        populate(store)
        stats = compute_stats(store, cards, now=NOW)
    assert stats.reviews == 6 and stats.study_reviews == 5 and stats.drill_reviews == 1
    assert [d.reviews for d in stats.days[-4:]] == [2, 0, 3, 1]
    assert stats.retention == 1.0 and stats.retention_reviews == 2  # the second answers to half and sigmoid-prime
    by_tag = {a.name: (a.right, a.total) for a in stats.by_tag}
    assert by_tag["activations"] == (1, 3) and by_tag["arithmetic"] == (2, 2)
    assert stats.by_tag[0].name == "activations"  # weakest first
    assert stats.mistakes == (("forgot-to-differentiate", 2),)
    assert sum(n for _, n in stats.forecast) == 3 and len(stats.forecast) == 14
    json.dumps(stats.to_json())
    text = format_stats(stats)
    assert "6 reviews (5 study, 1 drill) of 4 cards" in text
    assert "retention: 100% of 2" in text and "forgot-to-differentiate ×2" in text


def test_an_empty_log(tmp_path: Path) -> None:
    with ReviewStore.open(tmp_path / "log.sqlite3", local_tz=UTC) as store:
        stats = compute_stats(store, now=NOW)
    assert stats.reviews == 0 and stats.retention is None
    assert format_stats(stats).startswith("No reviews yet")
