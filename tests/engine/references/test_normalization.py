"""Normalization references against numpy written out by hand."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch
from torch import nn

from engine.references import ReferenceInputError, get_reference, run_reference
from engine.references.normalization import FLOAT32_EPS

# torch-semantics.md's (4 × 3) batch: batch mean [1.75, 1.5, 1.25].
X = np.array([[0.0, 1.0, -1.0], [1.0, 2.0, 1.0], [2.0, 3.0, 2.0], [4.0, 0.0, 3.0]])


def batch_norm(x, gamma, beta, rm, rv, momentum=0.1, eps=1e-5):  # type: ignore[no-untyped-def]
    mean, var = x.mean(0), x.var(0)
    y = (x - mean) / np.sqrt(var + eps) * gamma + beta
    unbiased = var * len(x) / (len(x) - 1)
    return y, mean, var, (1 - momentum) * rm + momentum * mean, (1 - momentum) * rv + momentum * unbiased


def test_batch_norm_train_worked_figures() -> None:
    out = run_reference("batch_norm_train", {"x": X}, n=1)
    np.testing.assert_allclose(out["batch_mean"][0], [1.75, 1.5, 1.25])
    np.testing.assert_allclose(out["running_mean"][0], [0.175, 0.15, 0.125], atol=1e-15)
    np.testing.assert_allclose(out["running_var"][0], [1.1916666667, 1.0666666667, 1.1916666667], atol=1e-10)
    evaluated = run_reference(
        "batch_norm_eval",
        {"x": [1.0, 1.0, 1.0], "running_mean": out["running_mean"][0], "running_var": out["running_var"][0]},
        n=1,
    )
    np.testing.assert_allclose(evaluated["y"][0], [0.7557440395, 0.8230051032, 0.8015467086], atol=1e-10)


def test_batch_norm_train_batched_against_numpy() -> None:
    rng = np.random.default_rng(1)
    n, b, c = 5, 6, 3
    inputs = {
        "x": rng.normal(size=(n, b, c)),
        "gamma": rng.normal(size=(n, c)),
        "beta": rng.normal(size=(n, c)),
        "running_mean_prev": rng.normal(size=(n, c)),
        "running_var_prev": rng.random((n, c)) + 0.5,
        "momentum": np.array([0.1, 0.1, 0.5, 0.01, 0.1]),
        "eps": np.array([1e-5, 1e-3, 1e-5, 1e-5, 1e-5]),
    }
    out = run_reference("batch_norm_train", inputs, n=n)
    names = ["y", "batch_mean", "batch_var", "running_mean", "running_var"]
    for i in range(n):
        expected = batch_norm(*(inputs[k][i] for k in inputs))
        for name, value in zip(names, expected, strict=True):
            np.testing.assert_allclose(out[name][i], value, rtol=0, atol=1e-12, err_msg=name)


def test_batch_norm_eval_against_numpy() -> None:
    x, rm, rv = np.array([0.3, -2.0]), np.array([0.1, -1.0]), np.array([0.5, 2.0])
    out = run_reference(
        "batch_norm_eval",
        {"x": x, "running_mean": rm, "running_var": rv, "gamma": [2.0, 0.5], "beta": [1.0, 0.0]},
        n=1,
    )
    np.testing.assert_allclose(
        out["y"][0], (x - rm) / np.sqrt(rv + 1e-5) * [2.0, 0.5] + [1.0, 0.0], atol=1e-14
    )


def test_batch_of_one_row_is_an_input_error() -> None:
    with pytest.raises(ReferenceInputError, match="more than 1 value"):
        run_reference("batch_norm_train", {"x": [[1.0, 2.0]]}, n=1)


def test_layer_norm_and_rms_norm() -> None:
    x = np.array([[1.0, 2.0, 3.0, 6.0], [1e-3, -1e-3, 2e-3, 0.0]])
    ln = run_reference("layer_norm", {"x": x}, n=2)
    np.testing.assert_allclose(ln["y"][0], [-1.0690434404, -0.5345217202, 0, 1.6035651607], atol=1e-10)
    expected = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(ln["y"], expected, atol=1e-14)
    gamma, beta = np.array([[1, 2, 3, 4.0], [0.5, 0.5, 0.5, 0.5]]), np.array([0.1, 0, 0, -0.1])
    affine = run_reference("layer_norm", {"x": x, "gamma": gamma, "beta": beta}, n=2)
    np.testing.assert_allclose(affine["y"], expected * gamma + beta, atol=1e-14)

    rms = run_reference("rms_norm", {"x": x, "eps": [FLOAT32_EPS, 1e-6]}, n=2)
    np.testing.assert_allclose(
        rms["y"][0], [0.2828427125, 0.5656854249, 0.8485281374, 1.6970562748], atol=1e-9
    )
    np.testing.assert_allclose(rms["y"][1], [0.632, -0.632, 1.265, 0], atol=1e-3)
    eps = np.array([[FLOAT32_EPS], [1e-6]])
    np.testing.assert_allclose(rms["y"], x / np.sqrt((x**2).mean(1, keepdims=True) + eps), atol=1e-14)


def test_rms_norm_default_eps_is_float32_finfo() -> None:
    assert get_reference("rms_norm").input("eps").default == torch.finfo(torch.float32).eps


def test_group_norm() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 4, 3))
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    out = run_reference("group_norm", {"x": x, "num_groups": [2, 4], "gamma": gamma, "beta": beta}, n=2)
    for i, groups in enumerate([2, 4]):
        g = x[i].reshape(groups, -1)
        normed = ((g - g.mean(1, keepdims=True)) / np.sqrt(g.var(1, keepdims=True) + 1e-5)).reshape(4, 3)
        np.testing.assert_allclose(out["y"][i], normed * gamma[:, None] + beta[:, None], atol=1e-13)
    with pytest.raises(ReferenceInputError, match="num_groups"):
        run_reference("group_norm", {"x": x[0], "num_groups": 3}, n=1)


def test_defaults_are_torchs() -> None:
    bn = inspect.signature(nn.BatchNorm1d).parameters
    assert get_reference("batch_norm_train").input("momentum").default == bn["momentum"].default
    for name, module in (
        ("batch_norm_train", nn.BatchNorm1d),
        ("layer_norm", nn.LayerNorm),
        ("group_norm", nn.GroupNorm),
    ):
        assert get_reference(name).input("eps").default == inspect.signature(module).parameters["eps"].default
    fresh = nn.BatchNorm1d(3)
    assert get_reference("batch_norm_train").input("running_mean_prev").default == float(
        fresh.running_mean[0]
    )
    assert get_reference("batch_norm_train").input("running_var_prev").default == float(fresh.running_var[0])
