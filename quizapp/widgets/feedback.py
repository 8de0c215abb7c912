"""The verdict on an answer: right or wrong, how it was read, the expected answer, the
recognised mistake, the explanation, the card's function plot (if it declares one), and
the rating that will be recorded."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from engine.checking import Verdict
from engine.instance import Instance
from quizapp.widgets.prompt_view import PromptView

RATING_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}


class FeedbackPanel(Vertical):
    DEFAULT_CSS = """
    FeedbackPanel {
        height: auto;
        margin: 1 1 0 1;
        padding: 0 1;
        border: round $primary;
        display: none;
    }
    FeedbackPanel.shown { display: block; }
    FeedbackPanel.right { border: round $success; }
    FeedbackPanel.wrong { border: round $error; }
    FeedbackPanel > #verdict { text-style: bold; }
    FeedbackPanel.right > #verdict { color: $success; }
    FeedbackPanel.wrong > #verdict { color: $error; }
    FeedbackPanel > #details { color: $text; }
    FeedbackPanel > #rating { color: $text-muted; margin-top: 1; }
    FeedbackPanel > #plot-slot { height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="verdict")
        yield Static(id="details")
        yield PromptView(id="explanation")
        yield Vertical(id="plot-slot")
        yield Static(id="rating")

    def clear(self) -> None:
        self.remove_class("shown", "right", "wrong")
        self.query_one("#plot-slot", Vertical).remove_children()

    def show_plot(self, instance: Instance) -> None:
        """Draw the card's function, if it declares one (a plot that fails is left out, not an error)."""
        slot = self.query_one("#plot-slot", Vertical)
        slot.remove_children()
        if instance.card.plot is None:
            return
        from engine.errors import EngineError
        from engine.plot import plot_data
        from quizapp.widgets.function_plot import FunctionPlot  # plotext, only when a plot is shown

        try:
            data = plot_data(instance.card.plot, instance.values)
        except EngineError:
            return  # `quizapp validate` reports it to the author
        slot.mount(FunctionPlot(data, id="function-plot"))

    def show_verdict(self, verdict: Verdict | None, explanation: str) -> None:
        """A checked answer's verdict (None for a revealed flash card)."""
        self.add_class("shown")
        self.set_class(verdict is not None and verdict.correct, "right")
        self.set_class(verdict is not None and not verdict.correct, "wrong")
        lines: list[str] = []
        if verdict is None:
            headline = "Answer"
        else:
            headline = ("✓ " if verdict.correct else "✗ ") + verdict.feedback
            for part in verdict.parts:
                mark = "✓" if part.correct else "✗"
                lines.append(f"{mark} {part.part}: {part.interpreted or '?'}   (expected {part.expected})")
            if not verdict.parts:
                if verdict.error:
                    lines.append(f"⚠ {verdict.error}")
                if verdict.interpreted:
                    lines.append(f"read as:  {verdict.interpreted}")
                if not verdict.correct:
                    lines.append(f"expected: {verdict.expected}")
            if verdict.mistake:
                lines.append(f"mistake:  {verdict.mistake}")
        self.query_one("#verdict", Static).update(headline)
        details = self.query_one("#details", Static)
        details.update("\n".join(lines))
        details.display = bool(lines)
        view = self.query_one("#explanation", PromptView)
        view.display = bool(explanation)
        view.show(explanation)

    def show_rating(self, rating: int, changeable: bool = True) -> None:
        hint = "  (1 Again · 2 Hard · 3 Good · 4 Easy to change; Enter to go on)" if changeable else ""
        self.query_one("#rating", Static).update(f"Rating: {RATING_NAMES[rating]}{hint}")
