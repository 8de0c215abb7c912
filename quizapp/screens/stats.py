"""The statistics screen: the review log as plots (textual-plotext) and a short summary.

The numbers are `engine.stats.Stats`, the same `quizapp stats` prints, so the screen and
the command line cannot disagree; this module only lays them out. plotext is imported
with this module, which the app imports only when the screen is opened.
"""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual_plotext import PlotextPlot

from engine.stats import Stats

PLOTTED_DAYS = 14
PLOTTED_TAGS = 8


def summary_text(stats: Stats) -> str:
    if not stats.reviews:
        return "[b]No reviews yet.[/] Study or drill a deck, and your progress appears here."
    retention = (
        f"[b]{stats.retention:.0%}[/] of {stats.retention_reviews} repeated reviews"
        if stats.retention is not None
        else "not yet measured"
    )
    lines = [
        f"[b]{stats.reviews}[/] reviews ({stats.study_reviews} study, {stats.drill_reviews} drill)"
        f" of {stats.cards_seen} cards   ·   retention {retention}"
        f"   ·   due by the end of today (04:00) [b]{stats.forecast[0][1] if stats.forecast else 0}[/]",
    ]
    if stats.mistakes:
        top = ", ".join(f"{escape(name)} ×{count}" for name, count in stats.mistakes[:5])
        lines.append(f"Mistakes seen most often: {top}")
    if stats.by_deck:
        decks = ", ".join(f"{escape(a.name)} {a.ratio:.0%}" for a in stats.by_deck)
        lines.append(f"Accuracy by deck (weakest first): {decks}")
    return "\n".join(lines)


class StatsScreen(Screen[None]):
    CSS_PATH = "stats.tcss"
    BINDINGS = [Binding("escape", "back", "Back"), Binding("s", "back", "Back", show=False)]

    def __init__(self, stats: Stats) -> None:
        super().__init__()
        self.stats = stats

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(summary_text(self.stats), id="summary")
            with Grid(id="plots"):
                yield PlotextPlot(id="per-day")
                yield PlotextPlot(id="forecast")
                yield PlotextPlot(id="by-tag")
                yield PlotextPlot(id="drills")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "statistics"
        stats = self.stats
        days = stats.days[-PLOTTED_DAYS:]
        per_day = self.query_one("#per-day", PlotextPlot).plt
        labels = [f"{d.day:%d}" for d in days]
        per_day.stacked_bar(
            labels,
            [[d.right for d in days], [d.reviews - d.right for d in days]],
            labels=["right", "wrong"],
            color=["green", "red"],
        )
        per_day.title(f"Reviews per day (last {len(days)})")

        forecast = self.query_one("#forecast", PlotextPlot).plt
        forecast.bar([f"{day:%d}" for day, _ in stats.forecast], [n for _, n in stats.forecast], color="blue")
        forecast.ylim(0, max(1, *(n for _, n in stats.forecast)))
        forecast.title("Due forecast (from today)")

        by_tag = self.query_one("#by-tag", PlotextPlot).plt
        tags = list(stats.by_tag[:PLOTTED_TAGS])[::-1]
        if tags:
            by_tag.bar(
                [a.name for a in tags],
                [round(100 * a.ratio) for a in tags],
                orientation="horizontal",
                color="orange",
            )
        by_tag.xlim(0, 100)
        by_tag.title("Accuracy by tag, %")

        drills = self.query_one("#drills", PlotextPlot).plt
        recent = stats.drills[-20:]
        if recent:
            drills.plot(
                list(range(1, len(recent) + 1)), [round(100 * d.accuracy) for d in recent], marker="braille"
            )
            drills.scatter(list(range(1, len(recent) + 1)), [round(100 * d.accuracy) for d in recent])
        drills.ylim(0, 100)
        if recent:
            drills.title("Drill scores, % (oldest first)")
        else:  # an empty frame would look broken: say what fills it
            drills.title("Drill scores: no drill yet (d on the decks screen starts one)")

    def action_back(self) -> None:
        self.app.pop_screen()
