"""Drills and statistics in the app, driven as a person would: a drill to its report, the
clock running out, and the statistics screen over a populated log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from engine.decks.catalog import Catalog
from engine.storage import ReviewStore
from engine.study.drill import DrillOptions, drill_cards
from quizapp.app import QuizApp
from quizapp.screens.drill import DrillScreen
from quizapp.screens.drill_report import DrillReportScreen
from quizapp.screens.home import HomeScreen
from quizapp.screens.stats import StatsScreen
from tests.conftest import FIXTURES
from tests.engine.study.test_drill import ANSWERS
from tests.engine.study.test_stats import NOW, populate
from tests.pilot import home_loaded, settle

DRILL_DECKS = [FIXTURES / "drill"]


class ManualClock:
    """A clock that moves only when told: the countdown and the timings are exact in tests."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ReviewStore]:
    with ReviewStore.open(tmp_path / "quizapp.sqlite3", local_tz=UTC) as opened:
        yield opened


def drill_app(store: ReviewStore, clock: ManualClock, **options: object) -> QuizApp:
    cards = drill_cards(Catalog.load(DRILL_DECKS).decks)
    drill = DrillOptions(**{"count": 4, "minutes": 5.0, "seed": 7, **options})  # type: ignore[arg-type]
    return QuizApp(DRILL_DECKS, store, seed=7, clock=clock, drill=(cards, drill))


def current_card(app: QuizApp) -> str:
    screen = app.screen
    assert isinstance(screen, DrillScreen)
    assert screen.session.current is not None
    return screen.session.current.card.full_id


async def answer_current(
    app: QuizApp, pilot: object, clock: ManualClock, seconds: float, text: str | None = None
) -> None:
    clock.now += seconds
    app.screen.query_one("#answer", Input).value = text if text is not None else ANSWERS[current_card(app)]
    await pilot.press("enter")  # type: ignore[attr-defined]
    await settle(pilot)


async def test_a_drill_runs_to_its_report(store: ReviewStore) -> None:
    clock = ManualClock()
    app = drill_app(store, clock)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DrillScreen)
        clock.now += 3
        screen.tick()
        text = str(screen.query_one("#clock", Static).render())
        assert "4:57 left" in text
        assert "question 1 of 4" in text
        assert "this question 0:03" in text
        for index in range(4):
            await answer_current(app, pilot, clock, 10 + index)
            if index == 0:  # no verdict while the clock runs
                assert isinstance(app.screen, DrillScreen)
                assert not app.screen.query("#feedback")
        assert isinstance(app.screen, DrillReportScreen)
        report = str(app.screen.query_one("#report", Static).render())
        assert "3 of 4 right" in report
        assert "(75%)" in report
        assert "doubled" in report
        assert "Weakest topics" in report
        assert "arithmetic" in report
        assert "expected: 0.4" in report
        assert "Your first drill" in report
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
    rows = store.reviews()
    assert len(rows) == 4
    assert {r.mode for r in rows} == {"drill"}
    assert [r.duration_ms for r in rows] == [13_000, 11_000, 12_000, 13_000]  # the first waited 3 s more
    assert store.card_records() == {}  # the schedule is untouched


async def test_the_drill_ends_when_the_time_is_up(store: ReviewStore) -> None:
    clock = ManualClock()
    app = drill_app(store, clock, minutes=1.0)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await answer_current(app, pilot, clock, 20)
        await pilot.press("ctrl+n")  # skip one
        await settle(pilot)
        clock.now += 60
        screen = app.screen
        assert isinstance(screen, DrillScreen)
        screen.tick()
        await settle(pilot)
        assert isinstance(app.screen, DrillReportScreen)
        report = app.screen.report
        assert report.result.answered == 1
        assert len(report.answers) == 2
        assert len(report.unanswered) == 2
        assert "not reached" in str(app.screen.query_one("#report", Static).render())


async def test_the_statistics_screen_over_a_populated_log(store: ReviewStore) -> None:
    populate(store)
    app = QuizApp(DRILL_DECKS, store, seed=7, now=lambda: NOW)
    async with app.run_test(size=(110, 40)) as pilot:
        await home_loaded(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, StatsScreen)
        summary = str(app.screen.query_one("#summary", Static).render())
        assert "6 reviews (5 study, 1 drill) of 4 cards" in summary
        assert "retention 100% of 2 repeated reviews" in summary
        assert "forgot-to-differentiate ×2" in summary
        assert app.screen.stats.by_tag[0].name == "activations"
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_answers_typed_in_a_burst_each_go_to_their_question(store: ReviewStore) -> None:
    """A terminal's burst: every answer and its Enter, typed without waiting for the next
    question, is recorded against the question it was typed for."""
    from tests.quizapp.test_app_learner import burst

    clock = ManualClock()
    app = drill_app(store, clock, count=2)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DrillScreen)
        order = [q.full_id for q in screen.session.questions]
        burst(app, "".join(ANSWERS[card_id] + "⏎" for card_id in order))
        for _ in range(100):
            await settle(pilot)
            if isinstance(app.screen, DrillReportScreen):
                break
        assert isinstance(app.screen, DrillReportScreen)
    assert [(r.card_id, r.answer) for r in store.reviews()] == [(c, ANSWERS[c]) for c in order]
