"""Checking answers: the machinery every card kind checks with.

Owns symbolic equivalence (`equivalence`: sympy with a deadline, then sampling, with
points on both sides of each switch of a piecewise function from `switches`), the worker
process that runs sympy with that deadline (`timeouts`), the verdict record (`verdict`),
the diagnosis of a wrong answer as one small edit of the right one (`diagnosis`, tried
after a wrong verdict, logged as `auto:<edit>`; the edits in `edits`, the places in a tree
they apply to in `edit_places`), and the one boundary that turns any failure while an answer is read and judged into a
verdict (`boundary`). What a right answer is for each kind of card (a number within
tolerance, an option, an equivalent expression) lives with the kind, in `engine.decks.kinds`,
which checks through these.

May import: `engine.errors`, `engine.expr`. Never: `engine.decks`, `engine.study`,
`engine.storage`.
"""
