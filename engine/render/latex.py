"""LaTeX shown as Unicode a terminal can display.

`latex_to_unicode` turns one expression into Unicode: Greek letters, sub- and superscripts,
√, fractions written inline, matrices as nested brackets, combining accents (ŷ, x̄), a thin
space for `\\,`. Since a line of text cannot stack a fraction or set math spacing, it
copies what LaTeX would show: a space after a command only ends its name (`\\alpha x` is
αx), relations and operators get spaces (a ≤ b), function names are set off (log x), and a
fraction gains the parentheses its layout implied ((η/σₜ)mₜ, 1/(2a)). It only displays
(nothing is evaluated), and an unknown command is shown as written rather than lost.

Its output is plain text: `render_math` backslash-escapes the characters markdown would read
as markup (`a*b*c` must not turn into emphasis, `x<y ... y>z` into an HTML tag), and adds
no Rich or Textual markup.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final, Literal

from engine.expr.names import GREEK, GREEK_ALIASES
from engine.render.spans import MathSpan, replace_math

_MARKDOWN_ACTIVE: Final = re.compile(r"[\\`*_\[\]<>|&]")

# --- Rendering math -----------------------------------------------------------------------


def render_math(text: str) -> str:
    """`text` (markdown) with each piece of math replaced by its Unicode rendering.

    Inline math stays inline, escaped so markdown shows it literally; display math becomes
    an indented (code) block of its own, which markdown also shows as written.
    """
    return replace_math(text, _render_span)


def render_math_text(text: str) -> str:
    """Plain text (a label, a line of a list) with its math as Unicode: nothing escaped,
    since it is shown as written rather than as markdown."""
    return replace_math(text, lambda span: latex_to_unicode(span.tex))


def _render_span(span: MathSpan) -> str:
    rendered = latex_to_unicode(span.tex)
    if span.display:
        return f"\n\n    {rendered}\n\n"
    return _MARKDOWN_ACTIVE.sub(r"\\\g<0>", rendered)


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

_SUPERSCRIPTS: Final = dict(
    zip(
        "0123456789+-−=()abcdefghijklmnoprstuvwxyzTβγδθφχ*′ᵀ",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵀᵝᵞᵟᶿᵠᵡ*′ᵀ",
        strict=True,
    )
)
_SUBSCRIPTS: Final = dict(
    zip("0123456789+-−=()aehijklmnoprstuvxβγρφχ", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ", strict=True)
)
_SCRIPT_CHARACTERS: Final = frozenset(_SUPERSCRIPTS.values()) | frozenset(_SUBSCRIPTS.values())
_MAX_SCRIPT_LETTERS: Final = 3  # `v^{\max}` as vᵐᵃˣ, but `V^{corrected}` as V^corrected

# Relations, arrows and binary operators are set off by spaces, as LaTeX does: a ≤ b.
_RELATIONS: Final[dict[str, str]] = {
    "le": "≤", "leq": "≤", "leqslant": "≤", "ge": "≥", "geq": "≥", "geqslant": "≥",
    "ne": "≠", "neq": "≠", "approx": "≈", "sim": "∼", "simeq": "≃", "cong": "≅",
    "equiv": "≡", "propto": "∝", "ll": "≪", "gg": "≫", "lesssim": "≲", "gtrsim": "≳",
    "coloneqq": "≔", "triangleq": "≜", "perp": "⊥", "parallel": "∥", "in": "∈",
    "notin": "∉", "ni": "∋", "subset": "⊂", "subseteq": "⊆", "supset": "⊃",
    "supseteq": "⊇", "mid": "|", "to": "→", "rightarrow": "→", "longrightarrow": "⟶",
    "leftarrow": "←", "gets": "←", "longleftarrow": "⟵", "leftrightarrow": "↔",
    "Rightarrow": "⇒", "implies": "⇒", "Leftarrow": "⇐", "iff": "⇔",
    "Leftrightarrow": "⇔", "mapsto": "↦", "uparrow": "↑", "downarrow": "↓",
    "cdot": "·", "times": "×", "div": "÷", "pm": "±", "mp": "∓", "ast": "∗",
    "star": "⋆", "bullet": "•", "circ": "∘", "odot": "⊙", "otimes": "⊗",
    "oplus": "⊕", "cup": "∪", "cap": "∩", "setminus": "∖", "land": "∧", "wedge": "∧",
    "lor": "∨", "vee": "∨",
}  # fmt: skip
# Upright function names: a space separates them from an operand, `\log x` is log x.
_FUNCTION_NAMES: Final = (
    "log ln lg exp sin cos tan sec csc cot sinh cosh tanh arcsin arccos arctan max min "
    "arg argmax argmin det dim ker deg gcd Pr lim sup inf"
)
_FUNCTIONS: Final[dict[str, str]] = {name: name for name in _FUNCTION_NAMES.split()} | {
    "limsup": "lim sup",
    "liminf": "lim inf",
}
_PREFIX_OPERATORS: Final = frozenset({"±", "∓", "¬"})
_BIG_OPERATORS: Final[dict[str, str]] = {"sum": "Σ", "prod": "∏", "int": "∫", "oint": "∮"}
_SYMBOLS: Final[dict[str, str]] = {
    "infty": "∞", "partial": "∂", "nabla": "∇", "ell": "ℓ", "hbar": "ℏ", "prime": "′",
    "top": "ᵀ", "intercal": "ᵀ", "dagger": "†", "forall": "∀", "exists": "∃", "neg": "¬",
    "lnot": "¬", "emptyset": "∅", "varnothing": "∅", "cdots": "⋯", "ldots": "…",
    "dots": "…", "vdots": "⋮", "ddots": "⋱", "Pi": "Π", "Xi": "Ξ", "Upsilon": "Υ",
    "upsilon": "υ", "omicron": "ο", "varpi": "ϖ", "varkappa": "ϰ",
    "lvert": "|", "rvert": "|", "vert": "|", "lVert": "‖", "rVert": "‖", "Vert": "‖",
    "|": "‖", "langle": "⟨", "rangle": "⟩", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈",
    "rceil": "⌉", "{": "{", "}": "}", "%": "%", "_": "_", "#": "#", "&": "&", "$": "$",
}  # fmt: skip
# Spacing: a thin space for `\,`, nothing for the negative `\!`, em spaces for quads.
_SPACES: Final[dict[str, str]] = {
    ",": "\u2009", "thinspace": "\u2009", ":": " ", ">": " ", ";": " ", " ": " ",
    "enspace": " ", "quad": "\u2003", "qquad": "\u2003\u2003", "!": "", "negthinspace": "",
}  # fmt: skip
# Commands that only size or style what follows: `\left(` is `(`, `{\rm d}` is `d`.
_SIZING: Final = frozenset(
    {
        "big", "Big", "bigg", "Bigg", "bigm", "Bigm", "middle", "displaystyle", "textstyle",
        "scriptstyle", "limits", "nolimits", "rm", "bf", "it", "sf", "tt", "cal",
        "mathstrut", "strut", "nonumber", "notag",
    }
)  # fmt: skip
_OPENING: Final = frozenset(
    {
        "left",
        "bigl",
        "Bigl",
        "biggl",
        "Biggl",
        "langle",
        "lfloor",
        "lceil",
        "lvert",
        "lVert",
        "vert",
        "Vert",
        "|",
    }
)
_CLOSING: Final = frozenset(
    {
        "right",
        "bigr",
        "Bigr",
        "biggr",
        "Biggr",
        "rangle",
        "rfloor",
        "rceil",
        "rvert",
        "rVert",
        "}",
        "end",
        "\\",
    }
)
_DROP: Final = _SIZING | {"left", "right", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr"}
# Commands whose argument is shown as is: fonts (a terminal has one) and boxes.
_WRAPPERS: Final = frozenset({"mathrm", "mathit", "mathsf", "mathtt", "boxed"})
_BOLD: Final = frozenset({"mathbf", "boldsymbol", "bm"})
_TEXT_WRAPPERS: Final = frozenset({"text", "textrm", "textbf", "textit", "textsf", "texttt", "mbox"})
_ACCENTS: Final = {
    "hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0305",
    "underline": "\u0332", "tilde": "\u0303", "widetilde": "\u0303", "vec": "\u20d7",
    "dot": "\u0307", "ddot": "\u0308", "check": "\u030c", "breve": "\u0306",
    "acute": "\u0301", "grave": "\u0300",
}  # fmt: skip
_DOUBLE_STRUCK: Final = dict(zip("RNZEQCP1", "ℝℕℤ𝔼ℚℂℙ𝟙", strict=True))
_SCRIPT_LETTERS: Final = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "𝒜ℬ𝒞𝒟ℰℱ𝒢ℋℐ𝒥𝒦ℒℳ𝒩𝒪𝒫𝒬ℛ𝒮𝒯𝒰𝒱𝒲𝒳𝒴𝒵", strict=True))
_BOLD_DIGITS: Final = dict(zip("0123456789", "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗", strict=True))  # the vector 𝟏, not 1
_VULGAR: Final = {
    "1/2": "½", "1/3": "⅓", "2/3": "⅔", "1/4": "¼", "3/4": "¾", "1/5": "⅕", "2/5": "⅖",
    "3/5": "⅗", "4/5": "⅘", "1/6": "⅙", "5/6": "⅚", "1/7": "⅐", "1/8": "⅛", "3/8": "⅜",
    "5/8": "⅝", "7/8": "⅞", "1/9": "⅑", "1/10": "⅒",
}  # fmt: skip
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
                elif piece.strip() in _PREFIX_OPERATORS and not _ends_with_operand(out):
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
        table = _SUPERSCRIPTS if superscript else _SUBSCRIPTS
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
        if name in _DROP:
            if self.source[self.pos : self.pos + 1] == ".":  # \left. is an invisible delimiter
                self.pos += 1
            return ""
        return self.symbol(name) if _is_symbol(name) else self.command_with_arguments(name)

    def symbol(self, name: str) -> str:
        if name in GREEK or name in GREEK_ALIASES:
            return GREEK[GREEK_ALIASES.get(name, name)]
        if name in _RELATIONS:
            return f" {_RELATIONS[name]} "
        if name in _FUNCTIONS:
            return self.operator_name(_FUNCTIONS[name])
        if name in _BIG_OPERATORS:
            return self.big_operator(_BIG_OPERATORS[name])
        if name in _SPACES:
            return _SPACES[name]
        return _SYMBOLS[name]

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
        if name in _WRAPPERS:
            return self.atom()
        if name in _BOLD:
            return "".join(_BOLD_DIGITS.get(c, c) for c in self.atom())
        if name in _TEXT_WRAPPERS:
            return self.text_atom()
        if name == "mathbb":
            return "".join(_DOUBLE_STRUCK.get(c, c) for c in self.atom())
        if name in ("mathcal", "mathscr"):
            return "".join(_SCRIPT_LETTERS.get(c, c) for c in self.atom())
        if name in _ACCENTS:
            return _accent(self.atom(), _ACCENTS[name])
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
            return _VULGAR.get(f"{numerator}/{denominator}") or (
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
            if name in _SPACES or name in _SIZING:
                pos = match.end() if match else pos + 1
                continue
            if name in _OPENING:
                return "open"
            if name in _RELATIONS or name in _CLOSING:
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


def _is_symbol(name: str) -> bool:
    """Whether the command `name` stands for one symbol and takes no argument."""
    tables = (GREEK, GREEK_ALIASES, _RELATIONS, _FUNCTIONS, _BIG_OPERATORS, _SPACES, _SYMBOLS)
    return any(name in table for table in tables)


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
    bare = "".join(c for c in text if not unicodedata.combining(c) and c not in _SCRIPT_CHARACTERS)
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
