"""Activation references against numpy formulas and derivatives written out by hand."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable

import numpy as np
import pytest
from torch import nn

from engine.references import run_reference

X = np.array([0.7, -1.3, 0.0, 2.5, -25.0, 30.0])
erf = np.vectorize(math.erf)


def sig(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def phi(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + erf(x / math.sqrt(2)))


def pdf(x: np.ndarray) -> np.ndarray:
    return np.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)


LAMBDA, ALPHA = 1.0507009873554805, 1.6732632423543772
K = math.sqrt(2 / math.pi)


def gelu_tanh(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    inner = K * (x + 0.044715 * x**3)
    th = np.tanh(inner)
    return 0.5 * x * (1 + th), 0.5 * (1 + th) + 0.5 * x * (1 - th**2) * K * (1 + 3 * 0.044715 * x**2)


def swish(beta: float) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    def f(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y = x * sig(beta * x)
        return y, beta * y + sig(beta * x) * (1 - beta * y)

    return f


def softplus(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> tuple[np.ndarray, np.ndarray]:
    big = beta * x > threshold
    y = np.where(big, x, np.log1p(np.exp(np.minimum(beta * x, threshold))) / beta)
    return y, np.where(big, 1.0, sig(beta * x))


def mish(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sp = softplus(x)[0]
    th = np.tanh(sp)
    return x * th, th + x * (1 - th**2) * sig(x)


HAND: dict[str, Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]] = {
    "sigmoid": lambda x: (sig(x), sig(x) * (1 - sig(x))),
    "tanh": lambda x: (np.tanh(x), 1 - np.tanh(x) ** 2),
    "relu": lambda x: (np.maximum(x, 0), (x > 0) * 1.0),
    "leaky_relu": lambda x: (np.where(x > 0, x, 0.01 * x), np.where(x > 0, 1, 0.01)),
    "elu": lambda x: (np.where(x > 0, x, np.expm1(x)), np.where(x > 0, 1, np.exp(x))),
    "selu": lambda x: (
        LAMBDA * np.where(x > 0, x, ALPHA * np.expm1(x)),
        LAMBDA * np.where(x > 0, 1, ALPHA * np.exp(x)),
    ),
    "gelu": lambda x: (x * phi(x), phi(x) + x * pdf(x)),
    "gelu_tanh": gelu_tanh,
    "gelu_sigmoid": swish(1.702),
    "silu": swish(1.0),
    "swish": swish(1.0),
    "softplus": softplus,
    "mish": mish,
    "hardswish": lambda x: (
        x * np.clip(x + 3, 0, 6) / 6,
        np.where(x < -3, 0, np.where(x > 3, 1, (2 * x + 3) / 6)),
    ),
    "hardsigmoid": lambda x: (np.clip(x + 3, 0, 6) / 6, np.where(np.abs(x) < 3, 1 / 6, 0)),
}


@pytest.mark.parametrize("name", HAND)
def test_scalar_activation_and_derivative(name: str) -> None:
    out = run_reference(name, {"x": X}, n=len(X))
    y, dy = HAND[name](X)
    np.testing.assert_allclose(out["y"], y, rtol=1e-12, atol=1e-12)
    # torch's hardsigmoid backward multiplies by a float32 1/6, even in float64.
    tolerance = 1e-8 if name == "hardsigmoid" else 1e-12
    np.testing.assert_allclose(out["dy"], dy, rtol=1e-10, atol=tolerance)


def test_worked_figures() -> None:
    x = [0.7, -1.3]
    expect = {
        "gelu": [0.5306254434, -0.1258406300],
        "gelu_tanh": [0.5305701347, -0.1260709877],
        "gelu_sigmoid": [0.5368939517, -0.1282121066],
        "selu": [0.7354906911, -1.2789613752],
        "softplus": [1.1031860489, 0.2410084538],
    }
    for name, values in expect.items():
        np.testing.assert_allclose(run_reference(name, {"x": x}, n=2)["y"], values, atol=1e-10)
    silu = run_reference("silu", {"x": x}, n=2)
    np.testing.assert_allclose(silu["dy"], [0.8233867835, -0.0046228543], atol=1e-10)
    sw = run_reference("swish", {"x": x, "beta": 1.5}, n=2)
    np.testing.assert_allclose(sw["y"], [0.5185424294, -0.1619193656], atol=1e-10)
    np.testing.assert_allclose(sw["dy"], [0.9424037195, -0.0880742892], atol=1e-10)


def test_parameters_per_instance() -> None:
    out = run_reference("leaky_relu", {"x": [0.7, -1.3, -1.3], "negative_slope": [0.01, 2.0, 0.2]}, n=3)
    np.testing.assert_allclose(out["y"], [0.7, -2.6, -0.26])
    np.testing.assert_allclose(out["dy"], [1.0, 2.0, 0.2])
    sp = run_reference("softplus", {"x": X, "beta": 2.0, "threshold": 5.0}, n=len(X))
    y, dy = softplus(X, 2.0, 5.0)
    np.testing.assert_allclose(sp["y"], y, atol=1e-12)
    np.testing.assert_allclose(sp["dy"], dy, atol=1e-12)
    sw = run_reference("swish", {"x": X, "beta": [0.5, 1, 1.5, 2, 1, 3]}, n=len(X))
    for i, beta in enumerate([0.5, 1, 1.5, 2, 1, 3]):
        y, dy = swish(beta)(X[i : i + 1])
        np.testing.assert_allclose([sw["y"][i], sw["dy"][i]], [y[0], dy[0]], atol=1e-12)


def test_softmax_and_log_softmax_with_jacobians() -> None:
    x = np.array([[1000.0, 1001.0, 1002.0], [2.0, 1.0, 0.1]])
    e = np.exp(x - x.max(1, keepdims=True))
    p = e / e.sum(1, keepdims=True)
    soft = run_reference("softmax", {"x": x}, n=2)
    np.testing.assert_allclose(soft["y"][0], [0.0900305732, 0.2447284711, 0.6652409558], atol=1e-10)
    np.testing.assert_allclose(soft["y"], p, atol=1e-15)
    np.testing.assert_allclose(soft["jacobian"], [np.diag(q) - np.outer(q, q) for q in p], atol=1e-15)
    log = run_reference("log_softmax", {"x": x}, n=2)
    np.testing.assert_allclose(log["y"][1], [-0.4170300163, -1.4170300163, -2.3170300163], atol=1e-10)
    np.testing.assert_allclose(log["jacobian"], [np.eye(3) - q[None, :] for q in p], atol=1e-15)


def test_glu_and_swiglu() -> None:
    x = np.array([[[1.0, 2.0], [3.0, 4.0]], [[-0.5, 0.2], [-1.0, 2.0]]])
    a, b = x[:, 0], x[:, 1]
    glu = run_reference("glu", {"x": x}, n=2)
    np.testing.assert_allclose(glu["y"][0], [0.9525741268, 1.9640275801], atol=1e-10)
    np.testing.assert_allclose(glu["y"], a * sig(b), atol=1e-15)
    np.testing.assert_allclose(glu["dy"][:, 0], sig(b), atol=1e-15)
    np.testing.assert_allclose(glu["dy"][:, 1], a * sig(b) * (1 - sig(b)), atol=1e-15)
    swiglu = run_reference("swiglu", {"x": x}, n=2)
    silu, dsilu = swish(1.0)(b)
    np.testing.assert_allclose(swiglu["y"], a * silu, atol=1e-15)
    np.testing.assert_allclose(swiglu["dy"][:, 0], silu, atol=1e-15)
    np.testing.assert_allclose(swiglu["dy"][:, 1], a * dsilu, atol=1e-14)


def test_defaults_are_torchs() -> None:
    from engine.references import get_reference

    for name, module in (("leaky_relu", nn.LeakyReLU), ("elu", nn.ELU), ("softplus", nn.Softplus)):
        signature = inspect.signature(module).parameters
        for param in get_reference(name).inputs[1:]:
            assert param.default == signature[param.name].default, (name, param.name)
