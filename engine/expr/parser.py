"""Text parsed into the expression tree, with a whitelist of names: `parse` and what names mean.

Nothing here evaluates anything: the output is an inert tree (`engine.expr.ast`). Names
are resolved against the whitelist of functions and constants and, when the caller
knows them, the variables a card declares; anything else is an error that says what was
found and what was expected.

This module is the entry point (`parse`, `ParseOptions`) and the names: which tokens are
variables, constants or functions, and how a function takes its arguments. The grammar
they plug into (operators, brackets, binding powers) is `engine.expr.pratt`; the checks
made on the finished tree are `engine.expr.tree_checks`.

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

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from engine.errors import ExpressionError
from engine.expr.ast import BinOp, Call, Constant, Name, Neg, Node, Number
from engine.expr.names import (
    CALLABLE_LETTERS,
    CONSTANTS,
    FUNCTION_ALIASES,
    FUNCTIONS,
    GREEK,
    decorated_spellings,
)
from engine.expr.pratt import IMPLICIT_POWER, POSTFIX_POWER, PrattParser
from engine.expr.tokenizer import MAX_TOKENS, Token, tokenize
from engine.expr.tree_checks import check_conditions, check_depth, check_eye_sizes, check_powers

_LOG_BASE: Final = re.compile(r"log_([0-9]{1,6}|[A-Za-z][A-Za-z0-9]*)")
"""A logarithm with its base as a subscript (`log₁₀`, `log_2`, `log_b`): how bases are printed."""


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
    check_eye_sizes(node)
    return node


def parse_with_variables(text: str, variables: Iterable[str]) -> Node:
    """Parse an answer that may use exactly these variables (and constants and functions)."""
    return parse(text, ParseOptions(variables=frozenset(variables)))


def _resolve_function(name: str) -> str | None:
    if name in FUNCTIONS:
        return name
    return FUNCTION_ALIASES.get(name)


class _Parser(PrattParser):
    """The grammar of `PrattParser`, with names resolved against the whitelist and `options`."""

    def __init__(self, tokens: list[Token], options: ParseOptions) -> None:
        super().__init__(tokens, allow_lists=options.allow_lists)
        self.options = options

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
        based = _LOG_BASE.fullmatch(name)
        if based is not None and self.at("op", "(") and not self.is_variable(name):
            return self.log_with_base(based.group(1), token)
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

    def log_with_base(self, base: str, token: Token) -> Node:
        """`log₁₀(x)`, `log_2(x)`, `log_b(x)`: log(x, base), as the printer writes it back."""
        args = self.argument_list(token, "log")
        if len(args) != 1:
            raise ExpressionError(f"{token.text} at column {token.pos + 1} takes one argument", token.pos)
        (argument,) = args
        if base.isdigit():
            return Call("log", (argument, Number(base)))
        base_node = self.name(Token("name", base, token.pos + 4))
        return Call("log", (argument, base_node))

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
            exponent = self.expression(POSTFIX_POWER)
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
                return [self.expression(IMPLICIT_POWER - 1)]
            finally:
                self.bare_argument -= 1
        raise ExpressionError(
            f"{function} at column {token.pos + 1} needs an argument, found {self._describe(self.token)}",
            token.pos,
        )
