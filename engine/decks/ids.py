"""`quizapp validate --fix-ids`: write a card id into every heading that lacks one."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from engine.decks.files import DeckFileError, decode_deck, read_deck_bytes
from engine.decks.loader import DeckReader, markdown_parser, slugify

if TYPE_CHECKING:
    pass


def add_missing_ids(path: Path) -> list[tuple[int, str]]:
    """Write a slug id into every card heading of `path` that lacks one.

    Only those heading lines change (the rest of the file is kept byte for byte); the
    ids are unique within the deck. Returns (line, id) for each id written. Raises
    DeckFileError for a file `load_deck` would not read either (not a regular file,
    too large, not UTF-8), leaving it untouched.
    """
    source = decode_deck(read_deck_bytes(path))  # bytes: keep the file's own line endings
    lines = source.splitlines(keepends=True)
    sections = DeckReader(path, source).sections(markdown_parser().parse(source))
    taken = {s.card_id for s in sections if s.card_id}
    added: list[tuple[int, str]] = []
    for section in sections:
        if section.card_id is not None:
            continue
        base = slugify(section.title)
        card_id, counter = base, 2
        while card_id in taken:
            card_id, counter = f"{base}-{counter}", counter + 1
        taken.add(card_id)
        index = section.line - 1
        body = lines[index].rstrip("\r\n")
        ending = lines[index][len(body) :]
        lines[index] = f"{body.rstrip()} {{#{card_id}}}{ending}"
        added.append((section.line, card_id))
    if added:
        temporary = path.with_name(path.name + ".tmp")
        try:
            temporary.write_bytes("".join(lines).encode("utf-8"))
            temporary.replace(path)
        except OSError as error:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            raise DeckFileError(f"cannot write: {error.strerror or error}") from error
    return added
