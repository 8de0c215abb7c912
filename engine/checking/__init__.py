"""Checking answers: reading them, judging them, and saying why.

Owns the verdict on an answer (`check`: symbolic, numeric, choice and steps answers,
declared mistakes, the one boundary that turns any failure into a verdict), symbolic
equivalence (`equivalence`), the verdict record (`verdict`), the worker process that
runs sympy with a deadline (`timeouts`), and the warm-up that pays a launch's one-off
costs before the first answer (`warmup`).

May import: `engine.errors`, `engine.render`, `engine.expr`, `engine.decks` (the card
model and instances), `engine.references`. Never: `engine.study`, `engine.storage`.
"""
