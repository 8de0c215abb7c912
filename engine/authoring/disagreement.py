"""Where a card's formula and torch part ways: searched for, not only drawn at random.

`validate` compares the author's formula with torch at the card's random instances. Where
the two differ only in a corner of the givens' ranges, random draws find it by luck: ε
inside the square root (√(v + ε) for torch's √v + ε) shows only where the variance is
tiny, so with gradients drawn from [0.1, 1] the draws never see it. So besides the random
draws, `search` evaluates the formula against torch at instances chosen to separate them,
all inside the ranges the card declares:

1. the ends: each drawn given at each end of its range, and at 0 and at tiny magnitudes
   (±1e-6, ±1e-8, ±1e-10) where its range holds them, one given at a time from a few of
   the random instances, and all of them at once at random corners;
2. sign changes: where a derived given crosses zero as one drawn given moves through its
   range (found by bisection on the givens alone, without torch), and just beside it;
3. a small search: from the instances that came closest to disagreeing (random or
   chosen), moves of one given toward either end (halfway, nine tenths of the way, tenfold
   toward 0), for a few rounds, keeping the worst.

Each round is one batch: one `solve`, torch called once per distinct set of
hyperparameters as for the random draws, and the whole search is bounded
(`SEARCH_LIMIT` instances a card). Disagreement is measured as `validate` measures it
(`engine.decks.kinds.numeric.agree`: a share `rtol` of the answer's scale over the random
instances, or of torch's value where that is larger), so a finding is one that the random
draws would have reported, had they landed there. Fair means inside the declared ranges:
uniform(a, b) and loguniform(a, b) are [a, b], randint its integers, choice its values,
normal(μ, σ) μ ± 4σ; fixed givens stay as they are and derived ones are computed. The
rounding of drawn values to the prompt's digits is not a range: the formula is claimed
for every value of the range, not only for its grid.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from engine.decks.cards import Card
from engine.decks.drawing import GivenPlan
from engine.decks.kinds.numeric import allowed_difference, answer_scale
from engine.decks.solution import Solution, answer_targets, solve
from engine.expr.ast import free_names
from engine.expr.numeric import evaluate
from engine.render.numbers import format_number, format_value

Array = npt.NDArray[np.float64]
SEARCH_LIMIT: Final = 320
"""The most instances the search evaluates for one card, all rounds together."""
TINY: Final = (1e-6, 1e-8, 1e-10)
"""Magnitudes tried where a range holds them: a gradient or a variance near 0 is where ε acts."""
_FIRST_ROUND: Final = 160  # the ends, the corners and the sign changes
_ROUNDS: Final = 2  # rounds of the small search after the first
_BASES: Final = 3  # random instances that the ends are tried from, one given at a time
_CORNERS: Final = 24
_LEADS: Final = 6  # the closest instances a round of the small search moves from
_MOVED: Final = 24  # the most coordinates a round moves one at a time
_LINE: Final = 9  # points along a given's range where a sign change is looked for
_NORMAL_SPAN: Final = 4.0  # normal(μ, σ) is searched over μ ± 4σ
_ROUNDING: Final = 1e-5
"""A largest disagreement below this share of the tolerance is rounding (float64's 1e-16
against a tolerance of 1e-7 is 1e-9): the small search has nothing to climb, and stops."""


@dataclass(frozen=True)
class Finding:
    """An instance inside the card's declared ranges where its formula and torch disagree."""

    what: str  # "answer", or "step 'v'"
    line: int
    output: str  # the reference output, "theta"
    inputs: tuple[tuple[str, str], ...]  # the instance's givens, as messages print them
    formula: str
    torch: str
    ratio: float  # the disagreement, in units of what is allowed
    how: str  # how the search came to the instance
    random_instances: int  # the random instances, which all agreed
    mistake: tuple[str, str] | None = None  # the reference's known mistake the formula is there

    @property
    def fields(self) -> dict[str, Any]:
        """What `validate --json` gives beside the message: the instance, the two values, the mistake."""
        mistake = self.mistake[0] if self.mistake else None
        return {"inputs": self.inputs, "formula": self.formula, "torch": self.torch, "mistake": mistake}

    @property
    def message(self) -> str:
        where = ", ".join(f"{name}={value}" for name, value in self.inputs)
        times = "infinitely many" if not np.isfinite(self.ratio) else f"{format_number(self.ratio)}"
        return (
            f"{self.what} disagrees with torch reference {self.output} inside the givens' declared"
            f" ranges, at {where} (found {self.how}): formula {self.formula}, torch {self.torch}"
            f" ({times} times what is allowed); all {self.random_instances} random instances agree,"
            " so random draws alone would not have found it"
        ) + (f"; it matches the known mistake {self.mistake[0]!r}: {self.mistake[1]}" if self.mistake else "")


