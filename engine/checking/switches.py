"""Points on both sides of every switch of a piecewise expression.

Owns the switch search: the arguments of `abs`, `sign` and `relu`, the differences of
the arguments of `max` and `min`, `clip`'s argument minus each bound, and the two sides
of each `where` condition are solved for zero along each variable (sign changes on a
logarithmic grid out to 1e12, then secant and halving steps), the other variables held
at given points; the points returned lie 1e-6, 1e-3 and 0.1 of the way past each root,
on each side, so a difference hidden past a switch that no random point reaches
(`where(x > 1e8, x, 0)` and `0`) is seen.

It is separate from the comparison (`engine.checking.equivalence`), which only asks it
for more points to compare: finding roots is a search of its own, with its own limits
(how many arguments, how large, how many steps), and needs nothing of the comparison.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Final

import numpy as np
import numpy.typing as npt

from engine.errors import EngineError
from engine.expr.ast import BinOp, Call, Compare, Node, free_names, walk
from engine.expr.domains import Domain
from engine.expr.numeric import evaluate
from engine.expr.rounding import Array, Points

SWITCH_BASES: Final = 2  # points (where both sides are defined) whose other coordinates are kept
MAX_SWITCHES: Final = 8  # switching arguments searched, of both sides together
MAX_SWITCH_NODES: Final = 60  # a larger argument is not searched (each step evaluates it)
MAX_ROOTS: Final = 12  # sign changes followed per argument
ROOT_STEPS: Final = 40  # evaluations of a switching argument per search, at most
_GRID: Final = 10.0 ** np.linspace(-6.0, 12.0, 73)  # four points a decade, out to 1e12
_OFFSETS: Final = np.array([-0.1, -1e-3, -1e-6, 1e-6, 1e-3, 0.1])


def _switching_arguments(node: Node) -> Iterator[Node]:
    """Expressions whose sign change switches a piece of `node`."""
    for current in walk(node):
        match current:
            case Call("abs" | "sign" | "relu", (argument,)):
                yield argument
            case Call("max" | "min", arguments) if len(arguments) > 1:
                for left, right in itertools.combinations(arguments, 2):
                    yield BinOp("-", left, right)
            case Call("clip", (x, low, high)):
                yield BinOp("-", x, low)
                yield BinOp("-", x, high)
            case Call("where", (Compare(_, left, right), _, _)):
                yield BinOp("-", left, right)


def switch_points(
    sides: list[Node], domains: Mapping[str, Domain], base: Points, deadline: float
) -> Points | None:
    """Points just before and just after each place where a piece of either side
    switches, found along each variable with the others held at `base`."""
    found: list[Points] = []
    arguments = (a for side in sides for a in _switching_arguments(side))
    searchable = (a for a in arguments if sum(1 for _ in walk(a)) <= MAX_SWITCH_NODES and free_names(a))
    for argument in itertools.islice(searchable, MAX_SWITCHES):
        if time.perf_counter() >= deadline:
            break
        variables = [n for n in sorted(free_names(argument)) if n in base and not domains[n].integer]
        for name in variables:
            points = _around_roots(argument, name, domains[name], base)
            if points is not None:
                found.append(points)
    if not found:
        return None
    return {name: np.concatenate([points[name] for points in found]) for name in base}


def _grid(domain: Domain) -> Array:
    if math.isfinite(domain.low) and math.isfinite(domain.high):
        return domain.low + (domain.high - domain.low) * np.linspace(1e-3, 1 - 1e-3, 49)
    if math.isfinite(domain.low):
        return domain.low + _GRID
    if math.isfinite(domain.high):
        return domain.high - _GRID[::-1]
    return np.concatenate([-_GRID[::-1], [0.0], _GRID])


def _inside(domain: Domain, values: Array) -> npt.NDArray[np.bool_]:
    low = values >= domain.low if domain.closed[0] else values > domain.low
    high = values <= domain.high if domain.closed[1] else values < domain.high
    return np.asarray(low & high)


def _around_roots(argument: Node, name: str, domain: Domain, base: Points) -> Points | None:
    """Points on both sides of the sign changes of `argument` along `name`."""
    grid = _grid(domain)
    rows = len(next(iter(base.values())))

    def at(values: Array, row: npt.NDArray[np.intp]) -> Array:
        env = {n: v[row] for n, v in base.items()}
        env[name] = values
        try:
            result = evaluate(argument, env, batched=True)
        except EngineError:
            return np.full(len(values), np.nan)
        if result.rank != 0:
            return np.full(len(values), np.nan)
        return np.broadcast_to(result.data.astype(np.float64), (len(values),))

    row = np.repeat(np.arange(rows), len(grid))
    xs = np.tile(grid, rows)
    gs = at(xs, row)
    same_row = row[:-1] == row[1:]
    finite = np.isfinite(gs[:-1]) & np.isfinite(gs[1:])
    starts = np.flatnonzero(same_row & finite & (np.sign(gs[:-1]) * np.sign(gs[1:]) <= 0))
    if len(starts) == 0:
        return None
    if len(starts) > MAX_ROOTS:
        starts = starts[np.linspace(0, len(starts) - 1, MAX_ROOTS).astype(np.intp)]
    roots = _bracketed_roots(
        lambda v: at(v, row[starts]), xs[starts], xs[starts + 1], gs[starts], gs[starts + 1]
    )
    step = (_OFFSETS[None, :] * np.maximum(np.abs(roots), 1e-3)[:, None]).ravel()
    # Rounded to a power of ten below a quarter of the step, so a counterexample reads
    # 100000100 rather than 100000099.99998: still on the same side, as far from the switch.
    quantum = 10.0 ** np.floor(np.log10(np.abs(step) / 4))
    candidate = np.round((np.repeat(roots, len(_OFFSETS)) + step) / quantum) * quantum
    owner = np.repeat(row[starts], len(_OFFSETS))
    keep = _inside(domain, candidate)
    points = {n: v[owner[keep]] for n, v in base.items()}
    points[name] = candidate[keep]
    return points


def _bracketed_roots(g: Callable[[Array], Array], lo: Array, hi: Array, g_lo: Array, g_hi: Array) -> Array:
    """Where `g` changes sign within each [lo, hi], to about 1e-8 of its size (the points
    placed around it are 1e-6 away at the nearest): false-position steps, exact for a
    straight line, with the Illinois rule (an end kept twice has its value halved, so the
    other end moves too), and a halving every fourth step for the functions that jump."""
    lo = np.where(g_hi == 0, hi, lo)  # an end where g is 0 is the root
    hi = np.where(g_lo == 0, lo, hi)
    g_lo, g_hi = g_lo.copy(), g_hi.copy()
    kept = np.zeros(len(lo), dtype=np.int8)  # which end the last step kept: −1 lo, 1 hi
    with np.errstate(all="ignore"):
        for step in range(ROOT_STEPS):
            done = np.abs(hi - lo) <= 1e-8 * np.maximum(np.maximum(np.abs(lo), np.abs(hi)), 1e-3)
            if done.all():
                break
            middle = (lo + hi) / 2
            if step % 4 != 3:
                secant = lo - g_lo * (hi - lo) / (g_hi - g_lo)
                inside = np.isfinite(secant) & (secant > np.minimum(lo, hi)) & (secant < np.maximum(lo, hi))
                middle = np.where(inside, secant, middle)
            g_middle = g(middle)
            exact = (g_middle == 0) | done
            lo, hi = np.where(exact & ~done, middle, lo), np.where(exact & ~done, middle, hi)
            left = ~exact & (np.sign(g_middle) == np.sign(g_lo))
            right = ~exact & ~left
            g_hi = np.where(left & (kept == 1), g_hi / 2, g_hi)
            g_lo = np.where(right & (kept == -1), g_lo / 2, g_lo)
            lo, g_lo = np.where(left, middle, lo), np.where(left, g_middle, g_lo)
            hi, g_hi = np.where(right, middle, hi), np.where(right, g_middle, g_hi)
            kept = np.where(left, 1, np.where(right, -1, 0)).astype(np.int8)
    return np.asarray((lo + hi) / 2, dtype=np.float64)
