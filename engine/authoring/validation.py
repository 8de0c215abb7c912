"""Check decks the way a careful author would, and report every problem with its line.

Beyond what the loader finds (YAML, unknown keys, duplicate ids), each card's formulas
are parsed against what the card declares and evaluated over many sampled instances at
once (batched), so that a formula which divides by zero for one draw in a hundred, a
placeholder with no value, or a mistake that can never be told from the answer at the
card's precision (or often cannot, so that drawing has to skip much of the card's range)
is found before a learner meets it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.authoring.cloze_checks import check_blanks, check_no_blanks
from engine.authoring.disagreement import search
from engine.authoring.givens import check_givens
from engine.authoring.plot_check import check_plot
from engine.authoring.symbolic_points import symbolic_points
from engine.authoring.wording import accuracy_words, instance_inputs, matched_mistakes
from engine.checking.equivalence import equivalent
from engine.decks.cards import Accuracy, Card, Formula
from engine.decks.catalog import Catalog
from engine.decks.instance import (
    TRAP_DRAWS,
    GivenError,
    draw_batch,
    placeholders,
    plan_givens,
)
from engine.decks.kinds import kind_of
from engine.decks.kinds.choice import option_index
from engine.decks.kinds.numeric import agree, close_at_scale, mistakes_matching_over, separated
from engine.decks.kinds.steps import formula_only_parts
from engine.decks.loader import unexpected_error
from engine.decks.problems import Problem, Severity
from engine.decks.solution import (
    FormulaError,
    KnownMistake,
    Target,
    card_output,
    evaluate_formula,
    run_card_reference,
    solve,
)
from engine.errors import EngineError, ExpressionError
from engine.expr.ast import Node
from engine.expr.domains import Domain
from engine.expr.names import canonical_name
from engine.expr.numeric import evaluate
from engine.expr.parser import ParseOptions, parse
from engine.expr.symbolic import to_sympy
from engine.render.numbers import format_number, format_value

Array = npt.NDArray[np.float64]
DEFAULT_SAMPLES = 200
MAX_SAMPLES = 100_000
"""The most instances per card `validate` draws: each is held in memory at once (one batch),
and far beyond this the check finds nothing new, only runs on."""
STRICT_RTOL = 1e-7  # formula against torch, of the answer's scale over the batch (`agree`)
UNTESTED_SHARE = 0.01
"""The share of instances that may leave a named mistake untested before `validate` warns.
A mistake that coincides with the answer on a share p of draws is untested after
`TRAP_DRAWS` draws with chance p^TRAP_DRAWS: over 1% when p is over 3/4. Below that,
trap-aware drawing finds a draw that tests it (at the cost of redrawing the other draws), as
it does for the many mistakes that live in part of a card's range (a clamp, a branch)."""


@dataclass
class ValidationReport:
    problems: list[Problem]
    decks: int
    cards: int

    @property
    def errors(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity == "warning" for p in self.problems)


def validate(
    paths: Iterable[Path], *, samples: int = DEFAULT_SAMPLES, seed: int = 0, device: str = "auto"
) -> ValidationReport:
    """Load the decks at `paths` and check every card.

    Never raises for anything in a deck: what cannot be loaded, drawn, evaluated or
    plotted is a problem at its line, and the other cards and decks are still checked.
    """
    if not 1 <= samples <= MAX_SAMPLES:
        raise ValueError(f"samples must be from 1 to {MAX_SAMPLES:,}, got {samples}")
    catalog = Catalog.load(paths)
    problems = list(catalog.problems)
    cards = 0
    for deck in catalog.decks:
        for card in deck.cards:
            cards += 1
            problems.extend(CardValidator(card, samples, seed, device).run())
    return ValidationReport(sorted(set(problems)), len(catalog.decks), cards)


