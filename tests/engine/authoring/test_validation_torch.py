"""`validate` against torch: a deck copying the notes' wrong formulas is flagged card by card,
with the right known mistake named, and the same deck with torch's formulas validates clean."""

from __future__ import annotations

import re

from engine.authoring.validation import validate
from engine.references import render_reference_docs
from tests.conftest import FIXTURES, REPO

NOTES = FIXTURES / "notes"


def test_the_notes_formulas_are_flagged_with_the_right_mistake() -> None:
    expected = dict(line.split() for line in (NOTES / "expected_mistakes.txt").read_text().splitlines())
    report = validate([NOTES / "wrong.md"], samples=200)
    assert report.cards == len(expected)
    assert report.errors == len(expected)
    assert report.warnings == 0
    headings = {
        index + 1: match.group(1)
        for index, line in enumerate((NOTES / "wrong.md").read_text().splitlines())
        if (match := re.search(r"\{#([\w-]+)\}", line))
    }
    found = {}
    for problem in report.problems:
        card = headings[max(line for line in headings if line <= problem.line)]
        assert "disagrees with torch reference" in problem.message
        assert " at seed " in problem.message
        mistake = re.search(r"matches the known mistake '([\w.-]+)'", problem.message)
        assert mistake is not None, problem.message
        found[card] = mistake.group(1)
    assert found == expected


def test_the_same_deck_with_torchs_formulas_is_clean() -> None:
    report = validate([NOTES / "right.md"], samples=500)
    assert report.problems == []
    assert report.cards == 13


def test_validation_is_deterministic_with_a_seed() -> None:
    first = validate([NOTES / "wrong.md"], samples=50, seed=3).problems
    again = validate([NOTES / "wrong.md"], samples=50, seed=3).problems
    assert first == again


def test_docs_references_md_is_in_step_with_the_registry() -> None:
    assert (REPO / "docs" / "references.md").read_text(encoding="utf-8") == render_reference_docs()
