"""The card browser, suspending and burying in a session, and leeches, driven as a learner drives the app.

Queries are typed key by key; every test ends with what the review log holds.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.widgets import DataTable, Input, Static

from engine.checking.verdict import Verdict
from engine.storage import ReviewStore
from engine.storage.flags import LeechRule
from engine.study.scheduling import AGAIN, EASY, StudyScheduler
from quizapp.app import QuizApp
from quizapp.screens.browser import BrowserScreen
from quizapp.screens.card_view import CardScreen
from quizapp.screens.help import HELP
from quizapp.screens.study import StudyScreen
from quizapp.screens.summary import SummaryScreen
from tests.pilot import home_loaded, settle

DECK = """
---
title: Browse
id: browse
tags: [browsing]
---

## Half of a number {#half}

```quiz
kind: numeric
given:
  x: 0.8
answer: x/2
mistakes:
  - answer: 2*x
    feedback: Half, not double.
    name: doubled
```

What is half of {x}? Think of $\\sigma$ later.

## [b]Markup[/b] in a title {#markup}

Is [red]this[/red] red?

### Answer
No: it is text.

## GELU at a point {#gelu}

What is GELU(1)?

### Answer
About 0.841.
"""

LONG_AGO = datetime.now(UTC) - timedelta(days=60)
WRONG = Verdict(False, "1.6", "0.4", "Half, not double.", mistake="doubled")
RIGHT = Verdict(True, "0.4", "0.4", "Correct.", score=1.0)


@pytest.fixture
def deck(write_deck: Callable[..., Path]) -> Path:
    return write_deck(DECK, "browse.md")


def make_app(store: ReviewStore, deck: Path, scheduler: StudyScheduler | None = None) -> QuizApp:
    clock = itertools.count(0.0, 4.0)
    return QuizApp([deck], store, seed=7, clock=lambda: next(clock), scheduler=scheduler)


def seed_history(store: ReviewStore, scheduler: StudyScheduler) -> None:
    """Two answers to browse/half long ago: the named mistake, then right (and easy: in review now)."""
    for offset, (answer, verdict, rating) in enumerate((("1.6", WRONG, AGAIN), ("0.4", RIGHT, EASY))):
        when = LONG_AGO + timedelta(minutes=offset)
        reschedule = scheduler.rescheduler("browse/half", when, 9000)
        store.record_review(
            None, "browse/half", 0, answer, verdict, rating, 9000, now=when, reschedule=reschedule
        )


async def wait_for(pilot: Any, condition: Callable[[], bool]) -> None:
    for _ in range(300):
        await settle(pilot)
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never held")


async def open_browser(app: QuizApp, pilot: Any) -> BrowserScreen:
    await home_loaded(pilot)
    await pilot.press("b")
    screen = app.screen
    assert isinstance(screen, BrowserScreen)
    await wait_for(pilot, lambda: screen.rows is not None)
    return screen


def table_keys(screen: Any, table_id: str) -> list[str]:
    table = screen.query_one(table_id, DataTable)
    return [str(row.value) for row in table.rows]


def history(screen: CardScreen) -> list[list[str]]:
    table = screen.query_one("#history", DataTable)
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


async def test_a_typed_query_finds_the_card_and_enter_shows_its_history(
    store: ReviewStore, deck: Path
) -> None:
    scheduler = StudyScheduler(store)
    seed_history(store, scheduler)
    app = make_app(store, deck, scheduler)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await open_browser(app, pilot)
        assert table_keys(browser, "#cards") == ["browse/half", "browse/markup", "browse/gelu"]
        await pilot.press(*"deck:browse is:review σ")  # `σ` finds the prompt's $\sigma$
        await settle(pilot)
        assert table_keys(browser, "#cards") == ["browse/half"]
        await pilot.press("enter")  # from the query line to the table
        await pilot.press("enter")  # open the card
        card_screen = app.screen
        assert isinstance(card_screen, CardScreen)
        await wait_for(pilot, lambda: card_screen.row is not None)
        prompt = str(card_screen.query_one("#card-prompt", Static).render())
        assert "What is half of {x}? Think of σ later." in prompt
        rows = history(card_screen)
        assert [row[2] for row in rows] == ["0.4", "1.6"]  # the answers as typed, latest first
        assert rows[1][3:6] == ["✗ wrong", "doubled", "Again"]
        assert rows[0][3:6] == ["✓ right", "", "Easy"]
        state = str(card_screen.query_one("#card-state", Static).render())
        assert "review" in state
        assert "1 lapses" not in state  # a lapse is a failure in review, not in learning
        await pilot.press("escape")
        assert app.screen is browser
        assert app.is_running


async def test_a_query_that_cannot_be_read_says_why_and_keeps_the_table(
    store: ReviewStore, deck: Path
) -> None:
    app = make_app(store, deck)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await open_browser(app, pilot)
        await pilot.press(*"half is:sleepy")
        await settle(pilot)
        status = str(browser.query_one("#browse-status", Static).render())
        assert "is:sleepy is not a state" in status
        assert table_keys(browser, "#cards") == ["browse/half"]  # as `half is:` left it


async def test_markup_in_deck_text_is_shown_as_text(store: ReviewStore, deck: Path) -> None:
    app = make_app(store, deck)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await open_browser(app, pilot)
        await pilot.press(*"markup")
        await settle(pilot)
        title = browser.query_one("#cards", DataTable).get_row_at(0)[0]
        assert isinstance(title, Text)
        assert title.plain == "[b]Markup[/b] in a title"
        await pilot.press("enter", "enter")
        card_screen = app.screen
        assert isinstance(card_screen, CardScreen)
        await wait_for(pilot, lambda: card_screen.row is not None)
        assert "[red]this[/red]" in str(card_screen.query_one("#card-prompt", Static).render())
        assert "[b]Markup[/b]" in str(card_screen.query_one("#card-head", Static).render())


async def test_the_sort_key_cycles_through_the_orders_in_the_query(store: ReviewStore, deck: Path) -> None:
    scheduler = StudyScheduler(store)
    seed_history(store, scheduler)
    app = make_app(store, deck, scheduler)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await open_browser(app, pilot)
        await pilot.press("enter")  # to the table
        await pilot.press("o")
        await settle(pilot)
        assert browser.query_one("#query", Input).value == "sort:due"
        assert table_keys(browser, "#cards")[0] == "browse/half"  # the only card with a due date


async def test_an_opened_card_is_suspended_reset_and_studied(store: ReviewStore, deck: Path) -> None:
    scheduler = StudyScheduler(store)
    seed_history(store, scheduler)
    app = make_app(store, deck, scheduler)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_browser(app, pilot)
        await pilot.press(*"half", "enter", "enter")
        card_screen = app.screen
        assert isinstance(card_screen, CardScreen)
        await wait_for(pilot, lambda: card_screen.row is not None)
        await pilot.press("s")
        await wait_for(pilot, lambda: card_screen.row is not None and card_screen.row.suspended)
        assert "Set aside: suspended" in str(card_screen.query_one("#card-state", Static).render())
        await pilot.press("r", "n")  # asked first: no
        await settle(pilot)
        assert store.card_record("browse/half") is not None
        await pilot.press("r", "y")
        await wait_for(pilot, lambda: card_screen.row is not None and card_screen.row.record is None)
        assert len(store.reviews("browse/half")) == 2  # the history stays
        await pilot.press("s")  # unsuspend
        await wait_for(pilot, lambda: card_screen.row is not None and not card_screen.row.suspended)
        await pilot.press("n")
        await settle(pilot)
        study = app.screen
        assert isinstance(study, StudyScreen)
        assert [card.full_id for card in study.session.queue] == ["browse/half"]
    assert store.flags("browse/half") is None


async def test_suspend_while_typing_and_bury_after_the_verdict_are_undone(
    store: ReviewStore, deck: Path
) -> None:
    app = make_app(store, deck)
    async with app.run_test(size=(80, 24)) as pilot:
        await home_loaded(pilot)
        await pilot.press("a")
        await settle(pilot)
        study = app.screen
        assert isinstance(study, StudyScreen)
        assert study.session.current is not None
        assert study.session.current.card.card_id == "half"
        await pilot.press("0", ".", "ctrl+s")  # the line has focus: letters would be the answer's
        await settle(pilot)
        assert store.set_aside_now(["browse/half"]) == {"browse/half"}
        assert study.session.current is not None
        assert study.session.current.card.card_id == "markup"
        assert study.session.total == 2
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert store.flags("browse/half") is None
        assert study.session.current is not None
        assert study.session.current.card.card_id == "half"
        study.query_one("#answer", Input).value = "0.4"
        await pilot.press("enter")
        await wait_for(pilot, lambda: study.state == "feedback")
        await pilot.press("b")  # the verdict is shown: the letter sets aside
        await settle(pilot)
        assert store.set_aside_now(["browse/half"]) == {"browse/half"}
        assert study.session.current is not None
        assert study.session.current.card.card_id == "markup"
        await pilot.press("u")  # the bury, not the answer
        await settle(pilot)
        assert store.flags("browse/half") is None
        assert len(store.reviews()) == 1
        await pilot.press("ctrl+l")  # bury the flash card, unanswered
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        summary = app.screen
        assert isinstance(summary, SummaryScreen)
        assert "Set aside" in summary.report()
        assert "buried until tomorrow" in summary.report()
    (review,) = store.reviews()
    assert (review.card_id, review.answer, review.correct) == ("browse/half", "0.4", True)
    assert store.set_aside_now(["browse/markup"]) == {"browse/markup"}


async def test_the_lapse_that_makes_a_leech_is_reported_and_suspends_it(
    store: ReviewStore, deck: Path
) -> None:
    scheduler = StudyScheduler(store, leech=LeechRule(1))
    reschedule = scheduler.rescheduler("browse/half", LONG_AGO)
    store.record_review(None, "browse/half", 0, "0.4", RIGHT, EASY, 1000, now=LONG_AGO, reschedule=reschedule)
    app = make_app(store, deck, scheduler)
    async with app.run_test(size=(80, 24)) as pilot:
        await home_loaded(pilot)
        await pilot.press("a")
        await settle(pilot)
        study = app.screen
        assert isinstance(study, StudyScreen)
        study.query_one("#answer", Input).value = "1.6"
        await pilot.press("enter")
        await wait_for(pilot, lambda: study.state == "feedback")
        await pilot.press("escape")
        await settle(pilot)
        summary = app.screen
        assert isinstance(summary, SummaryScreen)
        report = summary.report()
        assert "New leeches" in report
        assert "1 lapses, suspended; most often doubled ×1" in report
    (leech,) = store.leeches()
    assert (leech.card_id, leech.suspended, leech.mistake) == ("browse/half", True, "doubled")


def test_the_help_lists_the_keys() -> None:
    for key in ("Ctrl+S", "Ctrl+L", "bury", "suspend", "browser"):
        assert key in HELP
