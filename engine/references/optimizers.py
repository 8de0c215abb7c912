"""Optimizer references: one step from a given state, and a trajectory from torch's initial state.

Every instance is one scalar parameter: instances that share their hyperparameters (and
step counter) form one parameter tensor, and each such group gets its own torch optimizer,
built with the group's hyperparameters as constructor arguments, as a user builds one (torch
reads some of them only there), which takes real `step()`s. The given state is put in
with `load_state_dict`, the same path by which torch resumes from a checkpoint, so the
state torch reads is exactly the state given (tests check the keys against torch's own).

Names: inputs that the step updates end in `_prev` (`theta_prev`, `m_prev`); the outputs
carry the plain names (`theta`, `m`), so mistake formulas can use both.
"""

from __future__ import annotations

from engine.references.optimizer_runs import (
    OptimizerSpec,
    StateEntry,
    step_reference,
    trajectory_reference,
)
from engine.references.registry import (
    Arrays,
    Mistake,
    Output,
    Param,
)


def _p(name: str, default: float, doc: str) -> Param:
    return Param(name, (), default, doc)


LR_DOC = "learning rate"
WD_DOC = "weight decay: coupled L2, g ← g + weight_decay·θ, before anything else"
BETA1 = _p("beta1", 0.9, "decay of the first moment m (torch: betas[0])")
BETA2 = _p("beta2", 0.999, "decay of the second moment v (torch: betas[1])")
EPS_OUT = _p("eps", 1e-8, "added to sqrt(v̂), outside the square root")

# Shorthands used in the mistake formulas: the gradient after coupled weight decay.
G = "(grad + weight_decay * theta_prev)"
ADAM_DENOM = "(sqrt(v_hat) + eps)"

SGD = OptimizerSpec(
    key="sgd",
    torch_class="SGD",
    title="SGD with momentum, dampening, Nesterov and weight decay",
    hyper=(
        _p("lr", 1e-3, LR_DOC),
        _p("momentum", 0.0, "momentum μ; 0 is plain SGD"),
        _p("dampening", 0.0, "dampening d: b ← μb + (1−d)g, never applied on the first step"),
        _p("weight_decay", 0.0, WD_DOC),
        _p("nesterov", 0.0, "1: step along g + μb (needs momentum > 0 and dampening 0)"),
    ),
    state=(StateEntry("b", "momentum_buffer", "momentum buffer"),),
    counter=False,
    mistakes=(
        Mistake(
            "dampened-first-step",
            "b",
            f"momentum * b_prev + (1 - dampening) * {G}",
            "Applied dampening on the first step; torch's first momentum buffer is a plain "
            "copy of the gradient, dampening only enters from step 2.",
        ),
        Mistake(
            "ema-momentum",
            "theta",
            f"theta_prev - lr * (momentum * b_prev + (1 - momentum) * {G})",
            "Wrote momentum as an average b = μb + (1−μ)g; torch's default dampening is 0, "
            "so b = μb + g and the steps are 1/(1−μ) times larger.",
        ),
        Mistake(
            "lookahead-nesterov",
            "theta",
            "theta_prev - lr * b",
            "Used the look-ahead form θ − lr·b; torch's Nesterov steps along g + μ·b from "
            "the current θ (its iterates are the look-ahead points).",
        ),
    ),
)

