"""Backprop references against gradients worked out by hand in numpy (the closed forms), and
against a second path: torch.autograd.functional.jacobian, a real module's .grad, or central
differences of a numpy forward pass in float64."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from engine.expr.numeric import evaluate
from engine.expr.parser import parse
from engine.references import FunctionInput, ReferenceInputError, get_reference, run_reference

RNG = np.random.default_rng(11)
Forward = Callable[[np.ndarray], float]


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def central_differences(loss: Forward, at: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """∂loss/∂at, entry by entry, by (loss(at + h·e) − loss(at − h·e))/(2h) in float64."""
    grad = np.zeros_like(at)
    for index in np.ndindex(at.shape):
        step = np.zeros_like(at)
        step[index] = h
        grad[index] = (loss(at + step) - loss(at - step)) / (2 * h)
    return grad


# Linear layers ------------------------------------------------------------------------------


def test_linear_backward_closed_forms_and_shapes() -> None:
    n, d, m = 5, 3, 2  # W is (out, in) = (2, 3): dW has W's shape, dx has x's
    x, W, b, delta = (
        RNG.normal(size=(n, d)),
        RNG.normal(size=(n, m, d)),
        RNG.normal(size=(n, m)),
        RNG.normal(size=(n, m)),
    )
    out = run_reference("linear_backward", {"x": x, "W": W, "b": b, "grad_y": delta}, n=n)
    np.testing.assert_allclose(out["y"], np.einsum("nij,nj->ni", W, x) + b, atol=1e-14)
    np.testing.assert_allclose(out["dW"], delta[:, :, None] * x[:, None, :], atol=1e-14)  # δxᵀ
    np.testing.assert_allclose(out["db"], delta, atol=1e-15)
    np.testing.assert_allclose(out["dx"], np.einsum("nij,ni->nj", W, delta), atol=1e-14)  # Wᵀδ
    assert out["dW"].shape == (n, m, d)
    assert out["dx"].shape == (n, d)


def test_linear_backward_against_the_jacobian() -> None:
    """dL/dW = Σ_i δ_i ∂y_i/∂W: the full Jacobian of F.linear, contracted with δ by hand."""
    x, W, b, delta = RNG.normal(size=3), RNG.normal(size=(2, 3)), RNG.normal(size=2), RNG.normal(size=2)
    out = run_reference("linear_backward", {"x": x, "W": W, "b": b, "grad_y": delta}, n=1)
    jac_x, jac_W, _ = torch.autograd.functional.jacobian(
        F.linear, (torch.tensor(x), torch.tensor(W), torch.tensor(b))
    )
    np.testing.assert_allclose(out["dW"][0], np.einsum("i,ijk->jk", delta, jac_W.numpy()), atol=1e-14)
    np.testing.assert_allclose(out["dx"][0], delta @ jac_x.numpy(), atol=1e-14)


def test_linear_batch_backward_sums_over_the_batch() -> None:
    n, b, d, m = 4, 3, 2, 3
    X, W = RNG.normal(size=(n, b, d)), RNG.normal(size=(n, m, d))
    bias, delta = RNG.normal(size=(n, m)), RNG.normal(size=(n, b, m))
    out = run_reference("linear_batch_backward", {"X": X, "W": W, "b": bias, "grad_Y": delta}, n=n)
    np.testing.assert_allclose(out["Y"], X @ W.transpose(0, 2, 1) + bias[:, None], atol=1e-14)
    np.testing.assert_allclose(out["dW"], delta.transpose(0, 2, 1) @ X, atol=1e-14)  # δᵀX, (out, in)
    np.testing.assert_allclose(out["db"], delta.sum(1), atol=1e-14)
    np.testing.assert_allclose(out["dX"], delta @ W, atol=1e-14)
    # The sum of the per-row outer products δ_r x_rᵀ: the single-vector reference, row by row.
    rows = run_reference(
        "linear_backward",
        {"x": X.reshape(-1, d), "W": np.repeat(W, b, 0), "grad_y": delta.reshape(-1, m)},
        n=n * b,
    )
    np.testing.assert_allclose(out["dW"], rows["dW"].reshape(n, b, m, d).sum(1), atol=1e-14)


def test_linear_batch_backward_matches_a_real_module_grad() -> None:
    X, W, bias, delta = (
        RNG.normal(size=(3, 2)),
        RNG.normal(size=(4, 2)),
        RNG.normal(size=4),
        RNG.normal(size=(3, 4)),
    )
    layer = nn.Linear(2, 4, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(W))
        layer.bias.copy_(torch.tensor(bias))
    inputs = torch.tensor(X, requires_grad=True)
    (layer(inputs) * torch.tensor(delta)).sum().backward()  # L = Σ δ ⊙ Y, so ∂L/∂Y = δ
    before = torch.random.get_rng_state()
    out = run_reference("linear_batch_backward", {"X": X, "W": W, "b": bias, "grad_Y": delta}, n=1)
    assert torch.equal(before, torch.random.get_rng_state())  # no weights were drawn
    assert layer.weight.grad is not None
    assert layer.bias.grad is not None
    assert inputs.grad is not None
    np.testing.assert_allclose(out["dW"][0], layer.weight.grad.numpy(), atol=1e-14)
    np.testing.assert_allclose(out["db"][0], layer.bias.grad.numpy(), atol=1e-14)
    np.testing.assert_allclose(out["dX"][0], inputs.grad.numpy(), atol=1e-14)


# A two-layer MLP ----------------------------------------------------------------------------

ACTIVATION = {
    0: (lambda z: np.maximum(z, 0), lambda z, a: (z > 0) * 1.0),
    1: (np.tanh, lambda z, a: 1 - a**2),
    2: (sigmoid, lambda z, a: a * (1 - a)),
}


def mlp_by_hand(e: dict[str, np.ndarray], code: int, loss: str) -> dict[str, Any]:
    """One instance's forward and backward pass, written out as an interview asks for it."""
    act, slope = ACTIVATION[code]
    z1 = e["W1"] @ e["x"] + e["b1"]
    a1 = act(z1)
    z2 = e["W2"] @ a1 + e["b2"]
    if loss == "mse":
        value, dz2, p = np.mean((z2 - e["target"]) ** 2), 2 * (z2 - e["target"]) / len(z2), None
    else:
        p = softmax(z2)
        value, dz2 = -np.sum(e["target"] * np.log(p)), p - e["target"]
    da1 = e["W2"].T @ dz2
    dz1 = da1 * slope(z1, a1)
    return {
        "z1": z1, "a1": a1, "z2": z2, "loss": value, "dz2": dz2, "dW2": np.outer(dz2, a1), "db2": dz2,
        "da1": da1, "dz1": dz1, "dW1": np.outer(dz1, e["x"]), "db1": dz1, "dx": e["W1"].T @ dz1, "p": p,
    }  # fmt: skip


