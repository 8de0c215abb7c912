"""The end of a session: how it went, the mistakes worth remembering, the leeches and cards set aside."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from engine import SetAsides, StoreError, StudySession, mistake_label, session_leeches


def format_duration(milliseconds: int) -> str:
    seconds = milliseconds // 1000
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


class SummaryScreen(Screen[None]):
    CSS_PATH = "summary.tcss"
    BINDINGS = [
        Binding("enter", "home", "Back to decks", show=True),
        Binding("escape", "home", "Back to decks", show=False),
    ]

    def __init__(self, session: StudySession, asides: SetAsides | None = None) -> None:
        super().__init__()
        self.session = session
        self.asides = asides

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.report(), id="summary")
        yield Footer()

    def report(self) -> str:
        session = self.session
        answered = len(session.answered)
        if answered == 0:
            nothing = [
                "[b]Nothing to study right now.[/]",
                "",
                "No card is due and today's new cards are done.",
            ]
            return "\n".join(nothing + self.set_aside_lines())
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
            lines += [
                f"  {escape(mistake_label(name))}" + (f" ×{count}" if count > 1 else "")
                for name, count in mistakes
            ]
        missed = {a.card.full_id: a.card for a in session.answered if not a.correct}
        if missed:
            lines += ["", "[b]To review[/]"]
            lines += [
                f"  {escape(card.title)}  [dim]{escape(card_id)}[/]" for card_id, card in missed.items()
            ]
        lines += self.leech_lines() + self.set_aside_lines()
        return "\n".join(lines)

    def leech_lines(self) -> list[str]:
        """The cards this session's lapses made leeches, with the mistake they are failed on most."""
        try:
            leeches = session_leeches(self.session)
        except StoreError:
            return []
        if not leeches:
            return []
        titles = {a.card.full_id: a.card.title for a in self.session.answered}
        lines = ["", "[b]New leeches[/] (failed again and again: rewrite them, or learn them another way)"]
        for leech in leeches:
            then = "suspended" if leech.suspended else "still in your reviews"
            mistake = f"; most often {escape(leech.mistake)} ×{leech.mistake_count}" if leech.mistake else ""
            title = escape(titles.get(leech.card_id, leech.card_id))
            lines.append(f"  {title}  [dim]{leech.lapses} lapses, {then}{mistake}[/]")
        return lines

    def set_aside_lines(self) -> list[str]:
        if self.asides is None or not self.asides.done:
            return []
        lines = ["", "[b]Set aside[/] (the card browser, b at home, takes them back)"]
        for aside in self.asides.done:
            how = "suspended" if aside.how == "suspend" else "buried until tomorrow"
            lines.append(f"  {escape(aside.card.title)}  [dim]{how}[/]")
        return lines

    def action_home(self) -> None:
        self.app.pop_screen()
