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
| a / d / s / r | home: study all decks / a timed drill of the selected deck / statistics / read the decks again |
| b | home: the card browser (search cards: `deck:optimizers tag:adam is:due gelu`; Enter opens one) |
| space | reveal a flash card |
| 1 2 3 4 | rate: Again, Hard, Good, Easy (a checked card's rating can be changed before Enter) |
| u, Ctrl+Z | undo: take back the last answer and its schedule change, and answer that card again (or a suspend or bury) |
| s, Ctrl+S | suspend the card until you unsuspend it in the browser (s after the verdict or on a flash card; Ctrl+S also while typing) |
| b, Ctrl+L | bury the card until the next study day, 04:00 (b after the verdict or on a flash card; Ctrl+L also while typing) |
| n / s / b / r | an opened card in the browser: study it now / suspend or unsuspend / bury or unbury / reset it to new |
| h, Ctrl+G | show the card's next hint, when it has one (h out of the answer line; Ctrl+G also while typing); the answer then earns Hard at best |
| Ctrl+N | skip a question (drills) |
| Esc | end the session or drill (every answer given is saved; one being checked is saved first) |
| Ctrl+P | command palette (themes, study all, statistics, help) |
| Ctrl+T | switch between the light and dark theme |
| ? | this help |
| Ctrl+Q | quit (an answer being checked is saved first) |

## Writing answers
- Expressions: `sigmoid(x)*(1-sigmoid(x))`, `σ(x)(1-σ(x))`, `2x`, `x^2`, `sqrt(v)+eps`.
- LaTeX works too: `\\frac{1}{1+e^{-x}}`, `1-\\tanh^2(x)`, `\\beta_1`; so do the prompt's
  letters: `ŷ` for a card's `yhat`, `x̄` for `xbar`.
- Numbers may be expressions: `sqrt(2)/2`, `1e-3`; vectors: `[0.5, 0.25]`.
- Steps cards are answered part by part (type at your pace: each Enter moves on at once);
  several parts can go on one line, separated by `;`.
- Cloze cards: write what fills each blank (⟦1⟧, ⟦2⟧…) of the formula, one per Enter or
  separated by `;`; any equivalent form of a blank is right.
- Choices: by letter (`b`), by the option's text, or, when the options are numbers, by value
  (`1e-2` for 0.01).
- The line under the answer shows how your input is read, as you type. An answer that
  cannot be read is never counted: it stays in the line with what is wrong, to fix.
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