@dataclass(frozen=True)
class _Coordinate:
    """One drawn number the search moves: a drawn given, or one element of a drawn vector."""

    name: str
    element: int  # flat index into the given's shape
    kind: str  # "real", "log", "integer" or "set"
    low: float
    high: float
    values: tuple[float, ...] = ()

    def specials(self) -> list[float]:
        """The ends of the range, and 0 and tiny magnitudes where it holds them: where formulas part."""
        if self.kind == "set":
            return list(dict.fromkeys(self.values))
        points = [self.low, self.high]
        if self.kind == "integer":
            points += [v for v in (0.0, 1.0, -1.0) if self.low <= v <= self.high]
        elif self.kind == "real":
            points += [s * t for t in (0.0, *TINY) for s in (1.0, -1.0) if self.low <= s * t <= self.high]
        return list(dict.fromkeys(points))

    def moves(self, x: float) -> list[float]:
        """Values one move from `x`: toward either end, tenfold toward 0, a set's other values."""
        if self.kind == "set":
            return [v for v in self.values if v != x]
        if self.kind == "log":
            steps = [x * (end / x) ** share for end in (self.low, self.high) for share in (0.5, 0.9)]
        else:
            steps = [x + share * (end - x) for end in (self.low, self.high) for share in (0.5, 0.9)]
            steps += [x / 10, x / 1000]
        if self.kind == "integer":
            steps += [x - 1, x + 1]
        return [v for v in dict.fromkeys(float(s) for s in self.project(np.array(steps))) if v != x]

    def project(self, x: Array) -> Array:
        """The nearest values inside the range."""
        if self.kind == "set":
            table = np.array(self.values)
            return np.asarray(table[np.abs(x[:, None] - table[None, :]).argmin(axis=1)], dtype=np.float64)
        inside = np.clip(x, self.low, self.high)
        return np.round(inside) if self.kind == "integer" else inside


def _coordinates(plans: Sequence[GivenPlan]) -> list[_Coordinate]:
    found = []
    for plan in plans:
        sampler = plan.sampler
        if sampler is None:
            continue
        a = sampler.args
        if sampler.kind == "choice":
            kind, low, high, values = "set", min(a), max(a), a
        elif sampler.kind == "normal":
            kind, low, high, values = "real", a[0] - _NORMAL_SPAN * a[1], a[0] + _NORMAL_SPAN * a[1], ()
        else:
            kind = {"uniform": "real", "loguniform": "log", "randint": "integer"}[sampler.kind]
            low, high, values = a[0], a[1], ()
        size = int(np.prod(sampler.shape, dtype=np.int64))
        found += [_Coordinate(plan.name, k, kind, low, high, values) for k in range(size)]
    return found


@dataclass(frozen=True)
class _Target:
    """An answer (or part) whose formula is checked against torch, and its scale over the random draws."""

    index: int  # in `answer_targets` order
    what: str
    line: int
    output: str
    scale: Array


