"""What a card's answers should be, for one instance or a batch: the one place they are computed.

When a card names a torch reference, torch is the truth: the expected value of a numeric
card (or of each part of a steps card) is what the reference computes, and the author's
`answer` formula, if any, is kept beside it for `validate` to cross-check. Without a
reference the formula is the truth. Each target also carries the known mistakes worth
recognising: the card's own, and the reference's for that output, each evaluated on the
same instance(s).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from engine.decks.cards import Accuracy, Card, DeclaredMistake, Formula, ReferenceUse, Step
from engine.decks.kinds import kind_of
from engine.errors import EngineError
from engine.expr.ast import Node, free_names
from engine.expr.names import canonical_name
from engine.expr.numeric import evaluate
from engine.expr.parser import ParseOptions, parse

if TYPE_CHECKING:
    from engine.references import FunctionInput

Array = npt.NDArray[np.float64]


class FormulaError(EngineError):
    """A deck formula (or reference binding) that cannot be evaluated; `line` says where, and
    `code` what kind of problem `validate` reports it as (`engine.decks.problems.CODES`)."""

    def __init__(self, message: str, line: int, code: str = "formula-error") -> None:
        super().__init__(message)
        self.line = line
        self.code = code


@dataclass(frozen=True)
class KnownMistake:
    name: str
    feedback: str
    value: Array
    line: int = 0  # 0 for a reference's own mistakes


@dataclass(frozen=True)
class Target:
    """The expected value of one answer, with where it came from and the mistakes near it."""

    value: Array
    source: str  # "torch gelu.y" or "formula"
    formula: Array | None = None  # the author's formula, when torch is the truth
    formula_line: int = 0
    mistakes: tuple[KnownMistake, ...] = ()
    broken_mistakes: tuple[tuple[int, str], ...] = ()  # (line, message), for validate

    def row(self, index: int) -> Target:
        """Instance `index` of a batched target."""
        return replace(
            self,
            value=self.value[index],
            formula=None if self.formula is None else self.formula[index],
            mistakes=tuple(replace(mistake, value=mistake.value[index]) for mistake in self.mistakes),
        )


@dataclass
class Solution:
    values: dict[str, Array]  # the givens, then each numeric part's expected value
    answer: Target | None = None  # numeric cards
    parts: dict[str, Target] = field(default_factory=dict)  # steps cards, by part name
    choices: list[str] = field(default_factory=list)  # choice cards: the right option per instance
    reference_env: dict[str, Array] = field(default_factory=dict)

    def row(self, index: int) -> Solution:
        """Instance `index` of a batched solution: what solving its values alone gives.

        Every array of a batch has the batch axis first (`evaluate_formula`, and the
        reference's inputs and outputs, broadcast to it), so one index picks an instance.
        """
        return Solution(
            {name: value[index] for name, value in self.values.items()},
            None if self.answer is None else self.answer.row(index),
            {name: part.row(index) for name, part in self.parts.items()},
            self.choices[index : index + 1],
            {name: value[index] for name, value in self.reference_env.items()},
        )


def answer_targets(card: Card, solution: Solution) -> list[tuple[Step | None, Target, Accuracy]]:
    """The numeric answers of an instance (or batch): the card's, or each numeric part's (with
    its step), and the accuracy each is checked at."""
    if solution.answer is not None:
        return [(None, solution.answer, card.accuracy)]
    return [
        (step, solution.parts[step.name], step.accuracy) for step in card.steps if step.name in solution.parts
    ]


def evaluate_formula(formula: Formula, env: Mapping[str, Array], *, batched: bool, what: str) -> Array:
    """A deck formula's value over `env` (names must be declared there).

    Batched, the result always has the batch axis, even when the formula uses no value
    that varies (`1/0`, or a card without givens).
    """
    try:
        node = _parsed(formula.text, frozenset(env))
        value = evaluate(node, env, batched=batched)
    except EngineError as error:
        raise FormulaError(f"{what}: {error.message}", formula.line) from error
    data = np.asarray(value.data, dtype=np.float64)
    if batched and data.ndim == value.rank:
        data = np.broadcast_to(data, (batch_size(env, batched), *data.shape)).copy()
    return data


@lru_cache(maxsize=4096)
def _parsed(text: str, names: frozenset[str]) -> Node:
    """A formula's tree, parsed once: `validate` and its search solve a card many times over.
    Trees are immutable; a formula that does not parse raises each time (errors are not cached)."""
    return parse(text, ParseOptions(variables=names))


def batch_size(values: Mapping[str, Array], batched: bool) -> int:
    if not batched:
        return 1
    return next((len(v) for v in values.values()), 1)


def solve(
    card: Card, values: Mapping[str, Array], *, batched: bool = False, device: str = "auto"
) -> Solution:
    """Expected answers of `card` for the given values (a batch when `batched`)."""
    solution = Solution(dict(values))
    outputs: dict[str, Array] = {}
    reference_mistakes: list[Any] = []
    if card.reference is not None:
        outputs, solution.reference_env, reference_mistakes = run_card_reference(
            card, solution.values, batched, device
        )
    kind_of(card).solve(card, solution, outputs, reference_mistakes, batched)
    return solution


def run_card_reference(
    card: Card, values: dict[str, Array], batched: bool, device: str
) -> tuple[dict[str, Array], dict[str, Array], list[Any]]:
    from engine.references import ReferenceInputError, UnknownReference, get_reference, run_reference
    from engine.references.registry import prepare_inputs

    """Run the card's reference on `values`: its outputs, the environment its mistakes are
    written in (inputs with defaults, and outputs, by canonical name), and its mistakes."""
    use = card.reference
    assert use is not None
    try:
        reference = get_reference(use.name)
    except UnknownReference as error:
        raise FormulaError(str(error), use.line, "reference-error") from error
    inputs: dict[str, Any] = {}
    mapped = dict(use.inputs)
    for param in reference.inputs:
        if param.name in mapped:
            inputs[param.name] = evaluate_formula(
                mapped.pop(param.name), values, batched=batched, what=f"reference input {param.name!r}"
            )
        elif canonical_name(param.name) in values:
            inputs[param.name] = values[canonical_name(param.name)]
    if mapped:
        known = ", ".join(p.name for p in reference.inputs)
        raise FormulaError(
            f"{reference.name} has no input {next(iter(mapped))!r} (inputs: {known})",
            use.line,
            "reference-error",
        )
    n = batch_size(values, batched)
    function = _function_input(use, values, n) if reference.takes_function else None
    try:  # every input of a batch has the batch axis: a scalar given is never a vector of n
        full_inputs, _ = prepare_inputs(reference, inputs, n, batched=batched)
        raw = run_reference(reference, full_inputs, n, device, function=function)
    except (ReferenceInputError, ValueError) as error:
        raise FormulaError(
            f"torch reference {reference.name}: {error}", use.line, "reference-error"
        ) from error

    def unbatch(array: Array) -> Array:
        return array if batched else array[0]

    outputs = {name: unbatch(value) for name, value in raw.items()}
    env = {canonical_name(name): unbatch(value) for name, value in full_inputs.items()}
    env |= {canonical_name(name): value for name, value in outputs.items()}
    return outputs, env, list(reference.mistakes)


def _function_input(use: ReferenceUse, values: Mapping[str, Array], n: int) -> FunctionInput:
    """The card's function for a reference that differentiates one; coefficients come from the givens."""
    from engine.references import FunctionInput

    if use.function is None:
        raise FormulaError(
            f"{use.name} needs a function: reference: {{name: {use.name}, function: ..., variables: [x, y]}}",
            use.line,
        )
    names = frozenset(use.variables) | frozenset(values)
    try:
        node = parse(use.function.text, ParseOptions(variables=names))
    except EngineError as error:
        raise FormulaError(f"reference function: {error.message}", use.function.line) from error
    coefficients = {
        name: np.broadcast_to(values[name], (n,)) for name in free_names(node) - set(use.variables)
    }
    return FunctionInput(node, use.variables, coefficients)


def card_output(card: Card, outputs: Mapping[str, Array]) -> str | None:
    if card.reference is None:
        return None
    from engine.references import get_reference

    reference = get_reference(card.reference.name)
    output = card.reference.output or reference.outputs[0].name
    if output not in outputs:
        names = ", ".join(o.name for o in reference.outputs)
        raise FormulaError(
            f"{reference.name} has no output {output!r} (outputs: {names})",
            card.reference.line,
            "reference-error",
        )
    return output


def step_output(card: Card, step: Step, outputs: Mapping[str, Array]) -> str | None:
    """The reference output a part asks for: its `output`, or the output of its name."""
    if card.reference is None:
        return None
    by_canonical = {canonical_name(name): name for name in outputs}
    wanted = canonical_name(step.output or step.name)
    if wanted in by_canonical:
        return by_canonical[wanted]
    if step.output is not None or step.answer is None:
        names = ", ".join(outputs)
        raise FormulaError(
            f"{card.reference.name} has no output {step.output or step.name!r} for step {step.name!r}"
            f" (outputs: {names})",
            step.line,
            "reference-error",
        )
    return None


def target(
    formula: Formula | None,
    output: str | None,
    outputs: Mapping[str, Array],
    declared: tuple[DeclaredMistake, ...],
    reference_mistakes: list[Any],
    solution: Solution,
    batched: bool,
    line: int,
) -> Target:
    env = solution.reference_env | solution.values
    formula_value = (
        evaluate_formula(formula, env, batched=batched, what="answer") if formula is not None else None
    )
    if output is not None:
        value, source = outputs[output], f"torch {output}"
    elif formula_value is not None:
        value, source, formula_value = formula_value, "formula", None
    else:
        raise FormulaError("no answer: give a formula or a reference output", line)
    known: list[KnownMistake] = []
    broken: list[tuple[int, str]] = []
    for index, mistake in enumerate(declared):
        try:
            wrong = evaluate_formula(mistake.answer, env, batched=batched, what="mistake")
            known.append(
                KnownMistake(
                    mistake.name or f"mistake-{index + 1}", mistake.feedback, wrong, mistake.answer.line
                )
            )
        except FormulaError as error:
            broken.append((error.line, error.message))
    for mistake in reference_mistakes:
        if mistake.output != output:
            continue
        try:
            wrong = evaluate_formula(
                Formula(mistake.formula, 0), solution.reference_env, batched=batched, what="mistake"
            )
        except FormulaError:
            continue  # a reference mistake that does not apply to these inputs
        known.append(KnownMistake(mistake.name, mistake.explanation, wrong))
    return Target(value, source, formula_value, formula.line if formula else 0, tuple(known), tuple(broken))


def choices(card: Card, outputs: Mapping[str, Array], n: int) -> list[str]:
    if card.reference is None:
        assert card.answer is not None
        return [card.answer.text] * n
    from engine.references import get_reference

    reference = get_reference(card.reference.name)
    output = card.reference.output or reference.outputs[0].name
    spec = next((o for o in reference.outputs if o.name == output), None)
    labels = getattr(spec, "labels", ()) if spec is not None else ()
    if not labels:
        raise FormulaError(
            f"{reference.name}.{output} is not a classification", card.reference.line, "reference-error"
        )
    indices = np.asarray(outputs[output]).reshape(n)
    return [labels[int(i)] for i in indices]
