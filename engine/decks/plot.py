"""The points of a card's function plot: the curve, its derivative, and the asked point.

A deck declares the plot (`PlotSpec`, the `plot:` key); this turns it into numbers for
one instance, so the widget only draws. Formulas go through the engine's parser and numpy
evaluator like every other deck formula: nothing in a deck is executed. The curve is
evaluated pointwise (a batch of scalars), so functions of vectors cannot be plotted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from engine.decks.cards import Formula, PlotSpec
from engine.errors import EngineError
from engine.expr.ast import Node, free_names
from engine.expr.names import canonical_name
from engine.expr.numeric import evaluate
from engine.expr.parser import ParseOptions, parse

Array = npt.NDArray[np.float64]
POINTS: Final = 241
_STEP: Final = 1e-5  # relative step of the central difference for `derivative: true`


class PlotError(EngineError):
    """A plot that cannot be drawn; the message says which formula and why."""


@dataclass(frozen=True)
class PlotData:
    """What to draw: y (and y') over xs, and the asked point if the card marks one."""

    label: str
    variable: str
    xs: Array
    ys: Array
    dys: Array | None
    mark: tuple[float, float] | None

    @property
    def finite_share(self) -> float:
        return float(np.isfinite(self.ys).mean()) if self.ys.size else 0.0


def _parse(formula: Formula, names: frozenset[str], what: str) -> Node:
    try:
        node = parse(formula.text, ParseOptions(variables=None))
    except EngineError as error:
        raise PlotError(f"{what}: {error.message}") from error
    unknown = sorted(free_names(node) - names)
    if unknown:
        known = ", ".join(sorted(names)) or "none"
        raise PlotError(
            f"{what} uses {', '.join(unknown)}, which is neither the variable nor a given ({known})"
        )
    return node


def _scalars(values: Mapping[str, npt.ArrayLike]) -> dict[str, float]:
    return {name: float(np.asarray(v)) for name, v in values.items() if np.ndim(v) == 0}


def plot_data(spec: PlotSpec, values: Mapping[str, npt.ArrayLike], points: int = POINTS) -> PlotData:
    """The curve for an instance whose givens are `values`; raises PlotError."""
    variable = canonical_name(spec.variable)
    givens = _scalars(values)
    names = frozenset(givens)
    low = _bound(_parse(spec.low, names, "plot range"), givens)
    high = _bound(_parse(spec.high, names, "plot range"), givens)
    if not low < high:
        raise PlotError(f"plot range [{low:g}, {high:g}] is empty")
    if not math.isfinite(high - low):
        raise PlotError(f"plot range [{low:g}, {high:g}] is too wide to draw")
    function = _parse(spec.function, names | {variable}, "plot function")
    xs = np.linspace(low, high, points)
    ys = _curve(function, variable, xs, givens)
    dys: Array | None = None
    if spec.derivative is not None:
        dys = _curve(_parse(spec.derivative, names | {variable}, "plot derivative"), variable, xs, givens)
    elif spec.numeric_derivative:
        h = _STEP * max(1.0, high - low)
        dys = (_curve(function, variable, xs + h, givens) - _curve(function, variable, xs - h, givens)) / (
            2 * h
        )
    mark: tuple[float, float] | None = None
    if spec.mark is not None:
        name = canonical_name(spec.mark)
        if name not in givens:
            raise PlotError(f"plot mark {spec.mark!r} is not a given of this card")
        x = givens[name]
        mark = (x, float(_curve(function, variable, np.array([x]), givens)[0]))
    label = spec.label or f"{spec.function.text}"
    return PlotData(label, spec.variable, xs, ys, dys, mark)


def _bound(node: Node, givens: Mapping[str, float]) -> float:
    try:
        value = evaluate(node, givens).data
    except EngineError as error:  # `sum(1)`: a bound that cannot be evaluated is the plot's problem
        raise PlotError(f"plot range cannot be evaluated: {error.message}") from error
    if np.ndim(value) != 0 or not math.isfinite(float(value)):
        raise PlotError("plot range bounds must be finite numbers")
    return float(value)


def _curve(node: Node, variable: str, xs: Array, givens: Mapping[str, float]) -> Array:
    env = {name: np.full(xs.shape, value) for name, value in givens.items()}
    env[variable] = xs
    try:
        result = evaluate(node, env, batched=True)
    except EngineError as error:
        raise PlotError(f"plot formula cannot be evaluated: {error.message}") from error
    if result.rank != 0:
        raise PlotError("a plot function must give one number per point, not a vector")
    return np.broadcast_to(np.asarray(result.data, dtype=np.float64), xs.shape).copy()
