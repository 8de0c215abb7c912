"""The app with the learner's settings and fitted parameters: what it schedules with, what it shows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from fsrs.scheduler import DEFAULT_PARAMETERS
from textual.widgets import Static

from engine.settings import Settings
from engine.storage import ReviewStore
from engine.storage.parameters import save_parameters
from quizapp.app import QuizApp
from quizapp.screens.drill import DrillScreen
from quizapp.screens.stats import StatsScreen
from tests.conftest import FIXTURES
from tests.engine.study.test_stats import NOW, populate
from tests.pilot import home_loaded, settle

DRILL_DECKS = [FIXTURES / "drill"]
FITTED = (0.1, *DEFAULT_PARAMETERS[1:8], 1.2, *DEFAULT_PARAMETERS[9:])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ReviewStore]:
    with ReviewStore.open(tmp_path / "quizapp.sqlite3", local_tz=UTC) as opened:
        yield opened


async def open_stats(app: QuizApp) -> str:
    async with app.run_test(size=(110, 40)) as pilot:
        await home_loaded(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, StatsScreen)
        return str(app.screen.query_one("#summary", Static).render())


async def test_the_statistics_show_desired_retention_next_to_the_measured_one(store: ReviewStore) -> None:
    populate(store)
    app = QuizApp(DRILL_DECKS, store, seed=7, now=lambda: NOW, settings=Settings(desired_retention=0.85))
    summary = await open_stats(app)
    assert "retention 100% of 2 repeated reviews (desired 85%)" in summary
    assert "Scheduling: FSRS aiming at 85% retention" in summary
    assert "parameters: fsrs's defaults (`quizapp optimize` fits your own" in summary
    assert "Parameters w0–w20: 0.212 1.29 2.31 8.3" in summary


async def test_the_statistics_show_a_fit_and_its_date(store: ReviewStore) -> None:
    populate(store)
    save_parameters(store, FITTED, 734, 0.41, 0.39, now=NOW - timedelta(days=2))
    app = QuizApp(DRILL_DECKS, store, seed=7, now=lambda: NOW)
    summary = await open_stats(app)
    assert "parameters: fitted to your 734 reviews on 2026-03-08" in summary
    assert "Parameters w0–w20: 0.1 1.29 " in summary
    assert app.scheduler.scheduler.parameters == FITTED  # and the scheduler uses them


async def test_the_app_reads_the_settings_file_and_says_what_is_wrong_in_it(
    store: ReviewStore, config_dir: Path
) -> None:
    path = config_dir / "config.toml"
    path.write_text(
        'theme = "nord"\nnew_cards_per_day = 5\ndesired_retention = 0.8\n'
        "day_boundary_hour = 6\ndrill_questions = 3\ndrill_minutes = 0\nretention = [0.9]\n",
        encoding="utf-8",
    )
    app = QuizApp(DRILL_DECKS, store, seed=7)
    async with app.run_test(size=(110, 40)) as pilot:
        await home_loaded(pilot)
        assert app.theme == "nord"
        assert app.new_limit == 5
        scheduler = app.scheduler
        assert scheduler.scheduler.desired_retention == 0.8
        assert scheduler.day_start_hour == 6
        messages = [n.message for n in app._notifications]
        assert f"{path}:7: retention: unknown setting, ignored (did you mean desired_retention?)" in messages
        app.screen.action_drill()  # type: ignore[attr-defined]
        await settle(pilot)
        assert isinstance(app.screen, DrillScreen)
        assert app.screen.session.options.count == 3
        assert app.screen.session.options.minutes is None  # drill_minutes = 0: no time limit


async def test_an_unknown_theme_is_reported_and_the_default_kept(
    store: ReviewStore, config_dir: Path
) -> None:
    (config_dir / "config.toml").write_text('theme = "[b]nord"\n', encoding="utf-8")
    app = QuizApp(DRILL_DECKS, store)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        (message,) = [n.message for n in app._notifications]
        assert 'theme: no theme "[b]nord"' in message  # shown as text: the markup-like name is not markup


async def test_the_palette_fits_the_parameters_and_says_what_it_found(store: ReviewStore) -> None:
    from tests.engine.study.test_optimizer import record, simulate

    record(store, simulate(5, days=40))
    app = QuizApp(DRILL_DECKS, store)
    async with app.run_test() as pilot:
        await settle(pilot)
        commands = [command.title for command in app.get_system_commands(app.screen)]
        assert "Fit FSRS to my reviews" in commands
        app.optimize_parameters()
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("FSRS needs 512 qualifying reviews to fit parameters" in m for m in messages)
