"""The statistics screen: the review log as plots (textual-plotext) and a short summary.

The numbers are `engine.study.stats.Stats`, the same `quizapp stats` prints, so the screen and
the command line cannot disagree; this module only lays them out. plotext is imported
with this module, which the app imports only when the screen is opened. Rows of the log
that could not be read are listed above the plots: the numbers leave them out, and the
learner should know that they do. Next to the measured retention stands the desired one,
and the FSRS parameters the scheduler uses (fsrs's defaults, or the learner's fit and its
date), so that the two retentions are read knowing which model scheduled the reviews.
"""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual_plotext import PlotextPlot

from engine import Stats, parameters_source

PLOTTED_DAYS = 14
PLOTTED_TAGS = 8
SHOWN_DAMAGED = 6


def scheduling_text(stats: Stats) -> str:
    """The scheduler's targets: desired retention and the FSRS parameters in use (no user text)."""
    weights = " ".join(f"{w:.3g}" for w in stats.parameters)
    return (
        f"Scheduling: FSRS aiming at [b]{stats.desired_retention:.0%}[/] retention"
        f"; parameters: {escape(parameters_source(stats.fit))}\n"
        f"Parameters w0–w{len(stats.parameters) - 1}: {weights}"
    )


def summary_text(stats: Stats) -> str:
    if not stats.reviews:
        return (
            "[b]No reviews yet.[/] Study or drill a deck, and your progress appears here.\n"
            + scheduling_text(stats)
        )
    desired = f"desired {stats.desired_retention:.0%}"
    retention = (
        f"[b]{stats.retention:.0%}[/] of {stats.retention_reviews} repeated reviews ({desired})"
        if stats.retention is not None
        else f"not yet measured ({desired})"
    )
    lines = [
        f"[b]{stats.reviews}[/] reviews ({stats.study_reviews} study, {stats.drill_reviews} drill)"
        f" of {stats.cards_seen} cards   ·   retention {retention}"
        f"   ·   due by the end of today ({stats.day_start_hour:02d}:00)"
        f" [b]{stats.forecast[0][1] if stats.forecast else 0}[/]",
        scheduling_text(stats),
    ]
    if stats.mistakes:
        top = ", ".join(f"{escape(name)} ×{count}" for name, count in stats.mistakes_shown[:5])
        lines.append(f"Mistakes seen most often: {top}")
    if stats.by_deck:
        decks = ", ".join(f"{escape(a.name)} {a.ratio:.0%}" for a in stats.by_deck)
        lines.append(f"Accuracy by deck (weakest first): {decks}")
    return "\n".join(lines)


def damaged_text(stats: Stats) -> str:
    """The damaged rows left out of the numbers, as plain text (a card id may hold brackets)."""
    rows = stats.damaged
    some = f"{len(rows)} rows" if len(rows) != 1 else "1 row"
    verb = "are" if len(rows) != 1 else "is"
    lines = [f"⚠ {some} of the review log could not be read and {verb} left out of these numbers:"]
    lines += [f"  {row.table} {row.row}: {row.problem}" for row in rows[:SHOWN_DAMAGED]]
    if len(rows) > SHOWN_DAMAGED:
        lines.append(f"  … and {len(rows) - SHOWN_DAMAGED} more: `quizapp stats --json` lists them all")
    return "\n".join(lines)


class StatsScreen(Screen[None]):
    CSS_PATH = "stats.tcss"
    DEFAULT_CSS = """
    StatsScreen #damaged {
        margin: 1 2 0 2;
        padding: 0 1;
        border: round $warning;
        height: auto;
    }
    """
    BINDINGS = [Binding("escape", "back", "Back"), Binding("s", "back", "Back", show=False)]

    def __init__(self, stats: Stats) -> None:
        super().__init__()
        self.stats = stats

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(summary_text(self.stats), id="summary")
            if self.stats.damaged:
                yield Static(damaged_text(self.stats), id="damaged", markup=False)  # log text, never markup
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
        # plotext takes one label and one colour per stack; textual-plotext's annotations
        # say one of each for the whole chart, hence the ignore.
        per_day.stacked_bar(  # type: ignore[call-arg]
            labels,
            [[d.right for d in days], [d.reviews - d.right for d in days]],
            labels=["right", "wrong"],
            color=["green", "red"],  # type: ignore[arg-type]
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
