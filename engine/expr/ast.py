"""The parsed form of an expression: a small immutable tree.

The parser builds this tree; everything else reads it. Three readers matter: the Unicode
printer (how the input was read), the numeric evaluator (numpy, batched) and the sympy
converter (exact comparisons). Keeping our own tree, rather than building sympy objects
directly, means the printer shows exactly what the parser understood, in the order the
person wrote it, and that numeric work never goes near sympy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Number:
    """A numeric literal, kept as written so that `0.1` can be exactly 1/10."""

    text: str


@dataclass(frozen=True, slots=True)
class Name:
    """A variable, by canonical name (`beta_1`)."""

    name: str


@dataclass(frozen=True, slots=True)
class Constant:
    """`pi` or `e`."""

    name: str


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Node


@dataclass(frozen=True, slots=True)
class BinOp:
    """`+ - * / ^ @`; `implicit` marks a product written by juxtaposition (`2x`)."""

    op: str
    left: Node
    right: Node
    implicit: bool = False


@dataclass(frozen=True, slots=True)
class Compare:
    """`a < b` and friends; only meaningful as the condition of `where`."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Call:
    """A whitelisted function (canonical name) applied to arguments."""

    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class ListExpr:
    """`[a, b, c]`: a vector, or a matrix when the items are lists."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Index:
    """`x[i]`: item `i` along the first axis of a vector or matrix."""

    base: Node
    index: Node


Node = Number | Name | Constant | Neg | BinOp | Compare | Call | ListExpr | Index


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of `node`."""
    match node:
        case Neg(operand):
            return (operand,)
        case BinOp(_, left, right) | Compare(_, left, right):
            return (left, right)
        case Call(_, args):
            return args
        case ListExpr(items):
            return items
        case Index(base, index):
            return (base, index)
        case _:
            return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children (iteratively: trees can be deep)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def free_names(node: Node) -> set[str]:
    """The variable names an expression uses."""
    return {n.name for n in walk(node) if isinstance(n, Name)}


def functions_used(node: Node) -> set[str]:
    """The functions an expression calls."""
    return {n.func for n in walk(node) if isinstance(n, Call)}
