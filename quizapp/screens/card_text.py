"""How a card and an answer that was not judged read on the study and drill screens.

Plain text and rich `Text` only: a title or a verdict may hold brackets, which markup
would read as tags.
"""

from __future__ import annotations

from rich.text import Text

from engine import Card, EngineError, Verdict


def problem_text(error: BaseException) -> str:
    """An error as one line for the learner: the engine's own message, or the kind of failure."""
    if isinstance(error, EngineError):
        return error.message
    return f"{type(error).__name__}: {error}"


def not_judged_text(verdict: Verdict) -> str:
    """Why an answer is neither right nor wrong: the checker failed, or the two sides could not
    be compared (then how the answer was read, and the expected answer)."""
    if not verdict.undecided:
        return verdict.error or verdict.feedback
    return f"{verdict.feedback}\n\nYour answer: {verdict.interpreted}\nExpected: {verdict.expected}"


def card_title(card: Card, detail: str) -> Text:
    """The card's title and id, styled without markup (a title may hold brackets)."""
    return Text.assemble((card.title, "bold"), (f"   {card.full_id} · {detail}", "dim"))
