"""The errors the engine raises for bad input, each with a message meant for a person.

Every exception here is something a learner or a deck author can cause; the command
line and the app show the message and carry on, never a traceback.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base class: a problem with input, explained in `message`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ExpressionError(EngineError):
    """Text that is not a valid expression, or that breaks a size bound.

    `position` is the 0-based character offset the problem was found at, when known, so a
    caller can point at it.
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class EvaluationError(EngineError):
    """A well-formed expression that cannot be evaluated (wrong shapes, unknown value)."""


class CheckTimeout(EngineError):
    """A check ran past its time budget; the caller gets control back on time."""


class CardNotFound(EngineError):
    """A card reference (`deck/card` or `path.md#card`) that names no card."""
