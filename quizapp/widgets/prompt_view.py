"""A card's prompt (or explanation): markdown, with its LaTeX math shown as Unicode."""

from __future__ import annotations

from collections.abc import Mapping

from textual.await_complete import AwaitComplete
from textual.widgets import Markdown

from engine import fill_marks, render_math


class PromptView(Markdown):
    """Markdown whose `$...$` math is rendered to Unicode first (terminals cannot typeset)."""

    DEFAULT_CSS = """
    PromptView {
        margin: 0 1;
        padding: 0;
    }
    """

    rendered = ""
    """The prompt as shown before any blank is answered."""
    shown = ""

    def show(self, markdown: str) -> AwaitComplete:
        """Show `markdown`; await the result to know when it is laid out (blocks mount over frames)."""
        self.rendered = self.shown = render_math(markdown)
        return self.update(self.shown)

    def fill(self, fills: Mapping[int, str]) -> None:
        """Show the answered blanks of a cloze formula in place of their marks (`⟦1⟧`).

        Nothing is redrawn when nothing changes (a prompt without blanks never changes), so
        a steps card's parts cost no re-layout of the prompt.
        """
        filled = fill_marks(self.rendered, fills)
        if filled != self.shown:
            self.shown = filled
            self.update(filled)
