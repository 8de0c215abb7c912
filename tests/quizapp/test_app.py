"""The study app, driven as a person would: a whole session, the review log, a resumed session."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from engine.storage import ReviewStore
from quizapp.app import QuizApp
from quizapp.screens.home import HomeScreen
from quizapp.screens.study import StudyScreen
from quizapp.screens.summary import SummaryScreen
from tests.conftest import FIXTURES
from tests.pilot import answer, feedback_text, home_loaded, settle, ticking_clock

STUDY_DECKS = [FIXTURES / "study"]


def make_app(store: ReviewStore) -> QuizApp:
    clock = ticking_clock()
    return QuizApp(STUDY_DECKS, store, seed=7, clock=lambda: next(clock))


async def test_a_whole_session_is_logged_and_resumes(store: ReviewStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(100, 40)) as pilot:
        await home_loaded(pilot)
        assert isinstance(app.screen, HomeScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 2  # "All decks" and the fixture deck
        assert [str(c) for c in table.get_row_at(1)] == ["Study fixture", "0", "4", "4", "test"]

        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, StudyScreen)

        # 1. numeric, right
        assert "What is half of 0.8?" in app.screen.query_one("#prompt").source  # type: ignore[attr-defined]
        await answer(pilot, "0.4")
        assert "✓ Correct" in feedback_text(app)
        await pilot.press("enter")
        await settle(pilot)

        # 2. symbolic, wrong with a named mistake; the rating is changed before going on
        await answer(pilot, "σ(x)")
        text = feedback_text(app)
        assert "That is σ itself." in text
        assert "forgot-to-differentiate" in text
        assert "expected: σ(x)·(1 − σ(x))" in text
        assert "Rating: Again" in text
        await pilot.press("2")
        assert "Rating: Hard" in feedback_text(app)
        await pilot.press("enter")
        await settle(pilot)

        # 3. flash card: space reveals, 3 rates and moves on
        assert app.screen.query_one("#answer-box").display is False
        await pilot.press("space")
        assert "To keep their scale stable" in app.screen.query_one("#explanation").source  # type: ignore[attr-defined]
        await pilot.press("3")
        await settle(pilot)

        # 4. steps, part by part: the first part right, the second wrong
        await answer(pilot, "0.05")
        parts = str(app.screen.query_one("#parts", Static).render())
        assert "✓ m₁ = 0.05" in parts
        await answer(pilot, "0.05")
        text = feedback_text(app)
        assert "1 of 2 parts correct; the first wrong part is m̂₁" in text
        await pilot.press("enter")
        await settle(pilot)

        assert isinstance(app.screen, SummaryScreen)
        summary = str(app.screen.query_one("#summary", Static).render())
        assert "4 of 4 cards" in summary
        assert "right  2" in summary
        assert "wrong  2" in summary
        assert "forgot-to-differentiate" in summary
        assert "Two steps" in summary

    rows = store.reviews()
    assert [r.card_id for r in rows] == [
        "fixture/half",
        "fixture/sigmoid-prime",
        "fixture/why-normalise",
        "fixture/two-steps",
    ]
    assert [r.correct for r in rows] == [True, False, True, False]
    assert [r.rating for r in rows] == [
        4,
        2,
        3,
        2,
    ]  # fast and right: Easy; re-rated to Hard; self-rated; partial: Hard
    assert [r.duration_ms for r in rows] == [4000] * 4
    assert rows[1].mistake == "forgot-to-differentiate"
    assert rows[1].answer == "σ(x)"
    assert rows[3].answer == "0.05; 0.05"
    assert rows[3].score == pytest.approx(0.5)
    assert all(store.card_state(r.card_id) is not None for r in rows)

    # Resumed: every card has been introduced today, and none is due yet.
    resumed = make_app(store)
    async with resumed.run_test(size=(100, 40)) as pilot:
        await home_loaded(pilot)
        table = resumed.screen.query_one(DataTable)
        assert [str(c) for c in table.get_row_at(1)] == ["Study fixture", "0", "0", "4", "test"]
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(resumed.screen, HomeScreen)  # nothing to study: a notification instead
