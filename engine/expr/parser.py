"""A Pratt parser from tokens to the expression tree, with a whitelist of names.

Nothing here evaluates anything: the output is an inert tree (`engine.expr.ast`). Names
are resolved against the whitelist of functions and constants and, when the caller
knows them, the variables a card declares; anything else is an error that says what was
found and what was expected.

Reading conventions (shown back to the user by the printer, so they can see them):
- implicit multiplication binds tighter than `*` and `/`: `1/2x` is 1/(2·x);
- `-x^2` is −(x²) and `^` is right-associative: `2^3^2` is 2^(3^2);
- `σ(x)` and `sigma(x)` are the sigmoid, `Φ(x)` the standard normal CDF, unless the card
  declares `sigma` or `Phi` as a variable;
- a function without parentheses takes the product that follows it (`\\log 2x` is
  log(2x)) up to the next function (`\\sin x \\cos x` is sin(x)·cos(x));
- `\\tanh^2(x)` is (tanh x)²;
- a comparison is true or false, not a number: it is the condition of `where(c, a, b)`
  and appears nowhere else (`1*(x > 0)` is refused, as is `where(3, 3, 1)`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from engine.errors import EvaluationError, ExpressionError
from engine.expr.ast import (
    BinOp,
    Call,
    Compare,
    Constant,
    ListExpr,
    Name,
    Neg,
    Node,
    Number,
    children,
    free_names,
    walk,
)
from engine.expr.ast import Index as IndexNode
from engine.expr.names import (
    CALLABLE_LETTERS,
    CONSTANTS,
    FUNCTION_ALIASES,
    FUNCTIONS,
    GREEK,
    decorated_spellings,
)
from engine.expr.printer import to_unicode
from engine.expr.tokenizer import MAX_NESTING, MAX_TOKENS, Token, tokenize

MAX_EXPONENT: Final = 1000
# The printer, the evaluator and the sympy converter recurse once or twice per level of
# the tree; this keeps them well inside Python's recursion limit. (A chain of 300 terms
# written with operators fits; `x x x ...` 600 times over does not.)
MAX_DEPTH: Final = 300

_INFIX_POWER: Final[dict[str, int]] = {
    "<": 5, "<=": 5, ">": 5, ">=": 5, "=": 5,
    "+": 10, "-": 10, "*": 20, "/": 20, "@": 20, "^": 40,
}  # fmt: skip
_IMPLICIT_POWER: Final = 25
_PREFIX_MINUS_POWER: Final = 27
_POSTFIX_POWER: Final = 50


@dataclass(frozen=True)
class ParseOptions:
    """What a parse may refer to.

    `variables` None means "any name is a variable" (deck formulas are parsed this way and
    their names checked against the declarations afterwards). `allow_names` False is for
    numeric answers, which must be numbers. `allow_lists` permits `[...]` vectors.
    """

    variables: frozenset[str] | None = None
    allow_names: bool = True
    allow_lists: bool = True


def parse(text: str, options: ParseOptions | None = None) -> Node:
    """Parse `text` into an expression tree, or raise `ExpressionError`."""
    if not text.strip():
        raise ExpressionError("the answer is empty")
    node = _Parser(tokenize(text), options or ParseOptions()).parse_all()
    check_depth(node)
    check_conditions(node)
    check_powers(node)
    return node


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


def _constant_value(node: Node) -> float | None:
    from engine.expr.numeric import evaluate_constant  # numpy: not needed to read a deck

    try:
        return evaluate_constant(node)
    except EvaluationError:
        return None


def parse_with_variables(text: str, variables: Iterable[str]) -> Node:
    """Parse an answer that may use exactly these variables (and constants and functions)."""
    return parse(text, ParseOptions(variables=frozenset(variables)))


def _resolve_function(name: str) -> str | None:
    if name in FUNCTIONS:
        return name
    return FUNCTION_ALIASES.get(name)


class _Parser:
    def __init__(self, tokens: list[Token], options: ParseOptions) -> None:
        self.tokens = tokens
        self.index = 0
        self.options = options
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
                if token.kind == "op" and token.text in _INFIX_POWER:
                    power = _INFIX_POWER[token.text]
                    if power <= min_power:
                        break
                    self.advance()
                    left = self.infix(token, left, power)
                elif token.kind == "op" and token.text == "[" and isinstance(left, Name | Call | IndexNode):
                    if min_power >= _POSTFIX_POWER:
                        break
                    self.advance()
                    index = self.expression(0)
                    self.expect("]", token)
                    left = IndexNode(left, index)
                elif self.starts_operand(token):
                    if min_power >= _IMPLICIT_POWER:
                        break
                    if token.kind == "num":
                        raise ExpressionError(
                            f"a number directly after an expression at column {token.pos + 1}:"
                            " write * to multiply, or a comma between list items",
                            token.pos,
                        )
                    right = self.expression(_IMPLICIT_POWER)
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
                return Neg(self.expression(_PREFIX_MINUS_POWER))
            if token.text == "+":
                return self.expression(_PREFIX_MINUS_POWER)
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
        if not self.options.allow_lists:
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

    # -- names and calls -----------------------------------------------------------------

    def is_variable(self, name: str) -> bool:
        variables = self.options.variables
        return variables is not None and name in variables

    def function_name(self, index: int) -> str | None:
        """The function that the name token at `index` stands for, if it stands for one."""
        name = self.tokens[index].text
        if self.is_variable(name):
            return None
        if name in CALLABLE_LETTERS:
            following = self.tokens[index + 1]
            if following.kind == "op" and following.text in ("(", "^"):
                return CALLABLE_LETTERS[name]
            return None
        return _resolve_function(name)

    def name(self, token: Token) -> Node:
        function = self.function_name(self.index - 1)
        if function is not None:
            return self.call(function, token)
        name = token.text
        if self.is_variable(name):
            return Name(name)
        if name in CONSTANTS:
            return Constant(name)
        if not self.options.allow_names:
            raise ExpressionError(
                f"{name!r} at column {token.pos + 1}: the answer must be a number"
                " (or an expression of numbers such as sqrt(2)/2)",
                token.pos,
            )
        if self.options.variables is None:
            return Name(name)
        declared = next((alt for alt in decorated_spellings(name) if self.is_variable(alt)), None)
        if declared is not None:  # ŷ for a card's yhat
            return Name(declared)
        pieces = self.split_name(name)
        if pieces is not None:
            if len(self.tokens) + len(pieces) - 1 > MAX_TOKENS:
                raise ExpressionError(f"expression is too long (more than {MAX_TOKENS} symbols)", token.pos)
            # Parse the pieces as if written apart, so that `xy^2` is x·y², not (x·y)².
            self.tokens[self.index - 1 : self.index] = [
                Token("name", piece, token.pos + offset) for piece, offset in pieces
            ]
            self.index -= 1
            return self.prefix()
        known = ", ".join(sorted(self.options.variables)) or "none"
        hint = " (functions need parentheses: f(x))" if name in GREEK else ""
        raise ExpressionError(
            f"unknown name {name!r} at column {token.pos + 1}; this card's variables: {known}{hint}",
            token.pos,
        )

    def split_name(self, name: str) -> list[tuple[str, int]] | None:
        """Split `xy` into x and y, or `pix` into π and x, when every piece is a known
        variable or constant: the pieces with their offsets in `name`, or None."""
        variables = self.options.variables or frozenset()
        known = sorted(set(variables) | CONSTANTS, key=len, reverse=True)
        pieces: list[tuple[str, int]] = []
        offset = 0
        while offset < len(name):
            for candidate in known:
                if name.startswith(candidate, offset):
                    pieces.append((candidate, offset))
                    offset += len(candidate)
                    break
            else:
                return None
        return pieces if len(pieces) >= 2 else None

    def call(self, function: str, token: Token) -> Node:
        spec = FUNCTIONS[function]
        exponent: Node | None = None
        if self.at("op", "^"):  # tanh^2(x) means (tanh x)^2
            caret = self.advance()
            exponent = self.expression(_POSTFIX_POWER)
            if isinstance(exponent, Neg):
                raise ExpressionError(
                    f"{token.text}^-... at column {caret.pos + 1} is ambiguous (inverse or reciprocal?):"
                    f" write 1/{token.text}(x)",
                    caret.pos,
                )
        if function == "sqrt" and self.at("op", "["):  # \sqrt[n]{x}
            opening = self.advance()
            degree = self.expression(0)
            self.expect("]", opening)
            radicand = self.argument_list(token, spec.name)[0]
            node: Node = BinOp("^", radicand, BinOp("/", Number("1"), degree))
        else:
            args = self.argument_list(token, spec.name)
            if not spec.min_args <= len(args) <= spec.max_args:
                expected = (
                    str(spec.min_args)
                    if spec.min_args == spec.max_args
                    else f"{spec.min_args} to {spec.max_args}"
                )
                raise ExpressionError(
                    f"{spec.name} takes {expected} argument{'s' if expected != '1' else ''},"
                    f" got {len(args)} (column {token.pos + 1})",
                    token.pos,
                )
            node = Call(function, tuple(args))
        return BinOp("^", node, exponent) if exponent is not None else node

    def argument_list(self, token: Token, function: str) -> list[Node]:
        if self.at("op", "("):
            opening = self.advance()
            args: list[Node] = []
            saved_abs, saved_bare = self.abs_depth, self.bare_argument
            self.abs_depth, self.bare_argument = 0, 0
            try:
                while True:
                    args.append(self.expression(0))
                    if self.at("op", ","):
                        self.advance()
                        continue
                    self.expect(")", opening)
                    return args
            finally:
                self.abs_depth, self.bare_argument = saved_abs, saved_bare
        if self.at("op", "{"):
            return [self.group(self.advance())]
        if self.starts_operand(self.token) or self.at("op", "-"):
            self.bare_argument += 1
            try:
                return [self.expression(_IMPLICIT_POWER - 1)]
            finally:
                self.bare_argument -= 1
        raise ExpressionError(
            f"{function} at column {token.pos + 1} needs an argument, found {self._describe(self.token)}",
            token.pos,
        )
