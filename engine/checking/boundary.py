"""The one boundary every check runs inside: any failure becomes a verdict, never an exception.

Nothing raises for a bad answer: answers are a normal part of studying. An
`ExpressionError`, or any failure before the answer was read, leaves the answer unreadable
(the learner fixes it); an `EngineError` after it was read (undefined, too large, out of
time) judges a readable answer wrong with the reason, so that nobody is stuck on an answer
they cannot fix; any other failure is a bug of ours, said so and not `judged`, so that no
session records it. Each card kind (`engine.decks.kinds`) runs its check through `judged`,
and its live preview through the same rule (`Attempt.unreadable`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from engine.checking.verdict import Verdict
from engine.errors import EngineError, ExpressionError

_log = logging.getLogger(__name__)


@dataclass
class Attempt:
    """How far the check of one answer got: `interpreted` is set once the answer is read."""

    interpreted: str | None = None

    def unreadable(self, error: Exception) -> bool:
        """Whether `error` leaves the answer unreadable: it is not a valid answer
        (`ExpressionError`), or the failure came before the answer was read."""
        return self.interpreted is None or isinstance(error, ExpressionError)


def judged(expected: str, part: str | None, answer: str, check: Callable[[Attempt], Verdict]) -> Verdict:
    """The boundary of a check: `check`'s verdict, or a verdict that says what went wrong."""
    attempt = Attempt()
    try:
        return check(attempt)
    except Exception as error:
        message = failure_message(error, answer)
        if attempt.unreadable(error):
            return Verdict(False, None, expected, "Your answer could not be read.", error=message, part=part)
        if not isinstance(error, EngineError):  # a bug of ours, not the answer's doing
            return Verdict(
                False,
                attempt.interpreted,
                expected,
                "The checker failed on this answer: it is neither right nor wrong.",
                error=message,
                part=part,
                judged=False,
            )
        return Verdict(
            False,
            attempt.interpreted,
            expected,
            "Your answer could not be evaluated.",
            error=message,
            part=part,
        )


def failure_message(error: Exception, answer: str) -> str:
    """A failure as one line for the learner: the engine's message, or (logged) the kind of failure."""
    if isinstance(error, EngineError):
        return error.message
    _log.info("checking %r failed", answer[:200], exc_info=error)
    detail = str(error)
    detail = detail if len(detail) <= 120 else detail[:119] + "…"
    return f"the checker failed on this answer ({type(error).__name__}: {detail})"
