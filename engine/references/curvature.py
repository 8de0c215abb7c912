"""Curvature of a function at a point: gradient, Hessian, eigenvalues, classification, Newton.

torch has no "classify this critical point" op, so these references compose torch ops
and say so: the function, written by a card as an expression, is evaluated with torch
tensors (engine.expr.torch_eval) on a batch of points; `torch.autograd.grad` gives the
gradient, and differentiating each of its components again gives the Hessian's rows;
`torch.linalg.eigvalsh` gives the eigenvalues and `torch.linalg.solve` the Newton step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.references.registry import Arrays, FunctionInput, Mistake, Output, Param, Reference

if TYPE_CHECKING:
    import torch

CLASSES = ("local minimum", "local maximum", "saddle point", "inconclusive", "not a critical point")
"""What `classification` can be, in index order."""

ZERO_TOLERANCE = 1e-9
"""An eigenvalue or gradient entry this small (relative to 1) counts as zero."""


def _derivatives(
    arrays: Arrays, device: torch.device, function: FunctionInput
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(f, gradient, Hessian) at each instance's point, by autograd."""
    import torch

    from engine.expr.torch_eval import torch_evaluate

    point = torch.tensor(arrays["point"], dtype=torch.float64, device=device, requires_grad=True)
    if point.shape[1] != len(function.variables):
        raise ValueError(
            f"the point has {point.shape[1]} coordinates but the function has {len(function.variables)} variables"
        )
    env = {name: point[:, index] for index, name in enumerate(function.variables)}
    env |= {
        name: torch.tensor(value, dtype=torch.float64, device=device)
        for name, value in function.coefficients.items()
    }
    value = torch_evaluate(function.node, env).expand(point.shape[0])
    (gradient,) = torch.autograd.grad(value.sum(), point, create_graph=True)
    rows = []
    for index in range(point.shape[1]):
        (row,) = torch.autograd.grad(gradient[:, index].sum(), point, retain_graph=True, allow_unused=True)
        rows.append(row if row is not None else torch.zeros_like(point))
    hessian = torch.stack(rows, dim=1)
    return value.detach(), gradient.detach(), hessian.detach()


def _classify(arrays: Arrays, device: torch.device, function: FunctionInput) -> Arrays:
    import torch

    value, gradient, hessian = _derivatives(arrays, device, function)
    eigenvalues = torch.linalg.eigvalsh(hessian)
    tolerance = ZERO_TOLERANCE * torch.clamp(eigenvalues.abs().amax(dim=1), min=1.0)
    critical = gradient.abs().amax(dim=1) <= ZERO_TOLERANCE
    zero = (eigenvalues.abs() <= tolerance[:, None]).any(dim=1)
    positive, negative = (eigenvalues > 0).all(dim=1), (eigenvalues < 0).all(dim=1)
    classification = torch.full_like(value, 2.0)  # saddle point unless shown otherwise
    classification[positive] = 0.0
    classification[negative] = 1.0
    classification[zero] = 3.0  # a zero eigenvalue overrides the signs of the others
    classification[~critical] = 4.0
    ratio = (eigenvalues > tolerance[:, None]).to(torch.float64).mean(dim=1)
    return {
        "value": value.cpu().numpy(),
        "gradient": gradient.cpu().numpy(),
        "hessian": hessian.cpu().numpy(),
        "eigenvalues": eigenvalues.cpu().numpy(),
        "classification": classification.cpu().numpy(),
        "min_ratio": ratio.cpu().numpy(),
    }


def _newton(arrays: Arrays, device: torch.device, function: FunctionInput) -> Arrays:
    import torch

    value, gradient, hessian = _derivatives(arrays, device, function)
    step = -torch.linalg.solve(hessian, gradient)
    point = torch.tensor(arrays["point"], dtype=torch.float64, device=device)
    return {
        "value": value.cpu().numpy(),
        "gradient": gradient.cpu().numpy(),
        "hessian": hessian.cpu().numpy(),
        "step": step.cpu().numpy(),
        "next_point": (point + step).cpu().numpy(),
    }


_POINT = Param("point", ("d",), None, "the point, one coordinate per variable of the function")
_SHARED_OUTPUTS = (
    Output("value", (), "f at the point"),
    Output("gradient", ("d",), "∇f at the point (torch.autograd.grad)"),
    Output("hessian", ("d", "d"), "the Hessian: each gradient component differentiated again"),
)

REFERENCES = (
    Reference(
        name="hessian_classify",
        summary="Gradient, Hessian, eigenvalues and second-order classification of a point",
        torch_api="composed of torch ops: torch.autograd.grad (twice) and torch.linalg.eigvalsh",
        inputs=(_POINT,),
        outputs=(
            *_SHARED_OUTPUTS,
            Output("eigenvalues", ("d",), "the Hessian's eigenvalues, ascending"),
            Output(
                "classification", (), "by the eigenvalues' signs; a zero eigenvalue is inconclusive", CLASSES
            ),
            Output("min_ratio", (), "share of positive eigenvalues (the notes' 'minimum ratio')"),
        ),
        mistakes=(
            Mistake(
                "ratio-counts-negatives",
                "min_ratio",
                "1 - min_ratio",
                "The minimum ratio counts the POSITIVE eigenvalues: positive ones / all of them.",
            ),
        ),
        topic="curvature",
        compute=_classify,
        takes_function=True,
    ),
    Reference(
        name="newton_step",
        summary="One Newton step θ − H⁻¹∇f on a function given as an expression",
        torch_api="composed of torch ops: torch.autograd.grad (twice) and torch.linalg.solve",
        inputs=(_POINT,),
        outputs=(
            *_SHARED_OUTPUTS,
            Output("step", ("d",), "−H⁻¹∇f"),
            Output("next_point", ("d",), "the new point, point + step"),
        ),
        mistakes=(
            Mistake(
                "gradient-step",
                "next_point",
                "point - gradient",
                "That is a gradient-descent step with lr = 1; Newton's step divides by the curvature: −H⁻¹∇f.",
            ),
        ),
        topic="curvature",
        compute=_newton,
        takes_function=True,
    ),
)
