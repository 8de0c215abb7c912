"""Running a torch loss for the loss references: a declaration made a reference, and its reduction.

Every loss reference gives the value torch's loss function gives with its default
reduction. An instance's item is what one call of the loss sees: a vector of predictions
(mean over its elements), or for the classification losses a (b, c) batch (mean over the
b rows, weighted for NLL, and "batchmean" for KL). Instances are computed together with
reduction='none' and then reduced per instance exactly as the default reduction would.

`loss_reference` turns a loss's declaration (inputs, hyperparameters, mistakes) and the
torch call behind it into a `Reference`. The losses themselves are declared by family,
each with its torch calls: `regression_losses`, `classification_losses` and
`embedding_losses`; this module is what they share, so that each family holds only what
is its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from engine.references.registry import (
    Arrays,
    Compute,
    Mistake,
    Output,
    Param,
    Reference,
    class_indices,
    per_group,
    to_numpy,
    to_tensor,
)

if TYPE_CHECKING:
    import numpy as np
    import torch

Tensors = dict[str, "torch.Tensor"]
LossFn = Callable[[Tensors, dict[str, float]], "torch.Tensor"]
"""A loss on a group of instances: their tensor inputs and shared hyperparameters."""

LossFunctions = Callable[[], dict[str, LossFn]]
"""A family's torch calls by loss name, built (importing torch) when a loss first runs."""


def _compute(functions: LossFunctions, name: str, hyper: list[str], integer_input: str | None) -> Compute:
    """The loss `name` per instance, one torch call per group of instances sharing `hyper`.

    Scalar hyperparameters are Python numbers in torch's API; a vector one (NLL's class
    weight) is one tensor for the whole call. Either way the group shares it.
    """

    def compute(arrays: Arrays, device: torch.device) -> Arrays:
        import torch

        def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
            tensors = {k: to_tensor(v[idx], device) for k, v in arrays.items() if k not in h}
            if integer_input is not None:
                key = integer_input
                classes = arrays["logits" if "logits" in arrays else "input"].shape[-1]
                indices = class_indices(arrays[key][idx], classes, key)
                tensors[key] = torch.as_tensor(indices, device=device)
            with torch.no_grad():
                return {"loss": to_numpy(functions()[name](tensors, h))}

        return per_group(arrays, hyper, run)

    return compute


LOSS = Output("loss", (), "the loss, with torch's default reduction")


def loss_reference(
    functions: LossFunctions,
    name: str,
    summary: str,
    torch_api: str,
    inputs: tuple[Param, ...],
    hyper: tuple[Param, ...] = (),
    mistakes: tuple[Mistake, ...] = (),
    output: Output = LOSS,
    integer_input: str | None = None,
) -> Reference:
    """The loss `name`, computed by `functions()[name]`.

    `integer_input` names the input that holds class indices (torch wants int64 there).
    """
    return Reference(
        name=name,
        summary=summary,
        torch_api=torch_api,
        inputs=(*inputs, *hyper),
        outputs=(output,),
        mistakes=mistakes,
        topic="losses",
        compute=_compute(functions, name, [p.name for p in hyper], integer_input),
    )


def pair(doc: str = "predictions") -> tuple[Param, Param]:
    """An elementwise loss's two vector inputs: `input` (described by `doc`) and `target`."""
    return (Param("input", ("n",), None, doc), Param("target", ("n",), None, "targets"))


def sum_not_mean(formula: str) -> Mistake:
    """The mistake of summing the elements' losses `formula` where torch takes their mean."""
    return Mistake(
        "sum-not-mean",
        "loss",
        f"sum({formula})",
        "Summed over the elements; torch's default reduction is the mean.",
    )