def mlp_instances(n: int, k: int, loss: str) -> dict[str, np.ndarray]:
    target = RNG.normal(size=(n, k)) if loss == "mse" else np.eye(k)[RNG.integers(0, k, n)]
    return {
        "x": RNG.normal(size=(n, 2)), "W1": RNG.normal(size=(n, 3, 2)), "b1": RNG.normal(size=(n, 3)),
        "W2": RNG.normal(size=(n, k, 3)), "b2": RNG.normal(size=(n, k)), "target": target,
        "activation": np.arange(n) % 3,
    }  # fmt: skip


@pytest.mark.parametrize(("loss", "k"), [("mse", 1), ("mse", 2), ("ce", 3)])
def test_mlp_backward_by_hand(loss: str, k: int) -> None:
    n = 6  # every activation twice
    inputs = mlp_instances(n, k, loss)
    out = run_reference(f"mlp_{loss}_backward", inputs, n=n)
    for i in range(n):
        hand = mlp_by_hand(
            {name: value[i] for name, value in inputs.items()}, int(inputs["activation"][i]), loss
        )
        for name, value in hand.items():
            if value is not None:
                np.testing.assert_allclose(out[name][i], value, rtol=1e-12, atol=1e-14, err_msg=f"{i} {name}")


@pytest.mark.parametrize("loss", ["mse", "ce"])
def test_mlp_weight_gradients_match_central_differences(loss: str) -> None:
    inputs = mlp_instances(3, 2, loss)
    out = run_reference(f"mlp_{loss}_backward", inputs, n=3)
    for i in range(3):
        one = {name: value[i] for name, value in inputs.items()}
        for weight in ("W1", "b1", "W2", "x"):

            def loss_at(value: np.ndarray, name: str = weight, e: dict[str, np.ndarray] = one) -> float:
                return float(mlp_by_hand({**e, name: value}, int(e["activation"]), loss)["loss"])

            numeric = central_differences(loss_at, one[weight])
            grad = out["dx" if weight == "x" else f"d{weight}"][i]
            np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8, err_msg=f"{i} {weight}")


