"""The study app driven as a learner drives it: keys at typing pace, never waiting for a verdict.

Every test ends by asserting what the review log holds (one review per answer, each
part as typed, a schedule row with each review) and that the app is still running.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Static

from engine.render.numbers import format_value
from engine.storage import ReviewStore
from engine.study.session import AnswerSession
from quizapp.app import QuizApp
from quizapp.screens.home import HomeScreen
from quizapp.screens.study import StudyScreen
from quizapp.screens.summary import SummaryScreen
from tests.conftest import DECKS
from tests.pilot import feedback_text, home_loaded, settle

DECK = """
---
title: Learner
id: learner
---

## Three parts {#three}

```quiz
kind: steps
given:
  a: 3
steps:
  - name: first
    prompt: "$p_1$ ="
    answer: a
  - name: second
    prompt: "$p_2$ ="
    answer: 20
  - name: third
    prompt: "$p_3$ ="
    answer: 8
```

Type 3, 20 and 8.

## Residual gradient {#residual}

```quiz
kind: symbolic
variables:
  yhat: real
  y: real
  n: positive integer
answer: 2*(yhat - y)/n
```

Write $\\partial L/\\partial \\hat y$ for $L = \\frac1n(\\hat y - y)^2$.

## Pick one {#pick}

```quiz
kind: choice
options: [minimum, maximum, saddle point]
answer: saddle point
```

Eigenvalues of both signs make a...

## Flash {#flash}

What is a saddle point?

