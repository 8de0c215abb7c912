"""Turn answer text (plain, Unicode or LaTeX) into a flat list of tokens.

The three notations meet here: `σ(x)`, `sigma(x)` and `\\sigma(x)` produce the same
tokens, as do `x²`, `x^2` and `x**2`. The size bounds are enforced here too, before any
real work, so that a megabyte of input or 5,000 nested parentheses is refused at once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final, Literal

from engine.errors import ExpressionError
from engine.expr.names import (
    ACCENTS,
    GREEK,
    GREEK_ALIASES,
    SUBSCRIPT_DIGITS,
    SUPERSCRIPT_CHARS,
    UNICODE_GREEK,
    canonical_name,
)

MAX_INPUT_CHARS: Final = 2000
MAX_TOKENS: Final = 600
MAX_NESTING: Final = 40
MAX_NUMBER_CHARS: Final = 40

MAX_DECIMAL_EXPONENT: Final = 300
_DIGITS: Final = "0123456789"
_DIGIT_SET: Final = frozenset(_DIGITS)

TokenKind = Literal["num", "name", "op", "frac", "bar", "end"]


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    pos: int


_NUMBER = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")  # ASCII digits only
_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*")
# A subscript: `_t`, `_{t}`, and the forms a word takes in LaTeX (`_{\max}`, `_{\text{in}}`, `_\max`).
_SUBSCRIPT = re.compile(
    r"_(?:([A-Za-z0-9]+)"
    r"|\{\s*(?:\\(?:text|textrm|mathrm|rm|operatorname)\s*\{\s*([A-Za-z0-9]+)\s*\}|\\?([A-Za-z0-9]+))\s*\}"
    r"|\\(?:text|textrm|mathrm|rm)\s*\{\s*([A-Za-z0-9]+)\s*\}"
    r"|\\(max|min))"
)
_TRAILING_ASCII_DIGITS = re.compile(r"[0-9]*")
_LATEX_COMMAND = re.compile(r"\\([A-Za-z]+|.)")
_BRACED_WORD = re.compile(r"\s*\{\s*([A-Za-z][A-Za-z0-9]*(?:\\?_[A-Za-z0-9]+)*)\s*\}")  # fan\_in too
# What an accent applies to: `{m}`, `{\mu}`, `m`, or a command such as `\mu` (`\bar\mu`).
_ACCENTED = re.compile(r"\s*(?:\{\s*\\?([A-Za-z]+)\s*\}|\\([A-Za-z]+)|([A-Za-z]))")
_ACCENT_ALIASES: Final = {"overline": "bar", "widehat": "hat", "widetilde": "tilde"}
# Letters written as superscripts and subscripts (Unicode has no complete alphabet of either).
_SUPERSCRIPT_LETTERS: Final = dict(zip("ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ", "abcdefghijklmnoprstuvwxyz", strict=True))
_SUBSCRIPT_LETTERS: Final = dict(zip("ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", "aehijklmnoprstuvx", strict=True))
# Vulgar fractions, read as a bracketed quotient: ½(a + b) is (1/2)(a + b).
_VULGAR_FRACTIONS: Final = {"½": ("1", "2"), "⅓": ("1", "3"), "⅔": ("2", "3"), "¼": ("1", "4"),
                            "¾": ("3", "4"), "⅕": ("1", "5"), "⅙": ("1", "6"), "⅛": ("1", "8")}  # fmt: skip

# Single characters (after Unicode folding) that are operators.
_OPERATOR_CHARS: Final[dict[str, str]] = {
    "+": "+", "-": "-", "−": "-", "–": "-", "*": "*", "·": "*", "⋅": "*", "×": "*",
    "∙": "*", "∗": "*", "/": "/", "÷": "/", "^": "^", "(": "(", ")": ")", "[": "[",
    "]": "]", "{": "{", "}": "}", ",": ",", "@": "@", "<": "<", ">": ">", "≤": "<=",
    "≥": ">=", "=": "=",
}  # fmt: skip
_TWO_CHAR_OPERATORS: Final[dict[str, str]] = {"**": "^", "<=": "<=", ">=": ">=", "==": "="}

# Combining accents (U+0302 and friends) -> the accent's name: m̂ is m_hat.
_COMBINING_ACCENTS: Final[dict[str, str]] = {mark: name for name, mark in ACCENTS.items()}

_LATEX_SKIP: Final = frozenset(
    {",", ";", ":", "!", " ", "quad", "qquad", "left", "right", "big", "Big", "bigg",
     "Bigg", "bigl", "bigr", "Bigl", "Bigr", "displaystyle", "mathbf", "boldsymbol",
     "bm", "mathit", "limits"}
)  # fmt: skip
_LATEX_OPERATORS: Final[dict[str, str]] = {
    "cdot": "*", "times": "*", "ast": "*", "div": "/", "le": "<=", "leq": "<=",
    "ge": ">=", "geq": ">=", "lt": "<", "gt": ">",
}  # fmt: skip
_LATEX_FUNCTIONS: Final = frozenset(
    {"exp", "log", "ln", "sqrt", "sin", "cos", "tan", "sinh", "cosh", "tanh", "max",
     "min", "sech", "sgn"}
)  # fmt: skip
_LATEX_BARS: Final = frozenset({"|", "lvert", "rvert", "vert", "mid"})
_LATEX_WORD_WRAPPERS: Final = frozenset({"operatorname", "mathrm", "text", "textrm", "rm"})


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens, enforcing the size and nesting bounds."""
    if len(text) > MAX_INPUT_CHARS:
        raise ExpressionError(
            f"input is too long ({len(text):,} characters; the limit is {MAX_INPUT_CHARS:,})"
        )
    return _Tokenizer(text).run()


