"""Normalization references: BatchNorm (train and eval), LayerNorm, RMSNorm, GroupNorm.

BatchNorm runs a real nn.BatchNorm1d so that its running statistics are torch's own. Its
statistics are per channel over the batch, so N instances of a (b, c) batch become one
module with N·c channels: channel (i, k) sees exactly instance i's channel k.
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
    as_count,
    per_group,
    to_numpy,
    to_tensor,
)

if TYPE_CHECKING:
    import numpy as np
    import torch

FLOAT32_EPS = 1.1920928955078125e-07
"""torch.finfo(torch.float32).eps: RMSNorm's eps=None in a float32 model."""

EPS = Param("eps", (), 1e-5, "added to the variance inside the square root")


def _gamma(shape: tuple[int | str, ...]) -> Param:
    return Param("gamma", shape, 1.0, "the learned scale (torch: weight)")


def _beta(shape: tuple[int | str, ...]) -> Param:
    return Param("beta", shape, 0.0, "the learned shift (torch: bias)")


def _batch_norm_module(
    arrays: Arrays, idx: np.ndarray, h: dict[str, float], device: torch.device, stats: str
) -> torch.nn.BatchNorm1d:
    """A BatchNorm1d whose N·c channels are the instances' channels, with their state.

    `stats` is the suffix of the running-statistics inputs ("_prev" in training mode).
    """
    import torch

    count, channels = len(idx), arrays["gamma"].shape[1]
    module = torch.nn.BatchNorm1d(
        count * channels, eps=h["eps"], momentum=h.get("momentum", 0.1), device=device
    )
    with torch.no_grad():
        for tensor, name in (
            (module.weight, "gamma"),
            (module.bias, "beta"),
            (module.running_mean, f"running_mean{stats}"),
            (module.running_var, f"running_var{stats}"),
        ):
            assert tensor is not None  # the running statistics exist: track_running_stats
            tensor.copy_(to_tensor(arrays[name][idx].reshape(-1), device))
    return module


def _batch_norm_train(arrays: Arrays, device: torch.device) -> Arrays:
    import torch

    def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
        module = _batch_norm_module(arrays, idx, h, device, "_prev").train()
        x = to_tensor(arrays["x"][idx], device)  # (G, b, c)
        count, batch, channels = x.shape
        with torch.no_grad():
            # (b, G·c): one channel per (instance, channel), stats over the b rows.
            y = module(x.permute(1, 0, 2).reshape(batch, -1))
            var, mean = torch.var_mean(x, dim=1, correction=0)
        assert module.running_mean is not None and module.running_var is not None
        return {
            "y": to_numpy(y.reshape(batch, count, channels).permute(1, 0, 2)),
            "batch_mean": to_numpy(mean),
            "batch_var": to_numpy(var),
            "running_mean": to_numpy(module.running_mean.reshape(count, channels)),
            "running_var": to_numpy(module.running_var.reshape(count, channels)),
        }

    return per_group(arrays, ["momentum", "eps"], run)


def _batch_norm_eval(arrays: Arrays, device: torch.device) -> Arrays:
    import torch

    def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
        module = _batch_norm_module(arrays, idx, h, device, "").train(False)  # evaluation mode
        with torch.no_grad():
            y = module(to_tensor(arrays["x"][idx].reshape(1, -1), device))
        return {"y": to_numpy(y.reshape(len(idx), -1))}

    return per_group(arrays, ["eps"], run)


Normalize = Callable[
    ["torch.Tensor", dict[str, float], "torch.Tensor", "torch.Tensor | None"], "torch.Tensor"
]
"""A normalisation call: (x, hyperparameters, weight, bias or None) -> y."""


def _per_group(call: Callable[[], Normalize], hyper: list[str], affine: list[str]) -> Compute:
    """y = call()(x, hyper, gamma, beta), one torch call per group sharing hyper and affine.

    torch takes one weight (and bias) per call, shared by the whole batch, so instances
    are grouped by their weights too; the usual case (shared weights) is one call.
    """

    def compute(arrays: Arrays, device: torch.device) -> Arrays:
        import torch

        def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
            first = int(idx[0])
            weight = to_tensor(arrays["gamma"][first], device)
            bias = to_tensor(arrays["beta"][first], device) if "beta" in arrays else None
            with torch.no_grad():
                y = call()(to_tensor(arrays["x"][idx], device), h, weight, bias)
            return {"y": to_numpy(y)}

        return per_group(arrays, [*hyper, *affine], run)

    return compute