ADAGRAD = OptimizerSpec(
    key="adagrad",
    torch_class="Adagrad",
    title="AdaGrad",
    hyper=(
        _p("lr", 1e-2, LR_DOC),
        _p("lr_decay", 0.0, "the step t uses lr / (1 + (t−1)·lr_decay)"),
        _p("weight_decay", 0.0, WD_DOC),
        _p("eps", 1e-10, "added to sqrt(G), outside the square root"),
    ),
    state=(StateEntry("G", "sum", "sum of squared gradients (starts at initial_accumulator_value)"),),
    initial=(
        _p("initial_accumulator_value", 0.0, "the value G starts at (torch reads it in the constructor)"),
    ),
    mistakes=(
        Mistake(
            "eps-inside-sqrt",
            "theta",
            f"theta_prev - lr / (1 + (t - 1) * lr_decay) * {G} / sqrt(G + eps)",
            "Put eps inside the square root; torch divides by sqrt(G) + eps (eps = 1e-10), "
            "which matters for tiny gradients.",
        ),
        Mistake(
            "mean-instead-of-sum",
            "theta",
            f"theta_prev - lr / (1 + (t - 1) * lr_decay) * {G} / (sqrt(G / t) + eps)",
            "Divided by the root mean square of the past gradients; torch's AdaGrad uses the "
            "root of their sum, so its steps are √t times smaller.",
        ),
        Mistake(
            "lr-decay-off-by-one",
            "theta",
            f"theta_prev - lr / (1 + t * lr_decay) * {G} / (sqrt(G) + eps)",
            "Decayed the learning rate with t; torch uses lr / (1 + (t−1)·lr_decay), so the "
            "first step uses the full lr.",
        ),
    ),
)

# RMSprop's mistakes are written for momentum = 0 and centered = 0, the usual setting.
RMSPROP = OptimizerSpec(
    key="rmsprop",
    torch_class="RMSprop",
    title="RMSprop (optionally centered, with momentum)",
    hyper=(
        _p("lr", 1e-2, LR_DOC),
        _p("alpha", 0.99, "decay of the average of squared gradients v"),
        _p("eps", 1e-8, "added to sqrt(v), outside the square root"),
        _p("weight_decay", 0.0, WD_DOC),
        _p("momentum", 0.0, "momentum on the normalised step: b ← μb + g/(sqrt(v)+eps)"),
        _p("centered", 0.0, "1: divide by sqrt(v − g_avg²) + eps, an estimate of the variance"),
    ),
    state=(
        StateEntry("v", "square_avg", "average of squared gradients (no bias correction)"),
        StateEntry("g_avg", "grad_avg", "average of gradients (kept when centered = 1)"),
        StateEntry("b", "momentum_buffer", "momentum buffer (kept when momentum > 0)"),
    ),
    mistakes=(
        Mistake(
            "eps-inside-sqrt",
            "theta",
            f"theta_prev - lr * {G} / sqrt(v + eps)",
            "Put eps inside the square root; torch divides by sqrt(v) + eps.",
        ),
        Mistake(
            "bias-correction",
            "theta",
            f"theta_prev - lr * {G} / (sqrt(v / (1 - alpha ^ t)) + eps)",
            "Bias-corrected v as Adam does; RMSprop has no bias correction, so its first "
            "step is about lr/sqrt(1−α) = 10·lr at α = 0.99.",
        ),
        Mistake(
            "state-starts-at-g-squared",
            "theta",
            f"theta_prev - lr * {G} / (abs({G}) + eps)",
            "Started the average at g² (σ₀ = |g₀|); torch starts v at 0, so v₁ = (1−α)g².",
        ),
        Mistake(
            "alpha-0.9",
            "theta",
            f"theta_prev - lr * {G} / (sqrt(0.9 * v_prev + 0.1 * {G} ^ 2) + eps)",
            "Used α = 0.9; torch's RMSprop default is alpha = 0.99.",
        ),
        Mistake(
            "alpha-0.999",
            "theta",
            f"theta_prev - lr * {G} / (sqrt(0.999 * v_prev + 0.001 * {G} ^ 2) + eps)",
            "Used α = 0.999 (Adam's β2); torch's RMSprop default is alpha = 0.99.",
        ),
    ),
)

