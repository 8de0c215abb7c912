"""Regularization references: L2 weight decay, the L1 soft threshold, ridge, clipping."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.references.registry import (
    Arrays,
    Mistake,
    Output,
    Param,
    Reference,
    get_reference,
    to_numpy,
    to_tensor,
)

if TYPE_CHECKING:
    import torch


def _l2_sgd_step(arrays: Arrays, device: torch.device) -> Arrays:
    """torch.optim.SGD's weight_decay, through the sgd_step reference (momentum 0)."""
    import numpy as np

    plain = {"momentum": 0.0, "dampening": 0.0, "nesterov": 0.0, "b_prev": 0.0, "t": 1.0}
    count = len(arrays["theta_prev"])
    sgd_inputs = {**arrays, **{name: np.full(count, value) for name, value in plain.items()}}
    return {"theta": get_reference("sgd_step").compute(sgd_inputs, device)["theta"]}


def _soft_threshold(arrays: Arrays, device: torch.device) -> Arrays:
    import torch

    w_star, curvature, alpha = (to_tensor(arrays[name], device) for name in ("w_star", "H", "alpha"))
    if bool((curvature <= 0).any()):
        raise ValueError("H (the curvature) must be positive")
    # softshrink(w*, α/H), written with tensor ops because its lambd is one Python number.
    w = torch.sign(w_star) * torch.relu(w_star.abs() - alpha / curvature)
    return {"w": to_numpy(w)}


def _ridge(arrays: Arrays, device: torch.device) -> Arrays:
    import torch

    X, y = to_tensor(arrays["X"], device), to_tensor(arrays["y"], device)
    alpha = to_tensor(arrays["alpha"], device)
    eye = torch.eye(X.shape[-1], dtype=X.dtype, device=device)
    gram = X.transpose(-1, -2) @ X + (alpha / 2)[:, None, None] * eye
    w = torch.linalg.solve(gram, (X.transpose(-1, -2) @ y[..., None]))[..., 0]
    return {"w": to_numpy(w)}


def _clip_grad_norm(arrays: Arrays, device: torch.device) -> Arrays:
    """clip_grad_norm_ per instance: its total norm is over all the grads of one call."""
    import numpy as np
    import torch

    clipped = np.empty_like(arrays["grad"])
    total = np.empty(len(clipped))
    for i, grad in enumerate(arrays["grad"]):
        param = torch.nn.Parameter(torch.zeros(len(grad), dtype=torch.float64, device=device))
        param.grad = to_tensor(grad, device)
        norm = torch.nn.utils.clip_grad_norm_(
            [param], float(arrays["max_norm"][i]), float(arrays["norm_type"][i])
        )
        total[i], clipped[i] = float(norm), to_numpy(param.grad)
    return {"total_norm": total, "clipped": clipped}


