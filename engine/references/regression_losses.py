"""Regression losses: a vector of predictions against a vector of targets, mean over the elements.

MSE, L1, Huber and SmoothL1, the losses of a real-valued prediction. They are one family
because their learners' mistakes are one family too: summing instead of averaging, and
Huber and SmoothL1 taken for each other (they agree only at δ = β = 1). How a loss is
run and reduced is in `engine.references.loss_runs`; the registry reads this family's
references through `engine.references.losses`.
"""

from __future__ import annotations

from functools import cache, partial

from engine.references.loss_runs import LossFn, loss_reference, pair, sum_not_mean
from engine.references.registry import Mistake, Param


@cache
def _functions() -> dict[str, LossFn]:
    """The torch calls behind each loss, built when a loss first runs."""
    import torch.nn.functional as F

    return {
        "mse": lambda v, h: F.mse_loss(v["input"], v["target"], reduction="none").mean(-1),
        "mae": lambda v, h: F.l1_loss(v["input"], v["target"], reduction="none").mean(-1),
        "huber": lambda v, h: F.huber_loss(v["input"], v["target"], reduction="none", delta=h["delta"]).mean(
            -1
        ),
        "smooth_l1": lambda v, h: F.smooth_l1_loss(
            v["input"], v["target"], reduction="none", beta=h["beta"]
        ).mean(-1),
    }


_loss = partial(loss_reference, _functions)

DIFF = "(input - target)"
ABS = f"abs{DIFF}"

REFERENCES = (
    _loss(
        "mse",
        "Mean squared error over a vector.",
        "torch.nn.functional.mse_loss",
        pair(),
        mistakes=(
            sum_not_mean(f"{DIFF} ^ 2"),
            Mistake(
                "halved",
                "loss",
                f"mean({DIFF} ^ 2) / 2",
                "Included the ½ of the textbook's ½(y − ŷ)²; MSELoss has no ½.",
            ),
        ),
    ),
    _loss(
        "mae",
        "Mean absolute error (L1 loss) over a vector.",
        "torch.nn.functional.l1_loss",
        pair(),
        mistakes=(sum_not_mean(ABS),),
    ),
    _loss(
        "huber",
        "Huber loss: ½a² where |a| < delta, else delta·(|a| − ½delta); mean over a vector.",
        "torch.nn.functional.huber_loss",
        pair(),
        (Param("delta", (), 1.0, "where the loss turns from quadratic to linear"),),
        mistakes=(
            Mistake(
                "missing-half",
                "loss",
                f"mean(where({ABS} < delta, {DIFF} ^ 2, delta * ({ABS} - 0.5 * delta)))",
                "Left out the ½ of the quadratic part; Huber is ½a² inside |a| < δ.",
            ),
            Mistake(
                "smooth-l1-for-huber",
                "loss",
                f"mean(where({ABS} < delta, 0.5 * {DIFF} ^ 2 / delta, {ABS} - 0.5 * delta))",
                "Gave SmoothL1 with β = δ; Huber(δ) = δ·SmoothL1(β = δ), equal only at δ = 1.",
            ),
        ),
    ),
    _loss(
        "smooth_l1",
        "SmoothL1: ½a²/beta where |a| < beta, else |a| − ½beta; mean over a vector.",
        "torch.nn.functional.smooth_l1_loss",
        pair(),
        (Param("beta", (), 1.0, "where the loss turns from quadratic to linear"),),
        mistakes=(
            Mistake(
                "huber-for-smooth-l1",
                "loss",
                f"mean(where({ABS} < beta, 0.5 * {DIFF} ^ 2, beta * ({ABS} - 0.5 * beta)))",
                "Gave Huber with δ = β; SmoothL1(β) = Huber(β)/β, equal only at β = 1.",
            ),
        ),
    ),
)