ADADELTA = OptimizerSpec(
    key="adadelta",
    torch_class="Adadelta",
    title="Adadelta",
    hyper=(
        _p("lr", 1.0, "learning rate, multiplies the step Δ (torch's default 1.0)"),
        _p("rho", 0.9, "decay of both running averages"),
        _p("eps", 1e-6, "added inside both square roots"),
        _p("weight_decay", 0.0, WD_DOC),
    ),
    state=(
        StateEntry("v", "square_avg", "average of squared gradients"),
        StateEntry("u", "acc_delta", "average of squared (unscaled) steps Δ"),
    ),
    derived=(Output("delta", (), "the unscaled step Δ, θ = θ_prev − lr·Δ (from torch's θ)"),),
    derive=lambda inputs, out: {"delta": (inputs["theta_prev"] - out["theta"]) / inputs["lr"]},
    mistakes=(
        Mistake(
            "eps-outside-sqrt",
            "theta",
            f"theta_prev - lr * (sqrt(u_prev) + eps) / (sqrt(v) + eps) * {G}",
            "Put eps outside the roots; Adadelta adds eps inside both: Δ = sqrt(u + eps)/sqrt(v + eps)·g.",
        ),
        Mistake(
            "no-eps-in-numerator",
            "theta",
            f"theta_prev - lr * sqrt(u_prev) / sqrt(v + eps) * {G}",
            "Left eps out of the numerator; with u = 0 Adadelta would never move. torch uses sqrt(u + eps).",
        ),
        Mistake(
            "lr-in-accumulator",
            "u",
            "rho * u_prev + (1 - rho) * (lr * delta) ^ 2",
            "Accumulated the lr-scaled step; torch accumulates the unscaled Δ, so lr does "
            "not feed back into u.",
        ),
    ),
)

ADAM_HYPER = (
    _p("lr", 1e-3, LR_DOC),
    BETA1,
    BETA2,
    EPS_OUT,
    _p("weight_decay", 0.0, WD_DOC),
    _p("amsgrad", 0.0, "1: divide by the running maximum of v (raw, then bias-corrected)"),
)
ADAM_STATE = (
    StateEntry("m", "exp_avg", "first moment (average of gradients)"),
    StateEntry("v", "exp_avg_sq", "second moment (average of squared gradients)"),
    StateEntry("v_max", "max_exp_avg_sq", "running maximum of v (kept when amsgrad = 1)"),
)
BIAS_CORRECTED = (
    Output("m_hat", (), "bias-corrected first moment m/(1−β1^t)"),
    Output("v_hat", (), "bias-corrected second moment v/(1−β2^t)"),
)


def bias_corrected(inputs: Arrays, out: Arrays) -> Arrays:
    """The textbook's m̂ and v̂, from torch's moments (torch never stores them)."""
    t = inputs["t"]
    return {
        "m_hat": out["m"] / (1 - inputs["beta1"] ** t),
        "v_hat": out["v"] / (1 - inputs["beta2"] ** t),
    }


# Adam's and AdamW's mistakes are written for amsgrad = 0.
NO_BIAS_CORRECTION = Mistake(
    "no-bias-correction",
    "theta",
    "theta_prev - lr * m / (sqrt(v) + eps)",
    "Left out the bias correction; torch divides m by 1−β1^t and v by 1−β2^t, which makes "
    "the first step about lr·sign(g).",
)
ADAM = OptimizerSpec(
    key="adam",
    torch_class="Adam",
    title="Adam (and AMSGrad) with coupled L2 weight decay",
    hyper=ADAM_HYPER,
    state=ADAM_STATE,
    derived=BIAS_CORRECTED,
    derive=bias_corrected,
    mistakes=(
        NO_BIAS_CORRECTION,
        Mistake(
            "eps-inside-sqrt",
            "theta",
            "theta_prev - lr * m_hat / sqrt(v_hat + eps)",
            "Put eps inside the square root; torch divides by sqrt(v̂) + eps.",
        ),
        Mistake(
            "beta2-0.99",
            "theta",
            f"theta_prev - lr * m_hat / (sqrt((0.99 * v_prev + 0.01 * {G} ^ 2) / (1 - 0.99 ^ t)) + eps)",
            "Used β2 = 0.99; torch's Adam default is betas = (0.9, 0.999).",
        ),
        Mistake(
            "uncorrected-m",
            "theta",
            f"theta_prev - lr * m / {ADAM_DENOM}",
            "Bias-corrected v but not m; torch corrects both.",
        ),
        Mistake(
            "decoupled-weight-decay",
            "theta",
            "theta_prev * (1 - lr * weight_decay) - lr * ((beta1 * m_prev + (1 - beta1) * grad)"
            " / (1 - beta1 ^ t)) / (sqrt((beta2 * v_prev + (1 - beta2) * grad ^ 2) / "
            "(1 - beta2 ^ t)) + eps)",
            "Treated Adam's weight_decay as AdamW's; in torch.optim.Adam it is coupled L2, "
            "added to the gradient before the moments.",
        ),
    ),
)

