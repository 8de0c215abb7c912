"""The values of a quiz block, one reader each: formulas, names, options, tolerances,
precisions, mistakes, the reference and the plot.

`engine.decks.quiz_block` reads the block as a whole (its keys, its kind, its givens and
steps) on top of these. Every problem is recorded at its line with its code (see
`engine.decks.problems.CODES`); `fail` also skips the card (`CardInvalid`), while the
rest of the deck loads. Texts a learner reads (options, feedback) are checked as written,
before any stripping, for the control characters a YAML escape leaves
(`engine.decks.hygiene`).
"""

from __future__ import annotations

import difflib
import math
import re
from typing import TYPE_CHECKING, Final

from engine.decks.cards import (
    PRECISION_UNITS,
    DeclaredMistake,
    Formula,
    PlotSpec,
    Precision,
    PrecisionUnit,
    ReferenceUse,
    Tolerance,
)
from engine.decks.hygiene import yaml_text_problem
from engine.errors import ExpressionError
from engine.expr.tokenizer import tokenize

if TYPE_CHECKING:
    import yaml

    from engine.decks.loader import DeckReader
    from engine.decks.problems import Severity

_REFERENCE_KEYS: Final = frozenset({"name", "output", "inputs", "function", "variables"})
_PLOT_KEYS: Final = frozenset({"function", "variable", "range", "derivative", "mark", "label"})
_MAX_RTOL: Final = 1.0
_PRECISION: Final = re.compile(r"\s*([0-9]+)\s*([^\s0-9]+)\s*")
_PRECISION_SHAPE: Final = (
    "precision must be a count and a unit: '4 sig' (significant figures) or '3 dp' (decimal places)"
)
_PRECISION_SPELLINGS: Final = {
    "sig": "sig",
    "significant": "sig",
    "sf": "sig",
    "dp": "dp",
    "decimal": "dp",
    "places": "dp",
}
"""Units a person might write, for the suggestion after a misspelt one (`4 sigfigs`: '4 sig')."""
_PRECISION_DIGITS: Final[dict[PrecisionUnit, range]] = {"sig": range(1, 16), "dp": range(16)}
"""Up to 15 digits: all that float64 keeps. A value has at least one significant figure, and
`0 dp` asks for a whole number."""


def suggest(word: str, choices: frozenset[str] | list[str]) -> str:
    """' (did you mean 'answer'?)' when a close match exists."""
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class CardInvalid(Exception):
    """Raised inside a card's reading once its problem is recorded: skip the card."""


