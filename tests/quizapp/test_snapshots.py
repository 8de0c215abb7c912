"""Snapshots of the home, study, feedback and summary screens (pytest-textual-snapshot).

Regenerate after an intended change with `pytest tests/quizapp/test_snapshots.py --snapshot-update`
and look at the SVGs in tests/quizapp/__snapshots__/ before committing them.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from textual.widgets import Input, Static

from engine.storage import ReviewStore
from quizapp.app import QuizApp
from tests.conftest import FIXTURES
from tests.pilot import answer, home_loaded, settle

SIZE = (100, 34)


def make_app(tmp_path: Path) -> QuizApp:
    store = ReviewStore.open(tmp_path / "quizapp.sqlite3")
    clock = itertools.count(0.0, 4.0)
    return QuizApp([FIXTURES / "study"], store, seed=7, clock=lambda: next(clock))


async def start(pilot: Any) -> None:
    await home_loaded(pilot)
    await pilot.press("a")
    await settle(pilot)
    # A blinking cursor would make the picture depend on the moment it is taken.
    pilot.app.screen.query_one("#answer", Input).cursor_blink = False


def test_home_screen(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=home_loaded)


def test_study_screen_with_live_preview(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Any) -> None:
        await start(pilot)
        pilot.app.screen.query_one("#answer", Input).value = "sqrt(0.64)/2"
        preview = pilot.app.screen.query_one("#preview", Static)
        for _ in range(100):  # the preview is debounced, then computed in a worker
            await pilot.pause(0.05)
            await settle(pilot)
            if str(preview.render()):
                break

    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=run_before)


async def answer_two_cards(pilot: Any) -> None:
    """A right numeric answer, then a symbolic one with a named mistake (its feedback shown)."""
    await start(pilot)
    await answer(pilot, "0.4")
    await pilot.press("enter")
    await settle(pilot)
    await answer(pilot, "σ(x)")


def test_feedback_with_a_named_mistake(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=answer_two_cards)


def test_verdict_and_rating_in_view_at_80x24_with_a_long_explanation(
    snap_compare: Any, tmp_path: Path
) -> None:
    """The verdict bar stays beneath the scrolling card, however long the explanation."""
    from tests.conftest import DECKS

    store = ReviewStore.open(tmp_path / "quizapp.sqlite3")
    clock = itertools.count(0.0, 4.0)
    app = QuizApp([DECKS / "starter.md"], store, seed=7, clock=lambda: next(clock))

    async def run_before(pilot: Any) -> None:
        await start(pilot)
        assert pilot.app.screen.session.current.card.card_id == "sigmoid-derivative"
        await answer(pilot, "sigmoid(x)")
        assert "Rating: Again" in str(pilot.app.screen.query_one("#rating", Static).render())
        card = pilot.app.screen.query_one("#card")
        seen: list[float] = []
        for _ in range(100):  # the explanation (markdown) is laid out over a few frames
            await pilot.pause(0.02)
            seen.append(card.scroll_y)
            if len(seen) >= 5 and len(set(seen[-5:])) == 1 and seen[-1] > 0:
                break

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_summary_screen(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Any) -> None:
        await answer_two_cards(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("space", "3")
        await settle(pilot)
        await answer(pilot, "0.05")
        await answer(pilot, "0.5")
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=run_before)


# -- drills, statistics and function plots -----------------------------------------------


def drill_app(tmp_path: Path) -> QuizApp:
    from datetime import UTC

    from engine.decks.catalog import Catalog
    from engine.study.drill import DrillOptions, drill_cards

    store = ReviewStore.open(tmp_path / "quizapp.sqlite3", local_tz=UTC)
    cards = drill_cards(Catalog.load([FIXTURES / "drill"]).decks)
    now = [1000.0]  # a clock that moves only between answers: the countdown is the same every run

    app = QuizApp(
        [FIXTURES / "drill"],
        store,
        seed=7,
        clock=lambda: now[0],
        drill=(cards, DrillOptions(count=4, seed=7)),
    )
    app.advance = lambda seconds: now.__setitem__(0, now[0] + seconds)  # type: ignore[attr-defined]
    return app


async def drill_answer(pilot: Any, seconds: float) -> None:
    from tests.engine.study.test_drill import ANSWERS

    session = pilot.app.screen.session
    pilot.app.advance(seconds)
    pilot.app.screen.query_one("#answer", Input).value = ANSWERS[session.current.card.full_id]
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


def test_drill_screen(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await drill_answer(pilot, 12)
        pilot.app.advance(5)
        pilot.app.screen.tick()
        pilot.app.screen.query_one("#answer", Input).cursor_blink = False
        await settle(pilot)

    assert snap_compare(drill_app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_drill_report(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        for seconds in (12, 7, 25, 9):
            await drill_answer(pilot, seconds)

    assert snap_compare(drill_app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_statistics_screen(snap_compare: Any, tmp_path: Path) -> None:
    from datetime import UTC

    from tests.engine.study.test_stats import NOW, populate

    store = ReviewStore.open(tmp_path / "quizapp.sqlite3", local_tz=UTC)
    populate(store)
    app = QuizApp([FIXTURES / "drill"], store, seed=7, now=lambda: NOW)

    async def run_before(pilot: Any) -> None:
        await home_loaded(pilot)
        await pilot.press("s")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(110, 40), run_before=run_before)


def test_feedback_with_a_function_plot(snap_compare: Any, tmp_path: Path) -> None:
    store = ReviewStore.open(tmp_path / "quizapp.sqlite3")
    clock = itertools.count(0.0, 4.0)
    app = QuizApp([FIXTURES / "drill"], store, seed=7, clock=lambda: next(clock))

    async def run_before(pilot: Any) -> None:
        await home_loaded(pilot)
        await pilot.press("a")
        await settle(pilot)
        screen = pilot.app.screen
        while screen.session.current.card.card_id != "softplus":  # the card with a marked point
            screen.session.advance()
            screen.show_next_card()
            await settle(pilot)
        screen.query_one("#answer", Input).cursor_blink = False
        await answer(pilot, "1.70")
        screen.query_one("#card").scroll_end(animate=False)
        await settle(pilot)

    assert snap_compare(app, terminal_size=(100, 44), run_before=run_before)