def test_relu_units_that_are_off_pass_no_gradient() -> None:
    inputs = {"x": [1.0, 1.0], "W1": [[1.0, 0.0], [-1.0, -1.0]], "W2": [[1.0, 1.0]], "target": [3.0]}
    out = run_reference("mlp_mse_backward", inputs, n=1)
    np.testing.assert_array_equal(out["z1"][0], [1.0, -2.0])
    np.testing.assert_array_equal(out["dW1"][0][1], [0.0, 0.0])  # the dead unit's row
    assert out["dz2"][0][0] == pytest.approx(2 * (1.0 - 3.0))


def test_an_unknown_activation_code_is_an_input_error() -> None:
    with pytest.raises(ReferenceInputError, match="activation"):
        run_reference("mlp_mse_backward", {**mlp_instances(1, 1, "mse"), "activation": 3}, n=1)


# Softmax and cross-entropy --------------------------------------------------------------------


def test_softmax_ce_gradient_is_p_minus_y() -> None:
    logits = RNG.normal(size=(5, 3)) * 2
    target = np.vstack([np.eye(3)[[0, 1, 2, 1]], [[0.2, 0.3, 0.5]]])  # one-hot, and one soft target
    out = run_reference("softmax_ce_backward", {"logits": logits, "target": target}, n=5)
    p = softmax(logits)
    np.testing.assert_allclose(out["p"], p, rtol=1e-14)
    np.testing.assert_allclose(out["grad"], p - target, atol=1e-15)
    np.testing.assert_allclose(out["grad"].sum(-1), 0, atol=1e-15)
    np.testing.assert_allclose(out["loss"], -(target * np.log(p)).sum(-1), rtol=1e-13)
    # Second path: the chain rule through softmax's full Jacobian, ∂L/∂z = Jᵀ·(−y/p).
    for i in range(5):
        jacobian = torch.autograd.functional.jacobian(lambda z: F.softmax(z, -1), torch.tensor(logits[i]))
        np.testing.assert_allclose(out["grad"][i], jacobian.numpy().T @ (-target[i] / p[i]), atol=1e-14)


# Normalization layers -------------------------------------------------------------------------


def batchnorm_dx(x: np.ndarray, gamma: float, delta: np.ndarray, eps: float) -> np.ndarray:
    """The standard closed form: γ/σ̂·(δ − mean δ − x̂·mean(δ·x̂)), σ̂ = sqrt(biased var + eps)."""
    sigma = np.sqrt(x.var() + eps)
    xhat = (x - x.mean()) / sigma
    return gamma / sigma * (delta - delta.mean() - xhat * np.mean(delta * xhat))


def test_batchnorm_backward_closed_form() -> None:
    n, b = 5, 4
    x, delta = RNG.normal(size=(n, b)), RNG.normal(size=(n, b))
    gamma, beta = RNG.normal(size=n), RNG.normal(size=n)
    eps = np.array([1e-5, 1e-5, 1e-3, 0.1, 1e-5])  # three groups of eps, one call each
    out = run_reference(
        "batchnorm_backward", {"x": x, "gamma": gamma, "beta": beta, "grad_y": delta, "eps": eps}, n=n
    )
    for i in range(n):
        xhat = (x[i] - x[i].mean()) / np.sqrt(x[i].var() + eps[i])
        np.testing.assert_allclose(out["y"][i], gamma[i] * xhat + beta[i], atol=1e-14)
        np.testing.assert_allclose(out["dx"][i], batchnorm_dx(x[i], gamma[i], delta[i], eps[i]), atol=1e-13)
        assert out["dgamma"][i] == pytest.approx(np.sum(delta[i] * xhat), abs=1e-13)
        assert out["dbeta"][i] == pytest.approx(delta[i].sum(), abs=1e-14)
    np.testing.assert_allclose(out["dx"].sum(-1), 0, atol=1e-13)  # Σ_i ∂L/∂x_i = 0


