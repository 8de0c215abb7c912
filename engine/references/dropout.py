"""Dropout reference: the factor torch applies to the units it keeps.

torch's dropout is random, but the factor is not: in training mode every kept unit is
multiplied by 1/(1 − p) ("inverted dropout"), in evaluation mode nothing changes. The
factor is read off a real F.dropout call on a tensor of ones, under a fixed seed in a
forked generator so the caller's random state is untouched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.references.registry import Arrays, Mistake, Output, Param, Reference, per_group

if TYPE_CHECKING:
    import numpy as np
    import torch

SAMPLE = 4096
"""Units per draw: enough that some survive unless p is within a hair of 1."""


def _kept_value(p: float, device: torch.device) -> tuple[float, float]:
    """(train-mode value of a kept unit of 1, eval-mode value of a unit of 1)."""
    import torch
    import torch.nn.functional as F

    ones = torch.ones(SAMPLE, dtype=torch.float64, device=device)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(0)
        for _ in range(100):
            train = F.dropout(ones, p, training=True)
            # p = 1 drops everything (torch returns zeros): no kept unit, factor 0.
            if p == 1.0 or bool((train > 0).any()):
                break
    evaluation = F.dropout(ones, p, training=False)
    return float(train.max()), float(evaluation.max())


def _dropout_scale(arrays: Arrays, device: torch.device) -> Arrays:
    import numpy as np

    def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
        scale, eval_scale = _kept_value(h["p"], device)
        return {"scale": np.full(len(idx), scale), "eval_scale": np.full(len(idx), eval_scale)}

    return per_group(arrays, ["p"], run)


REFERENCES = (
    Reference(
        name="dropout_scale",
        summary="Inverted dropout: kept units are scaled by 1/(1 − p) in training, "
        "nothing changes in evaluation.",
        torch_api="torch.nn.functional.dropout (training=True and training=False)",
        inputs=(Param("p", (), 0.5, "the probability of DROPPING a unit"),),
        outputs=(
            Output("scale", (), "the factor of a kept unit in training mode (0 when p = 1)"),
            Output("eval_scale", (), "the factor in evaluation mode (the identity)"),
        ),
        mistakes=(
            Mistake(
                "keep-prob-scaling",
                "scale",
                "1 - p",
                "Scaled by the keep probability (the original paper's test-time rule); torch "
                "divides kept units by 1 − p during training instead.",
            ),
            Mistake(
                "p-as-keep-probability",
                "scale",
                "1 / p",
                "Read p as the keep probability; torch's p is the DROP probability.",
            ),
            Mistake(
                "eval-rescaled",
                "eval_scale",
                "1 - p",
                "Scaled at evaluation time; with inverted dropout, eval mode is the identity.",
            ),
        ),
        topic="dropout",
        compute=_dropout_scale,
    ),
)
