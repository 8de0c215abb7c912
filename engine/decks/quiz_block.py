"""One ```` ```quiz ```` block read into a `Card`: the quiz block's schema, key by key.

Every key is checked against what its card kind takes (a misspelt key gets a
suggestion), every value against its shape and range, and each problem is recorded at
its line; `CardInvalid` then skips the card while the rest of the deck loads.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import TYPE_CHECKING, Any, Final

from engine.decks.cards import (
    CARD_KINDS,
    PRECISION_UNITS,
    Card,
    CardKind,
    DeclaredMistake,
    Formula,
    Given,
    PlotSpec,
    Precision,
    PrecisionUnit,
    ReferenceUse,
    Step,
    Tolerance,
)
from engine.decks.kinds import KINDS, implied_kind, missing_fields
from engine.decks.quiz_yaml import parse_yaml, yaml_reason
from engine.errors import EngineError, ExpressionError
from engine.expr.domains import Domain, parse_domain
from engine.expr.tokenizer import tokenize

if TYPE_CHECKING:
    import yaml

if TYPE_CHECKING:
    from engine.decks.loader import DeckReader

_COMMON_KEYS: Final = frozenset({"kind", "tags", "plot"})
_ALL_KEYS: Final = _COMMON_KEYS.union(*(row.keys for row in KINDS.values()))
_STEP_KEYS: Final = frozenset(
    {"name", "prompt", "answer", "options", "tolerance", "precision", "mistakes", "output"}
)
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
_VARIABLES_SHAPE: Final = "variables must be a list of names or a mapping of name: domain"


def suggest(word: str, choices: frozenset[str] | list[str]) -> str:
    """' (did you mean 'answer'?)' when a close match exists."""
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class CardInvalid(Exception):
    """Raised inside a card's reading once its problem is recorded: skip the card."""