REFERENCES = (
    Reference(
        name="l2_sgd_step",
        summary="One SGD step with weight decay: gradient descent on J + (wd/2)·‖θ‖².",
        torch_api="torch.optim.SGD(weight_decay=...)",
        inputs=(
            Param("theta_prev", (), None, "the parameter before the step"),
            Param("grad", (), None, "the gradient of the unregularised loss J"),
            Param("lr", (), 1e-3, "learning rate"),
            Param("weight_decay", (), None, "wd: θ ← θ − lr·(∇J + wd·θ) = (1 − lr·wd)θ − lr·∇J"),
        ),
        outputs=(Output("theta", (), "the parameter after the step"),),
        mistakes=(
            Mistake(
                "decay-without-lr",
                "theta",
                "theta_prev * (1 - weight_decay) - lr * grad",
                "Shrank θ by (1 − wd); the decay is a gradient term, so it is scaled by lr: (1 − lr·wd)·θ.",
            ),
            Mistake(
                "double-decay",
                "theta",
                "theta_prev - lr * (grad + 2 * weight_decay * theta_prev)",
                "Differentiated wd·‖θ‖²; torch's weight_decay is the gradient wd·θ, i.e. the "
                "penalty (wd/2)·‖θ‖².",
            ),
        ),
        topic="regularization",
        compute=_l2_sgd_step,
    ),
    Reference(
        name="l1_soft_threshold",
        summary="The L1-regularised minimum of a quadratic with diagonal curvature H: "
        "sign(w*)·max(|w*| − α/H, 0).",
        torch_api="composed of torch ops: sign(w*) * relu(|w*| − α/H) "
        "(= torch.nn.functional.softshrink(w*, α/H))",
        inputs=(
            Param("w_star", (), None, "the unregularised minimiser w*"),
            Param("H", (), None, "the curvature H_ii > 0 (the Hessian's diagonal entry)"),
            Param("alpha", (), None, "the L1 strength α in α·|w|"),
        ),
        outputs=(Output("w", (), "the regularised minimiser"),),
        mistakes=(
            Mistake(
                "no-clamp",
                "w",
                "sign(w_star) * (abs(w_star) - alpha / H)",
                "Forgot the max(·, 0): where |w*| ≤ α/H the minimiser is exactly 0.",
            ),
            Mistake(
                "signed-condition",
                "w",
                "where(w_star > alpha / H, w_star - alpha / H, 0)",
                "Compared w* rather than |w*| with α/H; negative w* shrink towards 0 too.",
            ),
        ),
        topic="regularization",
        compute=_soft_threshold,
    ),
    Reference(
        name="ridge",
        summary="The minimiser of ‖Xw − y‖² + (α/2)·‖w‖²: w = (XᵀX + (α/2)·I)⁻¹Xᵀy.",
        torch_api="composed of torch ops: torch.linalg.solve(XᵀX + (α/2)·I, Xᵀy)",
        inputs=(
            Param("X", ("m", "d"), None, "design matrix, one row per example"),
            Param("y", ("m",), None, "targets"),
            Param("alpha", (), None, "α in the penalty (α/2)·wᵀw (the notes' convention)"),
        ),
        outputs=(Output("w", ("d",), "the minimiser"),),
        mistakes=(
            Mistake(
                "penalty-factor",
                "w",
                "inv(transpose(X) @ X + alpha * inv(transpose(X) @ X) @ transpose(X) @ X) @ transpose(X) @ y",
                "Used (XᵀX + αI)⁻¹Xᵀy; with the penalty (α/2)·wᵀw and the unhalved squared "
                "error the minimiser is (XᵀX + (α/2)I)⁻¹Xᵀy. (I is written inv(XᵀX)·XᵀX.)",
            ),
        ),
        topic="regularization",
        compute=_ridge,
    ),
    Reference(
        name="clip_grad_norm",
        summary="Clip a gradient vector to max_norm: scale by min(1, max_norm/(‖g‖ + 1e-6)); "
        "returns the norm before clipping.",
        torch_api="torch.nn.utils.clip_grad_norm_",
        inputs=(
            Param("grad", ("n",), None, "all gradients taken together"),
            Param("max_norm", (), None, "the largest norm allowed"),
            Param("norm_type", (), 2.0, "p of the p-norm (inf allowed)"),
        ),
        outputs=(
            Output("total_norm", (), "the norm BEFORE clipping (what torch returns)"),
            Output("clipped", ("n",), "the gradients after clipping"),
        ),
        mistakes=(
            Mistake(
                "no-epsilon",
                "clipped",
                "grad * min(1, max_norm / norm(grad))",
                "Left out the 1e-6: torch scales by max_norm/(‖g‖ + 1e-6), so the clipped norm "
                "is slightly below max_norm.",
            ),
            Mistake(
                "always-rescale",
                "clipped",
                "grad * max_norm / (norm(grad) + 1e-6)",
                "Rescaled every gradient; the factor is clamped at 1, so small gradients are left alone.",
            ),
            Mistake(
                "returns-clipped-norm",
                "total_norm",
                "min(norm(grad), max_norm)",
                "Took the returned value as the clipped norm; clip_grad_norm_ returns the "
                "norm before clipping.",
            ),
        ),
        topic="regularization",
        compute=_clip_grad_norm,
    ),
)
