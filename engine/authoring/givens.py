"""A card's givens against its torch reference: each is taken or used, and each of torch's
defaults it changes is said in the prompt.

Torch is the truth of a card with a reference, so its givens are what the reference runs
on. A given the reference does not take, and nothing else of the card uses, was silently
dropped (a note's `beta: 0.9` on RMSprop, whose decay is `alpha`), while the card's
messages still printed it as if it counted: that is an error, with the input it most
likely meant. A given that does change one of torch's defaults (Adam's beta2 = 0.9999
where torch has 0.999) changes the answer, so the learner must be told: the prompt must
show it, as a `{placeholder}` or its value written out, or the card asks for what nobody
can know (a warning).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol

import numpy as np
import numpy.typing as npt

from engine.decks.cards import Card, Formula
from engine.decks.instance import GivenPlan, placeholders
from engine.decks.problems import Severity
from engine.decks.solution import FormulaError, evaluate_formula
from engine.errors import EngineError
from engine.expr.ast import free_names
from engine.expr.names import canonical_name
from engine.expr.parser import ParseOptions, parse
from engine.expr.tokenizer import tokenize
from engine.render.numbers import format_number, format_value

if TYPE_CHECKING:
    from engine.references import Reference

Array = npt.NDArray[np.float64]

_LIKELY_INPUTS: Final[dict[str, tuple[str, ...]]] = {
    "beta": ("beta_1", "alpha", "rho", "momentum"),
    "beta_1": ("momentum", "beta"),
    "beta_2": ("alpha", "rho", "beta"),
    "rho": ("alpha", "momentum", "beta_2"),
    "gamma": ("momentum", "alpha", "rho"),
    "alpha": ("lr", "beta_2", "rho"),
    "mu": ("momentum",),
    "eta": ("lr",),
    "learning_rate": ("lr",),
    "step_size": ("lr",),
    "delta": ("eps",),
    "lambda": ("weight_decay",),
    "wd": ("weight_decay",),
    "decay": ("weight_decay", "alpha", "rho"),
    "theta": ("theta_prev",),
    "w": ("theta_prev",),
    "g": ("grad",),
}
"""Inputs a name written in the notes most likely means, in order: the notes' β of RMSprop
is torch's alpha, Adam's β₂ is RMSprop's alpha and Adadelta's rho, η is lr."""


class Checks(Protocol):
    """Where the problems go: `engine.authoring.validation.CardValidator`."""

    def report(
        self, line: int, message: str, severity: Severity = "error", *, code: str, **found: Any
    ) -> None:
        """Record one problem of the card."""


def check_givens(card: Card, plans: Sequence[GivenPlan], batch: Mapping[str, Array], checks: Checks) -> None:
    """Report givens the reference ignores, and changed defaults the prompt does not say."""
    if card.reference is None or not card.given:
        return
    from engine.references import UnknownReference, get_reference

    try:
        reference = get_reference(card.reference.name)
    except UnknownReference:
        return  # reported where the card is solved
    unknown_givens(card, reference, plans, checks)
    unsaid_defaults(card, reference, plans, batch, checks)


def unknown_givens(card: Card, reference: Reference, plans: Sequence[GivenPlan], checks: Checks) -> None:
    """A given that is no input of the reference, and that nothing of the card uses, is an error."""
    assert card.reference is not None
    mapped = dict(card.reference.inputs)
    inputs = {canonical_name(param.name): param.name for param in reference.inputs}
    used = used_names(card, plans)
    taken = {inputs[g.name] for g in card.given if g.name in inputs} | set(mapped)
    for given in card.given:
        input_name = inputs.get(given.name)
        if given.name in used or (input_name is not None and input_name not in mapped):
            continue
        if input_name is not None:
            message = (
                f"`{given.name}` is not what {reference.name} runs on: `inputs:` sets {input_name} to"
                f" `{mapped[input_name].text}`"
            )
        else:
            free = [name for name in inputs.values() if name not in taken]
            guess = likely_input(given.name, free)
            hint = f"; did you mean `{guess}`?" if guess else f" (inputs: {', '.join(inputs.values())})"
            message = f"`{given.name}` is not an input of {reference.name}{hint}"
        checks.report(
            given.line,
            f"{message}{'' if message.endswith('?') else '.'} Nothing else of the card uses it"
            " (no formula, input mapping or placeholder), so it changes nothing",
            code="unknown-given",
        )


def likely_input(name: str, inputs: Sequence[str]) -> str | None:
    """The input (of `inputs`, not yet given) that a given called `name` most likely meant."""
    by_canonical = {canonical_name(item): item for item in inputs}
    for candidate in _LIKELY_INPUTS.get(name, ()):
        if candidate in by_canonical:
            return by_canonical[candidate]
    close = difflib.get_close_matches(name, list(by_canonical), n=1, cutoff=0.6)
    return by_canonical[close[0]] if close else None


def used_names(card: Card, plans: Sequence[GivenPlan]) -> set[str]:
    """Every name a formula, input mapping, plot or placeholder of the card mentions."""
    names = {g.name for g in card.given} | {s.name for s in card.steps}
    names |= set(card.reference.variables if card.reference else ())
    formulas: list[Formula] = []
    if card.answer is not None and not card.options:
        formulas.append(card.answer)
    formulas += [mistake.answer for mistake in card.mistakes]
    for step in card.steps:
        if step.answer is not None and not step.is_choice:
            formulas.append(step.answer)
        formulas += [mistake.answer for mistake in step.mistakes]
    if card.reference is not None:
        formulas += [formula for _, formula in card.reference.inputs]
        formulas += [card.reference.function] if card.reference.function else []
    used: set[str] = set()
    if card.plot is not None:
        plot = card.plot
        formulas += [plot.function, plot.low, plot.high, *([plot.derivative] if plot.derivative else [])]
        names |= {plot.variable}
        used |= {plot.mark} if plot.mark else set()
    for formula in formulas:
        used |= _mentioned(formula.text, frozenset(names))
    for plan in plans:
        if plan.formula is not None:
            used |= free_names(plan.formula)
    texts = [card.prompt, card.explanation, *(step.prompt for step in card.steps)]
    used |= {canonical_name(name) for text in texts for name in placeholders(text)}
    return used


def _mentioned(text: str, names: frozenset[str]) -> set[str]:
    """The names `text` uses: parsed when it parses (`xy` is x·y), else its name tokens."""
    try:
        return set(free_names(parse(text, ParseOptions(variables=names))))
    except EngineError:
        pass
    try:
        return {token.text for token in tokenize(text) if token.kind == "name"}
    except EngineError:
        return set()


def unsaid_defaults(
    card: Card, reference: Reference, plans: Sequence[GivenPlan], batch: Mapping[str, Array], checks: Checks
) -> None:
    """A given that changes one of torch's defaults must be said in the prompt (a warning)."""
    assert card.reference is not None
    texts = [card.title, card.prompt, *card.options]
    for step in card.steps:
        texts += [step.prompt, *step.options]
    prompt = _Prompt(texts, batch, {plan.name: plan for plan in plans})
    mapped = dict(card.reference.inputs)
    givens = {given.name: given for given in card.given}
    for param in reference.inputs:
        if param.default is None:
            continue
        if param.name in mapped:
            formula = mapped[param.name]
            sources = sorted(_mentioned(formula.text, frozenset(batch)) & set(givens))
            if not sources:
                continue  # a constant the card sets, as torch code would
            try:
                value = evaluate_formula(formula, batch, batched=True, what=f"reference input {param.name!r}")
            except FormulaError:
                continue  # reported where the card is solved
            line, through = card.reference.line, f" (through `inputs: {{{param.name}: {formula.text}}}`)"
        elif canonical_name(param.name) in givens and canonical_name(param.name) in batch:
            sources = [canonical_name(param.name)]
            value, line, through = batch[sources[0]], givens[sources[0]].line, ""
        else:
            continue
        if np.all(value == param.default):
            continue
        for name in (name for name in sources if not prompt.says(name)):
            shown = prompt.value_text(name)
            checks.report(
                line,
                f"`{name}` {shown} sets {reference.name}'s {param.name}{through}, which torch defaults to"
                f" {format_number(param.default)}, but the prompt does not say it (write {{{name}}}"
                f"{' or ' + shown.removeprefix('= ') if shown.startswith('=') else ''} in it):"
                " the learner cannot know it",
                "warning",
                code="default-override-not-in-prompt",
            )


