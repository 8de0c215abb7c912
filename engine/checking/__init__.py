"""Checking answers: reading them, judging them, and saying why.

Owns the verdict on an answer (`check`: symbolic, numeric, choice and steps answers,
declared mistakes, the one boundary that turns any failure into a verdict), symbolic
equivalence (`equivalence`), the verdict record (`verdict`), the worker process that
runs sympy with a deadline (`timeouts`), and the warm-up that pays a launch's one-off
costs before the first answer (`warmup`).

May import: `engine.errors`, `engine.render`, `engine.expr`, `engine.decks` (the card
model and instances), `engine.references`. Never: `engine.study`, `engine.storage`.

The names below are the package's API. They are loaded on first use, so that importing
`engine.checking.verdict` (which the review log needs at start-up) does not import numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.checking.check import CardUsageError as CardUsageError
    from engine.checking.check import check_answer as check_answer
    from engine.checking.check import check_step as check_step
    from engine.checking.check import expected_answer_text as expected_answer_text
    from engine.checking.check import option_index as option_index
    from engine.checking.check import option_letter as option_letter
    from engine.checking.check import option_lines as option_lines
    from engine.checking.check import read_as as read_as
    from engine.checking.check import read_parts as read_parts
    from engine.checking.check import split_step_answers as split_step_answers
    from engine.checking.verdict import Verdict as Verdict

_EXPORTS = {
    "CardUsageError": "engine.checking.check",
    "check_answer": "engine.checking.check",
    "check_step": "engine.checking.check",
    "expected_answer_text": "engine.checking.check",
    "option_index": "engine.checking.check",
    "option_letter": "engine.checking.check",
    "option_lines": "engine.checking.check",
    "read_as": "engine.checking.check",
    "read_parts": "engine.checking.check",
    "split_step_answers": "engine.checking.check",
    "Verdict": "engine.checking.verdict",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'engine.checking' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
