"""Help: the keys, and how to write answers."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# quizapp

## Keys
| key | |
|---|---|
| Enter | study the selected deck; submit an answer; go on to the next card |
| a | study all decks (home) |
| space | reveal a flash card |
| 1 2 3 4 | rate: Again, Hard, Good, Easy (a checked card's rating can be changed before Enter) |
| Esc | end the session (answers given so far are saved) |
| Ctrl+P | command palette (themes, study all, help) |
| Ctrl+T | switch between the light and dark theme |
| ? | this help |
| Ctrl+Q | quit |

## Writing answers
- Expressions: `sigmoid(x)*(1-sigmoid(x))`, `σ(x)(1-σ(x))`, `2x`, `x^2`, `sqrt(v)+eps`.
- LaTeX works too: `\\frac{1}{1+e^{-x}}`, `1-\\tanh^2(x)`, `\\beta_1`.
- Numbers may be expressions: `sqrt(2)/2`, `1e-3`; vectors: `[0.5, 0.25]`.
- Steps cards are answered part by part; choices by letter, number or text.
- The line under the answer shows how your input is read, as you type.
"""


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 80%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP)
