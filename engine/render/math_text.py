"""A text's math shown as Unicode: each span found by `spans`, rendered by `latex`.

Two texts carry math: a card's markdown, where the Unicode must be escaped
(`render_math` backslash-escapes the characters markdown would read as markup, so that
`a*b*c` does not turn into emphasis, nor `x<y ... y>z` into an HTML tag) and display
math set apart as a block; and plain text shown as written (`render_math_text`), where
nothing is escaped. This is apart from `latex` because it is about the text around the
math (markdown and its escaping), not the math itself.
"""

from __future__ import annotations

import re
from typing import Final

from engine.render.latex import latex_to_unicode
from engine.render.spans import MathSpan, replace_math

_MARKDOWN_ACTIVE: Final = re.compile(r"[\\`*_\[\]<>|&]")


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
