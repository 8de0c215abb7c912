"""Derivation references against numpy closed forms, and against a second torch path where torch has one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.references import ReferenceInputError, get_reference, run_reference

RNG = np.random.default_rng(7)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def log_softmax(x: np.ndarray) -> np.ndarray:
    s = x - x.max(-1, keepdims=True)
    return s - np.log(np.exp(s).sum(-1, keepdims=True))


# Perplexity -------------------------------------------------------------------------------


def test_perplexity_is_exp_of_the_mean_cross_entropy() -> None:
    n, b, c = 4, 5, 6
    logits, target = RNG.normal(size=(n, b, c)), RNG.integers(0, c, size=(n, b))
    out = run_reference("perplexity", {"logits": logits, "target": target}, n=n)
    picked = np.take_along_axis(softmax(logits), target[..., None], -1)[..., 0]
    nll = -np.log(picked).mean(-1)
    np.testing.assert_allclose(out["nll"], nll, rtol=1e-13)
    np.testing.assert_allclose(
        out["perplexity"], np.prod(picked, -1) ** (-1 / b), rtol=1e-12
    )  # 1/geometric mean
    np.testing.assert_allclose(out["bits"], -np.log2(picked).mean(-1), rtol=1e-13)
    np.testing.assert_allclose(2 ** out["bits"], out["perplexity"], rtol=1e-13)
    # Second torch path: each instance alone, through torch.distributions.
    for i in range(n):
        log_prob = torch.distributions.Categorical(logits=torch.tensor(logits[i])).log_prob(
            torch.tensor(target[i])
        )
        assert out["perplexity"][i] == pytest.approx(float(torch.exp(-log_prob.mean())), rel=1e-13)


def test_a_uniform_model_has_perplexity_equal_to_the_vocabulary() -> None:
    for vocabulary in (2, 7, 50):
        logits = np.full((3, vocabulary), 1.7)
        out = run_reference("perplexity", {"logits": logits, "target": [0, 1, vocabulary - 1]}, n=1)
        assert out["perplexity"][0] == pytest.approx(vocabulary, rel=1e-13)
        assert out["bits"][0] == pytest.approx(np.log2(vocabulary), rel=1e-13)


def test_perplexity_rejects_a_target_outside_the_vocabulary() -> None:
    with pytest.raises(ReferenceInputError, match="target"):
        run_reference("perplexity", {"logits": [[0.0, 1.0]], "target": [2]}, n=1)


# Distillation -----------------------------------------------------------------------------


def test_distillation_against_numpy_and_kl_div_batchmean() -> None:
    n, c = 5, 4
    student, teacher = RNG.normal(size=(n, c)), RNG.normal(size=(n, c)) * 2
    T = np.array([1.0, 2.0, 4.0, 0.5, 10.0])
    out = run_reference("distillation", {"student": student, "teacher": teacher, "T": T}, n=n)
    p, log_q = softmax(teacher / T[:, None]), log_softmax(student / T[:, None])
    kl = (p * (np.log(p) - log_q)).sum(-1)
    np.testing.assert_allclose(out["p_teacher"], p, rtol=1e-13)
    np.testing.assert_allclose(out["q_student"], np.exp(log_q), rtol=1e-13)
    np.testing.assert_allclose(out["kl"], kl, rtol=1e-12)
    np.testing.assert_allclose(out["loss"], T**2 * kl, rtol=1e-12)
    np.testing.assert_allclose(out["grad"], T[:, None] * (np.exp(log_q) - p), rtol=1e-11, atol=1e-15)
    # Second torch path: nn.KLDivLoss(reduction='batchmean') on the example as a batch of one.
    for i in range(n):
        s = torch.tensor(student[i][None], requires_grad=True)
        loss = T[i] ** 2 * torch.nn.KLDivLoss(reduction="batchmean")(
            torch.log_softmax(s / T[i], -1), torch.softmax(torch.tensor(teacher[i][None]) / T[i], -1)
        )
        loss.backward()
        assert s.grad is not None
        assert out["loss"][i] == pytest.approx(float(loss.detach()), rel=1e-12)
        np.testing.assert_allclose(out["grad"][i], s.grad[0].numpy(), rtol=1e-11, atol=1e-15)


def test_the_t_squared_factor_keeps_the_gradient_constant_at_high_temperature() -> None:
    """Unscaled, the soft-target gradient falls like 1/T²; times T² it tends to the centred
    logit difference ((s − s̄) − (t − t̄))/c, whatever T."""
    c = 5
    student, teacher = RNG.normal(size=c), RNG.normal(size=c)
    T = np.array([20.0, 40.0, 80.0])
    out = run_reference("distillation", {"student": student, "teacher": teacher, "T": T}, n=3)
    limit = ((student - student.mean()) - (teacher - teacher.mean())) / c
    unscaled_norm = np.linalg.norm(out["grad"] / T[:, None] ** 2, axis=-1)
    np.testing.assert_allclose(unscaled_norm * T**2, np.linalg.norm(limit), rtol=2e-2)
    np.testing.assert_allclose(out["grad"][2], limit, rtol=0, atol=2e-2 * np.abs(limit).max())
    assert np.abs(out["grad"][2] - limit).max() < np.abs(out["grad"][0] - limit).max()


def test_distillation_rejects_a_nonpositive_temperature() -> None:
    with pytest.raises(ReferenceInputError, match="'T'"):
        run_reference("distillation", {"student": [[0.0, 1.0]], "teacher": [[1.0, 0.0]], "T": 0.0}, n=1)


# Early stopping ---------------------------------------------------------------------------


def gd_closed_form(X: np.ndarray, y: np.ndarray, lr: float, t: int) -> np.ndarray:
    """GD from 0 on ½‖Xw − y‖², in the eigenbasis of H = XᵀX: each mode reaches 1 − (1 − ηλ)^t of w*."""
    lam, V = np.linalg.eigh(X.T @ X)
    return np.asarray(V @ ((1 - (1 - lr * lam) ** t) / lam * (V.T @ (X.T @ y))))


def test_early_stopping_against_the_closed_form_and_ridge() -> None:
    n, m, d = 4, 6, 3
    X, y = RNG.normal(size=(n, m, d)), RNG.normal(size=(n, m))
    lr, t = np.array([0.01, 0.01, 0.05, 0.002]), np.array([5.0, 40.0, 3.0, 200.0])
    out = run_reference("early_stopping", {"X": X, "y": y, "lr": lr, "t": t}, n=n)
    for i in range(n):
        np.testing.assert_allclose(out["w_gd"][i], gd_closed_form(X[i], y[i], lr[i], int(t[i])), rtol=1e-10)
        alpha = 1 / (lr[i] * t[i])
        assert out["alpha"][i] == pytest.approx(alpha, rel=1e-15)
        ridge = np.linalg.solve(X[i].T @ X[i] + alpha * np.eye(d), X[i].T @ y[i])
        np.testing.assert_allclose(out["w_ridge"][i], ridge, rtol=1e-12)
    # Second torch path: the `ridge` reference minimises ‖Xw − y‖² + (α'/2)‖w‖², the same
    # minimiser as ½‖Xw − y‖² + (α/2)‖w‖² when α' = 2α.
    ridge = run_reference("ridge", {"X": X, "y": y, "alpha": 2 * out["alpha"]}, n=n)
    np.testing.assert_allclose(out["w_ridge"], ridge["w"], rtol=1e-12)


def test_early_stopping_matches_ridge_in_both_limits_of_lr_lambda_t() -> None:
    """One weight with curvature h: GD keeps 1 − e^(−ηht) (nearly) of w*, ridge h/(h + α) = x/(1 + x)
    with x = ηht; both are ≈ x for x ≪ 1 and ≈ 1 for x ≫ 1, and they differ in between."""
    h, w_star = 2.0, 1.5
    X, y = np.array([[np.sqrt(h)]]), np.array([np.sqrt(h) * w_star])
    lr, t = np.array([1e-3, 1e-3, 1e-3, 0.2]), np.array([1.0, 10.0, 250.0, 1000.0])
    out = run_reference("early_stopping", {"X": X, "y": y, "lr": lr, "t": t}, n=4)
    x = lr * h * t
    np.testing.assert_allclose(out["w_gd"][:, 0], (1 - (1 - lr * h) ** t) * w_star, rtol=1e-12)
    np.testing.assert_allclose(out["w_ridge"][:, 0], x / (1 + x) * w_star, rtol=1e-12)
    ratio = out["w_gd"][:, 0] / out["w_ridge"][:, 0]
    assert np.all(np.abs(ratio[:2] - 1) <= 1.01 * x[:2])  # ηht = 0.002, 0.02: agree to O(ηht)
    assert abs(ratio[2] - 1) > 0.1  # ηht = 0.5: the approximation is rough here
    assert abs(ratio[3] - 1) < 1e-2  # ηht = 400


def test_early_stopping_rejects_zero_steps() -> None:
    with pytest.raises(ReferenceInputError, match="'t'"):
        run_reference("early_stopping", {"X": [[1.0]], "y": [1.0], "lr": 0.1, "t": 0}, n=1)


# Logistic regression and log-sum-exp ------------------------------------------------------


def test_logistic_gradient_against_numpy_and_an_nn_module() -> None:
    n, m, d = 3, 5, 2
    w, X = RNG.normal(size=(n, d)), RNG.normal(size=(n, m, d))
    y = RNG.integers(0, 2, size=(n, m)).astype(float)
    out = run_reference("logistic_gradient", {"w": w, "X": X, "y": y}, n=n)
    p = sigmoid(np.einsum("nmd,nd->nm", X, w))
    np.testing.assert_allclose(out["p"], p, rtol=1e-13)
    loss = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(-1)
    np.testing.assert_allclose(out["loss"], loss, rtol=1e-12)
    np.testing.assert_allclose(out["grad"], np.einsum("nmd,nm->nd", X, p - y) / m, rtol=1e-11)
    # Second torch path: nn.Linear without bias and BCELoss on its sigmoid.
    for i in range(n):
        layer = torch.nn.Linear(d, 1, bias=False, dtype=torch.float64)
        with torch.no_grad():
            layer.weight.copy_(torch.tensor(w[i])[None])
        torch.nn.BCELoss()(torch.sigmoid(layer(torch.tensor(X[i]))[:, 0]), torch.tensor(y[i])).backward()
        assert layer.weight.grad is not None
        np.testing.assert_allclose(out["grad"][i], layer.weight.grad[0].numpy(), rtol=1e-11)


def test_the_gradient_of_logsumexp_is_softmax() -> None:
    x = np.concatenate([RNG.normal(size=(3, 4)) * 3, [[1000.0, 999.0, -5.0, 0.0]]])
    out = run_reference("logsumexp_grad", {"x": x}, n=4)
    top = x.max(-1)
    np.testing.assert_allclose(out["lse"], top + np.log(np.exp(x - top[:, None]).sum(-1)), rtol=1e-14)
    np.testing.assert_allclose(out["grad"], softmax(x), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(out["grad"], F.softmax(torch.tensor(x), -1).numpy(), rtol=1e-12, atol=1e-300)
    assert np.all(out["lse"] >= top)
    assert np.all(out["lse"] <= top + np.log(4))


# Maximum likelihood, bias and variance ----------------------------------------------------


def test_gaussian_nll_against_the_closed_form_and_torch_distributions() -> None:
    n, k = 4, 5
    mean, target = RNG.normal(size=(n, k)), RNG.normal(size=(n, k))
    variance, full = np.array([0.5, 2.0, 0.1, 1.0]), np.array([0.0, 1.0, 1.0, 0.0])
    out = run_reference(
        "gaussian_nll", {"input": mean, "target": target, "variance": variance, "full": full}, n=n
    )
    mse = ((mean - target) ** 2).mean(-1)
    np.testing.assert_allclose(out["mse"], mse, rtol=1e-14)
    expected = 0.5 * (np.log(variance) + mse / variance) + full * 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(out["loss"], expected, rtol=1e-13)
    # Second torch path: the exact Gaussian log-density, for the instances with full=True.
    for i in np.flatnonzero(full):
        normal = torch.distributions.Normal(torch.tensor(mean[i]), float(np.sqrt(variance[i])))
        assert out["loss"][i] == pytest.approx(
            float(-normal.log_prob(torch.tensor(target[i])).mean()), rel=1e-13
        )


def test_gaussian_nll_rejects_a_nonpositive_variance() -> None:
    with pytest.raises(ReferenceInputError, match="'variance'"):
        run_reference("gaussian_nll", {"input": [0.0], "target": [1.0], "variance": 0.0}, n=1)


def test_bias_variance_decomposition() -> None:
    n, k = 5, 6
    predictions, f, noise = RNG.normal(size=(n, k)), RNG.normal(size=n), RNG.uniform(0, 1, size=n)
    out = run_reference("bias_variance", {"predictions": predictions, "f": f, "noise_var": noise}, n=n)
    np.testing.assert_allclose(out["bias_sq"], (predictions.mean(-1) - f) ** 2, rtol=1e-13)
    np.testing.assert_allclose(out["variance"], predictions.var(-1), rtol=1e-13)
    direct = ((predictions - f[:, None]) ** 2).mean(-1) + noise
    np.testing.assert_allclose(out["expected_error"], direct, rtol=1e-13)
    # The decomposition itself: the cross term averages to zero.
    np.testing.assert_allclose(out["bias_sq"] + out["variance"] + noise, out["expected_error"], rtol=1e-12)


# ISTA, batch-size scaling, label smoothing ------------------------------------------------


def test_ista_step_against_numpy_and_a_second_torch_path() -> None:
    w_prev = np.array([[1.0, -0.05, 0.3, 0.0], [2.0, -2.0, 0.01, 0.5]])
    grad = np.array([[0.5, 0.1, -1.0, 0.2], [1.0, -1.0, 0.0, 0.0]])
    lr, alpha = np.array([0.1, 0.5]), np.array([1.0, 0.2])
    out = run_reference("ista_step", {"w_prev": w_prev, "grad": grad, "lr": lr, "alpha": alpha}, n=2)
    z = w_prev - lr[:, None] * grad
    np.testing.assert_allclose(out["z"], z, rtol=1e-15)
    shrunk = np.sign(z) * np.maximum(np.abs(z) - (lr * alpha)[:, None], 0)
    np.testing.assert_array_equal(out["w"], shrunk)
    np.testing.assert_array_equal(out["w"][0, 1], 0.0)  # |z| = 0.06 ≤ η·α = 0.1: exactly zero
    torch_z = torch.tensor(z)
    other = torch.sign(torch_z) * torch.clamp(torch_z.abs() - torch.tensor(lr * alpha)[:, None], min=0)
    np.testing.assert_allclose(out["w"], other.numpy(), rtol=1e-15)


def test_ista_iterates_converge_to_the_l1_minimiser() -> None:
    """Repeated proximal steps on ½H(w − w*)² + α|w| end at l1_soft_threshold's minimiser."""
    w_star, H, alpha = np.array([2.0, -0.3, 0.5, -1.5]), 2.0, 1.2
    w = np.zeros(4)
    for _ in range(200):
        w = run_reference(
            "ista_step", {"w_prev": w, "grad": H * (w - w_star), "lr": 0.25, "alpha": alpha}, n=1
        )["w"][0]
    minimiser = run_reference("l1_soft_threshold", {"w_star": w_star, "H": H, "alpha": alpha}, n=4)["w"]
    np.testing.assert_allclose(w, minimiser, rtol=0, atol=1e-12)


