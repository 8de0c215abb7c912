"""The single edits of an expected formula that a diagnosis tries, in order, and their words.

`engine.checking.diagnosis` verifies edited trees against a wrong answer; this module says which
edits there are, in which order they are tried and how each is told to the learner, so a slip
is added here without touching how answers are verified. The trees are walked and rebuilt by
`engine.checking.edit_places`.

The edits, in this order of priority (the simpler and the likelier slip first):

1. `sign-flipped`: the whole answer negated;
2. `dropped-factor`: one factor of a product left out, in a numerator or a denominator
   (the bias correction (1 − β₁ᵗ) of m/(1 − β₁ᵗ));
3. `dropped-term`: one term of a sum left out (any sum in the tree);
4. `term-sign-flipped`: the sign of one term;
5. `factor-2`, `factor-0.5`, `factor-10`, `factor-0.1`: the whole answer times a factor;
6. `swapped-variables`: two variables exchanged everywhere;
7. `eps-inside-sqrt`, `eps-outside-sqrt`: a term moved into or out of a square root
   (√v + ε ↔ √(v + ε));
8. `one-minus`: a subexpression 1 − x replaced by x, or a decay rate (a variable named
   beta…, alpha…, momentum… or rho…) replaced by 1 minus it;
9. `exponent-off-by-one`: an exponent n made n + 1 or n − 1 (β₁ᵗ⁺¹);
10. `swapped-arguments`: the two sides of a subtraction, division or power, or two
    arguments of a function, exchanged;
11. `term-factor-2`, `term-factor-0.5`, `term-factor-10`, `term-factor-0.1`: one term
    times a factor;
12. `sqrt-removed`, `square-removed`, `sqrt-added`, `square-added`: a square root or a
    square left out, or added to a subexpression;
13. `constant-factor`: the answer is the expected one times some other constant (the
    ratio of the two is the same at every point).

Where two edits give the same expression, the first in this order is said: σ(x) for
σ(x)(1 − σ(x)) is without the factor (1 − σ(x)) before it is without the term −σ(x) of that
factor, and x − y for y − x is the sign of the whole before the sides of a subtraction. Two
degenerate edits are left to the clearer one: an exponent 2 made 1 is a square left out, and a
term moved out of a square root is not one that would leave only a constant under it
(√(1 − α) is not √1 − α).

The relations the answer may have with the expected one are searched through these
edits: a difference that is a single term of the expected sum (−t is a dropped term, −2t
its sign flipped, +t the term counted twice: `term-factor-2`), and a ratio that is a single
factor of the expected product (1/f is a dropped factor of the numerator, f of the
denominator; f, or 1/f for a denominator's, is that factor squared: `square-added`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from typing import Final

import numpy as np
import numpy.typing as npt

from engine.checking.edit_places import (
    Factor,
    Place,
    Term,
    build_sum,
    factors_of,
    holder_of,
    is_sum,
    negated,
    places_of,
    replace,
    signed,
    signed_terms,
    terms_of,
    with_children,
    without,
)
from engine.expr.ast import (
    BinOp,
    Call,
    Compare,
    Constant,
    Name,
    Neg,
    Node,
    Number,
    children,
    free_names,
    walk,
)
from engine.expr.names import FUNCTIONS
from engine.expr.printer import to_unicode

Values = npt.NDArray[np.float64]
"""A side's values at the search's points, one per point."""
FACTORS: Final = (("2", 2.0), ("0.5", 0.5), ("10", 10.0), ("0.1", 0.1))
_FACTOR_WORDS: Final = {
    "2": ("2", "twice"), "0.5": ("2", "half"), "10": ("10", "ten times"), "0.1": ("10", "a tenth of"),
}  # fmt: skip
DECAY_PREFIXES: Final = ("beta", "alpha", "momentum", "rho")
"""Variables whose name starts with one of these are rates that learners confuse with 1 minus
themselves (β₁ and 1 − β₁ in Adam's moments, RMSprop's α, a momentum, Adadelta's ρ)."""
_ORDINALS: Final = (
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
)  # fmt: skip


@dataclass(frozen=True)
class Candidate:
    """One edited expression: its code, its tree, and its message, worded only when it is said
    (most edits are refuted at the first point)."""

    edit: str
    node: Node
    describe: Callable[[], str]


def candidates(expected: Node, answer_values: Values, expected_values: Values) -> Iterator[Candidate]:
    """Every single edit of `expected`, lazily, in the order of priority of the module's docstring.

    `answer_values` and `expected_values` are the two sides at the search's points, read only
    when the edits reach `constant-factor` (the ratio of the two, if it looks constant)."""
    places = places_of(expected)
    terms = terms_of(places)
    factors = factors_of(places)
    words = _Words(_text(expected))
    yield Candidate("sign-flipped", negated(expected), partial(str, SIGN_FLIPPED))
    for factor in factors:
        holder = holder_of(factor.place)
        dropped = replace(expected, holder.path, without(factor.place))
        yield Candidate("dropped-factor", dropped, partial(words.dropped_factor, factor))
    for term in terms:
        holder = holder_of(term.place)
        dropped = replace(expected, holder.path, without(term.place))
        yield Candidate("dropped-term", dropped, partial(words.dropped_term, term))
    for term in terms:
        flipped = replace(expected, term.place.path, negated(term.place.node))
        yield Candidate("term-sign-flipped", flipped, partial(words.term_sign, term))
    for code, _ in FACTORS:
        yield Candidate(f"factor-{code}", BinOp("*", Number(code), expected), partial(off_by, code))
    for first, second in itertools.combinations(sorted(free_names(expected)), 2):
        swapped = _swap_names(expected, first, second)
        yield Candidate("swapped-variables", swapped, partial(_swapped_names, first, second))
    yield from _square_root_moves(expected, places)
    yield from _one_minus(expected, places)
    for place in places:
        node = place.node
        if isinstance(node, BinOp) and node.op == "^":
            for step in (1, -1):
                exponent = _shifted(node.right, step)
                if exponent == Number("1"):
                    continue  # x² read as x: a square left out, said as such below
                shifted = BinOp("^", node.left, exponent)
                yield Candidate(
                    "exponent-off-by-one",
                    replace(expected, place.path, shifted),
                    partial(_in_place, "The exponent is off by one", shifted, node),
                )
    for place in places:
        for new, what in _swaps(place.node):
            yield Candidate(
                "swapped-arguments",
                replace(expected, place.path, new),
                partial(_in_place, what, new, place.node),
            )
    for term in terms:
        for code, _ in FACTORS:
            scaled = replace(expected, term.place.path, BinOp("*", Number(code), term.place.node))
            yield Candidate(f"term-factor-{code}", scaled, partial(words.term_factor, term, code))
    yield from _roots_and_squares(expected, places)
    ratio = _constant_ratio(answer_values, expected_values)
    if ratio is not None:
        yield Candidate(
            "constant-factor", BinOp("*", Number(repr(ratio)), expected), partial(_times_constant, ratio)
        )


SIGN_FLIPPED: Final = "The sign is flipped: your answer is the negative of the expected one."


@dataclass(frozen=True)
class _Words:
    """The sentences that name a term or a factor, in the words of the expected answer `whole`."""

    whole: str

    def context(self, part: str, chain: Place) -> str:
        """Where a piece is, when its text alone does not say (it appears more than once)."""
        if chain.parent is None or self.whole.count(part) <= 1:
            return ""
        return f" (in {_text(chain.node)})"

    def dropped_term(self, term: Term) -> str:
        return f"Your answer is the expected one without the term {term.shown}{self.context(term.shown, term.chain)}."

    def dropped_factor(self, factor: Factor) -> str:
        where = " in the denominator" if factor.denominator else ""
        context = self.context(_text(factor.place.node), factor.chain)
        return (
            f"Your answer is the expected one without the factor {_piece(factor.place.node)}{where}{context}."
        )

    def term_sign(self, term: Term) -> str:
        return (
            f"The sign of the {_ordinal(term.ordinal)} term ({term.shown}){_of_sum(term.chain)} is flipped."
        )

    def term_factor(self, term: Term, code: str) -> str:
        size, how = _FACTOR_WORDS[code]
        return (
            f"The {_ordinal(term.ordinal)} term ({term.shown}){_of_sum(term.chain)} is off by a factor of"
            f" {size}: your answer has {how} it."
        )


def _of_sum(chain: Place) -> str:
    """The sum a term is counted in, when it is not the whole answer."""
    return "" if chain.parent is None else f" of {_text(chain.node)}"


def _ordinal(index: int) -> str:
    return _ORDINALS[index] if index < len(_ORDINALS) else f"{index + 1}th"


def off_by(code: str) -> str:
    size, how = _FACTOR_WORDS[code]
    return f"Off by a factor of {size}: your answer is {how} the expected one."


def _swapped_names(first: str, second: str) -> str:
    return f"{_text(Name(first))} and {_text(Name(second))} are swapped."


def _in_place(lead: str, new: Node, old: Node) -> str:
    return f"{lead}: {_text(new)} in place of {_text(old)}."


def _times_constant(ratio: float) -> str:
    return f"Your answer is the expected one times {_constant_text(ratio)}."


def _swap_names(node: Node, first: str, second: str) -> Node:
    """`node` with the variables `first` and `second` exchanged everywhere."""
    match node:
        case Name(name) if name in (first, second):
            return Name(second if name == first else first)
        case Name() | Number() | Constant():
            return node
    kids = children(node)
    swapped = tuple(_swap_names(kid, first, second) for kid in kids)
    if all(new is old for new, old in zip(swapped, kids, strict=True)):
        return node  # unchanged: its value is the expected tree's, already known
    return with_children(node, swapped)


def _shifted(exponent: Node, step: int) -> Node:
    """An exponent plus `step` (±1): a number stays a number (x³ for x², not x^(2 + 1))."""
    number: float | None = None
    if isinstance(exponent, Number):
        number = float(exponent.text)
    elif isinstance(exponent, Neg) and isinstance(exponent.operand, Number):
        number = -float(exponent.operand.text)
    if number is None or not math.isfinite(number):
        return BinOp("+" if step > 0 else "-", exponent, Number("1"))
    value = number + step
    text = str(int(abs(value))) if value == int(value) and abs(value) < 1e15 else repr(abs(value))
    return Number(text) if value >= 0 else Neg(Number(text))


def _swaps(node: Node) -> Iterator[tuple[Node, str]]:
    """`node` with two of its operands exchanged, where the order matters, and what to call that."""
    if isinstance(node, BinOp) and node.op in _SWAPPED_SIDES:
        yield BinOp(node.op, node.right, node.left), _SWAPPED_SIDES[node.op]
    elif isinstance(node, Call) and node.func not in ("min", "max") and len(node.args) > 1:
        # where(c, a, b): its branches, never its condition with a branch
        first = 1 if node.func == "where" else 0
        for i, j in itertools.combinations(range(first, len(node.args)), 2):
            args = list(node.args)
            args[i], args[j] = args[j], args[i]
            yield Call(node.func, tuple(args)), f"Two arguments of {FUNCTIONS[node.func].display} are swapped"


_SWAPPED_SIDES: Final = {
    "-": "The two sides of the subtraction are swapped",
    "/": "The fraction is upside down",
    "^": "The base and the exponent are swapped",
}


def _square_root_moves(expected: Node, places: list[Place]) -> Iterator[Candidate]:
    """A term added to a square root moved inside it (√v + ε → √(v + ε)), and a term inside a
    square root moved out (√(v + ε) → √v + ε). A term u that holds a square root or an absolute
    value without being one (√(1 − α)·|g|) takes ε inside as √(u² + ε), which is √((1 − α)g² + ε)."""
    for place in places:
        node = place.node
        continues = place.parent is not None and is_sum(place.parent.node) and place.index == 0
        if is_sum(node) and not continues:
            for new, shown, rooted in _moved_inside(signed_terms(node)):
                formula = (node, new) if rooted else None
                yield Candidate(
                    "eps-inside-sqrt",
                    replace(expected, place.path, new),
                    partial(_root_move, shown, "inside", formula),
                )
        if isinstance(node, Call) and node.func == "sqrt" and is_sum(node.args[0]):
            terms = signed_terms(node.args[0])
            for j, (negative, moved) in enumerate(terms):
                rest = [term for k, term in enumerate(terms) if k != j]
                if not any(free_names(term) for _, term in rest):
                    continue  # √(1 − α) is not √1 − α: nothing that varies would stay under the root
                new = BinOp("-" if negative else "+", Call("sqrt", (build_sum(rest),)), moved)
                shown = signed(negative, moved)
                yield Candidate(
                    "eps-outside-sqrt",
                    replace(expected, place.path, new),
                    partial(_root_move, shown, "outside", (node, new)),
                )


def _moved_inside(terms: list[tuple[bool, Node]]) -> Iterator[tuple[Node, str, bool]]:
    """Each sum with one term moved under another that is (or holds) a square root: the new sum,
    the moved term as shown, and whether the root was a term itself (√v, not √(1 − α)·|g|)."""
    for i, (negative, root) in enumerate(terms):
        rooted = isinstance(root, Call) and root.func == "sqrt"
        if negative or not (rooted or _holds_root(root)):
            continue
        for j, (moved_negative, moved) in enumerate(terms):
            if j == i:
                continue
            op = "-" if moved_negative else "+"
            under = root.args[0] if isinstance(root, Call) and rooted else BinOp("^", root, Number("2"))
            inside = Call("sqrt", (BinOp(op, under, moved),))
            rest = [(False, inside) if k == i else term for k, term in enumerate(terms) if k != j]
            yield build_sum(rest), signed(moved_negative, moved), rooted


def _root_move(shown: str, where: str, formula: tuple[Node, Node] | None) -> str:
    said = f"This is the expected answer with {shown} {where} the square root"
    if formula is None:
        return said + "."
    old, new = formula
    return f"{said}: {_text(new)} in place of {_text(old)}."


def _holds_root(node: Node) -> bool:
    return any(isinstance(n, Call) and n.func in ("sqrt", "abs") for n in walk(node))


def _one_minus(expected: Node, places: list[Place]) -> Iterator[Candidate]:
    """1 − x read as x, and a decay rate β read as 1 − β (everywhere, then at each place)."""
    for place in places:
        node = place.node
        if isinstance(node, BinOp) and node.op == "-" and node.left == Number("1"):
            yield Candidate(
                "one-minus",
                replace(expected, place.path, node.right),
                partial(_with_instead, node.right, node),
            )
    for name in sorted(free_names(expected)):
        if not name.startswith(DECAY_PREFIXES):
            continue
        spots = [place for place in places if place.node == Name(name)]
        complement = BinOp("-", Number("1"), Name(name))
        everywhere = expected
        for spot in reversed(spots):  # the deepest and last first: the paths of the others stay valid
            everywhere = replace(everywhere, spot.path, complement)
        yield Candidate("one-minus", everywhere, partial(_with_instead, complement, Name(name)))
        if len(spots) > 1:
            for spot in spots:
                yield Candidate(
                    "one-minus",
                    replace(expected, spot.path, complement),
                    partial(_with_instead, complement, Name(name), " in one of its places"),
                )


def _with_instead(new: Node, old: Node, where: str = "") -> str:
    return f"This is the expected answer with {_text(new)} in place of {_text(old)}{where}."


def _roots_and_squares(expected: Node, places: list[Place]) -> Iterator[Candidate]:
    """A square root or a square left out, then one added to a subexpression that varies."""
    for place in places:
        node = place.node
        if isinstance(node, Call) and node.func == "sqrt":
            yield Candidate(
                "sqrt-removed",
                replace(expected, place.path, node.args[0]),
                partial(_in_place, "Your answer is missing the square root", node.args[0], node),
            )
    for place in places:
        node = place.node
        if isinstance(node, BinOp) and node.op == "^" and node.right == Number("2"):
            yield Candidate(
                "square-removed",
                replace(expected, place.path, node.left),
                partial(_in_place, "Your answer is missing the square", node.left, node),
            )
    varies: set[int] = set()  # the nodes that hold a variable, children before parents
    for place in reversed(places):
        if isinstance(place.node, Name) or any(id(kid) in varies for kid in children(place.node)):
            varies.add(id(place.node))
    varying = [place for place in places if id(place.node) in varies and not isinstance(place.node, Compare)]
    for place in varying:
        root: Node = Call("sqrt", (place.node,))
        yield Candidate(
            "sqrt-added",
            replace(expected, place.path, root),
            partial(_in_place, "Your answer takes a square root the expected one does not", root, place.node),
        )
    for place in varying:
        square: Node = BinOp("^", place.node, Number("2"))
        yield Candidate(
            "square-added",
            replace(expected, place.path, square),
            partial(_in_place, "Your answer squares what the expected one does not", square, place.node),
        )


def _constant_ratio(a: Values, e: Values) -> float | None:
    """The answer's ratio to the expected one where it looks constant (then checked as any edit is)."""
    usable = e != 0
    if not usable.any():
        return None
    ratio = float(np.median(a[usable] / e[usable]))
    if not math.isfinite(ratio) or ratio == 0.0 or abs(ratio - 1.0) < 1e-9:
        return None
    return ratio


def _constant_text(ratio: float) -> str:
    """A ratio as a person writes it: 3/2, −1/3, √(1/3), else its digits."""
    fraction = Fraction(ratio).limit_denominator(100)
    if abs(float(fraction) - ratio) <= 1e-9 * abs(ratio):
        return str(fraction).replace("-", "−")
    square = Fraction(ratio * ratio).limit_denominator(100)
    if abs(float(square) - ratio * ratio) <= 1e-9 * ratio * ratio:
        inside = str(square) if square.denominator == 1 else f"({square})"
        return ("−" if ratio < 0 else "") + "√" + inside
    return f"{ratio:.6g}".replace("-", "−")


def _text(node: Node) -> str:
    return to_unicode(node)


def _piece(node: Node) -> str:
    """A factor as a sentence shows it: a sum or a negative in parentheses, (1 − β₁ᵗ)."""
    text = to_unicode(node)
    wrapped = is_sum(node) or isinstance(node, Neg) or (isinstance(node, Number) and text.startswith("-"))
    return f"({text})" if wrapped else text
