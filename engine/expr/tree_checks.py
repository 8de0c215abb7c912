"""Checks on a parsed expression that its grammar cannot make: depth, comparisons, exponents,
the sizes of identity matrices.

A tree can be perfectly well formed and still unusable: nested deeper than the printer
and the evaluators can recurse, a comparison used as a number, or an exponent so large
that exact arithmetic would hold the interpreter for ever, or an identity matrix whose
size would differ between the instances of a batch. `parse` runs these on every
tree it returns. They walk the finished tree, which is why they are apart from the
parser: it reads tokens one at a time and sees none of this whole.
"""

from __future__ import annotations

import math
from typing import Final

from engine.errors import EvaluationError, ExpressionError
from engine.expr.ast import BinOp, Call, Compare, Name, Node, children, free_names, walk
from engine.expr.printer import to_unicode

MAX_EXPONENT: Final = 1000
# The printer, the evaluator and the sympy converter recurse once or twice per level of
# the tree; this keeps them well inside Python's recursion limit. (A chain of 300 terms
# written with operators fits; `x x x ...` 600 times over does not.)
MAX_DEPTH: Final = 300


def check_depth(root: Node) -> None:
    """Refuse trees deeper than `MAX_DEPTH` (measured without recursion)."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression is nested too deeply (more than {MAX_DEPTH} levels)")
        stack.extend((child, depth + 1) for child in children(node))


def check_conditions(root: Node) -> None:
    """Refuse a comparison anywhere but as the condition of `where`, and a `where` without one.

    Truth values have no arithmetic in the language: `-(1 < 2)`, `|x < 1|` or
    `log(x < 1)` would mean something different (or fail) in each evaluator.
    """
    conditions: set[int] = set()  # the where conditions met so far (parents come first)
    for node in walk(root):
        if isinstance(node, Call) and node.func == "where":
            condition = node.args[0]
            if not isinstance(condition, Compare):
                raise ExpressionError(
                    f"where needs a comparison such as x > 0 as its condition, not {to_unicode(condition)}"
                )
            conditions.add(id(condition))
        elif isinstance(node, Compare) and id(node) not in conditions:
            raise ExpressionError(
                f"{to_unicode(node)} is true or false, not a number: a comparison can only be"
                " the condition of where(condition, a, b)"
            )


def check_powers(root: Node) -> None:
    """Refuse exponents that would make exact arithmetic explode (`9^9^9^9`).

    sympy computes integer powers exactly, and a huge one holds the interpreter for as
    long as it takes; so constant exponents are bounded before anything is built.
    """
    for node in walk(root):
        if not (isinstance(node, BinOp) and node.op == "^") or free_names(node.right):
            continue
        exponent = _constant_value(node.right)
        if exponent is None:
            continue
        if math.isnan(exponent):
            raise ExpressionError("an exponent is not a real number (such as sqrt(-2))")
        if not math.isfinite(exponent) or abs(exponent) > MAX_EXPONENT:
            shown = f"{exponent:.6g}" if math.isfinite(exponent) else "an enormous number"
            raise ExpressionError(f"exponent {shown} is too large (the limit is ±{MAX_EXPONENT})")
        base = None if free_names(node.left) else _constant_value(node.left)
        if base and math.isfinite(base) and abs(exponent) * math.log10(abs(base)) > 300:
            raise ExpressionError("number too large (more than 10^300)")


def check_eye_sizes(root: Node) -> None:
    """Refuse `eye(n)` whose n could differ between instances (a card's variable).

    An item's shape is the same for every instance of a batch, so n may use numbers and
    the shapes of values (`eye(len(x))`), and no value itself: `eye(n)` with n a given
    would work for one instance and fail for the batch the validator draws.
    """
    for node in walk(root):
        if not (isinstance(node, Call) and node.func == "eye"):
            continue
        stack = list(node.args)
        while stack:
            current = stack.pop()
            if isinstance(current, Name):
                size, name = to_unicode(node.args[0]), to_unicode(current)
                uses = f"{name} is" if size == name else f"{size} uses {name},"
                raise ExpressionError(
                    "eye(n) needs a size that is the same in every instance, such as 3 or"
                    f" len(x): {uses} a value that may differ"
                )
            if not (isinstance(current, Call) and current.func in ("len", "size")):
                stack.extend(children(current))


def _constant_value(node: Node) -> float | None:
    from engine.expr.numeric import evaluate_constant  # numpy: not needed to read a deck

    try:
        return evaluate_constant(node)
    except EvaluationError:
        return None