def test_linear_scaling_against_the_closed_form() -> None:
    n = 3
    theta0, a = RNG.normal(size=n), np.array([0.5, 1.0, 2.0])
    c = RNG.normal(size=(n, 2))
    lr = np.array([0.1, 0.01, 0.05])
    out = run_reference("linear_scaling", {"theta0": theta0, "c": c, "a": a, "lr": lr}, n=n)
    theta1 = theta0 - lr * a * (theta0 - c[:, 0])
    np.testing.assert_allclose(out["theta_small"], theta1 - lr * a * (theta1 - c[:, 1]), rtol=1e-13)
    np.testing.assert_allclose(out["theta_large"], theta0 - 2 * lr * a * (theta0 - c.mean(-1)), rtol=1e-13)
    # k = 2: the two differ by η²a²(θ₀ − c₁), second order in η.
    np.testing.assert_allclose(out["gap"], (lr * a) ** 2 * (theta0 - c[:, 0]), rtol=1e-9, atol=1e-15)


def test_linear_scaling_with_many_batches_is_a_loop_of_sgd_steps() -> None:
    c = RNG.normal(size=8)
    out = run_reference("linear_scaling", {"theta0": 1.0, "c": c, "a": 0.3, "lr": 0.02}, n=1)
    theta = 1.0
    for target in c:
        theta -= 0.02 * 0.3 * (theta - target)
    assert out["theta_small"][0] == pytest.approx(theta, rel=1e-13)
    assert out["theta_large"][0] == pytest.approx(1.0 - 8 * 0.02 * 0.3 * (1.0 - c.mean()), rel=1e-13)