class QuizReader:
    """Reads one quiz block; `first_line` is the 1-based file line of its first YAML line."""

    def __init__(self, deck: DeckReader, first_line: int, content: str) -> None:
        self.deck = deck
        self.first_line = first_line
        self.content = content
        self.key_lines: dict[str, int] = {}
        self.item_lines: dict[str, list[int]] = {}
        self.item_key_lines: dict[str, dict[str, int]] = {}
        self.top_keys: frozenset[str] = frozenset()

    def fail(self, line: int, message: str) -> CardInvalid:
        self.deck.problem(line, message)
        return CardInvalid()

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.first_line)

    def card(self, base: dict[str, Any], deck_tags: tuple[str, ...]) -> Card:
        import yaml

        try:
            root, data = parse_yaml(self.content)
        except yaml.YAMLError as error:
            raise self.fail(
                self.deck.yaml_line(error, self.first_line),
                f"quiz block is not valid YAML: {yaml_reason(error)}",
            ) from error
        if not isinstance(data, dict):
            raise self.fail(self.first_line, "quiz block must be a mapping of keys (kind: ..., answer: ...)")
        self.index_lines(root)
        self.top_keys = frozenset(str(k) for k in data)
        kind = self.kind(data)
        for key in data:
            if key not in _ALL_KEYS:
                self.deck.problem(
                    self.line_of(str(key)), f"unknown key {key!r}{suggest(str(key), _ALL_KEYS)}"
                )
            elif key not in _COMMON_KEYS and key not in KINDS[kind].keys:
                allowed = ", ".join(sorted(KINDS[kind].keys | _COMMON_KEYS))
                self.deck.problem(
                    self.line_of(key), f"{key!r} does not apply to {kind} cards (they take: {allowed})"
                )
        fields: dict[str, Any] = {
            "kind": kind,
            "tags": tuple(dict.fromkeys(deck_tags + self.deck.tags(data.get("tags"), self.line_of("tags")))),
        }
        if "answer" in data:
            fields["answer"] = self.formula(data["answer"], self.line_of("answer"), "answer")
        if "reference" in data:
            fields["reference"] = self.reference(data["reference"], self.line_of("reference"))
        if "variables" in data:
            fields["variables"] = self.variables(data["variables"])
        if "given" in data:
            fields["given"] = self.given(data["given"])
        if "options" in data:
            fields["options"] = self.options(data["options"], self.line_of("options"))
        if "tolerance" in data:
            fields["tolerance"] = self.tolerance(data["tolerance"], self.line_of("tolerance"))
        if "precision" in data:
            fields["precision"] = self.precision(
                data["precision"], self.line_of("precision"), "tolerance" in data
            )
        if "mistakes" in data:
            fields["mistakes"] = self.mistakes(data["mistakes"], "mistakes")
        if "steps" in data:
            fields["steps"] = self.steps(data["steps"])
        if "plot" in data:
            fields["plot"] = self.plot(data["plot"], self.line_of("plot"))
        card = Card(**base, **fields)
        self.require(card)
        return card

    def kind(self, data: dict[str, Any]) -> CardKind:
        kind = data.get("kind")
        if kind is None:  # infer from the keys, as documented
            return implied_kind({str(key) for key in data})
        if kind not in CARD_KINDS:
            raise self.fail(
                self.line_of("kind"),
                f"unknown kind {kind!r}{suggest(str(kind), list(CARD_KINDS))}; kinds: {', '.join(CARD_KINDS)}",
            )
        return kind  # type: ignore[no-any-return]

    def require(self, card: Card) -> None:
        missing = missing_fields(card)
        if missing is not None:
            raise self.fail(self.first_line, missing)

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

    def formula(self, raw: object, line: int, what: str) -> Formula:
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise self.fail(
                line, f"{what} must be an expression (text or a number), got {type(raw).__name__}"
            )
        return Formula(str(raw), line)

    def name(self, raw: object, line: int) -> str:
        try:
            tokens = tokenize(str(raw))
        except ExpressionError as error:
            raise self.fail(line, f"{raw!r} is not a valid name: {error.message}") from error
        if len(tokens) != 2 or tokens[0].kind != "name":
            raise self.fail(line, f"{raw!r} is not a valid name (letters, digits and _; Greek allowed)")
        return tokens[0].text

    def variables(self, raw: object) -> dict[str, Domain]:
        line = self.line_of("variables")
        if isinstance(raw, list):
            for index, item in enumerate(raw):  # [[x, y]]: a list is no name (nor a dict key)
                if isinstance(item, list | dict):
                    raise self.fail(self.item_line("variables", index), _VARIABLES_SHAPE)
            raw = dict.fromkeys(raw)
        if not isinstance(raw, dict):
            raise self.fail(line, _VARIABLES_SHAPE)
        lines = self.item_key_lines.get("variables", {})
        domains: dict[str, Domain] = {}
        for index, (name, spec) in enumerate(raw.items()):
            item_line = lines.get(str(name), self.item_line("variables", index))
            try:
                domains[self.name(name, item_line)] = parse_domain(spec)
            except EngineError as error:  # DomainError, or an end that cannot be evaluated
                raise self.fail(item_line, f"variable {name!r}: {error.message}") from error
        return domains

    def given(self, raw: object) -> tuple[Given, ...]:
        if not isinstance(raw, dict):
            raise self.fail(self.line_of("given"), "given must be a mapping of name: value or sampler")
        lines = self.item_key_lines.get("given", {})
        givens = []
        for name, spec in raw.items():
            line = lines.get(str(name), self.line_of("given"))
            if spec is None and not str(name).isidentifier():
                raise self.fail(
                    line,
                    f"given {name!r} is not a name: YAML splits {{x: uniform(1, 2)}} at the comma;"
                    " write one given per line (x: uniform(1, 2)) or quote the value",
                )
            if spec is None or isinstance(spec, bool) or not isinstance(spec, int | float | str | list):
                raise self.fail(
                    line, f"given {name!r} needs a value, a sampler such as uniform(-3, 3), or a formula"
                )
            givens.append(Given(self.name(name, line), spec, line))
        self.plannable(givens)
        return tuple(givens)

    def plannable(self, givens: list[Given]) -> None:
        """Every given must be readable now, with its sampler's arguments in range.

        A given that cannot be read can never be drawn, so the card could only fail in
        front of a learner (and a bad range, such as `randint(0, 10^100)`, used to fail
        deep in numpy): it is a problem at the given's line, and the card is left out.
        """
        from engine.decks.instance import GivenError, plan_givens  # numpy: only when a deck is parsed

        try:
            plan_givens(givens)
        except GivenError as error:
            raise self.fail(error.line or self.line_of("given"), error.message) from error

    def options(self, raw: object, line: int) -> tuple[str, ...]:
        if not isinstance(raw, list) or len(raw) < 2 or any(isinstance(o, dict | list) for o in raw):
            raise self.fail(line, "options must be a list of at least two choices")
        options = tuple(str(o).strip() for o in raw)
        if len({o.lower() for o in options}) != len(options):
            raise self.fail(line, "options must be different from each other")
        return options

    def tolerance(self, raw: object, line: int) -> Tolerance:
        if isinstance(raw, int | float | str) and not isinstance(raw, bool):
            raw = {"rtol": raw}  # a bare number is rtol (1e-3, without a dot, is a string to YAML)
        if not isinstance(raw, dict) or not set(raw) <= {"rtol", "atol"}:
            raise self.fail(line, "tolerance must be {rtol: ..., atol: ...}")
        values = {}
        for key, value in raw.items():
            if isinstance(value, str):
                try:
                    value = float(value)  # YAML reads 1e-3 (no dot) as a string
                except ValueError:
                    value = None
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < math.inf:
                raise self.fail(line, f"tolerance {key} must be a finite number ≥ 0")
            if key == "rtol" and value >= _MAX_RTOL:
                raise self.fail(
                    line,
                    f"tolerance rtol must be less than {_MAX_RTOL:g}: {value:g} accepts 0 for every answer",
                )
            values[key] = float(value)
        return Tolerance(**values)

    def precision(self, raw: object, line: int, with_tolerance: bool) -> Precision:
        """`4 sig` or `3 dp`: a whole number of significant figures or decimal places."""
        if with_tolerance:
            raise self.fail(line, "give precision or tolerance, not both: the precision sets the tolerance")
        if isinstance(raw, int) and not isinstance(raw, bool):
            raise self.fail(line, f"{_PRECISION_SHAPE} (did you mean '{raw} sig'?)")
        match = _PRECISION.fullmatch(raw) if isinstance(raw, str) else None
        if match is None:
            raise self.fail(line, _PRECISION_SHAPE)
        count, written = int(match.group(1)), match.group(2)
        unit = next((unit for unit in PRECISION_UNITS if unit == written), None)
        if unit is None:
            close = difflib.get_close_matches(written.lower(), list(_PRECISION_SPELLINGS), n=1)
            guess = f" (did you mean '{count} {_PRECISION_SPELLINGS[close[0]]}'?)" if close else ""
            raise self.fail(line, f"unknown precision unit {written!r}{guess}: write sig or dp")
        digits = _PRECISION_DIGITS[unit]
        if count not in digits:
            raise self.fail(
                line,
                f"precision {count} {unit}: {PRECISION_UNITS[unit]}s run from {digits[0]} to {digits[-1]}",
            )
        return Precision(count, unit)

    def mistakes(self, raw: object, key: str, step_line: int | None = None) -> tuple[DeclaredMistake, ...]:
        line = step_line or self.line_of(key)
        if not isinstance(raw, list):
            raise self.fail(line, "mistakes must be a list of {answer: ..., feedback: ...}")
        mistakes = []
        for index, item in enumerate(raw):
            item_line = step_line or self.item_line(key, index)
            if not isinstance(item, dict) or "answer" not in item or "feedback" not in item:
                raise self.fail(item_line, "each mistake needs an answer and a feedback")
            extra = set(item) - {"answer", "feedback", "name"}
            if extra:
                raise self.fail(
                    item_line, f"unknown key {sorted(extra)[0]!r} in a mistake (answer, feedback, name)"
                )
            mistakes.append(
                DeclaredMistake(
                    self.formula(item["answer"], item_line, "a mistake's answer"),
                    str(item["feedback"]).strip(),
                    str(item["name"]) if item.get("name") is not None else None,
                )
            )
        return tuple(mistakes)

    def reference(self, raw: object, line: int) -> ReferenceUse:
        """`reference: gelu`, `reference: adam_step.theta`, or a mapping with name, output, inputs."""
        if isinstance(raw, str):
            name, _, output = raw.strip().partition(".")
            return ReferenceUse(name, line, output or None)
        if not isinstance(raw, dict) or "name" not in raw or not set(raw) <= _REFERENCE_KEYS:
            raise self.fail(
                line, "reference must be a name (gelu, adam_step.theta) or {name, output, inputs}"
            )
        inputs = raw.get("inputs") or {}
        if not isinstance(inputs, dict):
            raise self.fail(line, "reference inputs must be a mapping of input: formula")
        bound = tuple((str(k), self.formula(v, line, f"reference input {k!r}")) for k, v in inputs.items())
        chosen = raw.get("output")
        function = self.formula(raw["function"], line, "reference function") if "function" in raw else None
        names = raw.get("variables") or []
        if not isinstance(names, list):
            raise self.fail(line, "reference variables must be a list of names, like [x, y]")
        variables = tuple(self.name(name, line) for name in names)
        if function is not None and not variables:
            raise self.fail(line, "a reference function needs its variables, like variables: [x, y]")
        picked = str(chosen) if chosen is not None else None
        return ReferenceUse(str(raw["name"]), line, picked, bound, function, variables)

    def plot(self, raw: object, line: int) -> PlotSpec:
        """`plot: {function, range, variable, derivative, mark, label}`; see docs/deck-format.md."""
        if not isinstance(raw, dict):
            raise self.fail(line, "plot must be a mapping: {function: ..., range: [low, high], ...}")
        lines = self.item_key_lines.get("plot", {})
        for key in raw:
            if key not in _PLOT_KEYS:
                raise self.fail(
                    lines.get(str(key), line), f"unknown key {key!r} in plot{suggest(str(key), _PLOT_KEYS)}"
                )
        if "function" not in raw or "range" not in raw:
            raise self.fail(line, "plot needs a function and a range: [low, high]")
        bounds = raw["range"]
        range_line = lines.get("range", line)
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise self.fail(range_line, "plot range must be [low, high] (numbers or formulas in the givens)")
        derivative = raw.get("derivative")
        derivative_line = lines.get("derivative", line)
        mark = raw.get("mark")
        label = raw.get("label")
        if label is not None and not isinstance(label, str):
            raise self.fail(lines.get("label", line), "plot label must be text")
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

    def steps(self, raw: object) -> tuple[Step, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail(
                self.line_of("steps"), "steps must be a list of parts, each with a name and an answer"
            )
        steps = []
        names: set[str] = set()
        for index, item in enumerate(raw):
            line = self.item_line("steps", index)
            if not isinstance(item, dict) or "name" not in item:
                raise self.fail(line, "each step needs a name (and an answer or options)")
            for key in item:
                if key not in _STEP_KEYS:
                    raise self.fail(line, f"unknown key {key!r} in a step{suggest(str(key), _STEP_KEYS)}")
            name = self.name(item["name"], line)
            if name in names:
                raise self.fail(line, f"two steps are named {name!r}")
            names.add(name)
            answer = self.formula(item["answer"], line, "a step's answer") if "answer" in item else None
            options = self.options(item["options"], line) if "options" in item else ()
            output = str(item["output"]) if item.get("output") is not None else None
            if "precision" in item and options:
                raise self.fail(line, f"step {name!r} is a choice: precision applies to numeric parts")
            if answer is None and not options and output is None and "reference" not in self.top_keys:
                raise self.fail(line, f"step {name!r} needs an answer (or the card a reference)")
            steps.append(
                Step(
                    name=name,
                    prompt=str(item.get("prompt") or name).strip(),
                    answer=answer,
                    options=options,
                    tolerance=self.tolerance(item["tolerance"], line) if "tolerance" in item else Tolerance(),
                    mistakes=self.mistakes(item["mistakes"], "steps", line) if "mistakes" in item else (),
                    output=output,
                    line=line,
                    precision=(
                        self.precision(item["precision"], line, "tolerance" in item)
                        if "precision" in item
                        else None
                    ),
                )
            )
        return tuple(steps)