def _decorated_letter(char: str) -> str | None:
    """`y_hat` for a precomposed ŷ (and x̄, ñ...): a Latin letter with an accent the language knows."""
    if char.isascii() or not char.isalpha():
        return None
    decomposed = unicodedata.normalize("NFD", char)
    if len(decomposed) == 2 and decomposed[0].isascii() and decomposed[1] in _COMBINING_ACCENTS:
        return f"{decomposed[0]}_{_COMBINING_ACCENTS[decomposed[1]]}"
    return None


class _Tokenizer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.tokens: list[Token] = []
        self.depth = 0

    def run(self) -> list[Token]:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char.isspace():
                self.pos += 1
            elif char in _DIGITS or (char == "." and text[self.pos + 1 : self.pos + 2] in _DIGIT_SET):
                self._number()
            elif char.isascii() and char.isalpha():
                match = _IDENT.match(text, self.pos)
                assert match is not None
                self.pos = match.end()
                self._name(match.group(), match.start())
            elif char in UNICODE_GREEK:
                start = self.pos
                self.pos += 1
                digits = _TRAILING_ASCII_DIGITS.match(text, self.pos)
                assert digits is not None  # [0-9]* always matches
                self.pos = digits.end()  # β1 is β₁, as beta1 is
                self._name(UNICODE_GREEK[char] + digits.group(), start)
            elif (decorated := _decorated_letter(char)) is not None:  # ŷ, precomposed
                start = self.pos
                self.pos += 1
                self._name(decorated, start)
            elif char in SUPERSCRIPT_CHARS:
                self._superscript()
            elif char in _SUPERSCRIPT_LETTERS:
                self._superscript_name()
            elif char in _VULGAR_FRACTIONS:
                top, bottom = _VULGAR_FRACTIONS[char]
                for kind, piece in (("op", "("), ("num", top), ("op", "/"), ("num", bottom), ("op", ")")):
                    self._emit(kind, piece, self.pos)  # type: ignore[arg-type]
                self.pos += 1
            elif char == "√":
                self._emit("name", "sqrt", self.pos)
                self.pos += 1
            elif char == "|":
                self._emit("bar", "|", self.pos)
                self.pos += 1
            elif char == "\\":
                self._latex()
            elif text[self.pos : self.pos + 2] in _TWO_CHAR_OPERATORS:
                self._operator(_TWO_CHAR_OPERATORS[text[self.pos : self.pos + 2]], 2)
            elif char in _OPERATOR_CHARS:
                self._operator(_OPERATOR_CHARS[char], 1)
            else:
                raise ExpressionError(f"unexpected character {char!r} at column {self.pos + 1}", self.pos)
        self.tokens.append(Token("end", "", len(text)))
        return self.tokens

    def _emit(self, kind: TokenKind, text: str, pos: int) -> None:
        if len(self.tokens) >= MAX_TOKENS:
            raise ExpressionError(f"expression is too long (more than {MAX_TOKENS} symbols)", pos)
        self.tokens.append(Token(kind, text, pos))

    def _operator(self, op: str, width: int) -> None:
        if op in "([{":
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise ExpressionError(
                    f"expression is nested too deeply (more than {MAX_NESTING} levels of brackets)",
                    self.pos,
                )
        elif op in ")]}":
            self.depth = max(0, self.depth - 1)
        self._emit("op", op, self.pos)
        self.pos += width

    def _number(self) -> None:
        match = _NUMBER.match(self.text, self.pos)
        assert match is not None
        if len(match.group()) > MAX_NUMBER_CHARS:
            raise ExpressionError(
                f"number at column {self.pos + 1} is too long (limit {MAX_NUMBER_CHARS} characters)",
                self.pos,
            )
        if match.group(2) and abs(int(match.group(2)[1:])) > MAX_DECIMAL_EXPONENT:
            raise ExpressionError(
                f"number at column {self.pos + 1} is out of range (exponents up to ±{MAX_DECIMAL_EXPONENT})",
                self.pos,
            )
        self._emit("num", match.group(), self.pos)
        self.pos = match.end()

    def _name(self, raw: str, start: int) -> None:
        """Emit a name, absorbing an accent (`m̂`) and a subscript after it (`_1`, `_{t}`, `₁`)."""
        accent = _COMBINING_ACCENTS.get(self.text[self.pos : self.pos + 1])
        if accent is not None and "_" not in raw:  # m̂ is m_hat, as the printer shows it
            raw = f"{raw}_{accent}"
            self.pos += 1
        raw = self._subscripted(raw)
        self._emit("name", canonical_name(raw), start)

    def _subscripted(self, raw: str) -> str:
        """`raw` with the subscript written after it, if any (`_t`, `_{\\max}`, `₁`, `ᵢ`)."""
        match = _SUBSCRIPT.match(self.text, self.pos)
        if match and all(part in ACCENTS for part in raw.split("_")[1:]):  # m̂_t, not beta_1_t
            raw = f"{raw}_{next(group for group in match.groups() if group)}"
            self.pos = match.end()
        sub = ""
        while self.pos < len(self.text) and (
            self.text[self.pos] in SUBSCRIPT_DIGITS or self.text[self.pos] in _SUBSCRIPT_LETTERS
        ):
            char = self.text[self.pos]
            sub += _SUBSCRIPT_LETTERS.get(char) or str(SUBSCRIPT_DIGITS.index(char))
            self.pos += 1
        return f"{raw}_{sub}" if sub else raw

    def _superscript_name(self) -> None:
        """`β₁ᵗ` is `beta_1^t`: a run of superscript letters is a name in the exponent."""
        start = self.pos
        letters = ""
        while self.pos < len(self.text) and self.text[self.pos] in _SUPERSCRIPT_LETTERS:
            letters += _SUPERSCRIPT_LETTERS[self.text[self.pos]]
            self.pos += 1
        self._emit("op", "^", start)
        self._emit("op", "{", start)
        self._emit("name", canonical_name(letters), start)
        self._emit("op", "}", start)

    def _superscript(self) -> None:
        """`x²` and `x⁻¹` become `x^{2}` and `x^{-1}`."""
        start = self.pos
        chars = ""
        while self.pos < len(self.text) and self.text[self.pos] in SUPERSCRIPT_CHARS:
            chars += SUPERSCRIPT_CHARS[self.text[self.pos]]
            self.pos += 1
        self._emit("op", "^", start)
        self._emit("op", "{", start)
        if chars[0] in "+-":
            self._emit("op", chars[0], start)
            chars = chars[1:]
        if not chars.isdigit():
            message = f"a superscript needs digits after at most one sign (column {start + 1})"
            raise ExpressionError(message, start)
        self._emit("num", chars, start)
        self._emit("op", "}", start)

    def _latex(self) -> None:
        start = self.pos
        match = _LATEX_COMMAND.match(self.text, self.pos)
        if match is None:
            raise ExpressionError(f"a lone backslash at column {start + 1}", start)
        command = match.group(1)
        self.pos = match.end()
        if command in _LATEX_SKIP:
            if command in ("left", "right") and self.text[self.pos : self.pos + 1] == ".":
                self.pos += 1  # \left. and \right. are invisible delimiters
        elif command in _LATEX_OPERATORS:
            self._emit("op", _LATEX_OPERATORS[command], start)
        elif command in ("frac", "dfrac", "tfrac"):
            self._emit("frac", "frac", start)
        elif command in _LATEX_BARS:
            self._emit("bar", "|", start)
        elif command in _LATEX_FUNCTIONS:
            self._emit("name", command, start)
        elif command in GREEK or command in GREEK_ALIASES:
            self._name(command, start)
        elif command in _LATEX_WORD_WRAPPERS:
            word = _BRACED_WORD.match(self.text, self.pos)
            if word is None:
                message = f"\\{command} must be followed by {{word}} at column {start + 1}"
                raise ExpressionError(message, start)
            self.pos = word.end()
            self._name(word.group(1).replace("\\_", "_"), start)
        elif command in ACCENTS or command in _ACCENT_ALIASES:
            accent = _ACCENT_ALIASES.get(command, command)
            letter = _ACCENTED.match(self.text, self.pos)
            if letter is None:
                message = f"\\{command} must be followed by a letter at column {start + 1}"
                raise ExpressionError(message, start)
            self.pos = letter.end()
            base = next(group for group in letter.groups() if group)
            self._emit("name", self._subscripted(f"{canonical_name(base)}_{accent}"), start)
        else:
            raise ExpressionError(f"unknown LaTeX command \\{command} at column {start + 1}", start)
