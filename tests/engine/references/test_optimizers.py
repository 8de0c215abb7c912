"""Optimizer references against hand-written numpy updates and torch-semantics.md's figures."""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np
import pytest
import torch

from engine.references import ReferenceInputError, get_reference, run_reference
from engine.references.optimizer_runs import nadam_mu_product
from engine.references.optimizers import SPECS

THETA0 = np.array([1.0, -2.0])
GRADS = np.array([[0.5, -0.3, 0.01], [0.1, 0.2, 0.01]])  # g1, g2, g3 per coordinate
State = dict[str, Any]


def sgd(s: State, g: np.ndarray, t: int, h: dict[str, float]) -> State:
    g = g + h.get("weight_decay", 0.0) * s["theta"]
    mu, b = h.get("momentum", 0.0), s["b"]
    if mu:
        b = g if t == 1 else mu * b + (1 - h.get("dampening", 0.0)) * g
        d = g + mu * b if h.get("nesterov") else b
    else:
        d = g
    return {"theta": s["theta"] - h["lr"] * d, "b": b}


def adagrad(s: State, g: np.ndarray, t: int, h: dict[str, float]) -> State:
    clr = h["lr"] / (1 + (t - 1) * h.get("lr_decay", 0.0))
    g = g + h.get("weight_decay", 0.0) * s["theta"]
    G = s["G"] + g**2
    return {"theta": s["theta"] - clr * g / (np.sqrt(G) + h.get("eps", 1e-10)), "G": G}


def rmsprop(s: State, g: np.ndarray, t: int, h: dict[str, float]) -> State:
    alpha, eps, mu = h.get("alpha", 0.99), h.get("eps", 1e-8), h.get("momentum", 0.0)
    g = g + h.get("weight_decay", 0.0) * s["theta"]
    v = alpha * s["v"] + (1 - alpha) * g**2
    g_avg = s["g_avg"]
    if h.get("centered"):
        g_avg = alpha * g_avg + (1 - alpha) * g
        den = np.sqrt(v - g_avg**2) + eps
    else:
        den = np.sqrt(v) + eps
    b = s["b"]
    if mu:
        b = mu * b + g / den
        theta = s["theta"] - h["lr"] * b
    else:
        theta = s["theta"] - h["lr"] * g / den
    return {"theta": theta, "v": v, "g_avg": g_avg, "b": b}


def adadelta(s: State, g: np.ndarray, t: int, h: dict[str, float]) -> State:
    rho, eps = h.get("rho", 0.9), h.get("eps", 1e-6)
    g = g + h.get("weight_decay", 0.0) * s["theta"]
    v = rho * s["v"] + (1 - rho) * g**2
    delta = np.sqrt(s["u"] + eps) / np.sqrt(v + eps) * g
    u = rho * s["u"] + (1 - rho) * delta**2
    return {"theta": s["theta"] - h.get("lr", 1.0) * delta, "v": v, "u": u, "delta": delta}


def adam(s: State, g: np.ndarray, t: int, h: dict[str, float], decoupled: bool = False) -> State:
    b1, b2, eps, lr = h.get("beta1", 0.9), h.get("beta2", 0.999), h.get("eps", 1e-8), h["lr"]
    wd, theta = h.get("weight_decay", 0.01 if decoupled else 0.0), s["theta"]
    if decoupled:
        theta = theta * (1 - lr * wd)
    else:
        g = g + wd * theta
    m = b1 * s["m"] + (1 - b1) * g
    v = b2 * s["v"] + (1 - b2) * g**2
    v_max = np.maximum(s["v_max"], v) if h.get("amsgrad") else s["v_max"]
    second = v_max if h.get("amsgrad") else v
    den = np.sqrt(second) / math.sqrt(1 - b2**t) + eps
    return {"theta": theta - lr / (1 - b1**t) * m / den, "m": m, "v": v, "v_max": v_max}


def adamw(s: State, g: np.ndarray, t: int, h: dict[str, float]) -> State:
    return adam(s, g, t, h, decoupled=True)


