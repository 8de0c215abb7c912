"""The verdict on an answer, in two pieces so that what matters is never scrolled away.

- `VerdictBar`, beneath the card's scrolling area (which takes the rest of the screen): right or wrong, the feedback
  sentence (the named mistake), and the rating that is recorded, with the keys to
  change it. It stays on screen however long the explanation is, even at 80×24.
- `FeedbackPanel`, in the card's scrolling area: how the answer was read, the expected
  answer, every part of a steps card with its verdict and named mistake (labelled as
  the prompt writes them), the explanation and the card's function plot.

Everything a learner typed or a deck wrote is shown as plain text (`markup=False`) or
as markdown (the explanation): `[/]` in an answer is two brackets and a slash.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.containers import Vertical
from textual.widgets import Static

from engine import Card, Instance, Verdict
from quizapp.widgets.prompt_view import PromptView

RATING_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
RATING_KEYS = "1 Again · 2 Hard · 3 Good · 4 Easy"


def verdict_lines(verdict: Verdict, card: Card) -> list[str]:
    """The details of a verdict, one line each: parts (by their prompt's label), read as, expected, mistake."""
    labels = {step.name: step.label for step in card.steps}
    lines: list[str] = []
    for part in verdict.parts:
        label = labels.get(part.part or "", part.part or "?")
        mark = "✓" if part.correct else ("⚠" if not part.readable else "✗")
        line = f"{mark} {label}: {part.interpreted or '?'}"
        if not part.correct:
            line += f"   (expected {part.expected})"
        lines.append(line)
        if part.mistake or (not part.correct and part.error):
            lines.append(f"    {part.feedback if part.mistake else part.error}")
    if not verdict.parts:
        if verdict.error:
            lines.append(f"⚠ {verdict.error}")
        if verdict.interpreted:
            lines.append(f"read as:  {verdict.interpreted}")
        if not verdict.correct:
            lines.append(f"expected: {verdict.expected}")
    if verdict.mistake:
        lines.append(f"mistake:  {verdict.mistake}")
    return lines


class VerdictBar(Vertical):
    """Right or wrong, the feedback sentence and the rating line: always in view."""

    DEFAULT_CSS = """
    VerdictBar {
        height: auto;
        max-height: 9;
        margin: 0 1;
        padding: 0 1;
        border: round $primary;
        display: none;
    }
    VerdictBar.shown { display: block; }
    VerdictBar.right { border: round $success; }
    VerdictBar.wrong { border: round $error; }
    VerdictBar.broken { border: round $warning; }
    VerdictBar > #verdict { text-style: bold; height: auto; max-height: 6; }
    VerdictBar.right > #verdict { color: $success; }
    VerdictBar.wrong > #verdict { color: $error; }
    VerdictBar.broken > #verdict { color: $warning; }
    VerdictBar > #rating { color: $text-muted; height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="verdict", markup=False)
        yield Static(id="rating", markup=False)

    def clear(self) -> None:
        self.remove_class("shown", "right", "wrong", "broken")

    def show(self, headline: str, tone: str, rating_line: str) -> None:
        """`tone`: right, wrong, broken, or '' (a revealed flash card)."""
        self.remove_class("right", "wrong", "broken")
        self.add_class("shown")
        if tone:
            self.add_class(tone)
        self.query_one("#verdict", Static).update(headline)
        self.query_one("#rating", Static).update(rating_line)

    def show_rating(self, rating_line: str) -> None:
        self.query_one("#rating", Static).update(rating_line)


def rating_line(rating: int, changeable: bool = True) -> str:
    hint = f"  ({RATING_KEYS} to change; Enter to go on; u to undo)" if changeable else ""
    return f"Rating: {RATING_NAMES[rating]}{hint}"


def headline(verdict: Verdict) -> str:
    return ("✓ " if verdict.correct else "✗ ") + verdict.feedback


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
    FeedbackPanel > #details { color: $text; }
    FeedbackPanel > #plot-slot { height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="details", markup=False)
        yield PromptView(id="explanation")
        yield Vertical(id="plot-slot")

    def clear(self) -> None:
        self.remove_class("shown", "right", "wrong")
        self.query_one("#plot-slot", Vertical).remove_children()

    def show_plot(self, instance: Instance) -> None:
        """Draw the card's function, if it declares one (a plot that fails is left out, not an error)."""
        slot = self.query_one("#plot-slot", Vertical)
        slot.remove_children()
        if instance.card.plot is None:
            return
        from engine import EngineError, plot_data
        from quizapp.widgets.function_plot import FunctionPlot  # plotext, only when a plot is shown

        try:
            data = plot_data(instance.card.plot, instance.values)
        except EngineError:
            return  # `quizapp validate` reports it to the author
        slot.mount(FunctionPlot(data, id="function-plot"))

    def show_verdict(self, verdict: Verdict | None, instance: Instance) -> AwaitComplete:
        """A checked answer's details (None for a revealed flash card) and the explanation;
        awaiting the result waits until the explanation is laid out."""
        self.add_class("shown")
        self.set_class(verdict is not None and verdict.correct, "right")
        self.set_class(verdict is not None and not verdict.correct, "wrong")
        lines = verdict_lines(verdict, instance.card) if verdict is not None else []
        details = self.query_one("#details", Static)
        details.update("\n".join(lines))
        details.display = bool(lines)
        view = self.query_one("#explanation", PromptView)
        view.display = bool(instance.explanation)
        return view.show(instance.explanation)

    def show_text(self, text: str) -> None:
        """Plain text in place of a verdict (a broken card's message)."""
        self.add_class("shown")
        self.remove_class("right", "wrong")
        details = self.query_one("#details", Static)
        details.update(text)
        details.display = True
        self.query_one("#explanation", PromptView).display = False
        self.query_one("#plot-slot", Vertical).remove_children()
