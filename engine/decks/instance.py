"""Draw an instance of a card: its given values, reproducible from (card id, seed).

How givens are read and drawn (samplers, derived givens, the generator of each (card id,
seed), many seeds at once) is `engine.decks.drawing`; its names are kept here too, where
callers have always found them. This module makes instances of those values: the prompt
and explanation filled in, the expected answers (solved when asked, or already).

A card with named mistakes is drawn where it can test them (`draw_instances`): an
instance at which a mistake cannot be told from the answer, at the card's precision, is
drawn again, from further streams of the same (card id, seed).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Final

import numpy as np
import numpy.typing as npt

from engine.decks.blanks import blanked
from engine.decks.cards import Card, Precision
from engine.decks.drawing import MAX_DECIMALS as MAX_DECIMALS
from engine.decks.drawing import MAX_SAMPLER_MAGNITUDE as MAX_SAMPLER_MAGNITUDE
from engine.decks.drawing import SAMPLERS as SAMPLERS
from engine.decks.drawing import GivenError as GivenError
from engine.decks.drawing import GivenPlan as GivenPlan
from engine.decks.drawing import Sampler as Sampler
from engine.decks.drawing import draw_batch as draw_batch
from engine.decks.drawing import draw_streams
from engine.decks.drawing import draw_values as draw_values
from engine.decks.drawing import instance_rng as instance_rng
from engine.decks.drawing import parse_sampler as parse_sampler
from engine.decks.drawing import plan_givens as plan_givens
from engine.decks.kinds.numeric import separated
from engine.decks.solution import Solution, answer_targets, solve
from engine.errors import EngineError
from engine.expr.names import canonical_name
from engine.render.numbers import format_value as format_value

Array = npt.NDArray[np.float64]
_PLACEHOLDER = re.compile(
    r"(?P<space> ?)(?<![\\\w^_{}])\{(?P<sign>\+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\*(?P<term>[^{}]+))?\}"
)
"""`{name}`, or a term of a sum: `{name*x^2}` (a coefficient times what follows the `*`) and
`{+name}`, `{+name*xy}` (a term after another, with its sign as the operation). See
`fill_placeholders`."""
TRAP_DRAWS: Final = 16
"""The draws tried for one instance of a card with named mistakes (see `draw_instances`). A
trap that coincides with the answer on a share p of draws is left untested with chance p^16
(`validate` warns when that is over 1%, p over 3/4)."""
PROBE_DRAWS: Final = 64
"""The draws (the card's seeds 0 to 63) that decide which of its reference's mistakes a card
can test at all."""


@dataclass(frozen=True)
class Instance:
    """One drawn instance of a card.

    `draw` is the stream of (card id, seed) its values came from (see `draw_instances`);
    `solved` is its solution when drawing it already solved it.
    """

    card: Card
    seed: int
    values: dict[str, Array]
    draw: int = 0
    solved: Solution | None = field(default=None, repr=False, compare=False)

    @property
    def prompt(self) -> str:
        """The card's prompt with this instance's values, and the precision it asks for; its
        blanks (a cloze card's) hidden behind their marks."""
        return blanked(self.prompt_with_blanks)

    @property
    def prompt_with_blanks(self) -> str:
        """The prompt with its blanks as written (`\\blank{...}`): for exporters with their own."""
        text = fill_placeholders(self.card.prompt, self.values)
        note = precision_note(self.card)
        return f"{text}\n\n{note}" if note else text

    def hint(self, index: int) -> str:
        """The card's hint number `index` (from 0), with this instance's values filled in."""
        return fill_placeholders(self.card.hints[index], self.values)

    @property
    def explanation(self) -> str:
        """The back of the card, with this instance's values filled in too."""
        return fill_placeholders(self.card.explanation, self.values)

    @cached_property
    def solution(self) -> Solution:
        """The expected answers (computed once; may run a torch reference)."""
        return self.solved if self.solved is not None else solve(self.card, self.values)


def precision_note(card: Card) -> str:
    """What the prompt adds to say the precision a card (or its parts) is checked at; "" if none.

    The precision is said in one place, from the quiz block, so what the learner is asked
    for and what is checked cannot drift apart.
    """
    if card.precision is not None:
        return f"Give the answer to {card.precision.words}."
    labels: dict[Precision, list[str]] = {}
    for step in card.steps:
        if step.precision is not None:
            labels.setdefault(step.precision, []).append(step.label)
    numeric = [step for step in card.steps if not step.is_choice]
    if len(labels) == 1 and len(numeric) > 1 and sum(map(len, labels.values())) == len(numeric):
        return f"Give each numeric answer to {next(iter(labels)).words}."
    said = [f"{_listed(names)} to {precision.words}" for precision, names in labels.items()]
    return f"Give {'; '.join(said)}." if said else ""


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def draw_instance(card: Card, seed: int) -> Instance:
    """The instance of `card` for `seed` (see `draw_instances`)."""
    return draw_instances(card, [seed])[0]


def draw_instances(card: Card, seeds: Sequence[int]) -> list[Instance]:
    """The instances of `card` for `seeds`, each drawn where the card can test its traps.

    A card's traps are its named mistakes: its own, and those of its torch reference that
    it can test at all, that is, that some of its draws at seeds 0 to `PROBE_DRAWS` − 1
    tell from the answer (eps inside the square root is no trap of a card whose eps is
    1e-8, nor decoupled weight decay of one whose weight_decay is 0; such a mistake is left
    out of the instance's solution). At some draws a trap coincides with the answer at the
    card's precision (the tanh GELU near x = 0, ELU's forgotten −1 where x > 0): its value
    would be accepted as right, and the card would not test what it says. So a seed whose
    first draw leaves a trap untested is drawn again, `TRAP_DRAWS` − 1 times (streams 1,
    2, ... of (card id, seed)), and the first draw that separates every trap from the
    answer is kept. Traps that live apart (a clamp that matters for small w, a sign for
    negative w) may never separate together: then the kept draw is the first that
    separates the most traps among those that separate every trap the first draw does, so
    that drawing again only ever adds traps, and the card tests each in turn.

    The draws are solved in batches (the first draws with the probe, then the further
    ones), each costing about what solving one instance does, and the kept instance
    carries its solution. A card without named mistakes or a reference is drawn once, and
    solved when asked.
    """
    plans = plan_givens(card.given)
    firsts = {seed: values for (seed, _), values in _drawn(plans, card, [(s, 0) for s in seeds]).items()}
    plain = [Instance(card, seed, firsts[seed]) for seed in seeds]
    if not seeds or not (card.reference or card.mistakes or any(step.mistakes for step in card.steps)):
        return plain
    drawn = any(plan.sampler is not None for plan in plans)
    probe = dict(firsts) if drawn else {seeds[0]: firsts[seeds[0]]}  # undrawn: every draw is this one
    unprobed = [
        (seed, 0) for seed in range(PROBE_DRAWS if drawn and card.reference else 0) if seed not in probe
    ]
    probe |= {seed: values for (seed, _), values in _drawn(plans, card, unprobed, skip=True).items()}
    first = _Tried.solve(card, list(probe.values()))
    if first is None:  # a broken card: drawn once, it fails where it is solved, as ever
        return plain
    row_of = {seed: row for row, seed in enumerate(probe)}
    probed = [row_of[seed] for seed in range(PROBE_DRAWS) if seed in row_of] if drawn else [0]
    traps = first.declared | first.apart[probed].any(axis=0)
    first.keep(card, traps)
    kept = {seed: (first, row_of.get(seed, 0), 0) for seed in seeds}  # (batch, row, stream)
    redrawn = [
        seed for seed in (dict.fromkeys(seeds) if drawn else ()) if not first.apart[row_of[seed]].all()
    ]
    further = list(
        _drawn(plans, card, [(s, d) for s in redrawn for d in range(1, TRAP_DRAWS)], skip=True).items()
    )
    more = _Tried.solve(card, [values for _, values in further]) if further else None
    if more is not None and more.apart.shape[1] == traps.size:
        more.keep(card, traps)
        for row, ((seed, draw), _) in enumerate(further):
            batch, best, _ = kept[seed]
            gains = (more.apart[row] >= first.apart[row_of[seed]]).all()  # loses none of draw 0's
            if gains and more.apart[row].sum() > batch.apart[best].sum():
                kept[seed] = (more, row, draw)
    instances = []
    for seed in seeds:
        batch, row, draw = kept[seed]
        instances.append(Instance(card, seed, batch.rows[row], draw, batch.solution.row(row)))
    return instances


def _drawn(
    plans: Sequence[GivenPlan], card: Card, streams: Sequence[tuple[int, int]], *, skip: bool = False
) -> dict[tuple[int, int], dict[str, Array]]:
    """The values of each (seed, draw) stream of `card`, drawn together (`draw_streams`).

    A stream that cannot be drawn raises its GivenError, or with `skip` is left out (a probe
    or a further draw that cannot be made has nothing to say).
    """
    unique = list(dict.fromkeys(streams))
    try:
        batch = draw_streams(plans, card.full_id, unique)
    except GivenError:
        if not skip:
            raise
        found = {}
        for stream in unique:
            with suppress(GivenError):
                found[stream] = draw_streams(plans, card.full_id, [stream])
        return {stream: _row(values, 0) for stream, values in found.items()}
    return {stream: _row(batch, row) for row, stream in enumerate(unique)}


def _row(batch: Mapping[str, Array], row: int) -> dict[str, Array]:
    """One instance's values of a batch, as `draw_values` gives them (a number as a 0-d array)."""
    return {name: values[row, ...] for name, values in batch.items()}


@dataclass
class _Tried:
    """Draws of one card solved in one batch, and which named mistakes each separates."""

    rows: list[dict[str, Array]]
    solution: Solution
    apart: npt.NDArray[np.bool_]  # per row, per named mistake (in `answer_targets` order)
    declared: npt.NDArray[np.bool_]  # per named mistake: the card's own (not its reference's)

    @classmethod
    def solve(cls, card: Card, rows: list[dict[str, Array]]) -> _Tried | None:
        batch = {name: np.stack([values[name] for values in rows]) for name in rows[0]}
        try:
            solution = solve(card, batch, batched=True)
        except EngineError:
            return None
        columns = [
            (separated(target.value, mistake.value, accuracy, batched=True), mistake.line != 0)
            for _, target, accuracy in answer_targets(card, solution)
            for mistake in target.mistakes
        ]
        apart = np.stack([a for a, _ in columns], axis=1) if columns else np.ones((len(rows), 0), dtype=bool)
        return cls(rows, solution, apart, np.array([own for _, own in columns], dtype=bool))

    def keep(self, card: Card, traps: npt.NDArray[np.bool_]) -> None:
        """Keep only the named mistakes that are traps (`traps`, by column)."""
        kept = iter(traps.tolist())
        for step, target, _ in answer_targets(card, self.solution):
            narrowed = replace(target, mistakes=tuple(m for m in target.mistakes if next(kept)))
            if step is None:
                self.solution.answer = narrowed
            else:
                self.solution.parts[step.name] = narrowed
        self.apart = self.apart[:, traps]
        self.declared = self.declared[traps]


def placeholders(text: str) -> list[str]:
    """The names of the `{name}` placeholders in a prompt, in every form (`{+b*xy}` names b);
    LaTeX groups such as `\\frac{a}{b}` are not placeholders."""
    return [match["name"] for match in _PLACEHOLDER.finditer(text)]


def fill_placeholders(text: str, values: Mapping[str, npt.ArrayLike]) -> str:
    """Replace each `{name}` (any spelling: `{beta1}` is β₁) with its value.

    A polynomial with drawn coefficients is written with term placeholders, so that it reads
    as a person writes it whatever the draw: `{a*x^2} {+b*xy} {+c*y^2}` is `x^2 - 2xy + 3y^2`
    for a = 1, b = −2, c = 3, never `1x^2 + -2xy + 3y^2`; a term whose coefficient is 0 is
    left out (with the space before it), and `{+d}` is a signed constant term (`- 4`).
    """

    def value_of(match: re.Match[str]) -> str:
        name = canonical_name(match["name"])
        if name not in values:
            return match.group(0)
        if match["sign"] is None and match["term"] is None:
            return match["space"] + format_value(values[name])
        term = format_term(values[name], match["term"] or "", signed=match["sign"] is not None)
        return match["space"] + term if term else ""

    return _PLACEHOLDER.sub(value_of, text)


def format_term(coefficient: npt.ArrayLike, monomial: str, *, signed: bool) -> str:
    """`coefficient` times `monomial` (LaTeX, "" for a constant) as a term of a sum.

    A coefficient of ±1 is not written before a monomial (`x^2`, `-xy`), and a term that
    follows another (`signed`) carries its sign as the operation (`+ 3xy`, `- xy`) and is
    empty when the coefficient is 0. A leading term of 0 stays `0`, so that a sum is never
    empty. A vector or matrix has no sign of its own: it is written whole after `+ `.
    """
    array = np.asarray(coefficient, dtype=np.float64)
    if array.ndim:
        return f"{'+ ' if signed else ''}{format_value(array)}{monomial}"
    value = float(array)
    if value == 0:
        return "" if signed else "0"
    magnitude = monomial if abs(value) == 1 and monomial else format_value(abs(value)) + monomial
    if signed:
        return f"{'+' if value > 0 else '-'} {magnitude}"
    return magnitude if value > 0 else f"-{magnitude}"