class CardValidator:
    def __init__(self, card: Card, samples: int, seed: int, device: str = "auto") -> None:
        self.card = card
        self.device = device
        self.samples = samples
        self.seed = seed
        self.problems: list[Problem] = []

    def report(
        self, line: int, message: str, severity: Severity = "error", *, code: str, **found: Any
    ) -> None:
        """A problem of the card (its part: the step at `line`); `found`: the instance's seed, inputs,
        formula and torch values, mistake, for `--json` (see `Problem`)."""
        part = next((step.name for step in self.card.steps if step.line == line), None)
        problem = Problem(self.card.path, line, severity, message, code, self.card.full_id, part, **found)
        self.problems.append(problem)

    def run(self) -> list[Problem]:
        """Every problem of the card; an unexpected exception is one more, never a traceback.

        That last-resort boundary keeps one card's failure (a bug, or an input nobody
        foresaw) from losing the report on every other card.
        """
        card = self.card
        try:
            self.checks()
        except Exception as error:
            message = f"card {card.full_id!r} could not be checked: {unexpected_error(error)}"
            self.report(card.line, message, code="internal-error")
        return self.problems

    def checks(self) -> None:
        card = self.card
        try:
            kind = kind_of(card)
            kind.validate(card, self)
            check_no_blanks(card, self.report)
            if kind.checked:
                self.placeholders(card.prompt, card.line, self.value_names())
                self.placeholders(card.explanation, card.line, self.value_names())
        except _Stop:
            pass
        if card.plot is not None:
            check_plot(card, self.samples, self.seed, self)

    def blanks(self) -> None:
        check_blanks(self.card, self.seed, self.report)

    def value_names(self) -> set[str]:
        names = {g.name for g in self.card.given}
        return names | {s.name for s in self.card.steps}

    def placeholders(self, text: str, line: int, known: set[str]) -> None:
        for name in placeholders(text):
            if canonical_name(name) not in known:
                self.report(
                    line,
                    f"placeholder {{{name}}} has no value (givens: {', '.join(sorted(known)) or 'none'})",
                    code="placeholder-without-value",
                )

    def parse(self, formula: Formula, names: Iterable[str], what: str) -> Node:
        try:
            return parse(formula.text, ParseOptions(variables=frozenset(names)))
        except ExpressionError as error:
            self.report(formula.line, f"{what}: {error.message}", code="formula-error")
            raise _Stop from error

    # -- symbolic --------------------------------------------------------------------------

    def symbolic(self) -> None:
        card = self.card
        assert card.answer is not None
        answer = self.parse(card.answer, card.variables, "answer")
        try:
            to_sympy(answer)
        except ExpressionError as error:
            self.report(card.answer.line, f"answer: {error.message}", code="formula-error")
            raise _Stop from error
        self.defined_somewhere(answer, card.variables, card.answer.line)
        if card.reference is not None:
            self.symbolic_against_torch(answer, card.answer.line)
        for mistake in card.mistakes:
            try:
                wrong = self.parse(mistake.answer, card.variables, "mistake")
            except _Stop:
                continue
            try:
                if equivalent(wrong, answer, card.variables, seed=self.seed).equal:
                    self.report(
                        mistake.answer.line,
                        "this mistake is equivalent to the answer, so it can never be recognised",
                        "warning",
                        code="mistake-equivalent",
                        mistake=mistake.name,
                    )
            except EngineError as error:
                message = f"mistake cannot be evaluated: {error.message}"
                self.report(mistake.answer.line, message, code="formula-error", mistake=mistake.name)

    def symbolic_against_torch(self, answer: Node, line: int) -> None:
        """Evaluate the answer at random points of its variables and compare with torch there."""
        card = self.card
        points = symbolic_points(card, self.samples, np.random.default_rng(self.seed), self.device)
        try:
            outputs, env, mistakes = run_card_reference(card, points, batched=True, device=self.device)
            output = card_output(card, outputs)
        except FormulaError as error:
            self.report(error.line, error.message, code=error.code)
            return
        assert output is not None and card.reference is not None
        formula = np.asarray(evaluate(answer, points, batched=True).data, dtype=np.float64)
        torch_value = outputs[output]
        formula = np.broadcast_to(formula, torch_value.shape)
        both = np.isfinite(formula) & np.isfinite(torch_value)
        close = close_at_scale(formula, torch_value, torch_value, STRICT_RTOL) | ~both
        if close.all():
            return
        wrong = ~close
        index = int(np.argmax(wrong))
        where = ", ".join(f"{name}={format_number(float(values[index]))}" for name, values in points.items())
        message = (
            f"answer disagrees with torch reference {card.reference.name}.{output} at {where}:"
            f" formula {format_number(float(formula[index]))}, torch {format_number(float(torch_value[index]))}"
            f" ({int(wrong.sum())} of {wrong.size} points)"
        )
        known = []
        for mistake in (m for m in mistakes if m.output == output):
            try:
                wrong_value = evaluate_formula(Formula(mistake.formula, 0), env, batched=True, what="mistake")
            except FormulaError:
                continue
            known.append(
                KnownMistake(mistake.name, mistake.explanation, np.broadcast_to(wrong_value, formula.shape))
            )
        matched = mistakes_matching_over(formula, known, wrong, torch_value)
        self.report(
            line,
            message + matched_mistakes(matched),
            code="formula-disagrees-with-torch",
            inputs=tuple((name, format_number(float(values[index]))) for name, values in points.items()),
            formula=format_number(float(formula[index])),
            torch=format_number(float(torch_value[index])),
            mistake=matched[0].name if matched else None,
        )

    def defined_somewhere(self, node: Node, domains: Mapping[str, Domain], line: int) -> None:
        rng = np.random.default_rng(self.seed)
        points = {name: domain.sample(rng, self.samples) for name, domain in domains.items()}
        try:
            value = evaluate(node, points, batched=True)
        except EngineError as error:
            self.report(line, f"answer cannot be evaluated: {error.message}", code="formula-error")
            raise _Stop from error
        if value.rank != 0:
            self.report(
                line, "a symbolic answer must be a single expression, not a vector", code="answer-not-scalar"
            )
        elif not np.isfinite(value.data).any():
            message = f"answer is not a real number at any of {self.samples} sampled points"
            self.report(line, message, code="answer-undefined")

    # -- cards with instances ----------------------------------------------------------------

    def instanced(self) -> None:
        card = self.card
        try:
            plans = plan_givens(card.given)
        except GivenError as error:
            self.report(error.line or card.line, error.message, code="invalid-given")
            raise _Stop from error
        try:  # all seeds at once, each row what drawing its seed alone gives
            batch = draw_batch(plans, card.full_id, range(self.seed, self.seed + self.samples))
        except GivenError as error:
            seed = self.seed if error.seed is None else error.seed
            message = f"{error.message} (seed {seed})"
            self.report(error.line or card.line, message, code="invalid-given", seed=seed)
            raise _Stop from error
        for plan in plans:
            if plan.formula is not None:  # drawn values are finite by construction; derived ones may not be
                self.finite(batch[plan.name], f"given {plan.name!r}", plan.line, batch)
        check_givens(card, plans, batch, self)
        try:
            solution = solve(card, batch, batched=True, device=self.device)
        except FormulaError as error:
            self.report(error.line, error.message, code=error.code)
            raise _Stop from error
        if card.options:  # a choice card
            if card.reference is None:
                self.choice(card.options, card.answer, card.line)
            else:
                self.computed_choices(solution.choices, card)
        if solution.answer is not None:  # torch's answer, without a formula, is the reference's line
            line = card.answer.line if card.answer else card.reference.line if card.reference else card.line
            self.target(solution.answer, "answer", line, batch, card.accuracy)
        for step in card.steps:
            self.placeholders(step.prompt, step.line, self.value_names())
            if step.is_choice:
                self.choice(step.options, step.answer, step.line)
            else:
                self.target(solution.parts[step.name], f"step {step.name!r}", step.line, batch, step.accuracy)
        for found in search(card, plans, batch, solution, rtol=STRICT_RTOL, device=self.device):
            self.report(found.line, found.message, code="formula-disagrees-with-torch", **found.fields)
        for line, message in formula_only_parts(card, solution):
            self.report(line, message, "warning", code="part-unchecked-by-torch")

    def target(
        self, target: Target, what: str, line: int, batch: Mapping[str, Array], accuracy: Accuracy
    ) -> None:
        """An expected value: finite everywhere, its formula agreeing with torch, its mistakes distinct."""
        value = target.value
        if target.source == "formula":
            self.finite(value, what, line, batch)
        else:
            assert self.card.reference is not None
            output = target.source.removeprefix("torch ")
            self.finite(value, f"{what} (torch reference {self.card.reference.name}.{output})", line, batch)
        if target.formula is not None:
            self.agrees_with_torch(target, what, target.formula_line or line, batch)
        for mistake_line, message in target.broken_mistakes:
            self.report(mistake_line, message, code="formula-error")
        for mistake in target.mistakes:
            apart = separated(value, mistake.value, accuracy, batched=True)
            if apart.all():
                continue
            at = accuracy_words(accuracy)
            if not apart.any():
                if mistake.line and not np.isfinite(mistake.value).any():
                    self.report(
                        mistake.line,
                        f"this mistake is NaN or infinite on all {apart.size} sampled instances,"
                        " so it can never be recognised",
                        code="mistake-not-finite",
                        mistake=mistake.name,
                    )
                elif mistake.line:  # a reference's mistake none of the draws separate is not tested here
                    self.report(
                        mistake.line,
                        f"this mistake cannot be told from the {what} {at} on any of the {apart.size}"
                        " sampled instances, so it can never be recognised: ask for more precision,"
                        " or draw givens where the two differ",
                        code="mistake-indistinguishable",
                        mistake=mistake.name,
                    )
                continue
            together = int((~apart).sum())
            if (together / apart.size) ** TRAP_DRAWS > UNTESTED_SHARE:
                seed = self.seed + int(np.argmax(~apart))
                named = "this mistake" if mistake.line else f"the reference's mistake {mistake.name!r}"
                self.report(
                    mistake.line or line,
                    f"{named} cannot be told from the {what} {at} on {together} of {apart.size} sampled"
                    f" instances (the first at seed {seed}), so even {TRAP_DRAWS} draws often miss"
                    " where it can: draw givens where the two differ, or ask for more precision",
                    "warning",
                    code="mistake-seldom-distinguishable",
                    seed=seed,
                    mistake=mistake.name,
                )

    def agrees_with_torch(self, target: Target, what: str, line: int, batch: Mapping[str, Array]) -> None:
        """The author's formula against torch, instance by instance, at a strict tolerance."""
        assert target.formula is not None and self.card.reference is not None
        formula = np.broadcast_to(target.formula, target.value.shape)
        wrong = ~agree(formula, target.value, target.value, STRICT_RTOL)
        if not wrong.any():
            return
        index = int(np.argmax(wrong))
        output = target.source.removeprefix("torch ")
        message = (
            f"{what} disagrees with torch reference {self.card.reference.name}.{output} at seed {self.seed + index}"
            f" ({self.inputs_at(batch, index)}): formula {format_value(formula[index])},"
            f" torch {format_value(target.value[index])} ({int(wrong.sum())} of {wrong.size} instances)"
        )
        known = [mistake for mistake in target.mistakes if mistake.line == 0]
        matched = mistakes_matching_over(formula, known, wrong, target.value)
        self.report(
            line,
            message + matched_mistakes(matched),
            code="formula-disagrees-with-torch",
            seed=self.seed + index,
            inputs=instance_inputs(batch, index),
            formula=format_value(formula[index]),
            torch=format_value(target.value[index]),
            mistake=matched[0].name if matched else None,
        )

    def computed_choices(self, choices: list[str], card: Card) -> None:
        """Every option the reference computes is listed, and the draw changes the answer."""
        lowered = {o.lower() for o in card.options}
        missing = sorted({c for c in choices if c.lower() not in lowered})
        if missing:
            self.report(
                card.line,
                f"the reference computes {', '.join(map(repr, missing))}, which is not an option",
                code="answer-not-an-option",
            )
        drawn = any(isinstance(g.spec, str) and "(" in g.spec for g in card.given)
        if drawn and len(set(choices)) == 1 and len(choices) > 1:
            self.report(
                card.line,
                f"the answer is {choices[0]!r} in all {len(choices)} sampled instances:"
                " the random draw never changes it",
                "warning",
                code="option-never-changes",
            )

    def inputs_at(self, batch: Mapping[str, Array], index: int) -> str:
        return ", ".join(f"{name}={value}" for name, value in instance_inputs(batch, index))

    def choice(self, options: tuple[str, ...], answer: Formula | None, line: int) -> None:
        if answer is None:
            return
        try:
            index = option_index(options, answer.text)
        except ExpressionError:
            index = -1
        if index < 0 or options[index].lower() != answer.text.strip().lower():
            self.report(
                answer.line or line,
                f"answer {answer.text!r} is not one of the options: {', '.join(options)}",
                code="answer-not-an-option",
            )

    def finite(self, data: Array, what: str, line: int, batch: Mapping[str, Array]) -> None:
        bad = ~np.isfinite(data.reshape(len(data), -1)).all(axis=1)
        if bad.any():
            index = int(np.argmax(bad))
            inputs = self.inputs_at(batch, index)
            self.report(
                line,
                f"{what} is NaN or infinite at seed {self.seed + index} ({inputs}),"
                f" in {int(bad.sum())} of {len(data)} sampled instances",
                code="not-finite",
                seed=self.seed + index,
                inputs=instance_inputs(batch, index),
            )


class _Stop(Exception):
    """The card's problem is recorded; checking it further would only repeat it."""