def test_batchnorm_backward_matches_a_module_and_central_differences() -> None:
    x, delta, gamma = RNG.normal(size=3), RNG.normal(size=3), 1.7
    out = run_reference("batchnorm_backward", {"x": x, "gamma": gamma, "grad_y": delta}, n=1)
    layer = nn.BatchNorm1d(1, dtype=torch.float64).train()
    with torch.no_grad():
        layer.weight.fill_(gamma)
    inputs = torch.tensor(x[:, None], requires_grad=True)
    (layer(inputs)[:, 0] * torch.tensor(delta)).sum().backward()
    assert inputs.grad is not None
    assert layer.weight.grad is not None
    np.testing.assert_allclose(out["dx"][0], inputs.grad.numpy()[:, 0], atol=1e-14)
    assert out["dgamma"][0] == pytest.approx(float(layer.weight.grad[0]), abs=1e-14)

    def loss(values: np.ndarray) -> float:
        xhat = (values - values.mean()) / np.sqrt(values.var() + 1e-5)
        return float(np.sum(delta * gamma * xhat))

    np.testing.assert_allclose(out["dx"][0], central_differences(loss, x), rtol=1e-6, atol=1e-8)


def test_batchnorm_of_one_sample_is_an_input_error() -> None:
    with pytest.raises(ReferenceInputError, match="more than 1 value"):
        run_reference("batchnorm_backward", {"x": [[1.0]], "grad_y": [[1.0]]}, n=1)


def test_layernorm_backward_closed_form_and_differences() -> None:
    n, features = 4, 3
    x, delta = RNG.normal(size=(n, features)), RNG.normal(size=(n, features))
    gamma, beta = RNG.normal(size=(n, features)), RNG.normal(size=(n, features))
    out = run_reference("layernorm_backward", {"x": x, "gamma": gamma, "beta": beta, "grad_y": delta}, n=n)
    sigma = np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    xhat = (x - x.mean(-1, keepdims=True)) / sigma
    g = gamma * delta
    dx = (g - g.mean(-1, keepdims=True) - xhat * (g * xhat).mean(-1, keepdims=True)) / sigma
    np.testing.assert_allclose(out["y"], gamma * xhat + beta, atol=1e-14)
    np.testing.assert_allclose(out["dx"], dx, atol=1e-13)
    np.testing.assert_allclose(out["dgamma"], delta * xhat, atol=1e-14)
    np.testing.assert_allclose(out["dbeta"], delta, atol=1e-15)
    np.testing.assert_allclose(out["dx"].sum(-1), 0, atol=1e-13)
    for i in range(n):

        def loss(values: np.ndarray, i: int = i) -> float:
            normed = (values - values.mean()) / np.sqrt(values.var() + 1e-5)
            return float(np.sum(delta[i] * (gamma[i] * normed + beta[i])))

        np.testing.assert_allclose(out["dx"][i], central_differences(loss, x[i]), rtol=1e-6, atol=1e-8)
    layer = nn.LayerNorm(features, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(gamma[0]))
    inputs = torch.tensor(x[0], requires_grad=True)
    (layer(inputs) * torch.tensor(delta[0])).sum().backward()
    assert inputs.grad is not None
    np.testing.assert_allclose(out["dx"][0], inputs.grad.numpy(), atol=1e-14)


def test_normalization_eps_defaults_are_torchs() -> None:
    for name, module in (("batchnorm_backward", nn.BatchNorm1d(1)), ("layernorm_backward", nn.LayerNorm(3))):
        assert get_reference(name).input("eps").default == module.eps


