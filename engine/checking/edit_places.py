"""Where in an expression tree an edit is made, and the tree rebuilt around it.

A diagnosis (`engine.checking.diagnosis`) tries edits of the expected tree that each change
one node: a term of a sum, a factor of a product, a subtree under a square root
(`engine.checking.edits`). This module is what those edits stand on, apart from what each one
means: it names every node by its path from the root (`Place`), finds the terms and factors
of every sum and product as a learner reads them (a + b − c is the terms a, b and −c; a/(c·d)
has c and d in the denominator), and rebuilds a tree with one node replaced.

A rebuilt tree shares every subtree off the path to the edit with the expected one (`replace`
rebuilds only the nodes above it), and that sharing is what keeps the search fast: its values
are cached by node, so an edit costs the evaluation of that path alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.expr.ast import BinOp, Call, Compare, Index, ListExpr, Neg, Node, Number, children
from engine.expr.printer import to_unicode

Path = tuple[int, ...]


@dataclass(frozen=True)
class Place:
    """A node of the expected tree, where it is, and what holds it."""

    path: Path
    node: Node
    parent: Place | None

    @property
    def index(self) -> int:
        return self.path[-1]


def places_of(root: Node) -> list[Place]:
    """Every node of `root`, parents before children, each with its path."""
    found: list[Place] = []
    stack = [Place((), root, None)]
    while stack:
        place = stack.pop()
        found.append(place)
        kids = children(place.node)
        stack.extend(Place((*place.path, i), kid, place) for i, kid in reversed(list(enumerate(kids))))
    return found


def with_children(node: Node, kids: tuple[Node, ...]) -> Node:
    """`node` with `kids` in place of its children (a leaf is itself)."""
    match node:
        case Neg():
            return Neg(kids[0])
        case BinOp(op, _, _, implicit):
            return BinOp(op, kids[0], kids[1], implicit)
        case Compare(op):
            return Compare(op, kids[0], kids[1])
        case Call(func):
            return Call(func, kids)
        case ListExpr():
            return ListExpr(kids)
        case Index():
            return Index(kids[0], kids[1])
    return node


def replace(root: Node, path: Path, new: Node) -> Node:
    """`root` with the node at `path` replaced by `new` (only the nodes above it are rebuilt)."""
    if not path:
        return new
    kids = list(children(root))
    kids[path[0]] = replace(kids[path[0]], path[1:], new)
    return with_children(root, tuple(kids))


def is_sum(node: Node) -> bool:
    """Whether `node` is a link of a chain of `+` and `−`."""
    return isinstance(node, BinOp) and node.op in ("+", "-")


def _is_product(node: Node) -> bool:
    return isinstance(node, BinOp) and node.op in ("*", "/")


def negated(node: Node) -> Node:
    """−`node`, or what `node` negates (−x negated is x, not −(−x))."""
    return node.operand if isinstance(node, Neg) else Neg(node)


def signed(negative: bool, term: Node) -> str:
    """A term as a sum shows it, with its sign: −2·y (a product needs no parentheses), −(a + b)."""
    text = to_unicode(term)
    if not negative:
        return text
    wrapped = is_sum(term) or isinstance(term, Neg) or text.startswith("-")
    return f"−({text})" if wrapped else f"−{text}"


@dataclass(frozen=True)
class Term:
    """A term of a sum: its place, whether it is subtracted, the sum it belongs to, and its rank there."""

    place: Place
    negative: bool
    chain: Place
    ordinal: int

    @property
    def shown(self) -> str:
        return signed(self.negative, self.place.node)


@dataclass(frozen=True)
class Factor:
    """A factor of a product: its place, whether it divides, and the product it belongs to."""

    place: Place
    denominator: bool
    chain: Place


def terms_of(places: list[Place]) -> list[Term]:
    """The terms of every sum of the tree: each operand of a `+` or `−` that does not continue its
    chain (a + b − c is the terms a, b and −c; a − (b + c) the terms a and −(b + c), and b and c
    of the group b + c)."""
    found: list[Term] = []
    for place in places:
        parent = place.parent
        if parent is None or not is_sum(parent.node) or (place.index == 0 and is_sum(place.node)):
            continue
        assert isinstance(parent.node, BinOp)
        chain = parent
        while chain.parent is not None and is_sum(chain.parent.node) and chain.index == 0:
            chain = chain.parent
        ordinal = [id(term) for _, term in signed_terms(chain.node)].index(id(place.node))
        found.append(Term(place, parent.node.op == "-" and place.index == 1, chain, ordinal))
    return found


def signed_terms(node: Node) -> list[tuple[bool, Node]]:
    """The terms of a chain of `+` and `−`, each with whether it is subtracted, in order."""
    terms: list[tuple[bool, Node]] = []
    while isinstance(node, BinOp) and node.op in ("+", "-"):
        terms.append((node.op == "-", node.right))
        node = node.left
    terms.append((False, node))
    return terms[::-1]


def build_sum(terms: list[tuple[bool, Node]]) -> Node:
    """The chain of `+` and `−` of `terms`, as `signed_terms` reads one."""
    (first_negative, first), *rest = terms
    built: Node = Neg(first) if first_negative else first
    for negative, term in rest:
        built = BinOp("-" if negative else "+", built, term)
    return built


def factors_of(places: list[Place]) -> list[Factor]:
    """The factors of every product of the tree, numerator's and denominator's (a·b/(c·d) has
    the factors a and b, and c·d, c and d in the denominator)."""
    found: list[Factor] = []
    for place in places:
        parent = place.parent
        if parent is None or not _is_product(parent.node) or (place.index == 0 and _is_product(place.node)):
            continue
        divides = False
        step: Place = place
        while step.parent is not None and _is_product(step.parent.node):
            assert isinstance(step.parent.node, BinOp)
            divides ^= step.parent.node.op == "/" and step.index == 1
            step = step.parent
        found.append(Factor(place, divides, step))
    return found


def holder_of(place: Place) -> Place:
    """The place of the node that holds `place` (never asked of the root)."""
    assert place.parent is not None
    return place.parent


def without(place: Place) -> Node:
    """The operation holding `place`, without it: a − b without a is −b; a/b without a is 1/b."""
    assert place.parent is not None and isinstance(place.parent.node, BinOp)
    operation = place.parent.node
    if place.index == 1:
        return operation.left
    if operation.op == "-":
        return negated(operation.right)
    if operation.op == "/":
        return BinOp("/", Number("1"), operation.right)
    return operation.right
