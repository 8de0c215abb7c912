"""One ```` ```quiz ```` block read into a `Card`: the quiz block's schema, key by key.

Every key is checked against what its card kind takes (a misspelt key gets a
suggestion), every value against its shape and range, and each problem is recorded at
its line; `CardInvalid` then skips the card while the rest of the deck loads. The block as
a whole (its keys, kind, givens and steps) is read here; each value (a formula, options,
a tolerance, the reference, the plot...) by `engine.decks.quiz_fields`.
"""

from __future__ import annotations

from typing import Any, Final

from engine.decks.cards import CARD_KINDS, Card, CardKind, Formula, Given, Step, Tolerance
from engine.decks.hygiene import latex_line_breaks
from engine.decks.kinds import KINDS, implied_kind, missing_fields
from engine.decks.quiz_fields import CardInvalid, FieldReader, suggest
from engine.decks.quiz_yaml import parse_yaml, yaml_reason
from engine.errors import EngineError
from engine.expr.domains import Domain, parse_domain

__all__ = ["CardInvalid", "QuizReader", "suggest"]

_COMMON_KEYS: Final = frozenset({"kind", "tags", "plot", "hints"})
MAX_HINTS: Final = 5
_ALL_KEYS: Final = _COMMON_KEYS.union(*(row.keys for row in KINDS.values()))
_STEP_KEYS: Final = frozenset(
    {"name", "prompt", "answer", "options", "tolerance", "precision", "mistakes", "output"}
)
_VARIABLES_SHAPE: Final = "variables must be a list of names or a mapping of name: domain"