def _layer_norm() -> Normalize:
    import torch.nn.functional as F

    return lambda x, h, w, b: F.layer_norm(x, (x.shape[-1],), w, b, h["eps"])


def _rms_norm() -> Normalize:
    import torch.nn.functional as F

    return lambda x, h, w, b: F.rms_norm(x, (x.shape[-1],), w, h["eps"])


def _group_norm() -> Normalize:
    import torch.nn.functional as F

    def group_norm(
        x: torch.Tensor, h: dict[str, float], w: torch.Tensor, b: torch.Tensor | None
    ) -> torch.Tensor:
        groups = as_count(h["num_groups"], "num_groups", minimum=1)
        if x.shape[1] % groups:
            raise ValueError(f"num_groups = {groups} does not divide the {x.shape[1]} channels")
        return F.group_norm(x, groups, w, b, h["eps"])

    return group_norm


REFERENCES = (
    Reference(
        name="batch_norm_train",
        summary="BatchNorm in training mode on a (b, c) batch: normalise with the batch's "
        "statistics and update the running ones.",
        torch_api="torch.nn.BatchNorm1d (train mode)",
        inputs=(
            Param("x", ("b", "c"), None, "a batch of b rows with c channels (b ≥ 2)"),
            _gamma(("c",)),
            _beta(("c",)),
            Param("running_mean_prev", ("c",), 0.0, "running mean before the step"),
            Param("running_var_prev", ("c",), 1.0, "running variance before the step"),
            Param("momentum", (), 0.1, "weight of the NEW batch statistic in the running ones"),
            EPS,
        ),
        outputs=(
            Output("y", ("b", "c"), "(x − batch_mean)/sqrt(batch_var + eps)·gamma + beta"),
            Output("batch_mean", ("c",), "the batch mean per channel"),
            Output("batch_var", ("c",), "the BIASED batch variance (used in the forward pass)"),
            Output("running_mean", ("c",), "(1 − momentum)·running_mean + momentum·batch_mean"),
            Output("running_var", ("c",), "updated with the UNBIASED batch variance (n/(n−1))"),
        ),
        mistakes=(
            Mistake(
                "running-var-biased",
                "running_var",
                "(1 - momentum) * running_var_prev + momentum * batch_var",
                "Updated the running variance with the biased batch variance; torch uses the "
                "unbiased one, b/(b−1) times larger (the forward pass uses the biased one).",
            ),
            Mistake(
                "momentum-weights-swapped",
                "running_mean",
                "momentum * running_mean_prev + (1 - momentum) * batch_mean",
                "Swapped the weights; torch's momentum (0.1) weights the NEW batch statistic: "
                "running = 0.9·running + 0.1·batch.",
            ),
            Mistake(
                "momentum-0.01",
                "running_mean",
                "0.99 * running_mean_prev + 0.01 * batch_mean",
                "Used momentum 0.01; torch's BatchNorm default is momentum = 0.1.",
            ),
            Mistake(
                "no-eps",
                "y",
                "(x - batch_mean) / sqrt(batch_var) * gamma + beta",
                "Divided by the bare standard deviation; torch adds eps (1e-5) to the "
                "variance inside the square root.",
            ),
        ),
        topic="normalization",
        compute=_batch_norm_train,
    ),
    Reference(
        name="batch_norm_eval",
        summary="BatchNorm in evaluation mode: normalise one row with the running statistics.",
        torch_api="torch.nn.BatchNorm1d (eval mode)",
        inputs=(
            Param("x", ("c",), None, "one row with c channels"),
            _gamma(("c",)),
            _beta(("c",)),
            Param("running_mean", ("c",), 0.0, "the running mean"),
            Param("running_var", ("c",), 1.0, "the running (unbiased) variance"),
            EPS,
        ),
        outputs=(Output("y", ("c",), "(x − running_mean)/sqrt(running_var + eps)·gamma + beta"),),
        mistakes=(
            Mistake(
                "variance-not-rooted",
                "y",
                "(x - running_mean) / (running_var + eps) * gamma + beta",
                "Divided by the variance; BatchNorm divides by sqrt(running_var + eps).",
            ),
            Mistake(
                "eps-outside-sqrt",
                "y",
                "(x - running_mean) / (sqrt(running_var) + eps) * gamma + beta",
                "Added eps to the standard deviation; torch adds it to the variance, inside the square root.",
            ),
        ),
        topic="normalization",
        compute=_batch_norm_eval,
    ),
    Reference(
        name="layer_norm",
        summary="LayerNorm over a vector: its own mean and biased variance, in train and eval.",
        torch_api="torch.nn.functional.layer_norm",
        inputs=(
            Param("x", ("n",), None, "one sample's features"),
            _gamma(("n",)),
            _beta(("n",)),
            EPS,
        ),
        outputs=(Output("y", ("n",), "(x − mean(x))/sqrt(var(x) + eps)·gamma + beta"),),
        mistakes=(
            Mistake(
                "eps-outside-sqrt",
                "y",
                "(x - mean(x)) / (sqrt(var(x)) + eps) * gamma + beta",
                "Added eps to the standard deviation; torch adds it inside the square root.",
            ),
            Mistake(
                "no-centering",
                "y",
                "x / sqrt(mean(x ^ 2) + eps) * gamma + beta",
                "Skipped subtracting the mean (that is RMSNorm); LayerNorm centres first.",
            ),
        ),
        topic="normalization",
        compute=_per_group(_layer_norm, ["eps"], ["gamma", "beta"]),
    ),
    Reference(
        name="rms_norm",
        summary="RMSNorm: x / sqrt(mean(x²) + eps) · gamma, no centring and no shift.",
        torch_api="torch.nn.functional.rms_norm",
        inputs=(
            Param("x", ("n",), None, "one sample's features"),
            _gamma(("n",)),
            Param(
                "eps",
                (),
                FLOAT32_EPS,
                "added to mean(x²) inside the root; torch's eps=None means finfo(dtype).eps, "
                "here float32's 2^−23 (a float32 model's value; float64's would be 2.2e−16)",
            ),
        ),
        outputs=(Output("y", ("n",), "x / sqrt(mean(x²) + eps) · gamma"),),
        mistakes=(
            Mistake(
                "eps-outside-sqrt",
                "y",
                "x / (sqrt(mean(x ^ 2)) + eps) * gamma",
                "Added eps to the root mean square; torch adds it to mean(x²) inside the root.",
            ),
            Mistake(
                "centered",
                "y",
                "(x - mean(x)) / sqrt(var(x) + eps) * gamma",
                "Centred x first (that is LayerNorm); RMSNorm only rescales by the RMS.",
            ),
            Mistake(
                "norm-without-sqrt-n",
                "y",
                "x / norm(x) * gamma",
                "Divided by the norm ‖x‖; the RMS is ‖x‖/√n, so the result is √n times too small.",
            ),
        ),
        topic="normalization",
        compute=_per_group(_rms_norm, ["eps"], ["gamma"]),
    ),
    Reference(
        name="group_norm",
        summary="GroupNorm on one sample: statistics over each group of channels (and all "
        "positions), then a per-channel scale and shift.",
        torch_api="torch.nn.functional.group_norm",
        inputs=(
            Param("x", ("c", "s"), None, "one sample: c channels × s positions"),
            Param("num_groups", (), None, "number of groups; must divide c"),
            _gamma(("c",)),
            _beta(("c",)),
            EPS,
        ),
        outputs=(Output("y", ("c", "s"), "normalised per group, then gamma·ŷ + beta per channel"),),
        mistakes=(
            Mistake(
                "instance-norm",
                "y",
                "transpose((transpose(x) - mean(x)) / sqrt(var(x) + eps) * gamma + beta)",
                "Normalised each channel on its own (InstanceNorm); GroupNorm pools the "
                "statistics of the c/num_groups channels of a group.",
            ),
            Mistake(
                "layer-norm",
                "y",
                "transpose(transpose((x - mean(mean(x))) / sqrt(mean(mean(x ^ 2)) - mean(mean(x)) ^ 2 + eps)) * gamma + beta)",
                "Normalised over all channels at once (LayerNorm, num_groups = 1); GroupNorm "
                "takes statistics per group.",
            ),
        ),
        topic="normalization",
        compute=_per_group(_group_norm, ["eps", "num_groups"], ["gamma", "beta"]),
    ),
)
