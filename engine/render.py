"""Show the LaTeX math of a prompt as Unicode text a terminal can display.

Decks write math as LaTeX (`$\\hat m_1 = m_1/(1-\\beta_1)$`) so they render on GitHub;
a terminal cannot typeset it, but Unicode goes a long way: Greek letters, sub- and
superscripts, √, fractions written inline, matrices as nested brackets. This is display
only (nothing is evaluated), and anything unknown is shown as written rather than lost.
"""

from __future__ import annotations

import re
from typing import Final

from engine.expr.names import GREEK, GREEK_ALIASES

_SUPERSCRIPTS: Final = dict(zip("0123456789+-=()niT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵀ", strict=True)) | {"−": "⁻"}
_SUBSCRIPTS: Final = dict(
    zip("0123456789+-=()aeijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True)
)

_SYMBOLS: Final[dict[str, str]] = {
    "cdot": "·", "times": "×", "div": "÷", "pm": "±", "mp": "∓", "le": "≤", "leq": "≤",
    "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈", "sim": "∼", "equiv": "≡",
    "propto": "∝", "infty": "∞", "partial": "∂", "nabla": "∇", "sum": "Σ", "prod": "∏",
    "int": "∫", "in": "∈", "notin": "∉", "subset": "⊂", "to": "→", "rightarrow": "→",
    "leftarrow": "←", "Rightarrow": "⇒", "implies": "⇒", "iff": "⇔", "mapsto": "↦",
    "odot": "⊙", "otimes": "⊗", "oplus": "⊕", "circ": "∘", "cdots": "⋯", "ldots": "…",
    "dots": "…", "forall": "∀", "exists": "∃", "top": "ᵀ", "intercal": "ᵀ", "lvert": "|",
    "rvert": "|", "vert": "|", "lVert": "‖", "rVert": "‖", "|": "‖", "mid": "|",
    "langle": "⟨", "rangle": "⟩", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈",
    "rceil": "⌉", "ell": "ℓ", "log": "log", "ln": "ln", "exp": "exp", "sin": "sin",
    "cos": "cos", "tan": "tan", "tanh": "tanh", "sinh": "sinh", "cosh": "cosh",
    "max": "max", "min": "min", "arg": "arg", "argmax": "argmax", "argmin": "argmin",
    "det": "det", "lim": "lim", "sup": "sup", "inf": "inf", "mathbb": "", "quad": "  ",
    "qquad": "    ", ",": " ", ";": " ", ":": " ", "!": "", " ": " ", "{": "{", "}": "}",
    "%": "%", "_": "_", "#": "#", "&": "&", "$": "$",
}  # fmt: skip
_DROP: Final = frozenset(
    {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "displaystyle", "limits"}
)
_WRAPPERS: Final = frozenset(
    {
        "mathrm",
        "mathbf",
        "mathit",
        "boldsymbol",
        "bm",
        "text",
        "textrm",
        "textbf",
        "operatorname",
        "mathsf",
        "mbox",
    }
)
_ACCENTS: Final = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303", "vec": "\u20d7", "dot": "\u0307"}
_DOUBLE_STRUCK: Final = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "E": "𝔼", "Q": "ℚ", "C": "ℂ", "P": "ℙ"}
_MATH: Final = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)([^$\n]+?)(?<![\s\\])\$", re.DOTALL)
_COMMAND: Final = re.compile(r"\\([A-Za-z]+|.)")


def render_math(text: str) -> str:
    """Replace every `$...$` and `$$...$$` in markdown with its Unicode rendering.

    Code spans and fenced code are left alone, since `$` in code is not math.
    """
    parts = re.split(r"(```.*?```|`[^`\n]*`)", text, flags=re.DOTALL)
    for index in range(0, len(parts), 2):
        parts[index] = _MATH.sub(_render_match, parts[index])
    return "".join(parts)


def _render_match(match: re.Match[str]) -> str:
    display = match.group(1) is not None
    rendered = latex_to_unicode(match.group(1) if display else match.group(2))
    return f"\n\n    {rendered}\n\n" if display else rendered


def latex_to_unicode(latex: str) -> str:
    """One LaTeX math expression as Unicode text."""
    return _Renderer(latex).run().strip()


