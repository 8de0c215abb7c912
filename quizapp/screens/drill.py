"""The drill screen: timed, mixed questions, and nothing explained until the end.

A countdown for the whole drill and a timer for the current question are redrawn every
second from the app's clock (injectable, so tests and snapshots are deterministic). An
answer is checked in a worker thread and recorded, then the next question comes at once:
no verdict, hint or explanation is shown while the clock runs; they are all in the report.
When the time is up, the drill ends on the question being answered.
"""

from __future__ import annotations

import time
from dataclasses import replace

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from engine import (
    DrillSession,
    StoreError,
    expected_answer_text,
    kind_of,
    option_lines,
    read_as,
    read_parts,
    split_step_answers,
)
from quizapp.screens.card_text import problem_text
from quizapp.widgets.answer_input import AnswerInput, Submission
from quizapp.widgets.prompt_view import PromptView


def clock_text(seconds: float) -> str:
    """m:ss, never negative."""
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


class DrillScreen(Screen[None]):
    CSS_PATH = "drill.tcss"
    BINDINGS = [
        Binding("ctrl+n", "skip", "Skip question"),
        Binding("escape", "end", "End drill"),
    ]

    def __init__(self, session: DrillSession) -> None:
        super().__init__()
        self.session = session
        self.began = 0.0
        self.question_began = 0.0
        self.busy = False  # an answer is being checked and recorded
        self.enter_waiting = False  # Enter was pressed on the next answer while busy
        self.ended = False
        self.leaving = ""  # "app": quit once the answer being checked is recorded

    def now(self) -> float:
        clock: float = getattr(self.app, "clock", time.monotonic)()
        return clock

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="clock")
        with VerticalScroll(id="card"):
            yield Static(id="card-title")
            yield PromptView(id="prompt")
            yield Static(id="options", markup=False)
            yield AnswerInput(self.preview, self.submit, id="answer-box")
            yield Static(
                "Enter answers and moves on; nothing is marked until the end. "
                "Steps cards: all parts on one line, separated by ';'.",
                id="drill-hint",
            )
        yield Footer()

    async def take_stray_key(self, event: events.Key) -> None:
        """A key routed past the answer line (typed straight after the drill starts, or the
        next question shows) is the answer's (`quizapp.screens.handover`)."""
        if not self.ended and self.is_mounted:
            await self.query_one("#answer-box", AnswerInput).take_stray_key(event)

    def on_mount(self) -> None:
        self.began = self.now()
        self.set_interval(1.0, self.tick)
        self.show_next()

    # -- the clock -----------------------------------------------------------------------

    @property
    def remaining(self) -> float | None:
        limit = self.session.options.time_limit_s
        return None if limit is None else limit - (self.now() - self.began)

    def tick(self) -> None:
        """Redraw the clocks; end the drill when the time is up."""
        if self.ended:
            return
        remaining = self.remaining
        if remaining is not None and remaining <= 0 and not self.busy:
            self.finish()
            return
        self.update_clock(remaining)

    def update_clock(self, remaining: float | None) -> None:
        now = self.now()
        session = self.session
        overall = (
            f"⏱ {clock_text(remaining)} left"
            if remaining is not None
            else f"⏱ {clock_text(now - self.began)}"
        )
        question = min(session.position + 1, session.total)
        self.query_one("#clock", Static).update(
            f"{overall}   ·   question {question} of {session.total}"
            f"   ·   this question {clock_text(now - self.question_began)}"
        )

    # -- questions -----------------------------------------------------------------------

    def show_next(self) -> None:
        try:
            instance = self.session.next_instance()
        except Exception as error:  # a card that cannot be drawn: skipped, the drill goes on
            card = self.session.questions[self.session.position]
            self.app.notify(
                f"{card.full_id} is broken and was left out: {problem_text(error)}",
                severity="warning",
                markup=False,
            )
            self.session.advance()
            self.show_next()
            return
        if instance is None:
            self.finish()
            return
        card = instance.card
        self.question_began = self.now()
        self.sub_title = f"drill · question {self.session.position + 1} of {self.session.total}"
        self.query_one("#card-title", Static).update(
            Text.assemble((card.title, "bold"), (f"   {card.full_id}", "dim"))
        )
        self.query_one("#prompt", PromptView).show(instance.prompt)
        options = self.query_one("#options", Static)
        lines = [option_lines(card.options)] if card.options else []
        lines += [f"  {i + 1}. {step.prompt}" for i, step in enumerate(card.steps)]
        options.display = bool(lines)
        options.update("\n".join(lines))
        box = self.query_one("#answer-box", AnswerInput)
        box.reset(self.placeholder(), box.input.value)  # keep what was typed while the last one was checked
        self.query_one("#card", VerticalScroll).scroll_home(animate=False)
        self.update_clock(self.remaining)

    def placeholder(self) -> str:
        instance = self.session.current
        if instance is None:
            return ""
        return kind_of(instance.card).placeholder(instance.card)

    def preview(self, text: str) -> tuple[bool, str]:
        """How the answer is read (not whether it is right): for a steps card, the part being typed."""
        instance = self.session.current
        if instance is None or self.busy:
            return True, ""
        card = instance.card
        if not card.steps:
            return read_as(instance, text)
        parts = split_step_answers(text)
        step = card.steps[min(len(parts), len(card.steps)) - 1]
        return read_as(instance, parts[-1], step) if parts[-1] else (True, "")

    def submit(self, text: str) -> Submission:
        """Enter: a typo stays in the line; a readable answer is checked and the line cleared."""
        if self.busy and not self.ended:  # typed ahead: it goes in once the next question shows
            self.enter_waiting = True
            return Submission(False, "The last answer is being recorded; this one follows.")
        if self.ended or self.session.current is None:
            return Submission(False)
        readable, message = self.readable(text)
        if not readable:
            return Submission(False, message)
        self.busy = True
        self.check(text, int((self.now() - self.question_began) * 1000))
        return Submission(True, "Checking…", clear=True)

    def readable(self, text: str) -> tuple[bool, str]:
        """Whether every part of the answer can be read (a steps card's parts are separated by ';')."""
        instance = self.session.current
        assert instance is not None
        steps = instance.card.steps
        if not steps:
            return read_as(instance, text)
        parts, problem = read_parts(instance, text)
        if not problem and len(parts) != len(steps):
            problem = f"⚠ {len(steps)} answers separated by ';', got {len(parts)}"
        return not problem, problem

    @work(thread=True, group="check", exit_on_error=False)
    def check(self, answer: str, duration_ms: int) -> None:
        """Check and record the answer: the error boundary of a check."""
        instance = self.session.current
        assert instance is not None
        try:
            verdict = self.session.check(answer)
            if not verdict.readable:  # read_as let it through: count it as wrong, not lost
                verdict = replace(verdict, interpreted=answer)
            if verdict.undecided:  # neither right nor wrong: left out of the drill's score
                self.app.call_from_thread(self.failed, f"{instance.card.full_id}: {verdict.feedback}")
                self.session.advance()
            elif not verdict.judged:  # the checker failed, not the learner: left out, like a broken card
                raise RuntimeError(verdict.error or verdict.feedback)
            else:
                self.session.record(answer, verdict, duration_ms)
        except StoreError as error:
            self.app.call_from_thread(self.not_saved, answer, error.message)
            return
        except Exception as error:
            self.app.call_from_thread(
                self.failed, f"{instance.card.full_id} is broken and was left out: {problem_text(error)}"
            )
            self.session.advance()
        self.app.call_from_thread(self.answered)

    def failed(self, message: str) -> None:
        self.app.notify(message, severity="error", markup=False)

    def not_saved(self, answer: str, message: str) -> None:
        """The review log refused the write: the answer goes back in the line, to submit again."""
        self.busy = False
        box = self.query_one("#answer-box", AnswerInput)
        box.reset(self.placeholder(), answer + box.input.value)
        self.app.notify(message, title="Your answer was not saved", severity="error", markup=False)

    def action_skip(self) -> None:
        if self.busy or self.ended or self.session.current is None:
            return
        self.busy = True
        self.skip(int((self.now() - self.question_began) * 1000))

    @work(thread=True, group="check", exit_on_error=False)
    def skip(self, duration_ms: int) -> None:
        instance = self.session.current
        assert instance is not None
        try:
            self.session.skip(expected_answer_text(instance), duration_ms)
        except StoreError as error:
            self.app.call_from_thread(self.not_saved, "", error.message)
            return
        except Exception as error:  # the expected answer cannot be shown: a broken card
            self.app.call_from_thread(
                self.failed, f"{instance.card.full_id} is broken and was left out: {problem_text(error)}"
            )
            self.session.advance()
        self.app.call_from_thread(self.answered)

    def answered(self) -> None:
        self.busy = False
        if self.leaving == "app":
            self.app.exit()
            return
        remaining = self.remaining
        if remaining is not None and remaining <= 0:
            self.finish()
            return
        self.show_next()
        if self.enter_waiting and not self.ended:  # the Enter typed ahead, now for this question
            self.enter_waiting = False
            self.call_after_refresh(self.query_one("#answer-box", AnswerInput).input.action_submit)

    def action_end(self) -> None:
        if not self.busy:
            self.finish()

    def finish(self) -> None:
        from quizapp.screens.drill_report import DrillReportScreen

        if self.ended:
            return
        try:
            report = self.session.finish()
        except StoreError as error:  # every answer is recorded; the totals could not be
            self.app.notify(
                str(error), title="Could not save the drill's totals", severity="error", markup=False
            )
            return
        self.ended = True
        self.app.switch_screen(DrillReportScreen(report))
