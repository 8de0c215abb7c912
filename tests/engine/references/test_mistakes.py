"""Every known mistake: its formula is valid in the expression language, equals the wrong
computation written out by hand in numpy, and differs from torch's answer at these inputs."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from engine.expr.names import canonical_name
from engine.expr.numeric import evaluate
from engine.expr.parser import parse
from engine.references import all_references, get_reference, run_reference

A = np.array
X43 = A([[0.0, 1.0, -1.0], [1.0, 2.0, 1.0], [2.0, 3.0, 2.0], [4.0, 0.0, 3.0]])
PRED, TARGET = A([1.5, 0.2, -0.7, 3.0]), A([1.0, 0.0, 0.5, 0.0])
LOGITS = A([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
P, Q = A([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]), A([[0.3, 0.3, 0.4], [0.4, 0.4, 0.2]])
ADAM = {
    "theta_prev": [1.0, -2.0], "grad": [1e-7, -0.3], "m_prev": [0.0, 0.05],
    "v_prev": [0.0, 2.5e-4], "t": [1, 3], "lr": 0.1, "weight_decay": 0.01,
}  # fmt: skip

# The inputs each reference with mistakes is run at: (inputs, n).
SAMPLES: dict[str, tuple[dict[str, Any], int]] = {
    "sgd_step": ({
        "theta_prev": [1.0, -2.0], "grad": [0.5, 0.1], "b_prev": [0.0, 0.3], "t": [1, 2],
        "lr": 0.1, "momentum": 0.9, "dampening": [0.5, 0.0], "nesterov": [0, 1], "weight_decay": 0.01,
    }, 2),
    "adagrad_step": ({
        "theta_prev": [1.0, -2.0], "grad": [1e-5, 0.3], "G_prev": [0.0, 0.5], "t": [1, 3],
        "lr": 0.1, "lr_decay": 0.1,
    }, 2),
    "rmsprop_step": ({
        "theta_prev": [1.0, -2.0], "grad": [1e-5, 0.3], "v_prev": [0.0, 0.2], "t": [1, 3], "lr": 0.1,
    }, 2),
    "adadelta_step": ({
        "theta_prev": [1.0, -2.0], "grad": [0.5, 0.1], "v_prev": [0.0, 0.1], "u_prev": [0.0, 0.01],
        "lr": [1.0, 0.5],
    }, 2),
    "adam_step": (ADAM, 2),
    "adamw_step": ({**ADAM, "weight_decay": [0.01, 0.1]}, 2),
    "nadam_step": ({
        "theta_prev": [1.0, -2.0], "grad": [0.5, 0.1], "m_prev": [0.0, 0.05], "v_prev": [0.0, 1e-3],
        "t": [1, 4], "lr": 0.1, "weight_decay": 0.1,
    }, 2),
    "radam_step": ({
        "theta_prev": [1.0, -2.0], "grad": [0.5, 0.1], "m_prev": [0.0, 0.05], "v_prev": [0.0, 1e-3],
        "t": [1, 3], "lr": 0.1,
    }, 2),
    # A gradient near eps; β2·u winning over a tiny gradient; weight decay on a real one.
    "adamax_step": ({
        "theta_prev": [1.0, -2.0, 0.5], "grad": [1e-7, 1e-9, 0.3], "m_prev": [0.0, 1e-8, 0.02],
        "u_prev": [0.0, 2e-7, 0.1], "t": [1, 3, 2], "lr": 0.1, "weight_decay": [0.0, 0.0, 0.1],
    }, 3),
    "sigmoid": ({"x": [0.7, -1.3, 0.0]}, 3),
    "tanh": ({"x": [0.7, -1.3, 0.0]}, 3),
    "relu": ({"x": [0.7, -1.3, 0.0]}, 3),
    "leaky_relu": ({"x": [0.7, -1.3, -1.3], "negative_slope": [0.01, 2.0, 0.01]}, 3),
    "elu": ({"x": [0.7, -1.3, 0.0]}, 3),
    "selu": ({"x": [0.7, -1.3, 0.0]}, 3),
    "gelu": ({"x": [0.7, -1.3, 2.0]}, 3),
    "gelu_tanh": ({"x": [0.7, -1.3, 2.0]}, 3),
    "silu": ({"x": [0.7, -1.3, 2.0]}, 3),
    "swish": ({"x": [0.7, -1.3, 2.0], "beta": [1.5, 2.0, 0.5]}, 3),
    "softplus": ({"x": [0.7, -1.3, 2.0], "beta": 2.0}, 3),
    "hardsigmoid": ({"x": [0.7, -1.3, 2.0]}, 3),
    "glu": ({"x": [[1.0, 2.0], [3.0, -4.0]]}, 1),
    "swiglu": ({"x": [[1.0, 2.0], [3.0, -4.0]]}, 1),
    "batch_norm_train": ({
        "x": X43, "gamma": [1.0, 2.0, 0.5], "beta": [0.0, 0.1, -0.1],
        "running_mean_prev": [0.5, -0.2, 0.0], "running_var_prev": [1.0, 2.0, 0.5],
    }, 1),
    "batch_norm_eval": ({
        "x": [1.0, 1.0, 1.0], "running_mean": [0.175, 0.15, 0.125], "running_var": [1.19, 1.07, 0.3],
        "gamma": [1.0, 2.0, 0.5], "beta": [0.0, 0.1, -0.1],
    }, 1),
    "layer_norm": ({"x": [1.0, 2.0, 3.0, 6.0], "gamma": [1.0, 2.0, 0.5, 1.0], "beta": [0.1] * 4}, 1),
    "rms_norm": ({"x": [[1.0, 2.0, 3.0, 6.0], [1e-3, -1e-3, 2e-3, 0.0]], "eps": 1e-6}, 2),
    "group_norm": ({
        "x": [[0.0, 1.0, 4.0], [1.0, 3.0, 2.0], [5.0, -1.0, 0.0], [2.0, 2.0, 9.0]], "num_groups": 2,
        "gamma": [1.0, 2.0, 0.5, 1.0], "beta": [0.0, 0.1, -0.1, 0.0],
    }, 1),
    "mse": ({"input": PRED, "target": TARGET}, 1),
    "mae": ({"input": PRED, "target": TARGET}, 1),
    "huber": ({"input": PRED, "target": TARGET, "delta": 2.0}, 1),
    "smooth_l1": ({"input": PRED, "target": TARGET, "beta": 2.0}, 1),
    "cross_entropy_probs": ({"logits": LOGITS, "target": [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]]}, 1),
    "bce": ({"input": [0.9, 0.2, 0.6], "target": [1.0, 0.0, 0.0]}, 1),
    "bce_with_logits": ({"input": [2.0, -1.0, 0.4], "target": [1.0, 0.0, 0.0], "pos_weight": [3.0] * 3}, 1),
    "kl_div": ({"input": np.log(Q), "target": P}, 1),
    "focal": ({"input": [2.0, -1.0, 0.4], "target": [1.0, 0.0, 1.0]}, 1),
    "margin_ranking": ({"x1": [1.0, 2.0, 3.0], "x2": [2.0, 1.0, 3.1], "target": [1, 1, -1], "margin": 0.2}, 1),
    "hinge_embedding": ({"input": [0.3, 1.5, 0.2, 0.9], "target": [1, -1, -1, 1]}, 1),
    "triplet_margin": ({"anchor": [0.0, 0.0], "positive": [0.5, 0.1], "negative": [1.0, 0.0]}, 1),
    "cosine_embedding": ({
        "x1": [[1.0, 0.0], [1.0, 1.0], [0.3, -2.0]], "x2": [[1.0, 1.0], [1.0, 0.0], [1.0, 0.5]],
        "target": [1, -1, -1], "margin": [0.0, 0.5, 0.0],
    }, 3),
    "info_nce": ({"query": [1.0, 0.5], "keys": [[1.0, 0.1], [0.0, 1.0], [-1.0, 0.3]]}, 1),
    "fan_in_fan_out": ({"out_features": 16, "in_features": 8, "receptive_field": 9}, 1),
    "calculate_gain": ({}, 1),
    "xavier_init": ({"fan_in": [400, 3], "fan_out": [600, 5]}, 2),
    "kaiming_init": ({"fan_in": [400, 3], "fan_out": [600, 5], "a": [0.0, 0.5]}, 2),
    "lecun_init": ({"fan_in": [400, 3]}, 2),
    "linear_default_init": ({"fan_in": [400, 3], "fan_out": [600, 5]}, 2),
    "dropout_scale": ({"p": [0.3, 0.6]}, 2),
    "l2_sgd_step": ({"theta_prev": [1.0, -2.0], "grad": [0.5, 0.1], "lr": 0.1, "weight_decay": 0.01}, 2),
    "l1_soft_threshold": ({"w_star": [1.0, -1.0, 0.2, -0.2], "H": 2.0, "alpha": 1.0}, 4),
    "ridge": ({"X": [[1.0, 2.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [2.0, 1.0, 1.0]],
               "y": [1.0, 2.0, 3.0, 4.0], "alpha": 0.5}, 1),
    "clip_grad_norm": ({"grad": [[3.0, 4.0, 12.0], [0.1, 0.2, 0.2]], "max_norm": 1.0}, 2),
    "step_lr": ({"t": [0, 1, 2, 3, 4, 7], "base_lr": 0.1, "step_size": 3}, 6),
    "exponential_lr": ({"t": [0, 1, 5], "base_lr": 0.1, "gamma": 0.9}, 3),
    "cosine_annealing_lr": ({"t": [0, 5, 15], "base_lr": 0.1, "T_max": 10, "eta_min": 0.01}, 3),
    "linear_lr": ({"t": [0, 2, 6], "base_lr": 0.1}, 3),
}  # fmt: skip

E = dict[str, np.ndarray]
sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
phi = lambda x: 0.5 * (1 + np.vectorize(__import__("math").erf)(x / np.sqrt(2)))  # noqa: E731


def gw(e: E) -> np.ndarray:
    return e["grad"] + e["weight_decay"] * e["theta_prev"]


def log_softmax(x: np.ndarray) -> np.ndarray:
    s = x - x.max(-1, keepdims=True)
    return s - np.log(np.exp(s).sum(-1, keepdims=True))


def adam_theta(e: E, g: np.ndarray, theta: np.ndarray, b2: Any = None) -> np.ndarray:
    b1, b2, t = e["beta1"], e["beta2"] if b2 is None else b2, e["t"]
    m = b1 * e["m_prev"] + (1 - b1) * g
    v = b2 * e["v_prev"] + (1 - b2) * g**2
    return theta - e["lr"] * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + e["eps"])


def nadam_decoupled(e: E) -> np.ndarray:
    """NAdam's step with AdamW's decay: θ decayed first, the raw gradient in the moments."""
    b1, b2, t, psi, lr = e["beta1"], e["beta2"], e["t"], e["momentum_decay"], e["lr"]
    mu, mu_next = b1 * (1 - 0.5 * 0.96 ** (t * psi)), b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
    m = b1 * e["m_prev"] + (1 - b1) * e["grad"]
    den = np.sqrt((b2 * e["v_prev"] + (1 - b2) * e["grad"] ** 2) / (1 - b2**t)) + e["eps"]
    step = (1 - mu) / (1 - e["mu_product"]) * e["grad"] + mu_next / (1 - e["mu_product"] * mu_next) * m
    return e["theta_prev"] * (1 - lr * e["weight_decay"]) - lr * step / den


def adamax_u(e: E) -> np.ndarray:
    """Adamax's u with eps left out of the maximum."""
    return np.maximum(e["beta2"] * e["u_prev"], np.abs(gw(e)))


