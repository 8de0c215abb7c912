"""Where the bundled decks are, in a source checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path


def bundled_decks_dir() -> Path:
    """The decks shipped with quizapp.

    A wheel carries them inside the package (`quizapp/decks`, see pyproject.toml); a
    source or editable checkout reads the repository's own `decks/`, so edits to a deck
    show up without reinstalling.
    """
    package = Path(__file__).resolve().parent
    inside = package / "decks"
    if inside.is_dir():
        return inside
    return package.parent / "decks"