def test_label_smoothing_optimum_against_the_closed_form_and_torchs_gradient() -> None:
    classes = np.array([2, 3, 10, 1000, 10])
    smoothing = np.array([0.1, 0.2, 0.1, 0.05, 1.0])
    out = run_reference(
        "label_smoothing_optimum", {"out_features": classes, "label_smoothing": smoothing}, n=5
    )
    p_true = 1 - smoothing + smoothing / classes
    np.testing.assert_allclose(out["p_true"], p_true, rtol=1e-13)
    np.testing.assert_allclose(out["p_other"], smoothing / classes, rtol=1e-12)
    gap = np.log1p(classes * (1 - smoothing) / smoothing)
    np.testing.assert_allclose(out["gap"], gap, rtol=1e-12, atol=1e-14)
    # Second torch path: at the closed-form logits, cross_entropy's gradient is zero in every logit.
    for k, eps, g in zip(classes[:4], smoothing[:4], gap[:4], strict=True):
        logits = torch.zeros(1, int(k), dtype=torch.float64)
        logits[0, 0] = float(g)
        logits.requires_grad_(True)
        F.cross_entropy(logits, torch.tensor([0]), label_smoothing=float(eps)).backward()
        assert logits.grad is not None
        assert float(logits.grad.abs().max()) < 1e-13


