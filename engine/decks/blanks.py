"""Blanks inside a formula: the text syntax of cloze cards, `\\blank{...}`.

A cloze card's prompt holds one display formula (`$$...$$`) in which spans are blanked:

    $$\\theta \\leftarrow \\theta - \\frac{\\eta\\,\\hat m}{\\blank{\\sqrt{\\hat v} + \\epsilon}}$$

Anki's `{{c1::...}}` collides with LaTeX's braces (`{{c1::\\frac{a}{b}}}` closes early), and
so does any syntax built from bare braces or brackets. A blank written as a LaTeX command
cannot: its argument is one balanced brace group, exactly as `\\frac`'s are, so a blank may
hold a `\\frac`, sit next to a `}` or inside another command's argument, and an editor that
understands LaTeX understands it. `\\blank` is not a command LaTeX knows, so it cannot mean
anything else.

This module only reads and rewrites text (no parsing of the math inside): the loader uses
it to find a card's blanks, `Instance.prompt` to hide them (each becomes a numbered mark
`⟦1⟧` before anyone sees the prompt), the app to fill the marks as blanks are answered,
and validation to rebuild the whole formula.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from engine.errors import EngineError
from engine.render.spans import math_spans

BLANK_COMMAND: Final = "\\blank"
_BLANK: Final = re.compile(r"\\blank(?![A-Za-z])")
_MARK: Final = re.compile(r"⟦(\d+)⟧")
_ASSIGNMENT: Final = re.compile(r"\\leftarrow|\\gets|:=|=|←")
MAX_BLANKS: Final = 9
"""More blanks than this in one formula is a fill-in exercise, not a card to review."""


class BlankSyntaxError(EngineError):
    """A malformed `\\blank`; `offset` is where in the text it starts."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Blank:
    """One blank: its number (from 1, in reading order) and its content, LaTeX as written.

    `start:end` is the whole `\\blank{...}` in the text it was found in.
    """

    number: int
    content: str
    start: int
    end: int

    @property
    def mark(self) -> str:
        """How the blank is shown before it is answered."""
        return mark(self.number)


def mark(number: int) -> str:
    """The mark that stands for blank `number` in a prompt: `⟦1⟧`."""
    return f"⟦{number}⟧"


def find_blanks(text: str) -> list[Blank]:
    """Every `\\blank{...}` in `text`, in order; `BlankSyntaxError` for one that is malformed."""
    blanks: list[Blank] = []
    for match in _BLANK.finditer(text):
        if any(blank.start <= match.start() < blank.end for blank in blanks):
            raise BlankSyntaxError("a blank cannot hold another blank", match.start())
        brace = match.end()
        while brace < len(text) and text[brace] in " \t":
            brace += 1
        if brace >= len(text) or text[brace] != "{":
            raise BlankSyntaxError("\\blank must be followed by {content}", match.start())
        close = _closing_brace(text, brace)
        if close is None:
            raise BlankSyntaxError("\\blank{ is never closed: its braces do not balance", match.start())
        content = text[brace + 1 : close].strip()
        if not content:
            raise BlankSyntaxError(
                "\\blank{} is empty: put what the learner must write inside", match.start()
            )
        blanks.append(Blank(len(blanks) + 1, content, match.start(), close + 1))
    return blanks


def _closing_brace(text: str, opening: int) -> int | None:
    """The index of the `}` that closes the `{` at `opening` (escaped braces do not count)."""
    depth = 0
    index = opening
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2  # \{ and \} are literal braces; \\ is a line break
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return None


def blanked(text: str) -> str:
    """`text` with every blank replaced by its mark (`⟦1⟧`): what a learner is shown.

    Malformed blanks are left as written: the loader has already refused such a card, and
    this must never raise while a prompt is shown.
    """
    try:
        blanks = find_blanks(text)
    except BlankSyntaxError:
        return text
    return _replace(text, blanks, {blank.number: blank.mark for blank in blanks})


def unblanked(text: str) -> str:
    """`text` with every blank replaced by its content, in braces: the whole formula."""
    blanks = find_blanks(text)
    return _replace(text, blanks, {blank.number: "{" + blank.content + "}" for blank in blanks})


