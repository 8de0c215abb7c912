"""Precision references: float formats, rounding to them, optimizer memory, loss scaling.

Every number here is one torch computes or declares itself:

- `float_format` reads `torch.finfo` of a dtype (and the smallest subnormal with
  `torch.nextafter` in that dtype);
- `round_to_dtype` casts float64 values to the dtype, as `torch.tensor(x, dtype=...)` does;
- `optimizer_state_bytes` builds a real `nn.Linear` on the meta device (sizes, no memory),
  runs a backward pass and one `step()` of each optimizer, and sums the bytes of the state
  tensors `state_dict()` holds;
- `saved_activation_bytes` records what autograd saves for backward (saved_tensors_hooks);
- `grad_scaler_step` runs `torch.amp.GradScaler` (scale, backward, unscale_, step, update)
  on a gradient that passes through float16.

Dtypes are given by a code, as an input takes numbers: 0 float32 (torch's default dtype),
1 float16, 2 bfloat16, 3 float64 (`DTYPES`).
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
    per_group,
    to_numpy,
    to_tensor,
)

if TYPE_CHECKING:
    import numpy as np
    import torch

DTYPES = ("float32", "float16", "bfloat16", "float64")
"""The dtype of each code: DTYPES[code] is the name of the torch dtype."""

DTYPE_DOC = "the dtype's code: 0 float32 (torch's default), 1 float16, 2 bfloat16, 3 float64"

# The dtype's explicitly stored mantissa bits, for the mistake formulas (10, 7, 52 or 23 bits).
MANTISSA = "where(dtype == 1, 10, where(dtype == 2, 7, where(dtype == 3, 52, 23)))"
# The exponent of the smallest normal number, 2 − 2^(e−1) for e exponent bits.
MIN_EXPONENT = "where(dtype == 1, -14, where(dtype == 3, -1022, -126))"
# The spacing of the numbers next to |x| (the subnormals' spacing below the smallest normal).
SPACING = f"2 ^ (max(floor(log(abs(x), 2)), {MIN_EXPONENT}) - {MANTISSA})"


def torch_dtype(code: float) -> torch.dtype:
    """The torch dtype of a dtype code (an input error for any other code)."""
    import torch

    index = as_count(code, "dtype")
    if index >= len(DTYPES):
        raise ReferenceInputError(
            f"input 'dtype' must be a code 0..{len(DTYPES) - 1} ({DTYPE_DOC}), not {code}"
        )
    dtype: torch.dtype = getattr(torch, DTYPES[index])
    return dtype


# float_format ------------------------------------------------------------------------------


def format_fields(dtype: torch.dtype) -> dict[str, float]:
    """The fields of `float_format` for one dtype, from torch.finfo and torch.nextafter.

    finfo has no field for the bit layout; eps is 2^−m by definition (the gap after 1 is
    one unit in the last of m stored mantissa bits), so m = −log2(eps), and the exponent
    has the bits left after the sign and the mantissa. The smallest subnormal is the next
    number after 0 in the dtype: finfo only gives the smallest NORMAL one (`tiny`). It is a
    fact of the dtype, the same on every device, so it is computed on the CPU.
    """
    import torch

    info = torch.finfo(dtype)
    mantissa = round(-math.log2(info.eps))
    zero = torch.zeros((), dtype=dtype)
    smallest_subnormal = torch.nextafter(zero, torch.ones((), dtype=dtype))
    return {
        "bits": float(info.bits),
        "exponent_bits": float(info.bits - 1 - mantissa),
        "mantissa_bits": float(mantissa),
        "max_finite": float(info.max),
        "eps": float(info.eps),
        "smallest_normal": float(info.smallest_normal),
        "smallest_subnormal": float(smallest_subnormal),
        "resolution": float(info.resolution),
    }


def _float_format(arrays: Arrays, device: torch.device) -> Arrays:
    import numpy as np

    def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
        fields = format_fields(torch_dtype(h["dtype"]))
        return {name: np.full(len(idx), value) for name, value in fields.items()}

    return per_group(arrays, ["dtype"], run)


# round_to_dtype ----------------------------------------------------------------------------


def _round_to_dtype(arrays: Arrays, device: torch.device) -> Arrays:
    """x.to(dtype) for each group of instances sharing a dtype, with the gap above the result.

    A float64 tensor cast to float16 or bfloat16 is rounded as `torch.tensor(x,
    dtype=...)` rounds a Python float: to nearest, ties to even, and on the CPU through
    float32 first (double rounding: a value a hair above a tie of the narrow format can land
    on the tie in float32 and then round to even; numpy's float16 rounds the float64 once).
    Beyond the largest finite value the result is inf.
    """
    import torch

    def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
        dtype = torch_dtype(h["dtype"])
        x = to_tensor(arrays["x"][idx], device)
        rounded = x.to(dtype)
        magnitude = rounded.abs()
        # The next number of the dtype above |rounded|; adjacent numbers differ exactly.
        above = torch.nextafter(magnitude, torch.full_like(magnitude, math.inf))
        return {
            "rounded": to_numpy(rounded),
            "error": to_numpy(rounded.to(torch.float64) - x),
            "spacing": to_numpy(above - magnitude),
        }

    return per_group(arrays, ["dtype"], run)


# optimizer_state_bytes ---------------------------------------------------------------------

OPTIMIZERS: dict[str, tuple[str, dict[str, float]]] = {
    "state_sgd": ("SGD", {"lr": 0.1}),
    "state_sgd_momentum": ("SGD", {"lr": 0.1, "momentum": 0.9}),
    "state_adam": ("Adam", {}),
    "state_adamw": ("AdamW", {}),
    "state_adagrad": ("Adagrad", {}),
    "state_rmsprop": ("RMSprop", {}),
}
"""Each state output: the torch.optim class and its constructor arguments (else defaults)."""


def _tensor_bytes(tensor: torch.Tensor) -> int:
    return tensor.numel() * tensor.element_size()


def _state_bytes(optimizer: torch.optim.Optimizer, params: list[torch.nn.Parameter]) -> int:
    """Bytes of the parameters' per-element state, read from optimizer.state_dict().

    Per-element state is every state tensor of the parameter's shape (momentum_buffer,
    exp_avg, exp_avg_sq, sum, square_avg, ...). The step counter that Adam, AdamW, Adagrad
    and RMSprop keep in state["step"] is a 0-d tensor: one number per parameter TENSOR,
    4 bytes (float32, torch's default) whatever its size, so it is not counted, as the
    usual "bytes per parameter" accounting leaves it out. Anything else (a tensor of another
    shape) would be a state this accounting does not know, and is an error, not a guess.
    """
    import torch

    state = optimizer.state_dict()["state"]
    total = 0
    for index, param in enumerate(params):
        for key, value in state.get(index, {}).items():
            if not isinstance(value, torch.Tensor):
                continue
            if value.shape == param.shape:
                total += _tensor_bytes(value)
            elif value.ndim != 0:
                raise RuntimeError(f"unexpected state {key!r} of shape {tuple(value.shape)}")
    return total


def _optimizer_state_bytes(arrays: Arrays, device: torch.device) -> Arrays:
    """A real nn.Linear on the meta device, a backward pass, and one step of each optimizer.

    Meta tensors have sizes and dtypes but no memory, so a 70-billion-parameter layer costs
    nothing and its state's bytes are exact; the computation is the same on every device,
    so `device` is not used. Each distinct combination of the inputs is one layer (torch's
    cost is per tensor, whatever its size), shared by the instances that give it.

    With master_weights = 1 the model (its weights and their gradients) is in `dtype` and
    each optimizer steps a float32 copy of the weights, as mixed-precision training keeps
    one: the copy's gradient is a float32 cast of the model's, made for the step, and is not
    counted (the classic 2 + 2 + 4 + 4 + 4 = 16 bytes per parameter for fp16 with Adam).
    """
    import numpy as np
    import torch

    def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
        dtype = torch_dtype(h["dtype"])
        in_features = as_count(h["in_features"], "in_features", minimum=1)
        out_features = as_count(h["out_features"], "out_features", minimum=1)
        bias = as_flag(h["bias"], "bias")
        layer = torch.nn.Linear(in_features, out_features, bias=bias, device="meta", dtype=dtype)
        layer(torch.empty(1, in_features, device="meta", dtype=dtype)).sum().backward()
        params = list(layer.parameters())
        grads = [param.grad for param in params if param.grad is not None]
        stepped = params
        if as_flag(h["master_weights"], "master_weights"):
            stepped = [torch.nn.Parameter(param.detach().to(torch.float32)) for param in params]
            for copy, grad in zip(stepped, grads, strict=True):
                copy.grad = grad.to(torch.float32)
        fields: dict[str, float] = {
            "params": sum(param.numel() for param in params),
            "param_bytes": sum(_tensor_bytes(param) for param in params),
            "grad_bytes": sum(_tensor_bytes(grad) for grad in grads),
            "master_bytes": sum(_tensor_bytes(copy) for copy in stepped) if stepped is not params else 0,
        }
        for output, (name, options) in OPTIMIZERS.items():
            optimizer: torch.optim.Optimizer = getattr(torch.optim, name)(stepped, **options)
            optimizer.step()
            fields[output] = _state_bytes(optimizer, stepped)
        total = fields["param_bytes"] + fields["grad_bytes"] + fields["master_bytes"] + fields["state_adam"]
        fields |= {"total_adam": total, "per_param_adam": total / fields["params"]}
        return {name: np.full(len(idx), float(value)) for name, value in fields.items()}

    return per_group(arrays, ["in_features", "out_features", "bias", "dtype", "master_weights"], run)


# saved_activation_bytes --------------------------------------------------------------------

NONLINEARITIES = ("none", "relu", "gelu")
"""What follows the layer, by code: nothing, F.relu or F.gelu."""


def _saved_activation_bytes(arrays: Arrays, device: torch.device) -> Arrays:
    """The bytes autograd keeps for backward, recorded with saved_tensors_hooks on meta tensors.

    The layer's input is a leaf that requires grad, as the output of an earlier layer does.
    Every tensor autograd saves passes through the pack hook; the parameters (and views of
    them, such as the weight's transpose that linear saves for the input's gradient) are
    memory the model holds anyway and are left out, and a tensor saved twice is counted once.
    Meta tensors keep the sizes exact with no memory, so `device` is not used.
    """
    import numpy as np
    import torch
    import torch.nn.functional as F

    def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
        dtype = torch_dtype(h["dtype"])
        in_features = as_count(h["in_features"], "in_features", minimum=1)
        tokens = as_count(h["tokens"], "tokens", minimum=1)
        code = as_count(h["nonlinearity"], "nonlinearity")
        if code >= len(NONLINEARITIES):
            raise ReferenceInputError(
                f"input 'nonlinearity' must be 0 (none), 1 (relu) or 2 (gelu), not {code}"
            )
        layer = torch.nn.Linear(
            in_features, as_count(h["out_features"], "out_features", minimum=1), device="meta", dtype=dtype
        )
        parameters = {id(param) for param in layer.parameters()}
        saved: dict[int, torch.Tensor] = {}

        def pack(tensor: torch.Tensor) -> torch.Tensor:
            base = tensor if tensor._base is None else tensor._base
            if id(base) not in parameters:
                saved[id(base)] = base
            return tensor

        x = torch.empty(tokens, in_features, device="meta", dtype=dtype, requires_grad=True)
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
            y = layer(x)
            if code == 1:
                y = F.relu(y)
            elif code == 2:
                y = F.gelu(y)
        count = len(idx)
        return {
            "saved_bytes": np.full(count, float(sum(_tensor_bytes(t) for t in saved.values()))),
            "input_bytes": np.full(count, float(_tensor_bytes(x))),
        }

    return per_group(arrays, ["in_features", "out_features", "tokens", "dtype", "nonlinearity"], run)


# grad_scaler_step --------------------------------------------------------------------------

SCALER_SETTINGS = ("scale_prev", "growth_tracker_prev", "growth_factor", "backoff_factor", "growth_interval")


def _scaler(h: dict[str, float], device: torch.device) -> torch.amp.GradScaler:
    """A GradScaler with the group's settings, at the given scale and growth tracker.

    The tracker (clean steps since the scale last changed) is put in through
    load_state_dict, the path by which torch resumes a scaler from a checkpoint.
    """
    import torch

    scaler = torch.amp.GradScaler(
        device.type,
        init_scale=h["scale_prev"],
        growth_factor=h["growth_factor"],
        backoff_factor=h["backoff_factor"],
        growth_interval=as_count(h["growth_interval"], "growth_interval", minimum=1),
    )
    state = scaler.state_dict()
    state["_growth_tracker"] = as_count(h["growth_tracker_prev"], "growth_tracker_prev")
    scaler.load_state_dict(state)
    return scaler


def _scaled_backward(
    scaler: torch.amp.GradScaler, theta: torch.Tensor, grad: torch.Tensor
) -> torch.nn.Parameter:
    """A float64 parameter whose gradient reaches it through float16, after scaler.scale.

    The loss is linear in the parameter with slope `grad` (the gradient of the unscaled
    loss), and the parameter is used as float16 (`w.to(float16)`), as autocast uses weights:
    backward computes scale·grad, casts it to float16 (rounding, flushing to 0, or
    overflowing to inf) and hands it back to the float64 parameter as its .grad.
    """
    import torch

    param = torch.nn.Parameter(theta.clone())
    loss = (param.to(torch.float16).to(torch.float64) * grad).sum()
    torch.autograd.backward(scaler.scale(loss))
    return param


def _grad_scaler_step(arrays: Arrays, device: torch.device) -> Arrays:
    """scaler.scale(loss).backward(); scaler.unscale_(opt); scaler.step(opt); scaler.update().

    One scaler sees every parameter of its optimizer, and skips the step for all of them if
    any gradient is inf or NaN. So instances are grouped by their settings AND by whether
    their own float16 gradient overflows (found by the same backward pass, a first time):
    within a group every instance overflows or none does, and the group's scaler does for
    each what a scaler of its own would.
    """
    import numpy as np
    import torch

    settings = {"scale_prev": arrays["scale_prev"]}

    def overflows(idx: np.ndarray, h: dict[str, float]) -> Arrays:
        scaler = torch.amp.GradScaler(device.type, init_scale=h["scale_prev"])
        param = _scaled_backward(
            scaler, to_tensor(arrays["theta_prev"][idx], device), to_tensor(arrays["grad"][idx], device)
        )
        assert param.grad is not None
        return {"overflow": to_numpy((~torch.isfinite(param.grad)).to(torch.float64))}

    grouped = {**arrays, "overflow": per_group(settings, ["scale_prev"], overflows)["overflow"]}

    def run(idx: np.ndarray, h: dict[str, float]) -> Arrays:
        scaler = _scaler(h, device)
        param = _scaled_backward(
            scaler, to_tensor(arrays["theta_prev"][idx], device), to_tensor(arrays["grad"][idx], device)
        )
        optimizer = torch.optim.SGD([param], lr=h["lr"])
        assert param.grad is not None
        grad_fp16 = to_numpy(param.grad)
        scaler.unscale_(optimizer)
        grad = to_numpy(param.grad)
        found_inf = float(sum(v.item() for v in scaler._found_inf_per_device(optimizer).values()))
        if found_inf != h["overflow"]:
            raise RuntimeError("GradScaler's found_inf differs from the gradient's overflow")
        scaler.step(optimizer)
        scaler.update()
        count = len(idx)
        return {
            "grad_fp16": grad_fp16,
            "grad_unscaled": grad,
            "found_inf": np.full(count, found_inf),
            "theta": to_numpy(param),
            "scale": np.full(count, scaler.get_scale()),
            "growth_tracker": np.full(count, float(scaler.state_dict()["_growth_tracker"])),
        }

    return per_group(grouped, ["lr", *SCALER_SETTINGS, "overflow"], run)


REFERENCES = (
    Reference(
        name="float_format",
        summary="A floating-point dtype's layout and limits: bits, exponent and mantissa bits, "
        "largest finite value, machine epsilon, smallest normal and subnormal numbers.",
        torch_api="torch.finfo(dtype) (bits, eps, max, smallest_normal, resolution); "
        "torch.nextafter(0, 1) in the dtype",
        inputs=(Param("dtype", (), 0.0, DTYPE_DOC),),
        outputs=(
            Output("bits", (), "finfo.bits: sign + exponent + stored mantissa bits"),
            Output("exponent_bits", (), "bits − 1 − mantissa_bits (5 for fp16, 8 for bf16 and fp32)"),
            Output("mantissa_bits", (), "stored mantissa bits m, −log2(eps) (the leading 1 is implicit)"),
            Output("max_finite", (), "finfo.max = (2 − 2^−m)·2^(2^(e−1) − 1)"),
            Output("eps", (), "finfo.eps = 2^−m: the gap between 1 and the next number"),
            Output("smallest_normal", (), "finfo.smallest_normal (tiny) = 2^(2 − 2^(e−1))"),
            Output("smallest_subnormal", (), "the next number after 0: smallest_normal·eps"),
            Output("resolution", (), "finfo.resolution: 10^−(decimal digits of precision)"),
        ),
        mistakes=(
            Mistake(
                "max-as-power-of-two",
                "max_finite",
                "2 ^ (2 ^ (exponent_bits - 1))",
                "Took 2^(e_max + 1) as the largest value; the largest significand is 2 − 2^−m, "
                "not 2: fp16's largest finite value is 65504 (65536 is inf), bf16's "
                "(2 − 2^−7)·2^127 ≈ 3.39e38, not 2^128 ≈ 3.40e38.",
            ),
            Mistake(
                "eps-as-unit-roundoff",
                "eps",
                "2 ^ (-mantissa_bits - 1)",
                "Gave the unit roundoff 2^−(m+1) (the largest relative rounding error); "
                "torch.finfo's eps is the gap after 1, 2^−m.",
            ),
            Mistake(
                "implicit-bit-counted",
                "mantissa_bits",
                "bits - exponent_bits",
                "Counted the implicit leading 1 (the significand's precision); the stored "
                "mantissa has one bit fewer: 10 for fp16, 7 for bf16.",
            ),
            Mistake(
                "min-exponent-off-by-one",
                "smallest_normal",
                "2 ^ (1 - 2 ^ (exponent_bits - 1))",
                "Took the smallest exponent as −bias (−15 in fp16); the exponent field 0 is "
                "reserved for zero and the subnormals, so the smallest normal number is "
                "2^(1 − bias): 2^−14 in fp16, 2^−126 in bf16 and fp32.",
            ),
            Mistake(
                "no-subnormals",
                "smallest_subnormal",
                "smallest_normal",
                "Forgot the subnormals: below the smallest normal number the format steps down "
                "in units of smallest_normal·eps, to 2^−24 ≈ 5.96e-8 in fp16.",
            ),
        ),
        topic="precision",
        compute=_float_format,
    ),
    Reference(
        name="round_to_dtype",
        summary="x stored in a dtype, as torch.tensor(x, dtype=...) rounds it: to nearest, "
        "ties to even (through float32 for fp16 and bf16); inf beyond the largest finite value.",
        torch_api="torch.Tensor.to(dtype) (= torch.tensor(x, dtype=dtype)); torch.nextafter",
        inputs=(
            Param("x", (), None, "the value to store"),
            Param("dtype", (), 0.0, DTYPE_DOC),
        ),
        outputs=(
            Output("rounded", (), "the stored value, read back as float64 (.item())"),
            Output("error", (), "rounded − x"),
            Output("spacing", (), "the gap from |rounded| to the next larger number of the dtype"),
        ),
        mistakes=(
            Mistake(
                "truncated",
                "rounded",
                f"sign(x) * floor(abs(x) / {SPACING}) * {SPACING}",
                "Chopped the bits that do not fit (rounding towards zero); torch rounds to the "
                "nearest representable value, ties to even (bf16 is not just the top half of an "
                "fp32: the low half is rounded in).",
            ),
            Mistake(
                "not-rounded",
                "rounded",
                "x",
                "Assumed x is stored as it is; a float keeps a fixed number of significant bits: "
                "11 in fp16 (about 3 decimal digits), 8 in bf16 (about 2), 24 in fp32.",
            ),
        ),
        topic="precision",
        compute=_round_to_dtype,
    ),
    Reference(
        name="optimizer_state_bytes",
        summary="Training memory of an nn.Linear(in_features, out_features): parameters, "
        "gradients, an fp32 master copy, and the per-element state of SGD, SGD with momentum, "
        "Adam, AdamW, Adagrad and RMSprop after one step (the 0-d step counter not counted).",
        torch_api="torch.nn.Linear(device='meta') with backward(); torch.optim.SGD/Adam/AdamW/"
        "Adagrad/RMSprop .step() and .state_dict(); Tensor.numel() and element_size()",
        inputs=(
            Param("in_features", (), None, "the layer's inputs (a weight of n elements: n inputs, 1 output)"),
            Param("out_features", (), None, "the layer's outputs"),
            Param("bias", (), 1.0, "1: the layer has a bias of out_features elements (nn.Linear's default)"),
            Param("dtype", (), 0.0, "the model's " + DTYPE_DOC),
            Param(
                "master_weights",
                (),
                0.0,
                "1: the optimizers step a float32 copy of the weights (mixed precision)",
            ),
        ),
        outputs=(
            Output("params", (), "the number of parameters: Σ numel() (weight + bias)"),
            Output("param_bytes", (), "bytes of the parameters in the model's dtype"),
            Output("grad_bytes", (), "bytes of their .grad after backward (same dtype)"),
            Output("master_bytes", (), "bytes of the float32 master copy (0 without one)"),
            Output("state_sgd", (), "SGD(lr=0.1)'s state bytes (no state: 0)"),
            Output("state_sgd_momentum", (), "SGD(momentum=0.9): momentum_buffer"),
            Output("state_adam", (), "Adam: exp_avg and exp_avg_sq"),
            Output("state_adamw", (), "AdamW: exp_avg and exp_avg_sq"),
            Output("state_adagrad", (), "Adagrad: sum"),
            Output("state_rmsprop", (), "RMSprop: square_avg"),
            Output("total_adam", (), "param_bytes + grad_bytes + master_bytes + state_adam"),
            Output("per_param_adam", (), "total_adam / params: bytes per parameter with Adam"),
        ),
        mistakes=(
            Mistake(
                "one-adam-moment",
                "state_adam",
                "state_sgd_momentum",
                "Counted one buffer for Adam; it keeps two per element, exp_avg (m) and "
                "exp_avg_sq (v), each the size of the parameter.",
            ),
            Mistake(
                "bias-forgotten",
                "params",
                "in_features * out_features",
                "Counted only the weight; nn.Linear has a bias of out_features elements by default.",
            ),
            Mistake(
                "master-copy-forgotten",
                "total_adam",
                "param_bytes + grad_bytes + state_adam",
                "Left out the fp32 master copy of the weights that mixed precision steps "
                "(4 bytes per parameter).",
            ),
        ),
        topic="precision",
        compute=_optimizer_state_bytes,
    ),
    Reference(
        name="saved_activation_bytes",
        summary="Activation memory: the bytes autograd saves for backward when an nn.Linear "
        "(optionally followed by ReLU or GELU) is applied to `tokens` input rows.",
        torch_api="torch.autograd.graph.saved_tensors_hooks around nn.Linear and F.relu/F.gelu "
        "on meta tensors; Tensor.numel() and element_size()",
        inputs=(
            Param("in_features", (), None, "the layer's inputs (hidden size h)"),
            Param("out_features", (), None, "the layer's outputs"),
            Param("tokens", (), 1.0, "input rows, batch·sequence length (1: one input vector)"),
            Param("dtype", (), 0.0, "the activations' " + DTYPE_DOC),
            Param("nonlinearity", (), 0.0, "what follows the layer: 0 nothing, 1 F.relu, 2 F.gelu"),
        ),
        outputs=(
            Output("saved_bytes", (), "bytes of the tensors saved for backward, parameters left out"),
            Output("input_bytes", (), "bytes of the layer's input: tokens·in_features elements"),
        ),
        mistakes=(
            Mistake(
                "elements-not-bytes",
                "saved_bytes",
                "saved_bytes / where(dtype == 3, 8, where(dtype == 0, 4, 2))",
                "Counted elements; each takes element_size() bytes: 2 in fp16 and bf16, 4 in fp32.",
            ),
        ),
        topic="precision",
        compute=_saved_activation_bytes,
    ),
    Reference(
        name="grad_scaler_step",
        summary="One iteration of torch.amp.GradScaler with SGD on a gradient that passes through "
        "float16: scale, backward, unscale_, step (skipped on inf/NaN), update of the scale.",
        torch_api="torch.amp.GradScaler (scale, unscale_, step, update, load_state_dict); torch.optim.SGD",
        inputs=(
            Param("theta_prev", (), None, "the parameter before the iteration"),
            Param("grad", (), None, "the gradient of the UNSCALED loss (before float16)"),
            Param("scale_prev", (), 65536.0, "the scale (GradScaler's init_scale, 2^16)"),
            Param("growth_tracker_prev", (), 0.0, "clean steps in a row since the scale last changed"),
            Param("lr", (), 1e-3, "SGD's learning rate"),
            Param(
                "growth_factor", (), 2.0, "the scale is multiplied by it after growth_interval clean steps"
            ),
            Param("backoff_factor", (), 0.5, "the scale is multiplied by it when an inf/NaN is found"),
            Param("growth_interval", (), 2000.0, "clean steps in a row before the scale grows"),
        ),
        outputs=(
            Output("grad_fp16", (), "scale·grad as float16 holds it (0 on underflow, inf on overflow)"),
            Output("grad_unscaled", (), "the gradient after unscale_: grad_fp16/scale (what SGD uses)"),
            Output("found_inf", (), "1 if the scaler found an inf or NaN (the step is skipped), else 0"),
            Output("theta", (), "the parameter after scaler.step (unchanged when skipped)"),
            Output("scale", (), "the scale after scaler.update()"),
            Output("growth_tracker", (), "the tracker after update (0 after a skip or a growth)"),
        ),
        mistakes=(
            Mistake(
                "step-taken-on-overflow",
                "theta",
                "theta_prev - lr * grad",
                "Took the step anyway; when any gradient is inf or NaN, scaler.step skips "
                "optimizer.step() and the parameters are unchanged.",
            ),
            Mistake(
                "scale-kept",
                "scale",
                "scale_prev",
                "Kept the scale; update() multiplies it by backoff_factor (0.5) after an inf/NaN, "
                "and by growth_factor (2) when growth_interval (2000) clean steps in a row are reached.",
            ),
            Mistake(
                "not-unscaled",
                "grad_unscaled",
                "grad_fp16",
                "Used the scaled gradient; unscale_ divides it by the scale before the step.",
            ),
            Mistake(
                "tracker-not-reset",
                "growth_tracker",
                "growth_tracker_prev + 1",
                "Counted the step; the tracker restarts at 0 after a skipped step and after the scale grows.",
            ),
        ),
        topic="precision",
        compute=_grad_scaler_step,
    ),
)
"""The precision references: formats, rounding, optimizer memory and loss scaling."""
