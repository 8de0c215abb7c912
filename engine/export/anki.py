"""Export decks to an Anki package (.apkg) with genanki.

One note per card. Three choices make the package useful beyond a first import:

- each note's guid is derived from the card's full id (`deck-id/card-id`), the identity
  progress belongs to in quizapp too, so importing a re-export updates the notes instead
  of duplicating them, and editing a card's text keeps its Anki history;
- math stays LaTeX, delimited for MathJax (`\\( \\)` and `\\[ \\]`), which Anki renders;
  where the math is comes from engine.render's `math_spans`, the finder the app uses too,
  so a card's `$5` is a price in both and its code spans are code in both; the rest of the
  markdown becomes HTML, with raw HTML in a deck escaped, not passed on;
- a randomised card cannot re-draw its numbers in Anki, so it is exported as one fixed
  instance (seed `EXPORT_SEED`, the one `quizapp show CARD` prints) with its answer;
- a cloze card becomes a real Anki cloze note (`{{c1::...}}`, one Anki card per blank),
  its deletions spaced so that Anki's `}}` never meets LaTeX's (`engine.decks.blanks`).

genanki is imported here, when an export runs, never at quizapp's start.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from engine.decks.cards import Card, Deck
from engine.decks.loader import unexpected_error
from engine.errors import EngineError
from engine.render import MathSpan, replace_math

EXPORT_SEED: Final = 0
MODEL_NAME: Final = "quizapp card"
CLOZE_MODEL_NAME: Final = "quizapp cloze"
_TOKEN: Final = "QZMATH{}QZ"
_CSS: Final = """
.card { font-family: sans-serif; font-size: 18px; text-align: left; color: black; background: white; }
.title { font-weight: bold; }
.answer { margin: 0.5em 0; }
.meta { color: #888; font-size: 12px; }
"""


@dataclass
class ExportReport:
    """What went into the package, and the cards that could not (with why)."""

    notes: int = 0
    decks: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


def stable_id(text: str) -> int:
    """A stable id for genanki's models and decks (Anki wants a positive 31-bit-ish integer)."""
    return (1 << 30) + int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") % (1 << 30)


def note_guid(card: Card) -> str:
    """The note's guid: a function of the full card id only, so a re-export updates the note."""
    import genanki

    guid: str = genanki.guid_for("quizapp", card.full_id)
    return guid


def markdown_to_html(text: str) -> str:
    """Markdown to HTML, with `$...$` math kept intact and delimited for MathJax."""
    from markdown_it import MarkdownIt

    spans: list[str] = []

    def stash(span: MathSpan) -> str:
        """Swap the math for a token markdown leaves alone, to put back after rendering."""
        opening, closing = ("\\[", "\\]") if span.display else ("\\(", "\\)")
        spans.append(opening + html.escape(span.tex, quote=False) + closing)
        return _TOKEN.format(len(spans) - 1)

    stashed = replace_math(text, stash)
    rendered: str = MarkdownIt("commonmark", {"html": False}).enable("table").render(stashed)
    for index, span in enumerate(spans):
        rendered = rendered.replace(_TOKEN.format(index), span)
    return rendered.strip()


def card_fields(card: Card) -> tuple[str, str]:
    """The front and back of a card's note; randomised cards as their `EXPORT_SEED` instance."""
    from engine.decks.instance import draw_instance
    from engine.decks.kinds import kind_of

    instance = draw_instance(card, EXPORT_SEED)
    front = [f'<div class="title">{html.escape(card.title)}</div>', markdown_to_html(instance.prompt)]
    kind = kind_of(card)
    listing = kind.listing(card)
    if listing is not None:  # options (lettered) or parts (numbered)
        items = "".join(f"<li>{html.escape(item)}</li>" for item in listing.items)
        front.append(f'<ol type="{listing.numbering}">{items}</ol>')
    back: list[str] = []
    if kind.checked:
        expected = html.escape(kind.expected_text(instance)).replace("\n", "<br>")
        back.append(f'<div class="answer"><b>Answer:</b> {expected}</div>')
    if instance.explanation:
        back.append(markdown_to_html(instance.explanation))
    meta = card.full_id + (f" · instance {EXPORT_SEED}" if card.given else "")
    back.append(f'<div class="meta">{html.escape(meta)}</div>')
    return "\n".join(front), "\n".join(back)


def cloze_fields(card: Card) -> tuple[str, str]:
    """The Text (with `{{cN::...}}` deletions) and Back Extra of a cloze card's note."""
    from engine.decks.blanks import anki_clozes
    from engine.decks.instance import draw_instance

    instance = draw_instance(card, EXPORT_SEED)
    text = [
        f'<div class="title">{html.escape(card.title)}</div>',
        markdown_to_html(anki_clozes(instance.prompt_with_blanks)),
    ]
    extra = [markdown_to_html(instance.explanation)] if instance.explanation else []
    extra.append(f'<div class="meta">{html.escape(card.full_id)}</div>')
    return "\n".join(text), "\n".join(extra)


def export_anki(decks: Sequence[Deck], path: Path, *, timestamp: float | None = None) -> ExportReport:
    """Write `decks` to the .apkg at `path`; `timestamp` pins the package's own times (tests)."""
    import genanki

    from engine.decks.kinds import KINDS

    cloze_model = genanki.Model(
        stable_id("quizapp-cloze-model-v1"),
        CLOZE_MODEL_NAME,
        fields=[{"name": "Text"}, {"name": "Back Extra"}, {"name": "CardId"}],
        templates=[
            {
                "name": "Cloze",
                "qfmt": "{{cloze:Text}}",
                "afmt": "{{cloze:Text}}\n\n<hr id=answer>\n\n{{Back Extra}}",
            }
        ],
        css=_CSS,
        model_type=genanki.Model.CLOZE,
    )
    model = genanki.Model(
        stable_id("quizapp-model-v1"),
        MODEL_NAME,
        fields=[{"name": "Front"}, {"name": "Back"}, {"name": "CardId"}],
        templates=[
            {
                "name": "Card 1",
                "qfmt": "{{Front}}",
                "afmt": "{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}}",
            }
        ],
        css=_CSS,
    )
    report = ExportReport()
    packaged: list[Any] = []
    for deck in decks:
        anki_deck = genanki.Deck(stable_id(f"quizapp-deck:{deck.id}"), f"quizapp::{deck.title}")
        for card in deck.cards:
            cloze = KINDS[card.kind].blanks
            try:
                front, back = cloze_fields(card) if cloze else card_fields(card)
            except EngineError as error:
                report.skipped.append((card.full_id, error.message))
                continue
            except Exception as error:  # the card's last-resort boundary: the other cards are exported
                report.skipped.append((card.full_id, unexpected_error(error)))
                continue
            tags = [tag.replace(" ", "_") for tag in (deck.id, *card.tags)]
            anki_deck.add_note(
                genanki.Note(
                    model=cloze_model if cloze else model,
                    fields=[front, back, card.full_id],
                    tags=list(dict.fromkeys(tags)),
                    guid=note_guid(card),
                )
            )
            report.notes += 1
        packaged.append(anki_deck)
        report.decks += 1
    genanki.Package(packaged).write_to_file(str(path), timestamp=timestamp)
    return report
