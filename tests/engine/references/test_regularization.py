"""Regularization references against numpy written out by hand."""

from __future__ import annotations

import numpy as np
import torch

from engine.references import run_reference


def test_l2_sgd_step() -> None:
    out = run_reference(
        "l2_sgd_step", {"theta_prev": [1.0, -2.0], "grad": [0.5, 0.1], "lr": 0.1, "weight_decay": 0.01}, n=2
    )
    np.testing.assert_allclose(
        out["theta"], (1 - 0.1 * 0.01) * np.array([1.0, -2.0]) - 0.1 * np.array([0.5, 0.1])
    )
    np.testing.assert_allclose(out["theta"], [0.949, -2.008], atol=1e-15)


def test_l1_soft_threshold_matches_softshrink() -> None:
    w, H, alpha = np.array([1.0, -1.0, 0.2, -0.2, 0.5]), np.array([2.0, 2.0, 2.0, 2.0, 0.5]), 1.0
    out = run_reference("l1_soft_threshold", {"w_star": w, "H": H, "alpha": alpha}, n=len(w))
    expected = np.sign(w) * np.maximum(np.abs(w) - alpha / H, 0)
    np.testing.assert_allclose(out["w"], expected, atol=1e-15)
    for i in range(len(w)):
        shrunk = torch.nn.functional.softshrink(torch.tensor(w[i : i + 1]), alpha / H[i])
        np.testing.assert_allclose(out["w"][i], shrunk.numpy()[0], atol=1e-15)


def test_ridge_is_the_minimiser_of_the_stated_loss() -> None:
    X = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [2.0, 1.0, 1.0]])
    y = np.array([1.0, 2.0, 3.0, 4.0])
    out = run_reference("ridge", {"X": X, "y": y, "alpha": [0.5, 3.0]}, n=2)
    for w, alpha in zip(out["w"], [0.5, 3.0], strict=True):
        gradient = 2 * X.T @ (X @ w - y) + alpha * w  # of ‖Xw − y‖² + (α/2)‖w‖²
        np.testing.assert_allclose(gradient, 0, atol=1e-12)
        np.testing.assert_allclose(w, np.linalg.solve(X.T @ X + alpha / 2 * np.eye(3), X.T @ y), atol=1e-13)


def test_clip_grad_norm() -> None:
    grads = np.array([[3.0, 4.0, 12.0], [3.0, 4.0, 12.0], [0.1, 0.2, 0.2], [3.0, 4.0, 12.0]])
    out = run_reference(
        "clip_grad_norm", {"grad": grads, "max_norm": [1.0, 20.0, 1.0, 1.0], "norm_type": [2, 2, 2, 1]}, n=4
    )
    np.testing.assert_allclose(out["total_norm"], [13.0, 13.0, 0.3, 19.0], atol=1e-14)
    np.testing.assert_allclose(out["clipped"][0], grads[0] / (13 + 1e-6), atol=1e-15)
    np.testing.assert_allclose(out["clipped"][0], [0.230769213, 0.307692284, 0.9230768521], atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(out["clipped"][0]), 0.9999999231, atol=1e-10)
    np.testing.assert_array_equal(out["clipped"][1:3], grads[1:3])
    np.testing.assert_allclose(out["clipped"][3], grads[3] / (19 + 1e-6), atol=1e-15)