def nadam(s: State, g: np.ndarray, t: int, h: dict[str, float]) -> State:
    b1, b2, eps, lr = h.get("beta1", 0.9), h.get("beta2", 0.999), h.get("eps", 1e-8), h["lr"]
    psi, wd, theta = h.get("momentum_decay", 4e-3), h.get("weight_decay", 0.0), s["theta"]
    if h.get("decoupled_weight_decay"):
        theta = theta * (1 - lr * wd)
    else:
        g = g + wd * theta
    mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
    product = s["mu_product"] * mu
    m = b1 * s["m"] + (1 - b1) * g
    v = b2 * s["v"] + (1 - b2) * g**2
    den = np.sqrt(v / (1 - b2**t)) + eps
    theta = theta - lr * (1 - mu) / (1 - product) * g / den - lr * mu_next / (1 - product * mu_next) * m / den
    return {"theta": theta, "m": m, "v": v, "mu_product": product}


def radam(s: State, g: np.ndarray, t: int, h: dict[str, float]) -> State:
    b1, b2, eps, lr = h.get("beta1", 0.9), h.get("beta2", 0.999), h.get("eps", 1e-8), h["lr"]
    g = g + h.get("weight_decay", 0.0) * s["theta"]
    m = b1 * s["m"] + (1 - b1) * g
    v = b2 * s["v"] + (1 - b2) * g**2
    m_hat = m / (1 - b1**t)
    rho_inf = 2 / (1 - b2) - 1
    rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
    if rho > 5:
        r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        theta = s["theta"] - lr * m_hat * r * math.sqrt(1 - b2**t) / (np.sqrt(v) + eps)
    else:
        theta = s["theta"] - lr * m_hat
    return {"theta": theta, "m": m, "v": v}


def adamax(s: State, g: np.ndarray, t: int, h: dict[str, float]) -> State:
    b1, b2, eps, lr = h.get("beta1", 0.9), h.get("beta2", 0.999), h.get("eps", 1e-8), h.get("lr", 2e-3)
    g = g + h.get("weight_decay", 0.0) * s["theta"]
    m = b1 * s["m"] + (1 - b1) * g
    u = np.maximum(b2 * s["u"], np.abs(g) + eps)  # eps inside the max, u never corrected
    return {"theta": s["theta"] - lr / (1 - b1**t) * m / u, "m": m, "u": u}


UPDATES = {
    "sgd": sgd, "adagrad": adagrad, "rmsprop": rmsprop, "adadelta": adadelta,
    "adam": adam, "adamw": adamw, "nadam": nadam, "radam": radam, "adamax": adamax,
}  # fmt: skip

CASES = [
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "dampening": 0.9}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": 1.0, "weight_decay": 0.01}),
    ("adagrad", {"lr": 0.1}),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.1, "weight_decay": 0.01}),
    ("rmsprop", {"lr": 0.1}),
    ("rmsprop", {"lr": 0.1, "centered": 1.0}),
    ("rmsprop", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
    ("adadelta", {}),
    ("adadelta", {"lr": 0.1, "rho": 0.8, "weight_decay": 0.01}),
    ("adam", {"lr": 0.1}),
    ("adam", {"lr": 0.1, "amsgrad": 1.0}),
    ("adam", {"lr": 0.1, "weight_decay": 0.01, "beta2": 0.99}),
    ("adamw", {"lr": 0.1}),
    ("adamw", {"lr": 0.1, "amsgrad": 1.0, "weight_decay": 0.1}),
    ("nadam", {"lr": 0.1}),
    ("nadam", {"lr": 0.1, "momentum_decay": 0.01, "weight_decay": 0.01}),
    ("nadam", {"lr": 0.1, "weight_decay": 0.1, "decoupled_weight_decay": 1.0}),
    ("radam", {"lr": 0.1}),
    ("radam", {"lr": 0.1, "weight_decay": 0.01}),
    ("adamax", {}),
    ("adamax", {"lr": 0.1}),
    ("adamax", {"lr": 0.1, "beta1": 0.8, "beta2": 0.5, "eps": 0.05, "weight_decay": 0.01}),
]

ZERO_STATE = {"b": 0.0, "G": 0.0, "v": 0.0, "g_avg": 0.0, "u": 0.0, "m": 0.0, "v_max": 0.0}


def simulate(key: str, hyper: dict[str, float], grads: np.ndarray, init: float = 0.0) -> list[State]:
    """States after each step, by the numpy update, from zero state."""
    state: State = {"theta": THETA0.copy(), **{k: np.zeros(2) for k in ZERO_STATE}}
    state["G"] = np.full(2, init)
    state["mu_product"] = 1.0
    states = []
    for t in range(1, grads.shape[1] + 1):
        state = {**state, **UPDATES[key](state, grads[:, t - 1], t, hyper)}
        states.append(state)
    return states


