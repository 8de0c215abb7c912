"""Problems found in decks, reported the way compilers do: `file:line: error: message`.

Editors jump to that form, and it is grep-able; every loader and validator returns a
list of these instead of raising, so one broken card never hides the others.

A problem also carries what a program reading `quizapp validate --json` needs and a
person reads in the message: a stable `code` for its kind (the table `CODES`; messages
are reworded, codes are not), the card and part it belongs to, and, for a problem seen at
an instance, that instance's seed, inputs and the values that disagree. Those extra
fields do not take part in comparing or ordering problems: a report is sorted and
deduplicated by place and message, as it always was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

Severity = Literal["error", "warning"]

CODES: Final[dict[str, str]] = {
    # reading a deck file
    "deck-unreadable": "the file is not a regular UTF-8 file of at most 2 MB",
    "internal-error": "something nobody foresaw broke while reading or checking (a bug: please report it)",
    "invalid-deck-id": "a deck id that is not letters, digits, '-', '_' or '.'",
    "duplicate-deck-id": "two decks with one id",
    "no-cards": "a deck without a '## ' heading",
    "invalid-front-matter": "front matter that is not a mapping",
    "yaml-error": "front matter or a quiz block that is not valid YAML (or uses what decks may not)",
    "unknown-key": "a key that is not part of the format (front matter, quiz block, step, mistake, plot)",
    "invalid-tags": "tags that are not a list of words",
    # cards
    "missing-card-id": "a card without an explicit {#id}",
    "invalid-card-id": "a card id that is not letters, digits, '-', '_' or '.'",
    "duplicate-card-id": "two cards with one id in a deck",
    "multiple-quiz-blocks": "more than one quiz block in a card",
    "flash-without-back": "a flash card without an answer section",
    "control-character": "an invisible control character in a text (a YAML escape such as \\t in '\\theta')",
    "latex-escape": "a YAML escape that turned LaTeX into a line break ('\\nabla' in double quotes)",
    # the quiz block's keys and values
    "invalid-quiz-block": "a quiz block that is not a mapping",
    "unknown-kind": "a kind that does not exist",
    "key-not-for-kind": "a key its card kind does not take",
    "missing-field": "a field the card's kind needs is missing",
    "invalid-formula": "a formula that is not text or a number",
    "invalid-name": "a name that is not a valid name",
    "invalid-variables": "variables that are not names with domains",
    "invalid-given": "a given that cannot be read, planned or drawn",
    "invalid-options": "options that are not a list of different choices",
    "invalid-tolerance": "a tolerance out of its range or shape",
    "invalid-precision": "a precision that is not 'N sig' or 'N dp', or is given with a tolerance",
    "invalid-mistake": "a mistake without an answer and a feedback",
    "invalid-reference": "a reference block of the wrong shape",
    "invalid-plot": "a plot block of the wrong shape",
    "invalid-steps": "steps that are not a list of named parts with answers",
    "invalid-blank": "a cloze card whose blanks are missing, malformed, or outside one display formula",
    "invalid-hints": "hints that are not a list of at most five texts",
    # validation of a card's content
    "formula-error": "a formula that cannot be parsed or evaluated",
    "reference-error": "the torch reference cannot be run on the card's inputs",
    "placeholder-without-value": "a {placeholder} that names no given or part",
    "not-finite": "a value that is NaN or infinite at some instance",
    "answer-undefined": "a symbolic answer that is not a real number anywhere",
    "answer-not-scalar": "a symbolic answer that is a vector",
    "answer-not-an-option": "a choice answer that is not one of the options",
    "option-never-changes": "a choice card whose draws never change the right option",
    "formula-disagrees-with-torch": "the card's formula and its torch reference differ",
    "part-unchecked-by-torch": "a part that is no torch output and that no part torch checks uses",
    "mistake-equivalent": "a symbolic mistake that is equivalent to the answer",
    "mistake-not-finite": "a mistake that is NaN or infinite at every instance",
    "mistake-indistinguishable": "a mistake that cannot be told from the answer at any instance",
    "mistake-seldom-distinguishable": "a mistake that coincides with the answer at most instances",
    "unknown-given": "a given that the reference does not take and nothing of the card uses",
    "default-override-not-in-prompt": "a given that changes a torch default, while the prompt does not say so",
    "blank-error": "a blank whose content cannot be read in the card's variables",
    "blank-formula-disagrees": "a cloze formula that, filled in, is not the card's answer",
    "blank-guessable": "a blank whose content is written elsewhere in the prompt",
    "blank-outside-cloze": "a \\blank in the prompt of a card that is not a cloze card",
    "plot-error": "a plot that cannot be drawn",
    "plot-not-finite": "a plot function (or derivative) that is not a real number over its range",
    "plot-mark-outside": "a plot's marked point outside its range",
}
"""Every problem's `code`, with what it means: stable, so that tools may rely on them."""


@dataclass(frozen=True, order=True)
class Problem:
    path: Path
    line: int
    severity: Severity
    message: str
    code: str = field(default="", compare=False)
    card: str | None = field(default=None, compare=False)  # the card's full id, deck-id/card-id
    part: str | None = field(default=None, compare=False)  # a steps card's part, by name
    seed: int | None = field(default=None, compare=False)  # the instance the problem was seen at
    inputs: tuple[tuple[str, str], ...] = field(default=(), compare=False)  # its values, as printed
    formula: str | None = field(default=None, compare=False)  # the card's formula's value there
    torch: str | None = field(default=None, compare=False)  # torch's value there
    mistake: str | None = field(default=None, compare=False)  # the mistake concerned, by name

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"

    def to_json(self) -> dict[str, object]:
        """The problem as `quizapp validate --json` gives it (docs/deck-format.md, "Validation")."""
        data: dict[str, object] = {
            "file": str(self.path),
            "line": self.line,
            "card": self.card,
            "part": self.part,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }
        if self.seed is not None:
            data["seed"] = self.seed
        if self.inputs:
            data["inputs"] = dict(self.inputs)
        for key, value in (("formula", self.formula), ("torch", self.torch), ("mistake", self.mistake)):
            if value is not None:
                data[key] = value
        return data


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)
