"""The study screen: one card at a time, answered, checked, explained and rated.

The flow per card: the prompt (math as Unicode) and an answer line with a live preview;
Enter checks the answer in a worker thread (the interface never waits on a check); the
feedback panel then shows the verdict, the explanation and the rating the verdict implies,
which 1–4 can change before Enter moves on. Flash cards are revealed with space and rated
with 1–4. Steps cards are answered part by part, each part checked as it is entered.
"""

from __future__ import annotations

import time

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static

from engine.checking import Verdict, check_answer, check_step, read_as
from engine.scheduling import rating_from_verdict
from engine.session import StudySession
from quizapp.widgets.answer_input import AnswerInput
from quizapp.widgets.feedback import FeedbackPanel
from quizapp.widgets.prompt_view import PromptView


class StudyScreen(Screen[None]):
    CSS_PATH = "study.tcss"
    BINDINGS = [
        Binding("space", "reveal", "Reveal", show=False),
        Binding("1", "rate(1)", "Again", show=False),
        Binding("2", "rate(2)", "Hard", show=False),
        Binding("3", "rate(3)", "Good", show=False),
        Binding("4", "rate(4)", "Easy", show=False),
        Binding("enter", "next", "Next", show=False),
        Binding("escape", "leave", "End session"),
    ]

    def __init__(self, session: StudySession) -> None:
        super().__init__()
        self.session = session
        self.state = "answering"  # answering | checking | revealed | feedback
        self.started = 0.0
        self.step_index = 0
        self.step_answers: list[str] = []
        self.step_verdicts: list[Verdict] = []

    def app_clock(self) -> float:
        clock: float = getattr(self.app, "clock", time.monotonic)()
        return clock

    def compose(self) -> ComposeResult:
        yield Header()
        yield ProgressBar(total=max(1, self.session.total), show_eta=False, id="progress")
        with VerticalScroll(id="card"):
            yield Static(id="card-title")
            yield PromptView(id="prompt")
            yield Static(id="options")
            yield Static(id="parts")
            yield AnswerInput(self.preview, id="answer-box")
            yield Static("Press space to reveal the answer.", id="reveal-hint")
            yield FeedbackPanel(id="feedback")
        yield Footer()

    def on_mount(self) -> None:
        self.show_next_card()

    # -- showing a card ----------------------------------------------------------------

    def show_next_card(self) -> None:
        instance = self.session.next_instance()
        if instance is None:
            self.finish()
            return
        card = instance.card
        self.state = "answering"
        self.started = self.app_clock()
        self.step_index, self.step_answers, self.step_verdicts = 0, [], []
        self.query_one("#progress", ProgressBar).update(progress=self.session.position)
        self.sub_title = f"card {self.session.position + 1} of {self.session.total}"
        self.query_one("#card-title", Static).update(f"{card.title}   [dim]{card.full_id} · {card.kind}[/]")
        self.query_one("#prompt", PromptView).show(instance.prompt)
        self.show_options(card.options)
        self.query_one("#parts", Static).display = card.kind == "steps"
        self.query_one("#feedback", FeedbackPanel).clear()
        flash = card.kind == "flash"
        self.query_one("#reveal-hint", Static).display = flash
        box = self.query_one("#answer-box", AnswerInput)
        box.display = not flash
        if flash:
            self.focus_card()
        else:
            box.reset(self.preview, self.placeholder())
        self.update_parts()
        self.query_one("#card", VerticalScroll).scroll_home(animate=False)

    def show_options(self, options: tuple[str, ...]) -> None:
        view = self.query_one("#options", Static)
        view.display = bool(options)
        view.update("\n".join(f"  ({chr(ord('a') + i)}) {option}" for i, option in enumerate(options)))

    def placeholder(self) -> str:
        instance = self.session.current
        assert instance is not None
        card = instance.card
        if card.kind == "steps":
            step = card.steps[self.step_index]
            return f"Part {self.step_index + 1} of {len(card.steps)}: {step.prompt}"
        if card.kind == "choice":
            return "a letter, a number or the option"
        if card.kind == "symbolic":
            return "an expression, e.g. sigmoid(x)*(1 - sigmoid(x)) or \\frac{1}{1+e^{-x}}"
        return "a number, an expression of numbers, or [a vector]"

    def update_parts(self) -> None:
        instance = self.session.current
        if instance is None or instance.card.kind != "steps":
            return
        lines = []
        for index, step in enumerate(instance.card.steps):
            if index < len(self.step_verdicts):
                verdict = self.step_verdicts[index]
                mark = "[green]✓[/]" if verdict.correct else "[red]✗[/]"
                lines.append(f"{mark} {step.prompt} {verdict.interpreted or self.step_answers[index]}")
            elif index == self.step_index and self.state == "answering":
                lines.append(f"[b]▸ {step.prompt}[/]")
            else:
                lines.append(f"  {step.prompt}")
        self.query_one("#parts", Static).update("\n".join(lines))

    def focus_card(self) -> None:
        self.query_one("#card", VerticalScroll).focus()

    def preview(self, text: str) -> tuple[bool, str]:
        instance = self.session.current
        if instance is None or self.state != "answering":  # a late preview of an answer already given
            return True, ""
        step = instance.card.steps[self.step_index] if instance.card.kind == "steps" else None
        return read_as(instance, text, step)

    # -- answering ---------------------------------------------------------------------

    def on_answer_input_submitted(self, event: AnswerInput.Submitted) -> None:
        if self.state != "answering":
            return
        self.state = "checking"
        box = self.query_one("#answer-box", AnswerInput)
        box.input.disabled = True
        box.show_status("Checking…")  # the first check against torch loads it: a few seconds
        self.check(event.value)

    @work(thread=True, exclusive=True, group="check")
    def check(self, answer: str) -> None:
        instance = self.session.current
        assert instance is not None
        card = instance.card
        if card.kind == "steps":
            step = card.steps[self.step_index]
            verdict = check_step(instance, step, answer)
            self.app.call_from_thread(self.part_checked, answer, verdict)
            return
        verdict = check_answer(instance, answer)
        self.app.call_from_thread(self.checked, answer, verdict)

    def part_checked(self, answer: str, verdict: Verdict) -> None:
        self.query_one("#answer-box", AnswerInput).restore()
        instance = self.session.current
        assert instance is not None
        self.step_answers.append(answer)
        self.step_verdicts.append(verdict)
        self.step_index += 1
        if self.step_index < len(instance.card.steps):
            self.state = "answering"
            self.update_parts()
            self.query_one("#answer-box", AnswerInput).reset(self.preview, self.placeholder())
            return
        self.update_parts()
        self.checked("; ".join(self.step_answers), check_answer(instance, "; ".join(self.step_answers)))

    def checked(self, answer: str, verdict: Verdict) -> None:
        self.query_one("#answer-box", AnswerInput).restore()
        instance = self.session.current
        assert instance is not None
        duration_ms = int((self.app_clock() - self.started) * 1000)
        rating = rating_from_verdict(verdict, duration_ms)
        self.session.record(answer, verdict, rating, duration_ms)
        self.state = "feedback"
        panel = self.query_one("#feedback", FeedbackPanel)
        panel.show_verdict(verdict, instance.explanation)
        panel.show_plot(instance)
        panel.show_rating(rating)
        self.focus_card()
        self.call_after_refresh(panel.scroll_visible)

    # -- flash cards, ratings, moving on ---------------------------------------------------

    def action_reveal(self) -> None:
        instance = self.session.current
        if instance is None or instance.card.kind != "flash" or self.state != "answering":
            return
        self.state = "revealed"
        self.query_one("#reveal-hint", Static).display = False
        panel = self.query_one("#feedback", FeedbackPanel)
        panel.show_verdict(None, instance.explanation)
        self.query_one("#feedback", FeedbackPanel).query_one("#rating", Static).update(
            "How well did you know it?  1 Again · 2 Hard · 3 Good · 4 Easy"
        )

    def action_rate(self, rating: int) -> None:
        if self.state == "revealed":
            duration_ms = int((self.app_clock() - self.started) * 1000)
            self.session.record("", None, rating, duration_ms)
            self.advance()
        elif self.state == "feedback":
            self.session.rerate(rating)
            self.query_one("#feedback", FeedbackPanel).show_rating(rating)

    def action_next(self) -> None:
        if self.state == "feedback":
            self.advance()

    def advance(self) -> None:
        self.session.advance()
        self.show_next_card()

    def action_leave(self) -> None:
        self.finish()

    def finish(self) -> None:
        from quizapp.screens.summary import SummaryScreen

        self.session.end()
        self.app.switch_screen(SummaryScreen(self.session))