@pytest.mark.parametrize(("key", "hyper"), CASES)
def test_trajectory_matches_numpy(key: str, hyper: dict[str, float]) -> None:
    out = run_reference(f"{key}_trajectory", {"theta0": THETA0, "grads": GRADS, **hyper}, n=2)
    states = simulate(key, hyper, GRADS)
    expected = np.stack([s["theta"] for s in states], axis=1)
    np.testing.assert_allclose(out["theta"], expected, rtol=0, atol=1e-10)
    for entry in get_reference(f"{key}_step").outputs:
        if entry.name in states[-1] and entry.name in out and entry.name != "theta":
            np.testing.assert_allclose(out[entry.name], states[-1][entry.name], atol=1e-12)


@pytest.mark.parametrize(("key", "hyper"), CASES)
def test_chained_steps_match_numpy(key: str, hyper: dict[str, float]) -> None:
    """Each step from the previous step's outputs: the state round-trips through torch."""
    ref = get_reference(f"{key}_step")
    prev_names = [p.name for p in ref.inputs if p.name.endswith("_prev")]
    inputs: dict[str, Any] = {"theta_prev": THETA0, **hyper}
    for t, (state, g) in enumerate(zip(simulate(key, hyper, GRADS), GRADS.T, strict=True), 1):
        out = run_reference(ref, {**inputs, "grad": g, "t": t}, n=2)
        for name in ["theta", *(n.removesuffix("_prev") for n in prev_names)]:
            np.testing.assert_allclose(out[name], state[name], rtol=0, atol=1e-10, err_msg=name)
        inputs = {**inputs, "theta_prev": out["theta"], **{n: out[n[:-5]] for n in prev_names}}
    if key == "adadelta":
        np.testing.assert_allclose(out["delta"], state["delta"], atol=1e-12)


def test_worked_figures() -> None:
    """torch-semantics.md's verified numbers (θ0 = [1, −2], g1 = [.5, .1], g2 = [−.3, .2])."""
    figures = {
        ("adam", ()): [[0.900000002, -2.09999999], [0.8808501989, -2.1965181865]],
        ("adamw", ()): [[0.899000002, -2.09799999], [0.8789511989, -2.1924201864887465]],
        ("sgd", (("momentum", 0.9), ("dampening", 0.9))): [[0.95, -2.01], [0.908, -2.021]],
        ("sgd", (("momentum", 0.9), ("nesterov", 1.0))): [[0.905, -2.019], [0.9215, -2.0651]],
        ("rmsprop", ()): [[2e-7, -2.999999], [0.5163978906, -3.8953215613]],
        ("rmsprop", (("centered", 1.0),)): [[-0.0050376132, -3.0050368052], [0.5116512274, -3.9084890804]],
        ("adagrad", ()): [[0.9, -2.0999999999], [0.9514495756, -2.189442719]],
        ("nadam", ()): [[0.8943548243, -2.1056451673], [0.9427308228, -2.2019398962]],
        ("radam", ()): [[0.95, -2.01], [0.9421052632, -2.0252631579]],
        # By hand: u1 = |g1| + eps, θ1 = θ0 − lr/(1−β1)·m1/u1; u2 = max(β2·u1, |g2| + eps).
        ("adamax", ()): [[0.900000002, -2.09999999], [0.8841947234, -2.1763157757]],
    }  # fmt: skip
    for (key, extra), expected in figures.items():
        out = run_reference(
            f"{key}_trajectory", {"theta0": THETA0, "grads": GRADS[:, :2], "lr": 0.1, **dict(extra)}, n=2
        )
        np.testing.assert_allclose(out["theta"].T, expected, atol=2e-9, err_msg=key)
    adadelta = run_reference("adadelta_trajectory", {"theta0": THETA0, "grads": GRADS[:, :2]}, n=2)
    np.testing.assert_allclose(
        adadelta["theta"].T, [[0.9968377856, -2.0031606977], [0.999228181, -2.0071998865]], atol=1e-9
    )
    adam3 = run_reference("adam_trajectory", {"theta0": THETA0, "grads": GRADS, "lr": 0.1}, n=2)
    np.testing.assert_allclose(adam3["theta"][:, 2], [0.8649531798, -2.2739081633], atol=1e-9)
    ams = run_reference("adam_trajectory", {"theta0": THETA0, "grads": GRADS, "lr": 0.1, "amsgrad": 1}, n=2)
    np.testing.assert_allclose(ams["theta"][:, 2], [0.8649587898, -2.2739081633], atol=1e-9)