# A penalty, a chain of sigmoids, accumulation ---------------------------------------------------


def test_l2_penalty_gradient_is_two_lambda_w() -> None:
    w, lam = RNG.normal(size=(3, 4)), np.array([0.1, 0.5, 2.0])
    out = run_reference("l2_penalty_backward", {"w": w, "lambda": lam}, n=3)
    np.testing.assert_allclose(out["penalty"], lam * (w**2).sum(-1), rtol=1e-14)
    np.testing.assert_allclose(out["grad"], 2 * lam[:, None] * w, rtol=1e-14)
    jacobian = torch.autograd.functional.jacobian(lambda v: 0.5 * (v**2).sum(), torch.tensor(w[0]))
    np.testing.assert_allclose(out["grad"][0], 2 * lam[0] * jacobian.numpy(), rtol=1e-14)
    zero = run_reference("l2_penalty_backward", {"w": [0.0, 0.0], "lambda": 0.3}, n=1)
    np.testing.assert_array_equal(zero["grad"][0], [0.0, 0.0])  # finite at w = 0


def test_sigmoid_chain_is_a_product_of_slopes() -> None:
    x, w = RNG.normal(size=5), RNG.normal(size=(5, 4)) * 2
    out = run_reference("sigmoid_chain", {"x": x, "w": w}, n=5)
    for i in range(5):
        a, acts, slope = x[i], [], 1.0
        for weight in w[i]:
            a = sigmoid(weight * a)
            acts.append(a)
            slope *= weight * a * (1 - a)
        np.testing.assert_allclose(out["a"][i], acts, rtol=1e-14)
        assert out["dy"][i] == pytest.approx(slope, rel=1e-12)
        assert abs(out["dy"][i]) <= 0.25 ** len(w[i]) * np.prod(np.abs(w[i]))  # each slope ≤ ¼·|w|

        def chain(value: np.ndarray, i: int = i) -> float:
            out_value = value
            for weight in w[i]:
                out_value = sigmoid(weight * out_value)
            return float(out_value)

        assert out["dy"][i] == pytest.approx(float(central_differences(chain, np.array(x[i]))), rel=1e-6)
    unit = run_reference("sigmoid_chain", {"x": 0.0, "w": [1.0]}, n=1)
    assert unit["dy"][0] == 0.25  # σ′(0) = ¼, the largest slope


def test_grad_accumulates_over_backward_calls() -> None:
    w, x, target = RNG.normal(size=4), RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    out = run_reference("grad_accumulation", {"w": w, "x": x, "target": target}, n=4)
    per_call = 2 * (w[:, None] * x - target) * x
    np.testing.assert_allclose(out["grad"], per_call.sum(-1), rtol=1e-13)
    np.testing.assert_allclose(out["last"], per_call[:, -1], rtol=1e-13)
    # Second path: one backward() of the summed losses gives what the three calls accumulated.
    param = torch.tensor(w, requires_grad=True)
    F.mse_loss(param[:, None] * torch.tensor(x), torch.tensor(target), reduction="sum").backward()
    assert param.grad is not None
    np.testing.assert_allclose(out["grad"], param.grad.numpy(), rtol=1e-13)


# Numerical gradient checking ---------------------------------------------------------------------


def numerical(
    text: str, x: list[float], h: list[float], **coefficients: list[float]
) -> dict[str, np.ndarray]:
    function = FunctionInput(parse(text), ("x",), {k: np.asarray(v) for k, v in coefficients.items()})
    return run_reference("numerical_gradient", {"x": x, "h": h}, n=len(x), device="cpu", function=function)


def test_central_and_forward_differences_of_a_cubic() -> None:
    """For x³: central = 3x² + h² (error exactly h²), forward = 3x² + 3xh + h²."""
    x, h = np.array([0.5, -1.3, 2.0]), np.array([0.1, 0.2, 0.05])
    out = numerical("x^3", list(x), list(h))
    np.testing.assert_allclose(out["grad"], 3 * x**2, rtol=1e-14)
    np.testing.assert_allclose(out["central"], 3 * x**2 + h**2, rtol=1e-12)
    np.testing.assert_allclose(out["central_error"], h**2, rtol=1e-9)
    np.testing.assert_allclose(out["forward"], 3 * x**2 + 3 * x * h + h**2, rtol=1e-12)


