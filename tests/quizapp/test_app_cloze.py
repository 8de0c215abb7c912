"""Cloze cards and hints in the study app, driven at typing pace."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Static

from engine.storage import ReviewStore
from engine.study.scheduling import HARD
from quizapp.widgets.prompt_view import PromptView
from tests.conftest import FIXTURES, run_cli
from tests.pilot import feedback_text, settle
from tests.quizapp.test_app_learner import (
    assert_running,
    make_app,
    open_card,
    slow_checks,
    type_keys,
    wait_for,
)


@pytest.fixture
def deck(tmp_path: Path) -> Path:
    return Path(shutil.copy(FIXTURES / "cloze" / "cloze.md", tmp_path / "cloze.md"))


def shown_prompt(app: object) -> str:
    return app.screen.query_one("#prompt", PromptView).shown  # type: ignore[attr-defined, no-any-return]


async def test_blanks_fill_in_the_formula_as_they_are_typed(
    store: ReviewStore, deck: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_checks(monkeypatch, 0.5)
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_card(app, pilot, "batchnorm")
        assert "⟦1⟧" in shown_prompt(app)
        assert "⟦3⟧" in shown_prompt(app)
        assert "x − μ" not in shown_prompt(app)
        await type_keys(pilot, "x-mu⏎")  # its check is still sleeping: the fill is the text as typed
        assert "⟦x-mu⟧" in shown_prompt(app) or "⟦x − μ⟧" in shown_prompt(app)
        await type_keys(pilot, "sigma+eps⏎beta⏎")
        await wait_for(app, pilot, lambda: screen.state == "feedback")
        await settle(pilot)
        assert "⟦x − μ⟧" in shown_prompt(app)
        assert "⟦σ + ε⟧" in shown_prompt(app)
        assert "2 of 3 blanks correct; the first wrong blank is ⟦2⟧" in feedback_text(app)
        assert_running(app)
    (review,) = store.reviews()
    assert (review.card_id, review.answer, review.correct, review.score) == (
        "cloze/batchnorm",
        "x-mu; sigma+eps; beta",
        False,
        pytest.approx(2 / 3),
    )


async def test_escape_between_blanks_records_nothing(store: ReviewStore, deck: Path) -> None:
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_card(app, pilot, "batchnorm")
        await type_keys(pilot, "x-mu⏎")
        await pilot.press("escape")
        await settle(pilot)
        assert_running(app)
    assert store.reviews() == []


async def test_a_hint_is_shown_on_request_and_the_answer_earns_hard_at_best(
    store: ReviewStore, deck: Path
) -> None:
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_card(app, pilot, "adam-denominator")
        hints = screen.query_one("#hints", Static)
        assert not hints.display
        await type_keys(pilot, "sqrt(")  # typing: letters are the answer's, Ctrl+G asks for a hint
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert hints.display
        assert "Hint 1 of 2: The denominator rescales" in str(hints.render())
        await pilot.press("ctrl+g", "ctrl+g")  # the second, then nothing more
        await settle(pilot)
        assert "Hint 2 of 2: It is built from v̂ and ε." in str(hints.render())
        await type_keys(pilot, "vhat)+eps⏎")
        await wait_for(app, pilot, lambda: screen.state == "feedback")
        assert "✓" in feedback_text(app)
        assert_running(app)
    (review,) = store.reviews()
    assert review.answer == "sqrt(vhat)+eps"
    assert review.correct
    assert review.rating == HARD


async def test_no_hint_key_on_a_card_without_hints(store: ReviewStore, deck: Path) -> None:
    app = make_app(store, deck)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_card(app, pilot, "batchnorm")
        assert screen.check_action("hint", ()) is False
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert not screen.query_one("#hints", Static).display
        assert_running(app)


def test_show_prints_hints_on_request(capsys: pytest.CaptureFixture[str], deck: Path) -> None:
    code, out, _ = run_cli(capsys, "show", f"{deck}#adam-denominator", "--hint", "1")
    assert code == 0
    assert "Hint 1 of 2: The denominator rescales" in out
    assert "Hint 2" not in out
    assert r"\frac{\eta\,\hat m}{⟦1⟧}" in out
    assert "blank" not in out
    code, _, err = run_cli(capsys, "show", f"{deck}#batchnorm", "--hint", "1")
    assert code == 2
    assert "has none" in err
