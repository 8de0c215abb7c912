"""The review log failing under the app: locked by another process, read-only, full.

The faults are injected on the live log: a second connection holding the write lock,
`PRAGMA query_only` (SQLite's own read-only error), and a connection whose writes fail
with SQLITE_FULL (what a full disk gives). In each case the learner is told, the answer
stays in the line, the app keeps running, and once the fault clears the answer reaches
the file exactly once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from engine.storage import ReviewStore
from quizapp.app import QuizApp
from quizapp.commands import EXIT_INTERNAL, EXIT_OK, app_exit_status
from tests.pilot import feedback_text, settle
from tests.quizapp.test_app_learner import DECK, assert_running, make_app, open_card, type_keys, wait_for


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ReviewStore]:
    with ReviewStore.open(tmp_path / "quizapp.sqlite3") as opened:
        opened._db.execute("PRAGMA busy_timeout = 200")  # a lock is given up on quickly in tests
        yield opened


@pytest.fixture
def deck(write_deck: Callable[..., Path]) -> Path:
    return write_deck(DECK, "learner.md")


def hold_the_write_lock(store: ReviewStore) -> Callable[[], None]:
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")

    def release() -> None:
        other.execute("ROLLBACK")
        other.close()

    return release


def read_only(store: ReviewStore) -> Callable[[], None]:
    store._db.execute("PRAGMA query_only = ON")
    return lambda: store._db.execute("PRAGMA query_only = OFF")


class FullDisk:
    """The store's connection, failing every write as a full disk does (SQLITE_FULL)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            raise sqlite3.OperationalError("database or disk is full")
        return self.connection.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.connection, name)


def full(store: ReviewStore) -> Callable[[], None]:
    connection = store._db
    store._db = FullDisk(connection)  # type: ignore[assignment]

    def clear() -> None:
        store._db = connection

    return clear


def notifications(app: QuizApp) -> str:
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


@pytest.mark.parametrize(
    ("fault", "message"),
    [(hold_the_write_lock, "locked"), (read_only, "readonly"), (full, "full")],
)
async def test_an_answer_survives_a_failing_log(
    store: ReviewStore, deck: Path, fault: Callable[[ReviewStore], Callable[[], None]], message: str
) -> None:
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_card(app, pilot, "pick")
        clear = fault(store)
        await type_keys(pilot, "c⏎")
        await wait_for(app, pilot, lambda: "not saved" in notifications(app))
        assert message in notifications(app).lower()
        assert screen.state == "answering"
        assert screen.query_one("#answer", Input).value == "c"  # kept, to submit again
        assert_running(app)
        clear()
        await pilot.press("enter")
        await wait_for(app, pilot, lambda: screen.state == "feedback")
        await pilot.press("escape")
        await settle(pilot)
    reviews = store.reviews()
    assert [(r.card_id, r.answer) for r in reviews] == [("learner/pick", "c")]
    assert store.card_record("learner/pick") is not None


async def test_the_home_screen_shows_the_decks_when_the_log_cannot_be_read(
    store: ReviewStore, deck: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.storage import StoreError

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise StoreError("could not read the review log: disk I/O error")

    monkeypatch.setattr(ReviewStore, "card_records", broken)
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        for _ in range(100):
            await settle(pilot)
            if getattr(app.screen, "decks", None):
                break
        from textual.widgets import DataTable

        table = app.screen.query_one(DataTable)
        assert [str(c) for c in table.get_row_at(1)][:4] == ["Learner", "?", "?", "4"]
        assert "disk I/O error" in notifications(app)
        assert_running(app)


class Crashing(QuizApp):
    def on_mount(self) -> None:
        raise RuntimeError("a bug")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the header's coroutine, cut short by the crash
def test_an_unexpected_error_gives_a_non_zero_exit_status(store: ReviewStore, deck: Path) -> None:
    app = Crashing([deck], store)
    app.run(headless=True, size=(80, 24))
    assert app.return_code
    assert app_exit_status(app) == EXIT_INTERNAL
    quits = make_app(store, deck)

    async def leave(pilot: Any) -> None:
        await pilot.press("ctrl+q")

    quits.run(headless=True, size=(80, 24), auto_pilot=leave)
    assert app_exit_status(quits) == EXIT_OK


async def test_an_undecided_answer_is_said_so_and_not_recorded(
    store: ReviewStore, deck: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two expressions that cannot be compared are neither right nor wrong: nothing is counted."""
    from engine import Verdict

    undecided = Verdict(
        False,
        "log(−x)",
        "log(x)",
        "Undecided: your answer and the expected one could not be compared.",
        judged=False,
    )
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_card(app, pilot, "residual")
        monkeypatch.setattr(screen.session, "check", lambda *args, **kwargs: undecided)
        await type_keys(pilot, "yhat⏎")
        await wait_for(app, pilot, lambda: screen.state == "broken")
        shown = feedback_text(app)
        assert "? Undecided: not counted." in shown
        assert "Your answer: log(−x)" in shown
        assert "broken" not in shown
        assert_running(app)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
    assert store.reviews() == []
