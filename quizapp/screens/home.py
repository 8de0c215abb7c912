"""The home screen: every deck with its due, new and total counts; pick one and study.

Decks are read in a worker thread after the screen is up, so the first frame appears as
fast as a bare Textual app's; a deck that fails to load is listed with its `file:line`
problem while the others stay usable. The counts are read again whenever the screen is
shown again (after a session, a drill, the statistics), so they are never stale.

"Due now" counts the cards whose review time has come; "New today" the new cards a
session would bring in now, under the daily limit that all decks share (so a deck's
number is what studying it alone would give, and "All decks" is not their sum).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from quizapp.screens.handover import note_route

if TYPE_CHECKING:
    from engine import Deck, Problem
    from quizapp.app import QuizApp

ALL_DECKS = "*"


@dataclass(frozen=True)
class DeckRow:
    deck_id: str
    title: str
    due: int | None  # None: the review log could not be read
    new: int | None
    total: int
    tags: tuple[str, ...]

    def cells(self) -> tuple[Text, str, str, str, Text]:
        """The row as the table shows it; deck text as rich Text, since a plain str cell is read as markup."""
        due, new = ("?" if n is None else str(n) for n in (self.due, self.new))
        return Text(self.title), due, new, str(self.total), Text(", ".join(self.tags))


class HomeScreen(Screen[None]):
    CSS_PATH = "home.tcss"
    BINDINGS = [
        Binding("enter", "study_selected", "Study deck", show=True),
        Binding("a", "study_all", "Study all"),
        Binding("d", "drill", "Drill"),
        Binding("s", "stats", "Statistics"),
        Binding("b", "browse", "Browse cards"),
        Binding("r", "reload", "Reload decks"),
    ]

    def on_key(self, event: events.Key) -> None:
        """Keys typed straight after this screen opens another belong to that one (`handover`)."""
        note_route(self, event)

    def __init__(self) -> None:
        super().__init__()
        self.decks: list[Deck] = []

    @property
    def quiz(self) -> QuizApp:
        from quizapp.app import QuizApp

        assert isinstance(self.app, QuizApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading decks…", id="status")
        yield DataTable(id="decks", cursor_type="row", zebra_stripes=True)
        yield Static("", id="problems", markup=False)  # deck text, never markup
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Deck", "Due now", "New today", "Total", "Tags")
        # In a worker thread from the start: the first frame is drawn meanwhile (measured:
        # no later than a bare app's), and the decks, mostly from the cache, follow.
        self.load_decks()

    def on_screen_resume(self) -> None:
        if self.decks:  # back from a session or a drill: the counts have changed
            self.load_decks()

    def action_reload(self) -> None:
        self.load_decks()

    @work(thread=True, exclusive=True, group="decks", exit_on_error=False)
    def load_decks(self) -> None:
        from engine import Catalog, Deck, StoreError, default_cache_dir

        # Decks read by an earlier launch, unchanged since, come from the cache (plain JSON).
        catalog = Catalog.load(self.quiz.deck_paths, cache_dir=default_cache_dir())
        every_deck = Deck("*", "All decks", Path(), (), tuple(c for d in catalog.decks for c in d.cards))
        try:
            rows = [self.quiz.deck_row(deck) for deck in catalog.decks]
            every = self.quiz.deck_row(every_deck)
        except StoreError as error:  # the log is locked or damaged: the decks without counts
            self.app.call_from_thread(self.quiz.store_failed, error, "count the due cards")
            rows = [DeckRow(d.id, d.title, None, None, len(d.cards), d.tags) for d in catalog.decks]
            every = DeckRow("*", "All decks", None, None, len(every_deck.cards), ())
        self.app.call_from_thread(self.show_decks, catalog.decks, rows, every, catalog.problems)

    def show_decks(
        self, decks: list[Deck], rows: list[DeckRow], every: DeckRow, problems: list[Problem]
    ) -> None:
        self.decks = decks
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        if rows:
            table.add_row(*every.cells(), key=ALL_DECKS)
        for row in rows:
            table.add_row(*row.cells(), key=row.deck_id)
        table.move_cursor(row=min(cursor, table.row_count - 1) if table.row_count else 0)
        table.focus()
        self.quiz.warm_up()
        status = self.query_one("#status", Static)
        count = sum(r.total for r in rows)
        status.update(
            f"{len(rows)} decks, {count} cards; up to {self.quiz.new_limit} new cards a day, shared by"
            " all decks. Enter studies the selected deck; a studies all; d drills; s shows statistics;"
            " b browses the cards."
        )
        damaged = self.quiz.store.damaged_rows
        if damaged:  # a hand-edited log: the rest is shown; say which rows were left out
            more = f" (and {len(damaged) - 1} more)" if len(damaged) > 1 else ""
            self.app.notify(
                f"{damaged[0]}{more}", title="Damaged review log", severity="warning", markup=False
            )
        errors = [p for p in problems if p.severity == "error"]
        listing = self.query_one("#problems", Static)
        listing.display = bool(errors)
        if errors:
            broken = sorted({str(p.path) for p in errors})
            lines = [f"⚠ {len(errors)} problems in {len(broken)} files (cards with errors are left out):"]
            lines += [f"  {p}" for p in errors[:8]]  # shown as plain text: see compose
            if len(errors) > 8:
                lines.append(f"  … and {len(errors) - 8} more: run `quizapp validate` to see them all")
            listing.update("\n".join(lines))

    def selected_deck_ids(self) -> list[str]:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return []
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return [d.id for d in self.decks] if key == ALL_DECKS else [str(key)]

    @on(DataTable.RowSelected)
    def row_selected(self) -> None:
        self.action_study_selected()

    def action_study_selected(self) -> None:
        self.quiz.start_session(self.selected_deck_ids())

    def action_study_all(self) -> None:
        self.quiz.start_session([d.id for d in self.decks])

    def action_drill(self) -> None:
        """A timed drill of mixed questions from the selected deck (or all decks)."""
        wanted = set(self.selected_deck_ids())
        self.quiz.start_drill([card for deck in self.decks if deck.id in wanted for card in deck.cards])

    def action_stats(self) -> None:
        self.quiz.show_stats()

    def action_browse(self) -> None:
        """The card browser: search the cards, see a card's history, suspend, bury or reset it."""
        self.quiz.show_browser()
