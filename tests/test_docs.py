"""The examples in the documentation are real: they load and validate clean."""

from __future__ import annotations

import re
from pathlib import Path

from engine.authoring.validation import validate
from tests.conftest import REPO

DOC = (REPO / "docs" / "deck-format.md").read_text(encoding="utf-8")


def test_the_complete_deck_example_validates(tmp_path: Path) -> None:
    match = re.search(r"````markdown\n(.*?)````", DOC, re.DOTALL)
    assert match is not None
    deck = tmp_path / "example.md"
    deck.write_text(match.group(1), encoding="utf-8")
    report = validate([deck], samples=100)
    assert report.problems == []
    assert report.cards == 2


def test_every_yaml_example_is_a_valid_card(tmp_path: Path) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC, re.DOTALL)
    assert len(blocks) >= 4
    cards = "\n".join(
        f"## Example {i} {{#example-{i}}}\n\n```quiz\n{block}```\n\nPrompt.\n"
        for i, block in enumerate(blocks)
    )
    deck = tmp_path / "examples.md"
    deck.write_text(cards, encoding="utf-8")
    report = validate([deck], samples=100)
    # Shown without their prompts ("Prompt."), the examples cannot say the defaults they change.
    assert [p for p in report.problems if p.code != "default-override-not-in-prompt"] == []
    assert report.cards == len(blocks)
