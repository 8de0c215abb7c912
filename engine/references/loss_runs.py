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

from engine.references.device_runs import DeviceBatch, DeviceOutputs
from engine.references.registry import (
    Arrays,
    Compute,
    Mistake,
    Output,
    Param,
    Reference,
    class_indices,
    group_instances,
    scalars,
)

if TYPE_CHECKING:
    import torch

Tensors = dict[str, "torch.Tensor"]
LossFn = Callable[[Tensors, dict[str, float]], "torch.Tensor"]
"""A loss on a group of instances: their tensor inputs and shared hyperparameters."""

LossFunctions = Callable[[], dict[str, LossFn]]
"""A family's torch calls by loss name, built (importing torch) when a loss first runs."""


def _compute(functions: LossFunctions, name: str, hyper: list[str], integer_input: str | None) -> Compute:
    """The loss `name` per instance, one torch call per group of instances sharing `hyper`.

    Scalar hyperparameters are Python numbers in torch's API; a vector one (NLL's class
    weight) is one tensor for the whole call. Either way the group shares it. The inputs go
    to the device once and each group takes its rows there (`DeviceBatch`).
    """

    def compute(arrays: Arrays, device: torch.device) -> Arrays:
        import torch

        batch = DeviceBatch(arrays, device)
        out = DeviceOutputs(batch.count, device)
        scalar_names = [k for k in hyper if arrays[k].ndim == 1]
        for idx in group_instances(arrays, hyper):
            h = scalars(arrays, int(idx[0]), scalar_names)
            tensors = {k: batch.rows(k, idx) for k in arrays if k not in h}
            if integer_input is not None:
                key = integer_input
                classes = arrays["logits" if "logits" in arrays else "input"].shape[-1]
                indices = class_indices(arrays[key][idx], classes, key)
                tensors[key] = torch.as_tensor(indices, device=device)
            with torch.no_grad():
                out.put("loss", idx, functions()[name](tensors, h))
        return out.numpy()

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
