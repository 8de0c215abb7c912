"""Find the LaTeX math in a card's markdown, and show it as Unicode a terminal can display.

Decks write math as LaTeX (`$\\hat m_1 = m_1/(1-\\beta_1)$`) so they render on GitHub. Two
consumers need to know where that math is: the app, which cannot typeset and shows it as
Unicode (`render_math`), and the Anki export, which hands it to MathJax (engine.export.anki). They
used to carry a regex each and disagreed, so there is one finder here, `math_spans`, with
one rule (pandoc's, which is also what people mean when they write prices in prose):

- `$$...$$` is display math; it may span lines.
- `$...$` is inline math. It may span a single line break but not a blank line (a new
  paragraph); it must not start or end with whitespace and holds no unescaped `$`; the
  opening `$` must not follow a word character (`US$5`, `a$b`); the closing `$` must not
  be followed by a digit. So `Cost is $5 and $x$` holds one piece of math, `$x$`, and
  `costs $5 and $6` none.
- `\\$` is a literal dollar sign, never a delimiter (markdown shows it as `$`).
- Code is not math: inline code spans and fenced code blocks are skipped whole. (Indented
  code blocks are not recognised; decks fence their code.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

# --- Finding math -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MathSpan:
    """One piece of math: `text[start:end]` is it with its dollars, `tex` the LaTeX inside."""

    start: int
    end: int
    tex: str
    display: bool


# Where the scan must stop and look: an escape, a code span, a dollar, or a code fence.
_MARK: Final = re.compile(r"^[ \t]*(?:`{3,}|~{3,})|[\\`$]", re.MULTILINE)
_INLINE: Final = re.compile(
    r"""\$(?=[^\s$])                                    # no whitespace after the opening $
        ((?:\\[^\n] | \\(?=\n) | [^$\\\n] | \n(?![ \t\r]*\n))*?)  # no bare $, no blank line
        (?<=\S)\$(?!\d)                                 # no whitespace before, no digit after
    """,
    re.VERBOSE,
)
_DISPLAY: Final = re.compile(r"\$\$((?:\\[\s\S]|[^\\$]|\$(?!\$))*?)\$\$")
_WORD_BEFORE: Final = re.compile(r"[A-Za-z0-9_]")
_BLANK_LINE: Final = re.compile(r"\n[ \t\r]*\n")
_BACKTICKS: Final = re.compile(r"`+")
# Markdown would read these as markup (emphasis, code, links, HTML, table cells, entities).


def math_spans(text: str) -> list[MathSpan]:
    """Every piece of math in `text`, in order, by the rule in the module docstring."""
    spans: list[MathSpan] = []
    pos = 0
    while (mark := _MARK.search(text, pos)) is not None:
        start, token = mark.start(), mark.group()
        if token == "\\":
            pos = start + 2  # an escaped character is literal, `\$` included
        elif token == "`":
            pos = _code_span_end(text, start)
        elif token != "$":
            pos = _fence_end(text, mark)
        elif (span := _math_at(text, start)) is not None:
            spans.append(span)
            pos = span.end
        else:
            pos = start + (2 if text.startswith("$$", start) else 1)
    return spans


def replace_math(text: str, replace: Callable[[MathSpan], str]) -> str:
    """`text` with each piece of math (dollars included) replaced by `replace(span)`."""
    pieces: list[str] = []
    last = 0
    for span in math_spans(text):
        pieces += [text[last : span.start], replace(span)]
        last = span.end
    pieces.append(text[last:])
    return "".join(pieces)


def _math_at(text: str, start: int) -> MathSpan | None:
    """The math that opens at the `$` at `start`, if that `$` opens any."""
    if text.startswith("$$", start):
        display = _DISPLAY.match(text, start)
        if display is None or not display.group(1).strip():
            return None
        return MathSpan(start, display.end(), display.group(1), display=True)
    if start > 0 and _WORD_BEFORE.match(text, start - 1):
        return None
    inline = _INLINE.match(text, start)
    if inline is None:
        return None
    return MathSpan(start, inline.end(), inline.group(1), display=False)


def _code_span_end(text: str, start: int) -> int:
    """Past the code span opening at `start` (a run of n backticks closed by a run of n).

    An unclosed run is literal backticks; a span never runs past its paragraph.
    """
    run = _BACKTICKS.match(text, start)
    width = run.end() - start if run else 1
    closing = re.compile(rf"(?<!`)`{{{width}}}(?!`)").search(text, start + width)
    if closing is None or _BLANK_LINE.search(text, start, closing.start()):
        return start + width
    return closing.end()


def _fence_end(text: str, fence: re.Match[str]) -> int:
    """Past the fenced code block whose opening fence `fence` matched (to the end if unclosed)."""
    marker = fence.group().lstrip()
    line_end = text.find("\n", fence.end())
    if line_end < 0:
        line_end = len(text)
    if marker[0] == "`" and "`" in text[fence.end() : line_end]:
        return _code_span_end(text, fence.start() + fence.group().index("`"))  # inline code
    closing = re.compile(rf"^[ \t]*{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$", re.MULTILINE)
    found = closing.search(text, line_end + 1) if line_end < len(text) else None
    return found.end() if found else len(text)