def test_label_smoothing_zero_has_no_optimum() -> None:
    with pytest.raises(ReferenceInputError, match="label_smoothing"):
        run_reference("label_smoothing_optimum", {"out_features": 3, "label_smoothing": 0.0}, n=1)


# Known mistakes -----------------------------------------------------------------------------

MISTAKE_SAMPLES: dict[str, tuple[dict[str, Any], int]] = {
    "perplexity": ({"logits": [[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]], "target": [0, 1]}, 1),
    "distillation": ({"student": [[2.0, 1.0, 0.1], [0.3, 0.2, -1.0]], "teacher": [[0.5, 2.5, 0.3], [1.0, 0.0, 0.0]], "T": [2.0, 4.0]}, 2),
    "early_stopping": ({"X": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], "y": [1.0, 2.0, 0.5], "lr": 0.01, "t": [10, 1000]}, 2),
    "logistic_gradient": ({"w": [0.3, 0.4], "X": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], "y": [1.0, 0.0, 1.0]}, 1),
    "logsumexp_grad": ({"x": [1.0, 2.0, 3.0]}, 1),
    "gaussian_nll": ({"input": [1.0, 2.0], "target": [1.5, 1.0], "variance": 0.5, "full": [0, 1]}, 2),
    "bias_variance": ({"predictions": [1.0, 2.0, 4.0], "f": 2.0, "noise_var": 0.1}, 1),
    "ista_step": ({"w_prev": [1.0, -0.05, 0.3], "grad": [0.5, 0.1, -1.0], "lr": 0.1, "alpha": 1.0}, 1),
    "linear_scaling": ({"theta0": 1.0, "c": [0.1, -0.2, 0.4], "a": 0.7, "lr": 0.1}, 1),
    "label_smoothing_optimum": ({"out_features": [3, 10], "label_smoothing": [0.1, 0.2]}, 2),
}  # fmt: skip

