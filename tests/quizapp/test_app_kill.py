"""Killing the app mid-session (SIGKILL, no chance to clean up) loses no answer already given."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from engine.storage import ReviewStore
from tests.conftest import FIXTURES

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from textual.widgets import Input
    from engine.storage import ReviewStore
    from quizapp.app import QuizApp

    store = ReviewStore.open(Path(sys.argv[1]))
    app = QuizApp([Path(sys.argv[2])], store, seed=7)

    async def settle(pilot):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()

    async def session(pilot):
        while not getattr(app.screen, "decks", None):
            await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        for answer in ("0.4", "sigmoid(x)"):
            app.screen.query_one("#answer", Input).value = answer
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
        print("answered", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    app.run(headless=True, size=(100, 40), auto_pilot=session)
    """
)


def test_sigkill_mid_session_keeps_every_answer(tmp_path: Path) -> None:
    database = tmp_path / "quizapp.sqlite3"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(database), str(FIXTURES / "study")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert "answered" in result.stdout
    with ReviewStore.open(database) as store:
        reviews = store.reviews()
        assert [r.card_id for r in reviews] == ["fixture/half", "fixture/sigmoid-prime"]
        assert [r.answer for r in reviews] == ["0.4", "sigmoid(x)"]
        assert [r.correct for r in reviews] == [True, False]
        assert reviews[1].mistake == "forgot-to-differentiate"
        # The first card was rated and moved past before the kill, so it is scheduled.
        assert store.card_state("fixture/half") is not None
