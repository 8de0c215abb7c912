"""Activation references: values and derivatives, the derivatives taken by torch.autograd.

Scalar activations take `x` and give `y` and its derivative `dy`; each instance is one
element of a single tensor, so the whole batch is one torch call and one backward pass.
Vector activations (softmax, log_softmax) give the Jacobian; the gated ones (glu, swiglu)
take their two halves as the rows of a (2, h) item, which is exactly how F.glu splits
its input (first half the value, second half the gate).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from engine.references.registry import (
    Arrays,
    Compute,
    Mistake,
    Output,
    Param,
    Reference,
    group_instances,
    scalars,
    to_numpy,
    to_tensor,
)

if TYPE_CHECKING:
    import torch

Activation = Callable[["torch.Tensor", dict[str, float]], "torch.Tensor"]
"""Applies an activation to a batch, given the parameters its instances share."""


@cache
def _functions() -> dict[str, Activation]:
    """The torch calls behind each reference, built when a reference first runs."""
    import torch
    import torch.nn.functional as F

    def swish(x: torch.Tensor, h: dict[str, float]) -> torch.Tensor:
        return x * torch.sigmoid(h["beta"] * x)

    def halves(x: torch.Tensor) -> torch.Tensor:
        # A (2, h) item flattened row by row is [value half, gate half]: F.glu's layout.
        return x.reshape(x.shape[0], -1)

    return {
        "sigmoid": lambda x, h: torch.sigmoid(x),
        "tanh": lambda x, h: torch.tanh(x),
        "relu": lambda x, h: F.relu(x),
        "leaky_relu": lambda x, h: F.leaky_relu(x, h["negative_slope"]),
        "elu": lambda x, h: F.elu(x, h["alpha"]),
        "selu": lambda x, h: F.selu(x),
        "gelu": lambda x, h: F.gelu(x),
        "gelu_tanh": lambda x, h: F.gelu(x, approximate="tanh"),
        "gelu_sigmoid": lambda x, h: swish(x, {"beta": 1.702}),
        "silu": lambda x, h: F.silu(x),
        "swish": swish,
        "softplus": lambda x, h: F.softplus(x, h["beta"], h["threshold"]),
        "mish": lambda x, h: F.mish(x),
        "hardswish": lambda x, h: F.hardswish(x),
        "hardsigmoid": lambda x, h: F.hardsigmoid(x),
        "softmax": lambda x, h: F.softmax(x, dim=-1),
        "log_softmax": lambda x, h: F.log_softmax(x, dim=-1),
        "glu": lambda x, h: F.glu(halves(x), dim=-1),
        "swiglu": lambda x, h: x[:, 0] * F.silu(x[:, 1]),
    }


def _apply(name: str, arrays: Arrays, hyper: list[str], x: torch.Tensor) -> torch.Tensor:
    """The activation on x, one torch call per group of instances sharing `hyper`."""
    import torch

    fn = _functions()[name]
    groups = group_instances(arrays, hyper)
    if len(groups) == 1:
        return fn(x, scalars(arrays, 0, hyper))
    # Differing parameters: a call per group, put back in instance order (autograd flows
    # through index_copy, so the derivatives stay per instance).
    parts = [fn(x[idx], scalars(arrays, int(idx[0]), hyper)) for idx in groups]
    out = x.new_zeros((x.shape[0], *parts[0].shape[1:]))
    for idx, part in zip(groups, parts, strict=True):
        out = out.index_copy(0, torch.as_tensor(idx, device=x.device), part)
    return out


def _elementwise(name: str, hyper: list[str]) -> Compute:
    """y and dy/dx of a scalar activation; for glu-like items, d(sum y)/dx."""

    def compute(arrays: Arrays, device: torch.device) -> Arrays:
        import torch

        x = to_tensor(arrays["x"], device).requires_grad_(True)
        y = _apply(name, arrays, hyper, x)
        # Each y depends on its own x (glu: on its own value and gate), so the gradient
        # of the sum holds every instance's derivatives.
        (dy,) = torch.autograd.grad(y.sum(), x)
        return {"y": to_numpy(y), "dy": to_numpy(dy)}

    return compute


def _with_jacobian(name: str) -> Compute:
    """y and the Jacobian dy_i/dx_j of a vector activation, one backward pass per row."""

    def compute(arrays: Arrays, device: torch.device) -> Arrays:
        import torch

        x = to_tensor(arrays["x"], device).requires_grad_(True)
        y = _apply(name, arrays, [], x)
        rows = [torch.autograd.grad(y[:, i].sum(), x, retain_graph=True)[0] for i in range(y.shape[1])]
        return {"y": to_numpy(y), "jacobian": to_numpy(torch.stack(rows, dim=1))}

    return compute


X = Param("x", (), None, "the input")
Y = Output("y", (), "the activation's value")
DY = Output("dy", (), "its derivative dy/dx, by torch.autograd")


def _scalar(
    name: str,
    summary: str,
    torch_api: str,
    params: tuple[Param, ...] = (),
    mistakes: tuple[Mistake, ...] = (),
) -> Reference:
    return Reference(
        name=name,
        summary=summary,
        torch_api=torch_api,
        inputs=(X, *params),
        outputs=(Y, DY),
        mistakes=mistakes,
        topic="activations",
        compute=_elementwise(name, [p.name for p in params]),
    )


GELU_TANH = "0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x ^ 3)))"

REFERENCES = (
    _scalar(
        "sigmoid",
        "The logistic sigmoid σ(x) = 1/(1 + e^(−x)).",
        "torch.sigmoid",
        mistakes=(
            Mistake(
                "derivative-of-x",
                "dy",
                "x * (1 - x)",
                "Applied σ(1−σ) to x; the derivative is σ(x)(1 − σ(x)).",
            ),
        ),
    ),
    _scalar(
        "tanh",
        "The hyperbolic tangent, 2σ(2x) − 1.",
        "torch.tanh",
        mistakes=(
            Mistake(
                "derivative-of-x",
                "dy",
                "1 - x ^ 2",
                "Applied 1 − tanh² to x; the derivative is 1 − tanh(x)².",
            ),
            Mistake(
                "sigmoid-derivative-form",
                "dy",
                "y * (1 - y)",
                "Used the sigmoid's derivative form y(1 − y); tanh′ = 1 − y².",
            ),
        ),
    ),
    _scalar(
        "relu",
        "max(0, x); torch's derivative at exactly 0 is 0.",
        "torch.nn.functional.relu",
        mistakes=(
            Mistake(
                "derivative-one-at-zero",
                "dy",
                "where(x >= 0, 1, 0)",
                "Took the derivative at 0 as 1; torch's ReLU backward gives 0 at x = 0.",
            ),
        ),
    ),
    _scalar(
        "leaky_relu",
        "x if x > 0 else negative_slope·x.",
        "torch.nn.functional.leaky_relu",
        (Param("negative_slope", (), 0.01, "slope for x < 0"),),
        (
            Mistake(
                "max-form",
                "y",
                "max(negative_slope * x, x)",
                "Wrote max(a·x, x); it equals torch's x if x > 0 else a·x only for a ≤ 1.",
            ),
        ),
    ),
    _scalar(
        "elu",
        "x if x > 0 else alpha·(e^x − 1).",
        "torch.nn.functional.elu",
        (Param("alpha", (), 1.0, "scale of the negative part"),),
        (
            Mistake(
                "missing-minus-one",
                "y",
                "where(x > 0, x, alpha * exp(x))",
                "Forgot the −1: ELU's negative part is α(e^x − 1), which is 0 at x = 0.",
            ),
        ),
    ),
    _scalar(
        "selu",
        "λ·elu(x, α) with λ = 1.0507009873554805, α = 1.6732632423543772.",
        "torch.nn.functional.selu",
        mistakes=(
            Mistake(
                "lambda-omitted",
                "y",
                "where(x > 0, x, 1.6732632423543772 * (exp(x) - 1))",
                "Left out the scale λ = 1.0507…; SELU is λ·ELU(x, α) on both sides of 0.",
            ),
        ),
    ),
    _scalar(
        "gelu",
        "Exact GELU x·Φ(x) (torch's default, approximate='none').",
        "torch.nn.functional.gelu",
        mistakes=(
            Mistake(
                "tanh-approximation",
                "y",
                GELU_TANH,
                "Used the tanh approximation; torch's default GELU is exact, x·Φ(x) "
                "(they differ by up to 4.7e−4).",
            ),
            Mistake(
                "sigmoid-approximation",
                "y",
                "x * sigmoid(1.702 * x)",
                "Used x·σ(1.702x); it only approximates GELU (error up to 0.02).",
            ),
            Mistake(
                "missing-product-rule",
                "dy",
                "Phi(x)",
                "Differentiated x·Φ(x) as Φ(x); the derivative is Φ(x) + x·φ(x).",
            ),
        ),
    ),
    _scalar(
        "gelu_tanh",
        "GELU's tanh approximation ½x(1 + tanh(√(2/π)(x + 0.044715x³))).",
        "torch.nn.functional.gelu(approximate='tanh')",
        mistakes=(
            Mistake(
                "exact-gelu",
                "y",
                "x * Phi(x)",
                "Gave exact GELU; approximate='tanh' computes the tanh formula.",
            ),
        ),
    ),
    _scalar(
        "gelu_sigmoid",
        "The sigmoid approximation of GELU, x·σ(1.702x) (not a torch op).",
        "composed of torch ops: x * torch.sigmoid(1.702 * x)",
    ),
    _scalar(
        "silu",
        "SiLU x·σ(x) (Swish with β = 1).",
        "torch.nn.functional.silu",
        mistakes=(
            Mistake(
                "missing-product-rule",
                "dy",
                "sigmoid(x)",
                "Differentiated x·σ(x) as σ(x); the derivative is σ(x)(1 + x(1 − σ(x))).",
            ),
        ),
    ),
    _scalar(
        "swish",
        "Swish x·σ(βx) (not a torch op; β = 1 is SiLU).",
        "composed of torch ops: x * torch.sigmoid(beta * x)",
        (Param("beta", (), 1.0, "the slope inside the sigmoid"),),
        (
            Mistake(
                "beta-ignored", "y", "x * sigmoid(x)", "Dropped β: Swish is x·σ(βx), SiLU only when β = 1."
            ),
            Mistake(
                "silu-derivative",
                "dy",
                "y + sigmoid(beta * x) * (1 - y)",
                "Used SiLU's derivative f + σ(1 − f); Swish's is βf + σ(βx)(1 − βf).",
            ),
        ),
    ),
    _scalar(
        "softplus",
        "(1/β)·log(1 + e^(βx)), and x itself where βx > threshold.",
        "torch.nn.functional.softplus",
        (
            Param("beta", (), 1.0, "sharpness"),
            Param("threshold", (), 20.0, "above βx > threshold torch returns x"),
        ),
        (
            Mistake(
                "beta-not-divided",
                "y",
                "log(1 + exp(beta * x))",
                "Forgot to divide by β: softplus is log(1 + e^(βx))/β.",
            ),
        ),
    ),
    _scalar("mish", "x·tanh(softplus(x)).", "torch.nn.functional.mish"),
    _scalar("hardswish", "x·relu6(x + 3)/6.", "torch.nn.functional.hardswish"),
    _scalar(
        "hardsigmoid",
        "relu6(x + 3)/6: slope 1/6, saturating at ±3.",
        "torch.nn.functional.hardsigmoid",
        mistakes=(
            Mistake(
                "slope-0.2",
                "y",
                "clip(0.2 * x + 0.5, 0, 1)",
                "Used Keras's hard sigmoid (slope 0.2); torch's is relu6(x + 3)/6, slope 1/6.",
            ),
        ),
    ),
    *(
        Reference(
            name=name,
            summary=summary,
            torch_api=f"torch.nn.functional.{name}(dim=-1)",
            inputs=(Param("x", ("n",), None, "the input vector (logits)"),),
            outputs=(
                Output("y", ("n",), f"{name}(x)"),
                Output("jacobian", ("n", "n"), "dy_i/dx_j, by torch.autograd"),
            ),
            mistakes=(),
            topic="activations",
            compute=_with_jacobian(name),
        )
        for name, summary in (
            ("softmax", "softmax(x)_i = e^(x_i)/Σ_j e^(x_j), computed with the max subtracted."),
            ("log_softmax", "log softmax(x)_i = x_i − logsumexp(x), stable for large inputs."),
        )
    ),
    *(
        Reference(
            name=name,
            summary=summary,
            torch_api=api,
            inputs=(Param("x", (2, "h"), None, "row 0: the value half a; row 1: the gate half b"),),
            outputs=(
                Output("y", ("h",), "the gated output"),
                Output("dy", (2, "h"), "dy_i/da_i (row 0) and dy_i/db_i (row 1), by autograd"),
            ),
            mistakes=mistakes,
            topic="activations",
            compute=_elementwise(name, []),
        )
        for name, summary, api, mistakes in (
            (
                "glu",
                "GLU a·σ(b): the first half of the input is the value, the second the gate.",
                "torch.nn.functional.glu(dim=-1) on the flattened (2, h) item, i.e. cat([a, b])",
                (
                    Mistake(
                        "gate-on-first-half",
                        "y",
                        "sigmoid(x[0]) * x[1]",
                        "Gated with the first half; F.glu gates with the SECOND half: a·σ(b).",
                    ),
                ),
            ),
            (
                "swiglu",
                "SwiGLU a·silu(b), with F.glu's layout (value first, gate second).",
                "composed of torch ops: a * torch.nn.functional.silu(b)",
                (
                    Mistake(
                        "gate-on-first-half",
                        "y",
                        "x[0] * sigmoid(x[0]) * x[1]",
                        "Applied Swish to the first half; here, as in F.glu, the second "
                        "half is the gate: a·silu(b).",
                    ),
                    Mistake(
                        "sigmoid-gate",
                        "y",
                        "x[0] * sigmoid(x[1])",
                        "Gated with σ(b) (that is GLU); SwiGLU gates with silu(b) = b·σ(b).",
                    ),
                ),
            ),
        )
    ),
)
