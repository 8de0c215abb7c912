"""The answer line, with a live preview of how the answer is read.

The preview is recomputed a moment after typing stops (debounced), in a worker thread, so
that no input, however hostile, can make the interface stutter; the parser's own bounds
keep each preview well under a millisecond in practice.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static

PREVIEW_DELAY = 0.15

Previewer = Callable[[str], tuple[bool, str]]


class AnswerInput(Vertical):
    """An Input and, beneath it, "read as: ..." or what is wrong with the input."""

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

    class Submitted(Message):
        def __init__(self, value: str) -> None:
            super().__init__()
            self.value = value

    def __init__(
        self, previewer: Previewer, placeholder: str = "Your answer", *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.previewer = previewer
        self.placeholder = placeholder
        self._timer: Timer | None = None
        self._last_preview = (True, "")

    def compose(self) -> ComposeResult:
        yield Input(placeholder=self.placeholder, id="answer")
        yield Static("", id="preview")

    @property
    def input(self) -> Input:
        return self.query_one("#answer", Input)

    def reset(self, previewer: Previewer, placeholder: str) -> None:
        self.previewer = previewer
        self.input.placeholder = placeholder
        self.input.value = ""
        self._show_preview(True, "")
        self.input.disabled = False
        self.input.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(PREVIEW_DELAY, lambda: self.preview(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.post_message(self.Submitted(event.value))

    @work(thread=True, exclusive=True, group="preview")
    def preview(self, text: str) -> None:
        if not text.strip():
            self.app.call_from_thread(self._show_preview, True, "")
            return
        valid, message = self.previewer(text)
        self.app.call_from_thread(self._show_preview, valid, message)

    def show_status(self, message: str) -> None:
        """A message in the preview line while the answer is being checked (see `restore`)."""
        self.query_one("#preview", Static).update(message)

    def restore(self) -> None:
        """Put back the last preview after a status message."""
        self._show_preview(*self._last_preview)

    def _show_preview(self, valid: bool, message: str) -> None:
        self._last_preview = (valid, message)
        preview = self.query_one("#preview", Static)
        preview.set_class(not valid, "invalid")
        preview.update(message)