class FieldReader:
    """The value readers of one quiz block; `first_line` is the 1-based file line of its first YAML line."""

    def __init__(self, deck: DeckReader, first_line: int, content: str) -> None:
        self.deck = deck
        self.first_line = first_line
        self.content = content
        self.key_lines: dict[str, int] = {}
        self.item_lines: dict[str, list[int]] = {}
        self.item_key_lines: dict[str, dict[str, int]] = {}
        self.top_keys: frozenset[str] = frozenset()
        self.part: str | None = None  # the step being read, for its problems

    def problem(self, line: int, message: str, code: str, severity: Severity = "error") -> None:
        """Record a problem of this card (in the step being read, if any); reading goes on."""
        self.deck.problem(line, message, severity, code=code, part=self.part)

    def fail(self, line: int, message: str, code: str) -> CardInvalid:
        """Record a problem that leaves the card out; raise what this returns."""
        self.problem(line, message, code)
        return CardInvalid()

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.first_line)

    # -- line bookkeeping ------------------------------------------------------------------

    def index_lines(self, root: yaml.Node | None) -> None:
        """Record the file line of each top-level key, and of the items under it."""
        import yaml

        if not isinstance(root, yaml.MappingNode):
            return
        for key_node, value_node in root.value:
            key = str(key_node.value)
            self.key_lines[key] = self.first_line + key_node.start_mark.line
            if isinstance(value_node, yaml.SequenceNode):
                self.item_lines[key] = [self.first_line + item.start_mark.line for item in value_node.value]
            elif isinstance(value_node, yaml.MappingNode):
                self.item_key_lines[key] = {
                    str(k.value): self.first_line + k.start_mark.line for k, _ in value_node.value
                }

    def item_line(self, key: str, index: int) -> int:
        lines = self.item_lines.get(key, [])
        return lines[index] if index < len(lines) else self.line_of(key)

    # -- values ----------------------------------------------------------------------------

    def text(self, raw: object, line: int, what: str) -> str:
        """A text the learner reads, stripped; a control character in it is an error at `line`.

        Checked before stripping: a text that starts with `\\theta` in YAML double quotes
        starts with a TAB, which `strip` would remove without a trace.
        """
        text = str(raw)
        message = yaml_text_problem(text, what)
        if message is not None:
            self.problem(line, message, "control-character")
        return text.strip()

    def formula(self, raw: object, line: int, what: str) -> Formula:
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise self.fail(
                line,
                f"{what} must be an expression (text or a number), got {type(raw).__name__}",
                "invalid-formula",
            )
        hidden = yaml_text_problem(str(raw), what)  # "\theta" in double quotes: a TAB, then heta
        if hidden is not None:
            raise self.fail(line, hidden, "control-character")
        return Formula(str(raw), line)

    def name(self, raw: object, line: int) -> str:
        try:
            tokens = tokenize(str(raw))
        except ExpressionError as error:
            raise self.fail(line, f"{raw!r} is not a valid name: {error.message}", "invalid-name") from error
        if len(tokens) != 2 or tokens[0].kind != "name":
            raise self.fail(
                line, f"{raw!r} is not a valid name (letters, digits and _; Greek allowed)", "invalid-name"
            )
        return tokens[0].text

    def options(self, raw: object, line: int, key: str | None = None) -> tuple[str, ...]:
        """A choice's options; `key` ("options") when they are the card's, for each one's line."""
        if not isinstance(raw, list) or len(raw) < 2 or any(isinstance(o, dict | list) for o in raw):
            raise self.fail(line, "options must be a list of at least two choices", "invalid-options")
        options = tuple(
            self.text(o, self.item_line(key, index) if key else line, "an option")
            for index, o in enumerate(raw)
        )
        if len({o.lower() for o in options}) != len(options):
            raise self.fail(line, "options must be different from each other", "invalid-options")
        return options

    def tolerance(self, raw: object, line: int) -> Tolerance:
        if isinstance(raw, int | float | str) and not isinstance(raw, bool):
            raw = {"rtol": raw}  # a bare number is rtol (1e-3, without a dot, is a string to YAML)
        if not isinstance(raw, dict) or not set(raw) <= {"rtol", "atol"}:
            raise self.fail(line, "tolerance must be {rtol: ..., atol: ...}", "invalid-tolerance")
        values = {}
        for key, value in raw.items():
            if isinstance(value, str):
                try:
                    value = float(value)  # YAML reads 1e-3 (no dot) as a string
                except ValueError:
                    value = None
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < math.inf:
                raise self.fail(line, f"tolerance {key} must be a finite number ≥ 0", "invalid-tolerance")
            if key == "rtol" and value >= _MAX_RTOL:
                raise self.fail(
                    line,
                    f"tolerance rtol must be less than {_MAX_RTOL:g}: {value:g} accepts 0 for every answer",
                    "invalid-tolerance",
                )
            values[key] = float(value)
        return Tolerance(**values)

    def precision(self, raw: object, line: int, with_tolerance: bool) -> Precision:
        """`4 sig` or `3 dp`: a whole number of significant figures or decimal places."""
        code = "invalid-precision"
        if with_tolerance:
            raise self.fail(
                line, "give precision or tolerance, not both: the precision sets the tolerance", code
            )
        if isinstance(raw, int) and not isinstance(raw, bool):
            raise self.fail(line, f"{_PRECISION_SHAPE} (did you mean '{raw} sig'?)", code)
        match = _PRECISION.fullmatch(raw) if isinstance(raw, str) else None
        if match is None:
            raise self.fail(line, _PRECISION_SHAPE, code)
        count, written = int(match.group(1)), match.group(2)
        unit = next((unit for unit in PRECISION_UNITS if unit == written), None)
        if unit is None:
            close = difflib.get_close_matches(written.lower(), list(_PRECISION_SPELLINGS), n=1)
            guess = f" (did you mean '{count} {_PRECISION_SPELLINGS[close[0]]}'?)" if close else ""
            raise self.fail(line, f"unknown precision unit {written!r}{guess}: write sig or dp", code)
        digits = _PRECISION_DIGITS[unit]
        if count not in digits:
            raise self.fail(
                line,
                f"precision {count} {unit}: {PRECISION_UNITS[unit]}s run from {digits[0]} to {digits[-1]}",
                code,
            )
        return Precision(count, unit)

    def mistakes(self, raw: object, key: str, step_line: int | None = None) -> tuple[DeclaredMistake, ...]:
        line = step_line or self.line_of(key)
        if not isinstance(raw, list):
            raise self.fail(
                line, "mistakes must be a list of {answer: ..., feedback: ...}", "invalid-mistake"
            )
        mistakes = []
        for index, item in enumerate(raw):
            item_line = step_line or self.item_line(key, index)
            if not isinstance(item, dict) or "answer" not in item or "feedback" not in item:
                raise self.fail(item_line, "each mistake needs an answer and a feedback", "invalid-mistake")
            extra = set(item) - {"answer", "feedback", "name"}
            if extra:
                raise self.fail(
                    item_line,
                    f"unknown key {sorted(extra)[0]!r} in a mistake (answer, feedback, name)",
                    "unknown-key",
                )
            mistakes.append(
                DeclaredMistake(
                    self.formula(item["answer"], item_line, "a mistake's answer"),
                    self.text(item["feedback"], item_line, "a mistake's feedback"),
                    str(item["name"]) if item.get("name") is not None else None,
                )
            )
        return tuple(mistakes)

    def reference(self, raw: object, line: int) -> ReferenceUse:
        """`reference: gelu`, `reference: adam_step.theta`, or a mapping with name, output, inputs."""
        code = "invalid-reference"
        if isinstance(raw, str):
            name, _, output = raw.strip().partition(".")
            return ReferenceUse(name, line, output or None)
        if not isinstance(raw, dict) or "name" not in raw or not set(raw) <= _REFERENCE_KEYS:
            raise self.fail(
                line, "reference must be a name (gelu, adam_step.theta) or {name, output, inputs}", code
            )
        inputs = raw.get("inputs") or {}
        if not isinstance(inputs, dict):
            raise self.fail(line, "reference inputs must be a mapping of input: formula", code)
        bound = tuple((str(k), self.formula(v, line, f"reference input {k!r}")) for k, v in inputs.items())
        chosen = raw.get("output")
        function = self.formula(raw["function"], line, "reference function") if "function" in raw else None
        names = raw.get("variables") or []
        if not isinstance(names, list):
            raise self.fail(line, "reference variables must be a list of names, like [x, y]", code)
        variables = tuple(self.name(name, line) for name in names)
        if function is not None and not variables:
            raise self.fail(line, "a reference function needs its variables, like variables: [x, y]", code)
        picked = str(chosen) if chosen is not None else None
        return ReferenceUse(str(raw["name"]), line, picked, bound, function, variables)

    def plot(self, raw: object, line: int) -> PlotSpec:
        """`plot: {function, range, variable, derivative, mark, label}`; see docs/deck-format.md."""
        code = "invalid-plot"
        if not isinstance(raw, dict):
            raise self.fail(line, "plot must be a mapping: {function: ..., range: [low, high], ...}", code)
        lines = self.item_key_lines.get("plot", {})
        for key in raw:
            if key not in _PLOT_KEYS:
                raise self.fail(
                    lines.get(str(key), line),
                    f"unknown key {key!r} in plot{suggest(str(key), _PLOT_KEYS)}",
                    "unknown-key",
                )
        if "function" not in raw or "range" not in raw:
            raise self.fail(line, "plot needs a function and a range: [low, high]", code)
        bounds = raw["range"]
        range_line = lines.get("range", line)
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise self.fail(
                range_line, "plot range must be [low, high] (numbers or formulas in the givens)", code
            )
        derivative = raw.get("derivative")
        derivative_line = lines.get("derivative", line)
        mark = raw.get("mark")
        label = raw.get("label")
        if label is not None and not isinstance(label, str):
            raise self.fail(lines.get("label", line), "plot label must be text", code)
        return PlotSpec(
            function=self.formula(raw["function"], lines.get("function", line), "plot function"),
            low=self.formula(bounds[0], range_line, "plot range"),
            high=self.formula(bounds[1], range_line, "plot range"),
            variable=self.name(raw.get("variable", "x"), lines.get("variable", line)),
            derivative=(
                None
                if derivative is None or isinstance(derivative, bool)
                else self.formula(derivative, derivative_line, "plot derivative")
            ),
            numeric_derivative=derivative is True,
            mark=None if mark is None else self.name(mark, lines.get("mark", line)),
            label=label,
            line=line,
        )
