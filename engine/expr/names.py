"""The vocabulary of the expression language: which names exist and how they are spelled.

Everything a formula may call or mention is listed here; a name that is not here (or
declared by a card) is rejected by the parser. Keeping the whitelist in one module makes
the language's surface easy to review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

# Greek letters: canonical ASCII name -> Unicode display. `eps` is the canonical name of
# epsilon because torch (and most formulas in the notes) call it that.
GREEK: Final[dict[str, str]] = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "eps": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ",
    "nu": "ν", "xi": "ξ", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ",
    "Lambda": "Λ", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "pi": "π",
}  # fmt: skip

# Other spellings that mean the same letter.
GREEK_ALIASES: Final[dict[str, str]] = {
    "epsilon": "eps", "varepsilon": "eps", "vartheta": "theta", "varphi": "phi",
    "varrho": "rho", "varsigma": "sigma",
}  # fmt: skip

# Unicode letter -> canonical name (both forms of epsilon, phi, theta, sigma).
UNICODE_GREEK: Final[dict[str, str]] = {v: k for k, v in GREEK.items()} | {
    "ϵ": "eps",
    "ϑ": "theta",
    "ϕ": "phi",
    "ς": "sigma",
    "µ": "mu",
}

CONSTANTS: Final[frozenset[str]] = frozenset({"pi", "e"})

ArgKind = Literal["scalar", "vector", "any"]


@dataclass(frozen=True)
class FunctionSpec:
    """One whitelisted function.

    `symbolic` says whether it has a meaning for scalar symbolic answers (vector
    functions such as `sum` only make sense in numeric formulas).
    """

    name: str
    min_args: int
    max_args: int
    display: str
    symbolic: bool = True


def _spec(name: str, lo: int = 1, hi: int = 1, display: str = "", symbolic: bool = True) -> FunctionSpec:
    return FunctionSpec(name, lo, hi, display or name, symbolic)


FUNCTIONS: Final[dict[str, FunctionSpec]] = {
    s.name: s
    for s in (
        _spec("exp"), _spec("log", 1, 2, "ln"), _spec("sqrt", display="√"),
        _spec("abs"), _spec("sign", display="sgn"),
        _spec("min", 1, 8), _spec("max", 1, 8),
        _spec("sin"), _spec("cos"), _spec("tan"), _spec("sinh"), _spec("cosh"),
        _spec("tanh"), _spec("sech"),
        _spec("sigmoid", display="σ"), _spec("relu", display="ReLU"),
        _spec("softplus"), _spec("erf"), _spec("Phi", display="Φ"),
        _spec("floor", display="floor"), _spec("clip", 3, 3), _spec("where", 3, 3),
        # Vector and matrix functions: numeric formulas only.
        _spec("sum", 1, 2, symbolic=False), _spec("mean", 1, 2, symbolic=False),
        _spec("var", 1, 2, symbolic=False), _spec("std", 1, 2, symbolic=False),
        _spec("norm", 1, 2, symbolic=False), _spec("dot", 2, 2, symbolic=False),
        _spec("softmax", symbolic=False), _spec("log_softmax", symbolic=False),
        _spec("logsumexp", symbolic=False), _spec("det", symbolic=False),
        _spec("inv", symbolic=False), _spec("transpose", display="transpose", symbolic=False),
        _spec("eigvalsh", symbolic=False), _spec("trace", symbolic=False),
        _spec("outer", 2, 2, symbolic=False),
        # Shapes: the length of the first axis, the number of elements, and the n×n
        # identity (n a whole number the same in every instance: a number, or len(x)).
        _spec("len", symbolic=False), _spec("size", symbolic=False),
        _spec("eye", symbolic=False),
    )
}  # fmt: skip

# Other spellings of whitelisted functions.
FUNCTION_ALIASES: Final[dict[str, str]] = {
    "ln": "log", "Abs": "abs", "sgn": "sign", "ReLU": "relu", "Relu": "relu",
    "σ": "sigmoid", "Φ": "Phi", "logistic": "sigmoid",
}  # fmt: skip

# Greek names that, written directly before "(", mean a function rather than a letter:
# sigma(x) is the sigmoid and Phi(x) the normal CDF, unless the card declares the letter
# as a variable.
CALLABLE_LETTERS: Final[dict[str, str]] = {"sigma": "sigmoid", "Phi": "Phi"}

SUBSCRIPT_DIGITS: Final[str] = "₀₁₂₃₄₅₆₇₈₉"
SUPERSCRIPT_CHARS: Final[dict[str, str]] = {
    "⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7",
    "⁸": "8", "⁹": "9", "⁻": "-", "⁺": "+",
}  # fmt: skip

# Accents written as a name suffix: m_hat is m̂ (LaTeX \hat{m}).
ACCENTS: Final[dict[str, str]] = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303"}

_TRAILING_DIGITS = re.compile(r"^([A-Za-z]+?)(\d+)$")


def canonical_name(raw: str) -> str:
    """The one spelling of a name: `β₁`, `beta1`, `beta_1` and `\\beta_{1}` are `beta_1`.

    Trailing digits become a subscript when what precedes them is one letter or a Greek
    name (`x1`, `beta2`), so `lr2` stays a name of its own.
    """
    base, sep, sub = raw.partition("_")
    base = GREEK_ALIASES.get(base, base)
    if not sep:
        match = _TRAILING_DIGITS.match(base)
        if match and (len(match.group(1)) == 1 or match.group(1) in GREEK):
            return f"{GREEK_ALIASES.get(match.group(1), match.group(1))}_{match.group(2)}"
        return base
    return f"{base}_{sub}"


def decorated_spellings(name: str) -> tuple[str, ...]:
    """Other spellings of a decorated name: `y_hat` (typed ŷ) for a card's `yhat`, and back.

    Prompts write ŷ, x̄, θ̂ and m̂; cards declare them as `yhat` or `y_hat`. Either
    spelling of the input finds the declared one.
    """
    for accent in ACCENTS:
        if name.endswith(f"_{accent}") and len(name) > len(accent) + 1:
            return (name[: -len(accent) - 1] + accent,)
        base = name[: -len(accent)]
        if name.endswith(accent) and base and (len(base) == 1 or base in GREEK):
            return (f"{base}_{accent}",)
    return ()


_SUBSCRIPT_MAP = str.maketrans("0123456789", SUBSCRIPT_DIGITS)


def display_name(name: str) -> str:
    """How a canonical name is shown: `beta_1` as β₁, `m_hat` as m̂, `theta_t` as θ_t."""
    base, sep, sub = name.partition("_")
    shown = GREEK.get(base, base)
    if not sep:
        spelled = decorated_spellings(name)  # yhat is shown as the prompt writes it: ŷ
        return display_name(spelled[0]) if spelled else shown
    if sub in ACCENTS and len(shown) == 1:
        return shown + ACCENTS[sub]
    accent, _, rest = sub.partition("_")
    if accent in ACCENTS and rest and len(shown) == 1:  # v_hat_t is v̂_t, m_hat_1 is m̂₁
        marked = shown + ACCENTS[accent]
        return marked + rest.translate(_SUBSCRIPT_MAP) if rest.isdigit() else f"{marked}_{rest}"
    if sub.isdigit():
        return shown + sub.translate(_SUBSCRIPT_MAP)
    return f"{shown}_{sub}"
