"""Backpropagation references: the gradients an interview asks for by hand, taken by torch.autograd.

Each reference runs a forward pass through real torch layers and functionals (F.linear,
nn.Linear, F.relu / torch.tanh / torch.sigmoid, F.mse_loss, F.cross_entropy,
F.batch_norm, F.layer_norm) and reads its gradients off autograd, so a card's hand
derivation (δxᵀ, Wᵀδ, p − y, the BatchNorm closed form) is checked against what torch's
backward pass computes, never against the same formula written twice.

Every instance has its own weights, while a torch layer takes one weight per call. The
layers are therefore mapped over the instances with torch.vmap (one call for the whole
batch), or the instances are laid side by side where torch already keeps them apart
(BatchNorm's channels). Instances share nothing, so the gradient of the SUM of their
losses holds each instance's own gradient: one backward pass serves the whole batch.

Shapes are kept small enough for a learner to type: the cards use vectors of 2–3 entries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from engine.references.registry import (
    Arrays,
    Compute,
    FunctionInput,
    Mistake,
    Output,
    Param,
    Reference,
    ReferenceInputError,
    per_group,
    to_numpy,
    to_tensor,
)

if TYPE_CHECKING:
    import numpy as np
    import torch

ACTIVATIONS = ("relu", "tanh", "sigmoid")
"""The hidden activations of the MLP references, by code: 0 = ReLU, 1 = tanh, 2 = sigmoid."""

EPS = Param("eps", (), 1e-5, "added to the variance inside the square root (torch's default)")


def _leaf(array: np.ndarray, device: torch.device) -> torch.Tensor:
    """`array` as a float64 tensor that autograd differentiates with respect to."""
    return to_tensor(array, device).requires_grad_(True)


def _gradients(
    total: torch.Tensor,
    wrt: dict[str, torch.Tensor],
    upstream: torch.Tensor | None = None,
) -> Arrays:
    """d total / d each tensor of `wrt` (leaves or intermediate values), by name.

    `upstream` is the gradient arriving at `total` (∂L/∂total) when `total` is not the loss
    itself; without it, `total` is a scalar loss and the gradient starts at 1.
    """
    import torch

    grads = torch.autograd.grad(total, list(wrt.values()), grad_outputs=upstream)
    return {name: to_numpy(grad) for name, grad in zip(wrt, grads, strict=True)}


# Linear layers ------------------------------------------------------------------------------


def _linear_backward(arrays: Arrays, device: torch.device) -> Arrays:
    """y = Wx + b by F.linear, one instance's (W, b, x) per vmapped call; dL/dy = grad_y."""
    import torch
    import torch.nn.functional as F

    x, W, b = (_leaf(arrays[name], device) for name in ("x", "W", "b"))
    y = torch.vmap(F.linear)(x, W, b)
    grads = _gradients(y, {"dW": W, "db": b, "dx": x}, to_tensor(arrays["grad_y"], device))
    return {"y": to_numpy(y), **grads}