def fill_marks(shown: str, fills: Mapping[int, str]) -> str:
    """Shown text (already rendered) with the marks of answered blanks holding their answers.

    A fill is the answer as the engine read it (Unicode), shown between the same brackets
    so the learner sees which part of the formula it is.
    """
    return _MARK.sub(
        lambda m: f"⟦{fills[int(m.group(1))]}⟧" if int(m.group(1)) in fills else m.group(), shown
    )


def anki_clozes(text: str) -> str:
    """`text` with every blank as an Anki cloze deletion, `{{c1::...}}`, safe inside LaTeX.

    Anki ends a deletion at the first `}}`, so a `}}` inside the content (`\\frac{a}{\\sqrt{b}}`)
    or a content ending in `}` next to the closing braces would end it early: every `}}` in
    the content is spaced to `} }` and the closing braces are set apart by a space, which
    LaTeX ignores in math. `::` (Anki's hint separator) is spaced likewise.
    """
    blanks = find_blanks(text)

    def deletion(blank: Blank) -> str:
        content = blank.content
        while "}}" in content or "::" in content:
            content = content.replace("}}", "} }").replace("::", ": :")
        return f"{{{{c{blank.number}::{content} }}}}"

    return _replace(text, blanks, {blank.number: deletion(blank) for blank in blanks})


def _replace(text: str, blanks: list[Blank], by: Mapping[int, str]) -> str:
    pieces: list[str] = []
    last = 0
    for blank in blanks:
        pieces += [text[last : blank.start], by[blank.number]]
        last = blank.end
    pieces.append(text[last:])
    return "".join(pieces)


@dataclass(frozen=True)
class ClozeFormula:
    """The one display formula of a cloze card's prompt, and its blanks (offsets in `tex`)."""

    tex: str
    blanks: tuple[Blank, ...]

    @property
    def whole(self) -> str:
        """The formula with its blanks filled in: what the learner is asked to complete."""
        return unblanked(self.tex)

    @property
    def right_side(self) -> str:
        """The whole formula after its last top-level `=` / `←` / `:=`: the value it defines.

        `\\theta \\leftarrow \\theta - \\eta g` defines `\\theta - \\eta g`; a formula with no
        assignment is its own value.
        """
        whole = self.whole
        cut = 0
        depth = 0
        index = 0
        while index < len(whole):
            char = whole[index]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            elif depth == 0 and (match := _ASSIGNMENT.match(whole, index)) is not None:
                cut = match.end()
                index = cut
                continue
            index += 1
        return whole[cut:].strip()


def cloze_formula(prompt: str) -> ClozeFormula:
    """The display formula holding `prompt`'s blanks; `BlankSyntaxError` when there is not exactly one.

    Every blank must sit in display math (`$$...$$`), all in the same formula: a blank in
    prose has nothing to be checked against, and blanks spread over several formulas would
    hide which formula a part belongs to.
    """
    everywhere = find_blanks(prompt)
    if not everywhere:
        raise BlankSyntaxError(
            "a cloze card needs a blank: write \\blank{...} around part of its display formula ($$...$$)", 0
        )
    holding = [
        span for span in math_spans(prompt) if any(span.start <= b.start < span.end for b in everywhere)
    ]
    inside = sum(1 for b in everywhere for span in holding if span.start <= b.start < span.end)
    if inside < len(everywhere):
        stray = next(b for b in everywhere if not any(s.start <= b.start < s.end for s in holding))
        raise BlankSyntaxError("a blank must be inside the card's display formula ($$...$$)", stray.start)
    if len(holding) > 1:
        raise BlankSyntaxError("blanks must all be in one formula", holding[1].start)
    span = holding[0]
    if not span.display:
        raise BlankSyntaxError("blanks belong in display math ($$...$$), not inline math", span.start)
    blanks = find_blanks(span.tex)
    if len(blanks) > MAX_BLANKS:
        raise BlankSyntaxError(f"{len(blanks)} blanks in one formula (at most {MAX_BLANKS})", span.start)
    return ClozeFormula(span.tex, tuple(blanks))
