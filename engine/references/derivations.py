"""Derivation references: the torch computations behind classic interview derivations.

Each reference computes, with the torch call a practitioner would write, the quantity a
derivation ends in, so that a card's closed form is checked against torch rather than
against itself: perplexity from F.cross_entropy, the distillation loss and its gradient
from F.kl_div and autograd, early stopping as a real gradient-descent loop beside the
ridge solution it approximates, the logistic-regression and log-sum-exp gradients from
autograd, the Gaussian likelihood from F.gaussian_nll_loss, the proximal (ISTA) step of
an L1 penalty from F.softshrink, k small-batch SGD steps against one large-batch step,
and the optimum of label-smoothed cross-entropy found by bisection on torch's gradient.

Instances are batched: where torch takes a hyperparameter as a Python number (an
optimizer's lr, label_smoothing, softshrink's lambd, gaussian_nll_loss's full), the
instances are grouped by it (`per_group`) and each group is one torch call.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from engine.references.registry import (
    Arrays,
    Mistake,
    Output,
    Param,
    Reference,
    ReferenceInputError,
    as_count,
    as_flag,
    class_indices,
    per_group,
    to_numpy,
    to_tensor,
)

if TYPE_CHECKING:
    import numpy as np
    import torch

MAX_GD_STEPS = 10_000
"""The most gradient steps early_stopping runs: a loop of t steps is t torch calls per group."""


def _positive(arrays: Arrays, name: str) -> None:
    """Reject an input that must be positive everywhere (a temperature, a learning rate)."""
    if not bool((arrays[name] > 0).all()):
        raise ReferenceInputError(f"input {name!r} must be positive")


# Perplexity --------------------------------------------------------------------------------


def _perplexity(arrays: Arrays, device: torch.device) -> Arrays:
    import torch
    import torch.nn.functional as F

    logits = to_tensor(arrays["logits"], device)  # (N, b, c)
    count, tokens, classes = logits.shape
    target = torch.as_tensor(class_indices(arrays["target"], classes), device=device)
    # One cross_entropy call over every token of every instance, then each instance's mean:
    # exactly F.cross_entropy(logits_i, target_i) with its default reduction='mean'.
    per_token = F.cross_entropy(logits.reshape(-1, classes), target.reshape(-1), reduction="none")
    nll = per_token.reshape(count, tokens).mean(-1)
    return {
        "nll": to_numpy(nll),
        "perplexity": to_numpy(torch.exp(nll)),
        "bits": to_numpy(nll / math.log(2.0)),
    }


# Knowledge distillation --------------------------------------------------------------------


def _distillation(arrays: Arrays, device: torch.device) -> Arrays:
    import torch
    import torch.nn.functional as F

    _positive(arrays, "T")
    # Each instance is one example: a batch of one row, as a user unsqueezes a single example
    # (on a 1-D tensor 'batchmean' would divide by the number of classes instead).
    student = to_tensor(arrays["student"], device)[:, None, :].requires_grad_(True)  # (N, 1, c)
    teacher = to_tensor(arrays["teacher"], device)[:, None, :]
    temperature = to_tensor(arrays["T"], device)
    log_q = F.log_softmax(student / temperature[:, None, None], dim=-1)
    p = F.softmax(teacher / temperature[:, None, None], dim=-1)
    # reduction='batchmean' per instance: summed over the classes, divided by the one row.
    kl = F.kl_div(log_q, p, reduction="none").sum(-1).mean(-1)
    loss = temperature**2 * kl
    (grad,) = torch.autograd.grad(loss.sum(), student)  # instances are independent
    return {
        "p_teacher": to_numpy(p[:, 0]),
        "q_student": to_numpy(log_q.exp()[:, 0]),
        "kl": to_numpy(kl),
        "loss": to_numpy(loss),
        "grad": to_numpy(grad[:, 0]),
    }


# Early stopping as L2 regularisation -------------------------------------------------------


def _early_stopping(arrays: Arrays, device: torch.device) -> Arrays:
    import numpy as np
    import torch
    import torch.nn.functional as F

    _positive(arrays, "lr")

    def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
        steps = as_count(h["t"], "t", minimum=1)
        if steps > MAX_GD_STEPS:
            raise ReferenceInputError(f"input 't' must be at most {MAX_GD_STEPS}, not {steps}")
        X, y = to_tensor(arrays["X"][idx], device), to_tensor(arrays["y"][idx], device)
        w = torch.nn.Parameter(torch.zeros(X.shape[0], X.shape[2], dtype=X.dtype, device=device))
        optimizer = torch.optim.SGD([w], lr=h["lr"])
        for _ in range(steps):
            # J(w) = ½‖Xw − y‖², summed over the group: each instance's gradient is its own.
            loss = 0.5 * F.mse_loss((X @ w[..., None])[..., 0], y, reduction="sum")
            (w.grad,) = torch.autograd.grad(loss, w)
            optimizer.step()
        alpha = 1.0 / (h["lr"] * steps)
        eye = torch.eye(X.shape[2], dtype=X.dtype, device=device)
        gram = X.transpose(-1, -2) @ X + alpha * eye
        w_ridge = torch.linalg.solve(gram, X.transpose(-1, -2) @ y[..., None])[..., 0]
        return {"w_gd": to_numpy(w), "alpha": np.full(len(idx), alpha), "w_ridge": to_numpy(w_ridge)}

    return per_group(arrays, ["lr", "t"], run)


# Logistic regression and log-sum-exp -------------------------------------------------------


def _logistic_gradient(arrays: Arrays, device: torch.device) -> Arrays:
    import torch
    import torch.nn.functional as F

    w = to_tensor(arrays["w"], device).requires_grad_(True)  # (N, d)
    X, y = to_tensor(arrays["X"], device), to_tensor(arrays["y"], device)  # (N, m, d), (N, m)
    logits = (X @ w[..., None])[..., 0]
    loss = F.binary_cross_entropy_with_logits(logits, y, reduction="none").mean(-1)
    (grad,) = torch.autograd.grad(loss.sum(), w)
    return {"p": to_numpy(torch.sigmoid(logits)), "loss": to_numpy(loss), "grad": to_numpy(grad)}


def _logsumexp_grad(arrays: Arrays, device: torch.device) -> Arrays:
    import torch

    x = to_tensor(arrays["x"], device).requires_grad_(True)
    lse = torch.logsumexp(x, dim=-1)
    (grad,) = torch.autograd.grad(lse.sum(), x)
    return {"lse": to_numpy(lse), "grad": to_numpy(grad)}


# Maximum likelihood and the bias-variance decomposition -----------------------------------


def _gaussian_nll(arrays: Arrays, device: torch.device) -> Arrays:
    import torch.nn.functional as F

    _positive(arrays, "variance")

    def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
        mean, target = to_tensor(arrays["input"][idx], device), to_tensor(arrays["target"][idx], device)
        var = to_tensor(arrays["variance"][idx], device)[:, None].expand_as(mean)
        full = as_flag(h["full"], "full")
        loss = F.gaussian_nll_loss(mean, target, var, full=full, reduction="none").mean(-1)
        mse = F.mse_loss(mean, target, reduction="none").mean(-1)
        return {"loss": to_numpy(loss), "mse": to_numpy(mse)}

    return per_group(arrays, ["full"], run)


def _bias_variance(arrays: Arrays, device: torch.device) -> Arrays:
    import torch
    import torch.nn.functional as F

    predictions = to_tensor(arrays["predictions"], device)  # (N, n): one per training set
    truth = to_tensor(arrays["f"], device)
    variance, mean = torch.var_mean(predictions, dim=-1, correction=0)
    # The expected squared error against y = f + noise, averaged over the training sets
    # directly (not through the decomposition it is compared with).
    error = F.mse_loss(predictions, truth[:, None].expand_as(predictions), reduction="none").mean(-1)
    return {
        "bias_sq": to_numpy((mean - truth) ** 2),
        "variance": to_numpy(variance),
        "expected_error": to_numpy(error + to_tensor(arrays["noise_var"], device)),
    }


# L1 proximal step, batch-size scaling, label smoothing -------------------------------------


def _ista_step(arrays: Arrays, device: torch.device) -> Arrays:
    import torch
    import torch.nn.functional as F

    def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
        if h["lr"] < 0 or h["alpha"] < 0:
            raise ReferenceInputError("inputs 'lr' and 'alpha' must be at least 0")
        w = torch.nn.Parameter(to_tensor(arrays["w_prev"][idx], device))
        w.grad = to_tensor(arrays["grad"][idx], device)
        torch.optim.SGD([w], lr=h["lr"]).step()  # the gradient step on the smooth loss
        z = w.detach()
        # The proximal step of lr·alpha·‖w‖₁: soft-thresholding at lr·alpha.
        return {"z": to_numpy(z), "w": to_numpy(F.softshrink(z, h["lr"] * h["alpha"]))}

    return per_group(arrays, ["lr", "alpha"], run)


def _linear_scaling(arrays: Arrays, device: torch.device) -> Arrays:
    import torch

    _positive(arrays, "lr")

    def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
        theta0 = to_tensor(arrays["theta0"][idx], device)
        c, a = to_tensor(arrays["c"][idx], device), to_tensor(arrays["a"][idx], device)
        k = c.shape[1]
        small = torch.nn.Parameter(theta0.clone())
        optimizer = torch.optim.SGD([small], lr=h["lr"])
        for j in range(k):  # k steps, one small batch each: batch j's loss is ½a(θ − c_j)²
            (small.grad,) = torch.autograd.grad((0.5 * a * (small - c[:, j]) ** 2).sum(), small)
            optimizer.step()
        large = torch.nn.Parameter(theta0.clone())
        optimizer = torch.optim.SGD([large], lr=k * h["lr"])
        # One step on the union of the k batches, whose loss is the mean of theirs.
        union = (0.5 * a[:, None] * (large[:, None] - c) ** 2).mean(-1).sum()
        (large.grad,) = torch.autograd.grad(union, large)
        optimizer.step()
        return {
            "theta_small": to_numpy(small),
            "theta_large": to_numpy(large),
            "gap": to_numpy(small - large),
        }

    return per_group(arrays, ["lr"], run)


def _smoothed_optimum(classes: int, smoothing: float, device: torch.device) -> torch.Tensor:
    """The logits [g, 0, …, 0] that minimise F.cross_entropy(·, 0, label_smoothing=smoothing).

    The loss is convex in the logits and invariant to adding a constant to them all; the
    wrong classes have the same smoothed target, so at the minimum their logits are equal
    and only the gap g between the true logit and theirs is free. The loss's derivative in
    g, taken by autograd, is increasing, 0 at the optimum and ≤ 0 at g = 0 (p(0) = 1/C is
    below the target's 1 − ε + ε/C): bisection on its sign finds g to float64's resolution,
    without trusting the closed form that the cards derive.
    """
    import torch
    import torch.nn.functional as F

    target = torch.zeros(1, dtype=torch.long, device=device)
    rest = torch.zeros(classes - 1, dtype=torch.float64, device=device)

    def slope(gap: float) -> float:
        g = torch.tensor([gap], dtype=torch.float64, device=device, requires_grad=True)
        loss = F.cross_entropy(torch.cat([g, rest])[None], target, label_smoothing=smoothing)
        (derivative,) = torch.autograd.grad(loss, g)
        return float(derivative)

    low, high = 0.0, 1.0
    while slope(high) < 0 and high < 2.0**32:  # the gap is log(1 + C(1 − ε)/ε) < 2^32 for any float ε
        low, high = high, 2 * high
    for _ in range(200):
        middle = (low + high) / 2
        if middle in (low, high):
            break
        if slope(middle) < 0:
            low = middle
        else:
            high = middle
    return torch.cat([torch.tensor([(low + high) / 2], dtype=torch.float64, device=device), rest])


def _label_smoothing_optimum(arrays: Arrays, device: torch.device) -> Arrays:
    import numpy as np
    import torch

    def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
        classes = as_count(h["out_features"], "out_features", minimum=2)
        smoothing = h["label_smoothing"]
        if not 0 < smoothing <= 1:
            raise ReferenceInputError(
                f"input 'label_smoothing' must be in (0, 1] (at 0 the optimal gap is infinite), not {smoothing}"
            )
        logits = _smoothed_optimum(classes, smoothing, device)
        p = torch.softmax(logits, dim=-1)
        count = len(idx)
        return {
            "p_true": np.full(count, float(p[0])),
            "p_other": np.full(count, float(p[1])),
            "gap": np.full(count, float(logits[0] - logits[1])),
        }

    return per_group(arrays, ["out_features", "label_smoothing"], run)


REFERENCES = (
    Reference(
        name="perplexity",
        summary="Perplexity of a sequence of b tokens: exp of the mean per-token cross-entropy (nats), "
        "and that cross-entropy in bits per token.",
        torch_api="torch.nn.functional.cross_entropy, then torch.exp",
        inputs=(
            Param("logits", ("b", "c"), None, "the model's logits at each of b positions, over c tokens"),
            Param("target", ("b",), None, "the index of the token that actually came, 0..c−1"),
        ),
        outputs=(
            Output("nll", (), "the mean cross-entropy per token in nats (F.cross_entropy's 'mean')"),
            Output("perplexity", (), "exp(nll) = 2^bits"),
            Output("bits", (), "the mean cross-entropy in bits per token: nll / ln 2"),
        ),
        mistakes=(
            Mistake(
                "base-2-of-nats",
                "perplexity",
                "2^nll",
                "Raised 2 to a cross-entropy in nats; perplexity is e^(nats) = 2^(bits).",
            ),
            Mistake(
                "exp-of-total",
                "perplexity",
                "exp(nll * len(target))",
                "Exponentiated the sequence's total cross-entropy; perplexity is exp of the "
                "MEAN per-token cross-entropy, the geometric mean of 1/p over the tokens.",
            ),
            Mistake(
                "times-ln2",
                "bits",
                "nll * log(2)",
                "Multiplied by ln 2; bits = nats / ln 2 (one nat is about 1.443 bits).",
            ),
        ),
        topic="derivations",
        compute=_perplexity,
    ),
    Reference(
        name="distillation",
        summary="Hinton's distillation term T²·KL(softmax(t/T) ‖ softmax(s/T)), as "
        "F.kl_div(log_softmax(s/T), softmax(t/T), 'batchmean')·T² on one example, and its gradient in "
        "the student's logits.",
        torch_api="torch.nn.functional.kl_div(reduction='batchmean') on log_softmax(s/T) and "
        "softmax(t/T); the gradient by torch.autograd.grad",
        inputs=(
            Param("student", ("c",), None, "the student's logits s for one example"),
            Param("teacher", ("c",), None, "the teacher's logits t for the same example"),
            Param("T", (), None, "the temperature (> 0); both sides are softened by it"),
        ),
        outputs=(
            Output("p_teacher", ("c",), "the softened teacher probabilities softmax(t/T)"),
            Output("q_student", ("c",), "the softened student probabilities softmax(s/T)"),
            Output("kl", (), "KL(p‖q) = Σ p·log(p/q) (F.kl_div 'batchmean' over the one row)"),
            Output("loss", (), "T²·kl, the distillation term as Hinton et al. weight it"),
            Output("grad", ("c",), "∂loss/∂s = T·(q − p), by torch.autograd"),
        ),
        mistakes=(
            Mistake(
                "no-t-squared",
                "loss",
                "kl",
                "Left out the T² factor; the soft-target gradients scale as 1/T², so T² keeps "
                "their weight against the hard-label loss as T changes.",
            ),
            Mistake(
                "student-not-softened",
                "kl",
                "sum(p_teacher * (log(p_teacher) - log_softmax(student)))",
                "Softened only the teacher; the student's log-probabilities are log_softmax(s/T) too.",
            ),
            Mistake(
                "reverse-kl",
                "kl",
                "sum(q_student * (log(q_student) - log(p_teacher)))",
                "Computed KL(q‖p); F.kl_div(log q, p) is KL(p‖q) = Σ p·log(p/q), the teacher's "
                "distribution first.",
            ),
            Mistake(
                "missing-inner-derivative",
                "grad",
                "T^2 * (q_student - p_teacher)",
                "Forgot the chain rule through s/T: ∂KL/∂s = (q − p)/T, so the T²-weighted "
                "gradient is T·(q − p), not T²·(q − p).",
            ),
        ),
        topic="derivations",
        compute=_distillation,
    ),
    Reference(
        name="early_stopping",
        summary="t steps of gradient descent from w = 0 on J(w) = ½‖Xw − y‖², beside the ridge "
        "minimiser of J + (α/2)‖w‖² with α = 1/(lr·t), which early stopping approximates.",
        torch_api="torch.optim.SGD on 0.5·F.mse_loss(Xw, y, reduction='sum'), t steps; "
        "torch.linalg.solve(XᵀX + αI, Xᵀy)",
        inputs=(
            Param("X", ("m", "d"), None, "design matrix, one row per example"),
            Param("y", ("m",), None, "targets"),
            Param("lr", (), None, "the learning rate η (> 0)"),
            Param("t", (), None, "the number of gradient steps before stopping (≥ 1)"),
        ),
        outputs=(
            Output("w_gd", ("d",), "the weights after t steps of gradient descent from 0"),
            Output("alpha", (), "the matching L2 strength α = 1/(lr·t)"),
            Output("w_ridge", ("d",), "the minimiser of ½‖Xw − y‖² + (α/2)‖w‖²: (XᵀX + αI)⁻¹Xᵀy"),
        ),
        mistakes=(
            Mistake(
                "alpha-is-lr-times-t",
                "alpha",
                "lr * t",
                "Inverted the relation: training longer (larger η·t) is WEAKER regularisation, "
                "so α = 1/(η·t).",
            ),
        ),
        topic="derivations",
        compute=_early_stopping,
    ),
    Reference(
        name="logistic_gradient",
        summary="Logistic regression on m examples: p = σ(Xw), the mean binary cross-entropy, and "
        "its gradient Xᵀ(p − y)/m.",
        torch_api="torch.nn.functional.binary_cross_entropy_with_logits on Xw; the gradient by "
        "torch.autograd.grad",
        inputs=(
            Param("w", ("d",), None, "the weights (a bias is a column of ones in X)"),
            Param("X", ("m", "d"), None, "the inputs, one row per example"),
            Param("y", ("m",), None, "the labels in [0, 1] (soft labels are allowed)"),
        ),
        outputs=(
            Output("p", ("m",), "σ(Xw), the predicted probabilities of class 1"),
            Output("loss", (), "the mean negative log-likelihood (binary cross-entropy)"),
            Output("grad", ("d",), "∂loss/∂w = Xᵀ(p − y)/m, by torch.autograd"),
        ),
        mistakes=(
            Mistake(
                "sign-flipped",
                "grad",
                "transpose(X) @ (y - p) / len(y)",
                "That is the gradient of the log-likelihood (the ascent direction); the loss "
                "is its negative, so its gradient is Xᵀ(p − y)/m.",
            ),
            Mistake(
                "sum-not-mean",
                "grad",
                "transpose(X) @ (p - y)",
                "Summed over the examples; the default reduction averages, dividing by m.",
            ),
            Mistake(
                "squared-error-gradient",
                "grad",
                "transpose(X) @ ((p - y) * p * (1 - p)) / len(y)",
                "Kept a σ'(z) = p(1 − p) factor: that belongs to the squared error on σ(z). With "
                "the log-likelihood, −y/p + (1 − y)/(1 − p) times p(1 − p) leaves exactly p − y.",
            ),
        ),
        topic="derivations",
        compute=_logistic_gradient,
    ),
    Reference(
        name="logsumexp_grad",
        summary="log Σ exp(x_i) and its gradient, which is softmax(x).",
        torch_api="torch.logsumexp; the gradient by torch.autograd.grad",
        inputs=(Param("x", ("n",), None, "the vector (logits)"),),
        outputs=(
            Output("lse", (), "log Σᵢ exp(xᵢ), computed stably by torch"),
            Output("grad", ("n",), "∂lse/∂x = softmax(x), by torch.autograd"),
        ),
        mistakes=(
            Mistake(
                "unnormalised",
                "grad",
                "exp(x)",
                "Dropped the derivative of the log: ∂/∂xᵢ log S = (1/S)·e^(xᵢ) with S = Σ e^(xⱼ), "
                "which is softmax(x)ᵢ, not e^(xᵢ).",
            ),
        ),
        topic="derivations",
        compute=_logsumexp_grad,
    ),
    Reference(
        name="gaussian_nll",
        summary="The Gaussian negative log-likelihood ½(log σ² + (x − y)²/σ²) [+ ½log 2π], mean "
        "over a vector, beside the MSE it contains.",
        torch_api="torch.nn.functional.gaussian_nll_loss; torch.nn.functional.mse_loss",
        inputs=(
            Param("input", ("n",), None, "the predicted means"),
            Param("target", ("n",), None, "the observed values"),
            Param("variance", (), None, "σ², torch's var (> 0; torch clamps it at eps = 1e-6)"),
            Param("full", (), 0.0, "1: include the constant ½·log(2π) (torch's full=True)"),
        ),
        outputs=(
            Output("loss", (), "the mean Gaussian NLL, as gaussian_nll_loss gives it"),
            Output("mse", (), "the mean squared error of the same predictions"),
        ),
        mistakes=(
            Mistake(
                "missing-log-var",
                "loss",
                "0.5 * mse / variance + full * 0.5 * log(2 * pi)",
                "Dropped ½·log σ²: constant while σ² is fixed, but part of the loss torch returns "
                "(and what stops σ² → ∞ when it is learned).",
            ),
            Mistake(
                "exponent-without-half",
                "loss",
                "mse / variance + 0.5 * log(variance) + full * 0.5 * log(2 * pi)",
                "Forgot the ½ of the Gaussian's exponent −(y − μ)²/(2σ²).",
            ),
        ),
        topic="derivations",
        compute=_gaussian_nll,
    ),
    Reference(
        name="bias_variance",
        summary="Bias², variance and expected squared error of predictions at one point, one "
        "prediction per (equally likely) training set, against y = f + noise.",
        torch_api="torch.var_mean(correction=0); torch.nn.functional.mse_loss for the error",
        inputs=(
            Param("predictions", ("n",), None, "the model's prediction at x, one per training set"),
            Param("f", (), None, "the true value f(x)"),
            Param("noise_var", (), 0.0, "σ², the variance of the noise in y"),
        ),
        outputs=(
            Output("bias_sq", (), "(mean prediction − f)²"),
            Output("variance", (), "the variance of the predictions over the training sets (÷ n)"),
            Output("expected_error", (), "E[(y − ŷ)²], averaged directly: bias² + variance + σ²"),
        ),
        mistakes=(
            Mistake(
                "unbiased-variance",
                "variance",
                "var(predictions) * len(predictions) / (len(predictions) - 1)",
                "Divided by n − 1; the training sets are the whole (equally likely) population "
                "here, so the variance of the prediction divides by n.",
            ),
            Mistake(
                "bias-not-squared",
                "bias_sq",
                "mean(predictions) - f",
                "That is the bias; the decomposition adds its square.",
            ),
            Mistake(
                "noise-left-out",
                "expected_error",
                "bias_sq + variance",
                "Left out the irreducible noise σ²: the error against a noisy y is bias² + variance + σ².",
            ),
        ),
        topic="derivations",
        compute=_bias_variance,
    ),
    Reference(
        name="ista_step",
        summary="One proximal-gradient (ISTA) step for J(w) + α‖w‖₁: z = w − lr·∇J, then "
        "soft-thresholding at lr·α.",
        torch_api="torch.optim.SGD (the gradient step); torch.nn.functional.softshrink(z, lr·α)",
        inputs=(
            Param("w_prev", ("n",), None, "the weights before the step"),
            Param("grad", ("n",), None, "∇J at w_prev, the gradient of the smooth loss only"),
            Param("lr", (), None, "the learning rate η (≥ 0)"),
            Param("alpha", (), None, "the L1 strength α in α‖w‖₁ (≥ 0)"),
        ),
        outputs=(
            Output("z", ("n",), "the gradient step w_prev − lr·grad"),
            Output("w", ("n",), "the weights after the step: sign(z)·max(|z| − lr·α, 0)"),
        ),
        mistakes=(
            Mistake(
                "threshold-without-lr",
                "w",
                "sign(z) * max(abs(z) - alpha, 0)",
                "Thresholded at α; the proximal step of η·α‖w‖₁ thresholds at η·α.",
            ),
            Mistake(
                "subgradient-step",
                "w",
                "w_prev - lr * (grad + alpha * sign(w_prev))",
                "Took a subgradient step; it jumps over 0 instead of landing on it, so weights "
                "never become exactly 0. The proximal step soft-thresholds.",
            ),
            Mistake(
                "no-clamp",
                "w",
                "z - lr * alpha * sign(z)",
                "Shrank without the clamp: where |z| ≤ η·α the result is exactly 0, not a "
                "weight pushed past 0.",
            ),
        ),
        topic="derivations",
        compute=_ista_step,
    ),
    Reference(
        name="linear_scaling",
        summary="k SGD steps of lr on k small batches (batch j's loss ½a(θ − c_j)²) against one "
        "step of lr·k on their union: the linear learning-rate scaling rule.",
        torch_api="torch.optim.SGD, k steps with lr and one step with k·lr, gradients by autograd",
        inputs=(
            Param("theta0", (), None, "the parameter before the steps"),
            Param("c", ("t",), None, "c_j, the minimiser of batch j's loss (its mean target); k = len(c)"),
            Param("a", (), None, "the curvature a of every batch's loss ½a(θ − c_j)²"),
            Param("lr", (), None, "the small-batch learning rate η (> 0)"),
        ),
        outputs=(
            Output("theta_small", (), "θ after k steps, one per small batch, each with lr"),
            Output("theta_large", (), "θ after one step of lr·k on the mean of the k batch losses"),
            Output("gap", (), "theta_small − theta_large"),
        ),
        mistakes=(
            Mistake(
                "lr-not-scaled",
                "theta_large",
                "theta0 - lr * a * (theta0 - mean(c))",
                "Kept lr for the large batch; averaging over k times more examples does not "
                "make the step longer, so lr must grow k-fold to cover k small steps.",
            ),
            Mistake(
                "sqrt-scaling",
                "theta_large",
                "theta0 - sqrt(len(c)) * lr * a * (theta0 - mean(c))",
                "Scaled lr by √k (the rule that keeps the update's noise variance fixed, often "
                "used with Adam); matching k SGD steps needs k·lr.",
            ),
        ),
        topic="derivations",
        compute=_linear_scaling,
    ),
    Reference(
        name="label_smoothing_optimum",
        summary="The minimum of CrossEntropyLoss(label_smoothing=ε) over the logits of one example: "
        "the optimal probabilities and the logit gap log(1 + C(1 − ε)/ε).",
        torch_api="torch.nn.functional.cross_entropy(label_smoothing=ε), minimised by bisection on "
        "its torch.autograd derivative; torch.softmax",
        inputs=(
            Param("out_features", (), None, "C, the number of classes (the classifier's out_features)"),
            Param("label_smoothing", (), None, "ε in (0, 1] (torch's default 0 has no finite optimum)"),
        ),
        outputs=(
            Output("p_true", (), "the optimal probability of the true class, 1 − ε + ε/C"),
            Output("p_other", (), "the optimal probability of each other class, ε/C"),
            Output("gap", (), "the optimal logit gap z_true − z_other = log(p_true/p_other)"),
        ),
        mistakes=(
            Mistake(
                "smoothing-over-wrong-classes",
                "gap",
                "log((1 - label_smoothing) * (out_features - 1) / label_smoothing)",
                "Spread ε over the C − 1 wrong classes only; torch mixes in the uniform "
                "distribution over all C classes, so the true class keeps 1 − ε + ε/C.",
            ),
            Mistake(
                "true-class-one-minus-eps",
                "p_true",
                "1 - label_smoothing",
                "Forgot the true class's own share ε/C of the uniform part: it keeps 1 − ε + ε/C.",
            ),
            Mistake(
                "ratio-not-log",
                "gap",
                "p_true / p_other",
                "That is the ratio of the probabilities; logits are log-probabilities up to a "
                "constant, so the gap is its log.",
            ),
        ),
        topic="derivations",
        compute=_label_smoothing_optimum,
    ),
)
