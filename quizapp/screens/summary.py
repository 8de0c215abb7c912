"""The end of a session: how it went, and the mistakes worth remembering."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from engine import StudySession


def format_duration(milliseconds: int) -> str:
    seconds = milliseconds // 1000
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


class SummaryScreen(Screen[None]):
    CSS_PATH = "summary.tcss"
    BINDINGS = [
        Binding("enter", "home", "Back to decks", show=True),
        Binding("escape", "home", "Back to decks", show=False),
    ]

    def __init__(self, session: StudySession) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.report(), id="summary")
        yield Footer()

    def report(self) -> str:
        session = self.session
        answered = len(session.answered)
        if answered == 0:
            return "[b]Nothing to study right now.[/]\n\nNo card is due and today's new cards are done."
        lines = [
            f"[b]Session complete[/]: {answered} of {session.total} cards",
            "",
            f"  [green]✓ right[/]  {session.right}",
            f"  [red]✗ wrong[/]  {session.wrong}",
            f"  time     {format_duration(session.time_ms)}"
            f" ({format_duration(session.time_ms // answered)} a card)",
        ]
        mistakes = session.mistakes_seen()
        if mistakes:
            lines += ["", "[b]Mistakes seen[/]"]
            lines += [f"  {escape(name)}" + (f" ×{count}" if count > 1 else "") for name, count in mistakes]
        missed = {a.card.full_id: a.card for a in session.answered if not a.correct}
        if missed:
            lines += ["", "[b]To review[/]"]
            lines += [
                f"  {escape(card.title)}  [dim]{escape(card_id)}[/]" for card_id, card in missed.items()
            ]
        return "\n".join(lines)

    def action_home(self) -> None:
        self.app.pop_screen()