def search(
    card: Card,
    plans: Sequence[GivenPlan],
    batch: Mapping[str, Array],
    solution: Solution,
    *,
    rtol: float,
    device: str,
) -> list[Finding]:
    """Instances inside the card's declared ranges where a formula that the random instances
    `batch` (solved: `solution`) found in agreement with torch disagrees with it: the worst
    found, for each such formula. Targets the random instances already disagree at are left
    to that report."""
    if card.reference is None or not batch:
        return []
    targets = []
    for index, (step, target, _) in enumerate(answer_targets(card, solution)):
        if target.formula is None:
            continue
        scale = answer_scale(target.value)
        if _ratios(target.formula, target.value, scale, rtol).max(initial=0.0) > 1:
            continue  # the random draws found it
        output = f"{card.reference.name}.{target.source.removeprefix('torch ')}"
        line = target.formula_line or (step.line if step else card.line)
        targets.append(
            _Target(index, "answer" if step is None else f"step {step.name!r}", line, output, scale)
        )
    coordinates = _coordinates(plans)
    if not targets or not coordinates:
        return []
    return _Search(card, plans, coordinates, targets, rtol, device).run(batch, solution)


def _ratios(formula: Array, value: Array, scale: Array, rtol: float) -> Array:
    """Per instance, the largest disagreement of `formula` with torch's `value`, in units of what
    `agree` allows: 1 is the edge. A formula that is not a number where torch's value is counts
    as infinitely far; where torch's is not, there is no verdict (0)."""
    formula = np.broadcast_to(formula, value.shape)
    allowed = allowed_difference(scale, value, rtol)
    with np.errstate(all="ignore"):
        ratio = np.abs(formula - value) / allowed
    ratio = np.where(np.isfinite(formula), ratio, np.inf)
    ratio = np.where(np.isfinite(value) & (formula != value), ratio, 0.0)
    ratio = np.nan_to_num(ratio, nan=0.0, posinf=np.inf)
    return np.asarray(ratio.reshape(len(ratio), -1).max(axis=1, initial=0.0), dtype=np.float64)


