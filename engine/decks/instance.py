"""Draw an instance of a card: its given values, reproducible from (card id, seed).

A numeric card's `given` lists values that are fixed (`0.5`, `[1.0, -2.0]`), drawn
(`uniform(-3, 3)`, `randint(1, 5)`, `choice(0.9, 0.99)`, `normal(0, 1, shape=[3])`,
`loguniform(1e-4, 1e-1)`) or derived from earlier ones (`x^2 + 1`). Drawn values are
rounded to the digits shown in the prompt, so the learner computes with exactly the
numbers the engine uses.

A card with named mistakes is drawn where it can test them (`draw_instances`): an
instance at which a mistake cannot be told from the answer, at the card's precision, is
drawn again, from further streams of the same (card id, seed).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from engine.decks.cards import Card, Given, Precision
from engine.decks.kinds.numeric import separated
from engine.decks.solution import Solution, answer_targets, solve
from engine.errors import EngineError, EvaluationError, ExpressionError
from engine.expr.ast import Node
from engine.expr.names import canonical_name
from engine.expr.numeric import evaluate
from engine.expr.parser import ParseOptions, parse
from engine.render.numbers import format_number, format_value

Array = npt.NDArray[np.float64]
SAMPLERS: Final = ("uniform", "loguniform", "normal", "randint", "choice")
_SAMPLER_CALL = re.compile(r"^\s*([a-z]+)\s*\((.*)\)\s*$", re.DOTALL)
_KEYWORD = re.compile(r"^\s*([a-z_]+)\s*=(.*)$", re.DOTALL)
_PLACEHOLDER = re.compile(r"(?<![\\\w^_{}])\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SHAPE = re.compile(r"^\s*[\[(]?\s*(\d{1,6}(?:\s*,\s*\d{1,6})*)\s*,?\s*[\])]?\s*$")
_MAX_ELEMENTS: Final = 10_000


MAX_SAMPLER_MAGNITUDE: Final = 1e15
"""The largest magnitude of a sampler's numbers: far beyond any deck's, and every integer
up to it is exact in float64 (and in numpy's int64, for `randint`)."""
MAX_DECIMALS: Final = 15
"""The most decimals a drawn value is rounded to: float64 keeps about 15 significant digits."""
_MAX_DIMENSIONS: Final = 4
TRAP_DRAWS: Final = 16
"""The draws tried for one instance of a card with named mistakes (see `draw_instances`). A
trap that coincides with the answer on a share p of draws is left untested with chance p^16
(`validate` warns when that is over 1%, p over 3/4)."""
PROBE_DRAWS: Final = 64
"""The draws (the card's seeds 0 to 63) that decide which of its reference's mistakes a card
can test at all."""


class GivenError(EngineError):
    """A `given` entry that cannot be read or drawn; `line` is the given's, when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Sampler:
    """A parsed sampler call such as `uniform(-3, 3, shape=[2], decimals=3)`."""

    kind: str
    args: tuple[float, ...]
    shape: tuple[int, ...] = ()
    decimals: int | None = None

    def draw(self, rng: np.random.Generator) -> Array:
        size = self.shape or None
        a = self.args
        if self.kind == "uniform":
            value = rng.uniform(a[0], a[1], size=size)
        elif self.kind == "loguniform":
            value = np.exp(rng.uniform(math.log(a[0]), math.log(a[1]), size=size))
        elif self.kind == "normal":
            value = rng.normal(a[0], a[1], size=size)
        elif self.kind == "randint":
            value = rng.integers(int(a[0]), int(a[1]) + 1, size=size).astype(np.float64)
        else:
            value = rng.choice(np.asarray(a, dtype=np.float64), size=size)
        return _round(np.asarray(value, dtype=np.float64), self.kind, self.decimals)


def _round(value: Array, kind: str, decimals: int | None) -> Array:
    """Round to what the prompt shows: 2 decimals, or 3 significant digits for loguniform."""
    if kind in ("randint", "choice"):
        return value
    if decimals is not None:
        return np.round(value, decimals)
    if kind == "loguniform":
        exponent = np.floor(np.log10(np.abs(value)))
        return np.round(value / 10.0**exponent, 2) * 10.0**exponent
    return np.round(value, 2)


def _constant(text: str) -> float:
    value = evaluate(parse(text, ParseOptions(allow_names=False, allow_lists=False)))
    if value.data.size != 1:
        raise GivenError(f"{text.strip()[:40]!r} is not a single number")
    return float(value.data.reshape(()))


def _split_arguments(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "(["
        depth -= char in ")]"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p.strip()]


def parse_sampler(text: str) -> Sampler | None:
    """The sampler a given's text calls, None if it is not a sampler call.

    Raises GivenError for a call that could not be drawn from: every number must be
    finite and within ±`MAX_SAMPLER_MAGNITUDE` (numpy fails on `randint(0, 10^100)` and
    `uniform(0, 1/0)`), `randint`'s bounds whole, `decimals` a whole number from 0 to
    `MAX_DECIMALS`, and `shape` at most `_MAX_ELEMENTS` elements in at most
    `_MAX_DIMENSIONS` dimensions.
    """
    match = _SAMPLER_CALL.match(text)
    if match is None or match.group(1) not in SAMPLERS:
        return None
    kind = match.group(1)
    positional: list[float] = []
    shape: tuple[int, ...] = ()
    decimals: int | None = None
    try:
        for argument in _split_arguments(match.group(2)):
            keyword = _KEYWORD.match(argument)
            if keyword is None:
                positional.append(_sampler_number(kind, argument))
            elif keyword.group(1) == "shape":
                shape = _shape(keyword.group(2))
            elif keyword.group(1) == "decimals":
                decimals = _decimals(kind, keyword.group(2))
            else:
                raise GivenError(f"{kind}() takes shape= and decimals=, not {keyword.group(1)}=")
    except (ExpressionError, EvaluationError) as error:
        raise GivenError(f"in {kind}(): {error.message}") from error
    expected = {"uniform": 2, "loguniform": 2, "normal": 2, "randint": 2}.get(kind)
    if expected is not None and len(positional) != expected:
        raise GivenError(f"{kind}() takes {expected} numbers, got {len(positional)}")
    if kind == "choice" and not positional:
        raise GivenError("choice() needs at least one value")
    if kind in ("uniform", "loguniform", "randint") and not positional[0] < positional[1] + (
        kind == "randint"
    ):
        raise GivenError(f"{kind}({positional[0]:g}, {positional[1]:g}) is an empty range")
    if kind == "loguniform" and positional[0] <= 0:
        raise GivenError("loguniform() needs positive bounds")
    if kind == "normal" and positional[1] <= 0:
        raise GivenError("normal() needs a positive standard deviation")
    if kind == "randint" and not all(bound == int(bound) for bound in positional):
        raise GivenError(f"randint({positional[0]:g}, {positional[1]:g}) needs whole-number bounds")
    return Sampler(kind, tuple(positional), shape, decimals)


def _sampler_number(kind: str, text: str) -> float:
    value = _constant(text)
    if not abs(value) <= MAX_SAMPLER_MAGNITUDE:  # also NaN
        raise GivenError(
            f"{kind}() takes finite numbers within ±{format_number(MAX_SAMPLER_MAGNITUDE)},"
            f" got {format_number(value)}"
        )
    return value


def _shape(text: str) -> tuple[int, ...]:
    """`[2, 3]` (or `(2, 3)`, or `3`): positive whole numbers, `_MAX_ELEMENTS` elements at most."""
    match = _SHAPE.match(text)
    shape = tuple(int(d) for d in re.findall(r"\d+", match.group(1))) if match else ()
    if not shape or len(shape) > _MAX_DIMENSIONS or min(shape) < 1 or math.prod(shape) > _MAX_ELEMENTS:
        raise GivenError(
            f"bad shape {text.strip()[:40]!r}: at most {_MAX_DIMENSIONS} positive sizes,"
            f" {_MAX_ELEMENTS:,} elements in all"
        )
    return shape


def _decimals(kind: str, text: str) -> int:
    value = _constant(text)
    if not (0 <= value <= MAX_DECIMALS and value == int(value)):  # also NaN
        raise GivenError(
            f"{kind}() decimals= must be a whole number from 0 to {MAX_DECIMALS}, got {format_number(value)}"
        )
    return int(value)


@dataclass(frozen=True)
class GivenPlan:
    """How to produce one given: a sampler, or an expression of numbers and earlier givens."""

    name: str
    sampler: Sampler | None
    formula: Node | None
    line: int


def plan_givens(givens: Sequence[Given]) -> list[GivenPlan]:
    """Read a card's givens; raises GivenError naming the given at fault."""
    plans: list[GivenPlan] = []
    known: set[str] = set()
    for given in givens:
        try:
            plans.append(_plan(given, known))
        except (GivenError, ExpressionError) as error:
            raise GivenError(f"given {given.name!r}: {error.message}", given.line) from error
        known.add(given.name)
    return plans


def _plan(given: Given, known: set[str]) -> GivenPlan:
    spec = given.spec
    if isinstance(spec, int | float):
        try:
            number = float(spec)
        except OverflowError:  # an int beyond float64
            number = math.inf
        if not math.isfinite(number):
            raise GivenError("a fixed value must be a finite number")
        spec = repr(number)
    elif isinstance(spec, list):
        spec = _list_text(spec)
    text = str(spec)
    sampler = parse_sampler(text)
    if sampler is not None:
        return GivenPlan(given.name, sampler, None, given.line)
    formula = parse(text, ParseOptions(variables=frozenset(known)))
    return GivenPlan(given.name, None, formula, given.line)


def _list_text(items: list[Any]) -> str:
    return "[" + ", ".join(_list_text(i) if isinstance(i, list) else str(i) for i in items) + "]"


def instance_rng(full_id: str, seed: int, draw: int = 0) -> np.random.Generator:
    """The random generator of one instance: the same (card, seed) always gives the same draw.

    `draw` numbers the further streams a trap-aware draw tries (`draw_instances`); draw 0
    is the stream every instance had before there were further ones.
    """
    key = f"{full_id}\x00{seed}" if draw == 0 else f"{full_id}\x00{seed}\x00{draw}"
    digest = hashlib.sha256(key.encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def draw_values(plans: Sequence[GivenPlan], rng: np.random.Generator) -> dict[str, Array]:
    """Values for one instance, in declaration order."""
    values: dict[str, Array] = {}
    for plan in plans:
        if plan.sampler is not None:
            values[plan.name] = plan.sampler.draw(rng)
        else:
            assert plan.formula is not None
            try:
                values[plan.name] = evaluate(plan.formula, values).data.astype(np.float64)
            except EvaluationError as error:
                raise GivenError(f"given {plan.name!r}: {error.message}", plan.line) from error
    return values


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
        """The card's prompt with this instance's values, and the precision it asks for."""
        text = fill_placeholders(self.card.prompt, self.values)
        note = precision_note(self.card)
        return f"{text}\n\n{note}" if note else text

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
    firsts = {seed: draw_values(plans, instance_rng(card.full_id, seed)) for seed in seeds}
    plain = [Instance(card, seed, firsts[seed]) for seed in seeds]
    if not seeds or not (card.reference or card.mistakes or any(step.mistakes for step in card.steps)):
        return plain
    drawn = any(plan.sampler is not None for plan in plans)
    probe = dict(firsts) if drawn else {seeds[0]: firsts[seeds[0]]}  # undrawn: every draw is this one
    for seed in range(PROBE_DRAWS if drawn and card.reference else 0):
        if seed not in probe:
            with suppress(GivenError):  # a seed that cannot be drawn has nothing to say
                probe[seed] = draw_values(plans, instance_rng(card.full_id, seed))
    first = _Tried.solve(card, list(probe.values()))
    if first is None:  # a broken card: drawn once, it fails where it is solved, as ever
        return plain
    row_of = {seed: row for row, seed in enumerate(probe)}
    probed = [row_of[seed] for seed in range(PROBE_DRAWS) if seed in row_of] if drawn else [0]
    traps = first.declared | first.apart[probed].any(axis=0)
    first.keep(card, traps)
    kept = {seed: (first, row_of.get(seed, 0), 0) for seed in seeds}  # (batch, row, stream)
    further: list[tuple[int, int, dict[str, Array]]] = []  # (seed, stream, values), by seed then stream
    for seed in dict.fromkeys(seeds) if drawn else ():
        if not first.apart[row_of[seed]].all():
            for draw in range(1, TRAP_DRAWS):
                with suppress(GivenError):  # a further draw that cannot be made is not tried
                    further.append((seed, draw, draw_values(plans, instance_rng(card.full_id, seed, draw))))
    more = _Tried.solve(card, [values for _, _, values in further]) if further else None
    if more is not None and more.apart.shape[1] == traps.size:
        more.keep(card, traps)
        for row, (seed, draw, _) in enumerate(further):
            batch, best, _ = kept[seed]
            gains = (more.apart[row] >= first.apart[row_of[seed]]).all()  # loses none of draw 0's
            if gains and more.apart[row].sum() > batch.apart[best].sum():
                kept[seed] = (more, row, draw)
    instances = []
    for seed in seeds:
        batch, row, draw = kept[seed]
        instances.append(Instance(card, seed, batch.rows[row], draw, batch.solution.row(row)))
    return instances


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
    """The `{name}` placeholders in a prompt (LaTeX groups such as `\\frac{a}{b}` are not)."""
    return _PLACEHOLDER.findall(text)


def fill_placeholders(text: str, values: Mapping[str, npt.ArrayLike]) -> str:
    """Replace each `{name}` (any spelling: `{beta1}` is β₁) with its value."""

    def value_of(match: re.Match[str]) -> str:
        name = canonical_name(match.group(1))
        return format_value(values[name]) if name in values else match.group(0)

    return _PLACEHOLDER.sub(value_of, text)