def cos(e: E) -> np.ndarray:
    return (e["x1"] * e["x2"]).sum(-1) / (np.linalg.norm(e["x1"], axis=-1) * np.linalg.norm(e["x2"], axis=-1))


def cosine_lr(e: E) -> np.ndarray:
    return e["eta_min"] + 0.5 * (e["base_lr"] - e["eta_min"]) * (1 + np.cos(np.pi * e["t"] / e["T_max"]))


def pt(e: E) -> np.ndarray:
    return sig(e["input"]) * e["target"] + (1 - sig(e["input"])) * (1 - e["target"])


def rms_theta(e: E, alpha: float) -> np.ndarray:
    v = alpha * e["v_prev"] + (1 - alpha) * gw(e) ** 2
    return e["theta_prev"] - e["lr"] * gw(e) / (np.sqrt(v) + e["eps"])


def col(v: np.ndarray) -> np.ndarray:
    """A batch of (c,) vectors as (c, 1) columns, to combine with (c, s) matrices."""
    return v[:, :, None]


clr = lambda e: e["lr"] / (1 + (e["t"] - 1) * e["lr_decay"])  # noqa: E731
adam_hat = lambda e: e["lr"] * e["m_hat"] / (np.sqrt(e["v_hat"]) + e["eps"])  # noqa: E731
HAND: dict[tuple[str, str], Callable[[E], np.ndarray]] = {
    ("sgd_step", "dampened-first-step"): lambda e: e["momentum"] * e["b_prev"] + (1 - e["dampening"]) * gw(e),
    ("sgd_step", "ema-momentum"): lambda e: e["theta_prev"] - e["lr"] * (e["momentum"] * e["b_prev"] + (1 - e["momentum"]) * gw(e)),
    ("sgd_step", "lookahead-nesterov"): lambda e: e["theta_prev"] - e["lr"] * e["b"],
    ("adagrad_step", "eps-inside-sqrt"): lambda e: e["theta_prev"] - clr(e) * gw(e) / np.sqrt(e["G"] + e["eps"]),
    ("adagrad_step", "mean-instead-of-sum"): lambda e: e["theta_prev"] - clr(e) * gw(e) / (np.sqrt(e["G"] / e["t"]) + e["eps"]),
    ("adagrad_step", "lr-decay-off-by-one"): lambda e: e["theta_prev"] - e["lr"] / (1 + e["t"] * e["lr_decay"]) * gw(e) / (np.sqrt(e["G"]) + e["eps"]),
    ("rmsprop_step", "eps-inside-sqrt"): lambda e: e["theta_prev"] - e["lr"] * gw(e) / np.sqrt(e["v"] + e["eps"]),
    ("rmsprop_step", "bias-correction"): lambda e: e["theta_prev"] - e["lr"] * gw(e) / (np.sqrt(e["v"] / (1 - e["alpha"] ** e["t"])) + e["eps"]),
    ("rmsprop_step", "state-starts-at-g-squared"): lambda e: e["theta_prev"] - e["lr"] * gw(e) / (np.abs(gw(e)) + e["eps"]),
    ("rmsprop_step", "alpha-0.9"): lambda e: rms_theta(e, 0.9),
    ("rmsprop_step", "alpha-0.999"): lambda e: rms_theta(e, 0.999),
    ("adadelta_step", "eps-outside-sqrt"): lambda e: e["theta_prev"] - e["lr"] * (np.sqrt(e["u_prev"]) + e["eps"]) / (np.sqrt(e["v"]) + e["eps"]) * gw(e),
    ("adadelta_step", "no-eps-in-numerator"): lambda e: e["theta_prev"] - e["lr"] * np.sqrt(e["u_prev"]) / np.sqrt(e["v"] + e["eps"]) * gw(e),
    ("adadelta_step", "lr-in-accumulator"): lambda e: e["rho"] * e["u_prev"] + (1 - e["rho"]) * (e["lr"] * e["delta"]) ** 2,
    ("adam_step", "no-bias-correction"): lambda e: e["theta_prev"] - e["lr"] * e["m"] / (np.sqrt(e["v"]) + e["eps"]),
    ("adam_step", "eps-inside-sqrt"): lambda e: e["theta_prev"] - e["lr"] * e["m_hat"] / np.sqrt(e["v_hat"] + e["eps"]),
    ("adam_step", "beta2-0.99"): lambda e: adam_theta(e, gw(e), e["theta_prev"], 0.99),
    ("adam_step", "uncorrected-m"): lambda e: e["theta_prev"] - e["lr"] * e["m"] / (np.sqrt(e["v_hat"]) + e["eps"]),
    ("adam_step", "decoupled-weight-decay"): lambda e: adam_theta(e, e["grad"], e["theta_prev"] * (1 - e["lr"] * e["weight_decay"])),
    ("adamw_step", "no-bias-correction"): lambda e: e["theta_prev"] - e["lr"] * e["m"] / (np.sqrt(e["v"]) + e["eps"]),
    ("adamw_step", "coupled-l2"): lambda e: adam_theta(e, gw(e), e["theta_prev"]),
    ("adamw_step", "decay-without-lr"): lambda e: e["theta_prev"] * (1 - e["weight_decay"]) - adam_hat(e),
    ("adamw_step", "decay-after-step"): lambda e: (e["theta_prev"] - adam_hat(e)) * (1 - e["lr"] * e["weight_decay"]),
    ("nadam_step", "adam-update"): lambda e: e["theta_prev"] - e["lr"] * (e["m"] / (1 - e["beta1"] ** e["t"])) / (np.sqrt(e["v"] / (1 - e["beta2"] ** e["t"])) + e["eps"]),
    ("nadam_step", "constant-momentum"): lambda e: e["theta_prev"] - e["lr"] * (e["beta1"] * e["m"] / (1 - e["beta1"] ** (e["t"] + 1)) + (1 - e["beta1"]) * gw(e) / (1 - e["beta1"] ** e["t"])) / (np.sqrt(e["v"] / (1 - e["beta2"] ** e["t"])) + e["eps"]),
    ("nadam_step", "decoupled-weight-decay"): nadam_decoupled,
    ("adamax_step", "no-eps"): lambda e: e["theta_prev"] - e["lr"] / (1 - e["beta1"] ** e["t"]) * e["m"] / adamax_u(e),
    ("adamax_step", "eps-outside-max"): lambda e: e["theta_prev"] - e["lr"] / (1 - e["beta1"] ** e["t"]) * e["m"] / (adamax_u(e) + e["eps"]),
    ("adamax_step", "l2-norm"): lambda e: np.sqrt(e["beta2"] * e["u_prev"] ** 2 + (1 - e["beta2"]) * gw(e) ** 2),
    ("adamax_step", "no-bias-correction"): lambda e: e["theta_prev"] - e["lr"] * e["m"] / e["u"],
    ("radam_step", "adaptive-before-rectification"): lambda e: e["theta_prev"] - e["lr"] * (e["m"] / (1 - e["beta1"] ** e["t"])) / (np.sqrt(e["v"] / (1 - e["beta2"] ** e["t"])) + e["eps"]),
    ("radam_step", "no-bias-correction-in-warmup"): lambda e: e["theta_prev"] - e["lr"] * e["m"],
    ("sigmoid", "derivative-of-x"): lambda e: e["x"] * (1 - e["x"]),
    ("tanh", "derivative-of-x"): lambda e: 1 - e["x"] ** 2,
    ("tanh", "sigmoid-derivative-form"): lambda e: e["y"] * (1 - e["y"]),
    ("relu", "derivative-one-at-zero"): lambda e: (e["x"] >= 0) * 1.0,
    ("leaky_relu", "max-form"): lambda e: np.maximum(e["negative_slope"] * e["x"], e["x"]),
    ("elu", "missing-minus-one"): lambda e: np.where(e["x"] > 0, e["x"], e["alpha"] * np.exp(e["x"])),
    ("selu", "lambda-omitted"): lambda e: np.where(e["x"] > 0, e["x"], 1.6732632423543772 * np.expm1(e["x"])),
    ("gelu", "tanh-approximation"): lambda e: 0.5 * e["x"] * (1 + np.tanh(np.sqrt(2 / np.pi) * (e["x"] + 0.044715 * e["x"] ** 3))),
    ("gelu", "sigmoid-approximation"): lambda e: e["x"] * sig(1.702 * e["x"]),
    ("gelu", "missing-product-rule"): lambda e: phi(e["x"]),
    ("gelu_tanh", "exact-gelu"): lambda e: e["x"] * phi(e["x"]),
    ("silu", "missing-product-rule"): lambda e: sig(e["x"]),
    ("swish", "beta-ignored"): lambda e: e["x"] * sig(e["x"]),
    ("swish", "silu-derivative"): lambda e: e["y"] + sig(e["beta"] * e["x"]) * (1 - e["y"]),
    ("softplus", "beta-not-divided"): lambda e: np.log1p(np.exp(e["beta"] * e["x"])),
    ("hardsigmoid", "slope-0.2"): lambda e: np.clip(0.2 * e["x"] + 0.5, 0, 1),
    ("glu", "gate-on-first-half"): lambda e: sig(e["x"][:, 0]) * e["x"][:, 1],
    ("swiglu", "gate-on-first-half"): lambda e: e["x"][:, 0] * sig(e["x"][:, 0]) * e["x"][:, 1],
    ("swiglu", "sigmoid-gate"): lambda e: e["x"][:, 0] * sig(e["x"][:, 1]),
    ("batch_norm_train", "running-var-biased"): lambda e: (1 - e["momentum"][:, None]) * e["running_var_prev"] + e["momentum"][:, None] * e["batch_var"],
    ("batch_norm_train", "momentum-weights-swapped"): lambda e: e["momentum"][:, None] * e["running_mean_prev"] + (1 - e["momentum"][:, None]) * e["batch_mean"],
    ("batch_norm_train", "momentum-0.01"): lambda e: 0.99 * e["running_mean_prev"] + 0.01 * e["batch_mean"],
    ("batch_norm_train", "no-eps"): lambda e: (e["x"] - e["batch_mean"][:, None]) / np.sqrt(e["batch_var"][:, None]) * e["gamma"][:, None] + e["beta"][:, None],
    ("batch_norm_eval", "variance-not-rooted"): lambda e: (e["x"] - e["running_mean"]) / (e["running_var"] + e["eps"][:, None]) * e["gamma"] + e["beta"],
    ("batch_norm_eval", "eps-outside-sqrt"): lambda e: (e["x"] - e["running_mean"]) / (np.sqrt(e["running_var"]) + e["eps"][:, None]) * e["gamma"] + e["beta"],
    ("layer_norm", "eps-outside-sqrt"): lambda e: (e["x"] - e["x"].mean(-1, keepdims=True)) / (e["x"].std(-1, keepdims=True) + e["eps"][:, None]) * e["gamma"] + e["beta"],
    ("layer_norm", "no-centering"): lambda e: e["x"] / np.sqrt((e["x"] ** 2).mean(-1, keepdims=True) + e["eps"][:, None]) * e["gamma"] + e["beta"],
    ("rms_norm", "eps-outside-sqrt"): lambda e: e["x"] / (np.sqrt((e["x"] ** 2).mean(-1, keepdims=True)) + e["eps"][:, None]) * e["gamma"],
    ("rms_norm", "centered"): lambda e: (e["x"] - e["x"].mean(-1, keepdims=True)) / np.sqrt(e["x"].var(-1, keepdims=True) + e["eps"][:, None]) * e["gamma"],
    ("rms_norm", "norm-without-sqrt-n"): lambda e: e["x"] / np.linalg.norm(e["x"], axis=-1, keepdims=True) * e["gamma"],
    ("group_norm", "instance-norm"): lambda e: (e["x"] - e["x"].mean(-1, keepdims=True)) / np.sqrt(e["x"].var(-1, keepdims=True) + 1e-5) * col(e["gamma"]) + col(e["beta"]),
    ("group_norm", "layer-norm"): lambda e: (e["x"] - e["x"].mean((1, 2), keepdims=True)) / np.sqrt(e["x"].var((1, 2), keepdims=True) + 1e-5) * col(e["gamma"]) + col(e["beta"]),
    ("mse", "sum-not-mean"): lambda e: ((e["input"] - e["target"]) ** 2).sum(-1),
    ("mse", "halved"): lambda e: ((e["input"] - e["target"]) ** 2).mean(-1) / 2,
    ("mae", "sum-not-mean"): lambda e: np.abs(e["input"] - e["target"]).sum(-1),
    ("huber", "missing-half"): lambda e: (2 * np.where(np.abs(e["input"] - e["target"]) < 2, 0.5 * (e["input"] - e["target"]) ** 2, 2 * (np.abs(e["input"] - e["target"]) - 1)) - np.where(np.abs(e["input"] - e["target"]) < 2, 0, 2 * (np.abs(e["input"] - e["target"]) - 1))).mean(-1),
    ("huber", "smooth-l1-for-huber"): lambda e: np.where(np.abs(e["input"] - e["target"]) < 2, 0.25 * (e["input"] - e["target"]) ** 2, np.abs(e["input"] - e["target"]) - 1).mean(-1),
    ("smooth_l1", "huber-for-smooth-l1"): lambda e: np.where(np.abs(e["input"] - e["target"]) < 2, 0.5 * (e["input"] - e["target"]) ** 2, 2 * (np.abs(e["input"] - e["target"]) - 1)).mean(-1),
    ("cross_entropy_probs", "probabilities-fed"): lambda e: -(e["target"] * log_softmax(np.exp(log_softmax(e["logits"])))).sum(-1).mean(-1),
    ("cross_entropy_probs", "sum-over-batch"): lambda e: -(e["target"] * log_softmax(e["logits"])).sum((-1, -2)),
    ("bce", "missing-minus"): lambda e: (e["target"] * np.log(e["input"]) + (1 - e["target"]) * np.log(1 - e["input"])).mean(-1),
    ("bce", "sum-not-mean"): lambda e: -(e["target"] * np.log(e["input"]) + (1 - e["target"]) * np.log(1 - e["input"])).sum(-1),
    ("bce_with_logits", "pos-weight-on-both-terms"): lambda e: -(e["pos_weight"] * (e["target"] * np.log(sig(e["input"])) + (1 - e["target"]) * np.log(1 - sig(e["input"])))).mean(-1),
    ("kl_div", "sign-flipped"): lambda e: -(e["target"] * (np.log(e["target"]) - e["input"])).sum(-1).mean(-1),
    ("kl_div", "p-q-swapped"): lambda e: (np.exp(e["input"]) * (e["input"] - np.log(e["target"]))).sum(-1).mean(-1),
    ("kl_div", "mean-reduction"): lambda e: (e["target"] * (np.log(e["target"]) - e["input"])).mean((-1, -2)),
    ("kl_div", "probabilities-as-input"): lambda e: (e["target"] * (np.log(e["target"]) - np.exp(e["input"]))).sum(-1).mean(-1),
    ("focal", "no-alpha"): lambda e: -np.log(pt(e)) * (1 - pt(e)) ** 2,
    ("focal", "alpha-swapped"): lambda e: -(0.25 * (1 - e["target"]) + 0.75 * e["target"]) * np.log(pt(e)) * (1 - pt(e)) ** 2,
    ("margin_ranking", "sign-flipped"): lambda e: np.maximum(0, e["target"] * (e["x1"] - e["x2"]) + 0.2).mean(-1),
    ("hinge_embedding", "missing-clamp"): lambda e: np.where(e["target"] > 0, e["input"], 1 - e["input"]).mean(-1),
    ("triplet_margin", "no-eps-in-distance"): lambda e: np.maximum(np.linalg.norm(e["anchor"] - e["positive"], axis=-1) - np.linalg.norm(e["anchor"] - e["negative"], axis=-1) + 1, 0),
    ("triplet_margin", "squared-distances"): lambda e: np.maximum(np.linalg.norm(e["anchor"] - e["positive"], axis=-1) ** 2 - np.linalg.norm(e["anchor"] - e["negative"], axis=-1) ** 2 + 1, 0),
    ("cosine_embedding", "missing-clamp"): lambda e: np.where(e["target"] > 0, 1 - cos(e), cos(e) - e["margin"]),
    ("info_nce", "no-temperature"): lambda e: -log_softmax(e["keys"] @ e["query"][0] / (np.linalg.norm(e["keys"], axis=-1) * np.linalg.norm(e["query"])))[:, 0],
    ("info_nce", "dot-product"): lambda e: -log_softmax(e["keys"] @ e["query"][0] / 0.07)[:, 0],
    ("fan_in_fan_out", "fans-swapped"): lambda e: e["out_features"] * e["receptive_field"],
    ("calculate_gain", "sqrt-2-for-leaky-relu"): lambda e: np.full(1, np.sqrt(2)),
    ("calculate_gain", "tanh-gain-one"): lambda e: np.ones(1),
    ("xavier_init", "lecun-variance"): lambda e: 1 / np.sqrt(e["fan_in"]),
    ("xavier_init", "no-factor-2"): lambda e: np.sqrt(1 / (e["fan_in"] + e["fan_out"])),
    ("xavier_init", "std-as-bound"): lambda e: e["normal_std"],
    ("kaiming_init", "fan-out"): lambda e: np.sqrt(2 / (1 + e["a"] ** 2)) / np.sqrt(e["fan_out"]),
    ("kaiming_init", "no-factor-2"): lambda e: 1 / np.sqrt(e["fan_in"]),
    ("kaiming_init", "std-as-bound"): lambda e: e["normal_std"],
    ("lecun_init", "he-factor"): lambda e: np.sqrt(2 / e["fan_in"]),
    ("linear_default_init", "he-uniform"): lambda e: np.sqrt(6 / e["fan_in"]),
    ("linear_default_init", "xavier-uniform"): lambda e: np.sqrt(6 / (e["fan_in"] + e["fan_out"])),
    ("dropout_scale", "keep-prob-scaling"): lambda e: 1 - e["p"],
    ("dropout_scale", "p-as-keep-probability"): lambda e: 1 / e["p"],
    ("dropout_scale", "eval-rescaled"): lambda e: 1 - e["p"],
    ("l2_sgd_step", "decay-without-lr"): lambda e: e["theta_prev"] * (1 - e["weight_decay"]) - e["lr"] * e["grad"],
    ("l2_sgd_step", "double-decay"): lambda e: e["theta_prev"] - e["lr"] * (e["grad"] + 2 * e["weight_decay"] * e["theta_prev"]),
    ("l1_soft_threshold", "no-clamp"): lambda e: np.sign(e["w_star"]) * (np.abs(e["w_star"]) - e["alpha"] / e["H"]),
    ("l1_soft_threshold", "signed-condition"): lambda e: np.where(e["w_star"] > e["alpha"] / e["H"], e["w_star"] - e["alpha"] / e["H"], 0),
    ("ridge", "penalty-factor"): lambda e: np.linalg.solve(e["X"][0].T @ e["X"][0] + 0.5 * np.eye(3), e["X"][0].T @ e["y"][0])[None],
    ("clip_grad_norm", "no-epsilon"): lambda e: e["grad"] * np.minimum(1, 1 / np.linalg.norm(e["grad"], axis=-1, keepdims=True)),
    ("clip_grad_norm", "always-rescale"): lambda e: e["grad"] / (np.linalg.norm(e["grad"], axis=-1, keepdims=True) + 1e-6),
    ("clip_grad_norm", "returns-clipped-norm"): lambda e: np.minimum(np.linalg.norm(e["grad"], axis=-1), 1),
    ("step_lr", "continuous-decay"): lambda e: 0.1 * 0.1 ** (e["t"] / 3),
    ("exponential_lr", "off-by-one"): lambda e: 0.1 * 0.9 ** (e["t"] + 1),
    ("cosine_annealing_lr", "clamped-after-T_max"): lambda e: np.where(e["t"] > 10, 0.01, cosine_lr(e)),
    ("cosine_annealing_lr", "missing-half"): lambda e: e["eta_min"] + (e["base_lr"] - e["eta_min"]) * (1 + np.cos(np.pi * e["t"] / e["T_max"])),
    ("linear_lr", "warmup-from-zero"): lambda e: 0.1 * np.minimum(e["t"], 5) / 5,
}  # fmt: skip