class _Prompt:
    """What the learner reads before answering, and which givens it tells them."""

    def __init__(
        self, texts: Iterable[str], batch: Mapping[str, Array], plans: Mapping[str, GivenPlan]
    ) -> None:
        self.texts = [text for text in texts if text]
        self.placeholders = {canonical_name(name) for text in self.texts for name in placeholders(text)}
        self.batch = batch
        self.plans = plans

    def constant(self, name: str) -> Array | None:
        """The given's value when it is the same in every instance, else None."""
        values = self.batch.get(name)
        if values is None or len(values) == 0 or not np.all(values == values[0]):
            return None
        return np.asarray(values[0])

    def value_text(self, name: str) -> str:
        value = self.constant(name)
        return f"= {format_value(value)}" if value is not None else "(drawn at random)"

    def says(self, name: str, seen: frozenset[str] = frozenset()) -> bool:
        """A placeholder of it, its value written out, or a formula of givens the prompt says."""
        if name in self.placeholders:
            return True
        value = self.constant(name)
        if value is not None and any(_written(value, text) for text in self.texts):
            return True
        plan = self.plans.get(name)
        if plan is None or plan.formula is None or name in seen:
            return False
        sources = free_names(plan.formula) & set(self.plans)
        return bool(sources) and all(self.says(source, seen | {name}) for source in sources)


def _written(value: Array, text: str) -> bool:
    """Whether `text` writes `value` as a number (0.9999, 1e-8, 10^{-8}, True for 1), not inside another."""
    spellings = {format_value(value)}
    if value.ndim == 0:
        number = float(value)
        spellings |= {f"{number:g}", format_number(number)}
        if number in (0.0, 1.0):
            spellings.add(str(bool(number)))
        exponent = float(np.log10(number)) if number > 0 else 0.5
        if exponent == round(exponent):
            k = round(exponent)
            spellings |= {f"10^{{{k}}}", f"10^{k}", f"10^({k})", f"1e{k}"}
    for spelling in spellings:
        pattern = re.escape(spelling).replace("\\-", "[-−]")
        if re.search(rf"(?<![\w.]){pattern}(?![\d])", text):
            return True
    return False
