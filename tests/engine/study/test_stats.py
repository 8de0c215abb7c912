"""Statistics over a populated log: per day, retention, accuracy by deck and tag, mistakes, forecast."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Static

from engine.checking.verdict import Verdict
from engine.decks.catalog import Catalog
from engine.storage import DrillResult, ReviewStore
from engine.study.stats import compute_stats, format_stats
from tests.conftest import FIXTURES

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def populate(store: ReviewStore) -> None:
    """Two study days and a drill: the same log the stats screen tests use."""
    from engine.study.scheduling import StudyScheduler

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
    assert stats.reviews == 6
    assert stats.study_reviews == 5
    assert stats.drill_reviews == 1
    assert [d.reviews for d in stats.days[-4:]] == [2, 0, 3, 1]
    # Retention counts the second answers to half and sigmoid-prime.
    assert stats.retention == 1.0
    assert stats.retention_reviews == 2
    by_tag = {a.name: (a.right, a.total) for a in stats.by_tag}
    assert by_tag["activations"] == (1, 3)
    assert by_tag["arithmetic"] == (2, 2)
    assert stats.by_tag[0].name == "activations"  # weakest first
    assert stats.mistakes == (("forgot-to-differentiate", 2),)
    assert sum(n for _, n in stats.forecast) == 3
    assert len(stats.forecast) == 14
    json.dumps(stats.to_json())
    text = format_stats(stats)
    assert "6 reviews (5 study, 1 drill) of 4 cards" in text
    assert "retention: 100% of 2" in text
    assert "forgot-to-differentiate ×2" in text


def test_an_empty_log(tmp_path: Path) -> None:
    with ReviewStore.open(tmp_path / "log.sqlite3", local_tz=UTC) as store:
        stats = compute_stats(store, now=NOW)
    assert stats.reviews == 0
    assert stats.retention is None
    assert format_stats(stats).startswith("No reviews yet")


def damage(path: Path, sql: str, *params: Any) -> None:
    """Change the log behind quizapp's back, as a hand edit or a broken tool would."""
    with sqlite3.connect(path) as db:
        assert db.execute(sql, params).rowcount == 1


def populate_and_damage(store: ReviewStore) -> None:
    """The populated log, two drill results, and one unreadable row in each table stats reads."""
    populate(store)
    store.save_drill_result(DrillResult(3, NOW, 4, 1, 1, 1.0, 60_000))
    broken = store.start_session("drill", ["drillfix"], now=NOW)
    store.save_drill_result(DrillResult(broken, NOW, 4, 2, 2, 2.0, 60_000))
    first = store.reviews()[0]
    assert first.card_id == "drillfix/half"
    damage(store.path, "UPDATE reviews SET reviewed_at = 'yesterday' WHERE id = ?", first.id)
    damage(store.path, "UPDATE card_states SET fsrs_json = '{not json' WHERE card_id = 'drillfix/saddle'")
    damage(store.path, "UPDATE drill_results SET finished_at = '2026-13-45' WHERE session_id = ?", broken)


def test_stats_skip_damaged_rows_name_them_and_count_the_rest(tmp_path: Path) -> None:
    cards = [c for d in Catalog.load([FIXTURES / "drill"]).decks for c in d.cards]
    with ReviewStore.open(tmp_path / "log.sqlite3", local_tz=UTC) as store:
        populate_and_damage(store)
        stats = compute_stats(store, cards, now=NOW)
    assert stats.reviews == 5
    assert stats.study_reviews == 4
    assert stats.drill_reviews == 1
    assert stats.cards_seen == 4  # half's later answer still counts
    assert stats.retention == 1.0
    assert stats.retention_reviews == 1
    assert sum(n for _, n in stats.forecast) == 2
    assert len(stats.drills) == 1
    assert stats.warnings == (
        "skipped a damaged row of the review log: reviews id 1 (card drillfix/half):"
        " reviewed_at 'yesterday' is not a date",
        "skipped a damaged row of the review log: card_states card drillfix/saddle:"
        " fsrs_json '{not json' is not an fsrs card state in JSON",
        "skipped a damaged row of the review log: drill_results session 4:"
        " finished_at '2026-13-45' is not a date",
    )
    data = json.loads(json.dumps(stats.to_json()))
    assert [(d["table"], d["row"]) for d in data["damaged_rows"]] == [
        ("reviews", "id 1 (card drillfix/half)"),
        ("card_states", "card drillfix/saddle"),
        ("drill_results", "session 4"),
    ]
    assert "5 reviews (4 study, 1 drill) of 4 cards" in format_stats(stats)


def test_a_sound_log_has_no_warnings(tmp_path: Path) -> None:
    with ReviewStore.open(tmp_path / "log.sqlite3", local_tz=UTC) as store:
        populate(store)
        stats = compute_stats(store, now=NOW)
    assert stats.warnings == ()
    assert stats.to_json()["damaged_rows"] == []


def test_a_damaged_log_with_only_bad_rows_still_computes(tmp_path: Path) -> None:
    with ReviewStore.open(tmp_path / "log.sqlite3", local_tz=UTC) as store:
        session = store.start_session("study", ["drillfix"], now=NOW)
        right = Verdict(True, "0.4", "0.4", "Correct.", score=1.0)
        review = store.record_review(session, "drillfix/half", 0, "0.4", right, 3, 1000, now=NOW)
        damage(store.path, "UPDATE reviews SET reviewed_at = x'00ff', score = 'lots' WHERE id = ?", review)
        stats = compute_stats(store, now=NOW)
    assert stats.reviews == 0
    assert len(stats.warnings) == 1
    assert "reviews id 1 (card drillfix/half): reviewed_at b'\\x00\\xff' is not a date" in stats.warnings[0]
    assert format_stats(stats).startswith("No reviews yet")


async def test_the_home_and_statistics_screens_go_on_past_damaged_rows(tmp_path: Path) -> None:
    from quizapp.app import QuizApp
    from quizapp.screens.stats import StatsScreen
    from tests.pilot import home_loaded, settle

    with ReviewStore.open(tmp_path / "quizapp.sqlite3", local_tz=UTC) as store:
        populate_and_damage(store)
        # A card id with markup in it is shown as it is, not styled or refused.
        damage(store.path, "UPDATE reviews SET card_id = 'drillfix/[b]x', reviewed_at = '' WHERE id = 2")
        app = QuizApp([FIXTURES / "drill"], store, seed=7, now=lambda: NOW)
        async with app.run_test(size=(110, 40)) as pilot:
            await home_loaded(pilot)
            table = app.screen.query_one(DataTable)
            assert table.row_count == 2
            assert table.get_row_at(0)[1] != "?"
            await pilot.press("s")
            await settle(pilot)
            assert isinstance(app.screen, StatsScreen)
            summary = str(app.screen.query_one("#summary", Static).render())
            assert "4 reviews (3 study, 1 drill)" in summary
            damaged = str(app.screen.query_one("#damaged", Static).render())
            assert damaged.startswith("⚠ 4 rows of the review log could not be read")
            assert "reviews id 2 (card drillfix/[b]x): reviewed_at '' is not a date" in damaged
            assert "card_states card drillfix/saddle" in damaged
            assert "drill_results session 4" in damaged