class _Search:
    def __init__(
        self,
        card: Card,
        plans: Sequence[GivenPlan],
        coordinates: list[_Coordinate],
        targets: list[_Target],
        rtol: float,
        device: str,
    ) -> None:
        self.card, self.plans, self.coordinates = card, plans, coordinates
        self.targets, self.rtol, self.device = targets, rtol, device
        self.rng = np.random.default_rng(zlib.crc32(card.full_id.encode()))
        self.points: list[Array] = []
        self.how: list[str] = []
        self.ratios: list[Array] = []  # per instance and target

    def run(self, batch: Mapping[str, Array], solution: Solution) -> list[Finding]:
        count = len(next(iter(batch.values())))
        random = np.stack([batch[c.name].reshape(count, -1)[:, c.element] for c in self.coordinates], axis=1)
        self.record(random, ["random"] * count, self.ratios_of(solution))
        self.evaluate(self.first_round(random[:_BASES]))
        budget = (SEARCH_LIMIT - _FIRST_ROUND) // _ROUNDS
        for _ in range(_ROUNDS):
            if self.worst() < _ROUNDING:
                break  # nothing but rounding to climb
            self.evaluate(self.moves(budget))
        return self.findings(count)

    def ratios_of(self, solution: Solution) -> Array:
        found = answer_targets(self.card, solution)
        columns = []
        for target in self.targets:
            goal = found[target.index][1]
            assert goal.formula is not None
            columns.append(_ratios(goal.formula, goal.value, target.scale, self.rtol))
        return np.stack(columns, axis=1)

    def record(self, points: Array, how: list[str], ratios: Array) -> None:
        self.points.append(points)
        self.how += how
        self.ratios.append(ratios)

    def worst(self) -> float:
        return float(np.concatenate(self.ratios).max(initial=0.0))

    def evaluate(self, chosen: list[tuple[Array, str]]) -> None:
        if not chosen:
            return
        if len(chosen) > _FIRST_ROUND:
            keep = self.rng.choice(len(chosen), _FIRST_ROUND, replace=False)
            chosen = [chosen[int(k)] for k in sorted(keep)]
        points = np.stack([point for point, _ in chosen])
        self.record(points, [how for _, how in chosen], self.ratios_at(points))

    def ratios_at(self, points: Array, depth: int = 0) -> Array:
        """The disagreement at each instance; -1 where it cannot be evaluated. A batch that fails
        is split in halves (a few times) to set aside the instances torch rejects."""
        try:
            values = self.givens(points)
            return self.ratios_of(solve(self.card, values, batched=True, device=self.device))
        except Exception:  # an end of a range may be what torch or a formula rejects
            if len(points) == 1 or depth >= 3:
                return np.full((len(points), len(self.targets)), -1.0)
            half = len(points) // 2
            return np.concatenate(
                [self.ratios_at(points[:half], depth + 1), self.ratios_at(points[half:], depth + 1)]
            )

    def givens(self, points: Array) -> dict[str, Array]:
        """Every given of the instances whose drawn numbers are `points`: derived ones computed."""
        count = len(points)
        values: dict[str, Array] = {}
        for plan in self.plans:
            if plan.sampler is not None:
                columns = [j for j, c in enumerate(self.coordinates) if c.name == plan.name]
                values[plan.name] = points[:, columns].reshape(count, *plan.sampler.shape)
                continue
            assert plan.formula is not None
            result = evaluate(plan.formula, values, batched=True)
            data = np.asarray(result.data, dtype=np.float64)
            if data.ndim == result.rank:
                data = np.broadcast_to(data, (count, *data.shape))
            values[plan.name] = data
        return values

    # -- the candidates ---------------------------------------------------------------------

    def first_round(self, bases: Array) -> list[tuple[Array, str]]:
        chosen: list[tuple[Array, str]] = []
        for base in bases:
            for j in self.some_coordinates():
                coordinate = self.coordinates[j]
                for value in coordinate.specials():
                    point = base.copy()
                    point[j] = value
                    chosen.append((point, f"with {coordinate.name} at {format_number(value)}"))
        specials = [c.specials() for c in self.coordinates]
        for _ in range(_CORNERS):
            point = bases[self.rng.integers(len(bases))].copy()
            for j, values in enumerate(specials):
                point[j] = values[self.rng.integers(len(values))]
            chosen.append((point, "at a corner of the ranges"))
        return chosen + self.sign_changes(bases[:2])

    def some_coordinates(self) -> list[int]:
        """The coordinates moved one at a time: all of them, or `_MOVED` of them (a vector given
        of 10,000 numbers is not searched number by number; the corners still move them all)."""
        count = len(self.coordinates)
        return (
            list(range(count)) if count <= _MOVED else sorted(self.rng.choice(count, _MOVED, replace=False))
        )

    def sign_changes(self, bases: Array) -> list[tuple[Array, str]]:
        """Where a derived given crosses zero as one drawn given moves through its range: found
        on the givens alone (no torch), by bisection of every bracket at once; the root and beside it."""
        derived = [p.name for p in self.plans if p.formula is not None and free_names(p.formula)]
        brackets = []  # (base, coordinate, given, element, low end, high end)
        for base, j in itertools.product(bases, self.some_coordinates()):
            c = self.coordinates[j]
            if not derived or c.kind not in ("real", "log"):
                continue
            along = (np.geomspace if c.kind == "log" else np.linspace)(c.low, c.high, _LINE)
            with suppress(Exception):  # a derived given that cannot be evaluated along the line
                values = self.givens(self.moved(np.repeat(base[None, :], _LINE, axis=0), j, along))
                for name in derived:
                    signs = np.sign(values[name].reshape(_LINE, -1))
                    for i, element in zip(*np.nonzero(signs[:-1] * signs[1:] < 0), strict=True):
                        brackets.append((base, j, name, int(element), along[i], along[i + 1]))
        brackets = brackets[:16]
        if not brackets:
            return []
        low, high = np.array([b[4] for b in brackets]), np.array([b[5] for b in brackets])
        bases_of, columns = np.stack([b[0] for b in brackets]), [b[1] for b in brackets]

        def sign_at(x: Array) -> Array:
            values = self.givens(self.moved(bases_of, columns, x))
            return np.sign([values[b[2]].reshape(len(brackets), -1)[r, b[3]] for r, b in enumerate(brackets)])

        try:
            start = sign_at(low)
            for _ in range(40):
                same = sign_at((low + high) / 2) == start
                low, high = np.where(same, (low + high) / 2, low), np.where(same, high, (low + high) / 2)
        except Exception:
            return []
        chosen = []
        for r, (base, j, name, *_) in enumerate(brackets):
            c = self.coordinates[j]
            width = 1e-6 * (c.high - c.low)
            for x in c.project(np.array([low[r], high[r], low[r] - width, high[r] + width])):
                chosen.append(
                    (self.moved(base[None, :], j, x)[0], f"where {name} changes sign as {c.name} moves")
                )
        return chosen

    @staticmethod
    def moved(points: Array, columns: int | list[int], values: Array | float) -> Array:
        """`points` with coordinate `columns` (one per row, or one for all) set to `values`."""
        moved = points.copy()
        moved[np.arange(len(points)), columns] = values
        return moved

    def moves(self, budget: int) -> list[tuple[Array, str]]:
        """Moves from the instances that came closest: one given at a time, and a few at once."""
        points = np.concatenate(self.points)
        ratios = np.concatenate(self.ratios).max(axis=1)
        order = np.argsort(-ratios, kind="stable")
        leads: list[int] = []
        for index in order:
            if len(leads) == _LEADS or ratios[index] < 0:
                break
            if not any(np.array_equal(points[index], points[k]) for k in leads):
                leads.append(int(index))
        chosen: list[tuple[Array, str]] = []
        how = "by a search from the instances closest to disagreeing"
        for lead in leads:
            for j in self.some_coordinates():
                for value in self.coordinates[j].moves(float(points[lead, j])):
                    moved = points[lead].copy()
                    moved[j] = value
                    chosen.append((moved, how))
        for _ in range(budget // 4):
            moved = points[leads[self.rng.integers(len(leads))]].copy() if leads else points[0].copy()
            for j in self.rng.choice(len(self.coordinates), min(2, len(self.coordinates)), replace=False):
                options = self.coordinates[j].moves(float(moved[j])) or [float(moved[j])]
                moved[j] = options[self.rng.integers(len(options))]
            chosen.append((moved, how))
        if len(chosen) > budget:
            keep = self.rng.choice(len(chosen), budget, replace=False)
            chosen = [chosen[int(k)] for k in sorted(keep)]
        return chosen

    # -- the report -------------------------------------------------------------------------

    def findings(self, count: int) -> list[Finding]:
        points = np.concatenate(self.points)
        ratios = np.concatenate(self.ratios)
        found = []
        for t, target in enumerate(self.targets):
            index = int(np.argmax(ratios[:, t]))
            if ratios[index, t] <= 1:
                continue
            values = self.givens(points[index : index + 1])
            solved = solve(self.card, values, batched=True, device=self.device)
            goal = answer_targets(self.card, solved)[target.index][1]
            assert goal.formula is not None
            known = (m for m in goal.mistakes if m.line == 0 and m.value.shape == goal.value.shape)
            matched = next(
                (m for m in known if _ratios(m.value, goal.formula, target.scale, self.rtol)[0] <= 1), None
            )
            found.append(
                Finding(
                    target.what,
                    target.line,
                    target.output,
                    tuple((name, format_value(v[0])) for name, v in values.items()),
                    format_value(np.broadcast_to(goal.formula, goal.value.shape)[0]),
                    format_value(goal.value[0]),
                    float(ratios[index, t]),
                    self.how[index],
                    count,
                    (matched.name, matched.feedback) if matched else None,
                )
            )
        return found
