"""Snapshots of the home, study, feedback and summary screens (pytest-textual-snapshot).

Regenerate after an intended change with `pytest tests/test_snapshots.py --snapshot-update`
and look at the SVGs in tests/__snapshots__/ before committing them.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from textual.widgets import Input, Static

from engine.storage import ReviewStore
from quizapp.app import QuizApp
from tests.conftest import FIXTURES

SIZE = (100, 34)


def make_app(tmp_path: Path) -> QuizApp:
    store = ReviewStore.open(tmp_path / "quizapp.sqlite3")
    clock = itertools.count(0.0, 4.0)
    return QuizApp([FIXTURES / "study"], store, seed=7, clock=lambda: next(clock))


async def settle(pilot: Any) -> None:
    await pilot.pause()  # let work scheduled after the next refresh (reading decks) start
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def home_loaded(pilot: Any) -> None:
    """The decks are read after the first frame: wait until they are on screen."""
    for _ in range(200):
        await settle(pilot)
        if getattr(pilot.app.screen, "decks", None):
            return
    raise AssertionError("the decks never loaded")


async def start(pilot: Any) -> None:
    await home_loaded(pilot)
    await pilot.press("a")
    await settle(pilot)
    # A blinking cursor would make the picture depend on the moment it is taken.
    pilot.app.screen.query_one("#answer", Input).cursor_blink = False


async def answer(pilot: Any, text: str) -> None:
    pilot.app.screen.query_one("#answer", Input).value = text
    await settle(pilot)  # the live preview
    await pilot.press("enter")
    await settle(pilot)


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


def test_feedback_with_a_named_mistake(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Any) -> None:
        await start(pilot)
        await answer(pilot, "0.4")
        await pilot.press("enter")
        await settle(pilot)
        await answer(pilot, "σ(x)")

    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_summary_screen(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Any) -> None:
        await start(pilot)
        await answer(pilot, "0.4")
        await pilot.press("enter")
        await settle(pilot)
        await answer(pilot, "σ(x)")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("space", "3")
        await settle(pilot)
        await answer(pilot, "0.05")
        await answer(pilot, "0.5")
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=run_before)