def test_central_error_falls_as_h_squared() -> None:
    h = np.array([1e-1, 5e-2, 2.5e-2])
    out = numerical("sin(a*x)", [0.7] * 3, list(h), a=[1.5] * 3)
    np.testing.assert_allclose(out["grad"], 1.5 * np.cos(1.05), rtol=1e-14)
    np.testing.assert_allclose(out["central_error"][:-1] / out["central_error"][1:], 4, rtol=1e-2)
    np.testing.assert_allclose(out["forward_error"][:-1] / out["forward_error"][1:], 2, rtol=5e-2)


def test_numerical_gradient_input_errors() -> None:
    with pytest.raises(ReferenceInputError, match="'h'"):
        numerical("x^2", [1.0], [0.0])
    two = FunctionInput(parse("x*y"), ("x", "y"), {})
    with pytest.raises(ReferenceInputError, match="one variable"):
        run_reference("numerical_gradient", {"x": 1.0, "h": 0.1}, n=1, function=two)


# Known mistakes ----------------------------------------------------------------------------------

BATCH = {"X": [[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]], "W": [[1.0, -0.5], [0.3, 2.0]], "b": [0.1, -0.2],
         "grad_Y": [[0.2, -0.1], [0.4, 0.3], [-0.5, 0.6]]}  # fmt: skip
MLP = {"x": [1.0, -2.0], "W1": [[0.5, 0.3], [-0.4, 0.2]], "b1": [0.1, 0.0], "W2": [[1.0, -1.5], [0.7, 0.4]],
       "b2": [0.0, 0.2]}  # fmt: skip
MISTAKE_SAMPLES: dict[str, tuple[dict[str, Any], int]] = {
    "linear_backward": ({"x": [1.0, -2.0], "W": [[0.5, 0.3], [-0.4, 0.2]], "b": [0.1, 0.0], "grad_y": [0.3, -0.7]}, 1),
    "linear_batch_backward": (BATCH, 1),
    "mlp_mse_backward": ({**MLP, "target": [0.5, -1.0], "activation": [0, 1, 2]}, 3),
    "mlp_ce_backward": ({**MLP, "target": [0.0, 1.0], "activation": [1, 2, 1]}, 3),
    "softmax_ce_backward": ({"logits": [[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]], "target": [[0, 1, 0], [1, 0, 0]]}, 2),
    "batchnorm_backward": ({"x": [1.0, 2.0, 4.0], "gamma": 1.5, "beta": 0.2, "grad_y": [0.5, -1.0, 0.3]}, 1),
    "layernorm_backward": ({"x": [1.0, 2.0, 4.0], "gamma": [1.5, 0.5, 1.0], "grad_y": [0.5, -1.0, 0.3]}, 1),
    "l2_penalty_backward": ({"w": [0.5, -1.0, 2.0], "lambda": 0.1}, 1),
    "grad_accumulation": ({"w": 0.5, "x": [1.0, 2.0, -1.0], "target": [0.3, 0.1, 0.8]}, 1),
}  # fmt: skip

E = dict[str, np.ndarray]


def bn_parts(e: E) -> tuple[np.ndarray, np.ndarray]:
    sigma = np.sqrt(e["x"].var(-1, keepdims=True) + e["eps"][:, None])
    return sigma, (e["x"] - e["x"].mean(-1, keepdims=True)) / sigma