def test_adagrad_starts_from_the_initial_accumulator_value() -> None:
    """Two steps by hand with G starting at 0.1 and lr_decay, as torch-semantics.md verified."""
    init, lr, lr_decay, eps = 0.1, 0.1, 0.1, 1e-10
    g1, g2 = GRADS[:, 0], GRADS[:, 1]
    G1 = init + g1**2
    theta1 = THETA0 - lr * g1 / (np.sqrt(G1) + eps)
    G2 = G1 + g2**2
    theta2 = theta1 - lr / (1 + lr_decay) * g2 / (np.sqrt(G2) + eps)
    inputs = {"theta0": THETA0, "grads": GRADS[:, :2], "lr": lr, "lr_decay": lr_decay}
    out = run_reference("adagrad_trajectory", {**inputs, "initial_accumulator_value": init}, n=2)
    np.testing.assert_allclose(out["theta"], np.stack([theta1, theta2], axis=1), rtol=0, atol=1e-12)
    np.testing.assert_allclose(out["G"], G2, rtol=0, atol=1e-15)
    figures = [[0.9154845745, -2.0301511344], [0.9565997579, -2.0770963871]]
    np.testing.assert_allclose(out["theta"].T, figures, atol=1e-9)


def test_adagrad_initial_accumulator_matches_torch_instance_by_instance() -> None:
    """Instances with different initial accumulators each start where torch starts them.

    torch fills state["sum"] in the constructor, from its own argument, so each must reach
    the constructor: the value in a param group is never read.
    """
    inits = np.array([0.0, 0.1, 0.3])
    grads = np.array([[0.5, -0.3, 0.01], [0.5, -0.3, 0.01], [0.01, 0.2, -0.7]])
    hyper = {"lr": 0.1, "lr_decay": 0.05}
    out = run_reference(
        "adagrad_trajectory",
        {"theta0": 1.0, "grads": grads, **hyper, "initial_accumulator_value": inits},
        n=3,
    )
    for i, init in enumerate(inits):
        param = torch.nn.Parameter(torch.ones(1, dtype=torch.float64))
        optimizer = torch.optim.Adagrad([param], **hyper, initial_accumulator_value=float(init))
        thetas = []
        for g in grads[i]:
            param.grad = torch.tensor([g], dtype=torch.float64)
            optimizer.step()
            thetas.append(param.item())
        np.testing.assert_allclose(out["theta"][i], thetas, rtol=0, atol=1e-15)
        np.testing.assert_allclose(out["G"][i], optimizer.state[param]["sum"].item(), rtol=0, atol=1e-15)


def test_keras_adagrad_golden_run() -> None:
    """keras's Adagrad golden test (lr 0.2, initial accumulator 0.3, eps 1e-6), to its tolerance.

    With G wrongly started at 0 the first row came out 0.80002. keras puts eps inside the
    root and torch outside; with G ≥ 0.3 and eps = 1e-6 that moves θ by under 1e-6.
    """
    golden = [
        [0.9963] * 10,
        [0.9604, 0.9278, 0.9003, 0.8784, 0.8615, 0.8487, 0.8388, 0.8313, 0.8255, 0.8209],
        [0.9251, 0.8629, 0.8137, 0.7768, 0.7497, 0.7298, 0.7151, 0.704, 0.6956, 0.6891],
        [0.8903, 0.8012, 0.7342, 0.6862, 0.6521, 0.6277, 0.6099, 0.5967, 0.5867, 0.579],
        [0.856, 0.7422, 0.6604, 0.6037, 0.5644, 0.5367, 0.5168, 0.5021, 0.491, 0.4825],
    ]
    later = np.arange(1, 11) / 10
    grads = np.column_stack([np.full(10, 0.01), later, later, later, later])
    inputs = {"theta0": 1.0, "grads": grads, "lr": 0.2, "initial_accumulator_value": 0.3, "eps": 1e-6}
    out = run_reference("adagrad_trajectory", inputs, n=10)
    np.testing.assert_allclose(out["theta"].T, golden, rtol=5e-4, atol=5e-4)
    assert round(float(out["theta"][0, 0]), 4) == 0.9963


def test_adam_bias_corrected_moments() -> None:
    out = run_reference(
        "adam_step",
        {"theta_prev": 1.0, "grad": -0.3, "m_prev": 0.05, "v_prev": 2.5e-4, "t": 2, "lr": 0.1},
        n=1,
    )
    m = 0.9 * 0.05 + 0.1 * -0.3
    v = 0.999 * 2.5e-4 + 0.001 * 0.09
    np.testing.assert_allclose(out["m_hat"], m / (1 - 0.9**2), atol=1e-15)
    np.testing.assert_allclose(out["v_hat"], v / (1 - 0.999**2), atol=1e-15)