def _linear_batch_backward(arrays: Arrays, device: torch.device) -> Arrays:
    """Y = XWᵀ + b through a real nn.Linear (its (out, in) weight), each instance's weights
    swapped in with torch.func.functional_call under vmap; dL/dY = grad_Y."""
    import torch

    X, W, b = (_leaf(arrays[name], device) for name in ("X", "W", "b"))
    out_features, in_features = W.shape[1], W.shape[2]
    # On the meta device the module's own weights are never drawn (nor the caller's random
    # state moved); functional_call supplies each instance's, which fix the device.
    layer = torch.nn.Linear(in_features, out_features, device="meta", dtype=torch.float64)

    def forward(weight: torch.Tensor, bias: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = torch.func.functional_call(layer, {"weight": weight, "bias": bias}, (inputs,))
        return result

    Y = torch.vmap(forward)(W, b, X)
    grads = _gradients(Y, {"dW": W, "db": b, "dX": X}, to_tensor(arrays["grad_Y"], device))
    return {"Y": to_numpy(Y), **grads}


# A two-layer MLP ----------------------------------------------------------------------------


def _activation_codes(values: np.ndarray) -> np.ndarray:
    """The `activation` input as integer codes into ACTIVATIONS, checked."""
    import numpy as np

    if not np.all(np.isin(values, np.arange(len(ACTIVATIONS)))):
        choices = ", ".join(f"{code} = {name}" for code, name in enumerate(ACTIVATIONS))
        raise ReferenceInputError(f"input 'activation' must be a code: {choices}")
    return values.astype(np.int64)


def _activate(z: torch.Tensor, codes: np.ndarray) -> torch.Tensor:
    """Each instance's hidden activation of its row of z: F.relu, torch.tanh or torch.sigmoid.

    torch.where picks each row's own function; autograd sends the gradient through the
    picked branch only (the others get zeros), so each row's derivative is its function's.
    """
    import torch
    import torch.nn.functional as F

    code = torch.as_tensor(codes, device=z.device)[:, None]
    return torch.where(code == 0, F.relu(z), torch.where(code == 1, torch.tanh(z), torch.sigmoid(z)))


LossOnLogits = Callable[["torch.Tensor", "torch.Tensor"], "torch.Tensor"]
"""One instance's loss of its output vector against its target (vmapped over instances)."""


def _mlp(loss: Callable[[], LossOnLogits], with_probabilities: bool) -> Compute:
    """x → F.linear → activation → F.linear → loss, and every gradient of the loss on the way back."""

    def compute(arrays: Arrays, device: torch.device) -> Arrays:
        import torch
        import torch.nn.functional as F

        codes = _activation_codes(arrays["activation"])
        x, W1, b1, W2, b2 = (_leaf(arrays[name], device) for name in ("x", "W1", "b1", "W2", "b2"))
        target = to_tensor(arrays["target"], device)
        linear = torch.vmap(F.linear)
        z1 = linear(x, W1, b1)
        a1 = _activate(z1, codes)
        z2 = linear(a1, W2, b2)
        losses = torch.vmap(loss())(z2, target)  # the default reduction, per instance
        wrt = {"dz2": z2, "dW2": W2, "db2": b2, "da1": a1, "dz1": z1, "dW1": W1, "db1": b1, "dx": x}
        outputs = {
            "z1": to_numpy(z1),
            "a1": to_numpy(a1),
            "z2": to_numpy(z2),
            "loss": to_numpy(losses),
            **_gradients(losses.sum(), wrt),
        }
        if with_probabilities:
            outputs["p"] = to_numpy(F.softmax(z2.detach(), dim=-1))
        return outputs

    return compute


def _mse() -> LossOnLogits:
    import torch.nn.functional as F

    return F.mse_loss


def _cross_entropy() -> LossOnLogits:
    import torch.nn.functional as F

    return F.cross_entropy  # a (k,) vector of logits and a (k,) probability target


# Softmax and cross-entropy --------------------------------------------------------------------


def _softmax_ce_backward(arrays: Arrays, device: torch.device) -> Arrays:
    """F.cross_entropy of one row of logits against a probability target, and d loss / d logits."""
    import torch.nn.functional as F

    logits = _leaf(arrays["logits"], device)
    losses = F.cross_entropy(logits, to_tensor(arrays["target"], device), reduction="none")
    grads = _gradients(losses.sum(), {"grad": logits})
    return {"loss": to_numpy(losses), "p": to_numpy(F.softmax(logits.detach(), dim=-1)), **grads}


# Normalization layers -------------------------------------------------------------------------


def _batchnorm_backward(arrays: Arrays, device: torch.device) -> Arrays:
    """F.batch_norm in training mode on one feature over a batch of b samples.

    The instances become the channels of one (b, N) batch: torch normalises each channel
    with its own batch statistics and gives each its own γ and β, so instance i is exactly
    channel i, and one call (per eps) covers them all.
    """
    import torch.nn.functional as F

    def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
        x = _leaf(arrays["x"][idx].T, device)  # (b, G): one channel per instance
        gamma, beta = _leaf(arrays["gamma"][idx], device), _leaf(arrays["beta"][idx], device)
        y = F.batch_norm(x, None, None, gamma, beta, training=True, eps=h["eps"])
        upstream = to_tensor(arrays["grad_y"][idx].T, device)
        grads = _gradients(y, {"dx": x, "dgamma": gamma, "dbeta": beta}, upstream)
        return {"y": to_numpy(y).T, "dx": grads["dx"].T, "dgamma": grads["dgamma"], "dbeta": grads["dbeta"]}

    return per_group(arrays, ["eps"], run)


def _layernorm_backward(arrays: Arrays, device: torch.device) -> Arrays:
    """F.layer_norm over one sample's n features, each instance with its own γ and β (vmapped)."""
    import torch
    import torch.nn.functional as F

    def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
        x, gamma, beta = (_leaf(arrays[name][idx], device) for name in ("x", "gamma", "beta"))
        features = (x.shape[-1],)

        def layer_norm(row: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
            return F.layer_norm(row, features, weight, bias, h["eps"])

        y = torch.vmap(layer_norm)(x, gamma, beta)
        upstream = to_tensor(arrays["grad_y"][idx], device)
        return {"y": to_numpy(y), **_gradients(y, {"dx": x, "dgamma": gamma, "dbeta": beta}, upstream)}

    return per_group(arrays, ["eps"], run)


# A penalty, a chain of sigmoids, accumulation ---------------------------------------------------


def _l2_penalty_backward(arrays: Arrays, device: torch.device) -> Arrays:
    """λ‖w‖² with torch.linalg.vector_norm, differentiated by autograd."""
    import torch

    w = _leaf(arrays["w"], device)
    penalty = to_tensor(arrays["lambda"], device) * torch.linalg.vector_norm(w, dim=-1) ** 2
    return {"penalty": to_numpy(penalty), **_gradients(penalty.sum(), {"grad": w})}


def _sigmoid_chain(arrays: Arrays, device: torch.device) -> Arrays:
    """a_k = σ(w_k·a_{k−1}) from a_0 = x, by torch.sigmoid; dy/dx of the last a by autograd."""
    import torch

    x = _leaf(arrays["x"], device)
    weights = to_tensor(arrays["w"], device)
    activations: list[torch.Tensor] = []
    a = x
    for layer in range(weights.shape[1]):
        a = torch.sigmoid(weights[:, layer] * a)
        activations.append(a)
    return {
        "a": to_numpy(torch.stack(activations, dim=1)),
        "y": to_numpy(a),
        **_gradients(a.sum(), {"dy": x}),
    }


def _grad_accumulation(arrays: Arrays, device: torch.device) -> Arrays:
    """.grad of a real nn.Parameter after t backward() calls, with and without zero_grad.

    Call i's loss is F.mse_loss(w·x_i, target_i) = (w·x_i − target_i)². Each instance's w is
    one entry of the parameter and the calls sum the instances' losses, so each entry's
    .grad is its own instance's, exactly as if it ran alone.
    """
    import torch
    import torch.nn.functional as F

    w = torch.nn.Parameter(to_tensor(arrays["w"], device))
    x, target = to_tensor(arrays["x"], device), to_tensor(arrays["target"], device)
    optimizer = torch.optim.SGD([w], lr=0.1)  # only for its zero_grad(); it never steps
    calls = x.shape[1]

    def backward(call: int) -> None:
        torch.autograd.backward(F.mse_loss(w * x[:, call], target[:, call], reduction="sum"))

    optimizer.zero_grad()
    for call in range(calls):
        backward(call)
    assert w.grad is not None
    accumulated = to_numpy(w.grad)
    optimizer.zero_grad()  # what a training loop does before each backward()
    backward(calls - 1)
    assert w.grad is not None
    return {"grad": accumulated, "last": to_numpy(w.grad)}


# Numerical gradient checking ---------------------------------------------------------------------


def _numerical_gradient(arrays: Arrays, device: torch.device, function: FunctionInput) -> Arrays:
    """Central and forward differences of f at x with step h, against autograd's f'(x).

    f is the card's expression evaluated with torch tensors, so autograd differentiates the
    very function whose values the differences are taken of.
    """
    import torch

    from engine.expr.torch_eval import torch_evaluate

    if len(function.variables) != 1:
        raise ReferenceInputError(
            f"numerical_gradient differentiates a function of one variable, not {len(function.variables)}"
        )
    x = _leaf(arrays["x"], device)
    h = to_tensor(arrays["h"], device)
    if bool((h <= 0).any()):
        raise ReferenceInputError("input 'h' (the step) must be positive")
    coefficients = {name: to_tensor(value, device) for name, value in function.coefficients.items()}

    def f(at: torch.Tensor) -> torch.Tensor:
        env = {function.variables[0]: at, **coefficients}
        return torch_evaluate(function.node, env).expand(at.shape[0])

    value = f(x)
    (grad,) = torch.autograd.grad(value.sum(), x)
    with torch.no_grad():
        ahead, behind, here = f(x + h), f(x - h), value.detach()
        central = (ahead - behind) / (2 * h)
        forward = (ahead - here) / h
    return {
        "grad": to_numpy(grad),
        "central": to_numpy(central),
        "forward": to_numpy(forward),
        "central_error": to_numpy(central - grad),
        "forward_error": to_numpy(forward - grad),
    }


# The declarations ------------------------------------------------------------------------------------


def _mlp_inputs(target_doc: str) -> tuple[Param, ...]:
    return (
        Param("x", ("d",), None, "the input vector"),
        Param("W1", ("m", "d"), None, "first layer's weight, (hidden, in) as nn.Linear stores it"),
        Param("b1", ("m",), 0.0, "first layer's bias"),
        Param("W2", ("k", "m"), None, "second layer's weight, (out, hidden)"),
        Param("b2", ("k",), 0.0, "second layer's bias"),
        Param("target", ("k",), None, target_doc),
        Param(
            "activation",
            (),
            0.0,
            "the hidden activation, as a code: " + ", ".join(f"{i} = {n}" for i, n in enumerate(ACTIVATIONS)),
        ),
    )


def _mlp_outputs(output_doc: str, extra: Sequence[Output] = ()) -> tuple[Output, ...]:
    return (
        Output("z1", ("m",), "pre-activation W1·x + b1"),
        Output("a1", ("m",), "hidden activation act(z1)"),
        Output("z2", ("k",), output_doc),
        *extra,
        Output("loss", (), "the loss, with torch's default reduction (mean)"),
        Output("dz2", ("k",), "∂L/∂z2, the gradient at the output"),
        Output("dW2", ("k", "m"), "∂L/∂W2 = dz2·a1ᵀ"),
        Output("db2", ("k",), "∂L/∂b2 = dz2"),
        Output("da1", ("m",), "∂L/∂a1 = W2ᵀ·dz2"),
        Output("dz1", ("m",), "∂L/∂z1 = da1 ⊙ act′(z1)"),
        Output("dW1", ("m", "d"), "∂L/∂W1 = dz1·xᵀ"),
        Output("db1", ("m",), "∂L/∂b1 = dz1"),
        Output("dx", ("d",), "∂L/∂x = W1ᵀ·dz1"),
    )


_HIDDEN_MISTAKES = (
    Mistake(
        "activation-derivative-skipped",
        "dz1",
        "da1",
        "Passed ∂L/∂a1 straight through the activation; the chain rule multiplies it by the "
        "activation's slope at z1: ∂L/∂z1 = ∂L/∂a1 ⊙ act′(z1).",
    ),
    Mistake(
        "dW1-without-activation-derivative",
        "dW1",
        "outer(da1, x)",
        "Skipped the activation's slope: ∂L/∂W1 = (∂L/∂a1 ⊙ act′(z1))·xᵀ, not (∂L/∂a1)·xᵀ.",
    ),
    Mistake(
        "da1-without-transpose",
        "da1",
        "W2 @ dz2",
        "Multiplied by W2; the gradient flows back through the transpose: ∂L/∂a1 = W2ᵀ·dz2.",
    ),
)

REFERENCES = (
    Reference(
        name="linear_backward",
        summary="Backprop through y = Wx + b for one input vector, given the upstream gradient ∂L/∂y.",
        torch_api="torch.nn.functional.linear (vmapped over instances) and torch.autograd.grad",
        inputs=(
            Param("x", ("d",), None, "the input vector"),
            Param("W", ("m", "d"), None, "the weight, (out, in) as nn.Linear stores it"),
            Param("b", ("m",), 0.0, "the bias"),
            Param("grad_y", ("m",), None, "δ = ∂L/∂y, the gradient arriving from above"),
        ),
        outputs=(
            Output("y", ("m",), "Wx + b"),
            Output("dW", ("m", "d"), "∂L/∂W = δ·xᵀ (an outer product, W's shape)"),
            Output("db", ("m",), "∂L/∂b = δ"),
            Output("dx", ("d",), "∂L/∂x = Wᵀ·δ"),
        ),
        mistakes=(
            Mistake(
                "dx-without-transpose",
                "dx",
                "W @ grad_y",
                "Multiplied δ by W; the gradient wrt the input is Wᵀδ (each x_j collects "
                "W_ij·δ_i over the outputs i).",
            ),
        ),
        topic="backprop",
        compute=_linear_backward,
    ),
    Reference(
        name="linear_batch_backward",
        summary="Backprop through nn.Linear on a batch X (b, in): Y = XWᵀ + b, W stored (out, in).",
        torch_api="torch.nn.Linear (torch.func.functional_call, vmapped) and torch.autograd.grad",
        inputs=(
            Param("X", ("b", "d"), None, "a batch of b input rows"),
            Param("W", ("m", "d"), None, "nn.Linear's weight, (out_features, in_features)"),
            Param("b", ("m",), 0.0, "nn.Linear's bias"),
            Param("grad_Y", ("b", "m"), None, "δ = ∂L/∂Y, one row per sample"),
        ),
        outputs=(
            Output("Y", ("b", "m"), "XWᵀ + b"),
            Output("dW", ("m", "d"), "∂L/∂W = δᵀX, summed over the batch"),
            Output("db", ("m",), "∂L/∂b = the column sums of δ"),
            Output("dX", ("b", "d"), "∂L/∂X = δW"),
        ),
        mistakes=(
            Mistake(
                "db-averaged",
                "db",
                "mean(grad_Y, 0)",
                "Averaged over the batch; every row uses the bias, so its gradient is the SUM of "
                "the rows' δ (a mean loss has already put the 1/b into δ).",
            ),
            Mistake(
                "dW-averaged",
                "dW",
                "transpose(grad_Y) @ X / len(X)",
                "Divided by the batch size; ∂L/∂W = δᵀX sums the rows' outer products (a mean "
                "loss has already put the 1/b into δ).",
            ),
            Mistake(
                "dX-transposed-weight",
                "dX",
                "grad_Y @ transpose(W)",
                "Multiplied by Wᵀ; with rows as samples Y = XWᵀ + b, so ∂L/∂X = δW.",
            ),
        ),
        topic="backprop",
        compute=_linear_batch_backward,
    ),
    Reference(
        name="mlp_mse_backward",
        summary="A two-layer MLP, linear → activation → linear, with F.mse_loss: forward values and "
        "every gradient.",
        torch_api="torch.nn.functional.linear, relu / torch.tanh / torch.sigmoid, "
        "torch.nn.functional.mse_loss, torch.autograd.grad",
        inputs=_mlp_inputs("the regression target, one entry per output"),
        outputs=_mlp_outputs("the prediction ŷ = W2·a1 + b2"),
        mistakes=(
            Mistake(
                "mse-gradient-without-2",
                "dz2",
                "(z2 - target) / len(target)",
                "Dropped the 2: F.mse_loss is mean((ŷ − t)²), with no ½, so ∂L/∂ŷ = 2(ŷ − t)/k.",
            ),
            Mistake(
                "mse-gradient-not-averaged",
                "dz2",
                "2 * (z2 - target)",
                "Forgot the mean over the k outputs: ∂L/∂ŷ = 2(ŷ − t)/k.",
            ),
            *_HIDDEN_MISTAKES,
        ),
        topic="backprop",
        compute=_mlp(_mse, with_probabilities=False),
    ),
    Reference(
        name="mlp_ce_backward",
        summary="A two-layer MLP, linear → activation → linear, with softmax cross-entropy "
        "(F.cross_entropy): forward values and every gradient.",
        torch_api="torch.nn.functional.linear, relu / torch.tanh / torch.sigmoid, "
        "torch.nn.functional.cross_entropy, torch.autograd.grad",
        inputs=_mlp_inputs("the target distribution over the k classes (one-hot for a class label)"),
        outputs=_mlp_outputs(
            "the logits W2·a1 + b2",
            (Output("p", ("k",), "softmax(z2), the predicted probabilities"),),
        ),
        mistakes=(
            Mistake(
                "ce-gradient-sign-flipped",
                "dz2",
                "target - p",
                "Flipped the sign; ∂L/∂z = p − y (raising the true class's logit lowers the loss).",
            ),
            Mistake(
                "ce-gradient-wrt-probabilities",
                "dz2",
                "-target / p",
                "That is ∂L/∂p; through the softmax the gradient wrt the logits is p − y.",
            ),
            *_HIDDEN_MISTAKES,
        ),
        topic="backprop",
        compute=_mlp(_cross_entropy, with_probabilities=True),
    ),
    Reference(
        name="softmax_ce_backward",
        summary="Softmax cross-entropy of one row of logits: the loss and its gradient p − y.",
        torch_api="torch.nn.functional.cross_entropy (probability target) and torch.autograd.grad",
        inputs=(
            Param("logits", ("c",), None, "raw scores, one per class"),
            Param("target", ("c",), None, "the target distribution (one-hot for a class label)"),
        ),
        outputs=(
            Output("loss", (), "−Σ y·log softmax(z)"),
            Output("p", ("c",), "softmax(z)"),
            Output("grad", ("c",), "∂L/∂z = p − y (for a target that sums to 1)"),
        ),
        mistakes=(
            Mistake(
                "sign-flipped",
                "grad",
                "target - p",
                "Flipped the sign; ∂L/∂z = p − y (raising the true class's logit lowers the loss).",
            ),
            Mistake(
                "gradient-wrt-probabilities",
                "grad",
                "-target / p",
                "That is ∂L/∂p; through the softmax the gradient wrt the logits is p − y.",
            ),
            Mistake(
                "diagonal-jacobian",
                "grad",
                "-target * (1 - p)",
                "Treated softmax as elementwise (only ∂p_i/∂z_i = p_i(1 − p_i)); every logit moves "
                "every probability, and with the cross terms ∂L/∂z_j = p_j − y_j.",
            ),
        ),
        topic="backprop",
        compute=_softmax_ce_backward,
    ),
    Reference(
        name="batchnorm_backward",
        summary="BatchNorm in training mode on one feature over a batch of b samples: its output "
        "and the gradients wrt x, γ and β.",
        torch_api="torch.nn.functional.batch_norm(training=True) and torch.autograd.grad",
        inputs=(
            Param("x", ("b",), None, "the feature's values over the batch (b ≥ 2)"),
            Param("gamma", (), 1.0, "the scale γ (torch: weight)"),
            Param("beta", (), 0.0, "the shift β (torch: bias)"),
            Param("grad_y", ("b",), None, "δ = ∂L/∂y for each sample"),
            EPS,
        ),
        outputs=(
            Output("y", ("b",), "γ·x̂ + β, x̂ = (x − mean)/sqrt(biased var + eps)"),
            Output(
                "dx",
                ("b",),
                "γ/sqrt(var + eps)·(δ − mean(δ) − x̂·mean(δ·x̂)); it sums to 0 over the batch",
            ),
            Output("dgamma", (), "Σ δ·x̂"),
            Output("dbeta", (), "Σ δ"),
        ),
        mistakes=(
            Mistake(
                "statistics-held-constant",
                "dx",
                "gamma * grad_y / sqrt(var(x) + eps)",
                "Treated the batch mean and variance as constants; they depend on every x_i, which "
                "subtracts mean(δ) and x̂·mean(δ·x̂) from δ.",
            ),
            Mistake(
                "variance-path-dropped",
                "dx",
                "gamma * (grad_y - mean(grad_y)) / sqrt(var(x) + eps)",
                "Kept the path through the mean but not the one through the variance: the term "
                "−x̂·mean(δ·x̂) is missing.",
            ),
            Mistake(
                "dbeta-averaged",
                "dbeta",
                "mean(grad_y)",
                "Averaged over the batch; β is added to every sample's output, so ∂L/∂β = Σ δ.",
            ),
            Mistake(
                "dgamma-raw-input",
                "dgamma",
                "sum(grad_y * x)",
                "Used x where x̂ belongs: γ multiplies the NORMALISED value, so ∂L/∂γ = Σ δ·x̂.",
            ),
        ),
        topic="backprop",
        compute=_batchnorm_backward,
    ),
    Reference(
        name="layernorm_backward",
        summary="LayerNorm over one sample's n features: its output and the gradients wrt x, γ and β.",
        torch_api="torch.nn.functional.layer_norm (vmapped over instances) and torch.autograd.grad",
        inputs=(
            Param("x", ("n",), None, "one sample's features"),
            Param("gamma", ("n",), 1.0, "the per-feature scale γ (torch: weight)"),
            Param("beta", ("n",), 0.0, "the per-feature shift β (torch: bias)"),
            Param("grad_y", ("n",), None, "δ = ∂L/∂y for each feature"),
            EPS,
        ),
        outputs=(
            Output("y", ("n",), "γ·x̂ + β, x̂ = (x − mean)/sqrt(biased var + eps) over the features"),
            Output(
                "dx",
                ("n",),
                "(g − mean(g) − x̂·mean(g·x̂))/sqrt(var + eps) with g = γ·δ; it sums to 0",
            ),
            Output("dgamma", ("n",), "δ·x̂"),
            Output("dbeta", ("n",), "δ"),
        ),
        mistakes=(
            Mistake(
                "statistics-held-constant",
                "dx",
                "gamma * grad_y / sqrt(var(x) + eps)",
                "Treated the sample's mean and variance as constants; they depend on every feature, "
                "which subtracts mean(g) and x̂·mean(g·x̂) from g = γ·δ.",
            ),
            Mistake(
                "variance-path-dropped",
                "dx",
                "(gamma * grad_y - mean(gamma * grad_y)) / sqrt(var(x) + eps)",
                "Kept the path through the mean but not the one through the variance: the term "
                "−x̂·mean(g·x̂) is missing.",
            ),
        ),
        topic="backprop",
        compute=_layernorm_backward,
    ),
    Reference(
        name="l2_penalty_backward",
        summary="The L2 penalty λ‖w‖² and its gradient 2λw.",
        torch_api="torch.linalg.vector_norm and torch.autograd.grad",
        inputs=(
            Param("w", ("n",), None, "the weights"),
            Param("lambda", (), None, "λ, the penalty's coefficient"),
        ),
        outputs=(
            Output("penalty", (), "λ‖w‖²"),
            Output("grad", ("n",), "∂(λ‖w‖²)/∂w = 2λw"),
        ),
        mistakes=(
            Mistake(
                "missing-factor-2",
                "grad",
                "lambda * w",
                "Dropped the 2 of d(w²)/dw; λw is the gradient of (λ/2)‖w‖², the form SGD's "
                "weight_decay = λ implements.",
            ),
            Mistake(
                "norm-not-squared",
                "grad",
                "lambda * w / norm(w)",
                "That is the gradient of λ‖w‖ (the unsquared norm); the penalty λ‖w‖² has gradient 2λw.",
            ),
        ),
        topic="backprop",
        compute=_l2_penalty_backward,
    ),
    Reference(
        name="sigmoid_chain",
        summary="A chain of sigmoids a_k = σ(w_k·a_{k−1}) from a_0 = x: the activations and dy/dx.",
        torch_api="torch.sigmoid and torch.autograd.grad",
        inputs=(
            Param("x", (), None, "the input a_0"),
            Param("w", ("n",), None, "the weight of each of the n layers, in order"),
        ),
        outputs=(
            Output("a", ("n",), "the activations a_1 … a_n"),
            Output("y", (), "the output a_n"),
            Output("dy", (), "dy/dx = Π w_k·a_k(1 − a_k)"),
        ),
        mistakes=(),
        topic="backprop",
        compute=_sigmoid_chain,
    ),
    Reference(
        name="grad_accumulation",
        summary="What a parameter's .grad holds after t backward() calls without zero_grad(), "
        "call i's loss being (w·x_i − target_i)².",
        torch_api="torch.nn.Parameter, torch.nn.functional.mse_loss, Tensor.backward, "
        "torch.optim.Optimizer.zero_grad",
        inputs=(
            Param("w", (), None, "the parameter"),
            Param("x", ("t",), None, "the input of each backward() call, in order"),
            Param("target", ("t",), None, "the target of each call"),
        ),
        outputs=(
            Output("grad", (), "w.grad after the t calls: the SUM of their gradients 2(w·x_i − t_i)·x_i"),
            Output("last", (), "w.grad after zero_grad() and the last call alone"),
        ),
        mistakes=(
            Mistake(
                "overwritten",
                "grad",
                "last",
                "Assumed each backward() overwrites .grad; it ADDS to it, so without zero_grad() "
                "the gradients of all the calls are summed.",
            ),
            Mistake(
                "averaged",
                "grad",
                "mean(2 * (w * x - target) * x)",
                "Averaged the calls' gradients; .grad accumulates their sum.",
            ),
        ),
        topic="backprop",
        compute=_grad_accumulation,
    ),
    Reference(
        name="numerical_gradient",
        summary="Finite-difference estimates of f′(x) (central and forward) against autograd's f′(x).",
        torch_api="composed of torch ops: the card's function evaluated with torch tensors, "
        "torch.autograd.grad for the exact derivative",
        inputs=(
            Param("x", (), None, "the point"),
            Param("h", (), None, "the step (> 0)"),
        ),
        outputs=(
            Output("grad", (), "f′(x) by autograd"),
            Output("central", (), "(f(x + h) − f(x − h))/(2h), error O(h²)"),
            Output("forward", (), "(f(x + h) − f(x))/h, error O(h)"),
            Output("central_error", (), "central − f′(x)"),
            Output("forward_error", (), "forward − f′(x)"),
        ),
        mistakes=(
            Mistake(
                "one-sided",
                "central",
                "forward",
                "That is the forward difference (f(x + h) − f(x))/h; the central one is "
                "(f(x + h) − f(x − h))/(2h).",
            ),
            Mistake(
                "divided-by-h",
                "central",
                "2 * central",
                "Divided by h; the points x ± h are 2h apart, so the central difference divides by 2h.",
            ),
        ),
        topic="backprop",
        compute=_numerical_gradient,
        takes_function=True,
    ),
)
