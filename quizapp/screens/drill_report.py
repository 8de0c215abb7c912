"""The end of a drill: score, time per question, named mistakes, weak topics, what to
review, and the comparison with earlier drills. Answers and explanations, held back
while the clock ran, are given here."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from engine import DrillReport, mistake_label
from quizapp.screens.summary import format_duration


def report_text(report: DrillReport) -> str:
    """The report as Rich markup (deck and answer text escaped)."""
    result = report.result
    skipped = sum(a.skipped for a in report.answers)
    per_question = (
        f" ({format_duration(result.duration_ms // len(report.answers))} a question)"
        if report.answers
        else ""
    )
    lines = [
        f"[b]Drill over[/]: {result.correct} of {result.questions} right  ([b]{result.accuracy:.0%}[/])"
        f"  ·  {result.answered} answered"
        + (f", {skipped} skipped" if skipped else "")
        + f"  ·  {format_duration(result.duration_ms)}{per_question}",
        "",
        "[b]Questions[/]",
    ]
    for index, answer in enumerate(report.answers, start=1):
        verdict = answer.verdict
        mark = "[green]✓[/]" if verdict.correct else ("[yellow]–[/]" if answer.skipped else "[red]✗[/]")
        given = "skipped" if answer.skipped else escape(verdict.interpreted or answer.answer)
        lines.append(
            f" {mark} {index:>2}. {escape(answer.card.title)}  [dim]{format_duration(answer.duration_ms)}[/]"
        )
        if not verdict.correct:
            expected = escape(verdict.expected.replace("\n", "; "))
            lines.append(f"        yours: {given}   expected: {expected}")
    for card in report.unanswered:
        lines.append(f" [dim]·     {escape(card.title)}  (not reached)[/]")
    if report.mistakes:
        lines += ["", "[b]Mistakes named[/]"]
        lines += [
            f"  {escape(mistake_label(name))}" + (f" ×{count}" if count > 1 else "")
            for name, count in report.mistakes
        ]
    if report.weakest:
        lines += ["", "[b]Weakest topics[/]"]
        lines += [f"  {escape(t.tag)}  {t.accuracy:.0%} of {t.total}" for t in report.weakest]
    if report.to_review:
        lines += ["", "[b]To review[/]"]
        lines += [f"  {escape(card.title)}  [dim]{escape(card.full_id)}[/]" for card in report.to_review]
    lines += ["", "[b]Compared with earlier drills[/]", f"  {escape(report.comparison())}"]
    if report.earlier:
        trend = " → ".join(f"{d.accuracy:.0%}" for d in report.earlier) + f" → [b]{result.accuracy:.0%}[/]"
        lines.append(f"  {trend}")
    if not result.scheduled:
        lines += [
            "",
            "[dim]This drill did not change your review schedule (quizapp drill --schedule does).[/]",
        ]
    return "\n".join(lines)


class DrillReportScreen(Screen[None]):
    CSS_PATH = "drill_report.tcss"
    BINDINGS = [
        Binding("enter", "home", "Back to decks", show=True),
        Binding("escape", "home", "Back to decks", show=False),
    ]

    def __init__(self, report: DrillReport) -> None:
        super().__init__()
        self.report = report

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(report_text(self.report), id="report")
        yield Footer()

    def action_home(self) -> None:
        self.app.pop_screen()