class QuizReader(FieldReader):
    """Reads one quiz block into a card (see `FieldReader` for its values)."""

    def card(self, base: dict[str, Any], deck_tags: tuple[str, ...]) -> Card:
        import yaml

        try:
            root, data = parse_yaml(self.content)
        except yaml.YAMLError as error:
            raise self.fail(
                self.deck.yaml_line(error, self.first_line),
                f"quiz block is not valid YAML: {yaml_reason(error)}",
                "yaml-error",
            ) from error
        if not isinstance(data, dict):
            raise self.fail(
                self.first_line,
                "quiz block must be a mapping of keys (kind: ..., answer: ...)",
                "invalid-quiz-block",
            )
        self.index_lines(root)
        for line, command in latex_line_breaks(root, self.content):
            self.problem(
                self.first_line + line,
                f"{command} in a YAML double-quoted string is a line break and '{command[2:]}':"
                f" write '\\{command}' or use single quotes / a block scalar",
                "latex-escape",
            )
        self.top_keys = frozenset(str(k) for k in data)
        kind = self.kind(data)
        for key in data:
            if key not in _ALL_KEYS:
                self.problem(
                    self.line_of(str(key)),
                    f"unknown key {key!r}{suggest(str(key), _ALL_KEYS)}",
                    "unknown-key",
                )
            elif key not in _COMMON_KEYS and key not in KINDS[kind].keys:
                allowed = ", ".join(sorted(KINDS[kind].keys | _COMMON_KEYS))
                self.problem(
                    self.line_of(key),
                    f"{key!r} does not apply to {kind} cards (they take: {allowed})",
                    "key-not-for-kind",
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
            fields["options"] = self.options(data["options"], self.line_of("options"), "options")
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
        if "hints" in data:
            fields["hints"] = self.hints(data["hints"])
        if KINDS[kind].blanks:
            fields["steps"] = self.blanks(str(base["prompt"]))
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
                "unknown-kind",
            )
        return kind  # type: ignore[no-any-return]

    def hints(self, raw: object) -> tuple[str, ...]:
        """`hints:` a list of texts, shown one at a time (each may hold math)."""
        line = self.line_of("hints")
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not raw or any(isinstance(item, list | dict) for item in raw):
            raise self.fail(line, "hints must be a list of texts, shown one at a time", "invalid-hints")
        if len(raw) > MAX_HINTS:
            raise self.fail(line, f"{len(raw)} hints (at most {MAX_HINTS})", "invalid-hints")
        hints = tuple(
            self.text(item, self.item_line("hints", index), "a hint") for index, item in enumerate(raw)
        )
        if not all(hints):
            raise self.fail(line, "a hint is empty", "invalid-hints")
        return hints

    def blanks(self, prompt: str) -> tuple[Step, ...]:
        """A cloze card's parts: one per `\\blank{...}` of its prompt's formula, in reading order."""
        from engine.decks.blanks import BlankSyntaxError, cloze_formula

        try:
            formula = cloze_formula(prompt)
        except BlankSyntaxError as error:
            raise self.fail(self.prompt_line(prompt, error.offset), error.message, "invalid-blank") from error
        line = self.prompt_line(prompt, prompt.find(formula.tex))
        return tuple(
            Step(
                name=f"blank_{blank.number}",
                prompt=blank.mark,
                answer=Formula(blank.content, line),
                line=line,
            )
            for blank in formula.blanks
        )

    def prompt_line(self, prompt: str, offset: int) -> int:
        """The deck file's line of the prompt's text at `offset` (the prompt is joined from its lines)."""
        text = prompt.split("\n")[prompt.count("\n", 0, max(offset, 0))].strip()
        lines = self.deck.lines
        found = [number for number, line in enumerate(lines, 1) if text and line.strip() == text]
        return min(found, key=lambda number: abs(number - self.first_line)) if found else self.first_line

    def require(self, card: Card) -> None:
        missing = missing_fields(card)
        if missing is not None:
            raise self.fail(self.first_line, missing, "missing-field")

    def variables(self, raw: object) -> dict[str, Domain]:
        line = self.line_of("variables")
        if isinstance(raw, list):
            for index, item in enumerate(raw):  # [[x, y]]: a list is no name (nor a dict key)
                if isinstance(item, list | dict):
                    raise self.fail(self.item_line("variables", index), _VARIABLES_SHAPE, "invalid-variables")
            raw = dict.fromkeys(raw)
        if not isinstance(raw, dict):
            raise self.fail(line, _VARIABLES_SHAPE, "invalid-variables")
        lines = self.item_key_lines.get("variables", {})
        domains: dict[str, Domain] = {}
        for index, (name, spec) in enumerate(raw.items()):
            item_line = lines.get(str(name), self.item_line("variables", index))
            try:
                domains[self.name(name, item_line)] = parse_domain(spec)
            except EngineError as error:  # DomainError, or an end that cannot be evaluated
                raise self.fail(
                    item_line, f"variable {name!r}: {error.message}", "invalid-variables"
                ) from error
        return domains

    def given(self, raw: object) -> tuple[Given, ...]:
        if not isinstance(raw, dict):
            raise self.fail(
                self.line_of("given"), "given must be a mapping of name: value or sampler", "invalid-given"
            )
        lines = self.item_key_lines.get("given", {})
        givens = []
        for name, spec in raw.items():
            line = lines.get(str(name), self.line_of("given"))
            if spec is None and not str(name).isidentifier():
                raise self.fail(
                    line,
                    f"given {name!r} is not a name: YAML splits {{x: uniform(1, 2)}} at the comma;"
                    " write one given per line (x: uniform(1, 2)) or quote the value",
                    "invalid-given",
                )
            if spec is None or isinstance(spec, bool) or not isinstance(spec, int | float | str | list):
                raise self.fail(
                    line,
                    f"given {name!r} needs a value, a sampler such as uniform(-3, 3), or a formula",
                    "invalid-given",
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
            raise self.fail(error.line or self.line_of("given"), error.message, "invalid-given") from error

    def steps(self, raw: object) -> tuple[Step, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail(
                self.line_of("steps"),
                "steps must be a list of parts, each with a name and an answer",
                "invalid-steps",
            )
        steps = []
        names: set[str] = set()
        for index, item in enumerate(raw):
            self.part = None
            line = self.item_line("steps", index)
            if not isinstance(item, dict) or "name" not in item:
                raise self.fail(line, "each step needs a name (and an answer or options)", "invalid-steps")
            for key in item:
                if key not in _STEP_KEYS:
                    raise self.fail(
                        line, f"unknown key {key!r} in a step{suggest(str(key), _STEP_KEYS)}", "unknown-key"
                    )
            name = self.name(item["name"], line)
            if name in names:
                raise self.fail(line, f"two steps are named {name!r}", "invalid-steps")
            self.part = name
            names.add(name)
            answer = self.formula(item["answer"], line, "a step's answer") if "answer" in item else None
            options = self.options(item["options"], line) if "options" in item else ()
            output = str(item["output"]) if item.get("output") is not None else None
            if "precision" in item and options:
                raise self.fail(
                    line,
                    f"step {name!r} is a choice: precision applies to numeric parts",
                    "invalid-precision",
                )
            if answer is None and not options and output is None and "reference" not in self.top_keys:
                raise self.fail(
                    line, f"step {name!r} needs an answer (or the card a reference)", "missing-field"
                )
            steps.append(
                Step(
                    name=name,
                    prompt=self.text(item.get("prompt") or name, line, "a step's prompt"),
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
        self.part = None
        return tuple(steps)