ADAMW = OptimizerSpec(
    key="adamw",
    torch_class="AdamW",
    title="AdamW (decoupled weight decay)",
    hyper=(
        *ADAM_HYPER[:4],
        _p("weight_decay", 0.01, "decoupled: θ ← θ·(1 − lr·weight_decay) before the update"),
        ADAM_HYPER[5],
    ),
    state=ADAM_STATE,
    derived=BIAS_CORRECTED,
    derive=bias_corrected,
    mistakes=(
        NO_BIAS_CORRECTION,
        Mistake(
            "coupled-l2",
            "theta",
            f"theta_prev - lr * ((beta1 * m_prev + (1 - beta1) * {G}) / (1 - beta1 ^ t)) / "
            f"(sqrt((beta2 * v_prev + (1 - beta2) * {G} ^ 2) / (1 - beta2 ^ t)) + eps)",
            "Added weight_decay·θ to the gradient (Adam's L2); AdamW decays θ directly: "
            "θ ← θ(1 − lr·wd), outside the moments.",
        ),
        Mistake(
            "decay-without-lr",
            "theta",
            f"theta_prev * (1 - weight_decay) - lr * m_hat / {ADAM_DENOM}",
            "Decayed θ by weight_decay alone; torch multiplies θ by 1 − lr·weight_decay.",
        ),
        Mistake(
            "decay-after-step",
            "theta",
            f"(theta_prev - lr * m_hat / {ADAM_DENOM}) * (1 - lr * weight_decay)",
            "Decayed θ after the Adam update; torch decays it first, then subtracts the update.",
        ),
    ),
)

# NAdam's μ_t, μ_{t+1} and denominator for the raw gradient; its mistakes assume decoupled_weight_decay = 0.
MU = "beta1 * (1 - 0.5 * 0.96 ^ (t * momentum_decay))"
MU_NEXT = "beta1 * (1 - 0.5 * 0.96 ^ ((t + 1) * momentum_decay))"
RAW_DEN = "(sqrt((beta2 * v_prev + (1 - beta2) * grad ^ 2) / (1 - beta2 ^ t)) + eps)"

NADAM = OptimizerSpec(
    key="nadam",
    torch_class="NAdam",
    title="NAdam (Adam with Nesterov momentum and a momentum schedule)",
    hyper=(
        _p("lr", 2e-3, LR_DOC),
        BETA1,
        BETA2,
        EPS_OUT,
        _p("weight_decay", 0.0, "weight decay: coupled L2 (g ← g + weight_decay·θ) unless decoupled"),
        _p("momentum_decay", 4e-3, "ψ in μ_t = β1(1 − 0.5·0.96^(t·ψ))"),
        _p("decoupled_weight_decay", 0.0, "1: decay θ ← θ·(1 − lr·weight_decay) first, as AdamW"),
    ),
    state=(
        *ADAM_STATE[:2],
        StateEntry("mu_product", "mu_product", "product μ_1⋯μ_t of the momentum schedule"),
    ),
    mistakes=(
        Mistake(
            "adam-update",
            "theta",
            "theta_prev - lr * (m / (1 - beta1 ^ t)) / (sqrt(v / (1 - beta2 ^ t)) + eps)",
            "Took an Adam step; NAdam mixes the current gradient into the step (Nesterov).",
        ),
        Mistake(
            "constant-momentum",
            "theta",
            f"theta_prev - lr * (beta1 * m / (1 - beta1 ^ (t + 1)) + (1 - beta1) * {G} / "
            f"(1 - beta1 ^ t)) / (sqrt(v / (1 - beta2 ^ t)) + eps)",
            "Used the NAdam of the paper with a constant β1; torch's NAdam uses the schedule "
            "μ_t = β1(1 − 0.5·0.96^(t·momentum_decay)).",
        ),
        Mistake(
            "decoupled-weight-decay",
            "theta",
            f"theta_prev * (1 - lr * weight_decay) - lr * (1 - {MU}) / (1 - mu_product) * grad / {RAW_DEN}"
            f" - lr * {MU_NEXT} / (1 - mu_product * {MU_NEXT})"
            f" * (beta1 * m_prev + (1 - beta1) * grad) / {RAW_DEN}",
            "Decayed θ as AdamW does; torch's NAdam does that only with "
            "decoupled_weight_decay = 1, by default weight_decay is coupled L2.",
        ),
    ),
)