# The topics written since keep their samples and hand computations beside their other tests
# (`MISTAKE_SAMPLES`, `MISTAKE_HAND` in tests/engine/references/test_<topic>.py); all are run here.
OWN_SAMPLES = ("backprop", "convolutions", "derivations", "positional", "precision", "transformers")
for _topic in OWN_SAMPLES:
    _module = importlib.import_module(f"tests.engine.references.test_{_topic}")
    SAMPLES.update(_module.MISTAKE_SAMPLES)
    HAND.update(_module.MISTAKE_HAND)

# The curvature references take a function; test_references_curvature.py checks their mistakes.
MISTAKES = [(ref.name, m) for ref in all_references() if not ref.takes_function for m in ref.mistakes]


def test_every_mistake_has_a_sample_and_a_hand_computation() -> None:
    assert {(name, m.name) for name, m in MISTAKES} == set(HAND)
    assert {name for name, _ in MISTAKES} <= set(SAMPLES)


def run_sample(name: str) -> tuple[E, E]:
    """The reference's full batched inputs (defaults filled in) and its outputs."""
    from engine.references.registry import prepare_inputs

    inputs, n = SAMPLES[name]
    arrays, _ = prepare_inputs(get_reference(name), inputs, n)
    return arrays, run_reference(name, inputs, n=n, device="cpu")


@pytest.mark.parametrize(("name", "mistake"), MISTAKES, ids=[f"{r}:{m.name}" for r, m in MISTAKES])
def test_mistake_formula(name: str, mistake: Any) -> None:
    ref = get_reference(name)
    names = [p.name for p in ref.inputs] + [o.name for o in ref.outputs]
    assert len(set(names)) == len(names), "inputs and outputs share a name"
    assert mistake.output in {o.name for o in ref.outputs}
    inputs, outputs = run_sample(name)
    env = {**inputs, **outputs}
    wrong = evaluate(
        parse(mistake.formula), {canonical_name(k): v for k, v in env.items()}, batched=True
    ).data
    correct = outputs[mistake.output]
    hand = HAND[(name, mistake.name)](env)
    np.testing.assert_allclose(
        np.broadcast_to(wrong, correct.shape), hand.reshape(correct.shape), rtol=1e-10, atol=1e-12
    )
    assert not np.allclose(hand.reshape(correct.shape), correct, rtol=1e-9, atol=1e-12), "indistinguishable"
