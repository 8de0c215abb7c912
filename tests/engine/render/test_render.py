"""Math in prompts and explanations: where it is (one rule, shared with the Anki export), and
how it reads as Unicode. Both directions: what must render, and what must stay text."""

from __future__ import annotations

import re

import pytest

from engine.decks.catalog import Catalog
from engine.decks.instance import draw_instance
from engine.errors import EngineError
from engine.render import MathSpan, latex_to_unicode, math_spans, render_math, replace_math
from tests.conftest import DECKS, REPO

THIN = "\u2009"
RAW_COMMAND = re.compile(r"\\[A-Za-z]+")
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")  # a tab too: `\theta` after a string escape
CODE = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?^[ \t]*\1[ \t]*$|`[^`\n]*`", re.DOTALL | re.MULTILINE)


def tex_of(text: str) -> list[str]:
    return [span.tex for span in math_spans(text)]


# --- Where the math is --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "math"),
    [
        ("Cost is $5 and $x$", ["x"]),  # a price, then math
        ("Let $x_1$ and $y$.", ["x_1", "y"]),
        ("$a$,$b$.", ["a", "b"]),
        ("($x$)", ["x"]),
        (
            "$\\sigma(x)\\,(1 +\n x(1-\\sigma(x)))$",
            ["\\sigma(x)\\,(1 +\n x(1-\\sigma(x)))"],
        ),  # one line break
        ("$\\$5$ is math holding a dollar", ["\\$5"]),
        ("$$\\sum_i\n\na_i$$ then $y$", ["\\sum_i\n\na_i", "y"]),  # display math spans lines
        ("`code` then $x$", ["x"]),
        ("```\n$a$\n```\nthen $x$", ["x"]),
    ],
)
def test_math_is_found(text: str, math: list[str]) -> None:
    assert tex_of(text) == math


@pytest.mark.parametrize(
    "text",
    [
        "costs $5 and $6",  # prices
        "between $5 and $10 a month",
        "US$5 and a$b$",  # the opening $ follows a word character
        "$x$5",  # the closing $ is followed by a digit
        "$ x$ and $x $",  # whitespace inside the dollars
        "$a\n\nb$",  # a blank line ends inline math
        "an escaped \\$5 and \\$x\\$",
        "`$x$` in a code span",
        "``a `$x$` b`` in a double-backtick span",
        "```python\nprice = f'$x$'\n```",
        "~~~\n$x$\n~~~",
        "    ```\n    $x$\n    ```",  # an indented fence is code too
        "```\nunclosed fence $x$",
        "$$ $$",
    ],
)
def test_text_that_is_not_math(text: str) -> None:
    assert math_spans(text) == []
    assert render_math(text) == text


def test_spans_locate_the_math_with_its_dollars() -> None:
    text = "a $x$ b $$y$$"
    assert math_spans(text) == [MathSpan(2, 5, "x", display=False), MathSpan(8, 13, "y", display=True)]
    assert replace_math(text, lambda span: span.tex.upper()) == "a X b Y"


def test_a_backtick_run_does_not_hide_math_beyond_its_paragraph() -> None:
    assert tex_of("an odd ` here\n\nand $x$ then `") == ["x"]


