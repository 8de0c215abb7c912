"""The Pratt parser's grammar: operators and their binding powers, brackets, lists, |x|, \\frac.

`PrattParser` reads tokens into the expression tree by precedence climbing: infix
operators by binding power, implicit multiplication tighter than `*` and `/`, prefix
minus, indexing, groups in ( ) or { }, `[...]` lists, `|...|` as abs, and `\\frac`. What
a name is (a variable, a constant, a function and its call) is left to a subclass,
`engine.expr.parser`'s, which knows the whitelist and the card's variables. The grammar
is apart from the names so that each can be read, and changed, without the other; the
reading conventions they make together are listed in `engine.expr.parser`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Final

from engine.errors import ExpressionError
from engine.expr.ast import BinOp, Call, Compare, ListExpr, Name, Neg, Node, Number
from engine.expr.ast import Index as IndexNode
from engine.expr.tokenizer import MAX_NESTING, Token

INFIX_POWER: Final[dict[str, int]] = {
    "<": 5, "<=": 5, ">": 5, ">=": 5, "=": 5,
    "+": 10, "-": 10, "*": 20, "/": 20, "@": 20, "^": 40,
}  # fmt: skip
IMPLICIT_POWER: Final = 25
PREFIX_MINUS_POWER: Final = 27
POSTFIX_POWER: Final = 50


class PrattParser(ABC):
    """The grammar over a list of tokens; what a name means is the subclass's.

    A subclass says which name tokens stand for functions (`function_name`, which also
    decides where a bare argument ends) and what a name becomes in the tree (`name`,
    which may parse a call).
    """

    def __init__(self, tokens: list[Token], *, allow_lists: bool) -> None:
        self.tokens = tokens
        self.index = 0
        self.allow_lists = allow_lists
        self.depth = 0
        self.abs_depth = 0
        self.bare_argument = 0

    # -- token helpers -------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.token
        return token.kind == kind and (text is None or token.text == text)

    def expect(self, text: str, opening: Token | None = None) -> Token:
        if self.at("op", text):
            return self.advance()
        found = self._describe(self.token)
        where = f" to close the {opening.text!r} at column {opening.pos + 1}" if opening else ""
        raise ExpressionError(f"expected {text!r}{where}, found {found}", self.token.pos)

    @staticmethod
    def _describe(token: Token) -> str:
        if token.kind == "end":
            return "the end of the input"
        return f"{token.text!r} at column {token.pos + 1}"

    # -- grammar -------------------------------------------------------------------------

    def parse_all(self) -> Node:
        node = self.expression(0)
        if not self.at("end"):
            token = self.token
            if token.kind == "op" and token.text in ")]}":
                raise ExpressionError(f"unmatched {token.text!r} at column {token.pos + 1}", token.pos)
            raise ExpressionError(f"unexpected {self._describe(token)}", token.pos)
        return node

    def expression(self, min_power: int) -> Node:
        self.depth += 1
        if self.depth > 4 * MAX_NESTING:
            raise ExpressionError("expression is nested too deeply", self.token.pos)
        try:
            left = self.prefix()
            while True:
                token = self.token
                if token.kind == "op" and token.text in INFIX_POWER:
                    power = INFIX_POWER[token.text]
                    if power <= min_power:
                        break
                    self.advance()
                    left = self.infix(token, left, power)
                elif token.kind == "op" and token.text == "[" and isinstance(left, Name | Call | IndexNode):
                    if min_power >= POSTFIX_POWER:
                        break
                    self.advance()
                    index = self.expression(0)
                    self.expect("]", token)
                    left = IndexNode(left, index)
                elif self.starts_operand(token):
                    if min_power >= IMPLICIT_POWER:
                        break
                    if token.kind == "num":
                        raise ExpressionError(
                            f"a number directly after an expression at column {token.pos + 1}:"
                            " write * to multiply, or a comma between list items",
                            token.pos,
                        )
                    right = self.expression(IMPLICIT_POWER)
                    left = BinOp("*", left, right, implicit=True)
                else:
                    break
            return left
        finally:
            self.depth -= 1

    def starts_operand(self, token: Token) -> bool:
        if token.kind in ("num", "frac"):
            return True
        if token.kind == "name":
            # `\sin x \cos x`: a bare argument stops before the next function.
            return not (self.bare_argument and self.function_name(self.index) is not None)
        if token.kind == "bar":
            return self.abs_depth == 0
        return token.kind == "op" and token.text in ("(", "{")

    def infix(self, token: Token, left: Node, power: int) -> Node:
        op = token.text
        if op == "^":
            return BinOp("^", left, self.expression(power - 1))  # right-associative
        right = self.expression(power)
        if op in ("<", "<=", ">", ">=", "="):
            if self.token.kind == "op" and self.token.text in ("<", "<=", ">", ">=", "="):
                raise ExpressionError(
                    f"chained comparison at column {self.token.pos + 1}: compare two things at a time",
                    self.token.pos,
                )
            return Compare(op, left, right)
        return BinOp(op, left, right)

    def prefix(self) -> Node:
        token = self.advance()
        if token.kind == "num":
            return Number(token.text)
        if token.kind == "name":
            return self.name(token)
        if token.kind == "frac":
            numerator = self.braced_or_digit(token)
            denominator = self.braced_or_digit(token)
            return BinOp("/", numerator, denominator)
        if token.kind == "bar":
            self.abs_depth += 1
            saved, self.bare_argument = self.bare_argument, 0
            try:
                inner = self.expression(0)
            finally:
                self.abs_depth -= 1
                self.bare_argument = saved
            if not self.at("bar"):
                raise ExpressionError(
                    f"expected '|' to close the '|' at column {token.pos + 1},"
                    f" found {self._describe(self.token)}",
                    self.token.pos,
                )
            self.advance()
            return Call("abs", (inner,))
        if token.kind == "op":
            if token.text == "-":
                return Neg(self.expression(PREFIX_MINUS_POWER))
            if token.text == "+":
                return self.expression(PREFIX_MINUS_POWER)
            if token.text in ("(", "{"):
                return self.group(token)
            if token.text == "[":
                return self.list_literal(token)
        if token.kind == "end":
            last = self.tokens[self.index - 1] if self.index > 0 else None
            after = f" after {last.text!r} at column {last.pos + 1}" if last is not None else ""
            raise ExpressionError(f"the expression ends too early{after}", token.pos)
        raise ExpressionError(f"unexpected {self._describe(token)}", token.pos)

    def group(self, opening: Token) -> Node:
        saved_abs, saved_bare = self.abs_depth, self.bare_argument
        self.abs_depth, self.bare_argument = 0, 0
        try:
            inner = self.expression(0)
        finally:
            self.abs_depth, self.bare_argument = saved_abs, saved_bare
        if self.at("op", ","):
            raise ExpressionError(
                f"unexpected ',' at column {self.token.pos + 1} (use [a, b] for a vector)",
                self.token.pos,
            )
        self.expect(")" if opening.text == "(" else "}", opening)
        return inner

    def braced_or_digit(self, frac: Token) -> Node:
        """An argument of \\frac: a {group}, or one digit as in \\frac12."""
        token = self.token
        if token.kind == "op" and token.text == "{":
            return self.group(self.advance())
        if token.kind == "num" and token.text.isdigit():
            if len(token.text) == 1:
                return Number(self.advance().text)
            if len(token.text) == 2:  # \frac12: LaTeX reads two single-digit arguments
                self.tokens[self.index] = Token("num", token.text[1], token.pos + 1)
                return Number(token.text[0])
        raise ExpressionError(f"\\frac at column {frac.pos + 1} needs two {{...}} arguments", frac.pos)

    def list_literal(self, opening: Token) -> Node:
        if not self.allow_lists:
            raise ExpressionError(f"a list is not expected here (column {opening.pos + 1})", opening.pos)
        items: list[Node] = []
        saved_abs, saved_bare = self.abs_depth, self.bare_argument
        self.abs_depth, self.bare_argument = 0, 0
        try:
            while True:
                if self.at("op", "]") and not items:
                    raise ExpressionError(f"empty list at column {opening.pos + 1}", opening.pos)
                items.append(self.expression(0))
                if self.at("op", ","):
                    self.advance()
                    continue
                self.expect("]", opening)
                break
        finally:
            self.abs_depth, self.bare_argument = saved_abs, saved_bare
        return ListExpr(tuple(items))

    # -- names, the subclass's -----------------------------------------------------------

    @abstractmethod
    def function_name(self, index: int) -> str | None:
        """The function that the name token at `index` stands for, if it stands for one."""

    @abstractmethod
    def name(self, token: Token) -> Node:
        """The tree for the name `token`, just read (a call parses its arguments here)."""