class _Renderer:
    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0

    def run(self) -> str:
        return self.sequence(stop="")

    def sequence(self, stop: str) -> str:
        out: list[str] = []
        while self.pos < len(self.source):
            char = self.source[self.pos]
            if stop and char == stop:
                break
            if char == "\\":
                out.append(self.command())
            elif char == "{":
                out.append(self.group())
            elif char in "^_":
                self.pos += 1
                out.append(self.script(self.atom(), superscript=char == "^"))
            elif char == "&":
                self.pos += 1
                out.append(", ")
            elif char == "~":
                self.pos += 1
                out.append(" ")
            elif char == "-":
                self.pos += 1
                out.append("−")
            else:
                self.pos += 1
                out.append(char)
        return "".join(out)

    def group(self) -> str:
        """`{...}`, returned without its braces."""
        self.pos += 1
        inner = self.sequence(stop="}")
        self.pos += 1
        return inner

    def atom(self) -> str:
        """One argument: a {group}, a command, or a single character."""
        while self.pos < len(self.source) and self.source[self.pos] == " ":
            self.pos += 1
        if self.pos >= len(self.source):
            return ""
        char = self.source[self.pos]
        if char == "{":
            return self.group()
        if char == "\\":
            return self.command()
        self.pos += 1
        return "−" if char == "-" else char

    def script(self, content: str, superscript: bool) -> str:
        table = _SUPERSCRIPTS if superscript else _SUBSCRIPTS
        if content and all(c in table for c in content):
            return "".join(table[c] for c in content)
        if len(content) == 1 or content.isalnum():
            return ("^" if superscript else "_") + content
        return ("^" if superscript else "_") + f"({content})"

    def command(self) -> str:
        match = _COMMAND.match(self.source, self.pos)
        if match is None:  # a trailing backslash
            self.pos += 1
            return ""
        name = match.group(1)
        self.pos = match.end()
        if name in _DROP:
            if self.source[self.pos : self.pos + 1] == ".":
                self.pos += 1
            return ""
        if name == "\\":
            return "; "
        if name in GREEK or name in GREEK_ALIASES:
            return GREEK[GREEK_ALIASES.get(name, name)]
        if name in ("frac", "dfrac", "tfrac"):
            return self.fraction(self.atom(), self.atom())
        if name == "sqrt":
            degree = ""
            if self.source[self.pos : self.pos + 1] == "[":
                end = self.source.find("]", self.pos)
                degree, self.pos = self.source[self.pos + 1 : end], end + 1
            radicand = self.atom()
            root = {"3": "∛", "4": "∜"}.get(degree, "√" if not degree else f"{self.script(degree, True)}√")
            return root + (radicand if _is_simple(radicand) else f"({radicand})")
        if name in _WRAPPERS:
            return self.atom()
        if name == "mathbb":
            letter = self.atom()
            return _DOUBLE_STRUCK.get(letter, letter)
        if name in _ACCENTS:
            base = self.atom()
            return base + _ACCENTS[name] if len(base) == 1 else base
        if name == "begin":
            return self.environment(self.atom())
        if name == "end":
            self.atom()
            return ""
        if name in _SYMBOLS:
            return _SYMBOLS[name]
        return "\\" + name

    def fraction(self, numerator: str, denominator: str) -> str:
        top = numerator if _is_simple(numerator) else f"({numerator})"
        bottom = denominator if _is_simple(denominator) else f"({denominator})"
        return f"{top}/{bottom}"

    def environment(self, name: str) -> str:
        """Matrices become nested brackets: [[a, b], [c, d]]."""
        body_end = self.source.find(f"\\end{{{name}}}", self.pos)
        if body_end < 0:
            return ""
        body = self.source[self.pos : body_end]
        self.pos = body_end + len(f"\\end{{{name}}}")
        rows = [row for row in re.split(r"\\\\", body) if row.strip()]
        rendered = [", ".join(latex_to_unicode(cell) for cell in row.split("&")) for row in rows]
        if "matrix" in name:
            return "[" + ", ".join(f"[{row}]" for row in rendered) + "]"
        return "; ".join(rendered)


def _is_simple(text: str) -> bool:
    """Whether `text` needs no parentheses as a numerator, denominator or radicand.

    It does when an operator or a space stands outside every bracket: a+b, x y.
    """
    depth = 0
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and char in " +−-/=,·×<>≤≥":
            return False
    return bool(text)
