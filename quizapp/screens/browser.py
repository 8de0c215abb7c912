"""The card browser: every card with where it stands, searched as the learner types.

`b` on the home screen opens it. The query line takes the syntax of
`engine.study.browse` (`deck:optimizers tag:adam is:due gelu`, `sort:lapses`); the table
follows each keystroke, since the rows are read from the log once (in a worker thread,
when the screen opens and whenever it is shown again) and searched in memory. Enter opens
the selected card (`quizapp.screens.card_view`): its prompt, history and FSRS state, and
the keys to study it now, suspend or bury it, or reset it.

Card and deck text go into the table as `rich.text.Text`, never as markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from engine import QueryError, StoreError, load_rows, parse_query, search_rows

if TYPE_CHECKING:
    from engine import Card, CardRow
    from quizapp.app import QuizApp

SORTS = ("deck", "due", "stability", "retrievability", "lapses")
HINT = "deck:ID tag:T kind:K is:new|learning|review|due|suspended|buried|leech sort:due  words…"
_SORT_WORD = re.compile(r"(?:^|\s)sort:\S*")


def when(due: datetime, now: datetime) -> str:
    """How far away a due date is, in the unit that reads best: now, 40m, 5h, 3d, 2mo."""
    seconds = (due - now).total_seconds()
    if seconds <= 0:
        return "now"
    for unit, size in (("mo", 30 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return "<1m"


def row_cells(row: CardRow, now: datetime) -> tuple[Text, str, str, str, str, str, str]:
    """A card's row: title (as text, never markup), state, due in, stability, recall, lapses, flags."""
    record = row.record
    flags = "".join(
        letter for letter, on_ in (("S", row.suspended), ("B", row.buried(now)), ("L", row.leech)) if on_
    )
    return (
        Text(row.card.title, overflow="ellipsis", no_wrap=True),
        row.status,
        when(record.due, now) if record is not None else "",
        f"{row.stability:.1f}d" if row.stability is not None else "",
        f"{row.retrievability:.0%}" if row.retrievability is not None else "",
        str(row.lapses),
        flags,
    )


class BrowserScreen(Screen[None]):
    CSS_PATH = "browser.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("enter", "open", "Open card", show=True),
        Binding("o", "cycle_sort", "Sort"),
        Binding("slash", "search", "Search"),
    ]

    def __init__(self, cards: Sequence[Card], query: str = "") -> None:
        super().__init__()
        self.cards = list(cards)
        self.initial_query = query
        self.rows: list[CardRow] | None = None
        self.shown: list[CardRow] = []

    @property
    def quiz(self) -> QuizApp:
        from quizapp.app import QuizApp

        assert isinstance(self.app, QuizApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(self.initial_query, placeholder=HINT, id="query")
        yield Static("Reading the log…", id="browse-status", markup=False)
        yield DataTable(id="cards", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "cards"
        table = self.query_one("#cards", DataTable)
        table.add_column("Card", width=30, key="card")
        for label in ("State", "Due in", "Stab.", "R", "Lapses", "Flags"):
            table.add_column(label, key=label)
        self.query_one("#query", Input).focus()
        self.load()

    def on_screen_resume(self) -> None:
        if self.rows is not None:  # back from a card, a session: states and flags have changed
            self.load()

    @work(thread=True, exclusive=True, group="browse", exit_on_error=False)
    def load(self) -> None:
        """Read every card's state and flags from the log (the error boundary of the browser's reads)."""
        try:
            rows = load_rows(self.quiz.scheduler, self.cards, self.now())
        except StoreError as error:
            self.app.call_from_thread(self.quiz.store_failed, error, "read the cards' schedules")
            return
        except Exception as error:
            self.app.call_from_thread(self.show_status, f"⚠ Could not read the cards: {error}", True)
            return
        self.app.call_from_thread(self.loaded, rows)

    def now(self) -> datetime:
        """The app's today (tests pin it), else the clock's."""
        clock = self.quiz.now
        return clock() if clock is not None else datetime.now(UTC)

    def loaded(self, rows: list[CardRow]) -> None:
        self.rows = rows
        self.show_matches()

    @on(Input.Changed, "#query")
    def query_changed(self) -> None:
        if self.rows is not None:
            self.show_matches()

    @on(Input.Submitted, "#query")
    def query_submitted(self) -> None:
        table = self.query_one("#cards", DataTable)
        if table.row_count:
            table.focus()

    def show_matches(self) -> None:
        """The rows the query matches, in its order; a query that cannot be read keeps the last table."""
        assert self.rows is not None
        text = self.query_one("#query", Input).value
        try:
            query = parse_query(text)
        except QueryError as error:
            self.show_status(f"⚠ {error.message}", True)
            return
        now = self.now()
        self.shown = search_rows(self.rows, query, now)
        table = self.query_one("#cards", DataTable)
        table.clear()
        for row in self.shown:
            table.add_row(*row_cells(row, now), key=row.card.full_id)
        order = "" if query.sort == "deck" else f" · by {query.sort}"
        flags = "Flags: S suspended, B buried, L leech."
        self.show_status(f"{len(self.shown)} of {len(self.rows)} cards{order}.  {flags}", False)

    def show_status(self, message: str, problem: bool) -> None:
        status = self.query_one("#browse-status", Static)
        status.set_class(problem, "problem")
        status.update(message)

    @on(DataTable.RowSelected, "#cards")
    def row_selected(self, event: DataTable.RowSelected) -> None:
        self.open_card(str(event.row_key.value))

    def action_open(self) -> None:
        table = self.query_one("#cards", DataTable)
        if table.row_count:
            self.open_card(str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))

    def open_card(self, card_id: str) -> None:
        from quizapp.screens.card_view import CardScreen

        card = next((row.card for row in self.shown if row.card.full_id == card_id), None)
        if card is not None:
            self.app.push_screen(CardScreen(card))

    def action_cycle_sort(self) -> None:
        """The next order, written into the query line (`sort:...`), where the learner sees it."""
        line = self.query_one("#query", Input)
        try:
            current = parse_query(line.value).sort
        except QueryError:
            return
        following = SORTS[(SORTS.index(current) + 1) % len(SORTS)]
        words = _SORT_WORD.sub("", line.value).strip()
        line.value = " ".join(w for w in (words, "" if following == "deck" else f"sort:{following}") if w)

    def action_search(self) -> None:
        self.query_one("#query", Input).focus()

    def action_back(self) -> None:
        self.app.pop_screen()