def test_sgd_first_step_ignores_the_given_buffer() -> None:
    base = {"theta_prev": 1.0, "grad": 0.5, "lr": 0.1, "momentum": 0.9, "dampening": 0.5}
    first = run_reference("sgd_step", {**base, "b_prev": 7.0, "t": 1}, n=1)
    later = run_reference("sgd_step", {**base, "b_prev": 7.0, "t": 2}, n=1)
    np.testing.assert_allclose(first["b"], 0.5)  # a clone of g, undamped
    np.testing.assert_allclose(later["b"], 0.9 * 7.0 + 0.5 * 0.5)


def test_state_torch_does_not_keep_is_returned_unchanged() -> None:
    out = run_reference("adam_step", {"theta_prev": 1.0, "grad": 0.5, "v_max_prev": 3.0}, n=1)
    np.testing.assert_array_equal(out["v_max"], [3.0])


def test_nadam_mu_product_is_torchs() -> None:
    out = run_reference("nadam_trajectory", {"theta0": 1.0, "grads": [0.1] * 7}, n=1)
    np.testing.assert_allclose(out["mu_product"], nadam_mu_product(7, 0.9, 4e-3), rtol=1e-15)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.key)
def test_state_keys_are_the_ones_torch_keeps(spec: Any) -> None:
    """The state put in with load_state_dict has exactly the keys torch's own step creates."""
    flags = {"momentum": 0.9, "centered": True, "amsgrad": True}
    cls = getattr(torch.optim, spec.torch_class)
    options = {k: v for k, v in flags.items() if k in inspect.signature(cls).parameters}
    param = torch.nn.Parameter(torch.ones(2, dtype=torch.float64))
    optimizer = cls([param], **options)
    param.grad = torch.ones(2, dtype=torch.float64)
    optimizer.step()
    ours = {entry.torch_key for entry in spec.state} | ({"step"} if spec.counter else set())
    assert set(optimizer.state[param]) == ours


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.key)
def test_defaults_are_torchs(spec: Any) -> None:
    parameters = inspect.signature(getattr(torch.optim, spec.torch_class)).parameters
    for param in spec.hyper:
        if param.name in ("beta1", "beta2"):
            torch_default = parameters["betas"].default[int(param.name[-1]) - 1]
        else:
            torch_default = parameters[param.name].default
        assert param.default == float(torch_default), (spec.key, param.name)


def test_batched_hyperparameters_equal_single_calls() -> None:
    rng = np.random.default_rng(0)
    n = 6
    inputs = {
        "theta_prev": rng.normal(size=n),
        "grad": rng.normal(size=n),
        "m_prev": rng.normal(size=n) * 0.1,
        "v_prev": rng.random(n) * 0.1,
        "t": np.array([1, 2, 3, 3, 10, 1.0]),
        "lr": np.array([0.1, 0.1, 0.01, 0.01, 0.1, 0.1]),
        "beta2": np.array([0.999, 0.99, 0.999, 0.999, 0.9, 0.999]),
        "amsgrad": np.array([0, 0, 1, 0, 1, 0.0]),
        "weight_decay": 0.01,
    }
    batched = run_reference("adam_step", inputs, n=n)
    for i in range(n):
        single = run_reference("adam_step", {k: (v[i] if np.ndim(v) else v) for k, v in inputs.items()}, n=1)
        for name, value in single.items():
            np.testing.assert_allclose(batched[name][i], value[0], rtol=0, atol=1e-15)


def test_invalid_hyperparameters_are_input_errors() -> None:
    with pytest.raises(ReferenceInputError, match="Nesterov"):
        run_reference("sgd_step", {"theta_prev": 1, "grad": 1, "nesterov": 1}, n=1)
    with pytest.raises(ReferenceInputError, match="learning rate"):
        run_reference("adam_step", {"theta_prev": 1, "grad": 1, "lr": -1}, n=1)
    with pytest.raises(ReferenceInputError, match="'t'"):
        run_reference("adam_step", {"theta_prev": 1, "grad": 1, "t": 0}, n=1)
    with pytest.raises(ReferenceInputError, match="'amsgrad'"):
        run_reference("adam_step", {"theta_prev": 1, "grad": 1, "amsgrad": 0.5}, n=1)
