"""What each LaTeX command and character is shown as in a terminal: the tables of `latex_to_unicode`.

Greek letters come from the expression language (`engine.expr.names`); everything else a
deck's LaTeX may use is here: sub- and superscript characters, relations and operators,
function names, big operators, symbols, spaces, the commands that only size or style
what follows, fonts, accents and vulgar fractions. They are apart from the renderer so
that it reads as a walk over the source, and so that the vocabulary, which grows as the
decks use more LaTeX, is reviewed and extended in one place.
"""

from __future__ import annotations

from typing import Final

from engine.expr.names import GREEK, GREEK_ALIASES

SUPERSCRIPTS: Final = dict(
    zip(
        "0123456789+-−=()abcdefghijklmnoprstuvwxyzTβγδθφχ*′ᵀ",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵀᵝᵞᵟᶿᵠᵡ*′ᵀ",
        strict=True,
    )
)
SUBSCRIPTS: Final = dict(
    zip("0123456789+-−=()aehijklmnoprstuvxβγρφχ", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ", strict=True)
)
SCRIPT_CHARACTERS: Final = frozenset(SUPERSCRIPTS.values()) | frozenset(SUBSCRIPTS.values())

# Relations, arrows and binary operators are set off by spaces, as LaTeX does: a ≤ b.
RELATIONS: Final[dict[str, str]] = {
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
    "lor": "∨", "vee": "∨", "bmod": "mod",
}  # fmt: skip
# Upright function names: a space separates them from an operand, `\log x` is log x.
_FUNCTION_NAMES: Final = (
    "log ln lg exp sin cos tan sec csc cot sinh cosh tanh arcsin arccos arctan max min "
    "arg argmax argmin det dim ker deg gcd Pr lim sup inf"
)
FUNCTIONS: Final[dict[str, str]] = {name: name for name in _FUNCTION_NAMES.split()} | {
    "limsup": "lim sup",
    "liminf": "lim inf",
}
PREFIX_OPERATORS: Final = frozenset({"±", "∓", "¬"})
BIG_OPERATORS: Final[dict[str, str]] = {"sum": "Σ", "prod": "∏", "int": "∫", "oint": "∮"}
SYMBOLS: Final[dict[str, str]] = {
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
SPACES: Final[dict[str, str]] = {
    ",": "\u2009", "thinspace": "\u2009", ":": " ", ">": " ", ";": " ", " ": " ",
    "enspace": " ", "quad": "\u2003", "qquad": "\u2003\u2003", "!": "", "negthinspace": "",
}  # fmt: skip
# Commands that only size or style what follows: `\left(` is `(`, `{\rm d}` is `d`.
SIZING: Final = frozenset(
    {
        "big", "Big", "bigg", "Bigg", "bigm", "Bigm", "middle", "displaystyle", "textstyle",
        "scriptstyle", "limits", "nolimits", "rm", "bf", "it", "sf", "tt", "cal",
        "mathstrut", "strut", "nonumber", "notag",
    }
)  # fmt: skip
OPENING: Final = frozenset(
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
CLOSING: Final = frozenset(
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
DROP: Final = SIZING | {"left", "right", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr"}
# Commands whose argument is shown as is: fonts (a terminal has one) and boxes.
WRAPPERS: Final = frozenset({"mathrm", "mathit", "mathsf", "mathtt", "boxed"})
BOLD: Final = frozenset({"mathbf", "boldsymbol", "bm"})
TEXT_WRAPPERS: Final = frozenset({"text", "textrm", "textbf", "textit", "textsf", "texttt", "mbox"})
ACCENTS: Final = {
    "hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0305",
    "underline": "\u0332", "tilde": "\u0303", "widetilde": "\u0303", "vec": "\u20d7",
    "dot": "\u0307", "ddot": "\u0308", "check": "\u030c", "breve": "\u0306",
    "acute": "\u0301", "grave": "\u0300",
}  # fmt: skip
DOUBLE_STRUCK: Final = dict(zip("RNZEQCP1", "ℝℕℤ𝔼ℚℂℙ𝟙", strict=True))
SCRIPT_LETTERS: Final = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "𝒜ℬ𝒞𝒟ℰℱ𝒢ℋℐ𝒥𝒦ℒℳ𝒩𝒪𝒫𝒬ℛ𝒮𝒯𝒰𝒱𝒲𝒳𝒴𝒵", strict=True))
BOLD_DIGITS: Final = dict(zip("0123456789", "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗", strict=True))  # the vector 𝟏, not 1
VULGAR: Final = {
    "1/2": "½", "1/3": "⅓", "2/3": "⅔", "1/4": "¼", "3/4": "¾", "1/5": "⅕", "2/5": "⅖",
    "3/5": "⅗", "4/5": "⅘", "1/6": "⅙", "5/6": "⅚", "1/7": "⅐", "1/8": "⅛", "3/8": "⅜",
    "5/8": "⅝", "7/8": "⅞", "1/9": "⅑", "1/10": "⅒",
}  # fmt: skip


def is_symbol(name: str) -> bool:
    """Whether the command `name` stands for one symbol and takes no argument."""
    tables = (GREEK, GREEK_ALIASES, RELATIONS, FUNCTIONS, BIG_OPERATORS, SPACES, SYMBOLS)
    return any(name in table for table in tables)
