"""LaTeX math in a card's markdown, found (`spans`) and shown as Unicode a terminal can display (`latex`).

Two consumers need to know where a deck's math is: the app, which cannot typeset and shows
it as Unicode (`render_math`, `render_math_text`), and the Anki export, which hands it to
MathJax (`math_spans`, `replace_math`). One finder serves both. One math expression
is rendered by `latex` (with its tables in `latex_symbols`), a text's math by `math_text`.

May import: `engine.expr` (the names of Greek letters). Nothing else of the engine.
"""

from engine.render.latex import latex_to_unicode
from engine.render.math_text import render_math, render_math_text
from engine.render.spans import MathSpan, math_spans, replace_math

__all__ = ["MathSpan", "latex_to_unicode", "math_spans", "render_math", "render_math_text", "replace_math"]
