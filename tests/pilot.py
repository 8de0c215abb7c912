"""Helpers for driving the app with Textual's Pilot, shared by the app, fault and snapshot tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from textual.widgets import Input, Static

from quizapp.app import QuizApp


def ticking_clock(step: float = 4.0) -> Iterator[float]:
    """A clock that advances `step` seconds each time it is read: stable timings in tests."""
    return itertools.count(0.0, step)


async def settle(pilot: Any) -> None:
    """Let what the last keys started finish: work scheduled after a refresh, the workers."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def home_loaded(pilot: Any) -> None:
    """The decks are read in a worker: wait until they are on screen."""
    for _ in range(200):
        await settle(pilot)
        if getattr(pilot.app.screen, "decks", None):
            return
    raise AssertionError("the decks never loaded")


async def answer(pilot: Any, text: str) -> None:
    """Put `text` in the answer line and press Enter, then wait for the check."""
    pilot.app.screen.query_one("#answer", Input).value = text
    await settle(pilot)  # the live preview
    await pilot.press("enter")
    await settle(pilot)


def feedback_text(app: QuizApp) -> str:
    """The verdict bar and the feedback panel, as the learner reads them."""
    widgets = [
        *app.screen.query_one("#verdict-bar").query(Static),
        *app.screen.query_one("#feedback").query(Static),
    ]
    return "\n".join(str(w.render()) for w in widgets)
