"""The answer line, with a live preview of how the answer is read, that never loses a keystroke.

Two things make it safe to type at normal pace without waiting for verdicts:

- Enter is decided *inside* the line, synchronously, in the line's own key handler
  (`AnswerLine._on_key` calls the screen's `Submitter`), not as a binding, which would act
  only once the key had bubbled up to the app: keys typed after an Enter sit in this
  widget's message queue behind it, so the line is cleared for the next part (or kept, on
  a typo) before any of them is inserted, even when a terminal delivers them all at once.
  Nothing waits on a check: the screen checks in a worker thread.
- The line is never disabled while a check runs (a disabled Input drops keys).

The preview is recomputed a moment after typing stops (debounced), in a worker thread;
it is shown as plain text (never markup: `[b]` is two brackets and a letter).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import events, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Input, Static

PREVIEW_DELAY = 0.15

Previewer = Callable[[str], tuple[bool, str]]


@dataclass(frozen=True)
class Submission:
    """What the screen made of an Enter on the answer line.

    `accepted` False: the text stays as typed, with `message` (what could not be read).
    `clear` True: the line empties at once for the next part of a steps card.
    """

    accepted: bool
    message: str = ""
    clear: bool = False


Submitter = Callable[[str], Submission]


class AnswerLine(Input):
    """An Input whose Enter is handled in order with the keys around it (see the module)."""

    def __init__(self, submitter: Submitter, placeholder: str, *, id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, id=id)
        self.submitter = submitter
        self.last_key: events.Key | None = None
        """The last key this line received: a key that bubbled up from the line is told from
        one routed past it (`AnswerInput.take_stray_key`)."""

    async def _on_key(self, event: events.Key) -> None:
        self.last_key = event
        if event.key == "enter":
            # Here, in this line's own queue, not as a binding: a binding acts once the key
            # has bubbled up to the app, after the keys typed behind it have been inserted.
            event.stop()
            event.prevent_default()
            await self.action_submit()
            return
        await super()._on_key(event)

    async def action_submit(self) -> None:
        text = self.value
        if not text.strip():
            return
        outcome = self.submitter(text)
        box = self.parent
        if not outcome.accepted:
            if outcome.message and isinstance(box, AnswerInput):
                box.show_message(False, outcome.message)
            return
        if outcome.clear:
            self.value = ""
        if isinstance(box, AnswerInput) and (outcome.clear or outcome.message):
            box.show_message(True, outcome.message)


class AnswerInput(Vertical):
    """An answer line and, beneath it, "read as: ..." or what is wrong with the input."""

    DEFAULT_CSS = """
    AnswerInput {
        height: auto;
        margin: 1 1 0 1;
    }
    AnswerInput > #preview {
        color: $text-muted;
        padding: 0 1;
        height: auto;
    }
    AnswerInput > #preview.invalid {
        color: $warning;
    }
    """

    def __init__(
        self,
        previewer: Previewer,
        submitter: Submitter,
        placeholder: str = "Your answer",
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.previewer = previewer
        self._submitter = submitter
        self._placeholder = placeholder
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield AnswerLine(self._submitter, self._placeholder, id="answer")
        yield Static("", id="preview", markup=False)

    @property
    def input(self) -> AnswerLine:
        return self.query_one("#answer", AnswerLine)

    def reset(self, placeholder: str, text: str = "") -> None:
        """A fresh line for a new card (or `text` back in it, after an undo or a refused answer)."""
        line = self.input
        line.placeholder = placeholder
        line.value = text
        line.cursor_position = len(text)
        self.show_message(True, "")
        line.disabled = False
        line.focus()
        if text:
            self.preview(text)

    async def take_stray_key(self, event: events.Key) -> None:
        """Give the line a key that its screen received instead (the screen calls this from `on_key`).

        A screen is shown before its answer line can take keys: the line is focused once
        the question is on screen, and keys typed meanwhile (straight after starting a
        session or a drill) are routed to the screen itself, where they would be lost. So
        are keys typed after a click elsewhere. Printable keys, Backspace and Enter go to
        the line, in order; a key the line has seen itself (Enter bubbles up from it) is
        left alone.
        """
        line = self.input
        if not self.display or line.disabled or event is line.last_key:
            return
        if event.is_printable and event.character:
            line.insert_text_at_cursor(event.character)
        elif event.key == "backspace":
            line.action_delete_left()
        elif event.key == "enter":
            await line.action_submit()
        else:
            return
        line.focus()
        event.stop()
        event.prevent_default()

    def set_placeholder(self, placeholder: str) -> None:
        self.input.placeholder = placeholder

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(PREVIEW_DELAY, lambda: self.preview(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()  # AnswerLine decides Enter itself, in order with the keys around it

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def preview(self, text: str) -> None:
        if not text.strip():
            self.app.call_from_thread(self._show_preview, text, True, "")
            return
        valid, message = self.previewer(text)
        self.app.call_from_thread(self._show_preview, text, valid, message)

    def _show_preview(self, text: str, valid: bool, message: str) -> None:
        if self.input.value == text:  # not a late preview of a part already entered
            self.show_message(valid, message)

    def show_message(self, valid: bool, message: str) -> None:
        """The preview line: how the answer is read, or (`valid` False) what is wrong with it."""
        preview = self.query_one("#preview", Static)
        preview.set_class(not valid, "invalid")
        preview.update(message)