# --- How it reads ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latex", "unicode"),
    [
        ("x \\gtrsim 17", "x ≳ 17"),
        ("x \\lesssim -0.75", "x ≲ −0.75"),
        ("\\mu_{\\rm run}", "μᵣᵤₙ"),
        ("\\mathrm{SiLU}(x)", "SiLU(x)"),
        ("\\text{fan\\_in}", "fan_in"),
        ("\\text{non-zero}", "non-zero"),  # a hyphen in text, a minus in math
        ("\\operatorname{sech}^2(x)", "sech²(x)"),
        ("\\operatorname*{argmax}_i x_i", "argmaxᵢ xᵢ"),
        ("c\\mathbf 1", "c𝟏"),
        ("\\mathbf{x}", "x"),
        ("W \\in \\mathbb{R}^{n}", "W ∈ ℝⁿ"),
        ("\\mathbb E[x]", "𝔼[x]"),
        ("\\mathcal{N}(0, 1)", "𝒩(0, 1)"),
        ("\\left(\\frac{a}{2}\\right)^2", "(a/2)²"),
        ("\\left.x\\right|", "x|"),
        ("\\displaystyle\\sum_{i=1}^n x_i", "Σᵢ₌₁ⁿ xᵢ"),
        ("\\tfrac12 + \\dfrac{1}{3} + \\frac43", "½ + ⅓ + ⁴⁄₃"),
        ("\\frac{a+b}{2c}", "(a+b)/(2c)"),
        ("\\frac{\\eta}{\\sigma_t}m_t", "(η/σₜ)mₜ"),  # parenthesised when an operand follows
        ("\\frac{\\partial L}{\\partial w}", "∂L/∂w"),
        ("\\frac{d}{dx}\\log x", "(d/dx) log x"),
        ("a\\cdot b", "a · b"),
        ("x_1, \\ldots, x_n", "x₁, …, xₙ"),
        ("x \\approx 1.4", "x ≈ 1.4"),
        ("p \\propto e^{-E}", "p ∝ e^(−E)"),
        ("y \\in \\{0, 1\\}", "y ∈ {0, 1}"),
        ("p(y \\mid x)", "p(y | x)"),
        ("w^\\top x", "wᵀ x"),
        ("f \\odot c", "f ⊙ c"),
        ("\\nabla f", "∇f"),
        ("\\partial^2 L", "∂² L"),
        ("[0, \\infty)", "[0, ∞)"),
        ("\\prod_{t=1}^{T} w", "∏ₜ₌₁ᵀ w"),
        ("\\sqrt{2\\pi}", "√(2π)"),
        ("\\sqrt{d_k}", "√dₖ"),
        ("\\sqrt[3]{x}", "∛x"),
        ("\\hat y", "y\u0302"),
        ("\\hat{m}_t", "m\u0302ₜ"),
        ("\\bar{x}", "x\u0304"),
        ("\\tilde w", "w\u0303"),
        ("\\alpha x + \\beta", "αx + β"),
        ("\\log\\sigma(z)", "log σ(z)"),
        ("\\max(0, x)", "max(0, x)"),
        ("\\theta \\leftarrow \\theta - \\eta g", "θ ← θ − ηg"),
        ("\\begin{pmatrix}a & b\\\\ c & d\\end{pmatrix}", "[[a, b], [c, d]]"),
        ("f'(x)", "f′(x)"),
        ("\\unknowncommand", "\\unknowncommand"),  # shown as written, not lost
    ],
)
def test_latex_renders_as_unicode(latex: str, unicode: str) -> None:
    assert latex_to_unicode(latex) == unicode


@pytest.mark.parametrize(
    ("latex", "unicode"),
    [
        ("a\\,b", f"a{THIN}b"),
        ("a\\;b", "a b"),
        ("a\\:b", "a b"),
        ("a\\!b", "ab"),
        ("a\\ b", "a b"),
        ("a~b", "a\u00a0b"),
        ("a\\quad b", "a\u2003b"),
        ("a\\qquad b", "a\u2003\u2003b"),
        ("a \\, b", "a b"),  # never two spaces in a row
    ],
)
def test_spacing_commands_become_spaces(latex: str, unicode: str) -> None:
    assert latex_to_unicode(latex) == unicode


def test_math_spanning_a_line_break_renders_with_its_thin_spaces() -> None:
    card = Catalog.load([DECKS]).find_card("starter/silu-derivative")
    assert "(1-\\sigma(x))\n= " in card.explanation  # the math does span a line break
    rendered = render_math(card.explanation)
    assert f"σ(x){THIN}(1 + x(1−σ(x)))" in rendered
    assert "$" not in rendered
    assert "\\" not in rendered
    assert ",σ" not in rendered


