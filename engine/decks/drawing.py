"""A card's givens: read into plans, and drawn for one seed or for many seeds at once.

A numeric card's `given` lists values that are fixed (`0.5`, `[1.0, -2.0]`), drawn
(`uniform(-3, 3)`, `randint(1, 5)`, `choice(0.9, 0.99)`, `normal(0, 1, shape=[3])`,
`loguniform(1e-4, 1e-1)`) or derived from earlier ones (`x^2 + 1`). Drawn values are
rounded to the digits shown in the prompt, so the learner computes with exactly the
numbers the engine uses.

Each instance is drawn from its own generator, seeded from (card id, seed, stream)
(`instance_rng`), so that it is the same whoever draws it, and whatever else is drawn.
`draw_values` draws one instance that way; `draw_batch` draws many at once, with the same
generators run side by side in numpy (`engine.decks.streams`) and each derived given
evaluated once over the batch: row i is, bit for bit, what `draw_values` gives for seed i.
It costs a few microseconds an instance where one at a time costs tens.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from engine.decks.cards import Given
from engine.decks.streams import Streams, Unsupported
from engine.errors import EngineError, EvaluationError, ExpressionError
from engine.expr.ast import Node
from engine.expr.numeric import evaluate
from engine.expr.parser import ParseOptions, parse
from engine.render.numbers import format_number

Array = npt.NDArray[np.float64]
SAMPLERS: Final = ("uniform", "loguniform", "normal", "randint", "choice")
_SAMPLER_CALL = re.compile(r"^\s*([a-z]+)\s*\((.*)\)\s*$", re.DOTALL)
_KEYWORD = re.compile(r"^\s*([a-z_]+)\s*=(.*)$", re.DOTALL)
_SHAPE = re.compile(r"^\s*[\[(]?\s*(\d{1,6}(?:\s*,\s*\d{1,6})*)\s*,?\s*[\])]?\s*$")
_MAX_ELEMENTS: Final = 10_000


MAX_SAMPLER_MAGNITUDE: Final = 1e15
"""The largest magnitude of a sampler's numbers: far beyond any deck's, and every integer
up to it is exact in float64 (and in numpy's int64, for `randint`)."""
MAX_DECIMALS: Final = 15
"""The most decimals a drawn value is rounded to: float64 keeps about 15 significant digits."""
_MAX_DIMENSIONS: Final = 4


class GivenError(EngineError):
    """A `given` entry that cannot be read or drawn; `line` is the given's, when known, and
    `seed` the instance's, when it was drawing one of many (`draw_batch`)."""

    def __init__(self, message: str, line: int | None = None, seed: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.seed = seed


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

    def draw_many(self, streams: Streams) -> Array:
        """What `draw` gives with each of `streams`' generators: (streams, *shape).

        Raises `Unsupported` for `normal`, whose draws `Streams` does not reproduce.
        """
        a = self.args
        if self.kind == "uniform":
            value = streams.uniform(a[0], a[1], self.shape)
        elif self.kind == "loguniform":
            value = np.exp(streams.uniform(math.log(a[0]), math.log(a[1]), self.shape))
        elif self.kind == "randint":
            value = streams.integers(int(a[0]), int(a[1]) + 1, self.shape)
        elif self.kind == "choice":
            value = streams.choice(a, self.shape)
        else:
            raise Unsupported(f"{self.kind}() is drawn one instance at a time")
        return _round(value, self.kind, self.decimals)


def _round(value: Array, kind: str, decimals: int | None) -> Array:
    """Round to what the prompt shows: 2 decimals, or 3 significant digits for loguniform."""
    if kind in ("randint", "choice"):
        return value
    if decimals is not None:
        return np.round(value, decimals)
    if kind == "loguniform":
        exponent = np.floor(np.log10(np.abs(value)))
        scale = _powers_of_ten(exponent)
        return np.asarray(np.round(value / scale, 2) * scale, dtype=np.float64)
    return np.round(value, 2)


def _powers_of_ten(exponent: Array) -> Array:
    """10^exponent, each by C's pow as for one number: numpy's pow over an array may part from it
    in the last bit (10^-5), and a batch must draw what one instance at a time draws."""
    found, where = np.unique(exponent, return_inverse=True)
    return np.array([10.0 ** float(k) for k in found.reshape(-1)], dtype=np.float64)[where].reshape(
        exponent.shape
    )


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
    return np.random.default_rng(int(stream_seeds(full_id, [(seed, draw)])[0]))


def stream_seeds(full_id: str, streams: Sequence[tuple[int, int]]) -> npt.NDArray[np.uint64]:
    """The 64-bit seeds of the generators of (seed, draw) streams of card `full_id`: the first
    8 bytes of SHA-256 of "card id NUL seed" (then "NUL draw" for draws after the first)."""
    prefix = f"{full_id}\x00".encode()
    sha256 = hashlib.sha256
    keys = [b"%d" % seed if draw == 0 else b"%d\x00%d" % (seed, draw) for seed, draw in streams]
    digests = b"".join([sha256(prefix + key).digest() for key in keys])
    return np.frombuffer(digests, dtype="<u8")[::4].astype(np.uint64)


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


def draw_batch(
    plans: Sequence[GivenPlan], full_id: str, seeds: Sequence[int], draw: int = 0
) -> dict[str, Array]:
    """The values of card `full_id` at `seeds` (stream `draw` of each), batch axis first.

    Row i is what `draw_values(plans, instance_rng(full_id, seeds[i], draw))` gives, bit for
    bit, and a GivenError is the one the first seed that fails raises, with its `seed`.
    """
    return draw_streams(plans, full_id, [(seed, draw) for seed in seeds])


def draw_streams(
    plans: Sequence[GivenPlan], full_id: str, streams: Sequence[tuple[int, int]]
) -> dict[str, Array]:
    """`draw_batch` for any (seed, draw) streams of the card, one row each.

    The samplers draw from all the streams together (`Streams`); each derived given is
    evaluated once over the batch. What that cannot follow is drawn one stream at a time,
    as `draw_values` draws it: a sampler `Streams` does not reproduce (`normal`), a derived
    given that fails over the batch (to find the seed it fails at), and the few streams
    whose `randint` redrew (`Streams.redraw`). A few rows (the first, the last, and some
    between: `_CHECKED_ROWS`) are drawn both ways and compared, so that a numpy whose
    generators or ufuncs part from these falls back to drawing one at a time rather than
    drawing other numbers (the tests compare every row, over every bundled card).
    """
    if not streams:
        return {}
    try:
        generators = Streams(stream_seeds(full_id, streams))
        values = _drawn_together(plans, generators)
    except (Unsupported, EvaluationError):
        return _one_by_one(plans, full_id, streams)
    redraw = generators.redraw
    spread = np.linspace(0, len(streams) - 1, _CHECKED_ROWS).astype(int).tolist()
    check = sorted(set(spread) | set(np.flatnonzero(redraw).tolist()))
    alone = _one_by_one(plans, full_id, [streams[row] for row in check])
    for position, row in enumerate(check):
        for name, value in values.items():
            same = np.array_equal(value[row], alone[name][position], equal_nan=True)
            if not same and not redraw[row]:
                return _one_by_one(plans, full_id, streams)  # never seen: numpy draws differently
            value[row] = alone[name][position]
    return values


_CHECKED_ROWS: Final = 4


def _drawn_together(plans: Sequence[GivenPlan], streams: Streams) -> dict[str, Array]:
    count = len(streams.hi)
    values: dict[str, Array] = {}
    for plan in plans:
        if plan.sampler is not None:
            values[plan.name] = plan.sampler.draw_many(streams)
            continue
        assert plan.formula is not None
        result = evaluate(plan.formula, values, batched=True)
        data = np.asarray(result.data, dtype=np.float64)
        if data.ndim == result.rank:  # a value that no drawn one changes: the same for every row
            data = np.broadcast_to(data, (count, *data.shape))
        values[plan.name] = np.array(data)
    return values


def _one_by_one(
    plans: Sequence[GivenPlan], full_id: str, streams: Sequence[tuple[int, int]]
) -> dict[str, Array]:
    rows = []
    for seed, draw in streams:
        try:
            rows.append(draw_values(plans, instance_rng(full_id, seed, draw)))
        except GivenError as error:
            raise GivenError(error.message, error.line, seed) from error
    return {name: np.stack([row[name] for row in rows]) for name in rows[0]} if rows else {}
