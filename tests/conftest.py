"""Shared fixtures: decks written on the fly, so each test shows the deck it is about."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine import ReviewStore

REPO = Path(__file__).resolve().parent.parent
DECKS = REPO / "decks"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def deck_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the app's cache of read decks out of the user's home, one folder per test."""
    folder = tmp_path_factory.mktemp("deck-cache")
    monkeypatch.setenv("QUIZAPP_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def config_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the learner's settings file out of the tests: an empty config folder, so the defaults apply."""
    folder = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("QUIZAPP_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ReviewStore]:
    """A new review log in a temporary folder (modules that need a pinned time zone override it)."""
    with ReviewStore.open(tmp_path / "quizapp.sqlite3") as opened:
        yield opened


@pytest.fixture
def write_deck(tmp_path: Path) -> Callable[..., Path]:
    """Write a deck (dedented) into a temporary folder and return its path."""

    def write(text: str, name: str = "deck.md") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`quizapp ARGS` in this process: the exit status, standard output and standard error."""
    from quizapp.cli import main

    try:
        code = main(list(args))
    except SystemExit as exit:  # argparse's own usage errors
        code = int(exit.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err