### Answer
A critical point with eigenvalues of both signs.
"""


@pytest.fixture
def deck(write_deck: Callable[..., Path]) -> Path:
    return write_deck(DECK, "learner.md")


def make_app(store: ReviewStore, *paths: Path) -> QuizApp:
    clock = itertools.count(0.0, 4.0)
    return QuizApp(list(paths), store, seed=7, clock=lambda: next(clock))


def slow_checks(monkeypatch: pytest.MonkeyPatch, seconds: float, *, first_only: bool = True) -> None:
    """Make checks slow (the first of a launch, say, importing torch): typing must not wait for them."""
    original = AnswerSession.check
    calls = itertools.count()

    def check(self: AnswerSession, answer: str, step: Any = None) -> Any:
        if not first_only or next(calls) == 0:
            time.sleep(seconds)
        return original(self, answer, step)

    monkeypatch.setattr(AnswerSession, "check", check)


async def open_card(app: QuizApp, pilot: Any, card_id: str) -> StudyScreen:
    """Start a session on every deck and skip (unrecorded) to the card `card_id`."""
    await home_loaded(pilot)
    await pilot.press("a")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, StudyScreen)
    while screen.session.current is None or screen.session.current.card.card_id != card_id:
        screen.session.advance()
        screen.show_next_card()
        await settle(pilot)
    return screen


async def type_keys(pilot: Any, text: str) -> None:
    """Type `text` key by key, as a person does; '⏎' is Enter. Nothing waits for a check."""
    await pilot.press(*["enter" if char == "⏎" else char for char in text])


async def wait_for(app: QuizApp, pilot: Any, condition: Callable[[], bool]) -> None:
    for _ in range(300):
        if condition():
            return
        await asyncio.sleep(0.02)
        await pilot.pause()
    raise AssertionError("the condition never held")


def preview_text(app: QuizApp) -> str:
    return str(app.screen.query_one("#preview", Static).render())


def assert_running(app: QuizApp) -> None:
    assert app.is_running
    assert app.return_code is None


async def test_parts_typed_at_pace_while_a_check_is_slow(
    store: ReviewStore, deck: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_checks(monkeypatch, 1.0)
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_card(app, pilot, "three")
        await type_keys(pilot, "3⏎20⏎8⏎")  # the first part's check is still sleeping
        assert screen.parts == ["3", "20", "8"]
        await wait_for(app, pilot, lambda: screen.state == "feedback")
        assert "All 3 parts correct" in feedback_text(app)
        assert_running(app)
    (review,) = store.reviews()
    assert (review.card_id, review.answer, review.correct) == ("learner/three", "3; 20; 8", True)
    assert store.card_record("learner/three") is not None


async def test_adam_parts_typed_at_pace_on_a_torch_card(
    store: ReviewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_checks(monkeypatch, 0.5)
    app = make_app(store, DECKS / "starter.md")
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_card(app, pilot, "adam-one-step")
        instance = screen.session.current
        assert instance is not None
        answers = [format_value(instance.solution.parts[step.name].value) for step in instance.card.steps]
        for answer in answers:
            await type_keys(pilot, answer + "⏎")
        await wait_for(app, pilot, lambda: screen.state == "feedback")
        assert_running(app)
    (review,) = store.reviews()
    assert review.answer == "; ".join(answers)
    assert review.correct
    assert review.score == 1.0


async def test_several_parts_on_one_line_separated_by_semicolons(store: ReviewStore, deck: Path) -> None:
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_card(app, pilot, "three")
        await type_keys(pilot, "3; 20⏎8⏎")
        await wait_for(app, pilot, lambda: screen.state == "feedback")
    (review,) = store.reviews()
    assert review.answer == "3; 20; 8"
    assert review.correct


async def test_a_typo_keeps_the_card_open_with_the_text_intact(store: ReviewStore, deck: Path) -> None:
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_card(app, pilot, "residual")
        await type_keys(pilot, "2(ŷ - y/n⏎")
        await settle(pilot)
        assert screen.state == "answering"
        assert screen.query_one("#answer", Input).value == "2(ŷ - y/n"
        assert "⚠" in preview_text(app)
        assert store.reviews() == []
        # The fix: close the bracket where it belongs.
        screen.query_one("#answer", Input).value = "2(ŷ - y)/n"
        await pilot.press("enter")
        await wait_for(app, pilot, lambda: screen.state == "feedback")
        shown = unicodedata.normalize("NFC", feedback_text(app))
        assert "✓" in shown
        assert "2·(ŷ − y)/n" in shown
    (review,) = store.reviews()
    assert review.answer == "2(ŷ - y)/n"
    assert review.correct


async def test_a_typo_in_one_part_keeps_that_part(store: ReviewStore, deck: Path) -> None:
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_card(app, pilot, "three")
        await type_keys(pilot, "3⏎2*/0⏎")
        assert screen.parts == ["3"]
        assert screen.query_one("#answer", Input).value == "2*/0"
        assert "p₂" in preview_text(app) or "⚠" in preview_text(app)
        screen.query_one("#answer", Input).value = ""
        await type_keys(pilot, "20⏎8⏎")
        await wait_for(app, pilot, lambda: screen.state == "feedback")
    assert [r.answer for r in store.reviews()] == ["3; 20; 8"]


@pytest.mark.parametrize("typed", ["[/]", "[b]", "[b]maximum[/b]", "[red]x[/red]", "[@click=app.quit]y[/]"])
async def test_brackets_typed_are_text_never_markup(store: ReviewStore, deck: Path, typed: str) -> None:
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_card(app, pilot, "pick")
        await type_keys(pilot, typed)
        await settle(pilot)
        await asyncio.sleep(0.3)  # the debounced preview
        await settle(pilot)
        readable, message = screen.read(typed, None)
        assert not readable
        assert preview_text(app) == message
        assert typed in message
        await pilot.press("enter")
        await settle(pilot)
        assert screen.state == "answering"
        assert screen.query_one("#answer", Input).value == typed
        assert_running(app)
    assert store.reviews() == []


async def test_a_card_whose_check_raises_is_shown_broken_and_the_session_goes_on(
    store: ReviewStore, deck: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: AnswerSession, answer: str, step: Any = None) -> Any:
        raise RuntimeError("the reference exploded")

    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_card(app, pilot, "residual")
        monkeypatch.setattr(AnswerSession, "check", broken)
        await type_keys(pilot, "2(yhat-y)/n⏎")
        await wait_for(app, pilot, lambda: screen.state == "broken")
        assert "broken" in feedback_text(app)
        assert "the reference exploded" in feedback_text(app)
        monkeypatch.undo()
        await pilot.press("enter")
        await settle(pilot)
        assert screen.state == "answering"
        assert screen.session.current is not None
        assert screen.session.current.card.card_id == "pick"
        assert_running(app)
    assert store.reviews() == []


async def test_escape_on_the_feedback_keeps_the_review_and_its_schedule(
    store: ReviewStore, deck: Path
) -> None:
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_card(app, pilot, "pick")
        await type_keys(pilot, "c⏎")
        await wait_for(app, pilot, lambda: screen.state == "feedback")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SummaryScreen)
    (review,) = store.reviews()
    assert review.card_id == "learner/pick"
    assert review.correct
    state = store.card_record("learner/pick")
    assert state is not None
    assert state.reps == 1


async def test_escape_while_checking_records_the_answer_then_ends(
    store: ReviewStore, deck: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_checks(monkeypatch, 0.5)
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_card(app, pilot, "pick")
        await type_keys(pilot, "c⏎")
        await pilot.press("escape")  # the check is still running
        await wait_for(app, pilot, lambda: isinstance(app.screen, SummaryScreen))
    assert [r.card_id for r in store.reviews()] == ["learner/pick"]
    assert store.card_record("learner/pick") is not None


async def test_quit_while_checking_saves_the_answer_first(
    store: ReviewStore, deck: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_checks(monkeypatch, 0.5)
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_card(app, pilot, "pick")
        await type_keys(pilot, "c⏎")
        await pilot.press("ctrl+q")
        await wait_for(app, pilot, lambda: not app.is_running)
    assert [r.card_id for r in store.reviews()] == ["learner/pick"]
    assert store.card_record("learner/pick") is not None


async def test_undo_takes_back_the_answer_and_its_schedule(store: ReviewStore, deck: Path) -> None:
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_card(app, pilot, "pick")
        await type_keys(pilot, "a⏎")
        await wait_for(app, pilot, lambda: screen.state == "feedback")
        assert len(store.reviews()) == 1
        assert store.card_record("learner/pick") is not None
        await pilot.press("enter")  # on to the flash card
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert store.reviews() == []
        assert store.card_record("learner/pick") is None
        assert screen.session.current is not None
        assert screen.session.current.card.card_id == "pick"
        assert screen.state == "answering"
        await type_keys(pilot, "c⏎")
        await wait_for(app, pilot, lambda: screen.state == "feedback")
        assert_running(app)
    (review,) = store.reviews()
    assert review.answer == "c"
    assert review.correct


async def test_a_changed_rating_updates_the_same_record(store: ReviewStore, deck: Path) -> None:
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_card(app, pilot, "pick")
        await type_keys(pilot, "c⏎")
        await wait_for(app, pilot, lambda: screen.state == "feedback")
        await pilot.press("1")
        assert "Rating: Again" in feedback_text(app)
        await pilot.press("escape")
        await settle(pilot)
    (review,) = store.reviews()
    assert review.rating == 1
    state = store.card_record("learner/pick")
    assert state is not None
    assert state.reps == 1
    assert state.lapses == 0


async def test_a_flash_card_rated_hard_counts_as_recalled(store: ReviewStore, deck: Path) -> None:
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_card(app, pilot, "flash")
        await pilot.press("space")
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, SummaryScreen)
        assert "right  1" in str(app.screen.query_one("#summary", Static).render())
    (review,) = store.reviews()
    assert review.correct
    assert review.rating == 2


async def test_the_home_counts_are_fresh_after_a_session(store: ReviewStore, deck: Path) -> None:
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        await home_loaded(pilot)
        table = app.screen.query_one(DataTable)
        assert [str(c) for c in table.get_row_at(1)][:4] == ["Learner", "0", "4", "4"]
        await pilot.press("enter")  # the selected row: All decks
        await settle(pilot)
        await type_keys(pilot, "3⏎20⏎8⏎")
        await wait_for(app, pilot, lambda: app.screen.state == "feedback")  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("enter")  # back to the decks, without pressing r
        for _ in range(50):
            await settle(pilot)
            if isinstance(app.screen, HomeScreen) and str(table.get_row_at(1)[2]) == "3":
                break
        assert [str(c) for c in table.get_row_at(1)][:4] == ["Learner", "0", "3", "4"]


async def test_a_card_that_cannot_be_drawn_is_skipped_and_nothing_recorded(
    store: ReviewStore, deck: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.study.session

    real = engine.study.session.draw_instance

    def draw(card: Any, seed: int) -> Any:
        if card.card_id == "residual":
            raise ValueError("a given that cannot be evaluated")
        return real(card, seed)

    monkeypatch.setattr(engine.study.session, "draw_instance", draw)
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        await home_loaded(pilot)
        await pilot.press("a")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, StudyScreen)
        await type_keys(pilot, "3⏎20⏎8⏎")
        await wait_for(app, pilot, lambda: screen.state == "feedback")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.state == "broken"
        assert "a given that cannot be evaluated" in feedback_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.state == "answering"
        assert screen.session.current is not None
        assert screen.session.current.card.card_id == "pick"
        assert_running(app)
    assert [r.card_id for r in store.reviews()] == ["learner/three"]


def burst(app: QuizApp, text: str) -> None:
    """Keys as a terminal delivers a burst: all sent at once through the driver, none waiting
    for the screen they open ('⏎' is Enter). (Pilot's `press` waits after each key.)"""
    from textual import events

    assert app._driver is not None
    for char in text:
        key = "enter" if char == "⏎" else char
        event = events.Key(key, None if char == "⏎" else char)
        event.set_sender(app)
        app._driver.send_message(event)


async def test_an_answer_typed_straight_after_starting_is_kept(store: ReviewStore, deck: Path) -> None:
    """'a' opens the session and the answer follows at once: its keys reach the study screen
    before its answer line is focused, and must not be lost or read as the screen's keys
    (s suspends, b buries, h shows a hint, 1-4 rate)."""
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        await home_loaded(pilot)
        burst(app, "a3⏎20⏎8⏎")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, StudyScreen)
        await wait_for(app, pilot, lambda: screen.state == "feedback")
        assert_running(app)
    (review,) = store.reviews()
    assert (review.card_id, review.answer, review.correct) == ("learner/three", "3; 20; 8", True)


async def test_a_word_typed_straight_after_starting_suspends_nothing(store: ReviewStore, deck: Path) -> None:
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        await home_loaded(pilot)
        burst(app, "asb")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, StudyScreen)
        assert screen.query_one("#answer", Input).value == "sb"
        assert screen.session.position == 0  # nothing set aside, nothing skipped
        assert_running(app)
    assert store.reviews() == []


async def test_a_burst_of_parts_and_the_next_card_keeps_every_key(store: ReviewStore, deck: Path) -> None:
    """A terminal delivers keys in bursts: every Enter must act before the keys behind it
    are typed, on this card's parts and across Enter on the verdict to the next card."""
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_card(app, pilot, "three")
        burst(app, "3⏎20⏎8⏎")
        await wait_for(app, pilot, lambda: screen.state == "feedback")
        burst(app, "⏎2(ŷ - y)/n⏎")
        await wait_for(app, pilot, lambda: len(store.reviews()) == 2 and screen.state == "feedback")
        assert_running(app)
    first, second = store.reviews()
    assert (first.card_id, first.answer, first.correct) == ("learner/three", "3; 20; 8", True)
    assert (second.card_id, second.answer, second.correct) == ("learner/residual", "2(ŷ - y)/n", True)
