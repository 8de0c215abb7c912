"""The study screen: one card at a time, answered, checked, explained and rated.

The flow per card: the prompt (math as Unicode) and an answer line with a live preview.
Enter on an answer that cannot be read keeps it in the line with what is wrong; a
readable one is checked in a worker thread and recorded by the session
(`engine.study.session`) with the card's new schedule, in one transaction. The verdict bar
then shows the verdict and the rating, which 1–4 change (the same record) before Enter
moves on; `u` takes the last answer back. Flash cards are revealed with space and rated
with 1–4. Steps cards are answered part by part: each Enter moves to the next part at
once (the parts are checked in the background), so typing never waits for a verdict.
`s` suspends the card and `b` buries it until tomorrow (Ctrl+S, Ctrl+L while typing an
answer: `quizapp.screens.study_aside`); undo takes that back too.

Every check runs inside an error boundary: a card whose drawing or checking fails is
shown as broken with its message, nothing is recorded for it, and the session goes on.
"""

from __future__ import annotations

import time
from typing import Literal

from textual import events, work
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static

from engine import (
    Answered,
    Card,
    Instance,
    Step,
    StoreError,
    StudySession,
    Verdict,
    kind_of,
    option_lines,
)
from quizapp.screens.card_text import card_title, not_judged_text, problem_text
from quizapp.screens.study_aside import AsideKeys
from quizapp.widgets.answer_input import AnswerInput, Submission
from quizapp.widgets.feedback import FeedbackPanel, VerdictBar, headline, rating_line
from quizapp.widgets.prompt_view import PromptView

State = Literal["answering", "checking", "revealed", "feedback", "broken"]