MISTAKE_HAND: dict[tuple[str, str], Callable[[E], np.ndarray]] = {
    ("linear_backward", "dx-without-transpose"): lambda e: np.einsum("nij,nj->ni", e["W"], e["grad_y"]),
    ("linear_batch_backward", "db-averaged"): lambda e: e["grad_Y"].mean(1),
    ("linear_batch_backward", "dW-averaged"): lambda e: e["grad_Y"].transpose(0, 2, 1) @ e["X"] / e["X"].shape[1],
    ("linear_batch_backward", "dX-transposed-weight"): lambda e: e["grad_Y"] @ e["W"].transpose(0, 2, 1),
    ("mlp_mse_backward", "mse-gradient-without-2"): lambda e: (e["z2"] - e["target"]) / e["target"].shape[-1],
    ("mlp_mse_backward", "mse-gradient-not-averaged"): lambda e: 2 * (e["z2"] - e["target"]),
    ("mlp_mse_backward", "activation-derivative-skipped"): lambda e: e["da1"],
    ("mlp_mse_backward", "dW1-without-activation-derivative"): lambda e: e["da1"][:, :, None] * e["x"][:, None, :],
    ("mlp_mse_backward", "da1-without-transpose"): lambda e: np.einsum("nij,nj->ni", e["W2"], e["dz2"]),
    ("mlp_ce_backward", "ce-gradient-sign-flipped"): lambda e: e["target"] - e["p"],
    ("mlp_ce_backward", "ce-gradient-wrt-probabilities"): lambda e: -e["target"] / e["p"],
    ("mlp_ce_backward", "activation-derivative-skipped"): lambda e: e["da1"],
    ("mlp_ce_backward", "dW1-without-activation-derivative"): lambda e: e["da1"][:, :, None] * e["x"][:, None, :],
    ("mlp_ce_backward", "da1-without-transpose"): lambda e: np.einsum("nij,nj->ni", e["W2"], e["dz2"]),
    ("softmax_ce_backward", "sign-flipped"): lambda e: e["target"] - softmax(e["logits"]),
    ("softmax_ce_backward", "gradient-wrt-probabilities"): lambda e: -e["target"] / softmax(e["logits"]),
    ("softmax_ce_backward", "diagonal-jacobian"): lambda e: -e["target"] * (1 - softmax(e["logits"])),
    ("batchnorm_backward", "statistics-held-constant"): lambda e: e["gamma"][:, None] * e["grad_y"] / bn_parts(e)[0],
    ("batchnorm_backward", "variance-path-dropped"): lambda e: e["gamma"][:, None] * (e["grad_y"] - e["grad_y"].mean(-1, keepdims=True)) / bn_parts(e)[0],
    ("batchnorm_backward", "dbeta-averaged"): lambda e: e["grad_y"].mean(-1),
    ("batchnorm_backward", "dgamma-raw-input"): lambda e: (e["grad_y"] * e["x"]).sum(-1),
    ("layernorm_backward", "statistics-held-constant"): lambda e: e["gamma"] * e["grad_y"] / bn_parts(e)[0],
    ("layernorm_backward", "variance-path-dropped"): lambda e: (e["gamma"] * e["grad_y"] - (e["gamma"] * e["grad_y"]).mean(-1, keepdims=True)) / bn_parts(e)[0],
    ("l2_penalty_backward", "missing-factor-2"): lambda e: e["lambda"][:, None] * e["w"],
    ("l2_penalty_backward", "norm-not-squared"): lambda e: e["lambda"][:, None] * e["w"] / np.linalg.norm(e["w"], axis=-1, keepdims=True),
    ("grad_accumulation", "overwritten"): lambda e: 2 * (e["w"] * e["x"][:, -1] - e["target"][:, -1]) * e["x"][:, -1],
    ("grad_accumulation", "averaged"): lambda e: (2 * (e["w"][:, None] * e["x"] - e["target"]) * e["x"]).mean(-1),
}  # fmt: skip


def test_numerical_gradient_mistakes() -> None:
    out = numerical("x^3", [1.5], [0.1])
    formulas = {m.name: m.formula for m in get_reference("numerical_gradient").mistakes}
    env = dict(out)
    assert evaluate(parse(formulas["one-sided"]), env, batched=True).data[0] == pytest.approx(
        (1.6**3 - 1.5**3) / 0.1
    )
    assert evaluate(parse(formulas["divided-by-h"]), env, batched=True).data[0] == pytest.approx(
        (1.6**3 - 1.4**3) / 0.1
    )