E = dict[str, np.ndarray]


def kl_divergence(p: np.ndarray, log_q: np.ndarray) -> np.ndarray:
    return np.asarray((p * (np.log(p) - log_q)).sum(-1))


MISTAKE_HAND: dict[tuple[str, str], Callable[[E], np.ndarray]] = {
    ("perplexity", "base-2-of-nats"): lambda e: 2.0 ** e["nll"],
    ("perplexity", "exp-of-total"): lambda e: np.exp(e["nll"] * 2),
    ("perplexity", "times-ln2"): lambda e: e["nll"] * np.log(2),
    ("distillation", "no-t-squared"): lambda e: e["kl"],
    ("distillation", "student-not-softened"): lambda e: kl_divergence(e["p_teacher"], log_softmax(e["student"])),
    ("distillation", "reverse-kl"): lambda e: kl_divergence(e["q_student"], np.log(e["p_teacher"])),
    ("distillation", "missing-inner-derivative"): lambda e: e["T"][:, None] ** 2 * (e["q_student"] - e["p_teacher"]),
    ("early_stopping", "alpha-is-lr-times-t"): lambda e: e["lr"] * e["t"],
    ("logistic_gradient", "sign-flipped"): lambda e: np.einsum("nmd,nm->nd", e["X"], e["y"] - e["p"]) / 3,
    ("logistic_gradient", "sum-not-mean"): lambda e: np.einsum("nmd,nm->nd", e["X"], e["p"] - e["y"]),
    ("logistic_gradient", "squared-error-gradient"): lambda e: np.einsum("nmd,nm->nd", e["X"], (e["p"] - e["y"]) * e["p"] * (1 - e["p"])) / 3,
    ("logsumexp_grad", "unnormalised"): lambda e: np.exp(e["x"]),
    ("gaussian_nll", "missing-log-var"): lambda e: 0.5 * e["mse"] / e["variance"] + e["full"] * 0.5 * np.log(2 * np.pi),
    ("gaussian_nll", "exponent-without-half"): lambda e: e["mse"] / e["variance"] + 0.5 * np.log(e["variance"]) + e["full"] * 0.5 * np.log(2 * np.pi),
    ("bias_variance", "unbiased-variance"): lambda e: e["predictions"].var(-1, ddof=1),
    ("bias_variance", "bias-not-squared"): lambda e: e["predictions"].mean(-1) - e["f"],
    ("bias_variance", "noise-left-out"): lambda e: ((e["predictions"] - e["f"][:, None]) ** 2).mean(-1),
    ("ista_step", "threshold-without-lr"): lambda e: np.sign(e["z"]) * np.maximum(np.abs(e["z"]) - e["alpha"][:, None], 0),
    ("ista_step", "subgradient-step"): lambda e: e["w_prev"] - e["lr"][:, None] * (e["grad"] + e["alpha"][:, None] * np.sign(e["w_prev"])),
    ("ista_step", "no-clamp"): lambda e: e["z"] - (e["lr"] * e["alpha"])[:, None] * np.sign(e["z"]),
    ("linear_scaling", "lr-not-scaled"): lambda e: e["theta0"] - e["lr"] * e["a"] * (e["theta0"] - e["c"].mean(-1)),
    ("linear_scaling", "sqrt-scaling"): lambda e: e["theta0"] - np.sqrt(3) * e["lr"] * e["a"] * (e["theta0"] - e["c"].mean(-1)),
    ("label_smoothing_optimum", "smoothing-over-wrong-classes"): lambda e: np.log((1 - e["label_smoothing"]) * (e["out_features"] - 1) / e["label_smoothing"]),
    ("label_smoothing_optimum", "true-class-one-minus-eps"): lambda e: 1 - e["label_smoothing"],
    ("label_smoothing_optimum", "ratio-not-log"): lambda e: e["p_true"] / e["p_other"],
}  # fmt: skip


def test_defaults_are_torchs() -> None:
    import inspect

    full = inspect.signature(F.gaussian_nll_loss).parameters["full"].default
    assert get_reference("gaussian_nll").input("full").default == float(full)