def test_inline_math_is_escaped_so_markdown_shows_it_as_written() -> None:
    assert render_math("$a*b*c$") == "a\\*b\\*c"
    assert render_math("$x<y$ and $y>z$") == "x\\<y and y\\>z"
    assert render_math("$[0,1](x)$") == "\\[0,1\\](x)"
    assert render_math("$p_{data}$") == "p\\_data"


def test_display_math_is_a_block_of_its_own() -> None:
    assert render_math("Then\n$$\\sum_i\n x_i$$\nso.") == "Then\n\n\n    Σᵢ xᵢ\n\n\nso."


def test_text_around_the_math_is_untouched() -> None:
    text = "**Bold** `code $x$` and \\$5, then $\\alpha$.\n\n```\n$y$\n```\n"
    assert render_math(text) == "**Bold** `code $x$` and \\$5, then α.\n\n```\n$y$\n```\n"


# --- The bundled decks ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load([DECKS])


def deck_texts(catalog: Catalog) -> list[tuple[str, str]]:
    """Every prompt and explanation as the app shows it (randomised cards as one instance)."""
    texts: list[tuple[str, str]] = []
    for deck in catalog.decks:
        for card in deck.cards:
            try:
                instance = draw_instance(card, 0)
                prompt, explanation = instance.prompt, instance.explanation
            except EngineError:
                prompt, explanation = card.prompt, card.explanation
            texts += [(f"{card.full_id} prompt", prompt), (f"{card.full_id} explanation", explanation)]
    return texts


def test_no_latex_command_survives_in_any_bundled_card(catalog: Catalog) -> None:
    texts = deck_texts(catalog)
    assert len(texts) >= 500
    leftovers = {
        where: RAW_COMMAND.findall(CODE.sub("", render_math(text)))
        for where, text in texts
        if RAW_COMMAND.search(CODE.sub("", render_math(text)))
    }
    assert leftovers == {}
    assert sum(len(math_spans(text)) for _, text in texts) > 1500


def test_no_bundled_card_holds_control_characters(catalog: Catalog) -> None:
    assert [where for where, text in deck_texts(catalog) if CONTROL.search(text)] == []


def test_every_command_the_decks_and_docs_use_has_a_rendering() -> None:
    decks = "\n".join(path.read_text(encoding="utf-8") for path in sorted(DECKS.rglob("*.md")))
    docs = [path.read_text(encoding="utf-8") for path in sorted((REPO / "docs").rglob("*.md"))]
    docs_math = "\n".join(span.tex for text in docs for span in math_spans(text))
    commands = set(re.findall(r"\\([A-Za-z]+)", decks + "\n" + docs_math))
    assert {"gtrsim", "mathrm", "tfrac", "hat", "begin"} <= commands
    for command in sorted(commands - {"begin", "end"}):
        rendered = latex_to_unicode(f"\\{command}{{x}}{{y}}")
        assert "\\" not in rendered, command
        assert rendered.strip(), command


def test_hostile_math_is_shown_as_written_not_crashed_on() -> None:
    nested = "{" * 5000 + "x" + "}" * 5000
    assert latex_to_unicode(nested) == nested
    assert render_math("$x^$ and $\\frac{1}$ and $\\sqrt$ and $\\$") == "x and 1/ and √ and $\\$"


def test_plain_text_rendering_escapes_nothing() -> None:
    from engine.render import render_math_text

    assert render_math_text("$a*b_t$ and $\\hat m_1$ =") == "a*bₜ and m̂₁ ="
    assert render_math("$a*b$") != render_math_text("$a*b$")  # markdown needs the escape; text does not


@pytest.mark.parametrize(
    ("a", "b", "shown"),
    [
        (2366841.23, 2366840.0, ("2366841", "2366840")),
        (1.41414, 1.414135, ("1.41414", "1.41413")),
        (1e-9, 1.0000001e-9, ("1e-9", "1.0000001e-9")),
        (0.5, 0.25, ("0.5", "0.25")),
        (0.1, 0.1, ("0.1", "0.1")),
    ],
)
def test_different_numbers_never_read_the_same(a: float, b: float, shown: tuple[str, str]) -> None:
    from engine.render.numbers import format_apart

    assert format_apart(a, b) == shown