class StudyScreen(Screen[None]):
    CSS_PATH = "study.tcss"
    BINDINGS = [
        Binding("space", "reveal", "Reveal", show=False),
        Binding("1", "rate(1)", "Again", show=False),
        Binding("2", "rate(2)", "Hard", show=False),
        Binding("3", "rate(3)", "Good", show=False),
        Binding("4", "rate(4)", "Easy", show=False),
        Binding("enter", "next", "Next", show=False),
        Binding("u", "undo", "Undo"),
        Binding("ctrl+z", "undo", "Undo", show=False),  # also while the answer line has focus
        # s and b once the answer line is out of focus (after the verdict, on a flash card);
        # the Ctrl keys any time, as letters typed in the line are the answer's.
        Binding("s,ctrl+s", "set_aside('suspend')", "Suspend", show=False),
        Binding("b,ctrl+l", "set_aside('bury')", "Bury", show=False),
        Binding("h,ctrl+g", "hint", "Hint"),  # shown only while the card has a hint left
        Binding("escape", "leave", "End session"),
    ]

    def __init__(self, session: StudySession) -> None:
        super().__init__()
        self.session = session
        self.state: State = "answering"
        self.started = 0.0
        self.serial = 0  # which showing of a card: results for an earlier one are dropped
        self.parts: list[str] = []  # a steps card's parts, as typed
        self.part_verdicts: dict[int, Verdict] = {}
        self.leaving: Literal["", "session", "app"] = ""
        self.aside_keys = AsideKeys(self)

    def app_clock(self) -> float:
        clock: float = getattr(self.app, "clock", time.monotonic)()
        return clock

    def elapsed_ms(self) -> int:
        """Time on the current card so far."""
        return int((self.app_clock() - self.started) * 1000)

    def compose(self) -> ComposeResult:
        yield Header()
        yield ProgressBar(total=max(1, self.session.total), show_eta=False, id="progress")
        with VerticalScroll(id="card"):
            yield Static(id="card-title")
            yield PromptView(id="prompt")
            yield Static(id="options", markup=False)
            yield Static(id="parts", markup=False)
            yield Static(id="hints", markup=False)
            yield AnswerInput(self.preview, self.submit, id="answer-box")
            yield Static("Press space to reveal the answer.", id="reveal-hint")
            yield FeedbackPanel(id="feedback")
        yield VerdictBar(id="verdict-bar")
        yield Footer()

    def on_mount(self) -> None:
        self.show_next_card()

    @property
    def busy(self) -> bool:
        """An answer is being checked and recorded: leaving waits for it."""
        return self.state == "checking"

    # -- showing a card ----------------------------------------------------------------

    def show_next_card(self) -> None:
        try:
            instance = self.session.next_instance()
        except Exception as error:  # a card that cannot be drawn: shown as broken, skipped
            self.show_broken(self.session.queue[self.session.position], problem_text(error))
            return
        if instance is None:
            self.finish()
            return
        self.show_card(instance)

    def show_card(self, instance: Instance, text: str = "") -> None:
        card = instance.card
        self.serial += 1
        self.state = "answering"
        self.started = self.app_clock()
        self.parts, self.part_verdicts = [], {}
        self.show_header(card, card.kind)
        self.query_one("#prompt", PromptView).show(instance.prompt)
        options = self.query_one("#options", Static)
        options.display = bool(card.options)
        options.update(option_lines(card.options))
        self.query_one("#parts", Static).display = bool(card.steps)
        hints = self.query_one("#hints", Static)
        hints.display = False
        hints.update("")
        self.refresh_bindings()  # the Hint key is offered only on a card with hints
        self.query_one("#feedback", FeedbackPanel).clear()
        self.query_one("#verdict-bar", VerdictBar).clear()
        flash = not kind_of(card).checked  # revealed and self-rated
        self.query_one("#reveal-hint", Static).display = flash
        box = self.query_one("#answer-box", AnswerInput)
        box.display = not flash
        if flash:
            self.focus_card()
        else:
            box.reset(self.placeholder(), text)
        self.update_parts()
        self.query_one("#card", VerticalScroll).scroll_home(animate=False)

    def show_header(self, card: Card, detail: str) -> None:
        self.query_one("#progress", ProgressBar).update(
            total=max(1, self.session.total), progress=self.session.position
        )
        self.sub_title = f"card {self.session.position + 1} of {self.session.total}"
        self.query_one("#card-title", Static).update(card_title(card, detail))

    def current_step(self) -> Step | None:
        """The part of a steps card being typed (None on other cards, or once every part is in)."""
        instance = self.session.current
        if instance is None or len(self.parts) >= len(instance.card.steps):
            return None
        return instance.card.steps[len(self.parts)]

    def placeholder(self) -> str:
        instance = self.session.current
        assert instance is not None
        card = instance.card
        step = self.current_step()
        if step is not None:
            return f"Part {len(self.parts) + 1} of {len(card.steps)}: {step.label}"
        return kind_of(card).placeholder(card)

    def update_parts(self) -> None:
        instance = self.session.current
        if instance is None or not instance.card.steps:
            return
        from engine import render_math_text

        lines = []
        fills: dict[int, str] = {}  # a cloze card's blanks, by number, as answered
        for index, step in enumerate(instance.card.steps):
            prompt = " ".join(render_math_text(step.prompt).split())
            if index < len(self.parts):
                verdict = self.part_verdicts.get(index)
                mark = "…" if verdict is None else ("✓" if verdict.correct else "✗")
                shown = (
                    verdict.interpreted if verdict is not None and verdict.interpreted else self.parts[index]
                )
                fills[index + 1] = shown
                lines.append(f"{mark} {prompt} {shown}")
            elif index == len(self.parts) and self.state == "answering":
                lines.append(f"▸ {prompt}")
            else:
                lines.append(f"  {prompt}")
        self.query_one("#parts", Static).update("\n".join(lines))
        self.query_one("#prompt", PromptView).fill(fills)

    def focus_card(self) -> None:
        self.query_one("#card", VerticalScroll).focus()

    # -- reading what is typed ---------------------------------------------------------

    def read(self, text: str, step: Step | None) -> tuple[bool, str]:
        """How `text` is read for the current card (or part); never raises (engine.checking's boundary)."""
        from engine import read_as

        instance = self.session.current
        return read_as(instance, text, step) if instance is not None else (False, "")

    def preview(self, text: str) -> tuple[bool, str]:
        if self.state != "answering":
            return True, ""
        return self.read(text, self.current_step())

    def submit(self, text: str) -> Submission:
        """Enter on the answer line, decided at once and in order with the keys around it."""
        instance = self.session.current
        if self.state != "answering" or instance is None:
            return Submission(False)
        step = self.current_step()
        if step is None:  # a single answer
            readable, message = self.read(text, step)
            if not readable:
                return Submission(False, message)  # a typo never uses up the card
            self.state = "checking"
            self.query_one("#answer-box", AnswerInput).show_message(True, "Checking…")
            self.check_answer(self.serial, text, self.elapsed_ms())
            return Submission(True)
        # Several parts may come at once, separated by ';' as everywhere else.
        from engine import read_parts

        typed, problem = read_parts(instance, text, first=len(self.parts))
        if problem:
            return Submission(False, problem)
        for part, part_step in zip(typed, instance.card.steps[len(self.parts) :], strict=False):
            self.check_part(self.serial, len(self.parts), part_step, part)
            self.parts.append(part)
        box = self.query_one("#answer-box", AnswerInput)
        if self.current_step() is None:  # the last part: check the whole answer
            self.state = "checking"
            box.set_placeholder("")
            box.show_message(True, "Checking…")
            self.check_answer(self.serial, "; ".join(self.parts), self.elapsed_ms())
        else:
            box.set_placeholder(self.placeholder())
        self.update_parts()
        return Submission(True, clear=True)

    # -- checking, in worker threads ---------------------------------------------------

    @work(thread=True, group="check", exit_on_error=False)
    def check_part(self, serial: int, index: int, step: Step, text: str) -> None:
        try:
            verdict = self.session.check(text, step)
        except Exception:
            return  # the whole answer's check reports it
        self.app.call_from_thread(self.part_checked, serial, index, verdict)

    def part_checked(self, serial: int, index: int, verdict: Verdict) -> None:
        if serial == self.serial and self.state in ("answering", "checking"):
            self.part_verdicts[index] = verdict
            self.update_parts()

    @work(thread=True, group="check", exit_on_error=False)
    def check_answer(self, serial: int, text: str, duration_ms: int) -> None:
        """Check the answer and record it with its schedule: the error boundary of a check."""
        try:
            verdict = self.session.check(text)
            if not verdict.readable:
                self.app.call_from_thread(self.unreadable, serial, text, verdict)
                return
            if not verdict.judged:  # undecided, or the checker failed: nothing is recorded
                self.app.call_from_thread(
                    self.check_failed, serial, not_judged_text(verdict), verdict.undecided
                )
                return
            answered = self.session.submit(text, verdict, duration_ms)
        except StoreError as error:
            self.app.call_from_thread(self.not_saved, serial, text, error.message)
            return
        except Exception as error:
            self.app.call_from_thread(self.check_failed, serial, problem_text(error))
            return
        self.app.call_from_thread(self.checked, serial, answered)
        self.app.call_from_thread(self.aside_keys.tell_if_leech, answered)

    def unreadable(self, serial: int, text: str, verdict: Verdict) -> None:
        """The check could not read what the preview could: back to the line, text intact."""
        if serial != self.serial:
            return
        self.state = "answering"
        bad = next((i for i, part in enumerate(verdict.parts) if not part.readable), None)
        if bad is not None:  # a steps card: answer again from the part that could not be read
            text, self.parts = self.parts[bad], self.parts[:bad]
            self.part_verdicts = {i: v for i, v in self.part_verdicts.items() if i < bad}
        box = self.query_one("#answer-box", AnswerInput)
        box.reset(self.placeholder(), text)
        box.show_message(False, f"⚠ {verdict.error or verdict.feedback}")
        self.update_parts()
        self.after_check()

    def not_saved(self, serial: int, text: str, message: str) -> None:
        """The review log refused the write: the answer stays in the line, to submit again."""
        if serial != self.serial:
            return
        self.state = "answering"
        if self.parts:
            self.parts, self.part_verdicts = [], {}
        box = self.query_one("#answer-box", AnswerInput)
        box.reset(self.placeholder(), text if self.current_step() is None else "")
        self.app.notify(message, title="Your answer was not saved", severity="error", markup=False)
        self.update_parts()
        self.after_check()

    def check_failed(self, serial: int, message: str, undecided: bool = False) -> None:
        if serial != self.serial:
            return
        instance = self.session.current
        assert instance is not None
        self.show_broken(instance.card, message, undecided)
        self.after_check()

    def checked(self, serial: int, answered: Answered) -> None:
        if serial != self.serial:
            return
        assert answered.verdict is not None and answered.rating is not None
        self.state = "feedback"
        verdict = answered.verdict
        self.part_verdicts = dict(enumerate(verdict.parts))
        self.update_parts()
        box = self.query_one("#answer-box", AnswerInput)
        box.show_message(True, "")
        if not verdict.parts:  # the line shows the answer that was checked
            box.input.value = answered.answer
        laid_out = self.query_one("#feedback", FeedbackPanel).show_verdict(verdict, answered.instance)
        self.query_one("#feedback", FeedbackPanel).show_plot(answered.instance)
        self.query_one("#verdict-bar", VerdictBar).show(
            headline(verdict), "right" if verdict.correct else "wrong", rating_line(answered.rating)
        )
        self.focus_card()
        self.call_later(self.show_feedback_top, laid_out)
        self.after_check()

    async def show_feedback_top(self, laid_out: AwaitComplete) -> None:
        """Once the explanation is laid out, scroll the card so the feedback starts at the top."""
        await laid_out
        card = self.query_one("#card", VerticalScroll)
        card.call_after_refresh(
            card.scroll_to_widget, self.query_one("#feedback", FeedbackPanel), animate=False, top=True
        )

    def after_check(self) -> None:
        """Leave now if Escape or quit was pressed while the answer was being checked."""
        if self.leaving == "app":
            self.app.exit()
        elif self.leaving == "session":
            self.finish()

    def show_broken(self, card: Card, message: str, undecided: bool = False) -> None:
        """A card that cannot be drawn or checked, or an answer that could not be compared
        (`undecided`): say so, record nothing, let the session go on."""
        self.serial += 1
        self.state = "broken"
        self.show_header(card, "undecided" if undecided else "broken")
        self.query_one("#answer-box", AnswerInput).display = False
        self.query_one("#reveal-hint", Static).display = False
        where = "" if undecided else " `quizapp validate` shows the deck's problems."
        self.query_one("#feedback", FeedbackPanel).show_text(
            f"{message}\n\nNothing was recorded for this card.{where}"
        )
        headline = "? Undecided: not counted." if undecided else "⚠ This card is broken and was skipped."
        self.query_one("#verdict-bar", VerdictBar).show(headline, "broken", "Enter goes on to the next card.")
        self.focus_card()

    # -- flash cards, ratings, moving on ---------------------------------------------------

    def action_reveal(self) -> None:
        instance = self.session.current
        if instance is None or kind_of(instance.card).checked or self.state != "answering":
            return
        self.state = "revealed"
        self.query_one("#reveal-hint", Static).display = False
        self.query_one("#feedback", FeedbackPanel).show_verdict(None, instance)
        self.query_one("#verdict-bar", VerdictBar).show(
            "Answer", "", "How well did you know it?  1 Again · 2 Hard · 3 Good · 4 Easy"
        )

    async def take_stray_key(self, event: events.Key) -> None:
        """While a checked card waits for its answer, a key routed past the answer line is its
        (`quizapp.screens.handover`): typed straight after starting, or after Enter on a
        verdict, it is neither lost nor read as one of this screen's keys (s, b, h act once
        the verdict is in; Ctrl+S, Ctrl+L, Ctrl+G at any time)."""
        if self.state == "answering" and self.is_mounted:
            await self.query_one("#answer-box", AnswerInput).take_stray_key(event)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "hint":  # hidden unless a hint is left to show for the card being answered
            instance = self.session.current
            return (
                self.state == "answering"
                and instance is not None
                and self.session.hints_shown < len(instance.card.hints)
                and self.session.allows_hints
            )
        return True

    def action_hint(self) -> None:
        """Show the card's next hint; the answer then earns Hard at best (the session's rule)."""
        if self.state != "answering":
            return
        instance = self.session.current
        if self.session.next_hint() is None or instance is None:
            return
        from engine import render_math_text

        count = len(instance.card.hints)
        lines = [
            f"Hint {index + 1} of {count}: {render_math_text(instance.hint(index))}"
            for index in range(self.session.hints_shown)
        ]
        hints = self.query_one("#hints", Static)
        hints.update("\n".join(lines))
        hints.display = True
        self.refresh_bindings()

    def action_rate(self, rating: int) -> None:
        try:
            if self.state == "revealed":
                self.aside_keys.tell_if_leech(self.session.submit("", None, self.elapsed_ms(), rating=rating))
                self.advance()
            elif self.state == "feedback":
                answered = self.session.rate(rating)
                self.query_one("#verdict-bar", VerdictBar).show_rating(rating_line(rating))
                self.aside_keys.tell_if_leech(answered)
        except StoreError as error:
            self.app.notify(error.message, title="Your rating was not saved", severity="error", markup=False)

    def action_next(self) -> None:
        if self.state in ("feedback", "broken"):
            self.advance()

    def advance(self) -> None:
        self.session.advance()
        self.show_next_card()

    def action_set_aside(self, how: Literal["suspend", "bury"]) -> None:
        self.aside_keys.set_aside(how)

    def action_undo(self) -> None:
        """Take back the last thing done: a card set aside, else the last answer (and its schedule change)."""
        if self.state == "checking" or self.aside_keys.undo():
            return
        try:
            instance = self.session.undo()
        except (StoreError, ValueError) as error:
            self.app.notify(str(error), title="Nothing was undone", severity="warning", markup=False)
            return
        if instance is None:
            self.app.notify("There is no answer to take back in this session.", markup=False)
            return
        self.show_card(instance)
        self.app.notify(f"Took back your answer to {instance.card.title}.", markup=False)

    def action_leave(self) -> None:
        if self.busy:  # the answer is being checked: record it, then leave
            self.leaving = "session"
            self.query_one("#answer-box", AnswerInput).show_message(True, "Saving your answer, then ending…")
            return
        self.finish()

    def finish(self) -> None:
        from quizapp.screens.summary import SummaryScreen

        self.leaving = ""
        self.serial += 1
        try:
            self.session.end()  # the end time only: every answer is already recorded
        except StoreError as error:
            self.app.notify(str(error), title="Could not record the end of the session", markup=False)
        self.app.switch_screen(SummaryScreen(self.session, self.aside_keys.asides))
