"""LaTeX shown as Unicode a terminal can display.

`latex_to_unicode` turns one expression into Unicode: Greek letters, sub- and superscripts,
√, fractions written inline, matrices as nested brackets, combining accents (ŷ, x̄), a thin
space for `\\,`. Since a line of text cannot stack a fraction or set math spacing, it
copies what LaTeX would show: a space after a command only ends its name (`\\alpha x` is
αx), relations and operators get spaces (a ≤ b), function names are set off (log x), and a
fraction gains the parentheses its layout implied ((η/σₜ)mₜ, 1/(2a)). It only displays
(nothing is evaluated), and an unknown command is shown as written rather than lost.

Its output is plain text, with no Rich or Textual markup; putting it into a card's
markdown, escaped, is `engine.render.math_text`'s. What each command and character
becomes (Greek aside) is tabled in `engine.render.latex_symbols`: this module is the
walk over the source that uses the tables, and the layout rules above.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final, Literal

from engine.expr.names import GREEK, GREEK_ALIASES
from engine.render.latex_symbols import (
    ACCENTS,
    BIG_OPERATORS,
    BOLD,
    BOLD_DIGITS,
    CLOSING,
    DOUBLE_STRUCK,
    DROP,
    FUNCTIONS,
    OPENING,
    PREFIX_OPERATORS,
    RELATIONS,
    SCRIPT_CHARACTERS,
    SCRIPT_LETTERS,
    SIZING,
    SPACES,
    SUBSCRIPTS,
    SUPERSCRIPTS,
    SYMBOLS,
    TEXT_WRAPPERS,
    VULGAR,
    WRAPPERS,
    is_symbol,
)


def latex_to_unicode(latex: str) -> str:
    """One LaTeX math expression as Unicode text, on one line."""
    source = " ".join(latex.split())
    try:
        rendered = _Renderer(source).run()
    except RecursionError:  # braces nested hundreds deep: not math anyone wrote
        return source
    rendered = _QUAD.sub(r"\1", _SPACE_RUN.sub(" ", rendered))
    return _SPACE_INSIDE_BRACKETS.sub("", rendered).strip()


_SPACE_RUN: Final = re.compile(r"[ \u2009]*(?: [ \u2009]|\u2009 )[ \u2009]*")  # two or more, one plain
_QUAD: Final = re.compile(r" *(\u2003+) *")
_SPACE_INSIDE_BRACKETS: Final = re.compile(r"(?<=[(\[⌊⌈⟨]) +| +(?=[)\]⌋⌉⟩,;])")

_MAX_SCRIPT_LETTERS: Final = 3  # `v^{\max}` as vᵐᵃˣ, but `V^{corrected}` as V^corrected

# Outside brackets, one of these makes a numerator, denominator or radicand need parentheses.
_SEPARATORS: Final = " \u2009\u2003\u00a0+−-/=,;·×±<>≤≥←→"
_COMMAND: Final = re.compile(r"\\([A-Za-z]+|.)")
_NUMBER_OR_NAME: Final = re.compile(r"\d+(?:\.\d+)?|[A-Za-z]\w*_\w+")


class _Renderer:
    """A small recursive walk over the LaTeX source, producing Unicode as it goes."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.text_mode = False  # inside \text{...}: a hyphen is a hyphen, not a minus
        self.space_before = False  # the command just read is an operator name: log, Σ

    def run(self) -> str:
        return self.sequence(stop="")

    def sequence(self, stop: str) -> str:
        out: list[str] = []
        while self.pos < len(self.source):
            char = self.source[self.pos]
            if stop and char == stop:
                break
            if char == "\\":
                self.space_before = False
                piece = self.command()
                if self.space_before and _ends_with_operand(out):
                    piece = " " + piece
                elif piece.strip() in PREFIX_OPERATORS and not _ends_with_operand(out):
                    piece = piece.strip()  # a sign: ±1, not ± 1
                out.append(piece)
            elif char == "{":
                out.append(self.group())
            elif char in "^_" and not self.text_mode:
                self.pos += 1
                out.append(self.script(self.atom(), superscript=char == "^"))
            else:
                self.pos += 1
                out.append(self.character(char))
        return "".join(out)

    def character(self, char: str) -> str:
        """A plain character: math mode writes `-` as a minus and `'` as a prime."""
        if char == "&":
            return ", "
        if char == "~":
            return "\u00a0"
        if self.text_mode:
            return char
        return {"-": "−", "'": "′"}.get(char, char)

    def group(self) -> str:
        """`{...}`, returned without its braces."""
        self.pos += 1
        inner = self.sequence(stop="}")
        self.pos += 1
        return inner

    def atom(self) -> str:
        """One argument: a {group}, a command, or a single character."""
        self.skip_spaces()
        if self.pos >= len(self.source):
            return ""
        char = self.source[self.pos]
        if char == "{":
            return self.group()
        if char == "\\":
            return self.command(in_sequence=False)  # `x^\top g` keeps its space: xᵀ g
        self.pos += 1
        return self.character(char)

    def skip_spaces(self) -> None:
        while self.pos < len(self.source) and self.source[self.pos] == " ":
            self.pos += 1

    def text_atom(self) -> str:
        """The argument of `\\text`: words, spaces and hyphens as written."""
        outer, self.text_mode = self.text_mode, True
        try:
            return self.atom()
        finally:
            self.text_mode = outer

    def script(self, content: str, superscript: bool) -> str:
        table = SUPERSCRIPTS if superscript else SUBSCRIPTS
        compact = content.replace(" ", "")
        if not compact:
            return ""
        letters = sum(c.isascii() and c.isalpha() for c in compact)
        if compact and letters <= _MAX_SCRIPT_LETTERS and all(c in table for c in compact):
            return "".join(table[c] for c in compact)
        marker = "^" if superscript else "_"
        if len(compact) == 1 or (compact.isascii() and compact.isalnum()):
            return marker + compact
        return f"{marker}({content.strip()})"

    def command(self, *, in_sequence: bool = True) -> str:
        match = _COMMAND.match(self.source, self.pos)
        if match is None:  # a trailing backslash
            self.pos += 1
            return ""
        name = match.group(1)
        self.pos = match.end()
        if name.isalpha() and in_sequence and self.upcoming() in ("operand", "open"):
            self.skip_spaces()  # `\alpha x` is αx: the space only ends the command's name
        if name in DROP:
            if self.source[self.pos : self.pos + 1] == ".":  # \left. is an invisible delimiter
                self.pos += 1
            return ""
        return self.symbol(name) if is_symbol(name) else self.command_with_arguments(name)

    def symbol(self, name: str) -> str:
        if name in GREEK or name in GREEK_ALIASES:
            return GREEK[GREEK_ALIASES.get(name, name)]
        if name in RELATIONS:
            return f" {RELATIONS[name]} "
        if name in FUNCTIONS:
            return self.operator_name(FUNCTIONS[name])
        if name in BIG_OPERATORS:
            return self.big_operator(BIG_OPERATORS[name])
        if name in SPACES:
            return SPACES[name]
        return SYMBOLS[name]

    def big_operator(self, symbol: str) -> str:
        """Σ with its limits, set off from the summand: Σᵢ₌₁ⁿ xᵢ."""
        self.space_before = True
        limits = []
        while True:
            for style in ("\\limits", "\\nolimits"):
                if self.source.startswith(style, self.pos):
                    self.pos += len(style)
            char = self.source[self.pos : self.pos + 1]
            if not char or char not in "^_":
                break
            self.pos += 1
            limits.append(self.script(self.atom(), superscript=char == "^"))
        return symbol + "".join(limits) + (" " if self.upcoming() in ("operand", "open") else "")

    def operator_name(self, name: str) -> str:
        """`log`, `max`, `sech`: set off from an operand on either side, log x, n log n."""
        self.space_before = True
        return name + (" " if self.upcoming() == "operand" else "")

    def command_with_arguments(self, name: str) -> str:
        if name == "\\":
            return "; "
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            return self.fraction(self.atom(), self.atom())
        if name == "binom":
            return f"C({self.atom()}, {self.atom()})"
        if name == "sqrt":
            return self.root()
        if name == "operatorname":
            if self.source[self.pos : self.pos + 1] == "*":  # \operatorname*{argmax}
                self.pos += 1
            return self.operator_name(self.atom())
        if name in WRAPPERS:
            return self.atom()
        if name == "blank":  # a cloze card's blank (engine.decks.blanks), where it is shown whole
            return f"⟦{self.atom()}⟧"
        if name in BOLD:
            return "".join(BOLD_DIGITS.get(c, c) for c in self.atom())
        if name in TEXT_WRAPPERS:
            return self.text_atom()
        if name == "mathbb":
            return "".join(DOUBLE_STRUCK.get(c, c) for c in self.atom())
        if name in ("mathcal", "mathscr"):
            return "".join(SCRIPT_LETTERS.get(c, c) for c in self.atom())
        if name in ACCENTS:
            return _accent(self.atom(), ACCENTS[name])
        return self.construct(name)

    def construct(self, name: str) -> str:
        if name == "not":
            return self.atom().strip() + "\u0338"
        if name in ("phantom", "hphantom", "vphantom"):
            self.atom()
            return ""
        if name == "begin":
            return self.environment(self.atom())
        if name == "end":
            self.atom()
            return ""
        return "\\" + name  # unknown: shown as written

    def root(self) -> str:
        degree = ""
        if self.source[self.pos : self.pos + 1] == "[":
            end = self.source.find("]", self.pos)
            if end > 0:
                degree, self.pos = self.source[self.pos + 1 : end], end + 1
        radicand = self.atom()
        symbol = {"": "√", "3": "∛", "4": "∜"}.get(degree) or f"{self.script(degree, True)}√"
        return symbol + (radicand if _is_single(radicand) or not radicand else f"({radicand})")

    def fraction(self, numerator: str, denominator: str) -> str:
        """a/b, parenthesised as needed: (a+b)/(2c); ½ for a numeric one."""
        numerator, denominator = numerator.strip(), denominator.strip()
        if numerator.isascii() and numerator.isdigit() and denominator.isascii() and denominator.isdigit():
            return VULGAR.get(f"{numerator}/{denominator}") or (
                self.script(numerator, True) + "⁄" + self.script(denominator, False)
            )
        derivative = numerator[:1] in ("d", "∂") and denominator[:1] == numerator[:1]  # dy/dx
        top = numerator if _is_simple(numerator) or not numerator else f"({numerator})"
        single = _is_single(denominator) or (derivative and _is_simple(denominator))
        bottom = denominator if single or not denominator else f"({denominator})"
        fraction = f"{top}/{bottom}"
        return f"({fraction})" if self.upcoming() in ("operand", "open") else fraction

    def upcoming(self) -> Literal["operand", "open", "other"]:
        """What comes next: an "operand", an "open"ing bracket, or "other" (an operator, the end)."""
        pos = self.pos
        while pos < len(self.source):
            char = self.source[pos]
            if char == " ":
                pos += 1
                continue
            if char != "\\":
                if char in "([|":
                    return "open"
                return "operand" if char.isalnum() or char == "{" else "other"
            match = _COMMAND.match(self.source, pos)
            name = match.group(1) if match else ""
            if name in SPACES or name in SIZING:
                pos = match.end() if match else pos + 1
                continue
            if name in OPENING:
                return "open"
            if name in RELATIONS or name in CLOSING:
                return "other"
            return "operand"
        return "other"

    def environment(self, name: str) -> str:
        """Matrices become nested brackets: [[a, b], [c, d]]; other environments rows in a line."""
        end_tag = f"\\end{{{name}}}"
        body_end = self.source.find(end_tag, self.pos)
        if body_end < 0:
            return ""
        body = self.source[self.pos : body_end]
        self.pos = body_end + len(end_tag)
        rows = [row for row in re.split(r"\\\\", body) if row.strip()]
        rendered = [", ".join(latex_to_unicode(cell) for cell in row.split("&")) for row in rows]
        if "matrix" in name:
            return "[" + ", ".join(f"[{row}]" for row in rendered) + "]"
        return "; ".join(rendered)


