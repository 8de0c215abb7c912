"""A card's prompt (or explanation): markdown, with its LaTeX math shown as Unicode."""

from __future__ import annotations

from textual.await_complete import AwaitComplete
from textual.widgets import Markdown

from engine import render_math


class PromptView(Markdown):
    """Markdown whose `$...$` math is rendered to Unicode first (terminals cannot typeset)."""

    DEFAULT_CSS = """
    PromptView {
        margin: 0 1;
        padding: 0;
    }
    """

    def show(self, markdown: str) -> AwaitComplete:
        """Show `markdown`; await the result to know when it is laid out (blocks mount over frames)."""
        return self.update(render_math(markdown))
