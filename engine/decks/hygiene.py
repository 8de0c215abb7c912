"""Invisible characters in what a learner reads: the trace of LaTeX that YAML ate.

In a YAML double-quoted string a backslash starts an escape, so `"\\theta"` reads as a
TAB and `heta`, `"\\beta"` as a backspace and `eta`, `"\\frac"` as a form feed and `rac`,
`"\\Phi"` as a paragraph separator and `hi`, and `"\\nabla"` as a line break and `abla`.
Nothing fails: the card loads, its text is quietly wrong, and the loader's `.strip()`
even removes the TAB of a text that starts with `\\theta`. So texts are checked as
written (before any stripping) for characters no deck text means: control characters
(Unicode category Cc) other than the line break, a tab outside code blocks, and the
Unicode line and paragraph separators; and double-quoted YAML strings for `\\n` before
the name of a LaTeX command. Each is a problem at the line of the text, with the fix.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import yaml

_YAML_ESCAPES: Final = {
    "\t": ("t", "a TAB"),
    "\b": ("b", "a backspace"),
    "\a": ("a", "a bell character"),
    "\f": ("f", "a form feed"),
    "\v": ("v", "a vertical tab"),
    "\r": ("r", "a carriage return"),
    "\x1b": ("e", "an escape character"),
    "\x00": ("0", "a null character"),
    "\x85": ("N", "a next-line character"),
    "\u2028": ("L", "a line separator"),
    "\u2029": ("P", "a paragraph separator"),
}
"""The characters a YAML double-quoted string makes of a backslash and a letter."""
_NAMES: Final = {
    "\t": "TAB",
    "\b": "BACKSPACE",
    "\a": "BELL",
    "\f": "FORM FEED",
    "\v": "VERTICAL TAB",
    "\r": "CARRIAGE RETURN",
    "\x1b": "ESCAPE",
    "\x00": "NULL",
    "\x85": "NEXT LINE",
}
_FENCE: Final = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LATEX_AFTER_N: Final = re.compile(
    r"\\n(abla|eq|e|eg|ot|u|i|leq|geq|mid|parallel|exists|subseteq|supseteq|sim|cong|"
    r"rightarrow|leftarrow|Rightarrow|Leftarrow|ormalsize|ewline|orm)(?![A-Za-z])"
)
"""`\\n` then a LaTeX command's name: `\\nabla`, `\\neq`, `\\nu`... in YAML double quotes."""
YAML_QUOTING: Final = "use single quotes / a block scalar"


_HIDDEN: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
"""Unicode's control characters (category Cc) but the line break and the tab, and the line
and paragraph separators: invisible in deck text and never meant there."""
_HIDDEN_OR_TAB: Final = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def hidden(char: str) -> bool:
    """Whether `char` is invisible in deck text and never meant there (a line break is meant)."""
    return _HIDDEN.fullmatch(char) is not None


def describe(char: str) -> str:
    """'U+0009 (TAB)': a character nobody can see, named so that it can be found."""
    name = _NAMES.get(char) or unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def yaml_text_problem(text: str, what: str) -> str | None:
    """What is wrong with a text read from YAML (an option, a step's prompt, a feedback), or
    None. A tab is wrong here too: these short texts hold no code blocks. One problem per
    text: the fix of the first (the string's quoting) fixes the others alike."""
    found = _HIDDEN_OR_TAB.search(text)
    if found is None:
        return None
    index, char = found.start(), found.group()
    letters = re.match(r"[A-Za-z]*", text[index + 1 :])
    after = letters.group(0) if letters else ""
    seen = repr(text[max(0, index - 12) : index + 1 + len(after) + 12])
    message = f"control character {describe(char)} in {what} ({seen})"
    if char in _YAML_ESCAPES:
        escape, called = _YAML_ESCAPES[char]
        written = f"'\\\\{escape}{after}'" if after else "'\\\\' for a backslash"
        return f"{message}: a YAML double-quoted string turns \\{escape} into {called}: write {written} or {YAML_QUOTING}"
    return f"{message}: remove it (in a YAML double-quoted string, write '\\\\' for a backslash, or {YAML_QUOTING})"


def markdown_message(char: str, what: str) -> str:
    """The problem of a hidden character in markdown text (a title, a prompt, an explanation)."""
    where = "outside code blocks: use spaces" if char == "\t" else "remove it"
    return f"control character {describe(char)} in {what}: {where} (it is invisible in most editors)"


def markdown_problems(lines: list[str], start: int, end: int) -> Iterator[tuple[int, str]]:
    """(0-based line, character): the first hidden character of each line of `lines[start:end]`.

    A tab is allowed in a code block (fenced, or a line's leading indentation). A quiz
    block is left out: YAML refuses control characters itself, and its strings are checked
    once read.
    """
    fence, quiz = "", False
    for number in range(start, min(end, len(lines))):
        line = lines[number]
        opened = _FENCE.match(line)
        found: re.Match[str] | None = None
        if fence and opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
            fence = ""
        elif fence:
            found = None if quiz else _HIDDEN.search(line)
        elif opened:
            fence, quiz = opened.group(1), line[opened.end() :].strip() == "quiz"
        else:
            found = _HIDDEN_OR_TAB.search(line.lstrip(" \t"))
        if found is not None:
            yield number, found.group()


def section_problems(
    lines: list[str], heading: int, start: int, back: int, end: int
) -> Iterator[tuple[int, str]]:
    """(0-based line, message) for a card's markdown: its title (the `heading` line), its prompt
    (from `start`) and its explanation (from the `back` heading), each checked line by line as
    written, so that a problem points at the character's own line (the prompt's text has lost
    its lines, and its ends are stripped)."""
    for number, char in markdown_problems(lines, heading, end):
        what = "the title" if number < start else "the prompt" if number < back else "the explanation"
        yield number, markdown_message(char, what)


def latex_line_breaks(root: yaml.Node | None, content: str) -> Iterator[tuple[int, str]]:
    """(0-based line in `content`, command) for each `\\n` + LaTeX name in a double-quoted string."""
    import yaml

    if root is None:
        return
    lines = content.split("\n")
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            stack.extend(value for pair in node.value for value in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.ScalarNode) and node.style == '"':
            first, last = node.start_mark, node.end_mark
            raw = "\n".join(lines[first.line : last.line + 1])
            raw = raw[first.column : len(raw) - len(lines[last.line]) + last.column]
            match = _LATEX_AFTER_N.search(raw)
            if match:
                yield first.line + raw[: match.start()].count("\n"), f"\\n{match.group(1)}"
