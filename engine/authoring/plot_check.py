"""`validate`'s check of a card's plot: drawn for the first sampled instances, it must be a
real number over most of its range, and its marked point inside it."""

from __future__ import annotations

import numpy as np

from engine.authoring.givens import Checks
from engine.decks.cards import Card
from engine.decks.instance import GivenError, draw_values, instance_rng, plan_givens

PLOT_SAMPLES = 20
"""Instances whose plot is drawn by `validate` (a plot is cheap, but 200 of them are not needed)."""


def check_plot(card: Card, samples: int, seed: int, checks: Checks) -> None:
    """The plot must evaluate over its range, for every sampled instance (up to `PLOT_SAMPLES`)."""
    from engine.decks.plot import PlotError, plot_data

    assert card.plot is not None
    try:
        plans = plan_givens(card.given)
    except GivenError:
        return  # reported with the givens
    for index in range(min(samples, PLOT_SAMPLES)):
        drawn = seed + index
        try:
            data = plot_data(card.plot, draw_values(plans, instance_rng(card.full_id, drawn)))
        except GivenError:
            return  # reported with the givens
        except PlotError as error:
            checks.report(card.plot.line, error.message, code="plot-error")
            return
        where = f"over [{data.xs[0]:g}, {data.xs[-1]:g}] (seed {drawn})"
        if data.finite_share < 0.5:
            message = f"the plot function is not a real number at most points {where}"
            checks.report(card.plot.line, message, code="plot-not-finite", seed=drawn)
            return
        if data.dys is not None and not np.isfinite(data.dys).any():
            message = f"the plot derivative is not a real number anywhere {where}"
            checks.report(card.plot.line, message, code="plot-not-finite", seed=drawn)
            return
        if data.mark is not None and not data.xs[0] <= data.mark[0] <= data.xs[-1]:
            message = f"the marked point {data.mark[0]:g} is outside the plot range {where}"
            checks.report(card.plot.line, message, "warning", code="plot-mark-outside", seed=drawn)
            return