RADAM = OptimizerSpec(
    key="radam",
    torch_class="RAdam",
    title="RAdam (rectified Adam)",
    hyper=(_p("lr", 1e-3, LR_DOC), BETA1, BETA2, EPS_OUT, _p("weight_decay", 0.0, WD_DOC)),
    state=ADAM_STATE[:2],
    mistakes=(
        Mistake(
            "adaptive-before-rectification",
            "theta",
            "theta_prev - lr * (m / (1 - beta1 ^ t)) / (sqrt(v / (1 - beta2 ^ t)) + eps)",
            "Took an Adam step; while ρ_t ≤ 5 (steps 1–5 at β2 = 0.999) RAdam takes a plain "
            "bias-corrected momentum step θ − lr·m̂.",
        ),
        Mistake(
            "no-bias-correction-in-warmup",
            "theta",
            "theta_prev - lr * m",
            "Forgot the bias correction of m; RAdam's first steps are θ − lr·m/(1−β1^t).",
        ),
    ),
)

# Adamax keeps no second moment: u is a decaying maximum of |g|, and only m is corrected.
ADAMAX = OptimizerSpec(
    key="adamax",
    torch_class="Adamax",
    title="Adamax (Adam with an infinity norm)",
    hyper=(
        _p("lr", 2e-3, LR_DOC),
        BETA1,
        _p("beta2", 0.999, "decay of the infinity norm u (torch: betas[1])"),
        _p("eps", 1e-8, "added to abs(g) inside the maximum: u = max(β2·u, abs(g) + eps)"),
        _p("weight_decay", 0.0, WD_DOC),
    ),
    state=(
        ADAM_STATE[0],
        StateEntry("u", "exp_inf", "infinity norm (a decaying maximum of abs(g) + eps)"),
    ),
    mistakes=(
        Mistake(
            "no-eps",
            "theta",
            f"theta_prev - lr / (1 - beta1 ^ t) * m / max(beta2 * u_prev, abs({G}))",
            "Left eps out, as the paper's u = max(β2·u, |g|) does; torch adds eps to |g| inside "
            "the maximum, so u is never 0.",
        ),
        Mistake(
            "eps-outside-max",
            "theta",
            f"theta_prev - lr / (1 - beta1 ^ t) * m / (max(beta2 * u_prev, abs({G})) + eps)",
            "Added eps to u after the maximum (Keras's form); torch adds it to |g| inside: "
            "u = max(β2·u, |g| + eps), so u carries no eps when β2·u wins.",
        ),
        Mistake(
            "l2-norm",
            "u",
            f"sqrt(beta2 * u_prev ^ 2 + (1 - beta2) * {G} ^ 2)",
            "Kept Adam's root mean square of g (an L2 norm); Adamax's u is the infinity norm "
            "max(β2·u, |g| + eps), with no 1 − β2 weight.",
        ),
        Mistake(
            "no-bias-correction",
            "theta",
            "theta_prev - lr * m / u",
            "Left out the bias correction of m; torch steps by lr/(1 − β1^t)·m/u (u itself is "
            "never corrected).",
        ),
    ),
)

SPECS = (SGD, ADAGRAD, RMSPROP, ADADELTA, ADAM, ADAMW, NADAM, RADAM, ADAMAX)

REFERENCES = tuple(make(spec) for spec in SPECS for make in (step_reference, trajectory_reference))
