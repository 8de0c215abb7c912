"""The bundled decks: enough cards of every kind, and every section of the notes covered."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from engine.decks.catalog import Catalog
from tests.conftest import DECKS, REPO

SEEDS = REPO.parent / "shared" / "seeds"
SUB_HEADINGS = {"优点", "缺点"}  # pros and cons: part of their parent section
KINDS = ("flash", "symbolic", "numeric", "choice", "steps", "cloze")
CANON_DECKS = (
    "backprop",
    "transformers",
    "convolutions",
    "precision",
    "positional",
    "derivations",
    "formulas",
)
PRIVATE = re.compile(r"\bS[0-4]\b|\b(?i:the (?:study )?notes?|study notes|torch's example)\b")
"""What a learner without the private notes cannot follow: a note by name, or an example not shown."""


def note_sections(path: Path) -> list[str]:
    """The section headings of a note: markdown headings, or "3.1 ..." lines in the one without them."""
    text = path.read_text(encoding="utf-8")
    if not re.search(r"^#", text, re.MULTILINE):
        return [line.strip() for line in text.splitlines() if re.match(r"^\d+\.\d+\s", line)]
    sections = []
    for line in text.splitlines():
        match = re.match(r"^#{1,6}\s+(.*?)\s*$", line)
        if match:
            heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match.group(1)).strip()
            if heading and heading not in SUB_HEADINGS:
                sections.append(heading)
    return sections


def coverage_rows() -> dict[tuple[str, str], list[str]]:
    rows: dict[tuple[str, str], list[str]] = {}
    for line in (REPO / "docs" / "coverage.md").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\|\s*(S\d)\s*\|\s*(.+?)\s*\|\s*(.+?)\s*\|$", line)
        if match:
            rows[(match.group(1), match.group(2))] = [c.strip() for c in match.group(3).split(",")]
    return rows


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load([DECKS])


def test_cards_per_deck_and_per_kind(catalog: Catalog) -> None:
    assert catalog.problems == []
    per_deck = {deck.id: Counter(card.kind for card in deck.cards) for deck in catalog.decks}
    total = sum(sum(kinds.values()) for kinds in per_deck.values())
    assert total >= 450
    assert len(per_deck) >= 13
    areas = {"optimizers", "gradient-descent", "schedules", "activations", "normalization", "losses",
             "initialization", "critical-points", "regularization"}  # fmt: skip
    assert areas <= set(per_deck)
    for deck_id in areas:
        kinds = per_deck[deck_id]
        assert sum(kinds.values()) >= 15, deck_id
        assert {"numeric", "symbolic", "choice", "flash"} <= set(kinds), (deck_id, kinds)
    everything = sum(per_deck.values(), Counter())
    assert all(everything[kind] >= 15 for kind in KINDS), everything
    assert everything["cloze"] >= 30


def test_every_card_is_self_contained(catalog: Catalog) -> None:
    """No card points at the private notes (S0–S4, "the note") or at an example it never shows."""
    cited = []
    for deck in catalog.decks:
        for card in deck.cards:
            texts = [card.title, card.prompt, card.explanation, *card.hints, *card.options]
            texts += [m.feedback for m in card.mistakes]
            texts += [t for step in card.steps for t in (step.prompt, *(m.feedback for m in step.mistakes))]
            cited += [(card.full_id, match.group()) for text in texts if (match := PRIVATE.search(text))]
    assert cited == []


def canon_rows() -> dict[str, list[str]]:
    section = (
        (REPO / "docs" / "coverage.md").read_text(encoding="utf-8").split("## The interview canon", 1)[1]
    )
    rows = {}
    for line in section.splitlines():
        match = re.match(r"^\|\s*(.+?)\s*\|\s*(.+?)\s*\|$", line)
        if match and match.group(1) not in ("topic", "---"):
            rows[match.group(1)] = [c.strip() for c in match.group(2).split(",")]
    return rows


def test_the_interview_canon_is_mapped_card_by_card(catalog: Catalog) -> None:
    rows = canon_rows()
    assert len(rows) >= 40
    listed = {card for cards in rows.values() for card in cards}
    cards = {card.full_id for deck in catalog.decks for card in deck.cards}
    assert sorted(listed - cards) == []
    canon = {card.full_id for deck in catalog.decks if deck.id in CANON_DECKS for card in deck.cards}
    assert sorted(canon - listed) == []
    assert {deck.id for deck in catalog.decks} >= set(CANON_DECKS)


def test_every_card_with_a_torch_counterpart_is_cross_checked(catalog: Catalog) -> None:
    numeric = [c for d in catalog.decks for c in d.cards if c.kind == "numeric"]
    with_reference = [c for c in numeric if c.reference is not None]
    assert len(with_reference) >= 0.7 * len(numeric)
    assert all(c.answer is not None for c in with_reference if c.deck_id != "starter")


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the study notes are not beside the project")
def test_every_section_of_every_note_is_covered(catalog: Catalog) -> None:
    rows = coverage_rows()
    cards = {card.full_id for deck in catalog.decks for card in deck.cards}
    for index, path in enumerate(sorted(SEEDS.glob("*.txt"))):
        note = f"S{index}"
        sections = note_sections(path)
        assert sections, path
        missing = [s for s in sections if (note, s) not in rows]
        assert missing == [], f"{path.name}: sections without cards in docs/coverage.md: {missing}"
    unknown = sorted({c for listed in rows.values() for c in listed} - cards)
    assert unknown == []
