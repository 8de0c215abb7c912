"""One card, opened from the browser: its prompt, where it stands in the schedule, every answer given.

The keys act on it: `n` studies it now (a session of this card alone, due or not), `s`
suspends or unsuspends it, `b` buries it until tomorrow or unburies it, and `r` resets
it to new (after a confirmation: its schedule goes, its history stays). What is shown is
read again whenever the screen is shown again, so it is never stale after a session.

The prompt is the card's text with its math as Unicode (`render_math_text`); it, the
answers and the mistakes' names are shown as plain text, never markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Header, Static

from engine import StoreError, blanked, load_rows, render_math_text
from quizapp.card_commands import local_time
from quizapp.screens.browser import when
from quizapp.screens.handover import note_route

if TYPE_CHECKING:
    from engine import Card, CardRow, ReviewRow
    from quizapp.app import QuizApp

RATINGS = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
_ITEM = re.compile(r"\s*([-*+]|\d+[.)])\s")


def reflow(text: str) -> str:
    """Markdown's paragraphs as paragraphs: a line break inside one is a space, as a reader sees it.

    Lines that begin a list item, or are indented (code, display math), keep their own line.
    """
    lines: list[str] = []
    for line in text.strip().splitlines():
        keeps = not line.strip() or line.startswith(("    ", "\t")) or _ITEM.match(line) is not None
        if lines and lines[-1].strip() and not keeps and not lines[-1].startswith(("    ", "\t")):
            lines[-1] = f"{lines[-1].rstrip()} {line.strip()}"
        else:
            lines.append(line.rstrip())
    return "\n".join(lines)


def verdict_cell(review: ReviewRow) -> str:
    if review.verdict_json is None:
        return "self-rated"
    if review.correct:
        return "✓ right"
    return f"◐ {review.score:.0%}" if 0 < review.score < 1 else "✗ wrong"


def state_text(row: CardRow, now: datetime) -> Text:
    """Where the card stands: its FSRS state and memory, and whether it is set aside."""
    record = row.record
    text = Text()
    if record is None:
        text.append("new", "bold")
        text.append(": never studied (or reset); it comes with the day's new cards.")
    else:
        fsrs_card = record.card
        text.append(row.status, "bold")
        text.append(f" · due {when(record.due, now)} ({local_time(record.due)})")
        text.append(f" · {record.reps} reviews, {record.lapses} lapses\n")
        stability = f"{fsrs_card.stability:.1f} days" if fsrs_card.stability is not None else "–"
        difficulty = f"{fsrs_card.difficulty:.2f}" if fsrs_card.difficulty is not None else "–"
        recall = f"{row.retrievability:.0%}" if row.retrievability is not None else "–"
        text.append(f"stability {stability} · difficulty {difficulty} (1–10) · recall now {recall}")
        if record.last_review is not None:
            text.append(f" · last review {local_time(record.last_review)}")
    aside = ["suspended"] if row.suspended else []
    if row.flags is not None and row.flags.buried_until is not None and row.buried(now):
        aside.append(f"buried until {local_time(row.flags.buried_until)}")
    if row.leech:
        aside.append("a leech")
    if aside:
        text.append("\n")
        text.append("Set aside: " + ", ".join(aside), "yellow")
    return text


class ConfirmScreen(ModalScreen[bool]):
    """A yes-or-no question before something that cannot be taken back."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 60; height: auto; border: round $warning; background: $surface; padding: 1 2;
    }
    ConfirmScreen Horizontal { height: auto; margin-top: 1; }
    ConfirmScreen Button { margin-right: 2; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, yes: str) -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, markup=False)
            with Horizontal():
                yield Button(f"{self.yes} (y)", variant="warning", id="yes")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class CardScreen(Screen[None]):
    CSS_PATH = "card_view.tcss"
    BINDINGS = [
        Binding("n", "study", "Study now"),
        Binding("s", "suspend", "Suspend/unsuspend"),
        Binding("b", "bury", "Bury/unbury"),
        Binding("r", "reset", "Reset"),
        Binding("escape", "back", "Back"),
    ]

    def on_key(self, event: events.Key) -> None:
        """Keys typed straight after this screen opens another belong to that one (`handover`)."""
        note_route(self, event)

    def __init__(self, card: Card) -> None:
        super().__init__()
        self.card = card
        self.row: CardRow | None = None

    @property
    def quiz(self) -> QuizApp:
        from quizapp.app import QuizApp

        assert isinstance(self.app, QuizApp)
        return self.app

    def compose(self) -> ComposeResult:
        card = self.card
        yield Header()
        with VerticalScroll(id="card-view"):
            yield Static(
                Text.assemble((card.title, "bold"), (f"   {card.full_id} · {card.kind}", "dim")),
                id="card-head",
            )
            if card.tags:
                yield Static(Text("tags: " + ", ".join(card.tags), "dim"), id="card-tags")
            yield Static(reflow(render_math_text(blanked(card.prompt))), id="card-prompt", markup=False)
            yield Static("Reading the log…", id="card-state", markup=False)
            yield Static("History", id="history-title", markup=False)
            yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.card.full_id
        table = self.query_one("#history", DataTable)
        table.add_columns("When", "Mode", "Answer", "Verdict", "Mistake", "Rating", "Time")
        self.load()

    def on_screen_resume(self) -> None:
        if self.row is not None:  # back from studying it: new answers, a new state
            self.load()

    def now(self) -> datetime:
        clock = self.quiz.now
        return clock() if clock is not None else datetime.now(UTC)

    @work(thread=True, exclusive=True, group="card", exit_on_error=False)
    def load(self) -> None:
        """Read the card's state, flags and answers (the error boundary of this screen's reads)."""
        try:
            now = self.now()
            (row,) = load_rows(self.quiz.scheduler, [self.card], now)
            reviews = self.quiz.store.reviews(self.card.full_id)
        except StoreError as error:
            self.app.call_from_thread(self.quiz.store_failed, error, "read this card's history")
            return
        except Exception as error:
            self.app.call_from_thread(self.query_one("#card-state", Static).update, f"⚠ {error}")
            return
        self.app.call_from_thread(self.show, row, reviews, now)

    def show(self, row: CardRow, reviews: Sequence[ReviewRow], now: datetime) -> None:
        self.row = row
        self.query_one("#card-state", Static).update(state_text(row, now))
        self.query_one("#history-title", Static).update(
            f"History: {len(reviews)} answers, latest first" if reviews else "History: not answered yet"
        )
        table = self.query_one("#history", DataTable)
        table.clear()
        for review in reversed(reviews):
            table.add_row(
                local_time(review.reviewed_at),
                review.mode,
                Text(review.answer or "–", overflow="ellipsis", no_wrap=True),
                verdict_cell(review),
                Text(review.mistake or ""),
                RATINGS.get(review.rating, "–") if review.rating is not None else "–",
                f"{review.duration_ms / 1000:.0f} s",
            )

    # -- what the keys do --------------------------------------------------------------------

    def action_study(self) -> None:
        self.quiz.study_cards([self.card])

    def action_suspend(self) -> None:
        if self.row is None:
            return
        store, card_id, suspended = self.quiz.store, self.card.full_id, self.row.suspended
        self.change(lambda: store.unsuspend(card_id) if suspended else store.suspend(card_id))

    def action_bury(self) -> None:
        if self.row is None:
            return
        store, card_id, buried = self.quiz.store, self.card.full_id, self.row.buried(self.now())
        hour = self.quiz.scheduler.day_start_hour  # the study day, as the learner's settings start it
        self.change(lambda: store.unbury(card_id) if buried else store.bury(card_id, day_start_hour=hour))

    def action_reset(self) -> None:
        question = (
            f"Reset “{self.card.title}” to new? Its schedule (stability, due date, lapses) is "
            "forgotten and it comes back with the new cards; its history is kept."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.change(lambda: self.quiz.store.forget_card(self.card.full_id), "Reset to new.")

        self.app.push_screen(ConfirmScreen(question, "Reset"), answered)

    def change(self, write: Callable[[], object], done: str = "") -> None:
        """Make one change to the card in the log, report a failure, and show the card as it now is."""
        try:
            write()
        except StoreError as error:
            self.app.notify(error.message, title="Nothing was changed", severity="error", markup=False)
            return
        if done:
            self.app.notify(done, markup=False)
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()