def _accent(base: str, mark: str) -> str:
    """A combining accent on each letter of `base` (one letter, as a rule: ŷ, x̄)."""
    return "".join(c + mark if c.isalnum() else c for c in base)


def _ends_with_operand(pieces: list[str]) -> bool:
    """Whether the output so far ends with something an operator name must be set off from."""
    for piece in reversed(pieces):
        if piece.strip():
            last = piece.rstrip()[-1]
            return last.isalnum() or last in ")]|‖⟩⌋⌉′∞*"
    return False


def _is_simple(text: str) -> bool:
    """Whether `text` needs no parentheses as a numerator, denominator or radicand.

    It does when an operator or a space stands outside every bracket: a+b, x y.
    """
    return bool(text) and not any(char in _SEPARATORS for char in _outside_brackets(text))


def _is_single(text: str) -> bool:
    """Whether `text` is one operand (x, 10, v̂ₜ, √2, |x|, fan_in), not a product (2x) or a sum.

    A product needs parentheses as a denominator or radicand: 1/(2x), √(2π).
    """
    if not _is_simple(text):
        return False
    bare = "".join(c for c in text if not unicodedata.combining(c) and c not in SCRIPT_CHARACTERS)
    operands = 0
    attached = False  # the previous character binds this operand: x^(...), √2
    for char in _outside_brackets(_NUMBER_OR_NAME.sub("0", bare), keep_openers=True):
        if char in "^_√∛∜":
            attached = True
        elif attached:
            attached = False
        else:
            operands += 1
    return operands <= 1


def _outside_brackets(text: str, *, keep_openers: bool = False) -> list[str]:
    """The characters of `text` outside every bracket (or |...|), and the opening ones if asked."""
    kept: list[str] = []
    depth = 0
    bars: list[str] = []  # | and ‖ open and close alike: the innermost open one closes
    for char in text:
        opens = char in "([{⟨⌊⌈" or (char in "|‖" and (not bars or bars[-1] != char))
        closes = char in ")]}⟩⌋⌉" or (char in "|‖" and bool(bars) and bars[-1] == char)
        if closes:
            depth -= 1
            if char in "|‖":
                bars.pop()
        elif opens:
            if depth == 0 and keep_openers:
                kept.append(char)
            depth += 1
            if char in "|‖":
                bars.append(char)
        elif depth == 0:
            kept.append(char)
    return kept
